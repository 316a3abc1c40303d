//! Row counts per (region, tier set) that triggers keep current (migration 0005), so totals
//! and region breakdowns of region- and tier-filtered lists never count a million rows.

use rusqlite::Transaction;

use crate::StoreError;

pub(crate) struct Tally {
    /// The counted table.
    pub table: &'static str,
    /// The counts: columns `region`, `tiers` (named as in the counted table) and `n`.
    pub counts: &'static str,
    /// The trigger counting each inserted row.
    insert_trigger: &'static str,
    /// Counts the rows of a table just loaded from empty, after its indexes are rebuilt.
    /// Nothing can have tiers yet (honours need the enterprise first), so the (region, …)
    /// index alone answers it.
    count_loaded: &'static str,
}

const TALLIES: &[Tally] = &[Tally {
    table: "enterprise",
    counts: "enterprise_tally",
    insert_trigger: "enterprise_tally_insert",
    count_loaded: "INSERT INTO enterprise_tally (region, tiers, n) \
                   SELECT region, 0, count(*) FROM enterprise WHERE true GROUP BY region \
                   ON CONFLICT (region, tiers) DO UPDATE SET n = n + excluded.n",
}];

pub(crate) fn of_table(table: &str) -> Option<&'static Tally> {
    TALLIES.iter().find(|t| t.table == table)
}

/// Stops counting row by row for a bulk load: one trigger per row costs a fifth of a
/// million-row import. Returns what [`resume`] needs. DDL is transactional: a rollback
/// brings the trigger back.
pub(crate) fn suspend(tx: &Transaction<'_>, tally: &Tally) -> Result<String, StoreError> {
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
        [tally.insert_trigger],
        |r| r.get(0),
    )?;
    tx.execute_batch(&format!("DROP TRIGGER {}", tally.insert_trigger))?;
    Ok(sql)
}

/// Counts the loaded rows at once and restores the trigger [`suspend`] removed.
pub(crate) fn resume(tx: &Transaction<'_>, tally: &Tally, trigger_sql: &str) -> Result<(), StoreError> {
    tx.execute_batch(tally.count_loaded)?;
    tx.execute_batch(trigger_sql)?;
    Ok(())
}
