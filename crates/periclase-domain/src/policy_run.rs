//! A policy batch run (免申即享) as stored: which policies (and versions), which date and
//! data year, the listed results, and whether its once-only awards were entered in the
//! award ledger.

#[derive(Debug, Clone, PartialEq)]
pub struct RunLineRecord {
    pub policy: String,
    /// USCC or project code.
    pub key: String,
    pub name: String,
    pub region: String,
    /// `eligible` or `unknown` (ineligible subjects are counted in the totals only).
    pub result: String,
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
    /// Per-policy counts and totals, JSON.
    pub totals_json: String,
    pub lines: Vec<RunLineRecord>,
    /// Enter once-only awards in the ledger (the list is approved for payment).
    pub grant: bool,
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
    pub totals_json: String,
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
