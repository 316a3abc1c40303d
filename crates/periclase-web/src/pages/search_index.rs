//! The search index for administrators: how many records it holds, whether the server's
//! indexer is busy or failing, and rebuilding it from every searched registry as a job of
//! the server's pool (its progress read from the job table; refreshed while it runs).

use axum::extract::State;
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_app::{search_jobs, search_sync};
use periclase_auth::Feature;
use periclase_domain::numbers::grouped;
use periclase_store::{Job, JobState};
use serde::Deserialize;

use super::declarations::beijing;
use super::{layout, PageSession};
use crate::{ApiError, AppState};

/// Rebuild jobs listed.
const SHOWN_JOBS: usize = 10;

pub async fn page(State(state): State<AppState>, s: PageSession) -> Result<Markup, ApiError> {
    s.0.may_use(Feature::SearchIndex)?;
    let (jobs, account, store) = (state.jobs.clone(), s.0.principal.account_id, state.store.clone());
    let (mine, readers) = crate::blocking(move || Ok((jobs.jobs(account, 50)?, store.search_readers()?))).await?;
    let own = state.search.reader();
    let rebuilds: Vec<Job> = mine.into_iter().filter(|j| j.kind == search_jobs::KIND).take(SHOWN_JOBS).collect();
    let open = rebuilds.iter().any(|j| j.state.is_open());
    let progress = state.search.progress();
    let docs = state.search.index().doc_count();
    let body = html! {
        @if open { meta http-equiv="refresh" content="2"; }
        h1 { "检索索引维护" }
        div.cards {
            div.card { div.n { (grouped(docs)) } div.l { "索引中的记录（条）" } }
        }
        @if progress.busy {
            p role="status" { "检索索引正在建立：" (grouped(progress.done)) " / " (grouped(progress.total)) " 条。" }
        }
        @if let Some(e) = &progress.error { div.alert.warn { "检索索引更新出错：" (e) } }
        div.panel {
            p {
                "检索索引随数据的每次写入自动更新（通常在1秒内）。更换词典、索引损坏或检索结果与数据明显不符时，可从全部数据重建："
                "重建期间检索照常可用，重建中发生的写入在重建完成后自动补入。"
            }
            form method="post" action="/search/index" {
                input type="hidden" name="csrf" value=(s.0.csrf);
                button.primary type="submit" disabled[open] { @if open { "重建进行中……" } @else { "重建检索索引" } }
            }
        }
        h2 { "各服务实例的检索索引" }
        p.muted { "每个服务实例各有一份检索索引，从数据库的变更队列分别更新；一周未读取的索引（已停用的实例）连同其队列自动移除，该实例再启动时重建索引。" }
        table {
            thead { tr { th { "服务器" } th { "最近读取（北京时间）" } th.num { "待更新（条）" } } }
            tbody {
                @for r in &readers {
                    tr {
                        td { (search_sync::host_of(&r.name)) @if r.name == own { "（本实例）" } }
                        td { (beijing(&r.seen_at)) }
                        td.num { (grouped(r.backlog)) }
                    }
                }
                @if readers.is_empty() { tr { td colspan="3" { "暂无：本实例的索引建立后即登记。" } } }
            }
        }
        @if !rebuilds.is_empty() {
            h2 { "重建记录" }
            table {
                thead { tr { th { "任务" } th { "开始时间（北京时间）" } th { "状态" } th { "情况" } } }
                tbody {
                    @for j in &rebuilds {
                        tr {
                            td { "任务 " (j.id) }
                            td { (beijing(j.started_at.as_deref().unwrap_or(&j.created_at))) }
                            td { (j.state.label()) }
                            td { (outcome(&state, j)) }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("检索索引维护", "search-index", &s.0.principal, &s.0.csrf, body))
}

/// What a rebuild job did or is doing, in words.
fn outcome(state: &AppState, j: &Job) -> String {
    match j.state {
        JobState::Queued => "等待空闲的后台线程".to_string(),
        JobState::Running => state.job_pool.stage(j.id).unwrap_or_else(|| j.stage.clone()),
        JobState::Done => match search_jobs::result(j) {
            Some(r) => format!("已重建，共 {} 条，用时 {} 秒", grouped(r.indexed), j.elapsed_secs.unwrap_or(0).max(0)),
            None => "已完成".to_string(),
        },
        JobState::Failed | JobState::Interrupted => {
            format!("{}可重新开始重建。", j.error.as_deref().unwrap_or("原因未记录。"))
        }
    }
}

#[derive(Deserialize)]
pub struct Start {
    csrf: String,
}

pub async fn start(State(state): State<AppState>, s: PageSession, Form(f): Form<Start>) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    s.0.may_use(Feature::SearchIndex)?;
    let (pool, service, store) = (state.job_pool.clone(), state.search.clone(), state.store.clone());
    let account = s.0.principal.account_id;
    crate::blocking(move || Ok(search_jobs::submit(&pool, service, store, account)?)).await?;
    Ok(Redirect::to("/search/index").into_response())
}
