package org

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
)

// FactReader is what the authority facts are read from: the organization's
// storage, as it stood at a moment.
type FactReader interface {
	MatterAt(ctx context.Context, code string, at time.Time) (MatterInForce, error)
	Officers(ctx context.Context, codes []string) ([]Member, error)
	PoliciesAt(ctx context.Context, at time.Time) (map[string]Policy, error)
	TeamStreets(ctx context.Context) (map[string]string, error)
}

// CheckIn is an officer checked in at the scene.
type CheckIn struct {
	OfficerCode string
	CheckedInAt time.Time
}

// MatterFact is a matter code asked for, with the version in force at the
// moment if there is one.
type MatterFact struct {
	Code    string
	InForce bool
	Matter  MatterInForce // zero unless InForce
}

// CrewFact is one check-in of the crew with the person it names as they
// stood at the moment.
type CrewFact struct {
	CheckIn
	Known   bool     // an officer with this code exists
	Member  Member   // zero unless Known
	Teams   []string // codes of the teams the officer belonged to at the moment
	Streets []string // the streets of those teams
}

// Fault is a reference that names nothing at the moment: the index of the
// matter code or check-in as asked for, and why. Callers turn the index
// into the field pointer of their own request.
type Fault struct {
	Index   int
	Message string
}

// AuthorityFacts are what the authority engine judges a crew by at a
// moment: the matters, the crew's certificates and memberships, and the
// departments' procedure policies, all as they stood then. The explanation
// endpoint and the inspection record (online and synced) read them with
// ReadAuthorityFacts, so that what is explained is what is enforced.
type AuthorityFacts struct {
	At       time.Time
	Matters  []MatterFact // in the order of the codes asked for
	Crew     []CrewFact   // in the order of the check-ins
	Policies map[string]authority.Policy
}

// TeamsOf returns the teams, at the facts' moment, of the known crew
// officer code, and whether the crew names him.
func (f AuthorityFacts) TeamsOf(code string) ([]string, bool) {
	for _, c := range f.Crew {
		if c.Known && c.OfficerCode == code {
			return c.Teams, true
		}
	}
	return nil, false
}

// ReadAuthorityFacts reads from r the facts for matterCodes and crew as they
// stood at at. A matter not in force or an unknown officer is not an error
// here: it is kept as a fault (MatterFaults, CrewFaults) for the caller to
// name at its own field. Errors: those of r other than derrors.NotFound
// for a matter.
func ReadAuthorityFacts(ctx context.Context, r FactReader, matterCodes []string, crew []CheckIn, at time.Time) (AuthorityFacts, error) {
	f := AuthorityFacts{At: at, Policies: map[string]authority.Policy{}}
	for _, code := range matterCodes {
		m, err := r.MatterAt(ctx, code, at)
		switch {
		case derrors.CodeOf(err) == derrors.NotFound:
			f.Matters = append(f.Matters, MatterFact{Code: code})
		case err != nil:
			return AuthorityFacts{}, err
		default:
			f.Matters = append(f.Matters, MatterFact{Code: code, InForce: true, Matter: m})
		}
	}
	codes := make([]string, len(crew))
	for i, c := range crew {
		codes[i] = c.OfficerCode
	}
	members, err := r.Officers(ctx, codes)
	if err != nil {
		return AuthorityFacts{}, err
	}
	byCode := make(map[string]Member, len(members))
	for _, m := range members {
		byCode[m.Officer.Code] = m
	}
	teams, err := r.TeamStreets(ctx)
	if err != nil {
		return AuthorityFacts{}, err
	}
	for _, c := range crew {
		cf := CrewFact{CheckIn: c}
		if m, ok := byCode[c.OfficerCode]; ok {
			cf.Known, cf.Member = true, m
			cf.Teams, cf.Streets = m.TeamsAt(at), m.StreetsAt(teams, at)
		}
		f.Crew = append(f.Crew, cf)
	}
	policies, err := r.PoliciesAt(ctx, at)
	if err != nil {
		return AuthorityFacts{}, err
	}
	for code, p := range policies {
		f.Policies[code] = p.Policy
	}
	return f, nil
}

// MatterFaults are the matter codes with no version in force at the moment.
func (f AuthorityFacts) MatterFaults() []Fault {
	var out []Fault
	for i, m := range f.Matters {
		if !m.InForce {
			out = append(out, Fault{Index: i, Message: fmt.Sprintf("no matter %q in force at %s", m.Code, f.At.Format(time.RFC3339))})
		}
	}
	return out
}

// CrewFaults are the check-ins that name no officer.
func (f AuthorityFacts) CrewFaults() []Fault {
	var out []Fault
	for i, c := range f.Crew {
		if !c.Known {
			out = append(out, Fault{Index: i, Message: fmt.Sprintf("no officer %q", c.OfficerCode)})
		}
	}
	return out
}

// WithinTeam narrows f to the check-ins of officers in team at the moment,
// and returns those of the others apart. An inspection record is judged
// against its own team: an officer of another team (a joint operation
// across streets) is on record, but his certificate does not count for the
// team's procedure, nor does he act as its second inspector.
func (f AuthorityFacts) WithinTeam(team string) (in AuthorityFacts, outside []CrewFact) {
	in = f
	in.Crew = nil
	for _, c := range f.Crew {
		if slices.Contains(c.Teams, team) {
			in.Crew = append(in.Crew, c)
		} else {
			outside = append(outside, c)
		}
	}
	return in, outside
}

// Input is what the authority engine decides for matter m: the crew with
// the certificate each held at the moment, and the policies. It means
// something only when CrewFaults is empty.
func (f AuthorityFacts) Input(m MatterInForce) authority.Input {
	in := authority.Input{Matter: m.AuthorityMatter(), At: f.At, Policies: f.Policies}
	for _, c := range f.Crew {
		in.Crew = append(in.Crew, c.Member.CrewMember(c.CheckedInAt, f.At))
	}
	return in
}

// TeamsAt returns the codes of the teams m belonged to at t.
func (m Member) TeamsAt(t time.Time) []string {
	var out []string
	for _, ms := range m.Officer.Memberships {
		if ms.ActiveAt(t) {
			out = append(out, ms.TeamCode)
		}
	}
	return out
}

// StreetsAt returns the streets of the teams m belonged to at t; teams maps
// team codes to street codes.
func (m Member) StreetsAt(teams map[string]string, t time.Time) []string {
	var out []string
	for _, team := range m.TeamsAt(t) {
		out = append(out, teams[team])
	}
	return out
}
