//! Gap analysis: 缺链, 弱链, 断链风险, 延链机会 on the template's leaf nodes, each finding
//! with the figures that made it (docs/CHAIN_SCORING.md).

use periclase_domain::Chain;
use serde::Serialize;

use crate::metrics::NodeMetrics;
use crate::rules;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingKind {
    /// 缺链: no local enterprise on the node.
    Missing,
    /// 弱链: the node's local share is well below its benchmark share.
    Weak,
    /// 断链风险: one or two local suppliers carry a node that local customers depend on.
    BreakRisk,
    /// 延链机会: a strong local node whose downstream is missing or weak.
    Extension,
}

impl FindingKind {
    pub const ALL: [FindingKind; 4] =
        [FindingKind::Missing, FindingKind::Weak, FindingKind::BreakRisk, FindingKind::Extension];

    pub fn label(self) -> &'static str {
        match self {
            FindingKind::Missing => "缺链",
            FindingKind::Weak => "弱链",
            FindingKind::BreakRisk => "断链风险",
            FindingKind::Extension => "延链机会",
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            FindingKind::Missing => "missing",
            FindingKind::Weak => "weak",
            FindingKind::BreakRisk => "break_risk",
            FindingKind::Extension => "extension",
        }
    }

    pub fn parse(text: &str) -> Option<FindingKind> {
        FindingKind::ALL.into_iter().find(|k| k.code() == text || k.label() == text)
    }
}

/// A figure behind a finding, as shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evidence {
    pub label: String,
    pub value: String,
}

fn ev(label: &str, value: impl Into<String>) -> Evidence {
    Evidence { label: label.to_string(), value: value.into() }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Finding {
    pub kind: FindingKind,
    pub node: String,
    pub name: String,
    /// For 延链机会: the downstream node to extend into (the 招商 gap).
    pub toward: Option<String>,
    pub message: String,
    pub evidence: Vec<Evidence>,
}

pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0 + 0.0)
}

pub fn wan(x: f64) -> String {
    let x = x + 0.0; // an empty float sum is -0.0
    if x >= 10_000.0 {
        format!("{:.2} 亿元", x / 10_000.0)
    } else {
        format!("{x:.0} 万元")
    }
}

/// Why a node with local enterprises is weak, if it is: short of its plan target for the
/// region when the template sets one, else a share well below the benchmark's.
fn weakness(chain: &Chain, region: &str, m: &NodeMetrics) -> Option<(String, Vec<Evidence>)> {
    if m.enterprises == 0 {
        return None;
    }
    if let Some(t) = chain.targets.iter().find(|t| t.node == m.node && t.region == region) {
        let short_revenue = t.revenue.filter(|&goal| m.revenue < goal);
        let short_count = t.enterprises.filter(|&goal| m.enterprises < goal);
        if short_revenue.is_none() && short_count.is_none() {
            return None;
        }
        let goal: Vec<String> = t
            .revenue
            .map(|r| format!("营收 {}", wan(r)))
            .into_iter()
            .chain(t.enterprises.map(|n| format!("企业 {n} 家")))
            .collect();
        let mut evidence = vec![
            ev(&format!("{}年目标", t.year), goal.join("，")),
            ev("本地现状", format!("营收 {}，企业 {} 家", wan(m.revenue), m.enterprises)),
        ];
        if let Some(goal) = t.revenue {
            evidence.push(ev("营收完成", pct(m.revenue / goal)));
        }
        evidence.push(ev("目标来源", t.source.clone()));
        return Some((format!("「{}」低于规划目标（{}年：{}）", m.name, t.year, goal.join("，")), evidence));
    }
    let (share, bench) = (m.share?, m.benchmark_share?);
    if !(bench > 0.0 && share < rules::WEAK_SHARE_RATIO * bench) {
        return None;
    }
    let message = format!(
        "「{}」占本地全链营收 {}，不到对比地区同一环节占比 {} 的 {}",
        m.name,
        pct(share),
        pct(bench),
        pct(rules::WEAK_SHARE_RATIO)
    );
    let evidence = vec![
        ev("本地企业", format!("{} 家", m.enterprises)),
        ev("本地营收", wan(m.revenue)),
        ev("占本地全链营收", pct(share)),
        ev("对比地区占比", pct(bench)),
        ev("本地占比 / 对比占比", format!("{:.2}", share / bench)),
    ];
    Some((message, evidence))
}

