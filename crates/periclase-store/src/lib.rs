//! Periclase storage. [`Store`] is what the rest of the platform sees; [`SqliteStore`] is
//! the embedded implementation. SQL lives in this crate and nowhere else.

mod accounts;
mod audit;
mod declarations;
mod declared;
mod error;
mod frame;
mod introductions;
mod jobs;
mod measure;
mod pg;
mod pool;
mod portable;
mod query;
mod search;
mod sql;
mod sqlite;
#[doc(hidden)]
pub mod testing;
pub mod transfer;

pub use accounts::{Account, Accounts, LoginGate, LoginHistory, LoginThrottle, NewAccount};
pub use audit::{Actor, AuditEntry, AuditQuery, Channel};
pub use declarations::{Declaration, DeclarationQuery, DeclarationStatus, Declarations, DeclaredChange};
pub use error::StoreError;
pub use jobs::{Job, JobState, Jobs};
pub use periclase_domain::{ImportItem, ImportOptions, ImportOutcome, QualityIssue, RowIssue, RowLocation};
pub use pg::{default_connections as pg_default_connections, PgStore, SCHEMA_VERSION as PG_SCHEMA_VERSION};
pub use query::{sortable_fields, ListPage, ListQuery, Record, Sort, SortKey};
pub use search::{Introduction, SearchPending, SearchReader, SearchRow, OUTCOMES as INTRODUCTION_OUTCOMES};
pub use sqlite::{SqliteStore, SCHEMA_VERSION as SQLITE_SCHEMA_VERSION};

use periclase_domain::{Measure, RegistrySpec, Row, Scope};

/// Everything an import needs besides its rows.
#[derive(Debug, Clone, Copy)]
pub struct ImportContext<'a> {
    pub opts: ImportOptions,
    pub actor: &'a Actor,
    /// Rows the importer may write; `None` means all (the CLI, an administrator).
    pub scope: Option<&'a Scope>,
    /// The file's name, for the audit trail.
    pub source: Option<&'a str>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SaveMode {
    /// A new record; an existing natural key is a conflict.
    Create,
    /// The existing record with this row id (its key may change; a key another record has
    /// is a conflict); a record outside the scope is not found.
    Update { id: i64 },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SaveOutcome {
    Inserted,
    Updated,
    Unchanged,
}

