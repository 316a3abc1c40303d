//! `GET /api/registries`, `GET /api/{registry}` (filtered, keyset-paged list) and
//! `GET /api/{registry}/{key}` (one row, with the rows that hang off it).

use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::get;
use axum::{Json, Router};
use periclase_domain::{registries, FieldKind, RegistrySpec};
use periclase_store::{Actor, Channel, DeclaredChange, SaveMode};
use serde_json::{json, Value};

use crate::auth::{Change, Session};
use crate::json::{record_for, RecordsJson};
use crate::params::ListParams;
use crate::{blocking, registry, ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/registries", get(list_registries))
        .route("/api/{registry}", get(list).post(create))
        .route("/api/{registry}/{key}", get(detail).put(update).delete(remove))
}

/// 所有库及字段
#[utoipa::path(get, path = "/api/registries", operation_id = "registries",
    responses(
        (status = 200, description = "库列表", body = Vec<Object>),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn list_registries(_session: Session) -> Json<Value> {
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

async fn list(
    State(state): State<AppState>,
    session: Session,
    Path(name): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Json<ListBody>, ApiError> {
    let spec = registry(&name)?;
    let scope = session.may_read(spec)?;
    let query = p.query(spec, scope)?;
    let store = state.store.clone();
    let page = blocking(move || Ok(store.list(spec, &query)?)).await?;
    Ok(Json(ListBody {
        label: spec.label,
        next: page.next,
        records: RecordsJson::new(&session, spec, page.records),
        registry: spec.name,
        total: page.total,
    }))
}

/// A list page. Fields in the order a JSON map keeps its keys (sorted), as the other
/// answers are written.
#[derive(serde::Serialize)]
struct ListBody {
    label: &'static str,
    next: Option<String>,
    records: RecordsJson,
    registry: &'static str,
    total: u64,
}

async fn detail(
    State(state): State<AppState>,
    session: Session,
    Path((name, key)): Path<(String, String)>,
) -> Result<Json<Value>, ApiError> {
    let spec = registry(&name)?;
    let scope = session.may_read(spec)?;
    let store = state.store.clone();
    blocking(move || {
        // Outside the asker's scope looks the same as absent: no hint that the row exists.
        let Some(rec) = store.get(spec, &key, Some(&scope))? else {
            return Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)));
        };
        let mut out = record_for(&session, spec, &rec);
        // Rows of other registries that hang off this one (an enterprise's figures…).
        for child in registries::ALL
            .iter()
            .filter(|c| c.fields.iter().any(|f| f.kind == FieldKind::Ref(spec.id) && c.natural_key.contains(&f.key)))
            .filter(|c| session.principal.read_scope(c) != periclase_domain::Scope::Nothing)
        {
            let rows = store.children(spec, rec.id, child)?;
            let list: Vec<Value> = rows.iter().map(|r| record_for(&session, child, r)).collect();
            out[child.name] = Value::Array(list);
        }
        Ok(Json(out))
    })
    .await
}

/// A JSON object of field key → value, as the cells `validate_row` reads: strings as given,
/// numbers in their shortest form, booleans as 是/否.
fn cells_from_json(spec: &RegistrySpec, body: &Value) -> Result<Vec<Option<String>>, ApiError> {
    let Some(obj) = body.as_object() else {
        return Err(ApiError::BadRequest("请求体应为 JSON 对象：字段名 → 值".to_string()));
    };
    let unknown: Vec<&str> = obj
        .keys()
        .map(String::as_str)
        .filter(|k| spec.field(k).is_none() && *k != "id" && !k.ends_with("_label") && !k.ends_with("_name"))
        .collect();
    if !unknown.is_empty() {
        return Err(ApiError::BadRequest(format!("{}没有这些字段：{}", spec.label, unknown.join("、"))));
    }
    Ok(spec
        .fields
        .iter()
        .map(|f| match obj.get(f.key) {
            None | Some(Value::Null) => None,
            Some(Value::String(s)) => Some(s.clone()),
            Some(Value::Bool(b)) => Some(if *b { "是" } else { "否" }.to_string()),
            Some(other) => Some(other.to_string()),
        })
        .collect())
}

fn validate(spec: &RegistrySpec, cells: &[Option<String>]) -> Result<periclase_domain::Row, ApiError> {
    let refs: Vec<Option<&str>> = cells.iter().map(|c| c.as_deref()).collect();
    periclase_domain::validate_row(spec, &refs).map_err(ApiError::Invalid)
}

fn actor(session: &Session) -> Actor {
    Actor::new(session.principal.username.clone(), Channel::Api)
}

/// Takes the optional `evidence` (申报依据) out of a body before its fields are read.
fn take_evidence(body: &mut Value) -> String {
    match body.as_object_mut().and_then(|o| o.remove("evidence")) {
        Some(Value::String(s)) => s.trim().to_string(),
        _ => String::new(),
    }
}

