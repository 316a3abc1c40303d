//! Rebuilding the search index from every searched registry, started by an administrator
//! from the web as a job of the [`JobPool`] (after a dictionary or lexicon change, or to
//! recover from a damaged index). The rebuild and the server's indexer take turns on the
//! index's one writer; changes made during the rebuild reach the index through the outbox
//! afterwards. A rebuild stopped by a restart leaves the index as its last commit, and the
//! next catch-up, or a rebuild started again, brings it up to date.

use std::sync::Arc;

use periclase_domain::numbers::grouped;
use periclase_store::{Job, Store};

use crate::job_pool::JobPool;
use crate::search_sync::SearchService;
use crate::AppError;

/// The job table's `kind` of an index rebuild.
pub const KIND: &str = "search_rebuild";

/// What a finished rebuild wrote.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RebuildResult {
    /// Records in the rebuilt index.
    pub indexed: u64,
}

/// Queues a rebuild for `account`; the job's id.
pub fn submit(
    pool: &JobPool,
    service: Arc<SearchService>,
    store: Arc<dyn Store>,
    account: i64,
) -> Result<i64, AppError> {
    pool.submit(
        KIND,
        "{}",
        account,
        Box::new(move |_job, on_stage| {
            on_stage("正在统计记录数");
            let mut on_progress =
                |done: u64, total: u64| on_stage(&format!("已写入 {} / {} 条", grouped(done), grouped(total)));
            let synced = service.rebuild(&*store, &mut on_progress).map_err(|e| e.to_string())?;
            serde_json::to_string(&RebuildResult { indexed: synced.indexed }).map_err(|e| e.to_string())
        }),
    )
}

/// A finished rebuild's result, if `job` is one.
pub fn result(job: &Job) -> Option<RebuildResult> {
    (job.kind == KIND).then(|| job.result.as_deref().and_then(|r| serde_json::from_str(r).ok())).flatten()
}
