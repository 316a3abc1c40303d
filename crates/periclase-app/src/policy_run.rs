//! One 免申即享 batch run, the same whoever starts it (a worker of the web's job pool, the
//! CLI's `policy run`): the once-only awards already granted, the policies over the subjects
//! ([`periclase_policy::run::batch`]), and the run archived with its ledger entries by
//! [`Store::save_policy_run`] in one transaction at the end — so a run stopped before that
//! has written nothing.

use periclase_domain::policy_run::{PolicyRunRecord, SavedRun};
use periclase_policy::run::{batch, BatchSpec, RunOutcome};
use periclase_policy::{date, PolicySet, Schema};
use periclase_store::{Actor, Store};

use crate::AppError;

/// The stages a run reports, in order.
pub const STAGE_COMPUTE: &str = "读取企业、项目数据并计算";
pub const STAGE_SAVE: &str = "存档（名单与一次性奖补台账一并写入）";

/// A finished run: what the engine computed, the record archived, the subjects read
/// (enterprises, projects, first-set policies) and where it was archived.
#[derive(Debug)]
pub struct PolicyRun {
    pub outcome: RunOutcome,
    pub record: PolicyRunRecord,
    pub subjects: [usize; 3],
    pub saved: SavedRun,
}

/// Runs `spec` over the store's data and archives it as `actor`, calling `on_stage` as each
/// stage begins. The archive (run, lines, ledger entries) is one transaction.
pub fn run_policies(
    store: &dyn Store,
    spec: &BatchSpec<'_>,
    actor: &Actor,
    job: Option<i64>,
    on_stage: &mut dyn FnMut(&'static str),
) -> Result<PolicyRun, AppError> {
    on_stage(STAGE_COMPUTE);
    let granted = store.granted_awards()?;
    let (outcome, mut record, subjects) = batch(spec, &Schema::standard(), &granted, |req| store.subject_frame(req))?;
    record.job = job;
    on_stage(STAGE_SAVE);
    let saved = store.save_policy_run(&record, actor)?;
    Ok(PolicyRun { outcome, record, subjects, saved })
}

/// A run as the web starts it, kept with its job so that it can be started again with the
/// same parameters: the embedded policies, by id.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct PolicyRunParams {
    /// GB/T 2260 prefix; "" for everywhere.
    pub region: String,
    /// Evaluation date, `YYYY-MM-DD`.
    pub date: String,
    /// One policy; `None` for every policy in force that is not a self-assessment.
    pub policy: Option<String>,
    /// An industry chain's id.
    pub chain: Option<String>,
    /// Enter once-only awards in the ledger.
    pub grant: bool,
}

impl PolicyRunParams {
    /// The batch these parameters describe, over the embedded policies; a named policy or
    /// chain that does not exist, or a malformed date, is refused.
    pub fn spec(&self) -> Result<BatchSpec<'static>, AppError> {
        let day = date::parse(&self.date)
            .ok_or_else(|| AppError::BadRequest(format!("日期「{}」无效，应写作 2025-06-30", self.date)))?;
        let set = PolicySet::embedded();
        let policies = match self.policy.as_deref().filter(|p| !p.is_empty()) {
            Some(id) => vec![set.get(id).ok_or_else(|| AppError::NotFound(format!("没有政策「{id}」")))?],
            None => set.policies.iter().filter(|p| !p.self_assessment && p.in_force(day)).collect(),
        };
        let chain = match self.chain.as_deref().filter(|c| !c.is_empty()) {
            Some(c) => Some(
                periclase_domain::ChainSet::embedded()
                    .get(c)
                    .map(|c| c.id.clone())
                    .ok_or_else(|| AppError::BadRequest(format!("没有产业链「{c}」")))?,
            ),
            None => None,
        };
        let region = Some(self.region.clone()).filter(|r| !r.is_empty());
        Ok(BatchSpec { policies, region, chain, year: None, day, grant: self.grant })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parameters_name_existing_policies_chains_and_dates() {
        let ok = PolicyRunParams {
            region: "2103".into(),
            date: "2025-06-30".into(),
            policy: None,
            chain: None,
            grant: false,
        };
        let spec = ok.spec().unwrap();
        assert!(!spec.policies.is_empty() && spec.region.as_deref() == Some("2103"));
        let bad_date = PolicyRunParams { date: "2025-13-01".into(), ..ok.clone() };
        assert!(matches!(bad_date.spec(), Err(AppError::BadRequest(m)) if m.contains("2025-13-01")));
        let no_policy = PolicyRunParams { policy: Some("nope".into()), ..ok.clone() };
        assert!(matches!(no_policy.spec(), Err(AppError::NotFound(m)) if m.contains("nope")));
        let no_chain = PolicyRunParams { chain: Some("nope".into()), ..ok };
        assert!(matches!(no_chain.spec(), Err(AppError::BadRequest(m)) if m.contains("nope")));
    }
}
