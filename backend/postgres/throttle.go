package postgres

import (
	"context"
	"database/sql"
	"time"

	"github.com/whistle/whistle/backend/identity"
)

var _ identity.ThrottleStore = (*ThrottleStore)(nil)

// ThrottleStore counts failed logins in the login_throttle table.
type ThrottleStore struct{ db *DB }

// NewThrottleStore returns a ThrottleStore over db.
func NewThrottleStore(db *DB) *ThrottleStore { return &ThrottleStore{db: db} }

// Hit records one failure for key at now in a single statement, so that
// concurrent failures are all counted. A window starts at the first failure
// and lasts window; when its failures reach limit, the key is locked until
// the window ends.
func (s *ThrottleStore) Hit(ctx context.Context, key string, limit int, window time.Duration, now time.Time) error {
	err := s.db.Gorm.WithContext(ctx).Exec(`
		INSERT INTO login_throttle AS t (key, failures, window_start, locked_until)
		VALUES (@key, 1, @now, CASE WHEN @limit <= 1 THEN CAST(@end AS timestamptz) END)
		ON CONFLICT (key) DO UPDATE SET
		    failures = CASE WHEN t.window_start + make_interval(secs => @secs) <= @now
		                    THEN 1 ELSE t.failures + 1 END,
		    window_start = CASE WHEN t.window_start + make_interval(secs => @secs) <= @now
		                        THEN @now ELSE t.window_start END,
		    locked_until = CASE
		        WHEN t.window_start + make_interval(secs => @secs) <= @now
		            THEN CASE WHEN @limit <= 1 THEN CAST(@end AS timestamptz) END
		        WHEN t.failures + 1 >= @limit
		            THEN t.window_start + make_interval(secs => @secs)
		        ELSE t.locked_until END`,
		map[string]any{
			"key":   key,
			"now":   now,
			"end":   now.Add(window),
			"limit": limit,
			"secs":  window.Seconds(),
		}).Error
	return translate(err, "count failed login")
}

// Reset forgets the failures of key.
func (s *ThrottleStore) Reset(ctx context.Context, key string) error {
	err := s.db.Gorm.WithContext(ctx).Exec(`DELETE FROM login_throttle WHERE key = ?`, key).Error
	return translate(err, "reset failed logins")
}

// LockedUntil returns the latest time after now until which any of keys is
// locked, and false when none is.
func (s *ThrottleStore) LockedUntil(ctx context.Context, keys []string, now time.Time) (time.Time, bool, error) {
	if len(keys) == 0 {
		return time.Time{}, false, nil
	}
	var until sql.NullTime
	err := s.db.Gorm.WithContext(ctx).Raw(`SELECT max(locked_until) FROM login_throttle WHERE key IN ? AND locked_until > ?`, keys, now).Scan(&until).Error
	if err != nil {
		return time.Time{}, false, translate(err, "check failed logins")
	}
	return until.Time, until.Valid, nil
}
