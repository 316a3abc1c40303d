//! 行业监测: each plan target, where the registries (or the statistics office) say it
//! stands, and its trend, for a chosen province.

use axum::extract::{Query, State};
use maud::{html, Markup};
use periclase_domain::registries::{ENTERPRISES, HONOURS};
use periclase_domain::RegionTable;
use periclase_monitor::{progress, shipped, Progress, Target};
use periclase_store::ListQuery;
use serde::Deserialize;

use super::{layout, PageSession};
use crate::charts::{bar_chart, line_chart, pie_chart};
use crate::{ApiError, AppState};

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    region: Option<String>,
}

struct Row {
    target: Target,
    series: Vec<(i64, f64)>,
    progress: Progress,
}

fn number(v: f64) -> String {
    if v.fract() == 0.0 {
        format!("{}", v as i64)
    } else {
        format!("{v:.1}")
    }
}

pub async fn page(State(state): State<AppState>, s: PageSession, Query(p): Query<Params>) -> Result<Markup, ApiError> {
    s.0.may_use(periclase_auth::Feature::Monitor)?;
    let targets = shipped();
    let mut regions: Vec<String> = targets.iter().map(|t| t.region.clone()).collect();
    regions.sort();
    regions.dedup();
    let chosen = p.region.filter(|r| regions.contains(r)).unwrap_or_else(|| regions[0].clone());
    let selected: Vec<Target> = targets.into_iter().filter(|t| t.region == chosen).collect();
    let store = state.store.clone();
    let region = chosen.clone();
    let (rows, tiers) = tokio::task::spawn_blocking(move || -> Result<_, ApiError> {
        let mut rows = Vec::new();
        for t in selected {
            let series = match (&t.measure, &t.reported) {
                (Some(m), _) => store.measure_series(m, &t.region)?,
                (None, Some(r)) => r.clone(),
                (None, None) => Vec::new(),
            };
            let progress = progress(&t, &series);
            rows.push(Row { target: t, series, progress });
        }
        let base = ListQuery { region: Some(region), ..Default::default() };
        let mut tiers = Vec::new();
        for h in HONOURS {
            let n = store.count(&ENTERPRISES, &ListQuery { tier: Some(h.code.to_string()), ..base.clone() })?;
            if n > 0 {
                tiers.push((h.label.to_string(), n as f64));
            }
        }
        Ok((rows, tiers))
    })
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))??;
    let table = RegionTable::embedded();
    let name = |code: &str| table.get(&format!("{code:0<6}")).map_or(code.to_string(), |r| r.name.clone());
    let ratios: Vec<(String, f64)> = rows
        .iter()
        .filter_map(|r| r.progress.ratio.map(|x| (r.target.title.clone(), (x * 100.0).min(200.0))))
        .collect();
    let body = html! {
        h1 { "行业监测 · " (name(&chosen)) }
        form.filters method="get" {
            label { "省份"
                select name="region" {
                    @for r in &regions { option value=(r) selected[*r == chosen] { (name(r)) } }
                }
            }
            button.primary type="submit" { "查看" }
            span.muted { "目标来自规划文件（见各项出处）；现值能由各库算出的自动计算，其余为统计部门报送值。" }
        }
        div.grid2 {
            div.panel { h2 { "目标完成度（%）" } (bar_chart("目标完成度", &ratios)) }
            div.panel { h2 { "梯度企业构成" } (pie_chart("梯度企业构成", &tiers)) }
        }
        @for r in &rows {
            div.panel {
                h2 { (r.target.title) }
                p {
                    "目标：" (r.target.target_year) " 年达到 " strong { (number(r.target.target)) " " (r.target.unit) }
                    @match r.progress.current {
                        Some((y, v)) => { "；现值（" (y) " 年）：" strong { (number(v)) " " (r.target.unit) }
                            @if let Some(x) = r.progress.ratio { "，完成 " (format!("{:.0}", x * 100.0)) "%" } },
                        None => { "；" span.stale { "暂无现值，需统计部门报送" } },
                    }
                    @match r.progress.on_track {
                        Some(true) => { " · " span.ok { "进度符合预期" } },
                        Some(false) => { " · " span.stale { "进度落后于直线推进" } },
                        None => {},
                    }
                }
                @if r.series.len() > 1 {
                    (line_chart(&r.target.title, &r.series.iter().map(|(y, v)| (format!("{y}年"), *v)).collect::<Vec<_>>()))
                }
                p.muted { "出处：" (r.target.source) }
                p.muted { @if r.target.measure.is_some() { "现值由本平台各库计算。" } @else { "现值为报送数据。" } }
            }
        }
    };
    Ok(layout::page("行业监测", "monitor", &s.0.principal, &s.0.csrf, body))
}
