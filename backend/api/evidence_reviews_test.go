package api_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/openapi"
)

// reviewedCase is a case of street A opened from an inspection record of officer.a (a-cg-03)
// with two verified photos, held by officer.a: what a department reviewer of sj (the record's
// matter SJ-004) reviews.
type reviewedCase struct {
	id, record string
	ev1, ev2   string
}

func newReviewedCase(t *testing.T, f *fixture) reviewedCase {
	t.Helper()
	officer, leader := f.login(t, "officer.a", demo.Password), f.login(t, "leader.a", demo.Password)
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "")
	r.Measures = r.Measures[:0]
	it1, it2 := newItem(testJPEG(t, 32, 24, 901, nil), "image/jpeg", "photo"), newItem(testJPEG(t, 32, 24, 902, nil), "image/jpeg", "photo")
	it1.recordID, it2.recordID = r.ID, r.ID
	expectItem(&r, it1)
	expectItem(&r, it2)
	body, _ := json.Marshal(r)
	if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
		t.Fatalf("record: %d %s", res.Status, res.Body)
	}
	c := reviewedCase{record: r.ID, ev1: upload(t, f.client, officer, it1), ev2: upload(t, f.client, officer, it2)}
	c.id = intake(t, f, leader, `{"inspection_id":"`+r.ID+`"}`).Id.String()
	ok(t, caseAct(t, f, leader, c.id, "reassignment", `{"officer_code":"a-cg-03","reason":"片区"}`, ""))
	return c
}

// uploadToRecord uploads a new photo of officer.a to the record and returns its evidence id.
func uploadToRecord(t *testing.T, f *fixture, record string, seed uint64) string {
	t.Helper()
	it := newItem(testJPEG(t, 32, 24, seed, nil), "image/jpeg", "photo")
	it.recordID = record
	return upload(t, f.client, f.login(t, "officer.a", demo.Password), it)
}

func postReview(t *testing.T, f *fixture, token, caseID, body string) *apitest.Response {
	t.Helper()
	return f.client.For(t).PostJSON("/v1/cases/"+caseID+"/evidence-reviews", body, token)
}

func postAnswer(t *testing.T, f *fixture, token, reviewID, body, ifMatch string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/evidence-reviews/"+reviewID+"/answer", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+token)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(req)
}

func reviewOf(t *testing.T, res *apitest.Response, status int) openapi.EvidenceReview {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%d %s, want %d", res.Status, res.Body, status)
	}
	var r openapi.EvidenceReview
	res.JSON(t, &r)
	return r
}

// invalidField is the first field a 422 names.
func invalidField(t *testing.T, res *apitest.Response) string {
	t.Helper()
	p := res.Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	if len(p.Errors) == 0 {
		t.Fatalf("422 naming no field: %s", res.Body)
	}
	return p.Errors[0].Field
}

// pulledReviews are the evidence reviews a pull from 0 gives the phone, by scope.
func pulledReviews(t *testing.T, p *phone) map[string][]openapi.EvidenceReview {
	t.Helper()
	out := map[string][]openapi.EvidenceReview{}
	for _, sc := range p.pull(map[string]int64{}).Scopes {
		for _, c := range sc.Changes {
			if kind, err := c.Discriminator(); err != nil || kind != "evidence_review" {
				continue
			}
			rc, err := c.AsEvidenceReviewChange()
			if err != nil || rc.State == nil {
				t.Fatalf("evidence_review change: %v %+v", err, rc)
			}
			out[sc.Scope] = append(out[sc.Scope], *rc.State)
		}
	}
	return out
}

