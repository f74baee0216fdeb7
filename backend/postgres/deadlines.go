package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
)

// Statutory deadlines (casework.Deadline) in the deadlines table. Every change writes, in the
// transaction of the change: the row, its trail entry (the street's chain), the deadline to the
// sync feed of its officer's and its team's scopes, and, while the deadline runs, the River job
// deadline.escalate scheduled at its due instant (Jobs.EscalateTx). The job, when it fires,
// calls Escalate, which re-reads the row under lock and judges it by the store's clock: a job
// that fires twice, or early after a pause, changes nothing.

// DeadlineRules are the periods and the calendar deadlines are counted with.
type DeadlineRules struct {
	Policy   casework.DeadlinePolicy
	Calendar casework.Calendar
}

// DefaultDeadlineRules are the law's periods on the built-in calendar.
func DefaultDeadlineRules() DeadlineRules {
	return DeadlineRules{Policy: casework.DefaultDeadlinePolicy(), Calendar: inspection.DefaultCalendar()}
}

// deadlineRules are db's rules: DB.Deadlines, or the defaults when main set none.
func (db *DB) deadlineRules() DeadlineRules {
	if db.Deadlines != nil {
		return *db.Deadlines
	}
	return DefaultDeadlineRules()
}

// DeadlineStore stores statutory deadlines.
type DeadlineStore struct{ db *DB }

// NewDeadlineStore returns a DeadlineStore over db.
func NewDeadlineStore(db *DB) *DeadlineStore { return &DeadlineStore{db: db} }

// Rules are the store's periods and calendar.
func (s *DeadlineStore) Rules() DeadlineRules { return s.db.deadlineRules() }

type deadlineRow struct {
	ID             uuid.UUID
	StreetCode     string
	TeamCode       string
	DepartmentCode string
	SubjectKind    string
	SubjectID      string
	Kind           string
	Period         string
	Extended       bool
	Extension      string
	StartedAt      time.Time
	DueAt          time.Time
	State          string
	Pauses         []byte
	OfficerCode    string
	MetAt          *time.Time
	EscalatedAt    *time.Time
	Version        int
}

const deadlineColumns = `id, street_code, team_code, department_code, subject_kind, subject_id, kind, period, extended,
	extension, started_at, due_at, state, convert_to(pauses::text, 'UTF8') AS pauses, officer_code, met_at, escalated_at, version`

func (r deadlineRow) deadline() (casework.Deadline, error) {
	d := casework.Deadline{ID: r.ID.String(), StreetCode: r.StreetCode, TeamCode: r.TeamCode, Department: r.DepartmentCode,
		Subject: casework.DeadlineSubject{Kind: r.SubjectKind, ID: r.SubjectID}, Kind: casework.DeadlineKind(r.Kind),
		Extended: r.Extended, Start: r.StartedAt.UTC(), Officer: r.OfficerCode, Version: r.Version}
	var err error
	if d.Period, err = casework.ParsePeriod(r.Period); err != nil {
		return d, derrors.Wrap(err, derrors.Internal, "stored deadline period")
	}
	if r.Extension != "" {
		if d.Extension, err = casework.ParsePeriod(r.Extension); err != nil {
			return d, derrors.Wrap(err, derrors.Internal, "stored deadline extension")
		}
	}
	if err := json.Unmarshal(r.Pauses, &d.Pauses); err != nil {
		return d, derrors.Wrap(err, derrors.Internal, "stored deadline pauses")
	}
	for i := range d.Pauses {
		d.Pauses[i].From, d.Pauses[i].To = d.Pauses[i].From.UTC(), d.Pauses[i].To.UTC()
	}
	if r.MetAt != nil {
		d.MetAt = r.MetAt.UTC()
	}
	if r.EscalatedAt != nil {
		d.EscalatedAt = r.EscalatedAt.UTC()
	}
	return d, nil
}

// Stored is a deadline as stored: the deadline, its state and due instant as of its last change.
type Stored struct {
	Deadline casework.Deadline
	State    casework.DeadlineState
	Due      time.Time
}

