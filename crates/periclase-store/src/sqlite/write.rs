//! Single-record writes (forms and the API) and the audit trail they leave.

use periclase_domain::{display_cell, FieldError, RegistrySpec, Row, Scope, Value};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::{parent_key_column, parent_of, read_row, sql, Bind};
use crate::{Actor, AuditEntry, AuditQuery, SaveMode, SaveOutcome, StoreError};

/// A row as a JSON object of field key → the text users read (enum labels, 是/否, the
/// parent's natural key for references).
pub(crate) fn row_json(spec: &RegistrySpec, row: &Row) -> String {
    let mut m = serde_json::Map::new();
    for (f, v) in spec.fields.iter().zip(row) {
        let text = display_cell(f, v);
        m.insert(
            f.key.to_string(),
            if v.is_null() { serde_json::Value::Null } else { serde_json::Value::String(text) },
        );
    }
    serde_json::Value::Object(m).to_string()
}

/// The natural key as one text, as the audit trail and URLs name a record.
pub(crate) fn key_text(spec: &RegistrySpec, row: &Row) -> String {
    spec.key_indices().iter().map(|&i| row[i].to_string()).collect::<Vec<_>>().join(" / ")
}

pub(crate) use crate::audit::AuditRecord;

pub(crate) fn append_audit(c: &Connection, actor: &Actor, r: &AuditRecord<'_>) -> Result<(), StoreError> {
    c.prepare_cached(crate::audit::AUDIT_INSERT)?.execute(params![
        actor.name,
        actor.channel.code(),
        r.action,
        r.registry,
        r.key,
        r.before,
        r.after,
        r.note
    ])?;
    Ok(())
}

/// The row with this id, as users read it, if it is inside `scope`.
pub(crate) fn read_in_scope(
    tx: &Connection,
    spec: &RegistrySpec,
    id: i64,
    scope: &Scope,
) -> Result<Option<Row>, StoreError> {
    let mut params = vec![Value::Int(id)];
    let mut conds = vec!["t.id = ?1".to_string()];
    conds.extend(sql::scope_condition(spec, scope, &mut params));
    let q = format!("{} {}", sql::select(spec), sql::where_clause(&conds));
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    Ok(tx.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| read_row(spec, r, 1)).optional()?)
}

/// The id of the record holding `row`'s natural key. A key field that references another
/// registry (a figure's enterprise) is stored as the parent's row id, so the parent is looked
/// up first; with no such parent, no record can hold the key.
pub(crate) fn find_id(tx: &Connection, spec: &RegistrySpec, row: &Row) -> Result<Option<i64>, StoreError> {
    let keys = spec.key_indices();
    let mut values = Vec::with_capacity(keys.len());
    for &i in &keys {
        match (parent_of(spec.fields[i].kind), &row[i]) {
            (Some(parent), Value::Text(key)) => {
                let q = format!("SELECT id FROM {} WHERE {} = ?1", parent.table, parent_key_column(parent));
                match tx.query_row(&q, [key], |r| r.get::<_, i64>(0)).optional()? {
                    Some(id) => values.push(Value::Int(id)),
                    None => return Ok(None),
                }
            }
            (_, v) => values.push(v.clone()),
        }
    }
    let conds: Vec<String> =
        keys.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", spec.fields[i].column, n + 1)).collect();
    let q = format!("SELECT id FROM {} WHERE {}", spec.table, conds.join(" AND "));
    let binds: Vec<Bind> = values.iter().map(Bind).collect();
    Ok(tx.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| r.get(0)).optional()?)
}

