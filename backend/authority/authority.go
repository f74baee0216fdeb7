// Package authority decides, for one act on site, which procedure the crew at the scene may use and
// which measures that procedure allows: the enforcement procedure 执法程序 (two or more holders of
// authority for the matter), the on-site inspection procedure 现场检查程序 (exactly one), the on-site
// investigation procedure 现场调查程序 (none, matter of the squad or a resident department), or
// record-and-refer (none, matter of a listed department 挂牌单位).
//
// Authority is judged as of the moment of the act (Input.At), never as of now: a certificate that
// expired yesterday does not count for an act recorded offline yesterday afternoon and synced today,
// and one that was valid then still counts even if it has expired or been suspended since.
//
// Decide is a pure function of its Input: it reads no clock, no store and no randomness, and the
// order of the crew does not matter. That is what lets the two ends agree. Phones in the street are
// often offline, so the phone downloads the same matters, certificates and policies (every type
// carries snake_case JSON tags for that) and decides provisionally with the same rules; at sync the
// server runs Decide again on the data as it stood at the act's moment, and where the answers differ
// the act is kept and flagged for the team leader with the Reasons.
package authority

import (
	"cmp"
	"slices"
	"strings"
	"time"
)

// Tier is the procedure a crew may use for a matter (程序).
type Tier string

// The tiers, from most to least authority. Their values are part of the API contract.
const (
	// TierEnforcement is the enforcement procedure 执法程序: two or more holders present, the full
	// legal procedure for the matter.
	TierEnforcement Tier = "enforcement"
	// TierOnsiteInspection is the on-site inspection procedure 现场检查程序: exactly one holder
	// present, possibly with a second inspector 第二检查人 of another department.
	TierOnsiteInspection Tier = "onsite_inspection"
	// TierOnsiteInvestigation is the on-site investigation procedure 现场调查程序: no holder present
	// for a matter of the squad or a resident department; evidence and summons only.
	TierOnsiteInvestigation Tier = "onsite_investigation"
	// TierRefer is record-and-refer: no holder present for a matter of a listed department; record
	// evidence, then route the case or whistle the department (移送/吹哨).
	TierRefer Tier = "refer"
)

// Rank orders tiers by the authority they carry: refer and onsite_investigation 0, onsite_inspection
// 1, enforcement 2. An unknown tier ranks -1, below all of them.
func (t Tier) Rank() int {
	switch t {
	case TierRefer, TierOnsiteInvestigation:
		return 0
	case TierOnsiteInspection:
		return 1
	case TierEnforcement:
		return 2
	}
	return -1
}

// DepartmentKind is how a department sits in the street's "1 + 5 + N" comprehensive enforcement team.
type DepartmentKind string

// The department kinds.
const (
	// KindSquad is the street's urban-management squad 城管执法队, the "1".
	KindSquad DepartmentKind = "squad"
	// KindResident is one of the five departments with officers seconded full-time 常驻, the "5".
	KindResident DepartmentKind = "resident"
	// KindListed is one of the twenty listed departments 挂牌单位 that keep no one in the team, the "N".
	KindListed DepartmentKind = "listed"
)

// Measure is something a crew may do on site for a matter (执法措施).
type Measure string

// The measures.
const (
	MeasureEvidence   Measure = "evidence"    // photo evidence 拍照取证
	MeasureSummons    Measure = "summons"     // summon the party to the team for interview 约谈
	MeasureWarning    Measure = "warning"     // warning 警告
	MeasureFineSimple Measure = "fine_simple" // on-the-spot fine by the simple procedure 简易程序罚款 (处罚法 art. 51)
	MeasureSeizure    Measure = "seizure"     // temporary seizure of goods 暂扣/扣押 (强制法 art. 18)
	MeasureRefer      Measure = "refer"       // route the case or whistle the competent department 移送/吹哨
)

// Matter is a statutory enforcement matter 执法事项 from a department's list of powers 权责清单.
type Matter struct {
	Code                string         `json:"code"`
	CompetentDepartment string         `json:"competent_department"`
	CompetentKind       DepartmentKind `json:"competent_kind"`
	// Measures are the measures the law allows for this matter under the enforcement procedure.
	Measures []Measure `json:"measures"`
}

// The statuses a certificate can have in its history.
const (
	CertificateActive    = "active"
	CertificateSuspended = "suspended"
	CertificateRevoked   = "revoked"
)

