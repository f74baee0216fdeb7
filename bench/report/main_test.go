package main

import (
	"strings"
	"testing"
)

// A round's ratio pairs that round's protocol and baseline, also when
// another round lacks one of them; medians are over the rounds that have both.
func TestRowPairsRounds(t *testing.T) {
	out := `goos: linux
round: 1
BenchmarkSyncPush/push-2   5  400000000 ns/op  3500 rows/op
BenchmarkSyncPush/copyfrom-2  5  200000000 ns/op  3500 rows/op
BenchmarkSyncPush/repush-2  5  40000000 ns/op  0 rows/op
round: 2
BenchmarkSyncPush/copyfrom-2  5  100000000 ns/op  3500 rows/op
round: 3
BenchmarkSyncPush/push-2   5  300000000 ns/op  3500 rows/op
BenchmarkSyncPush/copyfrom-2  5  240000000 ns/op  3500 rows/op
BenchmarkSyncPush/repush-2  5  30000000 ns/op  2 rows/op
`
	res, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	cells, ok := row(figures[0], res)
	if !ok {
		t.Fatalf("push figure missing: %v", cells)
	}
	// Rounds 1 and 3: 0.5x and 0.8x; round 2 has no push.
	if cells[3] != "0.65 (0.5-0.8) x" || !strings.HasPrefix(cells[5], "yes (2 rounds)") {
		t.Errorf("push row = %q", cells)
	}
	cells, _ = row(figures[1], res)
	if cells[5] != "yes, NOT 0 rows written (2 rounds)" {
		t.Errorf("re-push row = %q: round 3 wrote 2 rows", cells)
	}
	if cells, ok := row(figures[2], res); ok || cells[5] != "MISSING" {
		t.Errorf("pull row without measurements = %q, %v", cells, ok)
	}
}

// Figures read from one benchmark's custom metrics (interleaved sides).
func TestRowMetricsOfOneBenchmark(t *testing.T) {
	res, err := parse(strings.NewReader("round: 1\nBenchmarkAuthRoute-2 1 7557439299 ns/op 8.6 fiber-p99-ms 15206 fiber-req/s 13.1 whistle-p99-ms 7603 whistle-req/s\n"))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range figures {
		if !strings.HasPrefix(f.name, "authenticated route") {
			continue
		}
		cells, ok := row(f, res)
		if !ok || !strings.HasPrefix(cells[5], "no (1 rounds)") {
			t.Errorf("%s: %q", f.name, cells)
		}
	}
}

// The case read and the inspection read are two figures, each read from its
// own benchmark's metrics: neither picks up the other's line.
func TestRowScopedReadsApart(t *testing.T) {
	out := `round: 1
BenchmarkScopedRead-2   1800  1300000 ns/op  500000 gorm-ns/read  400000 pgx-ns/read  390000 sql-ns/read
BenchmarkScopedCaseRead-2   1900  1200000 ns/op  400000 gorm-ns/read  380000 pgx-ns/read  370000 sql-ns/read
round: 2
BenchmarkScopedCaseRead-2   1900  1200000 ns/op  500000 gorm-ns/read  400000 pgx-ns/read  370000 sql-ns/read
`
	res, err := parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string][]string{}
	for _, f := range figures {
		if strings.HasPrefix(f.name, "scoped ") {
			cells, _ := row(f, res)
			got[f.name] = cells
		}
	}
	// Case read: rounds 1 and 2 at 0.95x and 0.8x; inspection read: round 1 at 0.8x.
	if c := got["scoped case read through GORM vs raw pgx"]; len(c) < 6 || c[3] != "0.875 (0.8-0.95) x" || !strings.HasPrefix(c[5], "no (2 rounds)") {
		t.Errorf("case read row = %q", c)
	}
	if c := got["scoped read through GORM vs raw pgx"]; len(c) < 6 || c[3] != "0.8 (0.8-0.8) x" || !strings.HasPrefix(c[5], "no (1 rounds)") {
		t.Errorf("inspection read row = %q", c)
	}
}
