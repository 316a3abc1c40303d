//! The PostgreSQL store, for a province's server deployment (and the PostgreSQL-compatible
//! databases government IT runs: openGauss, KingbaseES, Highgo; see docs/POSTGRES.md). It
//! implements the store's capability traits as the SQLite store does, over the schema in
//! `migrations/postgres/` (kept equal to SQLite's by a test that compares the two).
//!
//! Implemented so far: the schema and its migrations, accounts and sessions with login
//! throttling, the audit trail and background jobs. The registries, chain facts, policy
//! runs, the search outbox, 对接 records and declarations follow.

mod accounts;
mod audit;
mod chain;
mod conn;
mod copy_load;
mod exec;
mod import;
mod jobs;
mod policy_run;
mod registries;
mod search;
mod transfer;
mod value;

use postgres::{Client, NoTls};

use self::conn::PgConn;
use crate::pool::Pool;
use crate::StoreError;

pub(crate) use self::outside_runtime as escape_runtime;
pub(crate) use value::{dollars, PgValue};

/// Migrations by the schema version they bring the database to. A PostgreSQL database starts
/// at the SQLite schema's version 15, in one file; later versions come in both folders.
const MIGRATIONS: &[(i64, &str)] = &[
    (15, include_str!("../../migrations/postgres/0015_baseline.sql")),
    (16, include_str!("../../migrations/postgres/0016_search_readers.sql")),
];

/// What only PostgreSQL needs, beside the versioned schema both stores share (the schema
/// comparison test leaves it out), made once when missing.
///
/// `enterprise_id_region_tiers`: a list in id order filtered by region and tier (a city's
/// 高新技术企业) picks its page's ids from this index alone and then reads those fifty rows
/// (`registries.rs`, the deferred page). Read from the table, PostgreSQL fetched every row
/// it skipped: 1,200 rows for a page of 50, four times as long. SQLite's table is itself
/// stored in id order and needs no such index.
const POSTGRES_ONLY: &str =
    "CREATE INDEX IF NOT EXISTS enterprise_id_region_tiers ON enterprise (id) INCLUDE (region, tiers)";

/// The schema version this build writes: the same number as the SQLite store's.
pub const SCHEMA_VERSION: i64 = 16;

/// Connections per process unless told otherwise: two per core of this machine, at least
/// four. The pool is what keeps the database's work in step with the cores that wait on
/// it: on a 2-core machine serving 64 clients, 4 connections answered more requests than
/// 16 and with half the tail latency (docs/BENCHMARKS.md), because every connection is a
/// server process competing for the same cores.
pub fn default_connections() -> usize {
    let cores = std::thread::available_parallelism().map_or(2, usize::from);
    (2 * cores).clamp(4, 64)
}

/// Serialises schema changes between instances starting at once (an advisory lock key).
const MIGRATION_LOCK: i64 = 0x0070_6572_6963_6c01;

pub struct PgStore {
    /// libpq-style connection parameters or a `postgres://` URL (never logged: it may hold
    /// a password).
    params: String,
    pool: Pool<PgConn>,
    /// A connection per job this instance has queued or runs, holding the job's advisory
    /// lock: another instance starting on the same database sees the job is alive and
    /// leaves it be; when this process dies the server drops the locks with the
    /// connections, and the next instance marks the job interrupted.
    job_locks: std::sync::Mutex<std::collections::HashMap<i64, Client>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore").finish_non_exhaustive()
    }
}

impl PgStore {
    /// Connects to the database `params` names (`postgres://user@host/db` or
    /// `host=… user=… dbname=…`) and brings its schema to [`SCHEMA_VERSION`].
    pub fn open(params: &str) -> Result<PgStore, StoreError> {
        PgStore::open_with_connections(params, default_connections())
    }

    /// As [`PgStore::open`], with at most `connections` open at once.
    pub fn open_with_connections(params: &str, connections: usize) -> Result<PgStore, StoreError> {
        let client = outside_runtime(|| {
            let mut client = connect(params)?;
            migrate(&mut client)?;
            Ok(client)
        })?;
        Ok(PgStore {
            params: params.to_string(),
            pool: Pool::new(connections, PgConn::new(client)),
            job_locks: std::sync::Mutex::default(),
        })
    }

