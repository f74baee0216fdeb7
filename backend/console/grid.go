package console

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/whistle"
)

// gridPages are the templates of the grid operator's pages: work-order intake with the duplicate suggestion, dispatch, the whistle board.
var gridPages = []string{"intake", "intake-case", "whistle-board"}

// Reference reads the district's reference data as GET /v1/matters and GET
// /v1/departments read it.
type Reference interface {
	MattersAt(ctx context.Context, at time.Time, department, after string, limit int) ([]org.MatterInForce, error)
	Departments(ctx context.Context) ([]org.Department, error)
}

// GridConfig is what those pages need.
type GridConfig struct {
	// Reference gives the intake form its matters and the whistle form its
	// departments; nil: no intake pages (the board names departments by code).
	Reference Reference
}

// catalogueSize bounds the matters a page reads (the intake form's select,
// the administrator's matters page): a district's catalogue holds some
// hundreds.
const catalogueSize = 2000

// formMinute is how a datetime-local field writes an instant, in Beijing time.
const formMinute = "2006-01-02T15:04"

// mountGrid registers those pages: the board (a grid operator's landing
// page) with the whistles service, the intake pages with cases and the
// reference data.
func (c *Console) mountGrid(g fiber.Router) {
	if c.cfg.Cases != nil && c.cfg.Grid.Reference != nil {
		g.Get("/intake", c.signedIn(c.intakePage))
		g.Post("/intake", c.signedIn(c.takeIn))
		g.Get("/intake/:id", c.signedIn(c.dispatchPage))
		if c.cfg.Whistles != nil {
			g.Post("/intake/:id/whistle", c.signedIn(c.raiseForCase))
		}
		c.addMenu(Prefix+"/intake", "grid.menu.intake", org.RoleGridOperator)
	}
	if c.cfg.Whistles != nil {
		g.Get("/whistles", c.signedIn(c.whistleBoard))
		c.addMenu(Prefix+"/whistles", "grid.menu.board", org.RoleGridOperator)
		c.landing[org.RoleGridOperator] = Prefix + "/whistles"
	}
}

// intakeForm is the intake form as typed, shown again with its values after
// an error or with the duplicate suggestion.
type intakeForm struct {
	ID, Kind, Channel, Number, Nature, Matter, Address, Lat, Lng,
	Description, ReceivedAt, TimeLimit, ContactName, ContactPhone string
}

// formField is a field of a form by name, for the hidden copies of the
// suggestion's forms.
type formField struct{ Name, Value string }

// fields are the form's fields by their names in the page.
func (f *intakeForm) fields() []struct {
	name string
	v    *string
} {
	return []struct {
		name string
		v    *string
	}{{"id", &f.ID}, {"kind", &f.Kind}, {"channel", &f.Channel}, {"work_order_number", &f.Number}, {"nature", &f.Nature},
		{"matter_code", &f.Matter}, {"address", &f.Address}, {"lat", &f.Lat}, {"lng", &f.Lng}, {"description", &f.Description},
		{"received_at", &f.ReceivedAt}, {"time_limit", &f.TimeLimit}, {"contact_name", &f.ContactName}, {"contact_phone", &f.ContactPhone}}
}

// Hidden are the form's values as the hidden fields of a re-post.
func (f intakeForm) Hidden() []formField {
	var out []formField
	for _, x := range f.fields() {
		out = append(out, formField{Name: x.name, Value: *x.v})
	}
	return out
}

func readIntakeForm(ctx *fiber.Ctx) intakeForm {
	var f intakeForm
	for _, x := range f.fields() {
		*x.v = strings.TrimSpace(ctx.FormValue(x.name))
	}
	return f
}

