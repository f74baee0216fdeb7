package postgres_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"sync"
	"testing"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/postgres"
)

// concludedCase takes a work order in and stores it concluded with a no-penalty decision
// served: complete archives. served false leaves the proof of service out (an incomplete one).
func (e *caseEnv) concludedCase(t *testing.T, served bool) string {
	t.Helper()
	ctx := context.Background()
	in := e.workOrder("CG-002")
	in.ConfirmNew = true
	r, err := e.svc.Intake(ctx, e.users["grid.a"], in)
	if err != nil {
		t.Fatal(err)
	}
	before, err := e.store.Get(ctx, r.ID)
	if err != nil {
		t.Fatal(err)
	}
	after := before
	after.State, after.Outcome, after.Version = casework.StateConcluded, casework.OutcomeNoPenalty, before.Version+1
	after.Facts.RightsNotified, after.Facts.ServiceRecorded = true, served
	c := casework.Change{Record: after, Action: "case.transition.concluded", Feed: casework.Feed(after),
		Clocks: casework.ClocksOf(&before, after, e.db.Clock())}
	if err := e.store.Update(ctx, c, before.Version); err != nil {
		t.Fatal(err)
	}
	return r.ID
}

func (e *caseEnv) archives() (*archive.Service, *postgres.ArchiveStore) {
	store := postgres.NewArchiveStore(e.db)
	return archive.NewService(store, postgres.NewOrgStore(e.db), archive.DefaultRules(), numbering.Format{}, e.db.Clock), store
}

// closeAll closes the cases at once, each in its own goroutine and transaction, and returns
// the archives closed and the errors, by case.
func closeAll(svc *archive.Service, leader string, ids []string) (map[string]archive.Archive, map[string]error) {
	var mu sync.Mutex
	got, errs := map[string]archive.Archive{}, map[string]error{}
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			a, err := svc.Close(context.Background(), leader, id, 0)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs[id] = err
				return
			}
			got[id] = a
		})
	}
	wg.Wait()
	return got, errs
}

func numbers(year int, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("交道口综执档〔%d〕%04d号", year, i+1)
	}
	return out
}

// TestArchiveStore_ConcurrentClosings: 50 closings at once give 0001..0050, no gap, no duplicate.
func TestArchiveStore_ConcurrentClosings(t *testing.T) {
	e := newCaseEnv(t)
	svc, _ := e.archives()
	var ids []string
	for range 50 {
		ids = append(ids, e.concludedCase(t, true))
	}
	got, errs := closeAll(svc, e.users["leader.a"], ids)
	if len(errs) > 0 {
		t.Fatalf("%d closings failed, e.g. %v", len(errs), slices.Collect(maps.Values(errs))[0])
	}
	var nums []string
	for _, a := range got {
		nums = append(nums, a.Number)
	}
	slices.Sort(nums)
	if want := numbers(numbering.YearOf(e.db.Clock()), 50); !slices.Equal(nums, want) {
		t.Fatalf("numbers %v\nwant %v", nums, want)
	}
	var archived int
	e.db.SQL.QueryRow(`SELECT count(*) FROM cases WHERE state = 'archived'`).Scan(&archived)
	if archived != 50 {
		t.Fatalf("%d cases archived", archived)
	}
}

// TestArchiveStore_FailedClosingLeavesNoGap: an incomplete case among concurrent closings, and
// a closing that fails after its number was allocated, give their numbers back.
func TestArchiveStore_FailedClosingLeavesNoGap(t *testing.T) {
	e := newCaseEnv(t)
	svc, store := e.archives()
	var ids []string
	for i := range 10 {
		ids = append(ids, e.concludedCase(t, i != 4))
	}
	got, errs := closeAll(svc, e.users["leader.a"], ids)
	if len(errs) != 1 || derrors.CodeOf(errs[ids[4]]) != derrors.ArchiveIncomplete {
		t.Fatalf("errors %v", errs)
	}
	var ie *archive.IncompleteError
	if !errors.As(errs[ids[4]], &ie) || len(ie.Missing) != 1 || ie.Missing[0].Code != "decision_served" {
		t.Fatalf("the incomplete case's refusal: %v", errs[ids[4]])
	}
	// A closing failing after its number: rolled back, number included.
	late := e.concludedCase(t, true)
	boom := errors.New("the disk is full")
	_, err := store.Close(context.Background(), late, func(in archive.Input, next archive.Sequencer) (archive.Closing, error) {
		if _, err := next(in.Case.StreetCode, numbering.YearOf(e.db.Clock())); err != nil {
			return archive.Closing{}, err
		}
		return archive.Closing{}, boom
	})
	if !errors.Is(err, boom) {
		t.Fatalf("failed closing: %v", err)
	}
	a, err := svc.Close(context.Background(), e.users["leader.a"], late, 0)
	if err != nil {
		t.Fatal(err)
	}
	var nums []string
	for _, a := range got {
		nums = append(nums, a.Number)
	}
	nums = append(nums, a.Number)
	slices.Sort(nums)
	if want := numbers(numbering.YearOf(e.db.Clock()), 10); !slices.Equal(nums, want) {
		t.Fatalf("numbers %v\nwant %v", nums, want)
	}
}
