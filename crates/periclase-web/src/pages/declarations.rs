//! 申报核验: an enterprise's declarations with their state, and for officials the ones of
//! their region's enterprises to confirm or send back, each beside the record as it stands.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_domain::registries;
use periclase_store::{Channel, Declaration, DeclarationStatus, DeclaredChange};

use super::{layout, PageSession};
use crate::routes::declarations::{decide, Filter};
use crate::{blocking, ApiError, AppState};

pub(crate) use periclase_domain::day::beijing;

fn registry_label(name: &str) -> &str {
    registries::by_name(name).map_or(name, |s| s.label)
}

/// The declared values as `字段：值` lines, in the registry's field order; beside a value
/// that would change, the value as it stands.
fn values(d: &Declaration) -> Markup {
    let fields = registries::by_name(&d.registry).map(|s| s.fields).unwrap_or(&[]);
    let text =
        |m: &serde_json::Map<String, serde_json::Value>, k: &str| m.get(k).and_then(|v| v.as_str()).map(str::to_string);
    html! {
        @if d.change == DeclaredChange::Delete { div.bad { "申请删除此记录" } }
        @else if d.current.is_none() && d.status == DeclarationStatus::Pending { div.muted { "新增记录" } }
        @for f in fields {
            @let declared = text(&d.values, f.key);
            @let now = d.current.as_ref().and_then(|c| text(c, f.key));
            @if declared.is_some() || now.is_some() {
                div {
                    span.muted { (f.label) "：" } (declared.clone().unwrap_or_else(|| "（空）".into()))
                    @if d.change == DeclaredChange::Upsert && d.current.is_some() && now != declared {
                        " " span.warn { "（现为 " (now.unwrap_or_else(|| "空".into())) "）" }
                    }
                }
            }
        }
    }
}

/// The record a declaration names, as people read it: its key fields' values.
fn record_name(d: &Declaration) -> String {
    let Some(spec) = registries::by_name(&d.registry) else { return d.record_key.clone() };
    let parts: Vec<&str> = spec
        .natural_key
        .iter()
        .filter(|k| **k != "uscc")
        .filter_map(|k| d.values.get(*k).and_then(|v| v.as_str()))
        .collect();
    if parts.is_empty() {
        d.values.get("name").and_then(|v| v.as_str()).unwrap_or(&d.record_key).to_string()
    } else {
        parts.join(" · ")
    }
}

fn status_class(s: DeclarationStatus) -> &'static str {
    match s {
        DeclarationStatus::Pending => "warn",
        DeclarationStatus::Confirmed => "ok",
        DeclarationStatus::Rejected => "bad",
        DeclarationStatus::Superseded => "muted",
    }
}

