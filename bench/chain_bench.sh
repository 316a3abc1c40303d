#!/usr/bin/env bash
# Chain map at provincial scale: 1,000,000 demo enterprises with their figures, honours,
# capacities, chain memberships, projects, platforms and achievements.
# 1. `cargo bench --bench chain`: facts read from SQLite (cold) and every chain's metrics,
#    findings, 链主 and 招商 for 7 areas (warm).
# 2. The map page over HTTP (wrk, 64 connections): first request (facts read), then steady state.
# Usage: bash bench/chain_bench.sh [enterprises] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
SECS=${2:-10}
command -v wrk >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
DB="$PWD/bench/out/chain-$N.db"
mkdir -p bench/out
if [ ! -f "$DB" ]; then
  "$BIN" --db "$DB" demo --enterprises "$N" --only enterprises --only enterprise-figures --only enterprise-honours \
    --only enterprise-capacities --only chain-members --only projects --only platforms --only achievements >/dev/null 2>&1
  echo "ChainAdmin2024" | "$BIN" --db "$DB" user add admin --role admin >/dev/null
fi
echo "machine: $(nproc) cores, $(uname -m); date: $(date -u +%F); enterprises: $N"
echo
cargo bench -q -p periclase-cli --bench chain -- "$DB"
echo
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$BIN" --db "$DB" serve --addr "127.0.0.1:$PORT" >bench/out/chain-server.log 2>&1 &
SERVER=$!
trap 'kill "$SERVER" 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
COOKIE=$(curl -sf -c - -H 'content-type: application/json' -d '{"username":"admin","password":"ChainAdmin2024"}' \
  "http://127.0.0.1:$PORT/api/login" | awk '$6 == "periclase_session" { print $7 }')
# A fresh database's server first builds its search index and reads every chain's facts
# (tens of seconds of CPU): measure only once it is idle, at most two minutes from now.
cpu() { awk '{ print $14 + $15 }' "/proc/$SERVER/stat"; }
for _ in $(seq 60); do
  before=$(cpu); sleep 2; after=$(cpu)
  [ $((after - before)) -lt 20 ] && break  # under 10% of one core over 2 s (ticks of 10 ms)
done
run() { # path
  local first line
  first=$(curl -s -o /dev/null -w '%{time_total}' -H "Cookie: periclase_session=$COOKIE" "http://127.0.0.1:$PORT$1" |
    awk '{ printf "%.0f ms", $1 * 1000 }')
  line=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: periclase_session=$COOKIE" "http://127.0.0.1:$PORT$1" |
    awk '/^ +50%/ {p50=$2} /^ +99%/ {p99=$2} /Requests\/sec/ {rps=$2} /Non-2xx/ {bad=$4} END {printf "%s | %s | %s | %s", p50, p99, rps, (bad == "" ? 0 : bad)}')
  echo "| \`$1\` | $first | $line |"
}
echo "| map page | first request | p50 | p99 | requests/s | non-2xx |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
run "/chains/magnesia?region=21"
run "/chains/magnesia?region=2103"
run "/chains/mg-metal?region=34"
run "/chains/magnesia/nodes/refractory?region=2103"
