package casework

import (
	"fmt"
	"slices"
	"strings"

	"github.com/whistle/whistle/backend/org"
)

// State is where a case stands in its handling.
type State string

// The states of a case, in handling order; StateWithdrawn ends a case that is not pursued.
const (
	StateClue          State = "clue"          // 线索: a problem taken in, not yet a case
	StateFiled         State = "filed"         // 立案
	StateInvestigating State = "investigating" // 调查取证
	StateDecided       State = "decided"       // 作出决定: penalty, no penalty, or transferred
	StateServed        State = "served"        // 送达
	StateExecuted      State = "executed"      // 执行
	StateConcluded     State = "concluded"     // 结案: handed to the team leader for archiving
	StateWithdrawn     State = "withdrawn"     // 不予立案 / 撤销立案, with a reason
	// StateArchived is a concluded or withdrawn case closed into its archive (案件归档) by the team
	// leader after the completeness check (backend/archive). No move of Moves reaches it: only the
	// closing does, and an archived case takes no more acts (derrors.CaseArchived).
	StateArchived State = "archived"
)

// States lists every state, in handling order.
var States = []State{StateClue, StateFiled, StateInvestigating, StateDecided, StateServed, StateExecuted,
	StateConcluded, StateWithdrawn, StateArchived}

// Outcome is what the decision of a case is (处罚法 art. 57).
type Outcome string

// The outcomes of a decision.
const (
	OutcomePenalty     Outcome = "penalty"     // 给予行政处罚
	OutcomeNoPenalty   Outcome = "no_penalty"  // 不予行政处罚
	OutcomeTransferred Outcome = "transferred" // 移送司法机关
)

// Case is what Transition needs to know of a case.
type Case struct {
	ID    string
	State State
}

// Penalty is the penalty a decision imposes, as far as the hearing gate (art. 63) needs it.
type Penalty struct {
	FineYuan       int  `json:"fine_yuan,omitempty"`       // the fine, in yuan; 0 for none
	PartyIsOrg     bool `json:"party_is_org,omitempty"`    // the party is a legal person or other organisation, not a natural person
	RevokesLicence bool `json:"revokes_licence,omitempty"` // 降低资质等级、吊销许可证件
	OrdersClosure  bool `json:"orders_closure,omitempty"`  // 责令停产停业、责令关闭、限制从业
}

// HearingThreshold is the fine from which a hearing must be offered (处罚法 art. 63: 较大数额罚款;
// the amount is set by the province). Configuration, per department.
type HearingThreshold struct {
	PersonYuan int // for a natural person
	OrgYuan    int // for a legal person or other organisation
}

// DefaultHearingThreshold is the default 较大数额 for Beijing: 10,000 yuan for a person, 100,000 for
// an organisation. Departments may configure their own.
var DefaultHearingThreshold = HearingThreshold{PersonYuan: 10_000, OrgYuan: 100_000}

// GateFacts are the recorded facts the gates look at. The caller reads them from the case file;
// Transition only judges them.
type GateFacts struct {
	// RightsNotified: the party was told the facts, grounds and basis of the intended decision and
	// their rights to state and defend (and to a hearing) (处罚法 art. 44).
	RightsNotified bool
	// RightsWaived: the party waived statement and defence on record.
	RightsWaived bool
	// LegalReviewRequired: the case is one where legal review comes before the decision (处罚法
	// art. 58: major public interest, major rights of the party after a hearing, complex cases).
	LegalReviewRequired bool
	// LegalReviewDone: the legal reviewer's opinion is on record.
	LegalReviewDone bool
	// Outcome is the decision made; required for a move to StateDecided and read afterwards.
	Outcome Outcome
	// Penalty is the penalty of an OutcomePenalty decision.
	Penalty Penalty
	// HearingThreshold is the department's configured threshold; the zero value means
	// DefaultHearingThreshold.
	HearingThreshold HearingThreshold
	// HearingOffered: the party was told of the right to a hearing (听证告知).
	HearingOffered bool
	// ServiceRecorded: the decision's proof of service (送达回证) is on record (处罚法 art. 61).
	ServiceRecorded bool
	// SeizureUnresolved: a seizure of the case is neither released nor decided on (行政强制法 arts
	// 27-28).
	SeizureUnresolved bool
	// Reason is the recorded reason of a withdrawal.
	Reason string
}

// Gate codes: stable, part of the API contract (a refused transition answers with them).
const (
	GateRightsNotified    = "RIGHTS_NOTIFIED"     // 处罚法 art. 44
	GateOutcomeRecorded   = "OUTCOME_RECORDED"    // 处罚法 art. 57
	GateLegalReview       = "LEGAL_REVIEW"        // 处罚法 art. 58
	GateHearingOffered    = "HEARING_OFFERED"     // 处罚法 art. 63
	GateServiceRecorded   = "SERVICE_RECORDED"    // 处罚法 art. 61
	GateSeizureResolved   = "SEIZURE_RESOLVED"    // 强制法 arts. 27-28
	GateReasonRecorded    = "REASON_RECORDED"     // 处罚法 art. 47
	GateOutcomeNoPenalty  = "OUTCOME_NO_PENALTY"  // 处罚法 art. 57(1)(2)-(3)
	GateOutcomeTransfer   = "OUTCOME_TRANSFERRED" // 处罚法 art. 57(1)(4)
	GateOutcomeIsDecision = "OUTCOME_PENALTY"     // 处罚法 arts. 57(1)(1), 66
)

