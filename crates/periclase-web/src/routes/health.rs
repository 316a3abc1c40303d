use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use periclase_domain::registries::ENTERPRISES;

use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/healthz", get(healthz))
}

/// 健康检查
#[utoipa::path(get, path = "/healthz", operation_id = "healthz", security(()),
    responses((status = 200, description = "运行正常", body = Object)))]
pub(crate) async fn healthz(State(state): State<AppState>) -> Result<Json<serde_json::Value>, ApiError> {
    let store = state.store.clone();
    let enterprises =
        tokio::task::spawn_blocking(move || store.count(&ENTERPRISES, &periclase_store::ListQuery::default()))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Json(serde_json::json!({ "status": "ok", "enterprises": enterprises })))
}