// DeadlineFeed is a deadline in the sync feed's wire form (entity type "deadline").
type DeadlineFeed struct {
	ID          string                   `json:"id"`
	Kind        casework.DeadlineKind    `json:"kind"`
	Basis       casework.DeadlineBasis   `json:"basis"`
	Subject     casework.DeadlineSubject `json:"subject"`
	StreetCode  string                   `json:"street_code"`
	TeamCode    string                   `json:"team_code"`
	OfficerCode string                   `json:"officer_code"`
	Period      string                   `json:"period"`
	Extended    bool                     `json:"extended"`
	StartedAt   time.Time                `json:"started_at"`
	DueAt       time.Time                `json:"due_at"`
	State       casework.DeadlineState   `json:"state"`
	Pauses      []casework.Pause         `json:"pauses"`
	EscalatedAt *time.Time               `json:"escalated_at,omitempty"`
	EscalatedTo []string                 `json:"escalated_to,omitempty"` // the team leaders' officer codes
	Version     int                      `json:"version"`
}

// NewDeadlineFeed is d in its wire form, in state with due instant due; leaders are the officer
// codes it was escalated to.
func NewDeadlineFeed(d casework.Deadline, state casework.DeadlineState, due time.Time, leaders []string) DeadlineFeed {
	f := DeadlineFeed{ID: d.ID, Kind: d.Kind, Basis: casework.DeadlineBasisOf(d.Kind), Subject: d.Subject, StreetCode: d.StreetCode,
		TeamCode: d.TeamCode, OfficerCode: d.Officer, Period: d.Period.String(), Extended: d.Extended, StartedAt: d.Start, DueAt: due.UTC(),
		State: state, Pauses: d.Pauses, EscalatedTo: leaders, Version: d.Version}
	if !d.EscalatedAt.IsZero() {
		at := d.EscalatedAt
		f.EscalatedAt = &at
	}
	return f
}

// deadlinePublications are the feed changes of a deadline: its officer's scope, its team's, and
// the scopes of the officers it was escalated to.
func deadlinePublications(f DeadlineFeed) []Publication {
	scopes := []string{wsync.TeamScope(f.TeamCode)}
	if f.OfficerCode != "" {
		scopes = append(scopes, wsync.OfficerScope(f.OfficerCode))
	}
	for _, l := range f.EscalatedTo {
		scopes = append(scopes, wsync.OfficerScope(l))
	}
	slices.Sort(scopes)
	pubs := make([]Publication, 0, len(scopes))
	for _, sc := range slices.Compact(scopes) {
		pubs = append(pubs, Publication{Scope: sc, EntityType: "deadline", EntityID: f.ID, State: f})
	}
	return pubs
}

// judged is d's state and due instant at the store's now.
func (db *DB) judged(d casework.Deadline) (casework.DeadlineState, time.Time, error) {
	r := db.deadlineRules()
	s, err := d.Judge(r.Calendar, r.Policy.DueSoon, db.now())
	if err != nil {
		return "", time.Time{}, derrors.Wrap(err, derrors.Invalid, "deadline pauses")
	}
	return s.State, s.Due, nil
}

