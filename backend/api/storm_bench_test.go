package api_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
	wsync "github.com/whistle/whistle/sync"
)

// The reconnect storm of issue 13: at the end of a shift a team's phones
// reconnect at once, each pushing its day of acts and uploading its photos.
const (
	stormPhones = 50
	stormActs   = 100 // inspection.record@1 acts per phone, one push
	stormPhotos = 5   // photos per phone, each expected by one of its acts
)

// BenchmarkReconnectStorm drives the API over loopback as phones reach it
// (the sync push and tus creation-with-upload, bearer tokens of device
// sessions), each measurement on a fresh database with the demo data:
//
//   - /phone-1: one phone alone pushes its 100 acts while uploading its 5
//     photos (about 1 MB each) at once; total-ms is the time until the last
//     of its requests is answered, push-ms that of the push, ideal-ms 50
//     times total-ms: the storm's time if the server did the 50 phones'
//     work back to back, each as fast as alone.
//   - /phones-50: 50 such phones of street A (50 devices of officer.a,
//     a-cg-03 with a-sj-01 of the same team) all at once; total-ms until
//     the last answer, p50-push-ms and p99-push-ms over the 50 pushes.
//
// Afterwards it fails unless the outcome is exactly right: every act
// applied, once (as many records, versions, stored verdicts and feed
// changes as acts; no duplicate); every photo verified and linked to its
// record, one evidence row each; exact is 1 when all of it held.
func BenchmarkReconnectStorm(b *testing.B) {
	pgtest.RequireDurable(b)
	photo := testJPEG(b, 600, 600, 7, nil)
	for _, n := range []int{1, stormPhones} {
		name := "phones-" + strconv.Itoa(n)
		if n == 1 {
			name = "phone-1"
		}
		b.Run(name, func(b *testing.B) {
			for range b.N {
				b.StopTimer()
				s := newServeStack(b)
				phones := make([]*stormPhone, n)
				for i := range phones {
					phones[i] = s.phone(b, photo, uint64(i))
				}
				b.StartTimer()
				start := time.Now()
				var wg sync.WaitGroup
				for _, p := range phones {
					wg.Go(func() { p.sync(b, s) })
				}
				wg.Wait()
				total := time.Since(start)
				b.StopTimer()
				s.verify(b, phones)
				pushes := make([]time.Duration, n)
				for i, p := range phones {
					pushes[i] = p.pushTook
				}
				b.ReportMetric(ms(total), "total-ms")
				if n == 1 {
					b.ReportMetric(ms(pushes[0]), "push-ms")
					b.ReportMetric(ms(total)*stormPhones, "ideal-ms")
				} else {
					b.ReportMetric(ms(percentile(pushes, 0.50)), "p50-push-ms")
					b.ReportMetric(ms(percentile(pushes, 0.99)), "p99-push-ms")
				}
				b.ReportMetric(1, "exact")
			}
		})
	}
}

// serveStack is the API as serve wires it for authentication, sync and
// evidence (session checks reused for identity.DefaultSessionCheckTTL,
// set-wise pushes, evidence linked to records), served on a loopback port.
type serveStack struct {
	db     *postgres.DB
	url    string
	client *http.Client
	story  demo.Story
}

func newServeStack(b *testing.B) *serveStack {
	b.Helper()
	db, _ := pgtest.New(b)
	pgtest.LoadDemo(b, db)
	bucket := mediatest.New(b)
	orgs := postgres.NewOrgStore(db)
	syncStore := postgres.NewSyncStore(db)
	inspectionStore := postgres.NewInspectionStore(db)
	inspections := inspection.NewService(inspectionStore, orgs, inspection.DefaultCalendar(), db.Clock)
	inspections.SetWise(inspectionStore)
	ev, _ := newEvidenceWith(b, db, bucket, evidenceConfig{Index: inspections})
	ev.OrphanAge = time.Hour
	syncService := wsync.NewService(syncStore, inspection.SyncHandlers(inspections), db.Clock)
	syncService.SetWise(inspections.SyncBatcher(inspectionStore))
	app, err := api.New(api.Config{
		Logger: slog.New(api.NewLogHandler(slog.NewJSONHandler(io.Discard, nil))), Now: db.Clock, Identity: pgtest.ServingIdentity(b, db),
		Users: postgres.NewUserStore(db), Passwords: testHasher, Org: orgs,
		Trail:       api.Trail{Store: postgres.NewAuditStore(db), Sink: bucket, Key: trailKey, LockMode: media.Governance, Retention: time.Hour},
		Sync:        api.Sync{Service: syncService, Devices: postgres.NewSessionStore(db), Reports: syncStore},
		Inspections: api.Inspections{Service: inspections, Blocks: inspectionStore},
		Evidence:    ev,
		Registry:    prometheus.NewRegistry(), RequestTimeout: 2 * time.Minute, BodyLimit: 4 << 20,
	})
	if err != nil {
		b.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go app.Listener(ln)
	b.Cleanup(func() { _ = app.ShutdownWithTimeout(5 * time.Second) })
	return &serveStack{db: db, url: "http://" + ln.Addr().String(), story: demo.StoryOn(db.Clock.Today()),
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4 * stormPhones}, Timeout: 5 * time.Minute}}
}

// call sends a JSON request and decodes a 2xx answer into out.
func (s *serveStack) call(b *testing.B, method, path, token string, body, out any) {
	b.Helper()
	in, err := json.Marshal(body)
	if err != nil {
		b.Fatal(err)
	}
	req, _ := http.NewRequest(method, s.url+path, bytes.NewReader(in))
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	res, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	got, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 || json.Unmarshal(got, out) != nil {
		b.Fatalf("%s %s: %d %s", method, path, res.StatusCode, got)
	}
}

