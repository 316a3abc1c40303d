//! What the search index needs from the store: the changes it has not applied yet (the
//! outbox, migration 0011) and the rows themselves; and 对接 records (migration 0012).

use periclase_domain::RegistrySpec;

/// Outbox entries not yet applied, grouped: whole tables to re-read (after a bulk load) and
/// single rows (inserted, updated or deleted — a row that is gone was deleted).
#[derive(Debug, Clone, Default)]
pub struct SearchPending {
    /// The last entry included: what the index records once it has committed these.
    pub upto: i64,
    pub whole: Vec<&'static RegistrySpec>,
    pub rows: Vec<(&'static RegistrySpec, Vec<i64>)>,
}

impl SearchPending {
    pub fn row_count(&self) -> usize {
        self.rows.iter().map(|(_, ids)| ids.len()).sum()
    }
}

/// One stored row as the index reads it.
#[derive(Debug, Clone)]
pub struct SearchRow<'a> {
    pub id: i64,
    pub row: &'a periclase_domain::Row,
    /// An enterprise's tiers and honours (codes); empty for other registries.
    pub tiers: Vec<&'static str>,
}

/// How an introduction went.
pub const OUTCOMES: &[periclase_domain::EnumOption] = &[
    periclase_domain::spec::opt("introduced", "已引荐"),
    periclase_domain::spec::opt("talking", "洽谈中"),
    periclase_domain::spec::opt("signed", "已签约"),
    periclase_domain::spec::opt("dropped", "未成交"),
];

/// A 对接 record: an official put a demand and an achievement in touch.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Introduction {
    pub id: i64,
    pub demand: String,
    pub achievement: String,
    /// An [`OUTCOMES`] code.
    pub outcome: String,
    pub note: String,
    pub actor: String,
    pub created_at: String,
    pub updated_at: String,
}
