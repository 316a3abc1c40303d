//! The global search page (the box in every page's header leads here), the matches on a
//! demand's or an achievement's page, and 对接 records made from them.

use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use maud::{html, Markup};
use periclase_auth::{Feature, Principal};
use periclase_domain::{registries, RegionTable, RegistrySpec, Scope};
use periclase_search::{counterpart, Marked, Match, MatchRequest, SearchQuery, SearchResults, Weights};
use periclase_store::{Actor, Channel, Introduction, Record, INTRODUCTION_OUTCOMES};

use super::{layout, PageSession};
use crate::params::encode;
use crate::{blocking, ApiError, AppState};

const PAGE: usize = 20;

#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// 检索词：中文、英文、化学式或编号
    #[serde(default)]
    #[param(required = true)]
    pub q: String,
    /// 只检索此库（英文名）
    #[serde(default)]
    pub registry: String,
    /// 行政区划代码前缀
    #[serde(default)]
    pub region: String,
    /// 企业梯度代码，或 expert（专家库成员）
    #[serde(default)]
    pub tier: String,
    /// 年度
    #[serde(default)]
    pub year: String,
    /// 页码，从 0 起，每页 20 条
    #[serde(default)]
    pub page: usize,
}

pub(crate) use periclase_app::search::allowed;

impl SearchParams {
    /// The query through the one use case the CLI also uses (tiers by code, label, alias or
    /// 专家), limited to what `who` may read.
    pub(crate) fn query(&self, who: &Principal) -> Result<SearchQuery, ApiError> {
        let request = periclase_app::search::SearchRequest {
            text: self.q.clone(),
            registries: vec![self.registry.clone()],
            region: self.region.clone(),
            tier: self.tier.clone(),
            year: self.year.clone(),
            limit: PAGE,
            offset: self.page * PAGE,
        };
        Ok(request.query(Some(who))?)
    }
}

pub(crate) async fn run_search(state: &AppState, q: SearchQuery) -> Result<SearchResults, ApiError> {
    let search = state.search.clone();
    blocking(move || search.index().search(&q).map_err(search_error)).await
}

pub(crate) fn search_error(e: periclase_search::SearchError) -> ApiError {
    match e {
        periclase_search::SearchError::BadQuery(m) => ApiError::BadRequest(m),
        e => ApiError::Internal(e.to_string()),
    }
}

/// Text with its matched parts in `<mark>`.
fn marked(m: &Marked) -> Markup {
    let mut at = 0;
    let mut parts: Vec<(bool, &str)> = Vec::new();
    for &(from, to) in &m.marks {
        if from < at || to > m.text.len() || !m.text.is_char_boundary(from) || !m.text.is_char_boundary(to) {
            continue;
        }
        parts.push((false, &m.text[at..from]));
        parts.push((true, &m.text[from..to]));
        at = to;
    }
    parts.push((false, &m.text[at..]));
    html! { @for (hit, t) in parts { @if hit { mark { (t) } } @else { (t) } } }
}

fn link(registry: &str, key: &str) -> String {
    format!("/r/{registry}/{}", encode(key))
}

