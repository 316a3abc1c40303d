//! The embedded SQLite store: WAL mode, foreign keys on, versioned migrations.

mod accounts;
mod import;
mod measure;
mod sql;
mod write;

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Condvar, Mutex};
use std::time::{Duration, Instant};

use periclase_domain::{registries, FieldKind, Measure, RegistrySpec, Row, Scope, Value};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Connection, OpenFlags, ToSql};

use crate::{
    Actor, AuditEntry, AuditQuery, ImportContext, ImportItem, ImportOutcome, ListPage, ListQuery, Record, RowIssue,
    SaveMode, SaveOutcome, Store, StoreError,
};

/// Migrations in order; `PRAGMA user_version` records how many have run.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_registries.sql"),
    include_str!("../../migrations/0002_accounts.sql"),
    include_str!("../../migrations/0003_audit.sql"),
];

const DEFAULT_PAGE: u32 = 50;
/// Above this many matching rows a list walks the table in id order instead of sorting the
/// matches (see `sql::prefer_id_order`).
const ID_ORDER_THRESHOLD: u64 = 5_000;
/// How long a list's total is reused. Writes through this store clear it at once; writes by
/// another process (a CLI import beside a running server) show in totals within this time.
const COUNT_TTL: Duration = Duration::from_secs(10);
const MAX_PAGE: u32 = 1000;

#[derive(Debug)]
pub struct SqliteStore {
    path: PathBuf,
    /// Totals of recent list queries (a COUNT over a million rows costs tens of ms).
    counts: Mutex<HashMap<String, (Instant, u64)>>,
    /// Idle connections; SQLite connections are cheap but not free to open, and WAL lets
    /// readers run beside the one writer.
    pool: Mutex<Pool>,
    /// Signalled when a connection comes back to the pool.
    returned: Condvar,
    /// Cached region breakdowns of recent list queries, like `counts`.
    facets: Mutex<HashMap<String, (Instant, RegionCounts)>>,
}

/// Idle connections and how many exist in all. Requests beyond the limit wait for one to
/// come back rather than opening more: on two cores a handful of SQLite connections does
/// the work, and opening one per request under load costs more than the query.
#[derive(Debug, Default)]
struct Pool {
    idle: Vec<Connection>,
    open: usize,
}

const MAX_CONNECTIONS: usize = 8;

/// (region prefix, rows) pairs, largest first.
type RegionCounts = Vec<(String, u64)>;

/// Binds a domain value as an SQL parameter.
pub(crate) struct Bind<'a>(pub &'a Value);

impl ToSql for Bind<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(ToSqlOutput::Borrowed(match self.0 {
            Value::Null => ValueRef::Null,
            Value::Text(s) => ValueRef::Text(s.as_bytes()),
            Value::Int(i) => ValueRef::Integer(*i),
            Value::Real(r) => ValueRef::Real(*r),
        }))
    }
}

pub(crate) fn read_value(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(i) => Value::Int(i),
        ValueRef::Real(r) => Value::Real(r),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(String::from_utf8_lossy(t).into_owned()),
    }
}

