package main

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"net/http/pprof"
	"runtime"
	"runtime/debug"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// buildInfo is the whistle_build_info gauge: always 1, its labels say which
// build is running, so that a dashboard can tell releases apart.
func buildInfo() prometheus.Collector {
	commit := "unknown"
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && s.Value != "" {
				commit = s.Value
			}
		}
	}
	g := prometheus.NewGauge(prometheus.GaugeOpts{
		Name:        "whistle_build_info",
		Help:        "The running build: version, Go version and commit as labels; always 1.",
		ConstLabels: prometheus.Labels{"version": version, "goversion": runtime.Version(), "commit": commit},
	})
	g.Set(1)
	return g
}

// servePprof serves net/http/pprof on ln, a listener of its own on a
// loopback address (WHISTLE_PPROF_ADDR), never on the API's: profiles show
// the process's memory. It stops when ctx is cancelled.
func servePprof(ctx context.Context, ln net.Listener, log *slog.Logger) {
	mux := http.NewServeMux()
	mux.HandleFunc("/debug/pprof/", pprof.Index)
	mux.HandleFunc("/debug/pprof/cmdline", pprof.Cmdline)
	mux.HandleFunc("/debug/pprof/profile", pprof.Profile)
	mux.HandleFunc("/debug/pprof/symbol", pprof.Symbol)
	mux.HandleFunc("/debug/pprof/trace", pprof.Trace)
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Close()
	}()
	log.Info("serving pprof", "addr", ln.Addr().String())
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Error("pprof listener stopped", "err", err.Error())
	}
}