// insertDeadlines stores new deadlines in tx with one statement and inserts the escalation job of
// each; it returns the trail entry and the feed changes of each, for the caller to append and
// publish last in its transaction (with its own).
func (db *DB) insertDeadlines(ctx context.Context, tx *gorm.DB, ds []casework.Deadline) ([]audit.Entry, [][]Publication, error) {
	if len(ds) == 0 {
		return nil, nil, nil
	}
	k := len(ds)
	var (
		ids, streets, teams, depts, skinds, sids = make([]string, k), make([]string, k), make([]string, k), make([]string, k), make([]string, k), make([]string, k)
		kinds, periods, extensions, officers     = make([]string, k), make([]string, k), make([]string, k), make([]string, k)
		states, pauses                           = make([]string, k), make([]string, k)
		extended                                 = make([]bool, k)
		starts, dues                             = make([]time.Time, k), make([]time.Time, k)
		entries                                  = make([]audit.Entry, k)
		pubs                                     = make([][]Publication, k)
	)
	for i, d := range ds {
		// A new deadline is open, even one already due (a record pushed late): only its job,
		// which runs at once then, marks it overdue and escalates it.
		_, due, err := db.judged(d)
		if err != nil {
			return nil, nil, err
		}
		state := casework.DeadlineOpen
		p, err := jsonText(d.Pauses)
		if err != nil {
			return nil, nil, err
		}
		ext := ""
		if d.Extended {
			ext = d.Extension.String()
		}
		ids[i], streets[i], teams[i], depts[i], skinds[i], sids[i] = d.ID, d.StreetCode, d.TeamCode, d.Department, d.Subject.Kind, d.Subject.ID
		kinds[i], periods[i], extensions[i], officers[i] = string(d.Kind), d.Period.String(), ext, d.Officer
		states[i], pauses[i], extended[i], starts[i], dues[i] = string(state), p, d.Extended, d.Start, due
		feed := NewDeadlineFeed(d, state, due, nil)
		digest, err := audit.Digest(feed)
		if err != nil {
			return nil, nil, err
		}
		entries[i] = audit.Entry{Chain: d.StreetCode, Action: "deadline.open", EntityType: "deadline", EntityID: d.ID, AfterDigest: digest}
		pubs[i] = deadlinePublications(feed)
	}
	err := tx.Exec(`INSERT INTO deadlines (id, street_code, team_code, department_code, subject_kind, subject_id, kind, period,
			extension, officer_code, state, pauses, extended, started_at, due_at, updated_at)
		SELECT id::uuid, street, team, dept, skind, sid, kind, period, extension, officer, state, pauses::jsonb, extended,
			started, due, ?::timestamptz
		FROM unnest(?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[],
			?::text[], ?::text[], ?::boolean[], ?::timestamptz[], ?::timestamptz[])
			AS u(id, street, team, dept, skind, sid, kind, period, extension, officer, state, pauses, extended, started, due)`,
		db.now(), pgArray[string](ids), pgArray[string](streets), pgArray[string](teams), pgArray[string](depts),
		pgArray[string](skinds), pgArray[string](sids), pgArray[string](kinds), pgArray[string](periods),
		pgArray[string](extensions), pgArray[string](officers), pgArray[string](states), pgArray[string](pauses),
		pgArray[bool](extended), pgArray[time.Time](starts), pgArray[time.Time](dues)).Error
	if err != nil {
		return nil, nil, translate(err, "open deadlines")
	}
	for i := range ds {
		if err := db.scheduleEscalation(ctx, tx, ids[i], dues[i]); err != nil {
			return nil, nil, err
		}
	}
	return entries, pubs, nil
}

// scheduleEscalation inserts, in tx, the job escalating deadline id at its due instant.
func (db *DB) scheduleEscalation(ctx context.Context, tx *gorm.DB, id string, due time.Time) error {
	if db.Jobs == nil {
		return nil
	}
	t, err := sqlTx(tx)
	if err != nil {
		return err
	}
	return translate(db.Jobs.EscalateTx(ctx, t, id, due), "schedule deadline escalation")
}

// Open stores a new deadline in the transaction of ctx (so that the change that opens it, a
// case filed, commits with it) or in its own, with its trail entry, its feed changes and its
// escalation job.
func (s *DeadlineStore) Open(ctx context.Context, d casework.Deadline) (Stored, error) {
	if d.ID == "" {
		d.ID = uuid.NewString()
	}
	if d.Pauses == nil {
		d.Pauses = []casework.Pause{}
	}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		entries, pubs, err := s.db.insertDeadlines(ctx, tx, []casework.Deadline{d})
		if err != nil {
			return err
		}
		if err := s.db.appendAudits(ctx, tx, entries); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, pubs[0])
	})
	if err != nil {
		return Stored{}, translate(err, "open deadline")
	}
	return s.Get(ctx, d.ID)
}

