package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// phone is a registered device of a demo officer, logged in with it.
type phone struct {
	t     *testing.T
	f     *fixture
	id    string
	key   ed25519.PrivateKey
	token string
	seq   int64
}

func newPhone(t *testing.T, f *fixture, username string) *phone {
	t.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	p := registerPhone(t, f, username, pub)
	p.key = key
	return p
}

// registerPhone registers a device with public key pub for username and
// logs in with it; the phone keeps its private key.
func registerPhone(t *testing.T, f *fixture, username string, pub ed25519.PublicKey) *phone {
	t.Helper()
	tok := f.login(t, username, "whistle-demo")
	var dev openapi.Device
	res := f.client.PostJSON("/v1/devices", `{"public_key":"`+base64.StdEncoding.EncodeToString(pub)+`","name":"`+username+` phone"}`, tok)
	if res.Status != http.StatusCreated {
		t.Fatalf("register device: %d %s", res.Status, res.Body)
	}
	res.JSON(t, &dev)
	var sess openapi.Session
	res = f.client.PostJSON("/v1/auth/login", `{"username":"`+username+`","password":"whistle-demo","device_id":"`+dev.Id.String()+`"}`, "")
	res.JSON(t, &sess)
	return &phone{t: t, f: f, id: dev.Id.String(), token: sess.AccessToken}
}

// mutation records an act offline: numbered and signed, not yet pushed.
func (p *phone) mutation(name, entity string, args any) wsync.Mutation {
	p.t.Helper()
	b, err := json.Marshal(args)
	if err != nil {
		p.t.Fatal(err)
	}
	p.seq++
	m := wsync.Mutation{Seq: p.seq, EntityID: entity, Name: name, Args: b,
		Clock: wsync.Clock{Wall: wsync.WallAt(p.f.now()), SinceBootMS: 3600_000 + p.seq}}
	return wsync.Sign(p.key, p.id, m)
}

func (p *phone) push(ms ...wsync.Mutation) openapi.PushResponse {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"mutations": ms, "report": map[string]any{"queue_depth": 0, "app_version": "1.0.0"}})
	res := p.f.client.For(p.t).PostJSON("/v1/sync/push", string(body), p.token)
	if res.Status != http.StatusOK {
		p.t.Fatalf("push: %d %s", res.Status, res.Body)
	}
	var out openapi.PushResponse
	res.JSON(p.t, &out)
	return out
}

func (p *phone) pull(cursors map[string]int64) openapi.PullResponse {
	p.t.Helper()
	body, _ := json.Marshal(map[string]any{"cursors": cursors})
	res := p.f.client.For(p.t).PostJSON("/v1/sync/pull", string(body), p.token)
	if res.Status != http.StatusOK {
		p.t.Fatalf("pull: %d %s", res.Status, res.Body)
	}
	var out openapi.PullResponse
	res.JSON(p.t, &out)
	return out
}

// marketInspection is officer.a (a-cg-03) with market-regulation officers
// at a shop that does not mark its prices (SJ-004), fining it.
func marketInspection(act time.Time, crew []string, formNumber string) inspection.Record {
	r := inspection.Record{
		ID: uuid.NewString(), TeamCode: "team-st-a", MatterCodes: []string{"SJ-004"},
		Location:  inspection.Location{Lat: 39.9390, Lon: 116.4030, AccuracyM: 8, Address: "东城区南锣鼓巷 88 号"},
		StartedAt: inspection.DeviceTime{Wall: act, SinceBootMS: 5_000_000},
		Party: &inspection.Party{Kind: inspection.PartyOrganisation, Name: "南锣小吃店", IDType: "uscc", IDNumber: "91110101MA01ABCD2X",
			Phone: "13912345678", Address: "东城区南锣鼓巷 88 号", BusinessLicence: "110101000123456"},
		Findings: "商品未明码标价", PhoneTier: "enforcement", RecordText: "现场检查发现该店铺商品未标价。\n当事人称\"忘记了\"，路径 C:\\temp。",
		Measures:   []inspection.Measure{{Kind: "fine_simple", MatterCode: "SJ-004", Fine: &inspection.Fine{AmountYuan: 500, FormNumber: formNumber}}},
		Evidence:   []inspection.ExpectedEvidence{},
		Signatures: inspection.Signatures{Officers: []inspection.OfficerSignature{}},
	}
	for _, c := range crew {
		r.Crew = append(r.Crew, inspection.CrewCheckIn{OfficerCode: c, CheckedInAt: act.Add(-5 * time.Minute)})
	}
	return r
}

