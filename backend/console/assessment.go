package console

import (
	"context"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// assessmentPages are the templates of the assessment pages: figures per department and period, charts, CSV.
var assessmentPages = []string{"assessment", "assessment-department", "assessment-items"}

// assessmentMessages are the words of those pages (keys "assessment.*").
var assessmentMessages = map[string][2]string{
	"assessment.menu":                   {"考核", "Assessment"},
	"assessment.title":                  {"部门考核", "Departments' assessment"},
	"assessment.period":                 {"考核期", "Period"},
	"assessment.pick":                   {"查看", "Show"},
	"assessment.from":                   {"起（含）", "From (incl.)"},
	"assessment.to":                     {"止（不含）", "To (excl.)"},
	"assessment.to-excl":                {"止日不计入", "the last date not included"},
	"assessment.dates":                  {"按日期", "By dates"},
	"assessment.csv":                    {"下载 CSV", "Download CSV"},
	"assessment.lens.district":          {"全区", "the district"},
	"assessment.lens.street":            {"本街道案件", "this street's cases"},
	"assessment.department":             {"部门", "Department"},
	"assessment.score":                  {"服务评分", "Service score"},
	"assessment.partial":                {"部分项目无数据", "some items without data"},
	"assessment.none":                   {"本期无部门数据。", "No department has figures in this period."},
	"assessment.figures":                {"全部指标", "Every figure"},
	"assessment.figure":                 {"指标", "Figure"},
	"assessment.value":                  {"数值", "Value"},
	"assessment.definition":             {"口径", "Definition"},
	"assessment.source":                 {"依据", "Source"},
	"assessment.items":                  {"明细", "Items"},
	"assessment.unavailable":            {"暂无数据来源", "not recorded yet"},
	"assessment.nodata":                 {"无数据", "no data"},
	"assessment.score-items":            {"评分项目", "Score items"},
	"assessment.weight":                 {"权重", "Weight"},
	"assessment.why":                    {"计分", "Counted as"},
	"assessment.back":                   {"返回部门考核", "Back to the departments"},
	"assessment.next":                   {"下一页", "Next page"},
	"assessment.first":                  {"第一页", "First page"},
	"assessment.no-items":               {"该指标本期没有明细。", "This figure counts nothing in this period."},
	"assessment.at":                     {"时间", "At"},
	"assessment.kind":                   {"类别", "Kind"},
	"assessment.ref":                    {"说明", "Reference"},
	"assessment.duration":               {"用时", "Duration"},
	"assessment.open":                   {"查看", "Open"},
	"assessment.bad-period":             {"考核期无效：请选择季度、月份，或起止日期（最长一年）。", "Not a period: pick a quarter, a month, or dates (a year at most)."},
	"error.assessment.bad-figure":       {"该指标由其他指标计算得出，请在部门页面查看其各项明细；或指标不存在。", "This figure is formed from others (see their items on the department's page), or there is no such figure."},
	"error.assessment.bad-page":         {"翻页位置无效，请从第一页开始。", "Not a position of this list: start from the first page."},
	"assessment.chart.times":            {"报到用时中位数（按哨类）", "Median report times by whistle type"},
	"assessment.chart.ontime":           {"按时比例", "Share on time"},
	"assessment.chart.rates":            {"12345 三率", "The three 12345 rates"},
	"assessment.unit.min":               {"分钟", "min"},
	"assessment.unit.hour":              {"小时", "h"},
	"assessment.unit.day":               {"天", "d"},
	"assessment.why.counted":            {"按数值", "its value"},
	"assessment.why.unavailable":        {"暂无数据来源，不计", "not recorded: left out"},
	"assessment.why.no_data":            {"无数据，不计", "no data: left out"},
	"assessment.why.full":               {"无数据，计满分", "no data: full marks"},
	"assessment.why.zero":               {"无数据，计零分", "no data: no marks"},
	"assessment.type.emergency":         {"应急哨", "emergency"},
	"assessment.type.key":               {"重点哨", "key"},
	"assessment.type.regular":           {"常规哨", "regular"},
	"assessment.item.routing":           {"派遣", "routing"},
	"assessment.item.objection":         {"异议", "objection"},
	"assessment.item.evidence_review":   {"证据审查", "evidence review"},
	"assessment.item.case":              {"案件", "case"},
	"assessment.item.work_order":        {"工单", "work order"},
	"assessment.item.whistle":           {"吹哨", "whistle"},
	"assessment.item.whistle_report":    {"报到", "report"},
	"assessment.item.whistle_step":      {"报到环节", "report step"},
	"assessment.item.whistle_objection": {"吹哨异议", "whistle objection"},
	"assessment.item.whistle_rating":    {"社区评价", "community rating"},
}

// Departments is the catalogue of departments, for their names.
type Departments interface {
	Departments(ctx context.Context) ([]org.Department, error)
}

// AssessmentConfig is what those pages need.
type AssessmentConfig struct {
	// Service answers the reports and items, as the API's assessment routes
	// do; nil: no assessment pages.
	Service *assess.Service
	// CSV writes a report as GET /v1/assessment/departments.csv does
	// (api.AssessmentCSV), so that the console's download is the same file.
	CSV func(assess.Report) ([]byte, error)
	// Departments names the departments; nil: they show by code.
	Departments Departments
}

// assessmentReaders are the roles assess.LensOf lets read the assessment.
var assessmentReaders = []org.Role{org.RoleAdmin, org.RoleTeamLeader, org.RoleGridOperator, org.RoleDeptReviewer}

// mountAssessment registers those pages.
func (c *Console) mountAssessment(g fiber.Router) {
	if c.cfg.Assessment.Service == nil || c.cfg.Assessment.CSV == nil {
		return
	}
	g.Get("/assessment", c.signedIn(c.assessmentPage))
	g.Get("/assessment.csv", c.signedIn(c.assessmentCSV))
	g.Get("/assessment/:code", c.signedIn(c.assessmentDepartment))
	g.Get("/assessment/:code/items", c.signedIn(c.assessmentItems))
	c.addMenu(Prefix+"/assessment", "assessment.menu", assessmentReaders...)
}

// period is the period a page shows: as asked (period, or from and to,
// as the API reads them), else the quarter of today in Beijing.
type period struct {
	assess.Period
	Named bool   // asked as period= (a quarter, month or year), not dates
	Query string // how the page's links ask for it again
}

// periodOf reads the period of the request, as the API's assessment routes
// do. Errors: derrors.BadRequest.
func (c *Console) periodOf(ctx *fiber.Ctx) (period, error) {
	name, from, to := ctx.Query("period"), ctx.Query("from"), ctx.Query("to")
	if name == "" && from == "" && to == "" {
		today := c.cfg.Now().In(clock.Beijing)
		name = fmt.Sprintf("%dQ%d", today.Year(), (int(today.Month())+2)/3)
	}
	p, err := assess.ParsePeriod(name, from, to)
	if err != nil {
		return period{}, err
	}
	if name != "" {
		return period{Period: p, Named: true, Query: url.Values{"period": {name}}.Encode()}, nil
	}
	return period{Period: p, Query: url.Values{"from": {from}, "to": {to}}.Encode()}, nil
}

// periodChoice is an option of the period picker.
type periodChoice struct {
	Label    string
	Selected bool
}

// periodChoices are the quarters and months of the last year up to the
// current one, newest first, and the current and last year; first a blank
// choice, selected, when the page shows a period of dates (sent, it asks
// for the current quarter).
func periodChoices(now time.Time, current string) []periodChoice {
	now = now.In(clock.Beijing)
	var labels []string
	q := time.Date(now.Year(), time.Month(3*((int(now.Month())-1)/3)+1), 1, 0, 0, 0, 0, clock.Beijing)
	for i := 0; i < 5; i++ {
		d := q.AddDate(0, -3*i, 0)
		labels = append(labels, fmt.Sprintf("%dQ%d", d.Year(), (int(d.Month())+2)/3))
	}
	m := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, clock.Beijing)
	for i := 0; i < 13; i++ {
		labels = append(labels, m.AddDate(0, -i, 0).Format("2006-01"))
	}
	labels = append(labels, strconv.Itoa(now.Year()), strconv.Itoa(now.Year()-1))
	out := make([]periodChoice, 0, len(labels)+1)
	if current == "" { // a period of dates: none of the named ones
		out = append(out, periodChoice{Selected: true})
	}
	for _, l := range labels {
		out = append(out, periodChoice{Label: l, Selected: l == current})
	}
	return out
}

