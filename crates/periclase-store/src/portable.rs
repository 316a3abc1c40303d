//! Single-record writes (forms, the API, confirmed declarations) written once for both
//! stores, over [`Exec`]: the few ways either database is asked something. Statements use
//! SQLite's numbered parameters (`?1`); the PostgreSQL side renumbers them. The hot paths
//! (imports, lists, the chain map, policy frames) stay native to each store.

use periclase_domain::{display_cell, FieldError, FieldKind, RegistryId, RegistrySpec, Row, Scope, Value};

use crate::audit::{AuditRecord, AUDIT_INSERT};
use crate::sql::{self, parent_key_column, parent_of};
use crate::{Actor, SaveMode, SaveOutcome, StoreError};

/// What the shared write code needs of a connection inside a transaction.
pub(crate) trait Exec {
    /// Every row of `sql`, each value as its column holds it.
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError>;
    /// Rows changed.
    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError>;
    /// Runs an `INSERT` of one row and answers its new id, or `None` when a unique index
    /// already holds its key (two creates of one key at the same moment).
    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>, StoreError>;
    /// The database's time, as stored (`2026-12-07T20:18:18Z`).
    fn now(&mut self) -> Result<Value, StoreError>;
    /// The database's time `minutes` from now (earlier when negative), as stored.
    fn now_plus_minutes(&mut self, minutes: i64) -> Result<Value, StoreError>;

    fn first(&mut self, sql: &str, params: &[Value]) -> Result<Option<Vec<Value>>, StoreError> {
        Ok(self.rows(sql, params)?.into_iter().next())
    }
}

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

/// Values read in `spec`'s field order, as the field's kind wants them (an amount an engine
/// handed back as the integer 5 is still the decimal 5).
pub(crate) fn as_row(spec: &RegistrySpec, values: impl IntoIterator<Item = Value>) -> Row {
    spec.fields
        .iter()
        .zip(values)
        .map(|(f, v)| match (f.kind, v) {
            (FieldKind::Amount | FieldKind::Percent, Value::Int(i)) => Value::Real(i as f64),
            (_, v) => v,
        })
        .collect()
}

pub(crate) fn append_audit(x: &mut dyn Exec, actor: &Actor, r: &AuditRecord<'_>) -> Result<(), StoreError> {
    let text = |s: Option<&str>| s.map_or(Value::Null, |s| Value::Text(s.to_string()));
    x.execute(
        AUDIT_INSERT,
        &[
            Value::Text(actor.name.clone()),
            Value::Text(actor.channel.code().to_string()),
            Value::Text(r.action.to_string()),
            Value::Text(r.registry.to_string()),
            text(r.key),
            text(r.before),
            text(r.after),
            text(r.note),
        ],
    )?;
    Ok(())
}

/// The row with this id, as users read it, if it is inside `scope`.
pub(crate) fn read_in_scope(
    x: &mut dyn Exec,
    spec: &RegistrySpec,
    id: i64,
    scope: &Scope,
) -> Result<Option<Row>, StoreError> {
    let mut params = vec![Value::Int(id)];
    let mut conds = vec!["t.id = ?1".to_string()];
    conds.extend(sql::scope_condition(spec, scope, &mut params));
    let q = format!("{} {}", sql::select(spec), sql::where_clause(&conds));
    Ok(x.first(&q, &params)?.map(|values| as_row(spec, values.into_iter().skip(1))))
}

/// The id of `parent`'s record with natural key `key`.
fn parent_id(x: &mut dyn Exec, parent: &RegistrySpec, key: &str) -> Result<Option<i64>, StoreError> {
    let q = format!("SELECT id FROM {} WHERE {} = ?1", parent.table, parent_key_column(parent));
    Ok(x.first(&q, &[Value::Text(key.to_string())])?.and_then(|r| int(&r[0])))
}

/// The id of the record holding `row`'s natural key. A key field that references another
/// registry (a figure's enterprise) is stored as the parent's row id, so the parent is looked
/// up first; with no such parent, no record can hold the key.
pub(crate) fn find_id(x: &mut dyn Exec, spec: &RegistrySpec, row: &Row) -> Result<Option<i64>, StoreError> {
    let keys = spec.key_indices();
    let mut values = Vec::with_capacity(keys.len());
    for &i in &keys {
        match (parent_of(spec.fields[i].kind), &row[i]) {
            (Some(parent), Value::Text(key)) => match parent_id(x, parent, key)? {
                Some(id) => values.push(Value::Int(id)),
                None => return Ok(None),
            },
            (_, v) => values.push(v.clone()),
        }
    }
    let conds: Vec<String> =
        keys.iter().enumerate().map(|(n, &i)| format!("{} = ?{}", spec.fields[i].column, n + 1)).collect();
    let q = format!("SELECT id FROM {} WHERE {}", spec.table, conds.join(" AND "));
    Ok(x.first(&q, &values)?.and_then(|r| int(&r[0])))
}

