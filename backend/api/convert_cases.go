package api

import (
	"encoding/json"
	"fmt"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/openapi"
)

// Cases: intake and acts in, the case with its routing, facts and history out.

// intakeIn is a grid source taken in as case id.
func intakeIn(id string, b openapi.CaseIntake) casework.Intake {
	src := b.Source
	in := casework.Intake{ID: id, ConfirmNew: deref(b.ConfirmNew), MatterCode: deref(b.MatterCode), Description: deref(b.Description), Location: locationIn(*b.Location),
		Source: casework.Source{Kind: casework.SourceKind(src.Kind), Channel: deref(src.Channel),
			WorkOrderNumber: deref(src.WorkOrderNumber), ReceivedAt: src.ReceivedAt, TimeLimit: src.TimeLimit,
			Location: locationIn(src.Location), Description: src.Description}}
	if src.Nature != nil {
		in.Source.Nature = casework.Nature(*src.Nature)
	}
	if c := src.Contact; c != nil {
		in.Source.Contact = &casework.Contact{Name: deref(c.Name), Phone: deref(c.Phone)}
	}
	return in
}

func locationIn(l openapi.CaseLocation) casework.Location {
	return casework.Location{Address: l.Address, Lat: l.Lat, Lng: l.Lng}
}

// moveIn is a transition asked for.
func moveIn(b openapi.CaseTransition) casework.MoveRequest {
	m := casework.MoveRequest{To: casework.State(b.To), Base: deref(b.BaseVersion), LegalReviewRequired: b.LegalReviewRequired,
		LegalReviewDone: deref(b.LegalReviewDone), HearingOffered: deref(b.HearingOffered), ServiceRecorded: deref(b.ServiceRecorded),
		SeizureResolved: deref(b.SeizureResolved), Reason: deref(b.Reason)}
	if b.Outcome != nil {
		m.Outcome = casework.Outcome(*b.Outcome)
	}
	if p := b.Penalty; p != nil {
		m.Penalty = &casework.Penalty{FineYuan: deref(p.FineYuan), PartyIsOrg: deref(p.PartyIsOrg), RevokesLicence: deref(p.RevokesLicence),
			OrdersClosure: deref(p.OrdersClosure)}
	}
	return m
}

// caseOut is a case in the contract's shape, with history when given (GET one case). The
// domain's JSON is the contract's (field for field, as the response validation of every API
// test checks), so the conversion goes through it; what the contract does not name (who took a
// source in) stays behind.
func caseOut(r casework.Record, history []casework.Event) (openapi.Case, error) {
	if r.Sources == nil {
		r.Sources = []casework.Source{}
	}
	b, err := json.Marshal(r)
	if err != nil {
		return openapi.Case{}, err
	}
	var out openapi.Case
	if err := json.Unmarshal(b, &out); err != nil {
		return openapi.Case{}, fmt.Errorf("case %s: %w", r.ID, err)
	}
	if history != nil {
		evs := make([]openapi.CaseEvent, len(history))
		for i, ev := range history {
			evs[i] = caseEventOut(ev)
		}
		out.History = &evs
	}
	return out, nil
}

func caseEventOut(ev casework.Event) openapi.CaseEvent {
	out := openapi.CaseEvent{Kind: openapi.CaseEventKind(ev.Kind), At: ev.At, Actor: ev.Actor, Reason: optional(ev.Reason)}
	if ev.From != "" {
		out.From = ptr(openapi.CaseState(ev.From))
	}
	if ev.To != "" {
		out.To = ptr(openapi.CaseState(ev.To))
	}
	if a := ev.Assignee; a != nil {
		out.Assignee = &openapi.CaseReceiver{Kind: openapi.CaseReceiverKind(a.Kind), Code: a.Code}
	}
	return out
}

// refusalOut is the `refusal` member of a refused move's problem.
func refusalOut(te *casework.TransitionError) map[string]any {
	unmet := make([]openapi.CaseGate, len(te.Unmet))
	for i, g := range te.Unmet {
		unmet[i] = openapi.CaseGate{Code: g.Code, Basis: g.Basis, Zh: g.ZH, En: g.EN}
	}
	return map[string]any{"code": te.Code, "from": string(te.From), "to": string(te.To), "actor": string(te.Actor), "unmet": unmet}
}
