//! What the store knows about one industry chain, handed to the chain engine: its member
//! enterprises with their latest figures, and the projects, platforms and achievements
//! that may belong to its nodes. Plain data, no IO.

use std::sync::Arc;

/// One enterprise that sits (confirmed or suggested) on at least one node of the chain.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct EnterpriseFacts {
    pub id: i64,
    pub uscc: String,
    pub name: String,
    pub region: String,
    pub external: bool,
    /// Bit `i` set when the enterprise holds `registries::HONOURS[i]` (any year).
    pub tiers: u32,
    /// 万元, in [`ChainFacts::year`] and the year before.
    pub revenue: Option<f64>,
    pub revenue_prev: Option<f64>,
    pub employees: Option<f64>,
    /// 万元.
    pub rd_spend: Option<f64>,
    /// Capacity and output in [`ChainFacts::year`], summed over products (their own units).
    pub capacity: Option<f64>,
    pub output: Option<f64>,
    pub platforms: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Membership {
    /// Index into [`ChainFacts::enterprises`].
    pub enterprise: usize,
    /// `chain/node` key.
    pub node: String,
    pub confirmed: bool,
    pub basis: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ProjectFacts {
    pub code: String,
    pub name: String,
    pub region: String,
    /// As typed: a node name or key.
    pub chain_node: Option<String>,
    /// 万元.
    pub investment: Option<f64>,
    pub stage: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformFacts {
    pub code: String,
    pub name: String,
    pub level: String,
    pub region: Option<String>,
    /// Index into [`ChainFacts::enterprises`] when the host is a member.
    pub host: Option<usize>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct AchievementFacts {
    pub code: String,
    pub title: String,
    pub keywords: String,
    pub field: String,
    pub region: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct ChainFacts {
    /// The latest year with any reported figure; revenue and capacity are of this year.
    pub year: Option<i64>,
    pub enterprises: Vec<EnterpriseFacts>,
    pub members: Vec<Membership>,
    /// Shared by every chain read together.
    pub projects: Arc<Vec<ProjectFacts>>,
    pub platforms: Vec<PlatformFacts>,
    /// Shared by every chain read together.
    pub achievements: Arc<Vec<AchievementFacts>>,
}
