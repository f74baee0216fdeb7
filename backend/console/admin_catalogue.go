package console

import (
	"cmp"
	"maps"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// measures are the measures a matter may allow, in the form's order.
var measures = []authority.Measure{authority.MeasureEvidence, authority.MeasureSummons, authority.MeasureWarning,
	authority.MeasureFineSimple, authority.MeasureSeizure, authority.MeasureRefer}

// whistleTypes are a matter's default whistles, in the form's order.
var whistleTypes = []org.WhistleType{org.WhistleEmergency, org.WhistleKey, org.WhistleRegular}

// matterCode is the contract's pattern of a matter code (MatterInput.code).
var matterCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{0,31}$`)

// mattersView is the catalogue in force now, with the form of a new version.
type mattersView struct {
	Matters     []org.MatterInForce
	More        bool // the catalogue holds more than shown
	Departments []org.Department
	Measures    []authority.Measure
	Whistles    []org.WhistleType
	Department  string // the filter, "" for all
	Added       string // "code@version" of the version just added
	Error       string // a key of messages: why the last version was refused
	Detail      string // the refusal's own words
}

// mattersPage lists the matters in force now (as GET /v1/matters), by code,
// optionally of one department.
func (c *Console) mattersPage(ctx *fiber.Ctx, s *session) error {
	return c.showMatters(ctx, s, http.StatusOK, mattersView{Added: ctx.Query("added")})
}

func (c *Console) showMatters(ctx *fiber.Ctx, s *session, status int, v mattersView) error {
	uc := ctx.UserContext()
	v.Department, v.Measures, v.Whistles = ctx.Query("department"), measures, whistleTypes
	ms, err := c.cfg.Admin.Org.MattersAt(uc, c.cfg.Now(), v.Department, "", catalogueSize+1)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v.Matters, v.More = ms[:min(len(ms), catalogueSize)], len(ms) > catalogueSize
	if v.Departments, err = c.cfg.Admin.Org.Departments(uc); err != nil {
		return c.fail(ctx, s, err)
	}
	return c.render(ctx, status, "admin-matters", s, v)
}

// addMatterVersion adds a matter or its next version, in force from the
// start (Beijing midnight) of the form's day, through the store's
// AddMatterVersion, the command of POST /v1/admin/matters (trail entry
// "matter.version").
func (c *Console) addMatterVersion(ctx *fiber.Ctx, s *session) error {
	refuse := func(key, detail string) error {
		return c.showMatters(ctx, s, http.StatusUnprocessableEntity, mattersView{Error: key, Detail: detail})
	}
	day, err := time.ParseInLocation(time.DateOnly, ctx.FormValue("valid_from"), clock.Beijing)
	if err != nil {
		return refuse("admin.matter-day", "")
	}
	m := org.Matter{Code: strings.TrimSpace(ctx.FormValue("code")), NameZH: strings.TrimSpace(ctx.FormValue("name_zh")),
		NameEN: strings.TrimSpace(ctx.FormValue("name_en")), LegalBasis: strings.TrimSpace(ctx.FormValue("legal_basis")),
		DepartmentCode: ctx.FormValue("department_code"), DefaultWhistle: org.WhistleType(ctx.FormValue("default_whistle")),
		FineMaxPerson: formCount(ctx, "fine_max_person"), FineMaxOrg: formCount(ctx, "fine_max_org"), ValidFrom: day.UTC()}
	if !matterCode.MatchString(m.Code) {
		return refuse("admin.matter-code", "")
	}
	for _, x := range measures {
		if ctx.FormValue("measure_"+string(x)) != "" {
			m.Measures = append(m.Measures, x)
		}
	}
	got, err := c.cfg.Admin.Org.AddMatterVersion(ctx.UserContext(), m)
	if derrors.CodeOf(err) == derrors.Invalid {
		return refuse("admin.matter-invalid", err.Error())
	}
	if err != nil {
		return c.fail(ctx, s, err)
	}
	return ctx.Redirect(Prefix+"/admin/matters?added="+url.QueryEscape(got.Code+"@"+strconv.Itoa(got.Version)), http.StatusSeeOther)
}

// formCount reads a count of a form: 0 when empty, -1 when not a count (the
// check then refuses it).
func formCount(ctx *fiber.Ctx, key string) int {
	if strings.TrimSpace(ctx.FormValue(key)) == "" {
		return 0
	}
	return formInt(ctx, key)
}

// policiesView is the departments' procedure policies in force now.
type policiesView struct {
	Policies    []org.Policy // by department code
	Departments []org.Department
	Edit        org.Policy // what the form starts from: the policy in force of ?department=
	Changed     string     // the department of the policy just set
	Error       string     // a key of messages: why the last change was refused
	Detail      string
}

// policiesPage lists the policies in force now, as GET /v1/policies.
func (c *Console) policiesPage(ctx *fiber.Ctx, s *session) error {
	return c.showPolicies(ctx, s, http.StatusOK, policiesView{Changed: ctx.Query("changed")})
}

func (c *Console) showPolicies(ctx *fiber.Ctx, s *session, status int, v policiesView) error {
	uc := ctx.UserContext()
	ps, err := c.cfg.Admin.Org.PoliciesAt(uc, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v.Policies = slices.SortedFunc(maps.Values(ps), func(a, b org.Policy) int { return cmp.Compare(a.DepartmentCode, b.DepartmentCode) })
	if d := ctx.Query("department"); d != "" && v.Edit.DepartmentCode == "" {
		v.Edit = ps[d]
		v.Edit.DepartmentCode = d
	}
	if v.Departments, err = c.cfg.Admin.Org.Departments(uc); err != nil {
		return c.fail(ctx, s, err)
	}
	return c.render(ctx, status, "admin-policies", s, v)
}

// setPolicy sets a department's policy from now on as POST
// /v1/admin/policies does: org.Import of the one policy (trail entry
// "org.import"). A change never takes effect in the past; the page's takes
// effect now.
func (c *Console) setPolicy(ctx *fiber.Ctx, s *session) error {
	dept := ctx.FormValue("department_code")
	p := org.Policy{DepartmentCode: dept, ValidFrom: c.cfg.Now().UTC(), Policy: authority.Policy{Department: dept,
		SingleOfficerSimpleProcedure:     ctx.FormValue("single_officer_simple_procedure") != "",
		SecondInspectorFromOtherResident: ctx.FormValue("second_inspector_from_other_resident") != "",
		SecondInspectorLegalBasis:        strings.TrimSpace(ctx.FormValue("second_inspector_legal_basis")),
		MixedCrewSeizureReview:           ctx.FormValue("mixed_crew_seizure_review") != ""}}
	rep, err := org.Import(ctx.UserContext(), c.cfg.Admin.Org, c.cfg.Admin.Passwords, org.Dataset{Policies: []org.Policy{p}})
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if err := rep.Err(); err != nil {
		return c.showPolicies(ctx, s, http.StatusUnprocessableEntity, policiesView{Edit: p, Error: "admin.policy-invalid", Detail: rep.Rejected[0].Reason})
	}
	return ctx.Redirect(Prefix+"/admin/policies?changed="+url.QueryEscape(dept), http.StatusSeeOther)
}
