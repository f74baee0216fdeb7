package console

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/review"
)

// Grants reads a department's live review grants on cases, as the API's
// case routes judge a reviewer's access (grant.Service).
type Grants interface {
	LiveGrants(ctx context.Context, department string, caseIDs []string, at time.Time) (map[string]access.Grant, error)
}

// CaseEvidence lists the evidence of a case's records, as GET
// /v1/cases/{id}/evidence reads it.
type CaseEvidence interface {
	CaseEvidence(ctx context.Context, caseID string, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error)
}

// reviewSize is how many cases, and evidence items of a case, the
// reviewer's pages show.
const reviewSize = 100

// reviewListView is the department reviewer's list of cases.
type reviewListView struct {
	Reviewer bool // the user is a department reviewer
	Cases    []reviewedCase
	More     bool
}

// reviewedCase is a case routed to the reviewer's department with the live
// grant that lets the reviewer see it.
type reviewedCase struct {
	Case  casework.Record
	Grant access.Grant
}

// reviewConfigured reports whether the reviewer's pages have their services.
func (c *Console) reviewConfigured() bool {
	return c.cfg.Cases != nil && c.cfg.Grants != nil && c.cfg.CaseEvidence != nil
}

// reviewList shows a department reviewer the cases routed to the
// department under a live grant (casework List, as GET /v1/cases lists
// them to a reviewer), each with its grant's expiry.
func (c *Console) reviewList(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := reviewListView{Reviewer: sc.Role == org.RoleDeptReviewer && c.reviewConfigured()}
	if !v.Reviewer {
		return c.render(ctx, fiber.StatusOK, "review", s, v)
	}
	list, err := c.cfg.Cases.List(ctx.UserContext(), s.user.ID, casework.ListQuery{Limit: reviewSize + 1})
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if len(list) > reviewSize {
		list, v.More = list[:reviewSize], true
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	grants, err := c.cfg.Grants.LiveGrants(ctx.UserContext(), sc.DepartmentCode, ids, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	for _, r := range list {
		if g, ok := grants[r.ID]; ok { // the list's filter is judged again on the grant itself
			v.Cases = append(v.Cases, reviewedCase{Case: r, Grant: g})
		}
	}
	return c.render(ctx, fiber.StatusOK, "review", s, v)
}

// reviewCaseView is a case's evidence as its reviewer sees it, a page of
// reviewSize items at a time.
type reviewCaseView struct {
	Case     casework.Record
	Events   []casework.Event // the case's history, as GET /v1/cases/{id} shows it to the reviewer
	Grant    access.Grant
	Evidence []reviewedItem
	Page     int    // the number of this page of items, from 1
	Here     string // the query of this page ("" for the first), kept by the review form
	Next     string // the query of the next page, "" on the last
	Prev     string // the query of the previous page when HasPrev ("": the first page)
	HasPrev  bool
	Reviews  []review.Review // the case's reviews, newest first
	Reasons  []review.Reason // the reasons of the return form
}

// reviewedItem is an evidence item of the case with its custody log.
type reviewedItem struct {
	evidence.Evidence
	Custody []evidence.CustodyEntry
	Player  string // "audio" or "video" for an item the browser plays, else ""
}

// playerOf is the element that plays an item of content type ct: "audio"
// or "video", or "" for what is not sound or moving pictures.
func playerOf(ct string) string {
	kind, _, _ := strings.Cut(ct, "/")
	if kind == "audio" || kind == "video" {
		return kind
	}
	return ""
}

// evidenceCursor is where a page of a case's evidence starts: after the
// item created at At with id ID, in the (created_at, id) order of
// CaseEvidence; the zero value starts at the first item.
type evidenceCursor struct {
	At time.Time
	ID string
}

// String is the cursor in a URL: the creation's Unix microseconds (the
// store's precision) and the id.
func (p evidenceCursor) String() string {
	return strconv.FormatInt(p.At.UnixMicro(), 10) + "_" + p.ID
}

func parseCursor(s string) (evidenceCursor, error) {
	us, id, ok := strings.Cut(s, "_")
	n, err := strconv.ParseInt(us, 10, 64)
	if _, uerr := uuid.Parse(id); !ok || err != nil || uerr != nil {
		return evidenceCursor{}, derrors.New(derrors.NotFound, "no page %q of the case's evidence", s)
	}
	return evidenceCursor{At: time.UnixMicro(n), ID: id}, nil
}

// evidencePages are the cursors of a page of the case's evidence: after,
// where it starts (zero on the first page), and back, where each page
// before it starts but the first (the store reads forwards only, so the
// previous pages are carried in the URL, query "back").
type evidencePages struct {
	after evidenceCursor
	back  []string
}

func pagesOf(ctx *fiber.Ctx) (evidencePages, error) {
	var p evidencePages
	if a := ctx.Query("after"); a != "" {
		c, err := parseCursor(a)
		if err != nil {
			return p, err
		}
		p.after = c
	}
	for _, b := range ctx.Context().QueryArgs().PeekMulti("back") {
		if _, err := parseCursor(string(b)); err != nil {
			return p, err
		}
		p.back = append(p.back, string(b))
	}
	return p, nil
}

// pageQuery is the URL query of the page that starts after after, with back
// the starts of the pages before it.
func pageQuery(after string, back []string) string {
	if after == "" {
		return ""
	}
	q := url.Values{"after": {after}}
	if len(back) > 0 {
		q["back"] = back
	}
	return "?" + q.Encode()
}

// reviewCase shows a department reviewer a case's evidence items (as GET
// /v1/cases/{id}/evidence lists them, a page at a time) and its history:
// a case without the department's live grant is not found, as in the API.
func (c *Console) reviewCase(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if sc.Role != org.RoleDeptReviewer || !c.reviewConfigured() {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	pages, err := pagesOf(ctx)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	r, evs, err := c.cfg.Cases.History(ctx.UserContext(), s.user.ID, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	grants, err := c.cfg.Grants.LiveGrants(ctx.UserContext(), sc.DepartmentCode, []string{r.ID}, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	g, ok := grants[r.ID]
	if !ok {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	es, err := c.cfg.CaseEvidence.CaseEvidence(ctx.UserContext(), r.ID, pages.after.At, pages.after.ID, reviewSize+1)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := reviewCaseView{Case: r, Events: evs, Grant: g, Page: len(pages.back) + 1}
	if pages.after.ID != "" {
		v.Page++
		v.Here, v.HasPrev = pageQuery(pages.after.String(), pages.back), true
		if n := len(pages.back); n > 0 {
			v.Prev = pageQuery(pages.back[n-1], pages.back[:n-1])
		}
	}
	if len(es) > reviewSize {
		es = es[:reviewSize]
		last := es[len(es)-1]
		back := pages.back
		if pages.after.ID != "" {
			back = append(back[:len(back):len(back)], pages.after.String())
		}
		v.Next = pageQuery(evidenceCursor{At: last.CreatedAt, ID: last.ID}.String(), back)
	}
	for _, e := range es {
		it := reviewedItem{Evidence: e, Player: playerOf(e.ContentType)}
		if c.cfg.Evidence != nil {
			if it.Custody, err = c.cfg.Evidence.Custody(ctx.UserContext(), s.user, s.claims, e.ID); err != nil {
				return c.fail(ctx, s, err)
			}
		}
		v.Evidence = append(v.Evidence, it)
	}
	if c.cfg.Reviews != nil {
		if v.Reviews, err = c.cfg.Reviews.List(ctx.UserContext(), s.user.ID, r.ID, nil, reviewSize); err != nil {
			return c.fail(ctx, s, err)
		}
	}
	v.Reasons = returnReasons
	return c.render(ctx, fiber.StatusOK, "review-case", s, v)
}

// Stream is an evidence item's bytes to send on, as the API streams them.
type Stream struct {
	Body        io.ReadCloser
	ContentType string
	Length      int64 // -1 if unknown
}

// EvidenceViews reaches an item's thumbnail, original and custody log for
// the signed-in user through the API's own evidence routes (same access
// rules, every view on the custody log).
type EvidenceViews interface {
	Thumbnail(ctx context.Context, u identity.User, cl identity.Claims, id string) (Stream, error)
	// Content is the whole original. resume says the request continues a
	// playback (a range past the first byte): the user's download of the
	// item that started it, when it is on the custody log moments ago,
	// stands for this one too.
	Content(ctx context.Context, u identity.User, cl identity.Claims, id string, resume bool) (Stream, error)
	Custody(ctx context.Context, u identity.User, cl identity.Claims, id string) ([]evidence.CustodyEntry, error)
}

// CustodySize is how many entries of an item's custody log the case page shows.
const CustodySize = 100

// evidenceThumbnail streams an item's thumbnail (GET /v1/evidence/{id}/thumbnail's path).
func (c *Console) evidenceThumbnail(ctx *fiber.Ctx, s *session) error {
	if c.cfg.Evidence == nil {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	st, err := c.cfg.Evidence.Thumbnail(ctx.UserContext(), s.user, s.claims, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	return send(ctx, fiber.StatusOK, st)
}

// evidenceContent streams an item's original (GET /v1/evidence/{id}/content's
// path): a view-only grant is refused (403), as in the API. A request for
// one range of bytes (Range, as the players of audio and video send them)
// gets those bytes (206), read from the original's verified stream.
func (c *Console) evidenceContent(ctx *fiber.Ctx, s *session) error {
	if c.cfg.Evidence == nil {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	r, ranged := parseRange(ctx.Get(fiber.HeaderRange))
	st, err := c.cfg.Evidence.Content(ctx.UserContext(), s.user, s.claims, ctx.Params("id"), ranged && r.resumes())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	ctx.Set(fiber.HeaderAcceptRanges, "bytes")
	if !ranged || st.Length < 0 {
		return send(ctx, fiber.StatusOK, st)
	}
	first, last, ok := r.within(st.Length)
	if !ok {
		st.Body.Close()
		ctx.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes */%d", st.Length))
		return ctx.SendStatus(fiber.StatusRequestedRangeNotSatisfiable)
	}
	if _, err := io.CopyN(io.Discard, st.Body, first); err != nil {
		st.Body.Close()
		return c.fail(ctx, s, err)
	}
	ctx.Set(fiber.HeaderContentRange, fmt.Sprintf("bytes %d-%d/%d", first, last, st.Length))
	st.Length = last - first + 1
	st.Body = limitedBody{Reader: io.LimitReader(st.Body, st.Length), Closer: st.Body}
	return send(ctx, fiber.StatusPartialContent, st)
}

// send streams st with status.
func send(ctx *fiber.Ctx, status int, st Stream) error {
	ctx.Set(fiber.HeaderContentType, st.ContentType)
	ctx.Set(fiber.HeaderCacheControl, "private, no-store")
	ctx.Status(status)
	ctx.Context().SetBodyStream(st.Body, int(st.Length))
	return nil
}

// limitedBody is the first bytes of a stream, closing the stream.
type limitedBody struct {
	io.Reader
	io.Closer
}

// byteRange is the one range of a Range header (RFC 9110, 14.1.2) the
// content route answers: bytes first to last (last -1: to the end), or the
// last suffix bytes. Several ranges, another unit or a malformed header
// get the whole item, as a server may answer them.
type byteRange struct {
	first, last, suffix int64
}

func parseRange(h string) (byteRange, bool) {
	spec, ok := strings.CutPrefix(strings.TrimSpace(h), "bytes=")
	a, b, dash := strings.Cut(spec, "-")
	if !ok || !dash || strings.Contains(spec, ",") {
		return byteRange{}, false
	}
	if a == "" {
		n, err := strconv.ParseInt(b, 10, 64)
		return byteRange{suffix: n, last: -1}, err == nil && n > 0
	}
	first, err := strconv.ParseInt(a, 10, 64)
	if err != nil || first < 0 {
		return byteRange{}, false
	}
	r := byteRange{first: first, last: -1}
	if b != "" {
		if r.last, err = strconv.ParseInt(b, 10, 64); err != nil || r.last < first {
			return byteRange{}, false
		}
	}
	return r, true
}

// resumes reports whether the range starts past the first byte: a player
// continuing (or seeking in) what it started.
func (r byteRange) resumes() bool { return r.first > 0 || r.suffix > 0 }

// within is the range's first and last byte in an item of size bytes; ok
// is false when none of its bytes is there (416).
func (r byteRange) within(size int64) (first, last int64, ok bool) {
	if r.suffix > 0 {
		return max(size-r.suffix, 0), size - 1, size > 0
	}
	if r.first >= size {
		return 0, 0, false
	}
	last = size - 1
	if r.last >= 0 && r.last < last {
		last = r.last
	}
	return r.first, last, true
}

// returnReasons are the reasons a reviewer may give for an item, in the form's order.
var returnReasons = []review.Reason{review.ReasonUnreadable, review.ReasonMissingAngle, review.ReasonWrongTime, review.ReasonWrongSubject, review.ReasonOther}

// reviewEvidence is the reviewer's form: accept the case's evidence, or
// return it with a reason per item chosen (reason_{id}, note_{id}, items
// of the page the form was on); it calls review.Service.Create, as POST
// /v1/cases/{id}/evidence-reviews does (which checks that each item is the
// case's), and shows that page of the case again.
func (c *Console) reviewEvidence(ctx *fiber.Ctx, s *session) error {
	if c.cfg.Reviews == nil || !c.reviewConfigured() {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	caseID := ctx.Params("id")
	req := review.Request{Verdict: review.VerdictAccepted}
	if ctx.FormValue("verdict") == string(review.VerdictReturned) {
		req.Verdict = review.VerdictReturned
		ctx.Request().PostArgs().VisitAll(func(k, v []byte) {
			if id, ok := strings.CutPrefix(string(k), "reason_"); ok && len(v) > 0 {
				req.Items = append(req.Items, review.Item{EvidenceID: id, Reason: review.Reason(v), Note: strings.TrimSpace(ctx.FormValue("note_" + id))})
			}
		})
	}
	_, err := c.cfg.Reviews.Create(ctx.UserContext(), s.user.ID, caseID, uuid.NewString(), req)
	if derrors.CodeOf(err) == derrors.Invalid {
		return c.render(ctx, fiber.StatusUnprocessableEntity, "error", s, errorView{Status: fiber.StatusUnprocessableEntity, Key: "review-form"})
	}
	if err != nil {
		return c.fail(ctx, s, err)
	}
	pages, err := pagesOf(ctx)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	back := Prefix + "/review/cases/" + url.PathEscape(caseID)
	if pages.after.ID != "" {
		back += pageQuery(pages.after.String(), pages.back)
	}
	return ctx.Redirect(back, fiber.StatusSeeOther)
}
