#!/usr/bin/env bash
# make fuzz: run each fuzz target for a bounded time (FUZZTIME, default 60s
# each), then keep what it found worth keeping: the inputs of the fuzzer's
# cache that widened coverage are copied into the target's
# testdata/fuzz/<Target>/ (at most 64 KiB each), where `go test` replays
# them on every run and git keeps them. A failing input is written there by
# go test itself and fails the run.
#
#   deploy/local/fuzz.sh            every target, FUZZTIME each, corpus saved
#   deploy/local/fuzz.sh --short    every target for 5s, nothing saved (the test command's run)
#
# The targets need no database: they fuzz decoders, not stores.
set -euo pipefail
cd "$(dirname "$0")/../.."

# package target, one per line: the push decoder and its signatures, the
# EXIF/HEIF reader, the tus headers, the list cursor, the import CSV.
targets="./sync FuzzPushBody
./sync FuzzVerify
./media FuzzEXIF
./backend/api FuzzTusHeaders
./backend/api FuzzCursor
./backend/org FuzzImportCSV"

fuzztime=${FUZZTIME:-60s}
save=1
if [ "${1:-}" = --short ]; then
  fuzztime=5s
  save=
fi
cache=$(go env GOCACHE)/fuzz
module=$(go list -m)
while read -r pkg target; do
  echo "==> $target ($pkg) for $fuzztime"
  go test -run '^$' -fuzz "^$target\$" -fuzztime "$fuzztime" "$pkg" 2>&1 | grep -v '^fuzz: elapsed' || exit 1
  [ -n "$save" ] || continue
  from="$cache/$module/${pkg#./}/$target"
  into="${pkg#./}/testdata/fuzz/$target"
  [ -d "$from" ] || continue
  mkdir -p "$into"
  kept=0
  for f in "$from"/*; do
    if [ "$(stat -c %s "$f")" -le 65536 ] && [ ! -e "$into/$(basename "$f")" ]; then
      cp "$f" "$into/" && kept=$((kept + 1))
    fi
  done
  echo "    $kept new corpus entries in $into ($(ls "$into" | wc -l) in all)"
done <<< "$targets"
