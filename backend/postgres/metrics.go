package postgres

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics is a Prometheus collector of domain figures read from the
// database at each scrape: they are the same whichever instance is
// scraped, and survive restarts.
type Metrics struct {
	db       *DB
	evidence *prometheus.Desc
	review   *prometheus.Desc
	overdue  *prometheus.Desc
	up       *prometheus.Desc
}

var _ prometheus.Collector = (*Metrics)(nil)

// NewMetrics returns the collector of db's domain figures.
func NewMetrics(db *DB) *Metrics {
	return &Metrics{
		db: db,
		evidence: prometheus.NewDesc("whistle_evidence_items",
			"Evidence items by status (uploading, verified, quarantined, rejected, terminated).", []string{"status"}, nil),
		review: prometheus.NewDesc("whistle_review_queue_depth",
			"Inspection records waiting for a team leader's review.", nil, nil),
		overdue: prometheus.NewDesc("whistle_deadlines_overdue",
			"Statutory deadlines overdue now: escalated to the team leader, or due and not escalated yet.", nil, nil),
		up: prometheus.NewDesc("whistle_domain_metrics_up",
			"1 when the last scrape read the domain figures from the database, 0 when it could not.", nil, nil),
	}
}

// Describe sends the descriptors of the figures.
func (m *Metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.evidence
	ch <- m.review
	ch <- m.overdue
	ch <- m.up
}

// Collect reads the figures; a database that does not answer within a few
// seconds gives whistle_domain_metrics_up 0 and no figures.
func (m *Metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := m.collect(ctx, ch); err != nil {
		ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(m.up, prometheus.GaugeValue, 1)
}

func (m *Metrics) collect(ctx context.Context, ch chan<- prometheus.Metric) error {
	var byStatus []struct {
		Status string
		N      int64
	}
	if err := m.db.Gorm.WithContext(ctx).Raw(`SELECT status, count(*) AS n FROM evidence GROUP BY status`).Scan(&byStatus).Error; err != nil {
		return err
	}
	var pending int64
	if err := m.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM inspections WHERE review = 'pending'`).Scan(&pending).Error; err != nil {
		return err
	}
	overdue, err := m.db.overdueCount(ctx)
	if err != nil {
		return err
	}
	// Every status is sent, so that a series exists at 0 before its first item.
	counts := map[string]int64{"uploading": 0, "verified": 0, "quarantined": 0, "rejected": 0, "terminated": 0}
	for _, s := range byStatus {
		counts[s.Status] = s.N
	}
	for status, n := range counts {
		ch <- prometheus.MustNewConstMetric(m.evidence, prometheus.GaugeValue, float64(n), status)
	}
	ch <- prometheus.MustNewConstMetric(m.review, prometheus.GaugeValue, float64(pending))
	ch <- prometheus.MustNewConstMetric(m.overdue, prometheus.GaugeValue, float64(overdue))
	return nil
}