// intake is the form as casework.Service.Intake takes it, checked as the
// contract checks POST /v1/cases (the page is outside its validator): the
// place and the description are the case's and its source's alike.
// Errors: derrors.Invalid naming the body's field.
func (f intakeForm) intake() (casework.Intake, error) {
	if _, err := uuid.Parse(f.ID); err != nil {
		return casework.Intake{}, derrors.Invalidf("/id", "the case's id is a uuid")
	}
	if f.Matter == "" || len(f.Matter) > 32 {
		return casework.Intake{}, derrors.Invalidf("/matter_code", "a case names its matter")
	}
	if f.Address == "" || len([]rune(f.Address)) > 500 {
		return casework.Intake{}, derrors.Invalidf("/location/address", "a case says where the problem is")
	}
	for field, long := range map[string]bool{"/description": len([]rune(f.Description)) > 4000,
		"/source/channel": len([]rune(f.Channel)) > 64, "/source/work_order_number": len([]rune(f.Number)) > 64} {
		if long {
			return casework.Intake{}, derrors.Invalidf(field, "too long")
		}
	}
	loc := casework.Location{Address: f.Address}
	var err error
	if loc.Lat, err = coordinate(f.Lat, 90, "/location/lat"); err != nil {
		return casework.Intake{}, err
	}
	if loc.Lng, err = coordinate(f.Lng, 180, "/location/lng"); err != nil {
		return casework.Intake{}, err
	}
	received, err := formTime(f.ReceivedAt, "/source/received_at")
	if err != nil {
		return casework.Intake{}, err
	}
	if received == nil {
		return casework.Intake{}, derrors.Invalidf("/source/received_at", "the source says when it was received")
	}
	limit, err := formTime(f.TimeLimit, "/source/time_limit")
	if err != nil {
		return casework.Intake{}, err
	}
	in := casework.Intake{ID: f.ID, MatterCode: f.Matter, Location: loc, Description: f.Description,
		Source: casework.Source{Kind: casework.SourceKind(f.Kind), Channel: f.Channel, WorkOrderNumber: f.Number,
			Nature: casework.Nature(f.Nature), ReceivedAt: *received, TimeLimit: limit, Location: loc, Description: f.Description}}
	if f.ContactName != "" || f.ContactPhone != "" {
		in.Source.Contact = &casework.Contact{Name: f.ContactName, Phone: f.ContactPhone}
	}
	return in, nil
}

