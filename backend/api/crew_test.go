package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// pulled pulls every scope of p to the end and returns the states of
// entity id it got, by scope.
func (p *phone) pulled(id string) map[string]openapi.Inspection {
	p.t.Helper()
	out := map[string]openapi.Inspection{}
	cursors := map[string]int64{}
	for range 50 {
		page := p.pull(cursors)
		for _, sc := range page.Scopes {
			cursors[sc.Scope] = sc.Cursor
			for _, c := range sc.Changes {
				if ic, ok := inspectionChange(p.t, c); ok && ic.EntityId == id && ic.State != nil {
					out[sc.Scope] = *ic.State
				}
			}
		}
		if page.Complete {
			return out
		}
	}
	p.t.Fatal("pull never completes")
	return nil
}

// streetInspection is a record of the team of street ("a" or "b") at act
// for the urban-management matter CG-002, without measures, the phone
// having decided phoneTier, so that what is judged is the crew alone.
func streetInspection(street string, act time.Time, phoneTier string, crew ...string) inspection.Record {
	r := marketInspection(act, crew, "")
	r.TeamCode = "team-st-" + street
	r.MatterCodes = []string{"CG-002"}
	r.Measures = []inspection.Measure{}
	r.PhoneTier = authority.Tier(phoneTier)
	return r
}

func resultCodes(r openapi.MutationResult) string {
	if r.Exceptions == nil {
		return ""
	}
	return strings.Join(exceptionCodes(*r.Exceptions), ",")
}

