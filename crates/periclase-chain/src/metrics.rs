//! Node metrics for a region: enterprises, size, tiers, projects, platforms, achievements,
//! growth and concentration. A group node aggregates its leaves (an enterprise on two of
//! them counts once).

use std::collections::HashMap;

use aho_corasick::AhoCorasick;

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

/// What the analysis of any area needs, indexed once per chain and facts: for each template
/// node (in template order), the enterprises, projects and achievements of its leaves.
#[derive(Debug, Clone, Default)]
pub struct Prepared {
    confirmed: Vec<Vec<usize>>,
    suggested: Vec<Vec<usize>>,
    projects: Vec<Vec<usize>>,
    achievements: Vec<Vec<usize>>,
    /// Confirmed members of every leaf that is not a market, once each.
    chain_members: Vec<usize>,
    /// Each enterprise's region code as a number (`u32::MAX` for 域外 enterprises, which are
    /// never local nor in a benchmark): area tests become integer comparisons.
    region: Vec<u32>,
}

impl Prepared {
    pub fn new(chain: &Chain, facts: &ChainFacts) -> Prepared {
        let prefix = format!("{}/", chain.id);
        let leaf_index: HashMap<&str, usize> =
            chain.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
        let n = chain.nodes.len();
        let (mut leaf_confirmed, mut leaf_suggested) = (vec![Vec::new(); n], vec![Vec::new(); n]);
        for m in &facts.members {
            let Some(i) = m.node.strip_prefix(&prefix).and_then(|id| leaf_index.get(id)) else { continue };
            let lists = if m.confirmed { &mut leaf_confirmed } else { &mut leaf_suggested };
            lists[*i].push(m.enterprise);
        }
        let mut leaf_projects = vec![Vec::new(); n];
        for (p, project) in facts.projects.iter().enumerate() {
            if let Some(i) =
                project.chain_node.as_deref().and_then(|t| project_node(chain, t)).and_then(|id| leaf_index.get(id))
            {
                leaf_projects[*i].push(p);
            }
        }
        let leaf_achievements = achievements_by_leaf(chain, facts, &leaf_index);
        // A node's lists are its leaves' lists, merged.
        let merge = |lists: &Vec<Vec<usize>>, node: &ChainNode| -> Vec<usize> {
            let mut all: Vec<usize> =
                leaves_of(chain, node).iter().flat_map(|l| lists[leaf_index[l]].iter().copied()).collect();
            all.sort_unstable();
            all.dedup();
            all
        };
        let mut chain_members: Vec<usize> = chain
            .leaves()
            .filter(|l| !l.market)
            .flat_map(|l| leaf_confirmed[leaf_index[l.id.as_str()]].iter().copied())
            .collect();
        chain_members.sort_unstable();
        chain_members.dedup();
        Prepared {
            confirmed: chain.nodes.iter().map(|node| merge(&leaf_confirmed, node)).collect(),
            suggested: chain.nodes.iter().map(|node| merge(&leaf_suggested, node)).collect(),
            projects: chain.nodes.iter().map(|node| merge(&leaf_projects, node)).collect(),
            achievements: chain.nodes.iter().map(|node| merge(&leaf_achievements, node)).collect(),
            chain_members,
            region: facts
                .enterprises
                .iter()
                .map(|e| if e.external { u32::MAX } else { e.region.parse().unwrap_or(u32::MAX) })
                .collect(),
        }
    }
}

/// Achievements (indexes) whose title, keywords or field name one of a leaf's keywords or
/// products, per leaf: one pass over each text for every word of the chain at once.
fn achievements_by_leaf(chain: &Chain, facts: &ChainFacts, leaf_index: &HashMap<&str, usize>) -> Vec<Vec<usize>> {
    let mut words: Vec<&str> = Vec::new();
    let mut word_leaves: Vec<Vec<usize>> = Vec::new();
    for node in chain.leaves() {
        let leaf = leaf_index[node.id.as_str()];
        for w in node.keywords.iter().chain(&node.products).filter(|w| !w.is_empty()) {
            match words.iter().position(|x| x == w) {
                Some(k) => word_leaves[k].push(leaf),
                None => {
                    words.push(w);
                    word_leaves.push(vec![leaf]);
                }
            }
        }
    }
    let mut out = vec![Vec::new(); chain.nodes.len()];
    let Ok(matcher) = AhoCorasick::new(&words) else { return out };
    let mut hit = vec![false; chain.nodes.len()];
    for (a, x) in facts.achievements.iter().enumerate() {
        for text in [&x.title, &x.keywords, &x.field] {
            for m in matcher.find_overlapping_iter(text.as_str()) {
                for &leaf in &word_leaves[m.pattern().as_usize()] {
                    hit[leaf] = true;
                }
            }
        }
        for (leaf, h) in hit.iter_mut().enumerate() {
            if std::mem::take(h) {
                out[leaf].push(a);
            }
        }
    }
    out
}

impl Prepared {
    /// Projects (indexes into `ChainFacts::projects`, any region) on node `id`.
    pub fn projects_on(&self, chain: &Chain, id: &str) -> &[usize] {
        chain.nodes.iter().position(|n| n.id == id).map_or(&[], |k| &self.projects[k])
    }

    /// Suggested (待确认) members (anywhere) of node `id`, once each, ascending.
    pub fn suggested_on(&self, chain: &Chain, id: &str) -> &[usize] {
        chain.nodes.iter().position(|n| n.id == id).map_or(&[], |k| &self.suggested[k])
    }

