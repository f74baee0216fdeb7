package casework

import (
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/org"
)

// RouteInput is everything Route judges: the case's matter as the catalogue stood at intake, the
// street's team at the instant of routing, and each officer's availability and load.
type RouteInput struct {
	CaseID string
	// Matter is the version of the matter in force at intake, with its competent department and the
	// department's kind. A case whose matter changes is routed again with the new one.
	Matter org.MatterInForce
	// At is the instant of routing: certificates must be valid at it.
	At time.Time
	// Team is the street's team with its members at At (org.Roster).
	Team org.Roster
	// OnLeave marks officers (by code) not available at At: on leave, or otherwise away as
	// configured.
	OnLeave map[string]bool
	// OpenCases is each officer's number of open cases at At; missing means none.
	OpenCases map[string]int
	// MaxOpenCases is the configured load at which an officer takes no more cases; 0 means no limit.
	MaxOpenCases int
	// Objectors are the officers who objected (异议) to this case; routing again never picks them.
	Objectors []string
}

// Destination is where a case goes.
type Destination string

// The destinations of a routing.
const (
	DestOfficer       Destination = "officer"        // an officer of the street's team
	DestDistrictQueue Destination = "district_queue" // the competent department's queue at district level
	DestUnroutable    Destination = "unroutable"     // the matter names no department: the team leader decides
)

// RouteReason explains a routing or one candidate's place in it, in Chinese and English.
type RouteReason struct {
	Code string `json:"code"`
	ZH   string `json:"zh"`
	EN   string `json:"en"`
}

// Candidate is one officer of the competent department in the team, and why they were or were not
// chosen.
type Candidate struct {
	OfficerCode string      `json:"officer_code"`
	OpenCases   int         `json:"open_cases"`
	Chosen      bool        `json:"chosen"`
	Reason      RouteReason `json:"reason"`
}

// Routing is the outcome of Route, recorded with the case.
type Routing struct {
	CaseID         string      `json:"case_id"`
	At             time.Time   `json:"at"`
	MatterCode     string      `json:"matter_code"`
	MatterVersion  int         `json:"matter_version"`
	DepartmentCode string      `json:"department_code"`
	Destination    Destination `json:"destination"`
	OfficerCode    string      `json:"officer_code,omitempty"` // for DestOfficer
	Reason         RouteReason `json:"reason"`
	// Candidates are the department's officers in the team, by officer code.
	Candidates []Candidate `json:"candidates"`
}

// Route reason codes about the routing as a whole: stable, part of the API contract.
const (
	RouteToOfficer              = "ROUTED_TO_OFFICER"
	RouteListedDepartment       = "LISTED_DEPARTMENT_QUEUE"
	RouteNoOfficerOfDepartment  = "NO_OFFICER_OF_DEPARTMENT"
	RouteNoEligibleOfficer      = "NO_ELIGIBLE_OFFICER"
	RouteNoCompetentDepartment  = "NO_COMPETENT_DEPARTMENT"
	RouteSingleNature           = "SINGLE_NATURE_TO_DEPARTMENT"
	RouteReassigned             = "REASSIGNED_BY_TEAM_LEADER"
	RouteDepartmentObjected     = "DEPARTMENT_OBJECTED"
	CandidateChosen             = "CHOSEN_LEAST_LOADED"
	CandidateObjected           = "OBJECTED"
	CandidateTeamLeader         = "TEAM_LEADER"
	CandidateNoCertificate      = "NO_CERTIFICATE"
	CandidateCertNotYetValid    = "CERT_NOT_YET_VALID"
	CandidateCertExpired        = "CERT_EXPIRED"
	CandidateCertSuspended      = "CERT_SUSPENDED"
	CandidateCertRevoked        = "CERT_REVOKED"
	CandidateCertStatusUnknown  = "CERT_STATUS_UNKNOWN"
	CandidateOnLeave            = "ON_LEAVE"
	CandidateOverloaded         = "OVERLOADED"
	CandidateMoreLoaded         = "MORE_LOADED"
	CandidateTieLostByOfficerID = "TIE_LOWER_OFFICER_ID_CHOSEN"
)

