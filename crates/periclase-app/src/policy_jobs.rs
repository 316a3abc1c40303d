//! Policy batch runs started from the web, as jobs of the [`JobPool`]: at a million
//! enterprises a run takes seconds, so the page that starts one shows its progress (read
//! from the job table) and refreshes itself until the archived run can be shown. The job
//! keeps the run's parameters, so an interrupted one can be started again as it was.

use std::sync::Arc;

use periclase_domain::policy_run::SavedRun;
use periclase_store::{Actor, Job, Store};

use crate::job_pool::JobPool;
use crate::policy_run::{run_policies, PolicyRunParams};
use crate::AppError;

/// The job table's `kind` of a policy run.
pub const KIND: &str = "policy_run";

/// A finished policy run job's result: the archived run (a new one, or the identical
/// earlier one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RunResult {
    pub run: i64,
    pub same_as_earlier: bool,
}

/// Queues a run with `params` (checked first: a policy or chain that does not exist is
/// refused before anything is queued) for `account`, archived under `actor`; the job's id.
pub fn submit(
    pool: &JobPool,
    store: Arc<dyn Store>,
    params: PolicyRunParams,
    account: i64,
    actor: Actor,
) -> Result<i64, AppError> {
    params.spec()?;
    let json = serde_json::to_string(&params).map_err(|e| AppError::BadRequest(e.to_string()))?;
    pool.submit(
        KIND,
        &json,
        account,
        Box::new(move |job, on_stage| {
            let spec = params.spec().map_err(|e| e.to_string())?;
            let run =
                run_policies(&*store, &spec, &actor, Some(job), &mut |s| on_stage(s)).map_err(|e| e.to_string())?;
            let result = match run.saved {
                SavedRun::New(run) => RunResult { run, same_as_earlier: false },
                SavedRun::SameAs(run) => RunResult { run, same_as_earlier: true },
            };
            serde_json::to_string(&result).map_err(|e| e.to_string())
        }),
    )
}

/// A policy run job's parameters, if it is one.
pub fn parameters(job: &Job) -> Option<PolicyRunParams> {
    (job.kind == KIND).then(|| serde_json::from_str(&job.parameters).ok()).flatten()
}

/// A finished policy run job's result.
pub fn result(job: &Job) -> Option<RunResult> {
    job.result.as_deref().and_then(|r| serde_json::from_str(r).ok())
}

#[cfg(test)]
mod tests {
    /// The store writes this result itself when a run saved for a job commits
    /// (`sqlite/policy_run.rs`); the job page must read it.
    #[test]
    fn the_result_the_store_writes_reads_back() {
        let r: super::RunResult = serde_json::from_str("{\"run\":3,\"same_as_earlier\":false}").unwrap();
        assert_eq!(r, super::RunResult { run: 3, same_as_earlier: false });
    }
}