    /// Runs `f` on a pooled connection; a connection the server closed is not reused.
    ///
    /// The client blocks on a runtime of its own, which tokio refuses inside another
    /// runtime's worker: called from async code (the web's handlers), the call leaves the
    /// worker with `block_in_place`, which needs the multi-threaded runtime the server runs.
    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>) -> Result<T, StoreError> {
        self.with_plans(false, f)
    }

    /// As [`PgStore::with`], for the hot small reads whose statements are planned once for
    /// all parameters (see [`PgConn::generic_plans`]).
    pub(crate) fn with_planned_once<T>(
        &self,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        self.with_plans(true, f)
    }

    fn with_plans<T>(
        &self,
        generic: bool,
        f: impl FnOnce(&mut PgConn) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        outside_runtime(|| {
            self.pool.with(
                || connect(&self.params).map(PgConn::new),
                |c| !c.is_closed(),
                |c| {
                    c.generic_plans(generic)?;
                    f(c)
                },
            )
        })
    }

    /// The schema version the database is at.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|c| schema_version(c))
    }
}

/// Commits `tx`. A connection lost with the commit on its way (the server crashed, the
/// network broke) leaves the outcome unknown: the server may have committed before it went.
/// That is [`StoreError::CommitUnknown`], not "nothing was written". An error the server
/// answered with means the transaction did not commit.
pub(crate) fn commit(tx: postgres::Transaction<'_>) -> Result<(), StoreError> {
    tx.commit().map_err(|e| {
        let answered = e.code().is_some();
        match StoreError::from(e) {
            StoreError::Unavailable if !answered => StoreError::CommitUnknown,
            other => other,
        }
    })
}

/// Runs `f`, which blocks on the client's own runtime, outside any async runtime's worker
/// (see [`PgStore::with`]).
pub(crate) fn outside_runtime<T>(f: impl FnOnce() -> Result<T, StoreError>) -> Result<T, StoreError> {
    match tokio::runtime::Handle::try_current() {
        Err(_) => f(),
        Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread => {
            Err(StoreError::BadQuery("PostgreSQL 存储不能在单线程异步运行时中直接调用".to_string()))
        }
        Ok(_) => tokio::task::block_in_place(f),
    }
}

pub(crate) fn connect(params: &str) -> Result<Client, StoreError> {
    let mut client = Client::connect(params, NoTls).map_err(StoreError::from)?;
    // Times are written as UTC text by the schema's functions; comparisons of timestamps
    // the server computes must not depend on the server's zone either.
    client.batch_execute("SET TIME ZONE 'UTC'")?;
    Ok(client)
}

fn schema_version(c: &mut Client) -> Result<i64, StoreError> {
    let exists: bool = c.query_one("SELECT to_regclass('periclase_schema') IS NOT NULL", &[])?.get(0);
    if !exists {
        return Ok(0);
    }
    Ok(c.query_one("SELECT coalesce(max(version), 0) FROM periclase_schema", &[])?.get(0))
}

/// Brings the schema to [`SCHEMA_VERSION`] in one transaction, one instance at a time.
fn migrate(c: &mut Client) -> Result<(), StoreError> {
    let mut tx = c.transaction()?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])?;
    let exists: bool = tx.query_one("SELECT to_regclass('periclase_schema') IS NOT NULL", &[])?.get(0);
    if !exists {
        tx.batch_execute("CREATE TABLE periclase_schema (version bigint PRIMARY KEY)")?;
    }
    let found: i64 = tx.query_one("SELECT coalesce(max(version), 0) FROM periclase_schema", &[])?.get(0);
    if found > SCHEMA_VERSION {
        return Err(StoreError::TooNew { found, supported: SCHEMA_VERSION });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql)?;
        tx.execute("INSERT INTO periclase_schema (version) VALUES ($1)", &[version])?;
    }
    // Only when missing: even `IF NOT EXISTS` locks the table against writes first, and a
    // start (or any CLI command) would wait for a long import to end.
    let missing: bool = tx.query_one("SELECT to_regclass('enterprise_id_region_tiers') IS NULL", &[])?.get(0);
    if missing {
        tx.batch_execute(POSTGRES_ONLY)?;
    }
    commit(tx)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    #[test]
    fn both_stores_are_at_the_same_schema_version() {
        assert_eq!(super::SCHEMA_VERSION, crate::sqlite::SCHEMA_VERSION);
        assert_eq!(super::MIGRATIONS.last().map(|(v, _)| *v), Some(super::SCHEMA_VERSION));
    }
}
