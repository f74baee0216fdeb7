package client_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

// server is the real API over its own database and bucket, with the demo
// organization and a test-only mutation, listening on a loopback port.
type server struct {
	t     *testing.T
	db    *postgres.DB
	orgs  *postgres.OrgStore
	sync  *postgres.SyncStore
	ids   *identity.Service
	store *media.Store
	addr  string
	app   *fiber.App
	fails sync.Map // entity id -> remaining transient failures of note.put@1
}

var testHasher = pgtest.Hasher

func newServer(t *testing.T) *server {
	t.Helper()
	db, _ := pgtest.New(t)
	s := &server{t: t, db: db, orgs: postgres.NewOrgStore(db), sync: postgres.NewSyncStore(db), store: mediatest.New(t)}
	pgtest.LoadDemo(t, db)
	s.ids = pgtest.Identity(t, db)
	s.start("127.0.0.1:0")
	t.Cleanup(s.stop)
	return s
}

// url is the base URL of the API.
func (s *server) url() string { return "http://" + s.addr }

// start serves the API on addr (the same address again after stop).
func (s *server) start(addr string) {
	s.t.Helper()
	app, err := api.New(api.Config{
		Logger:    slog.New(api.NewLogHandler(slog.NewJSONHandler(io.Discard, nil))),
		Now:       s.db.Clock,
		Identity:  s.ids,
		Users:     postgres.NewUserStore(s.db),
		Passwords: testHasher,
		Org:       s.orgs,
		Trail: api.Trail{Store: postgres.NewAuditStore(s.db), Sink: s.store, Key: ed25519.NewKeyFromSeed(make([]byte, 32)),
			LockMode: media.Governance, Retention: time.Hour},
		Sync: api.Sync{
			Service: wsync.NewService(s.sync, map[string]wsync.Handler{"note.put@1": s.putNote}, s.db.Clock),
			Devices: postgres.NewSessionStore(s.db),
			Reports: s.sync,
		},
		Dependencies:   []api.Dependency{{Name: "postgres", Check: s.db}, {Name: "object_store", Check: s.store}},
		Registry:       prometheus.NewRegistry(),
		RequestTimeout: 30 * time.Second,
		BodyLimit:      4 << 20,
	})
	if err != nil {
		s.t.Fatal(err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		s.t.Fatal(err)
	}
	s.addr, s.app = ln.Addr().String(), app
	go app.Listener(ln)
}

// stop shuts the API down; requests then fail to connect.
func (s *server) stop() {
	if s.app != nil {
		s.app.Shutdown()
		s.app = nil
	}
}

// noteArgs are the args of note.put@1, the test-only mutation: it puts a
// note into a team's scope, or deletes it, and can be told to fail.
type noteArgs struct {
	Team      string `json:"team"`
	Text      string `json:"text"`
	Delete    bool   `json:"delete,omitempty"`
	Invalid   bool   `json:"invalid,omitempty"`   // rejected
	Exception bool   `json:"exception,omitempty"` // accepted with exceptions
	Transient int    `json:"transient,omitempty"` // fails with a transient error this many times
}

func (s *server) putNote(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
	var a noteArgs
	if err := json.Unmarshal(act.Args, &a); err != nil {
		return wsync.Outcome{}, derrors.Invalidf("/args", "not note args: %v", err)
	}
	if a.Transient > 0 {
		left, _ := s.fails.LoadOrStore(act.EntityID, a.Transient)
		if n := left.(int); n > 0 {
			s.fails.Store(act.EntityID, n-1)
			return wsync.Outcome{}, derrors.New(derrors.Unavailable, "the test says: not now")
		}
	}
	if a.Invalid {
		return wsync.Outcome{}, derrors.Invalidf("/args/text", "the test says this note is invalid")
	}
	state := map[string]any{"id": act.EntityID, "text": a.Text}
	pub := postgres.Publication{Scope: wsync.TeamScope(a.Team), EntityType: "note", EntityID: act.EntityID, State: state}
	if a.Delete {
		pub.State = nil
	}
	if err := s.sync.Publish(ctx, pub); err != nil {
		return wsync.Outcome{}, err
	}
	out := wsync.Outcome{State: state}
	if a.Exception {
		out.Exceptions = []wsync.Exception{{Code: "test_exception", ZH: "测试例外", EN: "the test flags this act"}}
	}
	return out, nil
}

// count returns the result of a count query.
func (s *server) count(query string, args ...any) int {
	s.t.Helper()
	var n int
	if err := s.db.SQL.QueryRow(query, args...).Scan(&n); err != nil {
		s.t.Fatal(err)
	}
	return n
}

// fastOptions retry quickly, so that tests of giving up stay short.
var fastOptions = client.Options{MaxAttempts: 3, BaseBackoff: 5 * time.Millisecond, MaxBackoff: 20 * time.Millisecond}

// device initializes a device of username (a demo login) in a new directory.
func (s *server) device(username string) (*client.Client, string) {
	s.t.Helper()
	dir := s.t.TempDir()
	c, err := client.Init(context.Background(), dir, s.url(), username, demo.Password, username+"'s phone", fastOptions)
	if err != nil {
		s.t.Fatalf("init device of %s: %v", username, err)
	}
	s.t.Cleanup(func() { c.Close() })
	return c, dir
}
