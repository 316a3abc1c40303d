//! Excel in and out from the browser: export the filtered list; upload a file, see what it
//! would change (new, updated, rejected with reasons), then confirm.

use std::io::Write;
use std::path::{Path as FsPath, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_app::import_upload::{self, import_upload, ImportJobParams, ImportReport, Importer, Upload};
use periclase_auth::{token, MAX_UPLOAD_BYTES};
use periclase_domain::{ImportOptions, RegistrySpec};
use periclase_io::{Exporter, Format};
use periclase_store::{Actor, Channel, StoreError};
use serde::Deserialize;

use super::{layout, PageSession};
use crate::params::{encode, ListParams};
use crate::{registry, ApiError, AppState};

/// Uploads never confirmed are removed after this long (checked whenever the directory is
/// used: each upload and export).
const UPLOAD_TTL: Duration = Duration::from_secs(24 * 60 * 60);
/// A file name as shown back (the browser sends it; it is not trusted to be short).
const FILE_NAME_CHARS: usize = 100;

/// This process's own directory under the system temp directory, for servers started without
/// [`AppState::with_upload_dir`] and for downloads that are unlinked at once.
fn process_dir() -> &'static PathBuf {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| {
        std::env::temp_dir().join(format!("periclase-{}-{}", std::process::id(), &token::new_token()[..16]))
    })
}

/// Makes `dir` (if need be) readable by this user only, and removes entries past [`UPLOAD_TTL`].
fn private_dir(dir: &FsPath) -> std::io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        builder.mode(0o700);
        builder.create(dir)?;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    #[cfg(not(unix))]
    builder.create(dir)?;
    for entry in std::fs::read_dir(dir)?.flatten() {
        let old =
            entry.metadata().and_then(|m| m.modified()).is_ok_and(|t| t.elapsed().is_ok_and(|age| age > UPLOAD_TTL));
        if old {
            let _ = std::fs::remove_file(entry.path());
        }
    }
    Ok(())
}

/// The upload directory of this server, private and swept of expired uploads.
pub(super) fn upload_dir(state: &AppState) -> Result<PathBuf, ApiError> {
    let dir = state.upload_dir.as_deref().cloned().unwrap_or_else(|| process_dir().clone());
    private_dir(&dir).map_err(internal)?;
    Ok(dir)
}

/// A new file only this user may read.
fn create_private(path: &FsPath) -> std::io::Result<std::fs::File> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    options.open(path)
}

/// A staged upload, removed when dropped unless kept (so every early return cleans up).
struct Staged(Option<PathBuf>);

impl Staged {
    fn keep(mut self) -> PathBuf {
        self.0.take().expect("kept once")
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

/// An over-size upload, answered in Chinese (not axum's English body-limit text).
fn too_large() -> Response {
    let message = format!(
        "文件超过 {} MB 的上传上限，未导入；请分成几个较小的文件上传，或请管理员用命令行 periclase import 导入",
        MAX_UPLOAD_BYTES >> 20
    );
    (StatusCode::PAYLOAD_TOO_LARGE, axum::Json(serde_json::json!({ "code": "payload_too_large", "message": message })))
        .into_response()
}

/// A table as an xlsx download: written to a file of its own (a random name, so two
/// downloads never share one), read back and removed.
pub(super) fn xlsx_download(
    title: &str,
    header: &[&str],
    rows: &[Vec<periclase_domain::Value>],
    file_name: &str,
) -> Result<axum::response::Response, crate::ApiError> {
    use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
    use axum::response::IntoResponse;
    let internal = |e: &dyn std::fmt::Display| crate::ApiError::Internal(e.to_string());
    let dir = process_dir();
    private_dir(dir).map_err(|e| internal(&e))?;
    let path = dir.join(format!("download-{}.xlsx", periclase_auth::token::new_token()));
    let written = periclase_io::write_table(&path, periclase_io::Format::Xlsx, title, header, rows);
    let bytes = written.map_err(|e| internal(&e)).and_then(|_| std::fs::read(&path).map_err(|e| internal(&e)));
    let _ = std::fs::remove_file(&path);
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        bytes?,
    )
        .into_response())
}

