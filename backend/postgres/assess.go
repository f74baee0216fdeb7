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
// department_code, kind, id (text, unique within the figure), case_id (NULL for a whistle raised
// on its own), at, seconds (float8, NULL for a count), ref (text or NULL), whistle_id (text,
// NULL but for a whistle's items). @within is the work orders' response limit in seconds.
// Adding a figure is one entry here and one row of backend/assess/figures.json.
var selections = map[string]string{
	"cases_routed": `SELECT DISTINCT ON (r.department_code, r.case_id) r.department_code, 'routing' AS kind, r.id::text AS id,
			r.case_id, r.at, NULL::float8 AS seconds, r.destination AS ref, NULL::text AS whistle_id
		FROM case_routings r JOIN cases c ON c.id = r.case_id
		WHERE r.at >= @from AND r.at < @to AND r.destination IN ('officer', 'district_queue')
			AND (@street = '' OR c.street_code = @street) AND (@department = '' OR r.department_code = @department)
		ORDER BY r.department_code, r.case_id, r.id`,
	// The routing written with an objection (same case, same instant) names the department
	// objected to: the department's own queue (sent to the team leader) or its officer's
	// (routed again within the department).
	"cases_objected": `SELECT r.department_code, 'objection' AS kind, e.id::text AS id, e.case_id, e.at, NULL::float8 AS seconds,
			r.destination AS ref, NULL::text AS whistle_id
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
	"work_orders_rated":               workOrderSelection(answered("a.answer <> 'unreachable'")),
	"work_orders_satisfied":           workOrderSelection(answered("a.answer = 'satisfied'")),
	"work_orders_basically_satisfied": workOrderSelection(answered("a.answer = 'basically_satisfied'")),

	"whistle_steps_due":                   stepSelection(""),
	"whistle_steps_on_time":               stepSelection("AND s.done <= s.due"),
	"whistle_objections":                  objectionSelection("o.at", ""),
	"whistle_objections_decided":          objectionSelection("o.ruled_at", "AND o.outcome IN ('accepted', 'overruled')"),
	"whistle_objections_upheld":           objectionSelection("o.ruled_at", "AND o.outcome = 'accepted'"),
	"whistle_objections_overruled":        objectionSelection("o.ruled_at", "AND o.outcome = 'overruled'"),
	"whistle_ratings":                     ratingSelection(""),
	"whistle_ratings_satisfied":           ratingSelection("AND g.rating = 'satisfied'"),
	"whistle_ratings_basically_satisfied": ratingSelection("AND g.rating = 'basically_satisfied'"),
	"whistle_ratings_not_satisfied":       ratingSelection("AND g.rating = 'not_satisfied'"),
	"whistles_closed":                     closedSelection(""),
	"whistles_rated":                      closedSelection(`AND EXISTS (SELECT 1 FROM whistle_ratings g WHERE g.whistle_id = w.id AND g.at < @to)`),
}

// aggregates are the values of figures that are not counts (median, percentiles) over their
// selection's seconds; a figure not named here is count(*).
var aggregates = map[string]string{}

// The whistle types and report steps the per-type and per-step figures are named by.
var (
	whistleTypes = []string{"emergency", "key", "regular"}
	reportSteps  = []string{"ack", "arrive", "finish"}
)

// The figures by whistle type: calls received, and the median and 90th percentile of the time
// from the call to each step's act.
func init() {
	for _, t := range whistleTypes {
		selections["whistles_received_"+t] = receivedSelection(t)
		for _, st := range reportSteps {
			sel := responseSelection(st, t)
			for name, p := range map[string]string{"median": "0.5", "p90": "0.9"} {
				code := "whistle_" + st + "_" + name + "_seconds_" + t
				selections[code] = sel
				aggregates[code] = "percentile_cont(" + p + ") WITHIN GROUP (ORDER BY seconds)"
			}
		}
	}
}

// answered is the condition that the case of work order o has a return call answer matching
// cond (the table allows one answer other than unreachable per case) asked before the period's
// end.
func answered(cond string) string {
	return `AND EXISTS (SELECT 1 FROM case_satisfactions a WHERE a.case_id = o.case_id AND a.at < @to AND ` + cond + `)`
}

// whistleFilter keeps the rows of street column st and department column dep.
func whistleFilter(st, dep string) string {
	return `(@street = '' OR ` + st + ` = @street) AND (@department = '' OR ` + dep + ` = @department)`
}

// receivedSelection selects the calls of whistles of type t made in the period: the department,
// type, street and time as recorded on the call.
func receivedSelection(t string) string {
	return `SELECT c.department_code, 'whistle' AS kind, c.whistle_id::text AS id, w.case_id, c.called_at AS at, NULL::float8 AS seconds,
			w.number AS ref, c.whistle_id::text AS whistle_id
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id
		WHERE c.type = '` + t + `' AND c.called_at >= @from AND c.called_at < @to AND ` + whistleFilter("c.street_code", "c.department_code")
}

// responseSelection selects the reports of step st of whistles of type t whose act falls in the
// period, with the seconds from the call to the act.
func responseSelection(st, t string) string {
	return `SELECT r.department_code, 'whistle_report' AS kind, r.whistle_id::text AS id, w.case_id, r.at,
			extract(epoch FROM r.at - c.called_at)::float8 AS seconds, w.number AS ref, r.whistle_id::text AS whistle_id
		FROM whistle_reports r JOIN whistle_calls c ON c.whistle_id = r.whistle_id AND c.department_code = r.department_code
			JOIN whistles w ON w.id = r.whistle_id
		WHERE r.step = '` + st + `' AND c.type = '` + t + `' AND r.at >= @from AND r.at < @to AND ` + whistleFilter("c.street_code", "r.department_code")
}

// stepSelection selects the report steps of the calls due in the period: done, or still owed at
// their due instant (the whistle not closed, the department not released by an accepted
// objection by then). Each is judged by recorded instants only, so it stays as it was.
func stepSelection(cond string) string {
	return `SELECT c.department_code, 'whistle_step' AS kind, c.whistle_id::text || '/' || s.step AS id, w.case_id, s.due AS at,
			NULL::float8 AS seconds, w.number || ' ' || s.step AS ref, c.whistle_id::text AS whistle_id
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id,
			LATERAL (VALUES ('ack', c.ack_due, c.ack_at), ('arrive', c.arrive_due, c.arrive_at), ('finish', c.finish_due, c.finish_at)) s (step, due, done)
		WHERE s.due >= @from AND s.due < @to AND ` + whistleFilter("c.street_code", "c.department_code") + `
			AND (s.done IS NOT NULL OR ((w.closed_at IS NULL OR w.closed_at > s.due) AND NOT EXISTS (SELECT 1 FROM whistle_objections o
				WHERE o.whistle_id = c.whistle_id AND o.department_code = c.department_code AND o.outcome = 'accepted' AND o.ruled_at <= s.due))) ` + cond
}

// objectionSelection selects the whistle objections whose instant column at (raised, ruled)
// falls in the period.
func objectionSelection(at, cond string) string {
	return `SELECT o.department_code, 'whistle_objection' AS kind, o.id::text AS id, w.case_id, ` + at + ` AS at, NULL::float8 AS seconds,
			w.number || ' ' || o.outcome AS ref, o.whistle_id::text AS whistle_id
		FROM whistle_objections o JOIN whistles w ON w.id = o.whistle_id
		WHERE ` + at + ` >= @from AND ` + at + ` < @to AND ` + whistleFilter("o.street_code", "o.department_code") + ` ` + cond
}

// ratingSelection selects the ratings given in the period, each counted against the departments
// the whistle called and did not release (a rated whistle is closed: its calls are final).
func ratingSelection(cond string) string {
	return `SELECT c.department_code, 'whistle_rating' AS kind, g.whistle_id::text || '/' || g.rater_user_id::text AS id, w.case_id, g.at,
			NULL::float8 AS seconds, w.number || ' ' || g.rating AS ref, g.whistle_id::text AS whistle_id
		FROM whistle_ratings g JOIN whistle_calls c ON c.whistle_id = g.whistle_id AND c.status = 'called' JOIN whistles w ON w.id = g.whistle_id
		WHERE g.at >= @from AND g.at < @to AND ` + whistleFilter("g.street_code", "c.department_code") + ` ` + cond
}

// closedSelection selects the calls, not released, of the whistles closed in the period.
func closedSelection(cond string) string {
	return `SELECT c.department_code, 'whistle' AS kind, c.whistle_id::text AS id, w.case_id, w.closed_at AS at, NULL::float8 AS seconds,
			w.number AS ref, c.whistle_id::text AS whistle_id
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id
		WHERE c.status = 'called' AND w.closed_at >= @from AND w.closed_at < @to AND ` + whistleFilter("c.street_code", "c.department_code") + ` ` + cond
}

func reviewSelection(cond string) string {
	return `SELECT v.department_code, 'evidence_review' AS kind, v.id::text AS id, v.case_id, v.at, NULL::float8 AS seconds,
			v.verdict AS ref, NULL::text AS whistle_id
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
	return `SELECT c.department_code, 'case' AS kind, c.id::text AS id, c.id AS case_id, e.at, NULL::float8 AS seconds, c.number AS ref,
			NULL::text AS whistle_id
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.kind = 'transition' AND e.to_state = 'concluded' AND e.at >= @from AND e.at < @to
			AND (@street = '' OR c.street_code = @street) AND (@department = '' OR c.department_code = @department) ` + cond
}

// workOrderSelection selects the 12345 work orders received in the period (and taken in before its
// end), of the department of their case's first routing decision: the first receiver stays
// answerable for the order (接诉即办条例).
func workOrderSelection(cond string) string {
	return `SELECT o.department_code, 'work_order' AS kind, o.id::text AS id, o.case_id, o.received_at AS at, NULL::float8 AS seconds,
			o.work_order_number AS ref, NULL::text AS whistle_id
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
		Kind, ID               string
		CaseID, WhistleID, Ref *string
		At                     time.Time
		Seconds                *float64
	}
	err := s.db.conn(ctx).Raw(`SELECT kind, id, case_id::text AS case_id, whistle_id, at, seconds, ref FROM (`+sel+`) s
		WHERE department_code = @department AND (at, id) > (@after_at, @after_id)
		ORDER BY at, id LIMIT @limit`, args).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "list the assessment's items")
	}
	out := make([]assess.Item, len(rows))
	for i, r := range rows {
		out[i] = assess.Item{Kind: r.Kind, ID: r.ID, CaseID: deref(r.CaseID), WhistleID: deref(r.WhistleID), At: r.At.UTC(),
			Seconds: r.Seconds, Ref: deref(r.Ref)}
	}
	return out, nil
}
