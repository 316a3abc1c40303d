//! 产业链图谱 pages: the chain map (drawn by `chain_svg.rs`) for a region against a
//! benchmark, with its findings and 链主 candidates; a node's metrics, enterprises, projects,
//! platforms and suggestions to review; 招商 targets as xlsx.

use std::sync::Arc;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use periclase_chain::findings::{pct, wan};
use periclase_chain::{targets, Area, Prepared};
use periclase_domain::registries::{CHAIN_MEMBERS, ENTERPRISES};
use periclase_domain::{
    Chain, ChainFacts, ChainSet, ImportItem, ImportOptions, RegionTable, RowLocation, Scope, Value,
};
use periclase_store::{Actor, Channel, ImportContext};
use serde::Deserialize;

use super::chain_svg::{area_query, chain_svg};
use super::{layout as page_layout, PageSession};
use crate::{ApiError, AppState};
use periclase_app::chain_cache::View;

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    region: Option<String>,
    /// Comparison region; the region's province by default.
    benchmark: Option<String>,
}

/// The chain, its facts and its analysis for the asker's region (an official's county by
/// default and at most; the province for an administrator).
async fn load(state: &AppState, s: &PageSession, id: &str, p: Params) -> Result<Loaded, ApiError> {
    s.0.may_use(periclase_auth::Feature::ChainMap)?;
    let Params { region, benchmark } = p;
    let chain = ChainSet::embedded().get(id).ok_or_else(|| ApiError::NotFound(format!("没有产业链「{id}」")))?;
    let region = match (s.0.principal.read_scope(&ENTERPRISES), region.filter(|r| !r.trim().is_empty())) {
        (Scope::All, Some(r)) => r,
        (Scope::All, None) => super::DEFAULT_CHAIN_REGION.to_string(),
        (Scope::Region(p), Some(r)) if r.starts_with(p.as_str()) => r,
        (Scope::Region(p), _) => p,
        _ => return Err(ApiError::Forbidden("产业链图谱仅向各级工作人员开放".to_string())),
    };
    let benchmark = benchmark.map(|b| b.trim().to_string()).filter(|b| !b.is_empty());
    for r in std::iter::once(&region).chain(benchmark.as_ref()) {
        if !RegionTable::embedded().is_known_prefix(r) {
            return Err(ApiError::BadRequest(format!("地区「{r}」应为2–6位行政区划代码前缀，如 21、2103")));
        }
    }
    let area = match &benchmark {
        Some(b) => Area::with_benchmark(&region, b),
        None => Area::new(&region),
    };
    let (cache, store) = (state.chains.clone(), state.store.clone());
    let data = tokio::task::spawn_blocking(move || cache.get(&store, chain, &area))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(Loaded { chain, facts: data.facts, prepared: data.prepared, view: data.view, current: data.current })
}

struct Loaded {
    chain: &'static Chain,
    facts: Arc<ChainFacts>,
    prepared: Arc<Prepared>,
    view: Arc<View>,
    current: bool,
}

fn stale_note(current: bool) -> Markup {
    html! {
        @if !current {
            p.alert.warn role="status" { "数据刚有更新，正在后台重新计算；以下为更新前的结果，稍后刷新即可看到最新数据。" }
        }
    }
}

fn region_name(code: &str) -> String {
    RegionTable::embedded().full_name(&format!("{code:0<6}")).unwrap_or_else(|| code.to_string())
}

pub async fn index(s: PageSession) -> Result<Markup, ApiError> {
    s.0.may_use(periclase_auth::Feature::ChainMap)?;
    let body = html! {
        h1 { "产业链图谱" }
        p { "每条产业链的环节、企业、缺口和招商目标。每个结论都列出依据；链主候选的各项得分可悬停查看计算说明。" }
        table {
            thead { tr { th { "产业链" } th { "环节数" } th { "版本" } th { "依据" } } }
            tbody {
                @for c in &ChainSet::embedded().chains {
                    tr {
                        td { a href={ "/chains/" (c.id) } { (c.name) } }
                        td { (c.leaves().count()) }
                        td { (c.version) }
                        td { (c.source) }
                    }
                }
            }
        }
    };
    Ok(page_layout::page("产业链图谱", "chains", &s.0.principal, &s.0.csrf, body))
}

/// Enterprises listed on a node page, largest first.
const MEMBERS_SHOWN: usize = 200;

