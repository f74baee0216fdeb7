#!/usr/bin/env bash
# make test: start a throwaway PostgreSQL and MinIO on free loopback ports in
# a temporary directory, run the whole test suite against them, and tear
# everything down, even when the tests fail or the run is interrupted.
# Extra arguments go to `go test` (default: -race -count=1 ./...).
#
# With no arguments, it first checks what a reviewer would: gofmt, go vet,
# staticcheck (pinned in go.mod as a tool), that go mod tidy changes nothing
# and that the generated code is current; then the suite runs twice: once
# on today's clock (with the race detector), and once more with the whole suite's clock moved forward
# by WHISTLE_TEST_CLOCK_SHIFT_AGAIN (default 548d, about 18 months), which
# proves that no test is pinned to the calendar (backend/clock/clocktest);
# then each fuzz target runs for a few seconds (deploy/local/fuzz.sh --short).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/stack.sh

if [ $# -eq 0 ]; then
  say "gofmt -l ."
  unformatted=$(gofmt -l backend sync media openapi)
  [ -z "$unformatted" ] || die "not gofmt-formatted (run gofmt -w): $unformatted"
  say "go vet ./..."
  go vet ./...
  say "staticcheck ./..."
  go tool staticcheck ./...
  say "go mod tidy changes nothing"
  go mod tidy -diff || die "go.mod or go.sum is not tidy: run go mod tidy"
  say "generated code is current"
  gen=$(mktemp -d)
  go build -o "$gen/oapi-codegen" github.com/oapi-codegen/oapi-codegen/v2/cmd/oapi-codegen
  cp openapi/oapi-codegen.yaml openapi/openapi.yaml "$gen/"
  (cd "$gen" && ./oapi-codegen -config oapi-codegen.yaml openapi.yaml)
  cmp -s "$gen/openapi.gen.go" openapi/openapi.gen.go || { rm -rf "$gen"; die "openapi/openapi.gen.go is stale: run make generate"; }
  rm -rf "$gen"
fi

ensure_postgres
ensure_minio
ensure_chromium

work=$(mktemp -d "${TMPDIR:-/tmp}/whistle-test.XXXXXX")
chmod 755 "$work"
MINIO_PID=
cleanup() {
  set +e
  minio_stop
  pg_stop "$work/pg"
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_port=$(free_port)
s3_port=$(free_port)
console_port=$(free_port)
say "throwaway PostgreSQL on 127.0.0.1:$pg_port, MinIO on 127.0.0.1:$s3_port (in $work)"
pg_init "$work/pg"
# Durability is pointless for a cluster thrown away in minutes; speed is not.
# Benchmarks measure it as in production: WHISTLE_TEST_DURABLE=1 keeps it on.
if [ "${WHISTLE_TEST_DURABLE:-}" = 1 ]; then
  pg_start "$work/pg" "$pg_port" max_connections=300
else
  pg_start "$work/pg" "$pg_port" fsync=off synchronous_commit=off full_page_writes=off max_connections=300
fi
minio_start "$work/minio" "$s3_port" "$console_port" whistle-test whistle-test-secret

export WHISTLE_TEST_DATABASE_URL
WHISTLE_TEST_DATABASE_URL=$(pg_url "$pg_port" postgres)
export WHISTLE_TEST_S3_ENDPOINT="127.0.0.1:$s3_port"
export WHISTLE_TEST_S3_ACCESS_KEY=whistle-test
export WHISTLE_TEST_S3_SECRET_KEY=whistle-test-secret

if [ $# -gt 0 ]; then
  say "go test $*"
  go test "$@"
  exit
fi
say "go test -race -count=1 -timeout 30m ./..."
go test -race -count=1 -timeout 30m ./...
shift_again=${WHISTLE_TEST_CLOCK_SHIFT_AGAIN:-548d}
say "go test -count=1 ./... with the suite's clock moved $shift_again forward"
WHISTLE_TEST_CLOCK_SHIFT=$shift_again go test -count=1 -timeout 30m ./...
say "each fuzz target for 5s (make fuzz runs them longer and keeps their corpora)"
deploy/local/fuzz.sh --short