/// Findings over the leaves of `chain` in `region`, in template order, kinds in
/// [`FindingKind::ALL`] order.
pub fn find(chain: &Chain, region: &str, nodes: &[NodeMetrics]) -> Vec<Finding> {
    let metric = |id: &str| nodes.iter().find(|m| m.node == id);
    let weak = |m: &NodeMetrics| weakness(chain, region, m).is_some();
    let strong = |m: &NodeMetrics| {
        m.enterprises >= rules::STRONG_MIN_ENTERPRISES
            && match (m.share, m.benchmark_share) {
                (Some(s), Some(b)) => s >= rules::STRONG_SHARE_RATIO * b,
                (Some(_), None) => true,
                _ => false,
            }
    };
    let mut out = Vec::new();
    for n in chain.leaves().filter(|n| !n.market) {
        let Some(m) = metric(&n.id) else { continue };
        if m.enterprises == 0 {
            out.push(Finding {
                kind: FindingKind::Missing,
                node: n.id.clone(),
                name: n.name.clone(),
                toward: None,
                message: format!("本地没有企业从事「{}」", n.name),
                evidence: vec![
                    ev("本地企业", "0 家"),
                    ev("对比地区企业", format!("{} 家", m.benchmark_enterprises)),
                    ev("本地待确认企业", format!("{} 家", m.suggested)),
                ],
            });
            continue;
        }
        if let Some((message, evidence)) = weakness(chain, region, m) {
            out.push(Finding {
                kind: FindingKind::Weak,
                node: n.id.clone(),
                name: n.name.clone(),
                toward: None,
                message,
                evidence,
            });
        }
        // With no revenue reported, one or two enterprises are all the node has.
        let top2_share = m.top2_share.unwrap_or(if m.enterprises <= 2 { 1.0 } else { 0.0 });
        let dependants: Vec<String> = chain
            .downstream(&n.id)
            .filter_map(|e| metric(&e.to))
            .filter(|d| d.enterprises > 0 && !d.market)
            .map(|d| format!("{}（{} 家）", d.name, d.enterprises))
            .collect();
        if m.enterprises <= rules::BREAK_MAX_SUPPLIERS
            && top2_share >= rules::BREAK_TOP2_SHARE
            && !dependants.is_empty()
        {
            out.push(Finding {
                kind: FindingKind::BreakRisk,
                node: n.id.clone(),
                name: n.name.clone(),
                toward: None,
                message: format!(
                    "「{}」本地只有 {} 家企业，而本地下游 {} 依赖它",
                    n.name,
                    m.enterprises,
                    dependants.join("、")
                ),
                evidence: vec![
                    ev("本地企业", format!("{} 家", m.enterprises)),
                    ev("前两家营收占比", pct(top2_share)),
                    ev("依赖它的本地下游", dependants.join("、")),
                ],
            });
        }
        if strong(m) {
            for e in chain.downstream(&n.id) {
                let Some(d) = metric(&e.to).filter(|d| !d.market) else { continue };
                let gap = if d.enterprises == 0 {
                    Some("本地缺失")
                } else if weak(d) {
                    Some("本地偏弱")
                } else {
                    None
                };
                if let Some(gap) = gap {
                    out.push(Finding {
                        kind: FindingKind::Extension,
                        node: n.id.clone(),
                        name: n.name.clone(),
                        toward: Some(d.node.clone()),
                        message: format!("「{}」本地较强，其下游「{}」{gap}，可向下游延伸", n.name, d.name),
                        evidence: vec![
                            ev("本地企业", format!("{} 家", m.enterprises)),
                            ev("占本地全链营收", pct(m.share.unwrap_or(0.0))),
                            ev("对比地区占比", m.benchmark_share.map_or("—".to_string(), pct)),
                            ev(&format!("下游「{}」本地企业", d.name), format!("{} 家", d.enterprises)),
                            ev(&format!("下游「{}」占本地全链营收", d.name), d.share.map_or("—".to_string(), pct)),
                        ],
                    });
                }
            }
        }
    }
    out.sort_by_key(|f| f.kind);
    out
}