// Gate is one legal condition of a transition: its code, its legal basis and what it asks, in
// Chinese and English.
type Gate struct {
	Code  string `json:"code"`
	Basis string `json:"basis"`
	ZH    string `json:"zh"`
	EN    string `json:"en"`
}

// gateRule is a gate with the check of the facts that meets it.
type gateRule struct {
	Basis, ZH, EN string
	check         func(GateFacts) bool
}

// gates is the one table of gates; a phone running the rules offline shows the same words.
var gates = map[string]gateRule{
	GateRightsNotified: {Basis: "《中华人民共和国行政处罚法》第四十四条",
		ZH:    "作出决定前，应当告知当事人拟作出处罚的内容及事实、理由、依据和陈述、申辩、要求听证等权利，或当事人已书面放弃",
		EN:    "Before the decision the party must be told the facts, grounds and basis and their rights to state, defend and ask for a hearing, or have waived them on record",
		check: func(f GateFacts) bool { return f.RightsNotified || f.RightsWaived }},
	GateOutcomeRecorded: {Basis: "《中华人民共和国行政处罚法》第五十七条",
		ZH: "应当记录决定结果：给予处罚、不予处罚或移送司法机关",
		EN: "The decision's outcome must be recorded: penalty, no penalty, or transferred to the judiciary",
		check: func(f GateFacts) bool {
			return f.Outcome == OutcomePenalty || f.Outcome == OutcomeNoPenalty || f.Outcome == OutcomeTransferred
		}},
	GateLegalReview: {Basis: "《中华人民共和国行政处罚法》第五十八条",
		ZH:    "本案须经法制审核，未经法制审核或审核未通过的，不得作出决定",
		EN:    "This case needs legal review before the decision, and none is on record",
		check: func(f GateFacts) bool { return !f.LegalReviewRequired || f.LegalReviewDone }},
	GateHearingOffered: {Basis: "《中华人民共和国行政处罚法》第六十三条",
		ZH:    "拟作出较大数额罚款、吊销许可证件、责令停产停业等处罚的，应当告知当事人有要求听证的权利",
		EN:    "A large fine, licence revocation, closure or similar penalty requires that the party be offered a hearing",
		check: func(f GateFacts) bool { return !hearingQualifies(f) || f.HearingOffered }},
	GateServiceRecorded: {Basis: "《中华人民共和国行政处罚法》第六十一条",
		ZH:    "决定书应当送达当事人，须记录送达回证",
		EN:    "The decision must be served on the party and the proof of service recorded",
		check: func(f GateFacts) bool { return f.ServiceRecorded }},
	GateSeizureResolved: {Basis: "《中华人民共和国行政强制法》第二十七条、第二十八条",
		ZH:    "案件中的查封、扣押尚未解除或处理，不得结案",
		EN:    "A seizure of the case is neither released nor decided on; the case cannot be concluded",
		check: func(f GateFacts) bool { return !f.SeizureUnresolved }},
	GateReasonRecorded: {Basis: "《中华人民共和国行政处罚法》第四十七条",
		ZH:    "不予立案或撤销立案应当记录理由",
		EN:    "Not filing or withdrawing a case needs a recorded reason",
		check: func(f GateFacts) bool { return strings.TrimSpace(f.Reason) != "" }},
	GateOutcomeNoPenalty: {Basis: "《中华人民共和国行政处罚法》第五十七条第一款第二、三项",
		ZH:    "送达后直接结案仅适用于不予处罚的决定；处罚决定须先执行",
		EN:    "Concluding right after service is only for a no-penalty decision; a penalty must be executed first",
		check: func(f GateFacts) bool { return f.Outcome == OutcomeNoPenalty }},
	GateOutcomeTransfer: {Basis: "《中华人民共和国行政处罚法》第五十七条第一款第四项",
		ZH:    "决定后直接结案仅适用于移送司法机关的案件",
		EN:    "Concluding right after the decision is only for a case transferred to the judiciary",
		check: func(f GateFacts) bool { return f.Outcome == OutcomeTransferred }},
	GateOutcomeIsDecision: {Basis: "《中华人民共和国行政处罚法》第五十七条第一款第一项、第六十六条",
		ZH:    "只有给予处罚的决定需要送达后执行",
		EN:    "Only a penalty decision is executed after service",
		check: func(f GateFacts) bool { return f.Outcome == OutcomePenalty }},
}

// hearingQualifies reports whether f's decision is a penalty for which a hearing must be offered.
func hearingQualifies(f GateFacts) bool {
	if f.Outcome != OutcomePenalty {
		return false
	}
	p := f.Penalty
	if p.RevokesLicence || p.OrdersClosure {
		return true
	}
	th := f.HearingThreshold
	if th == (HearingThreshold{}) {
		th = DefaultHearingThreshold
	}
	limit := th.PersonYuan
	if p.PartyIsOrg {
		limit = th.OrgYuan
	}
	return p.FineYuan > 0 && p.FineYuan >= limit
}

