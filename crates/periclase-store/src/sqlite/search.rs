//! The search outbox (migration 0011) and 对接 records (migration 0012).

use periclase_domain::{registries, RegistryId, RegistrySpec, Scope, Value};
use rusqlite::{params, Connection, OptionalExtension, Transaction};

use super::write::{append_audit, AuditRecord};
use super::{sql, Bind};
use crate::search::{Introduction, SearchPending, SearchRow, OUTCOMES};
use crate::{Actor, StoreError};

fn spec_of_table(table: &str) -> Option<&'static RegistrySpec> {
    registries::ALL.iter().copied().find(|s| s.table == table)
}

pub(crate) fn pending(c: &Connection, limit: u32) -> Result<SearchPending, StoreError> {
    let mut st = c.prepare_cached("SELECT seq, tbl, row_id FROM search_outbox ORDER BY seq LIMIT ?1")?;
    let mut rows = st.query([limit])?;
    let mut out = SearchPending::default();
    while let Some(r) = rows.next()? {
        out.upto = r.get(0)?;
        let table: String = r.get(1)?;
        // A table no searched registry has (renamed since): nothing to index.
        let Some(spec) = spec_of_table(&table) else { continue };
        match r.get::<_, Option<i64>>(2)? {
            None => {
                if !out.whole.iter().any(|s| s.id == spec.id) {
                    out.whole.push(spec);
                }
            }
            Some(id) => match out.rows.iter_mut().find(|(s, _)| s.id == spec.id) {
                Some((_, ids)) => ids.push(id),
                None => out.rows.push((spec, vec![id])),
            },
        }
    }
    for (spec, ids) in &mut out.rows {
        ids.sort_unstable();
        ids.dedup();
        let _ = spec;
    }
    // Rows of a table re-read whole need no reading on their own.
    let whole: Vec<RegistryId> = out.whole.iter().map(|s| s.id).collect();
    out.rows.retain(|(s, _)| !whole.contains(&s.id));
    Ok(out)
}

pub(crate) fn applied(c: &Connection, upto: i64) -> Result<(), StoreError> {
    c.execute("DELETE FROM search_outbox WHERE seq <= ?1", [upto])?;
    Ok(())
}

pub(crate) fn outbox_end(c: &Connection) -> Result<i64, StoreError> {
    Ok(c.query_row("SELECT coalesce(max(seq), 0) FROM search_outbox", [], |r| r.get(0))?)
}

/// Streams the rows (all, or those with `ids`) to `each`, enterprises with their tiers.
pub(crate) fn rows(
    c: &Connection,
    spec: &'static RegistrySpec,
    ids: Option<&[i64]>,
    each: &mut dyn FnMut(SearchRow<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let enterprises = spec.id == RegistryId::Enterprises;
    let select = sql::select_with(spec, enterprises.then_some("t.tiers"));
    let mut n = 0;
    let mut read = |st: &mut rusqlite::Statement<'_>, bind: Option<String>| -> Result<(), StoreError> {
        let mut rows = match &bind {
            Some(json) => st.query([json])?,
            None => st.query([])?,
        };
        while let Some(r) = rows.next()? {
            let row = super::read_row(spec, r, 1)?;
            let tiers = if enterprises {
                let bits: i64 = r.get::<_, Option<i64>>(1 + spec.fields.len())?.unwrap_or(0);
                registries::HONOURS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, o)| o.code)
                    .collect()
            } else {
                Vec::new()
            };
            each(SearchRow { id: r.get(0)?, row: &row, tiers })?;
            n += 1;
        }
        Ok(())
    };
    match ids {
        None => {
            let mut st = c.prepare(&format!("{select} ORDER BY t.id"))?;
            read(&mut st, None)?;
        }
        Some(ids) => {
            let mut st = c.prepare_cached(&format!("{select} WHERE t.id IN (SELECT value FROM json_each(?1))"))?;
            for chunk in ids.chunks(10_000) {
                let json = format!("[{}]", chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
                read(&mut st, Some(json))?;
            }
        }
    }
    Ok(n)
}

