package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
	wsync "github.com/whistle/whistle/sync"
)

var _ wsync.Store = (*SyncStore)(nil)

// SyncStore stores the sync protocol's state: per-device sequence numbers,
// processed mutations, and the per-scope change feed.
type SyncStore struct{ db *DB }

// NewSyncStore returns a SyncStore over db.
func NewSyncStore(db *DB) *SyncStore { return &SyncStore{db: db} }

// InTx runs fn in a transaction carried by its ctx: DB.InTx, a savepoint
// when nested, run again when a concurrent transaction undid it.
func (s *SyncStore) InTx(ctx context.Context, fn func(ctx context.Context) error) error {
	return translate(s.db.InTx(ctx, fn), "sync transaction")
}

// LockDevice locks the device's sync state in the transaction of ctx and
// returns its last applied sequence number. It returns derrors.NotFound for
// an unknown device.
func (s *SyncStore) LockDevice(ctx context.Context, deviceID string) (int64, error) {
	id, err := uuid.Parse(deviceID)
	if err != nil {
		return 0, derrors.New(derrors.NotFound, "no device %q", deviceID)
	}
	// One statement: create the row if needed and lock it (DO UPDATE locks
	// like FOR UPDATE), returning the last applied number.
	var last []int64
	err = s.db.conn(ctx).Raw(`INSERT INTO device_sync (device_id) VALUES (?)
		ON CONFLICT (device_id) DO UPDATE SET last_seq = device_sync.last_seq RETURNING last_seq`, id).Scan(&last).Error
	if err != nil {
		return 0, translate(err, "lock device")
	}
	if len(last) == 0 {
		return 0, derrors.New(derrors.NotFound, "no device %q", deviceID)
	}
	return last[0], nil
}

// Recorded returns the stored hash and result of a processed mutation.
func (s *SyncStore) Recorded(ctx context.Context, deviceID string, seq int64) ([]byte, wsync.Result, bool, error) {
	var rows []struct {
		PayloadHash []byte
		Result      []byte
	}
	err := s.db.conn(ctx).Raw(`SELECT payload_hash, convert_to(result::text, 'UTF8') AS result FROM sync_mutations WHERE device_id = ? AND seq = ?`,
		deviceID, seq).Scan(&rows).Error
	if err != nil {
		return nil, wsync.Result{}, false, translate(err, "load mutation")
	}
	if len(rows) == 0 {
		return nil, wsync.Result{}, false, nil
	}
	res, err := resultFromJSON(rows[0].Result)
	if err != nil {
		return nil, wsync.Result{}, false, err
	}
	return rows[0].PayloadHash, res, true, nil
}

// Record stores the outcome of m and makes m.Seq the device's last applied
// number, in the transaction of ctx.
func (s *SyncStore) Record(ctx context.Context, deviceID string, m wsync.Mutation, hash []byte, res wsync.Result, at time.Time) error {
	result, err := resultJSON(res)
	if err != nil {
		return err
	}
	tx := s.db.conn(ctx)
	err = tx.Exec(`INSERT INTO sync_mutations (device_id, seq, name, entity_id, args, clock_wall, clock_wall_text, clock_since_boot_ms,
			signature, payload_hash, verdict, result, received_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)`,
		deviceID, m.Seq, m.Name, m.EntityID, []byte(m.Args), m.Clock.Wall.Time(), m.Clock.Wall.String(), m.Clock.SinceBootMS, m.Signature, hash,
		string(res.Verdict), result, at).Error
	if err != nil {
		return translate(err, "record mutation")
	}
	err = tx.Exec(`UPDATE device_sync SET last_seq = ?, last_push_at = ?, failing_seq = NULL, failures = 0 WHERE device_id = ?`,
		m.Seq, at, deviceID).Error
	return translate(err, "record mutation")
}

