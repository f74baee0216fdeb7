package api_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/jobs"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/backend/telemetry"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
	"github.com/whistle/whistle/openapi"
	wsync "github.com/whistle/whistle/sync"
)

// fixture is an API over its own database and bucket.
type fixture struct {
	app    *fiber.App
	client *apitest.Client
	db     *postgres.DB
	users  *postgres.UserStore
	org    *postgres.OrgStore
	hasher argon2id.Hasher
	bucket *media.Store
	// evidence is the media service of evidence (see evidence_test.go).
	evidence      *media.Service
	evidenceStore *postgres.EvidenceStore
	// jobs are the River jobs of the fixture, worked by workJobs.
	jobs       *jobs.Jobs
	minPullApp string
	// now is the clock of every service of the fixture (the suite's, from
	// pgtest); story reads dates of the demo's story as loaded on its day.
	now   clock.Clock
	shift *atomic.Int64 // how far advance moved now
	story demo.Story
	// tracing records the spans of the API, its SQL and its S3 calls.
	tracing trace.TracerProvider
	logs    io.Writer // the API's log lines; io.Discard unless options.logs
}

type options struct {
	objects api.Pinger // overrides the object store checked by /readyz
	timeout time.Duration
	demo    bool // load the demo data set
	// minPullApp: apps older than this may push but not pull.
	minPullApp string
	// tracing, if set, traces requests, SQL and S3 calls (tracing_test.go).
	tracing trace.TracerProvider
	logs    io.Writer // receives the API's log lines
	// publicS3 is the object store's public endpoint (host:port, plain
	// HTTP), named in presigned URLs.
	publicS3 string
}

// trailKey signs anchored audit heads in tests.
var _, trailKey, _ = ed25519.GenerateKey(rand.Reader)

// testHasher is the cheap password hasher of the tests.
var testHasher = pgtest.Hasher

func newFixture(t *testing.T, opt options) *fixture {
	t.Helper()
	db, _ := pgtest.New(t)
	// The suite's clock, which advance moves forward (a whistle's deadlines run out).
	shift, base := new(atomic.Int64), db.Clock
	db.Clock = func() time.Time { return base().Add(time.Duration(shift.Load())) }
	bucket := mediatest.New(t)
	if opt.tracing != nil || opt.publicS3 != "" {
		bucket = reopenBucket(t, bucket, func(cfg *media.Config) {
			cfg.Tracing, cfg.PublicEndpoint = opt.tracing, opt.publicS3
		})
	}
	if opt.tracing != nil {
		if err := telemetry.TraceGORM(db.Gorm, opt.tracing); err != nil {
			t.Fatal(err)
		}
	}
	var objects api.Pinger = bucket
	if opt.objects != nil {
		objects = opt.objects
	}
	if opt.timeout == 0 {
		opt.timeout = 5 * time.Second
	}
	users := postgres.NewUserStore(db)
	orgs := postgres.NewOrgStore(db)
	if opt.demo {
		pgtest.LoadDemo(t, db)
	}
	f := &fixture{db: db, users: users, org: orgs, hasher: testHasher, bucket: bucket,
		now: db.Clock, shift: shift, story: demo.StoryOn(db.Clock.Today())}
	f.minPullApp = opt.minPullApp
	f.tracing, f.logs = opt.tracing, opt.logs
	if f.logs == nil {
		f.logs = io.Discard
	}
	f.build(t, evidenceConfig{}, time.Hour, opt.timeout, objects)
	return f
}