fn region_form(chain: &Chain, area: &Area) -> Markup {
    let options = ["21", "2101", "2103", "2108", "2104", "34", "3401", "3417", "41", "4112"];
    html! {
        form.filters method="get" action={ "/chains/" (chain.id) } {
            label { "地区"
                input name="region" value=(area.region) list="regions" size="8";
                datalist id="regions" { @for r in options { option value=(r) { (region_name(r)) } } }
            }
            label { "对比地区（默认所在省）"
                input name="benchmark" value=(area.benchmark) list="regions" size="8";
            }
            button type="submit" { "查看" }
        }
    }
}

pub async fn show(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Result<Markup, ApiError> {
    let Loaded { chain, view, current, .. } = load(&state, &s, &id, p).await?;
    let (a, top) = (&view.analysis, &view.leaders);
    let bench = if a.area.benchmark.is_empty() { "全部企业".to_string() } else { region_name(&a.area.benchmark) };
    let body = html! {
        h1 { (chain.name) " · " (region_name(&a.area.region)) }
        (stale_note(current))
        (region_form(chain, &a.area))
        p.note { "对比地区：" (bench) "；数据年度：" (a.year.map_or("—".to_string(), |y| y.to_string()))
            "。颜色：绿=强于对比地区，黄=一般，橙=弱链，红=缺链，灰=下游用户；角标：缺/弱/断/延。点击环节查看企业与依据。" }
        div.chainmap { (chain_svg(chain, a)) }
        h2 { "缺口分析（" (a.findings.len()) " 项）" }
        @if a.findings.is_empty() { p { "未发现缺链、弱链、断链风险或延链机会。" } }
        @else {
            table {
                thead { tr { th { "类型" } th { "环节" } th { "结论" } th { "依据" } } }
                tbody {
                    @for f in &a.findings {
                        tr {
                            td { (f.kind.label()) }
                            td { a href={ "/chains/" (chain.id) "/nodes/" (f.node) "?" (area_query(&a.area)) } { (f.name) } }
                            td { (f.message) }
                            td { @for e in &f.evidence { (e.label) "：" (e.value) br; } }
                        }
                    }
                }
            }
            p { a href={ "/chains/" (chain.id) "/targets.xlsx?" (area_query(&a.area)) } { "下载招商目标（xlsx）" } }
        }
        h2 { "链主候选" }
        table {
            thead { tr { th { "排名" } th { "企业" } th { "环节" } th { "总分" } @for part in ["规模", "链接度", "梯度", "创新"] { th { (part) } } } }
            tbody {
                @for (i, l) in top.iter().enumerate() {
                    tr {
                        td { (i + 1) }
                        td { a href={ "/r/enterprises/" (l.uscc) } { (l.name) } }
                        td { (l.nodes.join("、")) }
                        td { (format!("{:.1}", l.score)) }
                        @for part in &l.parts { td title=(part.detail) { (format!("{:.1}", part.points)) " / " (part.max) } }
                    }
                }
            }
        }
    };
    Ok(page_layout::page(&chain.name, "chains", &s.0.principal, &s.0.csrf, body))
}

pub async fn node(
    State(state): State<AppState>,
    s: PageSession,
    Path((id, node)): Path<(String, String)>,
    Query(p): Query<Params>,
) -> Result<Markup, ApiError> {
    let Loaded { chain, facts, prepared, view, current } = load(&state, &s, &id, p).await?;
    let a = &view.analysis;
    let n = chain.node(&node).ok_or_else(|| ApiError::NotFound(format!("{}中没有环节「{node}」", chain.name)))?;
    let m = a.node(&n.id).expect("every node has metrics");
    let projects: Vec<_> = prepared
        .projects_on(chain, &n.id)
        .iter()
        .map(|&i| &facts.projects[i])
        .filter(|p| p.region.starts_with(&a.area.region))
        .collect();
    let local: std::collections::HashSet<usize> = m.members.iter().copied().collect();
    let platforms: Vec<_> = facts
        .platforms
        .iter()
        .filter_map(|p| p.host.filter(|h| local.contains(h)).map(|h| (p, &facts.enterprises[h])))
        .collect();
    let shown: Vec<usize> = m.members.iter().take(MEMBERS_SHOWN).copied().collect();
    let pending: Vec<usize> = prepared
        .suggested_on(chain, &n.id)
        .iter()
        .copied()
        .filter(|&i| !facts.enterprises[i].external && facts.enterprises[i].region.starts_with(&a.area.region))
        .take(MEMBERS_SHOWN)
        .collect();
    let may_review = s.0.may_write(&CHAIN_MEMBERS).is_ok();
    let key = format!("{}/{}", chain.id, n.id);
    let wanted: std::collections::HashSet<usize> = shown.iter().copied().collect();
    let basis: std::collections::HashMap<usize, &str> = facts
        .members
        .iter()
        .filter(|x| x.node == key && (wanted.contains(&x.enterprise) || pending.contains(&x.enterprise)))
        .filter_map(|x| x.basis.as_deref().map(|b| (x.enterprise, b)))
        .collect();
    let upstream: Vec<&str> =
        chain.upstream(&n.id).filter_map(|e| chain.node(&e.from)).map(|x| x.name.as_str()).collect();
    let downstream: Vec<&str> =
        chain.downstream(&n.id).filter_map(|e| chain.node(&e.to)).map(|x| x.name.as_str()).collect();
    let figures = [
        ("本地企业", format!("{} 家（待确认 {} 家）", m.enterprises, m.suggested)),
        ("营收", wan(m.revenue)),
        ("同比增长", m.growth.map_or("—".to_string(), pct)),
        ("从业人员", format!("{:.0} 人", m.employees)),
        ("研发费用", wan(m.rd_spend)),
        ("产能 / 产量", format!("{:.0} / {:.0}", m.capacity, m.output)),
        ("在建项目", format!("{} 个，投资 {}", m.projects_under_way, wan(m.investment))),
        ("创新平台 / 科技成果", format!("{} / {}", m.platforms, m.achievements)),
        (
            "最大企业占比 / HHI",
            format!(
                "{} / {}",
                m.top1_share.map_or("—".to_string(), pct),
                m.hhi.map_or("—".to_string(), |h| format!("{h:.0}"))
            ),
        ),
        (
            "占全链营收 / 对比地区",
            format!("{} / {}", m.share.map_or("—".to_string(), pct), m.benchmark_share.map_or("—".to_string(), pct)),
        ),
    ];
    let body = html! {
        p { a href={ "/chains/" (chain.id) "?" (area_query(&a.area)) } { "← " (chain.name) } }
        h1 { (n.name) " · " (region_name(&a.area.region)) }
        (stale_note(current))
        p { (n.stage.label()) @if !upstream.is_empty() { "；上游：" (upstream.join("、")) } @if !downstream.is_empty() { "；下游：" (downstream.join("、")) } }
        @if !n.products.is_empty() { p { "主要产品：" (n.products.join("、")) } }
        dl.figures { @for (k, v) in &figures { dt { (k) } dd { (v) } } }
        @for f in a.findings_for(&n.id) {
            div.alert.warn { strong { (f.kind.label()) } "：" (f.message) ul { @for e in &f.evidence { li { (e.label) "：" (e.value) } } } }
        }
        h2 { "本地企业（" (m.members.len()) "）" }
        table {
            thead { tr { th { "企业名称" } th { "所属地区" } th { "营收" } th { "依据" } } }
            tbody {
                @for &i in &shown {
                    @let e = &facts.enterprises[i];
                    tr {
                        td { a href={ "/r/enterprises/" (e.uscc) } { (e.name) } }
                        td { (region_name(&e.region)) }
                        td { (e.revenue.map_or("—".to_string(), wan)) }
                        td { (basis.get(&i).copied().unwrap_or_default()) }
                    }
                }
            }
        }
        @if m.members.len() > MEMBERS_SHOWN {
            p.note { "仅列出营收最大的 " (MEMBERS_SHOWN) " 家；全部企业请在企业上链库中筛选。" }
        }
        @if !pending.is_empty() {
            h2 { "待确认（" (pending.len()) "）" }
            p.note { "按主要产品、经营范围和行业代码推荐上本环节的企业。确认或否决都记入审计日志。" }
            table {
                thead { tr { th { "企业名称" } th { "推荐依据" } @if may_review { th { "处理" } } } }
                tbody {
                    @for &i in &pending {
                        @let e = &facts.enterprises[i];
                        tr {
                            td { a href={ "/r/enterprises/" (e.uscc) } { (e.name) } }
                            td { (basis.get(&i).copied().unwrap_or_default()) }
                            @if may_review {
                                td {
                                    form.inline method="post" action={ "/chains/" (chain.id) "/nodes/" (n.id) "/review?region=" (a.area.region) } {
                                        input type="hidden" name="csrf" value=(s.0.csrf);
                                        input type="hidden" name="uscc" value=(e.uscc);
                                        input type="hidden" name="basis" value=(basis.get(&i).copied().unwrap_or_default());
                                        button type="submit" name="decision" value="confirmed" { "确认" }
                                        " "
                                        button type="submit" name="decision" value="rejected" { "否决" }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        h2 { "项目（" (projects.len()) "）" }
        @if projects.is_empty() { p { "无" } } @else {
            table {
                thead { tr { th { "项目" } th { "阶段" } th { "投资" } } }
                tbody { @for p in &projects { tr { td { a href={ "/r/projects/" (p.code) } { (p.name) } } td { (p.stage.clone().unwrap_or_default()) } td { (p.investment.map_or("—".to_string(), wan)) } } } }
            }
        }
        h2 { "创新平台（" (platforms.len()) "）" }
        @if platforms.is_empty() { p { "无" } } @else {
            table {
                thead { tr { th { "平台" } th { "级别" } th { "依托企业" } } }
                tbody {
                    @for (p, host) in &platforms {
                        tr {
                            td { a href={ "/r/platforms/" (p.code) } { (p.name) } }
                            td { (periclase_domain::registries::LEVELS.iter().find(|l| l.code == p.level).map_or(p.level.as_str(), |l| l.label)) }
                            td { a href={ "/r/enterprises/" (host.uscc) } { (host.name) } }
                        }
                    }
                }
            }
        }
    };
    Ok(page_layout::page(&n.name, "chains", &s.0.principal, &s.0.csrf, body))
}

pub async fn targets_xlsx(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<String>,
    Query(p): Query<Params>,
) -> Result<Response, ApiError> {
    let Loaded { chain, facts, prepared, view, .. } = load(&state, &s, &id, p).await?;
    let a = &view.analysis;
    let list = targets(chain, &facts, &prepared, a);
    let table = periclase_chain::report::targets(&chain.name, &list);
    let name = format!("targets-{}-{}.xlsx", chain.id, a.area.region);
    super::transfer::xlsx_download(&table.title, &table.header, &table.rows, &name)
}

#[derive(Debug, Deserialize)]
pub struct Review {
    /// Missing is refused by the CSRF check (403), not by the form parser.
    #[serde(default)]
    csrf: String,
    uscc: String,
    decision: String,
    #[serde(default)]
    basis: Option<String>,
}

/// An official confirms or rejects a suggested enterprise on a node: an upsert of its
/// 企业上链 row, inside the official's write scope, audited like any import row.
pub async fn review(
    State(state): State<AppState>,
    s: PageSession,
    Path((id, node)): Path<(String, String)>,
    Query(p): Query<Params>,
    Form(form): Form<Review>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&form.csrf)?;
    s.0.may_use(periclase_auth::Feature::ChainReview)?;
    let scope = s.0.may_write(&CHAIN_MEMBERS)?;
    let chain = ChainSet::embedded().get(&id).ok_or_else(|| ApiError::NotFound(format!("没有产业链「{id}」")))?;
    let n = chain.node(&node).ok_or_else(|| ApiError::NotFound(format!("{}中没有环节「{node}」", chain.name)))?;
    if !matches!(form.decision.as_str(), "confirmed" | "rejected") {
        return Err(ApiError::BadRequest(format!("处理方式「{}」应为确认或否决", form.decision)));
    }
    let key = format!("{}/{}", chain.id, n.id);
    let store = state.store.clone();
    let who = s.0.principal.username.clone();
    let uscc = form.uscc.clone();
    let decision = form.decision.clone();
    let basis = form.basis.clone();
    tokio::task::spawn_blocking(move || -> Result<(), ApiError> {
        let row = vec![
            Value::Text(uscc.clone()),
            Value::Text(key.clone()),
            Value::Text(decision.clone()),
            // The suggestion's basis stays with the decision.
            basis.filter(|b| !b.trim().is_empty()).map_or(Value::Null, Value::Text),
        ];
        let actor = Actor::new(who, Channel::Ui);
        let ctx = ImportContext {
            opts: ImportOptions::default(),
            actor: &actor,
            scope: Some(&scope),
            source: Some("产业链图谱：审核推荐"),
        };
        let mut issues = Vec::new();
        let item = ImportItem { location: RowLocation { sheet: None, row: 1 }, row: Ok(row) };
        let out =
            store.import(&CHAIN_MEMBERS, &mut std::iter::once(item), &ctx, &mut |i| issues.push(i), &mut |_| {})?;
        if !out.committed {
            let reasons: Vec<String> = issues.into_iter().map(|i| i.reason).collect();
            return Err(ApiError::Forbidden(reasons.join("；")));
        }
        Ok(())
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    // Encoded: the parameter is user input, and a raw one (`中`, a line break) is not a valid
    // `Location` header (Redirect::to panics on it).
    let region = crate::params::encode(&p.region.unwrap_or_default());
    Ok(Redirect::to(&format!("/chains/{}/nodes/{}?region={region}", chain.id, n.id)).into_response())
}
