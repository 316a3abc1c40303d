//! 链主 candidates: local enterprises on the chain scored on size, linkage to other local
//! nodes, tier and innovation, each part shown (docs/CHAIN_SCORING.md).

use std::collections::{BTreeSet, HashMap};
use std::sync::OnceLock;

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

/// Percentile rank of `x` among `sorted` (ascending): 0 for the smallest, 1 for the
/// largest; ties share the rank of the first of them.
pub(crate) fn percentile(x: f64, sorted: &[f64]) -> f64 {
    if sorted.len() <= 1 {
        return 1.0;
    }
    let below = sorted.partition_point(|&v| v < x);
    below as f64 / (sorted.len() - 1) as f64
}

pub(crate) fn sorted(mut values: Vec<f64>) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    values
}

/// (bit, label, fraction) of each scored tier, highest fraction first.
fn tier_table() -> &'static [(u32, &'static str, f64)] {
    static TABLE: OnceLock<Vec<(u32, &'static str, f64)>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut t: Vec<(u32, &'static str, f64)> = rules::TIER_POINTS
            .iter()
            .filter_map(|(code, pts)| {
                let bit = HONOURS.iter().position(|h| h.code == *code)?;
                Some((1u32 << bit, HONOURS[bit].label, *pts))
            })
            .collect();
        t.sort_by(|a, b| b.2.total_cmp(&a.2));
        t
    })
}

/// The highest tier an enterprise holds, as (label, fraction of the tier part).
pub(crate) fn best_tier(e: &EnterpriseFacts) -> Option<(&'static str, f64)> {
    tier_table().iter().find(|(bit, _, _)| e.tiers & bit != 0).map(|(_, label, pts)| (*label, *pts))
}

fn rd_intensity(e: &EnterpriseFacts) -> Option<f64> {
    match (e.rd_spend, e.revenue) {
        (Some(rd), Some(rev)) if rev > 0.0 => Some(rd / rev),
        _ => None,
    }
}

/// Innovation as a fraction of its part: R&D intensity (capped) and hosting a platform.
pub(crate) fn innovation(e: &EnterpriseFacts) -> f64 {
    let rd_part = rd_intensity(e).map_or(0.0, |i| (i / rules::RD_INTENSITY_FULL).min(1.0));
    let platform_part = if e.platforms > 0 { 1.0 } else { 0.0 };
    rules::INNOVATION_RD_WEIGHT * rd_part + (1.0 - rules::INNOVATION_RD_WEIGHT) * platform_part
}

fn innovation_detail(e: &EnterpriseFacts) -> String {
    format!("研发投入占营收 {}；依托创新平台 {} 个", rd_intensity(e).map_or("未报".to_string(), pct), e.platforms)
}

/// Local confirmed members of `chain` in the analysis' area, best first, at most `limit`.
pub fn leaders(chain: &Chain, facts: &ChainFacts, analysis: &Analysis, limit: usize) -> Vec<Leader> {
    // Enterprise → the leaves it sits on locally (as (enterprise, leaf) pairs, grouped).
    let mut pairs: Vec<(usize, &str)> = analysis
        .nodes
        .iter()
        .filter(|m| m.leaf && !m.market)
        .flat_map(|m| m.members.iter().map(move |&i| (i, m.node.as_str())))
        .collect();
    pairs.sort_unstable();
    let on: Vec<(usize, &[(usize, &str)])> = pairs.chunk_by(|a, b| a.0 == b.0).map(|g| (g[0].0, g)).collect();
    let revenues = sorted(on.iter().map(|&(i, _)| facts.enterprises[i].revenue.unwrap_or(0.0)).collect());
    let local_nodes: BTreeSet<&str> =
        analysis.nodes.iter().filter(|m| m.leaf && m.enterprises > 0).map(|m| m.node.as_str()).collect();
    // Neighbours of a node set: nodes one edge away (either way), not markets; as (how many,
    // how many have local enterprises). Most enterprises sit on one node: computed once each.
    let link_of = |nodes: &BTreeSet<&str>| -> (usize, usize) {
        let neighbours: BTreeSet<&str> = nodes
            .iter()
            .flat_map(|n| chain.downstream(n).map(|e| e.to.as_str()).chain(chain.upstream(n).map(|e| e.from.as_str())))
            .filter(|n| !nodes.contains(n) && chain.node(n).is_some_and(|x| !x.market))
            .collect();
        (neighbours.len(), neighbours.iter().filter(|n| local_nodes.contains(*n)).count())
    };
    let single: HashMap<&str, (usize, usize)> =
        chain.leaves().map(|l| (l.id.as_str(), link_of(&BTreeSet::from([l.id.as_str()])))).collect();
    let linkage = |nodes: &[(usize, &str)]| match nodes {
        [(_, only)] => single.get(only).copied().unwrap_or((0, 0)),
        _ => link_of(&nodes.iter().map(|p| p.1).collect()),
    };
    // Scores first; the explanations only for the ones shown.
    let mut scored: Vec<(f64, [f64; 4], usize)> = on
        .iter()
        .map(|&(i, nodes)| {
            let e = &facts.enterprises[i];
            let size = rules::LEADER_SIZE * percentile(e.revenue.unwrap_or(0.0), &revenues);
            let (all, linked) = linkage(nodes);
            let link = if all == 0 { 0.0 } else { rules::LEADER_LINKAGE * linked as f64 / all as f64 };
            let tier = rules::LEADER_TIER * best_tier(e).map_or(0.0, |t| t.1);
            let innov = rules::LEADER_INNOVATION * innovation(e);
            let parts = [size, link, tier, innov];
            (parts.iter().sum(), parts, i)
        })
        .collect();
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0).then_with(|| facts.enterprises[a.2].uscc.cmp(&facts.enterprises[b.2].uscc))
    });
    scored.truncate(limit);
    let mut out: Vec<Leader> = scored
        .into_iter()
        .map(|(score, points, i)| {
            let e = &facts.enterprises[i];
            let nodes = on.iter().find(|(j, _)| *j == i).map_or(&[][..], |(_, n)| *n);
            let rev = e.revenue.unwrap_or(0.0);
            let (all, linked) = linkage(nodes);
            let tier = best_tier(e);
            let (innov, innov_detail) = (innovation(e), innovation_detail(e));
            let parts = vec![
                ScorePart {
                    label: "规模",
                    points: points[0],
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
                    points: points[1],
                    max: rules::LEADER_LINKAGE,
                    detail: format!("相邻环节 {all} 个，其中本地有企业的 {linked} 个"),
                },
                ScorePart {
                    label: "梯度",
                    points: points[2],
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
            Leader {
                uscc: e.uscc.clone(),
                name: e.name.clone(),
                region: e.region.clone(),
                nodes: nodes.iter().filter_map(|(_, n)| chain.node(n)).map(|n| n.name.clone()).collect(),
                score,
                parts,
            }
        })
        .collect();
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.uscc.cmp(&b.uscc)));
    out.truncate(limit);
    out
}
