//! Background jobs: long operations (a policy batch run…) that a worker pool runs while the
//! page that started them shows their progress. Each job is a row, so what happened to it is
//! known after a restart too: a job a killed process left queued or running is marked
//! [`JobState::Interrupted`] by [`Jobs::interrupt_unfinished_jobs`] when the next one starts.

use crate::StoreError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobState {
    /// Waiting for a worker.
    Queued,
    Running,
    Done,
    Failed,
    /// The process running it stopped (killed, restarted) before it ended.
    Interrupted,
}

impl JobState {
    pub const ALL: [JobState; 5] =
        [JobState::Queued, JobState::Running, JobState::Done, JobState::Failed, JobState::Interrupted];

    pub fn code(self) -> &'static str {
        match self {
            JobState::Queued => "queued",
            JobState::Running => "running",
            JobState::Done => "done",
            JobState::Failed => "failed",
            JobState::Interrupted => "interrupted",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            JobState::Queued => "排队中",
            JobState::Running => "计算中",
            JobState::Done => "已完成",
            JobState::Failed => "未完成",
            JobState::Interrupted => "已中断",
        }
    }

    pub fn parse(s: &str) -> Option<JobState> {
        JobState::ALL.into_iter().find(|j| j.code() == s)
    }

    /// Queued or running: still to end.
    pub fn is_open(self) -> bool {
        matches!(self, JobState::Queued | JobState::Running)
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Job {
    pub id: i64,
    pub kind: String,
    /// What it was started with (JSON object).
    pub parameters: String,
    /// The account that started it.
    pub account: i64,
    pub state: JobState,
    /// What it is doing now (Chinese).
    pub stage: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub finished_at: Option<String>,
    /// Seconds since it started (or until it ended), by the database's clock.
    pub elapsed_secs: Option<i64>,
    /// What it produced (JSON), once done.
    pub result: Option<String>,
    /// Why it failed or was interrupted (Chinese).
    pub error: Option<String>,
}

/// The job table. Every transition is one statement; a transition from a state that does
/// not allow it (finishing a job already marked interrupted) changes nothing and answers
/// false.
pub trait Jobs: Send + Sync {
    /// A new queued job; its id.
    fn create_job(&self, kind: &str, parameters: &str, account: i64) -> Result<i64, StoreError>;

    /// Queued → running, at `stage`.
    fn start_job(&self, id: i64, stage: &str) -> Result<bool, StoreError>;

    /// A running job's stage. Never waits for the database: while another writer holds it
    /// (a long import), the stage is not recorded and the answer is false.
    fn set_job_stage(&self, id: i64, stage: &str) -> Result<bool, StoreError>;

    /// Running → done with `result` (JSON).
    fn finish_job(&self, id: i64, result: &str) -> Result<bool, StoreError>;

    /// Queued or running → failed, with the reason.
    fn fail_job(&self, id: i64, error: &str) -> Result<bool, StoreError>;

    /// The job `id` if `account` started it.
    fn job(&self, id: i64, account: i64) -> Result<Option<Job>, StoreError>;

    /// The newest `limit` jobs `account` started.
    fn jobs(&self, account: i64, limit: u32) -> Result<Vec<Job>, StoreError>;

    /// Marks every queued or running job interrupted (with the reason given), as a process
    /// that runs jobs does when it starts: whatever ran them before has stopped. How many.
    fn interrupt_unfinished_jobs(&self, reason: &str) -> Result<u64, StoreError>;

    /// While this process runs: marks interrupted the open jobs of other processes that have
    /// stopped (another instance on the same database, killed). How many. Only where the
    /// store can tell a live process's job from an abandoned one (PostgreSQL: no live
    /// instance holds its lock); elsewhere nothing.
    fn interrupt_abandoned_jobs(&self, _reason: &str) -> Result<u64, StoreError> {
        Ok(0)
    }
}
