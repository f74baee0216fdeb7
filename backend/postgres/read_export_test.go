package postgres

// StateFromJSON exposes the decoding of a stored inspection state to the
// read benchmark's raw pgx baseline, so both sides decode the same way.
var StateFromJSON = stateFromJSON

// CaseFromJSON exposes the decoding of a stored case to the case read
// benchmark's raw pgx baseline, for the same reason.
var CaseFromJSON = caseFromJSON
