package casework

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/geo"
)

// The same problem reported twice (the same place within a radius, the same matter within a
// window) is offered for merging, never silently duplicated.

// Default duplicate detection: within 100 metres, within 7 days.
const (
	DefaultDuplicateRadiusM = 100
	DefaultDuplicateWindow  = 7 * 24 * time.Hour
)

// Duplicate is an open case an intake looks like, and how far apart the two places are (-1: no
// coordinates on one side, the same address).
type Duplicate struct {
	ID        string    `json:"id"`
	State     State     `json:"state"`
	Address   string    `json:"address"`
	DistanceM float64   `json:"distance_m"`
	CreatedAt time.Time `json:"created_at"`
}

// DuplicatesError refuses an intake that looks like open cases: the caller confirms a new case
// (ConfirmNew) or merges the source into one of them (MergeInto). Its code is
// derrors.CaseDuplicates.
type DuplicatesError struct {
	Err        *derrors.Error
	Duplicates []Duplicate
}

func (e *DuplicatesError) Error() string { return e.Err.Error() }

// Unwrap lets derrors.CodeOf find the code.
func (e *DuplicatesError) Unwrap() error { return e.Err }

// Duplicates returns, of the open cases given, those at the same place as loc: within radius
// metres when both have coordinates, else at the same address (spaces ignored). The nearest come
// first.
func Duplicates(loc Location, open []Record, radiusM float64) []Duplicate {
	norm := func(s string) string { return strings.Join(strings.Fields(s), "") }
	var out []Duplicate
	for _, r := range open {
		d := Duplicate{ID: r.ID, State: r.State, Address: r.Location.Address, DistanceM: -1, CreatedAt: r.CreatedAt}
		switch {
		case loc.Lat != nil && loc.Lng != nil && r.Location.Lat != nil && r.Location.Lng != nil:
			d.DistanceM = math.Round(geo.DistanceM(*loc.Lat, *loc.Lng, *r.Location.Lat, *r.Location.Lng))
			if d.DistanceM > radiusM {
				continue
			}
		case norm(loc.Address) == "" || norm(loc.Address) != norm(r.Location.Address):
			continue
		}
		out = append(out, d)
	}
	slices.SortStableFunc(out, func(a, b Duplicate) int { return cmp.Compare(a.DistanceM, b.DistanceM) })
	return out
}

// duplicatesOf returns the open cases of sc's street an intake of matter at loc looks like.
func (s *Service) duplicatesOf(ctx context.Context, street, matter string, loc Location, now time.Time) ([]Duplicate, error) {
	window := s.cfg.DuplicateWindow
	if window == 0 {
		window = DefaultDuplicateWindow
	}
	radius := s.cfg.DuplicateRadiusM
	if radius == 0 {
		radius = DefaultDuplicateRadiusM
	}
	open, err := s.store.OpenSimilar(ctx, street, matter, now.Add(-window))
	if err != nil {
		return nil, err
	}
	return Duplicates(loc, open, radius), nil
}

// AddSource adds the source of an intake to an open case (a duplicate merged at intake): the
// case keeps every source with its contact. The caller may take the source in and see the case.
// Errors: derrors.NotFound, derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) AddSource(ctx context.Context, userID, id string, in Intake) (Record, error) {
	now := s.instant()
	sc, err := s.org.Scope(ctx, userID, now)
	if err != nil {
		return Record{}, err
	}
	if !access.IntakeCase(sc) {
		return Record{}, derrors.New(derrors.Forbidden, "only the street's grid operators and team leader take problems in")
	}
	if err := validateIntake(in); err != nil {
		return Record{}, err
	}
	r, _, err := s.load(ctx, userID, id, 0)
	if err != nil {
		return Record{}, err
	}
	before := r
	if closed(r.State) || r.StreetCode != sc.StreetCode {
		return Record{}, derrors.New(derrors.Conflict, "case %s is %s: open a new one", id, r.State)
	}
	in.Source.TakenBy = userID
	r.Sources = append(slices.Clone(r.Sources), in.Source)
	ev := Event{Kind: EventMerged, At: now, Actor: sc.UserID, Reason: "source added: " + sourceName(in.Source)}
	return s.save(ctx, sc, before, r, "case.merge.source", nil, ev)
}

func sourceName(src Source) string {
	if src.WorkOrderNumber != "" {
		return fmt.Sprintf("%s %s", src.Kind, src.WorkOrderNumber)
	}
	return string(src.Kind)
}

// Merge merges case id into case into (the same problem taken in twice): into keeps both cases'
// sources and contacts; id is closed to acts, naming into. The street's team leader merges, a
// clue into a case that is not concluded or withdrawn. Errors: derrors.NotFound,
// derrors.Forbidden, derrors.Invalid, derrors.Conflict.
func (s *Service) Merge(ctx context.Context, userID, id string, base int, into, reason string) (Record, error) {
	if id == into {
		return Record{}, derrors.Invalidf("/into", "a case is not merged into itself")
	}
	from, sc, err := s.loadFor(ctx, userID, id, base, leads, "only the team leader merges cases")
	if err != nil {
		return Record{}, err
	}
	target, _, err := s.load(ctx, userID, into, 0)
	if derrors.CodeOf(err) == derrors.NotFound {
		return Record{}, derrors.Invalidf("/into", "no case %s", into)
	}
	if err != nil {
		return Record{}, err
	}
	if target.StreetCode != from.StreetCode {
		return Record{}, derrors.Invalidf("/into", "no case %s", into)
	}
	if from.State != StateClue {
		return Record{}, derrors.New(derrors.Conflict, "a %s case is not merged: only a clue is", from.State)
	}
	if closed(target.State) {
		return Record{}, derrors.New(derrors.Conflict, "case %s is %s", into, target.State)
	}
	now := s.instant()
	was := target
	target.Sources = append(slices.Clone(target.Sources), from.Sources...)
	from.MergedInto = into
	from.Version++
	from.UpdatedAt = now
	ev := Event{Kind: EventMerged, At: now, Actor: sc.UserID, Reason: fmt.Sprintf("%s merged in: %s", id, reason)}
	base = target.Version
	target.Version++
	target.UpdatedAt = now
	c := Change{Record: target, Action: "case.merge", Events: []Event{ev}, Feed: Feed(target), MergedFrom: &from,
		MergedEvents: []Event{{Kind: EventMerged, At: now, Actor: sc.UserID, Reason: fmt.Sprintf("merged into %s: %s", into, reason)}},
		MergedFeed:   Feed(from),
		// The sources moved open their work orders' limits again on into, from their receipt
		// (the same due instants); the merged clue's own deadlines are met, it is done with.
		Clocks: ClocksOf(&was, target, now), MergedClocks: ClockOps{MeetAll: true}}
	if err := s.store.Update(ctx, c, base); err != nil {
		return Record{}, err
	}
	return s.visible(ctx, sc, target)
}
