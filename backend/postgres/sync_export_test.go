package postgres

import (
	"context"

	"gorm.io/gorm"
)

// PublishInTx exposes publish to the external tests, which call it inside
// transactions of their own as the domain stores do.
var PublishInTx = (*DB).publish

// PublishAllInTx is publishAll, the set-wise publication, with the
// signature of publish.
func PublishAllInTx(db *DB, ctx context.Context, tx *gorm.DB, pubs []Publication) error {
	all := make([]OriginPublication, len(pubs))
	for i, p := range pubs {
		all[i] = OriginPublication{Publication: p}
	}
	return db.publishAll(ctx, tx, all)
}

// ExecIn runs a statement in the transaction of ctx (or on its own), its
// error translated as store methods translate theirs: for the handlers that
// tests write.
func ExecIn(ctx context.Context, db *DB, sql string, args ...any) error {
	return translate(db.conn(ctx).Exec(sql, args...).Error, "test statement")
}
