# shellcheck shell=bash
# Functions shared by run.sh (make run) and test.sh (make test): find or
# install PostgreSQL and MinIO, start them on loopback, wait, stop.
# Source this file; it defines functions and variables only.

MINIO_MODULE="github.com/minio/minio@v0.0.0-20260212201848-7aac2a2c5b7c"
WHISTLE_CACHE="${XDG_CACHE_HOME:-$HOME/.cache}/whistle"
MINIO_BIN="$WHISTLE_CACHE/bin/minio"
PG_SUPERUSER=whistle
PG_PASSWORD=whistle

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# ensure_postgres sets PG_BIN to the PostgreSQL server binaries, installing
# Debian's postgresql package when they are missing and we are root.
ensure_postgres() {
  PG_BIN="${WHISTLE_PG_BIN:-}"
  if [ -z "$PG_BIN" ]; then
    PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  fi
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/postgres" ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing PostgreSQL server binaries (Debian package postgresql)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2 ||
        die "apt-get install postgresql failed"
      PG_BIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
    else
      die "PostgreSQL server binaries not found. Install them with: sudo apt-get install -y postgresql"
    fi
  fi
  [ -x "$PG_BIN/postgres" ] || die "no postgres binary in $PG_BIN"
}

# ensure_chromium sets and exports WHISTLE_CHROMIUM, the headless browser
# of the console's tests, installing Debian's chromium package when it is
# missing and we are root; otherwise it says how to install it and leaves
# WHISTLE_CHROMIUM empty (the browser tests then fail, they never skip).
ensure_chromium() {
  WHISTLE_CHROMIUM="${WHISTLE_CHROMIUM:-$(command -v chromium || true)}"
  if [ -z "$WHISTLE_CHROMIUM" ]; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Chromium for the console's browser tests (Debian package chromium)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2 ||
        die "apt-get install chromium failed"
      WHISTLE_CHROMIUM=$(command -v chromium)
    else
      say "Chromium not found: the console's browser tests will fail. Install it with: sudo apt-get install -y chromium"
    fi
  fi
  # The console is in Chinese: without a CJK font Chromium draws boxes (the
  # screenshots of the README would show them).
  if [ -n "$WHISTLE_CHROMIUM" ] && ! dpkg -s fonts-noto-cjk >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ]; then
      say "installing Chinese fonts for Chromium (Debian package fonts-noto-cjk)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-noto-cjk >&2 ||
        die "apt-get install fonts-noto-cjk failed"
    else
      say "fonts-noto-cjk not found: Chinese shows as boxes in Chromium. Install it with: sudo apt-get install -y fonts-noto-cjk"
    fi
  fi
  export WHISTLE_CHROMIUM
}

# as_pg runs a command as the postgres user when we are root (PostgreSQL
# refuses to run as root), and as ourselves otherwise.
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

# pg_init DIR: create a cluster in DIR unless there is one.
pg_init() {
  local dir=$1
  [ -f "$dir/PG_VERSION" ] && return 0
  mkdir -p "$dir"
  chmod 700 "$dir"
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || die "user postgres missing (it comes with Debian's postgresql-common package)"
    chown postgres: "$dir"
    # postgres must be able to reach DIR through its parents.
    as_pg test -x "$dir" || die "user postgres cannot reach $dir: give its parent directories o+x"
  fi
  local pwfile
  pwfile=$(mktemp)
  printf '%s\n' "$PG_PASSWORD" >"$pwfile"
  chmod 644 "$pwfile"
  as_pg "$PG_BIN/initdb" -D "$dir" -U "$PG_SUPERUSER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir.initdb.log" 2>&1 ||
    { rm -f "$pwfile"; cat "$dir.initdb.log" >&2; die "initdb failed"; }
  rm -f "$pwfile"
}

