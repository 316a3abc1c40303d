//! 免申即享 pages for officials: the archived batch runs, starting one (a job of the
//! server's bounded pool, with a progress page read from the job table), a run's totals, chart and list (and its xlsx), and the
//! 政策沙盘 — a policy's parameters or conditions changed and compared with it as written.

use std::collections::HashMap;

use axum::extract::{Form, Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use periclase_domain::frame::FrameRequest;
use periclase_domain::policy_run::LineResult;
use periclase_domain::RegionTable;
use periclase_policy::engine::{show_money, show_scalar};
use periclase_policy::run::{fields_of, list_rows, PolicyTotals, LIST_HEADER};
use periclase_policy::simulate::{apply, simulate, BudgetRule, Changes, Group};
use periclase_policy::{date, PolicySet, Scalar, Schema, Subject, Ty};
use periclase_store::{Actor, Channel, JobState};
use serde::Deserialize;

use super::{layout as page_layout, PageSession};
use crate::charts::bar_chart;
use crate::{ApiError, AppState};
use periclase_app::policy_jobs;
use periclase_app::policy_run::PolicyRunParams;

/// The region an official works in ("" for an administrator: everywhere); others may not.
fn official_region(s: &PageSession) -> Result<String, ApiError> {
    region_for(s, periclase_auth::Feature::PolicyRuns)
}

/// The region `feature` reaches for this session, by the permission table: the enterprises
/// it may read ("" for all of them); an account without its region reaches nothing.
fn region_for(s: &PageSession, feature: periclase_auth::Feature) -> Result<String, ApiError> {
    s.0.may_use(feature)?;
    match s.0.principal.read_scope(&periclase_domain::registries::ENTERPRISES) {
        periclase_domain::Scope::All => Ok(String::new()),
        periclase_domain::Scope::Region(p) => Ok(periclase_domain::region::region_prefix(&p).to_string()),
        _ => Err(ApiError::Forbidden("免申即享批量计算和政策沙盘仅向各级工作人员开放".into())),
    }
}

/// The asked region, checked to lie inside the official's.
fn region_within(s: &PageSession, asked: Option<&str>) -> Result<String, ApiError> {
    let mine = official_region(s)?;
    let asked = asked.map(str::trim).filter(|r| !r.is_empty()).unwrap_or(&mine).to_string();
    if !asked.is_empty() && !RegionTable::embedded().is_known_prefix(&asked) {
        return Err(ApiError::BadRequest(format!("地区「{asked}」应为2–6位行政区划代码前缀，如 21、2103")));
    }
    if !asked.starts_with(&mine) {
        return Err(ApiError::Forbidden(format!("只能计算本辖区（{mine}）内的对象")));
    }
    Ok(asked)
}

fn chain_label(id: &str) -> String {
    periclase_domain::ChainSet::embedded().get(id).map_or_else(|| id.to_string(), |c| c.name.clone())
}

fn region_label(code: &str) -> String {
    if code.is_empty() {
        return "全部地区".into();
    }
    RegionTable::embedded().full_name(&format!("{code:0<6}")).unwrap_or_else(|| code.to_string())
}

pub async fn index(State(state): State<AppState>, s: PageSession) -> Result<Markup, ApiError> {
    let mine = official_region(&s)?;
    let store = state.store.clone();
    let runs = tokio::task::spawn_blocking(move || store.policy_runs(50))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let runs: Vec<_> = runs.into_iter().filter(|r| r.region.starts_with(&mine)).collect();
    let (jobs, account) = (state.jobs.clone(), s.0.principal.account_id);
    let mine_jobs = crate::blocking(move || Ok(jobs.jobs(account, 10)?)).await?;
    let mine_jobs: Vec<_> = mine_jobs.into_iter().filter(|j| j.kind == policy_jobs::KIND).collect();
    let set = PolicySet::embedded();
    let body = html! {
        h1 { "免申即享批量计算" }
        form.filters method="post" action="/policy-runs" {
            input type="hidden" name="csrf" value=(s.0.csrf);
            label { "地区代码前缀" input name="region" value=(mine) placeholder="空为全部"; }
            label { "评估日期" input type="date" name="date" value=(date::format(date::today())); }
            label { "政策"
                select name="policy" {
                    option value="" { "全部在有效期内的奖补政策" }
                    @for p in set.policies.iter().filter(|p| !p.self_assessment) { option value=(p.id) { (p.title) } }
                }
            }
            label { "产业链"
                select name="chain" {
                    option value="" { "不限" }
                    @for c in &periclase_domain::ChainSet::embedded().chains { option value=(c.id) { (c.name) } }
                }
            }
            label { "兑现" select name="grant" { option value="" { "预览（不入账）" } option value="1" { "名单已审定：一次性奖补登记入账" } } }
            button.primary type="submit" { "开始计算" }
        }
        p.muted { "一次性奖补登记入账后，再次运行不会重复兑现；与已存档运行完全相同的预览不重复存档。" }
        @if !mine_jobs.is_empty() {
            h2 { "我最近的计算任务" }
            table {
                thead { tr { th { "任务" } th { "开始时间" } th { "地区" } th { "评估日期" } th { "状态" } } }
                tbody {
                    @for j in &mine_jobs {
                        @let p = policy_jobs::parameters(j);
                        tr {
                            td { a href={ "/policy-runs/jobs/" (j.id) } { "任务 " (j.id) } }
                            td { (j.created_at) }
                            td { (p.as_ref().map_or_else(String::new, |p| region_label(&p.region))) }
                            td { (p.as_ref().map_or("", |p| p.date.as_str())) }
                            td { (j.state.label()) }
                        }
                    }
                }
            }
        }
        table {
            thead { tr { th { "编号" } th { "时间" } th { "操作人" } th { "评估日期" } th { "地区" } th.num { "名单条数" } th { "状态" } } }
            tbody {
                @for r in &runs {
                    tr {
                        td { a href={ "/policy-runs/" (r.id) } { "#" (r.id) } }
                        td { (r.created_at) } td { (r.actor) } td { (r.eval_date) }
                        td { (region_label(&r.region)) @if !r.chain.is_empty() { "·" (chain_label(&r.chain)) } }
                        td.num { (r.lines) } td { @if r.granted { "已入账" } @else { "预览" } }
                    }
                }
            }
        }
    };
    Ok(page_layout::page("免申即享", "policy-runs", &s.0.principal, &s.0.csrf, body))
}

#[derive(Debug, Deserialize)]
pub struct StartRun {
    csrf: String,
    region: Option<String>,
    date: Option<String>,
    policy: Option<String>,
    chain: Option<String>,
    grant: Option<String>,
}

pub async fn start(
    State(state): State<AppState>,
    s: PageSession,
    Form(f): Form<StartRun>,
) -> Result<Response, ApiError> {
    s.0.check_csrf_value(&f.csrf)?;
    let region = region_within(&s, f.region.as_deref())?;
    let date = match f.date.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        Some(d) => d.to_string(),
        None => date::format(date::today()),
    };
    let params = PolicyRunParams {
        region,
        date,
        policy: f.policy.filter(|p| !p.is_empty()),
        chain: f.chain.filter(|c| !c.is_empty()),
        grant: f.grant.as_deref() == Some("1"),
    };
    let (pool, store) = (state.job_pool.clone(), state.store.clone());
    let account = s.0.principal.account_id;
    let actor = Actor::new(s.0.principal.username.clone(), Channel::Ui);
    let job = crate::blocking(move || Ok(policy_jobs::submit(&pool, store, params, account, actor)?)).await?;
    Ok(Redirect::to(&format!("/policy-runs/jobs/{job}")).into_response())
}

