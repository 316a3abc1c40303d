//! Chain map at provincial scale: every chain's facts read from SQLite in one pass (cold, as
//! after a write or a start) and indexed, then one area's analysis for every chain — the
//! whole cold path — and every node's metrics, the findings, the 链主 scores and the 招商
//! targets for the province, cities and counties (warm, facts cached), over several rounds.
//! Also each chain read alone by both read paths (member lookups, summary scans).
//! Usage: `cargo bench -p periclase-cli --bench chain -- <database>` (bench/chain_bench.sh
//! builds the database). Prints a Markdown table for docs/BENCHMARKS.md.

use std::time::Instant;

// The allocator the periclase binary uses.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use periclase_chain::{analyse_prepared, leaders, targets, Area, Prepared};
use periclase_domain::ChainSet;
use periclase_store::prelude::*;
use periclase_store::SqliteStore;

fn main() {
    let db =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_else(|| "bench/out/chain-1000000.db".into());
    let store = SqliteStore::open(&db).expect("open the benchmark database");
    let chains = ChainSet::embedded();
    let regions = ["21", "2103", "210381", "34", "3417", "41", "4112"];
    let ids: Vec<&str> = chains.chains.iter().map(|c| c.id.as_str()).collect();

    println!("| read | chains | members | wall time |");
    println!("| --- | --- | ---: | ---: |");
    for chain in &chains.chains {
        for scan in [false, true] {
            let t = Instant::now();
            let facts = store.chain_facts_by(&[chain.id.as_str()], scan).expect("facts");
            let how = if scan { "summaries scanned" } else { "looked up per member" };
            println!(
                "| {how} | {} | {} | {:.0} ms |",
                chain.name,
                facts[0].members.len(),
                t.elapsed().as_secs_f64() * 1e3
            );
        }
    }

    // The cold path: every chain read, indexed (one thread per chain, as the server does) and
    // the province analysed with its 链主 candidates.
    let mut colds = Vec::new();
    let mut last = None;
    for _ in 0..3 {
        let t = Instant::now();
        let facts = store.chain_facts(&ids).expect("facts");
        let read = t.elapsed().as_secs_f64();
        let prepared: Vec<Prepared> = std::thread::scope(|s| {
            let hs: Vec<_> =
                chains.chains.iter().zip(&facts).map(|(c, f)| s.spawn(move || Prepared::new(c, f))).collect();
            hs.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let indexed = t.elapsed().as_secs_f64();
        for ((chain, f), p) in chains.chains.iter().zip(&facts).zip(&prepared) {
            let a = analyse_prepared(chain, f, p, &Area::new("21"));
            std::hint::black_box(leaders(chain, f, &a, 10));
        }
        colds.push((read, indexed, t.elapsed().as_secs_f64()));
        last = Some((facts, prepared));
    }
    colds.sort_by(|a, b| a.2.total_cmp(&b.2));
    let (read, indexed, total) = colds[colds.len() / 2];
    println!();
    println!("| cold path, all chains (median of 3) | read | + indexed | + province analysed with 链主 |");
    println!("| --- | ---: | ---: | ---: |");
    println!("| {} chains | {:.0} ms | {:.0} ms | {:.0} ms |", ids.len(), read * 1e3, indexed * 1e3, total * 1e3);

    let (facts, prepared) = last.expect("three rounds");
    println!();
    println!("| chain | members | analysis of 7 areas: metrics, findings, 链主, 招商 (median of 5) | per area |");
    println!("| --- | ---: | ---: | ---: |");
    let mut warm_total = 0.0;
    for ((chain, facts), prepared) in chains.chains.iter().zip(&facts).zip(&prepared) {
        let mut runs = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            let mut findings = 0;
            for r in regions {
                let a = analyse_prepared(chain, facts, prepared, &Area::new(r));
                findings += a.findings.len();
                std::hint::black_box(leaders(chain, facts, &a, 10));
                std::hint::black_box(targets(chain, facts, prepared, &a));
            }
            std::hint::black_box(findings);
            runs.push(t.elapsed().as_secs_f64());
        }
        runs.sort_by(f64::total_cmp);
        let warm = runs[runs.len() / 2];
        warm_total += warm;
        println!(
            "| {} | {} | {:.0} ms | {:.1} ms |",
            chain.name,
            facts.members.len(),
            warm * 1e3,
            warm * 1e3 / regions.len() as f64
        );
    }
    println!("| all chains | | {:.0} ms | |", warm_total * 1e3);
}
