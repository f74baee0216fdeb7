package casework

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/whistle/whistle/backend/org"
)

var allRoles = []org.Role{org.RoleOfficer, org.RoleTeamLeader, org.RoleDeptReviewer, org.RoleGridOperator,
	org.RoleCommunity, org.RoleAdmin}

// allowed is the transition table written out by hand, independently of Moves: "from>to" -> the
// roles that may make it. Every other pair is refused for every role.
var allowed = map[string][]org.Role{
	"clue>filed":              {org.RoleOfficer, org.RoleTeamLeader},
	"clue>withdrawn":          {org.RoleTeamLeader},
	"filed>investigating":     {org.RoleOfficer},
	"filed>withdrawn":         {org.RoleTeamLeader},
	"investigating>decided":   {org.RoleOfficer, org.RoleTeamLeader},
	"investigating>withdrawn": {org.RoleTeamLeader},
	"decided>served":          {org.RoleOfficer},
	"decided>concluded":       {org.RoleOfficer, org.RoleTeamLeader},
	"served>executed":         {org.RoleOfficer},
	"served>concluded":        {org.RoleOfficer, org.RoleTeamLeader},
	"executed>concluded":      {org.RoleOfficer, org.RoleTeamLeader},
}

// metFacts are facts meeting every gate of the move from -> to.
func metFacts(from, to State) GateFacts {
	f := GateFacts{RightsNotified: true, LegalReviewRequired: true, LegalReviewDone: true, Outcome: OutcomePenalty,
		Penalty: Penalty{FineYuan: 50_000}, HearingOffered: true, ServiceRecorded: true, Reason: "证据不足"}
	switch {
	case from == StateDecided && to == StateConcluded:
		f.Outcome = OutcomeTransferred
	case from == StateServed && to == StateConcluded:
		f.Outcome = OutcomeNoPenalty
	}
	return f
}

// TestTransitionEveryPairEveryRole: every (from, to, role) is allowed exactly when the hand-written
// table says so, and a refusal says whether the pair or the role is at fault.
func TestTransitionEveryPairEveryRole(t *testing.T) {
	seen := 0
	for _, from := range States {
		for _, to := range States {
			roles, pairOK := allowed[string(from)+">"+string(to)]
			if pairOK {
				seen++
			}
			for _, role := range allRoles {
				err := Transition(Case{ID: "C1", State: from}, to, role, metFacts(from, to))
				var te *TransitionError
				switch {
				case pairOK && slices.Contains(roles, role):
					if err != nil {
						t.Errorf("%s -> %s by %s: refused: %v", from, to, role, err)
					}
				case !errors.As(err, &te):
					t.Errorf("%s -> %s by %s: want a *TransitionError, got %v", from, to, role, err)
				case pairOK && te.Code != RefusedRole:
					t.Errorf("%s -> %s by %s: code %s, want %s", from, to, role, te.Code, RefusedRole)
				case !pairOK && te.Code != RefusedNoSuchTransition:
					t.Errorf("%s -> %s by %s: code %s, want %s", from, to, role, te.Code, RefusedNoSuchTransition)
				}
			}
		}
	}
	if seen != len(allowed) || len(Moves) != len(allowed) {
		t.Errorf("allowed pairs seen %d, table %d, Moves %d", seen, len(allowed), len(Moves))
	}
}

