//! A hand-built chain and province where every right answer is known.

use periclase_domain::registries::HONOURS;
use periclase_domain::{Chain, ChainFacts, EnterpriseFacts, Membership, PlatformFacts, ProjectFacts};

use crate::{analyse, layout, leaders, suggest, targets, Area, EnterpriseText, FindingKind};

const CHAIN: &str = r#"
id = "t"
name = "测试链"
version = "1"
source = "测试"
[[node]]
id = "a"
name = "矿石"
stage = "upstream"
products = ["矿石"]
keywords = ["采矿"]
industries = ["B10"]
[[node]]
id = "b"
name = "冶炼"
stage = "midstream"
products = ["金属锭"]
[[node]]
id = "c"
name = "部件"
stage = "downstream"
products = ["部件"]
[[node]]
id = "d"
name = "合金"
stage = "downstream"
products = ["合金"]
[[node]]
id = "m"
name = "用户"
stage = "downstream"
market = true
[[edge]]
from = "a"
to = "b"
kind = "raw_material"
[[edge]]
from = "b"
to = "c"
kind = "supplies"
[[edge]]
from = "a"
to = "d"
kind = "raw_material"
[[edge]]
from = "c"
to = "m"
kind = "supplies"
"#;

pub fn chain() -> Chain {
    Chain::parse("t.toml", CHAIN).unwrap()
}

fn tier(code: &str) -> u32 {
    1 << HONOURS.iter().position(|h| h.code == code).unwrap()
}

/// Local county 210381 (海城), the rest of Liaoning as benchmark, one enterprise outside.
pub fn facts() -> ChainFacts {
    let e = |name: &str, region: &str, revenue: f64| EnterpriseFacts {
        id: 0,
        uscc: format!("U-{name}"),
        name: name.to_string(),
        region: region.to_string(),
        revenue: Some(revenue),
        revenue_prev: Some(revenue / 1.1),
        ..Default::default()
    };
    let mut ents = vec![
        e("甲一", "210381", 50_000.0), // 0: a, chain leader
        e("甲二", "210381", 20_000.0), // 1: a
        e("甲三", "210381", 10_000.0), // 2: a
        e("乙一", "210381", 8_000.0),  // 3: b, the only smelter
        e("丙一", "210381", 1_000.0),  // 4: c, weak
        e("丙二", "210381", 500.0),    // 5: c
        e("丁省", "210882", 9_000.0),  // 6: d elsewhere in the province
        e("丁外", "320585", 30_000.0), // 7: d outside, external
        e("丙省", "210882", 60_000.0), // 8: c elsewhere in the province (c strong there)
        e("乙省", "210882", 5_000.0),  // 9: b elsewhere
    ];
    ents[0].tiers = tier("chain_leader") | tier("high_tech");
    ents[0].rd_spend = Some(2_500.0);
    ents[0].platforms = 1;
    ents[7].external = true;
    ents[7].tiers = tier("little_giant");
    for (i, x) in ents.iter_mut().enumerate() {
        x.id = i as i64 + 1;
    }
    let member =
        |i: usize, node: &str| Membership { enterprise: i, node: format!("t/{node}"), confirmed: true, basis: None };
    let mut members = vec![
        member(0, "a"),
        member(1, "a"),
        member(2, "a"),
        member(3, "b"),
        member(4, "c"),
        member(5, "c"),
        member(6, "d"),
        member(7, "d"),
        member(8, "c"),
        member(9, "b"),
    ];
    members.push(Membership { enterprise: 2, node: "t/d".into(), confirmed: false, basis: Some("建议".into()) });
    ChainFacts {
        year: Some(2024),
        enterprises: ents,
        members,
        projects: vec![ProjectFacts {
            code: "P1".into(),
            name: "年产1万吨金属锭项目".into(),
            region: "210381".into(),
            chain_node: Some("冶炼".into()),
            investment: Some(12_000.0),
            stage: Some("building".into()),
        }]
        .into(),
        platforms: vec![PlatformFacts {
            code: "PF1".into(),
            name: "平台".into(),
            level: "provincial".into(),
            region: None,
            host: Some(0),
        }],
        achievements: Default::default(),
    }
}

#[test]
fn metrics_count_local_members_and_concentration() {
    let (chain, facts) = (chain(), facts());
    let a = analyse(&chain, &facts, &Area::new("210381"));
    let m = a.node("a").unwrap();
    assert_eq!((m.enterprises, m.suggested), (3, 0));
    assert_eq!(m.revenue, 80_000.0);
    assert!((m.top1_share.unwrap() - 0.625).abs() < 1e-9);
    // HHI: (0.625² + 0.25² + 0.125²) × 10,000
    assert!((m.hhi.unwrap() - 4_687.5).abs() < 1e-6);
    assert!((m.growth.unwrap() - 0.1).abs() < 1e-9);
    assert_eq!(m.platforms, 1);
    assert_eq!(m.tiers.iter().find(|(l, _)| *l == "链主企业").map(|t| t.1), Some(1));
    let b = a.node("b").unwrap();
    assert_eq!((b.projects, b.projects_under_way, b.investment), (1, 1, 12_000.0));
    assert_eq!(a.node("d").unwrap().suggested, 1);
    assert_eq!(a.node("d").unwrap().benchmark_enterprises, 1, "the external one is not in the benchmark");
}

