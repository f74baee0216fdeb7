package api_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/media/mediatest"
	"github.com/whistle/whistle/openapi"
)

// metric is the value of one series (name with its labels, as exposed) on
// /metrics, 0 when absent.
func (f *fixture) metric(t *testing.T, series string) float64 {
	t.Helper()
	res := f.client.Get("/metrics", "")
	if res.Status != http.StatusOK {
		t.Fatalf("metrics: %d", res.Status)
	}
	for line := range strings.SplitSeq(string(res.Body), "\n") {
		if v, ok := strings.CutPrefix(line, series+" "); ok {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", line, err)
			}
			return n
		}
	}
	return 0
}

// TestOps_DomainMetricsMove pushes an act that awaits review and uploads a
// verified and a damaged file, and finds the domain metrics moved by one
// each; the request log line of the push names the officer and the device.
func TestOps_DomainMetricsMove(t *testing.T) {
	var logs bytes.Buffer
	f := newFixture(t, options{demo: true, logs: &logs})
	officer := newPhone(t, f, "officer.a")
	series := []string{
		`whistle_sync_acts_total{verdict="accepted_with_exceptions"}`,
		`whistle_review_queue_depth`,
		`whistle_evidence_items{status="verified"}`,
		`whistle_evidence_items{status="quarantined"}`,
	}
	before := map[string]float64{}
	for _, s := range series {
		before[s] = f.metric(t, s)
	}

	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":10}`, officer.token).JSON(t, &block)
	rec := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-02"}, fmt.Sprintf("%s%d", block.Prefix, block.First))
	if res := officer.push(officer.mutation(inspection.MutationRecord, rec.ID, rec)); res.Results[0].Verdict != "accepted_with_exceptions" {
		t.Fatalf("push = %+v", res)
	}
	good := newItem(testPNG(t), "image/png", "signature")
	if res := create(f.client, officer.token, good, good.data); res.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	bad := newItem(testJPEG(t, 16, 16, 2, nil), "image/jpeg", "photo")
	bad.data = append([]byte(nil), bad.data...)
	bad.data[len(bad.data)-5] ^= 0xFF
	create(f.client, officer.token, bad, bad.data).Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")

	for _, s := range series {
		if got := f.metric(t, s); got != before[s]+1 {
			t.Errorf("%s = %v, want %v", s, got, before[s]+1)
		}
	}
	if f.metric(t, `whistle_domain_metrics_up`) != 1 {
		t.Error("whistle_domain_metrics_up is not 1")
	}

	var pushLine map[string]any
	sc := bufio.NewScanner(&logs)
	for sc.Scan() {
		var line map[string]any
		if json.Unmarshal(sc.Bytes(), &line) == nil && line["msg"] == "request" && line["route"] == "/v1/sync/push" {
			pushLine = line
		}
	}
	if pushLine == nil || pushLine["user_id"] == nil || pushLine["user_id"] == "" || pushLine["device_id"] != officer.id {
		t.Fatalf("request log line of the push = %v, want its user_id and device_id %s", pushLine, officer.id)
	}
}

// TestEvidence_DownloadURLPublicEndpoint issues a download URL with the
// object store's public endpoint set to a loopback proxy in front of it,
// as a phone would reach the store: the URL names the proxy, and a GET of
// it through the proxy returns the original bytes.
func TestEvidence_DownloadURLPublicEndpoint(t *testing.T) {
	internal, err := url.Parse("http://" + os.Getenv(mediatest.EnvEndpoint))
	if err != nil {
		t.Fatal(err)
	}
	var proxied atomic.Int32
	proxy := httptest.NewServer(&httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		proxied.Add(1)
		r.SetURL(internal)
		r.Out.Host = r.In.Host // the URL is signed for the public host
	}})
	defer proxy.Close()
	public := strings.TrimPrefix(proxy.URL, "http://")

	f := newFixture(t, options{demo: true, publicS3: public})
	officer := f.login(t, "officer.a", "whistle-demo")
	it := newItem(testPNG(t), "image/png", "signature")
	res := create(f.client, officer, it, it.data)
	if res.Status != http.StatusCreated {
		t.Fatalf("upload: %d %s", res.Status, res.Body)
	}
	var d openapi.DownloadURL
	f.client.PostJSON("/v1/evidence/"+idOf(t, res)+"/download-url", "", officer).JSON(t, &d)
	u, err := url.Parse(d.Url)
	if err != nil || u.Host != public {
		t.Fatalf("download URL %s does not name the public endpoint %s", d.Url, public)
	}
	got, err := http.Get(d.Url)
	if err != nil {
		t.Fatal(err)
	}
	defer got.Body.Close()
	b, _ := io.ReadAll(got.Body)
	if got.StatusCode != http.StatusOK || !bytes.Equal(b, it.data) || proxied.Load() != 1 {
		t.Fatalf("GET of the download URL: %d, %d bytes (want %d), %d requests through the public endpoint", got.StatusCode, len(b), len(it.data), proxied.Load())
	}
}
