//! A registry's list (filters, keyset paging) and a record's page.

use axum::extract::{Path, Query, State};
use maud::{html, Markup};
use periclase_domain::registries::{self, ENTERPRISES, ENTERPRISE_FIGURES, HONOURS, METRICS};
use periclase_domain::{display_cell, FieldKind, RegionTable, RegistrySpec, Scope, Value};
use periclase_store::{sortable_fields, ListQuery, Record, SortKey};

use super::{layout, PageSession};
use crate::charts::line_chart;
use crate::params::{encode, ListParams};
use crate::{registry, ApiError, AppState};

/// What a cell shows: labels for codes, region names beside codes.
fn shown(f: &periclase_domain::FieldSpec, v: &Value) -> String {
    match (f.kind, v) {
        (FieldKind::Region, Value::Text(code)) => {
            RegionTable::embedded().full_name(code).map_or_else(|| code.clone(), |n| format!("{n}（{code}）"))
        }
        _ => display_cell(f, v),
    }
}

/// The link to a record: its natural key when it has one field, else its row id.
pub(super) fn record_path(spec: &RegistrySpec, r: &Record) -> String {
    match spec.key_indices().as_slice() {
        [i] => format!("/r/{}/{}", spec.name, encode(&r.row[*i].to_string())),
        _ => format!("/r/{}/{}", spec.name, r.id),
    }
}

/// Columns worth a list: short fields, not private.
fn list_columns(spec: &RegistrySpec) -> Vec<usize> {
    spec.fields
        .iter()
        .enumerate()
        .filter(|(_, f)| !f.private && !matches!(f.kind, FieldKind::LongText | FieldKind::List))
        .map(|(i, _)| i)
        .take(7)
        .collect()
}

pub async fn list(
    State(state): State<AppState>,
    s: PageSession,
    Path(name): Path<String>,
    Query(p): Query<ListParams>,
) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    let scope = s.0.may_read(spec)?;
    let query = p.query(spec, scope.clone())?;
    let (query_sort, issue) = (query.sort, query.issue);
    let store = state.store.clone();
    // The cascade: provinces in view, the cities of the chosen province, the counties of the
    // chosen city — each with how many rows it holds.
    // Prefixes by `get`, never by byte slicing: the parameter is whatever the user typed
    // (`region=中` panicked here).
    let chosen = p.region().unwrap_or_default();
    let levels: Vec<(usize, Option<String>)> =
        vec![(2, None), (4, chosen.get(..2).map(str::to_string)), (6, chosen.get(..4).map(str::to_string))];
    let (page, cascade) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let page = store.list(spec, &query)?;
        let mut cascade = Vec::new();
        if spec.region_field.is_some() {
            for (len, within) in levels {
                if len > 2 && within.is_none() {
                    break;
                }
                let q = ListQuery { scope: Some(scope.clone()), region: within, ..Default::default() };
                cascade.push(store.count_by_region(spec, &q, len)?);
            }
        }
        Ok((page, cascade))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let cols = list_columns(spec);
    let filters = p.filters_query();
    let table = RegionTable::embedded();
    let body = html! {
        h1 { (spec.label) " " span.muted { "共 " (page.total) " 条" } }
        p.no-print {
            @if s.0.principal.write_scope(spec) != Scope::Nothing {
                a.button href={ "/r/" (spec.name) "/new" } { "新建" } " "
                a.button href={ "/r/" (spec.name) "/import" } { "导入 Excel" } " "
            }
            a href={ "/r/" (spec.name) "/export?format=xlsx" @if !filters.is_empty() { "&" (filters) } } { "导出当前结果（xlsx）" }
            " · "
            a href={ "/r/" (spec.name) "/export?format=csv" @if !filters.is_empty() { "&" (filters) } } { "csv" }
        }
        form.filters method="get" {
            label { "关键词" input name="q" value=[p.q.as_deref()] placeholder="名称、代码……"; }
            @for (level, options) in cascade.iter().enumerate() {
                @let (name, label, len) = [("province", "省", 2), ("city", "市", 4), ("county", "县（区）", 6)][level];
                @let current = chosen.get(..len);
                label { (label)
                    // Progressive enhancement: with script (`/assets/app.js`; no inline
                    // handlers under the CSP), choosing a level reloads the list; without,
                    // the 查询 button does.
                    select name=(name) data-autosubmit {
                        option value="" { "全部" }
                        @for (code, n) in options {
                            option value=(code) selected[current == Some(code.as_str())] {
                                (table.get(&format!("{code:0<6}")).map_or(code.as_str(), |r| r.name.as_str())) "（" (n) "）"
                            }
                        }
                    }
                }
            }
            @if spec.name == ENTERPRISES.name {
                label { "梯度"
                    select name="tier" {
                        option value="" { "全部" }
                        @for h in HONOURS {
                            option value=(h.code) selected[p.tier.as_deref() == Some(h.code)] { (h.label) }
                        }
                    }
                }
                label { "行业代码" input name="industry" value=[p.industry.as_deref()] placeholder="如 C3089" size="8"; }
            }
            @if spec.year_field.is_some() {
                label { "年度" input name="year" value=[p.year.as_deref()] size="6"; }
            }
            label { "排序"
                select name="sort" {
                    @for (value, label) in [("", "登记顺序"), ("-updated", "最近修改在前")] {
                        option value=(value) selected[p.sort.as_deref().unwrap_or_default() == value] { (label) }
                    }
                    @if let SortKey::Field(f) = query_sort.key {
                        option value=(query_sort.param()) selected { (f.label) (if query_sort.desc { "（降序）" } else { "（升序）" }) }
                    }
                }
            }
            @if let Some(issue) = issue {
                input type="hidden" name="issue" value=(issue.code());
            }
            button.primary type="submit" { "查询" }
        }
        @if let Some(issue) = issue {
            p.alert.warn role="status" {
                "仅显示有数据质量问题的记录：" (issue.label()) "。"
                a href={ "?" (ListParams { issue: None, ..p.clone() }.filters_query()) } { "显示全部" }
            }
        }
        table {
            thead {
                tr {
                    @for &i in &cols {
                        @let f = &spec.fields[i];
                        @if sortable_fields(spec).any(|s| s.key == f.key) {
                            @let current = match query_sort.key { SortKey::Field(s) if s.key == f.key => Some(query_sort.desc), _ => None };
                            // A header sorts ascending, then toggles; the arrow shows the order in force.
                            @let next = if current == Some(false) { format!("-{}", f.key) } else { f.key.to_string() };
                            th aria-sort=(match current { Some(true) => "descending", Some(false) => "ascending", None => "none" }) {
                                a href={ "?" (p.sorted_by(&next)) } {
                                    (f.label) @match current { Some(true) => " ▼", Some(false) => " ▲", None => "" }
                                }
                            }
                        } @else {
                            th { (f.label) }
                        }
                    }
                }
            }
            tbody {
                @for r in &page.records {
                    tr {
                        @for (n, &i) in cols.iter().enumerate() {
                            @let text = shown(&spec.fields[i], &r.row[i]);
                            @if n == 0 { td { a href=(record_path(spec, r)) { (text) } } }
                            @else if matches!(spec.fields[i].kind, FieldKind::Amount | FieldKind::Count | FieldKind::Percent) { td.num { (text) } }
                            @else { td { (text) } }
                        }
                    }
                }
            }
        }
        div.pager {
            @if p.after.is_some() { a href={ "?" (filters) } { "« 第一页" } }
            @if let Some(next) = &page.next {
                a href={ "?" (filters) @if !filters.is_empty() { "&" } "after=" (encode(next)) } { "下一页 »" }
            }
        }
    };
    Ok(layout::page(spec.label, spec.name, &s.0.principal, &s.0.csrf, body))
}