/// Uploads are named after the session that made them, so only that session can confirm
/// (an import job, once queued, belongs to the account: it can be started again from its page).
fn stored_name(s: &PageSession, token: &str, ext: &str) -> String {
    format!("{}-{token}.{ext}", &s.0.digest[..16])
}

fn internal(e: impl std::fmt::Display) -> ApiError {
    ApiError::Internal(e.to_string())
}

#[derive(Deserialize)]
pub struct ExportParams {
    format: Option<String>,
    #[serde(flatten)]
    filters: ListParams,
}

pub async fn export(
    State(state): State<AppState>,
    s: PageSession,
    Path(name): Path<String>,
    Query(p): Query<ExportParams>,
) -> Result<Response, ApiError> {
    let spec = registry(&name)?;
    let scope = s.0.may_read(spec)?;
    let private = s.0.principal.sees_private(spec);
    let format: Format = p.format.as_deref().unwrap_or("xlsx").parse().map_err(ApiError::BadRequest)?;
    let ext = if format == Format::Csv { "csv" } else { "xlsx" };
    let mut query = p.filters.query(spec, scope)?;
    query.after = None;
    let store = state.store.clone();
    let path = upload_dir(&state)?.join(format!("export-{}.{ext}", token::new_token()));
    let file = path.clone();
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        let mut out = Exporter::create(&file, format, spec).map_err(|e| ApiError::BadRequest(e.to_string()))?;
        // Private fields (an expert's contact) leave only for those who may see them.
        let blank: Vec<usize> =
            if private { vec![] } else { (0..spec.fields.len()).filter(|&i| spec.fields[i].private).collect() };
        store.export(spec, &query, &mut |row| {
            let shown;
            let row = if blank.is_empty() {
                row
            } else {
                let mut r = row.clone();
                blank.iter().for_each(|&i| r[i] = periclase_domain::Value::Null);
                shown = r;
                &shown
            };
            out.write_row(row).map_err(|e| StoreError::Sink(e.to_string()))
        })?;
        out.finish().map_err(|e| ApiError::BadRequest(e.to_string()))?;
        Ok(())
    })
    .await
    .map_err(internal)??;
    let handle = tokio::fs::File::open(&path).await.map_err(internal)?;
    // Unlinked now, streamed from the open handle: nothing is left behind.
    let _ = std::fs::remove_file(&path);
    let mime = if ext == "csv" {
        "text/csv; charset=utf-8"
    } else {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    };
    let filename = format!("{}.{ext}", spec.name);
    let disposition = format!("attachment; filename=\"{filename}\"; filename*=UTF-8''{}.{ext}", encode(spec.label));
    Ok((
        [(CONTENT_TYPE, mime.to_string()), (CONTENT_DISPOSITION, disposition)],
        Body::from_stream(tokio_util::io::ReaderStream::new(handle)),
    )
        .into_response())
}

pub async fn upload_form(s: PageSession, Path(name): Path<String>) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    s.0.may_write(spec)?;
    let body = html! {
        h1 { "导入" (spec.label) }
        div.panel {
            p { "支持 .xlsx、.xls、.ods、.csv（UTF-8 或 GBK）。表头可用中文（如“" (spec.fields[0].label) "”）或英文。上传后先预览：哪些新增、哪些更新、哪些有错误及原因；确认后才写入。" }
            form method="post" action={ "/r/" (spec.name) "/import" } enctype="multipart/form-data" {
                input type="hidden" name="csrf" value=(s.0.csrf);
                p { input type="file" name="file" accept=".xlsx,.xls,.ods,.csv" required; }
                button.primary type="submit" { "上传并预览" }
            }
        }
    };
    Ok(layout::page(&format!("导入{}", spec.label), spec.name, &s.0.principal, &s.0.csrf, body))
}

