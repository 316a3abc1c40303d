//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the JSON API. Nothing in it is
//! written by hand: the session, search, 对接, audit and declaration operations come from the
//! `#[utoipa::path]` annotations on their handlers and the `IntoParams`/`ToSchema` derives on
//! their query and body types ([`ApiDoc`]); the registry operations and record schemas are
//! generated from the registry specs ([`periclase_domain::registries::ALL`]). [`API_ROUTES`]
//! lists the other routes, and the crate's tests check that every one is routed and documented.

use axum::routing::get;
use axum::{Json, Router};
use periclase_domain::{registries, ChainSet, FieldKind, FieldSpec, QualityIssue, RegistrySpec};
use serde_json::{json, Map, Value};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{IntoParams, Modify, OpenApi, ToSchema};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(openapi_json))
}

/// Every route of the JSON API (and `/healthz`) that is not a registry's, as method and
/// OpenAPI path. The registry routes (`/api/{registry}`, `/api/{registry}/{key}`) are
/// documented once per registry from the specs.
pub const API_ROUTES: &[(&str, &str)] = &[
    ("get", "/healthz"),
    ("get", "/api/openapi.json"),
    ("post", "/api/login"),
    ("post", "/api/logout"),
    ("get", "/api/me"),
    ("get", "/api/registries"),
    ("get", "/api/search"),
    ("get", "/api/match/{registry}/{key}"),
    ("get", "/api/introductions"),
    ("post", "/api/introductions"),
    ("put", "/api/introductions/{id}"),
    ("get", "/api/audit"),
    ("get", "/api/declarations"),
    ("get", "/api/declarations/{id}"),
    ("post", "/api/declarations/{id}/{action}"),
];

/// The operations derived from the handlers' annotations.
#[derive(Debug, OpenApi)]
#[openapi(
    info(
        title = "Periclase 产业大脑 API",
        description = "登录后以会话 Cookie 访问；写操作须带 X-CSRF-Token 头。错误统一为 {code, message}。"
    ),
    paths(
        crate::routes::health::healthz,
        openapi_json,
        crate::routes::session::login,
        crate::routes::session::logout,
        crate::routes::session::me,
        crate::routes::registries::list_registries,
        crate::routes::search::search,
        crate::routes::search::matches,
        crate::routes::search::list_introductions,
        crate::routes::search::introduce,
        crate::routes::search::set_outcome,
        crate::routes::audit::list,
        crate::routes::declarations::list,
        crate::routes::declarations::one,
        crate::routes::declarations::decide_route,
    ),
    components(schemas(ErrorBody)),
    modifiers(&SessionCookie),
    security(("session" = []))
)]
pub struct ApiDoc;

/// The session cookie as the document's one security scheme.
struct SessionCookie;

impl Modify for SessionCookie {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(crate::auth::COOKIE))),
        );
    }
}

/// Every error answer: `{code, message}`, and for field validation the per-field `errors`.
#[derive(ToSchema)]
#[schema(as = Error)]
#[allow(dead_code)] // a schema of what `crate::error` writes as JSON
pub(crate) struct ErrorBody {
    code: ErrorCode,
    message: String,
    #[schema(value_type = Option<Vec<Object>>)]
    errors: Option<Vec<Value>>,
}

#[derive(ToSchema)]
#[serde(rename_all = "snake_case")]
#[allow(dead_code)]
enum ErrorCode {
    Unauthenticated,
    Forbidden,
    NotFound,
    BadRequest,
    Conflict,
    Invalid,
    TooManyAttempts,
    Internal,
}

/// The CSRF token every write must carry, as `csrf_token` from login or `/api/me` gave it.
#[derive(IntoParams)]
#[into_params(parameter_in = Header)]
#[allow(dead_code)] // read by `Session::check_csrf`, documented here
pub(crate) struct Csrf {
    #[param(rename = "X-CSRF-Token")]
    token: String,
}

/// 本 API 的 OpenAPI 文档
#[utoipa::path(get, path = "/api/openapi.json", operation_id = "openapi", security(()),
    responses((status = 200, description = "OpenAPI 3.1 文档", body = Object)))]
async fn openapi_json() -> Json<Value> {
    Json(document())
}

