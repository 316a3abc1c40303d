//! What a condition may read: every field of the enterprise and project a policy is about,
//! its type, its label and the department (部门) that holds it, so that a missing value can
//! say whom to ask.

use periclase_domain::registries::METRICS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    Num,
    Text,
    Bool,
    /// A calendar day.
    Date,
    /// A list of texts (honour codes, chain nodes, products).
    List,
}

impl Ty {
    pub fn label(self) -> &'static str {
        match self {
            Ty::Num => "数值",
            Ty::Text => "文本",
            Ty::Bool => "是/否",
            Ty::Date => "日期",
            Ty::List => "列表",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// `enterprise.revenue`.
    pub path: String,
    pub label: String,
    pub ty: Ty,
    pub unit: &'static str,
    /// Who holds the figure: 税务, 市场监管, 科技, 工信, 统计, 人社…
    pub department: &'static str,
}

/// The department holding each yearly figure, and its unit.
const METRIC_SOURCES: &[(&str, &str, &str)] = &[
    ("revenue", "税务", "万元"),
    ("employees", "人社", "人"),
    ("st_staff", "科技", "人"),
    ("rd_spend", "税务", "万元"),
    ("total_assets", "税务", "万元"),
    ("debt_ratio", "税务", "%"),
    ("high_tech_income", "科技", "万元"),
    ("invention_patents", "市场监管（知识产权）", "件"),
    ("ip_count", "市场监管（知识产权）", "件"),
    ("exports", "商务", "万元"),
    ("energy_use", "发展改革", "吨标准煤"),
    ("main_business_income", "统计", "万元"),
    ("equity_raised", "地方金融", "万元"),
];

#[derive(Debug, Clone)]
pub struct Schema {
    fields: Vec<Field>,
}

fn field(path: &str, label: &str, ty: Ty, unit: &'static str, department: &'static str) -> Field {
    Field { path: path.into(), label: label.into(), ty, unit, department }
}

impl Schema {
    /// Enterprise fields (registry columns, the latest year's figures, three-year sums,
    /// honours and chain nodes), project fields and 首台（套）insurance fields.
    pub fn standard() -> Schema {
        let mut fields = vec![
            field("enterprise.uscc", "统一社会信用代码", Ty::Text, "", "市场监管"),
            field("enterprise.name", "企业名称", Ty::Text, "", "市场监管"),
            field("enterprise.region", "所属地区", Ty::Text, "", "市场监管"),
            field("enterprise.industry", "行业代码", Ty::Text, "", "统计"),
            field("enterprise.founded", "成立日期", Ty::Date, "", "市场监管"),
            field("enterprise.external", "域外企业", Ty::Bool, "", "工信"),
            field("enterprise.main_products", "主要产品", Ty::List, "", "工信"),
            field("enterprise.honours", "梯度与荣誉", Ty::List, "", "工信"),
            field("enterprise.chain_nodes", "所在产业链环节", Ty::List, "", "工信"),
        ];
        for m in METRICS {
            let (_, department, unit) =
                METRIC_SOURCES.iter().find(|(code, _, _)| *code == m.code).copied().unwrap_or((m.code, "统计", ""));
            let label = m.label.split('（').next().unwrap_or(m.label);
            fields.push(field(
                &format!("enterprise.{}", m.code),
                &format!("{label}（最近年度）"),
                Ty::Num,
                unit,
                department,
            ));
        }
        for (code, label) in [("revenue", "营业收入"), ("rd_spend", "研发费用")] {
            let (_, department, unit) = METRIC_SOURCES.iter().find(|(c, _, _)| *c == code).copied().unwrap_or_default();
            fields.push(field(
                &format!("enterprise.{code}_3y"),
                &format!("近三年{label}合计"),
                Ty::Num,
                unit,
                department,
            ));
        }
        fields.extend([
            field("project.code", "项目编号", Ty::Text, "", "发展改革"),
            field("project.name", "项目名称", Ty::Text, "", "发展改革"),
            field("project.region", "项目所在地区", Ty::Text, "", "发展改革"),
            field("project.total_investment", "项目总投资", Ty::Num, "万元", "发展改革"),
            field("project.stage", "项目阶段", Ty::Text, "", "发展改革"),
            field("project.category", "项目类别", Ty::Text, "", "工信"),
            field("project.chain_node", "项目产业链环节", Ty::Text, "", "工信"),
            field("project.start_date", "开工日期", Ty::Date, "", "发展改革"),
            field("project.funding_received", "已获资金支持", Ty::Num, "万元", "财政"),
            field("first_set.policy_no", "保单号", Ty::Text, "", "金融监管"),
            field("first_set.product", "投保产品", Ty::Text, "", "工信"),
            field("first_set.kind", "首台（套）类别", Ty::Text, "", "工信"),
            field("first_set.catalogue_year", "列入推广应用指导目录年度", Ty::Num, "", "工信"),
            field("first_set.insured_amount", "保险金额", Ty::Num, "万元", "金融监管"),
            field("first_set.premium", "实缴保费", Ty::Num, "万元", "金融监管"),
            field("first_set.start_date", "保险起期", Ty::Date, "", "金融监管"),
            field("first_set.coverage_year", "连续投保第几年", Ty::Num, "", "金融监管"),
        ]);
        Schema { fields }
    }

    pub fn get(&self, path: &str) -> Option<&Field> {
        self.fields.iter().find(|f| f.path == path)
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }

    /// A known field whose name is closest to `path`, for "did you mean" in errors.
    pub fn nearest(&self, path: &str) -> Option<&Field> {
        let (prefix, name) = path.rsplit_once('.').unwrap_or(("", path));
        self.fields
            .iter()
            .filter(|f| f.path.starts_with(prefix))
            .min_by_key(|f| edit_distance(f.path.rsplit('.').next().unwrap_or(""), name))
            .filter(|f| edit_distance(f.path.rsplit('.').next().unwrap_or(""), name) <= 3)
    }
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut prev = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let cur = row[j + 1];
            row[j + 1] = (prev + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            prev = cur;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_metric_has_a_department_and_fields_are_unique() {
        let s = Schema::standard();
        for m in METRICS {
            assert!(METRIC_SOURCES.iter().any(|(c, _, _)| *c == m.code), "{} needs a department", m.code);
        }
        let mut paths: Vec<&str> = s.fields().iter().map(|f| f.path.as_str()).collect();
        paths.sort_unstable();
        paths.dedup();
        assert_eq!(paths.len(), s.fields().len());
        assert_eq!(s.get("enterprise.rd_spend").unwrap().department, "税务");
        assert_eq!(s.nearest("enterprise.revenu").unwrap().path, "enterprise.revenue");
    }
}
