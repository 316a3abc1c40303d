#!/usr/bin/env bash
# Import of the 1,000,000-row enterprise CSV into PostgreSQL (validated, COPY, one
# transaction) against psql's own \copy of the same file into a plain table (no validation,
# no indexes), side by side in one run, on a durable server (fsync and synchronous commit
# on, PostgreSQL's defaults) started for the benchmark. Median of R rounds, each into a new
# database. Usage: bash bench/postgres_import_bench.sh [rows=1000000] [rounds=3]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
R=${2:-3}
OUT=bench/out
mkdir -p "$OUT"
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
CSV="$OUT/enterprises.csv"
if [ ! -f "$CSV" ] || [ "$(($(wc -l < "$CSV") - 1))" != "$ROWS" ]; then
  "$BIN" demo --enterprises "$ROWS" --only enterprises --out "$OUT" --format csv
fi
eval "$(PERICLASE_PG_DURABLE=1 PERICLASE_TEST_PG_PORT=54330 bash .ci/postgres.sh start)"
trap 'bash .ci/postgres.sh stop "$PERICLASE_TEST_PGDATA"' EXIT
SERVER="$PERICLASE_TEST_PG"
chmod o+r "$CSV" 2>/dev/null || true
measure() { /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || { cat "$OUT/stderr.txt"; exit 1; }; cat "$OUT/time.txt"; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
: > "$OUT/pg-copy.txt"; : > "$OUT/pg-import.txt"
for round in $(seq "$R"); do
  psql "$SERVER" -qc "DROP DATABASE IF EXISTS bench_plain" -c "CREATE DATABASE bench_plain"
  psql "$SERVER dbname=bench_plain" -qc "CREATE TABLE plain (uscc text, name text, region text, address text, industry text, founded text, main_products text, business_scope text, external text)"
  measure psql "$SERVER dbname=bench_plain" -qc "\\copy plain FROM '$CSV' WITH (FORMAT csv, HEADER true)" >> "$OUT/pg-copy.txt"
  psql "$SERVER" -qc "DROP DATABASE IF EXISTS bench_periclase" -c "CREATE DATABASE bench_periclase"
  # The schema is made first (a new database), so the round times the import alone.
  "$BIN" --db "$SERVER dbname=bench_periclase" user list >/dev/null
  measure "$BIN" --db "$SERVER dbname=bench_periclase" import enterprises "$CSV" >> "$OUT/pg-import.txt"
  n=$(psql "$SERVER dbname=bench_periclase" -Atc "SELECT count(*) FROM enterprise")
  [ "$n" = "$ROWS" ] || { echo "round $round: $n rows in the database, expected $ROWS"; exit 1; }
done
copy=$(median < "$OUT/pg-copy.txt"); imp=$(median < "$OUT/pg-import.txt")
rss=$(awk '{print $2}' "$OUT/pg-import.txt" | sort -n | tail -1)
echo "machine: $(nproc) cores, $(uname -m); date: $(date -u +%F); rows: $ROWS; rounds: $R"
echo "psql \\copy (plain table): $(tr '\n' ' ' < "$OUT/pg-copy.txt")→ median $copy s"
echo "periclase import:          $(tr '\n' ' ' < "$OUT/pg-import.txt")→ median $imp s, peak RSS $((rss / 1024)) MiB"
awk -v a="$imp" -v b="$copy" 'BEGIN { printf "ratio: %.2f× psql \\copy (target ≤ 2×)\n", a / b }'
