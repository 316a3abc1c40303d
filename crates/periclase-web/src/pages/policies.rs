//! 政策计算器 pages: the policy library, one policy with its dated parameters and clauses,
//! and the calculator — what an enterprise qualifies for, what it lacks and who holds it.

use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use periclase_domain::frame::{FrameRequest, SubjectKind};
use periclase_domain::registries::ENTERPRISES;
use periclase_domain::Scope;
use periclase_policy::engine::{show_money, show_scalar};
use periclase_policy::explain::show_expr;
use periclase_policy::{apply_stacking, date, explain, Eligibility, Explanation, Policy, PolicySet, Schema, Subject};
use serde::Deserialize;

use super::{layout as page_layout, PageSession};
use crate::{ApiError, AppState};

pub(crate) fn validity(p: &Policy) -> String {
    format!("{} 至 {}", date::format(p.valid_from), p.valid_to.map_or_else(|| "长期".to_string(), date::format))
}

pub async fn index(s: PageSession) -> Result<Markup, ApiError> {
    s.0.may_use(periclase_auth::Feature::Policies)?;
    let set = PolicySet::embedded();
    let official = s.0.principal.may(periclase_auth::Feature::PolicyRuns);
    let body = html! {
        h1 { "政策库" }
        p.muted { "每项政策的条件、参数和金额公式都写明出处条款；“资质自测”仅供参考，不代表认定。" }
        p {
            a.button href="/calculator" { "政策计算器：我能享受哪些政策" }
            @if official {
                " " a.button href="/policy-runs" { "免申即享批量计算" }
            }
        }
        table {
            thead { tr { th { "政策" } th { "类别" } th { "对象" } th { "发文单位" } th { "有效期" } th { "说明" } } }
            tbody {
                @for p in &set.policies {
                    tr {
                        td { a href={ "/policies/" (p.id) } { (p.title) } }
                        td { (p.category.label()) }
                        td { (p.subject.label()) }
                        td { (p.issuer) }
                        td { (validity(p)) }
                        td {
                            @if p.once { "一次性；" }
                            @if p.self_assessment { "自测；" }
                            @if let Some(g) = &p.exclusive_group { "同组不重复享受（" (g) "）" }
                        }
                    }
                }
            }
        }
    };
    Ok(page_layout::page("政策库", "policies-lib", &s.0.principal, &s.0.csrf, body))
}

pub async fn show(s: PageSession, Path(id): Path<String>) -> Result<Markup, ApiError> {
    let p = PolicySet::embedded().get(&id).ok_or_else(|| ApiError::NotFound(format!("没有政策「{id}」")))?;
    s.0.may_use(periclase_auth::Feature::Policies)?;
    let schema = Schema::standard();
    let official = s.0.principal.may(periclase_auth::Feature::PolicyRuns);
    let body = html! {
        h1 { (p.title) }
        @if p.self_assessment { p.alert.warn { "资质自测：按公开的量化条件测算，仅供参考，不代表认定结果。" } }
        div.panel {
            dl.fields {
                dt { "发文单位" } dd { (p.issuer) }
                dt { "依据文件" } dd { (p.document) }
                dt { "类别" } dd { (p.category.label()) }
                dt { "对象" } dd { (p.subject.label()) }
                dt { "有效期" } dd { (validity(p)) }
                dt { "出处" } dd { (p.source) }
                @if let Some(url) = &p.url { dt { "链接" } dd { (url) } }
                dt { "版本" } dd { "第" (p.version) "版" }
            }
        }
        @if !p.params.is_empty() {
            h2 { "参数（按生效日期）" }
            table {
                thead { tr { th { "参数" } th { "生效日期" } th { "取值" } } }
                tbody {
                    @for param in &p.params {
                        @for v in &param.values {
                            tr { td { (param.label) } td { (date::format(v.from)) } td { (show_scalar(&v.value)) (param.unit) } }
                        }
                    }
                }
            }
        }
        h2 { "条件（全部满足方可享受）" }
        table {
            thead { tr { th { "条件" } th { "条款" } th { "判定规则" } } }
            tbody {
                @for c in &p.conditions {
                    tr { td { (c.label) } td { (c.clause) } td { (show_expr(&c.expr, p, &schema)) br; code.muted { (c.text) } } }
                }
            }
        }
        @if let Some(a) = &p.amount {
            h2 { "金额" }
            p { (show_expr(&a.formula, p, &schema)) "（" (a.unit) "）" }
            @if let Some(cap) = &a.cap { p { "上限：" (show_expr(cap, p, &schema)) } }
            @if let Some(floor) = &a.floor { p { "下限：" (show_expr(floor, p, &schema)) } }
        }
        @if let Some(b) = &p.budget {
            p {
                "预算：" @if let Some(x) = b.amount { (show_money(x)) " 万元" } @else { "由当年申报指南确定" }
                "；超出预算时"
                @if b.rule == periclase_policy::simulate::BudgetRule::Prorate { "按比例分配" } @else { "按金额从高到低安排，额满为止" }
            }
        }
        @if official && !p.params.is_empty() {
            p { a.button href={ "/policies/" (p.id) "/sandbox" } { "政策沙盘：调整参数测算" } }
        }
    };
    Ok(page_layout::page(&p.title, "policies-lib", &s.0.principal, &s.0.csrf, body))
}

#[derive(Debug, Default, Deserialize)]
pub struct CalculatorParams {
    uscc: Option<String>,
    date: Option<String>,
}