// pickerView is the period picker of a page.
type pickerView struct {
	Period   period
	Choices  []periodChoice
	From, To string // the dates of the period, for the date inputs
	Action   string // the page the picker asks
	// StreetCode is the street whose cases the report counts, "" the district's.
	StreetCode string
	T          func(string) string
}

// HTML is the picker drawn.
func (p pickerView) HTML() (template.HTML, error) { return part("picker", p) }

// Heading is the period and the lens of the report, as the pages' titles
// show them.
func (p pickerView) Heading() (template.HTML, error) { return part("period", p) }

func (c *Console) picker(ctx *fiber.Ctx, p period, action, street string) pickerView {
	current := ""
	if p.Named {
		current = p.Label
	}
	return pickerView{Period: p, Choices: periodChoices(c.cfg.Now(), current), From: p.FromDate(), To: p.ToDate(), Action: action,
		StreetCode: street, T: translator(lang(ctx))}
}

// shownValue is a figure's value as a page shows it.
type shownValue struct {
	Figure assess.Figure
	Title  string
	Value  assess.Value
	Text   string // the value formatted by its kind ("—" without one)
	Items  []itemsLink
}

// itemsLink is the items page of a measured figure a value counts.
type itemsLink struct {
	Figure string // "" for the value's own figure
	Href   string
}

