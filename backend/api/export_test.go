package api

// MutationSchemas exposes, to the tests of package api_test, the contract's
// schema of each sync mutation's args.
var MutationSchemas = mutationSchemas

// JudgePushesApart exposes judgePushesApart to the tests of package api_test.
var JudgePushesApart = judgePushesApart