/// A bulk load into an empty table leaves one "whole table" entry instead of one per row.
pub(crate) fn suspend_outbox(tx: &Transaction<'_>, table: &str) -> Result<Option<String>, StoreError> {
    let name = format!("search_outbox_{table}_insert");
    let sql: Option<String> = tx
        .query_row("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1", [&name], |r| r.get(0))
        .optional()?;
    if sql.is_some() {
        tx.execute_batch(&format!("DROP TRIGGER {name}"))?;
    }
    Ok(sql)
}

pub(crate) fn resume_outbox(tx: &Transaction<'_>, table: &str, trigger_sql: &str) -> Result<(), StoreError> {
    tx.execute("INSERT INTO search_outbox (tbl, row_id) VALUES (?1, NULL)", [table])?;
    tx.execute_batch(trigger_sql)?;
    Ok(())
}

const INTRO_COLUMNS: &str = "id, demand_code, achievement_code, outcome, note, actor, created_at, updated_at";

fn read_intro(r: &rusqlite::Row<'_>) -> rusqlite::Result<Introduction> {
    Ok(Introduction {
        id: r.get(0)?,
        demand: r.get(1)?,
        achievement: r.get(2)?,
        outcome: r.get(3)?,
        note: r.get(4)?,
        actor: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

fn check_outcome(outcome: &str) -> Result<(), StoreError> {
    if OUTCOMES.iter().any(|o| o.code == outcome) {
        return Ok(());
    }
    let known: Vec<String> = OUTCOMES.iter().map(|o| format!("{}（{}）", o.code, o.label)).collect();
    Err(StoreError::BadQuery(format!("对接结果「{outcome}」无效；可选：{}", known.join("、"))))
}

/// `demand_code IN (…)` keeping introductions whose demand is inside `scope` (the asker's
/// read scope of demands: an official's region), or nothing when all are.
fn demand_condition(scope: &Scope, params: &mut Vec<Value>) -> String {
    let demands = periclase_domain::registry(periclase_domain::RegistryId::Demands);
    match crate::sql::scope_condition(demands, scope, params) {
        None => "1".to_string(),
        Some(cond) => format!("demand_code IN (SELECT t.code FROM {} t WHERE {cond})", demands.table),
    }
}

pub(crate) fn introduce(
    c: &Connection,
    demand: &str,
    achievement: &str,
    note: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Introduction, StoreError> {
    let tx = c.unchecked_transaction()?;
    for (table, code, label) in [("demand", demand, "需求"), ("achievement", achievement, "成果")] {
        let found: bool =
            tx.query_row(&format!("SELECT EXISTS (SELECT 1 FROM {table} WHERE code = ?1)"), [code], |r| r.get(0))?;
        if !found {
            return Err(StoreError::BadQuery(format!("没有编号为「{code}」的{label}")));
        }
    }
    // A demand outside the asker's region is as good as absent.
    let mut params = vec![Value::Text(demand.to_string())];
    let cond = demand_condition(scope, &mut params);
    let q = format!("SELECT EXISTS (SELECT 1 WHERE ?1 = ?1 AND {})", cond.replace("demand_code", "?1"));
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    if !tx.query_row(&q, rusqlite::params_from_iter(binds.iter()), |r| r.get::<_, bool>(0))? {
        return Err(StoreError::BadQuery(format!("没有编号为「{demand}」的需求")));
    }
    tx.execute(
        "INSERT INTO introduction (demand_code, achievement_code, note, actor) VALUES (?1, ?2, ?3, ?4)",
        params![demand, achievement, note, actor.name],
    )?;
    let id = tx.last_insert_rowid();
    let key = format!("{demand}→{achievement}");
    append_audit(
        &tx,
        actor,
        &AuditRecord {
            action: "insert",
            registry: "introductions",
            key: Some(&key),
            before: None,
            after: None,
            note: Some(note),
        },
    )?;
    let intro = tx.query_row(&format!("SELECT {INTRO_COLUMNS} FROM introduction WHERE id = ?1"), [id], read_intro)?;
    tx.commit()?;
    Ok(intro)
}

pub(crate) fn set_outcome(
    c: &Connection,
    id: i64,
    outcome: &str,
    note: &str,
    actor: &Actor,
    scope: &Scope,
) -> Result<Option<Introduction>, StoreError> {
    check_outcome(outcome)?;
    let tx = c.unchecked_transaction()?;
    let mut params = vec![Value::Int(id), Value::Text(outcome.to_string()), Value::Text(note.to_string())];
    let cond = demand_condition(scope, &mut params);
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    let changed = tx.execute(
        &format!(
            "UPDATE introduction SET outcome = ?2, note = ?3, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') \
             WHERE id = ?1 AND {cond}"
        ),
        rusqlite::params_from_iter(binds.iter()),
    )?;
    if changed == 0 {
        return Ok(None);
    }
    let intro = tx.query_row(&format!("SELECT {INTRO_COLUMNS} FROM introduction WHERE id = ?1"), [id], read_intro)?;
    let key = format!("{}→{}", intro.demand, intro.achievement);
    append_audit(
        &tx,
        actor,
        &AuditRecord {
            action: "update",
            registry: "introductions",
            key: Some(&key),
            before: None,
            after: Some(outcome),
            note: Some(note),
        },
    )?;
    tx.commit()?;
    Ok(Some(intro))
}

pub(crate) fn introductions(
    c: &Connection,
    demand: Option<&str>,
    achievement: Option<&str>,
    scope: &Scope,
) -> Result<Vec<Introduction>, StoreError> {
    let text = |v: Option<&str>| v.map_or(Value::Null, |s| Value::Text(s.to_string()));
    let mut params = vec![text(demand), text(achievement)];
    let cond = demand_condition(scope, &mut params);
    let mut st = c.prepare_cached(&format!(
        "SELECT {INTRO_COLUMNS} FROM introduction WHERE (?1 IS NULL OR demand_code = ?1) \
         AND (?2 IS NULL OR achievement_code = ?2) AND {cond} ORDER BY id DESC LIMIT 500"
    ))?;
    let binds: Vec<Bind> = params.iter().map(Bind).collect();
    let out = st.query_map(rusqlite::params_from_iter(binds.iter()), read_intro)?.collect::<Result<Vec<_>, _>>()?;
    Ok(out)
}

/// The store's `SearchOutbox` and `Introductions` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::*;

    impl crate::SearchOutbox for SqliteStore {
        fn search_pending(&self, limit: u32) -> Result<crate::SearchPending, StoreError> {
            self.with(|c| search::pending(c, limit))
        }

        fn search_applied(&self, upto: i64) -> Result<(), StoreError> {
            self.with(|c| search::applied(c, upto))
        }

        fn search_outbox_end(&self) -> Result<i64, StoreError> {
            self.with(|c| search::outbox_end(c))
        }

        fn search_rows(
            &self,
            spec: &'static RegistrySpec,
            ids: Option<&[i64]>,
            each: &mut dyn FnMut(crate::SearchRow<'_>) -> Result<(), StoreError>,
        ) -> Result<u64, StoreError> {
            self.with(|c| search::rows(c, spec, ids, each))
        }
    }

    impl crate::Introductions for SqliteStore {
        fn introduce(
            &self,
            demand: &str,
            achievement: &str,
            note: &str,
            actor: &Actor,
            scope: &Scope,
        ) -> Result<crate::Introduction, StoreError> {
            self.with(|c| search::introduce(c, demand, achievement, note, actor, scope))
        }

        fn set_introduction_outcome(
            &self,
            id: i64,
            outcome: &str,
            note: &str,
            actor: &Actor,
            scope: &Scope,
        ) -> Result<Option<crate::Introduction>, StoreError> {
            self.with(|c| search::set_outcome(c, id, outcome, note, actor, scope))
        }

        fn introductions(
            &self,
            demand: Option<&str>,
            achievement: Option<&str>,
            scope: &Scope,
        ) -> Result<Vec<crate::Introduction>, StoreError> {
            self.with(|c| search::introductions(c, demand, achievement, scope))
        }
    }
}
