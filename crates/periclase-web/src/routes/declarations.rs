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

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct Filter {
    /// pending、confirmed、rejected、superseded（或中文）
    #[serde(default)]
    pub status: String,
    /// 库英文名
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

/// 申报：企业看本企业的，主管部门看本辖区企业的
#[utoipa::path(get, path = "/api/declarations", operation_id = "declarations", params(Filter),
    responses(
        (status = 200, description = "申报记录，新的在前", body = Vec<Object>),
        (status = 400, description = "参数有误", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "无权查看申报", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn list(
    State(state): State<AppState>,
    session: Session,
    Query(f): Query<Filter>,
) -> Result<Json<Value>, ApiError> {
    let query = f.query(&session)?;
    let found = blocking(move || Ok(state.declarations.declarations(&query)?)).await?;
    Ok(Json(Value::Array(found.iter().map(declaration_json).collect())))
}

/// 一条申报
#[utoipa::path(get, path = "/api/declarations/{id}", operation_id = "declaration",
    params(("id" = i64, Path, description = "申报编号")),
    responses(
        (status = 200, description = "申报", body = Object),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "无权查看申报", body = crate::routes::openapi::ErrorBody),
        (status = 404, description = "不存在或不在本辖区", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn one(
    State(state): State<AppState>,
    session: Session,
    Path(id): Path<i64>,
) -> Result<Json<Value>, ApiError> {
    let scope = session.declarations_scope()?;
    let found = blocking(move || Ok(state.declarations.declaration(id, Some(&scope))?)).await?;
    found.map(|d| Json(declaration_json(&d))).ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的申报")))
}

#[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct Decision {
    /// 核验意见；退回时必填
    #[serde(default)]
    note: String,
}

/// What `POST /api/declarations/{id}/{action}` does (documentation only: the handler reads the
/// word and answers 404 in Chinese for any other).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum Action {
    /// 核验通过：写入台账
    Confirm,
    /// 退回申报（须写理由）
    Reject,
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

/// 核验通过（confirm：写入台账）或退回申报（reject：须写理由）
///
/// `confirm` or `reject`, as the path says.
#[utoipa::path(post, path = "/api/declarations/{id}/{action}", operation_id = "declaration_decide",
    params(
        ("id" = i64, Path, description = "申报编号"),
        ("action" = inline(Action), Path, description = "confirm=核验通过：写入台账，reject=退回申报（须写理由）"),
        crate::routes::openapi::Csrf,
    ),
    request_body(content = Option<Decision>, description = "核验意见"),
    responses(
        (status = 200, description = "处理后的申报", body = Object),
        (status = 400, description = "退回未写理由", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "无权核验或 CSRF 令牌错误", body = crate::routes::openapi::ErrorBody),
        (status = 404, description = "不存在或不在本辖区", body = crate::routes::openapi::ErrorBody),
        (status = 409, description = "已处理", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn decide_route(
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
