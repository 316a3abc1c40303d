#!/usr/bin/env bash
# Periclase against OpenFisca 46, side by side in one run: the same ten policies (the
# shipped enterprise policies in data/policies, five more in bench/policy/policies, and
# their OpenFisca versions in openfisca_bench.py) over the same generated CSV of N
# enterprises; whole process (GNU time: start, read the CSV, evaluate, write every result)
# and compute only (as each reports it), median of R rounds; then compare.py checks both
# gave the same eligibility and amounts. Prints a Markdown table for docs/BENCHMARKS.md.
# Usage: bash bench/policy/run.sh [N=1000000] [R=3]
set -euo pipefail
cd "$(dirname "$0")/../.."
N=${1:-1000000}
R=${2:-3}
OUT=bench/out/policy
mkdir -p "$OUT"
need() { command -v "$1" >/dev/null 2>&1 || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$2" >/dev/null; }; }
need /usr/bin/time time
VENV=bench/out/policy-venv
if [ ! -x "$VENV/bin/python" ] || ! "$VENV/bin/python" -c "import openfisca_core, pandas" 2>/dev/null; then
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "openfisca-core>=46,<47" pandas
fi
PY="$VENV/bin/python"
CSV="$OUT/enterprises-$N.csv"
[ -f "$CSV" ] || "$PY" bench/policy/gen_data.py "$N" "$CSV"
cargo build -q --release -p periclase-policy --example openfisca_compare
BIN=target/release/examples/openfisca_compare

# Runs a command under GNU time; prints "wall_seconds peak_kib compute_seconds".
measure() {
  /usr/bin/time -f "%e %M" -o "$OUT/time.txt" "$@" >"$OUT/stdout.txt" 2>"$OUT/stderr.txt" || { cat "$OUT/stderr.txt"; exit 1; }
  echo "$(cat "$OUT/time.txt") $(grep -o 'compute [0-9.]*' "$OUT/stdout.txt" | cut -d' ' -f2)"
}
median() { sort -n | awk '{a[NR]=$0} END {print a[int((NR+1)/2)]}'; }
: > "$OUT/pc.txt"; : > "$OUT/of.txt"
for _ in $(seq "$R"); do
  measure "$BIN" data/policies bench/policy/policies "$CSV" "$OUT/periclase.csv" >> "$OUT/pc.txt"
  measure "$PY" bench/policy/openfisca_bench.py "$CSV" "$OUT/openfisca.csv" >> "$OUT/of.txt"
done
"$PY" bench/policy/compare.py "$OUT/periclase.csv" "$OUT/openfisca.csv" | tee "$OUT/compare.txt"

read -r pc_wall pc_kib pc_compute < <(median < "$OUT/pc.txt")
read -r of_wall of_kib of_compute < <(median < "$OUT/of.txt")
pc_c=$(sort -k3 -n "$OUT/pc.txt" | awk '{a[NR]=$3} END {print a[int((NR+1)/2)]}')
of_c=$(sort -k3 -n "$OUT/of.txt" | awk '{a[NR]=$3} END {print a[int((NR+1)/2)]}')
echo
echo "| engine | whole process (s) | compute only (s) | peak RSS (MiB) |"
echo "| --- | ---: | ---: | ---: |"
echo "| Periclase (\`openfisca_compare\`, release) | $pc_wall | $pc_c | $((pc_kib / 1024)) |"
echo "| OpenFisca $("$PY" -c 'import importlib.metadata as m; print(m.version("openfisca-core"))') + numpy (\`openfisca_bench.py\`) | $of_wall | $of_c | $((of_kib / 1024)) |"
awk -v a="$of_wall" -v b="$pc_wall" -v c="$of_c" -v d="$pc_c" \
  'BEGIN { printf "\nwhole process: Periclase %.1f× faster; compute only: %.2f× (OpenFisca / Periclase)\n", a / b, c / d }'
