//! Node metrics for a region: enterprises, size, tiers, projects, platforms, achievements,
//! growth and concentration. A group node aggregates its leaves (an enterprise on two of
//! them counts once).

use std::collections::{BTreeSet, HashMap};

use periclase_domain::registries::HONOURS;
use periclase_domain::{Chain, ChainFacts, ChainNode};
use serde::Serialize;

use crate::{rules, Area};

#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct NodeMetrics {
    pub node: String,
    pub name: String,
    pub stage: &'static str,
    pub leaf: bool,
    pub market: bool,
    /// Local enterprises confirmed on the node.
    pub enterprises: u32,
    /// Local enterprises suggested for it, awaiting an official's decision.
    pub suggested: u32,
    /// 万元, latest year and the year before (enterprises reporting both, for growth).
    pub revenue: f64,
    pub growth: Option<f64>,
    pub employees: f64,
    pub rd_spend: f64,
    pub capacity: f64,
    pub output: f64,
    /// (honour label, local enterprises holding it), in the order of the tier list.
    pub tiers: Vec<(&'static str, u32)>,
    pub projects: u32,
    pub projects_under_way: u32,
    /// 万元, of the projects under way.
    pub investment: f64,
    pub platforms: u32,
    pub achievements: u32,
    /// Largest enterprise's share of the node's revenue, and the Herfindahl–Hirschman index
    /// (0–10,000) of revenue shares.
    pub top1_share: Option<f64>,
    pub top2_share: Option<f64>,
    pub hhi: Option<f64>,
    /// The node's share of the chain's local revenue, and the same in the benchmark region.
    pub share: Option<f64>,
    pub benchmark_enterprises: u32,
    pub benchmark_share: Option<f64>,
    /// Local enterprise indexes (into `ChainFacts::enterprises`), largest revenue first.
    #[serde(skip)]
    pub members: Vec<usize>,
}

