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

// transact runs a store method's writes in one transaction: the one ctx
// carries, if any (without a savepoint: the caller that opened it decides
// what a failure undoes, as a sync push does with InTx), or its own.
func (db *DB) transact(ctx context.Context, fn func(ctx context.Context, tx *gorm.DB) error) error {
	if outer, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx, outer)
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
