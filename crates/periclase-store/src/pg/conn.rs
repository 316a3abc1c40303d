//! A pooled connection with its prepared statements. The driver sends a statement given as
//! text as an unnamed one: parsed and planned afresh, and one round trip more (prepare, then
//! execute) for every query. A list request makes three queries, so the store keeps the
//! statements it has prepared on each connection, by their text: the second time a query
//! is one round trip and no parsing.

use std::collections::HashMap;
use std::ops::{Deref, DerefMut};

use periclase_domain::Value;
use postgres::error::SqlState;
use postgres::{Client, Statement};

use super::dollars;
use super::value::with_binds;
use crate::StoreError;

/// Statements kept per connection. The texts are made from a registry, its filters and a
/// page size, so a server sees a few hundred at most; past this many the cache starts over
/// rather than grow without bound.
const MAX_STATEMENTS: usize = 512;

pub(crate) struct PgConn {
    client: Client,
    /// By the SQL as the shared builders write it (`?1` parameters).
    statements: HashMap<String, Statement>,
    /// Whether the session plans prepared statements once (`plan_cache_mode =
    /// force_generic_plan`) rather than for each set of parameters.
    generic_plans: bool,
}

impl PgConn {
    pub(crate) fn new(client: Client) -> PgConn {
        PgConn { client, statements: HashMap::new(), generic_plans: false }
    }

    /// Plans once for all parameters (`true`), or for each execution as PostgreSQL decides
    /// (`false`, its default). The hot requests (a session, a list page, a record) are
    /// small index reads whose best plan does not depend on the values; left to decide,
    /// PostgreSQL planned a city's tier list afresh on every request (0.3 ms of a 0.8 ms
    /// query), and lists answered 2,800 requests/s instead of 3,300 (docs/BENCHMARKS.md).
    /// Everything else (exports, policy frames over a province or a county, imports) keeps
    /// the default, where the values decide between an index and a scan.
    pub(crate) fn generic_plans(&mut self, on: bool) -> Result<(), StoreError> {
        if self.generic_plans != on {
            self.client.batch_execute(if on {
                "SET plan_cache_mode = force_generic_plan"
            } else {
                "RESET plan_cache_mode"
            })?;
            self.generic_plans = on;
        }
        Ok(())
    }

    /// The prepared statement for `sql` (`?1`-style parameters), prepared on first use.
    fn statement(&mut self, sql: &str) -> Result<Statement, postgres::Error> {
        if let Some(st) = self.statements.get(sql) {
            return Ok(st.clone());
        }
        if self.statements.len() >= MAX_STATEMENTS {
            self.statements.clear();
        }
        let st = self.client.prepare(&dollars(sql))?;
        self.statements.insert(sql.to_string(), st.clone());
        Ok(st)
    }

    /// Runs `sql` (`?1`-style parameters) with domain values through its prepared statement.
    pub(crate) fn query_values(&mut self, sql: &str, params: &[Value]) -> Result<Vec<postgres::Row>, StoreError> {
        with_binds(params, |refs| self.again_if_stale(sql, |c, st| c.query(st, refs)))
    }

    /// As [`PgConn::query_values`], for a statement that changes rows: the count.
    pub(crate) fn execute_values(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        with_binds(params, |refs| self.again_if_stale(sql, |c, st| c.execute(st, refs)))
    }

    /// Runs `run` with the statement for `sql`. A statement prepared before the schema
    /// changed under it (another instance migrated the database) fails with "cached plan
    /// must not change result type": every kept statement is then forgotten, and this one
    /// prepared again and run once more, so the caller never sees the change.
    fn again_if_stale<T>(
        &mut self,
        sql: &str,
        run: impl Fn(&mut Client, &Statement) -> Result<T, postgres::Error>,
    ) -> Result<T, StoreError> {
        let st = self.statement(sql)?;
        match run(&mut self.client, &st) {
            Err(e) if e.code() == Some(&SqlState::FEATURE_NOT_SUPPORTED) && !self.client.is_closed() => {
                self.statements.clear();
                let st = self.statement(sql)?;
                Ok(run(&mut self.client, &st)?)
            }
            other => Ok(other?),
        }
    }
}

impl Deref for PgConn {
    type Target = Client;
    fn deref(&self) -> &Client {
        &self.client
    }
}

impl DerefMut for PgConn {
    fn deref_mut(&mut self) -> &mut Client {
        &mut self.client
    }
}
