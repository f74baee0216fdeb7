package pgtest

import (
	"sync/atomic"
	"testing"

	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/postgres"
)

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

// CountStatements counts in n the statements GORM sends on db (savepoints
// included; the BEGIN and COMMIT of a transaction go around it).
func CountStatements(b testing.TB, db *postgres.DB, n *atomic.Int64) {
	b.Helper()
	count := func(*gorm.DB) { n.Add(1) }
	cb := db.Gorm.Callback()
	for _, err := range []error{
		cb.Create().After("gorm:create").Register("bench:count", count),
		cb.Query().After("gorm:query").Register("bench:count", count),
		cb.Update().After("gorm:update").Register("bench:count", count),
		cb.Delete().After("gorm:delete").Register("bench:count", count),
		cb.Row().After("gorm:row").Register("bench:count", count),
		cb.Raw().After("gorm:raw").Register("bench:count", count),
	} {
		if err != nil {
			b.Fatal(err)
		}
	}
}
