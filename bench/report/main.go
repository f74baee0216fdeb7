// Command report reads the output of `make bench` (go test -bench lines,
// with a "round: N" line before each round, as bench/rounds.sh prints them)
// on standard input and prints one table: for each figure of issue 13 the
// median, min and max over the rounds of the protocol, of the baseline and
// of their ratio (each ratio taken within one round, so both sides shared
// the machine's state), the aim, and whether the median meets it.
//
//	go run ./bench/report < bench/last-run.txt
//	go run ./bench/report -markdown < bench/last-run.txt   # for BENCHMARKS.md
//
// It exits with status 1 when a figure has no measurement (a benchmark
// failed or did not run); a missed aim is a result, not a failure.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
)

// figure is one line of the table: a metric of a protocol benchmark
// against the same metric (or another) of its baseline.
type figure struct {
	name string
	// protocol and baseline match benchmark names without the -GOMAXPROCS
	// suffix; unit is the metric read from each (baseUnit for the baseline
	// when it differs).
	protocol, baseline string
	unit, baseUnit     string
	// scale converts the metric for display, in shown units.
	scale float64
	shown string
	// ratio combines one round's protocol and baseline values; ratioUnit
	// labels it ("x" for a ratio, "ms" for a difference).
	ratio     func(p, b float64) float64
	ratioUnit string
	// aim is the target for the ratio, met the test of a median
	// against it (nil: reported without an aim).
	aim string
	met func(r float64) bool
	// check, if set, must hold for every round of the protocol (its
	// metrics by unit); it names what it checks.
	check     func(m map[string]float64) bool
	checkName string
}

// faster is the throughput ratio of two ns/op figures: baseline time over
// protocol time.
func faster(p, b float64) float64 { return b / p }

// throughput is the ratio of two throughput figures (MB/s, req/s).
func throughput(p, b float64) float64 { return p / b }

func atLeast(x float64) func(float64) bool { return func(r float64) bool { return r >= x } }

