package main

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestSeedDemo_Story seeds the demo twice on the real stack: the story's
// records, photos, cases and whistles are there once, every photo verified
// and locked, and the trail verifies.
func TestSeedDemo_Story(t *testing.T) {
	vars := stackEnv(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}, {"seed", "demo"}} {
		start := time.Now()
		out, err := command(ctx, vars, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
		t.Logf("whistle %v took %s:\n%s", args, time.Since(start).Round(time.Millisecond), out)
	}
	db, count := openCounter(t, ctx, vars)
	for _, q := range []string{`SELECT 'review ' || review, count(*) FROM inspections GROUP BY 1`, `SELECT 'case ' || state, count(*) FROM cases GROUP BY 1`,
		`SELECT 'deadline ' || kind || ' ' || state || CASE WHEN due_at < now() THEN ' past due' ELSE '' END, count(*) FROM deadlines GROUP BY 1`, `SELECT 'grant ' || department_code, count(*) FROM review_grants GROUP BY 1`} {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var what string
			var n int
			rows.Scan(&what, &n)
			t.Logf("%s: %d", what, n)
		}
		rows.Close()
	}
	photos := 0
	for _, r := range storyRecords {
		photos += r.photos
	}
	for what, c := range map[string]struct{ got, want int }{
		"records":              {count(`SELECT count(*) FROM inspections`), len(storyRecords)},
		"photos":               {count(`SELECT count(*) FROM evidence`), photos},
		"photos verified":      {count(`SELECT count(*) FROM evidence WHERE status = 'verified'`), photos},
		"thumbnails queued":    {count(`SELECT count(*) FROM river_job WHERE kind = 'evidence.thumbnail'`), photos},
		"records of street B":  {count(`SELECT count(*) FROM inspections WHERE street_code = 'st-b'`), 2},
		"whistles":             {count(`SELECT count(*) FROM whistles`), len(storyWhistles)},
		"whistles closed":      {count(`SELECT count(*) FROM whistles WHERE state = 'closed'`), 1},
		"cases archived":       {count(`SELECT count(*) FROM cases c JOIN archives a ON a.case_id = c.id WHERE c.state = 'archived'`), 1},
		"cases from records":   {count(`SELECT count(*) FROM cases WHERE NOT (id = ANY($1::uuid[]))`, "{"+storyCaseIDs()+"}"), 1},
		"returns waiting":      {count(`SELECT count(*) FROM evidence_reviews WHERE verdict = 'returned' AND answer IS NULL`), 1},
		"sj grants":            {min(count(`SELECT count(*) FROM review_grants WHERE department_code = 'sj'`), 1), 1},
		"seizures open":        {count(`SELECT count(*) FROM deadlines WHERE kind = 'seizure' AND state = 'open'`), 1},
		"work orders past due": {count(`SELECT count(*) FROM deadlines WHERE kind = 'work_order' AND state = 'open' AND due_at < now()`), 1},
		"phones synced":        {count(`SELECT count(*) FROM device_sync`), 2},
		"phone acts queued":    {count(`SELECT coalesce(sum(queue_depth), 0) FROM device_sync`), 2},
		"records from phones":  {count(`SELECT count(*) FROM sync_mutations`), 2},
		"cases of work orders": {count(`SELECT count(*) FROM cases WHERE id = ANY($1::uuid[])`, "{"+storyCaseIDs()+"}"), len(storyOrders) + 1},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", what, c.got, c.want)
		}
	}
	if n := len(storyPhoto(storyRecords[0], 0)); n < 200<<10 {
		t.Errorf("a photo of %d bytes, want a few hundred KB", n)
	}
	out, err := command(ctx, vars, "audit", "verify").CombinedOutput()
	if err != nil || !strings.Contains(string(out), "intact") {
		t.Fatalf("verify after seeding: %v\n%s", err, out)
	}
}

func storyCaseIDs() string {
	var ids []string
	for _, o := range storyOrders {
		ids = append(ids, storyID(o.name))
	}
	ids = append(ids, storyID("case/a/from-record-3"))
	return strings.Join(ids, ",")
}
