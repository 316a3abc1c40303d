//! One import on PostgreSQL: a single transaction, rows upserted by natural key, every problem
//! reported — the rules of the SQLite import (`sqlite/import.rs`, `import_rows.rs`), row by
//! row. Into an empty table it is a bulk load as there: no lookups, one audit entry.

use std::collections::HashMap;

use periclase_domain::{FieldKind, RegistrySpec, Row, Scope, Value};
use postgres::{Client, Transaction};

use super::exec::Pg;
use crate::audit::AuditRecord;
use crate::portable::{self, key_text, read_in_scope, refs_outside, row_json, Exec};
use crate::sql::{self, parent_key_column, parent_of};
use crate::sqlite::import_rows::{duplicate_issue, invalid_issues, key_hash, missing_parent_issue, same_value};
use crate::{ImportContext, ImportItem, ImportOutcome, RowIssue, RowLocation, StoreError};

const PROGRESS_EVERY: u64 = 4096;

/// A stored row with the imported row's natural key: its id, and whether it already holds
/// exactly these values.
type Existing = Option<(i64, bool)>;

struct Rejected;

pub(crate) fn run(
    c: &mut Client,
    spec: &'static RegistrySpec,
    items: &mut dyn Iterator<Item = ImportItem>,
    ctx: &ImportContext<'_>,
    on_issue: &mut dyn FnMut(RowIssue),
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, StoreError> {
    let opts = ctx.opts;
    let mut tx = c.transaction()?;
    let empty = tx.query_one(&format!("SELECT NOT EXISTS (SELECT 1 FROM {})", spec.table), &[])?.get::<_, bool>(0);
    let bulk = empty && !opts.dry_run;
    let scope = ctx.scope.filter(|s| **s != Scope::All);
    let now = Pg(&mut tx).now()?;
    if bulk && scope.is_none() {
        // As on SQLite, the per-row summary and search-outbox triggers are set aside for a
        // bulk load and the loaded rows summarised once: a million updates of the few tally
        // rows would each leave a row version behind. DDL is transactional: a rollback puts
        // them back.
        let summary = crate::sqlite::summaries::of_table(spec.table);
        let outbox = format!("search_outbox_{}_insert", spec.table);
        let has_outbox: bool = tx
            .query_one(
                "SELECT EXISTS (SELECT 1 FROM pg_trigger WHERE tgname = $1 AND tgrelid = $2::text::regclass)",
                &[&outbox, &spec.table],
            )?
            .get(0);
        let set_aside: Vec<&str> =
            summary.map(|s| s.insert_trigger).into_iter().chain(has_outbox.then_some(outbox.as_str())).collect();
        for trigger in &set_aside {
            tx.batch_execute(&format!("ALTER TABLE {} DISABLE TRIGGER {trigger}", spec.table))?;
        }
        // The table's indexes (not its primary key) are built once, by sorting, after the
        // rows are in, instead of updated row by row: as SQLite's bulk load does.
        let indexes: Vec<(String, String)> = tx
            .query(
                "SELECT i.indexname::text, i.indexdef FROM pg_indexes i
                 WHERE i.schemaname = current_schema() AND i.tablename = $1
                   AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)",
                &[&spec.table],
            )?
            .iter()
            .map(|r| (r.get(0), r.get(1)))
            .collect();
        for (name, _) in &indexes {
            tx.batch_execute(&format!("DROP INDEX {name}"))?;
        }
        let out = super::copy_load::load(&mut tx, spec, items, &now, on_issue, on_progress)?;
        if out.rejected > 0 && !opts.partial {
            tx.rollback()?;
            return Ok(out);
        }
        // Sorting a million keys in memory rather than in runs on disk.
        tx.batch_execute("SET LOCAL maintenance_work_mem = '256MB'")?;
        for (_, definition) in &indexes {
            tx.batch_execute(definition)?;
        }
        if let Some(summary) = summary {
            tx.batch_execute(summary.summarise_loaded)?;
        }
        if has_outbox {
            tx.execute(&super::value::dollars(crate::search::WHOLE_TABLE), &[&spec.table])?;
        }
        for trigger in &set_aside {
            tx.batch_execute(&format!("ALTER TABLE {} ENABLE TRIGGER {trigger}", spec.table))?;
        }
        // New rows continue after the ids the load gave.
        tx.execute(
            &format!("SELECT setval(pg_get_serial_sequence('{}', 'id'), $1::bigint + 1, false)", spec.table),
            &[&(out.inserted as i64)],
        )?;
        return finish(tx, spec, ctx, out, bulk);
    }
    let mut rows =
        Rows { spec, ctx, scope, bulk, now, key_idx: spec.key_indices(), seen: HashMap::new(), failed: false };
    let mut out = ImportOutcome::default();
    for item in items {
        out.read += 1;
        if out.read % PROGRESS_EVERY == 0 {
            on_progress(out.read);
        }
        match rows.write(&mut tx, item, on_issue)? {
            Ok(None) => out.inserted += 1,
            Ok(Some((_, true))) => out.unchanged += 1,
            Ok(Some((_, false))) => out.updated += 1,
            Err(Rejected) => {
                out.rejected += 1;
                rows.failed = true;
            }
        }
    }
    on_progress(out.read);
    if opts.dry_run || (rows.failed && !opts.partial) {
        tx.rollback()?;
        return Ok(out);
    }
    finish(tx, spec, ctx, out, bulk)
}