// seizureDeadlines are the deadlines the seizures of record st open (强制法 art. 25): one per
// seizure measure, from the act, for the department competent for its matter (as of the version
// the assessment used), answered for by the officer leading the act for that matter.
func (db *DB) seizureDeadlines(tx *gorm.DB, sts []inspection.State) ([]casework.Deadline, error) {
	type key struct {
		code    string
		version int
	}
	var codes []string
	var versions []int64
	// Only the matters of seizures: a push or a create without one reads nothing here.
	for _, st := range sts {
		seized := map[string]bool{}
		for _, m := range st.Record.Measures {
			if m.Kind == authority.MeasureSeizure && m.Seizure != nil {
				seized[m.MatterCode] = true
			}
		}
		for _, md := range st.Assessment.Decisions {
			if seized[md.MatterCode] {
				codes, versions = append(codes, md.MatterCode), append(versions, int64(md.Version))
			}
		}
	}
	depts := map[key]string{}
	if len(codes) > 0 {
		var rows []struct {
			Code       string
			Version    int
			Department string
		}
		if err := tx.Raw(`SELECT m.code, m.version, d.code AS department FROM matters m JOIN departments d ON d.id = m.department_id
			JOIN unnest(?::text[], ?::int[]) AS u(code, version) ON u.code = m.code AND u.version = m.version`,
			pgArray[string](codes), pgArray[int64](versions)).Scan(&rows).Error; err != nil {
			return nil, translate(err, "read departments of matters")
		}
		for _, r := range rows {
			depts[key{r.Code, r.Version}] = r.Department
		}
	}
	rules := db.deadlineRules()
	var out []casework.Deadline
	for _, st := range sts {
		for _, m := range st.Record.Measures {
			if m.Kind != authority.MeasureSeizure || m.Seizure == nil {
				continue
			}
			o := casework.DeadlineOpening{ID: uuid.NewString(), StreetCode: st.StreetCode, TeamCode: st.Record.TeamCode,
				Subject: casework.DeadlineSubject{Kind: "inspection", ID: st.Record.ID}, Kind: casework.DeadlineSeizure,
				Start: st.ActAt, Officer: st.RecordedBy, Extended: m.Seizure.ExtensionReason != ""}
			for _, md := range st.Assessment.Decisions {
				if md.MatterCode == m.MatterCode {
					o.Department = depts[key{md.MatterCode, md.Version}]
					if md.Decision.Lead != "" {
						o.Officer = md.Decision.Lead
					}
				}
			}
			d, err := rules.Policy.Open(o)
			if err != nil {
				return nil, derrors.Wrap(err, derrors.Internal, "open seizure deadline")
			}
			out = append(out, d)
			if m.Seizure.Urgent { // taken on the spot in an emergency: reported within 24 hours (强制法 art. 19)
				r := o
				r.ID, r.Kind, r.Extended = uuid.NewString(), casework.DeadlineEmergencyReport, false
				if d, err = rules.Policy.Open(r); err != nil {
					return nil, derrors.Wrap(err, derrors.Internal, "open emergency report deadline")
				}
				out = append(out, d)
			}
		}
	}
	return out, nil
}

// openedDeadlines are the trail entries and feed changes of the deadlines one record opened.
type openedDeadlines struct {
	entries []audit.Entry
	pubs    []Publication
}

// openSeizures opens, in tx, the deadlines of the seizures of the records sts, and returns
// their trail entries and feed changes by record id, for the caller to append and publish after
// the record's own (see insertDeadlines).
func (db *DB) openSeizures(ctx context.Context, tx *gorm.DB, sts []inspection.State) (map[string]openedDeadlines, error) {
	ds, err := db.seizureDeadlines(tx, sts)
	if err != nil {
		return nil, err
	}
	entries, pubs, err := db.insertDeadlines(ctx, tx, ds)
	if err != nil {
		return nil, err
	}
	out := map[string]openedDeadlines{}
	for i, d := range ds {
		o := out[d.Subject.ID]
		o.entries, o.pubs = append(o.entries, entries[i]), append(o.pubs, pubs[i]...)
		out[d.Subject.ID] = o
	}
	return out, nil
}

// Get returns a stored deadline, or derrors.NotFound.
func (s *DeadlineStore) Get(ctx context.Context, id string) (Stored, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return Stored{}, derrors.New(derrors.NotFound, "no deadline %q", id)
	}
	return s.get(s.db.conn(ctx), uid, false)
}

func (s *DeadlineStore) get(tx *gorm.DB, id uuid.UUID, lock bool) (Stored, error) {
	q := `SELECT ` + deadlineColumns + ` FROM deadlines WHERE id = ?`
	if lock {
		q += ` FOR UPDATE`
	}
	var rows []deadlineRow
	if err := tx.Raw(q, id).Scan(&rows).Error; err != nil {
		return Stored{}, translate(err, "read deadline")
	}
	if len(rows) == 0 {
		return Stored{}, derrors.New(derrors.NotFound, "no deadline %s", id)
	}
	return storedFromRow(rows[0])
}

func storedFromRow(r deadlineRow) (Stored, error) {
	d, err := r.deadline()
	return Stored{Deadline: d, State: casework.DeadlineState(r.State), Due: r.DueAt.UTC()}, err
}

// DeadlineFilter selects deadlines for a list, most urgent first (by due instant, then id).
type DeadlineFilter struct {
	StreetCode string // "" for every street
	// State: "" (all), open (running, not due), paused, met, due_soon (open and due within the
	// policy's window), overdue (escalated, or due and not escalated yet).
	State   string
	Subject *casework.DeadlineSubject
	// After is the (due instant, id) of the last deadline of the previous page.
	AfterDue time.Time
	AfterID  string
	Limit    int
}

