//! `GET /api/search` (every registry the caller may read), `GET /api/match/{registry}/{key}`
//! (a demand's achievements or an achievement's demands, explained), and 对接 records:
//! `GET|POST /api/introductions`, `PUT /api/introductions/{id}`.

use axum::extract::{Path, Query, State};
use axum::http::HeaderMap;
use axum::routing::{get, put};
use axum::{Json, Router};
use periclase_store::{Actor, Channel};
use serde_json::{json, Value};

use crate::auth::Session;
use crate::pages::search::{allowed, introduction_scope, matches_of, outcome_label, run_search, SearchParams};
use crate::{blocking, registry, ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/search", get(search))
        .route("/api/match/{registry}/{key}", get(matches))
        .route("/api/introductions", get(list_introductions).post(introduce))
        .route("/api/introductions/{id}", put(set_outcome))
}

/// 全文检索（所有可查看的库）
#[utoipa::path(get, path = "/api/search", operation_id = "search", params(SearchParams),
    responses(
        (status = 200, description = "total 与 hits（registry、key、title、snippet；marks 为高亮的字节区间）", body = Object),
        (status = 400, description = "检索词或筛选有误", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn search(
    State(state): State<AppState>,
    session: Session,
    Query(p): Query<SearchParams>,
) -> Result<Json<Value>, ApiError> {
    session.may_use(periclase_auth::Feature::Search)?;
    let found = run_search(&state, p.query(&session.principal)?).await?;
    Ok(Json(serde_json::to_value(found).map_err(|e| ApiError::Internal(e.to_string()))?))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct MatchParams {
    /// 条数（1–100，默认 10）
    limit: Option<usize>,
}

/// The registries `/api/match/{registry}/{key}` answers for (documentation only: the handler
/// takes the name and says in Chinese what cannot be matched).
#[derive(utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
#[allow(dead_code)]
pub(crate) enum Matchable {
    Demands,
    Achievements,
    Enterprises,
}

/// 产需对接：需求的匹配成果、成果的匹配需求，或企业适合的金融产品，逐条说明依据
#[utoipa::path(get, path = "/api/match/{registry}/{key}", operation_id = "match",
    params(
        ("registry" = inline(Matchable), Path, description = "需求库、成果库或企业库"),
        ("key" = String, Path, description = "需求或成果编号，或企业统一社会信用代码"),
        MatchParams,
    ),
    responses(
        (status = 200, description = "matches：key、title、score、reasons（结构化依据）、explanation（中文说明）", body = Object),
        (status = 400, description = "该库不可匹配", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "无权查看", body = crate::routes::openapi::ErrorBody),
        (status = 404, description = "不存在", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn matches(
    State(state): State<AppState>,
    session: Session,
    Path((name, key)): Path<(String, String)>,
    Query(p): Query<MatchParams>,
) -> Result<Json<Value>, ApiError> {
    let spec = registry(&name)?;
    let scope = session.may_read(spec)?;
    if spec.id == periclase_domain::RegistryId::Enterprises {
        let store = state.store.clone();
        let found = blocking(move || {
            periclase_app::finance_match::for_enterprise(store.as_ref(), &key, Some(&scope))?
                .map(|(_, f)| f)
                .ok_or_else(|| ApiError::NotFound(format!("{}中没有「{key}」", spec.label)))
        })
        .await?;
        return Ok(Json(json!({ "registry": spec.name, "target": "financial-products", "matches": found })));
    }
    let Some(target) = periclase_search::counterpart(spec) else {
        return Err(ApiError::BadRequest(format!("{}没有可匹配的对象（可匹配：需求库、成果库）", spec.label)));
    };
    if !allowed(&session.principal).iter().any(|(n, _)| n == target.name) {
        return Err(ApiError::Forbidden(format!("{}无权查看{}", session.principal.role.label(), target.label)));
    }
    let limit = p.limit.unwrap_or(10).clamp(1, 100);
    let st = state.clone();
    let found = blocking(move || {
        let rec = st
            .store
            .get(spec, &key, Some(&scope))?
            .ok_or_else(|| ApiError::NotFound(format!("{}中没有「{key}」", spec.label)))?;
        matches_of(&st, spec, &rec, limit, &session.principal)
    })
    .await?;
    let items: Vec<Value> = found
        .iter()
        .map(|m| {
            let why: Vec<String> = m.reasons.iter().map(|r| r.describe()).collect();
            json!({ "registry": m.registry, "key": m.key, "title": m.title, "score": m.score,
                    "reasons": m.reasons, "explanation": why })
        })
        .collect();
    Ok(Json(json!({ "registry": spec.name, "target": target.name, "matches": items })))
}

#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct IntroFilter {
    /// 需求编号
    demand: Option<String>,
    /// 成果编号
    achievement: Option<String>,
}

fn intro_json(i: &periclase_store::Introduction) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or_default();
    v["outcome_label"] = json!(outcome_label(&i.outcome));
    v
}

/// 对接记录（主管部门）
#[utoipa::path(get, path = "/api/introductions", operation_id = "introductions", params(IntroFilter),
    responses(
        (status = 200, description = "对接记录，新的在前", body = Vec<Object>),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "非主管部门", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn list_introductions(
    State(state): State<AppState>,
    session: Session,
    Query(f): Query<IntroFilter>,
) -> Result<Json<Value>, ApiError> {
    let scope = introduction_scope(&session.principal)?;
    let store = state.store.clone();
    let list =
        blocking(move || Ok(store.introductions(f.demand.as_deref(), f.achievement.as_deref(), &scope)?)).await?;
    Ok(Json(Value::Array(list.iter().map(intro_json).collect())))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct NewIntroduction {
    /// 需求编号
    demand: String,
    /// 成果编号
    achievement: String,
    /// 备注
    #[serde(default)]
    note: String,
}

/// 记录一次对接（引荐）
#[utoipa::path(post, path = "/api/introductions", operation_id = "introduce", params(crate::routes::openapi::Csrf),
    request_body = NewIntroduction,
    responses(
        (status = 200, description = "新的对接记录", body = Object),
        (status = 400, description = "需求或成果不存在", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "非主管部门或 CSRF 令牌错误", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn introduce(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Json(body): Json<NewIntroduction>,
) -> Result<Json<Value>, ApiError> {
    session.check_csrf(&headers)?;
    let scope = introduction_scope(&session.principal)?;
    let store = state.store.clone();
    let actor = Actor::new(session.principal.username.clone(), Channel::Api);
    let made = blocking(move || {
        Ok(store.introduce(body.demand.trim(), body.achievement.trim(), body.note.trim(), &actor, &scope)?)
    })
    .await?;
    Ok(Json(intro_json(&made)))
}

#[derive(Debug, serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct Outcome {
    /// 对接结果
    #[schema(schema_with = outcome_schema)]
    outcome: String,
    /// 备注
    #[serde(default)]
    note: String,
}

/// The outcomes the store accepts, from its list.
fn outcome_schema() -> utoipa::openapi::Object {
    utoipa::openapi::ObjectBuilder::new()
        .schema_type(utoipa::openapi::schema::Type::String)
        .enum_values(Some(periclase_store::INTRODUCTION_OUTCOMES.iter().map(|o| o.code)))
        .description(Some(
            periclase_store::INTRODUCTION_OUTCOMES
                .iter()
                .map(|o| format!("{}={}", o.code, o.label))
                .collect::<Vec<_>>()
                .join("，"),
        ))
        .build()
}

/// 更新对接结果
#[utoipa::path(put, path = "/api/introductions/{id}", operation_id = "introduction_outcome",
    params(("id" = i64, Path, description = "对接记录编号"), crate::routes::openapi::Csrf),
    request_body = Outcome,
    responses(
        (status = 200, description = "更新后的对接记录", body = Object),
        (status = 400, description = "结果无效", body = crate::routes::openapi::ErrorBody),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "非主管部门或 CSRF 令牌错误", body = crate::routes::openapi::ErrorBody),
        (status = 404, description = "不存在", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn set_outcome(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(id): Path<i64>,
    Json(body): Json<Outcome>,
) -> Result<Json<Value>, ApiError> {
    session.check_csrf(&headers)?;
    let scope = introduction_scope(&session.principal)?;
    let store = state.store.clone();
    let actor = Actor::new(session.principal.username.clone(), Channel::Api);
    let done = blocking(move || {
        store
            .set_introduction_outcome(id, &body.outcome, body.note.trim(), &actor, &scope)?
            .ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的对接记录")))
    })
    .await?;
    Ok(Json(intro_json(&done)))
}
