package authority

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// departments of the random team: the squad, the five resident departments, two listed ones.
var randomDepartments = []struct {
	name string
	kind DepartmentKind
}{
	{"chengguan", KindSquad},
	{"police", KindResident},
	{"market", KindResident},
	{"food_drug", KindResident},
	{"traffic", KindResident},
	{"fire", KindResident},
	{"work_safety", KindListed},
	{"environment", KindListed},
}

var allMeasures = []Measure{MeasureEvidence, MeasureSummons, MeasureWarning, MeasureFineSimple, MeasureSeizure, MeasureRefer}

// randomOfficer draws a crew entry, half of the time of the matter's competent department. Person ids and certificate numbers come from small sets, so
// that the same person, the same certificate, and contradictory records (one person with two
// certificates, one certificate under two persons) all occur often.
func randomOfficer(r *rand.Rand, at time.Time, competent Matter) CrewMember {
	d := randomDepartments[r.IntN(len(randomDepartments))]
	if r.IntN(2) == 0 {
		d.name, d.kind = competent.CompetentDepartment, competent.CompetentKind
	}
	m := CrewMember{
		PersonID:       fmt.Sprintf("p%d", r.IntN(6)),
		Auxiliary:      r.IntN(7) == 0,
		Department:     d.name,
		DepartmentKind: d.kind,
		CheckedInAt:    at.Add(time.Duration(r.IntN(150)-120) * time.Minute), // a fifth after the act
	}
	if r.IntN(10) == 0 {
		return m
	}
	// Most certificates are valid at the act, so that holders are common; the rest start after it
	// or have ended before it.
	from := at.Add(-time.Duration(r.IntN(3*365)+1) * 24 * time.Hour)
	to := at.Add(time.Duration(r.IntN(3*365)+1) * 24 * time.Hour)
	switch r.IntN(8) {
	case 0:
		from = at.Add(time.Duration(r.IntN(48)) * time.Hour)
	case 1:
		to = at.Add(-time.Duration(r.IntN(48)) * time.Hour)
	}
	c := &Certificate{
		Number:            fmt.Sprintf("c%d", r.IntN(6)),
		IssuingDepartment: d.name,
		ValidFrom:         from,
		ValidTo:           to,
	}
	if r.IntN(3) == 0 {
		for range r.IntN(3) + 1 {
			c.Status = append(c.Status, CertificateStatus{
				Status: []string{CertificateActive, CertificateSuspended, CertificateRevoked, "lost"}[r.IntN(4)],
				Since:  at.Add(time.Duration(r.IntN(60*24)-40*24) * time.Hour),
			})
		}
	}
	m.Certificate = c
	return m
}

// randomInput draws a matter, policies, a pool of officers, and a crew taken from the pool (with
// repeats).
func randomInput(r *rand.Rand) (Input, []CrewMember) {
	at := time.Date(2024, 3, 14, 15, 0, 0, 0, time.UTC).Add(time.Duration(r.IntN(1000)) * time.Hour)
	d := randomDepartments[r.IntN(len(randomDepartments))]
	matter := Matter{Code: "M", CompetentDepartment: d.name, CompetentKind: d.kind}
	for _, m := range allMeasures {
		if r.IntN(2) == 0 {
			matter.Measures = append(matter.Measures, m)
		}
	}
	policies := map[string]Policy{}
	for _, d := range randomDepartments {
		p := Policy{
			Department:                       d.name,
			SingleOfficerSimpleProcedure:     r.IntN(2) == 0,
			SecondInspectorFromOtherResident: r.IntN(2) == 0,
			MixedCrewSeizureReview:           r.IntN(2) == 0,
		}
		if r.IntN(4) != 0 {
			p.SecondInspectorLegalBasis = "授权决定"
		}
		policies[d.name] = p
	}
	pool := make([]CrewMember, 12)
	for i := range pool {
		pool[i] = randomOfficer(r, at, matter)
	}
	crew := make([]CrewMember, r.IntN(9))
	for i := range crew {
		crew[i] = pool[r.IntN(len(pool))]
	}
	return Input{Matter: matter, Crew: crew, At: at, Policies: policies}, pool
}

// with returns in with m inserted into the crew at a random position.
func with(r *rand.Rand, in Input, m CrewMember) Input {
	in.Crew = slices.Insert(slices.Clone(in.Crew), r.IntN(len(in.Crew)+1), m)
	return in
}

// without returns in without the crew entries of person id.
func without(in Input, id string) Input {
	in.Crew = slices.DeleteFunc(slices.Clone(in.Crew), func(m CrewMember) bool { return m.PersonID == id })
	return in
}

