//! One import: a single transaction, rows upserted by natural key, every problem reported.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use periclase_domain::{RegistrySpec, Row, Scope, Value};
use rusqlite::{Connection, TransactionBehavior};

use super::summaries;
use super::write::{append_audit, key_text, read_in_scope, refs_outside, row_json, AuditRecord};
use super::{parent_key_column, parent_of, read_value, Bind};
use crate::{ImportContext, ImportItem, ImportOutcome, RowIssue, RowLocation, StoreError};

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
    let result = run_in_transaction(conn, spec, items, ctx, on_issue, on_progress);
    conn.pragma_update(None, "cache_size", DEFAULT_CACHE_KIB)?;
    conn.pragma_update(None, "threads", 0)?;
    if left_wal {
        // Should this fail, every new connection switches the file back to WAL anyway.
        set_journal_mode(conn, "wal");
    }
    result
}

/// Whether `row` (with references already turned into row ids, as it would be stored) lies
/// inside `scope`: the scope's condition evaluated over the row's values, nothing written.
fn row_in_scope(conn: &Connection, spec: &RegistrySpec, row: &Row, scope: &Scope) -> Result<bool, StoreError> {
    let mut params: Vec<Value> = row.clone();
    let columns: Vec<String> =
        spec.fields.iter().enumerate().map(|(i, f)| format!("?{} AS {}", i + 1, f.column)).collect();
    let Some(condition) = super::sql::scope_condition(spec, scope, &mut params) else {
        return Ok(true);
    };
    let q = format!("SELECT EXISTS (SELECT 1 FROM (SELECT {}) AS t WHERE {condition})", columns.join(", "));
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    Ok(conn.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| r.get(0))?)
}

fn table_is_empty(conn: &Connection, spec: &RegistrySpec) -> Result<bool, StoreError> {
    Ok(conn.query_row(&format!("SELECT NOT EXISTS (SELECT 1 FROM {})", spec.table), [], |r| r.get(0))?)
}

fn set_journal_mode(conn: &Connection, mode: &str) -> bool {
    conn.pragma_update_and_check(None, "journal_mode", mode, |r| r.get::<_, String>(0))
        .is_ok_and(|m| m.eq_ignore_ascii_case(mode))
}

