//! A batch run (免申即享): every policy over every subject it concerns, stacking applied,
//! once-only awards checked against the ledger, reduced to the list an official publishes
//! (eligible and unknown subjects, with amounts and notes) and per-policy totals.

use std::collections::HashSet;

use periclase_domain::frame::{Column, FrameRequest, SubjectFrame};
use periclase_domain::policy_run::{LineResult, PolicyRunRecord, RunLineRecord};
use periclase_domain::Value;

use crate::engine::{evaluate_all, missing, show_money, Batch, Eligibility};
use crate::policy::{Policy, Subject};
use crate::schema::Schema;
use crate::stacking::superseded;

/// One subject's result for one policy, as listed (eligible or unknown ones only).
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct RunLine {
    pub policy: String,
    /// USCC or project code.
    pub key: String,
    pub name: String,
    pub region: String,
    pub result: Eligibility,
    /// What the policy gives (before stacking and the ledger).
    pub amount: Option<f64>,
    /// What this run grants: 0 when superseded or already granted; `None` while unknown.
    pub granted: Option<f64>,
    /// Missing data and its departments, stacking, earlier grants.
    pub note: String,
    /// For a once-only award granted, the values it was decided on (see [`basis`]).
    pub basis: String,
}

/// The values `p` read for row `row` (`标签=值；…`): what the award ledger keeps beside a
/// once-only award, so a payment can be traced to the confirmed facts that decided it.
fn basis(p: &Policy, schema: &Schema, frame: &periclase_domain::frame::Frame, row: usize) -> String {
    let shown = |c: &Column| -> String {
        match c {
            Column::Num(v) => v[row].map_or("未知".into(), |x| format!("{x}")),
            Column::Text(v) => v[row].clone().unwrap_or_else(|| "未知".into()),
            Column::Bool(v) => v[row].map_or("未知", |b| if b { "是" } else { "否" }).into(),
            Column::Date(v) => v[row].map_or("未知".into(), crate::date::format),
            Column::List(v) => v[row].as_ref().map_or("未知".into(), |l| l.join("、")),
        }
    };
    p.fields()
        .iter()
        .filter_map(|path| {
            let c = frame.columns.get(path)?;
            Some(format!("{}={}", schema.get(path).map_or(path.as_str(), |f| f.label.as_str()), shown(c)))
        })
        .collect::<Vec<_>>()
        .join("；")
}

/// One policy's counts and money in a run (the stored form is the domain's).
pub use periclase_domain::policy_run::RunTotals as PolicyTotals;

#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct RunOutcome {
    pub lines: Vec<RunLine>,
    pub totals: Vec<PolicyTotals>,
}

/// The subjects policies can be about, in the order a run evaluates them.
pub const SUBJECTS: [Subject; 3] = [Subject::Enterprise, Subject::Project, Subject::FirstSet];

/// Evaluates `policies` on `day` over one frame per subject (in [`SUBJECTS`] order).
/// `granted_before` holds (policy, key) pairs of once-only awards already paid.
pub fn run(
    policies: &[&Policy],
    schema: &Schema,
    frames: &[SubjectFrame; 3],
    day: i32,
    granted_before: &HashSet<(String, String)>,
) -> RunOutcome {
    let mut out = RunOutcome::default();
    for (subject, frame) in SUBJECTS.into_iter().zip(frames) {
        let chosen: Vec<&Policy> =
            policies.iter().copied().filter(|p| p.subject == subject && p.in_force(day)).collect();
        let batches: Vec<Batch> = evaluate_all(&chosen, &frame.frame, day);
        let mut totals: Vec<PolicyTotals> = chosen
            .iter()
            .map(|p| PolicyTotals {
                policy: p.id.clone(),
                title: p.title.clone(),
                version: p.version,
                ..Default::default()
            })
            .collect();
        let mut per_row: Vec<(Eligibility, Option<f64>)> = vec![(Eligibility::NotEligible, None); chosen.len()];
        for row in 0..frame.frame.len {
            for (k, b) in batches.iter().enumerate() {
                per_row[k] = (b.eligibility(row), b.amount[row]);
            }
            let losers = superseded(&chosen, &per_row);
            for (k, p) in chosen.iter().enumerate() {
                let (result, amount) = per_row[k];
                let t = &mut totals[k];
                match result {
                    Eligibility::NotEligible => {
                        t.not_eligible += 1;
                        continue;
                    }
                    Eligibility::Eligible => t.eligible += 1,
                    Eligibility::Unknown => t.unknown += 1,
                }
                let key = &frame.keys[row];
                let mut notes = Vec::new();
                let mut granted = amount;
                if result == Eligibility::Unknown {
                    let gaps: Vec<String> = p
                        .conditions
                        .iter()
                        .zip(&batches[k].conditions)
                        .filter(|(_, r)| r[row].is_none())
                        .flat_map(|(c, _)| missing(schema, &frame.frame, &c.expr.paths(), row))
                        .map(|m| format!("{}（{}）", m.label, m.department))
                        .fold(Vec::new(), |mut acc, m| {
                            if !acc.contains(&m) {
                                acc.push(m);
                            }
                            acc
                        });
                    notes.push(format!("待补充：{}", gaps.join("、")));
                    t.pending += amount.unwrap_or(0.0);
                    granted = None;
                } else if let Some(w) = losers[k] {
                    notes.push(format!("与《{}》不重复享受，按就高原则不予兑现", chosen[w].title));
                    granted = Some(0.0);
                } else if p.once && granted_before.contains(&(p.id.clone(), key.clone())) {
                    notes.push("一次性奖励，已在此前的运行中兑现".into());
                    granted = Some(0.0);
                }
                if let Some(g) = granted {
                    t.granted += g;
                }
                if result == Eligibility::Eligible && amount.is_none() && p.amount.is_some() {
                    notes.push("金额无法计算：计算所需数据缺失".into());
                }
                let basis = if p.once && granted.is_some_and(|g| g > 0.0) {
                    basis(p, schema, &frame.frame, row)
                } else {
                    String::new()
                };
                out.lines.push(RunLine {
                    basis,
                    policy: p.id.clone(),
                    key: key.clone(),
                    name: frame.names[row].clone(),
                    region: frame.regions[row].clone(),
                    result,
                    amount,
                    granted,
                    note: notes.join("；"),
                });
            }
        }
        out.totals.extend(totals);
    }
    out
}

