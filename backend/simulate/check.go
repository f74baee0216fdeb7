package simulate

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

// Summary is what a check found. The day passed when OK.
type Summary struct {
	Officers     int            // phones checked
	Recorded     int            // acts the phones recorded
	Acknowledged int            // acts the server answered with a final verdict (the results logs)
	Applied      int            // ... applied
	Duplicate    int            // ... answered as applied before (a retry whose first answer was lost)
	Flagged      int            // ... accepted with exceptions, for the team leader's review
	Reasons      map[string]int // the exceptions of the flagged acts, by code
	Rejected     int            // ... refused for good
	Refusals     map[string]int // the problems of the rejected acts, by code
	Photos       int            // photos taken
	Verified     int            // ... verified by the server and linked to their record
	Lost         int            // acknowledged acts the server does not hold (or a phone no longer has)
	Duplicated   int            // acknowledged acts the server holds more than once
	Incomplete   int            // records neither complete nor flagged, and rejections without a problem
	Unsent       int            // acts still in an outbox
	Behind       int            // phones whose last pull still brought changes
	Problems     []string       // what failed, one line each
}

// OK reports whether nothing was lost, duplicated, left unsent or behind,
// every photo verified and every record complete or flagged for a reason.
func (s Summary) OK() bool {
	return s.Lost == 0 && s.Duplicated == 0 && s.Incomplete == 0 && s.Unsent == 0 && s.Behind == 0 && s.Verified == s.Photos &&
		len(s.Problems) == 0
}

func (s *Summary) problem(format string, args ...any) {
	s.Problems = append(s.Problems, fmt.Sprintf(format, args...))
}

// Write prints the summary, a figure a line, then the problems.
func (s Summary) Write(w io.Writer) {
	counts := func(m map[string]int) string {
		if len(m) == 0 {
			return ""
		}
		var parts []string
		for _, k := range slices.Sorted(maps.Keys(m)) {
			parts = append(parts, fmt.Sprintf("%s %d", k, m[k]))
		}
		return " (" + strings.Join(parts, ", ") + ")"
	}
	fmt.Fprintf(w, "officers:     %d\n", s.Officers)
	fmt.Fprintf(w, "recorded:     %d\n", s.Recorded)
	fmt.Fprintf(w, "acknowledged: %d\n", s.Acknowledged)
	fmt.Fprintf(w, "applied:      %d\n", s.Applied)
	fmt.Fprintf(w, "duplicate:    %d\n", s.Duplicate)
	fmt.Fprintf(w, "flagged:      %d%s\n", s.Flagged, counts(s.Reasons))
	fmt.Fprintf(w, "rejected:     %d%s\n", s.Rejected, counts(s.Refusals))
	fmt.Fprintf(w, "photos:       %d\n", s.Photos)
	fmt.Fprintf(w, "verified:     %d\n", s.Verified)
	fmt.Fprintf(w, "lost:         %d\n", s.Lost)
	fmt.Fprintf(w, "duplicated:   %d\n", s.Duplicated)
	fmt.Fprintf(w, "incomplete:   %d\n", s.Incomplete)
	fmt.Fprintf(w, "unsent:       %d\n", s.Unsent)
	fmt.Fprintf(w, "behind:       %d\n", s.Behind)
	for _, p := range s.Problems {
		fmt.Fprintln(w, "problem:", p)
	}
	if s.OK() {
		fmt.Fprintln(w, "check: passed")
	} else {
		fmt.Fprintln(w, "check: FAILED")
	}
}

// serverRecord is what the check reads of an inspection.
type serverRecord struct {
	Record struct {
		ID       string `json:"id"`
		TeamCode string `json:"team_code"`
	} `json:"record"`
	Status     string `json:"status"`
	Review     string `json:"review"`
	Assessment struct {
		Exceptions []wsync.Exception `json:"exceptions"`
	} `json:"assessment"`
	EvidenceVerified []string `json:"evidence_verified"`
}

