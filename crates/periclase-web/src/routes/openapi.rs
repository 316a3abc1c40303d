//! `GET /api/openapi.json`: the OpenAPI 3.1 document of the JSON API, generated from the
//! registry specs and the route list, so it cannot drift from what the server does.

use axum::routing::get;
use axum::{Json, Router};
use periclase_domain::{registries, ChainSet, FieldKind, FieldSpec, QualityIssue, RegistrySpec};
use serde_json::{json, Map, Value};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(|| async { Json(document()) }))
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

pub fn document() -> Value {
    let mut paths = Map::new();
    let mut schemas = Map::new();
    schemas.insert(
        "Error".into(),
        json!({
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": { "type": "string", "enum": ["unauthenticated", "forbidden", "not_found", "bad_request", "conflict", "invalid", "too_many_attempts", "internal"] },
                "message": { "type": "string" },
                "errors": { "type": "array", "items": { "type": "object" } }
            }
        }),
    );
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
    paths.insert("/healthz".into(), json!({ "get": { "summary": "健康检查", "operationId": "healthz", "security": [], "responses": { "200": ok("运行正常", json!({ "type": "object" })) } } }));
    paths.insert(
        "/api/login".into(),
        json!({ "post": {
            "summary": "登录", "operationId": "login", "security": [],
            "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["username", "password"], "properties": { "username": { "type": "string" }, "password": { "type": "string" } } } } } },
            "responses": { "200": ok("已登录；响应含 csrf_token，并设置会话 Cookie", json!({ "type": "object" })), "403": error("用户名或密码错误"), "429": error("失败次数过多") }
        } }),
    );
    paths.insert("/api/logout".into(), json!({ "post": { "summary": "退出", "operationId": "logout", "parameters": [csrf], "responses": { "200": ok("已退出", json!({ "type": "object" })), "401": error("未登录"), "403": error("CSRF 令牌错误") } } }));
    paths.insert("/api/me".into(), json!({ "get": { "summary": "当前用户", "operationId": "me", "responses": { "200": ok("当前用户及 CSRF 令牌", json!({ "type": "object" })), "401": error("未登录") } } }));
    paths.insert("/api/registries".into(), json!({ "get": { "summary": "所有库及字段", "operationId": "registries", "responses": { "200": ok("库列表", json!({ "type": "array" })), "401": error("未登录") } } }));
    let q = |name: &str, description: &str| json!({ "name": name, "in": "query", "required": false, "schema": { "type": "string" }, "description": description });
    paths.insert(
        "/api/search".into(),
        json!({ "get": {
            "summary": "全文检索（所有可查看的库）", "operationId": "search",
            "parameters": [
                { "name": "q", "in": "query", "required": true, "schema": { "type": "string" }, "description": "检索词：中文、英文、化学式或编号" },
                q("registry", "只检索此库（英文名）"), q("region", "行政区划代码前缀"), q("tier", "企业梯度代码，或 expert（专家库成员）"),
                q("year", "年度"), q("page", "页码，从 0 起，每页 20 条")
            ],
            "responses": { "200": ok("total 与 hits（registry、key、title、snippet；marks 为高亮的字节区间）", json!({ "type": "object" })), "400": error("检索词或筛选有误"), "401": error("未登录") }
        } }),
    );
    paths.insert(
        "/api/match/{registry}/{key}".into(),
        json!({ "get": {
            "summary": "产需对接：需求的匹配成果、成果的匹配需求，或企业适合的金融产品，逐条说明依据", "operationId": "match",
            "parameters": [
                { "name": "registry", "in": "path", "required": true, "schema": { "type": "string", "enum": ["demands", "achievements", "enterprises"] } },
                { "name": "key", "in": "path", "required": true, "schema": { "type": "string" }, "description": "需求或成果编号，或企业统一社会信用代码" },
                q("limit", "条数（1–100，默认 10）")
            ],
            "responses": { "200": ok("matches：key、title、score、reasons（结构化依据）、explanation（中文说明）", json!({ "type": "object" })), "400": error("该库不可匹配"), "401": error("未登录"), "403": error("无权查看"), "404": error("不存在") }
        } }),
    );
    paths.insert(
        "/api/introductions".into(),
        json!({
            "get": { "summary": "对接记录（主管部门）", "operationId": "introductions", "parameters": [q("demand", "需求编号"), q("achievement", "成果编号")],
                     "responses": { "200": ok("对接记录，新的在前", json!({ "type": "array" })), "401": error("未登录"), "403": error("非主管部门") } },
            "post": { "summary": "记录一次对接（引荐）", "operationId": "introduce", "parameters": [csrf],
                      "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["demand", "achievement"], "properties": { "demand": { "type": "string" }, "achievement": { "type": "string" }, "note": { "type": "string" } } } } } },
                      "responses": { "200": ok("新的对接记录", json!({ "type": "object" })), "400": error("需求或成果不存在"), "401": error("未登录"), "403": error("非主管部门或 CSRF 令牌错误") } }
        }),
    );
    paths.insert(
        "/api/introductions/{id}".into(),
        json!({ "put": { "summary": "更新对接结果", "operationId": "introduction_outcome",
                         "parameters": [{ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } }, csrf],
                         "requestBody": { "required": true, "content": { "application/json": { "schema": { "type": "object", "required": ["outcome"], "properties": { "outcome": { "type": "string", "enum": ["introduced", "talking", "signed", "dropped"] }, "note": { "type": "string" } } } } } },
                         "responses": { "200": ok("更新后的对接记录", json!({ "type": "object" })), "400": error("结果无效"), "401": error("未登录"), "403": error("非主管部门或 CSRF 令牌错误"), "404": error("不存在") } } }),
    );
    let audit_params: Vec<Value> = ["registry", "actor", "key", "before", "limit"]
        .iter()
        .map(|n| json!({ "name": n, "in": "query", "required": false, "schema": { "type": "string" } }))
        .collect();
    paths.insert(
        "/api/audit".into(),
        json!({ "get": {
            "summary": "审计日志（省级管理员）", "operationId": "audit",
            "parameters": audit_params,
            "responses": { "200": ok("审计记录，新的在前", json!({ "type": "object" })), "400": error("参数有误"), "401": error("未登录"), "403": error("非管理员") }
        } }),
    );
    let id = json!({ "name": "id", "in": "path", "required": true, "schema": { "type": "integer" } });
    let note = json!({ "required": false, "content": { "application/json": { "schema": { "type": "object", "properties": { "note": { "type": "string", "description": "核验意见；退回时必填" } } } } } });
    paths.insert(
        "/api/declarations".into(),
        json!({ "get": {
            "summary": "申报：企业看本企业的，主管部门看本辖区企业的", "operationId": "declarations",
            "parameters": [q("status", "pending、confirmed、rejected、superseded（或中文）"), q("registry", "库英文名")],
            "responses": { "200": ok("申报记录，新的在前", json!({ "type": "array" })), "400": error("参数有误"), "401": error("未登录"), "403": error("无权查看申报") }
        } }),
    );
    paths.insert(
        "/api/declarations/{id}".into(),
        json!({ "get": { "summary": "一条申报", "operationId": "declaration", "parameters": [id],
                         "responses": { "200": ok("申报", json!({ "type": "object" })), "401": error("未登录"), "403": error("无权查看申报"), "404": error("不存在或不在本辖区") } } }),
    );
    for (action, summary) in [("confirm", "核验通过：写入台账"), ("reject", "退回申报（须写理由）")]
    {
        paths.insert(
            format!("/api/declarations/{{id}}/{action}"),
            json!({ "post": { "summary": summary, "operationId": format!("declaration_{action}"), "parameters": [id, csrf], "requestBody": note,
                              "responses": { "200": ok("处理后的申报", json!({ "type": "object" })), "400": error("退回未写理由"), "401": error("未登录"), "403": error("无权核验或 CSRF 令牌错误"), "404": error("不存在或不在本辖区"), "409": error("已处理") } } }),
        );
    }
    json!({
        "openapi": "3.1.0",
        "info": { "title": "Periclase 产业大脑 API", "version": env!("CARGO_PKG_VERSION"), "description": "登录后以会话 Cookie 访问；写操作须带 X-CSRF-Token 头。错误统一为 {code, message}。" },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": { "session": { "type": "apiKey", "in": "cookie", "name": crate::auth::COOKIE } }
        },
        "security": [{ "session": [] }]
    })
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
