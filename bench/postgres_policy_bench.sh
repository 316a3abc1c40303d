#!/usr/bin/env bash
# 免申即享 over the demo province from PostgreSQL against the same from SQLite, side by side
# in one run: the same N enterprises (with their yearly figures, honours, projects and
# first-set policies) loaded into both, then `periclase policy run` over the whole province
# (every policy in force, preview), R rounds alternating the two stores; median and spread
# of the wall time and peak RSS. A durable PostgreSQL server is started for the benchmark.
# Usage: bash bench/postgres_policy_bench.sh [enterprises=1000000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-1000000}
R=${2:-3}
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
OUT=$PWD/bench/out/pg-policy
rm -rf "$OUT" && mkdir -p "$OUT"
eval "$(PERICLASE_PG_DURABLE=1 PERICLASE_TEST_PG_PORT=54333 bash .ci/postgres.sh start)"
trap 'bash .ci/postgres.sh stop "$PERICLASE_TEST_PGDATA"' EXIT
PG="$PERICLASE_TEST_PG dbname=bench_policy"
psql "$PERICLASE_TEST_PG" -qc "CREATE DATABASE bench_policy"
LITE="$OUT/policy-$N.db"
ONLY=(--only enterprises --only enterprise-figures --only enterprise-honours --only projects --only first-sets)
t0=$(date +%s)
"$BIN" --db "$LITE" demo --enterprises "$N" "${ONLY[@]}" >/dev/null 2>&1
t1=$(date +%s)
"$BIN" --db "$PG" demo --enterprises "$N" "${ONLY[@]}" >/dev/null 2>&1
t2=$(date +%s)
psql "$PG" -qc "VACUUM ANALYZE"
figures=$(psql "$PG" -Atc "SELECT count(*) FROM enterprise_figure")
run() { # store label
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$BIN" --db "$1" policy run --date 2025-06-30 --region 21 \
    >"$OUT/$2.out" 2>"$OUT/$2.err" || { cat "$OUT/$2.err"; exit 1; }
  echo "$(cat "$OUT/time.txt")" >> "$OUT/$2.txt"
}
for _ in $(seq "$R"); do run "$LITE" sqlite; run "$PG" postgres; done
stat() { sort -n | awk '{a[NR] = $1} END {printf "%s (%s–%s)", a[int((NR + 1) / 2)], a[1], a[NR]}'; }
echo "machine: $(nproc) cores, $(uname -m); date: $(date -u '+%F %H:%M') UTC; enterprises: $N ($figures yearly figures); rounds: $R"
echo "loaded: SQLite $((t1 - t0)) s, PostgreSQL $((t2 - t1)) s (durable)"
echo
echo "| store | policy run, whole province (s) | peak RSS (MiB) |"
echo "| --- | ---: | ---: |"
for s in sqlite postgres; do
  secs=$(awk '{print $1}' "$OUT/$s.txt" | stat)
  rss=$(awk '{printf "%d\n", $2 / 1024}' "$OUT/$s.txt" | stat)
  echo "| $s | $secs | $rss |"
done
lite=$(awk '{print $1}' "$OUT/sqlite.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
pg=$(awk '{print $1}' "$OUT/postgres.txt" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')
awk -v a="$pg" -v b="$lite" 'BEGIN { printf "PostgreSQL at %.2f× SQLite (target ≤ 2×)\n", a / b }'
# Both computed the same list.
diff <(grep -v "已存档\|完全相同" "$OUT/sqlite.out") <(grep -v "已存档\|完全相同" "$OUT/postgres.out") >/dev/null &&
  echo "the two stores' summaries are identical" || { echo "the summaries differ:"; diff "$OUT/sqlite.out" "$OUT/postgres.out"; }