/// What a job did or is doing, from the job table: refreshes itself every two seconds while
/// it waits or runs, then goes to the archived run. A job the server stopped during (a
/// restart, a kill) says so, and offers to start it again as it was.
pub async fn job(State(state): State<AppState>, s: PageSession, Path(job): Path<i64>) -> Result<Response, ApiError> {
    official_region(&s)?;
    let (jobs, account) = (state.jobs.clone(), s.0.principal.account_id);
    let found = crate::blocking(move || Ok(jobs.job(job, account)?)).await?;
    let Some(found) = found.filter(|j| j.kind == policy_jobs::KIND) else {
        return Err(ApiError::NotFound(format!("没有计算任务 {job}")));
    };
    let params = policy_jobs::parameters(&found);
    let elapsed = found.elapsed_secs.unwrap_or(0).max(0);
    let body = match found.state {
        JobState::Done => {
            let Some(r) = policy_jobs::result(&found) else {
                return Err(ApiError::Internal(format!("计算任务 {job} 已完成，但结果无法读取")));
            };
            let to = format!("/policy-runs/{}{}", r.run, if r.same_as_earlier { "?same=1" } else { "" });
            return Ok(Redirect::to(&to).into_response());
        }
        JobState::Queued => html! {
            meta http-equiv="refresh" content="2";
            h1 { "正在计算……" }
            p role="status" { "排队中：已有后台任务在进行，空出后即开始。本页每2秒自动刷新。" }
            (job_params(params.as_ref()))
            progress {}
        },
        JobState::Running => html! {
            meta http-equiv="refresh" content="2";
            h1 { "正在计算……" }
            p role="status" { (state.job_pool.stage(found.id).unwrap_or_else(|| found.stage.clone())) "，已用时 " (elapsed) " 秒。本页每2秒自动刷新，完成后显示名单。" }
            (job_params(params.as_ref()))
            progress {}
        },
        JobState::Failed => html! {
            h1 { "计算未完成" }
            p.alert.bad { (found.error.as_deref().unwrap_or("原因未记录")) }
            (job_params(params.as_ref()))
            (again(&s, params.as_ref()))
            p { a href="/policy-runs" { "返回" } }
        },
        JobState::Interrupted => html! {
            h1 { "计算任务已中断" }
            p.alert.bad {
                "已中断：" (found.error.as_deref().unwrap_or("服务在任务结束前停止。"))
            }
            p {
                "本次计算没有保存任何结果：名单、存档和一次性奖补台账只在计算全部完成时于同一事务中一并写入，"
                "中断的计算不会留下部分名单或部分入账。可按原参数重新开始。"
            }
            (job_params(params.as_ref()))
            (again(&s, params.as_ref()))
            p { a href="/policy-runs" { "返回" } }
        },
    };
    let title = match found.state {
        JobState::Interrupted => "已中断",
        JobState::Failed => "计算未完成",
        _ => "正在计算",
    };
    Ok(page_layout::page(title, "policy-runs", &s.0.principal, &s.0.csrf, body).into_response())
}

