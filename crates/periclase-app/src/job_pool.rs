//! A bounded pool of worker threads running background jobs, each recorded in the store's
//! job table ([`periclase_store::Jobs`]): a few workers fed by a bounded channel, so that at
//! most `workers` jobs run at once, at most `queue` more wait 'queued', and anything beyond
//! is refused instead of piling up threads. The row is written before the job is queued and
//! at every step after, so a page reading it — in this process or the next, after a kill —
//! can say what happened; a job this pool never ended is marked interrupted when the next
//! pool starts on the same database.

use std::collections::HashMap;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::mpsc::{sync_channel, Receiver, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use periclase_store::Jobs;

use crate::AppError;

/// The work of a job: reports its stages through the callback, answers its result (JSON) or
/// why it failed (Chinese).
/// It is given its own job id (a run saved for it marks it done in the same transaction).
pub type Work = Box<dyn FnOnce(i64, &mut dyn FnMut(&str)) -> Result<String, String> + Send>;

/// What a job left queued or running by a previous process says about itself.
pub const INTERRUPTED: &str = "服务在任务结束前停止（重启或被终止），任务未完成。";

/// Workers and waiting places of the server's pool: a policy run at provincial scale keeps
/// a core busy for seconds, and the machine has two.
pub const WORKERS: usize = 2;
pub const QUEUE: usize = 16;
/// How often a pool looks for the jobs of another instance that has stopped.
const SWEEP_EVERY: Duration = Duration::from_secs(5);

pub struct JobPool {
    jobs: Arc<dyn Jobs>,
    queue: SyncSender<(i64, Work)>,
    capacity: usize,
    /// The latest stage of each job running in this process. The table gets it too, but
    /// only when the database is free: an import holds the write lock until it commits.
    live: Live,
}

type Live = Arc<Mutex<HashMap<i64, String>>>;

impl std::fmt::Debug for JobPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("JobPool").field("capacity", &self.capacity).finish_non_exhaustive()
    }
}

impl JobPool {
    /// Marks the jobs a previous process left open interrupted, then starts `workers`
    /// threads taking jobs from a queue of `queue` places. One pool per database: a second
    /// one would take the first one's running jobs for leftovers.
    pub fn start(jobs: Arc<dyn Jobs>, workers: usize, queue: usize) -> JobPool {
        match jobs.interrupt_unfinished_jobs(INTERRUPTED) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "jobs left unfinished by a previous process marked interrupted"),
            Err(e) => tracing::error!(error = %e, "marking unfinished jobs interrupted failed"),
        }
        let (tx, rx) = sync_channel::<(i64, Work)>(queue);
        let rx = Arc::new(Mutex::new(rx));
        let live = Live::default();
        for i in 0..workers.max(1) {
            let (rx, jobs, live) = (rx.clone(), jobs.clone(), live.clone());
            let spawned = std::thread::Builder::new()
                .name(format!("periclase-job-{i}"))
                .spawn(move || worker(&rx, &*jobs, &live));
            if let Err(e) = spawned {
                tracing::error!(error = %e, "starting a job worker failed");
            }
        }
        sweep_abandoned(Arc::downgrade(&jobs));
        JobPool { jobs, queue: tx, capacity: queue, live }
    }

    /// What the job `id` is doing now, if it runs in this pool.
    pub fn stage(&self, id: i64) -> Option<String> {
        self.live.lock().unwrap_or_else(|e| e.into_inner()).get(&id).cloned()
    }

    /// Records a queued job of `kind` started by `account` with `parameters` (JSON) and
    /// queues `work` for it; its id. When every waiting place is taken the job is recorded
    /// as failed, with the reason, instead of queued: its page says so.
    pub fn submit(&self, kind: &str, parameters: &str, account: i64, work: Work) -> Result<i64, AppError> {
        let id = self.jobs.create_job(kind, parameters, account)?;
        match self.queue.try_send((id, work)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                let msg = format!("已有 {} 个后台任务在排队，本任务未开始，请稍后再试", self.capacity);
                self.jobs.fail_job(id, &msg)?;
            }
            Err(TrySendError::Disconnected(_)) => {
                self.jobs.fail_job(id, "后台任务线程已停止，本任务未开始；请重启服务")?;
            }
        }
        Ok(id)
    }
}