/// The import's own audit entry, then the commit.
fn finish(
    mut tx: Transaction<'_>,
    spec: &'static RegistrySpec,
    ctx: &ImportContext<'_>,
    mut out: ImportOutcome,
    bulk: bool,
) -> Result<ImportOutcome, StoreError> {
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
    let record =
        AuditRecord { action: "import", registry: spec.name, key: None, before: None, after: None, note: Some(&note) };
    portable::append_audit(&mut Pg(&mut tx), ctx.actor, &record)?;
    super::commit(tx)?;
    out.committed = true;
    Ok(out)
}

struct Rows<'x> {
    spec: &'static RegistrySpec,
    ctx: &'x ImportContext<'x>,
    scope: Option<&'x Scope>,
    bulk: bool,
    now: Value,
    key_idx: Vec<usize>,
    /// Natural keys seen in this file (64-bit fingerprints) and the row each was first on.
    seen: HashMap<u64, u32>,
    failed: bool,
}

impl Rows<'_> {
    fn write(
        &mut self,
        tx: &mut Transaction<'_>,
        item: ImportItem,
        on_issue: &mut dyn FnMut(RowIssue),
    ) -> Result<Result<Existing, Rejected>, StoreError> {
        let spec = self.spec;
        let location = item.location;
        let mut row = match item.row {
            Ok(row) => row,
            Err(errors) => {
                invalid_issues(&location, errors, on_issue);
                return Ok(Err(Rejected));
            }
        };
        let h = key_hash(&row, &self.key_idx);
        if let Some(first) = self.seen.get(&h) {
            on_issue(duplicate_issue(spec, &row, &self.key_idx, &location, u64::from(*first)));
            return Ok(Err(Rejected));
        }
        self.seen.insert(h, u32::try_from(location.row).unwrap_or(u32::MAX));
        // The row as users read it: for the audit trail and the importer's scope.
        let shown = row.clone();
        if let Some(issue) = resolve_refs(&mut Pg(tx), spec, &mut row, &location)? {
            on_issue(issue);
            return Ok(Err(Rejected));
        }
        let existing = if self.bulk { None } else { self.find_existing(tx, &row)? };
        if let (Some(scope), Some((id, _))) = (self.scope, existing) {
            if read_in_scope(&mut Pg(tx), spec, id, scope)?.is_none() {
                on_issue(out_of_scope(spec, &shown, location));
                return Ok(Err(Rejected));
            }
        }
        let stored = match (self.scope, existing) {
            (Some(_), Some((id, _))) => read_in_scope(&mut Pg(tx), spec, id, &Scope::All)?,
            _ => None,
        };
        // After the first problem an all-or-nothing import only checks the remaining rows.
        let opts = self.ctx.opts;
        let write = !opts.dry_run && (opts.partial || !self.failed);
        // A new row outside the scope is refused before it is inserted: an insert undone
        // would still have used an id (PostgreSQL does not give sequence values back).
        if let (Some(scope), None) = (self.scope, existing) {
            if !row_in_scope(&mut Pg(tx), spec, &row, scope)? {
                on_issue(out_of_scope(spec, &shown, location));
                return Ok(Err(Rejected));
            }
        }
        // Each scoped row under a savepoint, undone if it lands outside the scope.
        let mut sp = tx.transaction()?;
        let mut x = Pg(&mut sp);
        let mut before = None;
        let written_id = match existing {
            None if write => {
                Some(
                    x.insert(
                        &sql::insert_row(spec),
                        &row.iter().cloned().chain([self.now.clone()]).collect::<Vec<_>>(),
                    )?
                    .ok_or_else(|| {
                        StoreError::Conflict(format!("{}中已有「{}」", spec.label, key_text(spec, &shown)))
                    })?,
                )
            }
            None => None,
            Some((_, true)) => None,
            Some((id, false)) => {
                if write {
                    if !self.bulk {
                        before = read_in_scope(&mut x, spec, id, &Scope::All)?;
                    }
                    let params: Vec<Value> = row.iter().cloned().chain([self.now.clone(), Value::Int(id)]).collect();
                    x.execute(&sql::update_row(spec), &params)?;
                }
                Some(id)
            }
        };
        if let Some(scope) = self.scope {
            let inside = match (write, written_id, existing) {
                (true, Some(id), _) => read_in_scope(&mut x, spec, id, scope)?.is_some(),
                // Not written (a preview, or past the first error): the row as it would be
                // written is checked instead, so a preview rejects what confirm would.
                (false, _, None) | (false, _, Some((_, false))) => row_in_scope(&mut x, spec, &row, scope)?,
                _ => true,
            };
            let mut problem = (!inside).then(|| out_of_scope(spec, &shown, location.clone()));
            for r in stored.iter().chain([&shown]) {
                if problem.is_none() {
                    if let Some(reason) = refs_outside(&mut x, spec, r, scope)? {
                        problem = Some(RowIssue { reason, ..out_of_scope(spec, &shown, location.clone()) });
                    }
                }
            }
            if let Some(issue) = problem {
                sp.rollback()?;
                on_issue(issue);
                return Ok(Err(Rejected));
            }
        }
        if write && !self.bulk && (existing.is_none() || before.is_some()) {
            let before_json = before.as_ref().map(|b| row_json(spec, b));
            let (after, key) = (row_json(spec, &shown), key_text(spec, &shown));
            let record = AuditRecord {
                action: if existing.is_none() { "insert" } else { "update" },
                registry: spec.name,
                key: Some(&key),
                before: before_json.as_deref(),
                after: Some(&after),
                note: None,
            };
            portable::append_audit(&mut x, self.ctx.actor, &record)?;
        }
        sp.commit()?;
        Ok(Ok(existing))
    }

    fn find_existing(&self, tx: &mut Transaction<'_>, row: &Row) -> Result<Existing, StoreError> {
        let spec = self.spec;
        let cols: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
        let conds: Vec<String> =
            self.key_idx.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", cols[i], n + 1)).collect();
        let q = format!("SELECT id, {} FROM {} WHERE {}", cols.join(", "), spec.table, conds.join(" AND "));
        let keys: Vec<Value> = self.key_idx.iter().map(|&i| row[i].clone()).collect();
        let Some(found) = Pg(tx).first(&q, &keys)? else { return Ok(None) };
        let mut found = found.into_iter();
        let id = match found.next() {
            Some(Value::Int(id)) => id,
            _ => return Ok(None),
        };
        let same = found.zip(row).all(|(stored, incoming)| same_value(&stored, incoming));
        Ok(Some((id, same)))
    }
}