#[test]
fn each_kind_of_gap_is_found_with_its_figures() {
    let (chain, facts) = (chain(), facts());
    let a = analyse(&chain, &facts, &Area::new("210381"));
    let kinds: Vec<(FindingKind, &str, Option<&str>)> =
        a.findings.iter().map(|f| (f.kind, f.node.as_str(), f.toward.as_deref())).collect();
    assert_eq!(
        kinds,
        [
            (FindingKind::Missing, "d", None),
            (FindingKind::Weak, "c", None),
            (FindingKind::BreakRisk, "b", None),
            (FindingKind::Extension, "a", Some("d")),
        ]
    );
    let weak = &a.findings[1];
    assert!(weak.evidence.iter().any(|e| e.label == "对比地区占比"), "{weak:?}");
    let brk = &a.findings[2];
    assert!(brk.message.contains("部件（2 家）"), "{}", brk.message);
    // The market node is never a gap.
    assert!(a.findings.iter().all(|f| f.node != "m"));
}

#[test]
fn the_chain_leader_ranks_first_with_its_parts() {
    let (chain, facts) = (chain(), facts());
    let a = analyse(&chain, &facts, &Area::new("210381"));
    let top = leaders(&chain, &facts, &a, 3);
    assert_eq!(top[0].name, "甲一");
    assert_eq!(top[0].parts.len(), 4);
    let total: f64 = top[0].parts.iter().map(|p| p.points).sum();
    assert!((total - top[0].score).abs() < 1e-9 && top[0].score <= 100.0);
    assert!(top[0].parts[2].detail.contains("链主企业"));
}

#[test]
fn targets_fill_the_gaps_from_outside_the_region() {
    let (chain, facts) = (chain(), facts());
    let a = analyse(&chain, &facts, &Area::new("210381"));
    let t = targets(&chain, &facts, &crate::Prepared::new(&chain, &facts), &a);
    let missing: Vec<&str> = t.iter().filter(|t| t.gap == FindingKind::Missing).map(|t| t.name.as_str()).collect();
    assert_eq!(missing, ["丁外", "丁省"], "bigger and a 小巨人 first");
    assert!(t[0].reason.contains("填补缺链「合金」") && t[0].reason.contains("域外企业"), "{}", t[0].reason);
    assert!(t.iter().all(|t| !t.region.starts_with("210381")));
    let weak: Vec<&str> = t.iter().filter(|t| t.gap == FindingKind::Weak).map(|t| t.name.as_str()).collect();
    assert_eq!(weak, ["丙省"]);
}

#[test]
fn the_province_is_compared_with_everything() {
    let (chain, facts) = (chain(), facts());
    let a = analyse(&chain, &facts, &Area::new("21"));
    assert_eq!(a.area.benchmark, "");
    assert_eq!(a.node("d").unwrap().enterprises, 1);
    assert!(a.findings.iter().all(|f| f.kind != FindingKind::Missing));
}

#[test]
fn suggestions_name_their_reasons() {
    let chain = chain();
    let set = periclase_domain::ChainSet { chains: vec![chain] };
    let s = suggest(
        &set,
        &EnterpriseText {
            name: "示例采矿有限公司",
            products: "矿石；石料",
            scope: "采矿、销售",
            industry: Some("B1019"),
        },
    );
    assert_eq!(s[0].node, "t/a");
    assert!(s[0].reason.contains("主要产品含「矿石」") && s[0].reason.contains("行业代码 B1019"), "{}", s[0].reason);
    let none = suggest(&set, &EnterpriseText { name: "示例贸易公司", products: "", scope: "贸易", industry: None });
    assert!(none.is_empty());
}

#[test]
fn layout_puts_upstream_left_and_customers_last() {
    let l = layout(&chain());
    let col = |n: &str| l.nodes.iter().find(|p| p.node == n).unwrap().column;
    assert_eq!((col("a"), col("b"), col("c"), col("d"), col("m")), (0, 1, 2, 1, 3));
    assert_eq!(l.columns, 4);
}

#[test]
fn a_plan_target_decides_weakness_where_one_is_set() {
    let with_targets = format!(
        "{CHAIN}
[[target]]
region = \"210381\"
node = \"c\"
revenue = 1000
year = 2027
source = \"某县规划\"
[[target]]
region = \"210381\"
node = \"a\"
revenue = 100000
enterprises = 5
year = 2027
source = \"某县规划：矿石环节\"
"
    );
    let chain = Chain::parse("t.toml", &with_targets).unwrap();
    let a = analyse(&chain, &facts(), &Area::new("210381"));
    let weak: Vec<&str> = a.findings.iter().filter(|f| f.kind == FindingKind::Weak).map(|f| f.node.as_str()).collect();
    assert_eq!(weak, ["a"], "c meets its target (1,500 ≥ 1,000); a is short of 100,000 and 5 enterprises");
    let f = a.findings.iter().find(|f| f.kind == FindingKind::Weak).unwrap();
    assert!(f.message.contains("低于规划目标（2027年"), "{}", f.message);
    assert!(f.evidence.iter().any(|e| e.label == "目标来源" && e.value.contains("矿石环节")), "{f:?}");
    assert!(f.evidence.iter().any(|e| e.label == "营收完成" && e.value == "80.0%"), "{f:?}");
    // For a region without targets (the city holding the same enterprises) the share rule
    // still applies: c trails the province.
    let city = analyse(&chain, &facts(), &Area::new("2103"));
    let weak: Vec<&str> =
        city.findings.iter().filter(|f| f.kind == FindingKind::Weak).map(|f| f.node.as_str()).collect();
    assert_eq!(weak, ["c"]);
}