/// What a batch reads and evaluates.
#[derive(Debug, Clone)]
pub struct BatchSpec<'a> {
    pub policies: Vec<&'a Policy>,
    pub region: Option<String>,
    /// Only subjects on this industry chain (a template id such as `magnesia`): enterprises
    /// confirmed on one of its nodes, projects on one of its nodes.
    pub chain: Option<String>,
    pub year: Option<i64>,
    pub day: i32,
    pub grant: bool,
}

/// The fields `policies` about `subject` read, once each (every policy's, in order).
pub fn fields_of<'a>(policies: impl Iterator<Item = &'a Policy>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for p in policies {
        for f in p.fields() {
            if !out.contains(&f) {
                out.push(f);
            }
        }
    }
    out
}

/// A whole batch: reads the subjects through `read` (the store, injected so the engine does
/// no IO), runs the policies and returns the outcome with the record to archive.
pub fn batch<E>(
    spec: &BatchSpec<'_>,
    schema: &Schema,
    granted_before: &HashSet<(String, String)>,
    mut read: impl FnMut(&FrameRequest) -> Result<SubjectFrame, E>,
) -> Result<(RunOutcome, PolicyRunRecord, [usize; 3]), E> {
    let mut frames: [SubjectFrame; 3] = Default::default();
    for (subject, frame) in SUBJECTS.into_iter().zip(frames.iter_mut()) {
        let concerned: Vec<&Policy> = spec.policies.iter().copied().filter(|p| p.subject == subject).collect();
        if concerned.is_empty() {
            continue;
        }
        let mut paths = fields_of(concerned.into_iter());
        let node_field = if subject == Subject::Project { "project.chain_node" } else { "enterprise.chain_nodes" };
        if spec.chain.is_some() && !paths.iter().any(|p| p == node_field) {
            paths.push(node_field.to_string());
        }
        *frame = read(&FrameRequest {
            subject: subject.kind(),
            paths,
            year: spec.year,
            region: spec.region.clone(),
            keys: None,
        })?;
        if let Some(chain) = &spec.chain {
            let prefix = format!("{chain}/");
            let keep: Vec<bool> = match frame.frame.columns.get(node_field) {
                Some(Column::Text(v)) => {
                    v.iter().map(|n| n.as_deref().is_some_and(|n| n.starts_with(&prefix))).collect()
                }
                Some(Column::List(v)) => {
                    v.iter().map(|l| l.as_ref().is_some_and(|l| l.iter().any(|n| n.starts_with(&prefix)))).collect()
                }
                _ => vec![false; frame.frame.len],
            };
            frame.retain(&keep);
        }
    }
    let outcome = run(&spec.policies, schema, &frames, spec.day, granted_before);
    let once: HashSet<&str> = spec.policies.iter().filter(|p| p.once).map(|p| p.id.as_str()).collect();
    let record = PolicyRunRecord {
        eval_date: crate::date::format(spec.day),
        data_year: frames.iter().find_map(|f| f.year),
        region: spec.region.clone().unwrap_or_default(),
        chain: spec.chain.clone().unwrap_or_default(),
        policies: spec.policies.iter().map(|p| (p.id.clone(), p.version)).collect(),
        totals: outcome.totals.clone(),
        lines: outcome
            .lines
            .iter()
            .map(|l| RunLineRecord {
                policy: l.policy.clone(),
                key: l.key.clone(),
                name: l.name.clone(),
                region: l.region.clone(),
                result: if l.result == Eligibility::Eligible { LineResult::Eligible } else { LineResult::Unknown },
                amount: l.amount,
                granted: l.granted,
                note: l.note.clone(),
                once_only: once.contains(l.policy.as_str()),
                basis: l.basis.clone(),
            })
            .collect(),
        grant: spec.grant,
        job: None,
    };
    let counts = [frames[0].keys.len(), frames[1].keys.len(), frames[2].keys.len()];
    Ok((outcome, record, counts))
}

