package console

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/whistle"
	wsync "github.com/whistle/whistle/sync"
)

// teamPages are the templates of the team leader's further pages: the team's devices, a whistle.
var teamPages = []string{"devices", "whistle"}

// teamMessages are the words of those pages (keys "team.*").
var teamMessages = map[string][2]string{
	"team.menu.devices":               {"设备", "Devices"},
	"team.devices.title":              {"执法终端同步状态", "The team's devices"},
	"team.devices.policy":             {"超过 %s 未同步、或时钟偏差超过 ±%s 的设备标红。", "Devices not synced for over %s, or with a clock off by more than ±%s, are marked."},
	"team.devices.none":               {"没有设备。", "No device."},
	"team.devices.more":               {"仅显示前 %d 台。", "Only the first %d are shown."},
	"team.col.officer":                {"执法人员", "Officer"},
	"team.col.device":                 {"设备", "Device"},
	"team.col.lastsync":               {"最近同步", "Last sync"},
	"team.col.queue":                  {"待上传", "Queue"},
	"team.col.oldest":                 {"最早未上传的记录", "Oldest unsent act"},
	"team.col.skew":                   {"时钟偏差", "Clock skew"},
	"team.col.app":                    {"版本", "App"},
	"team.col.review":                 {"待审核 / 被拒", "Flagged / refused"},
	"team.col.why":                    {"提示", "Attention"},
	"team.ago":                        {"%s前", "%s ago"},
	"team.stale.never":                {"从未同步", "never synced"},
	"team.stale.sync":                 {"长时间未同步", "no sync for long"},
	"team.stale.queue":                {"有记录长时间未上传", "an act waits long unsent"},
	"team.stale.skew":                 {"时钟偏差超出规定", "clock skew beyond the policy"},
	"team.revoked":                    {"已注销", "revoked"},
	"team.inbox.returned":             {"已退回、待执法人员修改的记录", "Returned records waiting for the officer"},
	"team.inbox.returned-at":          {"退回时间", "Returned"},
	"team.inbox.returned-age":         {"已等待", "Waiting"},
	"team.whistle.title":              {"吹哨", "Whistle"},
	"team.w.type":                     {"类型", "Type"},
	"team.w.source":                   {"哨源", "Source"},
	"team.w.channel":                  {"渠道", "Channel"},
	"team.w.subject":                  {"事项", "Subject"},
	"team.w.place":                    {"地点", "Place"},
	"team.w.receiver":                 {"接收人", "Receiver"},
	"team.w.opinion":                  {"处置意见", "Handling opinion"},
	"team.w.filing":                   {"备案", "Filing"},
	"team.w.raised":                   {"吹哨", "Raised"},
	"team.w.state":                    {"状态", "State"},
	"team.w.case":                     {"关联案件", "Case"},
	"team.w.department":               {"部门", "Department"},
	"team.w.calls":                    {"部门报到", "The departments' reports"},
	"team.w.called":                   {"召集时间", "Called"},
	"team.w.step":                     {"步骤", "Step"},
	"team.w.due":                      {"时限", "Due"},
	"team.w.done":                     {"完成时间", "Done at"},
	"team.w.result":                   {"情况", "Result"},
	"team.w.escalations":              {"超时上报", "Escalations"},
	"team.w.escalated":                {"已上报", "escalated"},
	"team.w.objections":               {"异议与裁定", "Objections and rulings"},
	"team.w.noobjection":              {"没有异议。", "No objection."},
	"team.w.ruling":                   {"裁定", "Ruling"},
	"team.w.rule":                     {"作出裁定", "Rule"},
	"team.w.outcome":                  {"裁定结果", "Outcome"},
	"team.w.departments":              {"改派部门（编号，逗号分隔；仅异议成立时）", "Departments called instead (codes, comma-separated; accepted only)"},
	"team.w.reason":                   {"理由", "Reason"},
	"team.w.progress":                 {"进展", "Progress"},
	"team.w.closure":                  {"办结", "Closure"},
	"team.w.ratings":                  {"评价", "Ratings"},
	"team.w.satisfaction":             {"群众满意度回访", "Resident's satisfaction"},
	"team.w.none":                     {"无。", "None."},
	"team.w.rule-invalid":             {"裁定不成立：驳回须写明理由，改派部门须为未召集的已知部门。", "The ruling was refused: overruling says why, and departments called instead are known and not yet called."},
	"team.w.rule-conflict":            {"吹哨已变更（异议已裁定或已办结），请查看最新情况。", "The whistle changed meanwhile (ruled or closed): see it as it stands."},
	"team.type.emergency":             {"应急哨", "emergency"},
	"team.type.key":                   {"重点哨", "key"},
	"team.type.regular":               {"常规哨", "regular"},
	"team.scope.common":               {"共性", "common"},
	"team.scope.individual":           {"个性", "individual"},
	"team.state.open":                 {"进行中", "open"},
	"team.state.closed":               {"已办结", "closed"},
	"team.call.called":                {"须报到", "must report"},
	"team.call.released":              {"已免除", "released"},
	"team.step.done":                  {"按时完成", "done on time"},
	"team.step.late":                  {"超时完成", "done late"},
	"team.step.overdue":               {"已超时", "overdue"},
	"team.step.due":                   {"未到期", "not yet due"},
	"team.outcome.pending":            {"待裁定", "pending"},
	"team.outcome.accepted":           {"异议成立", "accepted"},
	"team.outcome.overruled":          {"异议驳回", "overruled"},
	"team.source.grid_worker":         {"网格员", "grid worker"},
	"team.source.community":           {"社区", "community"},
	"team.source.hotline":             {"12345 热线", "12345 hotline"},
	"team.source.patrol":              {"巡查", "patrol"},
	"team.rating.satisfied":           {"满意", "satisfied"},
	"team.rating.basically_satisfied": {"基本满意", "basically satisfied"},
	"team.rating.not_satisfied":       {"不满意", "not satisfied"},
	"team.rating.unreachable":         {"未联系上", "not reached"},
	"team.wo.title":                   {"工单", "Work order"},
	"team.wo.number":                  {"工单号", "Work order number"},
	"team.wo.received":                {"受理时间", "Received"},
	"team.wo.limit":                   {"工单时限", "Its time limit"},
	"team.wo.deadline":                {"办理期限", "Deadline"},
	"team.wo.nolimit":                 {"工单未载明时限。", "The order names no time limit."},
	"team.wo.channel":                 {"渠道", "Channel"},
	"team.wo.nature":                  {"性质", "Nature"},
	"team.wo.contact":                 {"反映人", "Reported by"},
}

