#!/usr/bin/env bash
# make bench: every benchmark of the product on ONE durable throwaway
# cluster (deploy/local/test.sh with WHISTLE_TEST_DURABLE=1: fsync,
# synchronous_commit and full_page_writes on, as in production), in ROUNDS
# rounds (default 5), then one table (bench/report): median, min and max of
# each figure's protocol, baseline and ratio, its aim and whether the median
# meets it.
#
#   bench/all.sh            # = make bench
#   ROUNDS=3 bench/all.sh   # = make bench ROUNDS=3
#
# Interleaving: each round runs every benchmark once (-count=1), each with
# its protocol and baseline sub-benchmarks one after the other, so a slow
# spell of this shared machine hits both sides of a ratio alike; the rounds
# follow one another (bench/rounds.sh). The raw go test output is kept in
# bench/last-run.txt for reading or for `go run ./bench/report`.
set -euo pipefail
cd "$(dirname "$0")/.."
export BENCH_ROUNDS=${ROUNDS:-5}
out=bench/last-run.txt
# -exec: go test builds each package's test binary and hands it to
# bench/rounds.sh, which runs the rounds against the cluster that test.sh
# started; -p 1 keeps the packages from running at the same time.
status=0
WHISTLE_TEST_DURABLE=1 deploy/local/test.sh -p 1 -timeout 0 -exec "$PWD/bench/rounds.sh" -run '^$' -bench . \
  ./backend/postgres/ ./backend/api/ | tee "$out" || status=$?
echo
# The table even after a failed benchmark (its figures say "missing").
go run ./bench/report <"$out" || status=$?
exit "$status"
