package postgres

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/assess"
)

var _ assess.Store = (*AssessStore)(nil)

// AssessStore measures the assessment's figures in SQL: one selection per figure (the items it
// counts), counted by department in one statement for a report and paged for a figure's items,
// so the items listed are exactly those counted. Every selection reads what was recorded at the
// time (the department on the routing decision, the case's matter version, the acts' own
// times), never the organization tables, so a past period answers the same for ever.
type AssessStore struct{ db *DB }

// NewAssessStore returns an AssessStore over db.
func NewAssessStore(db *DB) *AssessStore { return &AssessStore{db: db} }

// A selection answers the items of one figure in the period [@from, @to), of the street @street
// (” the district) and the department @department (” all), as the columns
// department_code, kind, id (text, unique within the figure), case_id, at, seconds (float8,
// NULL for a count), ref (text or NULL). @within is the work orders' response limit in seconds.
// Adding a figure is one entry here and one row of backend/assess/figures.json.
var selections = map[string]string{
	"cases_routed": `SELECT DISTINCT ON (r.department_code, r.case_id) r.department_code, 'routing' AS kind, r.id::text AS id,
			r.case_id, r.at, NULL::float8 AS seconds, r.destination AS ref
		FROM case_routings r JOIN cases c ON c.id = r.case_id
		WHERE r.at >= @from AND r.at < @to AND r.destination IN ('officer', 'district_queue')
			AND (@street = '' OR c.street_code = @street) AND (@department = '' OR r.department_code = @department)
		ORDER BY r.department_code, r.case_id, r.id`,
	// The routing written with an objection (same case, same instant) names the department
	// objected to: the department's own queue (sent to the team leader) or its officer's
	// (routed again within the department).
	"cases_objected": `SELECT r.department_code, 'objection' AS kind, e.id::text AS id, e.case_id, e.at, NULL::float8 AS seconds,
			r.destination AS ref
		FROM case_events e JOIN case_routings r ON r.case_id = e.case_id AND r.at = e.at JOIN cases c ON c.id = e.case_id
		WHERE e.kind = 'objection' AND e.at >= @from AND e.at < @to
			AND (@street = '' OR c.street_code = @street) AND (@department = '' OR r.department_code = @department)`,
	"evidence_reviewed":       reviewSelection(""),
	"evidence_returned":       reviewSelection("AND v.verdict = 'returned'"),
	"cases_concluded":         concludedSelection(""),
	"cases_concluded_on_time": concludedSelection("AND NOT EXISTS (" + lateDeadline + ")"),
	"cases_concluded_overdue": concludedSelection("AND EXISTS (" + lateDeadline + ")"),
	"work_orders_received":    workOrderSelection(""),
	"work_orders_responded": workOrderSelection(`AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = o.case_id
			AND e.kind IN ('transition', 'note', 'notified') AND e.at <= o.received_at + make_interval(secs => @within) AND e.at < @to)`),
	"work_orders_resolved": workOrderSelection(`AND EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = o.case_id
			AND e.kind = 'transition' AND e.to_state = 'concluded' AND e.at < @to)`),
}

// aggregates are the values of figures that are not counts (median, percentiles) over their
// selection's seconds; a figure not named here is count(*).
var aggregates = map[string]string{}

func reviewSelection(cond string) string {
	return `SELECT v.department_code, 'evidence_review' AS kind, v.id::text AS id, v.case_id, v.at, NULL::float8 AS seconds,
			v.verdict AS ref
		FROM evidence_reviews v JOIN cases c ON c.id = v.case_id
		WHERE v.at >= @from AND v.at < @to AND (@street = '' OR c.street_code = @street)
			AND (@department = '' OR v.department_code = @department) ` + cond
}

// lateDeadline is a deadline of case c met after its due instant (or not met) or escalated. A
// concluded case's deadlines are all met at its conclusion and never change after it.
const lateDeadline = `SELECT 1 FROM deadlines d WHERE d.subject_kind = 'case' AND d.subject_id = c.id::text
	AND (d.escalated_at IS NOT NULL OR d.met_at IS NULL OR d.met_at > d.due_at)`

// concludedSelection selects the cases concluded in the period, of the department on the case (the
// matter version it was decided under: the matter is settled once the case is investigated).
func concludedSelection(cond string) string {
	return `SELECT c.department_code, 'case' AS kind, c.id::text AS id, c.id AS case_id, e.at, NULL::float8 AS seconds, c.number AS ref
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.kind = 'transition' AND e.to_state = 'concluded' AND e.at >= @from AND e.at < @to
			AND (@street = '' OR c.street_code = @street) AND (@department = '' OR c.department_code = @department) ` + cond
}