// List returns the deadlines f selects, at most f.Limit.
func (s *DeadlineStore) List(ctx context.Context, f DeadlineFilter) ([]Stored, error) {
	now := s.db.now()
	q := s.db.conn(ctx).Table("deadlines").Select(deadlineColumns)
	if f.StreetCode != "" {
		q = q.Where("street_code = ?", f.StreetCode)
	}
	switch f.State {
	case "":
	case "open":
		q = q.Where("state = 'open' AND due_at > ?", now)
	case "due_soon":
		q = q.Where("state = 'open' AND due_at > ? AND due_at <= ?", now, now.Add(s.db.deadlineRules().Policy.DueSoon))
	case "overdue":
		q = q.Where("(state = 'overdue' OR (state = 'open' AND due_at <= ?))", now)
	case "paused", "met":
		q = q.Where("state = ?", f.State)
	default:
		return nil, derrors.Invalidf("state", "no deadline state %q", f.State)
	}
	if f.Subject != nil {
		q = q.Where("subject_kind = ? AND subject_id = ?", f.Subject.Kind, f.Subject.ID)
	}
	if f.AfterID != "" {
		q = q.Where("(due_at, id) > (?, ?::uuid)", f.AfterDue, f.AfterID)
	}
	var rows []deadlineRow
	if err := q.Order("due_at, id").Limit(f.Limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list deadlines")
	}
	out := make([]Stored, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = storedFromRow(r); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Pause stops deadline id, at version, now, with reason (casework.Deadline.Pause).
func (s *DeadlineStore) Pause(ctx context.Context, id string, version int, reason string) (Stored, error) {
	cal := s.db.deadlineRules().Calendar
	return s.change(ctx, id, version, "deadline.pause", true, func(d casework.Deadline, at time.Time) (casework.Deadline, error) {
		return d.Pause(cal, at, reason)
	})
}

// Resume restarts deadline id, at version, now, with reason, and schedules its escalation at its
// new due instant.
func (s *DeadlineStore) Resume(ctx context.Context, id string, version int, reason string) (Stored, error) {
	return s.change(ctx, id, version, "deadline.resume", true, func(d casework.Deadline, at time.Time) (casework.Deadline, error) {
		return d.Resume(at, reason)
	})
}

// Meet records that the act deadline id waits for was done now (version 0: whatever its version),
// in the transaction of ctx or its own.
func (s *DeadlineStore) Meet(ctx context.Context, id string, version int) (Stored, error) {
	return s.change(ctx, id, version, "deadline.meet", false, casework.Deadline.Meet)
}

// change applies act to deadline id at the store's now, if the deadline is at version (0: any):
// derrors.Conflict when it moved on or act refuses; sealed refuses, with derrors.CaseArchived, a
// deadline of an archived case (checked under the deadline's lock, which a closing takes too). The row, its
// trail entry and feed changes, and (when the deadline runs again) its escalation job are
// written in one transaction.
func (s *DeadlineStore) change(ctx context.Context, id string, version int, action string, sealed bool,
	act func(casework.Deadline, time.Time) (casework.Deadline, error)) (Stored, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return Stored{}, derrors.New(derrors.NotFound, "no deadline %q", id)
	}
	var out Stored
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.get(tx, uid, true)
		if err != nil {
			return err
		}
		if sealed {
			if err := refuseArchivedSubject(tx, before.Deadline.Subject); err != nil {
				return err
			}
		}
		if version != 0 && before.Deadline.Version != version {
			return derrors.New(derrors.Conflict, "the deadline moved to version %d meanwhile (not %d)", before.Deadline.Version, version)
		}
		now := s.db.now()
		d, err := act(before.Deadline, now)
		if err != nil {
			return derrors.Wrap(err, derrors.Conflict, err.Error())
		}
		d.Version++
		state, due, err := s.db.judged(d)
		if err != nil {
			return err
		}
		switch {
		case before.State == casework.DeadlineOverdue && state != casework.DeadlineMet:
			state = casework.DeadlineOverdue // escalated: only meeting it ends that
		case state == casework.DeadlineOverdue:
			state = casework.DeadlineOpen // due, not escalated yet: its job does that
		}
		pauses, err := jsonText(d.Pauses)
		if err != nil {
			return err
		}
		var met *time.Time
		if !d.MetAt.IsZero() {
			met = &d.MetAt
		}
		if err := tx.Exec(`UPDATE deadlines SET state = ?, due_at = ?, pauses = ?::jsonb, met_at = ?, officer_code = ?, version = ?,
				updated_at = ? WHERE id = ?`,
			string(state), due, pauses, met, d.Officer, d.Version, now, uid).Error; err != nil {
			return translate(err, "change deadline")
		}
		if state == casework.DeadlineOpen && before.State != casework.DeadlineOpen {
			if err := s.db.scheduleEscalation(ctx, tx, d.ID, due); err != nil {
				return err
			}
		}
		feed := NewDeadlineFeed(d, state, due, nil)
		if err := s.db.auditChange(ctx, tx, d.StreetCode, action, "deadline", d.ID,
			NewDeadlineFeed(before.Deadline, before.State, before.Due, nil), feed); err != nil {
			return err
		}
		out = Stored{Deadline: d, State: state, Due: due}
		return s.db.publish(ctx, tx, deadlinePublications(feed))
	})
	return out, translate(err, action)
}

