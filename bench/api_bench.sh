#!/usr/bin/env bash
# List latency and throughput at provincial scale: 1,000,000 demo enterprises, the filtered
# list API and the list page, 64 connections on loopback (wrk), signed in as a county
# official (the scoped case) and as the administrator with a region filter.
# Usage: bash bench/api_bench.sh [enterprises] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
SECS=${2:-15}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
OUT=bench/out
mkdir -p "$OUT"
DB="$OUT/api-$N.db"
if [ ! -f "$DB" ]; then
  "$BIN" --db "$DB" demo --enterprises "$N" --only enterprises --only enterprise-honours >/dev/null 2>&1
  echo "BenchAdmin2024" | "$BIN" --db "$DB" user add admin --role admin >/dev/null
  echo "BenchCounty2024" | "$BIN" --db "$DB" user add county --role official --region 210381 >/dev/null
fi
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" >"$OUT/api-server.log" 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
cookie() {
  curl -sf -c - -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" \
    "http://127.0.0.1:$PORT/api/login" | awk '$6 == "periclase_session" { print $7 }'
}
ADMIN=$(cookie admin BenchAdmin2024)
COUNTY=$(cookie county BenchCounty2024)
run() { # label cookie path
  local line cold
  # The first request after a write computes the filter's total (and, for a sorted wide
  # list, its per-county counts); wrk then measures the steady state.
  cold=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: periclase_session=$2" "http://127.0.0.1:$PORT$3" |
    awk '{ printf "%.1fms", $1 * 1000 }')
  line=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: periclase_session=$2" "http://127.0.0.1:$PORT$3" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$4} END {printf "%s | %s | %s | %s", p50, p99, rps, (bad == "" ? 0 : bad)}')
  echo "| $1 | \`$3\` | $cold | $line |"
}
echo "machine: $(nproc) cores, $(uname -m); date: $(date -u +%F); enterprises: $N; wrk -t2 -c64 -d${SECS}s"
echo
echo "| who | request | first request | p50 | p99 | requests/s | non-2xx |"
echo "| --- | --- | ---: | ---: | ---: | ---: | ---: |"
run "county official (scope 210381)" "$COUNTY" "/api/enterprises?limit=50"
run "administrator" "$ADMIN" "/api/enterprises?region=210381&limit=50"
run "administrator" "$ADMIN" "/api/enterprises?region=2108&tier=high_tech&limit=50"
run "administrator" "$ADMIN" "/api/enterprises?sort=name&limit=50"
run "county official (scope 210381)" "$COUNTY" "/r/enterprises"
run "county official (scope 210381)" "$COUNTY" "/r/enterprises?tier=high_tech&sort=-name"
run "administrator" "$ADMIN" "/api/enterprises?region=2103&sort=-updated&limit=50"
run "administrator" "$ADMIN" "/"