/// Reads `spec.fields.len()` values starting at column `offset`, coercing SQLite's storage
/// class to the field's kind (an Amount stored as integer 5 is still the decimal 5).
pub(crate) fn read_row(spec: &RegistrySpec, r: &rusqlite::Row<'_>, offset: usize) -> rusqlite::Result<Row> {
    let mut row = Vec::with_capacity(spec.fields.len());
    for (i, f) in spec.fields.iter().enumerate() {
        let v = read_value(r.get_ref(offset + i)?);
        row.push(match (f.kind, v) {
            (FieldKind::Amount | FieldKind::Percent, Value::Int(i)) => Value::Real(i as f64),
            (_, v) => v,
        });
    }
    Ok(row)
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and runs pending migrations.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let store = SqliteStore {
            path: path.as_ref().to_path_buf(),
            counts: Mutex::new(HashMap::new()),
            pool: Mutex::new(Pool::default()),
            returned: Condvar::new(),
            facets: Mutex::new(HashMap::new()),
        };
        let mut conn = store.connect()?;
        migrate(&mut conn)?;
        store.release(conn);
        Ok(store)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn connect(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "busy_timeout", 10_000)?;
        Ok(conn)
    }

    fn take(&self) -> Result<Connection, StoreError> {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if let Some(c) = pool.idle.pop() {
                return Ok(c);
            }
            if pool.open < MAX_CONNECTIONS {
                pool.open += 1;
                drop(pool);
                return self.connect().inspect_err(|_| {
                    if let Ok(mut p) = self.pool.lock() {
                        p.open -= 1;
                    }
                });
            }
            pool = self.returned.wait(pool).unwrap_or_else(|e| e.into_inner());
        }
    }

    fn release(&self, conn: Connection) {
        let mut pool = self.pool.lock().unwrap_or_else(|e| e.into_inner());
        pool.idle.push(conn);
        drop(pool);
        self.returned.notify_one();
    }

    fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T, StoreError>) -> Result<T, StoreError> {
        let mut conn = self.take()?;
        let out = f(&mut conn);
        self.release(conn);
        out
    }

    fn cached_count(&self, c: &Connection, spec: &RegistrySpec, filter: &sql::Filter) -> Result<u64, StoreError> {
        let count_sql = format!("SELECT count(*) FROM {} t {}", spec.table, sql::where_clause(&filter.where_sql));
        let key = format!("{count_sql}\u{1}{:?}", filter.params);
        if let Some((at, n)) = self.counts.lock().ok().and_then(|m| m.get(&key).copied()) {
            if at.elapsed() < COUNT_TTL {
                return Ok(n);
            }
        }
        let binds: Vec<Bind> = filter.params.iter().map(Bind).collect();
        let n: i64 = c.prepare_cached(&count_sql)?.query_row(rusqlite::params_from_iter(binds.iter()), |r| r.get(0))?;
        if let Ok(mut m) = self.counts.lock() {
            if m.len() > 10_000 {
                m.clear();
            }
            m.insert(key, (Instant::now(), n as u64));
        }
        Ok(n as u64)
    }

    /// Forgets cached totals and breakdowns after a write.
    fn wrote(&self) {
        if let Ok(mut m) = self.counts.lock() {
            m.clear();
        }
        if let Ok(mut m) = self.facets.lock() {
            m.clear();
        }
    }

    /// The schema version (number of migrations applied).
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        self.with(|c| Ok(c.pragma_query_value(None, "user_version", |r| r.get(0))?))
    }

    /// Names of a table's explicit indexes (a bulk import drops and rebuilds them).
    pub fn index_names(&self, table: &str) -> Result<Vec<String>, StoreError> {
        self.with(|c| {
            let mut st = c.prepare(
                "SELECT name FROM sqlite_schema WHERE type = 'index' AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY name",
            )?;
            let names = st.query_map([table], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
            Ok(names)
        })
    }

    /// Column names of a table, for the consistency test between specs and migrations.
    pub fn columns(&self, table: &str) -> Result<HashSet<String>, StoreError> {
        self.with(|c| {
            let mut st = c.prepare("SELECT name FROM pragma_table_info(?1)")?;
            let cols = st.query_map([table], |r| r.get::<_, String>(0))?.collect::<Result<_, _>>()?;
            Ok(cols)
        })
    }
}

fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    let version: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let supported = MIGRATIONS.len() as i64;
    if version > supported {
        return Err(StoreError::TooNew { found: version, supported });
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
    }
    Ok(())
}

impl Store for SqliteStore {
    fn import(
        &self,
        spec: &'static RegistrySpec,
        items: &mut dyn Iterator<Item = ImportItem>,
        ctx: &ImportContext<'_>,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        let out = self.with(|c| import::run(c, spec, items, ctx, on_issue, on_progress));
        self.wrote();
        out
    }

