//! Policy tests written as YAML (`data/policies/tests/*.yaml`): for a policy and a date,
//! cases of inputs and the expected eligibility, amount and missing fields. Run by
//! `periclase policy test` and in CI.
//!
//! ```yaml
//! - policy: tech-sme-self-check
//!   date: 2025-06-30
//!   cases:
//!     - name: 规模与评分均达标
//!       enterprise: { employees: 120, st_staff: 40, revenue: 8000, rd_spend: 500 }
//!       expect: { result: eligible }
//!     - name: 缺科技人员数
//!       enterprise: { employees: 120, revenue: 8000 }
//!       expect: { result: unknown, unknown: [enterprise.st_staff] }
//! ```

use serde::Deserialize;

use crate::engine::{evaluate, missing, Eligibility};
use crate::eval::{Column, Frame};
use crate::schema::{Schema, Ty};
use crate::set::PolicySet;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Suite {
    policy: String,
    date: String,
    cases: Vec<Case>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Case {
    name: String,
    #[serde(default)]
    enterprise: serde_norway::Mapping,
    #[serde(default)]
    project: serde_norway::Mapping,
    #[serde(default)]
    first_set: serde_norway::Mapping,
    expect: Expect,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Expect {
    result: Eligibility,
    amount: Option<f64>,
    /// Exactly these fields are missing (any order).
    unknown: Option<Vec<String>>,
}

impl<'de> Deserialize<'de> for Eligibility {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        match s.as_str() {
            "eligible" | "符合" => Ok(Eligibility::Eligible),
            "not_eligible" | "不符合" => Ok(Eligibility::NotEligible),
            "unknown" | "待补充数据" => Ok(Eligibility::Unknown),
            other => Err(serde::de::Error::custom(format!(
                "结果「{other}」应为 eligible（符合）、not_eligible（不符合）或 unknown（待补充数据）"
            ))),
        }
    }
}

/// A case that did not come out as expected, or could not be run.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    pub file: String,
    pub policy: String,
    pub case: String,
    pub message: String,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Report {
    pub passed: usize,
    pub failures: Vec<Failure>,
}

fn column(ty: Ty, v: &serde_norway::Value) -> Result<Column, String> {
    use serde_norway::Value as V;
    let text = |v: &V| match v {
        V::String(s) => Some(s.clone()),
        V::Number(n) => Some(n.to_string()),
        _ => None,
    };
    Ok(match ty {
        Ty::Num => Column::Num(vec![Some(v.as_f64().ok_or("应为数值")?)]),
        Ty::Text => Column::Text(vec![Some(text(v).ok_or("应为文本")?)]),
        Ty::Bool => Column::Bool(vec![Some(v.as_bool().ok_or("应为 true 或 false")?)]),
        Ty::Date => {
            Column::Date(vec![Some(text(v).as_deref().and_then(crate::date::parse).ok_or("应为日期，如 2020-05-01")?)])
        }
        Ty::List => Column::List(vec![Some(
            v.as_sequence()
                .ok_or("应为列表，如 [specialized_sme]")?
                .iter()
                .map(text)
                .collect::<Option<_>>()
                .ok_or("列表中应为文本")?,
        )]),
    })
}

/// The one-row frame of a case's inputs.
fn frame(schema: &Schema, case: &Case) -> Result<Frame, String> {
    let mut f = Frame::new(1);
    for (subject, map) in [("enterprise", &case.enterprise), ("project", &case.project), ("first_set", &case.first_set)]
    {
        for (k, v) in map {
            let key = k.as_str().ok_or("字段名应为文本")?;
            let path = format!("{subject}.{key}");
            let field = schema.get(&path).ok_or_else(|| format!("没有字段「{path}」"))?;
            let col = column(field.ty, v).map_err(|e| format!("字段「{path}」{e}"))?;
            f = f.with(&path, col);
        }
    }
    Ok(f)
}

/// Runs every case of every file against `set`.
pub fn run(set: &PolicySet, schema: &Schema, files: &[(&str, &str)]) -> Report {
    let mut report = Report::default();
    for (file, text) in files {
        let fail = |policy: &str, case: &str, message: String| Failure {
            file: file.to_string(),
            policy: policy.into(),
            case: case.into(),
            message,
        };
        let suites: Vec<Suite> = match serde_norway::from_str(text) {
            Ok(s) => s,
            Err(e) => {
                report.failures.push(fail("", "", format!("YAML 格式错误：{e}")));
                continue;
            }
        };
        for suite in suites {
            let Some(policy) = set.get(&suite.policy) else {
                report.failures.push(fail(&suite.policy, "", format!("没有政策「{}」", suite.policy)));
                continue;
            };
            let Some(day) = crate::date::parse(&suite.date) else {
                report.failures.push(fail(&suite.policy, "", format!("日期「{}」无效", suite.date)));
                continue;
            };
            for case in &suite.cases {
                let frame = match frame(schema, case) {
                    Ok(f) => f,
                    Err(e) => {
                        report.failures.push(fail(&suite.policy, &case.name, e));
                        continue;
                    }
                };
                let batch = evaluate(policy, &frame, day);
                let mut problems = Vec::new();
                let got = batch.eligibility(0);
                if got != case.expect.result {
                    problems.push(format!("结果应为「{}」，实为「{}」", case.expect.result.label(), got.label()));
                }
                if let Some(want) = case.expect.amount {
                    match batch.amount[0] {
                        Some(a) if (a - want).abs() <= 1e-6 * want.abs().max(1.0) => {}
                        other => problems.push(format!("金额应为 {want}，实为 {other:?}")),
                    }
                }
                if let Some(want) = &case.expect.unknown {
                    let mut got: Vec<String> = policy
                        .conditions
                        .iter()
                        .zip(&batch.conditions)
                        .filter(|(_, r)| r[0].is_none())
                        .flat_map(|(c, _)| missing(schema, &frame, &c.expr.paths(), 0))
                        .map(|m| m.path)
                        .collect();
                    got.sort();
                    got.dedup();
                    let mut want = want.clone();
                    want.sort();
                    if got != want {
                        problems.push(format!("缺少的字段应为 {want:?}，实为 {got:?}"));
                    }
                }
                if problems.is_empty() {
                    report.passed += 1;
                } else {
                    report.failures.push(fail(&suite.policy, &case.name, problems.join("；")));
                }
            }
        }
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::EMBEDDED_TESTS;

    #[test]
    fn shipped_policy_tests_pass() {
        let report = run(PolicySet::embedded(), &Schema::standard(), EMBEDDED_TESTS);
        assert!(report.failures.is_empty(), "{:#?}", report.failures);
        assert!(report.passed >= 20, "{}", report.passed);
    }

    #[test]
    fn a_wrong_expectation_is_reported_not_passed() {
        let yaml = "- policy: specialized-sme-award\n  date: 2025-06-30\n  cases:\n    - name: 预期写错\n      enterprise: { honours: [specialized_sme], region: '210381' }\n      expect: { result: not_eligible }\n    - name: 字段写错\n      enterprise: { honors: [] }\n      expect: { result: unknown }\n";
        let report = run(PolicySet::embedded(), &Schema::standard(), &[("x.yaml", yaml)]);
        assert_eq!(report.passed, 0);
        assert_eq!(report.failures.len(), 2);
        assert_eq!(report.failures[0].message, "结果应为「不符合」，实为「符合」");
        assert_eq!(report.failures[1].message, "没有字段「enterprise.honors」");
    }
}
