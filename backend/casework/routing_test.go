package casework

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/org"
)

// Beijing time without the tz database, so the tests run on a bare image.
var cst = time.FixedZone("CST", 8*60*60)

// routedAt is the instant every routing is judged at: a morning in 2024, long before the tests run.
var routedAt = time.Date(2024, 5, 6, 9, 30, 0, 0, cst)

var vending = org.MatterInForce{ // 占道经营, a matter of the squad
	Matter:         org.Matter{Code: "CG-0101", Version: 2, DepartmentCode: "chengguan"},
	DepartmentKind: authority.KindSquad,
}

// validCert is a certificate valid from a year before to a year after routedAt.
func validCert(officer string) org.Certificate {
	return org.Certificate{Number: "CERT-" + officer, OfficerCode: officer, IssuingDepartmentCode: "chengguan",
		ValidFrom: routedAt.AddDate(-1, 0, 0), ValidTo: routedAt.AddDate(1, 0, 0)}
}

func member(code, dept string, certs ...org.Certificate) org.Member {
	return org.Member{Officer: org.Officer{Code: code, DepartmentCode: dept}, DepartmentKind: authority.KindSquad,
		Position: org.PositionMember, Certificates: certs}
}

func team(members ...org.Member) org.Roster {
	return org.Roster{Team: org.Team{Code: "T-JNJ", StreetCode: "jiaodaokou"}, At: routedAt, Members: members}
}

type verdict struct {
	officer string
	code    string
}

func TestRoute(t *testing.T) {
	expired := validCert("E")
	expired.ValidTo = routedAt // exclusive: expired at the instant
	future := validCert("F")
	future.ValidFrom = routedAt.Add(time.Minute)
	suspended := validCert("S")
	suspended.Status = []authority.CertificateStatus{{Status: authority.CertificateSuspended, Since: routedAt.AddDate(0, -1, 0)}}
	revoked := validCert("R")
	revoked.Status = []authority.CertificateStatus{{Status: authority.CertificateRevoked, Since: routedAt.AddDate(0, 0, -1)}}
	odd := validCert("U")
	odd.Status = []authority.CertificateStatus{{Status: "lost", Since: routedAt.AddDate(0, 0, -1)}}
	renewed := validCert("N") // an old expired certificate and a current one
	oldCert := validCert("N")
	oldCert.Number, oldCert.ValidFrom, oldCert.ValidTo = "CERT-N-OLD", routedAt.AddDate(-5, 0, 0), routedAt.AddDate(-1, 0, 0)
	leader := member("L", "chengguan", validCert("L"))
	leader.Position = org.PositionLeader
	aux := member("X", "chengguan", validCert("X"))
	aux.Officer.Auxiliary = true
	listed := vending
	listed.DepartmentCode, listed.DepartmentKind = "work_safety", authority.KindListed
	noDept := vending
	noDept.DepartmentCode = ""

	tests := []struct {
		name       string
		in         RouteInput
		dest       Destination
		officer    string
		reason     string
		candidates []verdict
	}{
		{"least loaded chosen, others more loaded", RouteInput{Matter: vending,
			Team:      team(member("A", "chengguan", validCert("A")), member("B", "chengguan", validCert("B")), member("C", "chengguan", validCert("C"))),
			OpenCases: map[string]int{"A": 3, "B": 1, "C": 2}},
			DestOfficer, "B", RouteToOfficer,
			[]verdict{{"A", CandidateMoreLoaded}, {"B", CandidateChosen}, {"C", CandidateMoreLoaded}}},
		{"tie broken by officer id, whatever the roster order", RouteInput{Matter: vending,
			Team:      team(member("B2", "chengguan", validCert("B2")), member("A9", "chengguan", validCert("A9")), member("C1", "chengguan", validCert("C1"))),
			OpenCases: map[string]int{"B2": 1, "A9": 1, "C1": 4}},
			DestOfficer, "A9", RouteToOfficer,
			[]verdict{{"A9", CandidateChosen}, {"B2", CandidateTieLostByOfficerID}, {"C1", CandidateMoreLoaded}}},
		{"every certificate path, then the one valid officer", RouteInput{Matter: vending,
			Team: team(member("E", "chengguan", expired), member("F", "chengguan", future), member("S", "chengguan", suspended),
				member("R", "chengguan", revoked), member("U", "chengguan", odd), member("Z", "chengguan"),
				member("N", "chengguan", oldCert, renewed)),
			OpenCases: map[string]int{"N": 7}},
			DestOfficer, "N", RouteToOfficer,
			[]verdict{{"E", CandidateCertExpired}, {"F", CandidateCertNotYetValid}, {"N", CandidateChosen},
				{"R", CandidateCertRevoked}, {"S", CandidateCertSuspended}, {"U", CandidateCertStatusUnknown}, {"Z", CandidateNoCertificate}}},
		{"on leave and overloaded: district queue", RouteInput{Matter: vending,
			Team:    team(member("A", "chengguan", validCert("A")), member("B", "chengguan", validCert("B"))),
			OnLeave: map[string]bool{"A": true}, OpenCases: map[string]int{"A": 0, "B": 5}, MaxOpenCases: 5},
			DestDistrictQueue, "", RouteNoEligibleOfficer,
			[]verdict{{"A", CandidateOnLeave}, {"B", CandidateOverloaded}}},
		{"the team leader is never picked, though least loaded", RouteInput{Matter: vending,
			Team:      team(leader, member("B", "chengguan", validCert("B"))),
			OpenCases: map[string]int{"L": 0, "B": 3}},
			DestOfficer, "B", RouteToOfficer,
			[]verdict{{"B", CandidateChosen}, {"L", CandidateTeamLeader}}},
		{"below the limit is not overloaded", RouteInput{Matter: vending,
			Team: team(member("B", "chengguan", validCert("B"))), OpenCases: map[string]int{"B": 4}, MaxOpenCases: 5},
			DestOfficer, "B", RouteToOfficer, []verdict{{"B", CandidateChosen}}},
		{"objector excluded on re-routing, though least loaded", RouteInput{Matter: vending,
			Team:      team(member("A", "chengguan", validCert("A")), member("B", "chengguan", validCert("B"))),
			OpenCases: map[string]int{"A": 0, "B": 6}, Objectors: []string{"A"}},
			DestOfficer, "B", RouteToOfficer, []verdict{{"A", CandidateObjected}, {"B", CandidateChosen}}},
		{"only officer objected: district queue", RouteInput{Matter: vending,
			Team: team(member("A", "chengguan", validCert("A"))), Objectors: []string{"A"}},
			DestDistrictQueue, "", RouteNoEligibleOfficer, []verdict{{"A", CandidateObjected}}},
		{"other departments and auxiliaries are not candidates", RouteInput{Matter: vending,
			Team: team(member("P", "police", validCert("P")), aux)},
			DestDistrictQueue, "", RouteNoOfficerOfDepartment, nil},
		{"listed department's matter goes to its queue", RouteInput{Matter: listed,
			Team: team(member("W", "work_safety", validCert("W")))},
			DestDistrictQueue, "", RouteListedDepartment, nil},
		{"matter without department", RouteInput{Matter: noDept, Team: team(member("A", "chengguan", validCert("A")))},
			DestUnroutable, "", RouteNoCompetentDepartment, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.CaseID, tt.in.At = "C1", routedAt
			r := Route(tt.in)
			if r.Destination != tt.dest || r.OfficerCode != tt.officer || r.Reason.Code != tt.reason {
				t.Errorf("got %s %q %s, want %s %q %s", r.Destination, r.OfficerCode, r.Reason.Code, tt.dest, tt.officer, tt.reason)
			}
			if r.CaseID != "C1" || !r.At.Equal(routedAt) || r.MatterCode != tt.in.Matter.Code || r.DepartmentCode != tt.in.Matter.DepartmentCode {
				t.Errorf("routing does not record its case, instant, matter and department: %+v", r)
			}
			var got []verdict
			chosen := 0
			for _, c := range r.Candidates {
				got = append(got, verdict{c.OfficerCode, c.Reason.Code})
				if c.Chosen {
					chosen++
					if c.OfficerCode != r.OfficerCode {
						t.Errorf("candidate %s marked chosen, routed to %q", c.OfficerCode, r.OfficerCode)
					}
				}
				if c.Reason.ZH == "" || c.Reason.EN == "" || c.Reason.ZH == c.Reason.Code {
					t.Errorf("candidate %s: reason without texts %+v", c.OfficerCode, c.Reason)
				}
			}
			if want := map[bool]int{true: 1, false: 0}[tt.officer != ""]; chosen != want {
				t.Errorf("%d candidates chosen, want %d", chosen, want)
			}
			if !slices.Equal(got, tt.candidates) {
				t.Errorf("candidates %v, want %v", got, tt.candidates)
			}
			if r.Reason.ZH == "" || r.Reason.ZH == r.Reason.Code {
				t.Errorf("routing reason without texts: %+v", r.Reason)
			}
		})
	}
}

