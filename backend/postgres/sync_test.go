package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// feedEvent is one change as a writer committed it or the reader saw it.
type feedEvent struct {
	Scope, Entity string
	Version       int64
	Op            wsync.Op
}

func (e feedEvent) key() string { return fmt.Sprintf("%s/%s@%d", e.Scope, e.Entity, e.Version) }

var errRollback = errors.New("the writer rolls back")

// TestSyncStore_PullConcurrentWriters is the out-of-order commit test: many
// writers publish to the same scopes, each sleeping a random time after it
// took its versions and before it commits (or rolls back), while a reader
// pulls with its cursors all the while, in small pages. In the end the
// reader has seen every committed change exactly once (a version that a
// later one of the same entity replaced may be skipped: the feed holds the
// latest state, not a replay), never a change of a rolled-back
// transaction, versions strictly increasing per scope, and its state is the
// feed's final state.
func TestSyncStore_PullConcurrentWriters(t *testing.T) {
	tests := []struct {
		name         string
		writers, txs int
		scopes       []string
		limit        int
		maxDelayUS   int
		// setWise: each transaction publishes its changes and two more
		// notes in one go, as a set-wise push does (publishAll).
		setWise bool
	}{
		{name: "OKOneScope", writers: 24, txs: 25, scopes: []string{"team:a"}, limit: 5, maxDelayUS: 3000},
		{name: "OKTwoScopesSmallPages", writers: 16, txs: 25, scopes: []string{"team:a", "team:b"}, limit: 3, maxDelayUS: 2000},
		{name: "OKSetWise", writers: 16, txs: 25, scopes: []string{"team:a", "team:b"}, limit: 4, maxDelayUS: 2000, setWise: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			db, _ := pgtest.New(t)
			store := postgres.NewSyncStore(db)
			reader := uuid.NewString() // a device without sync state: Pull reads its last seq as 0

			var (
				mu        sync.Mutex
				committed []feedEvent
				done      atomic.Bool
				wg        sync.WaitGroup
			)
			for w := range tt.writers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					rng := rand.New(rand.NewPCG(uint64(w), 42))
					var own []string // this writer's live entities
					for i := range tt.txs {
						pubs, entity, rollback := writerTx(rng, w, i, tt.scopes, own)
						var got []feedEvent
						if tt.setWise {
							for k := range 2 {
								pubs = append(pubs, postgres.Publication{Scope: tt.scopes[k%len(tt.scopes)], EntityType: "note",
									EntityID: fmt.Sprintf("%s-more-%d", entity, k), State: map[string]any{"writer": w, "tx": i}})
							}
						}
						err := db.Gorm.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
							publish := postgres.PublishInTx
							if tt.setWise {
								publish = postgres.PublishAllInTx
							}
							if err := publish(db, ctx, tx, pubs); err != nil {
								return err
							}
							for _, p := range pubs {
								var v int64
								if err := tx.Raw(`SELECT version FROM sync_changes WHERE scope = ? AND entity_type = 'note' AND entity_id = ?`,
									p.Scope, p.EntityID).Scan(&v).Error; err != nil {
									return err
								}
								op := wsync.Upsert
								if p.State == nil {
									op = wsync.Delete
								}
								got = append(got, feedEvent{Scope: p.Scope, Entity: p.EntityID, Version: v, Op: op})
							}
							// The scope rows stay locked while this transaction sleeps.
							time.Sleep(time.Duration(rng.IntN(tt.maxDelayUS)) * time.Microsecond)
							if rollback {
								return errRollback
							}
							return nil
						})
						if rollback && errors.Is(err, errRollback) {
							continue
						}
						if err != nil {
							t.Errorf("writer %d tx %d: %v", w, i, err)
							return
						}
						if pubs[0].State == nil {
							own = slices.DeleteFunc(own, func(e string) bool { return e == entity })
						} else if !slices.Contains(own, entity) {
							own = append(own, entity)
						}
						mu.Lock()
						committed = append(committed, got...)
						mu.Unlock()
					}
				}()
			}
			go func() { wg.Wait(); done.Store(true) }()

			// The reader pulls all the while, and drains the feed once the
			// writers are done.
			cursors := map[string]int64{}
			for _, s := range tt.scopes {
				cursors[s] = 0
			}
			seen := map[string]bool{}
			final := map[string]feedEvent{} // scope/entity -> latest seen
			pulls, pullsDuringWrites, pages := 0, 0, 0
			for {
				finished := done.Load()
				snap, err := store.Pull(ctx, reader, cursors, tt.limit)
				if err != nil {
					t.Fatal(err)
				}
				pulls++
				if !finished {
					pullsDuringWrites++
				}
				read := 0
				for scope, sc := range snap.Scopes {
					for _, ch := range sc.Changes {
						if ch.Version <= cursors[scope] {
							t.Fatalf("%s: version %d after cursor %d", scope, ch.Version, cursors[scope])
						}
						cursors[scope] = ch.Version
						e := feedEvent{Scope: scope, Entity: ch.EntityID, Version: ch.Version, Op: ch.Op}
						if seen[e.key()] {
							t.Fatalf("change %s seen twice", e.key())
						}
						seen[e.key()] = true
						final[scope+"/"+ch.EntityID] = e
						read++
					}
				}
				if read > 0 {
					pages++
				}
				if finished && read == 0 {
					break
				}
			}
			if t.Failed() {
				return
			}

			// Every committed change was seen, unless a later committed
			// version of the same entity replaced it; versions of a scope
			// are 1..n without a hole (a rolled-back transaction's version
			// is taken again by the next writer).
			byKey := map[string]feedEvent{}
			latest := map[string]int64{}
			versions := map[string][]int64{}
			for _, e := range committed {
				byKey[e.key()] = e
				latest[e.Scope+"/"+e.Entity] = max(latest[e.Scope+"/"+e.Entity], e.Version)
				versions[e.Scope] = append(versions[e.Scope], e.Version)
			}
			for k := range seen {
				if _, ok := byKey[k]; !ok {
					t.Fatalf("the reader saw %s, which no writer committed", k)
				}
			}
			skippedReplaced := 0
			for _, e := range committed {
				if seen[e.key()] {
					continue
				}
				if e.Version == latest[e.Scope+"/"+e.Entity] {
					t.Fatalf("the reader never saw %s, the entity's latest change: a skipped change", e.key())
				}
				skippedReplaced++
			}
			for scope, vs := range versions {
				slices.Sort(vs)
				for i, v := range vs {
					if v != int64(i+1) {
						t.Fatalf("%s: committed versions %v... are not 1..n", scope, vs[:min(len(vs), i+3)])
					}
				}
			}
			// The reader's state is the feed's.
			var rows []struct {
				Scope, EntityID, Op string
				Version             int64
			}
			if err := db.Gorm.Raw(`SELECT scope, entity_id, op, version FROM sync_changes`).Scan(&rows).Error; err != nil {
				t.Fatal(err)
			}
			if len(rows) != len(final) {
				t.Fatalf("the reader holds %d entities, the feed %d", len(final), len(rows))
			}
			for _, r := range rows {
				e := final[r.Scope+"/"+r.EntityID]
				if e.Version != r.Version || string(e.Op) != r.Op {
					t.Fatalf("%s/%s: reader has version %d %s, the feed %d %s", r.Scope, r.EntityID, e.Version, e.Op, r.Version, r.Op)
				}
			}
			if pullsDuringWrites < 10 {
				t.Fatalf("only %d pulls ran while writers were active: the test did not interleave", pullsDuringWrites)
			}
			t.Logf("%d committed changes, %d seen (%d replaced before the reader got to them); %d pulls (%d during writes), %d non-empty pages",
				len(committed), len(seen), skippedReplaced, pulls, pullsDuringWrites, pages)
		})
	}
}

