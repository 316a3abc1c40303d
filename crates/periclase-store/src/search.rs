//! What the search index needs from the store: the changes it has not applied yet (the
//! outbox, migrations 0011 and 0016: a queue per reader) and the rows themselves; and 对接
//! records (migration 0012).

use periclase_domain::{RegistrySpec, Value};

use crate::portable::Exec;
use crate::StoreError;

/// A reader not seen for this long is forgotten with its queue (an instance taken out of
/// service must not make every write cost one more outbox row for ever).
const FORGET_AFTER_MINUTES: i64 = 7 * 24 * 60;
/// How often a reader marks itself as seen while it polls.
const SEEN_EVERY_MINUTES: i64 = 60;

/// A search index following the outbox, as the administrator's page lists them.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct SearchReader {
    pub name: String,
    /// When it last read its queue (UTC, as stored).
    pub seen_at: String,
    /// Changes queued for it.
    pub backlog: u64,
}

/// Registers `reader` afresh (see [`crate::SearchOutbox::search_follow`]); the caller holds
/// the write lock (SQLite) or a lock that waits for every open outbox writer (PostgreSQL).
pub(crate) fn follow(x: &mut impl Exec, reader: &str) -> Result<(), StoreError> {
    let cutoff = x.now_plus_minutes(-FORGET_AFTER_MINUTES)?;
    let name = Value::Text(reader.to_string());
    for gone in x.rows("SELECT name FROM search_readers WHERE seen_at < ?1 OR name = ?2", &[cutoff, name.clone()])? {
        x.execute("DELETE FROM search_outbox WHERE reader = ?1", &gone)?;
        x.execute("DELETE FROM search_readers WHERE name = ?1", &gone)?;
    }
    x.execute("INSERT INTO search_readers (name) VALUES (?1)", &[name])?;
    Ok(())
}

pub(crate) fn pending(x: &mut impl Exec, reader: &str, limit: u32) -> Result<Option<SearchPending>, StoreError> {
    let name = Value::Text(reader.to_string());
    let Some(seen) = x.first("SELECT seen_at FROM search_readers WHERE name = ?1", std::slice::from_ref(&name))? else {
        return Ok(None);
    };
    let due = x.now_plus_minutes(-SEEN_EVERY_MINUTES)?;
    if seen.first().is_some_and(|s| s.to_string() < due.to_string()) {
        let now = x.now()?;
        x.execute("UPDATE search_readers SET seen_at = ?2 WHERE name = ?1", &[name.clone(), now])?;
    }
    let rows = x.rows(
        "SELECT seq, tbl, row_id FROM search_outbox WHERE reader = ?1 ORDER BY seq LIMIT ?2",
        &[name, Value::Int(i64::from(limit))],
    )?;
    Ok(Some(SearchPending::collect(rows.into_iter().map(|r| {
        let int = |v: &Value| if let Value::Int(i) = v { Some(*i) } else { None };
        (int(&r[0]).unwrap_or(0), r[1].to_string(), int(&r[2]))
    }))))
}

pub(crate) fn applied(x: &mut impl Exec, reader: &str, upto: i64) -> Result<(), StoreError> {
    x.execute(
        "DELETE FROM search_outbox WHERE reader = ?1 AND seq <= ?2",
        &[Value::Text(reader.to_string()), Value::Int(upto)],
    )?;
    Ok(())
}

pub(crate) fn readers(x: &mut impl Exec) -> Result<Vec<SearchReader>, StoreError> {
    let rows = x.rows(
        "SELECT r.name, r.seen_at, (SELECT count(*) FROM search_outbox o WHERE o.reader = r.name) \
         FROM search_readers r ORDER BY r.name",
        &[],
    )?;
    Ok(rows
        .into_iter()
        .map(|r| SearchReader {
            name: r[0].to_string(),
            seen_at: r[1].to_string(),
            backlog: if let Value::Int(n) = r[2] { n.max(0) as u64 } else { 0 },
        })
        .collect())
}

/// The statement a bulk load runs instead of a row's trigger: "the whole table", for every
/// reader (`?1`: the table).
pub(crate) const WHOLE_TABLE: &str =
    "INSERT INTO search_outbox (reader, tbl, row_id) SELECT name, ?1, NULL FROM search_readers";

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
