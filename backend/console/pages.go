package console

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/whistle"
)

// inboxView is the team leader's inbox.
type inboxView struct {
	Leader bool               // the user has a review queue
	Queue  []inspection.State // flagged records awaiting review, oldest act first
	More   bool               // the queue holds more than shown
	// Returned are the street's records returned for correction, waiting
	// for their officers (oldest act first); ReturnedMore says there are more.
	Returned     []returnedItem
	ReturnedMore bool
	// Overdue and DueSoon are the street's deadlines past due and due
	// within the policy's window (as GET /v1/deadlines?state= lists them),
	// the soonest first.
	Overdue, DueSoon []postgres.Stored
	// Whistles are the street's open whistles with a late step or an
	// objection waiting for the street's ruling.
	Whistles []whistleItem
}

// whistleItem is a whistle of the inbox with what needs the team leader.
type whistleItem struct {
	Whistle    whistle.Whistle
	Late       []whistle.LateStep
	Objections []whistle.Objection
}

// openWhistles is how many open whistles of the street the inbox reads.
const openWhistles = 200

// inboxSize is how many records of the review queue the inbox shows.
const inboxSize = 50

// inbox shows what needs the user: for a team leader, the review queue of
// the street (as GET /v1/inspections/review-queue lists it) and the records
// returned waiting for their officers (as GET /v1/inspections?review=returned
// lists them), and for the street's officers and team leader its overdue and
// due-soon deadlines; for a team leader also the street's open whistles with
// late steps or pending objections.
func (c *Console) inbox(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if sc.Role == org.RoleDeptReviewer && c.reviewConfigured() { // a reviewer's work is the department's cases
		return ctx.Redirect(Prefix+"/review", http.StatusSeeOther)
	}
	if to, ok := c.landing[sc.Role]; ok { // the role's own page (a grid operator's whistle board, ...)
		return ctx.Redirect(to, http.StatusSeeOther)
	}
	v := inboxView{Leader: access.ReviewQueue(sc)}
	if v.Leader {
		list, err := c.cfg.Inspections.List(ctx.UserContext(), s.user.ID,
			inspection.Filter{Review: inspection.ReviewPending, OldestFirst: true, Limit: inboxSize + 1})
		if err != nil {
			return c.fail(ctx, s, err)
		}
		if len(list) > inboxSize {
			list, v.More = list[:inboxSize], true
		}
		v.Queue = list
		if v.Returned, v.ReturnedMore, err = c.returnedRecords(ctx, s); err != nil {
			return c.fail(ctx, s, err)
		}
	}
	if street, ok := access.ListDeadlines(sc); ok && c.cfg.Deadlines != nil {
		for state, into := range map[string]*[]postgres.Stored{"overdue": &v.Overdue, "due_soon": &v.DueSoon} {
			if *into, err = c.cfg.Deadlines.List(ctx.UserContext(), postgres.DeadlineFilter{StreetCode: street, State: state, Limit: inboxSize}); err != nil {
				return c.fail(ctx, s, err)
			}
		}
	}
	if v.Leader && c.cfg.Whistles != nil {
		list, err := c.cfg.Whistles.List(ctx.UserContext(), s.user.ID, whistle.Filter{State: whistle.StateOpen, Limit: openWhistles})
		if err != nil {
			return c.fail(ctx, s, err)
		}
		now := c.cfg.Now()
		for _, w := range list {
			it := whistleItem{Whistle: w, Late: whistle.Late(w, now), Objections: whistle.PendingObjections(w)}
			if len(it.Late) > 0 || len(it.Objections) > 0 {
				v.Whistles = append(v.Whistles, it)
			}
		}
	}
	return c.render(ctx, http.StatusOK, "inbox", s, v)
}

// inspectionView is one record with its versions and the diff of the last
// two.
type inspectionView struct {
	State    inspection.State
	Versions []inspection.Version // oldest first
	Reviews  []inspection.ReviewAct
	// Before and After are the two versions compared (After the current);
	// Changes their diff. Before is nil for a record of one version.
	Before, After *inspection.Version
	Changes       []inspection.FieldChange
	CanReview     bool   // awaiting review, and the user is the street's team leader
	Error         string // a key of messages: why the last decision was refused
}

// inspectionPage shows a record as GET /v1/inspections/{id} shows it to the
// user (masked alike), its versions side by side with their diff, and the
// review forms. Another street's record is not found (404), as in the API.
func (c *Console) inspectionPage(ctx *fiber.Ctx, s *session) error {
	return c.showInspection(ctx, s, http.StatusOK, "")
}

func (c *Console) showInspection(ctx *fiber.Ctx, s *session, status int, errKey string) error {
	id := ctx.Params("id")
	st, err := c.cfg.Inspections.Get(ctx.UserContext(), s.user.ID, id)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	versions, reviews, err := c.cfg.Inspections.History(ctx.UserContext(), s.user.ID, id)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := inspectionView{State: st, Versions: versions, Reviews: reviews, Error: errKey}
	if n := len(versions); n > 0 {
		v.After = &versions[n-1]
		if n > 1 {
			v.Before = &versions[n-2]
			if v.Changes, err = inspection.Diff(v.Before.Record, v.After.Record); err != nil {
				return c.fail(ctx, s, err)
			}
		}
	}
	if st.Review == inspection.ReviewPending {
		sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
		if err != nil {
			return c.fail(ctx, s, err)
		}
		_, v.CanReview = access.ReviewInspection(sc, st.StreetCode)
	}
	return c.render(ctx, status, "inspection", s, v)
}

// review approves or returns a record through inspection.Service.Decide,
// the command of POST /v1/inspections/{id}/review (same checks, same trail
// entry), then shows the record again.
func (c *Console) review(ctx *fiber.Ctx, s *session) error {
	id := ctx.Params("id")
	var reasons []string
	for line := range strings.SplitSeq(ctx.FormValue("reasons"), "\n") {
		if r := strings.TrimSpace(line); r != "" {
			reasons = append(reasons, r)
		}
	}
	who := inspection.Actor{UserID: s.user.ID, DeviceID: s.claims.DeviceID}
	_, err := c.cfg.Inspections.Decide(ctx.UserContext(), who, id, formInt(ctx, "version"), ctx.FormValue("decision"), reasons)
	switch derrors.CodeOf(err) {
	case "":
		return ctx.Redirect(Prefix+"/inspections/"+id, http.StatusSeeOther)
	case derrors.Invalid:
		return c.showInspection(ctx, s, http.StatusUnprocessableEntity, "review.invalid")
	case derrors.Conflict, derrors.CaseArchived:
		return c.showInspection(ctx, s, http.StatusConflict, "review.conflict")
	default:
		return c.fail(ctx, s, err)
	}
}

// prettyJSON shows a value as indented JSON.
func prettyJSON(v any) string {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err.Error()
	}
	return string(b)
}
