package postgres

import (
	"encoding/json"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
)

// The jsonb columns of the inspection tables: inspections.state (a
// storedState) and inspection_versions.record (a storedRecord) have storage
// structs of their own, with their own json tags, so that the stored form
// changes only by a migration and not with the API's or the sync protocol's
// JSON of the domain types. Their keys and shapes are those the domain's
// JSON had when they were introduced (testdata/jsonb holds the rows), so
// rows stored before them read as ever.
//
// inspection_reviews.reasons is a JSON array of the reviewer's reasons, a
// []string: no domain type is involved, so none is mirrored.

// storedState is the current state of a record (inspections.state).
type storedState struct {
	Record           storedRecord     `json:"record"`
	Version          int              `json:"version"`
	StreetCode       string           `json:"street_code"`
	ActAt            time.Time        `json:"act_at"`
	ReceivedAt       time.Time        `json:"received_at"`
	RecordedBy       string           `json:"recorded_by"`
	DeviceID         string           `json:"device_id,omitempty"`
	Assessment       storedAssessment `json:"assessment"`
	Status           string           `json:"status"`
	Review           string           `json:"review"`
	ReturnReasons    []string         `json:"return_reasons,omitempty"`
	EvidenceVerified []string         `json:"evidence_verified"`
	// Masked is always false as stored (masking is for a viewer), but the
	// key has always been there.
	Masked bool `json:"masked"`
}

// storedRecord is a record as an officer made it (inspection_versions.record,
// and storedState.Record).
type storedRecord struct {
	ID          string                   `json:"id"`
	TeamCode    string                   `json:"team_code"`
	MatterCodes []string                 `json:"matter_codes"`
	Location    storedLocation           `json:"location"`
	StartedAt   storedDeviceTime         `json:"started_at"`
	EndedAt     *storedDeviceTime        `json:"ended_at,omitempty"`
	Crew        []storedCrewCheckIn      `json:"crew"`
	Party       *storedParty             `json:"party,omitempty"`
	Findings    string                   `json:"findings"`
	PhoneTier   string                   `json:"phone_tier"`
	Measures    []storedMeasure          `json:"measures"`
	RecordText  string                   `json:"record_text"`
	Signatures  storedSignatures         `json:"signatures"`
	Evidence    []storedExpectedEvidence `json:"evidence"`
}

type storedLocation struct {
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	AccuracyM float64 `json:"accuracy_m"`
	Address   string  `json:"address"`
}

type storedDeviceTime struct {
	Wall        time.Time `json:"wall"`
	SinceBootMS int64     `json:"since_boot_ms"`
}

type storedCrewCheckIn struct {
	OfficerCode string    `json:"officer_code"`
	CheckedInAt time.Time `json:"checked_in_at"`
}

type storedParty struct {
	Kind            string `json:"kind"`
	Name            string `json:"name"`
	IDType          string `json:"id_type,omitempty"`
	IDNumber        string `json:"id_number,omitempty"`
	Phone           string `json:"phone,omitempty"`
	Address         string `json:"address,omitempty"`
	BusinessLicence string `json:"business_licence,omitempty"`
}

type storedMeasure struct {
	Kind       string         `json:"kind"`
	MatterCode string         `json:"matter_code"`
	Fine       *storedFine    `json:"fine,omitempty"`
	Seizure    *storedSeizure `json:"seizure,omitempty"`
	Summons    *storedSummons `json:"summons,omitempty"`
}

type storedFine struct {
	AmountYuan int    `json:"amount_yuan"`
	FormNumber string `json:"form_number"`
}

type storedSeizure struct {
	Items           []storedSeizedItem `json:"items"`
	CustodyPlace    string             `json:"custody_place"`
	Urgent          bool               `json:"urgent"`
	ExtensionReason string             `json:"extension_reason,omitempty"`
	// omitempty never omitted a time.Time: the key is always there.
	Deadline time.Time `json:"deadline,omitempty"`
}

