package api_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	neturl "net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// The reference walk (issue 11): every id a request names is resolved in
// the caller's scope. For every input of the contract that names another
// object (a path parameter, a query or header parameter, a field of a
// request body or of a sync mutation's args: anything of format uuid or
// named id, *_id, *_ids, code, *_code, *_codes, number, *_number, username,
// and the keys of a map such as a pull's cursors), each street-A role
// sends it naming a real object of street B, and again naming an object
// that does not exist. The object of street B must be neither changed
// (street B's rows, custody, audit chain and sync feed are byte-identical
// before and after) nor confirmed (the answer is the one an unknown id
// gets, and carries nothing only street B's objects hold), except where
// the table says why an answer differs by design and checks that answer.
//
// The inputs are read from openapi.yaml, and sync mutations' args from the
// schemas api.MutationSchemas gives each mutation name: an input that
// appears in the contract without an entry in referenceTable fails the
// test, so a new route cannot slip by. Size of the walk (logged as
// "reference walk: ..."): 35 operations x 103 references (the inputs of
// an administrator's operation share its one probe) x up to 4 roles
// (officer.a, leader.a, grid.a, community.a1; sync inputs the two with
// phones): 252 cells, each one call naming street B's object and, unless
// the table says why the answer differs by design, one naming nothing.

// refClass says how the walk treats an input.
type refClass int

const (
	scoped     refClass = iota + 1 // names an object of a street: probed as below
	public                         // reference data every role may read (the matter catalogue)
	notRef                         // names no other object (a credential, a label, a protocol header)
	adminInput                     // an input of an administrator's operation: street roles get 403
)

// refCaller is a street-A login of the walk.
type refCaller struct {
	login string
	phone bool // officers and team leaders sync from phones
}

var refCallers = []refCaller{
	{"officer.a", true}, {"leader.a", true}, {"grid.a", false}, {"community.a1", false},
}

// refWorld is street B's objects the walk names, and street A's callers.
type refWorld struct {
	f      *fixture
	tokens map[string]string
	phones map[string]*phone
	// recB is a record of street B awaiting review; it expects itemB
	// (verified) and itemB2 (not uploaded yet).
	recB          inspection.Record
	itemB, itemB2 item
	itemBID       string
	uploadB       string // officer.b's unfinished upload
	blockB        openapi.NumberBlock
	deadlineB     string // a work order's deadline of street B (subject deadlineOrderB)
	caseB, caseA  string // a case of each street, taken in by its grid operator (cases_test.go)
	// reviewB is an accepted review of caseB, reviewA a return of another case of street A
	// (evidence_reviews_test.go).
	reviewB, reviewA string
	absenceB         string // an absence of b-cg-03, street B's (absences_test.go)
	performanceB     string // a manual performance event of b-sj-01, street B's (performance_test.go)
	// whistleB is a whistle of street B calling cg, whistleA one of street A (whistles_test.go).
	whistleB, whistleA string
	deviceB            string // officer.b's phone
	markers            []string
}

// answer is what a call got, reduced to what may be compared between a
// call naming street B's object and one naming an unknown object.
type answer struct {
	status     int
	code       string   // problem code, or the sync verdict's
	verdict    string   // sync
	fields     int      // fields a sync problem names
	exceptions []string // of a record answered or a sync verdict
	state      bool     // a sync verdict carries the entity's state
	extra      string   // what else the probe compares (offsets, counts)
	body       []byte
}

func (a answer) String() string {
	return fmt.Sprintf("%d %s %s fields=%d exceptions=%v state=%v %s", a.status, a.code, a.verdict, a.fields, a.exceptions, a.state, a.extra)
}

func httpAnswer(res *apitest.Response) answer {
	a := answer{status: res.Status, body: res.Body}
	var fields map[string]json.RawMessage
	if json.Unmarshal(res.Body, &fields) == nil {
		_ = json.Unmarshal(fields["code"], &a.code)
		var st openapi.Inspection
		if res.Status < 300 && json.Unmarshal(res.Body, &st) == nil && st.Status != "" {
			a.extra = "status=" + string(st.Status)
			for _, e := range st.Assessment.Exceptions {
				a.exceptions = append(a.exceptions, e.Code)
			}
		}
	}
	if a.code == "" {
		a.code = res.Header.Get("Tus-Problem")
	}
	slices.Sort(a.exceptions)
	return a
}

func pushAnswer(t *testing.T, p *phone, m any) answer {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"mutations": []any{m}})
	res := p.f.client.For(t).PostJSON("/v1/sync/push", string(body), p.token)
	a := answer{status: res.Status, body: res.Body}
	if res.Status != http.StatusOK {
		return httpAnswer(res)
	}
	var out openapi.PushResponse
	res.JSON(t, &out)
	r := out.Results[0]
	a.verdict = string(r.Verdict)
	if r.Problem != nil {
		a.code = r.Problem.Code
		if r.Problem.Fields != nil {
			a.fields = len(*r.Problem.Fields)
		}
	}
	if r.Exceptions != nil {
		a.exceptions = exceptionCodes(*r.Exceptions)
		slices.Sort(a.exceptions)
	}
	a.state = r.State != nil
	return a
}

// refProbe sends one input naming value, as caller.
type refProbe struct {
	// send makes the call naming value.
	send func(w *refWorld, t *testing.T, c refCaller, value string) answer
	// foreign are street B's real objects to name; unknown an id of the
	// same shape that names nothing.
	foreign func(w *refWorld, c refCaller) []string
	unknown func(w *refWorld, c refCaller) string
	// phoneOnly: the input exists on a device session only (sync).
	phoneOnly bool
	// byDesign, when set, is why naming street B's object is answered
	// otherwise than naming nothing; it checks the answer instead.
	byDesign string
	want     func(t *testing.T, w *refWorld, c refCaller, got answer)
}

// refEntry is the walk's entry for one input of the contract.
type refEntry struct {
	class refClass
	why   string    // for public and notRef
	probe *refProbe // for scoped (adminInput inputs share their operation's probe)
}

// refKey names an input: "METHOD /path where", where is path:NAME,
// query:NAME, header:NAME[/KEY], body/POINTER or args[MUTATION]/POINTER.
type refKey = string

// idName is a field or parameter name that names another object.
var idName = regexp.MustCompile(`^(id|.*_id|.*_ids|code|.*_code|.*_codes|number|.*_number|username)$`)

