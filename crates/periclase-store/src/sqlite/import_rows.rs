//! The rows of one import, written inside its transaction (`import.rs`): each row's
//! references resolved, its natural key looked up, inserted, updated or left alone, checked
//! against the importer's scope and audited — or rejected with the reason.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use periclase_domain::{RegistrySpec, Row, Scope, Value};
use rusqlite::{Statement, Transaction};

use super::write::{append_audit, key_text, read_in_scope, refs_outside, row_json, AuditRecord};
use super::{parent_key_column, parent_of, read_value, Bind};
use crate::{ImportContext, ImportItem, ImportOutcome, RowIssue, RowLocation, StoreError};

/// A stored row with this row's natural key: its id, and whether it already holds exactly
/// this row's values.
type Existing = Option<(i64, bool)>;

pub(super) struct RowWriter<'t, 'x> {
    tx: &'t Transaction<'t>,
    spec: &'static RegistrySpec,
    ctx: &'x ImportContext<'x>,
    /// The importer's scope, unless it is everything.
    scope: Option<&'x Scope>,
    /// Into an empty table: nothing to look up, audited as a whole.
    bulk: bool,
    now: Value,
    key_idx: Vec<usize>,
    /// Reference fields and the registry each names.
    refs: Vec<(usize, &'static RegistrySpec)>,
    find: Statement<'t>,
    insert: Statement<'t>,
    update: Statement<'t>,
    ref_lookups: Vec<Statement<'t>>,
    /// Natural keys seen in this file, with the row they were first seen on. Kept as 64-bit
    /// SipHash fingerprints so a million rows cost ~16 MB: two different keys sharing one
    /// (odds ~10^-8 at a million rows) would be reported as a duplicate naming the other row —
    /// a visible, checkable error, never a silently dropped row.
    seen: HashMap<u64, u32>,
    out: ImportOutcome,
    failed: bool,
}

/// Why a row is not written (its issues already reported).
struct Rejected;

impl<'t, 'x> RowWriter<'t, 'x> {
    pub(super) fn new(
        tx: &'t Transaction<'t>,
        spec: &'static RegistrySpec,
        ctx: &'x ImportContext<'x>,
        scope: Option<&'x Scope>,
        bulk: bool,
        now: Value,
    ) -> Result<RowWriter<'t, 'x>, StoreError> {
        let key_idx = spec.key_indices();
        let cols: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
        let key_cond: Vec<String> =
            key_idx.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", cols[i], n + 1)).collect();
        let find_sql = format!("SELECT id, {} FROM {} WHERE {}", cols.join(", "), spec.table, key_cond.join(" AND "));
        let refs: Vec<(usize, &'static RegistrySpec)> =
            spec.fields.iter().enumerate().filter_map(|(i, f)| parent_of(f.kind).map(|p| (i, p))).collect();
        let ref_lookups = refs
            .iter()
            .map(|(_, p)| tx.prepare(&format!("SELECT id FROM {} WHERE {} = ?1", p.table, parent_key_column(p))))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(RowWriter {
            tx,
            spec,
            ctx,
            scope,
            bulk,
            now,
            key_idx,
            refs,
            find: tx.prepare(&find_sql)?,
            insert: tx.prepare(&crate::sql::insert_row(spec))?,
            update: tx.prepare(&crate::sql::update_row(spec))?,
            ref_lookups,
            seen: HashMap::new(),
            out: ImportOutcome::default(),
            failed: false,
        })
    }

    pub(super) fn outcome(&self) -> &ImportOutcome {
        &self.out
    }

    /// The counts, and whether any row was rejected.
    pub(super) fn finish(self) -> (ImportOutcome, bool) {
        (self.out, self.failed)
    }

    /// One row of the file: written (or, in a dry run or past the first error of an
    /// all-or-nothing import, only checked) and counted, or rejected with its issues.
    pub(super) fn write(&mut self, item: ImportItem, on_issue: &mut dyn FnMut(RowIssue)) -> Result<(), StoreError> {
        self.out.read += 1;
        match self.write_row(item, on_issue)? {
            Ok(existing) => match existing {
                None => self.out.inserted += 1,
                Some((_, true)) => self.out.unchanged += 1,
                Some((_, false)) => self.out.updated += 1,
            },
            Err(Rejected) => {
                self.out.rejected += 1;
                self.failed = true;
            }
        }
        Ok(())
    }

    fn write_row(
        &mut self,
        item: ImportItem,
        on_issue: &mut dyn FnMut(RowIssue),
    ) -> Result<Result<Existing, Rejected>, StoreError> {
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
            on_issue(duplicate_issue(self.spec, &row, &self.key_idx, &location, u64::from(*first)));
            return Ok(Err(Rejected));
        }
        self.seen.insert(h, u32::try_from(location.row).unwrap_or(u32::MAX));

        // The row as users read it, for the audit trail (a bulk load is audited as a whole)
        // and for the enterprises it names to be checked against the importer's scope.
        let shown = (!self.bulk || self.scope.is_some()).then(|| row.clone());
        if let Some(issue) = self.resolve_refs(&mut row, &location)? {
            on_issue(issue);
            return Ok(Err(Rejected));
        }
        let existing = if self.bulk { None } else { self.find_existing(&row)? };
        if let (Some(scope), Some((id, _))) = (self.scope, existing) {
            if read_in_scope(self.tx, self.spec, id, scope)?.is_none() {
                on_issue(self.out_of_scope(shown.as_ref().unwrap_or(&row), location));
                return Ok(Err(Rejected));
            }
        }
        // The record as stored before this row, for the enterprises it names.
        let stored = match (self.scope, existing) {
            (Some(_), Some((id, _))) => read_in_scope(self.tx, self.spec, id, &Scope::All)?,
            _ => None,
        };
        // After the first problem an all-or-nothing import only checks the remaining rows.
        let opts = self.ctx.opts;
        let write = !opts.dry_run && (opts.partial || !self.failed);
        if self.scope.is_some() {
            self.tx.execute_batch("SAVEPOINT import_row")?;
        }
        let (written_id, before) = self.upsert(&row, existing, write)?;
        if let Some(scope) = self.scope {
            let named_in = [&stored, &shown];
            if let Some(issue) = self.check_scope_after(scope, &row, written_id, write, named_in, &location)? {
                self.tx.execute_batch("ROLLBACK TO import_row; RELEASE import_row")?;
                on_issue(issue);
                return Ok(Err(Rejected));
            }
            self.tx.execute_batch("RELEASE import_row")?;
        }
        if let (true, Some(shown)) = (write, &shown) {
            if existing.is_none() || before.is_some() {
                self.audit_row(shown, before.as_ref())?;
            }
        }
        Ok(Ok(existing))
    }