fn field_schema(f: &FieldSpec) -> Value {
    let mut s = match f.kind {
        FieldKind::Text(max) => json!({ "type": "string", "maxLength": max }),
        FieldKind::LongText => json!({ "type": "string", "maxLength": 100_000 }),
        FieldKind::List => json!({ "type": "string", "description": "用 ；分隔的多项" }),
        FieldKind::Uscc => {
            json!({ "type": "string", "pattern": "^[0-9A-HJ-NPQRTUWXY]{18}$", "description": "统一社会信用代码（GB 32100-2015）" })
        }
        FieldKind::Ref(parent) => {
            let p = registries::spec(parent);
            json!({ "type": "string", "description": format!("{}的{}", p.label, p.field(p.natural_key[0]).map_or("编号", |k| k.label)) })
        }
        FieldKind::Region => json!({ "type": "string", "description": "GB/T 2260 六位代码；输入时也可填地区名称" }),
        FieldKind::Industry => json!({ "type": "string", "description": "GB/T 4754-2017 行业代码，如 C3089" }),
        FieldKind::Date => json!({ "type": "string", "format": "date" }),
        FieldKind::Year => json!({ "type": "integer", "minimum": 1900, "maximum": 2100 }),
        FieldKind::Count => json!({ "type": "integer", "minimum": 0 }),
        FieldKind::Amount | FieldKind::Percent => json!({ "type": "number", "minimum": 0 }),
        FieldKind::Enum(opts) => json!({
            "type": "string",
            "enum": opts.iter().map(|o| o.code).collect::<Vec<_>>(),
            "description": opts.iter().map(|o| format!("{}={}", o.code, o.label)).collect::<Vec<_>>().join("，"),
        }),
        FieldKind::Bool => json!({ "type": "integer", "enum": [0, 1], "description": "1=是，0=否" }),
        FieldKind::ChainNode => {
            let set = ChainSet::embedded();
            let keys: Vec<String> =
                set.chains.iter().flat_map(|c| c.leaves().map(move |n| format!("{}/{}", c.id, n.id))).collect();
            json!({ "type": "string", "enum": keys, "description": "产业链环节「产业链/环节」；输入时也可填中文名称，如 菱镁产业链/电熔镁砂" })
        }
    };
    s["title"] = json!(f.label);
    s
}

/// The record as returned: every public field (nullable unless required), plus `id`.
fn record_schema(spec: &RegistrySpec) -> Value {
    let mut props = Map::new();
    props.insert("id".into(), json!({ "type": "integer" }));
    for f in spec.fields.iter().filter(|f| !f.private) {
        let mut s = field_schema(f);
        if !f.required {
            s = json!({ "anyOf": [s, { "type": "null" }] });
        }
        props.insert(f.key.into(), s);
    }
    json!({ "type": "object", "title": spec.label, "properties": props })
}

/// The record as written: fields as text or numbers, as a form or Excel cell would give them.
fn input_schema(spec: &RegistrySpec) -> Value {
    let mut props = Map::new();
    for f in spec.fields {
        props.insert(f.key.into(), json!({ "anyOf": [{ "type": "string" }, { "type": "number" }, { "type": "boolean" }, { "type": "null" }], "title": f.label }));
    }
    let required: Vec<&str> = spec.fields.iter().filter(|f| f.required).map(|f| f.key).collect();
    json!({ "type": "object", "properties": props, "required": required, "additionalProperties": false })
}

fn error(description: &str) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": { "$ref": "#/components/schemas/Error" } } } })
}

fn ok(description: &str, schema: Value) -> Value {
    json!({ "description": description, "content": { "application/json": { "schema": schema } } })
}

/// The derived operations ([`ApiDoc`]) with the registries' operations and record schemas.
pub fn document() -> Value {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_else(|_| json!({}));
    let (paths, schemas) = registry_paths();
    if let Some(p) = doc["paths"].as_object_mut() {
        p.extend(paths);
    }
    if let Some(s) = doc["components"]["schemas"].as_object_mut() {
        s.extend(schemas);
    }
    doc
}

