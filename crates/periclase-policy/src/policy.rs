//! A policy file (`data/policies/*.toml`): metadata, parameters with dated values,
//! conditions tied to clauses, an amount with cap and floor, and stacking rules. Loading
//! parses and type-checks every expression once; errors name the file, line and column.

use std::collections::HashMap;

use serde::Deserialize;
use toml::Spanned;

use crate::check::Checker;
use crate::date;
use crate::eval::Scalar;
use crate::expr::{parse, Expr, Pos};
use crate::schema::{Schema, Ty};

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PolicyError {
    #[error("{file}：{message}")]
    File { file: String, message: String },
    #[error("{file} 第{line}行第{col}列：{message}")]
    At { file: String, line: u32, col: u32, message: String },
}

/// 减免 (tax and fee relief), 奖补 (awards and subsidies), 权益 (rights), 资质 (qualification
/// self-checks).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
pub enum Category {
    #[serde(rename = "减免")]
    Relief,
    #[serde(rename = "奖补")]
    Award,
    #[serde(rename = "权益")]
    Right,
    #[serde(rename = "资质")]
    Qualification,
}

impl Category {
    pub fn label(self) -> &'static str {
        match self {
            Category::Relief => "减免",
            Category::Award => "奖补",
            Category::Right => "权益",
            Category::Qualification => "资质",
        }
    }
}

/// What one evaluation is about: an enterprise, a project or a 首台（套）insurance policy
/// (the last two with their enterprise's fields).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Enterprise,
    Project,
    FirstSet,
}