/// Replaces references (natural keys) by row ids; a missing parent is a field error.
fn resolve_refs(tx: &Transaction<'_>, spec: &RegistrySpec, row: &mut Row) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        let Some(parent) = parent_of(f.kind) else { continue };
        let Value::Text(key) = &row[i] else { continue };
        let q = format!("SELECT id FROM {} WHERE {} = ?1", parent.table, parent_key_column(parent));
        match tx.query_row(&q, [key], |r| r.get::<_, i64>(0)).optional()? {
            Some(id) => row[i] = Value::Int(id),
            None => {
                let key_label = parent.field(parent.natural_key[0]).map_or("编号", |k| k.label);
                errors.push(FieldError::new(
                    f,
                    key.clone(),
                    format!("{}中没有{key_label}为「{key}」的记录", parent.label),
                ));
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(StoreError::Invalid(errors))
    }
}

/// Refuses a row naming an enterprise (owner, host, applicant…) outside a region or
/// enterprise scope. `row` holds natural keys (USCCs), as users typed them.
fn refs_in_scope(tx: &Connection, spec: &RegistrySpec, row: &Row, scope: &Scope) -> Result<(), StoreError> {
    match refs_outside(tx, spec, row, scope)? {
        Some(problem) => Err(StoreError::Forbidden(problem)),
        None => Ok(()),
    }
}

/// Why `row` reaches outside `scope` through an enterprise it names, if it does. An
/// enterprise's own row must also lie in the enterprise's registered region (a demand posted
/// "in" another county would be read and handled there).
pub(crate) fn refs_outside(
    tx: &Connection,
    spec: &RegistrySpec,
    row: &Row,
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
    use periclase_domain::{FieldKind, RegistryId};
    if !matches!(scope, Scope::Region(_) | Scope::Enterprise(_)) {
        return Ok(None);
    }
    let enterprises = periclase_domain::registry(RegistryId::Enterprises);
    for (f, v) in spec.fields.iter().zip(row) {
        let (FieldKind::Ref(RegistryId::Enterprises), Value::Text(uscc)) = (f.kind, v) else {
            continue;
        };
        let mut params = vec![Value::Text(uscc.clone())];
        let mut conds = vec!["t.uscc = ?1".to_string()];
        conds.extend(sql::scope_condition(enterprises, scope, &mut params));
        let q = format!("SELECT EXISTS (SELECT 1 FROM enterprise t {})", sql::where_clause(&conds));
        let binds: Vec<Bind> = params.iter().map(Bind).collect();
        let inside: bool = tx.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| r.get(0))?;
        if !inside {
            return Ok(Some(format!("「{}」{uscc}不在本账号可修改的范围内：只能填写本辖区（本企业）的企业", f.label)));
        }
    }
    if let (Scope::Enterprise(uscc), Some(k)) =
        (scope, spec.region_field.filter(|_| spec.id != RegistryId::Enterprises))
    {
        let i = spec.index_of(k).expect("region field exists");
        let registered: Option<String> =
            tx.query_row("SELECT region FROM enterprise WHERE uscc = ?1", [uscc], |r| r.get(0)).optional()?.flatten();
        if let (Value::Text(region), Some(own)) = (&row[i], registered) {
            if *region != own {
                return Ok(Some(format!("「{}」应为本企业登记的所属地区 {own}", spec.fields[i].label)));
            }
        }
    }
    Ok(None)
}

pub(crate) fn save(
    c: &mut Connection,
    spec: &'static RegistrySpec,
    row: &Row,
    mode: SaveMode,
    actor: &Actor,
    scope: &Scope,
) -> Result<SaveOutcome, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let outcome = save_in(&tx, spec, row, mode, actor, scope, None)?;
    tx.commit()?;
    Ok(outcome)
}