/// Every registry's rows: imports, single-record writes, lists, lookups, exports and counts.
pub trait Registries: Send + Sync {
    /// Validated rows in, one transaction. Rows that cannot be stored (duplicate key inside
    /// the file, unknown parent) are reported through `on_issue`, as are rows that arrive
    /// already rejected. Unless `opts.partial`, any issue means nothing is written.
    fn import(
        &self,
        spec: &'static RegistrySpec,
        items: &mut dyn Iterator<Item = ImportItem>,
        ctx: &ImportContext<'_>,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError>;

    /// Creates or updates one record (a form, the API), inside `scope`, leaving an audit
    /// entry with the record before and after.
    fn save(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        mode: SaveMode,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<SaveOutcome, StoreError>;

    /// Deletes the record `key` (as for [`Registries::get`]) if it is inside `scope`; false when
    /// there is no such record there. Leaves an audit entry with the record as it was.
    fn delete(&self, spec: &'static RegistrySpec, key: &str, actor: &Actor, scope: &Scope) -> Result<bool, StoreError>;

    /// One page of a filtered list, in id order (keyset paging on `after`).
    fn list(&self, spec: &'static RegistrySpec, query: &ListQuery) -> Result<ListPage, StoreError>;

    /// A row by its natural key (single-field keys) or by its row id (composite keys), if
    /// it lies inside `scope` (`None`: anywhere).
    fn get(&self, spec: &'static RegistrySpec, key: &str, scope: Option<&Scope>) -> Result<Option<Record>, StoreError>;

    /// Rows of `child` that reference the row `parent_id` of `parent` (an enterprise's
    /// figures, a talent's links…).
    fn children(
        &self,
        parent: &'static RegistrySpec,
        parent_id: i64,
        child: &'static RegistrySpec,
    ) -> Result<Vec<Record>, StoreError>;

    /// Streams every row matching the query's filters (paging ignored) to `each`.
    fn export(
        &self,
        spec: &'static RegistrySpec,
        query: &ListQuery,
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;

    /// How many rows match the query's filters (paging ignored): what `list` reports as
    /// `total`, without reading a page.
    fn count(&self, spec: &'static RegistrySpec, query: &ListQuery) -> Result<u64, StoreError>;

    /// Rows matching the query's filters, counted by the first `prefix_len` digits of the
    /// registry's region (2: province, 4: city, 6: county), largest first.
    fn count_by_region(
        &self,
        spec: &'static RegistrySpec,
        query: &ListQuery,
        prefix_len: usize,
    ) -> Result<Vec<(String, u64)>, StoreError>;

    /// A number that changes whenever anyone commits a change to the data: what a cache
    /// outside the store compares to know it is stale.
    fn version(&self) -> Result<i64, StoreError>;

    /// The newest year any enterprise has reported figures for: the yardstick for "stale".
    fn latest_figure_year(&self) -> Result<Option<i64>, StoreError>;
}

/// The audit trail every write leaves.
pub trait AuditTrail: Send + Sync {
    /// The audit trail, newest first.
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError>;
}

/// Monitored indicators (行业监测).
pub trait Monitoring: Send + Sync {
    /// A monitored indicator in a region (GB/T 2260 prefix), year by year.
    fn measure_series(&self, measure: &Measure, region: &str) -> Result<Vec<(i64, f64)>, StoreError>;
}

/// What the chain engine reads.
pub trait ChainStore: Send + Sync {
    /// What the chain engine needs about each of `chains` (template ids), in their order: its
    /// members (not the rejected ones) with their latest figures, and every project, platform
    /// and achievement. Several chains are read together, in one snapshot and one pass over their members.
    /// Read anew on each call (a second at provincial scale): callers keep it, as the web's
    /// chain cache does, and share it behind the `Arc`.
    fn chain_facts(&self, chains: &[&str]) -> Result<Vec<std::sync::Arc<periclase_domain::ChainFacts>>, StoreError>;
}

/// What the policy engine reads, and the runs and award ledger it leaves.
pub trait PolicyStore: Send + Sync {
    /// The columns policies read about enterprises or projects (all, a region's or the named
    /// ones), for the policy engine. Yearly figures are of `request.year` or the latest year.
    fn subject_frame(
        &self,
        request: &periclase_domain::frame::FrameRequest,
    ) -> Result<periclase_domain::frame::SubjectFrame, StoreError>;

    /// Saves a policy batch run with its lines and, if it grants, enters its once-only
    /// awards in the ledger — all or nothing; an identical earlier preview is not stored again.
    fn save_policy_run(
        &self,
        run: &periclase_domain::policy_run::PolicyRunRecord,
        actor: &Actor,
    ) -> Result<periclase_domain::policy_run::SavedRun, StoreError>;

    /// (policy, subject key) of every once-only award in the ledger.
    fn granted_awards(&self) -> Result<std::collections::HashSet<(String, String)>, StoreError>;

    /// The latest runs, newest first.
    fn policy_runs(&self, limit: u32) -> Result<Vec<periclase_domain::policy_run::StoredRun>, StoreError>;

    /// A run's listed lines, by policy and subject.
    fn policy_run_lines(&self, run: i64) -> Result<Vec<periclase_domain::policy_run::RunLineRecord>, StoreError>;
}

/// The changes each search index has still to apply, and the rows it indexes. Every index
/// (one per server instance) is a *reader* with a queue of its own in the outbox.
pub trait SearchOutbox: Send + Sync {
    /// Registers `reader` with an empty queue (forgetting readers not seen for a week, with
    /// their queues): every change committed from now on is queued for it. Call before
    /// reading the tables for a full build; changes made during the build are queued too.
    fn search_follow(&self, reader: &str) -> Result<(), StoreError>;

    /// Changes queued for `reader`, oldest first, at most `limit` entries; `None` when the
    /// reader is not registered (new, or forgotten): its index must be built anew.
    fn search_pending(&self, reader: &str, limit: u32) -> Result<Option<SearchPending>, StoreError>;

    /// `reader`'s index has committed every change up to `upto`: they leave its queue.
    fn search_applied(&self, reader: &str, upto: i64) -> Result<(), StoreError>;

    /// The registered readers with what each has still to apply, for the administrator.
    fn search_readers(&self) -> Result<Vec<SearchReader>, StoreError>;

    /// Streams a searched registry's rows (all, or those with `ids`) to `each`.
    fn search_rows(
        &self,
        spec: &'static RegistrySpec,
        ids: Option<&[i64]>,
        each: &mut dyn FnMut(SearchRow<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError>;
}

/// 对接 records between demands and achievements.
pub trait Introductions: Send + Sync {
    /// Records that an official put a demand and an achievement (by codes) in touch.
    /// Records an introduction of a demand inside `scope` (the asker's read scope of demands).
    fn introduce(
        &self,
        demand: &str,
        achievement: &str,
        note: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<Introduction, StoreError>;

    /// Records how an introduction went; `None` when there is no such introduction.
    fn set_introduction_outcome(
        &self,
        id: i64,
        outcome: &str,
        note: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<Option<Introduction>, StoreError>;

    /// Introductions of a demand, of an achievement, or (both `None`) the latest 500 — of
    /// demands inside `scope` only.
    fn introductions(
        &self,
        demand: Option<&str>,
        achievement: Option<&str>,
        scope: &Scope,
    ) -> Result<Vec<Introduction>, StoreError>;
}

/// Every capability trait, for code that calls them on a concrete store
/// (`use periclase_store::prelude::*;`).
pub mod prelude {
    pub use crate::{
        Accounts, AuditTrail, ChainStore, Declarations, Introductions, Jobs, Monitoring, PolicyStore, Registries,
        SearchOutbox, Store,
    };
}

/// The whole store, as the rest of the platform holds it (`Arc<dyn Store>`): every
/// capability above. A second store (PostgreSQL) implements the same traits; a use case that
/// needs one capability takes that trait alone.
pub trait Store:
    Registries + AuditTrail + Monitoring + ChainStore + PolicyStore + SearchOutbox + Introductions
{
}

impl<T: Registries + AuditTrail + Monitoring + ChainStore + PolicyStore + SearchOutbox + Introductions> Store for T {}
