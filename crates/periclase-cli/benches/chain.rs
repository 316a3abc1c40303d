//! Chain map at provincial scale: for every chain, the facts read from SQLite (cold, after a
//! write) and then every node's metrics, the findings, the 链主 scores and the 招商 targets
//! for the province, a city and a county (warm, facts cached), timed over several rounds.
//! Usage: `cargo bench -p periclase-cli --bench chain -- <database>` (bench/chain_bench.sh
//! builds the database). Prints a Markdown table for docs/BENCHMARKS.md.

use std::time::Instant;

// The allocator the periclase binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use periclase_chain::{analyse_prepared, leaders, targets, Area, Prepared};
use periclase_domain::ChainSet;
use periclase_store::{SqliteStore, Store};

fn main() {
    let db =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_else(|| "bench/out/chain-1000000.db".into());
    let store = SqliteStore::open(&db).expect("open the benchmark database");
    let chains = ChainSet::embedded();
    let regions = ["21", "2103", "210381", "34", "3417", "41", "4112"];
    println!("| chain | members | read from SQLite | indexed | analysis of 7 areas: metrics, findings, 链主, 招商 (median of 5) | per area |");
    println!("| --- | ---: | ---: | ---: | ---: | ---: |");
    let mut cold_total = 0.0;
    let mut warm_total = 0.0;
    for chain in &chains.chains {
        let t = Instant::now();
        let facts = store.chain_facts(&chain.id).expect("facts");
        let read = t.elapsed().as_secs_f64();
        let prepared = Prepared::new(chain, &facts);
        let cold = t.elapsed().as_secs_f64();
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut findings = 0;
            for r in regions {
                let a = analyse_prepared(chain, &facts, &prepared, &Area::new(r));
                findings += a.findings.len();
                std::hint::black_box(leaders(chain, &facts, &a, 10));
                std::hint::black_box(targets(chain, &facts, &prepared, &a));
            }
            std::hint::black_box(findings);
            runs.push(t.elapsed().as_secs_f64());
        }
        runs.sort_by(f64::total_cmp);
        let warm = runs[runs.len() / 2];
        cold_total += cold;
        warm_total += warm;
        println!(
            "| {} | {} | {:.0} ms | {:.0} ms | {:.0} ms | {:.1} ms |",
            chain.name,
            facts.members.len(),
            read * 1e3,
            (cold - read) * 1e3,
            warm * 1e3,
            warm * 1e3 / regions.len() as f64
        );
    }
    println!("| all chains | | {:.0} ms (with indexing) | | {:.0} ms | |", cold_total * 1e3, warm_total * 1e3);
}
