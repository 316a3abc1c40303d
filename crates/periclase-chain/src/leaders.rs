//! 链主 candidates: local enterprises on the chain scored on size, linkage to other local
//! nodes, tier and innovation, each part shown (docs/CHAIN_SCORING.md).

use std::collections::{BTreeSet, HashMap};

use periclase_domain::registries::HONOURS;
use periclase_domain::{Chain, ChainFacts, EnterpriseFacts};
use serde::Serialize;

use crate::findings::{pct, wan};
use crate::{rules, Analysis};

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScorePart {
    pub label: &'static str,
    pub points: f64,
    pub max: f64,
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Leader {
    pub uscc: String,
    pub name: String,
    pub region: String,
    /// Names of the nodes it sits on.
    pub nodes: Vec<String>,
    pub score: f64,
    pub parts: Vec<ScorePart>,
}

/// Percentile rank of `x` among `all` (0 for the smallest, 1 for the largest; ties share).
pub(crate) fn percentile(x: f64, all: &[f64]) -> f64 {
    if all.len() <= 1 {
        return 1.0;
    }
    let below = all.iter().filter(|&&v| v < x).count();
    below as f64 / (all.len() - 1) as f64
}

/// The highest tier an enterprise holds, as (label, fraction of the tier part).
pub(crate) fn best_tier(e: &EnterpriseFacts) -> Option<(&'static str, f64)> {
    rules::TIER_POINTS
        .iter()
        .filter_map(|(code, pts)| {
            let bit = HONOURS.iter().position(|h| h.code == *code)?;
            (e.tiers & (1 << bit) != 0).then(|| (HONOURS[bit].label, *pts))
        })
        .max_by(|a, b| a.1.total_cmp(&b.1))
}

/// Innovation: R&D intensity (capped) and hosting an innovation platform, as a fraction.
pub(crate) fn innovation(e: &EnterpriseFacts) -> (f64, String) {
    let intensity = match (e.rd_spend, e.revenue) {
        (Some(rd), Some(rev)) if rev > 0.0 => Some(rd / rev),
        _ => None,
    };
    let rd_part = intensity.map_or(0.0, |i| (i / rules::RD_INTENSITY_FULL).min(1.0));
    let platform_part = if e.platforms > 0 { 1.0 } else { 0.0 };
    let fraction = rules::INNOVATION_RD_WEIGHT * rd_part + (1.0 - rules::INNOVATION_RD_WEIGHT) * platform_part;
    let detail =
        format!("研发投入占营收 {}；依托创新平台 {} 个", intensity.map_or("未报".to_string(), pct), e.platforms);
    (fraction, detail)
}

/// Local confirmed members of `chain` in the analysis' area, best first, at most `limit`.
pub fn leaders(chain: &Chain, facts: &ChainFacts, analysis: &Analysis, limit: usize) -> Vec<Leader> {
    // Enterprise → the leaves it sits on locally.
    let mut on: HashMap<usize, BTreeSet<&str>> = HashMap::new();
    for m in analysis.nodes.iter().filter(|m| m.leaf && !m.market) {
        for &i in &m.members {
            on.entry(i).or_default().insert(m.node.as_str());
        }
    }
    let revenues: Vec<f64> = on.keys().map(|&i| facts.enterprises[i].revenue.unwrap_or(0.0)).collect();
    let local_nodes: BTreeSet<&str> =
        analysis.nodes.iter().filter(|m| m.leaf && m.enterprises > 0).map(|m| m.node.as_str()).collect();
    let mut out: Vec<Leader> = on
        .iter()
        .map(|(&i, nodes)| {
            let e = &facts.enterprises[i];
            let rev = e.revenue.unwrap_or(0.0);
            let size = rules::LEADER_SIZE * percentile(rev, &revenues);
            // Neighbours: nodes one edge away (either way) from any node it sits on.
            let neighbours: BTreeSet<&str> = nodes
                .iter()
                .flat_map(|n| {
                    chain.downstream(n).map(|e| e.to.as_str()).chain(chain.upstream(n).map(|e| e.from.as_str()))
                })
                .filter(|n| !nodes.contains(n) && chain.node(n).is_some_and(|x| !x.market))
                .collect();
            let linked = neighbours.iter().filter(|n| local_nodes.contains(*n)).count();
            let linkage = if neighbours.is_empty() {
                0.0
            } else {
                rules::LEADER_LINKAGE * linked as f64 / neighbours.len() as f64
            };
            let tier = best_tier(e);
            let tier_points = rules::LEADER_TIER * tier.map_or(0.0, |t| t.1);
            let (innov, innov_detail) = innovation(e);
            let parts = vec![
                ScorePart {
                    label: "规模",
                    points: size,
                    max: rules::LEADER_SIZE,
                    detail: format!(
                        "营收 {}，在本地链上 {} 家企业中的百分位 {}",
                        wan(rev),
                        revenues.len(),
                        pct(percentile(rev, &revenues))
                    ),
                },
                ScorePart {
                    label: "链接度",
                    points: linkage,
                    max: rules::LEADER_LINKAGE,
                    detail: format!("相邻环节 {} 个，其中本地有企业的 {} 个", neighbours.len(), linked),
                },
                ScorePart {
                    label: "梯度",
                    points: tier_points,
                    max: rules::LEADER_TIER,
                    detail: tier.map_or("无梯度认定".to_string(), |t| format!("最高梯度：{}", t.0)),
                },
                ScorePart {
                    label: "创新",
                    points: rules::LEADER_INNOVATION * innov,
                    max: rules::LEADER_INNOVATION,
                    detail: innov_detail,
                },
            ];
            let score = parts.iter().map(|p| p.points).sum();
            Leader {
                uscc: e.uscc.clone(),
                name: e.name.clone(),
                region: e.region.clone(),
                nodes: nodes.iter().filter_map(|n| chain.node(n)).map(|n| n.name.clone()).collect(),
                score,
                parts,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.uscc.cmp(&b.uscc)));
    out.truncate(limit);
    out
}
