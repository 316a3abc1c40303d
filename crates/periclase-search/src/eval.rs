//! Measuring matches against graded judgements (qrels): nDCG@10 with gain 2^rel − 1 (pairs
//! nobody judged count as 0), Recall@10 of relevance ≥ 1 and the reciprocal rank of the first
//! relevance-2 record. Works on any set in the same format: records as JSON lines whose keys
//! are the registries' field keys (`id` for the code), judgements as `query doc relevance`.

use std::collections::{BTreeMap, HashMap};

use periclase_domain::{registry, validate_cell, FieldKind, RegistryId, RegistrySpec, Row, Value};

use crate::doc::SearchDoc;
use crate::index::{SearchError, SearchIndex};
use crate::matching::{MatchRequest, Weights};

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("{file} 第{line}行：{message}")]
    Bad { file: String, line: usize, message: String },
    #[error(transparent)]
    Search(#[from] SearchError),
}

/// Judgements: query id → (record id → relevance 0, 1, 2…).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Qrels(pub BTreeMap<String, HashMap<String, u32>>);

/// Ranked record ids per query id.
pub type Runs = BTreeMap<String, Vec<String>>;

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Metrics {
    pub ndcg10: f64,
    pub recall10: f64,
    pub mrr: f64,
    /// Queries judged (each metric averages over those it is defined for).
    pub queries: usize,
}

impl std::fmt::Display for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "nDCG@10 {:.4}  Recall@10 {:.4}  MRR {:.4}", self.ndcg10, self.recall10, self.mrr)
    }
}

fn bad(file: &str, line: usize, message: impl Into<String>) -> EvalError {
    EvalError::Bad { file: file.to_string(), line, message: message.into() }
}

impl Qrels {
    /// Tab- or space-separated `query doc relevance` lines; a first line naming the columns
    /// is skipped.
    pub fn parse(text: &str, file: &str) -> Result<Qrels, EvalError> {
        let mut out: BTreeMap<String, HashMap<String, u32>> = BTreeMap::new();
        for (i, line) in text.lines().enumerate() {
            let cols: Vec<&str> = line.split_whitespace().collect();
            if cols.is_empty() || line.starts_with('#') {
                continue;
            }
            let [q, d, rel] = cols[..] else {
                return Err(bad(file, i + 1, format!("应为三列（需求 成果 相关度），实为{}列", cols.len())));
            };
            let Ok(rel) = rel.parse::<u32>() else {
                if i == 0 {
                    continue;
                }
                return Err(bad(file, i + 1, format!("相关度「{rel}」不是非负整数")));
            };
            if out.entry(q.to_string()).or_default().insert(d.to_string(), rel).is_some() {
                return Err(bad(file, i + 1, format!("「{q}」与「{d}」重复判定")));
            }
        }
        Ok(Qrels(out))
    }
}

/// The three measures of `runs` against `qrels`, averaged over judged queries: nDCG over
/// those with a relevant record, Recall over those with one of relevance ≥ 1, MRR over those
/// with one of relevance 2. A judged query missing from `runs` scores 0.
pub fn score(runs: &Runs, qrels: &Qrels) -> Metrics {
    let (mut ndcg, mut nd) = (0.0, 0usize);
    let (mut recall, mut nr) = (0.0, 0usize);
    let (mut mrr, mut nm) = (0.0, 0usize);
    let empty = Vec::new();
    for (q, judged) in &qrels.0 {
        let ranked = runs.get(q).unwrap_or(&empty);
        let rel = |d: &String| judged.get(d).copied().unwrap_or(0);
        let gain = |r: u32| (2f64.powi(r as i32)) - 1.0;
        let discount = |i: usize| 1.0 / ((i + 2) as f64).log2();
        let mut ideal: Vec<u32> = judged.values().copied().collect();
        ideal.sort_unstable_by(|a, b| b.cmp(a));
        let idcg: f64 = ideal.iter().take(10).enumerate().map(|(i, &r)| gain(r) * discount(i)).sum();
        if idcg > 0.0 {
            let dcg: f64 = ranked.iter().take(10).enumerate().map(|(i, d)| gain(rel(d)) * discount(i)).sum();
            ndcg += dcg / idcg;
            nd += 1;
        }
        let relevant = judged.values().filter(|&&r| r >= 1).count();
        if relevant > 0 {
            let found = ranked.iter().take(10).filter(|d| rel(d) >= 1).count();
            recall += found as f64 / relevant as f64;
            nr += 1;
        }
        if judged.values().any(|&r| r >= 2) {
            if let Some(i) = ranked.iter().position(|d| rel(d) >= 2) {
                mrr += 1.0 / (i + 1) as f64;
            }
            nm += 1;
        }
    }
    let avg = |s: f64, n: usize| if n == 0 { 0.0 } else { s / n as f64 };
    Metrics { ndcg10: avg(ndcg, nd), recall10: avg(recall, nr), mrr: avg(mrr, nm), queries: qrels.0.len() }
}

/// A run written by another system: `query doc [rank …]` lines, in rank order per query.
pub fn parse_run(text: &str, file: &str) -> Result<Runs, EvalError> {
    let mut runs = Runs::new();
    for (i, line) in text.lines().enumerate() {
        let cols: Vec<&str> = line.split_whitespace().collect();
        match cols[..] {
            [] => {}
            [q, d, ..] => runs.entry(q.to_string()).or_default().push(d.to_string()),
            _ => return Err(bad(file, i + 1, "应至少两列（需求 成果）")),
        }
    }
    Ok(runs)
}