type storedSeizedItem struct {
	Name      string   `json:"name"`
	Quantity  float64  `json:"quantity"`
	Unit      string   `json:"unit"`
	Condition string   `json:"condition"`
	PhotoIDs  []string `json:"photo_ids,omitempty"`
}

type storedSummons struct {
	At    time.Time `json:"at"`
	Place string    `json:"place"`
}

type storedSignatures struct {
	Officers []storedOfficerSignature `json:"officers"`
	Party    *storedPartySignature    `json:"party,omitempty"`
	Witness  *storedWitness           `json:"witness,omitempty"`
}

type storedOfficerSignature struct {
	OfficerCode string `json:"officer_code"`
	Signature   []byte `json:"signature"`
}

type storedPartySignature struct {
	Refused    bool   `json:"refused"`
	EvidenceID string `json:"evidence_id,omitempty"`
}

type storedWitness struct {
	Name       string `json:"name"`
	EvidenceID string `json:"evidence_id,omitempty"`
}

type storedExpectedEvidence struct {
	ClientID    string `json:"client_id"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Kind        string `json:"kind"`
}

type storedAssessment struct {
	Decisions  []storedMatterDecision `json:"decisions"`
	Tier       string                 `json:"tier"`
	Lead       string                 `json:"lead"`
	Exceptions []storedException      `json:"exceptions"`
}

type storedMatterDecision struct {
	MatterCode string         `json:"matter_code"`
	Version    int            `json:"version"`
	Decision   storedDecision `json:"decision"`
}

// storedDecision is the authority engine's decision as the record's
// assessment keeps it.
type storedDecision struct {
	Tier            string         `json:"tier"`
	Lead            string         `json:"lead"`
	SecondInspector string         `json:"second_inspector"`
	Holders         []string       `json:"holders"`
	Allowed         []string       `json:"allowed"`
	Reasons         []storedReason `json:"reasons"`
}

type storedReason struct {
	Code    string `json:"code"`
	Subject string `json:"subject"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

type storedException struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

// stateJSON encodes st for inspections.state.
func stateJSON(st inspection.State) (string, error) { return jsonText(storedStateOf(st)) }

// stateFromJSON decodes inspections.state.
func stateFromJSON(b []byte) (inspection.State, error) {
	var s storedState
	if err := json.Unmarshal(b, &s); err != nil {
		return inspection.State{}, derrors.Wrap(err, derrors.Internal, "decode stored inspection")
	}
	return s.state(), nil
}

// recordJSON encodes r for inspection_versions.record.
func recordJSON(r inspection.Record) (string, error) { return jsonText(storedRecordOf(r)) }

// recordFromJSON decodes inspection_versions.record.
func recordFromJSON(b []byte) (inspection.Record, error) {
	var s storedRecord
	if err := json.Unmarshal(b, &s); err != nil {
		return inspection.Record{}, derrors.Wrap(err, derrors.Internal, "decode stored record version")
	}
	return s.record(), nil
}

// mapSlice converts each element of in, keeping nil nil (stored as null)
// and empty empty (stored as []), as the domain's JSON did.
func mapSlice[A, B any](in []A, f func(A) B) []B {
	if in == nil {
		return nil
	}
	out := make([]B, len(in))
	for i, a := range in {
		out[i] = f(a)
	}
	return out
}

// mapPtr converts *in, keeping nil nil.
func mapPtr[A, B any](in *A, f func(A) B) *B {
	if in == nil {
		return nil
	}
	out := f(*in)
	return &out
}

func storedStateOf(st inspection.State) storedState {
	return storedState{
		Record:           storedRecordOf(st.Record),
		Version:          st.Version,
		StreetCode:       st.StreetCode,
		ActAt:            st.ActAt,
		ReceivedAt:       st.ReceivedAt,
		RecordedBy:       st.RecordedBy,
		DeviceID:         st.DeviceID,
		Assessment:       storedAssessmentOf(st.Assessment),
		Status:           string(st.Status),
		Review:           string(st.Review),
		ReturnReasons:    st.ReturnReasons,
		EvidenceVerified: st.EvidenceVerified,
		Masked:           st.Masked,
	}
}

func (s storedState) state() inspection.State {
	return inspection.State{
		Record:           s.Record.record(),
		Version:          s.Version,
		StreetCode:       s.StreetCode,
		ActAt:            s.ActAt,
		ReceivedAt:       s.ReceivedAt,
		RecordedBy:       s.RecordedBy,
		DeviceID:         s.DeviceID,
		Assessment:       s.Assessment.assessment(),
		Status:           inspection.Status(s.Status),
		Review:           inspection.Review(s.Review),
		ReturnReasons:    s.ReturnReasons,
		EvidenceVerified: s.EvidenceVerified,
		Masked:           s.Masked,
	}
}

func storedRecordOf(r inspection.Record) storedRecord {
	return storedRecord{
		ID:          r.ID,
		TeamCode:    r.TeamCode,
		MatterCodes: r.MatterCodes,
		Location:    storedLocationOf(r.Location),
		StartedAt:   storedDeviceTimeOf(r.StartedAt),
		EndedAt:     mapPtr(r.EndedAt, storedDeviceTimeOf),
		Crew:        mapSlice(r.Crew, storedCrewCheckInOf),
		Party:       mapPtr(r.Party, storedPartyOf),
		Findings:    r.Findings,
		PhoneTier:   string(r.PhoneTier),
		Measures:    mapSlice(r.Measures, storedMeasureOf),
		RecordText:  r.RecordText,
		Signatures:  storedSignaturesOf(r.Signatures),
		Evidence:    mapSlice(r.Evidence, storedExpectedEvidenceOf),
	}
}

func (s storedRecord) record() inspection.Record {
	return inspection.Record{
		ID:          s.ID,
		TeamCode:    s.TeamCode,
		MatterCodes: s.MatterCodes,
		Location:    s.Location.location(),
		StartedAt:   s.StartedAt.deviceTime(),
		EndedAt:     mapPtr(s.EndedAt, storedDeviceTime.deviceTime),
		Crew:        mapSlice(s.Crew, storedCrewCheckIn.checkIn),
		Party:       mapPtr(s.Party, storedParty.party),
		Findings:    s.Findings,
		PhoneTier:   authority.Tier(s.PhoneTier),
		Measures:    mapSlice(s.Measures, storedMeasure.measure),
		RecordText:  s.RecordText,
		Signatures:  s.Signatures.signatures(),
		Evidence:    mapSlice(s.Evidence, storedExpectedEvidence.expected),
	}
}

func storedLocationOf(l inspection.Location) storedLocation {
	return storedLocation{Lat: l.Lat, Lon: l.Lon, AccuracyM: l.AccuracyM, Address: l.Address}
}

func (s storedLocation) location() inspection.Location {
	return inspection.Location{Lat: s.Lat, Lon: s.Lon, AccuracyM: s.AccuracyM, Address: s.Address}
}

func storedDeviceTimeOf(t inspection.DeviceTime) storedDeviceTime {
	return storedDeviceTime{Wall: t.Wall, SinceBootMS: t.SinceBootMS}
}

func (s storedDeviceTime) deviceTime() inspection.DeviceTime {
	return inspection.DeviceTime{Wall: s.Wall, SinceBootMS: s.SinceBootMS}
}

func storedCrewCheckInOf(c inspection.CrewCheckIn) storedCrewCheckIn {
	return storedCrewCheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
}

func (s storedCrewCheckIn) checkIn() inspection.CrewCheckIn {
	return inspection.CrewCheckIn{OfficerCode: s.OfficerCode, CheckedInAt: s.CheckedInAt}
}

func storedPartyOf(p inspection.Party) storedParty {
	return storedParty{Kind: string(p.Kind), Name: p.Name, IDType: p.IDType, IDNumber: p.IDNumber, Phone: p.Phone,
		Address: p.Address, BusinessLicence: p.BusinessLicence}
}

func (s storedParty) party() inspection.Party {
	return inspection.Party{Kind: inspection.PartyKind(s.Kind), Name: s.Name, IDType: s.IDType, IDNumber: s.IDNumber,
		Phone: s.Phone, Address: s.Address, BusinessLicence: s.BusinessLicence}
}

func storedMeasureOf(m inspection.Measure) storedMeasure {
	return storedMeasure{Kind: string(m.Kind), MatterCode: m.MatterCode, Fine: mapPtr(m.Fine, storedFineOf),
		Seizure: mapPtr(m.Seizure, storedSeizureOf), Summons: mapPtr(m.Summons, storedSummonsOf)}
}

func (s storedMeasure) measure() inspection.Measure {
	return inspection.Measure{Kind: authority.Measure(s.Kind), MatterCode: s.MatterCode, Fine: mapPtr(s.Fine, storedFine.fine),
		Seizure: mapPtr(s.Seizure, storedSeizure.seizure), Summons: mapPtr(s.Summons, storedSummons.summons)}
}

func storedFineOf(f inspection.Fine) storedFine {
	return storedFine{AmountYuan: f.AmountYuan, FormNumber: f.FormNumber}
}

func (s storedFine) fine() inspection.Fine {
	return inspection.Fine{AmountYuan: s.AmountYuan, FormNumber: s.FormNumber}
}

func storedSeizureOf(z inspection.Seizure) storedSeizure {
	return storedSeizure{Items: mapSlice(z.Items, storedSeizedItemOf), CustodyPlace: z.CustodyPlace, Urgent: z.Urgent,
		ExtensionReason: z.ExtensionReason, Deadline: z.Deadline}
}

func (s storedSeizure) seizure() inspection.Seizure {
	return inspection.Seizure{Items: mapSlice(s.Items, storedSeizedItem.item), CustodyPlace: s.CustodyPlace, Urgent: s.Urgent,
		ExtensionReason: s.ExtensionReason, Deadline: s.Deadline}
}

func storedSeizedItemOf(i inspection.SeizedItem) storedSeizedItem {
	return storedSeizedItem{Name: i.Name, Quantity: i.Quantity, Unit: i.Unit, Condition: i.Condition, PhotoIDs: i.PhotoIDs}
}

func (s storedSeizedItem) item() inspection.SeizedItem {
	return inspection.SeizedItem{Name: s.Name, Quantity: s.Quantity, Unit: s.Unit, Condition: s.Condition, PhotoIDs: s.PhotoIDs}
}

func storedSummonsOf(m inspection.Summons) storedSummons {
	return storedSummons{At: m.At, Place: m.Place}
}

func (s storedSummons) summons() inspection.Summons {
	return inspection.Summons{At: s.At, Place: s.Place}
}

func storedSignaturesOf(g inspection.Signatures) storedSignatures {
	return storedSignatures{Officers: mapSlice(g.Officers, storedOfficerSignatureOf), Party: mapPtr(g.Party, storedPartySignatureOf),
		Witness: mapPtr(g.Witness, storedWitnessOf)}
}

func (s storedSignatures) signatures() inspection.Signatures {
	return inspection.Signatures{Officers: mapSlice(s.Officers, storedOfficerSignature.signature),
		Party: mapPtr(s.Party, storedPartySignature.signature), Witness: mapPtr(s.Witness, storedWitness.witness)}
}

func storedOfficerSignatureOf(o inspection.OfficerSignature) storedOfficerSignature {
	return storedOfficerSignature{OfficerCode: o.OfficerCode, Signature: o.Signature}
}

func (s storedOfficerSignature) signature() inspection.OfficerSignature {
	return inspection.OfficerSignature{OfficerCode: s.OfficerCode, Signature: s.Signature}
}

func storedPartySignatureOf(p inspection.PartySignature) storedPartySignature {
	return storedPartySignature{Refused: p.Refused, EvidenceID: p.EvidenceID}
}

func (s storedPartySignature) signature() inspection.PartySignature {
	return inspection.PartySignature{Refused: s.Refused, EvidenceID: s.EvidenceID}
}

func storedWitnessOf(w inspection.Witness) storedWitness {
	return storedWitness{Name: w.Name, EvidenceID: w.EvidenceID}
}

func (s storedWitness) witness() inspection.Witness {
	return inspection.Witness{Name: s.Name, EvidenceID: s.EvidenceID}
}

func storedExpectedEvidenceOf(e inspection.ExpectedEvidence) storedExpectedEvidence {
	return storedExpectedEvidence{ClientID: e.ClientID, SHA256: e.SHA256, Size: e.Size, ContentType: e.ContentType, Kind: e.Kind}
}

func (s storedExpectedEvidence) expected() inspection.ExpectedEvidence {
	return inspection.ExpectedEvidence{ClientID: s.ClientID, SHA256: s.SHA256, Size: s.Size, ContentType: s.ContentType, Kind: s.Kind}
}

func storedAssessmentOf(a inspection.Assessment) storedAssessment {
	return storedAssessment{Decisions: mapSlice(a.Decisions, storedMatterDecisionOf), Tier: string(a.Tier), Lead: a.Lead,
		Exceptions: mapSlice(a.Exceptions, storedExceptionOf)}
}

func (s storedAssessment) assessment() inspection.Assessment {
	return inspection.Assessment{Decisions: mapSlice(s.Decisions, storedMatterDecision.decision), Tier: authority.Tier(s.Tier),
		Lead: s.Lead, Exceptions: mapSlice(s.Exceptions, storedException.exception)}
}

func storedMatterDecisionOf(d inspection.MatterDecision) storedMatterDecision {
	return storedMatterDecision{MatterCode: d.MatterCode, Version: d.Version, Decision: storedDecisionOf(d.Decision)}
}

func (s storedMatterDecision) decision() inspection.MatterDecision {
	return inspection.MatterDecision{MatterCode: s.MatterCode, Version: s.Version, Decision: s.Decision.decision()}
}

func storedDecisionOf(d authority.Decision) storedDecision {
	return storedDecision{Tier: string(d.Tier), Lead: d.Lead, SecondInspector: d.SecondInspector, Holders: d.Holders,
		Allowed: mapSlice(d.Allowed, func(m authority.Measure) string { return string(m) }),
		Reasons: mapSlice(d.Reasons, storedReasonOf)}
}

func (s storedDecision) decision() authority.Decision {
	return authority.Decision{Tier: authority.Tier(s.Tier), Lead: s.Lead, SecondInspector: s.SecondInspector, Holders: s.Holders,
		Allowed: mapSlice(s.Allowed, func(m string) authority.Measure { return authority.Measure(m) }),
		Reasons: mapSlice(s.Reasons, storedReason.reason)}
}

func storedReasonOf(r authority.Reason) storedReason {
	return storedReason{Code: r.Code, Subject: r.Subject, ZH: r.ZH, EN: r.EN}
}

func (s storedReason) reason() authority.Reason {
	return authority.Reason{Code: s.Code, Subject: s.Subject, ZH: s.ZH, EN: s.EN}
}

func storedExceptionOf(e inspection.Exception) storedException {
	return storedException{Code: e.Code, Subject: e.Subject, ZH: e.ZH, EN: e.EN}
}

func (s storedException) exception() inspection.Exception {
	return inspection.Exception{Code: s.Code, Subject: s.Subject, ZH: s.ZH, EN: s.EN}
}