// inspectionChange is c as a change of an inspection, if it is one.
func inspectionChange(t testing.TB, c openapi.Change) (openapi.InspectionChange, bool) {
	t.Helper()
	kind, err := c.Discriminator()
	if err != nil {
		t.Fatal(err)
	}
	if kind != "inspection" {
		return openapi.InspectionChange{}, false
	}
	ic, err := c.AsInspectionChange()
	if err != nil {
		t.Fatal(err)
	}
	return ic, true
}

func deref[T any](p *T) T {
	if p == nil {
		var zero T
		return zero
	}
	return *p
}

func exceptionCodes(es []openapi.SyncException) []string {
	var out []string
	for _, e := range es {
		out = append(out, e.Code)
	}
	return out
}

// TestInspection_OfflineReviewLoop is the story: an act recorded
// offline, synced, flagged for a measure beyond its tier, returned by the
// team leader, amended, approved, with its version history.
func TestInspection_OfflineReviewLoop(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")

	// Online first: a block of penalty decision form numbers for the day.
	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":10}`, officer.token).JSON(t, &block)
	form := fmt.Sprintf("%s%d", block.Prefix, block.First)

	// Offline on 2026-11-10: only a-sj-02 of market regulation is there, whose
	// certificate was valid then and has expired since (2026-11-20).
	rec := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-02"}, form)
	res := officer.push(officer.mutation(inspection.MutationRecord, rec.ID, rec))
	if len(res.Results) != 1 || res.Results[0].Verdict != "accepted_with_exceptions" {
		t.Fatalf("push = %+v", res)
	}
	got := exceptionCodes(*res.Results[0].Exceptions)
	if strings.Join(got, ",") != "TIER_DIFFERS_FROM_PHONE,MEASURE_BEYOND_TIER" {
		t.Fatalf("exceptions = %v, want the tier differing from the phone's and the fine beyond it", got)
	}
	var st openapi.Inspection
	f.client.Get("/v1/inspections/"+rec.ID, leader).JSON(t, &st)
	if st.Assessment.Tier != "onsite_inspection" || st.Review != "pending" || st.Version != 1 {
		t.Fatalf("server view = tier %s review %s version %d; a-sj-02's certificate was valid at the act", st.Assessment.Tier, st.Review, st.Version)
	}

	// The team leader returns it.
	var queue []openapi.Inspection
	f.client.Get("/v1/inspections/review-queue", leader).JSON(t, &queue)
	if len(queue) != 1 {
		t.Fatalf("review queue has %d records", len(queue))
	}
	res2 := f.client.PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":1,"decision":"return","reasons":["罚款须由两名市场监管执法人员作出"]}`, leader)
	res2.JSON(t, &st)
	if st.Review != "returned" {
		t.Fatalf("after return: %s", res2.Body)
	}

	// The officer sees the returned record through sync, in full (case team).
	page := officer.pull(map[string]int64{})
	var returned *openapi.Inspection
	for _, sc := range page.Scopes {
		for _, c := range sc.Changes {
			if ic, ok := inspectionChange(t, c); ok && sc.Scope == "officer:a-cg-03" && ic.EntityId == rec.ID {
				returned = ic.State
			}
		}
	}
	if returned == nil || returned.Review != "returned" {
		t.Fatalf("the returned record is not in the officer's scope: %+v", page.Scopes)
	}
	if party := returned.Record.Party; party == nil || deref(party.IdNumber) != "91110101MA01ABCD2X" {
		t.Fatalf("the case team sees the party masked: %+v", party)
	}

	// Amended offline: a second market-regulation officer was there.
	fixed := rec
	fixed.Crew = append(fixed.Crew, inspection.CrewCheckIn{OfficerCode: "a-sj-01", CheckedInAt: rec.StartedAt.Wall.Add(-5 * time.Minute)})
	res = officer.push(officer.mutation(inspection.MutationAmend, rec.ID, inspection.AmendArgs{BaseVersion: 1, Reason: "补录在场的第二名市场监管执法人员", Record: fixed}))
	if res.Results[0].Verdict != "applied" {
		t.Fatalf("amend = %+v", res.Results[0])
	}
	f.client.Get("/v1/inspections/"+rec.ID, leader).JSON(t, &st)
	if st.Version != 2 || st.Review != "pending" || st.Assessment.Tier != "enforcement" || len(st.Assessment.Exceptions) != 0 {
		t.Fatalf("after amendment: version %d review %s tier %s exceptions %v", st.Version, st.Review, st.Assessment.Tier, st.Assessment.Exceptions)
	}
	// Approving an old version is refused; the current one is approved.
	f.client.PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":1,"decision":"approve"}`, leader).Problem(t, http.StatusConflict, "conflict")
	f.client.PostJSON("/v1/inspections/"+rec.ID+"/review", `{"version":2,"decision":"approve"}`, leader).JSON(t, &st)
	if st.Review != "approved" {
		t.Fatalf("not approved: %+v", st)
	}
	// An approved record is closed.
	res = officer.push(officer.mutation(inspection.MutationAmend, rec.ID, inspection.AmendArgs{BaseVersion: 2, Reason: "again", Record: fixed}))
	if res.Results[0].Verdict != "rejected" || res.Results[0].Problem.Code != "conflict" {
		t.Fatalf("amending an approved record = %+v", res.Results[0])
	}

	// The history keeps both versions and the loop.
	var h openapi.InspectionHistory
	f.client.Get("/v1/inspections/"+rec.ID+"/versions", leader).JSON(t, &h)
	if len(h.Versions) != 2 || len(h.Reviews) != 2 || h.Reviews[0].Decision != "return" || h.Reviews[1].Decision != "approve" ||
		h.Versions[1].Reason != "补录在场的第二名市场监管执法人员" || h.Versions[0].Author != "officer.a" {
		t.Fatalf("history = %+v", h)
	}
	var diff []openapi.FieldChange
	f.client.Get("/v1/inspections/"+rec.ID+"/diff?from=1&to=2", leader).JSON(t, &diff)
	fields := []string{}
	for _, d := range diff {
		fields = append(fields, d.Field)
	}
	if strings.Join(fields, ",") != "/crew/2/checked_in_at,/crew/2/officer_code" {
		t.Fatalf("diff fields = %v", fields)
	}
}