// checkInvariants checks what must hold of every decision.
func checkInvariants(t *testing.T, in Input, d Decision) {
	t.Helper()
	n := len(d.Holders)
	switch {
	case n >= 2 && d.Tier != TierEnforcement,
		n == 1 && d.Tier != TierOnsiteInspection,
		n == 0 && d.Tier != TierOnsiteInvestigation && d.Tier != TierRefer:
		t.Fatalf("%d holders but tier %q", n, d.Tier)
	}
	if n > 0 && d.Lead != d.Holders[0] || n == 0 && d.Lead != "" {
		t.Fatalf("lead %q, holders %q", d.Lead, d.Holders)
	}
	if n >= 2 && d.SecondInspector != d.Holders[1] || slices.Contains(d.Holders, d.SecondInspector) && n < 2 {
		t.Fatalf("second inspector %q, holders %q", d.SecondInspector, d.Holders)
	}
	if !slices.IsSorted(d.Allowed) || len(slices.Compact(slices.Clone(d.Allowed))) != len(d.Allowed) {
		t.Fatalf("allowed %q not sorted and unique", d.Allowed)
	}
	if !d.Allows(MeasureEvidence) {
		t.Fatalf("evidence not allowed: %q", d.Allowed)
	}
	if d.Allows(MeasureSeizure) && d.SecondInspector == "" {
		t.Fatalf("seizure allowed without a second officer: %+v", d)
	}
	if d.Tier != TierEnforcement && (d.Allows(MeasureWarning) || d.Allows(MeasureFineSimple)) &&
		!in.Policies[in.Matter.CompetentDepartment].SingleOfficerSimpleProcedure {
		t.Fatalf("penalty allowed to one officer without policy: %+v", d)
	}
	// Holders are distinct persons, each with an entry that qualifies on its own, and there are
	// no more of them than distinct certificates among those entries.
	persons, certs := map[string]bool{}, map[string]bool{}
	for _, m := range in.Crew {
		if disqualifier(m, in.At) == "" && m.Department == in.Matter.CompetentDepartment {
			persons[m.PersonID], certs[m.Certificate.Number] = true, true
		}
	}
	for i, h := range d.Holders {
		if !persons[h] || slices.Contains(d.Holders[:i], h) {
			t.Fatalf("holder %q: duplicate or without a qualifying entry in\n%s", h, describe(in.Crew...))
		}
	}
	if n > len(certs) {
		t.Fatalf("%d holders share %d certificates", n, len(certs))
	}
	for _, r := range d.Reasons {
		if _, ok := reasonText[r.Code]; !ok {
			t.Fatalf("reason %q has no text", r.Code)
		}
	}
}

// TestDecide_Monotone checks on random crews that authority only grows with the crew: adding a
// holder, or anyone at all, never lowers the tier, and removing a holder never raises it.
func TestDecide_Monotone(t *testing.T) {
	r := rand.New(rand.NewPCG(20240314, 1500))
	for iter := range 2000 {
		in, pool := randomInput(r)
		d := Decide(in)
		rank := d.Tier.Rank()
		fail := func(format string, args ...any) {
			t.Helper()
			t.Fatalf("iteration %d, matter %+v, at %v, crew\n%s: %s", iter, in.Matter, in.At, describe(in.Crew...), fmt.Sprintf(format, args...))
		}
		checkInvariants(t, in, d)

		shuffled := in
		shuffled.Crew = slices.Clone(in.Crew)
		r.Shuffle(len(shuffled.Crew), func(i, j int) { shuffled.Crew[i], shuffled.Crew[j] = shuffled.Crew[j], shuffled.Crew[i] })
		if got := Decide(shuffled); !reflect.DeepEqual(got, d) {
			fail("shuffled crew changed the decision:\n%+v\n%+v", got, d)
		}

		fresh := CrewMember{
			PersonID:       "fresh",
			Department:     in.Matter.CompetentDepartment,
			DepartmentKind: in.Matter.CompetentKind,
			CheckedInAt:    in.At.Add(-time.Duration(r.IntN(120)) * time.Minute),
			Certificate:    &Certificate{Number: "fresh", ValidFrom: in.At.AddDate(-1, 0, 0), ValidTo: in.At.AddDate(0, 0, 1)},
		}
		withFresh := with(r, in, fresh)
		added := Decide(withFresh)
		checkInvariants(t, withFresh, added)
		if added.Tier.Rank() < rank {
			fail("adding a holder lowered the tier from %q to %q", d.Tier, added.Tier)
		}
		if len(added.Holders) != len(d.Holders)+1 {
			fail("adding a holder: holders %q -> %q", d.Holders, added.Holders)
		}

		if len(d.Holders) > 0 {
			h := d.Holders[r.IntN(len(d.Holders))]
			removed := Decide(without(in, h))
			if removed.Tier.Rank() > rank {
				fail("removing holder %s raised the tier from %q to %q", h, d.Tier, removed.Tier)
			}
			if n := len(removed.Holders); n > len(d.Holders) || n < len(d.Holders)-1 {
				fail("removing holder %s: holders %q -> %q", h, d.Holders, removed.Holders)
			}
		}

		for _, m := range []CrewMember{pool[r.IntN(len(pool))], randomOfficer(r, in.At, in.Matter)} {
			if got := Decide(with(r, in, m)); got.Tier.Rank() < rank || len(got.Holders) < len(d.Holders) {
				fail("adding %s lowered the decision from %q %q to %q %q", describe(m), d.Tier, d.Holders, got.Tier, got.Holders)
			}
		}
	}
}

// describe prints crew entries with their certificates, one a line, for failure messages.
func describe(crew ...CrewMember) string {
	var b strings.Builder
	for _, m := range crew {
		fmt.Fprintf(&b, "\t%s %s/%s aux=%v in=%s", m.PersonID, m.Department, m.DepartmentKind, m.Auxiliary,
			m.CheckedInAt.Format(time.DateTime))
		if c := m.Certificate; c != nil {
			fmt.Fprintf(&b, " cert=%s [%s, %s) %v", c.Number, c.ValidFrom.Format(time.DateOnly), c.ValidTo.Format(time.DateOnly), c.Status)
		}
		b.WriteString("\n")
	}
	return b.String()
}
