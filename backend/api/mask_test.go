package api_test

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// TestInspection_PartyNameMasked: a person's name is personal data like
// the ID number, phone and address: masked (the surname kept) for the
// administrator, in every list and in the review queue, in full for the
// case team. An organisation's name is public.
func TestInspection_PartyNameMasked(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	admin := f.login(t, "admin", "whistle-demo")
	leader := f.login(t, "leader.a", "whistle-demo")
	grid := f.login(t, "grid.a", "whistle-demo")

	// A fine above the simple-procedure ceiling for a person: flagged, so
	// the record is in the review queue too.
	person := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-MASK-1")
	person.Party = &inspection.Party{Kind: inspection.PartyPerson, Name: "刘德华", IDType: "resident_id", IDNumber: "110101199001011234",
		Phone: "13912345678", Address: "东城区南锣鼓巷 88 号"}
	shop := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-MASK-2")
	for _, r := range []inspection.Record{person, shop} {
		body, _ := json.Marshal(r)
		if res := f.client.PostJSON("/v1/inspections", string(body), officer); res.Status != http.StatusCreated {
			t.Fatalf("record: %d %s", res.Status, res.Body)
		}
	}
	partyName := func(t *testing.T, res []byte, id string, list bool) string {
		t.Helper()
		var records []openapi.Inspection
		if list {
			if err := json.Unmarshal(res, &records); err != nil {
				t.Fatal(err)
			}
		} else {
			var one openapi.Inspection
			if err := json.Unmarshal(res, &one); err != nil {
				t.Fatal(err)
			}
			records = []openapi.Inspection{one}
		}
		for _, r := range records {
			if r.Record.Id.String() == id && r.Record.Party != nil {
				return r.Record.Party.Name
			}
		}
		t.Fatalf("record %s not in %s", id, res)
		return ""
	}
	tests := []struct {
		name, url, token string
		list             bool
		id, want         string
	}{
		{"OKCrewInFull", "/v1/inspections/" + person.ID, officer, false, person.ID, "刘德华"},
		{"OKTeamLeaderInFull", "/v1/inspections/" + person.ID, leader, false, person.ID, "刘德华"},
		{"OKAdminMasked", "/v1/inspections/" + person.ID, admin, false, person.ID, "刘**"},
		{"OKGridOperatorMasked", "/v1/inspections/" + person.ID, grid, false, person.ID, "刘**"},
		{"OKListMasked", "/v1/inspections", leader, true, person.ID, "刘**"},
		{"OKAdminListMasked", "/v1/inspections", admin, true, person.ID, "刘**"},
		{"OKReviewQueueMasked", "/v1/inspections/review-queue", leader, true, person.ID, "刘**"},
		{"OKOrganisationPublic", "/v1/inspections", admin, true, shop.ID, "南锣小吃店"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).Get(tt.url, tt.token)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", tt.url, res.Status, res.Body)
			}
			if got := partyName(t, res.Body, tt.id, tt.list); got != tt.want {
				t.Errorf("GET %s: party name %q, want %q", tt.url, got, tt.want)
			}
		})
	}
}