// CertificateStatus is one entry of a certificate's status history: from Since on, the certificate
// has Status (CertificateActive, CertificateSuspended or CertificateRevoked).
type CertificateStatus struct {
	Status string    `json:"status"`
	Since  time.Time `json:"since"`
	Reason string    `json:"reason"`
}

// Certificate is an officer's enforcement certificate 执法证.
type Certificate struct {
	Number            string    `json:"number"`
	HolderID          string    `json:"holder_id"`
	IssuingDepartment string    `json:"issuing_department"`
	ValidFrom         time.Time `json:"valid_from"`
	// ValidTo is exclusive: the certificate is no longer valid at the instant ValidTo. A zero ValidTo
	// means no validity period was recorded, and the certificate is valid at no time.
	ValidTo time.Time `json:"valid_to"`
	// Status is the status history, in any order; see StatusAt.
	Status []CertificateStatus `json:"status"`
}

// StatusAt returns the status in force at t: that of the entry with the latest Since not after t
// (of several with that Since, the last in the slice), or CertificateActive if there is none.
func (c Certificate) StatusAt(t time.Time) string {
	status, best := CertificateActive, -1
	for i, s := range c.Status {
		if s.Since.After(t) {
			continue
		}
		if best < 0 || !s.Since.Before(c.Status[best].Since) {
			status, best = s.Status, i
		}
	}
	return status
}

// ValidAt reports whether the certificate could be shown at t: ValidFrom <= t < ValidTo and its
// status at t is active.
func (c Certificate) ValidAt(t time.Time) bool {
	return c.InvalidAt(t) == ""
}

// InvalidAt returns the reason code why the certificate was not valid at t, or "" if it was.
func (c Certificate) InvalidAt(t time.Time) string {
	switch {
	case t.Before(c.ValidFrom):
		return ReasonCertNotYetValid
	case !t.Before(c.ValidTo):
		return ReasonCertExpiredAtAct
	}
	switch c.StatusAt(t) {
	case CertificateActive:
		return ""
	case CertificateSuspended:
		return ReasonCertSuspendedAtAct
	case CertificateRevoked:
		return ReasonCertRevokedAtAct
	}
	return ReasonCertStatusUnknown
}

// CrewMember is one person checked in at the scene.
type CrewMember struct {
	PersonID string `json:"person_id"`
	// Auxiliary marks auxiliary forces 辅助力量 (guards, patrols, grid workers, volunteers): they may
	// assist but never hold enforcement authority.
	Auxiliary      bool           `json:"auxiliary"`
	Department     string         `json:"department"`
	DepartmentKind DepartmentKind `json:"department_kind"`
	CheckedInAt    time.Time      `json:"checked_in_at"`
	// Certificate is nil for someone without an enforcement certificate. A certificate without a
	// number counts as none: it cannot be shown to the party.
	Certificate *Certificate `json:"certificate"`
}

// Input is everything Decide looks at: the matter, the crew, the moment of the act, and the
// procedure policies per department (a department without an entry has the zero Policy).
type Input struct {
	Matter   Matter            `json:"matter"`
	Crew     []CrewMember      `json:"crew"`
	At       time.Time         `json:"at"`
	Policies map[string]Policy `json:"policies"`
}

// Decision is the procedure a crew may use for a matter at the moment of the act, and why.
type Decision struct {
	Tier Tier `json:"tier"`
	// Lead is the person id of the holder leading the act, "" when there is no holder.
	Lead string `json:"lead"`
	// SecondInspector is the person id of the second officer: the second holder under the
	// enforcement procedure, an officer of another department under the on-site inspection
	// procedure when policy allows it, otherwise "".
	SecondInspector string `json:"second_inspector"`
	// Holders are the person ids of the holders of authority for the matter, in check-in order.
	Holders []string `json:"holders"`
	// Allowed are the measures the crew may take, sorted and without duplicates.
	Allowed []Measure `json:"allowed"`
	// Reasons explain the decision: first one per crew entry not counted as a holder (in check-in
	// order), then the decision's own.
	Reasons []Reason `json:"reasons"`
}

// Allows reports whether the decision allows measure m.
func (d Decision) Allows(m Measure) bool {
	return slices.Contains(d.Allowed, m)
}

