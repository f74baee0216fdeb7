package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"
	"github.com/prometheus/client_golang/prometheus"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/jobs"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
)

// benchStack is the API served on a loopback port over its own database
// and bucket, as a phone reaches it, with a logged-in officer.
type benchStack struct {
	url    string
	token  string
	db     *postgres.DB
	bucket *media.Store
	client *http.Client
	stmts  atomic.Int64 // statements sent to PostgreSQL (countStatements)
}

// countStatements counts in n every statement db sends to PostgreSQL: each
// one through GORM (its callbacks), and the BEGIN and COMMIT (or ROLLBACK)
// of each transaction GORM opens (countingPool). The job queue's insert,
// which goes through the transaction's database/sql handle, is counted by
// countingJobs.
func countStatements(b *testing.B, db *postgres.DB, n *atomic.Int64) {
	b.Helper()
	pgtest.CountStatements(b, db, n)
	pool := &countingPool{ConnPool: db.Gorm.Statement.ConnPool, begin: db.SQL, n: n}
	db.Gorm.ConnPool, db.Gorm.Statement.ConnPool = pool, pool
}

// countingPool is GORM's connection pool, counting two statements for each
// transaction begun on it (BEGIN, and COMMIT or ROLLBACK).
type countingPool struct {
	gorm.ConnPool
	begin *sql.DB
	n     *atomic.Int64
}

func (p *countingPool) BeginTx(ctx context.Context, opts *sql.TxOptions) (gorm.ConnPool, error) {
	p.n.Add(2)
	return p.begin.BeginTx(ctx, opts)
}

// countingJobs counts the job queue's insert (one statement) of each job.
// River also sends a NOTIFY with an insert, at most once per queue per
// interval of its limiter (about once a second), which is not counted.
type countingJobs struct {
	postgres.Jobs
	n *atomic.Int64
}

func (j countingJobs) ThumbnailTx(ctx context.Context, tx *sql.Tx, evidenceID string) error {
	j.n.Add(1)
	return j.Jobs.ThumbnailTx(ctx, tx, evidenceID)
}

