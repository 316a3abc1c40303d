//! One import: a single transaction, rows upserted by natural key, every problem reported.
//! This file holds the transaction's boundaries (connection settings, the bulk-load
//! preparation, commit or rollback and the import's own audit entry); `import_rows.rs`
//! writes the rows.

use periclase_domain::{RegistrySpec, Scope, Value};
use rusqlite::{Connection, Transaction, TransactionBehavior};

use super::import_rows::RowWriter;
use super::summaries::{self, Summary};
use super::write::{append_audit, AuditRecord};
use crate::{ImportContext, ImportItem, ImportOutcome, RowIssue, StoreError};

const PROGRESS_EVERY: u64 = 4096;
/// Page cache during an import (negative: KiB, as SQLite takes it), and the default after.
/// Upserts probe the natural-key index for every row and want it cached; a bulk load only
/// appends and then sorts, which a small cache does as fast, in less memory.
const UPSERT_CACHE_KIB: i64 = -32 * 1024;
const BULK_CACHE_KIB: i64 = -16 * 1024;
const DEFAULT_CACHE_KIB: i64 = -2000;

pub(crate) fn run(
    conn: &mut Connection,
    spec: &'static RegistrySpec,
    items: &mut dyn Iterator<Item = ImportItem>,
    ctx: &ImportContext<'_>,
    on_issue: &mut dyn FnMut(RowIssue),
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, StoreError> {
    let opts = ctx.opts;
    // Into an empty table the load can skip per-row index maintenance (see below) and, when
    // no other connection has the database open, leave WAL for the load: in WAL every page
    // is written twice (log, then checkpoint). If the switch is refused, WAL simply stays.
    let empty = table_is_empty(conn, spec)?;
    let left_wal = empty && !opts.dry_run && set_journal_mode(conn, "delete");
    // A large page cache while importing: index pages of a million-row table stay in memory.
    // Restored afterwards, because the connection goes back to the pool.
    conn.pragma_update(None, "cache_size", if empty { BULK_CACHE_KIB } else { UPSERT_CACHE_KIB })?;
    conn.pragma_update(None, "threads", 2)?;
    let result = ImportTx::begin(conn, spec, ctx).and_then(|tx| tx.run(items, on_issue, on_progress));
    conn.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    conn.pragma_update(None, "threads", 0)?;
    if left_wal {
        // Should this fail, every new connection switches the file back to WAL anyway.
        set_journal_mode(conn, "wal");
    }
    result
}

pub(super) fn table_is_empty(conn: &Connection, spec: &RegistrySpec) -> Result<bool, StoreError> {
    Ok(conn.query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM {})", spec.table), [], |r| r.get(0))?)
}

fn set_journal_mode(conn: &Connection, mode: &str) -> bool {
    conn.pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0))
        .is_ok_and(|m| m.eq_ignore_ascii_case(mode))
}

/// An import's transaction, from its start to its commit or rollback. Either every row it
/// accepted is written together with the import's audit entry, or nothing is.
struct ImportTx<'c, 'x> {
    tx: Transaction<'c>,
    spec: &'static RegistrySpec,
    ctx: &'x ImportContext<'x>,
    /// Set aside for a bulk load, put back before the commit.
    bulk: Option<BulkLoad>,
}