// DeviceStatuses reads the sync state of the devices of a street ("" all),
// as GET /v1/sync/devices reads it: those after the device afterDevice of
// user afterUsername, at most limit.
type DeviceStatuses interface {
	DeviceStatusPage(ctx context.Context, street, afterUsername, afterDevice string, limit int) ([]wsync.DeviceStatus, error)
}

// The device policy's defaults: a device that has not synced for a working
// day is out of touch (its acts are not on the server); a clock off by more
// than the capture tolerance of evidence (5 minutes) makes its acts' times
// doubtful.
const (
	DefaultStaleAfter = 24 * time.Hour
	DefaultMaxSkew    = 5 * time.Minute
)

// TeamConfig is what those pages need.
type TeamConfig struct {
	Devices DeviceStatuses // nil: no devices page
	// StaleAfter is how long a device may go without a sync, or keep an act
	// unsent, before it is marked (0: DefaultStaleAfter); MaxSkew how far
	// its clock may be off (0: DefaultMaxSkew).
	StaleAfter, MaxSkew time.Duration
}

// devicesSize is how many devices the devices page shows.
const devicesSize = 200

// mountTeam registers those pages.
func (c *Console) mountTeam(g fiber.Router) {
	if c.cfg.Team.StaleAfter <= 0 {
		c.cfg.Team.StaleAfter = DefaultStaleAfter
	}
	if c.cfg.Team.MaxSkew <= 0 {
		c.cfg.Team.MaxSkew = DefaultMaxSkew
	}
	if c.cfg.Team.Devices != nil {
		g.Get("/devices", c.signedIn(c.devicesPage))
		c.addMenu(Prefix+"/devices", "team.menu.devices", org.RoleTeamLeader)
	}
	if c.cfg.Whistles != nil {
		g.Get("/whistles/:id", c.signedIn(c.whistlePage))
		g.Post("/whistles/:id/rulings", c.signedIn(c.rule))
	}
}

// devicesView is the team's devices.
type devicesView struct {
	StaleAfter, MaxSkew string
	Devices             []deviceRow
	More                bool
	Size                int
}

// deviceRow is a device with what the page makes of its figures.
type deviceRow struct {
	wsync.DeviceStatus
	LastSync   *time.Time // the later of its last push and pull
	SyncAge    string     // how long ago, in words
	OldestAge  string     // how long its oldest unsent act waits, in words
	Skew       string     // signed, "" when never measured
	Stale      []string   // keys of messages: why it needs attention
	RevokedTag bool
}

