#!/usr/bin/env bash
# Search and matching at provincial scale: about 1,000,000 demo records across the searched
# registries (293,000 enterprises with their capacities, energy and certifications, and the
# projects, talents, platforms, achievements, demands, policies, financial products,
# catalogue and 首台套 rows the generator scales with them).
# 1. `periclase index rebuild`: build time, index size, peak memory.
# 2. `cargo bench --bench search`: search and matching latency p50/p99, and how long an
#    edit takes to become searchable with the server's indexer running.
# 3. Matching quality against the plain baseline (bench/matching/compare.sh).
# Usage: bash bench/search_bench.sh [enterprises]
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-293000}
cargo build --release -q -p periclase-cli
BIN=$PWD/target/release/periclase
DB="$PWD/bench/out/search-$N.db"
mkdir -p bench/out
if [ ! -f "$DB" ]; then
  "$BIN" --db "$DB" demo --enterprises "$N" --only enterprises --only enterprise-capacities --only enterprise-energy \
    --only enterprise-certifications --only projects --only talents --only platforms --only achievements \
    --only demands --only policies --only financial-products --only catalogue --only first-sets >/dev/null 2>&1
fi
echo "machine: $(nproc) cores, $(uname -m); date: $(date -u +%F); enterprises: $N"
/usr/bin/time -f "index rebuild: peak RSS %M KiB, %e s wall" "$BIN" --db "$DB" index rebuild
echo
cargo bench -q -p periclase-cli --bench search -- "$DB"
echo
bash bench/matching/compare.sh