// TestTransitionGates: each gate refuses when its fact is missing, and a refusal lists every
// unmet gate of the move, in the table's order, with its basis.
func TestTransitionGates(t *testing.T) {
	decide := func(mod func(*GateFacts)) GateFacts {
		f := metFacts(StateInvestigating, StateDecided)
		mod(&f)
		return f
	}
	tests := []struct {
		name     string
		from, to State
		facts    GateFacts
		unmet    []string
	}{
		{"all met", StateInvestigating, StateDecided, decide(func(*GateFacts) {}), nil},
		{"art 44 not notified", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.RightsNotified = false }), []string{GateRightsNotified}},
		{"art 44 waived on record", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.RightsNotified, f.RightsWaived = false, true }), nil},
		{"art 57 no outcome", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Outcome = "" }), []string{GateOutcomeRecorded}},
		{"art 57 unknown outcome", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Outcome = "fine" }), []string{GateOutcomeRecorded}},
		{"art 58 review required, missing", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.LegalReviewDone = false }), []string{GateLegalReview}},
		{"art 58 review not required", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.LegalReviewRequired, f.LegalReviewDone = false, false }), nil},
		{"art 63 person fine at threshold, no hearing offered", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Penalty, f.HearingOffered = Penalty{FineYuan: 10_000}, false }), []string{GateHearingOffered}},
		{"art 63 person fine below threshold", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Penalty, f.HearingOffered = Penalty{FineYuan: 9_999}, false }), nil},
		{"art 63 org fine below org threshold", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Penalty, f.HearingOffered = Penalty{FineYuan: 99_999, PartyIsOrg: true}, false }), nil},
		{"art 63 org fine at org threshold", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Penalty, f.HearingOffered = Penalty{FineYuan: 100_000, PartyIsOrg: true}, false }), []string{GateHearingOffered}},
		{"art 63 configured threshold", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) {
				f.Penalty, f.HearingOffered = Penalty{FineYuan: 5_000}, false
				f.HearingThreshold = HearingThreshold{PersonYuan: 5_000, OrgYuan: 50_000}
			}), []string{GateHearingOffered}},
		{"art 63 licence revocation without fine", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) { f.Penalty, f.HearingOffered = Penalty{RevokesLicence: true}, false }), []string{GateHearingOffered}},
		{"art 63 closure", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) {
				f.Penalty, f.HearingOffered = Penalty{OrdersClosure: true, PartyIsOrg: true}, false
			}), []string{GateHearingOffered}},
		{"art 63 no penalty needs no hearing", StateInvestigating, StateDecided,
			decide(func(f *GateFacts) {
				f.Outcome, f.Penalty, f.HearingOffered = OutcomeNoPenalty, Penalty{FineYuan: 1_000_000}, false
			}), nil},
		{"every decision gate unmet, all listed in order", StateInvestigating, StateDecided,
			GateFacts{LegalReviewRequired: true, Outcome: OutcomePenalty, Penalty: Penalty{RevokesLicence: true}},
			[]string{GateRightsNotified, GateLegalReview, GateHearingOffered}},
		{"art 61 served without proof", StateDecided, StateServed, GateFacts{}, []string{GateServiceRecorded}},
		{"art 61 served with proof", StateDecided, StateServed, GateFacts{ServiceRecorded: true}, nil},
		{"execute a no-penalty decision", StateServed, StateExecuted, GateFacts{Outcome: OutcomeNoPenalty}, []string{GateOutcomeIsDecision}},
		{"execute a penalty", StateServed, StateExecuted, GateFacts{Outcome: OutcomePenalty}, nil},
		{"conclude after service a penalty not executed", StateServed, StateConcluded,
			GateFacts{Outcome: OutcomePenalty}, []string{GateOutcomeNoPenalty}},
		{"conclude after decision, not transferred, seizure open", StateDecided, StateConcluded,
			GateFacts{Outcome: OutcomePenalty, SeizureUnresolved: true}, []string{GateOutcomeTransfer, GateSeizureResolved}},
		{"conclude a transferred case", StateDecided, StateConcluded, GateFacts{Outcome: OutcomeTransferred}, nil},
		{"conclude with seizure unresolved", StateExecuted, StateConcluded, GateFacts{SeizureUnresolved: true}, []string{GateSeizureResolved}},
		{"conclude with seizure resolved", StateExecuted, StateConcluded, GateFacts{}, nil},
		{"not filed without reason", StateClue, StateWithdrawn, GateFacts{Reason: "  "}, []string{GateReasonRecorded}},
		{"not filed with reason", StateClue, StateWithdrawn, GateFacts{Reason: "不属于本部门职责"}, nil},
		{"withdraw filed case: no reason, seizure open", StateFiled, StateWithdrawn,
			GateFacts{SeizureUnresolved: true}, []string{GateReasonRecorded, GateSeizureResolved}},
		{"withdraw under investigation, no reason", StateInvestigating, StateWithdrawn, GateFacts{}, []string{GateReasonRecorded}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, _ := MoveOf(tt.from, tt.to)
			err := Transition(Case{ID: "C1", State: tt.from}, tt.to, m.Roles[0], tt.facts)
			if tt.unmet == nil {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				return
			}
			var te *TransitionError
			if !errors.As(err, &te) || te.Code != RefusedGates {
				t.Fatalf("want %s, got %v", RefusedGates, err)
			}
			var got []string
			for _, g := range te.Unmet {
				got = append(got, g.Code)
				if g.Basis == "" || g.ZH == "" || g.EN == "" {
					t.Errorf("gate %s without basis or text: %+v", g.Code, g)
				}
			}
			if !slices.Equal(got, tt.unmet) {
				t.Errorf("unmet %v, want %v", got, tt.unmet)
			}
			for _, code := range tt.unmet {
				if !strings.Contains(err.Error(), code) {
					t.Errorf("message %q does not name %s", err.Error(), code)
				}
			}
		})
	}
}

// TestGateTable: every gate a move names is in the gate table, with a legal basis citing a law
// and an article and both texts.
func TestGateTable(t *testing.T) {
	for _, m := range Moves {
		for _, code := range m.Gates {
			g, ok := GateOf(code)
			if !ok {
				t.Errorf("%s -> %s names unknown gate %s", m.From, m.To, code)
				continue
			}
			if !strings.Contains(g.Basis, "法》第") || g.ZH == "" || g.EN == "" {
				t.Errorf("gate %s: basis %q, zh %q, en %q", code, g.Basis, g.ZH, g.EN)
			}
		}
	}
	if _, ok := GateOf("NO_SUCH_GATE"); ok {
		t.Error("GateOf found an unknown code")
	}
}