func TestInspection_Checks(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":5}`, officer.token).JSON(t, &block)
	form := func(i int64) string { return fmt.Sprintf("%s%d", block.Prefix, block.First+i) }

	tests := []struct {
		name      string
		record    inspection.Record
		verdict   string
		wantCodes string
		wantTier  string
	}{
		{"OKTwoHolders", marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, form(0)),
			"applied", "", "enforcement"},
		{"ErrExpiredAtTheAct", marketInspection(f.story.At("2026-11-25T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, form(1)),
			"accepted_with_exceptions", "TIER_DIFFERS_FROM_PHONE,MEASURE_BEYOND_TIER", "onsite_inspection"},
		{"ErrFormNumberOutsideBlock", marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-2026-99999"),
			"accepted_with_exceptions", "FORM_NUMBER_OUTSIDE_BLOCK", "enforcement"},
		{"ErrFormNumberReused", marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, form(0)),
			"accepted_with_exceptions", "FORM_NUMBER_REUSED", "enforcement"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			officer.t = t
			res := officer.push(officer.mutation(inspection.MutationRecord, tt.record.ID, tt.record))
			r := res.Results[0]
			codes := ""
			if r.Exceptions != nil {
				codes = strings.Join(exceptionCodes(*r.Exceptions), ",")
			}
			if r.Verdict != openapi.MutationResultVerdict(tt.verdict) || codes != tt.wantCodes {
				t.Fatalf("verdict %s exceptions %q, want %s %q (problem %+v)", r.Verdict, codes, tt.verdict, tt.wantCodes, r.Problem)
			}
			if tier := r.State.Assessment.Tier; tier != tt.wantTier {
				t.Fatalf("tier = %v, want %s", tier, tt.wantTier)
			}
		})
	}
	officer.t = t

	t.Run("ErrRejectedStructure", func(t *testing.T) {
		officer.t = t
		bad := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03"}, form(2))
		bad.MatterCodes = []string{"NOPE-1"}
		bad.Measures = nil
		bad.Location.Lat = 95
		res := officer.push(officer.mutation(inspection.MutationRecord, bad.ID, bad))
		r := res.Results[0]
		if r.Verdict != "rejected" || r.Problem == nil || r.Problem.Code != "validation_failed" {
			t.Fatalf("result = %+v", r)
		}
		// A rejected act never blocks the queue: the next one applies.
		next := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, form(3))
		if v := officer.push(officer.mutation(inspection.MutationRecord, next.ID, next)).Results[0].Verdict; v != "applied" {
			t.Fatalf("the act after a rejected one: %s", v)
		}
	})
	t.Run("ErrForAnotherStreet", func(t *testing.T) {
		other := newPhone(t, f, "officer.b")
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01"}, form(4))
		res := other.push(other.mutation(inspection.MutationRecord, r.ID, r))
		if res.Results[0].Verdict != "rejected" || res.Results[0].Problem.Code != "forbidden" {
			t.Fatalf("a device pushing for another team's officers = %+v", res.Results[0])
		}
	})
	t.Run("OnlineRecordAndMasking", func(t *testing.T) {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-ONLINE-1")
		body, _ := json.Marshal(r)
		var st openapi.Inspection
		res := f.client.PostJSON("/v1/inspections", string(body), officer.token)
		res.JSON(t, &st)
		if res.Status != http.StatusCreated {
			t.Fatalf("online record: %d %s", res.Status, res.Body)
		}
		if again := f.client.PostJSON("/v1/inspections", string(body), officer.token); again.Status != http.StatusOK {
			t.Fatalf("the same record again: %d, want 200 (as sync answers duplicate)", again.Status)
		}
		cases := []struct {
			user   string
			status int
			masked bool
		}{
			{"officer.a", 200, false}, {"leader.a", 200, false}, {"grid.a", 200, true}, {"admin", 200, true},
			{"officer.b", 404, false}, {"leader.b", 404, false}, {"reviewer.sj", 404, false}, {"community.a1", 404, false},
		}
		for _, c := range cases {
			tok := f.login(t, c.user, "whistle-demo")
			res := f.client.Get("/v1/inspections/"+r.ID, tok)
			if res.Status != c.status {
				t.Fatalf("%s gets %d, want %d", c.user, res.Status, c.status)
			}
			if res.Status != 200 {
				continue
			}
			full := strings.Contains(string(res.Body), "91110101MA01ABCD2X") || strings.Contains(string(res.Body), "13912345678")
			if full == c.masked {
				t.Fatalf("%s: personal data shown in full = %v, want masked = %v", c.user, full, c.masked)
			}
			// Lists are always masked.
			list := f.client.Get("/v1/inspections", tok)
			if strings.Contains(string(list.Body), "91110101MA01ABCD2X") {
				t.Fatalf("%s: a list shows the party's id number", c.user)
			}
		}
	})
}

