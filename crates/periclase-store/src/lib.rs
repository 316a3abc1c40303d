//! Periclase storage. [`Store`] is what the rest of the platform sees; [`SqliteStore`] is
//! the embedded implementation. SQL lives in this crate and nowhere else.

mod accounts;
mod error;
mod query;
mod sqlite;

pub use accounts::{Account, Accounts, NewAccount};
pub use error::StoreError;
pub use periclase_domain::{ImportItem, ImportOptions, ImportOutcome, RowIssue, RowLocation};
pub use query::{ListPage, ListQuery, Record};
pub use sqlite::SqliteStore;

use periclase_domain::{RegistrySpec, Row, Scope};

/// Storage of every registry. Implementations must be usable from several threads.
pub trait Store: Send + Sync {
    /// Validated rows in, one transaction. Rows that cannot be stored (duplicate key inside
    /// the file, unknown parent) are reported through `on_issue`, as are rows that arrive
    /// already rejected. Unless `opts.partial`, any issue means nothing is written.
    fn import(
        &self,
        spec: &'static RegistrySpec,
        items: &mut dyn Iterator<Item = ImportItem>,
        opts: ImportOptions,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError>;

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

    fn count(&self, spec: &'static RegistrySpec) -> Result<u64, StoreError>;
}
