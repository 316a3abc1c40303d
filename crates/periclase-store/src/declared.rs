//! Declarations (migration 0013): stored as declared, written to their registry only when a
//! department confirms them. One implementation for both stores, over `portable::Exec`; each
//! store opens the transaction (SQLite's write lock first, as for every write).

use periclase_domain::{registries, RegistrySpec, Row, Scope, Value};

use crate::audit::AuditRecord;
use crate::declarations::{Declaration, DeclarationQuery, DeclarationStatus, DeclaredChange};
use crate::portable::{append_audit, delete_in, find_id, key_text, read_in_scope, row_json, save_in, Exec};
use crate::sql;
use crate::{Actor, SaveMode, StoreError};

const COLUMNS: &str = "id, registry, record_key, uscc, region, action, payload, evidence, declared_by, declared_at, \
                       status, decided_by, decided_at, decision_note, \
                       (SELECT e.name FROM enterprise e WHERE e.uscc = declaration.uscc)";

fn read(values: Vec<Value>) -> Declaration {
    let mut v = values.into_iter();
    let mut next = || v.next().unwrap_or(Value::Null);
    let id = match next() {
        Value::Int(id) => id,
        _ => 0,
    };
    let text = |v: Value| match v {
        Value::Text(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    let mut cols: Vec<Option<String>> = Vec::with_capacity(14);
    for _ in 0..14 {
        cols.push(text(next()));
    }
    let col = |i: usize| cols[i - 1].clone();
    let registry = col(1).unwrap_or_default();
    let payload = col(6).unwrap_or_default();
    let values = match serde_json::from_str(&payload) {
        Ok(serde_json::Value::Object(m)) => m,
        _ => serde_json::Map::new(),
    };
    Declaration {
        id,
        registry: registry.clone(),
        record_key: col(2).unwrap_or_default(),
        uscc: col(3).unwrap_or_default(),
        region: col(4).unwrap_or_default(),
        change: if col(5).as_deref() == Some("delete") { DeclaredChange::Delete } else { DeclaredChange::Upsert },
        values: values.clone(),
        current: None,
        enterprise_name: col(14)
            .or_else(|| {
                // Not registered yet: the name it declares for its own registration.
                (registry == "enterprises").then(|| values.get("name").and_then(|v| v.as_str()).map(str::to_string))?
            })
            .unwrap_or_default(),
        evidence: col(7).unwrap_or_default(),
        declared_by: col(8).unwrap_or_default(),
        declared_at: col(9).unwrap_or_default(),
        status: col(10).as_deref().and_then(DeclarationStatus::parse).unwrap_or(DeclarationStatus::Pending),
        decided_by: col(11),
        decided_at: col(12),
        decision_note: col(13),
    }
}

/// The condition keeping declarations of enterprises inside `scope`.
fn scope_condition(scope: &Scope, params: &mut Vec<Value>) -> Option<String> {
    match scope {
        Scope::All => None,
        // The enterprise's region now (it may have moved since it declared); the region it
        // declared only while it is not registered yet.
        Scope::Region(p) => {
            let now = sql::region_condition("e.region", p, params);
            let declared = sql::region_condition("declaration.region", p, params);
            Some(format!(
                "(uscc IN (SELECT e.uscc FROM enterprise e WHERE {now}) \
                 OR (uscc NOT IN (SELECT uscc FROM enterprise) AND {declared}))"
            ))
        }
        Scope::Enterprise(uscc) => {
            params.push(Value::Text(uscc.clone()));
            Some(format!("uscc = ?{}", params.len()))
        }
        _ => Some("false".into()),
    }
}

pub(crate) fn by_id(c: &mut dyn Exec, id: i64, scope: Option<&Scope>) -> Result<Option<Declaration>, StoreError> {
    let mut params = vec![Value::Int(id)];
    let mut conds = vec!["id = ?1".to_string()];
    if let Some(scope) = scope {
        conds.extend(scope_condition(scope, &mut params));
    }
    let q = format!("SELECT {COLUMNS} FROM declaration {}", sql::where_clause(&conds));
    Ok(c.first(&q, &params)?.map(read))
}

pub(crate) fn list(c: &mut dyn Exec, q: &DeclarationQuery) -> Result<Vec<Declaration>, StoreError> {
    let mut params = Vec::new();
    let mut conds = Vec::new();
    if let Some(scope) = &q.scope {
        conds.extend(scope_condition(scope, &mut params));
    }
    for (column, v) in
        [("status", q.status.map(|s| s.code().to_string())), ("registry", q.registry.clone()), ("uscc", q.uscc.clone())]
    {
        if let Some(v) = v {
            params.push(Value::Text(v));
            conds.push(format!("{column} = ?{}", params.len()));
        }
    }
    let limit = q.limit.unwrap_or(200).clamp(1, 1000);
    let sql = format!("SELECT {COLUMNS} FROM declaration {} ORDER BY id DESC LIMIT {limit}", sql::where_clause(&conds));
    let mut out: Vec<Declaration> = c.rows(&sql, &params)?.into_iter().map(read).collect();
    for d in out.iter_mut().filter(|d| d.status == DeclarationStatus::Pending) {
        d.current = current(c, d)?;
    }
    Ok(out)
}

/// Records a declaration, inside a transaction the caller commits.
pub(crate) fn declare(
    tx: &mut dyn Exec,
    spec: &'static RegistrySpec,
    row: &Row,
    change: DeclaredChange,
    evidence: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Declaration, StoreError> {
    let Scope::Enterprise(uscc) = scope else {
        return Err(StoreError::Forbidden("只有企业用户申报本企业的数据".into()));
    };
    let own = |v: &Value| matches!(v, Value::Text(t) if t == uscc);
    let owner = spec.owner.and_then(|k| spec.index_of(k));
    if !owner.is_some_and(|i| own(&row[i])) {
        return Err(StoreError::Forbidden(format!("只能申报本企业（{uscc}）的{}数据", spec.label)));
    }
    let key = key_text(spec, row);
    // A record under this key must already be the enterprise's own: declaring a change to
    // another's project by reusing its number is refused like a missing record.
    let holder = find_id(tx, spec, row)?;
    match holder {
        Some(id) if read_in_scope(tx, spec, id, scope)?.is_none() => {
            return Err(StoreError::Conflict(format!(
                "{}中已有「{key}」，且不是本企业的记录：请换一个编号",
                spec.label
            )));
        }
        None if change == DeclaredChange::Delete => {
            return Err(StoreError::NotFound(format!("{}中没有「{key}」", spec.label)));
        }
        _ => {}
    }
    let registered: Option<String> = tx
        .first("SELECT region FROM enterprise WHERE uscc = ?1", &[Value::Text(uscc.clone())])?
        .and_then(|r| r.into_iter().next())
        .and_then(|v| match v {
            Value::Text(r) => Some(r),
            _ => None,
        });
    let region = match registered {
        Some(r) => r,
        // An enterprise not yet registered declares its registration, region included.
        None => match spec.region_field.and_then(|k| spec.index_of(k)).map(|i| &row[i]) {
            Some(Value::Text(r)) => r.clone(),
            _ => return Err(StoreError::BadQuery("本企业尚未登记，请先申报企业基本信息".into())),
        },
    };
    let same = [Value::Text(spec.name.to_string()), Value::Text(key.clone()), Value::Text(uscc.clone())];
    let others = tx.first(
        "SELECT 1 FROM declaration WHERE registry = ?1 AND record_key = ?2 AND status = 'pending' AND uscc <> ?3",
        &same,
    )?;
    if others.is_some() {
        return Err(StoreError::Conflict(format!("{}中「{key}」已有待核验的申报：请换一个编号", spec.label)));
    }
    // The enterprise's own earlier declaration of the record gives way to this one.
    let now = tx.now()?;
    tx.execute(
        "UPDATE declaration SET status = 'superseded', decided_at = ?4
         WHERE registry = ?1 AND record_key = ?2 AND status = 'pending' AND uscc = ?3",
        &[same[0].clone(), same[1].clone(), same[2].clone(), now],
    )?;
    let payload = row_json(spec, row);
    let action = if change == DeclaredChange::Delete { "delete" } else { "upsert" };
    let values =
        [spec.name, &key, uscc, &region, action, &payload, evidence, &actor.name].map(|s| Value::Text(s.to_string()));
    let id = tx
        .insert(
            "INSERT INTO declaration (registry, record_key, uscc, region, action, payload, evidence, declared_by)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &values,
        )?
        .ok_or_else(|| StoreError::Conflict(format!("{}中「{key}」已有待核验的申报：请换一个编号", spec.label)))?;
    let note = format!(
        "申报{}：{} {key}；依据：{}",
        if change == DeclaredChange::Delete { "删除" } else { "新增或修改" },
        spec.label,
        if evidence.is_empty() { "未填写" } else { evidence }
    );
    let number = format!("#{id}");
    // The audit trail's actions are the table's (insert, update, delete, import): a
    // declaration is a row inserted into the declarations, its decision an update of it.
    append_audit(
        tx,
        actor,
        &AuditRecord {
            action: "insert",
            registry: "declarations",
            key: Some(&number),
            before: None,
            after: Some(&payload),
            note: Some(&note),
        },
    )?;
    by_id(tx, id, None)?.ok_or_else(|| StoreError::NotFound(format!("申报 #{id}")))
}

/// The record a pending declaration would change, as it stands.
fn current(
    c: &mut dyn Exec,
    d: &Declaration,
) -> Result<Option<serde_json::Map<String, serde_json::Value>>, StoreError> {
    let Some(spec) = registries::by_name(&d.registry) else { return Ok(None) };
    let Ok(row) = declared_row(spec, d) else { return Ok(None) };
    let Some(id) = find_id(c, spec, &row)? else { return Ok(None) };
    // Only the declarer's own record: another's is none of its business.
    let Some(now) = read_in_scope(c, spec, id, &Scope::Enterprise(d.uscc.clone()))? else { return Ok(None) };
    Ok(match serde_json::from_str(&row_json(spec, &now)) {
        Ok(serde_json::Value::Object(m)) => Some(m),
        _ => None,
    })
}

/// The declared record as a validated row (the payload holds what users read, which
/// validation accepts back).
fn declared_row(spec: &RegistrySpec, d: &Declaration) -> Result<Row, StoreError> {
    let cells: Vec<Option<&str>> = spec.fields.iter().map(|f| d.values.get(f.key).and_then(|v| v.as_str())).collect();
    periclase_domain::validate_row(spec, &cells).map_err(StoreError::Invalid)
}

/// Confirms (writing the record in `scope`) or rejects a pending declaration, inside a
/// transaction the caller commits.
pub(crate) fn decide(
    tx: &mut dyn Exec,
    id: i64,
    confirm: bool,
    note: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Declaration, StoreError> {
    let Some(d) = by_id(tx, id, Some(scope))? else {
        return Err(StoreError::NotFound(format!("没有编号为 {id} 的申报")));
    };
    if d.status != DeclarationStatus::Pending {
        return Err(StoreError::Conflict(format!("申报 #{id} 已处理（{}），不能再次处理", d.status.label())));
    }
    if confirm {
        apply(tx, &d, actor, scope)?;
    }
    let status = if confirm { DeclarationStatus::Confirmed } else { DeclarationStatus::Rejected };
    let now = tx.now()?;
    tx.execute(
        "UPDATE declaration SET status = ?1, decided_by = ?2, decided_at = ?5, decision_note = ?3 WHERE id = ?4",
        &[
            Value::Text(status.code().to_string()),
            Value::Text(actor.name.clone()),
            Value::Text(note.to_string()),
            Value::Int(id),
            now,
        ],
    )?;
    let key = format!("#{id}");
    let audit_note = format!(
        "{}：{} {}{}",
        status.label(),
        d.registry,
        d.record_key,
        if note.is_empty() { String::new() } else { format!("；意见：{note}") }
    );
    append_audit(
        tx,
        actor,
        &AuditRecord {
            action: "update",
            registry: "declarations",
            key: Some(&key),
            before: None,
            after: None,
            note: Some(&audit_note),
        },
    )?;
    by_id(tx, id, None)?.ok_or_else(|| StoreError::NotFound(key.clone()))
}

/// Writes what a declaration asks for, inside the confirmer's scope.
fn apply(tx: &mut dyn Exec, d: &Declaration, actor: &Actor, scope: &Scope) -> Result<(), StoreError> {
    let spec = registries::by_name(&d.registry)
        .ok_or_else(|| StoreError::BadQuery(format!("申报 #{} 指向未知的库「{}」", d.id, d.registry)))?;
    let row = declared_row(spec, d)?;
    let note = format!("核验申报 #{}（{} 申报）", d.id, d.declared_by);
    let existing = find_id(tx, spec, &row)?;
    // The record may have changed hands since it was declared: confirming must never touch
    // another enterprise's record.
    if let Some(id) = existing {
        if read_in_scope(tx, spec, id, &Scope::Enterprise(d.uscc.clone()))?.is_none() {
            return Err(StoreError::Conflict(format!(
                "{}中「{}」已是其他企业的记录，不能按此申报修改；请退回申报",
                spec.label, d.record_key
            )));
        }
    }
    let owner = spec.owner.and_then(|k| spec.index_of(k));
    if !owner.is_some_and(|i| matches!(&row[i], Value::Text(t) if *t == d.uscc)) {
        return Err(StoreError::Conflict(format!("申报 #{} 的记录不属于申报企业，请退回申报", d.id)));
    }
    match d.change {
        DeclaredChange::Upsert => {
            let mode = existing.map_or(SaveMode::Create, |id| SaveMode::Update { id });
            save_in(tx, spec, &row, mode, actor, scope, Some(&note))?;
        }
        DeclaredChange::Delete => {
            let Some(id) = existing else {
                return Err(StoreError::NotFound(format!("{}中已没有「{}」", spec.label, d.record_key)));
            };
            if !delete_in(tx, spec, id, actor, scope, Some(&note))? {
                return Err(StoreError::NotFound(format!("{}中没有「{}」", spec.label, d.record_key)));
            }
        }
    }
    Ok(())
}
