//! A web import after it is confirmed: a job of the server's pool, whose page shows its
//! progress (read from the job table, refreshed every two seconds), then what it wrote and
//! which rows it rejected. An import stopped by a restart or a kill has written nothing (it
//! is one transaction); its page says so and starts it again from the same upload.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_app::import_upload::{self, ImportJobParams};
use periclase_store::{Job, JobState};
use serde::Deserialize;

use super::declarations::beijing;
use super::transfer::{counts, issues_table, submit_import, upload_dir};
use super::{layout, PageSession};
use crate::{registry, ApiError, AppState};

/// The import job `job` of this account, on registry `name`, which the user may still write.
async fn import_job(
    state: &AppState,
    s: &PageSession,
    name: &str,
    job: i64,
) -> Result<(Job, ImportJobParams), ApiError> {
    let spec = registry(name)?;
    s.0.may_write(spec)?;
    let (jobs, account) = (state.jobs.clone(), s.0.principal.account_id);
    let found = crate::blocking(move || Ok(jobs.job(job, account)?)).await?;
    found
        .and_then(|j| import_upload::parameters(&j).filter(|p| p.registry == spec.name).map(|p| (j, p)))
        .ok_or_else(|| ApiError::NotFound(format!("没有导入任务 {job}")))
}

pub async fn job(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, job)): Path<(String, i64)>,
) -> Result<Markup, ApiError> {
    let (found, params) = import_job(&state, &s, &name, job).await?;
    let spec = params.spec()?;
    let file_name = &params.upload.file_name;
    let back = html! { p { a href={ "/r/" (spec.name) } { "返回" (spec.label) } " · " a href={ "/r/" (spec.name) "/import" } { "重新上传" } } };
    let (title, body) = match found.state {
        JobState::Queued | JobState::Running => {
            let status = match found.state {
                JobState::Queued => "排队中：已有后台任务在进行，空出后即开始".to_string(),
                _ => {
                    let stage = state.job_pool.stage(found.id).unwrap_or(found.stage);
                    format!("{stage}，已用时 {} 秒", found.elapsed_secs.unwrap_or(0).max(0))
                }
            };
            let body = html! {
                meta http-equiv="refresh" content="2";
                h1 { "正在导入：" (file_name) }
                p role="status" { (status) "。本页每2秒自动刷新，完成后显示结果。" }
                progress {}
                p.muted { "导入在一个事务中进行：全部行处理完才一并写入，其间其他人看到的仍是导入前的数据。" }
            };
            ("正在导入", body)
        }
        JobState::Done => {
            let Some(report) = import_upload::report(&found) else {
                return Err(ApiError::Internal(format!("导入任务 {job} 已完成，但结果无法读取")));
            };
            let body = html! {
                h1 { "导入结果：" (file_name) }
                (counts(&report))
                @if report.outcome.committed {
                    div.alert.warn { "已写入（" (found.finished_at.as_deref().map(beijing).unwrap_or_default()) "）。每一条变更都记入了审计日志。" }
                } @else {
                    div.alert.bad { "没有写入任何数据：文件内容在预览之后发生了变化或有新的错误，请改正后重新上传。" }
                }
                (back)
                (issues_table(&report))
            };
            ("导入结果", body)
        }
        JobState::Failed | JobState::Interrupted => {
            let interrupted = found.state == JobState::Interrupted;
            let upload_kept = params.upload.path_in(&upload_dir(&state)?).is_some_and(|p| p.exists());
            let body = html! {
                h1 { @if interrupted { "导入已中断：" } @else { "导入未完成：" } (file_name) }
                p.alert.bad { (found.error.as_deref().unwrap_or("原因未记录")) }
                p { "没有写入任何数据：导入在一个事务中进行，只有全部行处理完时才一并写入，中断或失败的导入不会留下部分数据。" }
                @if upload_kept {
                    form method="post" action={ "/r/" (spec.name) "/import/jobs/" (found.id) "/again" } {
                        input type="hidden" name="csrf" value=(s.0.csrf);
                        button.primary type="submit" { "用同一文件重新导入" }
                    }
                } @else {
                    p { "上传的文件已不在服务器上（已过期），请重新上传。" }
                }
                (back)
            };
            (if interrupted { "导入已中断" } else { "导入未完成" }, body)
        }
    };
    Ok(layout::page(title, spec.name, &s.0.principal, &s.0.csrf, body))
}

#[derive(Deserialize)]
pub struct Again {
    csrf: String,
}

/// Starts an interrupted or failed import again from the same upload, as a new job.
pub async fn again(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, job)): Path<(String, i64)>,
    Form(f): Form<Again>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    let (found, params) = import_job(&state, &s, &name, job).await?;
    if !matches!(found.state, JobState::Failed | JobState::Interrupted) {
        return Ok(Redirect::to(&format!("/r/{name}/import/jobs/{job}")).into_response());
    }
    let job = submit_import(&state, &s, params).await?;
    Ok(Redirect::to(&format!("/r/{name}/import/jobs/{job}")).into_response())
}
