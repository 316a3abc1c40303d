//! The constants of the scoring rules. `docs/CHAIN_SCORING.md` explains each; change both
//! together.

/// 弱链: a node whose share of the chain's local revenue is below this fraction of the same
/// node's share in the benchmark region.
pub const WEAK_SHARE_RATIO: f64 = 0.5;

/// 断链风险: the largest two local suppliers carry at least this share of the node's revenue…
pub const BREAK_TOP2_SHARE: f64 = 0.8;
/// …and the node has at most this many local enterprises.
pub const BREAK_MAX_SUPPLIERS: u32 = 2;

/// 延链机会: an upstream node counts as strong with at least this many local enterprises…
pub const STRONG_MIN_ENTERPRISES: u32 = 3;
/// …and a local revenue share at least this fraction of its benchmark share.
pub const STRONG_SHARE_RATIO: f64 = 1.0;

/// Project stages that count as under way.
pub const UNDER_WAY: &[&str] = &["planning", "preparing", "building"];

/// 链主 candidate score: points for each part (sum 100).
pub const LEADER_SIZE: f64 = 40.0;
pub const LEADER_LINKAGE: f64 = 25.0;
pub const LEADER_TIER: f64 = 20.0;
pub const LEADER_INNOVATION: f64 = 15.0;
/// R&D spend over revenue that earns the full R&D part of innovation.
pub const RD_INTENSITY_FULL: f64 = 0.05;
/// Share of the innovation part earned by R&D intensity; the rest by hosting a platform.
pub const INNOVATION_RD_WEIGHT: f64 = 0.7;

/// Tier points, as a fraction of the tier part: the highest tier held counts.
pub const TIER_POINTS: &[(&str, f64)] = &[
    ("chain_leader", 1.0),
    ("single_champion", 0.8),
    ("little_giant", 0.7),
    ("unicorn", 0.7),
    ("potential_unicorn", 0.5),
    ("specialized_sme", 0.4),
    ("gazelle", 0.4),
    ("high_tech", 0.3),
    ("innovative_sme", 0.2),
    ("eaglet", 0.2),
    ("tech_sme", 0.1),
];

/// 招商 target score: points for each part (sum 100).
pub const TARGET_SIZE: f64 = 50.0;
pub const TARGET_TIER: f64 = 30.0;
pub const TARGET_INNOVATION: f64 = 20.0;
/// At most this many targets per gap.
pub const TARGETS_PER_GAP: usize = 10;

/// Suggested assignment: points for each kind of evidence, and the least score suggested.
pub const SUGGEST_PRODUCT: f64 = 3.0;
pub const SUGGEST_KEYWORD: f64 = 1.0;
pub const SUGGEST_INDUSTRY: f64 = 2.0;
pub const SUGGEST_MIN_SCORE: f64 = 3.0;