/// A job's parameters, as the start form names them.
fn job_params(p: Option<&PolicyRunParams>) -> Markup {
    let Some(p) = p else { return html! {} };
    let policy = p.policy.as_deref().map(|id| PolicySet::embedded().get(id).map_or(id, |p| p.title.as_str()));
    html! {
        table {
            tr { th { "地区" } td { (region_label(&p.region)) } }
            tr { th { "评估日期" } td { (p.date) } }
            tr { th { "政策" } td { (policy.unwrap_or("全部在有效期内的奖补政策")) } }
            tr { th { "产业链" } td { (p.chain.as_deref().map_or_else(|| "不限".to_string(), chain_label)) } }
            tr { th { "兑现" } td { @if p.grant { "名单已审定：一次性奖补登记入账" } @else { "预览（不入账）" } } }
        }
    }
}

/// The start form, filled in with a job's parameters: one button starts it again.
fn again(s: &PageSession, p: Option<&PolicyRunParams>) -> Markup {
    let Some(p) = p else { return html! {} };
    html! {
        form method="post" action="/policy-runs" {
            input type="hidden" name="csrf" value=(s.0.csrf);
            input type="hidden" name="region" value=(p.region);
            input type="hidden" name="date" value=(p.date);
            input type="hidden" name="policy" value=(p.policy.as_deref().unwrap_or(""));
            input type="hidden" name="chain" value=(p.chain.as_deref().unwrap_or(""));
            input type="hidden" name="grant" value=(if p.grant { "1" } else { "" });
            button.primary type="submit" { "按原参数重新计算" }
        }
    }
}

#[derive(Debug, Default, Deserialize)]
pub struct RunParams {
    same: Option<String>,
}

fn run_in_scope(
    state: &AppState,
    s: &PageSession,
    id: i64,
) -> Result<periclase_domain::policy_run::StoredRun, ApiError> {
    let mine = official_region(s)?;
    state
        .store
        .policy_runs(10_000)?
        .into_iter()
        .find(|r| r.id == id && r.region.starts_with(&mine))
        .ok_or_else(|| ApiError::NotFound(format!("没有第 {id} 次运行")))
}

const LIST_SHOWN: usize = 500;

