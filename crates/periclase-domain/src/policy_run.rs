//! A policy batch run (免申即享) as stored: which policies (and versions), which date and
//! data year, the listed results, and whether its once-only awards were entered in the
//! award ledger.

/// A listed subject's result (ineligible subjects are counted in the totals only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineResult {
    Eligible,
    /// Some data it needs is missing or waits for a department's confirmation.
    Unknown,
}

impl LineResult {
    /// As stored.
    pub fn code(self) -> &'static str {
        match self {
            LineResult::Eligible => "eligible",
            LineResult::Unknown => "unknown",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            LineResult::Eligible => "符合",
            LineResult::Unknown => "待补充数据",
        }
    }

    pub fn parse(code: &str) -> Option<LineResult> {
        [LineResult::Eligible, LineResult::Unknown].into_iter().find(|r| r.code() == code)
    }
}

/// One policy's counts and money in a run. Stored as JSON beside the run; every field has a
/// default so that runs archived before a field was added still read.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct RunTotals {
    pub policy: String,
    pub title: String,
    pub version: u32,
    pub eligible: u64,
    pub unknown: u64,
    pub not_eligible: u64,
    /// 万元 granted by this run.
    pub granted: f64,
    /// 万元 that unknown subjects would receive if their data qualified them.
    pub pending: f64,
}

#[derive(Debug, Clone, PartialEq)]
pub struct RunLineRecord {
    pub policy: String,
    /// USCC or project code.
    pub key: String,
    pub name: String,
    pub region: String,
    pub result: LineResult,
    pub amount: Option<f64>,
    pub granted: Option<f64>,
    pub note: String,
    /// A once-only award this run grants: entered in the ledger when the run grants.
    pub once_only: bool,
    /// For a once-only award granted: the confirmed values it was decided on
    /// (`字段=值；…`), entered in the ledger beside the amount.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PolicyRunRecord {
    /// `YYYY-MM-DD`: the date whose parameter values applied.
    pub eval_date: String,
    pub data_year: Option<i64>,
    /// Region prefix the run covered ("" for all).
    pub region: String,
    /// Industry chain the run covered ("" for all).
    pub chain: String,
    /// (policy id, version) in evaluation order.
    pub policies: Vec<(String, u32)>,
    /// Per-policy counts and totals.
    pub totals: Vec<RunTotals>,
    pub lines: Vec<RunLineRecord>,
    /// Enter once-only awards in the ledger (the list is approved for payment).
    pub grant: bool,
    /// The background job this run is saved for, if any: it is marked done in the same
    /// transaction, so a kill cannot leave a saved run under a job that reads 已中断.
    pub job: Option<i64>,
}

/// A stored run, without its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredRun {
    pub id: i64,
    pub created_at: String,
    pub actor: String,
    pub eval_date: String,
    pub data_year: Option<i64>,
    pub region: String,
    pub chain: String,
    pub policies: String,
    pub totals: Vec<RunTotals>,
    pub granted: bool,
    pub lines: u64,
}

/// What saving a run did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SavedRun {
    New(i64),
    /// An identical earlier run (same policies, date, data and results) was found; nothing
    /// was written.
    SameAs(i64),
}