// specReferences returns every input of the contract that names another
// object, with the operation it belongs to ("METHOD /path").
func specReferences(t *testing.T) map[refKey]string {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	// A push's mutations are inputs as the server checks them: their
	// envelope here, their args per mutation (args[MUTATION] below).
	if err := api.JudgePushesApart(doc); err != nil {
		t.Fatal(err)
	}
	out := map[refKey]string{}
	for path, item := range doc.Paths.Map() {
		for method, op := range item.Operations() {
			opKey := method + " " + path
			for _, p := range append(slices.Clone(item.Parameters), op.Parameters...) {
				pv := p.Value
				sc := pv.Schema.Value
				switch {
				case pv.In == "path":
					out[opKey+" path:"+pv.Name] = opKey
				case pv.In == "header" && pv.Name == "Upload-Metadata":
					// Its keys are in the operation's description: `client_id`, ...
					for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(op.Description, -1) {
						if idName.MatchString(m[1]) {
							out[opKey+" header:"+pv.Name+"/"+m[1]] = opKey
						}
					}
				case sc.Type.Is("string") && len(sc.Enum) == 0 && sc.Format != "date-time":
					out[opKey+" "+pv.In+":"+pv.Name] = opKey
				}
			}
			if op.RequestBody == nil {
				continue
			}
			for ct, mt := range op.RequestBody.Value.Content {
				if ct == "application/json" {
					walkSchema(mt.Schema, "", map[*openapi3.Schema]bool{}, func(ptr string) { out[opKey+" body"+ptr] = opKey })
				}
			}
		}
	}
	for name, schema := range api.MutationSchemas {
		s := doc.Components.Schemas[schema]
		if s == nil {
			t.Fatalf("mutation %s: no schema %s in the contract", name, schema)
		}
		walkSchema(s, "", map[*openapi3.Schema]bool{}, func(ptr string) {
			out["POST /v1/sync/push args["+name+"]"+ptr] = "POST /v1/sync/push"
		})
	}
	return out
}

// walkSchema calls found with the JSON pointer (arrays as *) of every
// field under s that names another object.
func walkSchema(ref *openapi3.SchemaRef, ptr string, seen map[*openapi3.Schema]bool, found func(string)) {
	if ref == nil || ref.Value == nil || seen[ref.Value] {
		return
	}
	s := ref.Value
	seen[s] = true
	defer delete(seen, s)
	name := ptr[strings.LastIndex(ptr, "/")+1:]
	switch {
	case s.Type.Is("string"):
		if s.Format == "uuid" || idName.MatchString(name) {
			found(ptr)
		}
	case s.Type.Is("array"):
		if s.Items != nil && s.Items.Value != nil && s.Items.Value.Type.Is("string") && idName.MatchString(name) {
			found(ptr + "/*")
			return
		}
		walkSchema(s.Items, ptr+"/*", seen, found)
	}
	for _, sub := range s.AllOf {
		walkSchema(sub, ptr, seen, found)
	}
	for k, p := range s.Properties {
		walkSchema(p, ptr+"/"+k, seen, found)
	}
	if ap := s.AdditionalProperties.Schema; ap != nil && len(s.Properties) == 0 {
		found(ptr + "/{key}") // a map: its keys name things (a pull's scopes)
	}
}

// recordChannel is one way a record reaches the server.
type recordChannel struct {
	prefix    string // of the refKeys: the operation and where the record is
	phoneOnly bool
	// send sends r (amendments: as a correction of a fresh record of c's).
	send func(w *refWorld, t *testing.T, c refCaller, r inspection.Record) answer
}

var recordChannels = []recordChannel{
	{prefix: "POST /v1/inspections body", send: func(w *refWorld, t *testing.T, c refCaller, r inspection.Record) answer {
		body, _ := json.Marshal(r)
		return httpAnswer(w.f.client.For(t).PostJSON("/v1/inspections", string(body), w.tokens[c.login]))
	}},
	{prefix: "POST /v1/inspections/{id}/amendments body/record", send: func(w *refWorld, t *testing.T, c refCaller, r inspection.Record) answer {
		id := w.ownRecord(t, c)
		body, _ := json.Marshal(map[string]any{"base_version": 1, "reason": "更正", "record": r})
		return httpAnswer(w.f.client.For(t).PostJSON("/v1/inspections/"+id+"/amendments", string(body), w.tokens[c.login]))
	}},
	{prefix: "POST /v1/sync/push args[" + inspection.MutationRecord + "]", phoneOnly: true, send: func(w *refWorld, t *testing.T, c refCaller, r inspection.Record) answer {
		p := w.phones[c.login]
		return pushAnswer(t, p, p.mutation(inspection.MutationRecord, r.ID, r))
	}},
	{prefix: "POST /v1/sync/push args[" + inspection.MutationAmend + "]/record", phoneOnly: true, send: func(w *refWorld, t *testing.T, c refCaller, r inspection.Record) answer {
		p := w.phones[c.login]
		id := w.ownRecord(t, c)
		return pushAnswer(t, p, p.mutation(inspection.MutationAmend, id, inspection.AmendArgs{BaseVersion: 1, Reason: "更正", Record: r}))
	}},
}

// officerOf is the demo officer of each street-A login that records.
var officerOf = map[string]string{"officer.a": "a-cg-03", "leader.a": "a-cg-01", "grid.a": "a-cg-03", "community.a1": "a-cg-03"}

// baseRecord is a clean record of street A by c's officer, without measures.
func (w *refWorld) baseRecord(c refCaller) inspection.Record {
	r := marketInspection(w.f.story.At("2026-11-10T10:00:00+08:00"), []string{officerOf[c.login], "a-sj-01", "a-sj-02"}, "")
	r.Measures = []inspection.Measure{}
	return r
}

// ownRecord records a fresh record of c's (by officer.a when c may not
// record) and returns its id, for a correction to name.
func (w *refWorld) ownRecord(t *testing.T, c refCaller) string {
	t.Helper()
	who := c
	if !c.phone {
		who = refCallers[0]
	}
	r := w.baseRecord(who)
	body, _ := json.Marshal(r)
	if res := w.f.client.For(t).PostJSON("/v1/inspections", string(body), w.tokens[who.login]); res.Status != http.StatusCreated {
		t.Fatalf("own record of %s: %d %s", who.login, res.Status, res.Body)
	}
	return r.ID
}