/// One explanation as a panel: the result, the amount, each condition with its values.
pub(crate) fn explanation_panel(x: &Explanation) -> Markup {
    let (class, mark) = match x.result {
        Eligibility::Eligible => ("ok", "✔"),
        Eligibility::NotEligible => ("bad", "✘"),
        Eligibility::Unknown => ("warn", "？"),
    };
    html! {
        div.panel {
            h2 { a href={ "/policies/" (x.policy) } { (x.title) } " " span class=(class) { (mark) " " (x.result.label()) } }
            @if x.self_assessment { p.muted { "资质自测结果，仅供参考，不代表认定。" } }
            @if let Some(other) = &x.superseded_by {
                p.alert.warn { "与《" (other) "》不重复享受，按就高原则适用《" (other) "》，本项不予兑现。" }
            } @else if let Some(a) = x.amount {
                p { @if x.result == Eligibility::Unknown { "若补齐数据后符合，预计金额：" } @else { "金额：" } strong { (show_money(a)) " " (x.amount_unit) } }
            }
            table {
                thead { tr { th { "" } th { "条件" } th { "条款" } th { "所用数据" } } }
                tbody {
                    @for c in &x.conditions {
                        tr {
                            td { @match c.result { Eligibility::Eligible => "✔", Eligibility::NotEligible => "✘", Eligibility::Unknown => "？" } }
                            td {
                                (c.label)
                                @if let Some(change) = &c.change { br; span.bad { (change) } }
                                @for m in &c.missing { br; span.stale { "缺少" (m.label) "，请向" (m.department) "部门获取" } }
                            }
                            td { (c.clause) }
                            td { @for (label, value) in &c.values { (label) "：" (value) br; } }
                        }
                    }
                }
            }
        }
    }
}

/// The enterprise the asker may look at: an enterprise user's own; an official's within
/// their region; anyone for an administrator.
fn whose(s: &PageSession, asked: Option<String>) -> Result<Option<String>, ApiError> {
    let asked = asked.map(|u| u.trim().to_uppercase()).filter(|u| !u.is_empty());
    match s.0.principal.read_scope(&ENTERPRISES) {
        Scope::Enterprise(own) => Ok(Some(own)),
        Scope::All | Scope::Region(_) => Ok(asked),
        _ => Err(ApiError::Forbidden("政策计算器面向企业和各级工作人员".into())),
    }
}

pub async fn calculator(
    State(state): State<AppState>,
    s: PageSession,
    Query(q): Query<CalculatorParams>,
) -> Result<Markup, ApiError> {
    s.0.may_use(periclase_auth::Feature::Calculator)?;
    let uscc = whose(&s, q.uscc)?;
    let pending = match &uscc {
        Some(u) => super::declarations::pending_for(&state, u).await?,
        None => Vec::new(),
    };
    let day = match q.date.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => date::parse(d).ok_or_else(|| ApiError::BadRequest(format!("日期「{d}」无效，应写作 2025-06-30")))?,
        None => date::today(),
    };
    let mut result = None;
    if let Some(uscc) = uscc.clone() {
        let set = PolicySet::embedded();
        let chosen: Vec<&'static Policy> =
            set.policies.iter().filter(|p| p.subject == Subject::Enterprise && p.in_force(day)).collect();
        let paths = periclase_policy::run::fields_of(chosen.iter().copied());
        let store = state.store.clone();
        let scope = s.0.principal.read_scope(&ENTERPRISES);
        let subjects = tokio::task::spawn_blocking(move || {
            store.subject_frame(&FrameRequest {
                subject: SubjectKind::Enterprise,
                paths,
                year: None,
                region: None,
                keys: Some(vec![uscc]),
            })
        })
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
        // Outside an official's region the enterprise is as good as absent.
        if let Scope::Region(prefix) = &scope {
            if !subjects.regions[0].starts_with(prefix.as_str()) {
                return Err(ApiError::NotFound(format!("没有找到「{}」", subjects.keys[0])));
            }
        }
        let schema = Schema::standard();
        let mut xs: Vec<Explanation> = chosen.iter().map(|p| explain(p, &schema, &subjects.frame, 0, day)).collect();
        apply_stacking(&chosen, &mut xs);
        result = Some((subjects, xs));
    }
    let own = matches!(s.0.principal.read_scope(&ENTERPRISES), Scope::Enterprise(_));
    let body = html! {
        h1 { "政策计算器" }
        form.filters method="get" action="/calculator" {
            @if !own {
                label { "统一社会信用代码" input name="uscc" value=[uscc.as_deref()] required placeholder="18位信用代码"; }
            }
            label { "评估日期" input type="date" name="date" value=(date::format(day)); }
            button.primary type="submit" { "计算" }
        }
        @if let Some((subjects, xs)) = &result {
            @let eligible: Vec<&Explanation> = xs.iter().filter(|x| x.result == Eligibility::Eligible && x.superseded_by.is_none()).collect();
            @let total: f64 = eligible.iter().filter_map(|x| x.amount).sum();
            p {
                strong { (subjects.names[0]) } "（" (subjects.keys[0]) "）"
                "，数据年度 " (subjects.year.map_or_else(|| "无".to_string(), |y| y.to_string()))
                "：符合 " (eligible.len()) " 项"
                @if total > 0.0 { "，可享奖补合计 " strong { (show_money(total)) " 万元" } }
                "；待补充数据 " (xs.iter().filter(|x| x.result == Eligibility::Unknown).count()) " 项。"
            }
            (super::declarations::pending_notice(&pending))
            @for x in xs { (explanation_panel(x)) }
        }
    };
    Ok(page_layout::page("政策计算器", "calculator", &s.0.principal, &s.0.csrf, body))
}
