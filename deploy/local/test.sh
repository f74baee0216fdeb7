#!/usr/bin/env bash
# make test: start a throwaway PostgreSQL and MinIO on free loopback ports in
# a temporary directory, run the whole test suite against them, and tear
# everything down, even when the tests fail or the run is interrupted.
# Extra arguments go to `go test` (default: -race -count=1 ./...).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/stack.sh

ensure_postgres
ensure_minio

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
pg_start "$work/pg" "$pg_port" fsync=off synchronous_commit=off full_page_writes=off max_connections=300
minio_start "$work/minio" "$s3_port" "$console_port" whistle-test whistle-test-secret

export WHISTLE_TEST_DATABASE_URL
WHISTLE_TEST_DATABASE_URL=$(pg_url "$pg_port" postgres)
export WHISTLE_TEST_S3_ENDPOINT="127.0.0.1:$s3_port"
export WHISTLE_TEST_S3_ACCESS_KEY=whistle-test
export WHISTLE_TEST_S3_SECRET_KEY=whistle-test-secret

if [ $# -eq 0 ]; then set -- -race -count=1 ./...; fi
say "go test $*"
go test "$@"
