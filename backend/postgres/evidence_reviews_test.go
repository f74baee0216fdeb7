package postgres_test

import (
	"context"
	"sync"
	"testing"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/review"
)

// TestEvidenceReviewStore_OneReturnAtATime: reviewers returning a case's evidence at once get
// one return stored (with its trail entry and its feed changes); the others are refused, and
// leave no row, no trail entry and no feed change. The answer then lets the next review in.
func TestEvidenceReviewStore_OneReturnAtATime(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	c, err := e.svc.Intake(ctx, e.users["grid.a"], e.workOrder("SJ-002"))
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := postgres.NewUserStore(e.db).UserByUsername(ctx, "reviewer.sj")
	if err != nil {
		t.Fatal(err)
	}
	// As the server wires it: the reviewer sees the case under the grant its intake opened.
	e.svc.ReviewedUnder(grant.NewService(postgres.NewGrantStore(e.db), postgres.NewOrgStore(e.db), e.db.Clock))
	store := postgres.NewEvidenceReviewStore(e.db)
	svc := review.NewService(store, e.svc, postgres.NewOrgStore(e.db), e.db.Clock)
	ret := review.Request{Verdict: review.VerdictReturned, Items: []review.Item{{Reason: review.ReasonMissingAngle, Note: "缺少店门正面"}}}

	const reviewers = 8
	var wg sync.WaitGroup
	errs := make([]error, reviewers)
	for i := range reviewers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = svc.Create(ctx, reviewer.ID, c.ID, uuid.NewString(), ret)
		}()
	}
	wg.Wait()
	stored := 0
	for _, err := range errs {
		switch {
		case err == nil:
			stored++
		case derrors.CodeOf(err) != derrors.Conflict:
			t.Fatalf("a concurrent return: %v", err)
		}
	}
	var rows, trail, feed int
	e.db.SQL.QueryRow(`SELECT count(*) FROM evidence_reviews WHERE case_id = $1`, c.ID).Scan(&rows)
	e.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE entity_type = 'evidence_review' AND action = 'evidence_review.returned'`).Scan(&trail)
	e.db.SQL.QueryRow(`SELECT count(*) FROM sync_changes WHERE entity_type = 'evidence_review' AND scope IN ('team:team-st-a', 'officer:a-sj-01')`).Scan(&feed)
	if stored != 1 || rows != 1 || trail != 1 || feed != 2 {
		t.Fatalf("stored %d, rows %d, trail %d, feed %d: want one return, one entry, two scopes", stored, rows, trail, feed)
	}

	list, err := svc.List(ctx, e.users["leader.a"], c.ID, nil, 10)
	if err != nil || len(list) != 1 || len(review.Outstanding(list)) != 1 {
		t.Fatalf("the case's reviews: %+v %v", list, err)
	}
	answered, err := svc.Answer(ctx, e.users["leader.a"], list[0].ID, review.AnswerRequest{Note: "当事人已关门，次日补拍", Version: 1})
	if err != nil || answered.Status != review.StatusAnswered || answered.Version != 2 {
		t.Fatalf("the answer: %+v %v", answered, err)
	}
	if _, err := svc.Answer(ctx, e.users["leader.a"], list[0].ID, review.AnswerRequest{Note: "再答"}); derrors.CodeOf(err) != derrors.Conflict {
		t.Fatalf("a second answer: %v", err)
	}
	if _, err := svc.Create(ctx, reviewer.ID, c.ID, uuid.NewString(), review.Request{Verdict: review.VerdictAccepted}); err != nil {
		t.Fatalf("the review after the answer: %v", err)
	}
	list, err = svc.List(ctx, e.users["leader.a"], c.ID, nil, 10)
	if st := review.StateOf(list); err != nil || !st.Accepted || st.Reviews != 2 {
		t.Fatalf("the case's review state: %+v %v", st, err)
	}
}
