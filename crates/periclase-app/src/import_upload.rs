//! Importing a file a user uploaded through the web: its preview (a dry run) and the import
//! itself, which runs as a job of the [`JobPool`] (see [`submit`]). Imports from the command
//! line call the store directly; an upload differs in the row limit of the uploader's role
//! and in reporting only the first rejected rows (the page shows them; the rest are counted).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use periclase_auth::{upload_row_limit, Role};
use periclase_domain::numbers::grouped;
use periclase_domain::{registries, ImportItem, ImportOptions, ImportOutcome, RegistrySpec, RowIssue, Scope};
use periclase_io::{open_import, ReadOptions};
use periclase_store::{Actor, ImportContext, Job, Store};

use crate::job_pool::JobPool;
use crate::AppError;

/// The job table's `kind` of a web import.
pub const KIND: &str = "import";

/// Rejected rows kept for the page; the rest are counted.
pub const SHOWN_ISSUES: usize = 200;

/// What an import of an upload did (or, previewed, would do).
#[derive(Debug, Clone, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ImportReport {
    pub outcome: ImportOutcome,
    /// The first [`SHOWN_ISSUES`] rejected rows.
    pub issues: Vec<RowIssue>,
    /// How many more there were.
    pub more_issues: u64,
}

/// A saved upload: where it is and what its user called it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Upload {
    /// The file's name inside the server's upload directory.
    pub stored: String,
    /// The name the user's file had (shown, never used as a path).
    pub file_name: String,
}

impl Upload {
    /// The file in `dir`, if its stored name is one the server could have made (letters,
    /// digits, '-' and one extension): a name read back from a job is never a path.
    pub fn path_in(&self, dir: &Path) -> Option<PathBuf> {
        let plain = !self.stored.is_empty()
            && self.stored.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.')
            && self.stored.matches('.').count() == 1
            && !self.stored.starts_with('.');
        plain.then(|| dir.join(&self.stored))
    }
}

/// A web import job's parameters: enough to start it again.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportJobParams {
    /// The registry's URL name.
    pub registry: String,
    pub upload: Upload,
    /// Import the valid rows and report the rest (else all or nothing).
    pub partial: bool,
}

impl ImportJobParams {
    pub fn spec(&self) -> Result<&'static RegistrySpec, AppError> {
        registries::ALL
            .iter()
            .copied()
            .find(|s| s.name == self.registry)
            .ok_or_else(|| AppError::NotFound(format!("没有名为「{}」的名录", self.registry)))
    }
}

/// Stops after `limit` data rows, noting whether the file had more.
struct RowCap<I> {
    inner: I,
    left: Option<usize>,
    over: bool,
}

impl<I: Iterator<Item = ImportItem>> Iterator for RowCap<I> {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        match &mut self.left {
            Some(0) => {
                self.over = self.over || self.inner.next().is_some();
                None
            }
            Some(n) => {
                *n -= 1;
                self.inner.next()
            }
            None => self.inner.next(),
        }
    }
}

/// Imports (or, with `opts.dry_run`, previews) the upload at `path` into `spec`, inside
/// `scope`. A file with more data rows than `role` may upload at once is refused; a file
/// that cannot be read is refused naming the user's file, never the server's path.
#[allow(clippy::too_many_arguments)]
pub fn import_upload(
    store: &dyn Store,
    spec: &'static RegistrySpec,
    path: &Path,
    upload: &Upload,
    role: Role,
    scope: &Scope,
    actor: &Actor,
    opts: ImportOptions,
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportReport, AppError> {
    let file_name = &upload.file_name;
    let source = open_import(path, spec, ReadOptions::default()).map_err(|e| {
        AppError::BadRequest(e.to_string().replace(&path.display().to_string(), &format!("「{file_name}」")))
    })?;
    let limit = upload_row_limit(role);
    let mut source = RowCap { inner: source, left: limit, over: false };
    let mut issues = Vec::new();
    let mut more_issues = 0u64;
    let ctx = ImportContext { opts, actor, scope: Some(scope), source: Some(file_name) };
    let mut on_issue = |i| {
        if issues.len() < SHOWN_ISSUES {
            issues.push(i);
        } else {
            more_issues += 1;
        }
    };
    let outcome = store.import(spec, &mut source, &ctx, &mut on_issue, on_progress)?;
    if source.over {
        return Err(AppError::BadRequest(format!(
            "「{file_name}」超过每次上传 {} 行数据的上限（{}），未导入；请分成几个文件上传，或请管理员导入",
            grouped(limit.unwrap_or_default() as u64),
            role.label()
        )));
    }
    Ok(ImportReport { outcome, issues, more_issues })
}

/// What the job needs besides its parameters: who runs it, inside what, from which directory.
pub struct Importer {
    pub store: Arc<dyn Store>,
    pub upload_dir: PathBuf,
    pub role: Role,
    pub scope: Scope,
    pub actor: Actor,
    pub account: i64,
}

impl std::fmt::Debug for Importer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Importer").field("role", &self.role).field("account", &self.account).finish_non_exhaustive()
    }
}

/// Queues the import of a saved upload; the job's id. The import is one transaction, so a
/// job stopped before its end (a kill, a restart) has written nothing, and its upload stays
/// until it is done (or expires), so it can be started again. A done import removes it.
pub fn submit(pool: &JobPool, params: ImportJobParams, who: Importer) -> Result<i64, AppError> {
    let spec = params.spec()?;
    let path = params
        .upload
        .path_in(&who.upload_dir)
        .filter(|p| p.exists())
        .ok_or_else(|| AppError::NotFound("找不到这次上传（可能已导入或已过期），请重新上传".to_string()))?;
    let json = serde_json::to_string(&params).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let opts = ImportOptions { partial: params.partial, dry_run: false };
    pool.submit(
        KIND,
        &json,
        who.account,
        Box::new(move |_job, on_stage| {
            on_stage("正在读取文件");
            let mut on_progress = |read: u64| on_stage(&format!("已读取 {} 行", grouped(read)));
            let report = import_upload(
                &*who.store,
                spec,
                &path,
                &params.upload,
                who.role,
                &who.scope,
                &who.actor,
                opts,
                &mut on_progress,
            )
            .map_err(|e| e.to_string())?;
            let _ = std::fs::remove_file(&path);
            serde_json::to_string(&report).map_err(|e| e.to_string())
        }),
    )
}

/// An import job's parameters, if it is one.
pub fn parameters(job: &Job) -> Option<ImportJobParams> {
    (job.kind == KIND).then(|| serde_json::from_str(&job.parameters).ok()).flatten()
}

/// A finished import job's report.
pub fn report(job: &Job) -> Option<ImportReport> {
    job.result.as_deref().and_then(|r| serde_json::from_str(r).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stored_name_read_back_is_never_a_path() {
        let dir = Path::new("/srv/uploads");
        let up = |stored: &str| Upload { stored: stored.to_string(), file_name: "x".to_string() };
        assert_eq!(up("ab12-cd34.xlsx").path_in(dir), Some(dir.join("ab12-cd34.xlsx")));
        for bad in ["../etc/passwd", "a/b.csv", "..csv", ".csv", "", "a.b.csv", "a b.csv", "/abs.csv"] {
            assert_eq!(up(bad).path_in(dir), None, "{bad}");
        }
    }
}