/// `/api/{registry}` and `/api/{registry}/{key}` for every registry, and their record schemas.
fn registry_paths() -> (Map<String, Value>, Map<String, Value>) {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    let csrf = json!({ "name": "X-CSRF-Token", "in": "header", "required": true, "schema": { "type": "string" } });
    let key_param = json!({ "name": "key", "in": "path", "required": true, "schema": { "type": "string" }, "description": "单字段自然键（如统一社会信用代码）；复合键的库用行号" });
    for spec in registries::ALL {
        let name = spec.name;
        let filters = list_parameters(spec);
        let schema_name = name.replace('-', "_");
        schemas.insert(schema_name.clone(), record_schema(spec));
        schemas.insert(format!("{schema_name}_input"), input_schema(spec));
        let record_ref = json!({ "$ref": format!("#/components/schemas/{schema_name}") });
        let input_ref = json!({ "$ref": format!("#/components/schemas/{schema_name}_input") });
        let page = json!({
            "type": "object",
            "required": ["registry", "total", "records"],
            "properties": {
                "registry": { "type": "string" }, "label": { "type": "string" }, "total": { "type": "integer" },
                "next": { "anyOf": [{ "type": "string" }, { "type": "null" }], "description": "下一页的 after 参数" },
                "records": { "type": "array", "items": record_ref.clone() }
            }
        });
        paths.insert(
            format!("/api/{name}"),
            json!({
                "get": {
                    "summary": format!("{}列表", spec.label), "operationId": format!("list_{schema_name}"), "parameters": filters,
                    "responses": { "200": ok("一页记录", page), "400": error("筛选条件有误"), "401": error("未登录"), "403": error("无权查看") }
                },
                "post": {
                    "summary": format!("新建{}记录", spec.label), "operationId": format!("create_{schema_name}"), "parameters": [csrf],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": input_ref } } },
                    "responses": { "201": ok("已新建", record_ref.clone()), "202": ok("企业用户：已作为申报提交，待主管部门核验", json!({ "type": "object" })), "400": error("请求有误"), "401": error("未登录"), "403": error("无权修改或 CSRF 令牌错误"), "409": error("已存在"), "422": error("字段校验未通过") }
                }
            }),
        );
        paths.insert(
            format!("/api/{name}/{{key}}"),
            json!({
                "get": {
                    "summary": format!("{}记录", spec.label), "operationId": format!("get_{schema_name}"), "parameters": [key_param],
                    "responses": { "200": ok("记录及其下属记录", record_ref.clone()), "401": error("未登录"), "403": error("无权查看"), "404": error("不存在或不在可见范围内") }
                },
                "put": {
                    "summary": format!("修改{}记录", spec.label), "operationId": format!("update_{schema_name}"), "parameters": [key_param, csrf],
                    "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object" } } } },
                    "responses": { "200": ok("修改后的记录", record_ref.clone()), "202": ok("企业用户：已作为申报提交，待主管部门核验", json!({ "type": "object" })), "400": error("请求有误"), "401": error("未登录"), "403": error("无权修改"), "404": error("不存在"), "409": error("与已有记录冲突"), "422": error("字段校验未通过") }
                },
                "delete": {
                    "summary": format!("删除{}记录", spec.label), "operationId": format!("delete_{schema_name}"), "parameters": [key_param, csrf],
                    "responses": { "204": { "description": "已删除" }, "202": ok("企业用户：删除已作为申报提交，待主管部门核验", json!({ "type": "object" })), "401": error("未登录"), "403": error("无权删除"), "404": error("不存在") }
                }
            }),
        );
    }
    (paths, schemas)
}

/// A list's query parameters; `sort` and `issue` list the values this registry accepts.
fn list_parameters(spec: &RegistrySpec) -> Vec<Value> {
    let text = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    let choice = |name: &str, description: &str, values: Vec<String>| {
        json!({ "name": name, "in": "query", "required": false, "description": description,
                "schema": { "type": "string", "enum": values } })
    };
    let mut sorts =
        vec![String::new(), "id".to_string(), "-id".to_string(), "updated".to_string(), "-updated".to_string()];
    for f in periclase_store::sortable_fields(spec) {
        sorts.push(f.key.to_string());
        sorts.push(format!("-{}", f.key));
    }
    let issues = QualityIssue::ALL.into_iter().filter(|i| i.applies_to(spec)).map(|i| i.code().to_string());
    vec![
        text("q", "关键词"),
        text("region", "行政区划代码前缀，如 21、2103、210381"),
        text("tier", "企业梯度（代码或中文名）"),
        text("industry", "国民经济行业代码前缀"),
        text("year", "年度"),
        choice("sort", "排序字段，前加 - 为降序", sorts),
        choice("issue", "只看有此数据质量问题的记录", std::iter::once(String::new()).chain(issues).collect()),
        text("after", "上一页返回的 next"),
        text("limit", "每页条数（1–1000）"),
    ]
}
