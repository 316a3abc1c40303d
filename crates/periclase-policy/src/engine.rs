//! A policy evaluated over a frame: each condition column-wise, eligibility as their
//! three-valued conjunction, the amount (with cap and floor) for every row that is or may be
//! eligible, and for any row the fields that were missing and who holds them.

use crate::eval::{eval, Env, Frame, Numbers, Out, Scalar};
use crate::policy::Policy;
use crate::schema::Schema;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Eligibility {
    Eligible,
    NotEligible,
    Unknown,
}

impl Eligibility {
    pub fn of(x: Option<bool>) -> Eligibility {
        match x {
            Some(true) => Eligibility::Eligible,
            Some(false) => Eligibility::NotEligible,
            None => Eligibility::Unknown,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Eligibility::Eligible => "符合",
            Eligibility::NotEligible => "不符合",
            Eligibility::Unknown => "待补充数据",
        }
    }
}

/// One policy over every row of a frame.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Per condition (policy order), per row.
    pub conditions: Vec<Vec<Option<bool>>>,
    pub eligible: Vec<Option<bool>>,
    /// Per row, for rows eligible or unknown; `None` also when a figure it needs is missing.
    pub amount: Vec<Option<f64>>,
}

impl Batch {
    pub fn eligibility(&self, row: usize) -> Eligibility {
        Eligibility::of(self.eligible[row])
    }
}

fn to_vec(out: Out<'_>, n: usize) -> Vec<Option<bool>> {
    match out {
        Out::Bool(v) => v.into_owned(),
        other => (0..n).map(|i| other.bool(i)).collect(),
    }
}

/// Evaluates `policy` on `day` (its parameters' values in force then) over `frame`.
pub fn evaluate(policy: &Policy, frame: &Frame, day: i32) -> Batch {
    let numbers = Numbers::of(frame, &policy.fields());
    evaluate_with(policy, frame, day, &numbers)
}

/// `evaluate` with the frame's numeric columns already converted.
fn evaluate_with(policy: &Policy, frame: &Frame, day: i32, numbers: &Numbers) -> Batch {
    let n = frame.len;
    let params = policy.params_at(day);
    let env = Env { frame, params: &params, today: day, rows: 0..n, numbers: Some(numbers) };
    let conditions: Vec<Vec<Option<bool>>> = policy.conditions.iter().map(|c| to_vec(eval(&c.expr, &env), n)).collect();
    let mut eligible = vec![Some(true); n];
    for c in &conditions {
        for (e, x) in eligible.iter_mut().zip(c) {
            *e = match (*e, *x) {
                (Some(false), _) | (_, Some(false)) => Some(false),
                (Some(true), Some(true)) => Some(true),
                _ => None,
            };
        }
    }
    let amount = match &policy.amount {
        None => vec![None; n],
        Some(a) => {
            let formula = eval(&a.formula, &env);
            let cap = a.cap.as_ref().map(|c| eval(c, &env));
            let floor = a.floor.as_ref().map(|c| eval(c, &env));
            (0..n)
                .map(|i| {
                    if eligible[i] == Some(false) {
                        return None;
                    }
                    let mut v = formula.num_at(i)?;
                    if let Some(c) = cap.as_ref().and_then(|c| c.num_at(i)) {
                        v = v.min(c);
                    }
                    if let Some(f) = floor.as_ref().and_then(|f| f.num_at(i)) {
                        v = v.max(f);
                    }
                    Some(v.max(0.0))
                })
                .collect()
        }
    };
    Batch { conditions, eligible, amount }
}

/// Every policy over the same frame, the policies shared among the machine's cores (each
/// whole on one): a batch of ten policies over a million enterprises uses both cores of a
/// small server, and no result is copied to be joined.
pub fn evaluate_all(policies: &[&Policy], frame: &Frame, day: i32) -> Vec<Batch> {
    let fields: Vec<String> = policies.iter().flat_map(|p| p.fields()).collect();
    let numbers = Numbers::of(frame, &fields);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get()).min(policies.len());
    // Small frames are not worth a thread.
    if workers <= 1 || frame.len < 20_000 {
        return policies.iter().map(|p| evaluate_with(p, frame, day, &numbers)).collect();
    }
    let next = std::sync::atomic::AtomicUsize::new(0);
    let mut done: Vec<(usize, Batch)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                s.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let k = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some(p) = policies.get(k) else { break };
                        mine.push((k, evaluate_with(p, frame, day, &numbers)));
                    }
                    mine
                })
            })
            .collect();
        handles.into_iter().flat_map(|h| h.join().expect("evaluation does not panic")).collect()
    });
    done.sort_by_key(|(k, _)| *k);
    done.into_iter().map(|(_, b)| b).collect()
}

/// A field a condition needed that row `row` lacks, with the department that holds it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Missing {
    pub path: String,
    pub label: String,
    pub department: String,
}