// recordField is one reference inside a record, probed on every channel.
type recordField struct {
	ptr string
	// set makes r name value at ptr.
	set func(w *refWorld, r *inspection.Record, value string)
	// foreign and unknown as refProbe's.
	foreign func(w *refWorld, c refCaller) string
	unknown func(w *refWorld, c refCaller) string
	// byDesign by channel prefix ("*" for all), with the check of the answer.
	byDesign map[string]string
	want     func(t *testing.T, w *refWorld, c refCaller, ch recordChannel, got answer)
}

func newID(*refWorld, refCaller) string { return uuid.NewString() }

func wantExceptionIn(t *testing.T, got answer, code string) {
	t.Helper()
	if !slices.Contains(got.exceptions, code) || (got.status != http.StatusCreated && got.status != http.StatusOK) {
		t.Errorf("got %s, want the record kept with %s", got, code)
	}
}

var recordFields = []recordField{
	{ptr: "/id", set: func(_ *refWorld, r *inspection.Record, v string) { r.ID = v },
		foreign: func(w *refWorld, _ refCaller) string { return w.recB.ID }, unknown: newID,
		byDesign: map[string]string{
			"POST /v1/inspections body": "an id in use cannot be used again: refused as a sync push is (409 entity_conflict), naming nothing of the record holding it",
			"POST /v1/sync/push args[" + inspection.MutationRecord + "]": "an id in use cannot be used again: rejected entity_conflict, " +
				"without the fields that differ or the state of a record the caller may not see",
		},
		want: func(t *testing.T, _ *refWorld, _ refCaller, ch recordChannel, got answer) {
			if ch.phoneOnly {
				if got.verdict != "rejected" || got.code != "entity_conflict" || got.fields != 0 || got.state {
					t.Errorf("record@1 under street B's record id: %s, want rejected entity_conflict without fields or state", got)
				}
				return
			}
			if got.status != http.StatusConflict || got.code != "entity_conflict" || got.fields != 0 || got.state {
				t.Errorf("recording under street B's record id: %s, want 409 entity_conflict without fields or state", got)
			}
		}},
	{ptr: "/team_code", set: func(_ *refWorld, r *inspection.Record, v string) { r.TeamCode = v },
		foreign: func(*refWorld, refCaller) string { return "team-st-b" }, unknown: func(*refWorld, refCaller) string { return "team-nowhere" },
		byDesign: map[string]string{
			"POST /v1/inspections body": "writing into another street's team is forbidden (403), as the access matrix answers a refused act; " +
				"team codes are organization data, not personal",
			"POST /v1/sync/push args[" + inspection.MutationRecord + "]": "as online: rejected forbidden",
		},
		want: func(t *testing.T, _ *refWorld, _ refCaller, ch recordChannel, got answer) {
			if (ch.phoneOnly && (got.verdict != "rejected" || got.code != "forbidden")) || (!ch.phoneOnly && got.status != http.StatusForbidden) {
				t.Errorf("recording for team-st-b: %s, want forbidden", got)
			}
		}},
	{ptr: "/crew/*/officer_code", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Crew = append(r.Crew, inspection.CrewCheckIn{OfficerCode: v, CheckedInAt: r.Crew[0].CheckedInAt})
	},
		foreign: func(*refWorld, refCaller) string { return "b-cg-03" }, unknown: func(*refWorld, refCaller) string { return "zz-nobody" },
		byDesign: map[string]string{"*": "joint operations across streets exist: the record is kept and flagged CREW_OUTSIDE_TEAM " +
			"(issue 11, finding 3), naming only the code sent; his certificate does not count and his phone gets nothing"},
		want: func(t *testing.T, _ *refWorld, _ refCaller, ch recordChannel, got answer) {
			if ch.phoneOnly && got.verdict != "accepted_with_exceptions" {
				t.Errorf("crew naming b-cg-03 by sync: %s", got)
			}
			wantExceptionIn(t, answer{status: http.StatusOK, exceptions: got.exceptions}, "CREW_OUTSIDE_TEAM")
		}},
	{ptr: "/measures/*/fine/form_number", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Measures = []inspection.Measure{{Kind: "fine_simple", MatterCode: "SJ-004", Fine: &inspection.Fine{AmountYuan: 100, FormNumber: v}}}
	},
		foreign: func(w *refWorld, _ refCaller) string { return fmt.Sprintf("%s%d", w.blockB.Prefix, w.blockB.First) },
		unknown: func(*refWorld, refCaller) string { return "JYCF-NOWHERE-1" },
		byDesign: map[string]string{"*": "a number of another device's block is FORM_NUMBER_FOREIGN (issue 11, finding 4), " +
			"one of no block FORM_NUMBER_OUTSIDE_BLOCK; street B's block is untouched"},
		want: func(t *testing.T, _ *refWorld, _ refCaller, _ recordChannel, got answer) {
			wantExceptionIn(t, answer{status: http.StatusOK, exceptions: got.exceptions}, "FORM_NUMBER_FOREIGN")
		}},
	{ptr: "/evidence/*/client_id", set: func(w *refWorld, r *inspection.Record, v string) {
		// Street B's item as its record declares it: client id, hash and size.
		r.Evidence = []inspection.ExpectedEvidence{{ClientID: v, SHA256: w.itemB.sha, Size: int64(len(w.itemB.data)), ContentType: "image/jpeg", Kind: "photo"}}
	},
		foreign: func(w *refWorld, _ refCaller) string { return w.itemB.clientID }, unknown: newID},
	{ptr: "/signatures/officers/*/officer_code", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Signatures.Officers = []inspection.OfficerSignature{{OfficerCode: v, Signature: []byte("signed")}}
	},
		foreign: func(*refWorld, refCaller) string { return "b-cg-03" }, unknown: func(*refWorld, refCaller) string { return "zz-nobody" }},
	{ptr: "/signatures/party/evidence_id", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Signatures.Party = &inspection.PartySignature{EvidenceID: v}
	},
		foreign: func(w *refWorld, _ refCaller) string { return w.itemB.clientID }, unknown: newID},
	{ptr: "/signatures/witness/evidence_id", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Signatures.Witness = &inspection.Witness{Name: "见证人", EvidenceID: v}
	},
		foreign: func(w *refWorld, _ refCaller) string { return w.itemB.clientID }, unknown: newID},
	{ptr: "/measures/*/seizure/items/*/photo_ids/*", set: func(_ *refWorld, r *inspection.Record, v string) {
		r.Measures = []inspection.Measure{{Kind: "seizure", MatterCode: "SJ-004", Seizure: &inspection.Seizure{CustodyPlace: "队部",
			Items: []inspection.SeizedItem{{Name: "货物", Quantity: 1, Unit: "件", Condition: "完好", PhotoIDs: []string{v}}}}}}
	},
		foreign: func(w *refWorld, _ refCaller) string { return w.itemB.clientID }, unknown: newID},
}