/// Records read from JSON lines into `spec`'s rows: (id, row).
pub fn parse_records(spec: &'static RegistrySpec, text: &str, file: &str) -> Result<Vec<(String, Row)>, EvalError> {
    let code = spec.natural_key.first().copied().unwrap_or("code");
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let obj: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(line).map_err(|e| bad(file, i + 1, format!("不是 JSON 对象：{e}")))?;
        let mut row: Row = vec![Value::Null; spec.fields.len()];
        for (f, cell) in spec.fields.iter().zip(row.iter_mut()) {
            let raw = obj.get(f.key).or_else(|| if f.key == code { obj.get("id") } else { None });
            let raw = match raw {
                None | Some(serde_json::Value::Null) => continue,
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(serde_json::Value::Array(items)) => items
                    .iter()
                    .map(|v| v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string()))
                    .collect::<Vec<_>>()
                    .join("；"),
                Some(other) => other.to_string(),
            };
            *cell = validate_cell(f, &raw).map_err(|e| bad(file, i + 1, e.message))?;
        }
        let id = match &row[spec.index_of(code).expect("natural key exists")] {
            Value::Null => return Err(bad(file, i + 1, format!("缺少编号（{code} 或 id）"))),
            v => v.to_string(),
        };
        out.push((id, row));
    }
    Ok(out)
}

impl MatchRequest {
    /// What a record asks, as its author wrote it: its title, and its long texts and lists
    /// (a demand's description; an achievement's summary and keywords).
    pub fn from_row(spec: &'static RegistrySpec, row: &Row, target: &str, limit: usize) -> MatchRequest {
        let doc = SearchDoc::from_row(spec, 0, row, vec![]);
        let text: Vec<String> = spec
            .fields
            .iter()
            .zip(row)
            .filter(|(f, v)| !f.private && !v.is_null() && matches!(f.kind, FieldKind::LongText | FieldKind::List))
            .map(|(_, v)| v.to_string())
            .collect();
        MatchRequest {
            title: doc.title,
            text: text.join("\n"),
            domain: doc.domain,
            region: doc.region,
            target: target.to_string(),
            tier: None,
            limit,
        }
    }
}

/// Ranks the achievements for every demand of a labelled set with the production matcher
/// (an index in memory built the way the store's records are), returning runs by code.
pub fn rank_demands(
    achievements: &[(String, Row)],
    demands: &[(String, Row)],
    weights: &Weights,
    depth: usize,
) -> Result<Runs, EvalError> {
    let a_spec = registry(RegistryId::Achievements);
    let d_spec = registry(RegistryId::Demands);
    let index = SearchIndex::in_memory();
    let mut w = index.writer(1)?;
    for (i, (_, row)) in achievements.iter().enumerate() {
        w.put(&SearchDoc::from_row(a_spec, i as i64 + 1, row, vec![]))?;
    }
    w.commit("evaluation")?;
    let mut runs = Runs::new();
    for (code, row) in demands {
        let req = MatchRequest::from_row(d_spec, row, a_spec.name, depth);
        let ranked = index.matches(&req, weights)?.into_iter().map(|m| m.key).collect();
        runs.insert(code.clone(), ranked);
    }
    Ok(runs)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn runs(lines: &[(&str, &[&str])]) -> Runs {
        lines.iter().map(|(q, ds)| (q.to_string(), ds.iter().map(|d| d.to_string()).collect())).collect()
    }

    #[test]
    fn known_scores_on_a_hand_made_set() {
        let qrels = Qrels::parse("q\td\trel\nQ1\tA\t2\nQ1\tB\t1\nQ1\tC\t0\nQ2\tD\t1\n", "qrels.tsv").unwrap();
        // Q1: A at rank 2, B at rank 1; Q2: D not retrieved.
        let r = runs(&[("Q1", &["B", "A", "X"]), ("Q2", &["E"])]);
        let m = score(&r, &qrels);
        let d = |i: f64| 1.0 / (i + 1.0).log2();
        let q1 = (1.0 * d(1.0) + 3.0 * d(2.0)) / (3.0 * d(1.0) + 1.0 * d(2.0));
        assert!((m.ndcg10 - q1 / 2.0).abs() < 1e-12, "{m}");
        assert!((m.recall10 - 0.5).abs() < 1e-12, "Q1 finds both, Q2 none: {m}");
        assert!((m.mrr - 0.5).abs() < 1e-12, "only Q1 has a relevance-2 record, at rank 2: {m}");
        assert_eq!(m.queries, 2);
        assert_eq!(m.to_string(), format!("nDCG@10 {:.4}  Recall@10 0.5000  MRR 0.5000", q1 / 2.0));
        let perfect = score(&runs(&[("Q1", &["A", "B"]), ("Q2", &["D"])]), &qrels);
        assert_eq!((perfect.ndcg10, perfect.recall10, perfect.mrr), (1.0, 1.0, 1.0));
        assert_eq!(score(&Runs::new(), &qrels).ndcg10, 0.0, "a query without a run scores 0");
    }

    #[test]
    fn bad_lines_are_named() {
        let e = Qrels::parse("Q1 A 2\nQ1 B x\n", "q.tsv").unwrap_err();
        assert_eq!(e.to_string(), "q.tsv 第2行：相关度「x」不是非负整数");
        let e = Qrels::parse("Q1 A 2\nQ1 A 1\n", "q.tsv").unwrap_err();
        assert_eq!(e.to_string(), "q.tsv 第2行：「Q1」与「A」重复判定");
        let spec = registry(RegistryId::Achievements);
        let e = parse_records(spec, "{\"id\":\"A1\",\"title\":\"x\",\"maturity\":\"火星\"}\n", "a.jsonl").unwrap_err();
        assert!(e.to_string().starts_with("a.jsonl 第1行："), "{e}");
    }
}