// TestInspection_EvidenceLinking: evidence before its record and a record
// before its evidence both end linked, and the record complete once every
// expected file is verified.
func TestInspection_EvidenceLinking(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	token := f.login(t, "officer.a", "whistle-demo")
	photo1 := newItem(testJPEG(t, 64, 48, 1, nil), "image/jpeg", "photo")
	photo2 := newItem(testJPEG(t, 64, 48, 2, nil), "image/jpeg", "photo")
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-LINK-1")
	photo1.recordID, photo2.recordID = r.ID, r.ID
	for _, p := range []item{photo1, photo2} {
		r.Evidence = append(r.Evidence, inspection.ExpectedEvidence{ClientID: p.clientID, SHA256: p.sha, Size: int64(len(p.data)),
			ContentType: p.contentType, Kind: p.kind})
	}

	// Photo 1 arrives before the record: held, an orphan until the record comes.
	id1 := upload(t, f.client, token, photo1)
	if ev := getEvidence(t, f.client, token, id1); ev.LinkedAt != nil {
		t.Fatalf("evidence linked before its record arrived: %+v", ev)
	}
	res := officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
	st := res.Results[0].State
	if st.Status != "evidence_pending" || len(st.EvidenceVerified) != 1 {
		t.Fatalf("record with one of two files = status %v, verified %v", st.Status, st.EvidenceVerified)
	}
	if ev := getEvidence(t, f.client, token, id1); ev.LinkedAt == nil {
		t.Fatal("evidence uploaded before its record is not linked when the record arrives")
	}

	// Photo 2 arrives after the record: linked at once, and the record is complete.
	id2 := upload(t, f.client, token, photo2)
	if ev := getEvidence(t, f.client, token, id2); ev.LinkedAt == nil {
		t.Fatal("evidence uploaded after its record is not linked")
	}
	var got openapi.Inspection
	f.client.Get("/v1/inspections/"+r.ID, token).JSON(t, &got)
	if got.Status != "complete" || len(got.EvidenceVerified) != 2 {
		t.Fatalf("record after both files = status %s, verified %v", got.Status, got.EvidenceVerified)
	}
	// The officer's devices learn it through sync.
	page := officer.pull(map[string]int64{})
	found := false
	for _, sc := range page.Scopes {
		for _, c := range sc.Changes {
			ic, ok := inspectionChange(t, c)
			found = found || ok && ic.EntityId == r.ID && ic.State != nil && ic.State.Status == "complete"
		}
	}
	if !found {
		t.Fatal("the completed record is not in the pull")
	}
}