// coordinate reads a latitude or longitude (nil when blank) within ±limit.
func coordinate(s string, limit float64, field string) (*float64, error) {
	if s == "" {
		return nil, nil
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || v < -limit || v > limit {
		return nil, derrors.Invalidf(field, "a coordinate between -%g and %g", limit, limit)
	}
	return &v, nil
}

// formTime reads a datetime-local field in Beijing time (nil when blank).
func formTime(s, field string) (*time.Time, error) {
	if s == "" {
		return nil, nil
	}
	t, err := time.ParseInLocation(formMinute, s, clock.Beijing)
	if err != nil {
		return nil, derrors.Invalidf(field, "a date and time")
	}
	t = t.UTC()
	return &t, nil
}

// fieldOf is the first field an Invalid error names, without an item's
// index (/departments/1 is /departments), or "".
func fieldOf(err error) string {
	var e *derrors.Error
	if !errors.As(err, &e) || len(e.Fields) == 0 {
		return ""
	}
	f := e.Fields[0].Field
	if i := strings.LastIndex(f, "/"); i > 0 {
		if _, err := strconv.Atoi(f[i+1:]); err == nil {
			f = f[:i]
		}
	}
	return f
}

// intakeView is the intake page: the form, and the open cases it looks
// like when the service answered case_duplicates.
type intakeView struct {
	Form       intakeForm
	Matters    []org.MatterInForce
	Kinds      []casework.SourceKind
	Duplicates []casework.Duplicate
	Error      string // a key of messages
	Field      string // the JSON pointer of the field at fault, as the API names it
}

// intakeKinds are the sources a grid operator takes in (POST /v1/cases).
var intakeKinds = []casework.SourceKind{casework.SourceWorkOrder, casework.SourceCommunityReport, casework.SourceSupervisionNotice}

// intakePage is a blank intake form: a 12345 work order received now.
func (c *Console) intakePage(ctx *fiber.Ctx, s *session) error {
	f := intakeForm{ID: uuid.NewString(), Kind: string(casework.SourceWorkOrder), Channel: "12345",
		Nature: string(casework.NatureComprehensive), ReceivedAt: c.cfg.Now().In(clock.Beijing).Format(formMinute)}
	return c.showIntake(ctx, s, http.StatusOK, intakeView{Form: f})
}

func (c *Console) showIntake(ctx *fiber.Ctx, s *session, status int, v intakeView) error {
	ms, err := c.cfg.Grid.Reference.MattersAt(ctx.UserContext(), c.cfg.Now(), "", "", catalogueSize)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v.Matters, v.Kinds = ms, intakeKinds
	return c.render(ctx, status, "intake", s, v)
}

// takeIn takes the form in through casework.Service.Intake, or AddSource
// when merge_into names a duplicate, as POST /v1/cases does: open cases
// that look alike answer the suggestion (409), a confirmation
// (confirm_new) opens a new case all the same. A saved case goes to its
// dispatch page.
func (c *Console) takeIn(ctx *fiber.Ctx, s *session) error {
	f := readIntakeForm(ctx)
	in, err := f.intake()
	merge := strings.TrimSpace(ctx.FormValue("merge_into"))
	if _, perr := uuid.Parse(merge); err == nil && merge != "" && perr != nil {
		err = derrors.Invalidf("/merge_into", "merge_into names a case by its id")
	}
	if err == nil {
		in.ConfirmNew = ctx.FormValue("confirm_new") == "true"
		var r casework.Record
		if merge != "" {
			r, err = c.cfg.Cases.AddSource(ctx.UserContext(), s.user.ID, merge, in)
		} else {
			r, err = c.cfg.Cases.Intake(ctx.UserContext(), s.user.ID, in)
		}
		if err == nil {
			to := Prefix + "/intake/" + r.ID
			if merge != "" {
				to += "?merged=1"
			}
			return ctx.Redirect(to, http.StatusSeeOther)
		}
	}
	var dups *casework.DuplicatesError
	switch {
	case errors.As(err, &dups):
		return c.showIntake(ctx, s, http.StatusConflict, intakeView{Form: f, Duplicates: dups.Duplicates})
	case derrors.CodeOf(err) == derrors.Invalid:
		return c.showIntake(ctx, s, http.StatusUnprocessableEntity, intakeView{Form: f, Error: "grid.invalid", Field: fieldOf(err)})
	case derrors.CodeOf(err) == derrors.Conflict, derrors.CodeOf(err) == derrors.CaseArchived, derrors.CodeOf(err) == derrors.NotFound && merge != "":
		// The case merged into closed meanwhile (or the id is taken): a fresh id, the form again.
		f.ID = uuid.NewString()
		return c.showIntake(ctx, s, http.StatusConflict, intakeView{Form: f, Error: "grid.conflict"})
	default:
		return c.fail(ctx, s, err)
	}
}

// raiseForm is the whistle form of the dispatch page as typed.
type raiseForm struct {
	Type, Scope, Source, Channel, Description, Address, Receiver, Opinion,
	FiledAt, FiledBy, Reference string
	Departments []string
}

// request is the form as whistle.Service.Raise takes it for case caseID.
// Errors: derrors.Invalid.
func (f raiseForm) request(caseID string) (whistle.RaiseRequest, error) {
	filed, err := formTime(f.FiledAt, "/filing/filed_at")
	if err != nil {
		return whistle.RaiseRequest{}, err
	}
	r := whistle.RaiseRequest{CaseID: caseID, Type: whistle.Type(f.Type), Scope: whistle.Scope(f.Scope), Source: whistle.Source(f.Source),
		Channel: f.Channel, Description: f.Description, Receiver: f.Receiver, Opinion: f.Opinion, Departments: f.Departments}
	if f.Address != "" {
		r.Location = &whistle.Location{Address: f.Address}
	}
	if filed != nil || f.FiledBy != "" || f.Reference != "" {
		r.Filing = &whistle.Filing{FiledBy: f.FiledBy, Reference: f.Reference}
		if filed != nil {
			r.Filing.FiledAt = *filed
		}
	}
	return r, nil
}

// dispatchView is a case just taken in: where it went, and the whistle
// form that calls departments to it.
type dispatchView struct {
	Case     casework.Record
	Matter   string // the matter's name in the page's language
	Dept     string // the competent department's name in the page's language
	Merged   bool   // the work order was added to this open case
	CanRaise bool
	Raise    raiseForm
	Types    []whistle.Type
	Scopes   []whistle.Scope
	Sources  []whistle.Source
	Depts    []deptChoice
	Error    string // a key of messages
	Field    string
}

// deptChoice is a department of the whistle form, checked when called.
type deptChoice struct {
	org.Department
	Checked bool
}

// whistleScopes and whistleSources are the choices of the whistle form.
var (
	whistleScopes  = []whistle.Scope{whistle.ScopeCommon, whistle.ScopeIndividual}
	whistleSources = []whistle.Source{whistle.SourceHotline, whistle.SourceGridWorker, whistle.SourceCommunity, whistle.SourcePatrol}
)

// dispatchPage shows a case as GET /v1/cases/{id} shows it to the user
// (another's case is the 404 page), with its routing, and the whistle form.
func (c *Console) dispatchPage(ctx *fiber.Ctx, s *session) error {
	return c.showDispatch(ctx, s, http.StatusOK, nil, "", "")
}

func (c *Console) showDispatch(ctx *fiber.Ctx, s *session, status int, typed *raiseForm, errKey, field string) error {
	r, err := c.cfg.Cases.Get(ctx.UserContext(), s.user.ID, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := dispatchView{Case: r, Merged: ctx.Query("merged") == "1", Types: whistle.Types, Scopes: whistleScopes, Sources: whistleSources,
		Error: errKey, Field: field,
		// The street's grid operators and team leader raise whistles, as they take problems in
		// (whistle.Service.Raise judges it again).
		CanRaise: c.cfg.Whistles != nil && access.IntakeCase(sc) && sc.StreetCode == r.StreetCode && !done(r.State)}
	ds, err := c.cfg.Grid.Reference.Departments(ctx.UserContext())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	ms, err := c.cfg.Grid.Reference.MattersAt(ctx.UserContext(), c.cfg.Now(), r.DepartmentCode, "", catalogueSize)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	kind := org.WhistleRegular
	for _, m := range ms {
		if m.Code == r.MatterCode {
			v.Matter, kind = m.NameZH, m.DefaultWhistle
			if lang(ctx) == "en" {
				v.Matter = m.NameEN
			}
		}
	}
	if typed != nil {
		v.Raise = *typed
	} else {
		v.Raise = raiseForm{Type: string(kind), Scope: string(whistle.ScopeIndividual), Source: string(whistle.SourceGridWorker),
			Description: r.Description, Address: r.Location.Address, Receiver: s.user.DisplayName,
			FiledAt: c.cfg.Now().In(clock.Beijing).Format(formMinute), Departments: []string{r.DepartmentCode}}
		if n := len(r.Sources); n > 0 && r.Sources[n-1].Kind == casework.SourceWorkOrder {
			v.Raise.Source, v.Raise.Channel = string(whistle.SourceHotline), r.Sources[n-1].Channel
		}
	}
	for _, d := range ds {
		v.Depts = append(v.Depts, deptChoice{Department: d, Checked: slices.Contains(v.Raise.Departments, d.Code)})
		if d.Code == r.DepartmentCode {
			v.Dept = d.NameZH
			if lang(ctx) == "en" {
				v.Dept = d.NameEN
			}
		}
	}
	return c.render(ctx, status, "intake-case", s, v)
}

// raiseForCase raises a whistle for the case through whistle.Service.Raise,
// the command of POST /v1/whistles (case_id the case): the board shows it.
func (c *Console) raiseForCase(ctx *fiber.Ctx, s *session) error {
	f := raiseForm{}
	for name, v := range map[string]*string{"type": &f.Type, "scope": &f.Scope, "source": &f.Source, "channel": &f.Channel,
		"description": &f.Description, "address": &f.Address, "receiver": &f.Receiver, "opinion": &f.Opinion,
		"filed_at": &f.FiledAt, "filed_by": &f.FiledBy, "reference": &f.Reference} {
		*v = strings.TrimSpace(ctx.FormValue(name))
	}
	ctx.Request().PostArgs().VisitAll(func(k, v []byte) {
		if string(k) == "departments" {
			f.Departments = append(f.Departments, string(v))
		}
	})
	if _, err := uuid.Parse(ctx.Params("id")); err != nil {
		return c.render(ctx, http.StatusNotFound, "error", s, errorView{Status: http.StatusNotFound})
	}
	req, err := f.request(ctx.Params("id"))
	if err == nil {
		var w whistle.Whistle
		if w, err = c.cfg.Whistles.Raise(ctx.UserContext(), s.user.ID, req); err == nil {
			return ctx.Redirect(Prefix+"/whistles#w-"+w.ID, http.StatusSeeOther)
		}
	}
	switch derrors.CodeOf(err) {
	case derrors.Invalid:
		return c.showDispatch(ctx, s, http.StatusUnprocessableEntity, &f, "grid.invalid", fieldOf(err))
	case derrors.Conflict:
		return c.showDispatch(ctx, s, http.StatusConflict, &f, "grid.conflict", "")
	default:
		return c.fail(ctx, s, err)
	}
}

// boardView is the whistle board: the open whistles the user sees, as GET
// /v1/whistles?state=open lists them, newest first.
type boardView struct {
	Whistles []boardWhistle
	Names    map[string]string // department names by code, in the page's language
}

// boardWhistle is a whistle of the board with each called department's
// steps and the countdown to its next due step.
type boardWhistle struct {
	Whistle whistle.Whistle
	Calls   []boardCall
	// Next is the soonest due step not reported of a department still
	// called (nil: every called department finished); Left the seconds from
	// now to its due instant, negative when late.
	Next *boardStep
	Left int64
}

// boardCall is a called department's report steps.
type boardCall struct {
	DepartmentCode string
	Status         whistle.CallStatus
	Steps          []boardStep
}

// boardStep is a step: its due instant, when it was done, and whether it
// is late (done after its due instant, or not done by now and due).
type boardStep struct {
	DepartmentCode string
	Step           whistle.Step
	Due            time.Time
	Done           *time.Time
	Late           bool
}

// whistleBoard shows the open whistles with their steps and live
// countdowns: the server writes the time left by its clock, grid.js ticks
// it down from the page's load.
func (c *Console) whistleBoard(ctx *fiber.Ctx, s *session) error {
	list, err := c.cfg.Whistles.List(ctx.UserContext(), s.user.ID, whistle.Filter{State: whistle.StateOpen, Limit: openWhistles})
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := boardView{Names: map[string]string{}}
	if c.cfg.Grid.Reference != nil {
		ds, err := c.cfg.Grid.Reference.Departments(ctx.UserContext())
		if err != nil {
			return c.fail(ctx, s, err)
		}
		for _, d := range ds {
			v.Names[d.Code] = d.NameZH
			if lang(ctx) == "en" {
				v.Names[d.Code] = d.NameEN
			}
		}
	}
	now := c.cfg.Now()
	for _, w := range list {
		v.Whistles = append(v.Whistles, boardRow(w, now))
	}
	return c.render(ctx, http.StatusOK, "whistle-board", s, v)
}

// boardRow is whistle w on the board at now: lateness as whistle.Late
// judges it.
func boardRow(w whistle.Whistle, now time.Time) boardWhistle {
	late := whistle.Late(w, now)
	row := boardWhistle{Whistle: w}
	for _, call := range w.Calls {
		bc := boardCall{DepartmentCode: call.DepartmentCode, Status: call.Status}
		for _, t := range call.Steps {
			st := boardStep{DepartmentCode: call.DepartmentCode, Step: t.Step, Due: t.Due}
			if t.Report != nil {
				st.Done, st.Late = &t.Report.At, t.Report.Late
			} else {
				st.Late = slices.ContainsFunc(late, func(l whistle.LateStep) bool { return l.DepartmentCode == call.DepartmentCode && l.Step == t.Step })
				if call.Status == whistle.CallCalled && (row.Next == nil || t.Due.Before(row.Next.Due)) {
					next := st
					row.Next = &next
				}
			}
			bc.Steps = append(bc.Steps, st)
		}
		row.Calls = append(row.Calls, bc)
	}
	if row.Next != nil {
		row.Left = int64(row.Next.Due.Sub(now).Truncate(time.Second) / time.Second)
	}
	return row
}

// Countdown is the time left written as grid.js writes it: [-][Nd ]hh:mm:ss.
func (b boardWhistle) Countdown() string {
	left, sign := b.Left, ""
	if left < 0 {
		left, sign = -left, "-"
	}
	days, rest := left/86400, left%86400
	out := fmt.Sprintf("%02d:%02d:%02d", rest/3600, rest%3600/60, rest%60)
	if days > 0 {
		out = fmt.Sprintf("%dd %s", days, out)
	}
	return sign + out
}

// gridMessages are the words of those pages (keys "grid.*").
var gridMessages = map[string][2]string{
	"grid.menu.intake":                     {"受理", "Intake"},
	"grid.menu.board":                      {"吹哨看板", "Whistle board"},
	"grid.intake.title":                    {"受理工单", "Take in a problem"},
	"grid.kind":                            {"来源", "Source"},
	"grid.kind.work_order":                 {"接诉即办工单（12345）", "Work order (12345)"},
	"grid.kind.community_report":           {"社区上报", "Community report"},
	"grid.kind.supervision_notice":         {"监管通知单", "Supervision notice"},
	"grid.channel":                         {"渠道", "Channel"},
	"grid.number":                          {"工单编号", "Work-order number"},
	"grid.nature":                          {"性质", "Nature"},
	"grid.nature.comprehensive":            {"综合性（街道执法队）", "comprehensive (the street team)"},
	"grid.nature.single":                   {"单一性（直派职能部门）", "single (straight to the department)"},
	"grid.matter":                          {"执法事项", "Matter"},
	"grid.address":                         {"地址", "Address"},
	"grid.lat":                             {"纬度", "Latitude"},
	"grid.lng":                             {"经度", "Longitude"},
	"grid.description":                     {"问题描述", "Description"},
	"grid.received":                        {"受理时间", "Received at"},
	"grid.limit":                           {"办理时限", "Time limit"},
	"grid.contact":                         {"反映人", "Reporter"},
	"grid.phone":                           {"联系电话", "Phone"},
	"grid.submit":                          {"受理", "Take in"},
	"grid.invalid":                         {"填写有误，请核对：", "Check what was typed:"},
	"grid.conflict":                        {"案件已变更（或已办结），请重新提交。", "The case changed (or closed) meanwhile: send the form again."},
	"grid.dups.title":                      {"疑似重复：附近已有同一事项的在办案件", "Possible duplicates: open cases of the same matter nearby"},
	"grid.dups.note":                       {"请先确认是否为同一问题，再保存。", "Check whether it is the same problem before saving."},
	"grid.dups.case":                       {"案件", "Case"},
	"grid.dups.distance":                   {"距离", "Distance"},
	"grid.dups.same-address":               {"同一地址", "same address"},
	"grid.dups.created":                    {"受理于", "Taken in"},
	"grid.dups.merge":                      {"并入此案", "Merge into this one"},
	"grid.dups.new":                        {"不是重复，作为新问题受理", "It is a new problem: take it in"},
	"grid.case.title":                      {"受理结果与派遣", "Taken in: dispatch"},
	"grid.case.merged":                     {"工单已并入此在办案件。", "The work order was added to this open case."},
	"grid.case.routed":                     {"派遣结果", "Where it went"},
	"grid.case.department":                 {"主管部门", "Department"},
	"grid.case.officer":                    {"承办人员", "Officer"},
	"grid.case.queue":                      {"部门待办（区级）", "the department's queue (district)"},
	"grid.case.leader":                     {"队长分派", "the team leader decides"},
	"grid.case.reason":                     {"理由", "Reason"},
	"grid.case.sources":                    {"来源", "Sources"},
	"grid.case.open":                       {"查看案件", "Open the case"},
	"grid.raise.title":                     {"吹哨：召集部门报到", "Whistle: call departments to report"},
	"grid.raise.type":                      {"哨型", "Type"},
	"grid.raise.scope":                     {"范围", "Scope"},
	"grid.raise.source":                    {"哨源", "Source"},
	"grid.raise.receiver":                  {"接报人", "Received by"},
	"grid.raise.opinion":                   {"处置意见", "Opinion"},
	"grid.raise.departments":               {"召集部门", "Departments called"},
	"grid.raise.filing":                    {"区网格中心备案", "Filing with the district grid center"},
	"grid.raise.filed-at":                  {"备案时间", "Filed at"},
	"grid.raise.filed-by":                  {"区中心接收人", "Desk officer"},
	"grid.raise.reference":                 {"备案编号", "Reference"},
	"grid.raise.submit":                    {"吹哨", "Raise the whistle"},
	"grid.scope.common":                    {"共性问题", "common"},
	"grid.scope.individual":                {"个性问题", "individual"},
	"grid.source.hotline":                  {"12345 热线", "hotline"},
	"grid.source.grid_worker":              {"网格员", "grid worker"},
	"grid.source.community":                {"社区", "community"},
	"grid.source.patrol":                   {"巡查", "patrol"},
	"grid.type.emergency":                  {"紧急哨", "emergency"},
	"grid.type.key":                        {"重点哨", "key"},
	"grid.type.regular":                    {"常规哨", "regular"},
	"grid.board.title":                     {"吹哨看板", "Whistle board"},
	"grid.board.open":                      {"未关闭的哨", "Open whistles"},
	"grid.board.none":                      {"没有未关闭的哨。", "No open whistle."},
	"grid.board.subject":                   {"事由", "Subject"},
	"grid.board.next":                      {"下一步剩余", "Next step in"},
	"grid.board.calls":                     {"部门报到", "Departments' reports"},
	"grid.board.done":                      {"完成", "done"},
	"grid.board.due":                       {"时限", "due"},
	"grid.board.late":                      {"超时", "late"},
	"grid.board.released":                  {"已免除", "released"},
	"grid.board.finished":                  {"均已办结", "all finished"},
	"grid.board.new":                       {"受理新问题", "Take in a problem"},
	"grid.field./id":                       {"表单", "the form"},
	"grid.field./matter_code":              {"执法事项", "matter"},
	"grid.field./merge_into":               {"并入案件", "case to merge into"},
	"grid.field./location/address":         {"地址", "address"},
	"grid.field./location/lat":             {"纬度", "latitude"},
	"grid.field./location/lng":             {"经度", "longitude"},
	"grid.field./description":              {"问题描述", "description"},
	"grid.field./source/kind":              {"来源", "source"},
	"grid.field./source/channel":           {"渠道", "channel"},
	"grid.field./source/work_order_number": {"工单编号", "work-order number"},
	"grid.field./source/nature":            {"性质", "nature"},
	"grid.field./source/received_at":       {"受理时间", "received at"},
	"grid.field./source/time_limit":        {"办理时限（不得早于受理时间）", "time limit (not before the receipt)"},
	"grid.field./type":                     {"哨型", "type"},
	"grid.field./scope":                    {"范围", "scope"},
	"grid.field./source":                   {"哨源", "source"},
	"grid.field./receiver":                 {"接报人", "received by"},
	"grid.field./departments":              {"召集部门", "departments"},
	"grid.field./filing":                   {"备案", "filing"},
	"grid.field./filing/filed_at":          {"备案时间（不得晚于现在）", "filed at (not after now)"},
	"grid.field./filing/filed_by":          {"区中心接收人", "desk officer"},
	"grid.field./filing/reference":         {"备案编号", "reference"},
}