// CountFailure notes that the device's act seq failed transiently and
// returns how many times in a row it has (1 for the first failure, or when
// another act failed last). It runs in a transaction of its own: the failed
// act's was undone.
func (s *SyncStore) CountFailure(ctx context.Context, deviceID string, seq int64) (int, error) {
	id, err := uuid.Parse(deviceID)
	if err != nil {
		return 0, derrors.New(derrors.NotFound, "no device %q", deviceID)
	}
	var n []int
	err = s.db.Gorm.WithContext(ctx).Raw(`INSERT INTO device_sync (device_id, failing_seq, failures) VALUES (?, ?, 1)
		ON CONFLICT (device_id) DO UPDATE SET
			failures = CASE WHEN device_sync.failing_seq = EXCLUDED.failing_seq THEN device_sync.failures + 1 ELSE 1 END,
			failing_seq = EXCLUDED.failing_seq
		RETURNING failures`, id, seq).Scan(&n).Error
	if err != nil {
		return 0, translate(err, "count failed act")
	}
	if len(n) == 0 {
		return 0, derrors.New(derrors.NotFound, "no device %q", deviceID)
	}
	return n[0], nil
}

// Pull reads the changes after each cursor, the device's last applied
// number and the purge horizons in one read-only snapshot.
func (s *SyncStore) Pull(ctx context.Context, deviceID string, cursors map[string]int64, limit int) (wsync.Snapshot, error) {
	snap := wsync.Snapshot{Scopes: map[string]wsync.ScopeSnapshot{}}
	scopes := make([]string, 0, len(cursors))
	for sc := range cursors {
		scopes = append(scopes, sc)
	}
	slices.Sort(scopes)
	err := s.db.begin(ctx, &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true}, func(ctx context.Context, tx *gorm.DB) error {
		var last []int64
		if err := tx.Raw(`SELECT last_seq FROM device_sync WHERE device_id = ?`, deviceID).Scan(&last).Error; err != nil {
			return err
		}
		if len(last) > 0 {
			snap.LastAppliedSeq = last[0]
		}
		left := limit
		for _, scope := range scopes {
			var purged []int64
			if err := tx.Raw(`SELECT purged FROM sync_scopes WHERE scope = ?`, scope).Scan(&purged).Error; err != nil {
				return err
			}
			sc := wsync.ScopeSnapshot{}
			if len(purged) > 0 {
				sc.Purged = purged[0]
			}
			if left == 0 {
				// No room left in this page: say so without reading.
				var more bool
				if err := tx.Raw(`SELECT EXISTS (SELECT 1 FROM sync_changes WHERE scope = ? AND version > ?)`, scope, cursors[scope]).Scan(&more).Error; err != nil {
					return err
				}
				sc.More = more
				snap.Scopes[scope] = sc
				continue
			}
			var rows []changeRow
			err := tx.Raw(`SELECT scope, version, entity_type, entity_id, op, convert_to(state::text, 'UTF8') AS state, origin_device::text AS origin_device,
					origin_seq, changed_at
				FROM sync_changes WHERE scope = ? AND version > ? ORDER BY version LIMIT ?`, scope, cursors[scope], left+1).Scan(&rows).Error
			if err != nil {
				return err
			}
			if len(rows) > left {
				rows, sc.More = rows[:left], true
			}
			left -= len(rows)
			for _, r := range rows {
				sc.Changes = append(sc.Changes, r.change())
			}
			snap.Scopes[scope] = sc
		}
		return nil
	})
	if err != nil {
		return wsync.Snapshot{}, translate(err, "pull")
	}
	return snap, nil
}

// changeRow is a row of sync_changes; State is the wire JSON of the entity
// (Publication.State), which becomes the change's State unchanged.
type changeRow struct {
	Scope, EntityType, EntityID, Op string
	Version                         int64
	State                           []byte
	OriginDevice                    *string
	OriginSeq                       *int64
	ChangedAt                       time.Time
}

func (r changeRow) change() wsync.Change {
	c := wsync.Change{Scope: r.Scope, Version: r.Version, EntityType: r.EntityType, EntityID: r.EntityID,
		Op: wsync.Op(r.Op), ChangedAt: r.ChangedAt.UTC()}
	if len(r.State) > 0 {
		c.State = json.RawMessage(r.State)
	}
	if r.OriginDevice != nil {
		c.OriginDevice = *r.OriginDevice
	}
	if r.OriginSeq != nil {
		c.OriginSeq = *r.OriginSeq
	}
	return c
}