// workOrderSelection selects the 12345 work orders received in the period (and taken in before its
// end), of the department of their case's first routing decision: the first receiver stays
// answerable for the order (接诉即办条例).
func workOrderSelection(cond string) string {
	return `SELECT o.department_code, 'work_order' AS kind, o.id::text AS id, o.case_id, o.received_at AS at, NULL::float8 AS seconds,
			o.work_order_number AS ref
		FROM (SELECT s.id, s.case_id, s.received_at, s.work_order_number,
				(SELECT r.department_code FROM case_routings r WHERE r.case_id = s.case_id ORDER BY r.id LIMIT 1) AS department_code
			FROM case_sources s JOIN cases c ON c.id = s.case_id
			WHERE s.kind = 'work_order' AND s.channel = '12345' AND s.received_at >= @from AND s.received_at < @to
				AND c.created_at < @to AND (@street = '' OR c.street_code = @street)) o
		WHERE (@department = '' OR o.department_code = @department) ` + cond
}

// Measures names the figures the store selects.
func (s *AssessStore) Measures() []string { return slices.Sorted(maps.Keys(selections)) }

func assessArgs(q assess.Query) map[string]any {
	return map[string]any{"from": q.Period.From, "to": q.Period.To, "street": q.StreetCode, "department": q.DepartmentCode,
		"within": q.ResponseWithin.Seconds()}
}

// Measure returns the value of each figure of q by department, in one statement.
func (s *AssessStore) Measure(ctx context.Context, q assess.Query) (map[string]map[string]float64, error) {
	out := map[string]map[string]float64{}
	if len(q.Figures) == 0 {
		return out, nil
	}
	parts := make([]string, 0, len(q.Figures))
	for _, f := range q.Figures {
		sel, ok := selections[f]
		if !ok {
			return nil, fmt.Errorf("assessment: no selection of figure %s", f)
		}
		agg := aggregates[f]
		if agg == "" {
			agg = "count(*)::float8"
		}
		parts = append(parts, fmt.Sprintf(`SELECT '%s' AS figure, department_code, %s AS value FROM (%s) s
			WHERE department_code <> '' GROUP BY department_code`, f, agg, sel))
	}
	var rows []struct {
		Figure, DepartmentCode string
		Value                  float64
	}
	// The statement's estimated cost crosses jit_above_cost, and compiling it (a second for a
	// district's quarter, BenchmarkAssessmentQuarter) costs more than running it: off for it.
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`SET LOCAL jit = off`).Error; err != nil {
			return err
		}
		return tx.Raw(strings.Join(parts, "\nUNION ALL\n"), assessArgs(q)).Scan(&rows).Error
	})
	if err != nil {
		return nil, translate(err, "measure the assessment")
	}
	for _, r := range rows {
		if out[r.DepartmentCode] == nil {
			out[r.DepartmentCode] = map[string]float64{}
		}
		out[r.DepartmentCode][r.Figure] = r.Value
	}
	return out, nil
}

// Items returns a page of the items q.Figure counts for q.DepartmentCode, by time then id.
func (s *AssessStore) Items(ctx context.Context, q assess.ItemQuery) ([]assess.Item, error) {
	sel, ok := selections[q.Figure]
	if !ok {
		return nil, fmt.Errorf("assessment: no selection of figure %s", q.Figure)
	}
	args := assessArgs(q.Query)
	args["after_at"], args["after_id"], args["limit"] = q.AfterAt, q.AfterID, q.Limit
	var rows []struct {
		Kind, ID, CaseID string
		At               time.Time
		Seconds          *float64
		Ref              *string
	}
	err := s.db.conn(ctx).Raw(`SELECT kind, id, case_id::text AS case_id, at, seconds, ref FROM (`+sel+`) s
		WHERE department_code = @department AND (at, id) > (@after_at, @after_id)
		ORDER BY at, id LIMIT @limit`, args).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "list the assessment's items")
	}
	out := make([]assess.Item, len(rows))
	for i, r := range rows {
		out[i] = assess.Item{Kind: r.Kind, ID: r.ID, CaseID: r.CaseID, At: r.At.UTC(), Seconds: r.Seconds}
		if r.Ref != nil {
			out[i].Ref = *r.Ref
		}
	}
	return out, nil
}