// summaryFigures are the main figures of the departments' table.
var summaryFigures = []string{"cases_routed", "case_on_time_rate", "whistle_steps_due", "whistle_on_time_rate",
	"response_rate", "resolution_rate", "satisfaction_rate", "whistle_satisfaction_rate"}

// departmentRow is a department in the departments' table.
type departmentRow struct {
	Code, Name string
	Href       string // the department's page of the period
	Score      assess.ServiceScore
	Figures    []shownValue // summaryFigures
}

// assessmentView is the departments' assessment of a period.
type assessmentView struct {
	Picker      pickerView
	CSV         string // the CSV download of the period
	Columns     []string
	Departments []departmentRow
	Charts      []chartLayout
}

// assessmentPage shows the departments' assessment of a period as
// assess.Service.Report answers GET /v1/assessment/departments to the
// user (403 for a role that may not read it).
func (c *Console) assessmentPage(ctx *fiber.Ctx, s *session) error {
	p, r, err := c.report(ctx, s, "")
	if err != nil {
		return c.badPeriod(ctx, s, err)
	}
	a := c.cfg.Assessment
	names, err := c.departmentNames(ctx)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	f := c.formatter(ctx)
	cfg := a.Service.Config()
	v := assessmentView{Picker: c.picker(ctx, p, Prefix+"/assessment", r.StreetCode), CSV: Prefix + "/assessment.csv?" + p.Query}
	for _, code := range summaryFigures {
		fg, _ := cfg.Figure(code)
		v.Columns = append(v.Columns, f.title(fg.Title))
	}
	for _, d := range r.Departments {
		row := departmentRow{Code: d.DepartmentCode, Name: names[d.DepartmentCode], Href: departmentPath(d.DepartmentCode, p), Score: d.Score}
		vals := valuesByCode(d)
		for _, code := range summaryFigures {
			row.Figures = append(row.Figures, f.shown(cfg, vals[code]))
		}
		v.Departments = append(v.Departments, row)
	}
	v.Charts = []chartLayout{
		f.departmentsChart(cfg, r, p, "chart-ontime", "assessment.chart.ontime", "whistle_on_time_rate", "case_on_time_rate"),
		f.departmentsChart(cfg, r, p, "chart-rates", "assessment.chart.rates", "response_rate", "resolution_rate", "satisfaction_rate"),
	}
	return c.render(ctx, http.StatusOK, "assessment", s, v)
}

// assessmentCSV streams the report of the assessment page as GET
// /v1/assessment/departments.csv does: the same report, the same writer.
func (c *Console) assessmentCSV(ctx *fiber.Ctx, s *session) error {
	p, r, err := c.report(ctx, s, "")
	if err != nil {
		return c.badPeriod(ctx, s, err)
	}
	b, err := c.cfg.Assessment.CSV(r)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	ctx.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	ctx.Set(fiber.HeaderContentDisposition, fmt.Sprintf(`attachment; filename="assessment_%s_%s.csv"`, p.FromDate(), p.ToDate()))
	return ctx.Send(b)
}