// Publication is one change to publish: the entity's whole new state, or
// its deletion (State nil).
type Publication struct {
	Scope      string
	EntityType string
	EntityID   string
	// State is the entity in the sync protocol's wire form: its JSON is
	// stored in sync_changes.state as it is and handed to devices unchanged
	// by Pull, so it has no storage struct (see sync_jsonb.go).
	State any // nil: deleted
}

// publish writes changes to the feed inside tx, each under the next version
// of its scope. Scopes are locked in sorted order, so that two transactions
// publishing to the same scopes cannot deadlock; call it last in the
// transaction, since a scope stays locked until commit.
func (db *DB) publish(ctx context.Context, tx *gorm.DB, pubs []Publication) error {
	pubs = slices.Clone(pubs)
	slices.SortStableFunc(pubs, func(a, b Publication) int {
		switch {
		case a.Scope < b.Scope:
			return -1
		case a.Scope > b.Scope:
			return 1
		}
		return 0
	})
	origin := wsync.OriginFrom(ctx)
	var device *string
	var seq *int64
	if origin.DeviceID != "" {
		device, seq = &origin.DeviceID, &origin.Seq
	}
	for _, p := range pubs {
		op, state := "delete", (*string)(nil)
		if p.State != nil {
			b, err := json.Marshal(p.State)
			if err != nil {
				return err
			}
			op, state = "upsert", new(string)
			*state = string(b)
		}
		// The scope's next version and the change, in one statement: the
		// scope's row stays locked until the transaction commits.
		err := tx.Exec(`WITH v AS (
				INSERT INTO sync_scopes (scope, version) VALUES (?, 1)
				ON CONFLICT (scope) DO UPDATE SET version = sync_scopes.version + 1 RETURNING version)
			INSERT INTO sync_changes (scope, entity_type, entity_id, version, op, state, origin_device, origin_seq, changed_at)
			SELECT ?, ?, ?, v.version, ?, ?::jsonb, ?::uuid, ?::bigint, ?::timestamptz FROM v
			ON CONFLICT (scope, entity_type, entity_id) DO UPDATE SET version = EXCLUDED.version, op = EXCLUDED.op,
				state = EXCLUDED.state, origin_device = EXCLUDED.origin_device, origin_seq = EXCLUDED.origin_seq,
				changed_at = EXCLUDED.changed_at`,
			p.Scope, p.Scope, p.EntityType, p.EntityID, op, state, device, seq, db.now()).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// Publish writes changes to the feed in the transaction of ctx (or its own).
func (s *SyncStore) Publish(ctx context.Context, pubs ...Publication) error {
	return translate(s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error { return s.db.publish(ctx, tx, pubs) }), "publish")
}

// PurgeTombstones deletes tombstones older than before and raises each
// scope's purge horizon, so that cursors from before it re-bootstrap.
func (s *SyncStore) PurgeTombstones(ctx context.Context, before time.Time) (int, error) {
	var n int
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var purged []struct {
			Scope   string
			Version int64
		}
		if err := tx.Raw(`DELETE FROM sync_changes WHERE op = 'delete' AND changed_at < ? RETURNING scope, version`, before).Scan(&purged).Error; err != nil {
			return err
		}
		n = len(purged)
		top := map[string]int64{}
		for _, p := range purged {
			top[p.Scope] = max(top[p.Scope], p.Version)
		}
		for scope, v := range top {
			if err := tx.Exec(`UPDATE sync_scopes SET purged = GREATEST(purged, ?) WHERE scope = ?`, v, scope).Error; err != nil {
				return err
			}
		}
		return nil
	})
	return n, translate(err, "purge tombstones")
}