pub async fn page(State(state): State<AppState>, s: PageSession, Query(f): Query<Filter>) -> Result<Markup, ApiError> {
    let query = f.query(&s.0)?;
    let st = state.clone();
    let found = blocking(move || Ok(st.declarations.declarations(&query)?)).await?;
    let confirms = s.0.principal.confirm_scope(&registries::ENTERPRISES) != periclase_domain::Scope::Nothing;
    let title = if confirms { "申报核验" } else { "本企业的申报" };
    let body = html! {
        h1 { (title) }
        @if confirms {
            p.muted { "企业申报的年度指标、梯度与荣誉、认定、项目、上链等数据，经主管部门核验后才写入台账；政策计算和行业监测只使用已核验的数据。" }
        } @else {
            p.muted { "本企业申报或更正的数据，由主管部门核验后生效；核验前，政策计算器把涉及的条件显示为「待核验」，不会据此兑现奖补。" }
        }
        form.filters method="get" {
            label { "状态"
                select name="status" {
                    option value="" { "全部" }
                    @for st in [DeclarationStatus::Pending, DeclarationStatus::Confirmed, DeclarationStatus::Rejected, DeclarationStatus::Superseded] {
                        option value=(st.code()) selected[f.status == st.code()] { (st.label()) }
                    }
                }
            }
            button.primary type="submit" { "筛选" }
        }
        @if found.is_empty() {
            p.muted { "没有符合条件的申报。" }
        } @else {
            table {
                thead { tr {
                    th { "申报编号" } th { "企业" } th { "库" } th { "申报内容" } th { "依据" }
                    th { "申报人 / 时间（北京时间）" } th { "状态" } th { "处理" }
                } }
                tbody {
                    @for d in &found {
                        tr {
                            td { (d.id) }
                            td { a href={ "/r/enterprises/" (d.uscc) } { (d.enterprise_name) } br; span.muted { (d.uscc) } }
                            td { (registry_label(&d.registry)) br; span.muted { (record_name(d)) } }
                            td { (values(d)) }
                            td { (if d.evidence.is_empty() { "（未填写）" } else { d.evidence.as_str() }) }
                            td { (d.declared_by) br; (beijing(&d.declared_at)) }
                            td.status { span class=(status_class(d.status)) { (d.status.label()) } }
                            td {
                                @if d.status == DeclarationStatus::Pending && confirms {
                                    form method="post" action={ "/declarations/" (d.id) } {
                                        input type="hidden" name="csrf" value=(s.0.csrf);
                                        input type="text" name="note" placeholder="核验意见（退回时必填）" size="14";
                                        button.primary type="submit" name="decision" value="confirm" { "核验通过" }
                                        " "
                                        button type="submit" name="decision" value="reject" { "退回" }
                                    }
                                } @else {
                                    @if let Some(by) = &d.decided_by { (by) " " (d.decided_at.as_deref().map(beijing).unwrap_or_default()) }
                                    @if let Some(n) = d.decision_note.as_deref().filter(|n| !n.is_empty()) { div { "意见：" (n) } }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(title, "declarations", &s.0.principal, &s.0.csrf, body))
}

#[derive(Debug, serde::Deserialize)]
pub struct DecisionForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    decision: String,
    #[serde(default)]
    note: String,
}

pub async fn decide_form(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<i64>,
    Form(form): Form<DecisionForm>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&form.csrf)?;
    let confirm = match form.decision.as_str() {
        "confirm" => true,
        "reject" => false,
        other => return Err(ApiError::BadRequest(format!("未知的处理方式「{other}」：应为核验通过或退回"))),
    };
    decide(state, s.0, id, confirm, form.note, Channel::Ui).await?;
    Ok(Redirect::to("/declarations?status=pending").into_response())
}

/// The declarations still pending for one enterprise, for its page and the calculator.
pub(crate) async fn pending_for(state: &AppState, uscc: &str) -> Result<Vec<Declaration>, ApiError> {
    let st = state.clone();
    let q = periclase_store::DeclarationQuery {
        scope: None,
        status: Some(DeclarationStatus::Pending),
        registry: None,
        uscc: Some(uscc.to_string()),
        limit: Some(100),
    };
    blocking(move || Ok(st.declarations.declarations(&q)?)).await
}

/// The notice on an enterprise's page and in the calculator: what is declared and waiting.
pub(crate) fn pending_notice(pending: &[Declaration]) -> Markup {
    html! {
        @if !pending.is_empty() {
            div.alert.warn {
                "有 " (pending.len()) " 项申报待主管部门核验，核验前不计入政策计算和监测："
                ul { @for d in pending { li { (registry_label(&d.registry)) "：" (record_name(d)) "（" (d.declared_by) "，" (beijing(&d.declared_at)) "）" } } }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn times_are_shown_in_beijing_time() {
        assert_eq!(super::beijing("2026-12-07T09:30:00Z"), "2026-12-07 17:30");
        assert_eq!(super::beijing("2026-12-31T17:05:00Z"), "2027-01-01 01:05");
        assert_eq!(super::beijing("不是时间"), "不是时间");
    }
}
