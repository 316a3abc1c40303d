//! The industry chain engine (产业链图谱). Given a chain template and what the store knows
//! about the chain's enterprises ([`ChainFacts`]), it computes node metrics for any region,
//! finds gaps (缺链, 弱链, 断链风险, 延链机会), scores 链主 candidates, ranks 招商 targets,
//! suggests node assignments from products and business scope, and lays the chain out for
//! drawing. Every number is reproducible from the facts; the rules are in
//! `docs/CHAIN_SCORING.md` and their constants in [`rules`]. Pure: no IO.

pub mod findings;
pub mod layout;
pub mod leaders;
pub mod metrics;
pub mod report;
pub mod rules;
pub mod suggest;
pub mod targets;

use periclase_domain::{Chain, ChainFacts};

pub use findings::{Evidence, Finding, FindingKind};
pub use layout::{layout, Layout, Placed};
pub use leaders::{leaders, Leader, ScorePart};
pub use metrics::{NodeMetrics, Prepared};
pub use suggest::{suggest, EnterpriseText, Suggestion};
pub use targets::{targets, Target};

/// Where the analysis looks: the region analysed and the region it is compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Area {
    /// GB/T 2260 prefix (2, 4 or 6 digits) of the region analysed.
    pub region: String,
    /// Prefix of the comparison region; empty means every enterprise in the registry.
    pub benchmark: String,
}

impl Area {
    /// `region` compared with its province, or a province with the whole registry.
    pub fn new(region: &str) -> Area {
        let region = periclase_domain::region_prefix(region).to_string();
        let benchmark = if region.len() > 2 { region[..2].to_string() } else { String::new() };
        Area { region, benchmark }
    }

    pub fn with_benchmark(region: &str, benchmark: &str) -> Area {
        let region = periclase_domain::region_prefix(region).to_string();
        let benchmark =
            if benchmark.is_empty() { String::new() } else { periclase_domain::region_prefix(benchmark).to_string() };
        Area { region, benchmark }
    }
}

/// Everything the map page and the CLI show for one chain in one area.
#[derive(Debug, Clone)]
pub struct Analysis {
    pub area: Area,
    pub year: Option<i64>,
    /// Every node of the template, groups included, in template order.
    pub nodes: Vec<NodeMetrics>,
    pub findings: Vec<Finding>,
}

impl Analysis {
    pub fn node(&self, id: &str) -> Option<&NodeMetrics> {
        self.nodes.iter().find(|n| n.node == id)
    }

    pub fn findings_for<'a>(&'a self, id: &'a str) -> impl Iterator<Item = &'a Finding> + 'a {
        self.findings.iter().filter(move |f| f.node == id)
    }
}

/// Node metrics and findings of `chain` in `area`.
pub fn analyse(chain: &Chain, facts: &ChainFacts, area: &Area) -> Analysis {
    analyse_prepared(chain, facts, &Prepared::new(chain, facts), area)
}

/// [`analyse`] with the facts already indexed: what a server keeps between requests.
pub fn analyse_prepared(chain: &Chain, facts: &ChainFacts, prepared: &Prepared, area: &Area) -> Analysis {
    let nodes = metrics::compute(chain, facts, prepared, area);
    let findings = findings::find(chain, &area.region, &nodes);
    Analysis { area: area.clone(), year: facts.year, nodes, findings }
}

#[cfg(test)]
pub(crate) mod fixture;
