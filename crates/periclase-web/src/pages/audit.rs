//! The audit trail for administrators: who wrote what, when, before and after.

use axum::extract::{Query, State};
use maud::{html, Markup};
use periclase_domain::registries;
use periclase_store::AuditQuery;
use serde::Deserialize;

use super::{layout, PageSession};
use crate::params::encode;
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    registry: Option<String>,
    actor: Option<String>,
    key: Option<String>,
    before: Option<String>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn action_label(a: &str) -> &str {
    match a {
        "insert" => "新增",
        "update" => "修改",
        "delete" => "删除",
        "import" => "导入",
        other => other,
    }
}

/// What an audit entry is about, in Chinese: a registry, or one of the records kept beside
/// them (accounts, declarations, 对接, policy runs).
fn audited_label(name: &str) -> &str {
    match name {
        "accounts" => "账号",
        "declarations" => "企业申报",
        "introductions" => "对接记录",
        "policy_run" => "免申即享运行",
        other => registries::by_name(other).map_or(other, |r| r.label),
    }
}

/// A JSON object of a record as `字段：值` lines.
fn json_lines(json: &Option<String>) -> Markup {
    let parsed: Option<serde_json::Map<String, serde_json::Value>> =
        json.as_deref().and_then(|j| serde_json::from_str(j).ok());
    html! {
        @if let Some(map) = parsed {
            @for (k, v) in map.iter().filter(|(_, v)| !v.is_null()) {
                div { span.muted { (k) "：" } (v.as_str().map(str::to_string).unwrap_or_else(|| v.to_string())) }
            }
        }
    }
}

pub async fn page(State(state): State<AppState>, s: PageSession, Query(p): Query<Params>) -> Result<Markup, ApiError> {
    s.0.may_use(periclase_auth::Feature::Audit)?;
    let before_id = match blank(&p.before) {
        Some(b) => Some(b.parse::<i64>().map_err(|_| ApiError::BadRequest(format!("参数 before「{b}」应为整数")))?),
        None => None,
    };
    let q = AuditQuery {
        registry: blank(&p.registry),
        actor: blank(&p.actor),
        record_key: blank(&p.key),
        before_id,
        limit: Some(100),
    };
    let store = state.store.clone();
    let entries =
        tokio::task::spawn_blocking(move || store.audit(&q)).await.map_err(|e| ApiError::Internal(e.to_string()))??;
    let filters: Vec<String> = [("registry", &p.registry), ("actor", &p.actor), ("key", &p.key)]
        .iter()
        .filter_map(|(k, v)| blank(v).map(|v| format!("{k}={}", encode(&v))))
        .collect();

    let body = html! {
        h1 { "审计日志" }
        p.muted { "每一次写入（页面、接口、导入）都记录在此，记录本身不可修改或删除。" }
        form.filters method="get" {
            label { "库"
                select name="registry" {
                    option value="" { "全部" }
                    @for r in registries::ALL { option value=(r.name) selected[p.registry.as_deref() == Some(r.name)] { (r.label) } }
                    @for name in ["accounts", "declarations", "introductions", "policy_run"] {
                        option value=(name) selected[p.registry.as_deref() == Some(name)] { (audited_label(name)) }
                    }
                }
            }
            label { "操作人" input name="actor" value=[p.actor.as_deref()]; }
            label { "记录（编号/信用代码）" input name="key" value=[p.key.as_deref()]; }
            button.primary type="submit" { "查询" }
        }
        table {
            thead { tr { th { "时间（UTC）" } th { "操作人" } th { "渠道" } th { "操作" } th { "库" } th { "记录" } th { "修改前" } th { "修改后 / 说明" } } }
            tbody {
                @for e in &entries {
                    tr {
                        td { (e.at) }
                        td { (e.actor) }
                        td { (e.channel) }
                        td { (action_label(&e.action)) }
                        td { (audited_label(&e.registry)) }
                        td { (e.record_key.as_deref().unwrap_or("")) }
                        td { (json_lines(&e.before)) }
                        td { (json_lines(&e.after)) @if let Some(n) = &e.note { div { (n) } } }
                    }
                }
            }
        }
        @if entries.len() == 100 {
            @if let Some(last) = entries.last() {
                div.pager { a href={ "?" (filters.join("&")) @if !filters.is_empty() { "&" } "before=" (last.id) } { "更早的记录 »" } }
            }
        }
    };
    Ok(layout::page("审计日志", "audit", &s.0.principal, &s.0.csrf, body))
}