// build makes the fixture's API over its database and bucket: at first, and
// again to act as a restarted instance or another machine.
func (f *fixture) build(t *testing.T, evidenceCfg evidenceConfig, orphanAge, timeout time.Duration, objects api.Pinger) {
	t.Helper()
	syncStore := postgres.NewSyncStore(f.db)
	inspectionStore := postgres.NewInspectionStore(f.db)
	inspections := inspection.NewService(inspectionStore, f.org, inspection.DefaultCalendar(), f.now)
	inspections.SetWise(inspectionStore) // as serve wires it
	cases := casework.NewService(postgres.NewCaseStore(f.db), f.org, f.now, casework.Config{})
	inspections.OnApproved(f.db.InTx, cases.ApprovalHook(uuid.NewString)) // as serve wires it
	grantStore := postgres.NewGrantStore(f.db)
	grants := grant.NewService(grantStore, f.org, f.now)
	cases.ReviewedUnder(grants)
	inspections.ReviewedUnder(grants)
	evidenceCfg.Index = inspections
	ev, evidenceStore := newEvidenceWith(t, f.db, f.bucket, evidenceCfg)
	ev.OrphanAge = orphanAge
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewDBStatsCollector(f.db.SQL, "whistle"), postgres.NewMetrics(f.db))
	logs := f.logs
	if logs == nil { // a restarted fixture
		logs = io.Discard
	}
	// As serve wires it: pushes applied set-wise first.
	handlers := inspection.SyncHandlers(inspections)
	maps.Copy(handlers, casework.SyncHandlers(cases))
	reviews := review.NewService(postgres.NewEvidenceReviewStore(f.db), cases, f.org, f.now)
	maps.Copy(handlers, review.SyncHandlers(reviews))
	whistles := whistle.NewService(postgres.NewWhistleStore(f.db), f.org, whistle.DefaultDeadlines(), numbering.MustParse(whistle.DefaultNumberFormat),
		numbering.YearOf, f.now, uuid.NewString)
	maps.Copy(handlers, whistle.SyncHandlers(whistles))
	syncService := wsync.NewService(syncStore, handlers, f.now)
	syncService.SetWise(inspections.SyncBatcher(inspectionStore))
	assessment, err := assess.NewService(postgres.NewAssessStore(f.db), f.org, assess.DefaultConfig(), f.now)
	if err != nil {
		t.Fatal(err)
	}
	app, err := api.New(api.Config{
		Assess:    assessment,
		Logger:    slog.New(api.NewLogHandler(slog.NewJSONHandler(logs, nil))),
		Now:       f.now,
		Identity:  pgtest.Identity(t, f.db),
		Users:     f.users,
		Passwords: testHasher,
		Org:       f.org,
		Trail: api.Trail{Store: postgres.NewAuditStore(f.db), Sink: f.bucket, Key: trailKey,
			LockMode: media.Governance, Retention: time.Hour},
		Sync: api.Sync{Service: syncService,
			Devices: postgres.NewSessionStore(f.db), Reports: syncStore, MinPullAppVersion: f.minPullApp},
		Inspections: api.Inspections{Service: inspections, Blocks: inspectionStore},
		Cases:       api.Cases{Service: cases},
		Reviews:     api.EvidenceReviews{Service: reviews},
		Whistles:    api.Whistles{Service: whistles},
		Review:      api.Review{Service: grants, Evidence: grantStore, LinkKey: api.LinkKey(trailKey.Seed())},
		Evidence:    ev,
		Deadlines:   postgres.NewDeadlineStore(f.db),
		Bundles:     postgres.NewBundleStore(f.db),
		Archives: archive.NewService(postgres.NewArchiveStore(f.db), f.org, archive.DefaultRules(),
			numbering.Format{}, f.now),
		Performance: api.Performance{Store: postgres.NewPerformanceStore(f.db)},
		Dependencies: []api.Dependency{
			{Name: "postgres", Check: f.db},
			{Name: "object_store", Check: objects},
		},
		Registry:       reg,
		RequestTimeout: timeout,
		BodyLimit:      64 << 10,
		Idempotency:    postgres.NewIdempotencyStore(f.db),
		Tracing:        f.tracing,
	})
	if err != nil {
		t.Fatal(err)
	}
	f.app, f.client, f.evidence, f.evidenceStore = app, apitest.New(t, app), ev.Media, evidenceStore
	f.jobs, err = jobs.New(jobs.Config{DB: f.db.SQL, Now: f.now, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Thumbnails: ev.Media, Deadlines: postgres.NewDeadlineStore(f.db), Whistles: postgres.NewWhistleStore(f.db), RetryBase: time.Millisecond, FetchPollInterval: 20 * time.Millisecond, TestOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	f.db.Jobs = f.jobs
}

// advance moves the fixture's clock forward by d: every service, River and the tokens see it.
// Access tokens issued before may expire: log in again after.
func (f *fixture) advance(d time.Duration) { f.shift.Add(int64(d)) }

// workJobs works the fixture's River jobs until none is left to run,
// retries included; a job scheduled after the fixture's clock (a deadline's
// escalation, due days ahead) is not due, so it is not waited for.
func (f *fixture) workJobs(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := f.jobs.Start(ctx); err != nil {
		t.Fatal(err)
	}
	defer func() {
		if err := f.jobs.Stop(ctx); err != nil {
			t.Fatal(err)
		}
	}()
	for {
		var left int
		if err := f.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM river_job WHERE state NOT IN ('completed', 'discarded', 'cancelled')
			AND NOT (state = 'scheduled' AND scheduled_at > $1)`, f.now()).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if left == 0 {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%d job(s) still to run", left)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func (f *fixture) addUser(t *testing.T, username, password string, role org.Role) identity.User {
	t.Helper()
	hash, err := f.hasher.Hash(password)
	if err != nil {
		t.Fatal(err)
	}
	u, err := f.users.PutUser(context.Background(), identity.User{Username: username, DisplayName: username, Role: role, PasswordHash: hash})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (f *fixture) login(t *testing.T, username, password string) string {
	t.Helper()
	res := f.client.PostJSON("/v1/auth/login", `{"username":"`+username+`","password":"`+password+`"}`, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login %s: %d %s", username, res.Status, res.Body)
	}
	var s openapi.Session
	res.JSON(t, &s)
	return s.AccessToken
}

func TestHealthz(t *testing.T) {
	f := newFixture(t, options{})
	res := f.client.Get("/healthz", "")
	if res.Status != http.StatusOK || !strings.Contains(string(res.Body), `"ok"`) {
		t.Fatalf("healthz: %d %s", res.Status, res.Body)
	}
}

func TestReadyz(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFixture(t, options{})
		res := f.client.Get("/readyz", "")
		if res.Status != http.StatusOK {
			t.Fatalf("readyz: %d %s", res.Status, res.Body)
		}
		var r openapi.Readiness
		res.JSON(t, &r)
		got := map[openapi.CheckName]bool{}
		for _, c := range r.Checks {
			got[c.Name] = c.Ok
		}
		if !got[openapi.Postgres] || !got[openapi.ObjectStore] || len(got) != 2 {
			t.Fatalf("checks = %+v, want postgres and object_store both ok", r.Checks)
		}
	})
	t.Run("ErrObjectStoreDown", func(t *testing.T) {
		// A real client pointed at a port where nothing listens.
		down, err := media.New(media.Config{Endpoint: "127.0.0.1:1", AccessKey: "x", SecretKey: "xxxxxxxx", Region: "us-east-1", Bucket: "nothing"})
		if err != nil {
			t.Fatal(err)
		}
		f := newFixture(t, options{objects: down})
		res := f.client.Get("/readyz", "")
		res.Problem(t, http.StatusServiceUnavailable, "dependency_unavailable")
		checks := readinessChecks(t, res)
		if !checks["postgres"] || checks["object_store"] {
			t.Fatalf("checks = %v, want postgres up and object_store down", checks)
		}
		// Liveness does not depend on the object store.
		if res := f.client.Get("/healthz", ""); res.Status != http.StatusOK {
			t.Fatalf("healthz while object store down: %d", res.Status)
		}
	})
	t.Run("ErrPostgresDown", func(t *testing.T) {
		f := newFixture(t, options{})
		f.db.Close()
		res := f.client.Get("/readyz", "")
		res.Problem(t, http.StatusServiceUnavailable, "dependency_unavailable")
		checks := readinessChecks(t, res)
		if checks["postgres"] || !checks["object_store"] {
			t.Fatalf("checks = %v, want postgres down and object_store up", checks)
		}
	})
}

func readinessChecks(t *testing.T, res *apitest.Response) map[string]bool {
	t.Helper()
	var body struct {
		Checks []struct {
			Name  string  `json:"name"`
			OK    bool    `json:"ok"`
			Error *string `json:"error"`
		} `json:"checks"`
	}
	res.JSON(t, &body)
	// /readyz is unauthenticated: no driver error reaches the caller.
	for _, leak := range []string{"127.0.0.1", "dial", "refused", "sql:", "closed", "connect"} {
		if strings.Contains(string(res.Body), leak) {
			t.Fatalf("readyz body leaks %q: %s", leak, res.Body)
		}
	}
	out := map[string]bool{}
	for _, c := range body.Checks {
		if !c.OK && (c.Error == nil || *c.Error != "unreachable" && *c.Error != "timeout") {
			t.Fatalf("check %s is down with error %v, want unreachable or timeout", c.Name, c.Error)
		}
		out[c.Name] = c.OK
	}
	return out
}

func TestMetrics(t *testing.T) {
	f := newFixture(t, options{})
	f.client.Get("/healthz", "")
	f.client.Get("/healthz", "")
	f.client.PostJSON("/v1/auth/login", `{`, "")
	f.client.Get("/no/such/route/1", "")
	f.client.Get("/no/such/route/2", "")
	res := f.client.Get("/metrics", "")
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d", res.Status)
	}
	body := string(res.Body)
	for _, want := range []string{
		`whistle_http_requests_total{method="GET",route="/healthz",status="200"} 2`,
		`whistle_http_requests_total{method="POST",route="/v1/auth/login",status="400"} 1`,
		`whistle_http_request_duration_seconds_bucket{method="GET",route="/healthz",status="200",le="+Inf"} 2`,
		`go_sql_max_open_connections{db_name="whistle"}`,
		// Unknown paths share one label, so scanners cannot blow up cardinality.
		`whistle_http_requests_total{method="GET",route="unmatched",status="404"} 2`,
	} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %q", want)
		}
	}
}

func TestOpenAPIAndDocs(t *testing.T) {
	f := newFixture(t, options{})
	res := f.client.Get("/openapi.yaml", "")
	if res.Status != http.StatusOK || string(res.Body) != string(openapi.Spec) {
		t.Fatalf("openapi.yaml: %d, %d bytes, want the embedded spec", res.Status, len(res.Body))
	}
	res = f.client.Get("/docs", "")
	page := string(res.Body)
	if res.Status != http.StatusOK || !strings.Contains(page, "/v1/auth/login") || !strings.Contains(page, "LoginRequest") {
		t.Fatalf("docs: %d, page lacks operations or schemas", res.Status)
	}
	// Closed networks: the page must not load anything from elsewhere.
	for _, external := range []string{"<script", "src=\"http", "href=\"http", "@import"} {
		if strings.Contains(page, external) {
			t.Errorf("docs page contains %q", external)
		}
	}
}

func TestLogin(t *testing.T) {
	f := newFixture(t, options{})
	f.addUser(t, "li.ming", "s3cret-pass", org.RoleOfficer)
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"OK", `{"username":"li.ming","password":"s3cret-pass"}`, 200, "", ""},
		{"ErrWrongPassword", `{"username":"li.ming","password":"nope"}`, 401, "unauthenticated", ""},
		{"ErrUnknownUser", `{"username":"nobody","password":"s3cret-pass"}`, 401, "unauthenticated", ""},
		{"ErrMalformedJSON", `{"username":"li.ming",`, 400, "bad_request", "body"},
		{"ErrMissingPassword", `{"username":"li.ming"}`, 400, "bad_request", "/password"},
		{"ErrUnknownField", `{"username":"li.ming","password":"x","admin":true}`, 400, "bad_request", "/admin"},
		{"ErrWrongType", `{"username":42,"password":"x"}`, 400, "bad_request", "/username"},
		{"ErrEmptyUsername", `{"username":"","password":"x"}`, 400, "bad_request", "/username"},
		{"ErrNotAnObject", `[]`, 400, "bad_request", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.PostJSON("/v1/auth/login", tt.body, "")
			if tt.wantStatus == http.StatusOK {
				if res.Status != http.StatusOK {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var s openapi.Session
				res.JSON(t, &s)
				if s.AccessToken == "" || s.ExpiresIn != 900 {
					t.Fatalf("session = %+v", s)
				}
				return
			}
			p := res.Problem(t, tt.wantStatus, tt.wantCode)
			if tt.wantField != "" {
				found := false
				for _, e := range p.Errors {
					found = found || e.Field == tt.wantField
				}
				if !found {
					t.Fatalf("problem does not name field %s: %+v", tt.wantField, p.Errors)
				}
			}
		})
	}
	t.Run("ErrSameAnswerForUnknownAndWrong", func(t *testing.T) {
		a := f.client.PostJSON("/v1/auth/login", `{"username":"li.ming","password":"nope"}`, "").Problem(t, 401, "unauthenticated")
		b := f.client.PostJSON("/v1/auth/login", `{"username":"nobody","password":"nope"}`, "").Problem(t, 401, "unauthenticated")
		if a.Detail != b.Detail {
			t.Fatalf("login failures differ (%q vs %q): they reveal which usernames exist", a.Detail, b.Detail)
		}
	})
	t.Run("ErrDisabled", func(t *testing.T) {
		u := f.addUser(t, "wang.fang", "pw-123456", org.RoleOfficer)
		now := f.now()
		u.DisabledAt = &now
		if _, err := f.users.PutUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		f.client.PostJSON("/v1/auth/login", `{"username":"wang.fang","password":"pw-123456"}`, "").Problem(t, 401, "unauthenticated")
	})
}

func TestGetMe(t *testing.T) {
	f := newFixture(t, options{})
	u := f.addUser(t, "zhao.lei", "pw-zhao-lei", org.RoleTeamLeader)
	token := f.login(t, "zhao.lei", "pw-zhao-lei")
	t.Run("OK", func(t *testing.T) {
		var me openapi.Me
		res := f.client.Get("/v1/me", token)
		if res.Status != http.StatusOK {
			t.Fatalf("status %d: %s", res.Status, res.Body)
		}
		res.JSON(t, &me)
		if me.Id.String() != u.ID || me.Role != openapi.RoleTeamLeader || me.Username != "zhao.lei" {
			t.Fatalf("me = %+v", me)
		}
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		res := f.client.Get("/v1/me", "")
		res.Problem(t, http.StatusUnauthorized, "unauthenticated")
		if res.Header.Get("WWW-Authenticate") == "" {
			t.Fatal("401 without WWW-Authenticate")
		}
	})
	t.Run("ErrGarbageToken", func(t *testing.T) {
		f.client.Get("/v1/me", "not-a-token").Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ErrDisabledAfterLogin", func(t *testing.T) {
		now := f.now()
		u.DisabledAt = &now
		if _, err := f.users.PutUser(context.Background(), u); err != nil {
			t.Fatal(err)
		}
		f.client.Get("/v1/me", token).Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

func TestErrors(t *testing.T) {
	f := newFixture(t, options{})
	t.Run("ErrNotFound", func(t *testing.T) {
		f.client.Get("/v1/no-such-thing", "").Problem(t, http.StatusNotFound, "not_found")
		f.client.Get("/nothing-here", "").Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrMethodNotAllowed", func(t *testing.T) {
		f.client.Get("/v1/auth/login", "").Problem(t, http.StatusMethodNotAllowed, "method_not_allowed")
	})
	t.Run("ErrWrongContentType", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodPost, "/v1/auth/login", strings.NewReader(`username=a&password=b`))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		f.client.Do(req).Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("RequestID", func(t *testing.T) {
		req := httptest.NewRequest(http.MethodGet, "/v1/me", nil)
		req.Header.Set(api.HeaderRequestID, "phone-42.abc")
		res := f.client.Do(req)
		p := res.Problem(t, http.StatusUnauthorized, "unauthenticated")
		if res.Header.Get(api.HeaderRequestID) != "phone-42.abc" || p.RequestID != "phone-42.abc" {
			t.Fatalf("request id not carried: header %q, body %q", res.Header.Get(api.HeaderRequestID), p.RequestID)
		}
		req = httptest.NewRequest(http.MethodGet, "/healthz", nil)
		req.Header.Set(api.HeaderRequestID, "bad id\nwith newline")
		res = f.client.Do(req)
		if id := res.Header.Get(api.HeaderRequestID); id == "" || strings.ContainsAny(id, " \n") {
			t.Fatalf("unsafe request id not replaced: %q", id)
		}
	})
}

// TestLogLines checks that every log line of a request carries its request id.
func TestLogLines(t *testing.T) {
	var buf strings.Builder
	db, _ := pgtest.New(t)
	ids := pgtest.Identity(t, db)
	down, _ := media.New(media.Config{Endpoint: "127.0.0.1:1", AccessKey: "x", SecretKey: "xxxxxxxx", Bucket: "none"})
	app, err := api.New(api.Config{
		Logger:         slog.New(api.NewLogHandler(slog.NewJSONHandler(&buf, nil))),
		Now:            db.Clock,
		Identity:       ids,
		Users:          postgres.NewUserStore(db),
		Passwords:      testHasher,
		Org:            postgres.NewOrgStore(db),
		Dependencies:   []api.Dependency{{Name: "object_store", Check: down}},
		Registry:       prometheus.NewRegistry(),
		RequestTimeout: 5 * time.Second,
		BodyLimit:      1 << 20,
	})
	if err != nil {
		t.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/readyz", nil)
	req.Header.Set(api.HeaderRequestID, "req-log-1")
	apitest.New(t, app).Do(req)
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) < 2 {
		t.Fatalf("want a warning and a request line, got %q", buf.String())
	}
	detail := false
	for _, l := range lines {
		var rec map[string]any
		if err := json.Unmarshal([]byte(l), &rec); err != nil {
			t.Fatalf("log line is not JSON: %q", l)
		}
		if rec["request_id"] != "req-log-1" {
			t.Errorf("log line without the request id: %s", l)
		}
		if rec["msg"] == "dependency down" && strings.Contains(fmt.Sprint(rec["err"]), "127.0.0.1:1") {
			detail = true
		}
	}
	if !detail {
		t.Errorf("the driver's error for the object store is not in the log: %s", buf.String())
	}
}
