package casework

import (
	"time"
)

// SourceKind is where a problem came from.
type SourceKind string

// The sources of a case.
const (
	SourceInspection        SourceKind = "inspection"         // an inspection record of the street's team
	SourceWorkOrder         SourceKind = "work_order"         // a work order of the grid center (12345 接诉即办)
	SourceCommunityReport   SourceKind = "community_report"   // a community's report
	SourceSupervisionNotice SourceKind = "supervision_notice" // a supervision notice 监管通知单
)

// Nature is how many departments a grid problem concerns (接诉即办条例 arts 11-12): a
// single-nature problem goes from the district grid center straight to the competent department;
// a comprehensive one goes to the street team.
type Nature string

// The natures of a problem.
const (
	NatureSingle        Nature = "single"
	NatureComprehensive Nature = "comprehensive"
)

// Location is where a problem is: an address, and coordinates when known (WGS 84).
type Location struct {
	Address string   `json:"address"`
	Lat     *float64 `json:"lat,omitempty"`
	Lng     *float64 `json:"lng,omitempty"`
}

// Contact is the person who reported a problem: personal data, masked outside the case team.
type Contact struct {
	Name  string `json:"name,omitempty"`
	Phone string `json:"phone,omitempty"`
}

// Source is one origin of a case: the inspection record it came from, or what the grid center
// took in. A merge keeps the sources of both cases.
type Source struct {
	Kind         SourceKind `json:"kind"`
	InspectionID string     `json:"inspection_id,omitempty"`
	// Channel is the intake channel of a grid source (12345, 网格巡查, 12319...).
	Channel         string   `json:"channel,omitempty"`
	WorkOrderNumber string   `json:"work_order_number,omitempty"`
	Nature          Nature   `json:"nature,omitempty"`
	Contact         *Contact `json:"contact,omitempty"`
	// ReceivedAt is when the source was received (by the hotline, the community...).
	ReceivedAt time.Time `json:"received_at"`
	// TimeLimit is the deadline written on a work order (its own limit); nil when none.
	TimeLimit   *time.Time `json:"time_limit,omitempty"`
	Location    Location   `json:"location"`
	Description string     `json:"description"`
	// TakenBy is the user id of the account that took the source in; grid operators see the work
	// orders they took in.
	TakenBy string `json:"taken_by"`
}

// ReceiverKind says who a case is with.
type ReceiverKind string

// The receivers of a case.
const (
	ReceiverOfficer    ReceiverKind = "officer"     // an officer of the street's team
	ReceiverDepartment ReceiverKind = "department"  // the competent department's queue at district level
	ReceiverTeamLeader ReceiverKind = "team_leader" // the team leader of the street decides
)

// Receiver is who holds a case: an officer (by officer code), a department (by code) or the team
// leader of the case's team (the team's code).
type Receiver struct {
	Kind ReceiverKind `json:"kind"`
	Code string       `json:"code"`
}

// Record is a case as stored and served: where it stands, who holds it, where it came from and
// the facts its gates look at. (Case, in states.go, is the part Transition needs.)
type Record struct {
	ID         string `json:"id"`
	StreetCode string `json:"street_code"`
	TeamCode   string `json:"team_code"`
	// Number is the case number 案号, given at filing when numbering arrives (archive issue); empty
	// until then.
	Number string `json:"number,omitempty"`
	// MatterCode and MatterVersion are the matter as the catalogue stood at intake (or at the last
	// matter change); DepartmentCode is that version's competent department.
	MatterCode     string  `json:"matter_code"`
	MatterVersion  int     `json:"matter_version"`
	DepartmentCode string  `json:"department_code"`
	State          State   `json:"state"`
	Outcome        Outcome `json:"outcome,omitempty"`
	// Assignee is who holds the case now; FirstReceiver who received it first, who stays
	// answerable (接诉即办条例 art. 14) whoever handles it after.
	Assignee      Receiver `json:"assignee"`
	FirstReceiver Receiver `json:"first_receiver"`
	Location      Location `json:"location"`
	Description   string   `json:"description"`
	Sources       []Source `json:"sources"`
	// Routing is the last routing decision with its candidates and reasons.
	Routing *Routing `json:"routing,omitempty"`
	// Objectors are the officers who objected (异议) to the case; routing never picks them again.
	Objectors []string `json:"objectors,omitempty"`
	// Facts are the recorded facts the gates judge.
	Facts Facts `json:"facts"`
	// MergedInto names the case this one was merged into; a merged case takes no more acts.
	MergedInto string `json:"merged_into,omitempty"`
	// Version counts the changes of the case: the ETag and If-Match name it.
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
	// Masked says personal data (contacts) is hidden for this viewer.
	Masked bool `json:"masked"`
}

// Facts are the facts of a case file the gates judge, as recorded by the case's acts.
type Facts struct {
	RightsNotified      bool    `json:"rights_notified"`
	RightsWaived        bool    `json:"rights_waived"`
	LegalReviewRequired bool    `json:"legal_review_required"`
	LegalReviewDone     bool    `json:"legal_review_done"`
	Penalty             Penalty `json:"penalty"`
	HearingOffered      bool    `json:"hearing_offered"`
	ServiceRecorded     bool    `json:"service_recorded"`
	SeizureUnresolved   bool    `json:"seizure_unresolved"`
	WithdrawReason      string  `json:"withdraw_reason,omitempty"`
}

// EventKind is what happened to a case.
type EventKind string

// The events of a case's history.
const (
	EventIntake       EventKind = "intake"
	EventRouted       EventKind = "routed"
	EventReassigned   EventKind = "reassigned"
	EventObjection    EventKind = "objection"
	EventMatterChange EventKind = "matter_changed"
	EventTransition   EventKind = "transition"
	EventNote         EventKind = "note"
	EventNotified     EventKind = "notified"
	EventMerged       EventKind = "merged"
	EventArchived     EventKind = "archive_closed" // closed into its archive (案件归档), with its archive number
)

// Event is one entry of a case's history, kept for ever.
type Event struct {
	Kind   EventKind `json:"kind"`
	At     time.Time `json:"at"`
	Actor  string    `json:"actor"` // user id when stored; the store answers the username
	From   State     `json:"from,omitempty"`
	To     State     `json:"to,omitempty"`
	Reason string    `json:"reason,omitempty"`
	// Assignee is who holds the case after a routing, reassignment or objection.
	Assignee *Receiver `json:"assignee,omitempty"`
}

// Filter selects cases for a list.
type Filter struct {
	StreetCode string
	State      State
	// Assignee, when set, keeps the cases held by this receiver.
	Assignee *Receiver
	// DepartmentCode keeps the cases of this competent department.
	DepartmentCode string
	// TakenBy keeps the cases with a source taken in by this user (a grid operator's list).
	TakenBy string
	// GrantedTo keeps the cases on which this department has a review grant, not revoked and
	// not expired at GrantedAt (a reviewer's list; the service judges each grant again).
	GrantedTo string
	GrantedAt time.Time
	Limit     int
	After     *Cursor
}

// Cursor is a position in a list of cases, newest first: the last case of a page.
type Cursor struct {
	CreatedAt time.Time
	ID        string
}

// Page sizes of lists.
const (
	DefaultPage = 100
	MaxPage     = 500
)
