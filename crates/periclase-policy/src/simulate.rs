//! What-if simulation (政策沙盘): a policy with changed parameters or conditions compared
//! with itself as written — who gains, who loses, what it costs, by region and chain node —
//! and, under a fixed budget, the amounts pro-rated or the ranked list cut.

use std::collections::{BTreeMap, HashMap};

use periclase_domain::frame::SubjectFrame;

use crate::check::Checker;
use crate::engine::{evaluate, Batch, Eligibility};
use crate::eval::{Column, Scalar};
use crate::expr::parse;
use crate::policy::{DatedValue, Policy};
use crate::schema::{Schema, Ty};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum BudgetRule {
    /// Every eligible subject gets the same share of its amount.
    Prorate,
    /// Largest amounts first, until the budget is spent; the rest get nothing.
    Rank,
}

/// The changes a scenario makes.
#[derive(Debug, Clone, Default)]
pub struct Changes {
    /// Parameter name → value in force for the whole simulation.
    pub params: Vec<(String, Scalar)>,
    /// Condition id → new expression text.
    pub conditions: Vec<(String, String)>,
}

/// The policy with the changes applied, checked like a loaded policy.
pub fn apply(policy: &Policy, changes: &Changes, schema: &Schema) -> Result<Policy, String> {
    let mut p = policy.clone();
    for (name, value) in &changes.params {
        let param = p.params.iter_mut().find(|x| &x.name == name).ok_or_else(|| {
            let known: Vec<&str> = policy.params.iter().map(|x| x.name.as_str()).collect();
            format!("政策《{}》没有参数「{name}」；可改的参数：{}", policy.title, known.join("、"))
        })?;
        let ty = match value {
            Scalar::Num(_) => Ty::Num,
            Scalar::Text(_) => Ty::Text,
            Scalar::Bool(_) => Ty::Bool,
            Scalar::List(_) => Ty::List,
        };
        if ty != param.ty {
            return Err(format!("参数「{name}」应为{}", param.ty.label()));
        }
        param.values = vec![DatedValue { from: i32::MIN, value: value.clone() }];
    }
    let types: HashMap<String, Ty> = p.params.iter().map(|x| (x.name.clone(), x.ty)).collect();
    for (id, text) in &changes.conditions {
        let c = p.conditions.iter_mut().find(|c| &c.id == id).ok_or_else(|| {
            let known: Vec<&str> = policy.conditions.iter().map(|c| c.id.as_str()).collect();
            format!("政策《{}》没有条件「{id}」；条件有：{}", policy.title, known.join("、"))
        })?;
        let e = parse(text).map_err(|e| format!("条件「{id}」{e}"))?;
        let ty = Checker { schema, params: &types }.check(&e).map_err(|e| format!("条件「{id}」{e}"))?;
        if ty != Ty::Bool {
            return Err(format!("条件「{id}」的结果应为是/否，这里是{}", ty.label()));
        }
        c.expr = e;
        c.text = text.clone();
    }
    Ok(p)
}

/// Counts and cost of one side (baseline or scenario) in one group.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Side {
    pub eligible: u64,
    pub unknown: u64,
    /// 万元, eligible subjects' amounts (after the budget rule, if any).
    pub cost: f64,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Group {
    pub key: String,
    pub baseline: Side,
    pub scenario: Side,
}

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Simulation {
    pub total: Group,
    /// Subjects eligible only in the scenario, and only in the baseline.
    pub gaining: Vec<String>,
    pub losing: Vec<String>,
    /// By city (the first four digits of the region code).
    pub by_region: Vec<Group>,
    /// By chain node (`chain/node`); a subject on two nodes counts in both.
    pub by_node: Vec<Group>,
    /// The scenario's cost before the budget rule, when one applied.
    pub unbudgeted_cost: Option<f64>,
    /// Under a budget: how many eligible subjects receive anything.
    pub funded: Option<u64>,
}

/// Amounts after the budget: unchanged when they fit.
pub fn allocate(amounts: &[Option<f64>], eligible: &[bool], budget: Option<f64>, rule: BudgetRule) -> Vec<f64> {
    let raw: Vec<f64> = amounts.iter().zip(eligible).map(|(a, e)| if *e { a.unwrap_or(0.0) } else { 0.0 }).collect();
    let total: f64 = raw.iter().sum();
    let Some(budget) = budget.filter(|b| *b < total) else { return raw };
    match rule {
        BudgetRule::Prorate => raw.iter().map(|a| a * budget / total).collect(),
        BudgetRule::Rank => {
            let mut order: Vec<usize> = (0..raw.len()).filter(|&i| raw[i] > 0.0).collect();
            order.sort_by(|&a, &b| raw[b].total_cmp(&raw[a]).then(a.cmp(&b)));
            let mut left = budget;
            let mut out = vec![0.0; raw.len()];
            for i in order {
                if raw[i] <= left {
                    out[i] = raw[i];
                    left -= raw[i];
                }
            }
            out
        }
    }
}