// Check checks the server against the phones in cfg.Dir (as Run left them,
// or after anything that happened since): see the package comment. Only
// cfg.Server, cfg.Dir, cfg.Password, cfg.HTTP and cfg.Client are used. An
// error is a check that could not run; what it found is in the Summary.
func Check(ctx context.Context, cfg Config) (Summary, error) {
	cfg = cfg.withDefaults()
	sum := Summary{Reasons: map[string]int{}, Refusals: map[string]int{}}
	entries, err := os.ReadDir(cfg.Dir)
	if err != nil {
		return sum, err
	}
	var phones []int
	for _, e := range entries {
		if i, err := strconv.Atoi(e.Name()); err == nil && e.IsDir() {
			phones = append(phones, i)
		}
	}
	slices.Sort(phones)
	if len(phones) == 0 {
		return sum, fmt.Errorf("%s holds no phones", cfg.Dir)
	}
	lost := map[string]bool{}
	teams := map[string]*teamCheck{} // by team code
	for _, i := range phones {
		dir := filepath.Join(cfg.Dir, strconv.Itoa(i))
		if err := checkPhone(ctx, cfg, i, dir, &sum, lost, teams); err != nil {
			return sum, fmt.Errorf("phone %d: %w", i, err)
		}
	}
	// No duplicates: each team leader lists the team's records; every
	// acknowledged one is there exactly once.
	for _, code := range slices.Sorted(maps.Keys(teams)) {
		t := teams[code]
		seen, err := listTeam(ctx, t.leader, code)
		if err != nil {
			return sum, fmt.Errorf("list the inspections of %s as %s: %w", code, t.leader.username, err)
		}
		for _, id := range slices.Sorted(maps.Keys(t.ids)) {
			switch n := seen[id]; {
			case n == 0 && !lost[id]:
				lost[id] = true
				sum.problem("record %s is not in %s's list of team %s", id, t.leader.username, code)
			case n > 1:
				sum.Duplicated += n - 1
				sum.problem("record %s is listed %d times", id, n)
			}
		}
	}
	sum.Lost += len(lost)
	return sum, nil
}

// teamCheck is what the list of one team must hold: the acknowledged
// records, as its leader sees them.
type teamCheck struct {
	leader *session
	ids    map[string]bool
}

// checkPhone checks the phone in dir and adds what it found to sum.
func checkPhone(ctx context.Context, cfg Config, i int, dir string, sum *Summary, lost map[string]bool, teams map[string]*teamCheck) error {
	j, err := loadJournal(dir)
	if err != nil {
		return err
	}
	c, err := client.Open(dir, cfg.Client)
	if err != nil {
		return err
	}
	defer c.Close()
	st, err := c.Status()
	if err != nil {
		return err
	}
	results, err := c.Results()
	if err != nil {
		return err
	}
	sum.Officers++
	o := j.Officer
	s := &session{server: cfg.Server, username: o.Username, password: cfg.Password, deviceID: c.DeviceID(), http: cfg.HTTP}
	t := teams[o.Team]
	if t == nil {
		t = &teamCheck{leader: &session{server: cfg.Server, username: o.Leader, password: cfg.Password, http: cfg.HTTP}, ids: map[string]bool{}}
		teams[o.Team] = t
	}
	recorded := int(st.NextSeq - 1)
	sum.Recorded += recorded
	sum.Unsent += st.QueueDepth
	if st.QueueDepth > 0 {
		sum.problem("phone %d: %d act(s) still in the outbox", i, st.QueueDepth)
	}
	answered := map[int64]bool{}
	for _, r := range results {
		answered[r.Seq] = true
		sum.Acknowledged++
		switch r.Verdict {
		case wsync.Applied:
			sum.Applied++
		case wsync.Duplicate:
			sum.Duplicate++
		case wsync.AcceptedWithExceptions:
			sum.Flagged++
			for _, e := range r.Exceptions {
				sum.Reasons[e.Code]++
			}
			if len(r.Exceptions) == 0 {
				sum.Incomplete++
				sum.problem("phone %d: act %d was flagged without an exception", i, r.Seq)
			}
		case wsync.Rejected:
			sum.Rejected++
			if r.Problem == nil || r.Problem.Code == "" {
				sum.Incomplete++
				sum.problem("phone %d: act %d was rejected without a problem", i, r.Seq)
			} else {
				sum.Refusals[r.Problem.Code]++
			}
			continue // kept in the device's sync log, not as a record
		}
		if r.Name != inspection.MutationRecord {
			continue
		}
		if err := checkRecord(ctx, s, i, r, sum, lost); err != nil {
			return err
		}
		t.ids[r.EntityID] = true
	}
	// An act that left the outbox without an answer logged is lost on the phone.
	for seq := int64(1); seq < st.NextSeq; seq++ {
		if !answered[seq] && !inOutbox(st, seq) {
			sum.Lost++
			sum.problem("phone %d: act %d left the outbox without a verdict", i, seq)
		}
	}
	for _, act := range j.Acts {
		for _, ph := range act.Photos {
			sum.Photos++
			if err := checkPhoto(ctx, s, i, act.RecordID, ph); err != nil {
				if statusOf(err) == 0 && !errors.As(err, new(*checkFailure)) {
					return err
				}
				sum.problem("%v", err)
				continue
			}
			sum.Verified++
		}
	}
	// Caught up: the last pull brings nothing new.
	rep, err := c.Pull(ctx)
	if err != nil {
		return fmt.Errorf("last pull: %w", err)
	}
	if rep.Changes > 0 {
		sum.Behind++
		sum.problem("phone %d: the last pull still brought %d change(s)", i, rep.Changes)
	}
	return nil
}