pub async fn page(
    State(state): State<AppState>,
    s: PageSession,
    Query(p): Query<SearchParams>,
) -> Result<Markup, ApiError> {
    s.0.may_use(Feature::Search)?;
    let who = &s.0.principal;
    let searchable: Vec<&'static RegistrySpec> =
        registries::ALL.iter().copied().filter(|spec| allowed(who).iter().any(|(n, _)| n == spec.name)).collect();
    let (found, error) = if p.q.trim().is_empty() {
        (None, None)
    } else {
        match run_search(&state, p.query(who)?).await {
            Ok(r) => (Some(r), None),
            Err(ApiError::BadRequest(m)) => (None, Some(m)),
            Err(e) => return Err(e),
        }
    };
    let progress = state.search.progress();
    let regions = RegionTable::embedded();
    let body = html! {
        h1 { "全文检索" }
        form.filters method="get" action="/search" {
            input type="search" name="q" value=(p.q) placeholder="如：电熔镁砂、fused magnesia、AZ91D、揭榜挂帅" autofocus;
            select name="registry" {
                option value="" { "全部库" }
                @for spec in &searchable {
                    option value=(spec.name) selected[p.registry == spec.name] { (spec.label) }
                }
            }
            input type="text" name="region" value=(p.region) placeholder="地区代码，如 2108" size="10";
            select name="tier" {
                option value="" { "不限梯度" }
                @for o in registries::HONOURS { option value=(o.code) selected[p.tier == o.code] { (o.label) } }
                option value="expert" selected[p.tier == "expert"] { "专家库成员" }
            }
            input type="text" name="year" value=(p.year) placeholder="年度" size="6";
            button type="submit" { "检索" }
        }
        @if progress.busy {
            div.alert { "检索索引正在建立：" (progress.done) " / " (progress.total) " 条，结果暂不完整。" }
        }
        @if let Some(e) = &progress.error { div.alert.warn { "检索索引更新出错：" (e) } }
        @if who.may(periclase_auth::Feature::SearchIndex) {
            p.muted { a href="/search/index" { "检索索引维护" } }
        }
        @if let Some(m) = error { div.alert.warn { (m) } }
        @if let Some(r) = &found {
            p.muted { "共 " (r.total) " 条结果" }
            ol.results start=(p.page * PAGE + 1) {
                @for h in &r.hits {
                    li {
                        span.badge { (registries::by_name(&h.registry).map_or("", |s| s.label)) }
                        " "
                        a href=(link(&h.registry, &h.key)) { (marked(&h.title)) }
                        @if let Some(code) = &h.region {
                            " " span.muted { (regions.full_name(code).unwrap_or_else(|| code.clone())) }
                        }
                        @if !h.snippet.text.is_empty() { div.snippet { (marked(&h.snippet)) } }
                    }
                }
            }
            div.pager {
                @if p.page > 0 { a href=(page_link(&p, p.page - 1)) { "上一页" } " " }
                @if (p.page + 1) * PAGE < r.total { a href=(page_link(&p, p.page + 1)) { "下一页" } }
            }
        }
    };
    Ok(layout::page("全文检索", "search", who, &s.0.csrf, body))
}

fn page_link(p: &SearchParams, page: usize) -> String {
    format!(
        "/search?q={}&registry={}&region={}&tier={}&year={}&page={page}",
        encode(&p.q),
        encode(&p.registry),
        encode(&p.region),
        encode(&p.tier),
        encode(&p.year)
    )
}

/// Matches of a stored demand or achievement, as the matcher explains them.
pub(crate) fn matches_of(
    state: &AppState,
    spec: &'static RegistrySpec,
    rec: &Record,
    limit: usize,
    who: &Principal,
) -> Result<Vec<Match>, ApiError> {
    let Some(target) = counterpart(spec) else { return Ok(vec![]) };
    let scope = who.read_scope(target);
    if scope == Scope::Nothing {
        return Ok(vec![]);
    }
    // Outside the asker's scope a record is as good as absent: ask for more candidates and
    // keep those the asker may open.
    let ask = if scope == Scope::All { limit } else { (limit * 5).min(500) };
    let req = MatchRequest::from_row(spec, &rec.row, target.name, ask);
    let mut found = state.search.index().matches(&req, &Weights::default()).map_err(search_error)?;
    if scope != Scope::All {
        let mut kept = Vec::with_capacity(limit);
        for m in found {
            if kept.len() == limit {
                break;
            }
            if state.store.get(target, &m.key, Some(&scope))?.is_some() {
                kept.push(m);
            }
        }
        found = kept;
    }
    found.truncate(limit);
    Ok(found)
}

fn may_introduce(who: &Principal) -> bool {
    who.may(Feature::Introductions)
}

/// The demands whose 对接 records `who` may see and make: those it may read.
pub(crate) fn introduction_scope(who: &Principal) -> Result<Scope, ApiError> {
    require_official(who)?;
    Ok(who.read_scope(&registries::DEMANDS))
}

