package main

import (
	"context"
	"database/sql"
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
	db, err := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(query string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, query, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", query, err)
		}
		return n
	}
	rows, err := db.QueryContext(ctx, `SELECT review, count(*) FROM inspections GROUP BY review ORDER BY review`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var review string
		var n int
		rows.Scan(&review, &n)
		t.Logf("records reviewed %s: %d", review, n)
	}
	rows.Close()
	photos := 0
	for _, r := range storyRecords {
		photos += r.photos
	}
	for what, c := range map[string]struct{ got, want int }{
		"records":              {count(`SELECT count(*) FROM inspections`), len(storyRecords)},
		"photos":               {count(`SELECT count(*) FROM evidence`), photos},
		"photos verified":      {count(`SELECT count(*) FROM evidence WHERE status = 'verified'`), photos},
		"records of street B":  {count(`SELECT count(*) FROM inspections WHERE street_code = 'st-b'`), 2},
		"whistles":             {count(`SELECT count(*) FROM whistles`), len(storyWhistles)},
		"whistles closed":      {count(`SELECT count(*) FROM whistles WHERE state = 'closed'`), 1},
		"cases concluded":      {count(`SELECT count(*) FROM cases WHERE state = 'concluded'`), 1},
		"cases of work orders": {count(`SELECT count(*) FROM cases WHERE id = ANY($1::uuid[])`, "{"+storyCaseIDs()+"}"), len(storyOrders)},
	} {
		if c.got != c.want {
			t.Errorf("%s: %d, want %d", what, c.got, c.want)
		}
	}
	if n := count(`SELECT count(*) FROM cases`); n < len(storyOrders)+2 {
		t.Errorf("%d cases: want the work orders' and those the approved records opened", n)
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
	return strings.Join(ids, ",")
}