var figures = []figure{
	{name: "sync push of 500 vs pgx CopyFrom of its rows", protocol: `BenchmarkSyncPush/push`, baseline: `BenchmarkSyncPush/copyfrom`,
		unit: "ns/op", scale: 1e-6, shown: "ms", ratio: faster, ratioUnit: "x", aim: ">= 0.5x", met: atLeast(0.5)},
	{name: "re-push of the applied batch vs first push", protocol: `BenchmarkSyncPush/repush`, baseline: `BenchmarkSyncPush/push`,
		unit: "ns/op", scale: 1e-6, shown: "ms", ratio: faster, ratioUnit: "x faster", aim: ">= 5x, 0 rows", met: atLeast(5),
		check: func(m map[string]float64) bool { v, ok := m["rows/op"]; return ok && v == 0 }, checkName: "0 rows written"},
	{name: "sync pull of 1,000 changes vs SELECT + JSON", protocol: `BenchmarkSyncPull/pull`, baseline: `BenchmarkSyncPull/select_json`,
		unit: "ns/op", scale: 1e-6, shown: "ms", ratio: faster, ratioUnit: "x", aim: ">= 0.8x", met: atLeast(0.8)},
	{name: "evidence upload 3 MB vs PutObject", protocol: `BenchmarkEvidenceUpload/[^/]*3MB[^/]*/api`, baseline: `BenchmarkEvidenceUpload/[^/]*3MB[^/]*/putobject`,
		unit: "MB/s", scale: 1, shown: "MB/s", ratio: throughput, ratioUnit: "x", aim: ">= 0.8x", met: atLeast(0.8)},
	{name: "evidence upload 64 KiB vs PutObject", protocol: `BenchmarkEvidenceUpload/[^/]*64KiB[^/]*/api`, baseline: `BenchmarkEvidenceUpload/[^/]*64KiB[^/]*/putobject`,
		unit: "MB/s", scale: 1, shown: "MB/s", ratio: throughput, ratioUnit: "x", aim: ">= 0.6x", met: atLeast(0.6)},
	{name: "authenticated route vs bare Fiber: throughput", protocol: `BenchmarkAuthRoute`, baseline: `BenchmarkAuthRoute`,
		unit: "whistle-req/s", baseUnit: "fiber-req/s", scale: 1, shown: "req/s", ratio: throughput, ratioUnit: "x", aim: ">= 0.6x", met: atLeast(0.6)},
	{name: "authenticated route vs bare Fiber: p99 latency", protocol: `BenchmarkAuthRoute`, baseline: `BenchmarkAuthRoute`,
		unit: "whistle-p99-ms", baseUnit: "fiber-p99-ms", scale: 1, shown: "ms", ratio: func(p, b float64) float64 { return p - b }, ratioUnit: "ms more",
		aim: "<= 1 ms more", met: func(d float64) bool { return d <= 1 }},
	{name: "scoped read through GORM vs raw pgx", protocol: `BenchmarkScopedRead`, baseline: `BenchmarkScopedRead`,
		unit: "gorm-ns/read", baseUnit: "pgx-ns/read", scale: 1e-3, shown: "µs", ratio: faster, ratioUnit: "x", aim: ">= 0.9x", met: atLeast(0.9)},
	{name: "scoped case read through GORM vs raw pgx", protocol: `BenchmarkScopedCaseRead`, baseline: `BenchmarkScopedCaseRead`,
		unit: "gorm-ns/read", baseUnit: "pgx-ns/read", scale: 1e-3, shown: "µs", ratio: faster, ratioUnit: "x", aim: ">= 0.9x", met: atLeast(0.9)},
	{name: "district quarter's assessment (a year of 50,000 cases) vs raw SQL aggregate", protocol: `BenchmarkAssessmentQuarter`, baseline: `BenchmarkAssessmentQuarter`,
		unit: "report-ns/op", baseUnit: "sql-ns/op", scale: 1e-6, shown: "ms", ratio: faster, ratioUnit: "x", aim: "(reported), < 1 s",
		check: func(m map[string]float64) bool { return m["report-ns/op"] < 1e9 }, checkName: "report under a second"},
	{name: "reconnect storm, 50 phones: total vs ideal (50 x one phone alone)", protocol: `BenchmarkReconnectStorm/phones-50`, baseline: `BenchmarkReconnectStorm/phone-1`,
		unit: "total-ms", baseUnit: "ideal-ms", scale: 1e-3, shown: "s", ratio: faster, ratioUnit: "x of ideal", aim: "(reported)",
		check: func(m map[string]float64) bool { return m["exact"] == 1 }, checkName: "verdicts and rows exact"},
	{name: "reconnect storm: push p50 vs one phone's push alone", protocol: `BenchmarkReconnectStorm/phones-50`, baseline: `BenchmarkReconnectStorm/phone-1`,
		unit: "p50-push-ms", baseUnit: "push-ms", scale: 1, shown: "ms", ratio: throughput, ratioUnit: "x", aim: "(reported)"},
	{name: "reconnect storm: push p99 vs one phone's push alone", protocol: `BenchmarkReconnectStorm/phones-50`, baseline: `BenchmarkReconnectStorm/phone-1`,
		unit: "p99-push-ms", baseUnit: "push-ms", scale: 1, shown: "ms", ratio: throughput, ratioUnit: "x", aim: "(reported)"},
}

// results are the metrics of each benchmark (by name without the
// -GOMAXPROCS suffix): by round, its values by unit.
type results map[string]map[int]map[string]float64

var (
	benchLine = regexp.MustCompile(`^(Benchmark\S+?)(-\d+)?\s+\d+\s+(.+)$`)
	roundLine = regexp.MustCompile(`^round: (\d+)$`)
)

