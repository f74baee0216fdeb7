#!/usr/bin/env bash
# The sync benchmarks of issue 5, each with its baseline in the same run,
# against the throwaway PostgreSQL and MinIO that deploy/local/test.sh starts
# (and removes), durable. Prints the go test output, then the ratios.
#
#   bench/sync.sh [N]    N iterations of each benchmark (default 5)
#
# The benchmarks are in backend/postgres/sync_bench_test.go; results and
# their reading are in BENCHMARKS.md ("Sync").
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-5}
out=$(mktemp)
trap 'rm -f "$out"' EXIT
# Durability on (fsync, synchronous_commit, full_page_writes), as in
# production; the benchmarks refuse to run without it.
WHISTLE_TEST_DURABLE=1 deploy/local/test.sh -count=1 -run '^$' -bench '^BenchmarkSync' -benchtime "${n}x" ./backend/postgres/ | tee "$out"
awk '
  /^BenchmarkSync/ { name = $1; sub(/-[0-9]+$/, "", name); ns[name] = $3 }
  END {
    p = ns["BenchmarkSyncPush/push"]; c = ns["BenchmarkSyncPush/copyfrom"]; r = ns["BenchmarkSyncPush/repush"]
    l = ns["BenchmarkSyncPull/pull"]; s = ns["BenchmarkSyncPull/select_json"]
    if (!p || !c || !r || !l || !s) { print "missing results" > "/dev/stderr"; exit 1 }
    printf "\nratios (aims from issue 5):\n"
    printf "  push of 500 vs pgx CopyFrom of the same rows:  %.3fx  (aim >= 0.5x)   push %.0f ms, copy %.0f ms\n", c / p, p / 1e6, c / 1e6
    printf "  re-push of the applied batch vs first push:     %.1fx faster (aim >= 5x)  re-push %.0f ms\n", p / r, r / 1e6
    printf "  pull of 1,000 changes vs pgx SELECT + JSON:     %.2fx  (aim >= 0.8x)   pull %.1f ms, select %.1f ms\n", s / l, l / 1e6, s / 1e6
  }' "$out"