fn run_in_transaction(
    conn: &mut Connection,
    spec: &'static RegistrySpec,
    items: &mut dyn Iterator<Item = ImportItem>,
    ctx: &ImportContext<'_>,
    on_issue: &mut dyn FnMut(RowIssue),
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, StoreError> {
    let opts = ctx.opts;
    // Scoped importers (an official uploading their county's file) may only touch rows inside
    // their scope; each such row is written under a savepoint and checked.
    let scope = ctx.scope.filter(|s| **s != Scope::All);
    // A dry run (the web's preview) only reads: a read transaction, which never takes the
    // write lock, so a preview neither waits for a long import nor holds up other writers.
    let behavior = if opts.dry_run { TransactionBehavior::Deferred } else { TransactionBehavior::Immediate };
    let tx = conn.transaction_with_behavior(behavior)?;
    // Into an empty table nothing can already exist (duplicates inside the file are caught
    // below), so the per-row lookup is skipped and the table's indexes, natural key included,
    // are dropped and rebuilt once at the end, by sorting, instead of updated row by row.
    // DDL is transactional: a rollback brings them back as they were.
    let bulk = table_is_empty(&tx, spec)? && !opts.dry_run;
    let indexes: Vec<String> = if bulk {
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
        found.into_iter().map(|(_, sql)| sql).collect()
    } else {
        Vec::new()
    };
    let summary = if bulk { summaries::of_table(spec.table) } else { None };
    let summary_trigger = summary.map(|t| summaries::suspend(&tx, t)).transpose()?;
    let outbox_trigger = if bulk { super::search::suspend_outbox(&tx, spec.table)? } else { None };
    let now: String = tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| r.get(0))?;
    let now = Value::Text(now);
    let key_idx = spec.key_indices();
    let cols: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
    let placeholders: Vec<String> = (1..=cols.len() + 1).map(|i| format!("?{i}")).collect();
    let key_cond: Vec<String> = key_idx.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", cols[i], n + 1)).collect();
    let find_sql = format!("SELECT id, {} FROM {} WHERE {}", cols.join(", "), spec.table, key_cond.join(" AND "));
    let insert_sql =
        format!("INSERT INTO {} ({}, updated_at) VALUES ({})", spec.table, cols.join(", "), placeholders.join(", "));
    let sets: Vec<String> = cols.iter().enumerate().map(|(i, c)| format!("{c} = ?{}", i + 1)).collect();
    let update_sql = format!(
        "UPDATE {} SET {}, updated_at = ?{} WHERE id = ?{}",
        spec.table,
        sets.join(", "),
        cols.len() + 1,
        cols.len() + 2
    );
    let refs: Vec<(usize, &'static RegistrySpec)> =
        spec.fields.iter().enumerate().filter_map(|(i, f)| parent_of(f.kind).map(|p| (i, p))).collect();
    let ref_sql: Vec<String> =
        refs.iter().map(|(_, p)| format!("SELECT id FROM {} WHERE {} = ?1", p.table, parent_key_column(p))).collect();

    let mut out = ImportOutcome::default();
    // Natural keys seen in this file, with the row they were first seen on. Kept as 64-bit
    // SipHash fingerprints so a million rows cost ~16 MB: two different keys sharing one
    // (odds ~10^-8 at a million rows) would be reported as a duplicate naming the other row —
    // a visible, checkable error, never a silently dropped row.
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut failed = false;
    {
        let mut find = tx.prepare(&find_sql)?;
        let mut insert = tx.prepare(&insert_sql)?;
        let mut update = tx.prepare(&update_sql)?;
        let mut ref_lookups = ref_sql.iter().map(|s| tx.prepare(s)).collect::<Result<Vec<_>, _>>()?;

        for item in items {
            out.read += 1;
            if out.read % PROGRESS_EVERY == 0 {
                on_progress(out.read);
            }
            let location = item.location;
            let mut row = match item.row {
                Ok(row) => row,
                Err(errors) => {
                    for e in errors {
                        on_issue(RowIssue {
                            location: location.clone(),
                            column: Some(e.label.to_string()),
                            value: e.value,
                            reason: e.message,
                        });
                    }
                    out.rejected += 1;
                    failed = true;
                    continue;
                }
            };
            let h = key_hash(&row, &key_idx);
            if let Some(first) = seen.get(&h) {
                on_issue(duplicate_issue(spec, &row, &key_idx, &location, u64::from(*first)));
                out.rejected += 1;
                failed = true;
                continue;
            }
            seen.insert(h, u32::try_from(location.row).unwrap_or(u32::MAX));

            // The row as users read it, for the audit trail (a bulk load is audited as a whole)
            // and for the enterprises it names to be checked against the importer's scope.
            let shown = (!bulk || scope.is_some()).then(|| row.clone());
            // References: the parent's natural key becomes its row id.
            let mut missing = None;
            for ((i, parent), lookup) in refs.iter().zip(ref_lookups.iter_mut()) {
                if let Value::Text(key) = &row[*i] {
                    let id: Option<i64> = match lookup.query_row([key], |r| r.get(0)) {
                        Ok(id) => Some(id),
                        Err(rusqlite::Error::QueryReturnedNoRows) => None,
                        Err(e) => return Err(e.into()),
                    };
                    match id {
                        Some(id) => row[*i] = Value::Int(id),
                        None => {
                            missing = Some((*i, *parent, key.clone()));
                            break;
                        }
                    }
                }
            }
            if let Some((i, parent, key)) = missing {
                let f = &spec.fields[i];
                let key_label = parent.field(parent.natural_key[0]).map_or("编号", |k| k.label);
                on_issue(RowIssue {
                    location,
                    column: Some(f.label.to_string()),
                    value: key.clone(),
                    reason: format!("{}中没有{key_label}为「{key}」的记录，请先导入{}", parent.label, parent.label),
                });
                out.rejected += 1;
                failed = true;
                continue;
            }

            let key_binds: Vec<Bind> = key_idx.iter().map(|&i| Bind(&row[i])).collect();
            let existing = if bulk {
                None
            } else {
                let mut rows = find.query(rusqlite::params_from_iter(key_binds.iter()))?;
                match rows.next()? {
                    Some(r) => {
                        let id: i64 = r.get(0)?;
                        let same = (0..cols.len())
                            .all(|i| r.get_ref(i + 1).map(read_value).is_ok_and(|v| same_value(&v, &row[i])));
                        Some((id, same))
                    }
                    None => None,
                }
            };
            let out_of_scope = |location: RowLocation| RowIssue {
                location,
                column: None,
                value: key_text(spec, &row),
                reason: format!("「{}」不在本账号可修改的范围内", key_text(spec, &row)),
            };
            if let (Some(scope), Some((id, _))) = (scope, existing) {
                if read_in_scope(&tx, spec, id, scope)?.is_none() {
                    on_issue(out_of_scope(location));
                    out.rejected += 1;
                    failed = true;
                    continue;
                }
            }
            // The record as stored before this row, for the enterprises it names.
            let stored = match (scope, existing) {
                (Some(_), Some((id, _))) => read_in_scope(&tx, spec, id, &Scope::All)?,
                _ => None,
            };
            // After the first problem an all-or-nothing import only checks the remaining rows.
            let write = !opts.dry_run && (opts.partial || !failed);
            if scope.is_some() {
                tx.execute_batch("SAVEPOINT import_row")?;
            }
            let mut update_audit = None;
            let written_id = match existing {
                None => {
                    if write {
                        insert
                            .execute(rusqlite::params_from_iter(row.iter().chain(std::iter::once(&now)).map(Bind)))?;
                    }
                    Some(tx.last_insert_rowid())
                }
                Some((_, true)) => None,
                Some((id, false)) => {
                    if write && !bulk {
                        update_audit = read_in_scope(&tx, spec, id, &Scope::All)?;
                    }
                    if write {
                        let idv = Value::Int(id);
                        update.execute(rusqlite::params_from_iter(row.iter().chain([&now, &idv]).map(Bind)))?;
                    }
                    Some(id)
                }
            };
            if let Some(scope) = scope {
                let inside = match (write, written_id) {
                    (true, Some(id)) => read_in_scope(&tx, spec, id, scope)?.is_some(),
                    // Not written (a preview, or past the first error): the row as it would
                    // be written is checked instead, so a preview rejects what confirm would.
                    (false, Some(_)) => row_in_scope(&tx, spec, &row, scope)?,
                    (_, None) => true,
                };
                if !inside {
                    tx.execute_batch("ROLLBACK TO import_row; RELEASE import_row")?;
                    on_issue(out_of_scope(location));
                    out.rejected += 1;
                    failed = true;
                    continue;
                }
                // Every enterprise the row names, as stored and as imported, must be inside too.
                let mut outside = None;
                for r in stored.iter().chain(shown.iter()) {
                    if outside.is_none() {
                        outside = refs_outside(&tx, spec, r, scope)?;
                    }
                }
                if let Some(reason) = outside {
                    tx.execute_batch("ROLLBACK TO import_row; RELEASE import_row")?;
                    on_issue(RowIssue { reason, ..out_of_scope(location) });
                    out.rejected += 1;
                    failed = true;
                    continue;
                }
                tx.execute_batch("RELEASE import_row")?;
            }
            if let (true, Some(shown)) = (write, &shown) {
                let before = update_audit.as_ref().map(|b| row_json(spec, b));
                let (after, key) = (row_json(spec, shown), key_text(spec, shown));
                if existing.is_none() || before.is_some() {
                    let record = AuditRecord {
                        action: if existing.is_none() { "insert" } else { "update" },
                        registry: spec.name,
                        key: Some(&key),
                        before: before.as_deref(),
                        after: Some(&after),
                        note: None,
                    };
                    append_audit(&tx, ctx.actor, &record)?;
                }
            }
            match existing {
                None => out.inserted += 1,
                Some((_, true)) => out.unchanged += 1,
                Some((_, false)) => out.updated += 1,
            }
        }
    }
    on_progress(out.read);
    if opts.dry_run || (failed && !opts.partial) {
        tx.rollback()?;
    } else {
        for sql in &indexes {
            tx.execute_batch(sql)?;
        }
        if let (Some(summary), Some(trigger)) = (summary, &summary_trigger) {
            summaries::resume(&tx, summary, trigger)?;
        }
        if let Some(trigger) = &outbox_trigger {
            super::search::resume_outbox(&tx, spec.table, trigger)?;
        }
        let note = format!(
            "导入{}{}：读取 {} 行，新增 {}，更新 {}，未变 {}，拒绝 {}{}",
            spec.label,
            ctx.source.map(|s| format!("（文件 {s}）")).unwrap_or_default(),
            out.read,
            out.inserted,
            out.updated,
            out.unchanged,
            out.rejected,
            if bulk { "；原表为空，整批新增，逐行内容即导入后的数据" } else { "" }
        );
        let record = AuditRecord {
            action: "import",
            registry: spec.name,
            key: None,
            before: None,
            after: None,
            note: Some(&note),
        };
        append_audit(&tx, ctx.actor, &record)?;
        tx.commit()?;
        out.committed = true;
    }
    Ok(out)
}

/// Stored and incoming values are equal; REAL columns may hand back an integer-valued
/// decimal as either storage class.
fn same_value(stored: &Value, incoming: &Value) -> bool {
    match (stored, incoming) {
        (Value::Int(a), Value::Real(b)) | (Value::Real(b), Value::Int(a)) => (*a as f64) == *b,
        (a, b) => a == b,
    }
}

fn key_hash(row: &Row, key_idx: &[usize]) -> u64 {
    let mut h = DefaultHasher::new();
    for &i in key_idx {
        match &row[i] {
            Value::Text(s) => s.hash(&mut h),
            other => other.to_string().hash(&mut h),
        }
        h.write_u8(0x1f);
    }
    h.finish()
}

fn duplicate_issue(spec: &RegistrySpec, row: &Row, key_idx: &[usize], location: &RowLocation, first: u64) -> RowIssue {
    let labels: Vec<&str> = key_idx.iter().map(|&i| spec.fields[i].label).collect();
    let values: Vec<String> = key_idx.iter().map(|&i| row[i].to_string()).collect();
    RowIssue {
        location: location.clone(),
        column: Some(labels.join("+")),
        value: values.join(" / "),
        reason: format!("与本文件第{first}行的{}重复：同一文件中每条记录只能出现一次", labels.join("+")),
    }
}
