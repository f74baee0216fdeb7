package simulate

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
)

// officer is one of the demo's officer logins with what its phone needs to
// compose crews: its team, its street's team leader, and the team's
// officers by the cases they make.
type officer struct {
	Username string `json:"username"`
	Code     string `json:"code"`
	Team     string `json:"team"`
	Street   string `json:"street"`
	Leader   string `json:"leader"` // the street's team leader login

	partner   string   // another squad officer with a valid certificate
	expired   string   // an officer whose certificate has expired
	resident  string   // an officer of a resident department with a valid certificate: a second inspector
	auxiliary []string // two auxiliary staff
}

// roster reads the demo data set as of now: every officer login with its
// crews. A login whose team cannot field every kind of crew is left out.
func roster(ds org.Dataset, now time.Time) ([]officer, error) {
	valid := map[string]bool{}
	expired := map[string]bool{}
	for _, c := range ds.Certificates {
		if now.Before(c.ValidTo) && !now.Before(c.ValidFrom) {
			valid[c.OfficerCode] = true
		} else if !now.Before(c.ValidTo) {
			expired[c.OfficerCode] = true
		}
	}
	teamStreet := map[string]string{}
	for _, t := range ds.Teams {
		teamStreet[t.Code] = t.StreetCode
	}
	teamOf := func(o org.Officer) string {
		for _, m := range o.Memberships {
			if m.ActiveAt(now) {
				return m.TeamCode
			}
		}
		return ""
	}
	squad := "cg"
	leaders := map[string]string{}
	for _, l := range ds.Logins {
		if l.Role == org.RoleTeamLeader {
			leaders[l.StreetCode] = l.Username
		}
	}
	var out []officer
	for _, l := range ds.Logins {
		if l.Role != org.RoleOfficer {
			continue
		}
		o := officer{Username: l.Username, Code: l.OfficerCode, Street: l.StreetCode, Leader: leaders[l.StreetCode]}
		for _, m := range ds.Officers {
			if m.Code == l.OfficerCode {
				o.Team = teamOf(m)
			}
		}
		for _, m := range ds.Officers {
			if m.Code == o.Code || teamOf(m) != o.Team {
				continue
			}
			switch {
			case m.Auxiliary:
				if len(o.auxiliary) < 2 {
					o.auxiliary = append(o.auxiliary, m.Code)
				}
			case expired[m.Code] && o.expired == "":
				o.expired = m.Code
			case !valid[m.Code]:
			case m.DepartmentCode == squad && o.partner == "":
				o.partner = m.Code
			case m.DepartmentCode != squad && o.resident == "":
				o.resident = m.Code
			}
		}
		if o.Team == "" || teamStreet[o.Team] != o.Street || o.Leader == "" || o.partner == "" || o.expired == "" || o.resident == "" || len(o.auxiliary) < 2 {
			continue
		}
		out = append(out, o)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("the demo data set has no officer login whose team can field every crew")
	}
	slices.SortFunc(out, func(a, b officer) int { return cmp.Compare(a.Username, b.Username) })
	return out, nil
}

// scenario is a kind of act in the field: a crew and a matter, with the
// measure taken.
type scenario struct {
	name     string
	matter   string
	measure  authority.Measure
	findings string
	crew     func(o officer) []string
}

// scenarios are the crews of a field day, the demo's hard cases among them.
var scenarios = []scenario{
	{name: "pair", matter: "CG-002", measure: authority.MeasureWarning, findings: "店外摆放货架占用人行道",
		crew: func(o officer) []string { return []string{o.Code, o.partner} }},
	{name: "expired_certificate", matter: "CG-008", measure: authority.MeasureEvidence, findings: "商户向雨水口倾倒污水，同行人员执法证已过期",
		crew: func(o officer) []string { return []string{o.Code, o.expired} }},
	{name: "auxiliary_only", matter: "CG-007", measure: authority.MeasureEvidence, findings: "协管员巡查发现墙面张贴小广告",
		crew: func(o officer) []string { return slices.Clone(o.auxiliary) }},
	{name: "mixed_crew_seizure", matter: "CG-001", measure: authority.MeasureSeizure, findings: "无照游商沿街销售，混编队伍当场暂扣货物",
		crew: func(o officer) []string { return []string{o.Code, o.resident} }},
	{name: "listed_department", matter: "HB-001", measure: authority.MeasureEvidence, findings: "餐馆油烟直排，属挂牌单位事项，记录后移送",
		crew: func(o officer) []string { return []string{o.Code, o.partner} }},
}

