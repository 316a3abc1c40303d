//! Policy batch runs and the award ledger (migration 0008). A run is saved in one
//! transaction with its lines and, when it grants, its ledger rows: a once-only award
//! already in the ledger makes the whole save fail, so nothing is paid twice.

use std::collections::HashSet;
use std::fmt::Write;

use periclase_domain::policy_run::{LineResult, PolicyRunRecord, RunLineRecord, RunTotals, SavedRun, StoredRun};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::{Digest, Sha256};

use super::write::{append_audit, AuditRecord};
use crate::{Actor, StoreError};

/// SHA-256 over everything the run was given and found, in a fixed order.
pub(crate) fn fingerprint(run: &PolicyRunRecord) -> String {
    let mut h = Sha256::new();
    let mut feed = |s: &str| {
        h.update(s.as_bytes());
        h.update([0u8]);
    };
    feed(&run.eval_date);
    feed(&run.data_year.map(|y| y.to_string()).unwrap_or_default());
    feed(&run.region);
    feed(&run.chain);
    for (p, v) in &run.policies {
        feed(&format!("{p}@{v}"));
    }
    feed(if run.grant { "grant" } else { "preview" });
    for l in &run.lines {
        feed(&format!("{}|{}|{}|{:?}|{:?}|{}", l.policy, l.key, l.result.code(), l.amount, l.granted, l.note));
    }
    h.finalize().iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

pub(crate) fn save(c: &Connection, run: &PolicyRunRecord, actor: &Actor) -> Result<SavedRun, StoreError> {
    let tx = c.unchecked_transaction()?;
    let print = fingerprint(run);
    if !run.grant {
        let same: Option<i64> = tx
            .query_row("SELECT max(id) FROM policy_run WHERE fingerprint = ?1", [&print], |r| r.get(0))
            .optional()?
            .flatten();
        if let Some(id) = same {
            return Ok(SavedRun::SameAs(id));
        }
    }
    let policies = run.policies.iter().map(|(p, v)| format!("{p}@{v}")).collect::<Vec<_>>().join(",");
    let totals =
        serde_json::to_string(&run.totals).map_err(|e| StoreError::BadQuery(format!("运行合计无法保存：{e}")))?;
    tx.execute(
        "INSERT INTO policy_run (actor, eval_date, data_year, region, chain, policies, totals, granted, fingerprint)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![actor.name, run.eval_date, run.data_year, run.region, run.chain, policies, totals, run.grant, print],
    )?;
    let id = tx.last_insert_rowid();
    let mut line = tx.prepare_cached(
        "INSERT INTO policy_run_line (run_id, policy, subject, name, region, result, amount, granted, note)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?;
    let mut ledger = tx.prepare_cached(
        "INSERT INTO award_ledger (policy, subject, run_id, amount, basis) VALUES (?1, ?2, ?3, ?4, ?5)",
    )?;
    let mut paid = 0.0;
    for l in &run.lines {
        line.execute(params![id, l.policy, l.key, l.name, l.region, l.result.code(), l.amount, l.granted, l.note])?;
        if run.grant && l.once_only {
            if let Some(amount) = l.granted.filter(|g| *g > 0.0) {
                ledger.execute(params![l.policy, l.key, id, amount, l.basis]).map_err(|e| match e {
                    rusqlite::Error::SqliteFailure(f, _) if f.code == rusqlite::ErrorCode::ConstraintViolation => {
                        StoreError::Conflict(format!("「{}」的一次性奖补《{}》已入账，不能重复兑现", l.key, l.policy))
                    }
                    other => other.into(),
                })?;
                paid += amount;
            }
        }
    }
    drop((line, ledger));
    // The job the run was saved for is done with it, in the same transaction. The result is
    // what the web's job page reads (`periclase_app::policy_jobs::RunResult`).
    if let Some(job) = run.job {
        tx.execute(
            "UPDATE job SET state = 'done', stage = '', result = ?2,
                    finished_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now')
             WHERE id = ?1 AND state = 'running'",
            params![job, format!("{{\"run\":{id},\"same_as_earlier\":false}}")],
        )?;
    }
    let note = run_note(run, id, paid);
    let key = id.to_string();
    append_audit(
        &tx,
        actor,
        &AuditRecord {
            action: "insert",
            registry: "policy_run",
            key: Some(&key),
            before: None,
            after: None,
            note: Some(&note),
        },
    )?;
    tx.commit()?;
    Ok(SavedRun::New(id))
}

/// The audit note of an archived run (both stores).
pub(crate) fn run_note(run: &PolicyRunRecord, id: i64, paid: f64) -> String {
    format!(
        "政策批量运行 #{id}：评估日期 {}，{} 项政策，列出 {} 条{}",
        run.eval_date,
        run.policies.len(),
        run.lines.len(),
        if run.grant { format!("，兑现入账 {paid} 万元") } else { "（预览，未入账）".into() }
    )
}

/// (policy, subject) of every once-only award granted so far.
pub(crate) fn granted(c: &Connection) -> Result<HashSet<(String, String)>, StoreError> {
    let mut st = c.prepare_cached("SELECT policy, subject FROM award_ledger")?;
    let set = st.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?.collect::<Result<_, _>>()?;
    Ok(set)
}

/// A run's stored totals. Runs archived before a field existed still read (every field has a
/// default); a column that is not such a list is an error, never an empty list.
fn totals_of(json: String) -> rusqlite::Result<Vec<RunTotals>> {
    serde_json::from_str(&json)
        .map_err(|e| rusqlite::Error::FromSqlConversionFailure(7, rusqlite::types::Type::Text, Box::new(e)))
}

fn result_of(code: String) -> rusqlite::Result<LineResult> {
    LineResult::parse(&code).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            4,
            rusqlite::types::Type::Text,
            format!("未知的结果「{code}」").into(),
        )
    })
}