// departmentView is one department's assessment of a period.
type departmentView struct {
	Picker     pickerView
	Code, Name string
	Back       string // the departments' page of the period
	Score      assess.ServiceScore
	ScoreItems []scoreItemRow
	Figures    []shownValue // every figure of the table, in its order
	Charts     []chartLayout
}

// scoreItemRow is an item of the service score as a page shows it.
type scoreItemRow struct {
	Item  assess.ItemScore
	Title string
	Value string
}

// assessmentDepartment shows every figure of one department as
// assess.Service.Report answers GET /v1/assessment/departments/{code}:
// an unknown department is the 404 page, another department for a
// reviewer the 403 page.
func (c *Console) assessmentDepartment(ctx *fiber.Ctx, s *session) error {
	code := ctx.Params("code")
	p, r, err := c.report(ctx, s, code)
	if err != nil {
		return c.badPeriod(ctx, s, err)
	}
	a := c.cfg.Assessment
	if len(r.Departments) != 1 {
		return c.fail(ctx, s, derrors.New(derrors.Internal, "the report of department %s has %d departments", code, len(r.Departments)))
	}
	names, err := c.departmentNames(ctx)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	d, f, cfg := r.Departments[0], c.formatter(ctx), a.Service.Config()
	v := departmentView{Picker: c.picker(ctx, p, Prefix+"/assessment/"+url.PathEscape(d.DepartmentCode), r.StreetCode), Code: d.DepartmentCode,
		Name: names[d.DepartmentCode], Back: Prefix + "/assessment?" + p.Query, Score: d.Score}
	for _, it := range d.Score.Items {
		v.ScoreItems = append(v.ScoreItems, scoreItemRow{Item: it, Title: f.title(it.Item.Title), Value: percent(it.Value)})
	}
	for _, val := range d.Values {
		sv := f.shown(cfg, val)
		if sv.Figure.Available {
			for _, in := range measuredInputs(cfg, sv.Figure) {
				l := itemsLink{Figure: in, Href: itemsPath(d.DepartmentCode, in, p)}
				if in == sv.Figure.Code {
					l.Figure = ""
				}
				sv.Items = append(sv.Items, l)
			}
		}
		v.Figures = append(v.Figures, sv)
	}
	vals := valuesByCode(d)
	times := barChart{ID: "chart-times", Title: f.t("assessment.chart.times"),
		Series: []string{f.t("step.ack"), f.t("step.arrive"), f.t("step.finish")}}
	for _, typ := range []string{"emergency", "key", "regular"} {
		g := barGroup{Label: f.t("assessment.type." + typ)}
		for _, step := range []string{"ack", "arrive", "finish"} {
			code := "whistle_" + step + "_median_seconds_" + typ
			g.Bars = append(g.Bars, bar{Value: vals[code].Value, Label: f.value(assess.KindMedian, vals[code].Value),
				Href: itemsPath(d.DepartmentCode, code, p)})
		}
		times.Groups = append(times.Groups, g)
	}
	one := assess.Report{Period: r.Period, StreetCode: r.StreetCode, Departments: r.Departments}
	v.Charts = []chartLayout{times.Layout(),
		f.departmentsChart(cfg, one, p, "chart-ontime", "assessment.chart.ontime", "whistle_on_time_rate", "case_on_time_rate"),
		f.departmentsChart(cfg, one, p, "chart-rates", "assessment.chart.rates", "response_rate", "resolution_rate", "satisfaction_rate"),
	}
	return c.render(ctx, http.StatusOK, "assessment-department", s, v)
}

// itemsPage is how many items the items page shows unless asked for
// fewer (limit=, as the API's limit, at most assessMaxItems).
const (
	itemsPage      = 100
	assessMaxItems = 500
)

// itemsView is a page of the items one figure of a department counts.
type itemsView struct {
	Picker     pickerView
	Code, Name string
	Department string // the department's page of the period
	Figure     assess.Figure
	Title      string
	Items      []itemRow
	Next       string // the next page's URL, "" on the last
	First      string // the first page's URL, "" on the first
}

