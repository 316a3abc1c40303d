//! Policy batch runs and the award ledger on PostgreSQL: a run, its lines and its ledger
//! entries in one transaction (lines and entries sent as arrays, one statement each), as on
//! SQLite; an award already in the ledger fails the whole save.

use std::collections::HashSet;

use periclase_domain::frame::{FrameRequest, SubjectFrame};
use periclase_domain::policy_run::{LineResult, PolicyRunRecord, RunLineRecord, RunTotals, SavedRun, StoredRun};
use postgres::error::SqlState;

use super::exec::Pg;
use super::PgStore;
use crate::audit::AuditRecord;
use crate::portable::append_audit;
use crate::sqlite::policy_run::fingerprint;
use crate::{Actor, PolicyStore, StoreError};

impl PolicyStore for PgStore {
    fn subject_frame(&self, request: &FrameRequest) -> Result<SubjectFrame, StoreError> {
        self.with(|c| {
            // One snapshot for every column of the frame.
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let frame = crate::frame::read(&mut Pg(&mut tx), request, crate::frame::LOOKUP_LIMIT)?;
            super::commit(tx)?;
            Ok(frame)
        })
    }

    fn save_policy_run(&self, run: &PolicyRunRecord, actor: &Actor) -> Result<SavedRun, StoreError> {
        let print = fingerprint(run);
        self.with(|c| {
            let mut tx = c.transaction()?;
            if !run.grant {
                let same: Option<i64> =
                    tx.query_one("SELECT max(id) FROM policy_run WHERE fingerprint = $1", &[&print])?.get(0);
                if let Some(id) = same {
                    return Ok(SavedRun::SameAs(id));
                }
            }
            let policies = run.policies.iter().map(|(p, v)| format!("{p}@{v}")).collect::<Vec<_>>().join(",");
            let totals = serde_json::to_string(&run.totals)
                .map_err(|e| StoreError::BadQuery(format!("运行合计无法保存：{e}")))?;
            let id: i64 = tx
                .query_one(
                    "INSERT INTO policy_run (actor, eval_date, data_year, region, chain, policies, totals, granted, fingerprint)
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
                    &[
                        &actor.name,
                        &run.eval_date,
                        &run.data_year,
                        &run.region,
                        &run.chain,
                        &policies,
                        &totals,
                        &i64::from(run.grant),
                        &print,
                    ],
                )?
                .get(0);
            let column = |f: &dyn Fn(&RunLineRecord) -> String| -> Vec<String> {
                run.lines.iter().map(f).collect()
            };
            let (policy, subject, name, region, result, note) = (
                column(&|l| l.policy.clone()),
                column(&|l| l.key.clone()),
                column(&|l| l.name.clone()),
                column(&|l| l.region.clone()),
                column(&|l| l.result.code().to_string()),
                column(&|l| l.note.clone()),
            );
            let amount: Vec<Option<f64>> = run.lines.iter().map(|l| l.amount).collect();
            let granted: Vec<Option<f64>> = run.lines.iter().map(|l| l.granted).collect();
            tx.execute(
                "INSERT INTO policy_run_line (run_id, policy, subject, name, region, result, amount, granted, note)
                 SELECT $1, * FROM unnest($2::text[], $3::text[], $4::text[], $5::text[], $6::text[],
                                          $7::float8[], $8::float8[], $9::text[])",
                &[&id, &policy, &subject, &name, &region, &result, &amount, &granted, &note],
            )?;
            let paid_lines: Vec<&RunLineRecord> = run
                .lines
                .iter()
                .filter(|l| run.grant && l.once_only && l.granted.is_some_and(|g| g > 0.0))
                .collect();
            let paid: f64 = paid_lines.iter().filter_map(|l| l.granted).sum();
            if !paid_lines.is_empty() {
                let policy: Vec<&str> = paid_lines.iter().map(|l| l.policy.as_str()).collect();
                let subject: Vec<&str> = paid_lines.iter().map(|l| l.key.as_str()).collect();
                let amount: Vec<f64> = paid_lines.iter().filter_map(|l| l.granted).collect();
                let basis: Vec<&str> = paid_lines.iter().map(|l| l.basis.as_str()).collect();
                // An award already paid is named, as on SQLite.
                let already = tx.query_opt(
                    "SELECT a.subject, a.policy FROM award_ledger a
                     JOIN unnest($1::text[], $2::text[]) AS n(policy, subject) ON n.policy = a.policy AND n.subject = a.subject
                     LIMIT 1",
                    &[&policy, &subject],
                )?;
                if let Some(r) = already {
                    let (key, p): (String, String) = (r.get(0), r.get(1));
                    return Err(StoreError::Conflict(format!("「{key}」的一次性奖补《{p}》已入账，不能重复兑现")));
                }
                tx.execute(
                    "INSERT INTO award_ledger (policy, subject, run_id, amount, basis)
                     SELECT n.policy, n.subject, $3, n.amount, n.basis
                     FROM unnest($1::text[], $2::text[], $4::float8[], $5::text[]) AS n(policy, subject, amount, basis)",
                    &[&policy, &subject, &id, &amount, &basis],
                )
                .map_err(|e| match e.code() {
                    // Paid by another run committed meanwhile.
                    Some(c) if *c == SqlState::UNIQUE_VIOLATION => {
                        StoreError::Conflict("名单中有一次性奖补刚由另一次运行入账，不能重复兑现；请重新计算".to_string())
                    }
                    _ => e.into(),
                })?;
            }
            // The job the run was saved for is done with it, in the same transaction.
            if let Some(job) = run.job {
                tx.execute(
                    "UPDATE job SET state = 'done', stage = '', result = $2, finished_at = periclase_now()
                     WHERE id = $1 AND state = 'running'",
                    &[&job, &format!("{{\"run\":{id},\"same_as_earlier\":false}}")],
                )?;
            }
            let note = crate::sqlite::policy_run::run_note(run, id, paid);
            let key = id.to_string();
            let record = AuditRecord {
                action: "insert",
                registry: "policy_run",
                key: Some(&key),
                before: None,
                after: None,
                note: Some(&note),
            };
            append_audit(&mut Pg(&mut tx), actor, &record)?;
            super::commit(tx)?;
            Ok(SavedRun::New(id))
        })
    }

