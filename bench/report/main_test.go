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