// TestSync_OldAppMayPushNotPull: a phone on an old app version can always
// push what it recorded, but must update before it may pull.
func TestSync_OldAppMayPushNotPull(t *testing.T) {
	f := newFixture(t, options{demo: true, minPullApp: "1.2.0"})
	p := newPhone(t, f, "officer.a")
	r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-OLD-1")
	body, _ := json.Marshal(map[string]any{"mutations": []any{p.mutation(inspection.MutationRecord, r.ID, r)},
		"report": map[string]any{"app_version": "1.0.3"}})
	res := f.client.PostJSON("/v1/sync/push", string(body), p.token)
	var pushed openapi.PushResponse
	res.JSON(t, &pushed)
	if res.Status != http.StatusOK || len(pushed.Results) != 1 || pushed.Results[0].Verdict == "retry" || pushed.Results[0].Verdict == "rejected" {
		t.Fatalf("push from an old app: %d %s", res.Status, res.Body)
	}
	for _, v := range []string{"1.0.3", "1.1.9", "1.2.0-rc10"} {
		f.client.PostJSON("/v1/sync/pull", `{"cursors":{},"report":{"app_version":"`+v+`"}}`, p.token).Problem(t, 426, "app_update_required")
	}
	f.client.PostJSON("/v1/sync/pull", `{"cursors":{},"report":{"app_version":"1.2.x"}}`, p.token).Problem(t, 422, "validation_failed")
	f.client.PostJSON("/v1/sync/pull", `{"cursors":{}}`, p.token).Problem(t, 426, "app_update_required")
	for _, v := range []string{"1.2.0", "1.2.10", "1.10.0", "2.0"} {
		if res := f.client.PostJSON("/v1/sync/pull", `{"cursors":{},"report":{"app_version":"`+v+`"}}`, p.token); res.Status != http.StatusOK {
			t.Fatalf("pull from app %s: %d %s", v, res.Status, res.Body)
		}
	}
}

