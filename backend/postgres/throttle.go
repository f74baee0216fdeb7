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
// concurrent failures are all counted, and returns the failures of the
// key's window. A window starts at the first failure and lasts window; from
// the limit-th failure of a window on, each failure locks the key from now
// for delay, doubled for each failure past the limit, at most window.
func (s *ThrottleStore) Hit(ctx context.Context, key string, limit int, delay, window time.Duration, now time.Time) (int, error) {
	var failures []int
	err := s.db.Gorm.WithContext(ctx).Raw(`
		INSERT INTO login_throttle AS t (key, failures, window_start, locked_until)
		VALUES (@key, 1, @now, CASE WHEN @limit <= 1 THEN CAST(@now AS timestamptz) + make_interval(secs => LEAST(CAST(@delay AS float8), CAST(@secs AS float8))) END)
		ON CONFLICT (key) DO UPDATE SET
		    failures = CASE WHEN t.window_start + make_interval(secs => @secs) <= @now
		                    THEN 1 ELSE t.failures + 1 END,
		    window_start = CASE WHEN t.window_start + make_interval(secs => @secs) <= @now
		                        THEN @now ELSE t.window_start END,
		    locked_until = CASE
		        WHEN t.window_start + make_interval(secs => @secs) <= @now
		            THEN CASE WHEN @limit <= 1 THEN CAST(@now AS timestamptz) + make_interval(secs => LEAST(CAST(@delay AS float8), CAST(@secs AS float8))) END
		        WHEN t.failures + 1 >= @limit
		            THEN CAST(@now AS timestamptz) + make_interval(secs => LEAST(CAST(@delay AS float8) * power(2, LEAST(t.failures + 1 - @limit, 30)), CAST(@secs AS float8)))
		        ELSE t.locked_until END
		RETURNING failures`,
		map[string]any{
			"key":   key,
			"now":   now,
			"limit": limit,
			"delay": delay.Seconds(),
			"secs":  window.Seconds(),
		}).Scan(&failures).Error
	if err != nil {
		return 0, translate(err, "count failed login")
	}
	if len(failures) == 0 {
		return 0, nil
	}
	return failures[0], nil
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
