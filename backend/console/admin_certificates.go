package console

import (
	"cmp"
	"context"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// certState is what a certificate is now, for the administrator.
type certState string

// The states of a certificate on the administrator's list.
const (
	certValid     certState = "valid"     // in its window, active, ending in more than 30 days
	certExpiring  certState = "expiring"  // valid, ending within 30 days
	certExpired   certState = "expired"   // its window ended
	certPending   certState = "pending"   // its window has not begun
	certSuspended certState = "suspended" // suspended now (in its window or not)
	certRevoked   certState = "revoked"   // revoked now
)

// certStates are the states in the order of the filter.
var certStates = []certState{certValid, certExpiring, certExpired, certPending, certSuspended, certRevoked}

// stateOf is c's state at now.
func stateOf(c org.Certificate, now time.Time) certState {
	switch c.AuthorityCertificate().StatusAt(now) {
	case authority.CertificateSuspended:
		return certSuspended
	case authority.CertificateRevoked:
		return certRevoked
	}
	switch {
	case now.Before(c.ValidFrom):
		return certPending
	case !now.Before(c.ValidTo):
		return certExpired
	case c.ValidTo.Sub(now) <= expiringWithin:
		return certExpiring
	}
	return certValid
}

// certItem is a certificate of the list with its holder.
type certItem struct {
	Certificate org.Certificate
	Holder      org.Officer
	Team        string // the holder's team now
	State       certState
	Since       *authority.CertificateStatus // the status change in force now, if any
}

// Day is the Beijing date of t: certificates are valid from and to days.
func (certItem) Day(t time.Time) string { return t.In(clock.Beijing).Format(time.DateOnly) }

// rosterSize is how many members of one team the list reads: a street's
// team has a few dozen.
const rosterSize = 1000

// certificates are the certificates of the officers on a team now, as GET
// /v1/teams/{code}/roster shows them to an administrator, by number.
// Officers on no team now (retired, between postings) are not listed.
func (c *Console) certificates(ctx context.Context, now time.Time) ([]certItem, error) {
	teams, err := c.cfg.Admin.Org.TeamStreets(ctx)
	if err != nil {
		return nil, err
	}
	var out []certItem
	seen := map[string]bool{}
	for _, team := range slices.Sorted(maps.Keys(teams)) {
		r, err := c.cfg.Admin.Org.Roster(ctx, team, now, nil, rosterSize)
		if err != nil {
			return nil, err
		}
		for _, m := range r.Members {
			for _, cert := range m.Certificates {
				if seen[cert.Number] {
					continue
				}
				seen[cert.Number] = true
				it := certItem{Certificate: cert, Holder: m.Officer, Team: team, State: stateOf(cert, now)}
				it.Since = statusInForce(cert, now)
				out = append(out, it)
			}
		}
	}
	slices.SortFunc(out, func(a, b certItem) int { return cmp.Compare(a.Certificate.Number, b.Certificate.Number) })
	return out, nil
}

// statusInForce is the status change of c in force at now, nil when none.
func statusInForce(c org.Certificate, now time.Time) *authority.CertificateStatus {
	var in *authority.CertificateStatus
	for i, st := range c.Status {
		if !st.Since.After(now) && (in == nil || !st.Since.Before(in.Since)) {
			in = &c.Status[i]
		}
	}
	return in
}

// maxReason is the longest reason of a status change, as the contract's
// CertificateStatusChange takes it.
const maxReason = 500

// certPage is how many certificates a page of the list shows.
const certPage = 25

// certificatesView is a page of the list.
type certificatesView struct {
	Items    []certItem
	States   []certState
	State    certState // the filter, "" for all
	Page     int       // 1-based
	Pages    int
	Total    int
	Prev     string // the links of the pages around, "" at the ends
	Next     string
	Number   string // the certificate of the last change
	Error    string // a key of messages: why it was refused
	Statuses []string
}

// certificatesPage lists the certificates, filtered by state, a page at a time.
func (c *Console) certificatesPage(ctx *fiber.Ctx, s *session) error {
	return c.showCertificates(ctx, s, http.StatusOK, ctx.Query("number"), "")
}

func (c *Console) showCertificates(ctx *fiber.Ctx, s *session, status int, number, errKey string) error {
	all, err := c.certificates(ctx.UserContext(), c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := certificatesView{States: certStates, State: certState(ctx.Query("state")), Number: number, Error: errKey,
		Statuses: []string{authority.CertificateSuspended, authority.CertificateRevoked, authority.CertificateActive}}
	if !slices.Contains(certStates, v.State) {
		v.State = ""
	}
	var list []certItem
	for _, it := range all {
		if v.State == "" || it.State == v.State {
			list = append(list, it)
		}
	}
	v.Total, v.Pages = len(list), max(1, (len(list)+certPage-1)/certPage)
	v.Page = min(max(1, ctx.QueryInt("page", 1)), v.Pages)
	v.Items = list[min(len(list), (v.Page-1)*certPage):min(len(list), v.Page*certPage)]
	if v.Page > 1 {
		v.Prev = certificatesLink(v.State, v.Page-1)
	}
	if v.Page < v.Pages {
		v.Next = certificatesLink(v.State, v.Page+1)
	}
	return c.render(ctx, status, "admin-certificates", s, v)
}

// certificatesLink is the list's URL of a state and page.
func certificatesLink(state certState, page int) string {
	q := url.Values{"page": {strconv.Itoa(page)}}
	if state != "" {
		q.Set("state", string(state))
	}
	return Prefix + "/admin/certificates?" + q.Encode()
}

// setCertificateStatus suspends, revokes or reinstates a certificate from
// now on through the store's SetCertificateStatus, the command of POST
// /v1/admin/certificates/{number}/status (trail entry
// "certificate.status.<status>"), and shows the list again.
func (c *Console) setCertificateStatus(ctx *fiber.Ctx, s *session) error {
	number, err := url.PathUnescape(ctx.Params("number"))
	if err != nil {
		return c.fail(ctx, s, derrors.New(derrors.NotFound, "no certificate %q", ctx.Params("number")))
	}
	reason := strings.TrimSpace(ctx.FormValue("reason"))
	if reason == "" || utf8.RuneCountInString(reason) > maxReason {
		return c.showCertificates(ctx, s, http.StatusUnprocessableEntity, number, "admin.cert-reason")
	}
	_, err = c.cfg.Admin.Org.SetCertificateStatus(ctx.UserContext(), number, ctx.FormValue("status"), c.cfg.Now().UTC(), reason)
	switch derrors.CodeOf(err) {
	case "":
		back := Prefix + "/admin/certificates?number=" + url.QueryEscape(number)
		if st := ctx.FormValue("state"); st != "" {
			back += "&state=" + url.QueryEscape(st)
		}
		return ctx.Redirect(back, http.StatusSeeOther)
	case derrors.Invalid:
		return c.showCertificates(ctx, s, http.StatusUnprocessableEntity, number, "admin.cert-invalid")
	default:
		return c.fail(ctx, s, err)
	}
}
