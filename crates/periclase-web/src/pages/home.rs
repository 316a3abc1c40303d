//! The page an official opens every morning: how many enterprises of each tier and where,
//! what changed lately, and which records need attention.

use axum::extract::State;
use maud::{html, Markup};
use periclase_domain::registries::{ENTERPRISES, HONOURS};
use periclase_domain::{QualityIssue, RegionTable, RegistrySpec, Scope, REGISTRIES};
use periclase_store::{ListQuery, Sort};

use super::{layout, PageSession};
use crate::charts::bar_chart;
use crate::{ApiError, AppState};

struct Overview {
    total: u64,
    tiers: Vec<(String, f64)>,
    cities: Vec<(String, f64)>,
    recent: Vec<periclase_store::Record>,
    /// Records needing attention, by registry and problem, only where there are some.
    alerts: Vec<(&'static RegistrySpec, QualityIssue, u64)>,
}

pub async fn page(State(state): State<AppState>, PageSession(s): PageSession) -> Result<Markup, ApiError> {
    let scope = s.principal.read_scope(&ENTERPRISES);
    let who = s.principal.clone();
    let readable: Vec<(&'static RegistrySpec, Scope)> = REGISTRIES
        .iter()
        .map(|spec| (*spec, who.read_scope(spec)))
        .filter(|(_, scope)| *scope != Scope::Nothing)
        .collect();
    let overview = if scope == Scope::Nothing {
        None
    } else {
        let store = state.store.clone();
        let sc = scope.clone();
        Some(
            tokio::task::spawn_blocking(move || -> Result<Overview, ApiError> {
                let base = ListQuery { scope: Some(sc), ..Default::default() };
                let total = store.count(&ENTERPRISES, &base)?;
                let mut tiers = Vec::new();
                for h in HONOURS {
                    let q = ListQuery { tier: Some(h.code.to_string()), ..base.clone() };
                    tiers.push((h.label.to_string(), store.count(&ENTERPRISES, &q)? as f64));
                }
                let regions = RegionTable::embedded();
                let cities = store
                    .count_by_region(&ENTERPRISES, &base, 4)?
                    .into_iter()
                    .take(12)
                    .map(|(p, n)| (regions.full_name(&format!("{p}00")).unwrap_or(p), n as f64))
                    .collect();
                let recent = store
                    .list(&ENTERPRISES, &ListQuery { sort: Sort::RECENT, limit: Some(10), ..base.clone() })?
                    .records;
                let mut alerts = Vec::new();
                for (spec, scope) in readable {
                    for issue in QualityIssue::ALL.into_iter().filter(|i| i.applies_to(spec)) {
                        let q = ListQuery { scope: Some(scope.clone()), issue: Some(issue), ..Default::default() };
                        let n = store.count(spec, &q)?;
                        if n > 0 {
                            alerts.push((spec, issue, n));
                        }
                    }
                }
                Ok(Overview { total, tiers, cities, recent, alerts })
            })
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??,
        )
    };
    let body = html! {
        h1 { "您好，" (who.display_name) }
        @match &overview {
            None => {
                p { "请从上方导航进入您可以使用的功能。" }
            }
            Some(o) => {
                div.cards {
                    div.card { div.n { (o.total) } div.l { "企业总数" } }
                    @for (label, n) in o.tiers.iter().filter(|(_, n)| *n > 0.0).take(5) {
                        div.card { div.n { (*n as u64) } div.l { (label) } }
                    }
                }
                @if !o.alerts.is_empty() {
                    div.alert.warn role="status" {
                        strong { "数据质量提醒" }
                        ul {
                            @for (spec, issue, n) in &o.alerts {
                                li {
                                    a href={ "/r/" (spec.name) "?issue=" (issue.code()) } { (spec.label) "：" (n) " 条" }
                                    " " (issue.label())
                                }
                            }
                        }
                    }
                }
                div.grid2 {
                    div.panel { h2 { "企业梯度" } (bar_chart("各梯度企业数", &o.tiers)) }
                    div.panel { h2 { "地区分布" } (bar_chart("各地企业数", &o.cities)) }
                }
                div.panel {
                    h2 { "最近变更的企业" }
                    table {
                        thead { tr { th { "企业名称" } th { "统一社会信用代码" } th { "所属地区" } } }
                        tbody {
                            @for r in &o.recent {
                                @let uscc = r.row[0].to_string();
                                tr {
                                    td { a href={ "/r/enterprises/" (uscc) } { (r.row[1]) } }
                                    td { (uscc) }
                                    td { (RegionTable::embedded().full_name(&r.row[2].to_string()).unwrap_or_default()) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page("首页", "home", &s.principal, &s.csrf, body))
}
