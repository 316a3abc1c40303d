#!/usr/bin/env bash
# The list API at 1,000,000 enterprises on PostgreSQL, served by one instance and by two
# behind nginx (docs/deploy/nginx.conf as it is, ports replaced), side by side in one run:
# R rounds alternating one and two instances, wrk -t2 -c64 for SECS seconds per request,
# median and spread of p99 and requests/s. Then two instances with one killed (SIGKILL)
# halfway through a run: what the clients got. A durable server (fsync and synchronous
# commit on) is started for the benchmark.
# Usage: bash bench/postgres_serve_bench.sh [enterprises=1000000] [seconds=10] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
SECS=${2:-10}
R=${3:-3}
need=()
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v nginx >/dev/null 2>&1 || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
OUT=$PWD/bench/out/pg-serve
rm -rf "$OUT" && mkdir -p "$OUT"
eval "$(PERICLASE_PG_DURABLE=1 PERICLASE_TEST_PG_PORT=54332 bash .ci/postgres.sh start)"
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  [ -f "$OUT/nginx.pid" ] && kill "$(cat "$OUT/nginx.pid")" 2>/dev/null || true
  bash .ci/postgres.sh stop "$PERICLASE_TEST_PGDATA"
}
trap cleanup EXIT
DB="$PERICLASE_TEST_PG dbname=bench_serve"
psql "$PERICLASE_TEST_PG" -qc "CREATE DATABASE bench_serve"
load_started=$(date +%s.%N)
"$BIN" --db "$DB" demo --enterprises "$N" --only enterprises --only enterprise-honours >/dev/null 2>&1
echo "BenchAdmin2024" | "$BIN" --db "$DB" user add admin --role admin >/dev/null
echo "BenchCounty2024" | "$BIN" --db "$DB" user add county --role official --region 210381 >/dev/null
psql "$DB" -qc "VACUUM ANALYZE"
load_secs=$(echo "$(date +%s.%N) - $load_started" | bc)

free_port() { python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
A=$(free_port); B=$(free_port); LB=$(free_port)
start_instance() { # port data-dir; its pid in LAST
  PERICLASE_LOG=info PERICLASE_DATA_DIR="$OUT/$2" "$BIN" --db "$DB" serve --addr "127.0.0.1:$1" \
    --trusted-proxy 127.0.0.1 >"$OUT/$2.log" 2>&1 &
  LAST=$!
  PIDS+=("$LAST")
  for _ in $(seq 600); do curl -sf "http://127.0.0.1:$1/healthz" >/dev/null && break; sleep 0.1; done
  # The first start builds the instance's search index from the records: wait for it, so
  # that the runs measure serving, not indexing.
  for _ in $(seq 600); do grep -q "search index built" "$OUT/$2.log" && break; sleep 0.5; done
}
start_instance "$A" instance-a
A_PID=$LAST
start_instance "$B" instance-b
B_PID=$LAST
sed -e "s/127.0.0.1:8081/127.0.0.1:$A/" -e "s/127.0.0.1:8082/127.0.0.1:$B/" -e "s/listen 80;/listen 127.0.0.1:$LB;/" \
  docs/deploy/nginx.conf > "$OUT/periclase.conf"
cat > "$OUT/nginx.conf" <<CONF
worker_processes 1;
pid $OUT/nginx.pid;
error_log $OUT/nginx-error.log;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $OUT/nginx-body;
  proxy_temp_path $OUT/nginx-proxy;
  include $OUT/periclase.conf;
}
CONF
"$NGINX" -c "$OUT/nginx.conf"
# One instance: nginx with only A in its upstream (the same proxy hop as with two).
sed -e "/127.0.0.1:$B/d" "$OUT/periclase.conf" > "$OUT/periclase-one.conf"
cp "$OUT/periclase.conf" "$OUT/periclase-two.conf"
use() { cp "$OUT/periclase-$1.conf" "$OUT/periclase.conf"; "$NGINX" -c "$OUT/nginx.conf" -s reload; sleep 1; }

