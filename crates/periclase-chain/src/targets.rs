//! 招商 targets: for each gap, enterprises outside the analysed region that sit on the gap's
//! node, ranked by size, tier and innovation, each with the reason naming the gap it fills.

use periclase_domain::{Chain, ChainFacts};
use serde::Serialize;

use crate::findings::{pct, wan, FindingKind};
use crate::leaders::{best_tier, innovation, percentile, sorted};
use crate::{rules, Analysis, Prepared};

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
pub fn targets(chain: &Chain, facts: &ChainFacts, prepared: &Prepared, analysis: &Analysis) -> Vec<Target> {
    let mut out = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for f in analysis.findings.iter().filter(|f| f.kind != FindingKind::Extension || f.toward.is_some()) {
        let node_id = f.toward.as_deref().unwrap_or(&f.node);
        if !seen.insert((f.kind, node_id.to_string())) {
            continue;
        }
        let Some(node) = chain.node(node_id) else { continue };
        let candidates: Vec<usize> = prepared
            .confirmed_on(chain, node_id)
            .iter()
            .copied()
            .filter(|&i| !facts.enterprises[i].region.starts_with(&analysis.area.region))
            .collect();
        let revenues = sorted(candidates.iter().map(|&i| facts.enterprises[i].revenue.unwrap_or(0.0)).collect());
        // Scores first; the reasons only for the ones kept.
        let mut scored: Vec<(f64, usize)> = candidates
            .iter()
            .map(|&i| {
                let e = &facts.enterprises[i];
                let score = rules::TARGET_SIZE * percentile(e.revenue.unwrap_or(0.0), &revenues)
                    + rules::TARGET_TIER * best_tier(e).map_or(0.0, |t| t.1)
                    + rules::TARGET_INNOVATION * innovation(e);
                (score, i)
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0).then_with(|| facts.enterprises[a.1].uscc.cmp(&facts.enterprises[b.1].uscc))
        });
        scored.truncate(rules::TARGETS_PER_GAP);
        let ranked = scored.into_iter().map(|(score, i)| {
            let e = &facts.enterprises[i];
            let rev = e.revenue.unwrap_or(0.0);
            let mut why = vec![format!("填补{}「{}」", f.kind.label(), node.name), format!("营收 {}", wan(rev))];
            if let Some((label, _)) = best_tier(e) {
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
        });
        out.extend(ranked);
    }
    out
}