// GateOf returns the gate with code and its texts; false for an unknown code.
func GateOf(code string) (Gate, bool) {
	g, ok := gates[code]
	return Gate{Code: code, Basis: g.Basis, ZH: g.ZH, EN: g.EN}, ok
}

// Move is one allowed transition: from, to, the roles that may make it, and its gates.
type Move struct {
	From  State
	To    State
	Roles []org.Role
	Gates []string
}

// Moves is the one table of allowed transitions; any pair not in it is refused. Officers handle
// their cases; the team leader (队长, the head of the team) files, withdraws and decides too.
var Moves = []Move{
	{StateClue, StateFiled, []org.Role{org.RoleOfficer, org.RoleTeamLeader}, nil},
	{StateClue, StateWithdrawn, []org.Role{org.RoleTeamLeader}, []string{GateReasonRecorded}},
	{StateFiled, StateInvestigating, []org.Role{org.RoleOfficer}, nil},
	{StateFiled, StateWithdrawn, []org.Role{org.RoleTeamLeader}, []string{GateReasonRecorded, GateSeizureResolved}},
	{StateInvestigating, StateDecided, []org.Role{org.RoleOfficer, org.RoleTeamLeader},
		[]string{GateOutcomeRecorded, GateRightsNotified, GateLegalReview, GateHearingOffered}},
	{StateInvestigating, StateWithdrawn, []org.Role{org.RoleTeamLeader}, []string{GateReasonRecorded, GateSeizureResolved}},
	{StateDecided, StateServed, []org.Role{org.RoleOfficer}, []string{GateServiceRecorded}},
	{StateDecided, StateConcluded, []org.Role{org.RoleOfficer, org.RoleTeamLeader}, []string{GateOutcomeTransfer, GateSeizureResolved}},
	{StateServed, StateExecuted, []org.Role{org.RoleOfficer}, []string{GateOutcomeIsDecision}},
	{StateServed, StateConcluded, []org.Role{org.RoleOfficer, org.RoleTeamLeader}, []string{GateOutcomeNoPenalty, GateSeizureResolved}},
	{StateExecuted, StateConcluded, []org.Role{org.RoleOfficer, org.RoleTeamLeader}, []string{GateSeizureResolved}},
}

// Refusal codes of a TransitionError: stable, part of the API contract.
const (
	RefusedNoSuchTransition = "CASE_TRANSITION_NOT_ALLOWED" // the pair (from, to) is not in Moves
	RefusedRole             = "CASE_ROLE_NOT_PERMITTED"     // the actor's role may not make it
	RefusedGates            = "CASE_GATES_UNMET"            // one or more gates are not met
)

// TransitionError is a refused transition: why, and for RefusedGates every unmet gate.
type TransitionError struct {
	Code  string   `json:"code"`
	From  State    `json:"from"`
	To    State    `json:"to"`
	Actor org.Role `json:"actor"`
	Unmet []Gate   `json:"unmet,omitempty"`
}

func (e *TransitionError) Error() string {
	switch e.Code {
	case RefusedRole:
		return fmt.Sprintf("casework: role %q may not move a case from %s to %s", e.Actor, e.From, e.To)
	case RefusedGates:
		codes := make([]string, len(e.Unmet))
		for i, g := range e.Unmet {
			codes[i] = g.Code
		}
		return fmt.Sprintf("casework: %s -> %s: unmet gates %s", e.From, e.To, strings.Join(codes, ", "))
	}
	return fmt.Sprintf("casework: no transition from %s to %s", e.From, e.To)
}

// MoveOf returns the move from -> to of the table, false if there is none.
func MoveOf(from, to State) (Move, bool) {
	for _, m := range Moves {
		if m.From == from && m.To == to {
			return m, true
		}
	}
	return Move{}, false
}

// Transition judges moving c to state to by actor on the recorded facts: nil if allowed, else a
// *TransitionError. It checks the pair, then the role, then every gate of the move, and lists
// every unmet gate in the order of the table, so the officer sees all that is missing at once.
func Transition(c Case, to State, actor org.Role, facts GateFacts) error {
	m, ok := MoveOf(c.State, to)
	if !ok {
		return &TransitionError{Code: RefusedNoSuchTransition, From: c.State, To: to, Actor: actor}
	}
	if !slices.Contains(m.Roles, actor) {
		return &TransitionError{Code: RefusedRole, From: c.State, To: to, Actor: actor}
	}
	var unmet []Gate
	for _, code := range m.Gates {
		// A code missing from gates is a bug the tests catch; it counts as unmet, never as met.
		if r, ok := gates[code]; !ok || !r.check(facts) {
			g, _ := GateOf(code)
			unmet = append(unmet, g)
		}
	}
	if len(unmet) > 0 {
		return &TransitionError{Code: RefusedGates, From: c.State, To: to, Actor: actor, Unmet: unmet}
	}
	return nil
}
