package console

import (
	"context"
	"net/http"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// adminPages are the templates of the administrator's pages: imports, certificates, matters, policies.
var adminPages = []string{"admin", "admin-imports", "admin-certificates", "admin-matters", "admin-policies"}

// AdminStore is what the administrator's pages need of the organization's
// storage: the commands behind POST /v1/admin/imports, /certificates/{number}/status,
// /matters and /policies, and the reads of GET /v1/departments, /v1/matters,
// /v1/policies and /v1/teams/{code}/roster. The API's OrgStore is one.
type AdminStore interface {
	org.Store
	Departments(ctx context.Context) ([]org.Department, error)
	MattersAt(ctx context.Context, at time.Time, department, after string, limit int) ([]org.MatterInForce, error)
	PoliciesAt(ctx context.Context, at time.Time) (map[string]org.Policy, error)
	TeamStreets(ctx context.Context) (map[string]string, error)
	Roster(ctx context.Context, team string, at time.Time, after *org.RosterKey, limit int) (org.Roster, error)
	SetCertificateStatus(ctx context.Context, number, status string, since time.Time, reason string) (org.Certificate, error)
	AddMatterVersion(ctx context.Context, m org.Matter) (org.MatterInForce, error)
}

// AdminConfig is what those pages need.
type AdminConfig struct {
	Org       AdminStore  // nil: no administrator's pages
	Passwords org.Hasher  // hashes the passwords of imported logins, as the API's import does
	Trail     audit.Store // the trail, for the list of past imports (nil: no list)
}

// mountAdmin registers those pages.
func (c *Console) mountAdmin(g fiber.Router) {
	if c.cfg.Admin.Org == nil {
		return
	}
	g.Get("/admin", c.signedIn(c.adminOnly(c.adminLanding)))
	g.Get("/admin/imports", c.signedIn(c.adminOnly(c.importsPage)))
	g.Post("/admin/imports", c.signedIn(c.adminOnly(c.importCSV)))
	g.Get("/admin/certificates", c.signedIn(c.adminOnly(c.certificatesPage)))
	g.Post("/admin/certificates/:number/status", c.signedIn(c.adminOnly(c.setCertificateStatus)))
	g.Get("/admin/matters", c.signedIn(c.adminOnly(c.mattersPage)))
	g.Post("/admin/matters", c.signedIn(c.adminOnly(c.addMatterVersion)))
	g.Get("/admin/policies", c.signedIn(c.adminOnly(c.policiesPage)))
	g.Post("/admin/policies", c.signedIn(c.adminOnly(c.setPolicy)))
	c.addMenu(Prefix+"/admin", "admin.menu", org.RoleAdmin)
	c.addMenu(Prefix+"/admin/imports", "admin.imports", org.RoleAdmin)
	c.addMenu(Prefix+"/admin/certificates", "admin.certificates", org.RoleAdmin)
	c.addMenu(Prefix+"/admin/matters", "admin.matters", org.RoleAdmin)
	c.addMenu(Prefix+"/admin/policies", "admin.policies", org.RoleAdmin)
	c.landing[org.RoleAdmin] = Prefix + "/admin"
}

// adminOnly runs h for an administrator (access.Admin, the rule of every
// /v1/admin route); anyone else gets the 404 page, so that the pages are not
// even probed.
func (c *Console) adminOnly(h func(*fiber.Ctx, *session) error) func(*fiber.Ctx, *session) error {
	return func(ctx *fiber.Ctx, s *session) error {
		sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
		if err != nil {
			return c.fail(ctx, s, err)
		}
		if !access.Admin(sc) {
			return c.fail(ctx, s, derrors.New(derrors.NotFound, "no page %s", ctx.Path()))
		}
		return h(ctx, s)
	}
}

// expiringWithin is how soon a certificate's end makes it "expiring".
const expiringWithin = 30 * 24 * time.Hour

// adminLandingView is the administrator's landing page: what needs attention.
type adminLandingView struct {
	Counts   map[string]int // certificates by state now (keys: the certStates)
	Matters  int            // matters in force
	More     bool           // the catalogue holds more than counted
	Policies int            // departments with a policy in force
	Imports  int            // imports on the trail in the last 30 days; -1 without a trail
}

// adminLanding shows the counts of the administrator's pages.
func (c *Console) adminLanding(ctx *fiber.Ctx, s *session) error {
	uc, now := ctx.UserContext(), c.cfg.Now()
	certs, err := c.certificates(uc, now)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := adminLandingView{Counts: map[string]int{}, Imports: -1}
	for _, x := range certs {
		v.Counts[string(x.State)]++
	}
	ms, err := c.cfg.Admin.Org.MattersAt(uc, now, "", "", catalogueSize+1)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v.Matters, v.More = min(len(ms), catalogueSize), len(ms) > catalogueSize
	ps, err := c.cfg.Admin.Org.PoliciesAt(uc, now)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v.Policies = len(ps)
	if c.cfg.Admin.Trail != nil {
		imports, err := c.pastImports(uc, now)
		if err != nil {
			return c.fail(ctx, s, err)
		}
		v.Imports = len(imports)
	}
	return c.render(ctx, http.StatusOK, "admin", s, v)
}