cookie() {
  curl -sf -c - -H 'content-type: application/json' -d "{\"username\":\"$1\",\"password\":\"$2\"}" \
    "http://127.0.0.1:$LB/api/login" | awk '$6 == "periclase_session" { print $7 }'
}
ADMIN=$(cookie admin BenchAdmin2024)
COUNTY=$(cookie county BenchCounty2024)
REQUESTS=(
  "county official (scope 210381)|$COUNTY|/api/enterprises?limit=50"
  "administrator|$ADMIN|/api/enterprises?region=210381&limit=50"
  "administrator|$ADMIN|/api/enterprises?region=2108&tier=high_tech&limit=50"
)
measure() { # cookie path → "p99_ms rps non2xx errors"
  wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: periclase_session=$1" "http://127.0.0.1:$LB$2" |
    awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; return v * 1000 }
         /^ +99%/ {p99 = ms($2)} /Requests\/sec/ {rps = $2} /Non-2xx/ {bad = $4}
         /Socket errors/ {gsub(",", ""); err = $4 + $6 + $8 + $10}
         END {printf "%.2f %.0f %d %d\n", p99, rps, bad, err}'
}
for r in $(seq "$R"); do
  for setup in one two; do
    use "$setup"
    for i in "${!REQUESTS[@]}"; do
      IFS='|' read -r who c path <<<"${REQUESTS[$i]}"
      curl -s -o /dev/null -H "Cookie: periclase_session=$c" "http://127.0.0.1:$LB$path"
      echo "$setup $i $(measure "$c" "$path")" >> "$OUT/rounds.txt"
    done
  done
done

echo "machine: $(nproc) cores, $(uname -m), $(awk '/MemTotal/ {printf "%.0f GiB", $2 / 1048576}' /proc/meminfo); date: $(date -u '+%F %H:%M') UTC"
echo "PostgreSQL $(psql "$DB" -Atc 'SHOW server_version'), durable; $N enterprises (with honours) loaded in ${load_secs%.*} s"
echo "wrk -t2 -c64 -d${SECS}s through nginx (least_conn); $R rounds alternating one and two instances; median (min–max)"
echo
echo "| who | request | instances | p99 (ms) | requests/s | non-2xx + errors |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
stat() { sort -n | awk '{a[NR] = $1} END {printf "%s (%s–%s)", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
for i in "${!REQUESTS[@]}"; do
  IFS='|' read -r who c path <<<"${REQUESTS[$i]}"
  for setup in one two; do
    rows=$(awk -v s="$setup" -v i="$i" '$1 == s && $2 == i' "$OUT/rounds.txt")
    p99=$(echo "$rows" | awk '{print $3}' | stat)
    rps=$(echo "$rows" | awk '{print $4}' | stat)
    bad=$(echo "$rows" | awk '{b += $5 + $6} END {print b}')
    echo "| $who | \`$path\` | $([ "$setup" = one ] && echo 1 || echo 2) | $p99 | $rps | $bad |"
  done
done
for i in "${!REQUESTS[@]}"; do
  awk -v i="$i" '$2 == i && $1 == "one" {print $4}' "$OUT/rounds.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' > "$OUT/one.txt"
  awk -v i="$i" '$2 == i && $1 == "two" {print $4}' "$OUT/rounds.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}' > "$OUT/two.txt"
  paste "$OUT/one.txt" "$OUT/two.txt" | awk -v i="$i" '{printf "request %d: two instances at %.0f%% of one (median requests/s)\n", i + 1, 100 * $2 / $1}'
done

# One of the two killed halfway through a run.
use two
IFS='|' read -r who c path <<<"${REQUESTS[0]}"
( sleep "$((SECS / 2))"; kill -9 "$B_PID" ) &
line=$(wrk -t2 -c64 -d"${SECS}s" --latency -H "Cookie: periclase_session=$c" "http://127.0.0.1:$LB$path" |
  awk '/^ +99%/ {p99 = $2} /Requests\/sec/ {rps = $2} /requests in/ {n = $1} /Non-2xx/ {bad = $4}
       /Socket errors/ {gsub(",", ""); err = $4 + $6 + $8 + $10}
       END {printf "%s requests, p99 %s, %s requests/s, non-2xx %d, socket errors %d", n, p99, rps, bad, err}')
echo
echo "two instances, B killed (SIGKILL) after $((SECS / 2)) s of a ${SECS}-s run of \`$path\`: $line"
after=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: periclase_session=$c" "http://127.0.0.1:$LB$path")
echo "a request after the run: HTTP $after"
