package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
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

	"github.com/whistle/whistle/backend/api"
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
	bucket *media.Store
	client *http.Client
}

func newBenchStack(b *testing.B) *benchStack {
	b.Helper()
	db, _ := pgtest.New(b)
	bucket := mediatest.New(b)
	orgs := postgres.NewOrgStore(db)
	pgtest.LoadDemo(b, db)
	ids := pgtest.Identity(b, db)
	ev, _ := newEvidence(b, db, bucket)
	ev.OrphanAge = time.Hour
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
	s := &benchStack{url: "http://" + ln.Addr().String(), bucket: bucket,
		client: &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}}
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
			for b.Loop() {
				b.StopTimer()
				it := newItem(size.data, "image/jpeg", "photo")
				it.data, it.sha = variant(size.data, n.Add(1))
				b.StartTimer()
				s.upload(b, it)
			}
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