    /// References: the parent's natural key becomes its row id. A key with no parent is
    /// the row's issue.
    fn resolve_refs(&mut self, row: &mut Row, location: &RowLocation) -> Result<Option<RowIssue>, StoreError> {
        for ((i, parent), lookup) in self.refs.iter().zip(self.ref_lookups.iter_mut()) {
            let Value::Text(key) = &row[*i] else { continue };
            let id: Option<i64> = match lookup.query_row([key], |r| r.get(0)) {
                Ok(id) => Some(id),
                Err(rusqlite::Error::QueryReturnedNoRows) => None,
                Err(e) => return Err(e.into()),
            };
            match id {
                Some(id) => row[*i] = Value::Int(id),
                None => return Ok(Some(missing_parent_issue(location.clone(), &self.spec.fields[*i], parent, key))),
            }
        }
        Ok(None)
    }

    fn find_existing(&mut self, row: &Row) -> Result<Existing, StoreError> {
        let key_binds: Vec<Bind> = self.key_idx.iter().map(|&i| Bind(&row[i])).collect();
        let mut rows = self.find.query(rusqlite::params_from_iter(key_binds.iter()))?;
        let Some(r) = rows.next()? else { return Ok(None) };
        let id: i64 = r.get(0)?;
        let same = (0..self.spec.fields.len())
            .all(|i| r.get_ref(i + 1).map(read_value).is_ok_and(|v| same_value(&v, &row[i])));
        Ok(Some((id, same)))
    }

    /// Inserts or updates (when `write`), answering the row id it lands on (none when the
    /// stored row is already equal) and, for an audited update, the record before it.
    fn upsert(&mut self, row: &Row, existing: Existing, write: bool) -> Result<(Option<i64>, Option<Row>), StoreError> {
        match existing {
            None => {
                if write {
                    self.insert
                        .execute(rusqlite::params_from_iter(row.iter().chain(std::iter::once(&self.now)).map(Bind)))?;
                }
                Ok((Some(self.tx.last_insert_rowid()), None))
            }
            Some((_, true)) => Ok((None, None)),
            Some((id, false)) => {
                let before =
                    if write && !self.bulk { read_in_scope(self.tx, self.spec, id, &Scope::All)? } else { None };
                if write {
                    let idv = Value::Int(id);
                    self.update.execute(rusqlite::params_from_iter(row.iter().chain([&self.now, &idv]).map(Bind)))?;
                }
                Ok((Some(id), before))
            }
        }
    }