// recordFieldProbe is field sent on channel ch.
func recordFieldProbe(field recordField, ch recordChannel) *refProbe {
	why := field.byDesign["*"]
	if w, ok := field.byDesign[ch.prefix]; ok {
		why = w
	}
	p := &refProbe{phoneOnly: ch.phoneOnly, byDesign: why,
		send: func(w *refWorld, t *testing.T, c refCaller, value string) answer {
			r := w.baseRecord(c)
			field.set(w, &r, value)
			return ch.send(w, t, c, r)
		},
		foreign: func(w *refWorld, c refCaller) []string { return []string{field.foreign(w, c)} },
		unknown: field.unknown,
	}
	if why != "" {
		p.want = func(t *testing.T, w *refWorld, c refCaller, got answer) {
			if !c.phone {
				// Who may not record is refused, whatever the record names
				// (a record it may not even see: not found).
				if got.status != http.StatusForbidden && got.status != http.StatusNotFound {
					t.Errorf("%s: %s, want 403 or 404", c.login, got)
				}
				return
			}
			field.want(t, w, c, ch, got)
		}
	}
	return p
}

// get is a probe of a read route: value replaces {param} in path.
func get(path, param string, foreign func(*refWorld) string, unknown string) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(w.f.client.For(t).Get(strings.Replace(path, "{"+param+"}", neturl.PathEscape(v), 1), w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{foreign(w)} },
		unknown: func(*refWorld, refCaller) string { return unknown },
	}
}

// post is a probe of a POST route: value replaces {param} in path and
// %s in body.
func post(path, param, body string, foreign func(*refWorld) string, unknown string) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			url := strings.Replace(path, "{"+param+"}", neturl.PathEscape(v), 1)
			b := body
			if strings.Contains(body, "%s") {
				b = fmt.Sprintf(body, v)
			}
			return httpAnswer(w.f.client.For(t).PostJSON(url, b, w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{foreign(w)} },
		unknown: func(*refWorld, refCaller) string { return unknown },
	}
}

// tus is a probe of an upload route naming an upload by id.
func tus(method string, headers map[string]string, body []byte) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			req := tusReq(method, "/v1/evidence/uploads/"+v, w.tokens[c.login], body)
			for k, h := range headers {
				req.Header.Set(k, h)
			}
			return httpAnswer(w.f.client.For(t).Do(req))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.uploadB} },
		unknown: newID,
	}
}

// createUpload is a probe of an upload's creation whose metadata names
// value by set.
func createUpload(set func(w *refWorld, it *item, v string), foreign func(*refWorld) string) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			it := w.itemB2 // the very bytes street B's record still expects
			it.clientID, it.recordID = uuid.NewString(), ""
			set(w, &it, v)
			res := create(w.f.client.For(t), w.tokens[c.login], it, it.data)
			a := httpAnswer(res)
			if res.Status == http.StatusCreated {
				id := idOf(t, res)
				if id == w.itemBID || id == w.uploadB {
					t.Errorf("the creation answered street B's item %s", id)
				}
				a.extra = "offset=" + res.Header.Get("Upload-Offset")
			}
			return a
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{foreign(w)} },
		unknown: newID,
	}
}

// adminOp is the probe of an administrator's operation: each of its inputs
// names street B's objects; street roles get 403 and nothing changes.
func adminOp(method, url, body string) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, _ string) answer {
			req := httptest.NewRequest(method, url, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Authorization", "Bearer "+w.tokens[c.login])
			return httpAnswer(w.f.client.For(t).Do(req))
		},
		foreign:  func(*refWorld, refCaller) []string { return []string{"street B's"} },
		unknown:  func(*refWorld, refCaller) string { return "" },
		byDesign: "an administrator's operation: street roles are refused whatever it names",
		want: func(t *testing.T, _ *refWorld, c refCaller, got answer) {
			if got.status != http.StatusForbidden || got.code != "forbidden" {
				t.Errorf("%s on an administrator's operation: %s, want 403", c.login, got)
			}
		},
	}
}

