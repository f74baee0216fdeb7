#!/usr/bin/env bash
# Evidence upload benchmarks against the throwaway PostgreSQL and MinIO of
# deploy/local/test.sh: uploads through the API against minio-go PutObject
# of the same bytes from the same host (3 MB photos, 64 KiB files), and the
# peak heap at 16 concurrent uploads. Prints the raw `go test -bench` output
# and then the throughput ratios. Extra arguments go to `go test`
# (e.g. -benchtime=5s, -count=3). -count=N runs N rounds, each its own
# go test on its own throwaway cluster, so that the API and its PutObject
# baseline alternate (go test -count would run one N times, then the other);
# each ratio (API over PutObject of the same round) is then given as its
# median, min and max over the rounds.
#
# Durability on (fsync, synchronous_commit, full_page_writes), as in
# production; the benchmarks refuse to run without it.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=1
args=()
while [ $# -gt 0 ]; do
  case $1 in
    -count=*|--count=*) rounds=${1#*=} ;;
    -count|--count) rounds=$2; shift ;;
    *) args+=("$1") ;;
  esac
  shift
done
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for ((round = 1; round <= rounds; round++)); do
  WHISTLE_TEST_DURABLE=1 deploy/local/test.sh -count=1 -run '^$' -bench 'BenchmarkEvidenceUpload' -benchtime=3s ${args[@]+"${args[@]}"} ./backend/api/ | tee -a "$out"
done
echo
echo "throughput of the API relative to PutObject (aims: photo-3MB >= 0.8x, file-64KiB >= 0.6x):"
awk '
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
    return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2
  }
  /^BenchmarkEvidenceUpload\/.*\/(api|putobject)/ {
    split($1, p, "/"); size = p[2]; kind = p[3]; sub(/-[0-9]+$/, "", kind)
    for (i = 1; i <= NF; i++) {
      if ($(i+1) == "MB/s") mbs = $i
      if ($(i+1) == "stmts/upload") stmts[size] = $i
    }
    if (kind == "api") { api[size] = mbs; order[size] = 1 }
    else if (size in api) { k = ++n[size]; ratio[size, k] = api[size] / mbs; a[size, k] = api[size]; b[size, k] = mbs; delete api[size] }
  }
  /^BenchmarkEvidenceUploadMemory\// { name = $1; sub(/-[0-9]+$/, "", name); for (i = 1; i <= NF; i++) if ($(i+1) == "peak-heap-MiB") peak[name] = peak[name] " " $i }
  END {
    for (s in order) {
      m = n[s]; lo = hi = ratio[s, 1]; line = ""
      for (k = 1; k <= m; k++) {
        r[k] = ratio[s, k]; lo = r[k] < lo ? r[k] : lo; hi = r[k] > hi ? r[k] : hi
        line = line sprintf(" %.2f", r[k]); ra[k] = a[s, k]; rb[k] = b[s, k]
      }
      printf "  %-11s ratio median %.2fx (min %.2f, max %.2f; rounds:%s)  api median %.1f MB/s, putobject median %.1f MB/s, %s stmts/upload\n",
        s, median(r, m), lo, hi, line, median(ra, m), median(rb, m), stmts[s]
    }
    for (x in peak) printf "  %s peak heap MiB (bound 192):%s\n", x, peak[x]
  }' "$out"