func newBenchStack(b *testing.B) *benchStack {
	b.Helper()
	db, _ := pgtest.New(b)
	pgtest.RequireDurable(b) // bench/evidence.sh runs it durable
	bucket := mediatest.New(b)
	orgs := postgres.NewOrgStore(db)
	pgtest.LoadDemo(b, db)
	ids := pgtest.ServingIdentity(b, db) // as serve: a session check reused for 2 s
	// As serve wires it: completed evidence is linked to its record if that
	// has arrived (the inspections), a verified image's thumbnail job is
	// queued in the transaction that verifies it (River, not started).
	inspections := inspection.NewService(postgres.NewInspectionStore(db), orgs, inspection.DefaultCalendar(), db.Clock)
	ev, _ := newEvidenceWith(b, db, bucket, evidenceConfig{Index: inspections})
	ev.OrphanAge = time.Hour
	work, err := jobs.New(jobs.Config{DB: db.SQL, Now: db.Clock, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Thumbnails: ev.Media, TestOnly: true})
	if err != nil {
		b.Fatal(err)
	}
	s := &benchStack{db: db, bucket: bucket,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
	db.Jobs = countingJobs{Jobs: work, n: &s.stmts}
	app, err := api.New(api.Config{
		Logger: slog.New(api.NewLogHandler(slog.NewJSONHandler(io.Discard, nil))), Now: db.Clock, Identity: ids,
		Users: postgres.NewUserStore(db), Passwords: testHasher, Org: orgs,
		Trail:    api.Trail{Store: postgres.NewAuditStore(db), Sink: bucket, Key: trailKey, LockMode: media.Governance, Retention: time.Hour},
		Evidence: ev,
		Registry: prometheus.NewRegistry(), RequestTimeout: 30 * time.Second, BodyLimit: 1 << 20,
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
	s.url = "http://" + ln.Addr().String()
	countStatements(b, db, &s.stmts)
	res, err := s.client.Post(s.url+"/v1/auth/login", "application/json", strings.NewReader(`{"username":"officer.a","password":"whistle-demo"}`))
	if err != nil {
		b.Fatal(err)
	}
	defer res.Body.Close()
	var sess struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(res.Body).Decode(&sess); err != nil || sess.AccessToken == "" {
		b.Fatalf("login: %d %v", res.StatusCode, err)
	}
	s.token = sess.AccessToken
	return s
}

// variant returns data with its last 8 bytes set from i (new bytes for
// every upload, so nothing is deduplicated), and their SHA-256.
func variant(data []byte, i uint64) ([]byte, string) {
	v := bytes.Clone(data)
	binary.BigEndian.PutUint64(v[len(v)-8:], i)
	sum := sha256.Sum256(v)
	return v, hex.EncodeToString(sum[:])
}

// upload sends data as one tus creation-with-upload request, as a phone
// with a good signal does.
func (s *benchStack) upload(b testing.TB, it item) {
	req, _ := http.NewRequest(http.MethodPost, s.url+"/v1/evidence/uploads", bytes.NewReader(it.data))
	req.Header.Set("Authorization", "Bearer "+s.token)
	req.Header.Set("Tus-Resumable", "1.0.0")
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Length", strconv.Itoa(len(it.data)))
	req.Header.Set("Upload-Metadata", it.metadata())
	res, err := s.client.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusCreated || res.Header.Get("Upload-Offset") != strconv.Itoa(len(it.data)) {
		b.Fatalf("upload: %d %s", res.StatusCode, body)
	}
}

// BenchmarkEvidenceUpload compares, in the same run, uploading evidence
// through the API (tus creation-with-upload: authentication, streaming,
// SHA-256, conditional locked PUT, custody log and audit trail) with a
// plain minio-go PutObject of the same bytes from the same host. The
// ratio of their MB/s is the overhead of the API (bench/evidence.sh
// prints it).
func BenchmarkEvidenceUpload(b *testing.B) {
	s := newBenchStack(b)
	photo := testJPEG(b, 1400, 1400, 42, nil) // about 3 MB of noise
	small := append(testJPEG(b, 8, 8, 43, nil), make([]byte, 64<<10)...)[:64<<10]
	for _, size := range []struct {
		name string
		data []byte
	}{{"photo-3MB", photo}, {"file-64KiB", small}} {
		var n atomic.Uint64
		b.Run(size.name+"/api", func(b *testing.B) {
			b.SetBytes(int64(len(size.data)))
			var stmts int64
			for b.Loop() {
				b.StopTimer()
				it := newItem(size.data, "image/jpeg", "photo")
				it.data, it.sha = variant(size.data, n.Add(1))
				before := s.stmts.Load()
				b.StartTimer()
				s.upload(b, it)
				stmts += s.stmts.Load() - before
			}
			// Statements sent to PostgreSQL per upload, transaction
			// control and the thumbnail job's insert included: the API's
			// fixed cost over a bare PutObject is mostly these round trips.
			b.ReportMetric(float64(stmts)/float64(b.N), "stmts/upload")
		})
		b.Run(size.name+"/putobject", func(b *testing.B) {
			b.SetBytes(int64(len(size.data)))
			ctx := context.Background()
			for b.Loop() {
				b.StopTimer()
				data, _ := variant(size.data, n.Add(1))
				b.StartTimer()
				_, err := s.bucket.Client().PutObject(ctx, s.bucket.Bucket(), "baseline/"+uuid.NewString(), bytes.NewReader(data),
					int64(len(data)), minio.PutObjectOptions{ContentType: "image/jpeg"})
				if err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkEvidenceUploadMemory uploads 16 items at once through the API
// and samples the heap every 5 ms; it reports the peak HeapInuse above the
// heap before the uploads, against the bound of 64 MiB + 8 MiB per
// concurrent upload. Large videos go through S3 multipart (one 7 MiB part
// buffer each); 3 MB photos through one buffer of their size.
func BenchmarkEvidenceUploadMemory(b *testing.B) {
	s := newBenchStack(b)
	const concurrent = 16
	for _, size := range []struct {
		name  string
		data  []byte
		kind  string
		ctype string
	}{
		{"video-24MiB", testMP4(24<<20, 5), "video", "video/mp4"},
		{"photo-3MB", testJPEG(b, 1400, 1400, 44, nil), "photo", "image/jpeg"},
	} {
		b.Run(size.name, func(b *testing.B) {
			var seq atomic.Uint64
			var peak uint64
			for b.Loop() {
				items := make([]item, concurrent)
				for i := range items {
					items[i] = newItem(size.data, size.ctype, size.kind)
					items[i].data, items[i].sha = variant(size.data, seq.Add(1)+1000)
				}
				runtime.GC()
				var ms runtime.MemStats
				runtime.ReadMemStats(&ms)
				base := ms.HeapInuse
				stop := make(chan struct{})
				var sampled sync.WaitGroup
				sampled.Go(func() {
					t := time.NewTicker(5 * time.Millisecond)
					defer t.Stop()
					for {
						var ms runtime.MemStats
						runtime.ReadMemStats(&ms)
						if ms.HeapInuse > base {
							peak = max(peak, ms.HeapInuse-base)
						}
						select {
						case <-stop:
							return
						case <-t.C:
						}
					}
				})
				var wg sync.WaitGroup
				for _, it := range items {
					wg.Go(func() { s.upload(b, it) })
				}
				wg.Wait()
				close(stop)
				sampled.Wait()
			}
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
			b.ReportMetric(float64(64+8*concurrent), "bound-MiB")
			b.SetBytes(int64(len(size.data) * concurrent))
		})
	}
}
