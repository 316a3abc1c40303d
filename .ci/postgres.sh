#!/usr/bin/env bash
# Starts a throwaway PostgreSQL server for the store's and web's PostgreSQL tests and prints
# the connection string they read from PERICLASE_TEST_PG. Debian's packaged server, its own
# data directory under /tmp, trust authentication on 127.0.0.1 only, fsync off (a test
# database is never kept). Installs the package when it is missing.
#   eval "$(bash .ci/postgres.sh start)"   # exports PERICLASE_TEST_PG and PERICLASE_TEST_PGDATA
#   bash .ci/postgres.sh stop "$PERICLASE_TEST_PGDATA"
#   PERICLASE_TEST_PG_PORT=… bash .ci/postgres.sh restart "$DATA"   # crash and start again (fault tests)
set -euo pipefail
PORT=${PERICLASE_TEST_PG_PORT:-54329}
# Tests throw their databases away: no fsync. Benchmarks set PERICLASE_PG_DURABLE=1 to
# measure a server as it would run (fsync and synchronous commit on, the defaults).
if [ "${PERICLASE_PG_DURABLE:-0}" = 1 ]; then
  SPEED=""
else
  SPEED="-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
fi

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }
run() { if [ "$(id -u)" = 0 ]; then su postgres -s /bin/sh -c "$*"; else sh -c "$*"; fi; }
serve() {
  run "'$1/pg_ctl' -D '$2/data' -l '$2/log' -w -o \"-p $PORT -k '$2' -c listen_addresses=127.0.0.1 $SPEED -c max_connections=200\" start" >/dev/null
}

case "${1:-start}" in
start)
  if [ -z "$(pgbin)" ]; then
    echo "== installing postgresql" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  BIN=$(pgbin)
  DATA=$(mktemp -d /tmp/periclase-pg.XXXXXX)
  chown postgres: "$DATA"
  run "'$BIN/initdb' -D '$DATA/data' -A trust -U postgres -E UTF8 --locale=C.UTF-8" >/dev/null
  serve "$BIN" "$DATA"
  echo "export PERICLASE_TEST_PG='host=127.0.0.1 port=$PORT user=postgres dbname=postgres'"
  echo "export PERICLASE_TEST_PGDATA='$DATA'"
  ;;
restart)
  # An immediate stop is a crash (no checkpoint): the start that follows recovers from the log.
  DATA=${2:?data directory}
  BIN=$(pgbin)
  run "'$BIN/pg_ctl' -D '$DATA/data' -m immediate stop" >/dev/null
  serve "$BIN" "$DATA"
  ;;
stop)
  DATA=${2:?data directory}
  BIN=$(pgbin)
  if [ "$(id -u)" = 0 ]; then
    su postgres -s /bin/sh -c "'$BIN/pg_ctl' -D '$DATA/data' -m immediate stop" >/dev/null 2>&1 || true
  else
    "$BIN/pg_ctl" -D "$DATA/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$DATA"
  ;;
esac
