#!/usr/bin/env bash
# make run: the local stack. PostgreSQL and MinIO on loopback with their data
# under .data/ (kept between runs; `make reset` deletes it), then migrate,
# load the demo data set and serve the API on 127.0.0.1:8080.
# Ctrl-C stops all three.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/local/stack.sh

PG_PORT=54329
S3_PORT=59000
CONSOLE_PORT=59001
DATA="$PWD/.data"

ensure_postgres
ensure_minio

for p in "$PG_PORT" "$S3_PORT" "$CONSOLE_PORT" 8080; do
  port_free "$p" || die "127.0.0.1:$p is in use (another 'make run'?)"
done

say "building whistle"
mkdir -p bin
go build -o bin/whistle ./backend/cmd/whistle

mkdir -p "$DATA"
chmod 755 "$DATA"
MINIO_PID=
APP_PID=
cleanup() {
  set +e
  trap - EXIT INT TERM
  if [ -n "$APP_PID" ]; then
    kill -TERM "$APP_PID" 2>/dev/null
    wait "$APP_PID" 2>/dev/null
  fi
  minio_stop
  pg_stop "$DATA/postgres"
  say "stopped API, MinIO and PostgreSQL (data kept in .data/; 'make reset' deletes it)"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

pg_init "$DATA/postgres"
pg_start "$DATA/postgres" "$PG_PORT"
if ! as_pg "$PG_BIN/psql" -h "$DATA/postgres" -p "$PG_PORT" -U "$PG_SUPERUSER" -d postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname = 'whistle'" | grep -q 1; then
  as_pg "$PG_BIN/createdb" -h "$DATA/postgres" -p "$PG_PORT" -U "$PG_SUPERUSER" whistle
fi
minio_start "$DATA/minio" "$S3_PORT" "$CONSOLE_PORT" whistle whistle-dev-secret

export WHISTLE_DATABASE_URL
WHISTLE_DATABASE_URL=$(pg_url "$PG_PORT" whistle)
export WHISTLE_S3_ENDPOINT="127.0.0.1:$S3_PORT" WHISTLE_S3_ACCESS_KEY=whistle WHISTLE_S3_SECRET_KEY=whistle-dev-secret
export WHISTLE_ADDR=127.0.0.1:8080
# The local stack's own signing key, made on first start and kept with its
# data: no key published with the code signs anything, even locally.
if [ ! -s "$DATA/signing.key" ]; then
  (umask 077 && bin/whistle keygen >"$DATA/signing.key.tmp" && mv "$DATA/signing.key.tmp" "$DATA/signing.key")
  say "generated the signing key .data/signing.key"
fi
export WHISTLE_SIGNING_KEY
WHISTLE_SIGNING_KEY=$(cat "$DATA/signing.key")

bin/whistle migrate
bin/whistle seed demo

cat <<TXT

  Whistle is starting.
    API            http://127.0.0.1:8080   (health: /healthz, readiness: /readyz, metrics: /metrics)
    API reference  http://127.0.0.1:8080/docs   (contract: /openapi.yaml)
    Console        http://127.0.0.1:8080/console/   (password whistle-demo: team leaders leader.a, leader.b; department reviewer reviewer.sj; grid operators grid.a, grid.b; administrator admin)
    MinIO console  http://127.0.0.1:$CONSOLE_PORT   (user whistle, password whistle-dev-secret)
    PostgreSQL     $(pg_url "$PG_PORT" whistle)
  Demo logins are listed above. Ctrl-C stops everything.

TXT
bin/whistle serve &
APP_PID=$!
wait "$APP_PID"
APP_PID=
