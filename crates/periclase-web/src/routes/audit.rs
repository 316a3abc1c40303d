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

#[derive(Debug, Deserialize)]
struct Params {
    registry: Option<String>,
    actor: Option<String>,
    key: Option<String>,
    before: Option<i64>,
    limit: Option<u32>,
}

async fn list(
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
