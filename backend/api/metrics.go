package api

import (
	"github.com/prometheus/client_golang/prometheus"

	wsync "github.com/whistle/whistle/sync"
)

// actCounter counts the acts devices push, by the verdict each got: a
// rising retry or rejected rate is the first sign of a broken app release
// or a failing dependency. The figures held in the database (evidence by
// status, the review queue) are collected by postgres.Metrics.
type actCounter struct{ acts *prometheus.CounterVec }

// newActCounter registers whistle_sync_acts_total on reg.
func newActCounter(reg prometheus.Registerer) *actCounter {
	c := &actCounter{acts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "whistle_sync_acts_total",
		Help: "Acts pushed by devices, by verdict (applied, duplicate, accepted_with_exceptions, rejected, retry).",
	}, []string{"verdict"})}
	for _, v := range []wsync.Verdict{wsync.Applied, wsync.Duplicate, wsync.AcceptedWithExceptions, wsync.Rejected, wsync.Retry} {
		c.acts.WithLabelValues(string(v)) // a series at 0 before the first act
	}
	reg.MustRegister(c.acts)
	return c
}

// count adds the verdicts of one push.
func (c *actCounter) count(results []wsync.Result) {
	for _, r := range results {
		c.acts.WithLabelValues(string(r.Verdict)).Inc()
	}
}
