package main

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/telemetry"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/media"
	wsync "github.com/whistle/whistle/sync"
)

// Config is the whole configuration of the service, read from WHISTLE_*
// environment variables. Every variable has a default that works with the
// local stack of `make run`, except the secrets in production.
type Config struct {
	Env                  string // development or production
	Addr                 string
	DatabaseURL          string
	StartupTimeout       time.Duration
	MigrateOnStart       bool
	S3                   media.Config
	RequestTimeout       time.Duration
	ShutdownTimeout      time.Duration
	BodyLimit            int
	LogLevel             slog.Level
	SigningKey           ed25519.PrivateKey
	AccessTokenTTL       time.Duration
	LockMode             string                  // Object Lock mode of anchors (and evidence): GOVERNANCE or COMPLIANCE
	LockRetention        time.Duration           // how long they stay locked
	AnchorInterval       time.Duration           // how often serve anchors the audit heads; 0: never
	RecheckInterval      time.Duration           // how often serve re-hashes a batch of stored originals; 0: never
	RecheckAge           time.Duration           // how long an original goes unchecked before it is due again
	MinPullAppVersion    string                  // apps older than this may push but not pull
	TombstoneRetention   time.Duration           // how long sync keeps deletions for devices to pull
	IdempotencyRetention time.Duration           // how long the answers of creates sent with an Idempotency-Key are kept
	SyncRetryLimit       int                     // transient failures in a row before an act is rejected (retry_exhausted)
	Cases                casework.Config         // routing and duplicate detection of cases, review grants' periods
	Calendar             inspection.Calendar     // working days, for legal periods
	Deadlines            casework.DeadlinePolicy // statutory deadlines' periods, per department, and the due-soon window
	ArchiveRules         archive.Rules           // the completeness check of archive closing, with their legal basis
	ArchiveNumber        numbering.Format        // the format of archive numbers
	WhistleDeadlines     whistle.Deadlines       // the periods of each step of a department's report, per whistle type
	WhistleNumber        numbering.Format        // the format of whistle numbers
	PerformancePoints    assess.Points           // points of each kind of performance event
	PerformanceGrades    assess.Grades           // net points of the grades a performance record proposes
	Assessment           assess.Config           // the assessment's figure table, response limit and service score
	EvidenceExpiry       time.Duration           // how long an unfinished evidence upload may be resumed
	EvidenceOrphanAge    time.Duration           // how long evidence waits for its record before it is listed as an orphan
	EvidenceIdle         time.Duration           // how long an upload body may stall before the request ends
	Clock                clock.Clock             // the one clock of every date rule: the machine's
	OtelExporter         string                  // where trace spans go: "" (nowhere), stdout or otlp
	PprofAddr            string                  // loopback host:port of the pprof admin listener; "": off
}

// setting documents one variable; the settings table of docs/OPERATIONS.md
// is this list (TestOperationsSettingsTable).
type setting struct {
	name, def, doc string
	secret         bool // required explicitly when WHISTLE_ENV=production
}