// TestInspection_SyncAfterOnline is issue 10's reproduction: a record made
// online, then the same record pushed from a phone (as `whistle device
// record inspection` with the same id does). Before, the push answered 500
// on every retry and the phone's queue was stuck behind it. Now the same
// content is a duplicate, other content is rejected as entity_conflict with
// the fields that differ, the acts after them apply, and the queue drains.
func TestInspection_SyncAfterOnline(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	leader := f.login(t, "leader.a", "whistle-demo")
	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":5}`, officer.token).JSON(t, &block)
	form := func(i int64) string { return fmt.Sprintf("%s%d", block.Prefix, block.First+i) }
	crew := []string{"a-cg-03", "a-sj-01", "a-sj-02"}
	online := func(r inspection.Record) {
		t.Helper()
		body, _ := json.Marshal(r)
		if res := f.client.PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
			t.Fatalf("online record: %d %s", res.Status, res.Body)
		}
	}

	same := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), crew, form(0))
	online(same)
	// The phone's copy writes its times in UTC: the same instants.
	sameOnPhone := same
	sameOnPhone.StartedAt.Wall = same.StartedAt.Wall.UTC()
	sameOnPhone.Crew = nil
	for _, c := range same.Crew {
		sameOnPhone.Crew = append(sameOnPhone.Crew, inspection.CrewCheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt.UTC()})
	}
	other := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), crew, form(1))
	online(other)
	otherOnPhone := other
	otherOnPhone.Findings = "商品未明码标价，且拒不整改"
	next := marketInspection(f.story.At("2026-11-10T12:00:00+08:00"), crew, form(2))

	batch := []wsync.Mutation{
		officer.mutation(inspection.MutationRecord, same.ID, sameOnPhone),
		officer.mutation(inspection.MutationRecord, other.ID, otherOnPhone),
		officer.mutation(inspection.MutationRecord, next.ID, next),
	}
	res := officer.push(batch...)
	got := []string{}
	for _, r := range res.Results {
		v := string(r.Verdict)
		if r.Problem != nil {
			v += ":" + r.Problem.Code
		}
		got = append(got, v)
	}
	if strings.Join(got, ",") != "duplicate,rejected:entity_conflict,applied" || res.LastAppliedSeq != 3 {
		t.Fatalf("verdicts %v, last applied %d; want duplicate, rejected:entity_conflict, applied, last 3", got, res.LastAppliedSeq)
	}
	if p := res.Results[1].Problem; p.Fields == nil || len(*p.Fields) != 1 || (*p.Fields)[0].Field != "/findings" {
		t.Fatalf("the conflict names %+v, want /findings", p.Fields)
	}
	if st := res.Results[0].State; st == nil || st.Version != 1 {
		t.Fatalf("a duplicate answers the stored record: %v", st)
	}

	// Stored: the online records unchanged at version 1, the next one recorded.
	for _, want := range []inspection.Record{same, other, next} {
		var st openapi.Inspection
		f.client.Get("/v1/inspections/"+want.ID, leader).JSON(t, &st)
		var h openapi.InspectionHistory
		f.client.Get("/v1/inspections/"+want.ID+"/versions", leader).JSON(t, &h)
		if st.Version != 1 || len(h.Versions) != 1 || st.Record.Findings != want.Findings {
			t.Fatalf("record %s: version %d, %d versions, findings %q; want 1, 1, %q", want.ID, st.Version, len(h.Versions), st.Record.Findings, want.Findings)
		}
	}
	var n int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM inspections`).Scan(&n); err != nil || n != 3 {
		t.Fatalf("%d inspections stored (%v), want 3", n, err)
	}
	// The refused version is kept beside the stored one, with its verdict.
	var verdicts, refused string
	if err := f.db.SQL.QueryRow(`SELECT string_agg(verdict, ',' ORDER BY seq),
			(SELECT convert_from(args, 'UTF8') FROM sync_mutations WHERE device_id = $1 AND seq = 2)
		FROM sync_mutations WHERE device_id = $1`, officer.id).Scan(&verdicts, &refused); err != nil {
		t.Fatal(err)
	}
	if verdicts != "duplicate,rejected,applied" || !strings.Contains(refused, otherOnPhone.Findings) {
		t.Fatalf("sync log: %s, refused args %s", verdicts, refused)
	}

	// The queue has drained: the device is at 3, and pushing the batch again
	// (the answer was lost) changes nothing.
	again := officer.push(batch...)
	for _, r := range again.Results {
		if r.Verdict != "duplicate" {
			t.Fatalf("pushed again: %+v", r)
		}
	}
	var devices []openapi.DeviceStatus
	f.client.Get("/v1/sync/devices", leader).JSON(t, &devices)
	seen := false
	for _, d := range devices {
		if d.DeviceId.String() != officer.id {
			continue
		}
		seen = true
		if d.LastAppliedSeq != 3 || d.Rejected != 1 {
			t.Fatalf("device status: last applied %d, %d rejected; want 3 and 1", d.LastAppliedSeq, d.Rejected)
		}
	}
	if !seen {
		t.Fatal("the team leader does not see the device")
	}
}

// TestInspection_DecisionAsExplained: the authority engine's decision stored
// on a record, synced or recorded online, is the one the explanation endpoint
// gives for the same matter, crew and moment: both read the facts with one
// builder (org.ReadAuthorityFacts).
func TestInspection_DecisionAsExplained(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":6}`, officer.token).JSON(t, &block)
	forms := block.First

	tests := []struct {
		name     string
		at       string
		crew     []string
		wantTier string
	}{
		{"OKTwoHolders", "2026-11-10T10:00:00+08:00", []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "enforcement"},
		// a-sj-02's certificate ended 2026-11-20: it no longer counts.
		{"OKCertificateExpiredAtTheAct", "2026-11-25T10:00:00+08:00", []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "onsite_inspection"},
		{"OKOneHolderWithSecondInspector", "2026-11-10T10:00:00+08:00", []string{"a-cg-03", "a-sj-02"}, "onsite_inspection"},
	}
	for _, tt := range tests {
		for _, path := range []string{"sync", "online"} {
			t.Run(tt.name+"/"+path, func(t *testing.T) {
				officer.t = t
				rec := marketInspection(f.story.At(tt.at), tt.crew, fmt.Sprintf("%s%d", block.Prefix, forms))
				forms++
				if path == "sync" {
					if v := officer.push(officer.mutation(inspection.MutationRecord, rec.ID, rec)).Results[0].Verdict; v == "rejected" {
						t.Fatalf("push rejected")
					}
				} else {
					body, _ := json.Marshal(rec)
					if res := f.client.For(t).PostJSON("/v1/inspections", string(body), officer.token); res.Status != http.StatusCreated {
						t.Fatalf("online record: %d %s", res.Status, res.Body)
					}
				}
				var st openapi.Inspection
				f.client.For(t).Get("/v1/inspections/"+rec.ID, officer.token).JSON(t, &st)
				if len(st.Assessment.Decisions) != 1 {
					t.Fatalf("stored decisions: %v", st.Assessment.Decisions)
				}
				var stored inspection.MatterDecision
				b, _ := json.Marshal(st.Assessment.Decisions[0])
				if err := json.Unmarshal(b, &stored); err != nil {
					t.Fatal(err)
				}

				crew := make([]openapi.CrewCheckIn, len(rec.Crew))
				for i, c := range rec.Crew {
					crew[i] = openapi.CrewCheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
				}
				body, _ := json.Marshal(openapi.DecisionRequest{MatterCode: rec.MatterCodes[0], At: rec.StartedAt.Wall, Crew: crew})
				var explained struct {
					authority.Decision
					Matter struct {
						Code    string `json:"code"`
						Version int    `json:"version"`
					} `json:"matter"`
				}
				res := f.client.For(t).PostJSON("/v1/authority/decisions", string(body), officer.token)
				if res.Status != http.StatusOK {
					t.Fatalf("explain: %d %s", res.Status, res.Body)
				}
				res.JSON(t, &explained)

				if string(stored.Decision.Tier) != tt.wantTier {
					t.Fatalf("stored tier %s, want %s", stored.Decision.Tier, tt.wantTier)
				}
				if !reflect.DeepEqual(explained.Decision, stored.Decision) {
					t.Fatalf("explained %+v\nstored    %+v", explained.Decision, stored.Decision)
				}
				if explained.Matter.Code != stored.MatterCode || explained.Matter.Version != stored.Version {
					t.Fatalf("explained matter %s v%d, stored %s v%d", explained.Matter.Code, explained.Matter.Version, stored.MatterCode, stored.Version)
				}
			})
		}
	}
}