// ReportDevice stores a device's self-report and the time of its sync.
func (s *SyncStore) ReportDevice(ctx context.Context, deviceID string, r wsync.DeviceReport, at time.Time) error {
	var skew *int64
	if r.ClockSkew != nil {
		ms := r.ClockSkew.Milliseconds()
		skew = &ms
	}
	var pulledAt *time.Time
	if r.Pulled {
		pulledAt = &at
	}
	err := s.db.conn(ctx).Exec(`INSERT INTO device_sync (device_id, queue_depth, oldest_unsent_at, clock_skew_ms, app_version, last_pull_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (device_id) DO UPDATE SET queue_depth = COALESCE(EXCLUDED.queue_depth, device_sync.queue_depth),
			oldest_unsent_at = CASE WHEN EXCLUDED.queue_depth IS NULL THEN device_sync.oldest_unsent_at ELSE EXCLUDED.oldest_unsent_at END,
			clock_skew_ms = COALESCE(EXCLUDED.clock_skew_ms, device_sync.clock_skew_ms),
			app_version = CASE WHEN EXCLUDED.app_version = '' THEN device_sync.app_version ELSE EXCLUDED.app_version END,
			last_pull_at = COALESCE(EXCLUDED.last_pull_at, device_sync.last_pull_at)`,
		deviceID, r.QueueDepth, r.OldestUnsentAt, skew, r.AppVersion, pulledAt).Error
	return translate(err, "report device")
}

// DeviceStatuses lists the devices of the users of street ("" for all),
// with their sync state and the number of their acts awaiting the team
// leader's review.
func (s *SyncStore) DeviceStatuses(ctx context.Context, street string) ([]wsync.DeviceStatus, error) {
	return s.DeviceStatusPage(ctx, street, "", "", 0)
}

// DeviceStatusPage is a page of DeviceStatuses in the order (username,
// device id): at most limit devices (0: all), those after the device
// afterDevice of user afterUsername ("" and "": from the first).
func (s *SyncStore) DeviceStatusPage(ctx context.Context, street, afterUsername, afterDevice string, limit int) ([]wsync.DeviceStatus, error) {
	var rows []struct {
		DeviceID, UserID, Username, Name, AppVersion      string
		RevokedAt, LastPushAt, LastPullAt, OldestUnsentAt *time.Time
		LastSeq                                           int64
		QueueDepth                                        *int
		ClockSkewMS                                       *int64
		Flagged, Rejected                                 int
	}
	err := s.db.Gorm.WithContext(ctx).Raw(`
		SELECT d.id::text AS device_id, u.id::text AS user_id, u.username, d.name, d.revoked_at,
		       ds.last_push_at, ds.last_pull_at, COALESCE(ds.last_seq, 0) AS last_seq, ds.queue_depth, ds.oldest_unsent_at,
		       ds.clock_skew_ms, COALESCE(ds.app_version, '') AS app_version,
		       (SELECT count(*) FROM inspections i WHERE i.device_id = d.id AND i.review = 'pending') AS flagged,
		       (SELECT count(*) FROM sync_mutations sm WHERE sm.device_id = d.id AND sm.verdict = 'rejected') AS rejected
		FROM devices d JOIN users u ON u.id = d.user_id
		LEFT JOIN device_sync ds ON ds.device_id = d.id
		LEFT JOIN user_scopes sc ON sc.user_id = u.id
		WHERE (@street = '' OR EXISTS (
			SELECT 1 FROM teams t JOIN streets st ON st.id = t.street_id
			WHERE t.id = officer_team_at(sc.officer_id, @now) AND st.code = @street))
		AND (u.username, d.id::text) > (@user, @device)
		ORDER BY u.username, d.id::text LIMIT NULLIF(@limit, 0)`, sql.Named("street", street), sql.Named("now", s.db.now()),
		sql.Named("user", afterUsername), sql.Named("device", afterDevice), sql.Named("limit", limit)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "list device status")
	}
	out := make([]wsync.DeviceStatus, len(rows))
	for i, r := range rows {
		out[i] = wsync.DeviceStatus{DeviceID: r.DeviceID, UserID: r.UserID, Username: r.Username, Name: r.Name, RevokedAt: r.RevokedAt,
			LastPushAt: r.LastPushAt, LastPullAt: r.LastPullAt, LastAppliedSeq: r.LastSeq, QueueDepth: r.QueueDepth,
			OldestUnsentAt: r.OldestUnsentAt, ClockSkewMS: r.ClockSkewMS, AppVersion: r.AppVersion, Flagged: r.Flagged, Rejected: r.Rejected}
	}
	return out, nil
}
