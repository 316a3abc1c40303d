//! 招商 targets: for each gap, enterprises outside the analysed region that sit on the gap's
//! node, ranked by size, tier and innovation, each with the reason naming the gap it fills.

use periclase_domain::{Chain, ChainFacts};
use serde::Serialize;

use crate::findings::{pct, wan, FindingKind};
use crate::leaders::{best_tier, innovation, percentile};
use crate::{rules, Analysis};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Target {
    pub gap: FindingKind,
    /// The node to fill (for 延链机会, the downstream node).
    pub node: String,
    pub node_name: String,
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub external: bool,
    pub score: f64,
    pub reason: String,
}

/// Ranked candidates for every gap of the analysis, gaps in finding order.
pub fn targets(chain: &Chain, facts: &ChainFacts, analysis: &Analysis) -> Vec<Target> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in analysis.findings.iter().filter(|f| f.kind != FindingKind::Extension || f.toward.is_some()) {
        let node_id = f.toward.as_deref().unwrap_or(&f.node);
        if !seen.insert((f.kind, node_id.to_string())) {
            continue;
        }
        let Some(node) = chain.node(node_id) else { continue };
        let key = format!("{}/{}", chain.id, node_id);
        let mut candidates: Vec<usize> = facts
            .members
            .iter()
            .filter(|m| m.confirmed && m.node == key)
            .map(|m| m.enterprise)
            .filter(|&i| !facts.enterprises[i].region.starts_with(&analysis.area.region))
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let revenues: Vec<f64> = candidates.iter().map(|&i| facts.enterprises[i].revenue.unwrap_or(0.0)).collect();
        let mut ranked: Vec<Target> = candidates
            .iter()
            .map(|&i| {
                let e = &facts.enterprises[i];
                let rev = e.revenue.unwrap_or(0.0);
                let tier = best_tier(e);
                let (innov, _) = innovation(e);
                let score = rules::TARGET_SIZE * percentile(rev, &revenues)
                    + rules::TARGET_TIER * tier.map_or(0.0, |t| t.1)
                    + rules::TARGET_INNOVATION * innov;
                let mut why = vec![format!("填补{}「{}」", f.kind.label(), node.name), format!("营收 {}", wan(rev))];
                if let Some((label, _)) = tier {
                    why.push(label.to_string());
                }
                if let (Some(rd), true) = (e.rd_spend, rev > 0.0) {
                    why.push(format!("研发投入占比 {}", pct(rd / rev)));
                }
                if e.external {
                    why.push("域外企业".to_string());
                }
                Target {
                    gap: f.kind,
                    node: node_id.to_string(),
                    node_name: node.name.clone(),
                    uscc: e.uscc.clone(),
                    name: e.name.clone(),
                    region: e.region.clone(),
                    external: e.external,
                    score,
                    reason: why.join("；"),
                }
            })
            .collect();
        ranked.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.uscc.cmp(&b.uscc)));
        ranked.truncate(rules::TARGETS_PER_GAP);
        out.extend(ranked);
    }
    out
}