// Escalate is the work of the job deadline.escalate: if deadline id is still open and its due
// instant has passed by the store's clock, it marks it overdue and escalates it to the leaders of
// its team (a trail entry by the system, the deadline pushed to the scopes of its officer, its
// team and its leaders), and returns the zero time. A deadline still open but not due yet (the
// job ran early, or the deadline was paused and resumed) returns its due instant, for the job to
// wait until then; a deadline paused, met or already overdue is left alone. The row is locked,
// so that two instances running the job at once escalate it once.
func (s *DeadlineStore) Escalate(ctx context.Context, id string) (time.Time, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return time.Time{}, nil // a job naming no deadline has nothing to do
	}
	var next time.Time
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.get(tx, uid, true)
		if derrors.CodeOf(err) == derrors.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		if before.State != casework.DeadlineOpen {
			return nil
		}
		state, due, err := s.db.judged(before.Deadline)
		if err != nil {
			return err
		}
		if state != casework.DeadlineOverdue {
			next = due
			return nil
		}
		now := s.db.now()
		d := before.Deadline
		d.EscalatedAt, d.Version = now, d.Version+1
		leaders, err := s.db.teamLeaders(tx, d.TeamCode, now)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE deadlines SET state = 'overdue', escalated_at = ?, due_at = ?, version = ?, updated_at = ? WHERE id = ?`,
			now, due, d.Version, now, uid).Error; err != nil {
			return translate(err, "escalate deadline")
		}
		feed := NewDeadlineFeed(d, casework.DeadlineOverdue, due, leaders)
		if err := s.db.auditChange(audit.WithActor(ctx, audit.Actor{}), tx, d.StreetCode, "deadline.escalate", "deadline", d.ID,
			NewDeadlineFeed(before.Deadline, before.State, before.Due, nil), feed); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, deadlinePublications(feed))
	})
	return next, translate(err, "escalate deadline")
}

// teamLeaders are the officer codes of the leaders of team at instant at.
func (db *DB) teamLeaders(tx *gorm.DB, team string, at time.Time) ([]string, error) {
	var codes []string
	err := tx.Raw(`SELECT o.code FROM team_memberships tm JOIN teams t ON t.id = tm.team_id JOIN officers o ON o.id = tm.officer_id
		WHERE t.code = @team AND tm.position = 'leader' AND tm.valid_from <= @at AND (tm.valid_to IS NULL OR tm.valid_to > @at)
		ORDER BY o.code`, sql.Named("team", team), sql.Named("at", at)).Scan(&codes).Error
	return codes, translate(err, "read team leaders")
}

// overdueCount is the number of deadlines overdue at the store's now: escalated, or due and not
// escalated yet.
func (db *DB) overdueCount(ctx context.Context) (int64, error) {
	var n int64
	err := db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM deadlines WHERE state = 'overdue' OR (state = 'open' AND due_at <= ?)`,
		db.now()).Scan(&n).Error
	return n, err
}

