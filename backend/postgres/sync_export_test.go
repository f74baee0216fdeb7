package postgres

import "context"

// PublishInTx exposes publish to the external tests, which call it inside
// transactions of their own as the domain stores do.
var PublishInTx = (*DB).publish

// ExecIn runs a statement in the transaction of ctx (or on its own), its
// error translated as store methods translate theirs: for the handlers that
// tests write.
func ExecIn(ctx context.Context, db *DB, sql string, args ...any) error {
	return translate(db.conn(ctx).Exec(sql, args...).Error, "test statement")
}