/// [`save`] inside a transaction the caller commits (confirming a declaration writes the
/// record and marks the declaration in one). `note` goes to the audit entry.
pub(crate) fn save_in(
    tx: &Transaction<'_>,
    spec: &'static RegistrySpec,
    row: &Row,
    mode: SaveMode,
    actor: &Actor,
    scope: &Scope,
    note: Option<&str>,
) -> Result<SaveOutcome, StoreError> {
    let key = key_text(spec, row);
    // A record renamed by an edit is audited under its new key; the old one is in `before`.
    let holder = find_id(tx, spec, row)?;
    let before = match (mode, holder) {
        (SaveMode::Create, Some(_)) => {
            return Err(StoreError::Conflict(format!("{}中已有「{key}」，请改为修改该记录", spec.label)));
        }
        (SaveMode::Create, None) => None,
        (SaveMode::Update { id }, holder) => {
            if holder.is_some_and(|h| h != id) {
                return Err(StoreError::Conflict(format!("{}中已有「{key}」，不能改成与它相同", spec.label)));
            }
            match read_in_scope(tx, spec, id, scope)? {
                Some(before) => Some((id, before)),
                // Someone else's record looks the same as a missing one.
                None => return Err(StoreError::NotFound(format!("{}中没有这条记录", spec.label))),
            }
        }
    };
    let mut bound = row.clone();
    resolve_refs(tx, spec, &mut bound)?;
    let now = Value::Text(tx.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| r.get::<_, String>(0))?);
    let id = match &before {
        None => {
            let q = super::sql::insert_row(spec);
            // Two creates of one key at the same moment: the second meets the unique index.
            tx.execute(&q, rusqlite::params_from_iter(bound.iter().chain([&now]).map(Bind))).map_err(|e| match e {
                rusqlite::Error::SqliteFailure(f, _) if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE => {
                    StoreError::Conflict(format!("{}中已有「{key}」，请改为修改该记录", spec.label))
                }
                other => other.into(),
            })?;
            tx.last_insert_rowid()
        }
        Some((id, old)) => {
            if old == row {
                return Ok(SaveOutcome::Unchanged);
            }
            let q = super::sql::update_row(spec);
            let idv = Value::Int(*id);
            tx.execute(&q, rusqlite::params_from_iter(bound.iter().chain([&now, &idv]).map(Bind)))?;
            *id
        }
    };
    // The record as written must still be the writer's to write (an official cannot move an
    // enterprise out of their county, nor create one elsewhere).
    if read_in_scope(tx, spec, id, scope)?.is_none() {
        return Err(StoreError::Forbidden(format!("「{key}」不在本账号可修改的范围内")));
    }
    // So must every enterprise it names, as it was and as it is now: a county cannot hand a
    // project to another county's enterprise, nor edit one that another county's owns.
    if let Some((_, old)) = &before {
        refs_in_scope(tx, spec, old, scope)?;
    }
    refs_in_scope(tx, spec, row, scope)?;
    let after = row_json(spec, row);
    let before_json = before.as_ref().map(|(_, b)| row_json(spec, b));
    append_audit(
        tx,
        actor,
        &AuditRecord {
            action: if before.is_some() { "update" } else { "insert" },
            registry: spec.name,
            key: Some(&key),
            before: before_json.as_deref(),
            after: Some(&after),
            note,
        },
    )?;
    Ok(if before.is_some() { SaveOutcome::Updated } else { SaveOutcome::Inserted })
}

pub(crate) fn delete(
    c: &mut Connection,
    spec: &'static RegistrySpec,
    id: i64,
    actor: &Actor,
    scope: &Scope,
) -> Result<bool, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let deleted = delete_in(&tx, spec, id, actor, scope, None)?;
    tx.commit()?;
    Ok(deleted)
}

/// [`delete`] inside a transaction the caller commits.
pub(crate) fn delete_in(
    tx: &Transaction<'_>,
    spec: &'static RegistrySpec,
    id: i64,
    actor: &Actor,
    scope: &Scope,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(before) = read_in_scope(tx, spec, id, scope)? else { return Ok(false) };
    refs_in_scope(tx, spec, &before, scope)?;
    tx.execute(&format!("DELETE FROM {} WHERE id = ?1", spec.table), [id])?;
    let key = key_text(spec, &before);
    let before_json = row_json(spec, &before);
    append_audit(
        tx,
        actor,
        &AuditRecord {
            action: "delete",
            registry: spec.name,
            key: Some(&key),
            before: Some(&before_json),
            after: None,
            note,
        },
    )?;
    Ok(true)
}

pub(crate) fn audit(c: &Connection, q: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
    let (sql, params) = q.sql();
    let mut st = c.prepare(&sql)?;
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    let rows = st
        .query_map(rusqlite::params_from_iter(binds.iter()), |r| {
            Ok(AuditEntry {
                id: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                channel: r.get(3)?,
                action: r.get(4)?,
                registry: r.get(5)?,
                record_key: r.get(6)?,
                before: r.get(7)?,
                after: r.get(8)?,
                note: r.get(9)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

/// The store's `AuditTrail` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::*;

    impl crate::AuditTrail for SqliteStore {
        fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
            self.with(|c| write::audit(c, query))
        }
    }
}
