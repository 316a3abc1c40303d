#!/usr/bin/env bash
# Import of a 1,000,000-row enterprise CSV (validated, committed) against sqlite3's own
# `.import` of the same file into a plain table (no validation), side by side in one run;
# then `export --format xlsx` of the same million rows. Prints a Markdown table for
# docs/BENCHMARKS.md. Usage: bash bench/import_bench.sh [rows] [runs]
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS=${1:-1000000}
RUNS=${2:-3}
OUT=bench/out
mkdir -p "$OUT"

need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need sqlite3 sqlite3
need /usr/bin/time time

cargo build --release -q -p periclase-cli
BIN=target/release/periclase
CSV="$OUT/enterprises.csv"
if [ ! -f "$CSV" ] || [ "$(($(wc -l < "$CSV") - 1))" != "$ROWS" ]; then
  "$BIN" demo --enterprises "$ROWS" --only enterprises --out "$OUT" --format csv
fi

# Runs a command under GNU time; prints "seconds peak_kib".
measure() {
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >/dev/null 2>"$OUT/stderr.txt" || { cat "$OUT/stderr.txt"; exit 1; }
  cat "$OUT/time.txt"
}

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: > "$OUT/sqlite.txt"; : > "$OUT/periclase.txt"; : > "$OUT/export.txt"; : > "$OUT/reimport.txt"; : > "$OUT/xlsx.txt"
for run in $(seq "$RUNS"); do
  rm -f "$OUT/plain.db" "$OUT/bench.db"* "$OUT/xlsx.db"*
  measure sqlite3 "$OUT/plain.db" ".mode csv" ".import $CSV plain" >> "$OUT/sqlite.txt"
  measure "$BIN" --db "$OUT/bench.db" import enterprises "$CSV" >> "$OUT/periclase.txt"
  measure "$BIN" --db "$OUT/bench.db" import enterprises "$CSV" >> "$OUT/reimport.txt"
  measure "$BIN" --db "$OUT/bench.db" export enterprises --format xlsx -o "$OUT/export.xlsx" >> "$OUT/export.txt"
  measure "$BIN" --db "$OUT/xlsx.db" import enterprises "$OUT/export.xlsx" >> "$OUT/xlsx.txt"
done
sq=$(cut -d' ' -f1 "$OUT/sqlite.txt" | median)
pc=$(cut -d' ' -f1 "$OUT/periclase.txt" | median)
pc_rss=$(cut -d' ' -f2 "$OUT/periclase.txt" | sort -n | tail -1)
sq_rss=$(cut -d' ' -f2 "$OUT/sqlite.txt" | sort -n | tail -1)
ex=$(cut -d' ' -f1 "$OUT/export.txt" | median)
re=$(cut -d' ' -f1 "$OUT/reimport.txt" | median)
re_rss=$(cut -d' ' -f2 "$OUT/reimport.txt" | sort -n | tail -1)
xl=$(cut -d' ' -f1 "$OUT/xlsx.txt" | median)
xl_rss=$(cut -d' ' -f2 "$OUT/xlsx.txt" | sort -n | tail -1)
ex_rss=$(cut -d' ' -f2 "$OUT/export.txt" | sort -n | tail -1)
rows_in_db=$(sqlite3 "$OUT/bench.db" "select count(*) from enterprise")
ratio=$(awk -v a="$pc" -v b="$sq" 'BEGIN {printf "%.2f", a / b}')

echo "machine: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(uname -m); date: $(date -u +%F); rows: $ROWS ($(du -m "$CSV" | cut -f1) MB CSV); runs: $RUNS (median time, max RSS)"
echo
echo "| task | time (s) | peak RSS (MiB) | note |"
echo "| --- | ---: | ---: | --- |"
echo "| sqlite3 \`.import\` into a plain table (no validation, no indexes) | $sq | $((sq_rss / 1024)) | baseline |"
echo "| \`periclase import enterprises\` (validated, upserted, indexed, one transaction) | $pc | $((pc_rss / 1024)) | ${ratio}× sqlite3; $rows_in_db rows in the database |"
echo "| same import again into the full table (every row looked up, all unchanged) | $re | $((re_rss / 1024)) | upsert path |"
echo "| \`periclase export enterprises --format xlsx\` | $ex | $((ex_rss / 1024)) | $(du -m "$OUT/export.xlsx" | cut -f1) MB xlsx, streamed |"
echo "| \`periclase import enterprises\` of that xlsx into an empty database | $xl | $((xl_rss / 1024)) | xlsx read cell by cell |"
