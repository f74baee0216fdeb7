package console

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
)

// casePages are the templates of the team leader's case pages.
var casePages = []string{"case", "archive"}

// caseView is one case as GET /v1/cases/{id} shows it to the user, with its
// deadlines and its history, newest last.
type caseView struct {
	Case      casework.Record
	Events    []casework.Event
	Deadlines []postgres.Stored // nil when the user does not see the street's deadlines
	CanAssign bool              // the user is the street's team leader and the case is open
	Error     string            // a key of messages: why the last reassignment was refused
}

// casePage shows case id to the user. Another street's case is not found
// (404), as in the API.
func (c *Console) casePage(ctx *fiber.Ctx, s *session) error {
	return c.showCase(ctx, s, http.StatusOK, "")
}

func (c *Console) showCase(ctx *fiber.Ctx, s *session, status int, errKey string) error {
	r, evs, err := c.cfg.Cases.History(ctx.UserContext(), s.user.ID, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := caseView{Case: r, Events: evs, Error: errKey,
		CanAssign: access.ReviewQueue(sc) && sc.StreetCode == r.StreetCode && !done(r.State)}
	if access.Deadline(sc, r.StreetCode) && c.cfg.Deadlines != nil {
		v.Deadlines, err = c.cfg.Deadlines.List(ctx.UserContext(), postgres.DeadlineFilter{StreetCode: r.StreetCode,
			Subject: &casework.DeadlineSubject{Kind: casework.SubjectCase, ID: r.ID}, Limit: casework.MaxPage})
		if err != nil {
			return c.fail(ctx, s, err)
		}
	}
	return c.render(ctx, status, "case", s, v)
}

// reassign hands the case to another officer through
// casework.Service.Reassign, the command of POST /v1/cases/{id}/reassignment.
func (c *Console) reassign(ctx *fiber.Ctx, s *session) error {
	id := ctx.Params("id")
	_, err := c.cfg.Cases.Reassign(ctx.UserContext(), s.user.ID, id, formInt(ctx, "version"),
		strings.TrimSpace(ctx.FormValue("officer_code")), strings.TrimSpace(ctx.FormValue("reason")))
	var refusal *casework.RefusalError
	switch {
	case err == nil:
		return ctx.Redirect(Prefix+"/cases/"+id, http.StatusSeeOther)
	case errors.As(err, &refusal), derrors.CodeOf(err) == derrors.Invalid:
		return c.showCase(ctx, s, http.StatusUnprocessableEntity, "case.assign-invalid")
	case derrors.CodeOf(err) == derrors.Conflict, derrors.CodeOf(err) == derrors.CaseArchived:
		return c.showCase(ctx, s, http.StatusConflict, "case.conflict")
	default:
		return c.fail(ctx, s, err)
	}
}

// archiveView is the completeness check of a case and, once closed, its
// archive.
type archiveView struct {
	Case     casework.Record
	Check    archive.Result
	Archive  *archive.Archive // nil until the case is archived
	CanClose bool             // the case is concluded or withdrawn and the user leads its street
	Error    string           // a key of messages: why the last closing was refused
}

// archivePage shows the completeness check (archive.Service.Check, as GET
// /v1/cases/{id}/archive/check) and the closing form, or the archive of an
// archived case.
func (c *Console) archivePage(ctx *fiber.Ctx, s *session) error {
	return c.showArchive(ctx, s, http.StatusOK, "")
}

func (c *Console) showArchive(ctx *fiber.Ctx, s *session, status int, errKey string) error {
	id := ctx.Params("id")
	r, res, err := c.cfg.Archives.Check(ctx.UserContext(), s.user.ID, id)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := archiveView{Case: r, Check: res, Error: errKey}
	if r.State == casework.StateArchived {
		a, err := c.cfg.Archives.Get(ctx.UserContext(), s.user.ID, id)
		if err != nil {
			return c.fail(ctx, s, err)
		}
		v.Archive = &a
	} else {
		sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
		if err != nil {
			return c.fail(ctx, s, err)
		}
		v.CanClose = done(r.State) && access.ReviewQueue(sc) && sc.StreetCode == r.StreetCode
	}
	return c.render(ctx, status, "archive", s, v)
}

// closeArchive closes the case into its archive through
// archive.Service.Close, the command of POST /v1/cases/{id}/archive.
func (c *Console) closeArchive(ctx *fiber.Ctx, s *session) error {
	id := ctx.Params("id")
	_, err := c.cfg.Archives.Close(ctx.UserContext(), s.user.ID, id, formInt(ctx, "version"))
	var incomplete *archive.IncompleteError
	switch {
	case err == nil:
		return ctx.Redirect(Prefix+"/cases/"+id+"/archive", http.StatusSeeOther)
	case errors.As(err, &incomplete):
		return c.showArchive(ctx, s, http.StatusConflict, "archive.incomplete")
	case derrors.CodeOf(err) == derrors.Conflict, derrors.CodeOf(err) == derrors.CaseArchived, derrors.CodeOf(err) == derrors.Invalid:
		return c.showArchive(ctx, s, http.StatusConflict, "case.conflict")
	default:
		return c.fail(ctx, s, err)
	}
}

// consoleLink maps a missing item's API path to the console page where it
// is fixed, or "" when the console has none (the page then shows the path).
func consoleLink(apiPath string) string {
	rest, ok := strings.CutPrefix(apiPath, "/v1/")
	if !ok {
		return ""
	}
	parts := strings.Split(rest, "/")
	if len(parts) >= 2 {
		switch parts[0] {
		case "inspections":
			return Prefix + "/inspections/" + parts[1]
		case "cases":
			return Prefix + "/cases/" + parts[1]
		}
	}
	return ""
}

// done reports whether a case in state st is handled to its end (concluded
// or withdrawn: to be archived) or archived: no more reassignment.
func done(st casework.State) bool {
	return st == casework.StateConcluded || st == casework.StateWithdrawn || st == casework.StateArchived
}
