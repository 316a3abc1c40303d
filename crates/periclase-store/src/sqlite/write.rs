//! Single-record writes (forms and the API) and the audit trail they leave, on SQLite: the
//! logic is `portable.rs`, shared with PostgreSQL; this is its SQLite connection.

use periclase_domain::{RegistrySpec, Row, Scope, Value};
use rusqlite::Connection;

use super::{read_value, Bind};
use crate::portable::{self, Exec};
use crate::{Actor, SaveMode, SaveOutcome, StoreError};

pub(crate) use crate::audit::AuditRecord;
pub(crate) use crate::portable::{key_text, row_json};

pub(crate) fn append_audit(c: &Connection, actor: &Actor, r: &AuditRecord<'_>) -> Result<(), StoreError> {
    portable::append_audit(&mut Lite(c), actor, r)
}

/// The row with this id, as users read it, if it is inside `scope`.
pub(crate) fn read_in_scope(
    c: &Connection,
    spec: &RegistrySpec,
    id: i64,
    scope: &Scope,
) -> Result<Option<Row>, StoreError> {
    portable::read_in_scope(&mut Lite(c), spec, id, scope)
}

/// See [`portable::refs_outside`].
pub(crate) fn refs_outside(
    c: &Connection,
    spec: &RegistrySpec,
    row: &Row,
    scope: &Scope,
) -> Result<Option<String>, StoreError> {
    portable::refs_outside(&mut Lite(c), spec, row, scope)
}

pub(crate) fn save(
    c: &mut Connection,
    spec: &'static RegistrySpec,
    row: &Row,
    mode: SaveMode,
    actor: &Actor,
    scope: &Scope,
) -> Result<SaveOutcome, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let outcome = portable::save_in(&mut Lite(&tx), spec, row, mode, actor, scope, None)?;
    tx.commit()?;
    Ok(outcome)
}

pub(crate) fn delete(
    c: &mut Connection,
    spec: &'static RegistrySpec,
    id: i64,
    actor: &Actor,
    scope: &Scope,
) -> Result<bool, StoreError> {
    let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let deleted = portable::delete_in(&mut Lite(&tx), spec, id, actor, scope, None)?;
    tx.commit()?;
    Ok(deleted)
}

impl crate::frame::Source for Lite<'_> {
    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(&dyn crate::frame::SourceRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let binds: Vec<Bind> = params.iter().map(Bind).collect();
        let mut rows = st.query(rusqlite::params_from_iter(binds.iter()))?;
        while let Some(r) = rows.next()? {
            each(&LiteRow(r))?;
        }
        Ok(())
    }
}

struct LiteRow<'a, 'r>(&'a rusqlite::Row<'r>);

impl crate::frame::SourceRow for LiteRow<'_, '_> {
    fn value(&self, i: usize) -> Value {
        self.0.get_ref(i).map_or(Value::Null, read_value)
    }

    fn int(&self, i: usize) -> Option<i64> {
        self.0.get::<_, Option<i64>>(i).ok().flatten()
    }
}

/// A frame read in one snapshot of an SQLite connection.
pub(crate) fn read_frame(
    c: &Connection,
    request: &periclase_domain::frame::FrameRequest,
    lookup_limit: usize,
) -> Result<periclase_domain::frame::SubjectFrame, StoreError> {
    let tx = c.unchecked_transaction()?;
    let frame = crate::frame::read(&mut Lite(&tx), request, lookup_limit)?;
    tx.finish()?;
    Ok(frame)
}

/// The shared write code's way into an SQLite connection.
pub(crate) struct Lite<'c>(pub &'c Connection);

impl Exec for Lite<'_> {
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let mut st = self.0.prepare_cached(sql)?;
        let n = st.column_count();
        let binds: Vec<Bind> = params.iter().map(Bind).collect();
        let mut rows = st.query(rusqlite::params_from_iter(binds.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            out.push((0..n).map(|i| r.get_ref(i).map(read_value)).collect::<Result<Vec<_>, _>>()?);
        }
        Ok(out)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        let binds: Vec<Bind> = params.iter().map(Bind).collect();
        Ok(self.0.prepare_cached(sql)?.execute(rusqlite::params_from_iter(binds.iter()))? as u64)
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>, StoreError> {
        match self.execute(sql, params) {
            Ok(_) => Ok(Some(self.0.last_insert_rowid())),
            Err(StoreError::Sqlite(rusqlite::Error::SqliteFailure(f, _)))
                if f.extended_code == rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        }
    }

    fn now(&mut self) -> Result<Value, StoreError> {
        Ok(Value::Text(self.0.query_row("SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now')", [], |r| r.get(0))?))
    }

    fn now_plus_minutes(&mut self, minutes: i64) -> Result<Value, StoreError> {
        Ok(Value::Text(self.0.query_row(
            "SELECT strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?1 || ' minutes')",
            [minutes],
            |r| r.get(0),
        )?))
    }
}

/// The store's `AuditTrail` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::*;

    impl crate::AuditTrail for SqliteStore {
        fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
            self.with(|c| crate::audit::entries(&mut write::Lite(c), query))
        }
    }
}

/// The store's `Monitoring` on SQLite (the SQL is `measure.rs`, shared).
impl crate::Monitoring for super::SqliteStore {
    fn measure_series(&self, measure: &periclase_domain::Measure, region: &str) -> Result<Vec<(i64, f64)>, StoreError> {
        self.with(|c| crate::measure::series(&mut Lite(c), measure, region))
    }
}

/// The store's `Declarations` on SQLite (the logic is `declared.rs`, shared): each write
/// takes the write lock first.
impl crate::Declarations for super::SqliteStore {
    fn declare(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        change: crate::DeclaredChange,
        evidence: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<crate::Declaration, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let made = crate::declared::declare(&mut Lite(&tx), spec, row, change, evidence, actor, scope)?;
            tx.commit()?;
            Ok(made)
        })
    }

    fn declarations(&self, query: &crate::DeclarationQuery) -> Result<Vec<crate::Declaration>, StoreError> {
        self.with(|c| crate::declared::list(&mut Lite(c), query))
    }

    fn declaration(&self, id: i64, scope: Option<&Scope>) -> Result<Option<crate::Declaration>, StoreError> {
        self.with(|c| crate::declared::by_id(&mut Lite(c), id, scope))
    }

    fn decide(
        &self,
        id: i64,
        confirm: bool,
        note: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<crate::Declaration, StoreError> {
        self.with(|c| {
            let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let done = crate::declared::decide(&mut Lite(&tx), id, confirm, note, actor, scope)?;
            tx.commit()?;
            Ok(done)
        })
    }
}