var settings = []setting{
	{"WHISTLE_ENV", "development", "`development` or `production`; production refuses default secrets and the demo data", false},
	{"WHISTLE_ADDR", "127.0.0.1:8080", "host:port the API listens on", false},
	{"WHISTLE_DATABASE_URL", "postgres://whistle:whistle@127.0.0.1:54329/whistle?sslmode=disable", "PostgreSQL URL", true},
	{"WHISTLE_STARTUP_TIMEOUT", "30s", "how long start-up waits for PostgreSQL and the object store", false},
	{"WHISTLE_MIGRATE_ON_START", "true", "apply pending migrations when `serve` starts (under an advisory lock)", false},
	{"WHISTLE_S3_ENDPOINT", "127.0.0.1:59000", "object store host:port (MinIO or any S3 with Object Lock)", false},
	{"WHISTLE_S3_ACCESS_KEY", "whistle", "object store access key", true},
	{"WHISTLE_S3_SECRET_KEY", "whistle-dev-secret", "object store secret key", true},
	{"WHISTLE_S3_USE_TLS", "false", "use HTTPS to reach the object store", false},
	{"WHISTLE_S3_REGION", "us-east-1", "object store region", false},
	{"WHISTLE_S3_PUBLIC_ENDPOINT", "", "the object store as phones reach it, `http://host:port` or `https://host[:port]`, named in presigned download URLs only (the server never calls it); empty: `WHISTLE_S3_ENDPOINT`, which under compose (`minio:9000`) no phone can reach", false},
	{"WHISTLE_EVIDENCE_BUCKET", "whistle-evidence", "bucket for evidence; created with Object Lock if missing", false},
	{"WHISTLE_REQUEST_TIMEOUT", "15s", "deadline of each API request", false},
	{"WHISTLE_SHUTDOWN_TIMEOUT", "20s", "how long in-flight requests may finish after SIGINT/SIGTERM", false},
	{"WHISTLE_BODY_LIMIT", "4194304", "largest accepted request body in bytes (a sync push may carry 4 MiB)", false},
	{"WHISTLE_LOG_LEVEL", "info", "debug, info, warn or error", false},
	{"WHISTLE_OTEL_EXPORTER", "", "OpenTelemetry trace exporter: empty (off), `stdout` (spans as JSON on standard output) or `otlp` (OTLP over HTTP, configured by the standard `OTEL_EXPORTER_OTLP_ENDPOINT` and other `OTEL_EXPORTER_OTLP_*` variables); an incoming W3C `traceparent` is honoured either way", false},
	{"WHISTLE_PPROF_ADDR", "", "loopback host:port (e.g. `127.0.0.1:6060`) of a separate admin listener serving `/debug/pprof/`; empty: off", false},
	{"WHISTLE_SIGNING_KEY", "", "base64 of the server's 32-byte Ed25519 seed (signs tokens, anchored audit heads and export bundles); `make run` keeps one in `.data/signing.key`; without it, development makes a random key at each start (tokens do not outlive the process)", true},
	{"WHISTLE_PUBLIC_KEY", "", "the server's Ed25519 public key, hex or base64 (`whistle archive pubkey`, `GET /v1/signing-key`), with which `whistle archive verify` checks a bundle when `--key` is not given; `serve` does not read it", false},
	{"WHISTLE_ACCESS_TOKEN_TTL", "15m", "lifetime of an access token", false},
	{"WHISTLE_LOCK_MODE", "GOVERNANCE", "Object Lock mode of evidence originals and anchored audit heads: GOVERNANCE (local stack) or COMPLIANCE (recommended in production: not even the root account can delete)", false},
	{"WHISTLE_LOCK_RETENTION", "87600h", "how long evidence originals (from verification) and anchored audit heads stay locked (default 10 years)", false},
	{"WHISTLE_EVIDENCE_UPLOAD_EXPIRY", "24h", "how long an unfinished evidence upload may be resumed (tus Upload-Expires)", false},
	{"WHISTLE_EVIDENCE_ORPHAN_AGE", "72h", "how long evidence may wait for its record before team leaders see it listed as an orphan", false},
	{"WHISTLE_EVIDENCE_IDLE_TIMEOUT", "30s", "how long an evidence upload body may stall before the request ends (what arrived is kept; the phone resumes)", false},
	{"WHISTLE_AUDIT_ANCHOR_INTERVAL", "10m", "how often `serve` (a periodic River job) signs the audit chain heads that moved into the evidence bucket; bounds what a database superuser can delete unnoticed; 0 turns it off", false},
	{"WHISTLE_EVIDENCE_RECHECK_INTERVAL", "1h", "how often `serve` (a periodic River job) re-hashes up to 500 stored originals, by their verified version; a mismatch or a missing version is an integrity failure on the custody log and the trail; 0 turns it off", false},
	{"WHISTLE_EVIDENCE_RECHECK_AGE", "720h", "how long an original goes without a re-hash before it is due again (the least recently checked go first)", false},
	{"WHISTLE_MIN_PULL_APP_VERSION", "", "apps older than this semantic version (e.g. `1.2.0`; `1.2.0-rc.1` is older than `1.2.0`) may still push but must update before they pull (empty: any)", false},
	{"WHISTLE_SYNC_TOMBSTONE_RETENTION", "720h", "how long sync keeps deletions for devices to pull; older cursors re-bootstrap", false},
	{"WHISTLE_IDEMPOTENCY_RETENTION", "24h", "how long the answer of an online create sent with an `Idempotency-Key` is kept for replay (purged hourly by a River job)", false},
	{"WHISTLE_SYNC_RETRY_LIMIT", "5", "how many pushes in a row one act may fail transiently (verdict `retry`) before it is rejected with `retry_exhausted`, so that a device's queue always drains", false},
	{"WHISTLE_CASE_MAX_OPEN", "0", "open cases at which an officer is passed over by case routing (`OVERLOADED`); 0: no limit", false},
	{"WHISTLE_CASE_UNAVAILABLE_KINDS", "leave,training,sick,other", "kinds of officer absence (`leave`, `training`, `sick`, `other`; comma-separated) that make an officer unavailable to case routing (`ON_LEAVE`); absences are recorded at `/v1/officers/{code}/absences`", false},
	{"WHISTLE_CASE_DUPLICATE_RADIUS", "100", "metres within which an intake of the same matter as an open case is offered for merging (`case_duplicates`)", false},
	{"WHISTLE_CASE_DUPLICATE_WINDOW", "168h", "how far back open cases count as duplicates of an intake", false},
	{"WHISTLE_REVIEW_GRANT_PERIODS", "", "how long the review grant of a department routed a case lasts, per department, comma-separated `department=period` (e.g. `cg=30d,sj=14d`; days `30d` or a duration `36h`); departments not named get `WHISTLE_REVIEW_GRANT_DEFAULT`. The team leader may extend a grant", false},
	{"WHISTLE_REVIEW_GRANT_DEFAULT", "30d", "how long a department's review grant lasts when `WHISTLE_REVIEW_GRANT_PERIODS` names no period for it (days `30d` or a duration `36h`)", false},
	{"WHISTLE_CALENDAR_FILE", "", "JSON file of public holidays and weekend working days for legal periods (`{\"covered_until\":\"YYYY-MM-DD\",\"holidays\":[...],\"workdays\":[...]}`; `covered_until`, the last day the file knows every holiday and working day of, is required: periods ending after it are flagged `CALENDAR_NOT_COVERED`); empty: the built-in calendar of mainland China", false},
	{"WHISTLE_DEADLINE_PERIODS", "decision=90d,service=7wd,payment=15d,seizure=30d,seizure_extension=30d,emergency_report=24h", "periods of the statutory deadlines, comma-separated `kind=period` (every department) or `department.kind=period` (one department's, e.g. `cg.decision=60d`); a period is days (`90d`, a last day off work moves to the next working day), working days (`7wd`, on the calendar of `WHISTLE_CALENDAR_FILE`) or hours (`24h`); kinds not given keep the law's period shown here (处罚法 arts 60, 61, 67, 85; 强制法 arts 19, 25); a work order's limit is on the order", false},
	{"WHISTLE_DEADLINE_DUE_SOON", "72h", "an open statutory deadline due within this window is listed as due soon (`GET /v1/deadlines?state=due_soon`)", false},
	{"WHISTLE_ARCHIVE_RULES_FILE", "", "JSON file of the rules of the archive's completeness check (`{\"rules\":[{\"code\",\"mandatory\",\"weight\",\"basis\",\"title\":{\"zh\",\"en\"},\"applies_to\":[outcomes]}]}`; codes: records_approved, evidence_verified, onsite_signed, decision_served, seizures_resolved, deadlines_met, legal_review_done, rights_notified, evidence_review_answered; outcomes: penalty, no_penalty, transferred, withdrawn); empty: the built-in rules (`backend/archive/rules.json`)", false},
	{"WHISTLE_WHISTLE_DEADLINES", whistle.DefaultDeadlinesSpec, "how long after its call each step of a department's report (报到) is due, per whistle type, comma-separated `type=duration` (the type's response deadline: the `ack` step) or `type.step=duration` (`ack`, `arrive`, `finish`), durations as `30m`, `2h`, `168h`; types emergency 应急哨, key 重点哨, regular 常规哨; steps not given keep the defaults shown, and may not come before the previous step's; a step not done by its due instant is escalated (River job `whistle.escalate`)", false},
	{"WHISTLE_WHISTLE_NUMBER_FORMAT", whistle.DefaultNumberFormat, "format of whistle numbers, gapless per street and year (Asia/Shanghai), with the placeholders of `WHISTLE_ARCHIVE_NUMBER_FORMAT`", false},
	{"WHISTLE_ASSESS_FILE", "", "JSON file of the departments' assessment (`{\"response_within\":\"24h\",\"figures\":[...],\"score\":{\"points\",\"basis\",\"items\":[...]}}`; a figure is `{\"code\",\"kind\",\"available\",\"title\":{\"zh\",\"en\"},\"definition\",\"source\"}` with `counts` (measured: count, median_seconds, p90_seconds), `numerator` and `denominator` (rate) or `parts` (composite); a score item is `{\"code\",\"title\",\"figure\",\"weight\",\"when_no_data\"}`): the figures, the rates' formulas, the composite's and the service score's weights; a measured figure marked available must be one the server measures; empty: the built-in table (`backend/assess/figures.json`)", false},
	{"WHISTLE_ARCHIVE_NUMBER_FORMAT", archive.DefaultNumberFormat, "format of archive numbers, gapless per street and year (Asia/Shanghai): `{street}` (the street's name without 街道), `{street_code}`, `{year}`, `{seq}` (required; `{seq:04}` pads it to 4 digits)", false},
	{"WHISTLE_PERFORMANCE_POINTS", "", "points of the events of seconded officers' performance records (实绩档案), comma-separated `kind=points` over the defaults `case_concluded_on_time=2,deadline_escalated=3,evidence_review_returned=2,inspection_returned=1,commendation=5,complaint=5,other=1` (magnitudes: the polarity gives the sign; 0 turns an automatic kind off; a manual kind's points are the default of an event recorded without its own, at most 20)", false},
	{"WHISTLE_PERFORMANCE_GRADES", "excellent=30,competent=0,basically_competent=-10", "lowest net points of each grade of the rating a performance record proposes to the home department (优秀、称职、基本称职; below the last: 不称职), falling from excellent to basically_competent", false},
}

