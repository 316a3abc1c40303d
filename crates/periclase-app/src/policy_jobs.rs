//! Policy batch runs started from the web, each on a thread of its own: at a million
//! enterprises a run takes seconds, so the page that starts one shows its progress and
//! refreshes itself until the archived run can be shown.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

#[derive(Debug, Clone)]
pub enum JobState {
    Running {
        stage: &'static str,
        started: Instant,
    },
    /// The archived run's id (a new one, or the identical earlier one).
    Done {
        run: i64,
        same_as_earlier: bool,
    },
    Failed(String),
}

#[derive(Debug, Default)]
pub struct Jobs {
    next: AtomicU64,
    /// Job id → (the account that started it, its state).
    jobs: Mutex<HashMap<u64, (i64, JobState)>>,
}

impl Jobs {
    pub fn start(&self, account: i64) -> u64 {
        let id = self.next.fetch_add(1, Ordering::Relaxed) + 1;
        let mut jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        // Old finished jobs are forgotten; their runs stay archived.
        if jobs.len() > 500 {
            jobs.retain(|_, (_, s)| matches!(s, JobState::Running { .. }));
        }
        jobs.insert(id, (account, JobState::Running { stage: "排队中", started: Instant::now() }));
        id
    }

    pub fn set(&self, id: u64, state: JobState) {
        if let Some(entry) = self.jobs.lock().unwrap_or_else(|e| e.into_inner()).get_mut(&id) {
            entry.1 = match (&entry.1, state) {
                (JobState::Running { started, .. }, JobState::Running { stage, .. }) => {
                    JobState::Running { stage, started: *started }
                }
                (_, other) => other,
            };
        }
    }

    /// The job's state, for the account that started it only.
    pub fn get(&self, id: u64, account: i64) -> Option<JobState> {
        let jobs = self.jobs.lock().unwrap_or_else(|e| e.into_inner());
        jobs.get(&id).filter(|(owner, _)| *owner == account).map(|(_, s)| s.clone())
    }
}
