//! The explanation of one policy for one enterprise or project, in Chinese: every condition
//! met, not met or unknown, with the values used and its clause; for unknown ones the
//! missing fields and the department holding them; for unmet ones what would have to change.

use std::fmt::Write;

use crate::engine::{evaluate, missing, show_num, show_scalar, Eligibility, Missing};
use crate::eval::{eval, Column, Env, Frame, Scalar};
use crate::expr::{BinOp, Expr, ExprKind, UnOp};
use crate::policy::Policy;
use crate::schema::Schema;

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ConditionNote {
    pub id: String,
    pub label: String,
    pub clause: String,
    pub result: Eligibility,
    /// (field label, value as shown) for every field and parameter the condition reads.
    pub values: Vec<(String, String)>,
    pub missing: Vec<Missing>,
    /// For a condition not met: what would have to change.
    pub change: Option<String>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub policy: String,
    pub title: String,
    pub version: u32,
    pub self_assessment: bool,
    pub result: Eligibility,
    pub amount: Option<f64>,
    pub amount_unit: String,
    pub conditions: Vec<ConditionNote>,
    /// Title of the policy of the same exclusive group applied instead (就高), if any.
    pub superseded_by: Option<String>,
}

/// Marks the explanations (of one subject, policies in the same order) that an exclusive
/// group's higher award supersedes.
pub fn apply_stacking(policies: &[&Policy], explanations: &mut [Explanation]) {
    let results: Vec<(Eligibility, Option<f64>)> = explanations.iter().map(|x| (x.result, x.amount)).collect();
    for (x, winner) in explanations.iter_mut().zip(crate::stacking::superseded(policies, &results)) {
        x.superseded_by = winner.map(|w| policies[w].title.clone());
    }
}

/// Explains row `row` of `frame` (usually a one-row frame).
pub fn explain(policy: &Policy, schema: &Schema, frame: &Frame, row: usize, day: i32) -> Explanation {
    let batch = evaluate(policy, frame, day);
    let params = policy.params_at(day);
    let env = Env::new(frame, &params, day);
    let conditions = policy
        .conditions
        .iter()
        .zip(&batch.conditions)
        .map(|(c, results)| {
            let result = Eligibility::of(results[row]);
            let paths = c.expr.paths();
            let values = paths
                .iter()
                .map(|p| (label_of(policy, schema, p), value_of(policy, schema, frame, &params, p, row)))
                .collect();
            let change =
                (result == Eligibility::NotEligible).then(|| change(&c.expr, policy, schema, &env, row)).flatten();
            ConditionNote {
                id: c.id.clone(),
                label: c.label.clone(),
                clause: c.clause.clone(),
                result,
                values,
                missing: if result == Eligibility::Unknown { missing(schema, frame, &paths, row) } else { Vec::new() },
                change,
            }
        })
        .collect();
    Explanation {
        policy: policy.id.clone(),
        title: policy.title.clone(),
        version: policy.version,
        self_assessment: policy.self_assessment,
        result: batch.eligibility(row),
        amount: batch.amount[row],
        amount_unit: policy.amount.as_ref().map(|a| a.unit.clone()).unwrap_or_default(),
        conditions,
        superseded_by: None,
    }
}

fn label_of(policy: &Policy, schema: &Schema, path: &str) -> String {
    match path.strip_prefix("params.") {
        Some(name) => {
            policy.params.iter().find(|p| p.name == name).map_or_else(|| name.to_string(), |p| p.label.clone())
        }
        None => schema.get(path).map_or_else(|| path.to_string(), |f| f.label.clone()),
    }
}

fn unit_of(policy: &Policy, schema: &Schema, path: &str) -> String {
    match path.strip_prefix("params.") {
        Some(name) => policy.params.iter().find(|p| p.name == name).map(|p| p.unit.clone()).unwrap_or_default(),
        None => schema.get(path).map(|f| f.unit.to_string()).unwrap_or_default(),
    }
}

fn value_of(
    policy: &Policy,
    schema: &Schema,
    frame: &Frame,
    params: &std::collections::HashMap<String, Scalar>,
    path: &str,
    row: usize,
) -> String {
    let unit = unit_of(policy, schema, path);
    if let Some(name) = path.strip_prefix("params.") {
        return params.get(name).map_or_else(|| "（无）".into(), |v| format!("{}{unit}", show_scalar(v)));
    }
    let shown = match frame.columns.get(path) {
        Some(Column::Num(v)) => v[row].map(|x| format!("{}{unit}", show_num(x))),
        Some(Column::Text(v)) => v[row].clone(),
        Some(Column::Bool(v)) => v[row].map(|b| if b { "是" } else { "否" }.to_string()),
        Some(Column::Date(v)) => v[row].map(crate::date::format),
        Some(Column::List(v)) => v[row].as_ref().map(|l| {
            if l.is_empty() {
                return "（无）".into();
            }
            let shown: Vec<String> = l.iter().map(|code| list_item(path, code)).collect();
            shown.join("、")
        }),
        None => None,
    };
    shown.unwrap_or_else(|| {
        let department = schema.get(path).map_or("", |f| f.department);
        format!("未填报（需向{department}获取）")
    })
}

