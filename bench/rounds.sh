#!/usr/bin/env bash
# The -exec program of bench/all.sh: go test calls it with a package's test
# binary (in the package's directory, the throwaway cluster in the
# environment); it runs that package's benchmarks BENCH_ROUNDS times, each
# round every benchmark once, and prints "round: N" before each round for
# bench/report. The arguments after the binary (go test's own flags) are
# replaced by the plan below: each benchmark with the benchtime it needs.
set -euo pipefail
bin=$1
case $(basename "$bin") in
postgres.test)
  plan=(
    '-test.bench=^BenchmarkSync(Push|Pull)$ -test.benchtime=5x'
    '-test.bench=^BenchmarkScoped(Case)?Read$ -test.benchtime=2s'
    '-test.bench=^BenchmarkAssessmentQuarter$ -test.benchtime=20x'
  ) ;;
api.test)
  plan=(
    # the evidence benchmark as bench/evidence.sh runs it (its -benchtime)
    '-test.bench=^BenchmarkEvidenceUpload$ -test.benchtime=3s'
    '-test.bench=^BenchmarkAuthRoute$ -test.benchtime=1x'
    '-test.bench=^BenchmarkReconnectStorm$ -test.benchtime=1x'
  ) ;;
*)
  echo "bench/rounds.sh: no benchmarks planned for $bin" >&2
  exit 1 ;;
esac
for round in $(seq 1 "${BENCH_ROUNDS:-5}"); do
  echo "round: $round"
  for p in "${plan[@]}"; do
    # shellcheck disable=SC2086 # $p is a list of flags
    "$bin" -test.run='^$' -test.count=1 -test.timeout=30m $p
  done
done