// devicesPage shows the devices of the team leader's street as GET
// /v1/sync/devices lists them (the same read, access.DeviceStatuses),
// marking those out of touch or with a clock off.
func (c *Console) devicesPage(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	street, ok := access.DeviceStatuses(sc)
	if !ok {
		return c.render(ctx, http.StatusForbidden, "error", s, errorView{Status: http.StatusForbidden})
	}
	list, err := c.cfg.Team.Devices.DeviceStatusPage(ctx.UserContext(), street, "", "", devicesSize+1)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	en := lang(ctx) == "en"
	v := devicesView{StaleAfter: span(c.cfg.Team.StaleAfter, en), MaxSkew: span(c.cfg.Team.MaxSkew, en), Size: devicesSize}
	if len(list) > devicesSize {
		list, v.More = list[:devicesSize], true
	}
	now := c.cfg.Now()
	for _, d := range list {
		v.Devices = append(v.Devices, c.judgeDevice(d, now, en))
	}
	return c.render(ctx, http.StatusOK, "devices", s, v)
}

// judgeDevice reads a device's figures against the policy at now.
func (c *Console) judgeDevice(d wsync.DeviceStatus, now time.Time, en bool) deviceRow {
	r := deviceRow{DeviceStatus: d, RevokedTag: d.RevokedAt != nil}
	for _, at := range []*time.Time{d.LastPushAt, d.LastPullAt} {
		if at != nil && (r.LastSync == nil || at.After(*r.LastSync)) {
			r.LastSync = at
		}
	}
	if r.LastSync != nil {
		r.SyncAge = span(now.Sub(*r.LastSync), en)
	}
	if d.OldestUnsentAt != nil {
		r.OldestAge = span(now.Sub(*d.OldestUnsentAt), en)
	}
	if d.ClockSkewMS != nil {
		skew := (time.Duration(*d.ClockSkewMS) * time.Millisecond).Round(time.Second)
		r.Skew = skew.String()
		if skew > 0 {
			r.Skew = "+" + r.Skew
		}
	}
	if r.RevokedTag { // a revoked device is not expected to sync again
		return r
	}
	switch {
	case r.LastSync == nil:
		r.Stale = append(r.Stale, "team.stale.never")
	case now.Sub(*r.LastSync) > c.cfg.Team.StaleAfter:
		r.Stale = append(r.Stale, "team.stale.sync")
	}
	if d.QueueDepth != nil && *d.QueueDepth > 0 && d.OldestUnsentAt != nil && now.Sub(*d.OldestUnsentAt) > c.cfg.Team.StaleAfter {
		r.Stale = append(r.Stale, "team.stale.queue")
	}
	if d.ClockSkewMS != nil && (time.Duration(*d.ClockSkewMS)*time.Millisecond).Abs() > c.cfg.Team.MaxSkew {
		r.Stale = append(r.Stale, "team.stale.skew")
	}
	return r
}

// span is a duration in words, in its two largest units (days and hours,
// hours and minutes), a zero second unit left out; seconds under a minute.
func span(d time.Duration, en bool) string {
	d = max(d, 0)
	unit := func(n int64, zh, e string) string {
		if en {
			return fmt.Sprintf("%d %s", n, e)
		}
		return fmt.Sprintf("%d %s", n, zh)
	}
	two := func(major, minor string, n int64) string {
		if n == 0 {
			return major
		}
		return major + " " + minor
	}
	days, hours, mins := int64(d/(24*time.Hour)), int64(d%(24*time.Hour)/time.Hour), int64(d%time.Hour/time.Minute)
	switch {
	case d < time.Minute:
		return unit(int64(d/time.Second), "秒", "s")
	case d < time.Hour:
		return unit(mins, "分钟", "min")
	case days == 0:
		return two(unit(hours, "小时", "h"), unit(mins, "分钟", "min"), mins)
	default:
		return two(unit(days, "天", "d"), unit(hours, "小时", "h"), hours)
	}
}

// returnedItem is a record the team leader returned, waiting for its
// officer's correction.
type returnedItem struct {
	inspection.State
	ReturnedAt time.Time // zero when its history shows no return
	Age        string
}

