package postgres

import (
	"context"
	"database/sql/driver"
	"encoding/json"
	"errors"
	"runtime"
	"slices"
	"sync"
	"time"

	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
	wsync "github.com/whistle/whistle/sync"
)

// The set-wise side of the sync store (issue 13): a push's verdicts and
// feed changes written with one statement per table.

var _ wsync.BatchStore = (*SyncStore)(nil)

// RecordedSeqs returns the stored hash and result of each of seqs that the
// device's pushes processed, in one query.
func (s *SyncStore) RecordedSeqs(ctx context.Context, deviceID string, seqs []int64) (map[int64]wsync.Stored, error) {
	var rows []struct {
		Seq         int64
		PayloadHash []byte
		Result      []byte
	}
	err := s.db.conn(ctx).Raw(`SELECT seq, payload_hash, convert_to(result::text, 'UTF8') AS result FROM sync_mutations
		WHERE device_id = ? AND seq IN ?`, deviceID, seqs).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load mutations")
	}
	out := make(map[int64]wsync.Stored, len(rows))
	for _, r := range rows {
		res, err := resultFromJSON(r.Result)
		if err != nil {
			return nil, err
		}
		out[r.Seq] = wsync.Stored{Hash: r.PayloadHash, Result: res}
	}
	return out, nil
}

// RecordAll stores the outcomes of recs with one multi-row insert and makes
// the last one the device's last applied number, in the transaction of ctx.
func (s *SyncStore) RecordAll(ctx context.Context, deviceID string, recs []wsync.Recording) error {
	if len(recs) == 0 {
		return nil
	}
	n := len(recs)
	var (
		seqs, boot         = make([]int64, n), make([]int64, n)
		names, entities    = make([]string, n), make([]string, n)
		verdicts, results  = make([]string, n), make([]string, n)
		walls, received    = make([]time.Time, n), make([]time.Time, n)
		wallTexts          = make([]string, n)
		args, sigs, hashes = make([][]byte, n), make([][]byte, n), make([][]byte, n)
	)
	for i, r := range recs {
		result, err := resultJSON(r.Result)
		if err != nil {
			return err
		}
		m := r.Mutation
		seqs[i], names[i], entities[i], args[i] = m.Seq, m.Name, m.EntityID, m.Args
		walls[i], wallTexts[i], boot[i] = m.Clock.Wall.Time(), m.Clock.Wall.String(), m.Clock.SinceBootMS
		sigs[i], hashes[i], verdicts[i], results[i], received[i] = m.Signature, r.Hash, string(r.Result.Verdict), result, r.At
	}
	tx := s.db.conn(ctx)
	err := tx.Exec(`INSERT INTO sync_mutations (device_id, seq, name, entity_id, args, clock_wall, clock_wall_text, clock_since_boot_ms,
			signature, payload_hash, verdict, result, received_at)
		SELECT ?::uuid, seq, name, entity_id::uuid, args, wall, wall_text, boot, sig, hash, verdict, result::jsonb, received
		FROM unnest(?::bigint[], ?::text[], ?::text[], ?::bytea[], ?::timestamptz[], ?::text[], ?::bigint[], ?::bytea[], ?::bytea[],
			?::text[], ?::text[], ?::timestamptz[])
			AS u(seq, name, entity_id, args, wall, wall_text, boot, sig, hash, verdict, result, received)`,
		deviceID, pgArray[int64](seqs), pgArray[string](names), pgArray[string](entities), pgArray[[]byte](args),
		pgArray[time.Time](walls), pgArray[string](wallTexts), pgArray[int64](boot), pgArray[[]byte](sigs), pgArray[[]byte](hashes),
		pgArray[string](verdicts), pgArray[string](results), pgArray[time.Time](received)).Error
	if err != nil {
		return translate(err, "record mutations")
	}
	last := recs[len(recs)-1]
	err = tx.Exec(`UPDATE device_sync SET last_seq = ?, last_push_at = ?, failing_seq = NULL, failures = 0 WHERE device_id = ?`,
		last.Mutation.Seq, last.At, deviceID).Error
	return translate(err, "record mutations")
}

// pgArray passes a slice as one array parameter (GORM would expand a bare
// slice into a list of parameters), for the set-wise writes: one
// INSERT ... SELECT FROM unnest(...) per table, a parameter per column
// whatever the number of rows.
type pgArray[T any] []T

// Value hands the slice to pgx, which encodes it as an array.
func (a pgArray[T]) Value() (driver.Value, error) { return []T(a), nil }

