package postgres

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/idempotency"
)

// IdempotencyStore keeps the answers of creates sent with an
// Idempotency-Key (table idempotency_keys).
type IdempotencyStore struct{ db *DB }

var _ idempotency.Store = (*IdempotencyStore)(nil)

// NewIdempotencyStore returns the store over db.
func NewIdempotencyStore(db *DB) *IdempotencyStore { return &IdempotencyStore{db: db} }

// InTx runs fn in one transaction (DB.InTx).
func (s *IdempotencyStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return s.db.InTx(ctx, fn)
}

// Claim takes a transaction-level advisory lock on (user, key), without
// waiting: a second request with the key while the first is in flight gets
// derrors.Conflict at once instead of queueing behind it. The lock ends
// with the transaction, when the first request's answer is committed (and
// then replayed) or rolled back (and then the key is free again).
func (s *IdempotencyStore) Claim(ctx context.Context, userID, key string) (idempotency.Answer, bool, error) {
	var a idempotency.Answer
	found := false
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var locked bool
		if err := tx.Raw(`SELECT pg_try_advisory_xact_lock(hashtextextended('idempotency:' || ? || ':' || ?, 0))`, userID, key).
			Scan(&locked).Error; err != nil {
			return err
		}
		if !locked {
			return derrors.New(derrors.IdempotencyInFlight, "a request with this Idempotency-Key is still being processed: retry when it has finished")
		}
		var rows []struct {
			Fingerprint, ContentType, Location string
			ETag                               string `gorm:"column:etag"` // not e_tag
			Status                             int
			Body                               []byte
			CreatedAt                          time.Time
		}
		if err := tx.Raw(`SELECT fingerprint, status, content_type, location, etag, body, created_at FROM idempotency_keys
			WHERE user_id = ? AND key = ?`, userID, key).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 1 {
			r := rows[0]
			a = idempotency.Answer{Fingerprint: r.Fingerprint, Status: r.Status, ContentType: r.ContentType,
				Location: r.Location, ETag: r.ETag, Body: r.Body, CreatedAt: r.CreatedAt}
			found = true
		}
		return nil
	})
	return a, found, translate(err, "claim idempotency key")
}

// Keep stores the answer under (user, key), stamped with the store's clock.
func (s *IdempotencyStore) Keep(ctx context.Context, userID, key string, a idempotency.Answer) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		return tx.Exec(`INSERT INTO idempotency_keys (user_id, key, fingerprint, status, content_type, location, etag, body, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, userID, key, a.Fingerprint, a.Status, a.ContentType, a.Location, a.ETag, a.Body, s.db.now()).Error
	})
	return translate(err, "keep idempotent answer")
}

// Purge deletes the answers kept before before.
func (s *IdempotencyStore) Purge(ctx context.Context, before time.Time) (int, error) {
	res := s.db.conn(ctx).Exec(`DELETE FROM idempotency_keys WHERE created_at < ?`, before)
	return int(res.RowsAffected), translate(res.Error, "purge idempotency keys")
}
