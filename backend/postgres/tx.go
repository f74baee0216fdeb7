package postgres

import (
	"context"
	"database/sql"
	"errors"
	"math/rand/v2"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
)

// txKey carries the transaction of a unit of work in a context.
type txKey struct{}

// DefaultTxAttempts is how many times a transaction the store opens is run
// when it fails because of a concurrent transaction.
const DefaultTxAttempts = 3

// InTx runs fn in a transaction and passes it a context that carries it:
// store methods called with that context join the transaction instead of
// opening their own, so that a sync push can apply a domain command, record
// its outcome and advance the device's sequence number atomically.
//
// Outside a transaction, InTx opens one (see begin: a deadlock or
// serialization failure runs fn again, from the start). Inside one, InTx
// makes a savepoint: when fn fails, its writes alone are undone and the
// enclosing transaction can go on, e.g. to record why fn failed.
func (db *DB) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	if outer, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		// GORM's nested Transaction is SAVEPOINT ... / ROLLBACK TO SAVEPOINT.
		return outer.Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx))
		})
	}
	return db.begin(ctx, nil, func(ctx context.Context, _ *gorm.DB) error { return fn(ctx) })
}

// transact runs a store method's statements in one transaction: the one ctx
// carries, if any, joined without a savepoint (the caller that opened it
// decides what a failure undoes, as a sync push does with InTx), or its own.
func (db *DB) transact(ctx context.Context, fn func(ctx context.Context, tx *gorm.DB) error) error {
	if outer, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return fn(ctx, outer)
	}
	return db.begin(ctx, nil, fn)
}

// begin is the one place a transaction is opened. fn may run several
// times: when an attempt fails because of a concurrent transaction (a
// deadlock, a serialization failure, a lock not available; PostgreSQL has
// undone all of it), begin waits a little and runs fn again from the start,
// at most db.TxAttempts times in all. fn must therefore keep no state from a
// failed attempt. The last failure is returned as is (translated, it is
// derrors.Contention).
func (db *DB) begin(ctx context.Context, opts *sql.TxOptions, fn func(ctx context.Context, tx *gorm.DB) error) error {
	attempts := db.TxAttempts
	if attempts < 1 {
		attempts = DefaultTxAttempts
	}
	var err error
	for attempt := 1; ; attempt++ {
		err = db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
			return fn(context.WithValue(ctx, txKey{}, tx), tx)
		}, txOptions(opts)...)
		if err == nil || attempt >= attempts || !retryable(err) {
			return err
		}
		// Back off 5-10 ms, then 10-20 ms, ... so that the transactions
		// that collided do not collide again at once.
		wait := time.Duration(5<<(attempt-1)) * time.Millisecond
		wait += rand.N(wait)
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}

func txOptions(opts *sql.TxOptions) []*sql.TxOptions {
	if opts == nil {
		return nil
	}
	return []*sql.TxOptions{opts}
}

// retryable reports whether err undid a whole transaction because of a
// concurrent one, so that running it again may succeed.
func retryable(err error) bool {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return contended(pgErr)
	}
	return derrors.CodeOf(err) == derrors.Contention
}

// conn returns the transaction carried by ctx, or the pool.
func (db *DB) conn(ctx context.Context) *gorm.DB {
	if tx, ok := ctx.Value(txKey{}).(*gorm.DB); ok {
		return tx
	}
	return db.Gorm.WithContext(ctx)
}