// applyCaseClocks applies, in tx, the changes of deadlines a change of case r makes
// (casework.ClocksOf): the officer responsible handed over, the deadlines met, the deadlines
// opened with their escalation jobs; each with its trail entry and feed changes. The case's
// own trail entry is written first (CaseStore.finish), so the trail reads cause then effect.
func (db *DB) applyCaseClocks(ctx context.Context, tx *gorm.DB, r casework.Record, ops casework.ClockOps) error {
	if ops.Empty() {
		return nil
	}
	store := &DeadlineStore{db: db}
	if ops.Officer != nil {
		officer := *ops.Officer
		ids, err := db.caseDeadlines(tx, r.ID, nil)
		if err != nil {
			return err
		}
		for _, id := range ids {
			_, err := store.change(ctx, id, 0, "deadline.reassign", false, func(d casework.Deadline, _ time.Time) (casework.Deadline, error) {
				d.Officer = officer
				return d, nil
			})
			if err != nil {
				return err
			}
		}
	}
	if ops.MeetAll || len(ops.Meet) > 0 || len(ops.MeetSeizuresOf) > 0 {
		var ids []string
		if ops.MeetAll || len(ops.Meet) > 0 {
			kinds := ops.Meet
			if ops.MeetAll {
				kinds = nil
			}
			var err error
			if ids, err = db.caseDeadlines(tx, r.ID, kinds); err != nil {
				return err
			}
		}
		if len(ops.MeetSeizuresOf) > 0 {
			var seizures []string
			if err := tx.Raw(`SELECT id::text FROM deadlines WHERE subject_kind = ? AND subject_id = ANY(?::text[]) AND kind = 'seizure'
				AND state <> 'met' ORDER BY id`, casework.SubjectInspection, pgArray[string](ops.MeetSeizuresOf)).Scan(&seizures).Error; err != nil {
				return translate(err, "read seizure deadlines")
			}
			ids = append(ids, seizures...)
		}
		for _, id := range ids {
			if _, err := store.Meet(ctx, id, 0); err != nil {
				return err
			}
		}
	}
	if len(ops.Open) == 0 {
		return nil
	}
	policy := db.deadlineRules().Policy
	ds := make([]casework.Deadline, len(ops.Open))
	for i, o := range ops.Open {
		if o.ID == "" {
			o.ID = uuid.NewString()
		}
		d, err := policy.Open(o)
		if err != nil {
			return derrors.Wrap(err, derrors.Internal, "open case deadline")
		}
		ds[i] = d
	}
	entries, pubs, err := db.insertDeadlines(ctx, tx, ds)
	if err != nil {
		return err
	}
	if err := db.appendAudits(ctx, tx, entries); err != nil {
		return err
	}
	for _, p := range pubs {
		if err := db.publish(ctx, tx, p); err != nil {
			return err
		}
	}
	return nil
}

// MeetInspectionDeadlines meets the deadlines of inspection record id of the given kinds not met
// yet, in the transaction of ctx (an approval's) or its own, each with its trail entry and feed
// change.
func (s *CaseStore) MeetInspectionDeadlines(ctx context.Context, id string, kinds []casework.DeadlineKind) error {
	ks := make([]string, len(kinds))
	for i, k := range kinds {
		ks[i] = string(k)
	}
	return s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var ids []string
		if err := tx.Raw(`SELECT id::text FROM deadlines WHERE subject_kind = ? AND subject_id = ? AND kind = ANY(?::text[])
			AND state <> 'met' ORDER BY id`, casework.SubjectInspection, id, pgArray[string](ks)).Scan(&ids).Error; err != nil {
			return translate(err, "read inspection deadlines")
		}
		store := &DeadlineStore{db: s.db}
		for _, d := range ids {
			if _, err := store.Meet(ctx, d, 0); err != nil {
				return err
			}
		}
		return nil
	})
}

// caseDeadlines are the ids of case id's deadlines not met, of the given kinds (nil: every
// kind), in id order (the order rows are locked in).
func (db *DB) caseDeadlines(tx *gorm.DB, id string, kinds []casework.DeadlineKind) ([]string, error) {
	q := tx.Table("deadlines").Select("id::text").Where("subject_kind = ? AND subject_id = ? AND state <> 'met'", casework.SubjectCase, id)
	if kinds != nil {
		ks := make([]string, len(kinds))
		for i, k := range kinds {
			ks[i] = string(k)
		}
		q = q.Where("kind = ANY(?::text[])", pgArray[string](ks))
	}
	var ids []string
	if err := q.Order("id").Scan(&ids).Error; err != nil {
		return nil, translate(err, "read case deadlines")
	}
	return ids, nil
}