// TestInspection_CrewOutsideTeam: a crew is judged against the team of the
// record at the act. An officer of another street in the crew is kept and
// flagged for review (joint operations across streets exist), and his
// certificate does not count for the record's street. The record reaches
// his phone only as he may see it online: not at all. Correcting another
// street's record is not found, like reading it.
func TestInspection_CrewOutsideTeam(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officerA := newPhone(t, f, "officer.a") // a-cg-03
	officerB := newPhone(t, f, "officer.b") // b-cg-03
	leaderA := f.login(t, "leader.a", "whistle-demo")
	at := f.story.At("2026-11-10T10:00:00+08:00")

	// a-cg-03 with b-cg-03 of st-b: one urban-management holder of team-st-a,
	// a-sj-01 as second inspector.
	rec := streetInspection("a", at, "onsite_inspection", "a-cg-03", "a-sj-01", "b-cg-03")
	res := officerA.push(officerA.mutation(inspection.MutationRecord, rec.ID, rec))
	r := res.Results[0]
	tier := ""
	if r.State != nil {
		tier = r.State.Assessment.Tier
	}
	if r.Verdict != "accepted_with_exceptions" || resultCodes(r) != "CREW_OUTSIDE_TEAM" || tier != "onsite_inspection" {
		t.Errorf("st-a record naming b-cg-03: verdict %s exceptions %q tier %s; want accepted_with_exceptions CREW_OUTSIDE_TEAM onsite_inspection (problem %+v)",
			r.Verdict, resultCodes(r), tier, r.Problem)
	} else if subject := (*r.Exceptions)[0].Subject; subject == nil || *subject != "b-cg-03" {
		t.Errorf("the exception names %v, want b-cg-03", subject)
	}
	var queue []openapi.Inspection
	f.client.Get("/v1/inspections/review-queue", leaderA).JSON(t, &queue)
	if !slices.ContainsFunc(queue, func(q openapi.Inspection) bool { return q.Record.Id.String() == rec.ID }) {
		t.Errorf("the record is not in st-a's review queue")
	}
	if got := officerA.pulled(rec.ID); !slices.Contains(keys(got), "officer:a-cg-03") {
		t.Errorf("the recording officer's phone lacks the record: scopes %v", keys(got))
	}
	if got := officerB.pulled(rec.ID); len(got) > 0 {
		t.Errorf("b-cg-03's phone got st-a's record through %v; online he gets 404", keys(got))
	}

	// The reverse: an st-b record naming officer.a.
	recB := streetInspection("b", at, "onsite_inspection", "b-cg-03", "b-sj-01", "a-cg-03")
	if r := officerB.push(officerB.mutation(inspection.MutationRecord, recB.ID, recB)).Results[0]; resultCodes(r) != "CREW_OUTSIDE_TEAM" {
		t.Errorf("st-b record naming a-cg-03: verdict %s exceptions %q", r.Verdict, resultCodes(r))
	}
	f.client.Get("/v1/inspections/"+recB.ID, officerA.token).Problem(t, http.StatusNotFound, "not_found")
	if got := officerA.pulled(recB.ID); len(got) > 0 {
		t.Errorf("officer.a's phone got st-b's record through %v; online he gets 404", keys(got))
	}
	amend, _ := json.Marshal(map[string]any{"base_version": 1, "reason": "更正", "record": recB})
	if res := f.client.PostJSON("/v1/inspections/"+recB.ID+"/amendments", string(amend), officerA.token); res.Status != http.StatusNotFound {
		t.Errorf("officer.a amending st-b's record online: %d %s, want 404", res.Status, res.Body)
	}
	if r := officerA.push(officerA.mutation(inspection.MutationAmend, recB.ID,
		inspection.AmendArgs{BaseVersion: 1, Reason: "更正", Record: recB})).Results[0]; r.Verdict != "rejected" || r.Problem.Code != "not_found" {
		t.Errorf("officer.a amending st-b's record by sync = %s %+v, want rejected not_found", r.Verdict, r.Problem)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestInspection_FormNumberForeign: a form number from another device's
// block is the recording act's exception and never touches that block.
func TestInspection_FormNumberForeign(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officerA := newPhone(t, f, "officer.a")
	officerB := newPhone(t, f, "officer.b")
	var blockA, blockB openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":3}`, officerA.token).JSON(t, &blockA)
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":3}`, officerB.token).JSON(t, &blockB)
	foreign := fmt.Sprintf("%s%d", blockB.Prefix, blockB.First)
	at := f.story.At("2026-11-10T10:00:00+08:00")

	recA := marketInspection(at, []string{"a-cg-03", "a-sj-01", "a-sj-02"}, foreign)
	if r := officerA.push(officerA.mutation(inspection.MutationRecord, recA.ID, recA)).Results[0]; r.Verdict != "accepted_with_exceptions" || resultCodes(r) != "FORM_NUMBER_FOREIGN" {
		t.Fatalf("officer.a citing officer.b's form number: verdict %s exceptions %q, want accepted_with_exceptions FORM_NUMBER_FOREIGN", r.Verdict, resultCodes(r))
	}
	var rep openapi.NumberBlockReport
	f.client.Get("/v1/number-blocks/"+blockB.Id.String()+"/report", officerB.token).JSON(t, &rep)
	if len(rep.Used) != 0 || !slices.Contains(rep.Unused, blockB.First) {
		t.Fatalf("officer.b's block after officer.a cited it: used %v, unused %v; want %d unused", rep.Used, rep.Unused, blockB.First)
	}

	// officer.b's own use of the number is clean.
	recB := marketInspection(at, []string{"b-cg-03", "b-sj-01", "b-sj-02"}, foreign)
	recB.TeamCode = "team-st-b"
	if r := officerB.push(officerB.mutation(inspection.MutationRecord, recB.ID, recB)).Results[0]; r.Verdict != "applied" {
		t.Fatalf("officer.b using his own form number: verdict %s exceptions %q, want applied", r.Verdict, resultCodes(r))
	}
	f.client.Get("/v1/number-blocks/"+blockB.Id.String()+"/report", officerB.token).JSON(t, &rep)
	if len(rep.Used) != 1 || rep.Used[0].InspectionId.String() != recB.ID {
		t.Fatalf("officer.b's block: used %v, want %d by %s", rep.Used, blockB.First, recB.ID)
	}
}

// TestInspection_RecorderNotInCrew: a phone whose own officer is not in the
// crew (auxiliary staff recorded on an officer's phone) is never dropped
// (DOMAIN.md section 3): kept, flagged, in the review queue. Online too.
func TestInspection_RecorderNotInCrew(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")
	at := f.story.At("2026-11-10T10:00:00+08:00")

	synced := streetInspection("a", at, "onsite_investigation", "a-aux-01", "a-aux-02")
	r := officer.push(officer.mutation(inspection.MutationRecord, synced.ID, synced)).Results[0]
	if r.Verdict != "accepted_with_exceptions" || resultCodes(r) != "RECORDER_NOT_IN_CREW" {
		t.Fatalf("auxiliary-only crew on officer.a's phone: verdict %s exceptions %q, want accepted_with_exceptions RECORDER_NOT_IN_CREW (problem %+v)",
			r.Verdict, resultCodes(r), r.Problem)
	}

	online := streetInspection("a", at, "onsite_investigation", "a-aux-03")
	body, _ := json.Marshal(online)
	res := f.client.PostJSON("/v1/inspections", string(body), officer.token)
	if res.Status != http.StatusCreated {
		t.Fatalf("online, auxiliary-only crew: %d %s", res.Status, res.Body)
	}
	var st openapi.Inspection
	res.JSON(t, &st)
	if len(st.Assessment.Exceptions) != 1 || st.Assessment.Exceptions[0].Code != "RECORDER_NOT_IN_CREW" || st.Review != "pending" {
		t.Fatalf("online: exceptions %v review %s", st.Assessment.Exceptions, st.Review)
	}

	var queue []openapi.Inspection
	f.client.Get("/v1/inspections/review-queue", leader).JSON(t, &queue)
	for _, id := range []string{synced.ID, online.ID} {
		if !slices.ContainsFunc(queue, func(q openapi.Inspection) bool { return q.Record.Id.String() == id }) {
			t.Fatalf("record %s is not in the review queue", id)
		}
	}
}