    /// A scoped importer's row must be inside the scope as written, and so must every
    /// enterprise it names, as stored before and as imported. The issue if not.
    fn check_scope_after(
        &self,
        scope: &Scope,
        row: &Row,
        written_id: Option<i64>,
        write: bool,
        named_in: [&Option<Row>; 2],
        location: &RowLocation,
    ) -> Result<Option<RowIssue>, StoreError> {
        let inside = match (write, written_id) {
            (true, Some(id)) => read_in_scope(self.tx, self.spec, id, scope)?.is_some(),
            // Not written (a preview, or past the first error): the row as it would be
            // written is checked instead, so a preview rejects what confirm would.
            (false, Some(_)) => row_in_scope(self.tx, self.spec, row, scope)?,
            (_, None) => true,
        };
        // Named as users typed it (an enterprise by its USCC, never by a row id).
        let shown = named_in[1].as_ref().unwrap_or(row);
        if !inside {
            return Ok(Some(self.out_of_scope(shown, location.clone())));
        }
        for r in named_in.into_iter().flatten() {
            if let Some(reason) = refs_outside(self.tx, self.spec, r, scope)? {
                return Ok(Some(RowIssue { reason, ..self.out_of_scope(shown, location.clone()) }));
            }
        }
        Ok(None)
    }

    fn out_of_scope(&self, row: &Row, location: RowLocation) -> RowIssue {
        let key = key_text(self.spec, row);
        RowIssue {
            location, column: None, reason: format!("「{key}」不在本账号可修改的范围内"), value: key
        }
    }

    fn audit_row(&self, shown: &Row, before: Option<&Row>) -> Result<(), StoreError> {
        let before = before.map(|b| row_json(self.spec, b));
        let (after, key) = (row_json(self.spec, shown), key_text(self.spec, shown));
        let record = AuditRecord {
            action: if before.is_none() { "insert" } else { "update" },
            registry: self.spec.name,
            key: Some(&key),
            before: before.as_deref(),
            after: Some(&after),
            note: None,
        };
        append_audit(self.tx, self.ctx.actor, &record)
    }
}

/// Whether `row` (with references already turned into row ids, as it would be stored) lies
/// inside `scope`: the scope's condition evaluated over the row's values, nothing written.
fn row_in_scope(tx: &Transaction<'_>, spec: &RegistrySpec, row: &Row, scope: &Scope) -> Result<bool, StoreError> {
    let mut params: Vec<Value> = row.clone();
    let columns: Vec<String> =
        spec.fields.iter().enumerate().map(|(i, f)| format!("?{} AS {}", i + 1, f.column)).collect();
    let Some(condition) = crate::sql::scope_condition(spec, scope, &mut params) else {
        return Ok(true);
    };
    let q = format!("SELECT EXISTS (SELECT 1 FROM (SELECT {}) AS t WHERE {condition})", columns.join(", "));
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    Ok(tx.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| r.get(0))?)
}

/// Stored and incoming values are equal; REAL columns may hand back an integer-valued
/// decimal as either storage class.
pub(crate) fn same_value(stored: &Value, incoming: &Value) -> bool {
    match (stored, incoming) {
        (Value::Int(a), Value::Real(b)) | (Value::Real(b), Value::Int(a)) => (*a as f64) == *b,
        (a, b) => a == b,
    }
}

pub(crate) fn key_hash(row: &Row, key_idx: &[usize]) -> u64 {
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

/// The issues of a row that failed validation on its way in, one per cell.
pub(crate) fn invalid_issues(
    location: &RowLocation,
    errors: Vec<periclase_domain::FieldError>,
    on_issue: &mut dyn FnMut(RowIssue),
) {
    for e in errors {
        on_issue(RowIssue {
            location: location.clone(),
            column: Some(e.label.to_string()),
            value: e.value,
            reason: e.message,
        });
    }
}

/// A reference to a record its registry does not have.
pub(crate) fn missing_parent_issue(
    location: RowLocation,
    field: &periclase_domain::FieldSpec,
    parent: &RegistrySpec,
    key: &str,
) -> RowIssue {
    let key_label = parent.field(parent.natural_key[0]).map_or("编号", |k| k.label);
    RowIssue {
        location,
        column: Some(field.label.to_string()),
        value: key.to_string(),
        reason: format!("{}中没有{key_label}为「{key}」的记录，请先导入{}", parent.label, parent.label),
    }
}

pub(crate) fn duplicate_issue(
    spec: &RegistrySpec,
    row: &Row,
    key_idx: &[usize],
    location: &RowLocation,
    first: u64,
) -> RowIssue {
    let labels: Vec<&str> = key_idx.iter().map(|&i| spec.fields[i].label).collect();
    let values: Vec<String> = key_idx.iter().map(|&i| row[i].to_string()).collect();
    RowIssue {
        location: location.clone(),
        column: Some(labels.join("+")),
        value: values.join(" / "),
        reason: format!("与本文件第{first}行的{}重复：同一文件中每条记录只能出现一次", labels.join("+")),
    }
}