// TestRouteMatterChange: a case whose matter changes is routed again to the new department's
// officer.
func TestRouteMatterChange(t *testing.T) {
	roster := team(member("A", "chengguan", validCert("A")), member("M", "market", validCert("M")))
	unlicensed := org.MatterInForce{Matter: org.Matter{Code: "SC-0201", Version: 1, DepartmentCode: "market"},
		DepartmentKind: authority.KindResident}
	first := Route(RouteInput{CaseID: "C1", Matter: vending, At: routedAt, Team: roster})
	again := Route(RouteInput{CaseID: "C1", Matter: unlicensed, At: routedAt.Add(time.Hour), Team: roster})
	if first.OfficerCode != "A" || again.OfficerCode != "M" || again.DepartmentCode != "market" {
		t.Errorf("first %s, after the matter change %s (%s)", first.OfficerCode, again.OfficerCode, again.DepartmentCode)
	}
}

// TestRouteReasonTexts: every reason code has both texts, and a routing serialises with them.
func TestRouteReasonTexts(t *testing.T) {
	for code, text := range routeText {
		if text[0] == "" || text[1] == "" {
			t.Errorf("%s without text", code)
		}
	}
	b, err := json.Marshal(Route(RouteInput{CaseID: "C1", Matter: vending, At: routedAt, Team: team()}))
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(b, &back); err != nil || back["candidates"] == nil || back["destination"] != string(DestDistrictQueue) {
		t.Errorf("routing JSON %s (%v)", b, err)
	}
}
