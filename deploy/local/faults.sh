#!/usr/bin/env bash
# make faults: a throwaway durable stack (PostgreSQL with fsync on, MinIO)
# on free loopback ports, migrated and seeded with the demo data, and the
# fault harness deploy/faults against it: SIGKILLs of the API, restarts of
# PostgreSQL and MinIO, a loopback proxy that drops, stalls and truncates;
# all while `whistle simulate` rounds run, each checked at the end.
# Figures: RELIABILITY.md. Knobs: FAULTS_KILLS (default 200),
# FAULTS_DEP_RESTARTS (20 each), FAULTS_NET_ROUNDS (3), FAULTS_SIMULATE
# (the rounds' simulate flags).
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/stack.sh

ensure_postgres
ensure_minio

work=$(mktemp -d "${TMPDIR:-/tmp}/whistle-faults.XXXXXX")
chmod 755 "$work"
MINIO_PID=
cleanup() {
  set +e
  minio_stop
  pg_stop "$work/pg"
  if [ "${FAULTS_KEEP:-}" = 1 ]; then say "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building whistle and the harness once"
go build -o "$work/whistle" ./backend/cmd/whistle
go build -o "$work/faults" ./deploy/faults

pg_port=$(free_port)
s3_port=$(free_port)
console_port=$(free_port)
api_port=$(free_port)
say "throwaway durable PostgreSQL on 127.0.0.1:$pg_port, MinIO on 127.0.0.1:$s3_port, API on 127.0.0.1:$api_port (in $work)"
pg_init "$work/pg"
pg_opts="-c listen_addresses=127.0.0.1 -p $pg_port -c unix_socket_directories=$work/pg -c max_connections=300"
pg_start "$work/pg" "$pg_port" max_connections=300
as_pg "$PG_BIN/createdb" -h "$work/pg" -p "$pg_port" -U "$PG_SUPERUSER" whistle
minio_start "$work/minio" "$s3_port" "$console_port" whistle-faults whistle-faults-secret

export WHISTLE_DATABASE_URL
WHISTLE_DATABASE_URL=$(pg_url "$pg_port" whistle)
export WHISTLE_S3_ENDPOINT="127.0.0.1:$s3_port" WHISTLE_S3_ACCESS_KEY=whistle-faults WHISTLE_S3_SECRET_KEY=whistle-faults-secret
export WHISTLE_SIGNING_KEY
WHISTLE_SIGNING_KEY=$("$work/whistle" keygen)
"$work/whistle" migrate
"$work/whistle" seed demo
# The harness restarts MinIO itself (phase 2): it takes over the same data.
minio_stop

FAULTS_WORK="$work" FAULTS_BIN="$work/whistle" FAULTS_PG_CTL="$PG_BIN/pg_ctl" FAULTS_PG_DIR="$work/pg" \
  FAULTS_PG_OPTS="$pg_opts" FAULTS_MINIO_BIN="$MINIO_BIN" FAULTS_S3_DIR="$work/minio" \
  FAULTS_S3_PORT="$s3_port" FAULTS_S3_CONSOLE_PORT="$console_port" FAULTS_API_PORT="$api_port" \
  FAULTS_SIMULATE="${FAULTS_SIMULATE:--officers 3 -acts 4 -photos 2 -photo-bytes 1500000}" \
  "$work/faults"