// referenceTable is every input of the contract that names another
// object, and how the walk treats it. TestReferences_Walk fails for an
// input of the contract missing here, and for an entry the contract lacks.
func referenceTable() map[refKey]refEntry {
	matters := refEntry{class: public, why: "the matter catalogue (权责清单) is district reference data every role reads"}
	partyID := refEntry{class: notRef, why: "the party's identity document number: personal data (masked outside the case team), no object of the system"}
	credential := refEntry{class: notRef, why: "who logs in: a credential checked by the password, not an object resolved for a caller"}
	recB := func(w *refWorld) string { return w.recB.ID }
	evB := func(w *refWorld) string { return w.itemBID }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	dlB := func(w *refWorld) string { return w.deadlineB }
	t := map[refKey]refEntry{
		"POST /v1/auth/login body/username": credential,
		"POST /v1/auth/login body/device_id": {class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				return httpAnswer(w.f.client.For(t).PostJSON("/v1/auth/login",
					`{"username":"`+c.login+`","password":"`+demo.Password+`","device_id":"`+v+`"}`, ""))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{w.deviceB} }, unknown: newID}},
		"POST /v1/devices/{device_id}/revoke path:device_id": {class: scoped,
			probe: post("/v1/devices/{device_id}/revoke", "device_id", `{"reason":"lost"}`, func(w *refWorld) string { return w.deviceB }, unknownID)},
		"GET /v1/matters/{code} path:code": matters,
		"GET /v1/matters query:department": {class: public, why: "the departments are district reference data every role reads"},
		"GET /v1/inspections query:matter": matters,
		"GET /v1/teams/{code}/roster path:code": {class: scoped,
			probe: get("/v1/teams/{code}/roster", "code", func(*refWorld) string { return "team-st-b" }, "team-nowhere")},
		"GET /v1/officers/{code} path:code": {class: scoped,
			probe: get("/v1/officers/{code}", "code", func(*refWorld) string { return "b-cg-03" }, "zz-nobody")},
		"POST /v1/authority/decisions body/matter_code": matters,
		"POST /v1/authority/decisions body/crew/*/officer_code": {class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				body := w.f.decisionBody(t, "CG-002", "2026-11-10T10:00:00+08:00", "a-cg-03", v)
				return httpAnswer(w.f.client.For(t).PostJSON("/v1/authority/decisions", body, w.tokens[c.login]))
			},
			foreign: func(*refWorld, refCaller) []string { return []string{"b-cg-03"} }, unknown: func(*refWorld, refCaller) string { return "zz-nobody" },
			byDesign: "an officer of another street is refused (403: the crew includes officers outside your street), " +
				"an unknown code 422; the record route names such an officer as CREW_OUTSIDE_TEAM anyway, and neither answer carries his data",
			want: func(t *testing.T, _ *refWorld, c refCaller, got answer) {
				if got.status != http.StatusForbidden {
					t.Errorf("%s asking about a crew with b-cg-03: %s, want 403", c.login, got)
				}
			}}},
		"GET /v1/inspections query:team":            {class: scoped, probe: listProbe("team", "team-st-b", "team-nowhere")},
		"GET /v1/inspections query:officer":         {class: scoped, probe: listProbe("officer", "b-cg-03", "zz-nobody")},
		"GET /v1/inspections/{id} path:id":          {class: scoped, probe: get("/v1/inspections/{id}", "id", recB, unknownID)},
		"GET /v1/inspections/{id}/versions path:id": {class: scoped, probe: get("/v1/inspections/{id}/versions", "id", recB, unknownID)},
		"GET /v1/inspections/{id}/diff path:id":     {class: scoped, probe: get("/v1/inspections/{id}/diff?from=1&to=1", "id", recB, unknownID)},
		"POST /v1/inspections/{id}/amendments path:id": {class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				body, _ := json.Marshal(map[string]any{"base_version": 1, "reason": "更正", "record": w.recB})
				return httpAnswer(w.f.client.For(t).PostJSON("/v1/inspections/"+v+"/amendments", string(body), w.tokens[c.login]))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{w.recB.ID} }, unknown: newID}},
		"POST /v1/inspections/{id}/review path:id": {class: scoped,
			probe: post("/v1/inspections/{id}/review", "id", `{"version":1,"decision":"approve"}`, recB, unknownID)},
		"GET /v1/number-blocks/{id}/report path:id": {class: scoped,
			probe: get("/v1/number-blocks/{id}/report", "id", func(w *refWorld) string { return w.blockB.Id.String() }, unknownID)},
		"POST /v1/number-blocks/{id}/voids path:id": {class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				body := fmt.Sprintf(`{"numbers":[%d],"reason":"作废"}`, w.blockB.First)
				return httpAnswer(w.f.client.For(t).PostJSON("/v1/number-blocks/"+v+"/voids", body, w.tokens[c.login]))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{w.blockB.Id.String()} }, unknown: newID}},
		"POST /v1/sync/push body/mutations/*/entity_id": {class: scoped, probe: &refProbe{phoneOnly: true,
			// record@1's entity is its args' id (walked as args[...]/id);
			// amend@1's is the record corrected.
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				p := w.phones[c.login]
				return pushAnswer(t, p, p.mutation(inspection.MutationAmend, v, inspection.AmendArgs{BaseVersion: 1, Reason: "更正", Record: w.recB}))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{w.recB.ID} }, unknown: newID}},
		"POST /v1/sync/push args[inspection.amend@1]/record/matter_codes/*":         matters,
		"POST /v1/sync/push args[inspection.amend@1]/record/measures/*/matter_code": matters,
		"POST /v1/sync/push args[inspection.record@1]/matter_codes/*":               matters,
		"POST /v1/sync/push args[inspection.record@1]/measures/*/matter_code":       matters,
		"POST /v1/inspections body/matter_codes/*":                                  matters,
		"POST /v1/inspections body/measures/*/matter_code":                          matters,
		"POST /v1/inspections/{id}/amendments body/record/matter_codes/*":           matters,
		"POST /v1/inspections/{id}/amendments body/record/measures/*/matter_code":   matters,
		"POST /v1/sync/pull body/cursors/{key}": {class: scoped, probe: &refProbe{phoneOnly: true,
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				body, _ := json.Marshal(map[string]any{"cursors": map[string]int64{v: 0}})
				res := w.f.client.For(t).PostJSON("/v1/sync/pull", string(body), w.phones[c.login].token)
				a := httpAnswer(res)
				if res.Status == http.StatusOK {
					var out openapi.PullResponse
					res.JSON(t, &out)
					for _, sc := range out.Scopes {
						if sc.Scope == v {
							a.extra += fmt.Sprintf("scope %s with %d changes; ", sc.Scope, len(sc.Changes))
						}
					}
					a.extra += fmt.Sprintf("evicted %v", slices.Contains(out.Evicted, v))
				}
				return a
			},
			foreign: func(w *refWorld, _ refCaller) []string {
				return []string{"team:team-st-b", "officer:b-cg-03", "device:" + w.deviceB}
			},
			unknown: func(*refWorld, refCaller) string { return "team:team-nowhere" }}},
		"POST /v1/evidence/uploads header:Upload-Metadata/client_id": {class: scoped, probe: createUpload(
			func(_ *refWorld, it *item, v string) { it.clientID = v }, func(w *refWorld) string { return w.itemB2.clientID })},
		"POST /v1/evidence/uploads header:Upload-Metadata/record_client_id": {class: scoped, probe: createUpload(
			func(w *refWorld, it *item, v string) { it.clientID, it.recordID = w.itemB2.clientID, v }, recB)},
		"HEAD /v1/evidence/uploads/{upload_id} path:upload_id":      {class: scoped, probe: tus(http.MethodHead, nil, nil)},
		"PATCH /v1/evidence/uploads/{upload_id} path:upload_id":     {class: scoped, probe: tus(http.MethodPatch, map[string]string{"Upload-Offset": "0"}, []byte{0xFF, 0xD8, 0xFF})},
		"DELETE /v1/evidence/uploads/{upload_id} path:upload_id":    {class: scoped, probe: tus(http.MethodDelete, nil, nil)},
		"POST /v1/evidence/uploads/{upload_id} path:upload_id":      {class: scoped, probe: tus(http.MethodPost, map[string]string{"X-HTTP-Method-Override": "DELETE"}, nil)},
		"GET /v1/evidence/{evidence_id} path:evidence_id":           {class: scoped, probe: get("/v1/evidence/{evidence_id}", "evidence_id", evB, unknownID)},
		"GET /v1/evidence/{evidence_id}/content path:evidence_id":   {class: scoped, probe: get("/v1/evidence/{evidence_id}/content", "evidence_id", evB, unknownID)},
		"GET /v1/evidence/{evidence_id}/thumbnail path:evidence_id": {class: scoped, probe: get("/v1/evidence/{evidence_id}/thumbnail", "evidence_id", evB, unknownID)},
		"GET /v1/evidence/{evidence_id}/custody path:evidence_id":   {class: scoped, probe: get("/v1/evidence/{evidence_id}/custody", "evidence_id", evB, unknownID)},
		"POST /v1/evidence/{evidence_id}/download-url path:evidence_id": {class: scoped,
			probe: post("/v1/evidence/{evidence_id}/download-url", "evidence_id", "", evB, unknownID)},
		"GET /v1/deadlines/{id} path:id": {class: scoped, probe: get("/v1/deadlines/{id}", "id", dlB, unknownID)},
		"POST /v1/deadlines/{id}/pause path:id": {class: scoped,
			probe: post("/v1/deadlines/{id}/pause", "id", `{"version":1,"reason":"refwalk"}`, dlB, unknownID)},
		"POST /v1/deadlines/{id}/resume path:id": {class: scoped,
			probe: post("/v1/deadlines/{id}/resume", "id", `{"version":1,"reason":"refwalk"}`, dlB, unknownID)},
		"GET /v1/deadlines query:subject_id": {class: scoped, probe: &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				res := w.f.client.For(t).Get("/v1/deadlines?subject_kind=work_order&subject_id="+neturl.QueryEscape(v), w.tokens[c.login])
				a := httpAnswer(res)
				if res.Status == http.StatusOK {
					var list []openapi.Deadline
					res.JSON(t, &list)
					a.extra = "deadlines=" + strconv.Itoa(len(list))
				}
				return a
			},
			foreign: func(*refWorld, refCaller) []string { return []string{deadlineOrderB} },
			unknown: func(*refWorld, refCaller) string { return "12345-nowhere" }}},
		"GET /v1/admin/audit query:entity_type":                         {class: notRef, why: "a kind of entity (inspection, evidence, ...), not an object"},
		"GET /v1/admin/audit query:action":                              {class: notRef, why: "a kind of act (inspection.record, ...), not an object"},
		"GET /v1/admin/audit/export query:entity_type":                  {class: notRef, why: "a kind of entity, not an object"},
		"GET /v1/admin/audit/export query:action":                       {class: notRef, why: "a kind of act, not an object"},
		"PATCH /v1/evidence/uploads/{upload_id} header:Upload-Checksum": {class: notRef, why: "a checksum of the body sent"},
	}
	for _, op := range []string{"POST /v1/evidence/uploads", "HEAD /v1/evidence/uploads/{upload_id}", "PATCH /v1/evidence/uploads/{upload_id}",
		"DELETE /v1/evidence/uploads/{upload_id}"} {
		t[op+" header:Tus-Resumable"] = refEntry{class: notRef, why: "the tus protocol version"}
	}
	for _, op := range []string{"POST /v1/devices", "POST /v1/inspections", "POST /v1/inspections/{id}/amendments", "POST /v1/inspections/{id}/review",
		"POST /v1/number-blocks", "POST /v1/number-blocks/{id}/voids", "POST /v1/admin/imports", "POST /v1/admin/certificates",
		"POST /v1/admin/matters", "POST /v1/admin/policies", "POST /v1/cases", "POST /v1/cases/{id}/evidence-reviews"} {
		t[op+" header:Idempotency-Key"] = refEntry{class: notRef, why: "the client's key of its own request, scoped to the caller (TestIdempotencyKey_NumberBlock/PerUser)"}
	}
	caseReferences(t)
	reviewReferences(t)
	grantReferences(t)
	absenceReferences(t)
	performanceReferences(t)
	archiveReferences(t)
	whistleReferences(t)
	assessReferences(t)
	for _, op := range []string{"POST /v1/inspections/{id}/amendments", "POST /v1/inspections/{id}/review"} {
		t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the record the path names, compared with it as the caller sees it"}
	}
	for _, op := range []string{"POST /v1/deadlines/{id}/pause", "POST /v1/deadlines/{id}/resume"} {
		t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the deadline the path names, compared once the caller may act on it"}
	}
	for _, op := range []string{"GET /v1/inspections", "GET /v1/inspections/review-queue", "GET /v1/evidence/orphans",
		"GET /v1/streets", "GET /v1/departments", "GET /v1/matters", "GET /v1/matters/{code}", "GET /v1/policies",
		"GET /v1/teams/{code}/roster", "GET /v1/sync/devices", "GET /v1/evidence/{evidence_id}/custody", "GET /v1/deadlines", "GET /v1/cases",
		"GET /v1/officers/{code}/absences", "GET /v1/cases/{id}/evidence-reviews", "GET /v1/cases/{id}/evidence", "GET /v1/whistles"} {
		t[op+" query:cursor"] = refEntry{class: notRef, why: "a position (sort keys and id) in a list the caller may read; it only narrows the list (keyset), filters nothing in"}
	}
	for _, ch := range recordChannels {
		t[ch.prefix+"/party/id_number"] = partyID
		for _, field := range recordFields {
			t[ch.prefix+field.ptr] = refEntry{class: scoped, probe: recordFieldProbe(field, ch)}
		}
	}
	return t
}

