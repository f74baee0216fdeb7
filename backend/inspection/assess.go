package inspection

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

var (
	uuidPattern   = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
	sha256Pattern = regexp.MustCompile(`^[0-9a-f]{64}$`)
	evidenceKinds = []string{"photo", "video", "audio", "signature", "document"}
	tiers         = []authority.Tier{authority.TierEnforcement, authority.TierOnsiteInspection, authority.TierOnsiteInvestigation, authority.TierRefer}
	measureKinds  = []authority.Measure{authority.MeasureEvidence, authority.MeasureSummons, authority.MeasureWarning, authority.MeasureFineSimple, authority.MeasureSeizure, authority.MeasureRefer}
)

// Validate checks the shape of r: what a record must carry whatever the
// data it refers to. It returns derrors.Invalid naming every field at fault.
func Validate(r Record) error {
	var fields []derrors.FieldError
	bad := func(field, format string, args ...any) {
		fields = append(fields, derrors.FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
	}
	if !uuidPattern.MatchString(r.ID) {
		bad("/id", "id must be a UUID made on the device")
	}
	if r.TeamCode == "" {
		bad("/team_code", "team_code is required")
	}
	if len(r.MatterCodes) == 0 {
		bad("/matter_codes", "at least one matter is required")
	}
	for i, m := range r.MatterCodes {
		if m == "" || slices.Index(r.MatterCodes, m) != i {
			bad(fmt.Sprintf("/matter_codes/%d", i), "matter codes are non-empty and appear once")
		}
	}
	if r.Location.Lat < -90 || r.Location.Lat > 90 {
		bad("/location/lat", "latitude %v is out of range (-90 to 90)", r.Location.Lat)
	}
	if r.Location.Lon < -180 || r.Location.Lon > 180 {
		bad("/location/lon", "longitude %v is out of range (-180 to 180)", r.Location.Lon)
	}
	if r.Location.AccuracyM < 0 {
		bad("/location/accuracy_m", "accuracy is never negative")
	}
	if r.StartedAt.Wall.IsZero() {
		bad("/started_at/wall", "the start of the inspection is required")
	}
	if r.EndedAt != nil && r.EndedAt.Wall.Before(r.StartedAt.Wall) {
		bad("/ended_at/wall", "the inspection ends before it starts")
	}
	if len(r.Crew) == 0 {
		bad("/crew", "the crew checked in at the scene is required")
	}
	for i, c := range r.Crew {
		if c.OfficerCode == "" {
			bad(fmt.Sprintf("/crew/%d/officer_code", i), "officer_code is required")
		}
		if c.CheckedInAt.IsZero() {
			bad(fmt.Sprintf("/crew/%d/checked_in_at", i), "checked_in_at is required")
		}
	}
	if r.PhoneTier != "" && !slices.Contains(tiers, r.PhoneTier) {
		bad("/phone_tier", "unknown tier %q", r.PhoneTier)
	}
	if p := r.Party; p != nil {
		if p.Kind != PartyPerson && p.Kind != PartyOrganisation {
			bad("/party/kind", "kind is person or organisation")
		}
		if p.Name == "" {
			bad("/party/name", "the party's name is required")
		}
	}
	for i, m := range r.Measures {
		at := fmt.Sprintf("/measures/%d", i)
		if !slices.Contains(measureKinds, m.Kind) {
			bad(at+"/kind", "unknown measure %q", m.Kind)
		}
		if !slices.Contains(r.MatterCodes, m.MatterCode) {
			bad(at+"/matter_code", "the measure's matter must be one of the record's matters")
		}
		switch m.Kind {
		case authority.MeasureFineSimple:
			if m.Fine == nil || m.Fine.AmountYuan <= 0 || m.Fine.FormNumber == "" {
				bad(at+"/fine", "a fine has a positive amount and the number of its decision form")
			}
		case authority.MeasureSeizure:
			if m.Seizure == nil || len(m.Seizure.Items) == 0 || m.Seizure.CustodyPlace == "" {
				bad(at+"/seizure", "a seizure has an inventory of at least one item and a custody place")
			} else {
				for j, it := range m.Seizure.Items {
					if it.Name == "" || it.Quantity <= 0 || it.Unit == "" {
						bad(fmt.Sprintf("%s/seizure/items/%d", at, j), "an item has a name, a positive quantity and a unit")
					}
				}
			}
		case authority.MeasureSummons:
			if m.Summons == nil || m.Summons.At.IsZero() || m.Summons.Place == "" {
				bad(at+"/summons", "a summons has a time and a place")
			}
		}
	}
	for i, e := range r.Evidence {
		at := fmt.Sprintf("/evidence/%d", i)
		if !uuidPattern.MatchString(e.ClientID) {
			bad(at+"/client_id", "client_id must be a UUID")
		}
		if !sha256Pattern.MatchString(e.SHA256) {
			bad(at+"/sha256", "sha256 is 64 lower-case hex digits")
		}
		if e.Size <= 0 {
			bad(at+"/size", "size is positive")
		}
		if !slices.Contains(evidenceKinds, e.Kind) {
			bad(at+"/kind", "kind is photo, video, audio, signature or document")
		}
	}
	if len(r.Findings) > 20000 || len(r.RecordText) > 50000 {
		bad("/findings", "findings and record text are limited to 20,000 and 50,000 bytes")
	}
	if len(fields) == 0 {
		return nil
	}
	return &derrors.Error{Code: derrors.Invalid, Message: fields[0].Message, Fields: fields}
}

// Exception is a rule an accepted act broke, for the team leader's review.
type Exception struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

// The exception codes, with their text.
const (
	ExMeasureBeyondTier      = "MEASURE_BEYOND_TIER"
	ExMeasureNotInMatter     = "MEASURE_NOT_IN_MATTER"
	ExFineAboveCeiling       = "FINE_ABOVE_SIMPLE_CEILING"
	ExSeizureNoSecond        = "SEIZURE_WITHOUT_SECOND_INSPECTOR"
	ExMixedCrewSeizure       = "MIXED_CREW_SEIZURE_REVIEW"
	ExSeizureUnsigned        = "SEIZURE_RECORD_UNSIGNED"
	ExTierDiffers            = "TIER_DIFFERS_FROM_PHONE"
	ExFormNumberOutsideBlock = "FORM_NUMBER_OUTSIDE_BLOCK"
	ExFormNumberReused       = "FORM_NUMBER_REUSED"
	ExFormNumberForeign      = "FORM_NUMBER_FOREIGN"
	ExRecorderNotInCrew      = "RECORDER_NOT_IN_CREW"
	ExCrewOutsideTeam        = "CREW_OUTSIDE_TEAM"
	ExCalendarNotCovered     = "CALENDAR_NOT_COVERED"
	ExEvidenceIntegrity      = "EVIDENCE_INTEGRITY_FAILED"
)

var exceptionText = map[string][2]string{
	ExMeasureBeyondTier:      {"所采取的措施超出当时程序允许的范围", "A measure goes beyond what the procedure at the time allowed"},
	ExMeasureNotInMatter:     {"该执法事项不允许此类措施", "The matter does not allow this measure"},
	ExFineAboveCeiling:       {"罚款超过简易程序限额", "The fine exceeds the simple-procedure ceiling"},
	ExSeizureNoSecond:        {"暂扣物品时没有有效的第二检查人", "Seizure without a valid second inspector"},
	ExMixedCrewSeizure:       {"混编队伍实施的暂扣需法制审核", "Seizure by a mixed crew: legal review required"},
	ExSeizureUnsigned:        {"暂扣现场笔录缺少当事人签名或拒签见证", "Seizure record lacks the party's signature, or a witnessed refusal"},
	ExTierDiffers:            {"手机判定的程序与服务器复核结果不一致", "The procedure the phone decided differs from the server's"},
	ExFormNumberOutsideBlock: {"决定书编号不在本设备领取的号段内", "The decision form number is outside this device's number blocks"},
	ExFormNumberReused:       {"决定书编号已被使用", "The decision form number was already used"},
	ExFormNumberForeign:      {"决定书编号属于其他设备领取的号段，未计入该号段", "The decision form number belongs to another device's number block; that block is left untouched"},
	ExRecorderNotInCrew:      {"记录人不在现场执法人员名单中", "The recording officer is not in the crew"},
	ExEvidenceIntegrity:      {"证据原件的存储内容与核验时不一致或已丢失，不再计入本记录", "A verified evidence original was found with other bytes than verified, or missing: it no longer counts for this record"},
	ExCrewOutsideTeam:        {"现场执法人员不属于本记录的执法队（跨街道联合执法），其执法证不计入本次程序", "A crew member is not in the record's team (a joint operation across streets): his certificate does not count for the procedure"},
}

func exception(code, subject string) Exception {
	t := exceptionText[code]
	return Exception{Code: code, Subject: subject, ZH: t[0], EN: t[1]}
}

// calendarNotCovered flags a legal period whose deadline falls after the
// calendar's coverage end: the days past it were counted on weekends and the
// fixed-date statutory holidays only, so the deadline may move once the
// year's holiday notice is known. The subject is the computed deadline's day.
func calendarNotCovered(cal Calendar, deadline time.Time) Exception {
	day := deadline.In(cal.loc()).Format(time.DateOnly)
	return Exception{Code: ExCalendarNotCovered, Subject: day,
		ZH: fmt.Sprintf("期限 %s 超出节假日日历覆盖范围（至 %s）：其后只按周末和法定固定假日计算，请人工核对期限", day, cal.Until),
		EN: fmt.Sprintf("The deadline %s is past the holiday calendar's coverage (to %s): days after it were counted on weekends and fixed-date statutory holidays only; confirm the deadline by hand", day, cal.Until)}
}

// MatterDecision is the authority engine's decision for one matter of a record.
type MatterDecision struct {
	MatterCode string             `json:"matter_code"`
	Version    int                `json:"version"`
	Decision   authority.Decision `json:"decision"`
}

// Facts are the data an assessment judges a record against, as they stood
// at the act's moment.
type Facts struct {
	Authority org.AuthorityFacts // the record's matters and crew, read by org.ReadAuthorityFacts
	Calendar  Calendar
}

// Assessment is the server's judgement of a record.
type Assessment struct {
	Decisions  []MatterDecision `json:"decisions"`
	Tier       authority.Tier   `json:"tier"` // of the first matter
	Lead       string           `json:"lead"`
	Exceptions []Exception      `json:"exceptions"`
}

// Assess runs the authority engine for each matter as of the act's moment
// and checks each measure against what the tier and the matter allow. It
// also fills each seizure's deadline. It never fails: a rule broken is an
// exception to review, since the act has already happened.
func Assess(r *Record, f Facts) Assessment {
	at := r.ActAt()
	a := Assessment{Exceptions: []Exception{}}
	byMatter := map[string]authority.Decision{}
	matters := map[string]org.MatterInForce{}
	for _, mf := range f.Authority.Matters {
		d := authority.Decide(f.Authority.Input(mf.Matter))
		byMatter[mf.Code], matters[mf.Code] = d, mf.Matter
		a.Decisions = append(a.Decisions, MatterDecision{MatterCode: mf.Code, Version: mf.Matter.Version, Decision: d})
	}
	if len(a.Decisions) > 0 {
		first := a.Decisions[0].Decision
		a.Tier, a.Lead = first.Tier, first.Lead
		if r.PhoneTier != "" && r.PhoneTier != first.Tier {
			a.Exceptions = append(a.Exceptions, exception(ExTierDiffers, string(first.Tier)))
		}
	}
	for i := range r.Measures {
		m := &r.Measures[i]
		d, matter := byMatter[m.MatterCode], matters[m.MatterCode]
		always := m.Kind == authority.MeasureEvidence || m.Kind == authority.MeasureSummons
		switch {
		case !always && !slices.Contains(matter.Measures, m.Kind) && !(m.Kind == authority.MeasureRefer && d.Tier == authority.TierRefer):
			a.Exceptions = append(a.Exceptions, exception(ExMeasureNotInMatter, string(m.Kind)))
		case m.Kind == authority.MeasureSeizure && d.Tier == authority.TierOnsiteInspection && d.SecondInspector == "":
			a.Exceptions = append(a.Exceptions, exception(ExSeizureNoSecond, m.MatterCode))
		case !d.Allows(m.Kind):
			a.Exceptions = append(a.Exceptions, exception(ExMeasureBeyondTier, string(m.Kind)))
		}
		if m.Kind == authority.MeasureFineSimple && m.Fine != nil {
			if ceiling := fineCeiling(r.Party, matter); m.Fine.AmountYuan > ceiling {
				a.Exceptions = append(a.Exceptions, exception(ExFineAboveCeiling, fmt.Sprintf("%d>%d", m.Fine.AmountYuan, ceiling)))
			}
		}
		if m.Kind == authority.MeasureSeizure && m.Seizure != nil {
			for _, reason := range d.Reasons {
				if reason.Code == authority.ReasonMixedCrewSeizureReview {
					a.Exceptions = append(a.Exceptions, exception(ExMixedCrewSeizure, reason.Subject))
				}
			}
			s := r.Signatures
			signed := s.Party != nil && (!s.Party.Refused && s.Party.EvidenceID != "" || s.Party.Refused && s.Witness != nil && s.Witness.Name != "")
			if !signed {
				a.Exceptions = append(a.Exceptions, exception(ExSeizureUnsigned, m.MatterCode))
			}
			days := 30
			if m.Seizure.ExtensionReason != "" {
				days = 60
			}
			m.Seizure.Deadline = f.Calendar.Deadline(at, days)
			if !f.Calendar.Covers(m.Seizure.Deadline) {
				a.Exceptions = append(a.Exceptions, calendarNotCovered(f.Calendar, m.Seizure.Deadline))
			}
		}
	}
	return a
}

// fineCeiling is the simple-procedure ceiling for the party (处罚法 art. 51),
// lowered by the matter where it says less.
func fineCeiling(p *Party, m org.MatterInForce) int {
	ceiling, own := 200, m.FineMaxPerson
	if p != nil && p.Kind == PartyOrganisation {
		ceiling, own = 3000, m.FineMaxOrg
	}
	if own > 0 && own < ceiling {
		return own
	}
	return ceiling
}

// MaskedID hides the middle of an identifying number: 110101199001011234 -> 110***********1234.
func MaskedID(s string) string {
	r := []rune(s)
	if len(r) <= 4 {
		return strings.Repeat("*", len(r))
	}
	keep := min(3, len(r)-4)
	return string(r[:keep]) + strings.Repeat("*", len(r)-keep-4) + string(r[len(r)-4:])
}
