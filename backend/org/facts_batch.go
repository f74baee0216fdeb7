package org

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// ErrNotRead is what a FactSet answers for an officer or a matter it was
// not filled with: the caller reads it from storage instead (a set-wise
// sync push applies that act on its own).
var ErrNotRead = errors.New("not among the facts read for this batch")

// FactSet is a FactReader answered from memory: what one read of the
// organization returned for a batch of acts (a sync push judged
// set-wise), so that each act is judged as of its own moment by
// ReadAuthorityFacts without a query of its own. It answers as the
// storage does: the same matter version in force, the same policies, the
// same officers.
type FactSet struct {
	members  map[string]Member          // by officer code, for every code read
	known    map[string]bool            // the officer codes read, known or not
	matters  map[string][]MatterInForce // every version of each matter code read (none: no such matter)
	policies []Policy                   // every version of every department's policy
	teams    map[string]string
}

// NewFactSet returns the facts read for officers (the codes asked for and
// the members found), every version of matterCodes' matters (matters),
// every policy version and the streets of the teams.
func NewFactSet(officerCodes []string, members []Member, matterCodes []string, matters []MatterInForce, policies []Policy, teams map[string]string) *FactSet {
	f := &FactSet{members: map[string]Member{}, known: map[string]bool{}, matters: map[string][]MatterInForce{},
		policies: policies, teams: teams}
	for _, c := range officerCodes {
		f.known[c] = true
	}
	for _, m := range members {
		f.members[m.Officer.Code] = m
		f.known[m.Officer.Code] = true
	}
	for _, c := range matterCodes {
		f.matters[c] = nil
	}
	for _, m := range matters {
		f.matters[m.Code] = append(f.matters[m.Code], m)
	}
	return f
}

// asStored is t as storage compares it: timestamps keep microseconds.
func asStored(t time.Time) time.Time { return t.Truncate(time.Microsecond) }

// MatterAt returns the version of matter code in force at t (valid from
// on or before t, not yet ended), derrors.NotFound when none is, ErrNotRead
// for a code not read.
func (f *FactSet) MatterAt(_ context.Context, code string, t time.Time) (MatterInForce, error) {
	versions, ok := f.matters[code]
	if !ok {
		return MatterInForce{}, fmt.Errorf("matter %q: %w", code, ErrNotRead)
	}
	t = asStored(t)
	for _, m := range versions {
		if !m.ValidFrom.After(t) && (m.ValidTo == nil || m.ValidTo.After(t)) {
			return m, nil
		}
	}
	return MatterInForce{}, derrors.New(derrors.NotFound, "no matter %q in force at %s", code, t.Format(time.RFC3339))
}

// Officers returns the members with the given codes, by code, unknown
// codes absent; ErrNotRead when a code was not read.
func (f *FactSet) Officers(_ context.Context, codes []string) ([]Member, error) {
	var out []Member
	for _, c := range codes {
		if !f.known[c] {
			return nil, fmt.Errorf("officer %q: %w", c, ErrNotRead)
		}
		if m, ok := f.members[c]; ok && !slices.ContainsFunc(out, func(x Member) bool { return x.Officer.Code == c }) {
			out = append(out, m)
		}
	}
	slices.SortFunc(out, func(a, b Member) int { return strings.Compare(a.Officer.Code, b.Officer.Code) })
	if out == nil {
		out = []Member{}
	}
	return out, nil
}

// PoliciesAt returns each department's policy in force at t: its latest
// version valid from on or before t.
func (f *FactSet) PoliciesAt(_ context.Context, t time.Time) (map[string]Policy, error) {
	t = asStored(t)
	out := map[string]Policy{}
	for _, p := range f.policies {
		if p.ValidFrom.After(t) {
			continue
		}
		if cur, ok := out[p.DepartmentCode]; !ok || p.ValidFrom.After(cur.ValidFrom) {
			out[p.DepartmentCode] = p
		}
	}
	return out, nil
}

// TeamStreets returns the street of every team, by team code.
func (f *FactSet) TeamStreets(context.Context) (map[string]string, error) {
	return maps.Clone(f.teams), nil
}