/// The header of a run's list as exported (xlsx, csv).
pub const LIST_HEADER: [&str; 8] =
    ["政策", "信用代码/项目编号", "名称", "地区", "结果", "应享金额（万元）", "本次兑现（万元）", "说明"];

/// A run's lines as exported rows, policies by title.
pub fn list_rows(lines: &[RunLineRecord], set: &crate::PolicySet) -> Vec<Vec<Value>> {
    let num = |x: Option<f64>| x.map_or(Value::Null, Value::Real);
    lines
        .iter()
        .map(|l| {
            vec![
                Value::Text(set.get(&l.policy).map_or(l.policy.clone(), |p| p.title.clone())),
                Value::Text(l.key.clone()),
                Value::Text(l.name.clone()),
                Value::Text(l.region.clone()),
                Value::Text(l.result.label().into()),
                num(l.amount),
                num(l.granted),
                Value::Text(l.note.clone()),
            ]
        })
        .collect()
}

/// Per-policy totals as text lines, for the CLI summary.
pub fn summary_lines(totals: &[PolicyTotals]) -> Vec<String> {
    totals
        .iter()
        .map(|t| {
            format!(
                "{}：符合 {}，待补充数据 {}，不符合 {}；本次兑现 {} 万元{}",
                t.title,
                t.eligible,
                t.unknown,
                t.not_eligible,
                show_money(t.granted),
                if t.pending > 0.0 {
                    format!("（待补充数据的对象若符合，另需 {} 万元）", show_money(t.pending))
                } else {
                    String::new()
                }
            )
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eval::{Column, Frame};
    use crate::set::PolicySet;

    fn enterprises() -> SubjectFrame {
        let honours = vec![
            Some(vec!["specialized_sme".to_string(), "little_giant".to_string()]),
            Some(vec!["specialized_sme".to_string()]),
            None,
            Some(vec![]),
        ];
        SubjectFrame {
            ids: vec![1, 2, 3, 4],
            keys: ["A", "B", "C", "D"].map(String::from).to_vec(),
            names: ["甲", "乙", "丙", "丁"].map(String::from).to_vec(),
            regions: ["210381"; 4].map(String::from).to_vec(),
            owners: vec![None; 4],
            year: Some(2024),
            frame: Frame::new(4)
                .with("enterprise.honours", Column::List(honours))
                .with("enterprise.region", Column::Text(vec![Some("210381".into()); 4])),
        }
    }

    #[test]
    fn stacking_ledger_and_unknowns_in_a_batch() {
        let set = PolicySet::embedded();
        let ps: Vec<&Policy> =
            ["specialized-sme-award", "little-giant-award"].iter().map(|id| set.get(id).unwrap()).collect();
        let day = crate::date::parse("2025-06-30").unwrap();
        let frames = [enterprises(), SubjectFrame::default(), SubjectFrame::default()];
        let first = run(&ps, &Schema::standard(), &frames, day, &HashSet::new());
        let line = |o: &RunOutcome, p: &str, k: &str| o.lines.iter().find(|l| l.policy == p && l.key == k).cloned();
        assert_eq!(line(&first, "little-giant-award", "A").unwrap().granted, Some(100.0));
        let a_sme = line(&first, "specialized-sme-award", "A").unwrap();
        assert_eq!((a_sme.granted, a_sme.note.contains("不重复享受")), (Some(0.0), true));
        let b = line(&first, "specialized-sme-award", "B").unwrap();
        assert_eq!(b.granted, Some(30.0));
        // A once-only award granted keeps the values it was decided on, for the ledger.
        assert!(b.basis.contains("梯度与荣誉=specialized_sme"), "{}", b.basis);
        assert_eq!(a_sme.basis, "", "nothing paid, nothing to trace");
        let c = line(&first, "specialized-sme-award", "C").unwrap();
        assert_eq!((c.result, c.granted), (Eligibility::Unknown, None));
        assert_eq!(c.note, "待补充：梯度与荣誉（工信）");
        assert!(line(&first, "specialized-sme-award", "D").is_none(), "not eligible: counted, not listed");
        assert_eq!(first.totals[0].granted, 30.0);
        assert_eq!((first.totals[0].eligible, first.totals[0].unknown, first.totals[0].not_eligible), (2, 1, 1));
        assert_eq!(first.totals[0].pending, 30.0);

        // Once-only awards already paid are listed again but not granted again.
        let paid: HashSet<(String, String)> =
            first.lines.iter().filter(|l| l.granted > Some(0.0)).map(|l| (l.policy.clone(), l.key.clone())).collect();
        let second = run(&ps, &Schema::standard(), &frames, day, &paid);
        assert!(second.totals.iter().all(|t| t.granted == 0.0), "{:?}", second.totals);
        assert!(line(&second, "specialized-sme-award", "B").unwrap().note.contains("已在此前的运行中兑现"));
    }
}
