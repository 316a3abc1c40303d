//! `GET /api/declarations` (an enterprise's own; an official's region's), `GET
//! /api/declarations/{id}`, `POST /api/declarations/{id}/confirm|reject` (JSON `{note}`;
//! officials in the enterprise's region, administrators). An enterprise declares through the
//! registry endpoints: its `POST`/`PUT`/`DELETE` on a fact a department holds answers 202
//! with the declaration.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};
use axum::{Json, Router};
use periclase_domain::registries;
use periclase_store::{Actor, Channel, Declaration, DeclarationQuery, DeclarationStatus};
use serde_json::{json, Value};

use crate::auth::Session;
use crate::{blocking, ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/declarations", get(list))
        .route("/api/declarations/{id}", get(one))
        .route("/api/declarations/{id}/{action}", post(decide_route))
}

pub(crate) fn declaration_json(d: &Declaration) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or_default();
    v["status_label"] = json!(d.status.label());
    v["registry_label"] = json!(registries::by_name(&d.registry).map_or(d.registry.as_str(), |s| s.label));
    v
}

#[derive(Debug, serde::Deserialize)]
pub(crate) struct Filter {
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub registry: String,
}

impl Filter {
    pub(crate) fn query(&self, session: &Session) -> Result<DeclarationQuery, ApiError> {
        let status = match self.status.trim() {
            "" => None,
            s => Some(DeclarationStatus::parse(s).ok_or_else(|| {
                ApiError::BadRequest(format!("状态「{s}」无效：可选 待核验、已核验、未通过、已被新申报替代"))
            })?),
        };
        let registry = match self.registry.trim() {
            "" => None,
            r => Some(crate::registry(r)?.name.to_string()),
        };
        Ok(DeclarationQuery { scope: Some(session.declarations_scope()?), status, registry, uscc: None, limit: None })
    }
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(f): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let query = f.query(&session)?;
    let found = blocking(move || Ok(state.declarations.declarations(&query)?)).await?;
    Ok(Json(Value::Array(found.iter().map(declaration_json).collect())))
}

async fn one(State(state): State<AppState>, session: Session, Path(id): Path<i64>) -> Result<Json<Value>, ApiError> {
    let scope = session.declarations_scope()?;
    let found = blocking(move || Ok(state.declarations.declaration(id, Some(&scope))?)).await?;
    found.map(|d| Json(declaration_json(&d))).ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的申报")))
}

#[derive(Debug, Default, serde::Deserialize)]
struct Decision {
    #[serde(default)]
    note: String,
}

/// Confirms or rejects: the scope is the one the table gives for confirming the declared
/// registry, so an official decides for their region's enterprises only.
pub(crate) async fn decide(
    state: AppState,
    session: Session,
    id: i64,
    confirm: bool,
    note: String,
    channel: Channel,
) -> Result<Declaration, ApiError> {
    let scope = session.declarations_scope()?;
    blocking(move || {
        let d = state
            .declarations
            .declaration(id, Some(&scope))?
            .ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的申报")))?;
        let spec = crate::registry(&d.registry)?;
        let confirm_scope = match session.principal.confirm_scope(spec) {
            periclase_domain::Scope::Nothing => {
                return Err(ApiError::Forbidden(format!(
                    "{}无权核验{}的申报",
                    session.principal.role.label(),
                    spec.label
                )))
            }
            s => s,
        };
        let actor = Actor::new(session.principal.username.clone(), channel);
        if !confirm && note.trim().is_empty() {
            return Err(ApiError::BadRequest("退回申报须写明理由，企业会看到它".into()));
        }
        Ok(state.declarations.decide(id, confirm, note.trim(), &actor, &confirm_scope)?)
    })
    .await
}

/// `confirm` or `reject`, as the path says.
async fn decide_route(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((id, action)): Path<(i64, String)>,
    body: Option<Json<Decision>>,
) -> Result<Json<Value>, ApiError> {
    session.check_csrf(&headers)?;
    let confirm = match action.as_str() {
        "confirm" => true,
        "reject" => false,
        other => return Err(ApiError::NotFound(format!("申报没有「{other}」这一处理：应为 confirm 或 reject"))),
    };
    let note = body.map(|b| b.0.note).unwrap_or_default();
    let d = decide(state, session, id, confirm, note, Channel::Api).await?;
    Ok(Json(declaration_json(&d)))
}