pub async fn show(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<i64>,
    Query(p): Query<RunParams>,
) -> Result<Markup, ApiError> {
    let run = run_in_scope(&state, &s, id)?;
    let store = state.store.clone();
    let lines = tokio::task::spawn_blocking(move || store.policy_run_lines(id))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let totals: &[PolicyTotals] = &run.totals;
    let chart: Vec<(String, f64)> = totals.iter().map(|t| (t.title.clone(), t.granted)).collect();
    let granted: f64 = totals.iter().map(|t| t.granted).sum();
    let set = PolicySet::embedded();
    let body = html! {
        h1 { "第 " (run.id) " 次运行：" (region_label(&run.region)) @if !run.chain.is_empty() { "·" (chain_label(&run.chain)) } }
        @if p.same.is_some() { p.alert.warn { "本次计算与这次已存档的运行政策、数据和结果完全相同，未重复存档。" } }
        p {
            "评估日期 " (run.eval_date) "，数据年度 " (run.data_year.map_or_else(|| "无".to_string(), |y| y.to_string()))
            "，" (run.actor) " 于 " (run.created_at) " 运行；"
            @if run.granted { strong { "一次性奖补已登记入账" } } @else { "预览，未入账" }
            "。政策版本：" (run.policies)
        }
        div.cards {
            div.card { div.n { (show_money(granted)) } div.l { "本次兑现（万元）" } }
            div.card { div.n { (totals.iter().map(|t| t.eligible).sum::<u64>()) } div.l { "符合（对象·政策）" } }
            div.card { div.n { (totals.iter().map(|t| t.unknown).sum::<u64>()) } div.l { "待补充数据" } }
        }
        h2 { "各项政策兑现金额（万元）" }
        (bar_chart("各项政策兑现金额（万元）", &chart))
        table {
            thead { tr { th { "政策" } th.num { "符合" } th.num { "待补充数据" } th.num { "不符合" } th.num { "本次兑现（万元）" } th.num { "待补充对象若符合另需（万元）" } } }
            tbody {
                @for t in totals {
                    tr { td { (t.title) } td.num { (t.eligible) } td.num { (t.unknown) } td.num { (t.not_eligible) } td.num { (show_money(t.granted)) } td.num { (show_money(t.pending)) } }
                }
            }
        }
        h2 { "名单" }
        p { a.button href={ "/policy-runs/" (run.id) "/list.xlsx" } { "下载名单（xlsx）" }
            @if lines.len() > LIST_SHOWN { " " span.muted { "页面显示前 " (LIST_SHOWN) " 条，共 " (lines.len()) " 条" } } }
        table {
            thead { tr { th { "政策" } th { "信用代码/项目编号" } th { "名称" } th { "地区" } th { "结果" } th.num { "应享（万元）" } th.num { "本次兑现（万元）" } th { "说明" } } }
            tbody {
                @for l in lines.iter().take(LIST_SHOWN) {
                    tr {
                        td { (set.get(&l.policy).map_or(l.policy.as_str(), |p| p.title.as_str())) }
                        td { (l.key) } td { (l.name) } td { (l.region) }
                        td { @if l.result == LineResult::Eligible { (l.result.label()) } @else { span.stale { (l.result.label()) } } }
                        td.num { (l.amount.map(show_money).unwrap_or_default()) }
                        td.num { (l.granted.map(show_money).unwrap_or_default()) }
                        td { (l.note) }
                    }
                }
            }
        }
    };
    Ok(page_layout::page(&format!("第 {} 次运行", run.id), "policy-runs", &s.0.principal, &s.0.csrf, body))
}

pub async fn list_xlsx(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    run_in_scope(&state, &s, id)?;
    let store = state.store.clone();
    let lines = tokio::task::spawn_blocking(move || store.policy_run_lines(id))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let rows = list_rows(&lines, PolicySet::embedded());
    super::transfer::xlsx_download("免申即享名单", &LIST_HEADER, &rows, &format!("policy-run-{id}.xlsx"))
}

