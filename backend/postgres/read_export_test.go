package postgres

// StateFromJSON exposes the decoding of a stored inspection state to the
// read benchmark's raw pgx baseline, so both sides decode the same way.
var StateFromJSON = stateFromJSON