// returnedRecords are the street's records returned for correction (as GET
// /v1/inspections?review=returned lists them to the user), oldest act first,
// each with when it was returned (its history, as GET
// /v1/inspections/{id}/versions shows it).
func (c *Console) returnedRecords(ctx *fiber.Ctx, s *session) ([]returnedItem, bool, error) {
	list, err := c.cfg.Inspections.List(ctx.UserContext(), s.user.ID,
		inspection.Filter{Review: inspection.ReviewReturned, OldestFirst: true, Limit: inboxSize + 1})
	if err != nil {
		return nil, false, err
	}
	more := len(list) > inboxSize
	if more {
		list = list[:inboxSize]
	}
	now, en := c.cfg.Now(), lang(ctx) == "en"
	out := make([]returnedItem, 0, len(list))
	for _, st := range list {
		it := returnedItem{State: st}
		_, reviews, err := c.cfg.Inspections.History(ctx.UserContext(), s.user.ID, st.Record.ID)
		if err != nil {
			return nil, false, err
		}
		for _, r := range reviews {
			if r.Decision == "return" && r.At.After(it.ReturnedAt) {
				it.ReturnedAt = r.At
			}
		}
		if !it.ReturnedAt.IsZero() {
			it.Age = span(now.Sub(it.ReturnedAt), en)
		}
		out = append(out, it)
	}
	return out, more, nil
}

// whistleView is one whistle as GET /v1/whistles/{id} shows it to the user.
type whistleView struct {
	Whistle whistle.Whistle
	Calls   []callView
	// Pending are the objections waiting for a ruling; CanRule says the
	// user is the street's team leader, who rules on them here.
	Pending []whistle.Objection
	CanRule bool
	Error   string // a key of messages: why the last ruling was refused
}

// callView is a called department with the state of each step at now.
type callView struct {
	whistle.Call
	Steps []stepView
}

// stepView is a step with its state: done, late (done after its due
// instant), overdue (not done, past due) or due.
type stepView struct {
	whistle.Timing
	State string
}

// whistlePage shows whistle id to the user (whistle.Service.Get, as GET
// /v1/whistles/{id}); another street's whistle is not found (404).
func (c *Console) whistlePage(ctx *fiber.Ctx, s *session) error {
	return c.showWhistle(ctx, s, http.StatusOK, "")
}

func (c *Console) showWhistle(ctx *fiber.Ctx, s *session, status int, errKey string) error {
	w, err := c.cfg.Whistles.Get(ctx.UserContext(), s.user.ID, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := whistleView{Whistle: w, Pending: whistle.PendingObjections(w), Error: errKey,
		CanRule: w.State == whistle.StateOpen && sc.Role == org.RoleTeamLeader && sc.StreetCode == w.StreetCode}
	now := c.cfg.Now()
	for _, call := range w.Calls {
		cv := callView{Call: call}
		for _, t := range call.Steps {
			st := "due"
			switch {
			case t.Report != nil && t.Report.Late:
				st = "late"
			case t.Report != nil:
				st = "done"
			case call.Status == whistle.CallCalled && !now.Before(t.Due):
				st = "overdue"
			}
			cv.Steps = append(cv.Steps, stepView{Timing: t, State: st})
		}
		v.Calls = append(v.Calls, cv)
	}
	return c.render(ctx, status, "whistle", s, v)
}

// rule is the team leader's ruling on a pending objection through
// whistle.Service.Rule, the command of POST /v1/whistles/{id}/rulings (same
// checks, same trail entry), then shows the whistle again.
func (c *Console) rule(ctx *fiber.Ctx, s *session) error {
	id := ctx.Params("id")
	r := whistle.RulingRequest{DepartmentCode: strings.TrimSpace(ctx.FormValue("department_code")),
		Outcome: whistle.Outcome(ctx.FormValue("outcome")), Reason: strings.TrimSpace(ctx.FormValue("reason"))}
	r.Departments = strings.FieldsFunc(ctx.FormValue("departments"), func(ch rune) bool { return ch == ',' || ch == '，' || ch == ' ' })
	_, err := c.cfg.Whistles.Rule(ctx.UserContext(), s.user.ID, id, r)
	switch derrors.CodeOf(err) {
	case "":
		return ctx.Redirect(Prefix+"/whistles/"+id, http.StatusSeeOther)
	case derrors.Invalid:
		return c.showWhistle(ctx, s, http.StatusUnprocessableEntity, "team.w.rule-invalid")
	case derrors.Conflict:
		return c.showWhistle(ctx, s, http.StatusConflict, "team.w.rule-conflict")
	default:
		return c.fail(ctx, s, err)
	}
}
