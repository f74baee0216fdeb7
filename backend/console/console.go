// Package console is Whistle's web console: server-rendered pages for desk
// users (team leaders first), served by the API's Fiber app under /console.
//
// It has no second path to the data: every page reads through the same
// domain services and access rules as backend/api (a page shows only what
// the API would show that user, masked as the API masks), and every form
// calls the same command as the API's route, leaving the same trail entry.
// The pages are outside the OpenAPI contract (HTML, not JSON); they are
// mounted before the contract's validator and never reach it.
//
// A console session is an identity session of a browser (identity.Service
// Login without a device): the cookie holds its access token, so that
// logging out, revoking the session or disabling the account ends it at
// once, as it ends the API's tokens.
package console

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"errors"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/backend/whistle"
)

// Prefix is where the console is mounted.
const Prefix = "/console"

// The cookies of the console.
const (
	sessionCookie = "whistle_console"       // the session's access token
	csrfCookie    = "whistle_console_csrf"  // the session's CSRF secret, set at login
	loginCookie   = "whistle_console_login" // the CSRF token of the login form, before any session
	langCookie    = "lang"                  // "en" for English; anything else is zh-CN
)

// csp is the Content-Security-Policy of every console answer: nothing from
// elsewhere, no inline script or style.
const csp = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Scopes tells what a user may see, as the API's access rules read it.
type Scopes interface {
	Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error)
}

// Deadlines lists the statutory deadlines, as the API's deadline routes
// read them.
type Deadlines interface {
	List(ctx context.Context, f postgres.DeadlineFilter) ([]postgres.Stored, error)
}

// Config is what the console needs: the API's own services.
type Config struct {
	Logger      *slog.Logger
	Identity    *identity.Service
	Org         Scopes
	Inspections *inspection.Service
	Deadlines   Deadlines         // nil: the inbox leaves deadlines out
	Whistles    *whistle.Service  // nil: the inbox leaves whistles out
	Cases       *casework.Service // nil: no case pages, nor reviewer pages
	Archives    *archive.Service  // nil: no archive pages
	// Grants and CaseEvidence serve the department reviewer's pages (with
	// Cases); any of them nil: those pages show nothing.
	Grants       Grants
	CaseEvidence CaseEvidence
	Evidence     EvidenceViews    // nil: no thumbnail, original or custody log
	Reviews      *review.Service  // nil: no review form
	Now          func() time.Time // the clock (required)

	// Grid operator pages (grid.go)
	Grid GridConfig

	// Assessment pages (assessment.go)
	Assessment AssessmentConfig

	// Administrator pages (admin.go)
	Admin AdminConfig

	// Team pages (team.go)
	Team TeamConfig
}

// pageNames are the templates of every page, each parsed with the layout.
func pageNames() []string {
	var names []string
	for _, group := range [][]string{
		{"login", "inbox", "inspection", "error", "review", "review-case"},
		casePages,
		gridPages,
		assessmentPages,
		adminPages,
		teamPages,
	} {
		names = append(names, group...)
	}
	return names
}

// Console serves the pages.
type Console struct {
	cfg   Config
	pages map[string]*template.Template
	// menu is the bar's links of each role, added by the page groups as
	// they mount; landing is where a role lands after signing in (the
	// inbox when none is set).
	menu    map[org.Role][]menuItem
	landing map[org.Role]string
}

// menuItem is a link of the bar.
type menuItem struct {
	Href string
	Key  string // a key of messages
}

// addMenu puts a link in the bar of the roles.
func (c *Console) addMenu(href, key string, roles ...org.Role) {
	for _, r := range roles {
		c.menu[r] = append(c.menu[r], menuItem{Href: href, Key: key})
	}
}

// New parses the pages.
func New(cfg Config) (*Console, error) {
	if cfg.Now == nil || cfg.Identity == nil || cfg.Org == nil || cfg.Inspections == nil {
		return nil, errors.New("console: Config needs Identity, Org, Inspections and Now")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	c := &Console{cfg: cfg, pages: map[string]*template.Template{}, menu: map[org.Role][]menuItem{}, landing: map[org.Role]string{}}
	zone := clock.Beijing
	funcs := template.FuncMap{"json": prettyJSON, "dict": dict,
		// Instants are shown in the calendar's zone (Beijing time), as the officers lived them.
		"at":          func(t time.Time) string { return t.In(zone).Format("2006-01-02 15:04") },
		"consoleLink": consoleLink,
		"deref":       func(f *float64) float64 { return *f }}
	for _, name := range pageNames() {
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, err
		}
		c.pages[name] = t
	}
	return c, nil
}