    fn save(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        mode: SaveMode,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<SaveOutcome, StoreError> {
        let out = self.with(|c| write::save(c, spec, row, mode, actor, scope));
        self.wrote();
        out
    }

    fn delete(&self, spec: &'static RegistrySpec, key: &str, actor: &Actor, scope: &Scope) -> Result<bool, StoreError> {
        let Some(rec) = self.get(spec, key, Some(scope))? else { return Ok(false) };
        let out = self.with(|c| write::delete(c, spec, rec.id, actor, scope));
        self.wrote();
        out
    }

    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| write::audit(c, query))
    }

    fn list(&self, spec: &'static RegistrySpec, query: &ListQuery) -> Result<ListPage, StoreError> {
        self.with(|c| {
            let filter = sql::Filter::build(spec, query)?;
            let total = self.cached_count(c, spec, &filter)?;
            let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE);
            let mut params = filter.params.clone();
            let mut where_sql = filter.where_sql.clone();
            if total > ID_ORDER_THRESHOLD && !query.recent {
                if let Some(f) = spec.region_field.and_then(|k| spec.field(k)) {
                    where_sql = sql::prefer_id_order(&where_sql, f.column);
                }
            }
            if let Some(after) = query.after {
                where_sql.push(format!("t.id > ?{}", params.len() + 1));
                params.push(Value::Int(after));
            }
            let order = if query.recent { "t.updated_at DESC, t.id DESC" } else { "t.id" };
            let sql =
                format!("{} {} ORDER BY {order} LIMIT {}", sql::select(spec), sql::where_clause(&where_sql), limit + 1);
            let mut st = c.prepare_cached(&sql)?;
            let binds: Vec<Bind> = params.iter().map(Bind).collect();
            let mut records = st
                .query_map(rusqlite::params_from_iter(binds.iter()), |r| {
                    Ok(Record { id: r.get(0)?, row: read_row(spec, r, 1)? })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let next = if records.len() > limit as usize && !query.recent {
                records.truncate(limit as usize);
                records.last().map(|r| r.id)
            } else {
                records.truncate(limit as usize);
                None
            };
            Ok(ListPage { records, next, total })
        })
    }

    fn get(&self, spec: &'static RegistrySpec, key: &str, scope: Option<&Scope>) -> Result<Option<Record>, StoreError> {
        self.with(|c| {
            let (cond, value) = if spec.natural_key.len() == 1 {
                let f = spec.field(spec.natural_key[0]).expect("key field");
                (format!("t.{} = ?1", f.column), Value::Text(normalize_key(f, key)))
            } else {
                match key.parse::<i64>() {
                    Ok(id) => ("t.id = ?1".to_string(), Value::Int(id)),
                    Err(_) => return Ok(None),
                }
            };
            let mut params = vec![value];
            let mut conds = vec![cond];
            if let Some(scope) = scope {
                conds.extend(sql::scope_condition(spec, scope, &mut params));
            }
            let sql = format!("{} {}", sql::select(spec), sql::where_clause(&conds));
            let mut st = c.prepare_cached(&sql)?;
            let binds: Vec<Bind> = params.iter().map(Bind).collect();
            let mut rows = st.query(rusqlite::params_from_iter(binds.iter()))?;
            match rows.next()? {
                Some(r) => Ok(Some(Record { id: r.get(0)?, row: read_row(spec, r, 1)? })),
                None => Ok(None),
            }
        })
    }

    fn children(
        &self,
        parent: &'static RegistrySpec,
        parent_id: i64,
        child: &'static RegistrySpec,
    ) -> Result<Vec<Record>, StoreError> {
        let Some(link) = child.fields.iter().find(|f| f.kind == FieldKind::Ref(parent.id)) else {
            return Ok(Vec::new());
        };
        self.with(|c| {
            let sql = format!("{} WHERE t.{} = ?1 ORDER BY t.id", sql::select(child), link.column);
            let mut st = c.prepare_cached(&sql)?;
            let rows = st
                .query_map([parent_id], |r| Ok(Record { id: r.get(0)?, row: read_row(child, r, 1)? }))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
    }

    fn export(
        &self,
        spec: &'static RegistrySpec,
        query: &ListQuery,
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        self.with(|c| {
            let filter = sql::Filter::build(spec, query)?;
            let sql = format!("{} {} ORDER BY t.id", sql::select(spec), sql::where_clause(&filter.where_sql));
            let mut st = c.prepare(&sql)?;
            let binds: Vec<Bind> = filter.params.iter().map(Bind).collect();
            let mut rows = st.query(rusqlite::params_from_iter(binds.iter()))?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                each(&read_row(spec, r, 1)?)?;
                n += 1;
            }
            Ok(n)
        })
    }

    fn count_by_region(
        &self,
        spec: &'static RegistrySpec,
        query: &ListQuery,
        prefix_len: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let Some(field) = spec.region_field.and_then(|k| spec.field(k)) else {
            return Err(StoreError::BadQuery(format!("{}没有地区字段", spec.label)));
        };
        self.with(|c| {
            let filter = sql::Filter::build(spec, query)?;
            let q = format!(
                "SELECT substr(t.{col}, 1, {n}) AS p, count(*) AS k FROM {} t {} GROUP BY p ORDER BY k DESC, p",
                spec.table,
                sql::where_clause(&filter.where_sql),
                col = field.column,
                n = prefix_len.clamp(2, 6)
            );
            let key = format!("{q}\u{1}{:?}", filter.params);
            if let Some((at, rows)) = self.facets.lock().ok().and_then(|m| m.get(&key).cloned()) {
                if at.elapsed() < COUNT_TTL {
                    return Ok(rows);
                }
            }
            let mut st = c.prepare_cached(&q)?;
            let binds: Vec<Bind> = filter.params.iter().map(Bind).collect();
            let rows: Vec<(String, u64)> = st
                .query_map(rusqlite::params_from_iter(binds.iter()), |r| {
                    Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)? as u64))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            if let Ok(mut m) = self.facets.lock() {
                if m.len() > 1_000 {
                    m.clear();
                }
                m.insert(key, (Instant::now(), rows.clone()));
            }
            Ok(rows)
        })
    }

    fn enterprises_without_figures_since(&self, query: &ListQuery, year: i64) -> Result<u64, StoreError> {
        self.with(|c| {
            let mut filter = sql::Filter::build(&registries::ENTERPRISES, query)?;
            filter.params.push(Value::Int(year));
            let n = filter.params.len();
            filter.where_sql.push(format!(
                "NOT EXISTS (SELECT 1 FROM enterprise_figure f WHERE f.enterprise_id = t.id AND f.year >= ?{n})"
            ));
            let q = format!("SELECT count(*) FROM enterprise t {}", sql::where_clause(&filter.where_sql));
            let binds: Vec<Bind> = filter.params.iter().map(Bind).collect();
            let k: i64 = c.prepare_cached(&q)?.query_row(rusqlite::params_from_iter(binds.iter()), |r| r.get(0))?;
            Ok(k as u64)
        })
    }

    fn measure_series(&self, measure: &Measure, region: &str) -> Result<Vec<(i64, f64)>, StoreError> {
        self.with(|c| measure::series(c, measure, region))
    }

    fn latest_figure_year(&self) -> Result<Option<i64>, StoreError> {
        self.with(|c| Ok(c.query_row("SELECT max(year) FROM enterprise_figure", [], |r| r.get(0))?))
    }

    fn count(&self, spec: &'static RegistrySpec) -> Result<u64, StoreError> {
        self.with(|c| {
            let n: i64 = c.query_row(&format!("SELECT count(*) FROM {}", spec.table), [], |r| r.get(0))?;
            Ok(n as u64)
        })
    }
}