// adminOps are the administrator's operations, each called naming street
// B's objects (its inputs are all adminInput).
var adminOps = map[string]*refProbe{
	"GET /v1/admin/audit":              adminOp(http.MethodGet, "/v1/admin/audit?chain=st-b&entity_id=b-cg-03&actor=00000000-0000-4000-8000-00000000dead", ""),
	"GET /v1/admin/audit/export":       adminOp(http.MethodGet, "/v1/admin/audit/export?chain=st-b&entity_id=b-cg-03", ""),
	"GET /v1/admin/audit/verification": adminOp(http.MethodGet, "/v1/admin/audit/verification?chain=st-b", ""),
	"POST /v1/admin/imports": adminOp(http.MethodPost, "/v1/admin/imports",
		`{"officers":[{"code":"b-cg-03","name_zh":"韩雪","department_code":"cg","auxiliary":false}]}`),
	"POST /v1/admin/certificates": adminOp(http.MethodPost, "/v1/admin/certificates",
		`{"number":"京执字REFWALK","officer_code":"b-cg-03","issuing_department_code":"cg","valid_from":"2026-01-01T00:00:00Z","valid_to":"2027-01-01T00:00:00Z"}`),
	"POST /v1/admin/certificates/{number}/status": adminOp(http.MethodPost, "/v1/admin/certificates/"+neturl.PathEscape("京执字110101-0001")+"/status",
		`{"status":"suspended","reason":"refwalk"}`),
	"POST /v1/admin/matters": adminOp(http.MethodPost, "/v1/admin/matters",
		`{"code":"CG-002","name_zh":"x","legal_basis":"x","department_code":"cg","measures":["warning"],"default_whistle":"regular","valid_from":"2026-01-01T00:00:00Z"}`),
	"POST /v1/admin/policies": adminOp(http.MethodPost, "/v1/admin/policies",
		`{"department_code":"cg","valid_from":"2026-01-01T00:00:00Z","single_officer_simple_procedure":true,"second_inspector_from_other_resident":false,"mixed_crew_seizure_review":false}`),
	"POST /v1/admin/users/{username}/disable": adminOp(http.MethodPost, "/v1/admin/users/officer.b/disable", `{"reason":"refwalk"}`),
}

