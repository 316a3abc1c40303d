//! Projects, people, platforms, achievements, demands, policies, finance, catalogue.

use periclase_domain::{Row, Value};

use crate::places::{GIVEN, INSTITUTES, NODES, SURNAMES};
use crate::rng::{round, Rng};
use crate::texts::{CATALOGUE_ITEMS, FINANCE, POLICIES, PROBLEMS, TECHS};
use crate::{Demo, Profile};

fn text(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

fn opt_text(s: Option<String>) -> Value {
    s.map_or(Value::Null, Value::Text)
}

/// An in-province enterprise for item `j` of `kind` (external ones are skipped), optionally
/// one sitting on one of `nodes`.
fn local_enterprise(demo: &Demo, r: &mut Rng, nodes: &[usize]) -> Profile {
    let mut fallback = None;
    // A tiny demo has few candidates: drawing hundreds of times each call only repeats them.
    for _ in 0..demo.enterprises.saturating_mul(4).min(400) {
        let p = demo.enterprise(r.next_u64() % demo.enterprises);
        if p.place.external {
            continue;
        }
        if nodes.is_empty() || nodes.contains(&p.node_index) {
            return p;
        }
        fallback.get_or_insert(p);
    }
    fallback.unwrap_or_else(|| demo.enterprise(0))
}

fn date(r: &mut Rng, year: i64) -> String {
    format!("{year:04}-{:02}-{:02}", r.range(1, 12), r.range(1, 28))
}

/// Fills `{a}` and `{b}` with plausible figures.
fn fill(template: &str, r: &mut Rng) -> String {
    template.replace("{a}", &r.range(3, 95).to_string()).replace("{b}", &r.range(2, 60).to_string())
}

pub fn project(demo: &Demo, j: u64) -> Row {
    let mut r = Rng::for_item(demo.seed, "project", j);
    let owner = local_enterprise(demo, &mut r, &[]);
    let product = owner.node.products[(j as usize) % owner.node.products.len()];
    let start_year = r.range(2021, 2025);
    let name = match r.range(0, 3) {
        0 => format!("年产{}万吨{product}项目", r.range(1, 30)),
        1 => format!("{product}智能化改造项目"),
        2 => format!("{product}绿色低碳技术改造项目"),
        _ => format!("{product}扩能及延链项目"),
    };
    let investment = round(r.lognormal(15_000.0, 0.9).max(500.0), 1);
    let stage = ["planning", "preparing", "building", "building", "completed", "operating"][r.range(0, 5) as usize];
    let started = matches!(stage, "building" | "completed" | "operating");
    let start = started.then(|| date(&mut r, start_year));
    let finish_year = start_year + r.range(1, 2);
    let finish = matches!(stage, "completed" | "operating").then(|| date(&mut r, finish_year));
    let category = ["fill", "extend", "strengthen", "strengthen", "other"][r.range(0, 4) as usize];
    // Magnesite projects may have had the 5%-of-investment support the province grants (seed 000).
    let funding = if owner.node.chain == "magnesia" && started && r.chance(0.3) {
        Value::Real(round(investment * 0.05, 1))
    } else {
        Value::Null
    };
    vec![
        text(format!("XM{start_year}-{j:06}")),
        text(format!("{}{name}", owner.name.trim_end_matches("有限公司"))),
        text(&owner.uscc),
        text(owner.region()),
        Value::Real(investment),
        text(stage),
        opt_text(start),
        opt_text(finish),
        text(owner.node.name),
        text(category),
        funding,
        text(format!("建设{product}生产线及配套设施，采用先进工艺装备，提升{}环节竞争力。", owner.node.name)),
    ]
}

pub struct Talent {
    pub row: Row,
    pub affiliation: String,
    pub affiliation_uscc: Option<String>,
    pub is_expert: bool,
}

pub fn talent(demo: &Demo, j: u64) -> Talent {
    let mut r = Rng::for_item(demo.seed, "talent", j);
    let name = format!("{}{}{}", r.pick(SURNAMES), r.pick(GIVEN), if r.chance(0.6) { *r.pick(GIVEN) } else { "" });
    let at_institute = r.chance(0.4);
    let (affiliation, uscc, region, fields) = if at_institute {
        let (inst, region) = *r.pick(INSTITUTES);
        let tech = r.pick(TECHS);
        (inst.to_string(), None, region.to_string(), tech.keywords[..2].join("；"))
    } else {
        let e = local_enterprise(demo, &mut r, &[]);
        let fields = format!("{}；{}", e.node.name, e.node.products[0]);
        (e.name.clone(), Some(e.uscc.clone()), e.region().to_string(), fields)
    };
    let title = *r.pick(&["正高级工程师", "高级工程师", "教授", "研究员", "副教授", "工程师"]);
    let category = *r.pick(&["领军人才", "高层次人才", "专业技术人才", "技能人才"]);
    let is_expert = r.chance(if at_institute { 0.7 } else { 0.3 });
    let row = vec![
        text(format!("RC{j:06}")),
        text(name),
        text(&affiliation),
        opt_text(uscc.clone()),
        text(title),
        text(fields),
        text(category),
        Value::Int(i64::from(is_expert)),
        text(region),
        text(format!("1390{:07}", (j * 7_919) % 10_000_000)),
    ];
    Talent { row, affiliation, affiliation_uscc: uscc, is_expert }
}

/// Conflict-of-interest links of experts: current and former employers, project partners.
pub fn talent_links(demo: &Demo, j: u64, each: &mut dyn FnMut(Row)) {
    let t = talent(demo, j);
    if !t.is_expert {
        return;
    }
    let code = text(format!("RC{j:06}"));
    let mut r = Rng::for_item(demo.seed, "talent-links", j);
    each(vec![
        code.clone(),
        text("current"),
        text(&t.affiliation),
        opt_text(t.affiliation_uscc.clone()),
        Value::Int(r.range(2005, 2020)),
        Value::Null,
    ]);
    let mut seen = vec![t.affiliation.clone()];
    if r.chance(0.5) {
        let e = local_enterprise(demo, &mut r, &[]);
        if !seen.contains(&e.name) {
            let since = r.range(1995, 2010);
            each(vec![
                code.clone(),
                text("former"),
                text(&e.name),
                text(&e.uscc),
                Value::Int(since),
                Value::Int(since + r.range(2, 10)),
            ]);
            seen.push(e.name);
        }
    }
    for _ in 0..r.range(0, 2) {
        let e = local_enterprise(demo, &mut r, &[]);
        if !seen.contains(&e.name) {
            each(vec![
                code.clone(),
                text("partner"),
                text(&e.name),
                text(&e.uscc),
                Value::Int(r.range(2019, 2024)),
                Value::Null,
            ]);
            seen.push(e.name);
        }
    }
}

const PLATFORM_KINDS: [(&str, &str); 7] = [
    ("key_lab", "重点实验室"),
    ("tech_innovation_center", "专业技术创新中心"),
    ("enterprise_tech_center", "企业技术中心"),
    ("industrial_design_center", "工业设计中心"),
    ("pilot_base", "中试基地"),
    ("alliance", "产学研联盟"),
    ("manufacturing_innovation_center", "制造业创新中心"),
];

pub fn platform(demo: &Demo, j: u64) -> Row {
    let mut r = Rng::for_item(demo.seed, "platform", j);
    let (kind, kind_label) = PLATFORM_KINDS[r.weighted(&[10, 12, 30, 6, 6, 6, 2])];
    let host = local_enterprise(demo, &mut r, &[]);
    let level = if r.chance(0.15) {
        "national"
    } else if r.chance(0.7) {
        "provincial"
    } else {
        "municipal"
    };
    let level_word = match level {
        "national" => "国家",
        "provincial" => {
            if host.region().starts_with("34") {
                "安徽省"
            } else if host.region().starts_with("41") {
                "河南省"
            } else {
                "辽宁省"
            }
        }
        _ => "市级",
    };
    let (host_name, host_uscc) = if kind == "key_lab" && r.chance(0.5) {
        (r.pick(INSTITUTES).0.to_string(), Value::Null)
    } else {
        (host.name.clone(), text(&host.uscc))
    };
    vec![
        text(format!("PT{j:05}")),
        text(format!("{level_word}{}{kind_label}（示例{j}）", host.node.name)),
        text(kind),
        text(level),
        text(host_name),
        host_uscc,
        text(host.region()),
        Value::Int(r.range(2010, 2024)),
        text(host.node.name),
    ]
}

pub fn evaluations(demo: &Demo, j: u64, each: &mut dyn FnMut(Row)) {
    let p = platform(demo, j);
    let Value::Int(since) = p[7] else { return };
    let mut r = Rng::for_item(demo.seed, "evaluation", j);
    for year in (since + 1).max(2022)..=2024 {
        let result = ["excellent", "good", "good", "pass", "pass", "fail"][r.range(0, 5) as usize];
        each(vec![p[0].clone(), Value::Int(year), text(result), Value::Null]);
    }
}

pub fn achievement(demo: &Demo, j: u64) -> Row {
    let mut r = Rng::for_item(demo.seed, "achievement", j);
    let tech = &TECHS[(j as usize) % TECHS.len()];
    let suffix = ["", "技术", "及产业化", "关键技术", "工艺与装备"][((j as usize) / TECHS.len()) % 5];
    let (institution, region) = if r.chance(0.7) {
        let (i, reg) = *r.pick(INSTITUTES);
        (i.to_string(), reg.to_string())
    } else {
        let e = local_enterprise(demo, &mut r, tech.nodes);
        (e.name.clone(), e.region().to_string())
    };
    let maturity = ["lab", "bench", "pilot", "pilot", "industrial", "industrial"][r.range(0, 5) as usize];
    let ip = match r.range(0, 2) {
        0 => format!("发明专利{}项", r.range(1, 6)),
        1 => format!("发明专利{}项、实用新型{}项", r.range(1, 4), r.range(1, 8)),
        _ => format!("软件著作权{}项", r.range(1, 5)),
    };
    vec![
        text(format!("CG{j:06}")),
        text(format!("{}{suffix}", tech.title)),
        text(tech.field),
        text(institution),
        text(fill(tech.summary, &mut r)),
        text(tech.keywords.join("；")),
        text(maturity),
        text(ip),
        text(region),
        Value::Int(r.range(2021, 2024)),
    ]
}

pub fn demand(demo: &Demo, j: u64) -> Row {
    let mut r = Rng::for_item(demo.seed, "demand", j);
    let problem = &PROBLEMS[(j as usize) % PROBLEMS.len()];
    let e = local_enterprise(demo, &mut r, problem.nodes);
    let status = ["open", "open", "open", "matched", "closed"][r.range(0, 4) as usize];
    vec![
        text(format!("XQ{j:05}")),
        text(problem.title),
        text(&e.name),
        text(&e.uscc),
        text(problem.industry),
        text(fill(problem.description, &mut r)),
        Value::Real((r.range(2, 200) * 10) as f64),
        text(e.region()),
        text(date(&mut r, 2025)),
        text(status),
    ]
}

pub fn policies(each: &mut dyn FnMut(Row)) {
    for &(code, title, issuer, number, issued, effective, category, region, source, summary) in POLICIES {
        let non_empty = |s: &str| if s.is_empty() { Value::Null } else { text(s) };
        let category = match category {
            "减免" => "relief",
            "奖补" => "award",
            "资质" => "qualification",
            _ => "entitlement",
        };
        each(vec![
            text(code),
            text(title),
            text(issuer),
            non_empty(number),
            non_empty(issued),
            non_empty(effective),
            Value::Null,
            text(category),
            text(region),
            text(source),
            text(summary),
        ]);
    }
}

pub fn financial_products(each: &mut dyn FnMut(Row)) {
    let regions = [("210000", "辽宁"), ("340000", "安徽"), ("410000", "河南")];
    let mut n = 0;
    for (region, province) in regions {
        for &(name, institution, kind, min, max, months, rate, targets) in FINANCE {
            n += 1;
            let kind = match kind {
                "贷款" => "loan",
                "担保" => "guarantee",
                "保险" => "insurance",
                "股权投资" => "equity",
                "融资租赁" => "leasing",
                _ => "other",
            };
            each(vec![
                text(format!("JR{n:03}")),
                text(format!("{name}（{province}）")),
                text(institution.replace("辽宁", province)),
                text(kind),
                Value::Real(min),
                Value::Real(max),
                Value::Int(months),
                text(rate),
                text(targets),
                text(format!("注册地在{province}的企业，信用记录良好，近两年无重大违法违规记录。")),
                text(region),
            ]);
        }
    }
}

/// 119 items over four years, as the seed describes the catalogue.
pub fn catalogue(demo: &Demo, each: &mut dyn FnMut(Row)) {
    let per_year = [29, 30, 30, 30];
    let magnesia: Vec<usize> = (0..NODES.len()).filter(|&i| NODES[i].chain == "magnesia").collect();
    let mut seen = std::collections::HashSet::new();
    for (k, &count) in per_year.iter().enumerate() {
        let year = 2020 + k as i64;
        let mut r = Rng::for_item(demo.seed, "catalogue", year as u64);
        let mut made = 0;
        let mut tries = 0;
        while made < count && tries < 10_000 {
            tries += 1;
            let (field, items) = CATALOGUE_ITEMS[r.range(0, CATALOGUE_ITEMS.len() as i64 - 1) as usize];
            let item = *r.pick(items);
            let e = local_enterprise(demo, &mut r, &magnesia);
            if !seen.insert((year, item, e.name.clone())) {
                continue;
            }
            made += 1;
            each(vec![
                Value::Int(year),
                text(item),
                text(&e.name),
                text(&e.uscc),
                text(field),
                text(format!("{}生产的{item}，技术指标达到国内先进水平，已在钢铁、建材等行业推广应用。", e.name)),
            ]);
        }
    }
}