/// 政策沙盘. Query: `p.<param>=value`, `c.<condition>=expression`, `budget`, `rule`, `region`, `date`.
pub async fn sandbox(
    State(state): State<AppState>,
    s: PageSession,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result<Markup, ApiError> {
    region_for(&s, periclase_auth::Feature::Sandbox)?;
    let region = region_within(&s, q.get("region").map(String::as_str))?;
    let base = PolicySet::embedded().get(&id).ok_or_else(|| ApiError::NotFound(format!("没有政策「{id}」")))?;
    let schema = Schema::standard();
    let day = match q.get("date").filter(|d| !d.is_empty()) {
        Some(d) => date::parse(d).ok_or_else(|| ApiError::BadRequest(format!("日期「{d}」无效，应写作 2025-06-30")))?,
        None => date::today(),
    };
    let mut changes = Changes::default();
    for param in &base.params {
        let Some(text) = q.get(&format!("p.{}", param.name)).map(|t| t.trim()).filter(|t| !t.is_empty()) else {
            continue;
        };
        let current = param.at(day).map(show_scalar).unwrap_or_default();
        if text == current {
            continue;
        }
        let value = match param.ty {
            Ty::Num => Scalar::Num(
                text.parse()
                    .map_err(|_| ApiError::BadRequest(format!("参数「{}」应为数值，「{text}」不是", param.label)))?,
            ),
            Ty::Bool => Scalar::Bool(matches!(text, "是" | "true" | "1")),
            Ty::List => Scalar::List(text.split(['、', ',', '，']).map(|x| x.trim().to_string()).collect()),
            _ => Scalar::Text(text.to_string()),
        };
        changes.params.push((param.name.clone(), value));
    }
    for c in &base.conditions {
        if let Some(text) =
            q.get(&format!("c.{}", c.id)).map(|t| t.trim()).filter(|t| !t.is_empty() && *t != c.text.trim())
        {
            changes.conditions.push((c.id.clone(), text.to_string()));
        }
    }
    // The policy's own budget and rule unless the form gives others.
    let budget = match q.get("budget").map(|b| b.trim()).filter(|b| !b.is_empty()) {
        Some(b) => Some(b.parse::<f64>().map_err(|_| ApiError::BadRequest(format!("预算「{b}」应为数值（万元）")))?),
        None => base.budget.and_then(|b| b.amount),
    };
    let rule = match q.get("rule").map(String::as_str) {
        Some("rank") => BudgetRule::Rank,
        Some("prorate") => BudgetRule::Prorate,
        _ => base.budget.map_or(BudgetRule::Prorate, |b| b.rule),
    };
    let mut error = None;
    let mut sim = None;
    let computing = q.contains_key("go");
    if computing {
        match apply(base, &changes, &schema) {
            Err(e) => error = Some(e),
            Ok(scenario) => {
                let store = state.store.clone();
                let kind = base.subject.kind();
                let mut paths = fields_of([base, &scenario].into_iter());
                let node =
                    if base.subject == Subject::Project { "project.chain_node" } else { "enterprise.chain_nodes" };
                if !paths.iter().any(|p| p == node) {
                    paths.push(node.into());
                }
                let region = Some(region.clone()).filter(|r| !r.is_empty());
                let subjects = tokio::task::spawn_blocking(move || {
                    store.subject_frame(&FrameRequest { subject: kind, paths, year: None, region, keys: None })
                })
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))??;
                sim = Some((simulate(base, &scenario, &subjects, day, budget.map(|b| (b, rule))), subjects.keys.len()));
            }
        }
    }
    let value_of = |key: String, default: String| q.get(&key).cloned().unwrap_or(default);
    let group_rows = |groups: &[Group], label: &dyn Fn(&str) -> String| -> Markup {
        html! {
            @for g in groups {
                tr {
                    td { (label(&g.key)) }
                    td.num { (g.baseline.eligible) } td.num { (g.scenario.eligible) }
                    td.num { (show_money(g.baseline.cost)) } td.num { (show_money(g.scenario.cost)) }
                    td.num { (show_money(g.scenario.cost - g.baseline.cost)) }
                }
            }
        }
    };
    let head = html! { thead { tr { th { "范围" } th.num { "现行符合" } th.num { "方案符合" } th.num { "现行资金（万元）" } th.num { "方案资金（万元）" } th.num { "变化" } } } };
    let body = html! {
        h1 { "政策沙盘：" (base.title) }
        form.record method="get" action={ "/policies/" (base.id) "/sandbox" } {
            input type="hidden" name="go" value="1";
            table {
                @for param in &base.params {
                    tr { th { (param.label) @if !param.unit.is_empty() { "（" (param.unit) "）" } }
                         td { input name={ "p." (param.name) } value=(value_of(format!("p.{}", param.name), param.at(day).map(show_scalar).unwrap_or_default())); } }
                }
                @for c in &base.conditions {
                    tr { th { (c.label) } td { input name={ "c." (c.id) } value=(value_of(format!("c.{}", c.id), c.text.clone())); } }
                }
                tr { th { "预算（万元，可空）" } td { input name="budget" value=(value_of("budget".into(), String::new())); } }
                tr { th { "超出预算时" } td { select name="rule" {
                    option value="prorate" selected[rule == BudgetRule::Prorate] { "按比例分配" }
                    option value="rank" selected[rule == BudgetRule::Rank] { "按金额从高到低，额满为止" } } } }
                tr { th { "地区代码前缀" } td { input name="region" value=(region); } }
                tr { th { "评估日期" } td { input type="date" name="date" value=(date::format(day)); } }
            }
            button.primary type="submit" { "测算" }
        }
        @if let Some(e) = error { p.alert.bad { (e) } }
        @if let Some((sim, n)) = &sim {
            h2 { "测算结果（" (n) " 个对象）" }
            @if let (Some(b), Some(raw)) = (budget, sim.unbudgeted_cost) {
                p.alert.warn { "预算 " (show_money(b)) " 万元低于需求 " (show_money(raw)) " 万元："
                    @if rule == BudgetRule::Prorate { "按比例分配" } @else { "按金额从高到低，额满为止" }
                    "，" (sim.funded.unwrap_or(0)) " 个对象获兑现。" }
            }
            table { (head) tbody { (group_rows(std::slice::from_ref(&sim.total), &|k| k.to_string())) } }
            p { "新增符合 " (sim.gaining.len()) "，不再符合 " (sim.losing.len()) "。"
                @if !sim.losing.is_empty() { span.muted { "不再符合：" (sim.losing.iter().take(20).cloned().collect::<Vec<_>>().join("、")) } } }
            h2 { "按地区（市）资金：现行 / 方案（万元）" }
            (paired_bars(&sim.by_region, &|k| region_label(k)))
            table { (head) tbody { (group_rows(&sim.by_region, &|k| region_label(k))) } }
            @if !sim.by_node.is_empty() {
                h2 { "按产业链环节" }
                table { (head) tbody { (group_rows(&sim.by_node, &|k| periclase_domain::ChainSet::embedded().display(k))) } }
            }
        }
    };
    Ok(page_layout::page("政策沙盘", "policies-lib", &s.0.principal, &s.0.csrf, body))
}