// listProbe is a probe of the inspection list filtered by param.
func listProbe(param, foreign, unknown string) *refProbe {
	return &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			res := w.f.client.For(t).Get("/v1/inspections?"+param+"="+neturl.QueryEscape(v), w.tokens[c.login])
			a := httpAnswer(res)
			if res.Status == http.StatusOK {
				var list []openapi.Inspection
				res.JSON(t, &list)
				a.extra = "records=" + strconv.Itoa(len(list))
			}
			return a
		},
		foreign: func(*refWorld, refCaller) []string { return []string{foreign} },
		unknown: func(*refWorld, refCaller) string { return unknown },
	}
}

// deadlineOrderB is the work order of street B whose deadline the walk names.
const deadlineOrderB = "12345-REFWALK-B"

// newRefWorld makes street B's objects: officer.b's phone and number
// block, a verified photo and an unfinished upload of his, and a record of
// street B awaiting review that expects the photo and one more file.
func newRefWorld(t *testing.T, f *fixture) *refWorld {
	t.Helper()
	w := &refWorld{f: f, tokens: map[string]string{}, phones: map[string]*phone{}}
	for _, c := range refCallers {
		w.tokens[c.login] = f.login(t, c.login, demo.Password)
		if c.phone {
			w.phones[c.login] = newPhone(t, f, c.login)
		}
	}
	b := newPhone(t, f, "officer.b")
	w.deviceB = b.id
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":3}`, b.token).JSON(t, &w.blockB)

	w.itemB = newItem(testJPEG(t, 40, 30, 71, nil), "image/jpeg", "photo")
	w.itemB2 = newItem(testJPEG(t, 40, 30, 72, nil), "image/jpeg", "photo")
	w.recB = streetBInspection(f.story.At("2026-11-10T10:00:00+08:00"), "JYCF-REFWALK-B") // outside any block: flagged, pending review
	w.recB.Party = &inspection.Party{Kind: inspection.PartyPerson, Name: "赵某", IDType: "resident_id", IDNumber: "110101198808088888", Phone: "13600008888"}
	w.recB.RecordText = "街道乙的现场笔录 REFWALK-B"
	w.itemB.recordID, w.itemB2.recordID = w.recB.ID, w.recB.ID
	expectItem(&w.recB, w.itemB)
	expectItem(&w.recB, w.itemB2)
	if r := b.push(b.mutation(inspection.MutationRecord, w.recB.ID, w.recB)).Results[0]; r.Verdict != "accepted_with_exceptions" {
		t.Fatalf("street B's record: %s %+v", r.Verdict, r.Problem)
	}
	w.itemBID = upload(t, f.client, b.token, w.itemB)
	f.workJobs(t) // the thumbnail, so that thumbnail routes have one to name
	unfinished := newItem(testJPEG(t, 40, 30, 73, nil), "image/jpeg", "photo")
	res := create(f.client, b.token, unfinished, nil)
	if res.Status != http.StatusCreated {
		t.Fatalf("street B's unfinished upload: %d %s", res.Status, res.Body)
	}
	w.uploadB = idOf(t, res)
	w.deadlineB = openWorkOrder(t, f, "st-b", "team-st-b", "b-cg-03", deadlineOrderB, f.now())
	w.absenceB = refWorldAbsence(t, f)
	w.performanceB = refWorldPerformance(t, f)

	e := newMatrixEnv(t, f)
	o := e.officer(t, "b-cg-03")
	ev := getEvidence(t, f.client, b.token, w.itemBID)
	w.markers = []string{w.recB.Party.IDNumber, w.recB.Party.Phone, "REFWALK-B", o.NameZH, o.Phone, *ev.VersionId}
	w.markers = append(w.markers, refWorldCases(t, w)...)
	refWorldReviews(t, w)
	refWorldWhistles(t, w)
	for _, c := range e.ds.Certificates {
		if c.OfficerCode == "b-cg-03" {
			w.markers = append(w.markers, c.Number)
		}
	}
	return w
}

