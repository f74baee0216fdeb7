package pgtest

import "testing"

// RequireDurable fails b unless the test cluster is durable as production
// is (fsync, synchronous_commit and full_page_writes on): deploy/local/test.sh
// turns them off for speed, which benchmark figures must not measure
// (make bench starts it with WHISTLE_TEST_DURABLE=1).
func RequireDurable(b testing.TB) {
	b.Helper()
	db, _ := New(b)
	var fsync, commit, pages string
	if err := db.SQL.QueryRow(`SELECT current_setting('fsync'), current_setting('synchronous_commit'), current_setting('full_page_writes')`).
		Scan(&fsync, &commit, &pages); err != nil {
		b.Fatal(err)
	}
	if fsync != "on" || commit != "on" || pages != "on" {
		b.Fatalf("fsync %s, synchronous_commit %s, full_page_writes %s: run the benchmarks durable (make bench)", fsync, commit, pages)
	}
}