// Decide decides the procedure for in.Matter with in.Crew as of in.At. It never fails: whatever the
// data, it returns the most the crew may lawfully do and the reasons for everything it withheld.
//
// The crew is considered in order of CheckedInAt, then PersonID (then the remaining fields, so that
// the order of in.Crew never matters). An entry counts only if it was checked in at or before the
// act, is not auxiliary, and has a certificate valid at the act; it is a holder if it also belongs
// to the matter's competent department. The same person or the same certificate number counts once.
func Decide(in Input) Decision {
	crew := slices.Clone(in.Crew)
	slices.SortFunc(crew, compareMembers)

	notes := make([]string, len(crew)) // reason code per entry; "" for a counted holder
	var qualified, others []int        // qualified entries of the competent / another department
	for i, m := range crew {
		if code := disqualifier(m, in.At); code != "" {
			notes[i] = code
		} else if m.Department == in.Matter.CompetentDepartment {
			qualified = append(qualified, i)
		} else {
			others = append(others, i)
		}
	}

	holders := pickHolders(crew, qualified, notes)
	persons, certs := map[string]bool{}, map[string]bool{}
	for _, i := range holders {
		persons[crew[i].PersonID] = true
		certs[crew[i].Certificate.Number] = true
	}
	// Officers of other departments are deduplicated after the holders, so that a duplicate entry
	// of another department can never take a holder's place (and adding someone to the crew never
	// lowers the tier).
	var candidates []int // counted officers of other departments, in check-in order
	for _, i := range others {
		m := crew[i]
		switch {
		case persons[m.PersonID]:
			notes[i] = ReasonDuplicatePerson
		case certs[m.Certificate.Number]:
			notes[i] = ReasonDuplicateCertificate
		default:
			persons[m.PersonID], certs[m.Certificate.Number] = true, true
			notes[i] = ReasonOtherDepartment
			candidates = append(candidates, i)
		}
	}

	d := Decision{Holders: []string{}, Reasons: []Reason{}}
	for i, code := range notes {
		if code != "" {
			d.Reasons = append(d.Reasons, newReason(code, crew[i].PersonID))
		}
	}
	for _, i := range holders {
		d.Holders = append(d.Holders, crew[i].PersonID)
	}

	allowed := []Measure{MeasureEvidence, MeasureSummons}
	switch {
	case len(holders) >= 2:
		d.Tier, d.Lead, d.SecondInspector = TierEnforcement, d.Holders[0], d.Holders[1]
		allowed = append(allowed, in.Matter.Measures...)
		d.addReason(ReasonTierEnforcement, "")

	case len(holders) == 1:
		d.Tier, d.Lead = TierOnsiteInspection, d.Holders[0]
		d.addReason(ReasonTierOnsiteInspection, "")
		policy := in.Policies[in.Matter.CompetentDepartment]
		if policy.Validate() != nil {
			// A permission without its recorded legal basis is not applied.
			policy.SecondInspectorFromOtherResident, policy.MixedCrewSeizureReview = false, false
			d.addReason(ReasonPolicyInvalid, "")
		}

		second := ""
		for _, i := range candidates {
			if k := crew[i].DepartmentKind; k == KindResident || k == KindSquad {
				second = crew[i].PersonID
				break
			}
		}
		switch {
		case second == "":
			d.addReason(ReasonNoSecondInspector, "")
		case !policy.SecondInspectorFromOtherResident:
			d.addReason(ReasonSecondInspectorNotAllowedByPolicy, second)
		default:
			d.SecondInspector = second
		}

		if slices.Contains(in.Matter.Measures, MeasureSeizure) {
			if d.SecondInspector == "" {
				d.addReason(ReasonSeizureNeedsSecondInspector, "")
			} else {
				allowed = append(allowed, MeasureSeizure)
				if policy.MixedCrewSeizureReview {
					d.addReason(ReasonMixedCrewSeizureReview, d.SecondInspector)
				}
			}
		}

		var penalties []Measure
		for _, m := range in.Matter.Measures {
			if m == MeasureWarning || m == MeasureFineSimple {
				penalties = append(penalties, m)
			}
		}
		if len(penalties) > 0 {
			if policy.SingleOfficerSimpleProcedure {
				allowed = append(allowed, penalties...)
				d.addReason(ReasonSingleOfficerSimpleProcedure, "")
			} else {
				d.addReason(ReasonPenaltyNeedsTwoHolders, "")
			}
		}

	case in.Matter.CompetentKind == KindSquad || in.Matter.CompetentKind == KindResident:
		d.Tier = TierOnsiteInvestigation
		d.addReason(ReasonNoHolderPresent, "")

	case in.Matter.CompetentKind == KindListed:
		d.Tier = TierRefer
		allowed = []Measure{MeasureEvidence, MeasureRefer}
		d.addReason(ReasonMatterOfListedDepartment, "")

	default:
		// Nobody can investigate a matter that cannot be placed: record it and route it.
		d.Tier = TierRefer
		allowed = []Measure{MeasureEvidence, MeasureRefer}
		d.addReason(ReasonCompetentKindUnknown, "")
	}

	slices.Sort(allowed)
	d.Allowed = slices.Compact(allowed)
	return d
}