// parse reads go test -bench output: a benchmark line is a measurement of
// the round of the last "round: N" line (0 before any), so a ratio pairs
// the protocol and baseline of one round even when a round lacks one.
func parse(r io.Reader) (results, error) {
	res := results{}
	round := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if m := roundLine.FindStringSubmatch(sc.Text()); m != nil {
			round, _ = strconv.Atoi(m[1])
			continue
		}
		m := benchLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		f := strings.Fields(m[3])
		metrics := map[string]float64{}
		for i := 0; i+1 < len(f); i += 2 {
			v, err := strconv.ParseFloat(f[i], 64)
			if err != nil {
				return nil, fmt.Errorf("%s: metric %q: %w", m[1], f[i], err)
			}
			metrics[f[i+1]] = v
		}
		if res[m[1]] == nil {
			res[m[1]] = map[int]map[string]float64{}
		}
		res[m[1]][round] = metrics
	}
	return res, sc.Err()
}

// find returns the rounds of the one benchmark whose name matches pattern.
func (r results) find(pattern string) map[int]map[string]float64 {
	re := regexp.MustCompile(`^` + pattern + `$`)
	for name, rounds := range r {
		if re.MatchString(name) {
			return rounds
		}
	}
	return nil
}

// spread is the median, min and max of xs (xs not empty).
type spread struct{ med, lo, hi float64 }

func spreadOf(xs []float64) spread {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	med := s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return spread{med, s[0], s[n-1]}
}

func (s spread) format(unit string) string {
	return fmt.Sprintf("%s (%s-%s) %s", num(s.med), num(s.lo), num(s.hi), unit)
}

// num prints three significant digits or the integer part, whichever is longer.
func num(x float64) string {
	if x >= 1000 || x <= -1000 {
		return strconv.FormatFloat(x, 'f', 0, 64)
	}
	return strconv.FormatFloat(x, 'g', 3, 64)
}

// row is a figure's line of the table, or why it has none.
func row(f figure, res results) (cells []string, ok bool) {
	p, b := res.find(f.protocol), res.find(f.baseline)
	baseUnit := f.baseUnit
	if baseUnit == "" {
		baseUnit = f.unit
	}
	var ps, bs, rs []float64
	checked := true
	for _, i := range slices.Sorted(maps.Keys(p)) {
		if b[i] == nil {
			continue
		}
		pv, okP := p[i][f.unit]
		bv, okB := b[i][baseUnit]
		if !okP || !okB {
			continue
		}
		ps, bs, rs = append(ps, pv*f.scale), append(bs, bv*f.scale), append(rs, f.ratio(pv, bv))
		if f.check != nil && !f.check(p[i]) {
			checked = false
		}
	}
	if len(rs) == 0 {
		return []string{f.name, "missing", "missing", "", f.aim, "MISSING"}, false
	}
	r := spreadOf(rs)
	verdict := "-"
	if f.met != nil {
		verdict = "no"
		if f.met(r.med) {
			verdict = "yes"
		}
	}
	if f.check != nil {
		if checked {
			verdict += ", " + f.checkName
		} else {
			verdict += ", NOT " + f.checkName
		}
	}
	return []string{f.name, spreadOf(ps).format(f.shown), spreadOf(bs).format(f.shown), r.format(f.ratioUnit),
		f.aim, fmt.Sprintf("%s (%d rounds)", verdict, len(rs))}, true
}

func main() {
	markdown := flag.Bool("markdown", false, "print a Markdown table")
	flag.Parse()
	res, err := parse(os.Stdin)
	if err != nil {
		fmt.Fprintln(os.Stderr, "report:", err)
		os.Exit(1)
	}
	header := []string{"figure", "protocol median (min-max)", "baseline median (min-max)", "ratio median (min-max)", "aim", "met (median)"}
	w := tabwriter.NewWriter(os.Stdout, 0, 0, 2, ' ', 0)
	line := func(cells []string) { fmt.Fprintln(w, strings.Join(cells, "\t")) }
	if *markdown {
		line = func(cells []string) { fmt.Fprintln(w, "| "+strings.Join(cells, " | ")+" |") }
	}
	line(header)
	if *markdown {
		line(slices.Repeat([]string{"---"}, len(header)))
	}
	missing := false
	for _, f := range figures {
		cells, ok := row(f, res)
		missing = missing || !ok
		line(cells)
	}
	w.Flush()
	if missing {
		fmt.Fprintln(os.Stderr, "report: some figures have no measurement (see the go test output above)")
		os.Exit(1)
	}
}
