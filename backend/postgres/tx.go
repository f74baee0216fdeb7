package postgres

import (
	"context"

	"gorm.io/gorm"
)

// txKey carries the transaction of a unit of work in a context.
type txKey struct{}

// InTx runs fn in a transaction and passes it a context that carries it:
// store methods called with that context join the transaction instead of
// opening their own, so that a sync push can apply a domain command, record
// its outcome and advance the device's sequence number atomically. Called
// inside a transaction, InTx makes a savepoint: fn's writes are undone alone
// when it fails.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return db.transact(ctx, func(ctx context.Context, _ *gorm.DB) error { return fn(ctx) })
}

// transact is InTx for store methods, which also need the transaction itself.
func (db *DB) transact(ctx context.Context, fn func(ctx context.Context, tx *gorm.DB) error) error {
	if outer, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return outer.Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx), tx)
		})
	}
	return db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		return fn(context.WithValue(ctx, txKey{}, tx), tx)
	})
}

// conn returns the transaction carried by ctx, or the pool.
func (db *DB) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.Gorm.WithContext(ctx)
}