// routeText is the one table of routing reason texts, Chinese then English.
var routeText = map[string][2]string{
	RouteToOfficer: {"已按法定职权分派给主管部门派驻本队的持证执法人员",
		"Assigned by legal authority to a certified officer of the competent department in the team"},
	RouteListedDepartment: {"本事项属于挂牌单位，转该部门区级待办队列（街道可吹哨）",
		"Matter of a listed department: sent to that department's district queue (the street may whistle it)"},
	RouteNoOfficerOfDepartment: {"本队无主管部门派驻人员，转该部门区级待办队列",
		"No officer of the competent department in the team: sent to the department's district queue"},
	RouteNoEligibleOfficer: {"主管部门派驻人员均不可分派，转该部门区级待办队列",
		"No officer of the competent department in the team can take the case: sent to the department's district queue"},
	RouteNoCompetentDepartment: {"事项未记录主管部门，无法按职权分派，由队长处理",
		"The matter names no competent department; it cannot be routed by authority and goes to the team leader"},
	RouteSingleNature: {"单一性质问题由区网格中心直接派主管部门（《北京市接诉即办工作条例》第十一条）",
		"A single-nature problem goes from the district grid center straight to the competent department (接诉即办条例 art. 11)"},
	RouteReassigned: {"队长改派，理由见案件记录", "Reassigned by the team leader; the reason is in the case history"},
	RouteDepartmentObjected: {"主管部门提出异议，转队长重新确定职责",
		"The competent department objected; the team leader settles who is competent"},
	CandidateChosen: {"执法证有效、在岗，在办案件最少，予以分派",
		"Valid certificate, available, fewest open cases: chosen"},
	CandidateObjected: {"该人员已对本案提出异议，重新分派时不再选择",
		"Objected to this case; not picked again"},
	CandidateTeamLeader: {"队长负责分派、审核和归档，不作为承办人（可由队长改派给自己）",
		"The team leader routes, reviews and archives, and is not picked to handle a case (he may reassign it to himself)"},
	CandidateNoCertificate:   {"无执法证记录，不能承办案件", "No enforcement certificate on record; cannot handle the case"},
	CandidateCertNotYetValid: {"执法证在分派时尚未生效", "Enforcement certificate not yet valid at the time of routing"},
	CandidateCertExpired:     {"执法证在分派时已过期", "Enforcement certificate expired at the time of routing"},
	CandidateCertSuspended:   {"执法证在分派时处于暂停状态", "Enforcement certificate suspended at the time of routing"},
	CandidateCertRevoked:     {"执法证在分派时已被吊销", "Enforcement certificate revoked at the time of routing"},
	CandidateCertStatusUnknown: {"执法证状态无法识别，按无效处理",
		"Enforcement certificate status not recognised; treated as not valid"},
	CandidateOnLeave:    {"分派时不在岗（休假等）", "Not available at the time of routing (on leave or away)"},
	CandidateOverloaded: {"在办案件已达上限", "Open cases at the configured limit"},
	CandidateMoreLoaded: {"在办案件多于被分派人员", "More open cases than the officer chosen"},
	CandidateTieLostByOfficerID: {"在办案件数与被分派人员相同，按人员编号顺序未被选中",
		"As many open cases as the officer chosen, who comes first by officer id"},
}

// routeReason returns the reason with code's texts; a code missing from routeText is a bug the
// tests catch, and still yields a reason with the code as its text.
func routeReason(code string) RouteReason {
	text, ok := routeText[code]
	if !ok {
		text = [2]string{code, code}
	}
	return RouteReason{Code: code, ZH: text[0], EN: text[1]}
}