/// Previews the import of a saved upload (a dry run: nothing is written). A file with more
/// data rows than the user's role may upload at once is refused before anything can be
/// confirmed.
async fn preview(
    state: &AppState,
    s: &PageSession,
    spec: &'static RegistrySpec,
    path: PathBuf,
    upload: Upload,
) -> Result<ImportReport, ApiError> {
    let scope = s.0.may_write(spec)?;
    let store = state.store.clone();
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Import);
    let role = s.0.principal.role;
    let opts = ImportOptions { partial: true, dry_run: true };
    crate::blocking(move || Ok(import_upload(&*store, spec, &path, &upload, role, &scope, &actor, opts, &mut |_| {})?))
        .await
}

pub(super) fn issues_table(p: &ImportReport) -> Markup {
    html! {
        @if !p.issues.is_empty() {
            h2 { "被拒绝的行" }
            table {
                thead { tr { th { "工作表" } th.num { "行号" } th { "列" } th { "值" } th { "原因" } } }
                tbody {
                    @for i in &p.issues {
                        tr {
                            td { (i.location.sheet.as_deref().unwrap_or("")) }
                            td.num { (i.location.row) }
                            td { (i.column.as_deref().unwrap_or("")) }
                            td { (i.value) }
                            td { (i.reason) }
                        }
                    }
                }
            }
            @if p.more_issues > 0 { p.muted { "……另有 " (p.more_issues) " 个问题未列出。" } }
        }
    }
}

pub(super) fn counts(p: &ImportReport) -> Markup {
    let o = &p.outcome;
    html! {
        div.cards {
            div.card { div.n { (o.inserted) } div.l { "新增" } }
            div.card { div.n { (o.updated) } div.l { "更新" } }
            div.card { div.n { (o.unchanged) } div.l { "未变" } }
            div.card { div.n { (o.rejected) } div.l { "拒绝" } }
        }
    }
}

