//! The analysis as tables (Chinese headers, numbers as numbers): what the CLI prints and what
//! the xlsx/csv exports hold.

use periclase_domain::{RegionTable, Value};

use crate::{Analysis, Leader, Target};

#[derive(Debug)]
pub struct Table {
    pub title: String,
    pub header: Vec<&'static str>,
    pub rows: Vec<Vec<Value>>,
}

fn t(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn num(x: f64) -> Value {
    // `+ 0.0` turns the -0.0 of an empty float sum into 0.
    Value::Real((x * 100.0).round() / 100.0 + 0.0)
}

fn opt_pct(x: Option<f64>) -> Value {
    x.map_or(Value::Null, |x| num(x * 100.0))
}

fn region_name(code: &str) -> String {
    RegionTable::embedded().full_name(code).unwrap_or_else(|| code.to_string())
}

pub fn nodes(chain_name: &str, a: &Analysis) -> Table {
    let header = vec![
        "环节",
        "阶段",
        "本地企业",
        "待确认",
        "营收（万元）",
        "同比增长（%）",
        "从业人员",
        "研发费用（万元）",
        "产能",
        "产量",
        "在建项目",
        "在建投资（万元）",
        "创新平台",
        "科技成果",
        "最大企业占比（%）",
        "HHI",
        "占全链营收（%）",
        "对比地区占比（%）",
        "梯度企业",
    ];
    let rows = a
        .nodes
        .iter()
        .filter(|m| m.leaf && !m.market)
        .map(|m| {
            vec![
                t(&m.name),
                t(m.stage),
                Value::Int(m.enterprises.into()),
                Value::Int(m.suggested.into()),
                num(m.revenue),
                opt_pct(m.growth),
                num(m.employees),
                num(m.rd_spend),
                num(m.capacity),
                num(m.output),
                Value::Int(m.projects_under_way.into()),
                num(m.investment),
                Value::Int(m.platforms.into()),
                Value::Int(m.achievements.into()),
                opt_pct(m.top1_share),
                m.hhi.map_or(Value::Null, num),
                opt_pct(m.share),
                opt_pct(m.benchmark_share),
                t(m.tiers.iter().map(|(l, k)| format!("{l} {k}")).collect::<Vec<_>>().join("；")),
            ]
        })
        .collect();
    Table { title: format!("{chain_name}环节指标"), header, rows }
}

pub fn findings(chain_name: &str, a: &Analysis) -> Table {
    let header = vec!["类型", "环节", "结论", "依据"];
    let rows = a
        .findings
        .iter()
        .map(|f| {
            let evidence: Vec<String> = f.evidence.iter().map(|e| format!("{}：{}", e.label, e.value)).collect();
            vec![t(f.kind.label()), t(&f.name), t(&f.message), t(evidence.join("；"))]
        })
        .collect();
    Table { title: format!("{chain_name}缺口分析"), header, rows }
}

pub fn leaders(chain_name: &str, leaders: &[Leader]) -> Table {
    let header = vec![
        "排名",
        "企业名称",
        "统一社会信用代码",
        "所属地区",
        "所在环节",
        "总分",
        "规模",
        "链接度",
        "梯度",
        "创新",
        "说明",
    ];
    let rows = leaders
        .iter()
        .enumerate()
        .map(|(i, l)| {
            let mut row = vec![
                Value::Int(i as i64 + 1),
                t(&l.name),
                t(&l.uscc),
                t(region_name(&l.region)),
                t(l.nodes.join("、")),
                num(l.score),
            ];
            row.extend(l.parts.iter().map(|p| num(p.points)));
            row.push(t(l.parts.iter().map(|p| format!("{}：{}", p.label, p.detail)).collect::<Vec<_>>().join("；")));
            row
        })
        .collect();
    Table { title: format!("{chain_name}链主候选"), header, rows }
}

pub fn targets(chain_name: &str, targets: &[Target]) -> Table {
    let header =
        vec!["缺口类型", "目标环节", "企业名称", "统一社会信用代码", "所在地区", "域外企业", "得分", "推荐理由"];
    let rows = targets
        .iter()
        .map(|x| {
            vec![
                t(x.gap.label()),
                t(&x.node_name),
                t(&x.name),
                t(&x.uscc),
                t(region_name(&x.region)),
                t(if x.external { "是" } else { "否" }),
                num(x.score),
                t(&x.reason),
            ]
        })
        .collect();
    Table { title: format!("{chain_name}招商目标"), header, rows }
}
