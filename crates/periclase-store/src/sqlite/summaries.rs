//! Summary tables that triggers keep current: row counts per (region, tier set) so totals
//! of region- and tier-filtered lists never count a million rows (migration 0005), and each
//! enterprise's yearly figures and capacity laid out for the chain map (migration 0007).
//! A bulk load suspends the per-row trigger and summarises the loaded table once.

use rusqlite::Transaction;

use crate::StoreError;

pub(crate) struct Summary {
    /// The summarised table.
    pub table: &'static str,
    /// Counts with columns `region`, `tiers` (named as in the table) and `n`, when the
    /// summary answers list totals.
    pub counts: Option<&'static str>,
    /// The trigger summarising each inserted row.
    pub insert_trigger: &'static str,
    /// Summarises the rows of a table just loaded from empty, after its indexes are rebuilt
    /// (portable SQL: the PostgreSQL store's bulk load runs it too).
    pub summarise_loaded: &'static str,
}

const SUMMARIES: &[Summary] = &[
    Summary {
        table: "enterprise",
        counts: Some("enterprise_tally"),
        insert_trigger: "enterprise_tally_insert",
        // Nothing can have tiers yet (honours need the enterprise first), so the (region, …)
        // index alone answers it.
        summarise_loaded: "INSERT INTO enterprise_tally (region, tiers, n) \
                           SELECT region, 0, count(*) FROM enterprise WHERE true GROUP BY region \
                           ON CONFLICT (region, tiers) DO UPDATE SET n = enterprise_tally.n + excluded.n",
    },
    Summary {
        table: "enterprise_figure",
        counts: None,
        insert_trigger: "enterprise_year_figure_insert",
        summarise_loaded: "INSERT INTO enterprise_year (enterprise_id, year, revenue, employees, rd_spend) \
                           SELECT enterprise_id, year, \
                                  max(CASE metric WHEN 'revenue' THEN value END), \
                                  max(CASE metric WHEN 'employees' THEN value END), \
                                  max(CASE metric WHEN 'rd_spend' THEN value END) \
                           FROM enterprise_figure WHERE metric IN ('revenue', 'employees', 'rd_spend') \
                           GROUP BY enterprise_id, year \
                           ON CONFLICT (year, enterprise_id) DO UPDATE SET revenue = excluded.revenue, \
                               employees = excluded.employees, rd_spend = excluded.rd_spend",
    },
    Summary {
        table: "enterprise_capacity",
        counts: None,
        insert_trigger: "enterprise_year_capacity_insert",
        summarise_loaded: "INSERT INTO enterprise_year (enterprise_id, year, capacity, output) \
                           SELECT enterprise_id, year, sum(capacity), sum(output) \
                           FROM enterprise_capacity WHERE true GROUP BY enterprise_id, year \
                           ON CONFLICT (year, enterprise_id) DO UPDATE SET capacity = excluded.capacity, \
                               output = excluded.output",
    },
];

pub(crate) fn of_table(table: &str) -> Option<&'static Summary> {
    SUMMARIES.iter().find(|t| t.table == table)
}

/// The table of counts answering totals of `table`'s lists, if it has one.
pub(crate) fn counts_of(table: &str) -> Option<&'static str> {
    of_table(table).and_then(|s| s.counts)
}

/// Stops summarising row by row for a bulk load: one trigger per row costs a fifth of a
/// million-row import. Returns what [`resume`] needs. DDL is transactional: a rollback
/// brings the trigger back.
pub(crate) fn suspend(tx: &Transaction<'_>, summary: &Summary) -> Result<String, StoreError> {
    let sql: String = tx.query_row(
        "SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1",
        [summary.insert_trigger],
        |r| r.get(0),
    )?;
    tx.execute_batch(&format!("DROP TRIGGER {}", summary.insert_trigger))?;
    Ok(sql)
}

/// Summarises the loaded rows at once and restores the trigger [`suspend`] removed.
pub(crate) fn resume(tx: &Transaction<'_>, summary: &Summary, trigger_sql: &str) -> Result<(), StoreError> {
    tx.execute_batch(summary.summarise_loaded)?;
    tx.execute_batch(trigger_sql)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_summary_names_its_own_insert_trigger() {
        for s in SUMMARIES {
            assert!(s.insert_trigger.starts_with(s.table.split('_').next().unwrap()), "{}", s.table);
            assert!(s.summarise_loaded.starts_with("INSERT INTO"), "{}", s.table);
        }
    }
}