// Route sends a case by legal authority. The matter's competent department decides who may handle
// it: a listed department's matter goes to that department's district queue; otherwise the
// candidates are the department's (non-auxiliary) officers in the team. A candidate is eligible if
// they are not the team leader (who routes, reviews and archives: separation of duties), did not object to the case, hold a certificate valid at in.At, are not on leave and are
// below MaxOpenCases; of the eligible, the one with the fewest open cases is chosen, the lower
// officer code on a tie. No eligible candidate: the department's district queue. Every candidate is
// listed with the reason they were or were not chosen.
func Route(in RouteInput) Routing {
	r := Routing{CaseID: in.CaseID, At: in.At, MatterCode: in.Matter.Code, MatterVersion: in.Matter.Version,
		DepartmentCode: in.Matter.DepartmentCode, Candidates: []Candidate{}}
	switch {
	case strings.TrimSpace(in.Matter.DepartmentCode) == "":
		r.Destination, r.Reason = DestUnroutable, routeReason(RouteNoCompetentDepartment)
		return r
	case in.Matter.DepartmentKind == authority.KindListed:
		r.Destination, r.Reason = DestDistrictQueue, routeReason(RouteListedDepartment)
		return r
	}

	var eligible []int // indexes into r.Candidates
	for _, m := range in.Team.Members {
		o := m.Officer
		if o.Auxiliary || o.DepartmentCode != in.Matter.DepartmentCode {
			continue
		}
		c := Candidate{OfficerCode: o.Code, OpenCases: in.OpenCases[o.Code]}
		switch cert := certificateAt(m.Certificates, in.At); {
		case m.Position == org.PositionLeader:
			c.Reason = routeReason(CandidateTeamLeader)
		case slices.Contains(in.Objectors, o.Code):
			c.Reason = routeReason(CandidateObjected)
		case cert != "":
			c.Reason = routeReason(cert)
		case in.OnLeave[o.Code]:
			c.Reason = routeReason(CandidateOnLeave)
		case in.MaxOpenCases > 0 && c.OpenCases >= in.MaxOpenCases:
			c.Reason = routeReason(CandidateOverloaded)
		default:
			eligible = append(eligible, len(r.Candidates))
		}
		r.Candidates = append(r.Candidates, c)
	}

	best := -1
	for _, i := range eligible {
		c := r.Candidates[i]
		if best < 0 || c.OpenCases < r.Candidates[best].OpenCases ||
			(c.OpenCases == r.Candidates[best].OpenCases && c.OfficerCode < r.Candidates[best].OfficerCode) {
			best = i
		}
	}
	for _, i := range eligible {
		c := &r.Candidates[i]
		switch {
		case i == best:
			c.Chosen, c.Reason = true, routeReason(CandidateChosen)
		case c.OpenCases > r.Candidates[best].OpenCases:
			c.Reason = routeReason(CandidateMoreLoaded)
		default:
			c.Reason = routeReason(CandidateTieLostByOfficerID)
		}
	}

	switch {
	case best >= 0:
		r.Destination, r.OfficerCode, r.Reason = DestOfficer, r.Candidates[best].OfficerCode, routeReason(RouteToOfficer)
	case len(r.Candidates) == 0:
		r.Destination, r.Reason = DestDistrictQueue, routeReason(RouteNoOfficerOfDepartment)
	default:
		r.Destination, r.Reason = DestDistrictQueue, routeReason(RouteNoEligibleOfficer)
	}
	slices.SortFunc(r.Candidates, func(a, b Candidate) int { return strings.Compare(a.OfficerCode, b.OfficerCode) })
	return r
}

// certificateAt returns "" if one of certs is valid at t, else the candidate reason code of the
// certificate that comes closest (the one valid latest), CandidateNoCertificate if there is none.
// Validity is the authority engine's (authority.Certificate.InvalidAt), so a case is never routed
// to an officer whose certificate the engine would not count on site.
func certificateAt(certs []org.Certificate, t time.Time) string {
	if len(certs) == 0 {
		return CandidateNoCertificate
	}
	var last *authority.Certificate
	for _, c := range certs {
		ac := c.AuthorityCertificate()
		if ac.ValidAt(t) {
			return ""
		}
		if last == nil || ac.ValidTo.After(last.ValidTo) {
			last = ac
		}
	}
	return candidateCertReason[last.InvalidAt(t)]
}

// candidateCertReason maps the authority engine's certificate reasons to routing's.
var candidateCertReason = map[string]string{
	authority.ReasonCertNotYetValid:    CandidateCertNotYetValid,
	authority.ReasonCertExpiredAtAct:   CandidateCertExpired,
	authority.ReasonCertSuspendedAtAct: CandidateCertSuspended,
	authority.ReasonCertRevokedAtAct:   CandidateCertRevoked,
	authority.ReasonCertStatusUnknown:  CandidateCertStatusUnknown,
}
