//! The matcher and the evaluator end to end on a tiny hand-made set (tests/data), and the
//! index's search with filters and highlights.

use periclase_domain::{registry, RegistryId};
use periclase_search::eval::{parse_records, rank_demands, score, Qrels};
use periclase_search::{MatchRequest, SearchDoc, SearchIndex, SearchQuery, Weights};

const DATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/data");

fn read(name: &str) -> String {
    std::fs::read_to_string(format!("{DATA}/{name}")).unwrap()
}

fn index_of_fixture() -> SearchIndex {
    let spec = registry(RegistryId::Achievements);
    let records = parse_records(spec, &read("achievements.jsonl"), "achievements.jsonl").unwrap();
    let index = SearchIndex::in_memory();
    let mut w = index.writer(1).unwrap();
    for (i, (_, row)) in records.iter().enumerate() {
        w.put(&SearchDoc::from_row(spec, i as i64 + 1, row, vec![])).unwrap();
    }
    assert_eq!(index.reader().unwrap(), None);
    w.commit("fixture-7").unwrap();
    assert_eq!(index.reader().unwrap().as_deref(), Some("fixture-7"), "the commit carries the outbox reader");
    index
}

#[test]
fn every_match_is_explained() {
    let index = index_of_fixture();
    let demands = parse_records(registry(RegistryId::Demands), &read("demands.jsonl"), "demands.jsonl").unwrap();
    let req = MatchRequest::from_row(registry(RegistryId::Demands), &demands[0].1, "achievements", 3);
    let found = index.matches(&req, &Weights::default()).unwrap();
    assert_eq!(found[0].key, "T01");
    let explained: Vec<(String, Vec<String>)> =
        found.iter().map(|m| (m.key.clone(), m.reasons.iter().map(|r| r.describe()).collect())).collect();
    insta::assert_json_snapshot!("explanations_q1", explained);
}

#[test]
fn the_matcher_scores_perfectly_on_the_tiny_set() {
    let a = parse_records(registry(RegistryId::Achievements), &read("achievements.jsonl"), "a").unwrap();
    let d = parse_records(registry(RegistryId::Demands), &read("demands.jsonl"), "d").unwrap();
    let runs = rank_demands(&a, &d, &Weights::default(), 10).unwrap();
    let m = score(&runs, &Qrels::parse(&read("qrels.tsv"), "qrels.tsv").unwrap());
    assert_eq!(m.to_string(), "nDCG@10 1.0000  Recall@10 1.0000  MRR 1.0000");
}

#[test]
fn search_finds_synonyms_filters_and_highlights() {
    let index = index_of_fixture();
    let q = |text: &str| SearchQuery { text: text.into(), limit: 10, ..SearchQuery::default() };
    // 电熔镁砂 written as 电熔MgO; fused magnesia in English.
    for text in ["电熔镁砂", "fused magnesia", "ＡＺ９１Ｄ"] {
        let found = index.search(&q(text)).unwrap();
        assert!(!found.hits.is_empty(), "{text}");
    }
    let hit = &index.search(&q("fused magnesia")).unwrap().hits[0];
    assert_eq!(hit.key, "T01");
    let (from, to) = hit.title.marks[0];
    assert_eq!(&hit.title.text[from..to], "电熔MgO", "the form written is what is highlighted");
    let none = index.search(&SearchQuery { registries: vec!["demands".into()], ..q("电熔镁砂") }).unwrap();
    assert_eq!(none.total, 0, "registry filter");
    let nobody = index.search(&SearchQuery { allowed: Some(vec![]), ..q("电熔镁砂") }).unwrap();
    assert_eq!(nobody.total, 0, "nothing allowed, nothing found");
    assert!(index.search(&q("，。")).is_err(), "a query without words is refused");
}

#[test]
fn an_abandoned_update_is_not_committed_by_the_next() {
    let index = index_of_fixture();
    let spec = registry(RegistryId::Achievements);
    let records = parse_records(spec, &read("achievements.jsonl"), "a").unwrap();
    {
        let mut w = index.writer(1).unwrap();
        w.clear().unwrap();
        // Dropped here without a commit, as when a rebuild fails part way.
    }
    let mut w = index.writer(1).unwrap();
    w.put(&SearchDoc::from_row(spec, 1, &records[0].1, vec![])).unwrap();
    w.commit("fixture-8").unwrap();
    assert_eq!(index.doc_count(), 4, "the abandoned clear did not ride along");
}

#[test]
fn pinyin_and_initials_find_chinese_titles() {
    let index = index_of_fixture();
    for text in ["lmk", "lingmeikuang", "Lingmeikuang tichun"] {
        let found = index.search(&SearchQuery { text: text.into(), limit: 3, ..SearchQuery::default() }).unwrap();
        assert_eq!(found.hits.first().map(|h| h.key.as_str()), Some("T02"), "{text}");
    }
}