// streetB is a digest of everything street B holds that a call could
// change: its records with their versions, reviews and evidence links,
// its evidence with uploads and custody, officer.b's devices, sessions and
// number blocks, its audit chain, the sync feed of its scopes, and the
// district's organization data (what an administrator's operation writes).
func (w *refWorld) streetB(t *testing.T) string {
	t.Helper()
	users := `(SELECT id FROM users WHERE username LIKE '%.b')`
	evidence := `(SELECT id FROM evidence WHERE street_code = 'st-b' OR uploader_id IN ` + users + `)`
	queries := []string{
		`SELECT row_to_json(x)::text FROM inspections x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM inspection_versions x JOIN inspections i ON i.id = x.inspection_id WHERE i.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM inspection_reviews x JOIN inspections i ON i.id = x.inspection_id WHERE i.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM inspection_evidence x JOIN inspections i ON i.id = x.inspection_id WHERE i.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM evidence x WHERE id IN ` + evidence + ` ORDER BY id`,
		`SELECT row_to_json(x)::text FROM evidence_uploads x WHERE evidence_id IN ` + evidence + ` ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM evidence_custody x WHERE evidence_id IN ` + evidence + ` ORDER BY id`,
		`SELECT row_to_json(x)::text FROM devices x WHERE user_id IN ` + users + ` ORDER BY id`,
		`SELECT row_to_json(x)::text FROM refresh_families x WHERE user_id IN ` + users + ` ORDER BY id`,
		`SELECT row_to_json(x)::text FROM users x WHERE id IN ` + users + ` ORDER BY id`,
		`SELECT row_to_json(x)::text FROM number_blocks x WHERE device_id IN (SELECT id FROM devices WHERE user_id IN ` + users + `) ORDER BY id`,
		`SELECT row_to_json(x)::text FROM form_numbers x, number_blocks b WHERE b.id = '` + w.blockB.Id.String() + `'
			AND x.number IN (SELECT b.prefix || n FROM generate_series(b.first, b.last) n) ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM deadlines x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM cases x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM officer_absences x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM performance_events x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM case_sources x JOIN cases c ON c.id = x.case_id WHERE c.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM case_routings x JOIN cases c ON c.id = x.case_id WHERE c.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM case_events x JOIN cases c ON c.id = x.case_id WHERE c.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM evidence_reviews x JOIN cases c ON c.id = x.case_id WHERE c.street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM whistles x WHERE street_code = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM whistle_calls x WHERE street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM number_counters x WHERE street_code = 'st-b' ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM audit_entries x WHERE chain = 'st-b' ORDER BY id`,
		`SELECT row_to_json(x)::text FROM sync_changes x WHERE scope = 'team:team-st-b' OR scope LIKE 'officer:b-%'
			OR scope IN (SELECT 'device:' || id FROM devices WHERE user_id IN ` + users + `) ORDER BY scope, entity_id`,
		`SELECT row_to_json(x)::text FROM officers x ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM team_memberships x ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM certificates x ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM certificate_status x ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM matters x ORDER BY 1`,
		`SELECT row_to_json(x)::text FROM procedure_policies x ORDER BY 1`,
	}
	var sb strings.Builder
	for _, q := range queries {
		rows, err := w.f.db.SQL.QueryContext(context.Background(), q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			sb.WriteString(s)
			sb.WriteByte('\n')
		}
		if err := rows.Err(); err != nil {
			t.Fatal(err)
		}
		rows.Close()
		sb.WriteString("--\n")
	}
	return sb.String()
}

// firstDifference is the first line where two digests differ.
func firstDifference(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("before: %s\nafter:  %s", x, y)
		}
	}
	return ""
}

func TestReferences_Walk(t *testing.T) {
	f := newFixture(t, options{demo: true})
	w := newRefWorld(t, f)
	inSpec := specReferences(t)
	table := referenceTable()
	for key, op := range inSpec {
		if _, ok := table[key]; ok {
			continue
		}
		if strings.Contains(op, " /v1/admin/") {
			table[key] = refEntry{class: adminInput}
			continue
		}
		t.Errorf("%s names another object in openapi.yaml but is not in the reference walk: add it to referenceTable", key)
	}
	for key, e := range table {
		if _, ok := inSpec[key]; !ok {
			t.Errorf("the reference walk has %s, which is no input of openapi.yaml", key)
		}
		if e.class == scoped && e.probe == nil || (e.class == public || e.class == notRef) && e.why == "" {
			t.Errorf("%s: a scoped input needs a probe, a public or non-reference one a reason", key)
		}
	}
	type cell struct {
		key   string
		probe *refProbe
	}
	var cells []cell
	ops := map[string]bool{}
	refs := 0
	for key, e := range table {
		if _, ok := inSpec[key]; !ok {
			continue
		}
		switch e.class {
		case scoped:
			cells = append(cells, cell{key, e.probe})
			ops[inSpec[key]] = true
			refs++
		case adminInput:
			if adminOps[inSpec[key]] == nil {
				t.Errorf("%s: the administrator's operation has no probe in adminOps", key)
				continue
			}
			ops[inSpec[key]] = true
			refs++
		}
	}
	for op, p := range adminOps {
		cells = append(cells, cell{op + " (every input)", p})
	}
	slices.SortFunc(cells, func(a, b cell) int { return strings.Compare(a.key, b.key) })

	calls := 0
	for _, c := range cells {
		for _, caller := range refCallers {
			if c.probe.phoneOnly && !caller.phone {
				continue
			}
			for _, foreign := range c.probe.foreign(w, caller) {
				calls++
				t.Run(c.key+"/"+caller.login, func(t *testing.T) {
					before := w.streetB(t)
					got := c.probe.send(w, t, caller, foreign)
					if c.probe.byDesign == "" {
						unknown := c.probe.send(w, t, caller, c.probe.unknown(w, caller))
						if got.String() != unknown.String() {
							t.Errorf("naming street B's %s: %s\nnaming an unknown one: %s\n(the answer confirms street B's object)", foreign, got, unknown)
						}
					} else {
						c.probe.want(t, w, caller, got)
					}
					for _, m := range w.markers {
						if strings.Contains(string(got.body), m) {
							t.Errorf("the answer carries %q, which only street B's objects hold: %s", m, got.body)
						}
					}
					if after := w.streetB(t); after != before {
						t.Errorf("street B changed:\n%s", firstDifference(before, after))
					}
				})
			}
		}
	}
	t.Logf("reference walk: %d operations x %d references x up to %d roles: %d cells (%d calls naming street B, as many naming nothing)",
		len(ops), refs, len(refCallers), calls, calls)
}