func (d *Decision) addReason(code, subject string) {
	d.Reasons = append(d.Reasons, newReason(code, subject))
}

// disqualifier returns the code of the first rule that keeps m from counting at the act, or "".
// It looks at m alone; duplicates are found later, among the entries that pass.
func disqualifier(m CrewMember, at time.Time) string {
	switch {
	case m.CheckedInAt.After(at):
		return ReasonCheckedInAfterAct
	case m.Auxiliary:
		return ReasonAuxiliaryNotCounted
	case m.Certificate == nil || m.Certificate.Number == "":
		return ReasonNoCertificate
	}
	return m.Certificate.InvalidAt(at)
}

// pickHolders returns, in crew order, the entries among qualified (indices into crew) that count as
// holders, and notes a duplicate reason on the others.
//
// The holders are the largest set of entries with pairwise distinct person ids and certificate
// numbers: a maximum matching between persons and certificates, each entry an edge, found with
// augmenting paths, persons taken in check-in order. For ordinary duplicates this is simply "the
// earlier entry counts, the later one is the duplicate". A greedy pass would be simpler but, on
// contradictory records (one person with two certificates, one of which another person also
// shows), adding an entry could then lower the count; a maximum matching never shrinks when an
// entry is added, so more people at the scene never means less authority.
func pickHolders(crew []CrewMember, qualified []int, notes []string) []int {
	var persons []string
	entries := map[string][]int{}
	for _, i := range qualified {
		p := crew[i].PersonID
		if _, seen := entries[p]; !seen {
			persons = append(persons, p)
		}
		entries[p] = append(entries[p], i)
	}

	certHolder := map[string]int{} // certificate number -> matched entry
	personEntry := map[string]int{}
	var augment func(p string, visited map[string]bool) bool
	augment = func(p string, visited map[string]bool) bool {
		for _, i := range entries[p] {
			n := crew[i].Certificate.Number
			if visited[n] {
				continue
			}
			visited[n] = true
			j, taken := certHolder[n]
			if !taken || augment(crew[j].PersonID, visited) {
				certHolder[n], personEntry[p] = i, i
				return true
			}
		}
		return false
	}
	for _, p := range persons {
		augment(p, map[string]bool{})
	}

	var holders []int
	for _, i := range qualified {
		switch j, matched := personEntry[crew[i].PersonID]; {
		case matched && j == i:
			holders = append(holders, i)
		case matched:
			notes[i] = ReasonDuplicatePerson
		default:
			notes[i] = ReasonDuplicateCertificate
		}
	}
	return holders
}

// compareMembers orders crew entries by check-in time, then person id, then every other field, so
// that entries which compare equal are interchangeable and the order of Input.Crew cannot change
// the decision.
func compareMembers(a, b CrewMember) int {
	return cmp.Or(
		a.CheckedInAt.Compare(b.CheckedInAt),
		strings.Compare(a.PersonID, b.PersonID),
		compareBool(a.Auxiliary, b.Auxiliary),
		strings.Compare(a.Department, b.Department),
		strings.Compare(string(a.DepartmentKind), string(b.DepartmentKind)),
		compareCertificates(a.Certificate, b.Certificate),
	)
}

func compareCertificates(a, b *Certificate) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		return -1
	case b == nil:
		return 1
	}
	return cmp.Or(
		strings.Compare(a.Number, b.Number),
		strings.Compare(a.HolderID, b.HolderID),
		strings.Compare(a.IssuingDepartment, b.IssuingDepartment),
		a.ValidFrom.Compare(b.ValidFrom),
		a.ValidTo.Compare(b.ValidTo),
		slices.CompareFunc(a.Status, b.Status, func(x, y CertificateStatus) int {
			return cmp.Or(
				x.Since.Compare(y.Since),
				strings.Compare(x.Status, y.Status),
				strings.Compare(x.Reason, y.Reason),
			)
		}),
	)
}

func compareBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}