/// Key text as stored: validated like an import cell when possible (so a lower-case USCC in
/// a URL finds its enterprise), else as given.
fn normalize_key(f: &periclase_domain::FieldSpec, key: &str) -> String {
    match periclase_domain::validate_cell(f, key) {
        Ok(Value::Text(s)) => s,
        _ => key.to_string(),
    }
}

/// The registry whose natural key a reference field points to.
pub(crate) fn parent_of(kind: FieldKind) -> Option<&'static RegistrySpec> {
    match kind {
        FieldKind::Ref(id) => Some(registries::spec(id)),
        _ => None,
    }
}

/// Column of the single-field natural key of `parent`.
pub(crate) fn parent_key_column(parent: &RegistrySpec) -> &'static str {
    parent.field(parent.natural_key[0]).expect("natural key").column
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_create_every_spec_column() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(dir.path().join("t.db")).unwrap();
        assert_eq!(store.schema_version().unwrap(), MIGRATIONS.len() as i64);
        for spec in registries::ALL {
            let cols = store.columns(spec.table).unwrap();
            assert!(cols.contains("id"), "{}", spec.table);
            for f in spec.fields {
                assert!(cols.contains(f.column), "{}.{} missing", spec.table, f.column);
            }
            assert_eq!(cols.len(), spec.fields.len() + 2, "{}: columns not in the spec: {cols:?}", spec.table);
        }
        // Re-opening does not re-run migrations.
        drop(store);
        let again = SqliteStore::open(dir.path().join("t.db")).unwrap();
        assert_eq!(again.schema_version().unwrap(), MIGRATIONS.len() as i64);
    }
}
