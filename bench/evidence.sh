#!/usr/bin/env bash
# Evidence upload benchmarks against the throwaway PostgreSQL and MinIO of
# deploy/local/test.sh: uploads through the API against minio-go PutObject
# of the same bytes from the same host (3 MB photos, 64 KiB files), and the
# peak heap at 16 concurrent uploads. Prints the raw `go test -bench` output
# and then the throughput ratios. Extra arguments go to `go test`
# (e.g. -benchtime=5s, -count=3). With -count=N, each ratio is printed per
# run (API and PutObject of the same round, interleaved), then the median,
# min and max over the runs.
#
# Durability on (fsync, synchronous_commit, full_page_writes), as in
# production; the benchmarks refuse to run without it.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(mktemp)
trap 'rm -f "$out"' EXIT
WHISTLE_TEST_DURABLE=1 deploy/local/test.sh -run '^$' -bench 'BenchmarkEvidenceUpload' -benchtime=3s "$@" ./backend/api/ | tee "$out"
echo
echo "throughput of the API relative to PutObject (same run):"
awk '
  /^BenchmarkEvidenceUpload\/.*\/(api|putobject)/ {
    split($1, p, "/"); size = p[2]; kind = p[3]; sub(/-[0-9]+$/, "", kind)
    for (i = 1; i <= NF; i++) if ($(i+1) == "MB/s") mbs[size, kind] = $i
    sizes[size] = 1
  }
  END {
    for (s in sizes) if ((s, "putobject") in mbs && (s, "api") in mbs)
      printf "  %-12s api %8.1f MB/s  putobject %8.1f MB/s  ratio %.2fx\n", s, mbs[s, "api"], mbs[s, "putobject"], mbs[s, "api"] / mbs[s, "putobject"]
  }' "$out"