// itemRow is an item with the console page of what it belongs to.
type itemRow struct {
	Item     assess.Item
	Duration string
	Href     string // the whistle's or the case's console page, "" for neither
}

// assessmentItems lists a page of the items a figure of a department
// counts, as assess.Service.Items answers GET
// /v1/assessment/departments/{code}/items (a rate or composite is the 400
// page: its figures are listed on the department's page), paged by
// (after_at, after_id) as the API's cursor.
func (c *Console) assessmentItems(ctx *fiber.Ctx, s *session) error {
	p, err := c.periodOf(ctx)
	if err != nil {
		return c.badPeriod(ctx, s, err)
	}
	code, figure := ctx.Params("code"), ctx.Query("figure")
	limit := itemsPage
	if n, err := strconv.Atoi(ctx.Query("limit")); err == nil && n > 0 {
		limit = min(n, assessMaxItems)
	}
	var afterAt time.Time
	afterID := ctx.Query("after_id")
	if afterID != "" {
		if afterAt, err = time.Parse(time.RFC3339Nano, ctx.Query("after_at")); err != nil {
			return c.render(ctx, http.StatusBadRequest, "error", s, errorView{Status: http.StatusBadRequest, Key: "assessment.bad-page"})
		}
	}
	a := c.cfg.Assessment
	items, err := a.Service.Items(ctx.UserContext(), s.user.ID, code, figure, p.Period, afterAt, afterID, limit+1)
	if derrors.CodeOf(err) == derrors.BadRequest {
		return c.render(ctx, http.StatusBadRequest, "error", s, errorView{Status: http.StatusBadRequest, Key: "assessment.bad-figure"})
	}
	if err != nil {
		return c.fail(ctx, s, err)
	}
	names, err := c.departmentNames(ctx)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	f := c.formatter(ctx)
	fg, _ := a.Service.Config().Figure(figure)
	self := itemsPath(code, figure, p) + "&limit=" + strconv.Itoa(limit)
	v := itemsView{Picker: c.picker(ctx, p, Prefix+"/assessment/"+url.PathEscape(code), ""), Code: code, Name: names[code],
		Department: departmentPath(code, p), Figure: fg, Title: f.title(fg.Title)}
	if afterID != "" {
		v.First = self
	}
	if len(items) > limit {
		items = items[:limit]
		last := items[limit-1]
		v.Next = self + "&" + url.Values{"after_at": {last.At.Format(time.RFC3339Nano)}, "after_id": {last.ID}}.Encode()
	}
	for _, it := range items {
		row := itemRow{Item: it, Duration: f.value(assess.KindMedian, it.Seconds)}
		switch {
		case it.WhistleID != "":
			row.Href = Prefix + "/whistles/" + it.WhistleID
		case it.CaseID != "":
			row.Href = Prefix + "/cases/" + it.CaseID
		}
		v.Items = append(v.Items, row)
	}
	return c.render(ctx, http.StatusOK, "assessment-items", s, v)
}

// report is the report of the request's period and department ("" all)
// as the user may see it (assess.Service.Report, as the API's routes call
// it). Errors: derrors.BadRequest (the period), derrors.Forbidden,
// derrors.NotFound.
func (c *Console) report(ctx *fiber.Ctx, s *session, department string) (period, assess.Report, error) {
	p, err := c.periodOf(ctx)
	if err != nil {
		return period{}, assess.Report{}, err
	}
	r, err := c.cfg.Assessment.Service.Report(ctx.UserContext(), s.user.ID, p.Period, department)
	return p, r, err
}

// badPeriod answers a period the API refuses (400) with the error page
// saying what a period is; other errors as fail does.
func (c *Console) badPeriod(ctx *fiber.Ctx, s *session, err error) error {
	if derrors.CodeOf(err) == derrors.BadRequest {
		return c.render(ctx, http.StatusBadRequest, "error", s, errorView{Status: http.StatusBadRequest, Key: "assessment.bad-period"})
	}
	return c.fail(ctx, s, err)
}