# pg_start DIR PORT [extra postgres -c options...]: start the cluster on
# 127.0.0.1:PORT and wait until it accepts connections.
pg_start() {
  local dir=$1 port=$2
  shift 2
  local opts="-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir"
  for o in "$@"; do opts="$opts -c $o"; done
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -l "$dir/server.log" -o "$opts" -w -t 60 start >/dev/null ||
    { tail -n 20 "$dir/server.log" >&2; die "PostgreSQL did not start on 127.0.0.1:$port"; }
}

# pg_stop DIR: fast shutdown (active sessions are rolled back, data is kept).
pg_stop() {
  local dir=$1
  [ -f "$dir/postmaster.pid" ] || return 0
  as_pg "$PG_BIN/pg_ctl" -D "$dir" -m fast -w -t 60 stop >/dev/null 2>&1 || true
}

# pg_url PORT DB: the superuser URL of a database of the local cluster.
pg_url() { printf 'postgres://%s:%s@127.0.0.1:%s/%s?sslmode=disable' "$PG_SUPERUSER" "$PG_PASSWORD" "$1" "$2"; }

# ensure_minio builds the pinned MinIO server once into the user's cache
# (about 4-5 minutes on 2 cores the first time; instant afterwards).
ensure_minio() {
  if [ -x "$MINIO_BIN" ] && [ "$(cat "$MINIO_BIN.module" 2>/dev/null)" = "$MINIO_MODULE" ]; then
    return 0
  fi
  command -v go >/dev/null || die "go is needed to build MinIO"
  say "building MinIO once into $WHISTLE_CACHE/bin (first time only: about 4-5 minutes)"
  mkdir -p "$WHISTLE_CACHE/bin"
  GOBIN="$WHISTLE_CACHE/bin" GOFLAGS= go install "$MINIO_MODULE" || die "building MinIO failed"
  printf '%s\n' "$MINIO_MODULE" >"$MINIO_BIN.module"
}

# minio_start DIR PORT CONSOLE_PORT USER PASSWORD: start MinIO on loopback in
# the background (pid in MINIO_PID) and wait until it is live.
minio_start() {
  local dir=$1 port=$2 console=$3 user=$4 password=$5
  mkdir -p "$dir"
  MINIO_ROOT_USER="$user" MINIO_ROOT_PASSWORD="$password" MINIO_BROWSER_REDIRECT=off \
    MINIO_UPDATE=off MINIO_CALLHOME_ENABLE=off \
    "$MINIO_BIN" server --quiet --address "127.0.0.1:$port" --console-address "127.0.0.1:$console" "$dir/data" \
    >"$dir/minio.log" 2>&1 &
  MINIO_PID=$!
  local i
  for i in $(seq 1 120); do
    if http_ok "$port" /minio/health/live; then return 0; fi
    kill -0 "$MINIO_PID" 2>/dev/null || { tail -n 20 "$dir/minio.log" >&2; die "MinIO exited at start"; }
    sleep 0.5
  done
  tail -n 20 "$dir/minio.log" >&2
  die "MinIO did not become live on 127.0.0.1:$port"
}

# minio_stop: ask MinIO to stop and wait for it.
minio_stop() {
  [ -n "${MINIO_PID:-}" ] || return 0
  kill -TERM "$MINIO_PID" 2>/dev/null || true
  wait "$MINIO_PID" 2>/dev/null || true
  MINIO_PID=
}

# http_ok PORT PATH: true if GET http://127.0.0.1:PORT/PATH answers 200
# (plain bash, so that a fresh machine needs no curl).
http_ok() {
  local status
  status=$( (exec 3<>"/dev/tcp/127.0.0.1/$1" && printf 'GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' "$2" >&3 && head -n 1 <&3) 2>/dev/null)
  case "$status" in *" 200 "*) return 0 ;; esac
  return 1
}

# port_free PORT: true if nothing listens on 127.0.0.1:PORT.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port: a port nobody listens on, between 20000 and 59999.
free_port() {
  local p
  while :; do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then
      echo "$p"
      return
    fi
  done
}
