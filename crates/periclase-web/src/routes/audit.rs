//! `GET /api/audit`: the audit trail, newest first, for administrators only.

use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use periclase_store::AuditQuery;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Session;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/audit", get(list))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Params {
    /// 只看此库（英文名）
    registry: Option<String>,
    /// 只看此用户的操作
    actor: Option<String>,
    /// 只看此记录（自然键）
    key: Option<String>,
    /// 上一页返回的 next_before：只看编号小于它的记录
    before: Option<i64>,
    /// 条数
    limit: Option<u32>,
}

/// 审计日志（省级管理员）
#[utoipa::path(get, path = "/api/audit", operation_id = "audit", params(Params),
    responses(
        (status = 200, description = "审计记录，新的在前", body = Object),
        (status = 400, description = "参数有误", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "非管理员", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<Params>,
) -> Result<Json<Value>, ApiError> {
    session.may_use(periclase_auth::Feature::Audit)?;
    let blank = |s: Option<String>| s.filter(|v| !v.trim().is_empty());
    let q = AuditQuery {
        registry: blank(p.registry),
        actor: blank(p.actor),
        record_key: blank(p.key),
        before_id: p.before,
        limit: p.limit,
    };
    let store = state.store.clone();
    let entries =
        tokio::task::spawn_blocking(move || store.audit(&q)).await.map_err(|e| ApiError::Internal(e.to_string()))??;
    let next = entries.last().map(|e| e.id);
    Ok(Json(json!({ "entries": entries, "next_before": next })))
}