fn side(batch: &Batch, paid: &[f64], rows: &[usize]) -> Side {
    let mut s = Side::default();
    for &i in rows {
        match batch.eligibility(i) {
            Eligibility::Eligible => {
                s.eligible += 1;
                s.cost += paid[i];
            }
            Eligibility::Unknown => s.unknown += 1,
            Eligibility::NotEligible => {}
        }
    }
    s
}

/// Compares `scenario` with `baseline` (the same policy as written) over `subjects`.
pub fn simulate(
    baseline: &Policy,
    scenario: &Policy,
    subjects: &SubjectFrame,
    day: i32,
    budget: Option<(f64, BudgetRule)>,
) -> Simulation {
    let n = subjects.frame.len;
    let (b, s) = (evaluate(baseline, &subjects.frame, day), evaluate(scenario, &subjects.frame, day));
    let eligible = |x: &Batch| -> Vec<bool> { (0..n).map(|i| x.eligibility(i) == Eligibility::Eligible).collect() };
    let paid_base = allocate(&b.amount, &eligible(&b), None, BudgetRule::Prorate);
    let paid_scen =
        allocate(&s.amount, &eligible(&s), budget.map(|x| x.0), budget.map_or(BudgetRule::Prorate, |x| x.1));
    let all: Vec<usize> = (0..n).collect();
    let mut sim = Simulation {
        total: Group {
            key: "合计".into(), baseline: side(&b, &paid_base, &all), scenario: side(&s, &paid_scen, &all)
        },
        ..Default::default()
    };
    if budget.is_some() {
        sim.unbudgeted_cost = Some(
            (0..n).filter(|&i| s.eligibility(i) == Eligibility::Eligible).map(|i| s.amount[i].unwrap_or(0.0)).sum(),
        );
        sim.funded = Some(paid_scen.iter().filter(|p| **p > 0.0).count() as u64);
    }
    for i in 0..n {
        match (b.eligibility(i) == Eligibility::Eligible, s.eligibility(i) == Eligibility::Eligible) {
            (false, true) => sim.gaining.push(subjects.keys[i].clone()),
            (true, false) => sim.losing.push(subjects.keys[i].clone()),
            _ => {}
        }
    }
    let group = |key_of: &dyn Fn(usize) -> Vec<String>| -> Vec<Group> {
        let mut rows: BTreeMap<String, Vec<usize>> = BTreeMap::new();
        for i in 0..n {
            for k in key_of(i) {
                rows.entry(k).or_default().push(i);
            }
        }
        rows.into_iter()
            .map(|(key, rows)| Group {
                key,
                baseline: side(&b, &paid_base, &rows),
                scenario: side(&s, &paid_scen, &rows),
            })
            .filter(|g| g.baseline != Side::default() || g.scenario != Side::default())
            .collect()
    };
    sim.by_region = group(&|i| vec![subjects.regions[i].chars().take(4).collect()]);
    let nodes = |i: usize| -> Vec<String> {
        match (subjects.frame.columns.get("project.chain_node"), subjects.frame.columns.get("enterprise.chain_nodes")) {
            (Some(Column::Text(v)), _) => v[i].iter().cloned().collect(),
            (_, Some(Column::List(v))) => v[i].clone().unwrap_or_default(),
            _ => Vec::new(),
        }
    };
    sim.by_node = group(&nodes);
    sim
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::PolicySet;
    use periclase_domain::frame::Frame;

    fn projects() -> SubjectFrame {
        let invest = vec![Some(10_000.0), Some(4_000.0), Some(2_000.0), None];
        SubjectFrame {
            ids: vec![1, 2, 3, 4],
            keys: ["P1", "P2", "P3", "P4"].map(String::from).to_vec(),
            names: vec![String::new(); 4],
            regions: ["210381", "210381", "210804", "210882"].map(String::from).to_vec(),
            owners: vec![None; 4],
            year: Some(2024),
            frame: Frame::new(4)
                .with("project.total_investment", Column::Num(invest))
                .with(
                    "project.chain_node",
                    Column::Text(
                        ["magnesia/fused", "magnesia/refractory", "magnesia/fused", "magnesia/fused"]
                            .map(|s| Some(s.to_string()))
                            .to_vec(),
                    ),
                )
                .with(
                    "project.region",
                    Column::Text(["210381", "210381", "210804", "210882"].map(|s| Some(s.to_string())).to_vec()),
                )
                .with("project.stage", Column::Text(vec![Some("building".into()); 4])),
        }
    }

    #[test]
    fn raising_the_rate_and_a_threshold_changes_cost_and_who_qualifies() {
        let schema = Schema::standard();
        let base = PolicySet::embedded().get("magnesite-project-support").unwrap();
        let changes = Changes {
            params: vec![("rate".into(), Scalar::Num(0.08))],
            conditions: vec![("investment".into(), "project.total_investment >= 3000".into())],
        };
        let scen = apply(base, &changes, &schema).unwrap();
        let day = crate::date::parse("2025-06-30").unwrap();
        let sim = simulate(base, &scen, &projects(), day, None);
        assert_eq!(sim.total.baseline, Side { eligible: 3, unknown: 1, cost: 800.0 });
        assert_eq!(sim.total.scenario, Side { eligible: 2, unknown: 1, cost: 1120.0 });
        assert_eq!((sim.gaining.clone(), sim.losing.clone()), (vec![], vec!["P3".to_string()]));
        assert_eq!(sim.by_region.iter().map(|g| g.key.as_str()).collect::<Vec<_>>(), ["2103", "2108"]);
        let fused = sim.by_node.iter().find(|g| g.key == "magnesia/fused").unwrap();
        assert_eq!((fused.baseline.cost, fused.scenario.cost), (600.0, 800.0));

        let capped = simulate(base, &scen, &projects(), day, Some((560.0, BudgetRule::Prorate)));
        assert_eq!(capped.total.scenario.cost, 560.0);
        assert_eq!(capped.unbudgeted_cost, Some(1120.0));
        let ranked = simulate(base, &scen, &projects(), day, Some((900.0, BudgetRule::Rank)));
        assert_eq!(ranked.total.scenario.cost, 800.0, "the largest (800) fits; the next (320) would exceed 900");
        assert_eq!(ranked.funded, Some(1));
    }

    #[test]
    fn bad_changes_are_refused_with_the_choices() {
        let schema = Schema::standard();
        let base = PolicySet::embedded().get("magnesite-project-support").unwrap();
        let bad = |c: Changes| apply(base, &c, &schema).unwrap_err();
        assert!(bad(Changes { params: vec![("ratio".into(), Scalar::Num(1.0))], ..Default::default() })
            .contains("可改的参数：province、rate"));
        assert!(bad(Changes { params: vec![("rate".into(), Scalar::Text("高".into()))], ..Default::default() })
            .contains("应为数值"));
        assert!(bad(Changes {
            conditions: vec![("investment".into(), "project.total_investment".into())],
            ..Default::default()
        })
        .contains("结果应为是/否"));
        assert!(bad(Changes { conditions: vec![("x".into(), "true".into())], ..Default::default() })
            .contains("条件有：magnesite-chain"));
    }

    proptest::proptest! {
        #[test]
        fn allocation_stays_within_budget_and_amounts(
            amounts in proptest::collection::vec(proptest::option::of(0.0f64..1e6), 0..40),
            budget in 0.0f64..2e6,
            rank in proptest::bool::ANY,
        ) {
            let eligible: Vec<bool> = amounts.iter().enumerate().map(|(i, _)| i % 3 != 0).collect();
            let rule = if rank { BudgetRule::Rank } else { BudgetRule::Prorate };
            let got = allocate(&amounts, &eligible, Some(budget), rule);
            let total: f64 = got.iter().sum();
            proptest::prop_assert!(total <= budget * (1.0 + 1e-9) + 1e-9);
            for (i, g) in got.iter().enumerate() {
                let cap = if eligible[i] { amounts[i].unwrap_or(0.0) } else { 0.0 };
                proptest::prop_assert!(*g >= 0.0 && *g <= cap * (1.0 + 1e-9));
            }
        }
    }

    #[test]
    fn allocation_never_exceeds_the_budget() {
        let amounts = [Some(5.0), Some(3.0), None, Some(2.0)];
        let eligible = [true, true, true, false];
        assert_eq!(allocate(&amounts, &eligible, None, BudgetRule::Rank), [5.0, 3.0, 0.0, 0.0]);
        assert_eq!(allocate(&amounts, &eligible, Some(4.0), BudgetRule::Prorate), [2.5, 1.5, 0.0, 0.0]);
        assert_eq!(allocate(&amounts, &eligible, Some(4.0), BudgetRule::Rank), [0.0, 3.0, 0.0, 0.0]);
        assert_eq!(allocate(&amounts, &eligible, Some(100.0), BudgetRule::Rank), [5.0, 3.0, 0.0, 0.0]);
    }
}
