//! `GET /api/registries`, `GET /api/{registry}` (filtered, keyset-paged list) and
//! `GET /api/{registry}/{key}` (one row, with the rows that hang off it).

use axum::extract::{Path, Query, State};
use axum::routing::get;
use axum::{Json, Router};
use periclase_domain::{registries, FieldKind, RegistrySpec, Scope};
use periclase_store::ListQuery;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::Session;
use crate::json::record;
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/registries", get(list_registries))
        .route("/api/{registry}", get(list))
        .route("/api/{registry}/{key}", get(detail))
}

fn registry(name: &str) -> Result<&'static RegistrySpec, ApiError> {
    registries::ALL
        .iter()
        .find(|s| s.name == name)
        .copied()
        .ok_or_else(|| ApiError::NotFound(format!("没有名为「{name}」的库")))
}

async fn blocking<T: Send + 'static>(f: impl FnOnce() -> Result<T, ApiError> + Send + 'static) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

async fn list_registries(_session: Session) -> Json<Value> {
    let items: Vec<Value> = registries::ALL
        .iter()
        .map(|s| {
            let fields: Vec<Value> = s
                .fields
                .iter()
                .filter(|f| !f.private)
                .map(|f| json!({ "key": f.key, "label": f.label, "required": f.required }))
                .collect();
            json!({ "name": s.name, "label": s.label, "natural_key": s.natural_key, "fields": fields })
        })
        .collect();
    Json(Value::Array(items))
}

#[derive(Debug, Deserialize)]
struct ListParams {
    q: Option<String>,
    region: Option<String>,
    tier: Option<String>,
    year: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

fn parse_num<T: std::str::FromStr>(name: &str, v: Option<String>) -> Result<Option<T>, ApiError> {
    match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| ApiError::BadRequest(format!("参数 {name}「{s}」应为整数"))),
    }
}

/// What `session` may read of `spec`; refuses outright when that is nothing.
fn read_scope(session: &Session, spec: &RegistrySpec) -> Result<Scope, ApiError> {
    match session.principal.read_scope(spec) {
        Scope::Nothing => Err(ApiError::Forbidden(format!("{}无权查看{}", session.principal.role.label(), spec.label))),
        scope => Ok(scope),
    }
}

async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let spec = registry(&name)?;
    let scope = read_scope(&session, spec)?;
    let query = ListQuery {
        q: p.q,
        region: p.region,
        tier: p.tier,
        year: parse_num("year", p.year)?,
        after: parse_num("after", p.after)?,
        limit: parse_num("limit", p.limit)?,
        scope: Some(scope),
    };
    let store = state.store.clone();
    let page = blocking(move || Ok(store.list(spec, &query)?)).await?;
    let records: Vec<Value> = page.records.iter().map(|r| record(spec, r)).collect();
    Ok(Json(json!({
        "registry": spec.name,
        "label": spec.label,
        "total": page.total,
        "next": page.next,
        "records": records,
    })))
}

async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path((name, key)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let spec = registry(&name)?;
    let scope = read_scope(&session, spec)?;
    let store = state.store.clone();
    blocking(move || {
        // Outside the asker's scope looks the same as absent: no hint that the row exists.
        let Some(rec) = store.get(spec, &key, Some(&scope))? else {
            return Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)));
        };
        let mut out = record(spec, &rec);
        // Rows of other registries that hang off this one (an enterprise's figures…).
        for child in registries::ALL
            .iter()
            .filter(|c| c.fields.iter().any(|f| f.kind == FieldKind::Ref(spec.id) && c.natural_key.contains(&f.key)))
        {
            let rows = store.children(spec, rec.id, child)?;
            let list: Vec<Value> = rows.iter().map(|r| record(child, r)).collect();
            out[child.name] = Value::Array(list);
        }
        Ok(Json(out))
    })
    .await
}