/// What a bulk load into an empty table sets aside inside its transaction. Nothing can
/// already exist there (duplicates inside the file are caught row by row), so the per-row
/// lookup is skipped, and the table's indexes, natural key included, are dropped and rebuilt
/// once at the end, by sorting, instead of updated row by row; the per-row summary and search
/// outbox triggers are replaced by one pass over the loaded rows. DDL is transactional: a
/// rollback brings all of it back as it was.
struct BulkLoad {
    indexes: Vec<String>,
    summary: Option<(&'static Summary, String)>,
    outbox_trigger: Option<String>,
}

impl BulkLoad {
    fn set_aside(tx: &Transaction<'_>, spec: &RegistrySpec) -> Result<BulkLoad, StoreError> {
        let mut st = tx.prepare(
            "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL",
        )?;
        let found = st
            .query_map([spec.table], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        drop(st);
        for (name, _) in &found {
            tx.execute_batch(&format!("DROP INDEX {name}"))?;
        }
        let summary = match summaries::of_table(spec.table) {
            Some(s) => Some((s, summaries::suspend(tx, s)?)),
            None => None,
        };
        let outbox_trigger = super::search::suspend_outbox(tx, spec.table)?;
        Ok(BulkLoad { indexes: found.into_iter().map(|(_, sql)| sql).collect(), summary, outbox_trigger })
    }

    fn put_back(&self, tx: &Transaction<'_>, spec: &RegistrySpec) -> Result<(), StoreError> {
        for sql in &self.indexes {
            tx.execute_batch(sql)?;
        }
        if let Some((summary, trigger)) = &self.summary {
            summaries::resume(tx, summary, trigger)?;
        }
        if let Some(trigger) = &self.outbox_trigger {
            super::search::resume_outbox(tx, spec.table, trigger)?;
        }
        Ok(())
    }
}

impl<'c, 'x> ImportTx<'c, 'x> {
    fn begin(
        conn: &'c mut Connection,
        spec: &'static RegistrySpec,
        ctx: &'x ImportContext<'x>,
    ) -> Result<ImportTx<'c, 'x>, StoreError> {
        // A dry run (the web's preview) only reads: a read transaction, which never takes the
        // write lock, so a preview neither waits for a long import nor holds up other writers.
        let behavior = if ctx.opts.dry_run { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
        let tx = conn.transaction_with_behavior(behavior)?;
        let bulk =
            if !ctx.opts.dry_run && table_is_empty(&tx, spec)? { Some(BulkLoad::set_aside(&tx, spec)?) } else { None };
        Ok(ImportTx { tx, spec, ctx, bulk })
    }

    /// Writes every row, then commits or rolls back.
    fn run(
        self,
        items: &mut dyn Iterator<Item = ImportItem>,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        let now: String = self.tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| r.get(0))?;
        // Scoped importers (an official uploading their county's file) may only touch rows
        // inside their scope; each such row is written under a savepoint and checked.
        let scope = self.ctx.scope.filter(|s| **s != Scope::All);
        let (mut out, failed) = {
            let mut rows = RowWriter::new(&self.tx, self.spec, self.ctx, scope, self.bulk.is_some(), Value::Text(now))?;
            for item in items {
                rows.write(item, on_issue)?;
                let read = rows.outcome().read;
                if read % PROGRESS_EVERY == 0 {
                    on_progress(read);
                }
            }
            rows.finish()
        };
        on_progress(out.read);
        let opts = self.ctx.opts;
        if opts.dry_run || (failed && !opts.partial) {
            self.tx.rollback()?;
        } else {
            if let Some(bulk) = &self.bulk {
                bulk.put_back(&self.tx, self.spec)?;
            }
            self.audit(&out)?;
            self.tx.commit()?;
            out.committed = true;
        }
        Ok(out)
    }

    /// The import's own audit entry: what file, how many rows of each kind.
    fn audit(&self, out: &ImportOutcome) -> Result<(), StoreError> {
        let note = format!(
            "导入{}{}：读取 {} 行，新增 {}，更新 {}，未变 {}，拒绝 {}{}",
            self.spec.label,
            self.ctx.source.map(|s| format!("（文件 {s}）")).unwrap_or_default(),
            out.read,
            out.inserted,
            out.updated,
            out.unchanged,
            out.rejected,
            if self.bulk.is_some() { "；原表为空，整批新增，逐行内容即导入后的数据" } else { "" }
        );
        let record = AuditRecord {
            action: "import",
            registry: self.spec.name,
            key: None,
            before: None,
            after: None,
            note: Some(&note),
        };
        append_audit(&self.tx, self.ctx.actor, &record)
    }
}
