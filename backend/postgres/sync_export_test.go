package postgres

// PublishInTx exposes publish to the external tests, which call it inside
// transactions of their own as the domain stores do.
var PublishInTx = (*DB).publish
