package api

// MutationSchemas is mutationSchemas for the reference walk
// (reference_test.go): which contract schema each sync mutation's args follow.
var MutationSchemas = mutationSchemas