// departmentNames are the departments' names in the page's language, by
// code (empty without a catalogue).
func (c *Console) departmentNames(ctx *fiber.Ctx) (map[string]string, error) {
	out := map[string]string{}
	if c.cfg.Assessment.Departments == nil {
		return out, nil
	}
	deps, err := c.cfg.Assessment.Departments.Departments(ctx.UserContext())
	if err != nil {
		return nil, err
	}
	for _, d := range deps {
		out[d.Code] = d.NameZH
		if lang(ctx) == "en" && d.NameEN != "" {
			out[d.Code] = d.NameEN
		}
	}
	return out, nil
}

// departmentPath is the console page of department in p.
func departmentPath(department string, p period) string {
	return Prefix + "/assessment/" + url.PathEscape(department) + "?" + p.Query
}

// itemsPath is the console page listing the items of figure of department in p.
func itemsPath(department, figure string, p period) string {
	return Prefix + "/assessment/" + url.PathEscape(department) + "/items?" + url.Values{"figure": {figure}}.Encode() + "&" + p.Query
}

// measuredInputs are the measured figures whose items fg counts: itself,
// a rate's numerator and denominator, a composite's rates' inputs, as the
// API's report links them (each once).
func measuredInputs(cfg assess.Config, fg assess.Figure) []string {
	var out []string
	add := func(code string) {
		if !slices.Contains(out, code) {
			out = append(out, code)
		}
	}
	for _, in := range assess.Inputs(fg) {
		f, _ := cfg.Figure(in)
		if f.Kind.Measured() {
			add(in)
			continue
		}
		for _, m := range assess.Inputs(f) {
			add(m)
		}
	}
	return out
}

// valuesByCode are a department's values by figure code.
func valuesByCode(d assess.DepartmentReport) map[string]assess.Value {
	out := make(map[string]assess.Value, len(d.Values))
	for _, v := range d.Values {
		out[v.Code] = v
	}
	return out
}

// formatter shows figures in a page's language.
type formatter struct {
	t  func(string) string
	en bool
}

func (c *Console) formatter(ctx *fiber.Ctx) formatter {
	l := lang(ctx)
	return formatter{t: translator(l), en: l == "en"}
}

func (f formatter) title(t assess.Title) string {
	if f.en {
		return t.EN
	}
	return t.ZH
}

// shown is a value with its figure and its text.
func (f formatter) shown(cfg assess.Config, v assess.Value) shownValue {
	fg, _ := cfg.Figure(v.Code)
	sv := shownValue{Figure: fg, Title: f.title(fg.Title), Value: v, Text: f.value(fg.Kind, v.Value)}
	if !v.Available {
		sv.Text = f.t("assessment.unavailable")
	}
	return sv
}

// value formats v by kind: a count as a number, a rate as a percentage,
// seconds as minutes, hours or days; "—" for no value.
func (f formatter) value(kind assess.Kind, v *float64) string {
	if v == nil {
		return "—"
	}
	switch kind {
	case assess.KindRate, assess.KindComposite:
		return percent(v)
	case assess.KindMedian, assess.KindP90:
		s := *v
		switch {
		case s < 3600:
			return strconv.FormatFloat(s/60, 'f', 1, 64) + " " + f.t("assessment.unit.min")
		case s < 86400:
			return strconv.FormatFloat(s/3600, 'f', 1, 64) + " " + f.t("assessment.unit.hour")
		default:
			return strconv.FormatFloat(s/86400, 'f', 1, 64) + " " + f.t("assessment.unit.day")
		}
	}
	return strconv.FormatFloat(*v, 'f', -1, 64)
}

// departmentsChart is a chart of rate figures (the series) per department
// of r (the groups), on a scale of 0 to 100%, each bar linking to the
// department's page.
func (f formatter) departmentsChart(cfg assess.Config, r assess.Report, p period, id, title string, figures ...string) chartLayout {
	ch := barChart{ID: id, Title: f.t(title), Max: 1}
	for _, code := range figures {
		fg, _ := cfg.Figure(code)
		ch.Series = append(ch.Series, f.title(fg.Title))
	}
	for _, d := range r.Departments {
		vals := valuesByCode(d)
		g := barGroup{Label: d.DepartmentCode}
		for _, code := range figures {
			g.Bars = append(g.Bars, bar{Value: vals[code].Value, Label: percent(vals[code].Value),
				Href: departmentPath(d.DepartmentCode, p)})
		}
		ch.Groups = append(ch.Groups, g)
	}
	return ch.Layout()
}