/// A list item as a reader knows it: honours by their names, chain nodes as 链/环节.
fn list_item(path: &str, code: &str) -> String {
    match path {
        "enterprise.honours" => periclase_domain::registries::HONOURS
            .iter()
            .find(|h| h.code == code)
            .map_or_else(|| code.to_string(), |h| h.label.to_string()),
        "enterprise.chain_nodes" => periclase_domain::ChainSet::embedded().display(code),
        _ => code.to_string(),
    }
}

/// The expression as a reader sees it: fields by label, operators as 数学符号.
pub fn show_expr(e: &Expr, policy: &Policy, schema: &Schema) -> String {
    let show = |x: &Expr| show_expr(x, policy, schema);
    match &e.kind {
        ExprKind::Num(x) => show_num(*x),
        ExprKind::Str(s) => format!("“{s}”"),
        ExprKind::Bool(b) => if *b { "是" } else { "否" }.into(),
        ExprKind::Null => "空".into(),
        ExprKind::List(items) => items.iter().map(show).collect::<Vec<_>>().join("、"),
        ExprKind::Path(p) => label_of(policy, schema, &p.join(".")),
        ExprKind::Unary(UnOp::Not, a) => format!("并非（{}）", show(a)),
        ExprKind::Unary(UnOp::Neg, a) => format!("-{}", show(a)),
        ExprKind::Binary(op, a, b) => {
            let sym = match op {
                BinOp::Ge => "≥",
                BinOp::Le => "≤",
                BinOp::Ne => "≠",
                BinOp::Eq => "=",
                BinOp::And => "并且",
                BinOp::Or => "或者",
                BinOp::In => "属于",
                other => other.symbol(),
            };
            format!("{} {sym} {}", show(a), show(b))
        }
        ExprKind::Cond(c, y, n) => format!("（{} 时为 {}，否则为 {}）", show(c), show(y), show(n)),
        ExprKind::Call(f, args) => match f.as_str() {
            "has" => format!("已填报{}", show(&args[0])),
            "years_since" => format!("{}至今年数", show(&args[0])),
            "date" => args.first().map(show).unwrap_or_default().replace(['“', '”'], ""),
            _ => format!("{f}({})", args.iter().map(show).collect::<Vec<_>>().join("，")),
        },
        ExprKind::Method(t, m, args) => {
            let verb = match m.as_str() {
                "startsWith" => "以",
                "endsWith" => "以",
                _ => "包含",
            };
            let tail = match m.as_str() {
                "startsWith" => "开头",
                "endsWith" => "结尾",
                _ => "",
            };
            format!("{}{verb}{}{tail}", show(t), args.first().map(show).unwrap_or_default())
        }
    }
}