// inOutbox reports whether act seq may still be in the outbox: the queue
// holds the acts after the last answered ones, so only its length is known.
func inOutbox(st client.Status, seq int64) bool {
	return seq >= st.NextSeq-int64(st.QueueDepth)
}

// checkRecord fetches the record of acknowledged act r as its officer.
func checkRecord(ctx context.Context, s *session, i int, r client.LoggedResult, sum *Summary, lost map[string]bool) error {
	var rec serverRecord
	_, err := s.call(ctx, http.MethodGet, "/v1/inspections/"+url.PathEscape(r.EntityID), nil, &rec)
	if statusOf(err) == http.StatusNotFound {
		lost[r.EntityID] = true
		sum.problem("phone %d: act %d (%s, %s) is not on the server", i, r.Seq, r.EntityID, r.Verdict)
		return nil
	}
	if err != nil {
		return err
	}
	if rec.Status != "complete" && len(rec.Assessment.Exceptions) == 0 {
		sum.Incomplete++
		sum.problem("phone %d: record %s is %s and not flagged", i, r.EntityID, rec.Status)
	}
	if len(rec.EvidenceVerified) != len(slices.Compact(slices.Sorted(slices.Values(rec.EvidenceVerified)))) {
		sum.Duplicated++
		sum.problem("phone %d: record %s counts a photo twice: %v", i, r.EntityID, rec.EvidenceVerified)
	}
	return nil
}

// checkFailure is a photo that is not as it should be.
type checkFailure struct{ msg string }

func (e *checkFailure) Error() string { return e.msg }

// checkPhoto fetches photo ph of record as its uploader: verified, linked
// to the record, its EXIF read and agreeing with the declared capture.
func checkPhoto(ctx context.Context, s *session, i int, record string, ph photo) error {
	if ph.EvidenceID == "" {
		return &checkFailure{fmt.Sprintf("phone %d: photo %s of %s was never uploaded: %s", i, ph.ClientID, record, ph.Problem)}
	}
	var ev struct {
		Status         string `json:"status"`
		SHA256         string `json:"sha256"`
		LinkedRecordID string `json:"linked_record_id"`
		ProblemCode    string `json:"problem_code"`
		EXIF           *struct {
			DateTimeOriginal string `json:"date_time_original"`
		} `json:"exif"`
		Discrepancies []string `json:"discrepancies"`
	}
	_, err := s.call(ctx, http.MethodGet, "/v1/evidence/"+url.PathEscape(ph.EvidenceID), nil, &ev)
	if statusOf(err) == http.StatusNotFound {
		return &checkFailure{fmt.Sprintf("phone %d: photo %s (evidence %s) is not on the server", i, ph.ClientID, ph.EvidenceID)}
	}
	if err != nil {
		return err
	}
	if ev.Status != "verified" || ev.SHA256 != ph.SHA256 || ev.LinkedRecordID != record {
		return &checkFailure{fmt.Sprintf("phone %d: photo %s (evidence %s) is %s %s, linked to %q, want verified and linked to %s",
			i, ph.ClientID, ph.EvidenceID, ev.Status, ev.ProblemCode, ev.LinkedRecordID, record)}
	}
	// The phone wrote the EXIF from what it declares: the server must read it, and agree.
	if ev.EXIF == nil || ev.EXIF.DateTimeOriginal == "" || len(ev.Discrepancies) > 0 {
		return &checkFailure{fmt.Sprintf("phone %d: photo %s (evidence %s): EXIF %+v, discrepancies %q; want its EXIF read and agreeing",
			i, ph.ClientID, ph.EvidenceID, ev.EXIF, ev.Discrepancies)}
	}
	return nil
}

// listTeam counts the records of team in its leader's list, page by page.
func listTeam(ctx context.Context, leader *session, team string) (map[string]int, error) {
	seen := map[string]int{}
	next := "/v1/inspections?limit=500&team=" + url.QueryEscape(team)
	for pages := 0; next != "" && pages < 10_000; pages++ {
		var page []serverRecord
		h, err := leader.call(ctx, http.MethodGet, next, nil, &page)
		if err != nil {
			return nil, err
		}
		for _, r := range page {
			seen[r.Record.ID]++
		}
		next = nextPage(h)
	}
	return seen, nil
}