// LoadConfig reads and validates the configuration. Its error names the
// variable at fault in one line.
func LoadConfig(getenv func(string) string) (Config, error) {
	get := func(name string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		for _, s := range settings {
			if s.name == name {
				return s.def
			}
		}
		panic("unknown setting " + name)
	}
	var c Config
	var err error
	c.Env = get("WHISTLE_ENV")
	if c.Env != "development" && c.Env != "production" {
		return c, fmt.Errorf("WHISTLE_ENV: %q is neither development nor production", c.Env)
	}
	if c.Env == "production" {
		for _, s := range settings {
			if s.secret && strings.TrimSpace(getenv(s.name)) == "" {
				return c, fmt.Errorf("%s: required when WHISTLE_ENV=production (%s)", s.name, s.doc)
			}
		}
	}
	c.Addr = get("WHISTLE_ADDR")
	if err := checkAddr(c.Addr); err != nil {
		return c, fmt.Errorf("WHISTLE_ADDR: %w", err)
	}
	c.DatabaseURL = get("WHISTLE_DATABASE_URL")
	if !strings.HasPrefix(c.DatabaseURL, "postgres://") && !strings.HasPrefix(c.DatabaseURL, "postgresql://") {
		return c, fmt.Errorf("WHISTLE_DATABASE_URL: must be a postgres:// URL")
	}
	durations := []struct {
		name string
		dst  *time.Duration
	}{
		{"WHISTLE_STARTUP_TIMEOUT", &c.StartupTimeout},
		{"WHISTLE_REQUEST_TIMEOUT", &c.RequestTimeout},
		{"WHISTLE_SHUTDOWN_TIMEOUT", &c.ShutdownTimeout},
		{"WHISTLE_ACCESS_TOKEN_TTL", &c.AccessTokenTTL},
		{"WHISTLE_LOCK_RETENTION", &c.LockRetention},
		{"WHISTLE_SYNC_TOMBSTONE_RETENTION", &c.TombstoneRetention},
		{"WHISTLE_IDEMPOTENCY_RETENTION", &c.IdempotencyRetention},
		{"WHISTLE_EVIDENCE_UPLOAD_EXPIRY", &c.EvidenceExpiry},
		{"WHISTLE_EVIDENCE_ORPHAN_AGE", &c.EvidenceOrphanAge},
		{"WHISTLE_EVIDENCE_IDLE_TIMEOUT", &c.EvidenceIdle},
		{"WHISTLE_DEADLINE_DUE_SOON", &c.Deadlines.DueSoon},
	}
	for _, d := range durations {
		v := get(d.name)
		*d.dst, err = time.ParseDuration(v)
		if err != nil || *d.dst <= 0 {
			return c, fmt.Errorf("%s: %q is not a positive duration such as 30s or 5m", d.name, v)
		}
	}
	c.Clock = clock.System()
	c.MinPullAppVersion = get("WHISTLE_MIN_PULL_APP_VERSION")
	if c.MinPullAppVersion != "" {
		if _, err := wsync.ParseAppVersion(c.MinPullAppVersion); err != nil {
			return c, fmt.Errorf("WHISTLE_MIN_PULL_APP_VERSION: %w", err)
		}
	}
	maxOpen := get("WHISTLE_CASE_MAX_OPEN")
	if c.Cases.MaxOpenCases, err = strconv.Atoi(maxOpen); err != nil || c.Cases.MaxOpenCases < 0 {
		return c, fmt.Errorf("WHISTLE_CASE_MAX_OPEN: %q is not a whole number of at least 0", maxOpen)
	}
	if c.Cases.UnavailableKinds, err = org.ParseAbsenceKinds(get("WHISTLE_CASE_UNAVAILABLE_KINDS")); err != nil {
		return c, fmt.Errorf("WHISTLE_CASE_UNAVAILABLE_KINDS: %w", err)
	}
	radius := get("WHISTLE_CASE_DUPLICATE_RADIUS")
	if c.Cases.DuplicateRadiusM, err = strconv.ParseFloat(radius, 64); err != nil || !(c.Cases.DuplicateRadiusM > 0) || math.IsInf(c.Cases.DuplicateRadiusM, 1) {
		return c, fmt.Errorf("WHISTLE_CASE_DUPLICATE_RADIUS: %q is not a positive number of metres", radius)
	}
	window := get("WHISTLE_CASE_DUPLICATE_WINDOW")
	if c.Cases.DuplicateWindow, err = time.ParseDuration(window); err != nil || c.Cases.DuplicateWindow <= 0 {
		return c, fmt.Errorf("WHISTLE_CASE_DUPLICATE_WINDOW: %q is not a positive duration", window)
	}
	if c.Cases.ReviewGrants.ByDepartment, err = grant.ParsePeriods(get("WHISTLE_REVIEW_GRANT_PERIODS")); err != nil {
		return c, fmt.Errorf("WHISTLE_REVIEW_GRANT_PERIODS: %w", err)
	}
	if c.Cases.ReviewGrants.Default, err = grant.ParsePeriod(get("WHISTLE_REVIEW_GRANT_DEFAULT")); err != nil {
		return c, fmt.Errorf("WHISTLE_REVIEW_GRANT_DEFAULT: %w", err)
	}
	retries := get("WHISTLE_SYNC_RETRY_LIMIT")
	c.SyncRetryLimit, err = strconv.Atoi(retries)
	if err != nil || c.SyncRetryLimit < 1 {
		return c, fmt.Errorf("WHISTLE_SYNC_RETRY_LIMIT: %q is not a whole number of at least 1", retries)
	}
	c.Calendar = inspection.DefaultCalendar()
	if f := get("WHISTLE_CALENDAR_FILE"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return c, fmt.Errorf("WHISTLE_CALENDAR_FILE: %w", err)
		}
		if c.Calendar, err = inspection.ParseCalendar(b); err != nil {
			return c, fmt.Errorf("WHISTLE_CALENDAR_FILE: %w", err)
		}
	}
	if c.ArchiveRules, err = archive.LoadRules(get("WHISTLE_ARCHIVE_RULES_FILE")); err != nil {
		return c, fmt.Errorf("WHISTLE_ARCHIVE_RULES_FILE: %w", err)
	}
	if c.Assessment, err = assess.LoadConfig(get("WHISTLE_ASSESS_FILE")); err != nil {
		return c, fmt.Errorf("WHISTLE_ASSESS_FILE: %w", err)
	}
	if c.ArchiveNumber, err = numbering.Parse(get("WHISTLE_ARCHIVE_NUMBER_FORMAT"), archive.DefaultNumberFormat); err != nil {
		return c, fmt.Errorf("WHISTLE_ARCHIVE_NUMBER_FORMAT: %w", err)
	}
	if c.PerformancePoints, err = assess.ParsePoints(get("WHISTLE_PERFORMANCE_POINTS")); err != nil {
		return c, fmt.Errorf("WHISTLE_PERFORMANCE_POINTS: %w", err)
	}
	if c.PerformanceGrades, err = assess.ParseGrades(get("WHISTLE_PERFORMANCE_GRADES")); err != nil {
		return c, fmt.Errorf("WHISTLE_PERFORMANCE_GRADES: %w", err)
	}
	if c.WhistleDeadlines, err = whistle.ParseDeadlines(get("WHISTLE_WHISTLE_DEADLINES")); err != nil {
		return c, fmt.Errorf("WHISTLE_WHISTLE_DEADLINES: %w", err)
	}
	if c.WhistleNumber, err = numbering.Parse(get("WHISTLE_WHISTLE_NUMBER_FORMAT"), whistle.DefaultNumberFormat); err != nil {
		return c, fmt.Errorf("WHISTLE_WHISTLE_NUMBER_FORMAT: %w", err)
	}
	if c.Deadlines, err = casework.ParseDeadlinePolicy(get("WHISTLE_DEADLINE_PERIODS"), c.Deadlines.DueSoon); err != nil {
		return c, fmt.Errorf("WHISTLE_DEADLINE_PERIODS: %w", err)
	}
	c.LockMode = strings.ToUpper(get("WHISTLE_LOCK_MODE"))
	if c.LockMode != "GOVERNANCE" && c.LockMode != "COMPLIANCE" {
		return c, fmt.Errorf("WHISTLE_LOCK_MODE: %q is neither GOVERNANCE nor COMPLIANCE", c.LockMode)
	}
	v := get("WHISTLE_AUDIT_ANCHOR_INTERVAL")
	if c.AnchorInterval, err = time.ParseDuration(v); err != nil || c.AnchorInterval < 0 {
		return c, fmt.Errorf("WHISTLE_AUDIT_ANCHOR_INTERVAL: %q is not a duration such as 1h (0 turns anchoring off)", v)
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{
		{"WHISTLE_EVIDENCE_RECHECK_INTERVAL", &c.RecheckInterval},
		{"WHISTLE_EVIDENCE_RECHECK_AGE", &c.RecheckAge},
	} {
		v := get(d.name)
		if *d.dst, err = time.ParseDuration(v); err != nil || *d.dst < 0 {
			return c, fmt.Errorf("%s: %q is not a duration such as 1h", d.name, v)
		}
	}
	bools := []struct {
		name string
		dst  *bool
	}{
		{"WHISTLE_MIGRATE_ON_START", &c.MigrateOnStart},
		{"WHISTLE_S3_USE_TLS", &c.S3.UseTLS},
	}
	for _, b := range bools {
		v := get(b.name)
		*b.dst, err = strconv.ParseBool(v)
		if err != nil {
			return c, fmt.Errorf("%s: %q is not true or false", b.name, v)
		}
	}
	c.S3.Endpoint = get("WHISTLE_S3_ENDPOINT")
	if err := checkAddr(c.S3.Endpoint); err != nil {
		return c, fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err)
	}
	c.S3.AccessKey = get("WHISTLE_S3_ACCESS_KEY")
	c.S3.SecretKey = get("WHISTLE_S3_SECRET_KEY")
	c.S3.Region = get("WHISTLE_S3_REGION")
	c.S3.Bucket = get("WHISTLE_EVIDENCE_BUCKET")
	if n := len(c.S3.Bucket); n < 3 || n > 63 || strings.Trim(c.S3.Bucket, "abcdefghijklmnopqrstuvwxyz0123456789-.") != "" {
		return c, fmt.Errorf("WHISTLE_EVIDENCE_BUCKET: %q is not a valid S3 bucket name (3-63 of a-z 0-9 . -)", c.S3.Bucket)
	}
	if p := get("WHISTLE_S3_PUBLIC_ENDPOINT"); p != "" {
		u, err := url.Parse(p)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
			return c, fmt.Errorf("WHISTLE_S3_PUBLIC_ENDPOINT: %q is not http://host:port or https://host[:port] without a path", p)
		}
		c.S3.PublicEndpoint, c.S3.PublicUseTLS = u.Host, u.Scheme == "https"
	}
	c.OtelExporter = get("WHISTLE_OTEL_EXPORTER")
	switch c.OtelExporter {
	case telemetry.ExporterNone, telemetry.ExporterStdout, telemetry.ExporterOTLP:
	default:
		return c, fmt.Errorf("WHISTLE_OTEL_EXPORTER: %q is neither otlp, stdout nor empty", c.OtelExporter)
	}
	c.PprofAddr = get("WHISTLE_PPROF_ADDR")
	if c.PprofAddr != "" {
		if err := checkLoopback(c.PprofAddr); err != nil {
			return c, fmt.Errorf("WHISTLE_PPROF_ADDR: %w", err)
		}
	}
	limit := get("WHISTLE_BODY_LIMIT")
	c.BodyLimit, err = strconv.Atoi(limit)
	if err != nil || c.BodyLimit < 1024 {
		return c, fmt.Errorf("WHISTLE_BODY_LIMIT: %q is not a byte count of at least 1024", limit)
	}
	lvl := get("WHISTLE_LOG_LEVEL")
	if err := c.LogLevel.UnmarshalText([]byte(lvl)); err != nil {
		return c, fmt.Errorf("WHISTLE_LOG_LEVEL: %q is not debug, info, warn or error", lvl)
	}
	if k := get("WHISTLE_SIGNING_KEY"); k != "" {
		seed, err := base64.StdEncoding.DecodeString(k)
		if err != nil || len(seed) != ed25519.SeedSize {
			return c, fmt.Errorf("WHISTLE_SIGNING_KEY: not the base64 of a %d-byte Ed25519 seed (make one with `whistle keygen`)", ed25519.SeedSize)
		}
		c.SigningKey = ed25519.NewKeyFromSeed(seed)
	} else {
		// Development only (production requires the variable): a key of
		// this process alone, never one published with the code.
		_, c.SigningKey, err = ed25519.GenerateKey(rand.Reader)
		if err != nil {
			return c, fmt.Errorf("WHISTLE_SIGNING_KEY: generate a development key: %w", err)
		}
	}
	return c, nil
}

// checkLoopback accepts host:port on a loopback address only: profiles
// show the process's memory and must not be served to the network.
func checkLoopback(addr string) error {
	if err := checkAddr(addr); err != nil {
		return err
	}
	host, _, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); host != "localhost" && (ip == nil || !ip.IsLoopback()) {
		return fmt.Errorf("%q is not on a loopback address (127.0.0.1, ::1 or localhost)", addr)
	}
	return nil
}

// checkAddr accepts host:port with a numeric port in 0-65535.
func checkAddr(addr string) error {
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%q is not host:port (e.g. 127.0.0.1:8080)", addr)
	}
	n, err := strconv.Atoi(port)
	if err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%q has no valid port number (0-65535)", addr)
	}
	return nil
}
