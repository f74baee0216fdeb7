package api

import (
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// Inspection records: what the officers record at the scene (in and out),
// the server's assessment and review state, the history of versions, and the
// number blocks of decision forms. The record's ids are UUIDs in the API;
// an id that is not one fails the response rather than being dropped.

func inspectionOut(st inspection.State) (openapi.Inspection, error) {
	r, err := recordOut(st.Record)
	if err != nil {
		return openapi.Inspection{}, err
	}
	out := openapi.Inspection{
		Record:           r,
		Version:          st.Version,
		StreetCode:       st.StreetCode,
		ActAt:            st.ActAt,
		ReceivedAt:       st.ReceivedAt,
		RecordedBy:       st.RecordedBy,
		DeviceId:         optional(st.DeviceID),
		Status:           openapi.InspectionStatus(st.Status),
		Review:           openapi.InspectionReview(st.Review),
		ReturnReasons:    optionalList(st.ReturnReasons, same),
		EvidenceVerified: st.EvidenceVerified,
		Masked:           st.Masked,
	}
	a := st.Assessment
	out.Assessment.Decisions = matterDecisionsOut(a.Decisions)
	out.Assessment.Tier = string(a.Tier)
	out.Assessment.Lead = ptr(a.Lead)
	out.Assessment.Exceptions = convertAll(a.Exceptions, exceptionOut)
	return out, nil
}

// inspectionsOut is a list of records; an empty one is [], not null.
func inspectionsOut(list []inspection.State) ([]openapi.Inspection, error) {
	out := make([]openapi.Inspection, len(list))
	for i, st := range list {
		var err error
		if out[i], err = inspectionOut(st); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// matterDecisionsOut spells out the engine's decisions of an assessment;
// a list the engine left nil is [] (the contract has no null lists there).
func matterDecisionsOut(ds []inspection.MatterDecision) []openapi.MatterDecision {
	return convertAll(ds, func(d inspection.MatterDecision) openapi.MatterDecision {
		return openapi.MatterDecision{
			MatterCode: d.MatterCode,
			Version:    d.Version,
			Decision: openapi.AssessedDecision{
				Tier:            openapi.Tier(d.Decision.Tier),
				Lead:            d.Decision.Lead,
				SecondInspector: d.Decision.SecondInspector,
				Holders:         orEmpty(d.Decision.Holders),
				Allowed:         orEmpty(enums[openapi.Measure](d.Decision.Allowed)),
				Reasons: orEmpty(convertAll(d.Decision.Reasons, func(r authority.Reason) openapi.DecisionReason {
					return openapi.DecisionReason{Code: r.Code, Subject: ptr(r.Subject), Zh: r.ZH, En: r.EN}
				})),
			},
		}
	})
}

func exceptionOut(e inspection.Exception) openapi.InspectionException {
	return openapi.InspectionException{Code: e.Code, Subject: optional(e.Subject), Zh: e.ZH, En: e.EN}
}

func recordOut(r inspection.Record) (openapi.InspectionRecord, error) {
	id, err := idOut("record id", r.ID)
	if err != nil {
		return openapi.InspectionRecord{}, err
	}
	out := openapi.InspectionRecord{
		Id:          id,
		TeamCode:    r.TeamCode,
		MatterCodes: r.MatterCodes,
		StartedAt:   deviceTimeOut(r.StartedAt),
		Crew:        convertAll(r.Crew, crewCheckInOut),
		Findings:    r.Findings,
		PhoneTier:   optional(openapi.Tier(r.PhoneTier)),
		RecordText:  r.RecordText,
	}
	out.Location.Lat = float32(r.Location.Lat)
	out.Location.Lon = float32(r.Location.Lon)
	out.Location.AccuracyM = float32(r.Location.AccuracyM)
	out.Location.Address = r.Location.Address
	if r.EndedAt != nil {
		out.EndedAt = ptr(deviceTimeOut(*r.EndedAt))
	}
	if r.Party != nil {
		out.Party = ptr(partyOut(*r.Party))
	}
	if out.Measures, err = convertAllErr(r.Measures, measureOut); err != nil {
		return out, err
	}
	if out.Evidence, err = convertAllErr(r.Evidence, expectedEvidenceOut); err != nil {
		return out, err
	}
	sig := r.Signatures
	if sig.Officers != nil {
		officers := makeIn(&out.Signatures.Officers, len(sig.Officers))
		for i, o := range sig.Officers {
			officers[i].OfficerCode, officers[i].Signature = o.OfficerCode, o.Signature
		}
	}
	if sig.Party != nil {
		p := newIn(&out.Signatures.Party)
		p.Refused = sig.Party.Refused
		if p.EvidenceId, err = optionalIDOut("party signature evidence_id", sig.Party.EvidenceID); err != nil {
			return out, err
		}
	}
	if sig.Witness != nil {
		w := newIn(&out.Signatures.Witness)
		w.Name = sig.Witness.Name
		if w.EvidenceId, err = optionalIDOut("witness evidence_id", sig.Witness.EvidenceID); err != nil {
			return out, err
		}
	}
	return out, nil
}

func deviceTimeOut(t inspection.DeviceTime) openapi.DeviceTime {
	return openapi.DeviceTime{Wall: t.Wall, SinceBootMs: t.SinceBootMS}
}

func crewCheckInOut(c inspection.CrewCheckIn) openapi.CrewCheckIn {
	return openapi.CrewCheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
}

func partyOut(p inspection.Party) openapi.Party {
	return openapi.Party{
		Kind:            openapi.PartyKind(p.Kind),
		Name:            p.Name,
		IdType:          optional(p.IDType),
		IdNumber:        optional(p.IDNumber),
		Phone:           optional(p.Phone),
		Address:         optional(p.Address),
		BusinessLicence: optional(p.BusinessLicence),
	}
}

func measureOut(m inspection.Measure) (openapi.MeasureTaken, error) {
	out := openapi.MeasureTaken{Kind: openapi.Measure(m.Kind), MatterCode: m.MatterCode}
	if m.Fine != nil {
		f := newIn(&out.Fine)
		f.AmountYuan, f.FormNumber = m.Fine.AmountYuan, m.Fine.FormNumber
	}
	if m.Summons != nil {
		s := newIn(&out.Summons)
		s.At, s.Place = m.Summons.At, m.Summons.Place
	}
	if m.Seizure == nil {
		return out, nil
	}
	s := newIn(&out.Seizure)
	s.CustodyPlace = m.Seizure.CustodyPlace
	s.Urgent = m.Seizure.Urgent
	s.ExtensionReason = optional(m.Seizure.ExtensionReason)
	s.Deadline = ptr(m.Seizure.Deadline)
	if m.Seizure.Items != nil {
		items := makeIn(&s.Items, len(m.Seizure.Items))
		for i, it := range m.Seizure.Items {
			items[i].Name, items[i].Quantity, items[i].Unit, items[i].Condition = it.Name, float32(it.Quantity), it.Unit, it.Condition
			if len(it.PhotoIDs) == 0 {
				continue
			}
			photos, err := convertAllErr(it.PhotoIDs, func(id string) (uuid.UUID, error) { return idOut("seized item photo id", id) })
			if err != nil {
				return out, err
			}
			items[i].PhotoIds = &photos
		}
	}
	return out, nil
}

func expectedEvidenceOut(e inspection.ExpectedEvidence) (openapi.ExpectedEvidence, error) {
	id, err := idOut("evidence client_id", e.ClientID)
	return openapi.ExpectedEvidence{ClientId: id, Sha256: e.SHA256, Size: e.Size, ContentType: e.ContentType,
		Kind: openapi.ExpectedEvidenceKind(e.Kind)}, err
}

func recordIn(r openapi.InspectionRecord) inspection.Record {
	out := inspection.Record{
		ID:          r.Id.String(),
		TeamCode:    r.TeamCode,
		MatterCodes: r.MatterCodes,
		Location: inspection.Location{
			Lat:       float32In(r.Location.Lat),
			Lon:       float32In(r.Location.Lon),
			AccuracyM: float32In(r.Location.AccuracyM),
			Address:   r.Location.Address,
		},
		StartedAt:  deviceTimeIn(r.StartedAt),
		Crew:       convertAll(r.Crew, crewCheckInIn),
		Findings:   r.Findings,
		PhoneTier:  authority.Tier(deref(r.PhoneTier)),
		Measures:   convertAll(r.Measures, measureIn),
		RecordText: r.RecordText,
		Evidence:   convertAll(r.Evidence, expectedEvidenceIn),
	}
	if r.EndedAt != nil {
		out.EndedAt = ptr(deviceTimeIn(*r.EndedAt))
	}
	if r.Party != nil {
		out.Party = ptr(partyIn(*r.Party))
	}
	sig := r.Signatures
	if sig.Officers != nil {
		out.Signatures.Officers = make([]inspection.OfficerSignature, len(sig.Officers))
		for i, o := range sig.Officers {
			out.Signatures.Officers[i] = inspection.OfficerSignature{OfficerCode: o.OfficerCode, Signature: o.Signature}
		}
	}
	if p := sig.Party; p != nil {
		out.Signatures.Party = &inspection.PartySignature{Refused: p.Refused, EvidenceID: optionalIDIn(p.EvidenceId)}
	}
	if w := sig.Witness; w != nil {
		out.Signatures.Witness = &inspection.Witness{Name: w.Name, EvidenceID: optionalIDIn(w.EvidenceId)}
	}
	return out
}

// optionalIDIn is the text of an optional id of a request, "" when absent.
func optionalIDIn(id *uuid.UUID) string {
	if id == nil {
		return ""
	}
	return id.String()
}

func deviceTimeIn(t openapi.DeviceTime) inspection.DeviceTime {
	return inspection.DeviceTime{Wall: t.Wall, SinceBootMS: t.SinceBootMs}
}

func crewCheckInIn(c openapi.CrewCheckIn) inspection.CrewCheckIn {
	return inspection.CrewCheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}
}

func partyIn(p openapi.Party) inspection.Party {
	return inspection.Party{
		Kind:            inspection.PartyKind(p.Kind),
		Name:            p.Name,
		IDType:          deref(p.IdType),
		IDNumber:        deref(p.IdNumber),
		Phone:           deref(p.Phone),
		Address:         deref(p.Address),
		BusinessLicence: deref(p.BusinessLicence),
	}
}

func measureIn(m openapi.MeasureTaken) inspection.Measure {
	out := inspection.Measure{Kind: authority.Measure(m.Kind), MatterCode: m.MatterCode}
	if f := m.Fine; f != nil {
		out.Fine = &inspection.Fine{AmountYuan: f.AmountYuan, FormNumber: f.FormNumber}
	}
	if s := m.Summons; s != nil {
		out.Summons = &inspection.Summons{At: s.At, Place: s.Place}
	}
	if s := m.Seizure; s != nil {
		out.Seizure = &inspection.Seizure{
			CustodyPlace:    s.CustodyPlace,
			Urgent:          s.Urgent,
			ExtensionReason: deref(s.ExtensionReason),
			Deadline:        deref(s.Deadline),
		}
		if s.Items != nil {
			out.Seizure.Items = make([]inspection.SeizedItem, len(s.Items))
			for i, it := range s.Items {
				out.Seizure.Items[i] = inspection.SeizedItem{Name: it.Name, Quantity: float32In(it.Quantity), Unit: it.Unit,
					Condition: it.Condition, PhotoIDs: listIn(it.PhotoIds, uuid.UUID.String)}
			}
		}
	}
	return out
}

func expectedEvidenceIn(e openapi.ExpectedEvidence) inspection.ExpectedEvidence {
	return inspection.ExpectedEvidence{ClientID: e.ClientId.String(), SHA256: e.Sha256, Size: e.Size,
		ContentType: e.ContentType, Kind: string(e.Kind)}
}

// amendmentIn is a correction of a record: the version it corrects, why, and the new record.
func amendmentIn(a openapi.Amendment) inspection.AmendArgs {
	return inspection.AmendArgs{BaseVersion: a.BaseVersion, Reason: a.Reason, Record: recordIn(a.Record)}
}

// historyOut is every version of a record and the review loop.
func historyOut(versions []inspection.Version, reviews []inspection.ReviewAct) (openapi.InspectionHistory, error) {
	var out openapi.InspectionHistory
	if versions != nil {
		vs := makeIn(&out.Versions, len(versions))
		for i, v := range versions {
			r, err := recordOut(v.Record)
			if err != nil {
				return out, err
			}
			vs[i].Version, vs[i].Author, vs[i].Reason, vs[i].At = v.Version, v.Author, v.Reason, v.At
			vs[i].Record, vs[i].Review, vs[i].Exceptions = r, string(v.Review), v.Excepted
		}
	}
	if reviews != nil {
		rs := makeIn(&out.Reviews, len(reviews))
		for i, r := range reviews {
			rs[i].Version, rs[i].Decision, rs[i].Reviewer, rs[i].At = r.Version, r.Decision, r.Reviewer, r.At
			rs[i].Reasons = optionalList(r.Reasons, same)
		}
	}
	return out, nil
}

func fieldChangeOut(c inspection.FieldChange) openapi.FieldChange {
	return openapi.FieldChange{Field: c.Field, From: c.From, To: c.To}
}

func numberBlockOut(b inspection.NumberBlock) (openapi.NumberBlock, error) {
	id, err := idOut("number block id", b.ID)
	return openapi.NumberBlock{Id: id, DocType: b.DocType, Prefix: b.Prefix, First: b.First, Last: b.Last, IssuedAt: b.IssuedAt}, err
}

// blockReportOut reconciles a number block: each number used, voided or unused.
func blockReportOut(r inspection.BlockReport) (openapi.NumberBlockReport, error) {
	b, err := numberBlockOut(r.Block)
	if err != nil {
		return openapi.NumberBlockReport{}, err
	}
	out := openapi.NumberBlockReport{Block: b, Owner: r.Owner, Unused: r.Unused}
	if r.Used != nil {
		used := makeIn(&out.Used, len(r.Used))
		for i, u := range r.Used {
			used[i].Number = u.Number
			if used[i].InspectionId, err = idOut("used number inspection_id", u.InspectionID); err != nil {
				return out, err
			}
		}
	}
	if r.Voided != nil {
		voided := makeIn(&out.Voided, len(r.Voided))
		for i, v := range r.Voided {
			voided[i].Number, voided[i].Reason = v.Number, v.Reason
		}
	}
	return out, nil
}