pub async fn detail(
    State(state): State<AppState>,
    s: PageSession,
    Path((name, key)): Path<(String, String)>,
) -> Result<Markup, ApiError> {
    let spec = registry(&name)?;
    let scope = s.0.may_read(spec)?;
    let store = state.store.clone();
    // Matches only for those who may read the other side (an institute sees demands, not
    // other institutes' achievements).
    let show_matches = periclase_search::counterpart(spec)
        .is_some_and(|t| super::search::allowed(&s.0.principal).iter().any(|(n, _)| n == t.name));
    let st = state.clone();
    let who = s.0.principal.clone();
    let (rec, children, latest, (matched, finance)) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let Some(rec) = store.get(spec, &key, Some(&scope))? else {
            return Err(ApiError::NotFound(format!("{}中没有「{key}」", spec.label)));
        };
        let matched = if show_matches {
            let code = rec.row[spec.key_indices()[0]].to_string();
            let (d, a) = if spec.id == periclase_domain::RegistryId::Demands {
                (Some(code.as_str()), None)
            } else {
                (None, Some(code.as_str()))
            };
            let intros = match super::search::introduction_scope(&who) {
                Ok(scope) => store.introductions(d, a, &scope)?,
                Err(_) => Vec::new(),
            };
            Some((code.clone(), super::search::matches_of(&st, spec, &rec, 10, &who)?, intros))
        } else {
            None
        };
        let mut children = Vec::new();
        for child in registries::ALL
            .iter()
            .filter(|c| c.fields.iter().any(|f| f.kind == FieldKind::Ref(spec.id) && c.natural_key.contains(&f.key)))
            .filter(|c| who.read_scope(c) != Scope::Nothing)
        {
            let rows = store.children(spec, rec.id, child)?;
            if !rows.is_empty() {
                children.push((*child, rows));
            }
        }
        let finance = if spec.id == ENTERPRISES.id {
            periclase_app::finance_match::for_enterprise(store.as_ref(), &key, Some(&scope))?.map(|(_, f)| f)
        } else {
            None
        };
        Ok((rec, children, store.latest_figure_year()?, (matched, finance)))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let title = rec.row.get(1).map(|v| v.to_string()).unwrap_or_default();
    let figures = children.iter().find(|(c, _)| c.id == ENTERPRISE_FIGURES.id).map(|(_, rows)| rows.as_slice());
    let change = s.0.may_change(spec).ok();
    let private = s.0.principal.sees_private(spec);
    let path = record_path(spec, &rec);
    // An enterprise's page says what it has declared and is still waiting for.
    let pending = if spec.id == ENTERPRISES.id && s.0.principal.may(periclase_auth::Feature::Declarations) {
        super::declarations::pending_for(&state, &rec.row[0].to_string()).await?
    } else {
        Vec::new()
    };
    let body = html! {
        h1 { (title) " " span.muted { (spec.label) } }
        @match change {
            Some(crate::auth::Change::Direct(_)) => p.no-print { a.button href={ (path) "/edit" } { "修改" } " " a href={ (path) "/delete" } { "删除" } },
            Some(crate::auth::Change::Declare(_)) => p.no-print { a.button href={ (path) "/edit" } { "申报更正" } " " a href={ (path) "/delete" } { "申报删除" } },
            None => {},
        }
        (super::declarations::pending_notice(&pending))
        div.panel {
            dl.fields {
                @for (f, v) in spec.fields.iter().zip(&rec.row) {
                    @if (private || !f.private) && !v.is_null() { dt { (f.label) } dd { (shown(f, v)) } }
                }
            }
        }
        @if let Some((code, matches, intros)) = &matched {
            (super::search::matches_panel(spec, code, matches, intros, &s.0.principal, &s.0.csrf))
        }
        @if let Some(rows) = figures { (figure_panel(rows, latest)) }
        @if let Some(products) = &finance { (super::search::finance_panel(products)) }
        @for (child, rows) in children.iter().filter(|(c, _)| c.id != ENTERPRISE_FIGURES.id) {
            h2 { (child.label) }
            table {
                thead { tr { @for f in child.fields.iter().skip(1).filter(|f| !f.private) { th { (f.label) } } } }
                tbody {
                    @for r in rows {
                        tr { @for (f, v) in child.fields.iter().zip(&r.row).skip(1).filter(|(f, _)| !f.private) { td { (shown(f, v)) } } }
                    }
                }
            }
        }
    };
    Ok(layout::page(&title, spec.name, &s.0.principal, &s.0.csrf, body))
}