/// What would make an unmet condition hold, from its shape: the comparisons that fail
/// (with the current value and the threshold), membership, or a missing report.
fn change(e: &Expr, policy: &Policy, schema: &Schema, env: &Env<'_>, row: usize) -> Option<String> {
    let holds = |x: &Expr| eval(x, env).bool(row);
    match &e.kind {
        ExprKind::Binary(BinOp::And, a, b) => {
            let parts: Vec<String> = [a, b]
                .into_iter()
                .filter(|x| holds(x) == Some(false))
                .filter_map(|x| change(x, policy, schema, env, row))
                .collect();
            (!parts.is_empty()).then(|| parts.join("；"))
        }
        ExprKind::Binary(BinOp::Or, a, b) => {
            let parts: Vec<String> = [a, b].into_iter().filter_map(|x| change(x, policy, schema, env, row)).collect();
            (!parts.is_empty()).then(|| format!("以下任一项即可：{}", parts.join("；或")))
        }
        ExprKind::Binary(op @ (BinOp::Ge | BinOp::Gt | BinOp::Le | BinOp::Lt | BinOp::Eq | BinOp::Ne), a, b) => {
            let now = eval(a, env).num_at(row);
            let target = eval(b, env).num_at(row);
            let sym = match op {
                BinOp::Ge => "≥",
                BinOp::Gt => ">",
                BinOp::Le => "≤",
                BinOp::Lt => "<",
                BinOp::Eq => "=",
                _ => "≠",
            };
            let mut s = format!("需 {} {sym} {}", show_expr(a, policy, schema), show_expr(b, policy, schema));
            if let (Some(now), Some(target)) = (now, target) {
                let unit = match &a.kind {
                    ExprKind::Path(p) => unit_of(policy, schema, &p.join(".")),
                    _ => String::new(),
                };
                let _ = write!(s, "（现为 {}{unit}，门槛 {}{unit}）", show_num(now), show_num(target));
            }
            Some(s)
        }
        ExprKind::Binary(BinOp::In, a, b) => match (&a.kind, &b.kind) {
            // `"specialized_sme" in enterprise.honours`: the list must hold the item.
            (ExprKind::Str(item), ExprKind::Path(p)) => {
                let path = p.join(".");
                Some(format!("需{}包含「{}」", show_expr(b, policy, schema), list_item(&path, item)))
            }
            _ => Some(format!("需 {} 属于：{}", show_expr(a, policy, schema), show_expr(b, policy, schema))),
        },
        ExprKind::Unary(UnOp::Not, a) => Some(format!("需不满足：{}", show_expr(a, policy, schema))),
        ExprKind::Call(f, args) if f == "has" => Some(format!("需填报{}", show_expr(&args[0], policy, schema))),
        _ => Some(format!("需满足：{}", show_expr(e, policy, schema))),
    }
}

/// The explanation as text, one line per condition.
pub fn render(x: &Explanation) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "《{}》（第{}版）：{}", x.title, x.version, x.result.label());
    if x.self_assessment {
        let _ = writeln!(out, "（资质自测结果，仅供参考，不代表认定）");
    }
    if let Some(other) = &x.superseded_by {
        let _ = writeln!(out, "与《{other}》不重复享受，按就高原则适用《{other}》，本项不予兑现");
    }
    if let Some(a) = x.amount.filter(|_| x.superseded_by.is_none()) {
        let prefix =
            if x.result == Eligibility::Unknown { "若补齐数据后符合，预计金额" } else { "金额" };
        let _ = writeln!(out, "{prefix}：{} {}", show_num(a), x.amount_unit);
    }
    for c in &x.conditions {
        let mark = match c.result {
            Eligibility::Eligible => "✔",
            Eligibility::NotEligible => "✘",
            Eligibility::Unknown => "？",
        };
        let values: Vec<String> = c.values.iter().map(|(l, v)| format!("{l} {v}")).collect();
        let _ = write!(out, "{mark} {}（{}）", c.label, c.clause);
        if !values.is_empty() {
            let _ = write!(out, "：{}", values.join("，"));
        }
        out.push('\n');
        if let Some(change) = &c.change {
            let _ = writeln!(out, "    {change}");
        }
        for m in &c.missing {
            let _ = writeln!(out, "    缺少{}，请向{}部门获取", m.label, m.department);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::load;

    #[test]
    fn explanation_names_values_clauses_missing_departments_and_the_change_needed() {
        let schema = Schema::standard();
        let p = load("test.toml", crate::engine::tests_support::AWARD, &schema).unwrap();
        let frame = Frame::new(2)
            .with("enterprise.revenue", Column::Num(vec![Some(5000.0), None]))
            .with("enterprise.rd_spend", Column::Num(vec![Some(100.0), Some(50.0)]));
        let day = crate::date::parse("2024-06-01").unwrap();
        let not_met = render(&explain(&p, &schema, &frame, 0, day));
        assert_eq!(
            not_met,
            "《测试奖励》（第1版）：不符合\n\
             ✔ 营业收入不低于1000万元（第二条）：营业收入（最近年度） 5000万元\n\
             ✘ 研发投入占比不低于3%（第三条）：研发费用（最近年度） 100万元，营业收入（最近年度） 5000万元\n    \
             需 研发费用（最近年度） / 营业收入（最近年度） ≥ 0.03（现为 0.02，门槛 0.03）\n"
        );
        let unknown = render(&explain(&p, &schema, &frame, 1, day));
        assert!(
            unknown.starts_with("《测试奖励》（第1版）：待补充数据\n若补齐数据后符合，预计金额：2.5 万元\n"),
            "{unknown}"
        );
        assert!(unknown.contains("？ 营业收入不低于1000万元（第二条）：营业收入（最近年度） 未填报（需向税务获取）\n    缺少营业收入（最近年度），请向税务部门获取\n"), "{unknown}");
    }
}
