package main

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

func TestBuildInfo(t *testing.T) {
	reg := prometheus.NewRegistry()
	reg.MustRegister(buildInfo())
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(families) != 1 || families[0].GetName() != "whistle_build_info" || families[0].GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Fatalf("gathered %v", families)
	}
	labels := map[string]string{}
	for _, l := range families[0].GetMetric()[0].GetLabel() {
		labels[l.GetName()] = l.GetValue()
	}
	if labels["version"] != version || labels["goversion"] != runtime.Version() || labels["commit"] == "" {
		t.Fatalf("labels = %v", labels)
	}
}

// TestServePprof finds the profiles on their own listener, and nothing once
// the context ends.
func TestServePprof(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { servePprof(ctx, ln, slog.New(slog.NewTextHandler(io.Discard, nil))); close(done) }()
	res, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/goroutine?debug=1")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusOK || !strings.Contains(string(body), "goroutine profile") {
		t.Fatalf("pprof: %d %.200s", res.StatusCode, body)
	}
	cancel()
	<-done
	if _, err := http.Get("http://" + ln.Addr().String() + "/debug/pprof/"); err == nil {
		t.Fatal("pprof still served after shutdown")
	}
}