/// Yearly figures as metric × year, every value with its source and as-of date, a trend
/// chart of revenue, and a warning when the newest year is missing.
fn figure_panel(rows: &[Record], latest: Option<i64>) -> Markup {
    let mut years: Vec<i64> =
        rows.iter().filter_map(|r| if let Value::Int(y) = r.row[1] { Some(y) } else { None }).collect();
    years.sort_unstable();
    years.dedup();
    let cell = |metric: &str, year: i64| {
        rows.iter().find(|r| r.row[1] == Value::Int(year) && r.row[2].as_str() == Some(metric))
    };
    let revenue: Vec<(String, f64)> = years
        .iter()
        .filter_map(|y| cell("revenue", *y).and_then(|r| r.row[3].as_f64()).map(|v| (format!("{y}年"), v)))
        .collect();
    let newest = years.last().copied();
    html! {
        h2 { "年度指标" }
        @if let (Some(n), Some(l)) = (newest, latest) {
            @if n < l { div.alert.warn { "最新数据为 " (n) " 年，全省已有 " (l) " 年数据：本企业数据可能已过期。" } }
        }
        div.grid2 {
            table {
                thead { tr { th { "指标" } @for y in &years { th.num { (y) } } } }
                tbody {
                    @for m in METRICS {
                        @if years.iter().any(|y| cell(m.code, *y).is_some()) {
                            tr {
                                td { (m.label) }
                                @for y in &years {
                                    @match cell(m.code, *y) {
                                        Some(r) => td.num title={ "来源：" (r.row[4]) "；截至 " (r.row[5]) } { (r.row[3]) },
                                        None => td.num.muted title="未报送" { "—" },
                                    }
                                }
                            }
                        }
                    }
                }
            }
            @if revenue.len() > 1 { div { (line_chart("营业收入（万元）", &revenue)) } }
        }
        p.muted { "数据来源与截至日期：鼠标停在数值上可见。" }
        details {
            summary { "逐项来源" }
            table {
                thead { tr { th { "年度" } th { "指标" } th.num { "数值" } th { "来源" } th { "截至日期" } } }
                tbody {
                    @for r in rows {
                        tr {
                            td { (r.row[1]) }
                            td { (ENTERPRISE_FIGURES.fields[2].enum_label(r.row[2].as_str().unwrap_or(""))) }
                            td.num { (r.row[3]) }
                            td { (r.row[4]) }
                            td { (r.row[5]) }
                        }
                    }
                }
            }
        }
    }
}
