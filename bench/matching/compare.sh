#!/usr/bin/env bash
# Matching quality, side by side in one run: Periclase's matcher and the plain baseline
# (jieba + BM25 over title + summary, bench/matching/baseline.py), both scored by the same
# evaluator (`periclase match eval`).
# usage: bash bench/matching/compare.sh [DATA_DIR]   (default ../shared/data/matching-dev)
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-../shared/data/matching-dev}"
venv=bench/out/match-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q rank_bm25==0.2.2 jieba==0.42.1
fi
cargo build -q --release -p periclase-cli
bin=target/release/periclase
run=$(mktemp)
trap 'rm -f "$run"' EXIT
"$venv/bin/python" bench/matching/baseline.py "$data" "$run"
echo "数据：$data"
printf '%-28s %s\n' "基线（jieba + BM25）" "$($bin match eval --data "$data" --run "$run")"
printf '%-28s %s\n' "Periclase" "$($bin match eval --data "$data")"