    /// Confirmed members (anywhere) of node `id`, once each, ascending.
    pub fn confirmed_on(&self, chain: &Chain, id: &str) -> &[usize] {
        chain.nodes.iter().position(|n| n.id == id).map_or(&[], |k| &self.confirmed[k])
    }
}

/// The six-digit codes under a region prefix ("2103" → 210300..210400; "" → all).
fn code_range(prefix: &str) -> std::ops::Range<u32> {
    let digits = prefix.len().min(6) as u32;
    let scale = 10u32.pow(6 - digits);
    let base: u32 = if digits == 0 { 0 } else { prefix[..digits as usize].parse().unwrap_or(0) };
    base * scale..(base + 1) * scale
}

fn leaves_of<'a>(chain: &'a Chain, n: &'a ChainNode) -> Vec<&'a str> {
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
}

/// Metrics of every node of `chain` in `area`, in template order.
pub fn compute(chain: &Chain, facts: &ChainFacts, prepared: &Prepared, area: &Area) -> Vec<NodeMetrics> {
    let revenue = |i: &usize| facts.enterprises[*i].revenue.unwrap_or(0.0);
    let (local_range, bench_range) = (code_range(&area.region), code_range(&area.benchmark));
    let local = |i: &&usize| local_range.contains(&prepared.region[**i]);
    let bench = |i: &&usize| bench_range.contains(&prepared.region[**i]);
    let local_total: f64 = prepared.chain_members.iter().filter(local).map(revenue).sum();
    let bench_total: f64 = prepared.chain_members.iter().filter(bench).map(revenue).sum();

    chain
        .nodes
        .iter()
        .enumerate()
        .map(|(k, n)| {
            let mut members: Vec<usize> = prepared.confirmed[k].iter().filter(local).copied().collect();
            members.sort_by(|a, b| revenue(b).total_cmp(&revenue(a)).then(a.cmp(b)));
            let bench_members: Vec<usize> = prepared.confirmed[k].iter().filter(bench).copied().collect();
            let pending = prepared.suggested[k].iter().filter(local).count();
            let ents = || members.iter().map(|&i| &facts.enterprises[i]);
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
            let projects: Vec<_> = prepared.projects[k]
                .iter()
                .map(|&p| &facts.projects[p])
                .filter(|p| p.region.starts_with(&area.region))
                .collect();
            let under_way: Vec<_> =
                projects.iter().filter(|p| p.stage.as_deref().is_some_and(|s| rules::UNDER_WAY.contains(&s))).collect();
            let achievements = prepared.achievements[k]
                .iter()
                .filter(|&&a| facts.achievements[a].region.as_deref().is_none_or(|r| r.starts_with(&area.region)))
                .count() as u32;
            let bench_rev: f64 = bench_members.iter().map(revenue).sum();
            NodeMetrics {
                node: n.id.clone(),
                name: n.name.clone(),
                stage: n.stage.label(),
                leaf: chain.is_leaf(&n.id),
                market: n.market,
                enterprises: members.len() as u32,
                suggested: pending as u32,
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
                platforms: ents().map(|e| e.platforms).sum(),
                achievements,
                top1_share: shares.first().copied(),
                top2_share: (!shares.is_empty()).then(|| shares.iter().take(2).sum()),
                hhi: (!shares.is_empty()).then(|| shares.iter().map(|s| s * s * 10_000.0).sum()),
                share: (local_total > 0.0).then(|| rev / local_total),
                benchmark_enterprises: bench_members.len() as u32,
                benchmark_share: (bench_total > 0.0).then(|| bench_rev / bench_total),
                members,
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

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::{AchievementFacts, ChainSet};

    /// Every leaf whose keyword or product occurs in any of the achievement's texts.
    fn naive(chain: &Chain, facts: &ChainFacts) -> Vec<Vec<usize>> {
        chain
            .nodes
            .iter()
            .map(|node| {
                if !chain.is_leaf(&node.id) {
                    return Vec::new();
                }
                let words: Vec<&String> = node.keywords.iter().chain(&node.products).collect();
                (0..facts.achievements.len())
                    .filter(|&a| {
                        let x = &facts.achievements[a];
                        words.iter().any(|w| x.title.contains(*w) || x.keywords.contains(*w) || x.field.contains(*w))
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn achievements_are_matched_to_leaves_as_by_plain_substring_search() {
        let set = ChainSet::embedded();
        let texts = [
            ("高纯电熔镁砂制备技术", "电熔,镁砂", "无机非金属材料"),
            ("镁合金压铸件轻量化", "AZ91D,压铸", "金属材料"),
            ("无关的软件成果", "", ""),
            ("菱镁矿浮选提纯与轻烧氧化镁", "浮选;轻烧", "矿业"),
            ("铜箔", "锂电", "电子材料"),
        ];
        let achievements: Vec<AchievementFacts> = texts
            .iter()
            .enumerate()
            .map(|(i, (t, k, f))| AchievementFacts {
                code: format!("A{i}"),
                title: t.to_string(),
                keywords: k.to_string(),
                field: f.to_string(),
                region: None,
            })
            .collect();
        let facts = ChainFacts { achievements: achievements.into(), ..Default::default() };
        let mut matched = 0;
        for chain in &set.chains {
            let leaf_index: HashMap<&str, usize> =
                chain.nodes.iter().enumerate().map(|(i, n)| (n.id.as_str(), i)).collect();
            let fast = achievements_by_leaf(chain, &facts, &leaf_index);
            assert_eq!(fast, naive(chain, &facts), "{}", chain.id);
            matched += fast.iter().map(Vec::len).sum::<usize>();
        }
        assert!(matched >= 4, "the texts name nodes of every chain: {matched}");
    }
}