/// The fields `paths` lacks at `row` (parameters are never missing once loaded).
pub fn missing(schema: &Schema, frame: &Frame, paths: &[String], row: usize) -> Vec<Missing> {
    paths
        .iter()
        .filter(|p| !p.starts_with("params."))
        .filter(|p| frame.columns.get(p.as_str()).is_none_or(|c| !c.known(row)))
        .map(|p| {
            let f = schema.get(p);
            Missing {
                path: p.clone(),
                label: f.map_or_else(|| p.clone(), |f| f.label.clone()),
                department: f.map_or("", |f| f.department).to_string(),
            }
        })
        .collect()
}

/// A parameter's value as shown to a reader.
pub fn show_scalar(s: &Scalar) -> String {
    match s {
        Scalar::Num(x) => show_num(*x),
        Scalar::Text(t) => t.clone(),
        Scalar::Bool(b) => if *b { "是" } else { "否" }.into(),
        Scalar::List(l) => l.join("、"),
    }
}

/// Numbers without float noise: 0.05 → "0.05", 1200 → "1200", 1/3 → "0.3333".
pub fn show_num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.4}");
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    }
}

/// Money in 万元 to the 元 (two decimals at most, trailing zeros dropped).
pub fn show_money(x: f64) -> String {
    let s = format!("{:.2}", x + 0.0);
    let s = if s.contains('.') { s.trim_end_matches('0').trim_end_matches('.').to_string() } else { s };
    if s == "-0" {
        "0".into()
    } else {
        s
    }
}

#[cfg(test)]
pub(crate) mod tests_support {
    pub(crate) const AWARD: &str = r#"
id = "test-award"
title = "测试奖励"
issuer = "测试厅"
document = "测试办法"
category = "奖补"
subject = "enterprise"
valid_from = "2024-01-01"
source = "单元测试"

[params.rate]
label = "比例"
values = [{ from = "2024-01-01", value = 0.05 }, { from = "2025-01-01", value = 0.08 }]

[params.cap]
label = "上限"
unit = "万元"
values = [{ from = "2024-01-01", value = 100 }]

[[conditions]]
id = "size"
label = "营业收入不低于1000万元"
clause = "第二条"
when = 'enterprise.revenue >= 1000'

[[conditions]]
id = "rd"
label = "研发投入占比不低于3%"
clause = "第三条"
when = 'enterprise.rd_spend / enterprise.revenue >= 0.03'

[amount]
formula = 'enterprise.rd_spend * params.rate'
cap = 'params.cap'
floor = '1'
"#;
}

#[cfg(test)]
mod tests {
    use super::tests_support::AWARD;
    use super::*;
    use crate::eval::Column;
    use crate::policy::load;

    #[test]
    fn eligibility_amounts_and_dated_parameters() {
        let schema = Schema::standard();
        let p = load("test.toml", AWARD, &schema).unwrap();
        let frame = Frame::new(4)
            .with("enterprise.revenue", Column::Num(vec![Some(5000.0), Some(500.0), None, Some(100_000.0)]))
            .with("enterprise.rd_spend", Column::Num(vec![Some(200.0), Some(100.0), Some(50.0), Some(5000.0)]));
        let day2024 = crate::date::parse("2024-06-01").unwrap();
        let b = evaluate(&p, &frame, day2024);
        assert_eq!(b.eligible, [Some(true), Some(false), None, Some(true)]);
        assert_eq!(
            b.amount,
            [Some(10.0), None, Some(2.5), Some(100.0)],
            "5% of R&D, capped at 100, unknown rows priced"
        );
        let day2025 = crate::date::parse("2025-01-01").unwrap();
        assert_eq!(evaluate(&p, &frame, day2025).amount[0], Some(16.0), "the rate changed on 2025-01-01");
        // Split by rows among threads, the result is the same (a frame large enough to split).
        let big = Frame::new(60_000)
            .with("enterprise.revenue", Column::Num((0..60_000).map(|i| (i % 7 != 0).then_some(i as f64)).collect()))
            .with("enterprise.rd_spend", Column::Num((0..60_000).map(|i| Some((i % 500) as f64)).collect()));
        let whole = evaluate(&p, &big, day2024);
        for x in evaluate_all(&[&p, &p], &big, day2024) {
            assert!(x.eligible == whole.eligible && x.amount == whole.amount && x.conditions == whole.conditions);
        }
        let gone = missing(&schema, &frame, &p.conditions[0].expr.paths(), 2);
        assert_eq!(
            gone,
            [Missing {
                path: "enterprise.revenue".into(),
                label: "营业收入（最近年度）".into(),
                department: "税务".into()
            }]
        );
    }

    #[test]
    fn numbers_show_without_float_noise() {
        assert_eq!(show_num(0.05), "0.05");
        assert_eq!(show_num(1200.0), "1200");
        assert_eq!(show_num(1.0 / 3.0), "0.3333");
        assert_eq!(show_num(0.1 + 0.2), "0.3");
        assert_eq!(show_money(1459.78012), "1459.78");
        assert_eq!(show_money(5000.0), "5000");
        assert_eq!(show_money(-0.001), "0");
    }
}
