//! Suggested node assignments from what an enterprise says it makes: its main products, its
//! business scope, its name and its industry code, each match named in the reason.

use periclase_domain::{Chain, ChainSet};
use serde::Serialize;

use crate::rules;

/// The words of an enterprise the suggestion reads.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseText<'a> {
    pub name: &'a str,
    /// `；`-joined, as stored.
    pub products: &'a str,
    pub scope: &'a str,
    pub industry: Option<&'a str>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// `chain/node` key.
    pub node: String,
    pub score: f64,
    pub reason: String,
}

fn suggest_in(chain: &Chain, e: &EnterpriseText<'_>, out: &mut Vec<Suggestion>) {
    for n in chain.leaves().filter(|n| !n.market) {
        let mut score = 0.0;
        let mut why = Vec::new();
        let products: Vec<&str> = e.products.split('；').map(str::trim).filter(|p| !p.is_empty()).collect();
        let product_hits: Vec<&str> =
            n.products.iter().map(String::as_str).filter(|p| products.iter().any(|q| q.contains(p))).collect();
        if !product_hits.is_empty() {
            score += rules::SUGGEST_PRODUCT;
            why.push(format!("主要产品含「{}」", product_hits.join("、")));
        }
        let text = format!("{} {} {}", e.name, e.products, e.scope);
        let keyword_hits: Vec<&str> =
            n.keywords.iter().map(String::as_str).filter(|k| !product_hits.contains(k) && text.contains(k)).collect();
        if !keyword_hits.is_empty() {
            score += rules::SUGGEST_KEYWORD * keyword_hits.len().min(3) as f64;
            why.push(format!("名称或经营范围含「{}」", keyword_hits.join("、")));
        }
        if let Some(code) = e.industry {
            if let Some(hit) = n.industries.iter().find(|c| code.starts_with(c.as_str())) {
                score += rules::SUGGEST_INDUSTRY;
                why.push(format!("行业代码 {code} 属于本环节行业 {hit}"));
            }
        }
        if score >= rules::SUGGEST_MIN_SCORE {
            out.push(Suggestion { node: format!("{}/{}", chain.id, n.id), score, reason: why.join("；") });
        }
    }
}

/// Nodes of `chains` the enterprise may sit on, best first.
pub fn suggest(chains: &ChainSet, e: &EnterpriseText<'_>) -> Vec<Suggestion> {
    let mut out = Vec::new();
    for chain in &chains.chains {
        suggest_in(chain, e, &mut out);
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.node.cmp(&b.node)));
    out
}