    fn granted_awards(&self) -> Result<HashSet<(String, String)>, StoreError> {
        self.with(|c| {
            Ok(c.query("SELECT policy, subject FROM award_ledger", &[])?.iter().map(|r| (r.get(0), r.get(1))).collect())
        })
    }

    fn policy_runs(&self, limit: u32) -> Result<Vec<StoredRun>, StoreError> {
        self.with(|c| {
            let rows = c.query(
                "SELECT r.id, r.created_at, r.actor, r.eval_date, r.data_year, r.region, r.policies, r.totals, r.granted,
                        (SELECT count(*) FROM policy_run_line l WHERE l.run_id = r.id), r.chain
                 FROM policy_run r ORDER BY r.id DESC LIMIT $1",
                &[&i64::from(limit)],
            )?;
            rows.iter()
                .map(|r| {
                    let totals: String = r.get(7);
                    let totals: Vec<RunTotals> = serde_json::from_str(&totals)
                        .map_err(|e| StoreError::BadQuery(format!("第 {} 次运行的合计无法读取：{e}", r.get::<_, i64>(0))))?;
                    Ok(StoredRun {
                        id: r.get(0),
                        created_at: r.get(1),
                        actor: r.get(2),
                        eval_date: r.get(3),
                        data_year: r.get(4),
                        region: r.get(5),
                        policies: r.get(6),
                        totals,
                        granted: r.get::<_, i64>(8) != 0,
                        lines: r.get::<_, i64>(9) as u64,
                        chain: r.get(10),
                    })
                })
                .collect()
        })
    }

    fn policy_run_lines(&self, run: i64) -> Result<Vec<RunLineRecord>, StoreError> {
        self.with(|c| {
            let rows = c.query(
                "SELECT l.policy, l.subject, l.name, l.region, l.result, l.amount, l.granted, l.note,
                        EXISTS (SELECT 1 FROM award_ledger a WHERE a.run_id = l.run_id AND a.policy = l.policy AND a.subject = l.subject),
                        coalesce((SELECT a.basis FROM award_ledger a
                                  WHERE a.run_id = l.run_id AND a.policy = l.policy AND a.subject = l.subject), '')
                 FROM policy_run_line l WHERE l.run_id = $1 ORDER BY l.policy, l.subject",
                &[&run],
            )?;
            rows.iter()
                .map(|r| {
                    let code: String = r.get(4);
                    let result = LineResult::parse(&code)
                        .ok_or_else(|| StoreError::BadQuery(format!("未知的结果「{code}」")))?;
                    Ok(RunLineRecord {
                        policy: r.get(0),
                        key: r.get(1),
                        name: r.get(2),
                        region: r.get(3),
                        result,
                        amount: r.get(5),
                        granted: r.get(6),
                        note: r.get(7),
                        once_only: r.get(8),
                        basis: r.get(9),
                    })
                })
                .collect()
        })
    }
}