// Mount registers the console's routes on app. Call it before any
// middleware the console must not pass through (the contract's validator).
func (c *Console) Mount(app fiber.Router) {
	static, _ := fs.Sub(staticFS, "static")
	g := app.Group(Prefix, c.headers)
	g.Get("/static/:name", func(ctx *fiber.Ctx) error {
		name := ctx.Params("name")
		b, err := fs.ReadFile(static, name)
		if err != nil || strings.Contains(name, "/") {
			return c.render(ctx, http.StatusNotFound, "error", nil, errorView{Status: http.StatusNotFound})
		}
		ctx.Set(fiber.HeaderCacheControl, "private, max-age=300")
		ctx.Type(path.Ext(name), "utf-8")
		return ctx.Send(b)
	})
	g.Get("/login", c.loginPage)
	g.Post("/login", c.login)
	g.Post("/logout", c.signedIn(c.logout))
	g.Get("/", c.signedIn(c.inbox))
	g.Get("/inspections/:id", c.signedIn(c.inspectionPage))
	g.Post("/inspections/:id/review", c.signedIn(c.review))
	// Team leader case pages
	if c.cfg.Cases != nil && c.cfg.Archives != nil {
		g.Get("/cases/:id", c.signedIn(c.casePage))
		g.Post("/cases/:id/reassignment", c.signedIn(c.reassign))
		g.Get("/cases/:id/archive", c.signedIn(c.archivePage))
		g.Post("/cases/:id/archive", c.signedIn(c.closeArchive))
	}
	// Department reviewer pages
	g.Get("/review", c.signedIn(c.reviewList))
	g.Get("/review/cases/:id", c.signedIn(c.reviewCase))
	g.Post("/review/cases/:id/reviews", c.signedIn(c.reviewEvidence))
	g.Get("/evidence/:id/thumbnail", c.signedIn(c.evidenceThumbnail))
	g.Get("/evidence/:id/content", c.signedIn(c.evidenceContent))
	// Grid operator pages (grid.go)
	c.mountGrid(g)

	// Assessment pages (assessment.go)
	c.mountAssessment(g)

	// Administrator pages (admin.go)
	c.mountAdmin(g)

	// Team pages: devices, work orders, whistles (team.go)
	c.mountTeam(g)

	g.All("/*", func(ctx *fiber.Ctx) error {
		return c.render(ctx, http.StatusNotFound, "error", nil, errorView{Status: http.StatusNotFound})
	})
}

// headers sets the security headers of every console answer and picks its
// language.
func (c *Console) headers(ctx *fiber.Ctx) error {
	ctx.Set("Content-Security-Policy", csp)
	ctx.Set(fiber.HeaderXFrameOptions, "DENY")
	ctx.Set(fiber.HeaderReferrerPolicy, "same-origin")
	ctx.Set(fiber.HeaderCacheControl, "no-store")
	if l := ctx.Query("lang"); l == "en" || l == "zh" {
		ctx.Cookie(&fiber.Cookie{Name: langCookie, Value: l, Path: Prefix, HTTPOnly: true, Secure: ctx.Protocol() == "https",
			SameSite: fiber.CookieSameSiteStrictMode, MaxAge: 365 * 24 * 3600})
		ctx.Locals(langCookie, l)
	}
	return ctx.Next()
}

// lang is the language of the answer: "en" or "zh".
func lang(ctx *fiber.Ctx) string {
	if l, ok := ctx.Locals(langCookie).(string); ok {
		return l
	}
	if ctx.Cookies(langCookie) == "en" {
		return "en"
	}
	return "zh"
}

// session is the signed-in user of a request.
type session struct {
	user   identity.User
	claims identity.Claims
	token  string
	csrf   string
}

