// Package inspection is the officer's main act on the phone: the on-site
// inspection record (现场检查记录) of front-end unified enforcement, made
// offline or online, checked by the server against who held enforcement
// authority at the moment of the act.
//
// A record that breaks a rule is never dropped or rewritten: it is kept with
// its exceptions and enters the team leader's review queue. A correction is
// a new version; every version stays readable. The same commands serve the
// online API and sync mutations (inspection.record@1, inspection.amend@1).
package inspection

import (
	"time"

	"github.com/whistle/whistle/backend/authority"
)

// Record is what an officer records at the scene. Its JSON is the body of
// POST /v1/inspections and the args of inspection.record@1.
type Record struct {
	ID          string             `json:"id"` // client-generated UUID
	TeamCode    string             `json:"team_code"`
	MatterCodes []string           `json:"matter_codes"`
	Location    Location           `json:"location"`
	StartedAt   DeviceTime         `json:"started_at"`
	EndedAt     *DeviceTime        `json:"ended_at,omitempty"`
	Crew        []CrewCheckIn      `json:"crew"`
	Party       *Party             `json:"party,omitempty"`
	Findings    string             `json:"findings"`
	PhoneTier   authority.Tier     `json:"phone_tier"`
	Measures    []Measure          `json:"measures"`
	RecordText  string             `json:"record_text"` // 现场笔录
	Signatures  Signatures         `json:"signatures"`
	Evidence    []ExpectedEvidence `json:"evidence"`
}

// Location is where the act happened (WGS84).
type Location struct {
	Lat       float64 `json:"lat"`
	Lon       float64 `json:"lon"`
	AccuracyM float64 `json:"accuracy_m"`
	Address   string  `json:"address"`
}

// DeviceTime is a moment as the device measured it.
type DeviceTime struct {
	Wall        time.Time `json:"wall"`
	SinceBootMS int64     `json:"since_boot_ms"`
}

// CrewCheckIn is a person checked in at the scene.
type CrewCheckIn struct {
	OfficerCode string    `json:"officer_code"`
	CheckedInAt time.Time `json:"checked_in_at"`
}

// PartyKind is who the party of the act is.
type PartyKind string

// The party kinds (they decide the simple-procedure fine ceiling).
const (
	PartyPerson       PartyKind = "person"
	PartyOrganisation PartyKind = "organisation"
)

// Party is the person or business inspected. Its identifying fields are
// personal data: masked outside the case team.
type Party struct {
	Kind            PartyKind `json:"kind"`
	Name            string    `json:"name"`
	IDType          string    `json:"id_type,omitempty"` // e.g. resident_id, passport, uscc
	IDNumber        string    `json:"id_number,omitempty"`
	Phone           string    `json:"phone,omitempty"`
	Address         string    `json:"address,omitempty"`
	BusinessLicence string    `json:"business_licence,omitempty"`
}

// Measure is one measure taken at the scene, for one of the record's matters.
type Measure struct {
	Kind       authority.Measure `json:"kind"`
	MatterCode string            `json:"matter_code"`
	Fine       *Fine             `json:"fine,omitempty"`
	Seizure    *Seizure          `json:"seizure,omitempty"`
	Summons    *Summons          `json:"summons,omitempty"`
}

// Fine is a simple-procedure fine (简易程序, 处罚法 art. 51-52) on a
// numbered decision form.
type Fine struct {
	AmountYuan int    `json:"amount_yuan"`
	FormNumber string `json:"form_number"`
}

// Seizure is a temporary seizure of goods (暂扣/扣押, 强制法 art. 18-25).
type Seizure struct {
	Items        []SeizedItem `json:"items"`
	CustodyPlace string       `json:"custody_place"`
	// Urgent: taken in an emergency; must be reported to the agency head
	// within 24 hours (强制法 art. 19).
	Urgent bool `json:"urgent"`
	// Extension: one extension of 30 days, with its reason (art. 25).
	ExtensionReason string `json:"extension_reason,omitempty"`
	// Deadline is computed by the server from the act's moment.
	Deadline time.Time `json:"deadline,omitempty"`
}

// SeizedItem is one line of the seizure inventory (清单).
type SeizedItem struct {
	Name      string   `json:"name"`
	Quantity  float64  `json:"quantity"`
	Unit      string   `json:"unit"`
	Condition string   `json:"condition"`
	PhotoIDs  []string `json:"photo_ids,omitempty"` // client ids of evidence photos
}

// Summons asks the party to come to the team for an interview (约谈).
type Summons struct {
	At    time.Time `json:"at"`
	Place string    `json:"place"`
}

// Signatures are those of the on-site record.
type Signatures struct {
	Officers []OfficerSignature `json:"officers"`
	Party    *PartySignature    `json:"party,omitempty"`
	Witness  *Witness           `json:"witness,omitempty"`
}

// OfficerSignature is an officer's signature of the record with their device key.
type OfficerSignature struct {
	OfficerCode string `json:"officer_code"`
	Signature   []byte `json:"signature"`
}

// PartySignature is the party's signature (an image, which is evidence) or refusal.
type PartySignature struct {
	Refused    bool   `json:"refused"`
	EvidenceID string `json:"evidence_id,omitempty"` // client id of the signature image
}

// Witness signs when the party is absent or refuses.
type Witness struct {
	Name       string `json:"name"`
	EvidenceID string `json:"evidence_id,omitempty"`
}

// ExpectedEvidence is a file taken at the scene, announced by the record;
// the file itself arrives by upload, before or after the record.
type ExpectedEvidence struct {
	ClientID    string `json:"client_id"`
	SHA256      string `json:"sha256"`
	Size        int64  `json:"size"`
	ContentType string `json:"content_type"`
	Kind        string `json:"kind"` // photo, video, audio, signature, document
}

// ActAt is the moment of the act: when the inspection started, by the
// device's clock (the server measures the device's clock skew at each sync).
func (r Record) ActAt() time.Time { return r.StartedAt.Wall.UTC() }
