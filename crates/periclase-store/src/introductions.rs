//! 对接 records (migration 0012), written once for both stores over `portable::Exec`.

use periclase_domain::{RegistryId, Scope, Value};

use crate::audit::AuditRecord;
use crate::portable::{append_audit, Exec};
use crate::search::{Introduction, OUTCOMES};
use crate::{Actor, StoreError};

const COLUMNS: &str = "id, demand_code, achievement_code, outcome, note, actor, created_at, updated_at";

fn read(values: Vec<Value>) -> Introduction {
    let mut v = values.into_iter();
    let id = match v.next() {
        Some(Value::Int(id)) => id,
        _ => 0,
    };
    let mut text = || match v.next() {
        Some(Value::Text(s)) => s,
        Some(other) => other.to_string(),
        None => String::new(),
    };
    Introduction {
        id,
        demand: text(),
        achievement: text(),
        outcome: text(),
        note: text(),
        actor: text(),
        created_at: text(),
        updated_at: text(),
    }
}

fn by_id(x: &mut dyn Exec, id: i64) -> Result<Option<Introduction>, StoreError> {
    Ok(x.first(&format!("SELECT {COLUMNS} FROM introduction WHERE id = ?1"), &[Value::Int(id)])?.map(read))
}

fn check_outcome(outcome: &str) -> Result<(), StoreError> {
    if OUTCOMES.iter().any(|o| o.code == outcome) {
        return Ok(());
    }
    let known: Vec<String> = OUTCOMES.iter().map(|o| format!("{}（{}）", o.code, o.label)).collect();
    Err(StoreError::BadQuery(format!("对接结果「{outcome}」无效；可选：{}", known.join("、"))))
}

/// `<column> IN (…)` keeping introductions whose demand is inside `scope` (the asker's read
/// scope of demands: an official's region), or `true` when all are.
fn demand_condition(column: &str, scope: &Scope, params: &mut Vec<Value>) -> String {
    let demands = periclase_domain::registry(RegistryId::Demands);
    match crate::sql::scope_condition(demands, scope, params) {
        None => "true".to_string(),
        Some(cond) => format!("{column} IN (SELECT t.code FROM {} t WHERE {cond})", demands.table),
    }
}

pub(crate) fn introduce(
    x: &mut dyn Exec,
    demand: &str,
    achievement: &str,
    note: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Introduction, StoreError> {
    for (table, code, label) in [("demand", demand, "需求"), ("achievement", achievement, "成果")] {
        let q = format!("SELECT 1 FROM {table} WHERE code = ?1");
        if x.first(&q, &[Value::Text(code.to_string())])?.is_none() {
            return Err(StoreError::BadQuery(format!("没有编号为「{code}」的{label}")));
        }
    }
    // A demand outside the asker's region is as good as absent.
    let demands = periclase_domain::registry(RegistryId::Demands);
    let mut params = vec![Value::Text(demand.to_string())];
    if let Some(cond) = crate::sql::scope_condition(demands, scope, &mut params) {
        let q = format!("SELECT 1 FROM {} t WHERE t.code = ?1 AND {cond}", demands.table);
        if x.first(&q, &params)?.is_none() {
            return Err(StoreError::BadQuery(format!("没有编号为「{demand}」的需求")));
        }
    }
    let values = [demand, achievement, note, actor.name.as_str()].map(|s| Value::Text(s.to_string()));
    let id = x
        .insert(
            "INSERT INTO introduction (demand_code, achievement_code, note, actor) VALUES (?1, ?2, ?3, ?4)",
            &values,
        )?
        .ok_or_else(|| StoreError::Conflict("对接记录重复".to_string()))?;
    let key = format!("{demand}→{achievement}");
    let record = AuditRecord {
        action: "insert",
        registry: "introductions",
        key: Some(&key),
        before: None,
        after: None,
        note: Some(note),
    };
    append_audit(x, actor, &record)?;
    by_id(x, id)?.ok_or_else(|| StoreError::NotFound(format!("没有第 {id} 条对接记录")))
}

pub(crate) fn set_outcome(
    x: &mut dyn Exec,
    id: i64,
    outcome: &str,
    note: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Option<Introduction>, StoreError> {
    check_outcome(outcome)?;
    let now = x.now()?;
    let mut params = vec![Value::Int(id), Value::Text(outcome.to_string()), Value::Text(note.to_string()), now];
    let cond = demand_condition("demand_code", scope, &mut params);
    let changed = x.execute(
        &format!("UPDATE introduction SET outcome = ?2, note = ?3, updated_at = ?4 WHERE id = ?1 AND {cond}"),
        &params,
    )?;
    if changed == 0 {
        return Ok(None);
    }
    let Some(intro) = by_id(x, id)? else { return Ok(None) };
    let key = format!("{}→{}", intro.demand, intro.achievement);
    let record = AuditRecord {
        action: "update",
        registry: "introductions",
        key: Some(&key),
        before: None,
        after: Some(outcome),
        note: Some(note),
    };
    append_audit(x, actor, &record)?;
    Ok(Some(intro))
}

pub(crate) fn list(
    x: &mut dyn Exec,
    demand: Option<&str>,
    achievement: Option<&str>,
    scope: &Scope,
) -> Result<Vec<Introduction>, StoreError> {
    let mut params = Vec::new();
    let mut conds = Vec::new();
    for (column, value) in [("demand_code", demand), ("achievement_code", achievement)] {
        if let Some(v) = value {
            params.push(Value::Text(v.to_string()));
            conds.push(format!("{column} = ?{}", params.len()));
        }
    }
    conds.push(demand_condition("demand_code", scope, &mut params));
    let q = format!("SELECT {COLUMNS} FROM introduction WHERE {} ORDER BY id DESC LIMIT 500", conds.join(" AND "));
    Ok(x.rows(&q, &params)?.into_iter().map(read).collect())
}