/// Two bars per group — the policy as written and the scenario — drawn as SVG.
fn paired_bars(groups: &[Group], label: &dyn Fn(&str) -> String) -> Markup {
    let max = groups.iter().map(|g| g.baseline.cost.max(g.scenario.cost)).fold(0.0, f64::max).max(1.0);
    let (width, label_w, row) = (640.0, 170.0, 34.0);
    let height = row * groups.len() as f64 + 30.0;
    let w = |v: f64| (width - label_w - 90.0) * v / max;
    html! {
        svg.chart viewBox=(format!("0 0 {width} {height}")) role="img" aria-label="按地区资金对比" {
            title { "按地区资金对比：现行与方案" }
            @for (i, g) in groups.iter().enumerate() {
                @let y = 5.0 + row * i as f64;
                text x=(label_w - 8.0) y=(y + 20.0) text-anchor="end" { (label(&g.key)) }
                rect.bar x=(label_w) y=(y + 3.0) width=(format!("{:.1}", w(g.baseline.cost))) height="12" rx="2" {}
                text x=(label_w + w(g.baseline.cost) + 6.0) y=(y + 13.0) { (show_money(g.baseline.cost)) }
                rect x=(label_w) y=(y + 17.0) width=(format!("{:.1}", w(g.scenario.cost))) height="12" rx="2" fill="#c55a11" {}
                text x=(label_w + w(g.scenario.cost) + 6.0) y=(y + 27.0) { (show_money(g.scenario.cost)) }
            }
            @let y = height - 12.0;
            rect.bar x=(label_w) y=(y - 9.0) width="12" height="10" {}
            text x=(label_w + 16.0) y=(y) { "现行" }
            rect x=(label_w + 60.0) y=(y - 9.0) width="12" height="10" fill="#c55a11" {}
            text x=(label_w + 76.0) y=(y) { "方案" }
        }
    }
}