pub async fn upload(
    State(state): State<AppState>,
    s: PageSession,
    Path(name): Path<String>,
    mut multipart: Multipart,
) -> Result<Response, ApiError> {
    let spec = registry(&name)?;
    s.0.may_write(spec)?;
    let dir = upload_dir(&state)?;
    let mut csrf = None;
    let mut saved: Option<(String, String, String, Staged)> = None;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(too_large()),
            Err(e) => return Err(ApiError::BadRequest(format!("上传内容无法读取：{}", e.body_text()))),
        };
        match field.name() {
            Some("csrf") => csrf = Some(field.text().await.map_err(|e| ApiError::BadRequest(e.body_text()))?),
            Some("file") => {
                let file_name: String = field.file_name().unwrap_or("upload").chars().take(FILE_NAME_CHARS).collect();
                let ext = file_name.rsplit_once('.').map(|(_, e)| e.to_ascii_lowercase()).unwrap_or_default();
                if !matches!(ext.as_str(), "xlsx" | "xlsm" | "xls" | "ods" | "csv") {
                    return Err(ApiError::BadRequest(format!(
                        "不支持的文件类型「{file_name}」：请上传 .xlsx、.xls、.ods 或 .csv"
                    )));
                }
                // Streamed to a private file, counted as it comes: never whole in memory.
                let upload = token::new_token();
                let path = dir.join(stored_name(&s, &upload, &ext));
                let mut out = create_private(&path).map_err(internal)?;
                let staged = Staged(Some(path));
                let mut field = field;
                let mut size = 0usize;
                loop {
                    match field.chunk().await {
                        Ok(Some(chunk)) => {
                            size += chunk.len();
                            if size > MAX_UPLOAD_BYTES {
                                return Ok(too_large());
                            }
                            out.write_all(&chunk).map_err(internal)?;
                        }
                        Ok(None) => break,
                        Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => return Ok(too_large()),
                        Err(e) => return Err(ApiError::BadRequest(format!("上传失败：{}", e.body_text()))),
                    }
                }
                out.flush().map_err(internal)?;
                saved = Some((file_name, ext, upload, staged));
            }
            _ => {}
        }
    }
    s.0.check_csrf_value(csrf.as_deref().unwrap_or(""))?;
    let Some((file_name, ext, upload, staged)) = saved else {
        return Err(ApiError::BadRequest("请选择要导入的文件".to_string()));
    };
    let path = staged.0.clone().expect("staged");
    let stored = stored_name(&s, &upload, &ext);
    let preview = preview(&state, &s, spec, path, Upload { stored, file_name: file_name.clone() }).await?;
    // Kept for the confirmation (removed then, or once expired).
    staged.keep();
    let clean = preview.outcome.rejected == 0;
    let body = html! {
        h1 { "导入预览：" (file_name) }
        (counts(&preview))
        @if clean {
            div.alert.warn { "以上是确认后将发生的变更，尚未写入。" }
        } @else {
            div.alert.bad role="alert" { "有 " (preview.outcome.rejected) " 行无法导入（原因见下表），尚未写入任何数据。可以改正后重新上传，或只导入正确的行。" }
        }
        form method="post" action={ "/r/" (spec.name) "/import/confirm" } {
            input type="hidden" name="csrf" value=(s.0.csrf);
            input type="hidden" name="upload" value=(upload);
            input type="hidden" name="ext" value=(ext);
            input type="hidden" name="file_name" value=(file_name);
            @if clean {
                button.primary type="submit" name="mode" value="all" { "确认导入" }
            } @else {
                button type="submit" name="mode" value="partial" { "只导入正确的 " (preview.outcome.inserted + preview.outcome.updated) " 行" }
            }
            " " a href={ "/r/" (spec.name) "/import" } { "重新上传" }
        }
        (issues_table(&preview))
    };
    Ok(layout::page("导入预览", spec.name, &s.0.principal, &s.0.csrf, body).into_response())
}

#[derive(Deserialize)]
pub struct Confirm {
    csrf: String,
    upload: String,
    ext: String,
    file_name: String,
    mode: String,
}

/// Queues the import of a previewed upload as a background job and sends the user to its
/// page, which shows its progress and then its result.
pub async fn confirm(
    State(state): State<AppState>,
    s: PageSession,
    Path(name): Path<String>,
    Form(f): Form<Confirm>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    let spec = registry(&name)?;
    let safe = |v: &str| !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric());
    if !safe(&f.upload) || !safe(&f.ext) {
        return Err(ApiError::BadRequest("上传标识无效".to_string()));
    }
    let upload = Upload {
        stored: stored_name(&s, &f.upload, &f.ext),
        file_name: f.file_name.chars().take(FILE_NAME_CHARS).collect(),
    };
    let params = ImportJobParams { registry: spec.name.to_string(), upload, partial: f.mode == "partial" };
    let job = submit_import(&state, &s, params).await?;
    Ok(Redirect::to(&format!("/r/{}/import/jobs/{job}", spec.name)).into_response())
}

/// Queues an import job for the signed-in user, in their write scope.
pub(super) async fn submit_import(state: &AppState, s: &PageSession, params: ImportJobParams) -> Result<i64, ApiError> {
    let spec = params.spec()?;
    let who = Importer {
        store: state.store.clone(),
        upload_dir: upload_dir(state)?,
        role: s.0.principal.role,
        scope: s.0.may_write(spec)?,
        actor: Actor::new(s.0.principal.username.clone(), Channel::Import),
        account: s.0.principal.account_id,
    };
    let pool = state.job_pool.clone();
    crate::blocking(move || Ok(import_upload::submit(&pool, params, who)?)).await
}