/// Replaces references (natural keys) by row ids; a missing parent is a field error.
fn resolve_refs(x: &mut dyn Exec, spec: &RegistrySpec, row: &mut Row) -> Result<(), StoreError> {
    let mut errors = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        let Some(parent) = parent_of(f.kind) else { continue };
        let Value::Text(key) = &row[i] else { continue };
        match parent_id(x, parent, key)? {
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
fn refs_in_scope(x: &mut dyn Exec, spec: &RegistrySpec, row: &Row, scope: &Scope) -> Result<(), StoreError> {
    match refs_outside(x, spec, row, scope)? {
        Some(problem) => Err(StoreError::Forbidden(problem)),
        None => Ok(()),
    }
}

/// Why `row` reaches outside `scope` through an enterprise it names, if it does. An
/// enterprise's own row must also lie in the enterprise's registered region (a demand posted
/// "in" another county would be read and handled there).
pub(crate) fn refs_outside(
    x: &mut dyn Exec,
    spec: &RegistrySpec,
    row: &Row,
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
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
        let q = format!("SELECT 1 FROM enterprise t {} LIMIT 1", sql::where_clause(&conds));
        if x.first(&q, &params)?.is_none() {
            return Ok(Some(format!("「{}」{uscc}不在本账号可修改的范围内：只能填写本辖区（本企业）的企业", f.label)));
        }
    }
    if let (Scope::Enterprise(uscc), Some(k)) =
        (scope, spec.region_field.filter(|_| spec.id != RegistryId::Enterprises))
    {
        let i = spec.index_of(k).expect("region field exists");
        let registered = x
            .first("SELECT region FROM enterprise WHERE uscc = ?1", &[Value::Text(uscc.clone())])?
            .and_then(|r| r.into_iter().next())
            .and_then(|v| match v {
                Value::Text(s) => Some(s),
                _ => None,
            });
        if let (Value::Text(region), Some(own)) = (&row[i], registered) {
            if *region != own {
                return Ok(Some(format!("「{}」应为本企业登记的所属地区 {own}", spec.fields[i].label)));
            }
        }
    }
    Ok(None)
}

/// Creates or updates one record inside a transaction the caller commits, in `scope`,
/// leaving an audit entry (with `note`) of the record before and after.
pub(crate) fn save_in(
    x: &mut dyn Exec,
    spec: &'static RegistrySpec,
    row: &Row,
    mode: SaveMode,
    actor: &Actor,
    scope: &Scope,
    note: Option<&str>,
) -> Result<SaveOutcome, StoreError> {
    let key = key_text(spec, row);
    // A record renamed by an edit is audited under its new key; the old one is in `before`.
    let holder = find_id(x, spec, row)?;
    let before = match (mode, holder) {
        (SaveMode::Create, Some(_)) => {
            return Err(StoreError::Conflict(format!("{}中已有「{key}」，请改为修改该记录", spec.label)));
        }
        (SaveMode::Create, None) => None,
        (SaveMode::Update { id }, holder) => {
            if holder.is_some_and(|h| h != id) {
                return Err(StoreError::Conflict(format!("{}中已有「{key}」，不能改成与它相同", spec.label)));
            }
            match read_in_scope(x, spec, id, scope)? {
                Some(before) => Some((id, before)),
                // Someone else's record looks the same as a missing one.
                None => return Err(StoreError::NotFound(format!("{}中没有这条记录", spec.label))),
            }
        }
    };
    let mut bound = row.clone();
    resolve_refs(x, spec, &mut bound)?;
    let now = x.now()?;
    let id = match &before {
        None => {
            let params: Vec<Value> = bound.iter().cloned().chain([now]).collect();
            // Two creates of one key at the same moment: the second meets the unique index.
            x.insert(&sql::insert_row(spec), &params)?
                .ok_or_else(|| StoreError::Conflict(format!("{}中已有「{key}」，请改为修改该记录", spec.label)))?
        }
        Some((id, old)) => {
            if old == row {
                return Ok(SaveOutcome::Unchanged);
            }
            let params: Vec<Value> = bound.iter().cloned().chain([now, Value::Int(*id)]).collect();
            x.execute(&sql::update_row(spec), &params)?;
            *id
        }
    };
    // The record as written must still be the writer's to write (an official cannot move an
    // enterprise out of their county, nor create one elsewhere).
    if read_in_scope(x, spec, id, scope)?.is_none() {
        return Err(StoreError::Forbidden(format!("「{key}」不在本账号可修改的范围内")));
    }
    // So must every enterprise it names, as it was and as it is now: a county cannot hand a
    // project to another county's enterprise, nor edit one that another county's owns.
    if let Some((_, old)) = &before {
        refs_in_scope(x, spec, old, scope)?;
    }
    refs_in_scope(x, spec, row, scope)?;
    let after = row_json(spec, row);
    let before_json = before.as_ref().map(|(_, b)| row_json(spec, b));
    let record = AuditRecord {
        action: if before.is_some() { "update" } else { "insert" },
        registry: spec.name,
        key: Some(&key),
        before: before_json.as_deref(),
        after: Some(&after),
        note,
    };
    append_audit(x, actor, &record)?;
    Ok(if before.is_some() { SaveOutcome::Updated } else { SaveOutcome::Inserted })
}

/// Deletes record `id` if it is inside `scope`, inside a transaction the caller commits,
/// leaving an audit entry of what it was. False when there was nothing to delete.
pub(crate) fn delete_in(
    x: &mut dyn Exec,
    spec: &'static RegistrySpec,
    id: i64,
    actor: &Actor,
    scope: &Scope,
    note: Option<&str>,
) -> Result<bool, StoreError> {
    let Some(before) = read_in_scope(x, spec, id, scope)? else { return Ok(false) };
    refs_in_scope(x, spec, &before, scope)?;
    x.execute(&format!("DELETE FROM {} WHERE id = ?1", spec.table), &[Value::Int(id)])?;
    let key = key_text(spec, &before);
    let before_json = row_json(spec, &before);
    let record = AuditRecord {
        action: "delete",
        registry: spec.name,
        key: Some(&key),
        before: Some(&before_json),
        after: None,
        note,
    };
    append_audit(x, actor, &record)?;
    Ok(true)
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        _ => None,
    }
}