/// Every [`SWEEP_EVERY`], while the store lives: the jobs of an instance on the same
/// database that was killed are marked interrupted by the ones still running, so their pages
/// say so without waiting for a restart.
fn sweep_abandoned(jobs: std::sync::Weak<dyn Jobs>) {
    let spawned = std::thread::Builder::new().name("periclase-job-sweep".into()).spawn(move || loop {
        std::thread::sleep(SWEEP_EVERY);
        let Some(jobs) = jobs.upgrade() else { return };
        match jobs.interrupt_abandoned_jobs(INTERRUPTED) {
            Ok(0) => {}
            Ok(n) => tracing::warn!(jobs = n, "jobs of a stopped instance marked interrupted"),
            Err(e) => tracing::warn!(error = %e, "looking for jobs of stopped instances failed"),
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "starting the job sweeper failed");
    }
}

fn worker(rx: &Mutex<Receiver<(i64, Work)>>, jobs: &dyn Jobs, live: &Live) {
    loop {
        // The lock is held only while waiting for the next job, never while running one.
        let next = rx.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok((id, work)) = next else { return };
        run(jobs, id, work, live);
        live.lock().unwrap_or_else(|e| e.into_inner()).remove(&id);
    }
}

/// Store writes of a job's state are retried a few times: a long import may hold the
/// database for a while, and a job left 'running' would only be resolved by a restart.
fn retry(what: &str, id: i64, mut f: impl FnMut() -> Result<bool, periclase_store::StoreError>) -> bool {
    for attempt in 0..5 {
        match f() {
            Ok(changed) => return changed,
            Err(e) if e.is_busy() && attempt < 4 => std::thread::sleep(Duration::from_secs(1)),
            Err(e) => {
                tracing::error!(job = id, error = %e, "recording {what} failed");
                return false;
            }
        }
    }
    false
}

fn run(jobs: &dyn Jobs, id: i64, work: Work, live: &Live) {
    if !retry("a job's start", id, || jobs.start_job(id, "开始")) {
        let _ = jobs.fail_job(id, "任务未能开始：无法记录任务状态");
        return;
    }
    let mut on_stage = |stage: &str| {
        live.lock().unwrap_or_else(|e| e.into_inner()).insert(id, stage.to_string());
        if let Err(e) = jobs.set_job_stage(id, stage) {
            tracing::warn!(job = id, error = %e, "recording a job's stage failed");
        }
    };
    match catch_unwind(AssertUnwindSafe(|| work(id, &mut on_stage))) {
        Ok(Ok(result)) => {
            retry("a job's result", id, || jobs.finish_job(id, &result));
        }
        Ok(Err(error)) => {
            retry("a job's failure", id, || jobs.fail_job(id, &error));
        }
        Err(_) => {
            tracing::error!(job = id, "a job panicked");
            retry("a job's failure", id, || jobs.fail_job(id, "内部错误：任务意外终止，未保存任何结果"));
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::time::Instant;

    use periclase_store::{JobState, SqliteStore};

    use super::*;

    /// The real job table, in a fresh SQLite file (embedded: nothing to stand in for).
    fn table() -> (tempfile::TempDir, Arc<SqliteStore>) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("jobs.db")).unwrap();
        (dir, Arc::new(store))
    }

    /// Account 1's jobs' states, oldest first.
    fn states_of(table: &SqliteStore) -> Vec<JobState> {
        let mut jobs = table.jobs(1, 100).unwrap();
        jobs.sort_by_key(|j| j.id);
        jobs.iter().map(|j| j.state).collect()
    }

    fn wait_until(what: &str, mut f: impl FnMut() -> bool) {
        let start = Instant::now();
        while !f() {
            assert!(start.elapsed() < Duration::from_secs(10), "timed out waiting for {what}");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    /// Five jobs on two workers with two waiting places: two run, two wait 'queued', the
    /// fifth is refused (and recorded as failed); never more than two run at once; once
    /// released, every accepted job ends done, in the table.
    #[test]
    fn at_most_workers_jobs_run_at_once_the_rest_wait_queued_and_a_full_queue_refuses() {
        let (_dir, table) = table();
        table.create_job("policy_run", "{}", 1).unwrap();
        let pool = JobPool::start(table.clone(), 2, 2);
        assert_eq!(states_of(&table), [JobState::Interrupted], "a previous process's job is interrupted at start");

        let (running, most) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let gate = Arc::new(Mutex::new(()));
        let held = gate.lock().unwrap();
        let mut accepted = Vec::new();
        for n in 0..5 {
            let (now_running, most, gate) = (running.clone(), most.clone(), gate.clone());
            let work: Work = Box::new(move |_job, on_stage| {
                let now = now_running.fetch_add(1, Ordering::SeqCst) + 1;
                most.fetch_max(now, Ordering::SeqCst);
                on_stage("计算");
                drop(gate.lock().unwrap_or_else(|e| e.into_inner()));
                now_running.fetch_sub(1, Ordering::SeqCst);
                Ok(format!("{{\"n\":{n}}}"))
            });
            let id = pool.submit("policy_run", "{}", 1, work).unwrap();
            let job = table.job(id, 1).unwrap().unwrap();
            match job.state {
                JobState::Failed => assert!(job.error.as_deref().unwrap_or("").contains("排队"), "{job:?}"),
                _ => accepted.push(id),
            }
            if n < 2 {
                // The first two are taken by the workers before the next is submitted.
                wait_until("a worker to take the job", || running.load(Ordering::SeqCst) == n + 1);
            }
        }
        assert_eq!(accepted.len(), 4, "two running and two waiting; the fifth refused");
        let states = states_of(&table);
        assert_eq!(
            &states[1..],
            [JobState::Running, JobState::Running, JobState::Queued, JobState::Queued, JobState::Failed]
        );
        std::thread::sleep(Duration::from_millis(50));
        assert_eq!(running.load(Ordering::SeqCst), 2, "the queued jobs wait for a worker");
        drop(held);
        wait_until("every job to end", || states_of(&table)[1..5].iter().all(|s| *s == JobState::Done));
        assert_eq!(most.load(Ordering::SeqCst), 2);
        assert_eq!(table.job(accepted[3], 1).unwrap().unwrap().result.as_deref(), Some("{\"n\":3}"));
        assert_eq!(table.job(accepted[3], 2).unwrap(), None);
    }

    #[test]
    fn a_failing_or_panicking_job_is_recorded_as_failed_and_the_worker_goes_on() {
        let (_dir, table) = table();
        let pool = JobPool::start(table.clone(), 1, 4);
        let failing = pool.submit("k", "{}", 1, Box::new(|_, _| Err("没有数据".into()))).unwrap();
        let panicking = pool.submit("k", "{}", 1, Box::new(|_, _| panic!("boom"))).unwrap();
        let fine = pool.submit("k", "{}", 1, Box::new(|_, _| Ok("1".into()))).unwrap();
        wait_until("the last job", || table.job(fine, 1).unwrap().unwrap().state == JobState::Done);
        assert_eq!(table.job(failing, 1).unwrap().unwrap().error.as_deref(), Some("没有数据"));
        let p = table.job(panicking, 1).unwrap().unwrap();
        assert_eq!(p.state, JobState::Failed);
        assert!(p.error.unwrap().contains("内部错误"));
    }
}
