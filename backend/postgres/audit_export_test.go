package postgres

// AppendAudit exposes appendAudit to the external tests, which call it inside
// transactions of their own as the other stores do.
var AppendAudit = (*DB).appendAudit
