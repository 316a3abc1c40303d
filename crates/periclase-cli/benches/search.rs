//! Search and matching at provincial scale, on an index `periclase index rebuild` made of a
//! demo database (bench/search_bench.sh): query latency of the global search (words,
//! synonyms, pinyin and initials, codes, with and without filters) and of matching (a demand's achievements, an
//! achievement's demands), one query at a time, p50/p99 over every query; then how long an
//! edit takes to become searchable with the server's indexer thread running.
//! Usage: `cargo bench -p periclase-cli --bench search -- <database>`. Prints Markdown.

use std::time::{Duration, Instant};

#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

use periclase_app::search_sync::SearchService;
use periclase_domain::{registries, Value};
use periclase_search::{counterpart, MatchRequest, SearchQuery, Weights};
use periclase_store::prelude::*;
use periclase_store::{Actor, Channel, ListQuery, SaveMode, SqliteStore};

fn percentiles(mut ms: Vec<f64>) -> (f64, f64, f64) {
    ms.sort_by(f64::total_cmp);
    let at = |p: f64| ms[((ms.len() as f64 - 1.0) * p).round() as usize];
    (at(0.5), at(0.99), ms[ms.len() - 1])
}

fn timed<T>(f: impl FnOnce() -> T) -> (T, f64) {
    let t = Instant::now();
    let out = f();
    (out, t.elapsed().as_secs_f64() * 1e3)
}

fn main() {
    let db =
        std::env::args().skip(1).find(|a| !a.starts_with("--")).unwrap_or_else(|| "bench/out/search-293000.db".into());
    let store = SqliteStore::open(&db).expect("open the benchmark database");
    let service = SearchService::open(std::path::Path::new(&format!("{db}.index"))).expect("open the index");
    let index = service.index();
    println!("records indexed: {}", index.doc_count());
    println!();

    // Queries an official would type: domain words (some as synonyms or in English), a
    // product, a place with a region filter, a tier filter, an enterprise name, a code.
    let mut queries: Vec<SearchQuery> = Vec::new();
    let q = |text: &str| SearchQuery { text: text.into(), limit: 20, ..SearchQuery::default() };
    for text in [
        "电熔镁砂",
        "fused magnesia",
        "轻烧氧化镁",
        "菱镁矿 浮选",
        "皮江法",
        "AZ91D 压铸",
        "镁合金",
        "耐火材料",
        "揭榜挂帅",
        "drms",
        "dianrong meisha",
        "lmk",
        "首台套",
        "铜箔",
        "智能工厂",
        "余热回收",
        "氢氧化镁 阻燃",
        "镁渣 综合利用",
        "高纯镁砂",
    ] {
        queries.push(q(text));
        queries.push(SearchQuery { region: Some("2108".into()), ..q(text) });
        queries.push(SearchQuery { registries: vec!["achievements".into()], ..q(text) });
    }
    queries.push(SearchQuery { tier: Some("specialized_sme".into()), ..q("镁") });
    let mut names = Vec::new();
    let page = store.list(&registries::ENTERPRISES, &ListQuery { limit: Some(200), ..ListQuery::default() }).unwrap();
    for r in page.records.iter().step_by(10) {
        names.push(r.row[1].to_string());
        queries.push(q(&r.row[0].to_string()));
    }
    for n in &names {
        queries.push(q(n));
    }
    let mut search_ms = Vec::new();
    let mut hits = 0;
    for round in 0..3 {
        for query in &queries {
            let (found, ms) = timed(|| index.search(query).expect("search"));
            if round > 0 {
                search_ms.push(ms);
            }
            hits += found.hits.len();
        }
    }
    let (p50, p99, max) = percentiles(search_ms.clone());
    println!("| what | queries | p50 | p99 | max |");
    println!("| --- | ---: | ---: | ---: | ---: |");
    println!("| search (20 hits, highlighted) | {} | {p50:.2} ms | {p99:.2} ms | {max:.2} ms |", search_ms.len());
    assert!(hits > 0);

    for spec in [&registries::DEMANDS, &registries::ACHIEVEMENTS] {
        let target = counterpart(spec).unwrap();
        let recs = store.list(spec, &ListQuery { limit: Some(200), ..ListQuery::default() }).unwrap().records;
        let reqs: Vec<MatchRequest> =
            recs.iter().map(|r| MatchRequest::from_row(spec, &r.row, target.name, 10)).collect();
        let mut ms_all = Vec::new();
        for round in 0..2 {
            for req in &reqs {
                let (found, ms) = timed(|| index.matches(req, &Weights::default()).expect("match"));
                assert!(!found.is_empty());
                if round > 0 {
                    ms_all.push(ms);
                }
            }
        }
        let (p50, p99, max) = percentiles(ms_all.clone());
        println!(
            "| match: {} → {} (10, explained) | {} | {p50:.2} ms | {p99:.2} ms | {max:.2} ms |",
            spec.label,
            target.label,
            ms_all.len()
        );
    }

    // Edit → searchable, with the server's indexer thread.
    let store: std::sync::Arc<dyn Store> = std::sync::Arc::new(store);
    service.spawn(store.clone());
    let spec = &registries::ACHIEVEMENTS;
    let recs = store.list(spec, &ListQuery { limit: Some(10), ..ListQuery::default() }).unwrap().records;
    let actor = Actor::new("bench", Channel::Cli);
    let mut visible = Vec::new();
    for (i, rec) in recs.iter().enumerate() {
        let word = format!("基准测试标记词{i}号钛镁");
        let mut row = rec.row.clone();
        row[1] = Value::Text(word.clone());
        let t = Instant::now();
        store.save(spec, &row, SaveMode::Update { id: rec.id }, &actor, &periclase_domain::Scope::All).unwrap();
        loop {
            let found = index.search(&SearchQuery { text: word.clone(), limit: 1, ..SearchQuery::default() }).unwrap();
            if found.hits.first().is_some_and(|h| h.id == rec.id) {
                break;
            }
            assert!(t.elapsed() < Duration::from_secs(30), "edit never became searchable");
            std::thread::sleep(Duration::from_millis(5));
        }
        visible.push(t.elapsed().as_secs_f64() * 1e3);
        // Put it back as it was.
        store.save(spec, &rec.row, SaveMode::Update { id: rec.id }, &actor, &periclase_domain::Scope::All).unwrap();
        std::thread::sleep(Duration::from_millis(300));
    }
    let (p50, _, max) = percentiles(visible);
    println!();
    println!("edit → searchable (server indexer, 10 edits): median {p50:.0} ms, max {max:.0} ms");
}