// TestEvidenceReviews_ReturnAndAnswer: a department reviewer returns a case's evidence with two
// items; the return reaches the phone of the officer holding the case; he answers offline with a
// new photo and a note; the reviewer sees the answer and accepts.
func TestEvidenceReviews_ReturnAndAnswer(t *testing.T) {
	f := newFixture(t, options{demo: true})
	reviewer, leader := f.login(t, "reviewer.sj", demo.Password), f.login(t, "leader.a", demo.Password)
	officer := f.login(t, "officer.a", demo.Password)
	c := newReviewedCase(t, f)
	elsewhere := newReviewedCase(t, f) // another case of the street, with its own items

	t.Run("ErrOfficerCannotReview", func(t *testing.T) {
		postReview(t, f, officer, c.id, `{"verdict":"accepted"}`).Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrReviewerOfAnotherDepartment", func(t *testing.T) {
		postReview(t, f, f.login(t, "reviewer.sy", demo.Password), c.id, `{"verdict":"accepted"}`).Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrItemOfAnotherCase", func(t *testing.T) {
		body := `{"verdict":"returned","items":[{"evidence_id":"` + c.ev1 + `","reason":"unreadable"},{"evidence_id":"` + elsewhere.ev1 + `","reason":"unreadable"}]}`
		if got := invalidField(t, postReview(t, f, reviewer, c.id, body)); got != "/items/1/evidence_id" {
			t.Errorf("another case's item: %s", got)
		}
	})

	body := `{"verdict":"returned","items":[{"evidence_id":"` + c.ev1 + `","reason":"unreadable","note":"照片模糊"},` +
		`{"evidence_id":"` + c.ev2 + `","reason":"wrong_time","note":"拍摄时间早于检查"}]}`
	ret := reviewOf(t, postReview(t, f, reviewer, c.id, body), http.StatusCreated)
	if ret.Status != openapi.EvidenceReviewStatusReturned || len(ret.Items) != 2 || ret.Version != 1 || ret.DepartmentCode != "sj" {
		t.Fatalf("the return: %+v", ret)
	}
	id := ret.Id.String()
	t.Run("ErrReviewWhileReturned", func(t *testing.T) {
		postReview(t, f, reviewer, c.id, `{"verdict":"accepted"}`).Problem(t, http.StatusConflict, "conflict")
	})

	p := newPhone(t, f, "officer.a")
	pulled := pulledReviews(t, p)
	for _, scope := range []string{"officer:a-cg-03", "team:team-st-a"} {
		if got := pulled[scope]; len(got) != 1 || got[0].Id != ret.Id || got[0].Status != openapi.EvidenceReviewStatusReturned || len(got[0].Items) != 2 {
			t.Fatalf("%s pulls %+v", scope, got)
		}
	}

	t.Run("ErrOfficerNotHoldingTheCase", func(t *testing.T) {
		other := addOfficerLogin(t, f, "officer.a.sj", "a-sj-02")
		postAnswer(t, f, other, id, `{"note":"已补拍"}`, "").Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrOfficerOfAnotherStreet", func(t *testing.T) {
		postAnswer(t, f, f.login(t, "officer.b", demo.Password), id, `{"note":"已补拍"}`, "").Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrAnswerWithAnOldItem", func(t *testing.T) {
		if got := invalidField(t, postAnswer(t, f, officer, id, `{"note":"x","evidence_ids":["`+c.ev1+`"]}`, "")); got != "/evidence_ids/0" {
			t.Errorf("an item uploaded before the return: %s", got)
		}
	})

	// The officer takes the missing photo and answers offline.
	fresh := uploadToRecord(t, f, c.record, 903)
	res := p.push(p.mutation(review.MutationAnswer, id, map[string]any{"note": "已补拍清晰照片", "evidence_ids": []string{fresh}, "version": 1}))
	r := res.Results[0]
	if r.Verdict != openapi.MutationResultVerdictApplied || r.EvidenceReview == nil || r.EvidenceReview.Status != openapi.EvidenceReviewStatusAnswered {
		t.Fatalf("the answer pushed: %s %+v %+v", r.Verdict, r.Problem, r.EvidenceReview)
	}
	if got := pulledReviews(t, p)["officer:a-cg-03"]; len(got) != 1 || got[0].Status != openapi.EvidenceReviewStatusAnswered {
		t.Fatalf("the phone pulls %+v", got)
	}

	t.Run("ErrAnswerTwice", func(t *testing.T) {
		postAnswer(t, f, officer, id, `{"note":"再次答复"}`, "").Problem(t, http.StatusConflict, "conflict")
		if r := p.push(p.mutation(review.MutationAnswer, id, map[string]any{"note": "再次答复"})).Results[0]; r.Verdict != openapi.MutationResultVerdictRejected || r.Problem.Code != "conflict" {
			t.Errorf("a second answer pushed: %s %+v", r.Verdict, r.Problem)
		}
	})
	t.Run("ErrStaleIfMatch", func(t *testing.T) {
		postAnswer(t, f, leader, id, `{"note":"x"}`, `"`+id+`.1"`).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
	})

	seen := reviewOf(t, f.client.For(t).Get("/v1/evidence-reviews/"+id, reviewer), http.StatusOK)
	if a := seen.Answer; a == nil || a.Note != "已补拍清晰照片" || len(a.EvidenceIds) != 1 || a.EvidenceIds[0].String() != fresh {
		t.Fatalf("the reviewer sees %+v", seen.Answer)
	}
	accepted := reviewOf(t, postReview(t, f, reviewer, c.id, `{"verdict":"accepted"}`), http.StatusCreated)
	if accepted.Status != openapi.EvidenceReviewStatusAccepted {
		t.Fatalf("accepted: %+v", accepted)
	}
	var list []openapi.EvidenceReview
	f.client.For(t).Get("/v1/cases/"+c.id+"/evidence-reviews", leader).JSON(t, &list)
	var ids []string
	for _, r := range list {
		ids = append(ids, r.Id.String())
	}
	if !slices.Equal(ids, []string{accepted.Id.String(), id}) {
		t.Fatalf("the case's reviews, newest first: %v", ids)
	}
	f.client.For(t).Get("/v1/cases/"+c.id+"/evidence-reviews", f.login(t, "leader.b", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
}

// seedAcceptedReviews has reviewer.sj accept the evidence of a new case of street A n times (for
// the list walk); it returns the case's id.
func seedAcceptedReviews(t *testing.T, f *fixture, n int) string {
	t.Helper()
	id := intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "SJ-002", "comprehensive")).Id.String()
	reviewer := f.login(t, "reviewer.sj", demo.Password)
	for range n {
		reviewOf(t, postReview(t, f, reviewer, id, `{"verdict":"accepted"}`), http.StatusCreated)
	}
	return id
}