// writerTx is writer w's i-th transaction: mostly a new note, sometimes an
// update or deletion of one of its live notes, sometimes a new note that is
// rolled back. It publishes to one or, with several scopes, sometimes all.
func writerTx(rng *rand.Rand, w, i int, scopes, own []string) (pubs []postgres.Publication, entity string, rollback bool) {
	entity = fmt.Sprintf("w%d-n%d", w, i)
	state := any(map[string]any{"writer": w, "tx": i})
	switch r := rng.IntN(10); {
	case r < 2 && len(own) > 0:
		entity = own[rng.IntN(len(own))] // update
	case r < 3 && len(own) > 0:
		entity, state = own[rng.IntN(len(own))], nil // delete
	case r < 4:
		entity, rollback = fmt.Sprintf("w%d-rolled-back-%d", w, i), true
	}
	targets := scopes[:1]
	if len(scopes) > 1 {
		switch rng.IntN(3) {
		case 0:
			targets = scopes
		case 1:
			targets = scopes[1:]
		}
	}
	if state == nil || slices.Contains(own, entity) {
		// An update or deletion goes to every scope (creating the note,
		// or a tombstone, where it was not yet).
		targets = scopes
	}
	for _, s := range targets {
		pubs = append(pubs, postgres.Publication{Scope: s, EntityType: "note", EntityID: entity, State: state})
	}
	return pubs, entity, rollback
}

// TestSyncStore_PullPages reads a scope in pages of every size while
// nothing changes: each change once, in order, More until the last.
func TestSyncStore_PullPages(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	store := postgres.NewSyncStore(db)
	for i := range 23 {
		scope := "team:a"
		if i%3 == 0 {
			scope = "team:b"
		}
		if err := store.Publish(ctx, postgres.Publication{Scope: scope, EntityType: "note", EntityID: fmt.Sprint(i), State: map[string]int{"i": i}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, limit := range []int{1, 2, 5, 7, 23, 100} {
		t.Run(fmt.Sprintf("OKLimit%d", limit), func(t *testing.T) {
			cursors := map[string]int64{"team:a": 0, "team:b": 0}
			got := map[string]int{}
			for page := 0; ; page++ {
				snap, err := store.Pull(ctx, uuid.NewString(), cursors, limit)
				if err != nil {
					t.Fatal(err)
				}
				n, more := 0, false
				for scope, sc := range snap.Scopes {
					for _, ch := range sc.Changes {
						if ch.Version != cursors[scope]+1 {
							t.Fatalf("%s: version %d after %d", scope, ch.Version, cursors[scope])
						}
						cursors[scope] = ch.Version
						got[scope]++
						n++
					}
					more = more || sc.More
				}
				if n > limit {
					t.Fatalf("page of %d changes with limit %d", n, limit)
				}
				if !more {
					break
				}
			}
			if got["team:a"] != 15 || got["team:b"] != 8 {
				t.Fatalf("read %v, want 15 and 8", got)
			}
		})
	}
}