/// What an enterprise's write became: a declaration waiting for its department (202).
fn declared(d: &periclase_store::Declaration) -> (StatusCode, Json<Value>) {
    (StatusCode::ACCEPTED, Json(crate::routes::declarations::declaration_json(d)))
}

async fn create(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path(name): Path<String>,
    Json(mut body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    session.check_csrf(&headers)?;
    let spec = registry(&name)?;
    let change = session.may_change(spec)?;
    let evidence = take_evidence(&mut body);
    let row = validate(spec, &cells_from_json(spec, &body)?)?;
    blocking(move || match change {
        Change::Declare(scope) => {
            let d =
                state.declarations.declare(spec, &row, DeclaredChange::Upsert, &evidence, &actor(&session), &scope)?;
            Ok(declared(&d))
        }
        Change::Direct(scope) => {
            let store = state.store.clone();
            store.save(spec, &row, SaveMode::Create, &actor(&session), &scope)?;
            let key = spec.key_indices().iter().map(|&i| row[i].to_string()).collect::<Vec<_>>();
            let rec = match key.as_slice() {
                [single] => store.get(spec, single, None)?,
                _ => None,
            };
            let body = rec.map_or_else(|| json!({ "status": "created" }), |r| record_for(&session, spec, &r));
            Ok((StatusCode::CREATED, Json(body)))
        }
    })
    .await
}

async fn update(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((name, key)): Path<(String, String)>,
    Json(mut body): Json<Value>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    session.check_csrf(&headers)?;
    let spec = registry(&name)?;
    let change = session.may_change(spec)?;
    let evidence = take_evidence(&mut body);
    let sees_private = session.principal.sees_private(spec);
    blocking(move || {
        let store = state.store.clone();
        let Some(existing) = store.get(spec, &key, Some(change.scope()))? else {
            return Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)));
        };
        // The URL names the record: its key fields come from the stored row, and a body
        // that tries to change them is refused rather than silently renaming the record.
        if let Some(obj) = body.as_object_mut() {
            for &i in &spec.key_indices() {
                let f = &spec.fields[i];
                let stored = periclase_domain::display_cell(f, &existing.row[i]);
                match obj.get(f.key) {
                    Some(Value::String(s))
                        if periclase_domain::validate_cell(f, s).ok().as_ref() != Some(&existing.row[i]) =>
                    {
                        return Err(ApiError::BadRequest(format!(
                            "不能修改「{}」（{stored} → {s}）：请新建记录",
                            f.label
                        )));
                    }
                    _ => {
                        obj.insert(f.key.to_string(), Value::String(stored));
                    }
                }
            }
            // A field the writer cannot see keeps its stored value (a GET → PUT round trip
            // must not wipe it), as does one the writer may not set.
            {
                let keep = |f: &periclase_domain::FieldSpec| {
                    (f.private && !sees_private) || !session.principal.may_set(spec, f.key)
                };
                for (f, v) in spec.fields.iter().zip(&existing.row).filter(|(f, _)| keep(f)) {
                    let stored =
                        if v.is_null() { Value::Null } else { Value::String(periclase_domain::display_cell(f, v)) };
                    obj.insert(f.key.to_string(), stored);
                }
            }
        }
        let row = validate(spec, &cells_from_json(spec, &body)?)?;
        match change {
            Change::Declare(scope) => {
                let d = state.declarations.declare(
                    spec,
                    &row,
                    DeclaredChange::Upsert,
                    &evidence,
                    &actor(&session),
                    &scope,
                )?;
                Ok(declared(&d))
            }
            Change::Direct(scope) => {
                let outcome = store.save(spec, &row, SaveMode::Update { id: existing.id }, &actor(&session), &scope)?;
                let rec = store.get(spec, &key, None)?.ok_or_else(|| ApiError::NotFound(key.clone()))?;
                let mut out = record_for(&session, spec, &rec);
                out["outcome"] = json!(outcome);
                Ok((StatusCode::OK, Json(out)))
            }
        }
    })
    .await
}

async fn remove(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
    Path((name, key)): Path<(String, String)>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    session.check_csrf(&headers)?;
    let spec = registry(&name)?;
    let change = session.may_change(spec)?;
    blocking(move || match change {
        Change::Declare(scope) => {
            let Some(existing) = state.store.get(spec, &key, Some(&scope))? else {
                return Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)));
            };
            let d = state.declarations.declare(
                spec,
                &existing.row,
                DeclaredChange::Delete,
                "",
                &actor(&session),
                &scope,
            )?;
            Ok(declared(&d).into_response())
        }
        Change::Direct(scope) => {
            if state.store.delete(spec, &key, &actor(&session), &scope)? {
                Ok(StatusCode::NO_CONTENT.into_response())
            } else {
                Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)))
            }
        }
    })
    .await
}