// csrfOf is the CSRF token of a session: derived from the session's id and
// a random secret kept in an HttpOnly cookie set at login, so that another
// site can neither read nor forge it, every instance computes the same, and
// it outlives the renewals of the session's access token.
func csrfOf(secret, sessionID string) string {
	if secret == "" || sessionID == "" {
		return ""
	}
	sum := sha256.Sum256([]byte("whistle console csrf\x00" + secret + "\x00" + sessionID))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

// randomToken is 24 random bytes, base64url.
func randomToken() (string, error) {
	b := make([]byte, 24)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// sameToken compares two tokens in constant time; an empty one never matches.
func sameToken(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// signedIn runs h for a live session: a request without one goes to the
// login page, a POST without the session's CSRF token is refused (403).
func (c *Console) signedIn(h func(*fiber.Ctx, *session) error) fiber.Handler {
	return func(ctx *fiber.Ctx) error {
		token := ctx.Cookies(sessionCookie)
		if token == "" {
			return ctx.Redirect(Prefix+"/login", http.StatusSeeOther)
		}
		u, cl, err := c.cfg.Identity.AuthenticateClaims(ctx.UserContext(), token)
		if derrors.CodeOf(err) == derrors.Unauthenticated {
			c.clearSession(ctx)
			return ctx.Redirect(Prefix+"/login", http.StatusSeeOther)
		}
		if err != nil {
			return c.fail(ctx, nil, err)
		}
		s := &session{user: u, claims: cl, token: token, csrf: csrfOf(ctx.Cookies(csrfCookie), cl.SessionID)}
		if s.csrf == "" { // a session cookie without its CSRF secret: sign in again
			c.clearSession(ctx)
			return ctx.Redirect(Prefix+"/login", http.StatusSeeOther)
		}
		if ctx.Method() == fiber.MethodPost && !sameToken(ctx.FormValue("csrf"), s.csrf) {
			return c.render(ctx, http.StatusForbidden, "error", s, errorView{Status: http.StatusForbidden, Key: "csrf"})
		}
		if s.token, err = c.renew(ctx, u, cl, token); err != nil {
			return c.fail(ctx, nil, err)
		}
		// As the API's validator does: trail entries name the caller.
		rc := audit.ActorFrom(ctx.UserContext())
		ctx.SetUserContext(audit.WithActor(ctx.UserContext(), audit.Actor{UserID: u.ID, DeviceID: cl.DeviceID, RequestID: rc.RequestID}))
		return h(ctx, s)
	}
}

// renew replaces a session's token past half its lifetime with a fresh one
// of the same session (identity.Service.Renew), so that a desk user at work
// stays signed in. It returns the token the request goes on with.
func (c *Console) renew(ctx *fiber.Ctx, u identity.User, cl identity.Claims, token string) (string, error) {
	left := cl.ExpiresAt.Sub(c.cfg.Now())
	if left > c.cfg.Identity.TokenTTL()/2 {
		return token, nil
	}
	sess, err := c.cfg.Identity.Renew(u, cl)
	if err != nil {
		return "", err
	}
	c.setSession(ctx, sess)
	return sess.AccessToken, nil
}

// setSession puts a session's access token in the console's cookie.
func (c *Console) setSession(ctx *fiber.Ctx, sess identity.Session) {
	ctx.Cookie(&fiber.Cookie{Name: sessionCookie, Value: sess.AccessToken, Path: Prefix, HTTPOnly: true, Secure: ctx.Protocol() == "https",
		SameSite: fiber.CookieSameSiteStrictMode, Expires: sess.ExpiresAt})
}

// clearSession removes the session's cookies.
func (c *Console) clearSession(ctx *fiber.Ctx) {
	for _, name := range []string{sessionCookie, csrfCookie} {
		ctx.Cookie(&fiber.Cookie{Name: name, Value: "", Path: Prefix, HTTPOnly: true, Secure: ctx.Protocol() == "https",
			SameSite: fiber.CookieSameSiteStrictMode, MaxAge: -1, Expires: time.Unix(0, 0)})
	}
}

// loginView is what the login page shows.
type loginView struct {
	Username string
	Error    string // a key of messages
}

func (c *Console) loginPage(ctx *fiber.Ctx) error {
	return c.renderLogin(ctx, http.StatusOK, loginView{})
}

// renderLogin shows the login form with a fresh CSRF token, kept in a
// cookie of its own until a session exists (double submit).
func (c *Console) renderLogin(ctx *fiber.Ctx, status int, v loginView) error {
	tok, err := randomToken()
	if err != nil {
		return err
	}
	ctx.Cookie(&fiber.Cookie{Name: loginCookie, Value: tok, Path: Prefix + "/login", HTTPOnly: true, Secure: ctx.Protocol() == "https",
		SameSite: fiber.CookieSameSiteStrictMode})
	return c.render(ctx, status, "login", &session{csrf: tok}, v)
}

// login checks the credentials through identity.Service.Login, as POST
// /v1/auth/login does (same throttling), and opens a browser session.
func (c *Console) login(ctx *fiber.Ctx) error {
	if !sameToken(ctx.FormValue("csrf"), ctx.Cookies(loginCookie)) {
		return c.render(ctx, http.StatusForbidden, "error", nil, errorView{Status: http.StatusForbidden, Key: "csrf"})
	}
	username := ctx.FormValue("username")
	sess, err := c.cfg.Identity.Login(ctx.UserContext(), username, ctx.FormValue("password"), ctx.IP(), "")
	switch derrors.CodeOf(err) {
	case "":
	case derrors.Unauthenticated, derrors.Forbidden:
		return c.renderLogin(ctx, http.StatusUnauthorized, loginView{Username: username, Error: "login.bad"})
	case derrors.TooManyRequests:
		return c.renderLogin(ctx, http.StatusTooManyRequests, loginView{Username: username, Error: "login.throttled"})
	default:
		return c.fail(ctx, nil, err)
	}
	secret, err := randomToken()
	if err != nil {
		return err
	}
	c.setSession(ctx, sess)
	ctx.Cookie(&fiber.Cookie{Name: csrfCookie, Value: secret, Path: Prefix, HTTPOnly: true, Secure: ctx.Protocol() == "https",
		SameSite: fiber.CookieSameSiteStrictMode})
	ctx.Cookie(&fiber.Cookie{Name: loginCookie, Value: "", Path: Prefix + "/login", MaxAge: -1, Expires: time.Unix(0, 0)})
	return ctx.Redirect(Prefix+"/", http.StatusSeeOther)
}

// logout ends the identity session (identity.Service.Logout, as POST
// /v1/auth/logout) and clears the cookie.
func (c *Console) logout(ctx *fiber.Ctx, s *session) error {
	if err := c.cfg.Identity.Logout(ctx.UserContext(), s.claims); err != nil && derrors.CodeOf(err) != derrors.Unauthenticated {
		return c.fail(ctx, s, err)
	}
	c.clearSession(ctx)
	return ctx.Redirect(Prefix+"/login", http.StatusSeeOther)
}

// errorView is what the error page shows.
type errorView struct {
	Status int
	Key    string // a key of messages saying more, or ""
}

// fail renders err as the error page: not found as 404 (another street's
// record is not found, as in the API), forbidden as 403, the rest logged
// and shown as 500.
func (c *Console) fail(ctx *fiber.Ctx, s *session, err error) error {
	status := http.StatusInternalServerError
	switch derrors.CodeOf(err) {
	case derrors.NotFound:
		status = http.StatusNotFound
	case derrors.Forbidden:
		status = http.StatusForbidden
	case derrors.Unavailable, derrors.Timeout, derrors.Contention:
		status = http.StatusServiceUnavailable
	default:
		c.cfg.Logger.ErrorContext(ctx.UserContext(), "console", "path", ctx.Path(), "error", err.Error())
	}
	return c.render(ctx, status, "error", s, errorView{Status: status})
}

// view is what every page's template gets.
type view struct {
	Lang    string
	T       func(key string) string
	User    *identity.User
	CSRF    string
	Path    string // the page's path
	Toggle  string // the page in the other language: its path and query, lang switched
	Page    any
	Current string     // the page's name
	Menu    []menuItem // the bar's links of the user's role
}

func (c *Console) render(ctx *fiber.Ctx, status int, name string, s *session, page any) error {
	l := lang(ctx)
	v := view{Lang: l, T: translator(l), Path: ctx.Path(), Toggle: toggleHref(ctx, l), Page: page, Current: name}
	if s != nil {
		v.CSRF = s.csrf
		if s.user.ID != "" {
			v.User = &s.user
			v.Menu = c.menu[s.user.Role]
		}
	}
	var b strings.Builder
	if err := c.pages[name].Execute(&b, v); err != nil {
		c.cfg.Logger.ErrorContext(ctx.UserContext(), "console template", "page", name, "error", err.Error())
		return ctx.Status(http.StatusInternalServerError).SendString("internal error")
	}
	ctx.Type("html", "utf-8")
	return ctx.Status(status).SendString(b.String())
}

// toggleHref is the request's path and query with lang set to the other
// language, so that the toggle keeps a page's period, filter or page.
func toggleHref(ctx *fiber.Ctx, l string) string {
	q := url.Values{}
	ctx.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	q.Set("lang", map[string]string{"en": "zh", "zh": "en"}[l])
	return ctx.Path() + "?" + q.Encode()
}

// dict makes a map of key, value pairs, for a template called with more
// than one value.
func dict(kv ...any) (map[string]any, error) {
	if len(kv)%2 != 0 {
		return nil, errors.New("dict: odd number of arguments")
	}
	m := make(map[string]any, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		k, ok := kv[i].(string)
		if !ok {
			return nil, errors.New("dict: a key is not a string")
		}
		m[k] = kv[i+1]
	}
	return m, nil
}

// formInt reads a whole number of a form, -1 when it is not one.
func formInt(ctx *fiber.Ctx, key string) int {
	n, err := strconv.Atoi(ctx.FormValue(key))
	if err != nil {
		return -1
	}
	return n
}
