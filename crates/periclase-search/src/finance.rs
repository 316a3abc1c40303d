//! Financial products for an enterprise (融资对接): each product's 适用对象 read as conditions
//! the enterprise's registry data can check — tiers and honours, size (小微、中小), invention
//! patents, manufacturing, 首台（套） — and what it cannot (首次贷款, 技术改造…), which is
//! listed "to confirm", never taken as a no. Products of another province are left out.

use periclase_domain::registries::{FINANCIAL_PRODUCTS, HONOURS};
use periclase_domain::{Row, Value};

/// What the registries say about the enterprise.
#[derive(Debug, Clone, Default)]
pub struct EnterpriseProfile {
    pub region: String,
    /// GB/T 4754 code.
    pub industry: Option<String>,
    /// Tier and honour codes.
    pub tiers: Vec<String>,
    /// Latest 营业收入 (万元), 从业人员, 发明专利.
    pub revenue: Option<f64>,
    pub employees: Option<f64>,
    pub invention_patents: Option<f64>,
    /// 首台（套）/首批次 policies insured.
    pub first_sets: usize,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct FinanceMatch {
    pub code: String,
    pub name: String,
    pub institution: String,
    pub kind: String,
    /// 额度 and 期限 as shown to the enterprise.
    pub terms: String,
    /// Every checkable condition met, nothing left to confirm.
    pub fits: bool,
    pub score: f32,
    pub reasons: Vec<String>,
    pub to_confirm: Vec<String>,
}

enum Check {
    Yes(String),
    No,
    Unknown(String),
}

/// Conditions the registries cannot decide, as the product's wording names them.
const UNCHECKABLE: &[&str] =
    &["首次贷款", "存量贷款", "技术改造", "设备更新", "高层次人才", "新材料", "研发型", "初创期", "孵化期"];

fn size_class(p: &EnterpriseProfile, employees_below: f64, revenue_below: f64, label: &str) -> Check {
    // 工信部联企业〔2011〕300号, industry: either figure under the line.
    let by_staff = p.employees.map(|e| e < employees_below);
    let by_revenue = p.revenue.map(|r| r < revenue_below);
    match (by_staff, by_revenue) {
        (Some(true), _) | (_, Some(true)) => Check::Yes(format!(
            "属{label}（从业人员 {}，营业收入 {} 万元）",
            p.employees.map_or("未填".into(), |v| v.to_string()),
            p.revenue.map_or("未填".into(), |v| v.to_string())
        )),
        (Some(false), Some(false)) => Check::No,
        _ => Check::Unknown(format!("是否属{label}（缺从业人员或营业收入）")),
    }
}

/// One 适用对象 phrase against the profile.
fn check_target(target: &str, p: &EnterpriseProfile) -> Vec<Check> {
    let mut out = Vec::new();
    // Tiers named, the longest wording first (专精特新“小巨人” before 专精特新).
    let mut named: Vec<(&str, &str, &str)> = Vec::new();
    for o in HONOURS {
        for surface in std::iter::once(&o.label).chain(o.aliases.iter()) {
            if target.contains(surface) {
                named.push((surface, o.code, o.label));
            }
        }
    }
    named.sort_by_key(|(s, _, _)| std::cmp::Reverse(s.chars().count()));
    let mut covered: Vec<&str> = Vec::new();
    let mut tiers: Vec<(&str, &str)> = Vec::new();
    for (surface, code, label) in named {
        if !covered.iter().any(|c| c.contains(surface)) {
            covered.push(surface);
            tiers.push((code, label));
        }
    }
    if !tiers.is_empty() {
        match tiers.iter().find(|(code, _)| p.tiers.iter().any(|t| t == code)) {
            Some((_, label)) => out.push(Check::Yes(format!("本企业为{label}"))),
            None => out.push(Check::No),
        }
    } else if target.contains("小微") {
        out.push(size_class(p, 300.0, 20_000.0, "小微企业"));
    } else if target.contains("中小企业") {
        out.push(size_class(p, 1000.0, 40_000.0, "中小企业"));
    }
    if target.contains("发明专利") {
        out.push(match p.invention_patents {
            Some(n) if n >= 1.0 => Check::Yes(format!("有发明专利 {n} 件")),
            Some(_) => Check::No,
            None => Check::Unknown("发明专利件数（未填报）".into()),
        });
    }
    if target.contains("制造业") {
        out.push(match p.industry.as_deref() {
            Some(code) if code.starts_with('C') => Check::Yes(format!("属制造业（行业代码 {code}）")),
            Some(_) => Check::No,
            None => Check::Unknown("是否属制造业（缺行业代码）".into()),
        });
    }
    if target.contains("首台") {
        out.push(if p.first_sets > 0 {
            Check::Yes(format!("有首台（套）投保 {} 份", p.first_sets))
        } else {
            Check::Unknown("是否有首台（套）装备".into())
        });
    }
    for cue in UNCHECKABLE {
        if target.contains(cue) {
            out.push(Check::Unknown(format!("是否符合「{target}」")));
            break;
        }
    }
    if out.is_empty() {
        out.push(Check::Unknown(format!("是否符合「{target}」")));
    }
    out
}

fn text(row: &Row, key: &str) -> String {
    match FINANCIAL_PRODUCTS.index_of(key).map(|i| &row[i]) {
        Some(Value::Null) | None => String::new(),
        Some(v) => v.to_string(),
    }
}

fn number(row: &Row, key: &str) -> Option<f64> {
    FINANCIAL_PRODUCTS.index_of(key).and_then(|i| row[i].as_f64())
}

/// Products (rows of `financial-products`) that fit the enterprise, best first.
pub fn match_finance(p: &EnterpriseProfile, products: &[Row]) -> Vec<FinanceMatch> {
    let mut out = Vec::new();
    for row in products {
        let region = text(row, "region");
        let region = crate::index::region_filter(&region);
        if !region.is_empty() && !p.region.starts_with(&region) {
            continue;
        }
        let targets: Vec<String> =
            text(row, "targets").split('；').filter(|t| !t.is_empty()).map(str::to_string).collect();
        // The best of the product's 适用对象 (any one suffices).
        let mut best: Option<(f32, Vec<String>, Vec<String>)> = None;
        for t in &targets {
            let checks = check_target(t, p);
            if checks.iter().any(|c| matches!(c, Check::No)) {
                continue;
            }
            let yes: Vec<String> = checks
                .iter()
                .filter_map(|c| if let Check::Yes(why) = c { Some(format!("适用对象「{t}」：{why}")) } else { None })
                .collect();
            let unknown: Vec<String> =
                checks.iter().filter_map(|c| if let Check::Unknown(u) = c { Some(u.clone()) } else { None }).collect();
            let score = match (yes.is_empty(), unknown.is_empty()) {
                (false, true) => 3.0,
                (false, false) => 1.5,
                _ => 0.5,
            };
            if best.as_ref().is_none_or(|(s, _, _)| score > *s) {
                best = Some((score, yes, unknown));
            }
        }
        let (score, reasons, mut to_confirm) = match (targets.is_empty(), best) {
            (true, _) => (0.5, vec![], vec!["产品未写明适用对象，请向金融机构咨询".to_string()]),
            (false, None) => continue,
            (false, Some(b)) => b,
        };
        // Size against the smallest amount lent: a floor above half a year's revenue is
        // rarely granted.
        if let (Some(lo), Some(rev)) = (number(row, "min_amount"), p.revenue) {
            if lo > rev * 0.5 {
                to_confirm.push(format!("最低额度 {lo} 万元，高于营业收入（{rev} 万元）的一半"));
            }
        }
        let amount = match (number(row, "min_amount"), number(row, "max_amount")) {
            (Some(lo), Some(hi)) => format!("{lo}–{hi} 万元"),
            (None, Some(hi)) => format!("最高 {hi} 万元"),
            _ => "额度面议".to_string(),
        };
        let months = number(row, "term_months").map(|m| format!("，期限 {m} 个月")).unwrap_or_default();
        let rate = text(row, "rate");
        let kind_field = FINANCIAL_PRODUCTS.field("kind").expect("kind exists");
        out.push(FinanceMatch {
            code: text(row, "code"),
            name: text(row, "name"),
            institution: text(row, "institution"),
            kind: kind_field.enum_label(&text(row, "kind")).to_string(),
            terms: format!("{amount}{months}{}", if rate.is_empty() { String::new() } else { format!("，{rate}") }),
            fits: to_confirm.is_empty() && !reasons.is_empty(),
            score,
            reasons,
            to_confirm,
        });
    }
    out.sort_by(|a, b| b.score.total_cmp(&a.score).then_with(|| a.code.cmp(&b.code)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn product(code: &str, targets: &str, region: &str) -> Row {
        let mut row = vec![Value::Null; FINANCIAL_PRODUCTS.fields.len()];
        let mut set = |k: &str, v: Value| row[FINANCIAL_PRODUCTS.index_of(k).unwrap()] = v;
        set("code", Value::Text(code.into()));
        set("name", Value::Text(format!("产品{code}")));
        set("institution", Value::Text("示例银行".into()));
        set("kind", Value::Text("loan".into()));
        set("max_amount", Value::Real(1000.0));
        set("targets", Value::Text(targets.into()));
        set("region", Value::Text(region.into()));
        row
    }

    #[test]
    fn tiers_size_and_patents_decide_and_the_rest_is_to_confirm() {
        let p = EnterpriseProfile {
            region: "210381".into(),
            industry: Some("C3089".into()),
            tiers: vec!["specialized_sme".into()],
            revenue: Some(8000.0),
            employees: Some(120.0),
            invention_patents: Some(0.0),
            first_sets: 0,
        };
        let products = [
            product("A", "专精特新中小企业；专精特新“小巨人”", "210000"),
            product("B", "拥有发明专利的企业", "210000"),
            product("C", "首次贷款的小微企业", "210000"),
            product("D", "专精特新中小企业", "340000"),
            product("E", "实施技术改造的制造业企业", "210000"),
            product("F", "专精特新“小巨人”", "210000"),
        ];
        let found = match_finance(&p, &products);
        let codes: Vec<&str> = found.iter().map(|m| m.code.as_str()).collect();
        assert_eq!(codes, ["A", "C", "E"], "no patents, another province, not a 小巨人");
        assert!(found[0].fits);
        assert_eq!(
            found[0].reasons,
            ["适用对象「专精特新中小企业；专精特新“小巨人”」：本企业为专精特新中小企业"
                .replace("；专精特新“小巨人”", "")]
        );
        assert_eq!(found[1].to_confirm, ["是否符合「首次贷款的小微企业」"]);
        assert!(found[1].reasons[0].contains("属小微企业"), "{:?}", found[1].reasons);
        assert!(found[2].reasons[0].contains("属制造业（行业代码 C3089）"));
        let unknown = EnterpriseProfile { region: "2103".into(), ..EnterpriseProfile::default() };
        let b = match_finance(&unknown, &products[1..2]);
        assert_eq!(b[0].to_confirm, ["发明专利件数（未填报）"], "missing data is to confirm, not a no");
    }
}