impl Subject {
    pub fn label(self) -> &'static str {
        match self {
            Subject::Enterprise => "企业",
            Subject::Project => "项目",
            Subject::FirstSet => "首台（套）保单",
        }
    }

    pub fn kind(self) -> periclase_domain::frame::SubjectKind {
        use periclase_domain::frame::SubjectKind;
        match self {
            Subject::Enterprise => SubjectKind::Enterprise,
            Subject::Project => SubjectKind::Project,
            Subject::FirstSet => SubjectKind::FirstSet,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct DatedValue {
    /// Day number from which the value applies.
    pub from: i32,
    pub value: Scalar,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Param {
    pub name: String,
    pub label: String,
    pub unit: String,
    pub ty: Ty,
    /// Ascending by `from`.
    pub values: Vec<DatedValue>,
}

impl Param {
    /// The value in force on `day`: the last one whose `from` is not after it.
    pub fn at(&self, day: i32) -> Option<&Scalar> {
        self.values.iter().rev().find(|v| v.from <= day).map(|v| &v.value)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Condition {
    pub id: String,
    pub label: String,
    pub clause: String,
    pub text: String,
    pub expr: Expr,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Amount {
    pub formula: Expr,
    pub formula_text: String,
    pub cap: Option<Expr>,
    pub floor: Option<Expr>,
    pub unit: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    pub id: String,
    pub version: u32,
    pub title: String,
    pub issuer: String,
    pub document: String,
    pub category: Category,
    pub subject: Subject,
    pub valid_from: i32,
    pub valid_to: Option<i32>,
    pub source: String,
    pub url: Option<String>,
    /// A self-assessment (资质自测), never a certification.
    pub self_assessment: bool,
    /// Granted at most once to the same enterprise or project, across runs.
    pub once: bool,
    /// Policies sharing a group are mutually exclusive: the higher amount is taken.
    pub exclusive_group: Option<String>,
    pub params: Vec<Param>,
    pub conditions: Vec<Condition>,
    pub amount: Option<Amount>,
    /// What the policy says happens when the money asked for exceeds its budget.
    pub budget: Option<Budget>,
}

/// A policy's budget (万元, when fixed in the policy) and how it is shared when exceeded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Budget {
    pub amount: Option<f64>,
    pub rule: crate::simulate::BudgetRule,
}

impl Policy {
    /// Parameter values in force on `day`.
    pub fn params_at(&self, day: i32) -> HashMap<String, Scalar> {
        self.params.iter().filter_map(|p| Some((p.name.clone(), p.at(day)?.clone()))).collect()
    }

    /// Every field path the conditions and the amount read (parameters aside), once each.
    pub fn fields(&self) -> Vec<String> {
        let mut paths: Vec<String> = Vec::new();
        let amount =
            self.amount.iter().flat_map(|a| std::iter::once(&a.formula).chain(a.cap.iter()).chain(a.floor.iter()));
        for e in self.conditions.iter().map(|c| &c.expr).chain(amount) {
            for path in e.paths() {
                if !path.starts_with("params.") && !paths.contains(&path) {
                    paths.push(path);
                }
            }
        }
        paths
    }

    pub fn in_force(&self, day: i32) -> bool {
        day >= self.valid_from && self.valid_to.is_none_or(|to| day <= to)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    id: String,
    #[serde(default = "one")]
    version: u32,
    title: String,
    issuer: String,
    document: String,
    category: Category,
    subject: Subject,
    valid_from: String,
    valid_to: Option<String>,
    source: String,
    url: Option<String>,
    #[serde(default)]
    self_assessment: bool,
    #[serde(default)]
    once: bool,
    exclusive_group: Option<String>,
    #[serde(default)]
    params: HashMap<String, RawParam>,
    #[serde(default)]
    conditions: Vec<RawCondition>,
    amount: Option<RawAmount>,
    budget: Option<RawBudget>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBudget {
    amount: Option<f64>,
    rule: crate::simulate::BudgetRule,
}

fn one() -> u32 {
    1
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    label: String,
    #[serde(default)]
    unit: String,
    values: Vec<RawDated>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDated {
    from: String,
    value: toml::Value,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCondition {
    id: String,
    label: String,
    clause: String,
    when: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAmount {
    formula: Spanned<String>,
    cap: Option<Spanned<String>>,
    floor: Option<Spanned<String>>,
    #[serde(default = "wan")]
    unit: String,
}

fn wan() -> String {
    "万元".into()
}

/// Line and column (1-based) of byte `offset` in `text`.
fn line_col(text: &str, offset: usize) -> (u32, u32) {
    let before = &text[..offset.min(text.len())];
    let line = before.matches('\n').count() as u32 + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    (line, col)
}

struct Loader<'a> {
    file: &'a str,
    text: &'a str,
    schema: &'a Schema,
    param_types: HashMap<String, Ty>,
}

impl Loader<'_> {
    fn fail(&self, message: String) -> PolicyError {
        PolicyError::File { file: self.file.to_string(), message }
    }

    /// Where `pos` inside the expression string spanning `span` lies in the file.
    fn at(&self, span: std::ops::Range<usize>, pos: Pos, message: String) -> PolicyError {
        let raw = &self.text[span.clone()];
        let quote = if raw.starts_with("'''") || raw.starts_with("\"\"\"") { 3 } else { 1 };
        let mut start = span.start + quote;
        if quote == 3 && self.text[start..].starts_with('\n') {
            start += 1;
        }
        let (line, col) = line_col(self.text, start);
        let (line, col) = if pos.line == 1 { (line, col + pos.col - 1) } else { (line + pos.line - 1, pos.col) };
        PolicyError::At { file: self.file.to_string(), line, col, message }
    }

    fn expr(&self, s: &Spanned<String>, want: Ty, what: &str) -> Result<Expr, PolicyError> {
        let e = parse(s.get_ref()).map_err(|e| self.at(s.span(), e.pos, format!("{what}：{}", e.message)))?;
        let checker = Checker { schema: self.schema, params: &self.param_types };
        let ty = checker.check(&e).map_err(|e| self.at(s.span(), e.pos, format!("{what}：{}", e.message)))?;
        if ty != want {
            return Err(self.at(s.span(), e.pos, format!("{what}的结果应为{}，这里是{}", want.label(), ty.label())));
        }
        Ok(e)
    }

    fn day(&self, text: &str, what: &str) -> Result<i32, PolicyError> {
        date::parse(text).ok_or_else(|| self.fail(format!("{what}「{text}」不是有效日期，应写作 2025-01-01")))
    }
}

fn scalar(v: &toml::Value) -> Option<(Scalar, Ty)> {
    Some(match v {
        toml::Value::Integer(i) => (Scalar::Num(*i as f64), Ty::Num),
        toml::Value::Float(f) => (Scalar::Num(*f), Ty::Num),
        toml::Value::String(s) => (Scalar::Text(s.clone()), Ty::Text),
        toml::Value::Boolean(b) => (Scalar::Bool(*b), Ty::Bool),
        toml::Value::Array(items) => {
            let texts: Option<Vec<String>> = items.iter().map(|i| i.as_str().map(str::to_string)).collect();
            (Scalar::List(texts?), Ty::List)
        }
        _ => return None,
    })
}

/// Parses and checks one policy file.
pub fn load(file: &str, text: &str, schema: &Schema) -> Result<Policy, PolicyError> {
    let raw: RawPolicy = toml::from_str(text).map_err(|e| {
        let (line, col) = e.span().map(|s| line_col(text, s.start)).unwrap_or((0, 0));
        let message = e.message().to_string();
        if line == 0 {
            PolicyError::File { file: file.into(), message }
        } else {
            PolicyError::At { file: file.into(), line, col, message }
        }
    })?;
    let mut loader = Loader { file, text, schema, param_types: HashMap::new() };
    if raw.id.is_empty() || !raw.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
        return Err(loader.fail(format!("编号「{}」只能由字母、数字和“-”组成", raw.id)));
    }
    let mut params = Vec::new();
    let mut names: Vec<&String> = raw.params.keys().collect();
    names.sort();
    for name in names {
        let p = &raw.params[name];
        if p.values.is_empty() {
            return Err(loader.fail(format!("参数「{name}」没有取值")));
        }
        let mut values = Vec::new();
        let mut ty = None;
        for v in &p.values {
            let from = loader.day(&v.from, &format!("参数「{name}」的生效日期"))?;
            let (value, t) = scalar(&v.value)
                .ok_or_else(|| loader.fail(format!("参数「{name}」的取值应为数值、文本、是/否或文本列表")))?;
            if ty.is_some_and(|prev| prev != t) {
                return Err(loader.fail(format!("参数「{name}」各期取值的类型不一致")));
            }
            ty = Some(t);
            values.push(DatedValue { from, value });
        }
        values.sort_by_key(|v| v.from);
        if values.windows(2).any(|w| w[0].from == w[1].from) {
            return Err(loader.fail(format!("参数「{name}」有两个取值从同一天生效")));
        }
        let ty = ty.unwrap_or(Ty::Num);
        loader.param_types.insert(name.clone(), ty);
        params.push(Param { name: name.clone(), label: p.label.clone(), unit: p.unit.clone(), ty, values });
    }
    let mut conditions = Vec::new();
    for c in &raw.conditions {
        if conditions.iter().any(|x: &Condition| x.id == c.id) {
            return Err(loader.fail(format!("条件编号「{}」重复", c.id)));
        }
        let expr = loader.expr(&c.when, Ty::Bool, &format!("条件「{}」", c.label))?;
        conditions.push(Condition {
            id: c.id.clone(),
            label: c.label.clone(),
            clause: c.clause.clone(),
            text: c.when.get_ref().clone(),
            expr,
        });
    }
    if conditions.is_empty() {
        return Err(loader.fail("政策至少要有一个条件（[[conditions]]）".into()));
    }
    let amount = match &raw.amount {
        None => None,
        Some(a) => Some(Amount {
            formula: loader.expr(&a.formula, Ty::Num, "金额公式")?,
            formula_text: a.formula.get_ref().clone(),
            cap: a.cap.as_ref().map(|c| loader.expr(c, Ty::Num, "金额上限")).transpose()?,
            floor: a.floor.as_ref().map(|c| loader.expr(c, Ty::Num, "金额下限")).transpose()?,
            unit: a.unit.clone(),
        }),
    };
    let valid_from = loader.day(&raw.valid_from, "生效日期")?;
    let valid_to = raw.valid_to.as_deref().map(|d| loader.day(d, "截止日期")).transpose()?;
    if valid_to.is_some_and(|to| to < valid_from) {
        return Err(loader.fail("截止日期早于生效日期".into()));
    }
    let _ = &mut loader;
    Ok(Policy {
        id: raw.id,
        version: raw.version,
        title: raw.title,
        issuer: raw.issuer,
        document: raw.document,
        category: raw.category,
        subject: raw.subject,
        valid_from,
        valid_to,
        source: raw.source,
        url: raw.url,
        self_assessment: raw.self_assessment,
        once: raw.once,
        exclusive_group: raw.exclusive_group,
        params,
        conditions,
        amount,
        budget: raw.budget.map(|b| Budget { amount: b.amount, rule: b.rule }),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEAD: &str = "id = \"p\"\ntitle = \"t\"\nissuer = \"i\"\ndocument = \"d\"\ncategory = \"奖补\"\nsubject = \"enterprise\"\nvalid_from = \"2024-01-01\"\nsource = \"s\"\n";

    fn load_with(tail: &str) -> Result<Policy, PolicyError> {
        load("p.toml", &format!("{HEAD}{tail}"), &Schema::standard())
    }

    #[test]
    fn errors_point_into_the_file() {
        let e = load_with(
            "[[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = 'enterprise.revenue >= 10 &&'\n",
        )
        .unwrap_err();
        assert_eq!(e.to_string(), "p.toml 第13行第36列：条件「l」：此处应为数值、字段或括号，却是「结尾」");
        let e = load_with("[[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = '''\nenterprise.revenue >= 1 &&\n  enterprise.nam == \"x\"'''\n")
            .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("p.toml 第15行第3列：条件「l」：没有字段「enterprise.nam」，是否想写「enterprise.name」"),
            "{e}"
        );
        let e = load_with("[[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = 'enterprise.revenue'\n")
            .unwrap_err();
        assert!(e.to_string().contains("条件「l」的结果应为是/否，这里是数值"), "{e}");
        let e = load_with("colour = 1\n").unwrap_err();
        assert!(matches!(e, PolicyError::At { line: 9, .. }), "{e}");
        let e = load_with("[params.rate]\nlabel = \"r\"\nvalues = [{ from = \"2024-02-30\", value = 1 }]\n[[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = 'true'\n").unwrap_err();
        assert!(e.to_string().contains("「2024-02-30」不是有效日期"), "{e}");
        assert!(load_with("").unwrap_err().to_string().contains("至少要有一个条件"));
    }

    #[test]
    fn a_budget_says_how_it_is_shared() {
        let when = "[[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = 'true'\n";
        let p = load_with(&format!("{when}[budget]\namount = 5000\nrule = \"rank\"\n")).unwrap();
        assert_eq!(p.budget, Some(Budget { amount: Some(5000.0), rule: crate::simulate::BudgetRule::Rank }));
        let e = load_with(&format!("{when}[budget]\nrule = \"lottery\"\n")).unwrap_err();
        assert!(e.to_string().contains("lottery"), "{e}");
    }

    #[test]
    fn dated_parameters_take_the_value_in_force() {
        let p = load_with(
            "[params.rate]\nlabel = \"r\"\nvalues = [{ from = \"2025-01-01\", value = 0.08 }, { from = \"2024-01-01\", value = 0.05 }]\n\
             [[conditions]]\nid = \"a\"\nlabel = \"l\"\nclause = \"c\"\nwhen = 'params.rate > 0'\n",
        )
        .unwrap();
        let at = |d: &str| p.params[0].at(date::parse(d).unwrap()).cloned();
        assert_eq!(at("2023-12-31"), None);
        assert_eq!(at("2024-01-01"), Some(Scalar::Num(0.05)));
        assert_eq!(at("2024-12-31"), Some(Scalar::Num(0.05)));
        assert_eq!(at("2025-01-01"), Some(Scalar::Num(0.08)));
    }
}