/// References: the parent's natural key becomes its row id; a key with no parent is the
/// row's issue.
fn resolve_refs(
    x: &mut dyn Exec,
    spec: &RegistrySpec,
    row: &mut Row,
    location: &RowLocation,
) -> Result<Option<RowIssue>, StoreError> {
    for (i, f) in spec.fields.iter().enumerate() {
        let Some(parent) = parent_of(f.kind) else { continue };
        let Value::Text(key) = &row[i] else { continue };
        let q = format!("SELECT id FROM {} WHERE {} = ?1", parent.table, parent_key_column(parent));
        match x.first(&q, &[Value::Text(key.clone())])?.and_then(|r| r.into_iter().next()) {
            Some(id @ Value::Int(_)) => row[i] = id,
            _ => return Ok(Some(missing_parent_issue(location.clone(), f, parent, key))),
        }
    }
    Ok(None)
}

fn out_of_scope(spec: &RegistrySpec, row: &Row, location: RowLocation) -> RowIssue {
    let key = key_text(spec, row);
    RowIssue { location, column: None, reason: format!("「{key}」不在本账号可修改的范围内"), value: key }
}

/// Whether `row` (references as row ids) lies inside `scope`, nothing written: the scope's
/// condition over the row's values, each cast to its column's type.
fn row_in_scope(x: &mut dyn Exec, spec: &RegistrySpec, row: &Row, scope: &Scope) -> Result<bool, StoreError> {
    let mut params: Vec<Value> = row.clone();
    let columns: Vec<String> = spec
        .fields
        .iter()
        .zip(row)
        .enumerate()
        .map(|(i, (f, v))| {
            // The column's type, from the field (a NULL carries none of its own).
            let ty = match (f.kind, v) {
                (FieldKind::Ref(_) | FieldKind::Year | FieldKind::Count | FieldKind::Bool, _) => "bigint",
                (FieldKind::Amount | FieldKind::Percent, _) => "double precision",
                (_, Value::Int(_)) => "bigint",
                (_, Value::Real(_)) => "double precision",
                _ => "text",
            };
            format!("CAST(?{} AS {ty}) AS {}", i + 1, f.column)
        })
        .collect();
    let Some(condition) = sql::scope_condition(spec, scope, &mut params) else {
        return Ok(true);
    };
    let q = format!("SELECT 1 FROM (SELECT {}) AS t WHERE {condition}", columns.join(", "));
    Ok(x.first(&q, &params)?.is_some())
}