/// The panel on a demand's page (its achievements) or an achievement's (its demands), with
/// the 对接 records of the record and, for officials, the forms to add and update them.
pub(crate) fn matches_panel(
    spec: &RegistrySpec,
    code: &str,
    matches: &[Match],
    intros: &[Introduction],
    who: &Principal,
    csrf: &str,
) -> Markup {
    let Some(target) = counterpart(spec) else { return html! {} };
    let is_demand = spec.id == periclase_domain::RegistryId::Demands;
    let back = link(spec.name, code);
    html! {
        h2 { "匹配的" (target.label.trim_end_matches('库')) }
        @if matches.is_empty() {
            p.muted { "暂无匹配（检索索引可能仍在建立）。" }
        } @else {
            table.matches {
                thead { tr { th { "#" } th { "名称" } th.num { "得分" } th { "匹配依据" } @if may_introduce(who) { th { "对接" } } } }
                tbody {
                    @for (i, m) in matches.iter().enumerate() {
                        tr {
                            td { (i + 1) }
                            td { a href=(link(&m.registry, &m.key)) { (m.title) } br; span.muted { (m.key) } }
                            td.num { (format!("{:.2}", m.score)) }
                            td { ul.reasons { @for r in &m.reasons { li { (r.describe()) } } } }
                            @if may_introduce(who) {
                                td {
                                    form method="post" action="/introductions" {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="demand" value=(if is_demand { code } else { m.key.as_str() });
                                        input type="hidden" name="achievement" value=(if is_demand { m.key.as_str() } else { code });
                                        input type="hidden" name="back" value=(back);
                                        input type="text" name="note" placeholder="备注（可空）" size="10";
                                        button type="submit" { "记录对接" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "对接记录" }
        @if intros.is_empty() {
            p.muted { "尚无对接记录。" }
        } @else {
            table {
                thead { tr { th { "需求" } th { "成果" } th { "结果" } th { "备注" } th { "记录人" } th { "更新时间" } } }
                tbody {
                    @for r in intros {
                        tr {
                            td { a href=(link("demands", &r.demand)) { (r.demand) } }
                            td { a href=(link("achievements", &r.achievement)) { (r.achievement) } }
                            td {
                                @if may_introduce(who) {
                                    form method="post" action={ "/introductions/" (r.id) } {
                                        input type="hidden" name="csrf" value=(csrf);
                                        input type="hidden" name="back" value=(back);
                                        select name="outcome" {
                                            @for o in INTRODUCTION_OUTCOMES { option value=(o.code) selected[o.code == r.outcome] { (o.label) } }
                                        }
                                        input type="text" name="note" value=(r.note) size="12";
                                        button type="submit" { "更新" }
                                    }
                                } @else {
                                    (outcome_label(&r.outcome))
                                }
                            }
                            td { (r.note) }
                            td { (r.actor) }
                            td { (r.updated_at) }
                        }
                    }
                }
            }
        }
    }
}

pub(crate) fn outcome_label(code: &str) -> &str {
    INTRODUCTION_OUTCOMES.iter().find(|o| o.code == code).map_or(code, |o| o.label)
}

#[derive(Debug, serde::Deserialize)]
pub struct IntroduceForm {
    csrf: String,
    demand: String,
    achievement: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

#[derive(Debug, serde::Deserialize)]
pub struct OutcomeForm {
    csrf: String,
    outcome: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    back: String,
}

/// Only back to a page of this site.
fn back_to(back: &str) -> String {
    if back.starts_with("/r/") {
        back.to_string()
    } else {
        "/".to_string()
    }
}

fn require_official(who: &Principal) -> Result<(), ApiError> {
    if may_introduce(who) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("{}不能记录对接，请由主管部门人员操作", who.role.label())))
    }
}

pub async fn introduce(
    State(state): State<AppState>,
    s: PageSession,
    Form(f): Form<IntroduceForm>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    let scope = introduction_scope(&s.0.principal)?;
    let store = state.store.clone();
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Ui);
    let (d, a, note) = (f.demand.clone(), f.achievement.clone(), f.note.clone());
    blocking(move || Ok(store.introduce(d.trim(), a.trim(), note.trim(), &actor, &scope)?)).await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}

pub async fn set_outcome(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<i64>,
    Form(f): Form<OutcomeForm>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    let scope = introduction_scope(&s.0.principal)?;
    let store = state.store.clone();
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Ui);
    let (outcome, note) = (f.outcome.clone(), f.note.clone());
    blocking(move || {
        store
            .set_introduction_outcome(id, &outcome, note.trim(), &actor, &scope)?
            .ok_or_else(|| ApiError::NotFound(format!("没有编号为 {id} 的对接记录")))
    })
    .await?;
    Ok(Redirect::to(&back_to(&f.back)).into_response())
}

/// 融资对接 on an enterprise's page: the products whose 适用对象 it meets, then those it may
/// meet once the listed points are confirmed.
pub(crate) fn finance_panel(products: &[periclase_search::finance::FinanceMatch]) -> Markup {
    html! {
        h2 { "适合的金融产品" }
        @if products.is_empty() {
            p.muted { "暂无符合条件的金融产品。" }
        } @else {
            table.matches {
                thead { tr { th { "产品" } th { "机构" } th { "类型" } th { "额度与期限" } th { "依据" } th { "需核实" } } }
                tbody {
                    @for m in products {
                        tr {
                            td { a href=(link("financial-products", &m.code)) { (m.name) } @if m.fits { " " span.badge { "符合" } } }
                            td { (m.institution) }
                            td { (m.kind) }
                            td { (m.terms) }
                            td { ul.reasons { @for r in &m.reasons { li { (r) } } } }
                            td { ul.reasons { @for r in &m.to_confirm { li { (r) } } } }
                        }
                    }
                }
            }
        }
    }
}
