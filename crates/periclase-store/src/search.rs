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

    /// The outbox entries `(seq, table, row id or none for the whole table)`, in order,
    /// grouped as the indexer applies them (both stores read them the same way).
    pub(crate) fn collect(entries: impl IntoIterator<Item = (i64, String, Option<i64>)>) -> SearchPending {
        let mut out = SearchPending::default();
        for (seq, table, row) in entries {
            out.upto = seq;
            // A table no searched registry has (renamed since): nothing to index.
            let Some(spec) = periclase_domain::registries::ALL.iter().copied().find(|s| s.table == table) else {
                continue;
            };
            match row {
                None => {
                    if !out.whole.iter().any(|s| s.id == spec.id) {
                        out.whole.push(spec);
                    }
                }
                Some(id) => match out.rows.iter_mut().find(|(s, _)| s.id == spec.id) {
                    Some((_, ids)) => ids.push(id),
                    None => out.rows.push((spec, vec![id])),
                },
            }
        }
        for (_, ids) in &mut out.rows {
            ids.sort_unstable();
            ids.dedup();
        }
        // Rows of a table re-read whole need no reading on their own.
        let whole: Vec<periclase_domain::RegistryId> = out.whole.iter().map(|s| s.id).collect();
        out.rows.retain(|(s, _)| !whole.contains(&s.id));
        out
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