// refWorldReviews makes, for the reference walk, an accepted review of street B's case and a
// return of a case of street A of matter SJ-002 (missing evidence, no item named) for street A's
// callers to answer.
func refWorldReviews(t *testing.T, w *refWorld) {
	t.Helper()
	reviewer := w.f.login(t, "reviewer.sj", demo.Password)
	w.reviewB = reviewOf(t, postReview(t, w.f, reviewer, w.caseB, `{"verdict":"accepted"}`), http.StatusCreated).Id.String()
	caseA := intake(t, w.f, w.tokens["grid.a"], workOrderBody(w.f, "SJ-002", "comprehensive")).Id.String()
	w.reviewA = reviewOf(t, postReview(t, w.f, reviewer, caseA,
		`{"verdict":"returned","items":[{"reason":"missing_angle","note":"缺少店门正面照片"}]}`), http.StatusCreated).Id.String()
}

// reviewReferences are the walk's entries of the evidence review routes.
func reviewReferences(t map[refKey]refEntry) {
	caseB := func(w *refWorld) string { return w.caseB }
	reviewB := func(w *refWorld) string { return w.reviewB }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	t["POST /v1/cases/{id}/evidence-reviews path:id"] = refEntry{class: scoped,
		probe: post("/v1/cases/{id}/evidence-reviews", "id", `{"verdict":"accepted"}`, caseB, unknownID)}
	t["GET /v1/cases/{id}/evidence-reviews path:id"] = refEntry{class: scoped,
		probe: get("/v1/cases/{id}/evidence-reviews", "id", caseB, unknownID)}
	t["POST /v1/cases/{id}/evidence-reviews body/items/*/evidence_id"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(postReview(t, w.f, w.tokens[c.login], w.caseA, `{"verdict":"returned","items":[{"evidence_id":"`+v+`","reason":"unreadable"}]}`))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
	t["GET /v1/evidence-reviews/{review_id} path:review_id"] = refEntry{class: scoped,
		probe: get("/v1/evidence-reviews/{review_id}", "review_id", reviewB, unknownID)}
	t["POST /v1/evidence-reviews/{review_id}/answer path:review_id"] = refEntry{class: scoped,
		probe: post("/v1/evidence-reviews/{review_id}/answer", "review_id", `{"note":"已补拍"}`, reviewB, unknownID)}
	t["POST /v1/evidence-reviews/{review_id}/answer header:If-Match"] = refEntry{class: notRef,
		why: "an entity tag of the review the path names, compared with it as the caller sees it"}
	// An answer to street A's return naming street B's item: refused as for an unknown item (422
	// naming the field for the team leader, 403 for who may not answer), the review unchanged.
	t["POST /v1/evidence-reviews/{review_id}/answer body/evidence_ids/*"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(postAnswer(t, w.f, w.tokens[c.login], w.reviewA, `{"note":"已补拍","evidence_ids":["`+v+`"]}`, ""))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
	t["POST /v1/sync/push args["+review.MutationAnswer+"]/evidence_ids/*"] = refEntry{class: scoped, probe: &refProbe{phoneOnly: true,
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			p := w.phones[c.login]
			return pushAnswer(t, p, p.mutation(review.MutationAnswer, w.reviewA, map[string]any{"note": "已补拍", "evidence_ids": []string{v}}))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
}

// trailReviewCase takes a work order of matter SJ-002 in (a case reviewer.sj sees) and returns
// its id, for the trail walk.
func trailReviewCase(t *testing.T, f *fixture) string {
	t.Helper()
	return intake(t, f, f.login(t, "grid.a", demo.Password), workOrderBody(f, "SJ-002", "comprehensive")).Id.String()
}

// trailReturn has reviewer.sj return the evidence of a new case (evidence missing altogether)
// and returns the review's id, for the trail walk to answer.
func trailReturn(t *testing.T, f *fixture) string {
	t.Helper()
	return reviewOf(t, postReview(t, f, f.login(t, "reviewer.sj", demo.Password), trailReviewCase(t, f),
		`{"verdict":"returned","items":[{"reason":"other","note":"缺少询问笔录的照片"}]}`), http.StatusCreated).Id.String()
}

// recordMatrixReviews has reviewer.sj accept the evidence of the access matrix's case of each
// street (matter SJ-002: sj is the competent department).
func recordMatrixReviews(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	reviewer := f.login(t, "reviewer.sj", demo.Password)
	for street, id := range e.cases {
		e.reviews[street] = reviewOf(t, postReview(t, f, reviewer, id, `{"verdict":"accepted"}`), http.StatusCreated).Id.String()
	}
}

func init() {
	// The reviews of the access matrix: everyone who sees the case sees its reviews (in street A
	// its officers, team leader and the grid operator who took it in; the sj reviewer and the
	// administrator in both streets).
	seers := func() (own, other map[string]outcome) {
		own, other = sameForAll(hidden), sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["grid.a"], own["reviewer.sj"], own["admin"] = visible, visible, visible, visible, visible
		other["reviewer.sj"], other["admin"] = visible, visible
		return own, other
	}
	unknown := "00000000-0000-4000-8000-00000000dead"
	readMatrix["/v1/cases/{id}/evidence-reviews"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own, other := seers()
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			var list []openapi.EvidenceReview
			res.JSON(t, &list)
			if len(list) != 1 {
				t.Errorf("%s lists %d reviews of the case, want its one", c.login, len(list))
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/cases/" + e.cases["st-a"] + "/evidence-reviews", want: own, check: check},
			{name: "other", url: "/v1/cases/" + e.cases["st-b"] + "/evidence-reviews", want: other, check: check},
			{name: "unknown", url: "/v1/cases/" + unknown + "/evidence-reviews", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/evidence-reviews/{review_id}"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own, other := seers()
		return []matrixObject{
			{name: "own", url: "/v1/evidence-reviews/" + e.reviews["st-a"], want: own},
			{name: "other", url: "/v1/evidence-reviews/" + e.reviews["st-b"], want: other},
			{name: "unknown", url: "/v1/evidence-reviews/" + unknown, want: sameForAll(hidden)},
		}
	}
}
