//! A whole database copied between stores (SQLite ⇄ PostgreSQL) without loss: every table
//! that holds data, row by row with its ids, in an order that satisfies the foreign keys.
//! The tables triggers keep (tier bits, the tally, the chain map's yearly rows) fill as the
//! rows arrive, exactly as on the source; the search outbox is not copied (the new index is
//! built from the tables). [`compare`] then reads both, table by table, and names the first
//! difference.

use periclase_domain::Value;

use crate::StoreError;

/// Copied, in this order (parents before the rows that name them).
pub const COPIED: &[&str] = &[
    "enterprise",
    "enterprise_figure",
    "enterprise_honour",
    "enterprise_capacity",
    "enterprise_energy",
    "enterprise_certification",
    "project",
    "talent",
    "talent_link",
    "platform",
    "platform_evaluation",
    "achievement",
    "demand",
    "policy",
    "financial_product",
    "catalogue_item",
    "first_set",
    "chain_member",
    "account",
    "session",
    "login_failure",
    "audit_log",
    "policy_run",
    "policy_run_line",
    "award_ledger",
    "introduction",
    "declaration",
    "job",
];

/// Compared after a copy, not copied: kept by triggers from the tables above, or written by
/// the schema itself.
pub const KEPT_BY_THE_SCHEMA: &[&str] = &["tier_bit", "enterprise_tally", "enterprise_year"];

/// A table name from the copy's own lists, never user text (the stores splice it into SQL).
pub(crate) fn known(table: &str) -> Result<&'static str, StoreError> {
    COPIED
        .iter()
        .chain(KEPT_BY_THE_SCHEMA)
        .find(|t| **t == table)
        .copied()
        .ok_or_else(|| StoreError::BadQuery(format!("没有表 {table}")))
}

/// A store's tables, as a copy reads and writes them.
pub trait Tables: Send + Sync {
    /// The table's columns, in the schema's order.
    fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError>;

    /// Every row of `table` (the given columns), in primary-key order.
    fn read_table(
        &self,
        table: &str,
        columns: &[String],
        each: &mut dyn FnMut(Vec<Value>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;

    /// Writes `rows` into `table` in one transaction.
    fn write_table(
        &self,
        table: &str,
        columns: &[String],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64, StoreError>;

    /// Rows in the tables a copy fills (a copy only goes into a database that has none).
    fn copied_rows(&self) -> Result<u64, StoreError>;

    /// Whatever the store must do once the rows are in (PostgreSQL: move each id sequence
    /// past the ids copied).
    fn after_copy(&self) -> Result<(), StoreError>;
}

/// Streams `table` of `store` through a bounded channel, on a thread of `scope`: the
/// receiver yields rows as they are read, never the whole table at once.
fn stream<'s>(
    scope: &'s std::thread::Scope<'s, '_>,
    store: &'s dyn Tables,
    table: &'s str,
    columns: Vec<String>,
) -> (std::sync::mpsc::Receiver<Vec<Value>>, std::thread::ScopedJoinHandle<'s, Result<u64, StoreError>>) {
    let (tx, rx) = std::sync::mpsc::sync_channel(4096);
    let reader = scope.spawn(move || {
        store.read_table(table, &columns, &mut |r| {
            if !meaningful(table, &r) {
                return Ok(());
            }
            tx.send(r).map_err(|_| StoreError::Sink("复制已停止".to_string()))
        })
    });
    (rx, reader)
}

/// Whether a row says something: the tally keeps a county's tier set at zero once it has
/// held one (the row comes back when it is needed), which a copy never had.
fn meaningful(table: &str, row: &[Value]) -> bool {
    !(table == "enterprise_tally" && row.last() == Some(&Value::Int(0)))
}

fn joined(reader: std::thread::ScopedJoinHandle<'_, Result<u64, StoreError>>) -> Result<u64, StoreError> {
    reader.join().unwrap_or_else(|_| Err(StoreError::Sink("读取线程意外终止".to_string())))
}

/// Copies every table of `from` into `to`, which must hold no data. `on_table` hears each
/// table's name and row count as it is done. Each table is one transaction on `to`; should
/// one fail, the copy stops there and says so (the target is then to be dropped and made
/// again: it was new).
pub fn copy(from: &dyn Tables, to: &dyn Tables, on_table: &mut dyn FnMut(&str, u64)) -> Result<u64, StoreError> {
    let there = to.copied_rows()?;
    if there > 0 {
        return Err(StoreError::Conflict(format!(
            "目标数据库已有 {there} 行数据：只能复制到新建的空数据库，未写入任何数据"
        )));
    }
    let mut total = 0;
    for table in COPIED {
        let columns = from.table_columns(table)?;
        let n = std::thread::scope(|scope| {
            let (rows, reader) = stream(scope, from, table, columns.clone());
            let written = to.write_table(table, &columns, &mut rows.into_iter());
            let read = joined(reader)?;
            let written = written?;
            if read != written {
                return Err(StoreError::Sink(format!("表 {table} 读出 {read} 行，写入 {written} 行")));
            }
            Ok(written)
        })?;
        on_table(table, n);
        total += n;
    }
    to.after_copy()?;
    Ok(total)
}

/// Compares every table (copied and kept by the schema) of `a` and `b`, streaming both; the
/// first difference, named, or the number of rows compared.
pub fn compare(a: &dyn Tables, b: &dyn Tables) -> Result<Result<u64, String>, StoreError> {
    let mut total = 0;
    for table in COPIED.iter().chain(KEPT_BY_THE_SCHEMA) {
        let (ca, cb) = (a.table_columns(table)?, b.table_columns(table)?);
        if ca != cb {
            return Ok(Err(format!("表 {table} 的列不同：{ca:?} / {cb:?}")));
        }
        let verdict = std::thread::scope(|scope| -> Result<Result<u64, String>, StoreError> {
            let (ra, reader_a) = stream(scope, a, table, ca.clone());
            let (rb, reader_b) = stream(scope, b, table, cb);
            let mut n = 0u64;
            let mut difference = None;
            loop {
                match (ra.recv(), rb.recv()) {
                    (Ok(x), Ok(y)) if x == y => n += 1,
                    (Ok(x), Ok(y)) => {
                        difference = Some(format!("表 {table} 第 {} 行不同：{x:?} / {y:?}", n + 1));
                        break;
                    }
                    (Err(_), Err(_)) => break,
                    _ => {
                        difference = Some(format!("表 {table} 的行数不同（前 {n} 行相同）"));
                        break;
                    }
                }
            }
            // Stop the readers (their sends fail once the receivers are gone).
            drop((ra, rb));
            if let Some(d) = difference {
                return Ok(Err(d));
            }
            joined(reader_a)?;
            joined(reader_b)?;
            Ok(Ok(n))
        })?;
        match verdict {
            Ok(n) => total += n,
            Err(d) => return Ok(Err(d)),
        }
    }
    Ok(Ok(total))
}