pub(crate) fn runs(c: &Connection, limit: u32) -> Result<Vec<StoredRun>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT r.id, r.created_at, r.actor, r.eval_date, r.data_year, r.region, r.policies, r.totals, r.granted,
                (SELECT count(*) FROM policy_run_line l WHERE l.run_id = r.id), r.chain
         FROM policy_run r ORDER BY r.id DESC LIMIT ?1",
    )?;
    let runs = st
        .query_map([limit], |r| {
            Ok(StoredRun {
                id: r.get(0)?,
                created_at: r.get(1)?,
                actor: r.get(2)?,
                eval_date: r.get(3)?,
                data_year: r.get(4)?,
                region: r.get(5)?,
                policies: r.get(6)?,
                totals: totals_of(r.get(7)?)?,
                granted: r.get(8)?,
                lines: r.get::<_, i64>(9)? as u64,
                chain: r.get(10)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(runs)
}

pub(crate) fn lines(c: &Connection, run: i64) -> Result<Vec<RunLineRecord>, StoreError> {
    let mut st = c.prepare_cached(
        "SELECT l.policy, l.subject, l.name, l.region, l.result, l.amount, l.granted, l.note,
                EXISTS (SELECT 1 FROM award_ledger a WHERE a.run_id = l.run_id AND a.policy = l.policy AND a.subject = l.subject),
                coalesce((SELECT a.basis FROM award_ledger a
                          WHERE a.run_id = l.run_id AND a.policy = l.policy AND a.subject = l.subject), '')
         FROM policy_run_line l WHERE l.run_id = ?1 ORDER BY l.policy, l.subject",
    )?;
    let lines = st
        .query_map([run], |r| {
            Ok(RunLineRecord {
                policy: r.get(0)?,
                key: r.get(1)?,
                name: r.get(2)?,
                region: r.get(3)?,
                result: result_of(r.get(4)?)?,
                amount: r.get(5)?,
                granted: r.get(6)?,
                note: r.get(7)?,
                once_only: r.get(8)?,
                basis: r.get(9)?,
            })
        })?
        .collect::<Result<_, _>>()?;
    Ok(lines)
}

/// The store's `PolicyStore` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::*;

    impl crate::PolicyStore for SqliteStore {
        fn subject_frame(&self, request: &FrameRequest) -> Result<SubjectFrame, StoreError> {
            self.with(|c| write::read_frame(c, request, crate::frame::LOOKUP_LIMIT))
        }

        fn save_policy_run(&self, run: &PolicyRunRecord, actor: &Actor) -> Result<SavedRun, StoreError> {
            self.with(|c| policy_run::save(c, run, actor))
        }

        fn granted_awards(&self) -> Result<HashSet<(String, String)>, StoreError> {
            self.with(|c| policy_run::granted(c))
        }

        fn policy_runs(&self, limit: u32) -> Result<Vec<StoredRun>, StoreError> {
            self.with(|c| policy_run::runs(c, limit))
        }

        fn policy_run_lines(&self, run: i64) -> Result<Vec<RunLineRecord>, StoreError> {
            self.with(|c| policy_run::lines(c, run))
        }
    }
}