// onEveryCPU runs fn(0) to fn(n-1) spread over GOMAXPROCS goroutines and
// returns their errors joined, for the CPU-bound preparation of a set-wise
// write.
func onEveryCPU(n int, fn func(i int) error) error {
	errs := make([]error, n)
	workers := min(runtime.GOMAXPROCS(0), n)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := w; i < n; i += workers {
				errs[i] = fn(i)
			}
		})
	}
	wg.Wait()
	return errors.Join(slices.DeleteFunc(errs, func(err error) bool { return err == nil })...)
}

// OriginPublication is a change to publish with the device act it comes
// from (zero for none), for publishing the changes of many acts at once.
type OriginPublication struct {
	Publication
	Origin wsync.Origin
}

// publishAll writes pubs to the feed inside tx as publish does, in one
// statement per scope for the versions and one for all the changes: each
// scope's row is locked (in sorted order, as publish locks them) and
// advanced by the number of its changes, which take its next versions in
// the order of pubs. The rows stay locked until commit, so versions still
// become visible in commit order and no cursor skips a change. An entity
// published twice to one scope fails the statement (derrors.Conflict):
// the caller applies such changes one at a time.
func (db *DB) publishAll(ctx context.Context, tx *gorm.DB, pubs []OriginPublication) error {
	if len(pubs) == 0 {
		return nil
	}
	count := map[string]int64{}
	for _, p := range pubs {
		count[p.Scope]++
	}
	scopes := make([]string, 0, len(count))
	for scope := range count {
		scopes = append(scopes, scope)
	}
	slices.Sort(scopes)
	next := make(map[string]int64, len(scopes)) // the first version of each scope's changes
	for _, scope := range scopes {
		var top []int64
		err := tx.Raw(`INSERT INTO sync_scopes (scope, version) VALUES (?, ?)
			ON CONFLICT (scope) DO UPDATE SET version = sync_scopes.version + EXCLUDED.version RETURNING version`,
			scope, count[scope]).Scan(&top).Error
		if err != nil {
			return err
		}
		if len(top) != 1 {
			return derrors.New(derrors.Internal, "publish: scope %q did not advance", scope)
		}
		next[scope] = top[0] - count[scope] + 1
	}
	n := len(pubs)
	var (
		scopes2, types, ids, ops = make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		versions                 = make([]int64, n)
		states, devices          = make([]*string, n), make([]*string, n)
		seqs                     = make([]*int64, n)
	)
	// The states, encoded on every CPU: most of the work of a big batch,
	// unless the publisher encoded them already (json.RawMessage, as
	// json.Marshal writes it).
	if err := onEveryCPU(n, func(i int) error {
		if pubs[i].State == nil {
			return nil
		}
		b, encoded := pubs[i].State.(json.RawMessage)
		if !encoded {
			var err error
			if b, err = json.Marshal(pubs[i].State); err != nil {
				return err
			}
		}
		state := string(b)
		states[i] = &state
		return nil
	}); err != nil {
		return err
	}
	for i, p := range pubs {
		ops[i] = "delete"
		if p.State != nil {
			ops[i] = "upsert"
		}
		if p.Origin.DeviceID != "" {
			device, seq := p.Origin.DeviceID, p.Origin.Seq
			devices[i], seqs[i] = &device, &seq
		}
		scopes2[i], types[i], ids[i], versions[i] = p.Scope, p.EntityType, p.EntityID, next[p.Scope]
		next[p.Scope]++
	}
	return tx.Exec(`INSERT INTO sync_changes (scope, entity_type, entity_id, version, op, state, origin_device, origin_seq, changed_at)
		SELECT scope, entity_type, entity_id, version, op, state::jsonb, origin_device::uuid, origin_seq, ?::timestamptz
		FROM unnest(?::text[], ?::text[], ?::text[], ?::bigint[], ?::text[], ?::text[], ?::text[], ?::bigint[])
			AS u(scope, entity_type, entity_id, version, op, state, origin_device, origin_seq)
		ON CONFLICT (scope, entity_type, entity_id) DO UPDATE SET version = EXCLUDED.version, op = EXCLUDED.op,
			state = EXCLUDED.state, origin_device = EXCLUDED.origin_device, origin_seq = EXCLUDED.origin_seq,
			changed_at = EXCLUDED.changed_at`,
		db.now(), pgArray[string](scopes2), pgArray[string](types), pgArray[string](ids), pgArray[int64](versions),
		pgArray[string](ops), pgArray[*string](states), pgArray[*string](devices), pgArray[*int64](seqs)).Error
}
