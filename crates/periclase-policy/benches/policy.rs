//! The policy engine alone, on generated columns: one enterprise with its full explanation
//! (every shipped enterprise policy), and each shipped policy evaluated column-wise over
//! 1,000,000 enterprises. `cargo bench -p periclase-policy --bench policy [-- rows]`.
//! Prints Markdown rows for docs/BENCHMARKS.md.

use std::hint::black_box;
use std::time::Instant;

// The allocator the periclase binary uses: it keeps freed pages, so a column computed
// after another does not fault in fresh memory.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use periclase_policy::eval::{Column, Frame};
use periclase_policy::{date, evaluate, explain, PolicySet, Schema, Subject};

/// A deterministic frame of `n` enterprises with every field the shipped policies read;
/// about one value in twenty is missing.
fn frame(n: usize) -> Frame {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    let mut num = |scale: f64| -> Vec<Option<f64>> {
        (0..n)
            .map(|_| {
                let x = next();
                (x % 20 != 0).then(|| (x >> 11) as f64 / (1u64 << 53) as f64 * scale)
            })
            .collect()
    };
    let revenue = num(60_000.0);
    let mut f = Frame::new(n)
        .with("enterprise.revenue_3y", Column::Num(revenue.iter().map(|r| r.map(|r| r * 2.8)).collect()))
        .with("enterprise.revenue", Column::Num(revenue));
    for (field, scale) in [
        ("employees", 900.0),
        ("st_staff", 150.0),
        ("rd_spend", 3_000.0),
        ("rd_spend_3y", 8_000.0),
        ("total_assets", 60_000.0),
        ("high_tech_income", 40_000.0),
        ("invention_patents", 5.0),
        ("ip_count", 12.0),
        ("equity_raised", 4_000.0),
    ] {
        f = f.with(
            &format!("enterprise.{field}"),
            Column::Num(num(scale).into_iter().map(|x| x.map(f64::floor)).collect()),
        );
    }
    let honours = ["specialized_sme", "little_giant", "high_tech"];
    let mut r = 7u64;
    let lists: Vec<Option<Vec<String>>> = (0..n)
        .map(|i| {
            r = r.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            Some(
                honours
                    .iter()
                    .enumerate()
                    .filter(|(k, _)| (r >> (33 + k)).is_multiple_of(7))
                    .map(|(_, h)| h.to_string())
                    .collect(),
            )
            .filter(|_| i % 50 != 0)
        })
        .collect();
    let regions: Vec<Option<String>> =
        (0..n).map(|i| Some(if i % 3 == 0 { "340100" } else { "210381" }.to_string())).collect();
    let founded: Vec<Option<i32>> =
        (0..n).map(|i| Some(date::parse("2000-01-01").unwrap() + (i as i32 * 7) % 9000)).collect();
    f.with("enterprise.honours", Column::List(lists))
        .with("enterprise.region", Column::Text(regions))
        .with("enterprise.founded", Column::Date(founded))
}

fn main() {
    let n: usize = std::env::args().skip(1).find_map(|a| a.parse().ok()).unwrap_or(1_000_000);
    let schema = Schema::standard();
    let set = PolicySet::embedded();
    let day = date::parse("2025-06-30").unwrap();
    let enterprise: Vec<_> = set.policies.iter().filter(|p| p.subject == Subject::Enterprise).collect();

    // One enterprise, every enterprise policy explained (frame of one row, as the 政策计算器 builds it).
    let one = frame(1);
    let rounds = 20_000;
    let t = Instant::now();
    for _ in 0..rounds {
        for p in &enterprise {
            black_box(explain(p, &schema, &one, 0, day));
        }
    }
    let per_policy = t.elapsed().as_secs_f64() / rounds as f64 / enterprise.len() as f64;
    println!("| one enterprise, one policy with its full explanation | {:.1} µs |", per_policy * 1e6);
    println!(
        "| one enterprise, all {} enterprise policies explained | {:.1} µs |",
        enterprise.len(),
        per_policy * enterprise.len() as f64 * 1e6
    );

    let big = frame(n);
    let mut total = 0.0;
    for p in &enterprise {
        let mut runs = Vec::new();
        for _ in 0..3 {
            let t = Instant::now();
            black_box(evaluate(p, &big, day));
            runs.push(t.elapsed().as_secs_f64());
        }
        runs.sort_by(f64::total_cmp);
        total += runs[1];
        println!("| {} over {n} enterprises (median of 3) | {:.0} ms |", p.title, runs[1] * 1e3);
    }
    println!("| all {} enterprise policies over {n} enterprises | {:.0} ms |", enterprise.len(), total * 1e3);
}
