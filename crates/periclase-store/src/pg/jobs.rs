//! The job table on PostgreSQL (the same transitions as `sqlite/jobs.rs`).

use postgres::error::SqlState;

use super::PgStore;
use crate::jobs::{Job, JobState, Jobs};
use crate::StoreError;

const COLUMNS: &str = "id, kind, parameters, account, state, stage, created_at, started_at, finished_at, \
     round(extract(epoch FROM coalesce(finished_at::timestamptz, now()) - started_at::timestamptz))::bigint, \
     result, error";

fn read(r: &postgres::Row) -> Job {
    let state: String = r.get(4);
    Job {
        id: r.get(0),
        kind: r.get(1),
        parameters: r.get(2),
        account: r.get(3),
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        stage: r.get(5),
        created_at: r.get(6),
        started_at: r.get(7),
        finished_at: r.get(8),
        elapsed_secs: r.get(9),
        result: r.get(10),
        error: r.get(11),
    }
}

/// The advisory-lock key space of jobs (the job id is the second key).
const JOB_LOCKS: i32 = 0x7065_7269;

impl PgStore {
    /// Takes the job's advisory lock on a connection of its own, kept until the job ends.
    fn hold(&self, id: i64) -> Result<(), StoreError> {
        let key = i32::try_from(id).map_err(|_| StoreError::BadQuery(format!("任务编号 {id} 超出范围")))?;
        let holder = super::outside_runtime(|| {
            let mut holder = super::connect(&self.params)?;
            holder.execute("SELECT pg_advisory_lock($1, $2)", &[&JOB_LOCKS, &key])?;
            Ok(holder)
        })?;
        self.job_locks.lock().unwrap_or_else(|e| e.into_inner()).insert(id, holder);
        Ok(())
    }

    /// The job ended: its lock goes with its connection.
    fn release(&self, id: i64) {
        let holder = self.job_locks.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
        if let Some(holder) = holder {
            let _ = super::outside_runtime(|| {
                drop(holder);
                Ok(())
            });
        }
    }

    fn transition(&self, sql: &str, params: &[&(dyn postgres::types::ToSql + Sync)]) -> Result<bool, StoreError> {
        self.with(|c| Ok(c.execute(sql, params)? > 0))
    }
}

impl Jobs for PgStore {
    fn create_job(&self, kind: &str, parameters: &str, account: i64) -> Result<i64, StoreError> {
        if parameters.len() > 4096 {
            return Err(StoreError::BadQuery(format!("任务参数过长：{} 字节，至多 4096 字节", parameters.len())));
        }
        // The lock is taken before the row exists: another instance looking for abandoned
        // jobs never finds this one open and unheld.
        let id: i64 =
            self.with(|c| Ok(c.query_one("SELECT nextval(pg_get_serial_sequence('job', 'id'))", &[])?.get(0)))?;
        self.hold(id)?;
        let inserted = self.with(|c| {
            c.execute(
                "INSERT INTO job (id, kind, parameters, account, stage) VALUES ($1, $2, $3, $4, '排队中')",
                &[&id, &kind, &parameters, &account],
            )?;
            Ok(())
        });
        if let Err(e) = inserted {
            self.release(id);
            return Err(e);
        }
        Ok(id)
    }

    fn start_job(&self, id: i64, stage: &str) -> Result<bool, StoreError> {
        self.transition(
            "UPDATE job SET state = 'running', stage = $2, started_at = periclase_now() WHERE id = $1 AND state = 'queued'",
            &[&id, &stage],
        )
    }

    fn set_job_stage(&self, id: i64, stage: &str) -> Result<bool, StoreError> {
        // Without waiting, as on SQLite: a row another transaction holds keeps its stage.
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.batch_execute("SET LOCAL lock_timeout = 1")?;
            match tx.execute("UPDATE job SET stage = $2 WHERE id = $1 AND state = 'running'", &[&id, &stage]) {
                Ok(n) => {
                    super::commit(tx)?;
                    Ok(n > 0)
                }
                Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Ok(false),
                Err(e) => Err(e.into()),
            }
        })
    }

    fn finish_job(&self, id: i64, result: &str) -> Result<bool, StoreError> {
        let done = self.transition(
            "UPDATE job SET state = 'done', stage = '', result = $2, finished_at = periclase_now() \
             WHERE id = $1 AND state = 'running'",
            &[&id, &result],
        );
        // Whatever the answer (a run saved for the job already marked it done): it has ended.
        self.release(id);
        done
    }

    fn fail_job(&self, id: i64, error: &str) -> Result<bool, StoreError> {
        let failed = self.transition(
            "UPDATE job SET state = 'failed', error = $2, finished_at = periclase_now() \
             WHERE id = $1 AND state IN ('queued', 'running')",
            &[&id, &error],
        );
        self.release(id);
        failed
    }

    fn job(&self, id: i64, account: i64) -> Result<Option<Job>, StoreError> {
        self.with(|c| {
            let row =
                c.query_opt(&format!("SELECT {COLUMNS} FROM job WHERE id = $1 AND account = $2"), &[&id, &account])?;
            Ok(row.as_ref().map(read))
        })
    }

    fn jobs(&self, account: i64, limit: u32) -> Result<Vec<Job>, StoreError> {
        let limit = i64::from(limit.min(1000));
        self.with(|c| {
            let rows = c.query(
                &format!("SELECT {COLUMNS} FROM job WHERE account = $1 ORDER BY id DESC LIMIT $2"),
                &[&account, &limit],
            )?;
            Ok(rows.iter().map(read).collect())
        })
    }

    /// The jobs of instances that have gone since: the same rule, applied while running.
    fn interrupt_abandoned_jobs(&self, reason: &str) -> Result<u64, StoreError> {
        self.interrupt_unfinished_jobs(reason)
    }

    /// Only jobs no live instance holds: another server on the same database keeps its own.
    fn interrupt_unfinished_jobs(&self, reason: &str) -> Result<u64, StoreError> {
        self.with(|c| {
            let n = c.execute(
                "UPDATE job SET state = 'interrupted', error = $1, finished_at = periclase_now() \
                 WHERE state IN ('queued', 'running') AND pg_try_advisory_lock($2, id::int4)",
                &[&reason, &JOB_LOCKS],
            )?;
            c.execute("SELECT pg_advisory_unlock_all()", &[])?;
            Ok(n)
        })
    }
}
