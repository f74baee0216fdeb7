package console

// messages are the console's words, zh-CN first, English second.
var messages = map[string][2]string{
	"app":             {"哨响执法 · 工作台", "Whistle console"},
	"lang.other":      {"English", "中文"},
	"login.title":     {"登录", "Sign in"},
	"login.username":  {"用户名", "Username"},
	"login.password":  {"密码", "Password"},
	"login.submit":    {"登录", "Sign in"},
	"login.bad":       {"用户名或密码错误，或账号已停用。", "Wrong username or password, or the account is disabled."},
	"login.throttled": {"登录失败次数过多，请稍后再试。", "Too many failed sign-ins: try again later."},
	"logout":          {"退出", "Sign out"},
	"inbox.title":     {"待办", "Inbox"},
	"inbox.queue":     {"待审核的执法记录", "Records awaiting review"},
	"inbox.empty":     {"没有待审核的记录。", "No record awaits review."},
	"inbox.more":      {"仅显示最早的 50 条。", "Only the oldest 50 are shown."},
	"inbox.noleader":  {"您的待办暂未在工作台提供，请使用手机端或接口。", "Your inbox is not in the console yet: use the app or the API."},
	"inbox.overdue":   {"已逾期的期限", "Overdue deadlines"},
	"inbox.due-soon":  {"即将到期的期限", "Deadlines due soon"},
	"inbox.none":      {"无。", "None."},
	"inbox.whistles":  {"超时的报到与待裁定的异议", "Late report steps and objections to rule on"},
	"col.number":      {"编号", "Number"},
	"col.type":        {"类型", "Type"},
	"col.late":        {"超时步骤", "Late steps"},
	"col.objections":  {"待裁定异议", "Objections pending"},
	"step.ack":        {"响应", "acknowledge"},
	"step.arrive":     {"到场", "arrive"},
	"step.finish":     {"办结", "finish"},
	"col.due":         {"到期时间", "Due"},
	"col.kind":        {"期限", "Deadline"},
	"col.subject":     {"对象", "Of"},
	"col.act":         {"执法时间", "Act"},
	"col.team":        {"中队", "Team"},
	"col.officer":     {"记录人", "Recorded by"},
	"col.address":     {"地点", "Place"},
	"col.reasons":     {"异常原因", "Exceptions"},
	"col.field":       {"字段", "Field"},
	"col.from":        {"原值", "Before"},
	"col.to":          {"新值", "After"},
	"insp.title":      {"执法记录", "Inspection record"},
	"insp.status":     {"状态", "Status"},
	"insp.review":     {"审核", "Review"},
	"insp.version":    {"版本", "Version"},
	"insp.masked":     {"当事人信息已脱敏。", "The party's personal data is masked."},
	"insp.exceptions": {"异常", "Exceptions"},
	"insp.versions":   {"版本对照", "Versions side by side"},
	"insp.diff":       {"差异", "Differences"},
	"insp.nodiff":     {"只有一个版本。", "There is one version only."},
	"insp.reviews":    {"审核记录", "Reviews"},
	"insp.returned":   {"退回原因", "Reasons of the return"},
	"review.approve":  {"审核通过", "Approve"},
	"review.return":   {"退回修改", "Return for correction"},
	"review.reasons":  {"退回原因（每行一条）", "Reasons (one a line)"},
	"review.invalid":  {"退回须写明原因。", "A return says what to correct."},
	"review.conflict": {"记录已变更或已审核，请查看最新版本。", "The record changed or was reviewed meanwhile: see its latest version."},
	"review.pending":  {"待审核", "awaiting review"},
	"review.approved": {"已通过", "approved"},
	"review.returned": {"已退回", "returned"},
	"review.none":     {"无需审核", "nothing to review"},
	"error.title":     {"出错了", "Something went wrong"},
	"error.404":       {"页面不存在，或您无权查看。", "No such page, or not one you may see."},
	"error.403":       {"您无权执行此操作。", "You may not do this."},
	"error.csrf":      {"表单已失效，请返回重新提交。", "The form has expired: go back and send it again."},
	"error.500":       {"服务器内部错误，请稍后再试。", "Internal error: try again later."},
	"error.503":       {"服务暂不可用，请稍后再试。", "The service is unavailable: try again later."},
	"error.back":      {"返回待办", "Back to the inbox"},
	// Department reviewer pages
	"review.title":     {"部门审查", "Department review"},
	"review.cases":     {"推送至本部门的案件", "Cases routed to the department"},
	"review.nocase":    {"没有可审查的案件。", "No case to review."},
	"review.more":      {"仅显示最新的 100 件。", "Only the newest 100 are shown."},
	"review.notyours":  {"此页面供部门审查人员使用。", "This page is for department reviewers."},
	"review.expires":   {"授权到期", "Grant expires"},
	"review.evidence":  {"证据", "Evidence"},
	"review.download":  {"可下载原件", "download allowed"},
	"review.viewonly":  {"仅可查看，不可下载原件。", "View only: the originals cannot be downloaded."},
	"review.noitem":    {"本案没有证据。", "The case has no evidence."},
	"col.matter":       {"事项", "Matter"},
	"col.state":        {"状态", "State"},
	"col.kind.ev":      {"类别", "Kind"},
	"col.captured":     {"拍摄时间", "Captured"},
	"col.gps":          {"位置", "GPS"},
	"col.device":       {"设备", "Device"},
	"col.sha256":       {"SHA-256", "SHA-256"},
	"col.verification": {"校验", "Verification"},
}

// translator returns the lookup of a language ("en" or "zh"); an unknown
// key shows as itself, so that a missing word is visible, not blank.
func translator(lang string) func(string) string {
	i := 0
	if lang == "en" {
		i = 1
	}
	return func(key string) string {
		if m, ok := messages[key]; ok {
			return m[i]
		}
		return key
	}
}
