package postgres_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/whistle"
)

// TestWhistleStore_ConcurrentRaises: 20 whistles raised at once give 0001..0020 (no gap, no
// duplicate), and a raise refused after its number (an unknown department) gives it back; the
// archive counter of the same street and year is a series of its own.
func TestWhistleStore_ConcurrentRaises(t *testing.T) {
	e := newCaseEnv(t)
	svc := whistle.NewService(postgres.NewWhistleStore(e.db), postgres.NewOrgStore(e.db), whistle.DefaultDeadlines(),
		numbering.MustParse(whistle.DefaultNumberFormat), numbering.YearOf, e.db.Clock, uuid.NewString)
	req := func(deps ...string) whistle.RaiseRequest {
		return whistle.RaiseRequest{Type: "key", Scope: whistle.ScopeIndividual, Source: whistle.SourcePatrol, Channel: "巡查",
			Description: "井盖缺失", Receiver: "钱玉兰", Departments: deps,
			Filing: &whistle.Filing{FiledAt: e.db.Clock().Add(-time.Minute), FiledBy: "周敏", Reference: "DC-1"}}
	}
	var mu sync.Mutex
	var nums []string
	var wg sync.WaitGroup
	for i := range 21 {
		wg.Go(func() {
			deps := []string{"cg"}
			if i == 20 {
				deps = []string{"zz"}
			}
			w, err := svc.Raise(context.Background(), e.users["grid.a"], req(deps...))
			mu.Lock()
			defer mu.Unlock()
			if err == nil {
				nums = append(nums, w.Number)
			} else if i != 20 {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	slices.Sort(nums)
	year := numbering.YearOf(e.db.Clock())
	want := make([]string, 20)
	for i := range want {
		want[i] = fmt.Sprintf("交道口吹哨〔%d〕%04d号", year, i+1)
	}
	if !slices.Equal(nums, want) {
		t.Fatalf("numbers %v\nwant %v", nums, want)
	}
	var calls int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM whistle_calls WHERE street_code = 'st-a' AND department_code = 'cg'`).Scan(&calls); err != nil || calls != 20 {
		t.Errorf("calls of cg: %d %v", calls, err)
	}
}