// places are where the acts happen: addresses of the two demo streets.
var places = map[string][]struct {
	address  string
	lat, lon float64
}{
	"st-a": {{"东城区南锣鼓巷 31 号", 39.9372, 116.4031}, {"东城区鼓楼东大街 102 号", 39.9405, 116.4012}, {"东城区交道口南大街 56 号", 39.9362, 116.4050},
		{"东城区北锣鼓巷 15 号", 39.9421, 116.4028}, {"东城区府学胡同 9 号", 39.9348, 116.4072}},
	"st-b": {{"东城区王府井大街 210 号", 39.9150, 116.4105}, {"东城区东华门大街 40 号", 39.9140, 116.4040}, {"东城区南池子大街 18 号", 39.9125, 116.4010},
		{"东城区灯市口大街 66 号", 39.9178, 116.4112}},
}

// plannedAct is one act of an officer's day, before it is recorded.
type plannedAct struct {
	scenario scenario
	at       time.Time
	place    int
	photos   int
}

// stretch is acts recorded offline one after another, then synced at once;
// photosFirst uploads their photos before the push (on some phones the
// upload queue drains first).
type stretch struct {
	acts        []plannedAct
	photosFirst bool
}

// planDay is an officer's field day from rng: acts acts, spaced a few
// minutes apart from start, each with 1 to photos photos, in offline
// stretches of 1 to offline acts. Every scenario comes once before any
// comes twice, so that a short day still has the hard cases.
func planDay(rng *rand.Rand, start time.Time, acts, photos, offline int, nPlaces int) []stretch {
	order := rng.Perm(len(scenarios))
	var all []plannedAct
	at := start
	for i := range acts {
		sc := scenarios[order[i%len(order)]]
		if i >= len(order) {
			sc = scenarios[rng.IntN(len(scenarios))]
		}
		all = append(all, plannedAct{scenario: sc, at: at, place: rng.IntN(nPlaces), photos: 1 + rng.IntN(max(photos, 1))})
		at = at.Add(time.Duration(10+rng.IntN(20)) * time.Minute)
	}
	var out []stretch
	for len(all) > 0 {
		n := min(1+rng.IntN(max(offline, 1)), len(all))
		out = append(out, stretch{acts: all[:n], photosFirst: rng.IntN(2) == 0})
		all = all[n:]
	}
	return out
}

// dayLength is how long a day of acts acts lasts at most: planDay's
// spacing, and the last act's duration.
func dayLength(acts int) time.Duration { return time.Duration(acts)*30*time.Minute + actDuration }

// actDuration is how long one act takes on site.
const actDuration = 15 * time.Minute

// record is the inspection record of act a by o, with its expected photos.
func (a plannedAct) record(o officer, id string, tier authority.Tier, bootAt time.Time, photos []photo) inspection.Record {
	p := places[o.Street][a.place]
	since := func(t time.Time) int64 { return t.Sub(bootAt).Milliseconds() }
	r := inspection.Record{
		ID: id, TeamCode: o.Team, MatterCodes: []string{a.scenario.matter},
		Location:   inspection.Location{Lat: p.lat, Lon: p.lon, AccuracyM: 6, Address: p.address},
		StartedAt:  inspection.DeviceTime{Wall: a.at, SinceBootMS: since(a.at)},
		Findings:   a.scenario.findings + "（" + p.address + "）",
		PhoneTier:  tier,
		RecordText: "现场检查：" + a.scenario.findings + "。",
		Signatures: inspection.Signatures{Officers: []inspection.OfficerSignature{}},
		Party:      &inspection.Party{Kind: inspection.PartyPerson, Name: "当事人", Phone: "13800000000"},
		Evidence:   []inspection.ExpectedEvidence{},
	}
	ended := inspection.DeviceTime{Wall: a.at.Add(actDuration), SinceBootMS: since(a.at.Add(actDuration))}
	r.EndedAt = &ended
	for _, code := range a.scenario.crew(o) {
		r.Crew = append(r.Crew, inspection.CrewCheckIn{OfficerCode: code, CheckedInAt: a.at.Add(-3 * time.Minute)})
	}
	m := inspection.Measure{Kind: a.scenario.measure, MatterCode: a.scenario.matter}
	if a.scenario.measure == authority.MeasureSeizure {
		m.Seizure = &inspection.Seizure{Items: []inspection.SeizedItem{{Name: "三轮车", Quantity: 1, Unit: "辆", Condition: "旧，可正常使用"}},
			CustodyPlace: "综合执法队暂扣物品仓库", Urgent: true}
		r.Signatures.Party = &inspection.PartySignature{Refused: true}
		r.Signatures.Witness = &inspection.Witness{Name: "社区网格员"}
	}
	r.Measures = []inspection.Measure{{Kind: authority.MeasureEvidence, MatterCode: a.scenario.matter}}
	if m.Kind != authority.MeasureEvidence {
		r.Measures = append(r.Measures, m)
	}
	for _, ph := range photos {
		r.Evidence = append(r.Evidence, inspection.ExpectedEvidence{ClientID: ph.ClientID, SHA256: ph.SHA256, Size: ph.Size,
			ContentType: "image/jpeg", Kind: "photo"})
	}
	return r
}