// login logs username in with the demo password, on deviceID unless it is
// "", and returns the access token.
func (s *serveStack) login(b *testing.B, username, deviceID string) string {
	b.Helper()
	req := map[string]string{"username": username, "password": demo.Password}
	if deviceID != "" {
		req["device_id"] = deviceID
	}
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	s.call(b, http.MethodPost, "/v1/auth/login", "", req, &sess)
	return sess.AccessToken
}

// stormPhone is a registered device of officer.a with its day of work:
// signed acts, and photos that some of them expect.
type stormPhone struct {
	id, token string
	acts      []wsync.Mutation
	photos    []item
	pushTook  time.Duration
	results   []wsync.Result
}

// phone registers a device, logs in on it and records its acts offline;
// i makes its photos' bytes its own.
func (s *serveStack) phone(b *testing.B, photo []byte, i uint64) *stormPhone {
	b.Helper()
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	var dev struct {
		ID string `json:"id"`
	}
	s.call(b, http.MethodPost, "/v1/devices", s.login(b, "officer.a", ""),
		map[string]string{"public_key": base64.StdEncoding.EncodeToString(pub), "name": fmt.Sprintf("phone %d", i)}, &dev)
	p := &stormPhone{id: dev.ID, token: s.login(b, "officer.a", dev.ID)}
	day := s.story.At("2026-11-10T08:30:00+08:00")
	for j := range stormActs {
		at := day.Add(time.Duration(j) * 5 * time.Minute)
		r := streetInspection("a", at, "onsite_inspection", "a-cg-03", "a-sj-01")
		if j < stormPhotos {
			it := newItem(photo, "image/jpeg", "photo")
			it.data, it.sha = variant(photo, i*stormPhotos+uint64(j)+1)
			it.recordID = r.ID
			expectItem(&r, it)
			p.photos = append(p.photos, it)
		}
		args, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		m := wsync.Mutation{Seq: int64(j + 1), EntityID: r.ID, Name: inspection.MutationRecord, Args: args,
			Clock: wsync.Clock{Wall: wsync.WallAt(at.Add(10 * time.Minute)), SinceBootMS: 3_600_000 + int64(j)*300_000}}
		p.acts = append(p.acts, wsync.Sign(key, p.id, m))
	}
	return p
}

// sync is the phone reconnecting: its push and its uploads at once.
func (p *stormPhone) sync(b *testing.B, s *serveStack) {
	var wg sync.WaitGroup
	wg.Go(func() {
		start := time.Now()
		var res wsync.PushResponse
		s.call(b, http.MethodPost, "/v1/sync/push", p.token,
			map[string]any{"mutations": p.acts, "report": map[string]any{"queue_depth": 0, "app_version": "1.0.0"}}, &res)
		p.pushTook = time.Since(start)
		p.results = res.Results
	})
	for _, it := range p.photos {
		wg.Go(func() { s.upload(b, p.token, it) })
	}
	wg.Wait()
}

// upload sends one photo as a tus creation-with-upload request.
func (s *serveStack) upload(b *testing.B, token string, it item) {
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/evidence/uploads", bytes.NewReader(it.data))
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Length", strconv.Itoa(len(it.data)))
	req.Header.Set("Upload-Metadata", it.metadata())
	res, err := s.client.Do(req)
	if err != nil {
		b.Error(err)
		return
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Errorf("upload: %d %s", res.StatusCode, body)
	}
}

// verify fails the benchmark unless every act was applied exactly once and
// every photo is verified and linked to its record.
func (s *serveStack) verify(b *testing.B, phones []*stormPhone) {
	b.Helper()
	ctx := context.Background()
	devices := make([]string, len(phones))
	for i, p := range phones {
		devices[i] = p.id
		if len(p.results) != stormActs {
			b.Fatalf("phone %s: %d verdicts for %d acts", p.id, len(p.results), stormActs)
		}
		for j, r := range p.results {
			if r.Seq != int64(j+1) || r.EntityID != p.acts[j].EntityID || r.Verdict != wsync.Applied {
				b.Fatalf("phone %s act %d: %s %s %+v, want applied", p.id, j+1, r.EntityID, r.Verdict, r.Problem)
			}
		}
	}
	acts, photos := len(phones)*stormActs, len(phones)*stormPhotos
	list := "'" + strings.Join(devices, "','") + "'"
	for _, c := range []struct {
		what  string
		query string
		want  int
	}{
		{"records", `SELECT count(*) FROM inspections WHERE device_id IN (` + list + `)`, acts},
		{"distinct records", `SELECT count(DISTINCT id) FROM inspections WHERE device_id IN (` + list + `)`, acts},
		{"versions", `SELECT count(*) FROM inspection_versions WHERE inspection_id IN (SELECT id FROM inspections WHERE device_id IN (` + list + `))`, acts},
		{"stored verdicts", `SELECT count(*) FROM sync_mutations WHERE device_id IN (` + list + `)`, acts},
		{"distinct stored verdicts", `SELECT count(DISTINCT (device_id, seq)) FROM sync_mutations WHERE device_id IN (` + list + `)`, acts},
		{"evidence items", `SELECT count(*) FROM evidence WHERE device_id IN (` + list + `)`, photos},
		{"verified and linked items", `SELECT count(DISTINCT sha256) FROM evidence WHERE device_id IN (` + list + `) AND status = 'verified' AND linked_at IS NOT NULL`, photos},
	} {
		var got int
		if err := s.db.SQL.QueryRowContext(ctx, c.query).Scan(&got); err != nil {
			b.Fatal(err)
		}
		if got != c.want {
			b.Fatalf("after the storm: %d %s, want %d", got, c.what, c.want)
		}
	}
}
