//! The job table (migration 0015).

use rusqlite::{params, Connection, OptionalExtension};

use crate::jobs::{Job, JobState, Jobs};
use crate::StoreError;

const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

const COLUMNS: &str = "id, kind, parameters, account, state, stage, created_at, started_at, finished_at, \
     CAST(round((julianday(coalesce(finished_at, 'now')) - julianday(started_at)) * 86400) AS INTEGER), \
     result, error";

fn read(r: &rusqlite::Row<'_>) -> rusqlite::Result<Job> {
    let state: String = r.get(4)?;
    Ok(Job {
        id: r.get(0)?,
        kind: r.get(1)?,
        parameters: r.get(2)?,
        account: r.get(3)?,
        state: JobState::parse(&state).unwrap_or(JobState::Failed),
        stage: r.get(5)?,
        created_at: r.get(6)?,
        started_at: r.get(7)?,
        finished_at: r.get(8)?,
        elapsed_secs: r.get(9)?,
        result: r.get(10)?,
        error: r.get(11)?,
    })
}

fn update(c: &Connection, sql: &str, params: impl rusqlite::Params) -> Result<bool, StoreError> {
    Ok(c.prepare_cached(sql)?.execute(params)? > 0)
}

impl Jobs for super::SqliteStore {
    fn create_job(&self, kind: &str, parameters: &str, account: i64) -> Result<i64, StoreError> {
        if parameters.len() > 4096 {
            return Err(StoreError::BadQuery(format!("任务参数过长：{} 字节，至多 4096 字节", parameters.len())));
        }
        self.with(|c| {
            c.prepare_cached("INSERT INTO job (kind, parameters, account, stage) VALUES (?1, ?2, ?3, '排队中')")?
                .execute(params![kind, parameters, account])?;
            Ok(c.last_insert_rowid())
        })
    }

    fn start_job(&self, id: i64, stage: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            update(
                c,
                &format!("UPDATE job SET state = 'running', stage = ?2, started_at = {NOW} WHERE id = ?1 AND state = 'queued'"),
                params![id, stage],
            )
        })
    }

    fn set_job_stage(&self, id: i64, stage: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            // Without waiting: while an import holds the write lock (a whole import is one
            // transaction) a stage is simply not recorded.
            c.busy_timeout(std::time::Duration::ZERO)?;
            let done = update(c, "UPDATE job SET stage = ?2 WHERE id = ?1 AND state = 'running'", params![id, stage]);
            c.busy_timeout(self.busy_timeout)?;
            match done {
                Err(e) if e.is_busy() => Ok(false),
                other => other,
            }
        })
    }

    fn finish_job(&self, id: i64, result: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            update(
                c,
                &format!(
                    "UPDATE job SET state = 'done', stage = '', result = ?2, finished_at = {NOW} \
                     WHERE id = ?1 AND state = 'running'"
                ),
                params![id, result],
            )
        })
    }

    fn fail_job(&self, id: i64, error: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            update(
                c,
                &format!(
                    "UPDATE job SET state = 'failed', error = ?2, finished_at = {NOW} \
                     WHERE id = ?1 AND state IN ('queued', 'running')"
                ),
                params![id, error],
            )
        })
    }

    fn job(&self, id: i64, account: i64) -> Result<Option<Job>, StoreError> {
        self.with(|c| {
            Ok(c.prepare_cached(&format!("SELECT {COLUMNS} FROM job WHERE id = ?1 AND account = ?2"))?
                .query_row(params![id, account], read)
                .optional()?)
        })
    }

    fn jobs(&self, account: i64, limit: u32) -> Result<Vec<Job>, StoreError> {
        self.with(|c| {
            let mut st =
                c.prepare_cached(&format!("SELECT {COLUMNS} FROM job WHERE account = ?1 ORDER BY id DESC LIMIT ?2"))?;
            let jobs = st.query_map(params![account, limit.min(1000)], read)?.collect::<Result<_, _>>()?;
            Ok(jobs)
        })
    }

    fn interrupt_unfinished_jobs(&self, reason: &str) -> Result<u64, StoreError> {
        self.with(|c| {
            let n = c
                .prepare_cached(&format!(
                    "UPDATE job SET state = 'interrupted', error = ?1, finished_at = {NOW} \
                     WHERE state IN ('queued', 'running')"
                ))?
                .execute([reason])?;
            Ok(n as u64)
        })
    }
}