/// Metrics of every node of `chain` in `area`, in template order.
pub fn compute<'a>(chain: &'a Chain, facts: &ChainFacts, area: &Area) -> Vec<NodeMetrics> {
    // Leaf → confirmed / suggested member enterprises.
    let mut confirmed: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    let mut suggested: HashMap<&str, BTreeSet<usize>> = HashMap::new();
    let prefix = format!("{}/", chain.id);
    for m in &facts.members {
        let Some(node) = m.node.strip_prefix(&prefix) else { continue };
        let map = if m.confirmed { &mut confirmed } else { &mut suggested };
        map.entry(node).or_default().insert(m.enterprise);
    }
    let leaves_of = |n: &'a ChainNode| -> Vec<&'a str> {
        if chain.is_leaf(&n.id) {
            return vec![n.id.as_str()];
        }
        let mut out = Vec::new();
        let mut stack = vec![n.id.as_str()];
        while let Some(at) = stack.pop() {
            for c in chain.children(at) {
                if chain.is_leaf(&c.id) {
                    out.push(c.id.as_str());
                } else {
                    stack.push(c.id.as_str());
                }
            }
        }
        out
    };
    let revenue = |i: &usize| facts.enterprises[*i].revenue.unwrap_or(0.0);
    let chain_revenue = |pick: &dyn Fn(usize) -> bool| -> f64 {
        let all: BTreeSet<usize> = chain
            .leaves()
            .filter(|n| !n.market)
            .flat_map(|n| confirmed.get(n.id.as_str()).into_iter().flatten().copied())
            .filter(|&i| pick(i))
            .collect();
        all.iter().map(revenue).sum()
    };
    let local_total = chain_revenue(&|i| area.is_local(&facts.enterprises[i]));
    let bench_total = chain_revenue(&|i| area.in_benchmark(&facts.enterprises[i]));

    chain
        .nodes
        .iter()
        .map(|n| {
            let leaves = leaves_of(n);
            let gather = |map: &HashMap<&str, BTreeSet<usize>>, pick: &dyn Fn(usize) -> bool| -> Vec<usize> {
                let set: BTreeSet<usize> = leaves
                    .iter()
                    .flat_map(|l| map.get(l).into_iter().flatten().copied())
                    .filter(|&i| pick(i))
                    .collect();
                set.into_iter().collect()
            };
            let mut local = gather(&confirmed, &|i| area.is_local(&facts.enterprises[i]));
            local.sort_by(|a, b| revenue(b).total_cmp(&revenue(a)).then(a.cmp(b)));
            let bench = gather(&confirmed, &|i| area.in_benchmark(&facts.enterprises[i]));
            let pending = gather(&suggested, &|i| area.is_local(&facts.enterprises[i]));
            let ents = || local.iter().map(|&i| &facts.enterprises[i]);
            let rev: f64 = ents().filter_map(|e| e.revenue).sum();
            let (both_now, both_prev) = ents()
                .filter_map(|e| Some((e.revenue?, e.revenue_prev?)))
                .fold((0.0, 0.0), |(a, b), (x, y)| (a + x, b + y));
            let tiers = HONOURS
                .iter()
                .enumerate()
                .map(|(bit, h)| (h.label, ents().filter(|e| e.tiers & (1 << bit) != 0).count() as u32))
                .filter(|(_, k)| *k > 0)
                .collect();
            let shares: Vec<f64> =
                if rev > 0.0 { ents().map(|e| e.revenue.unwrap_or(0.0) / rev).collect() } else { Vec::new() };
            let projects: Vec<_> = facts
                .projects
                .iter()
                .filter(|p| p.region.starts_with(&area.region))
                .filter(|p| {
                    p.chain_node
                        .as_deref()
                        .is_some_and(|t| project_node(chain, t).is_some_and(|id| leaves.contains(&id)))
                })
                .collect();
            let under_way: Vec<_> =
                projects.iter().filter(|p| p.stage.as_deref().is_some_and(|s| rules::UNDER_WAY.contains(&s))).collect();
            let platforms =
                facts.platforms.iter().filter(|p| p.host.is_some_and(|h| local.contains(&h))).count() as u32;
            let words: Vec<&str> = leaves
                .iter()
                .filter_map(|l| chain.node(l))
                .flat_map(|l| l.keywords.iter().chain(&l.products).map(String::as_str))
                .collect();
            let achievements = facts
                .achievements
                .iter()
                .filter(|a| a.region.as_deref().is_none_or(|r| r.starts_with(&area.region)))
                .filter(|a| words.iter().any(|w| a.title.contains(w) || a.keywords.contains(w) || a.field.contains(w)))
                .count() as u32;
            let bench_rev: f64 = bench.iter().map(revenue).sum();
            NodeMetrics {
                node: n.id.clone(),
                name: n.name.clone(),
                stage: n.stage.label(),
                leaf: chain.is_leaf(&n.id),
                market: n.market,
                enterprises: local.len() as u32,
                suggested: pending.len() as u32,
                revenue: rev,
                growth: (both_prev > 0.0).then(|| both_now / both_prev - 1.0),
                employees: ents().filter_map(|e| e.employees).sum(),
                rd_spend: ents().filter_map(|e| e.rd_spend).sum(),
                capacity: ents().filter_map(|e| e.capacity).sum(),
                output: ents().filter_map(|e| e.output).sum(),
                tiers,
                projects: projects.len() as u32,
                projects_under_way: under_way.len() as u32,
                investment: under_way.iter().filter_map(|p| p.investment).sum(),
                platforms,
                achievements,
                top1_share: shares.first().copied(),
                top2_share: (!shares.is_empty()).then(|| shares.iter().take(2).sum()),
                hhi: (!shares.is_empty()).then(|| shares.iter().map(|s| s * s * 10_000.0).sum()),
                share: (local_total > 0.0).then(|| rev / local_total),
                benchmark_enterprises: bench.len() as u32,
                benchmark_share: (bench_total > 0.0).then(|| bench_rev / bench_total),
                members: local,
            }
        })
        .collect()
}

/// The leaf a project's `chain_node` names: a node id, a `chain/node` key or a node name.
pub fn project_node<'a>(chain: &'a Chain, text: &str) -> Option<&'a str> {
    let t = text.trim();
    let t = t.strip_prefix(&format!("{}/", chain.id)).unwrap_or(t);
    chain.find(t).filter(|n| chain.is_leaf(&n.id)).map(|n| n.id.as_str())
}
