//! The `Registries` capability on PostgreSQL: lists, lookups, exports and counts over the
//! SQL `sql.rs` generates for both stores; single-record writes through `portable.rs`;
//! imports in `import.rs`.

use periclase_domain::{FieldKind, RegistrySpec, Row, Scope, Value};
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::exec::{read_values, Pg};
use super::{dollars, PgStore, PgValue};
use crate::portable::{self, as_row};
use crate::query::Cursor;
use crate::sql::{self, Filter};
use crate::{
    Actor, ImportContext, ImportItem, ImportOutcome, ListPage, ListQuery, Record, Registries, RowIssue, SaveMode,
    SaveOutcome, StoreError,
};

const DEFAULT_PAGE: u32 = 50;
const MAX_PAGE: u32 = 1000;

/// SQLite puts NULLs first ascending and last descending; PostgreSQL the other way round,
/// unless told. Keyset paging (`sql::keyset_condition`) relies on SQLite's order. Only a
/// column that may hold NULL is told: `NULLS FIRST` on the id (or any column an index keeps
/// in the default order) would keep PostgreSQL from reading that index in order, and a
/// county's first page would sort the whole table.
fn sqlite_nulls(order: &str, nullable: bool) -> String {
    order
        .split(", ")
        .map(|part| match (nullable && !part.starts_with("t.id "), part.ends_with(" DESC")) {
            (false, _) => part.to_string(),
            (true, true) => format!("{part} NULLS LAST"),
            (true, false) => format!("{part} NULLS FIRST"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A record from a row `SELECT t.id, <fields…>[, extra]`.
fn record(spec: &RegistrySpec, values: Vec<Value>) -> (Record, Option<Value>) {
    let n = spec.fields.len();
    let mut values = values.into_iter();
    let id = match values.next() {
        Some(Value::Int(id)) => id,
        _ => 0,
    };
    let row = as_row(spec, values.by_ref().take(n));
    (Record { id, row }, values.next())
}

/// The statement that counts the rows `filter` selects: from the trigger-kept tally where
/// the filter allows, else by counting.
fn count_sql(spec: &RegistrySpec, filter: &Filter) -> String {
    match filter.tally {
        Some(tally) => {
            format!("SELECT coalesce(sum(t.n), 0)::bigint FROM {tally} t {}", sql::where_clause(&filter.where_sql))
        }
        None => format!("SELECT count(*) FROM {} t {}", spec.table, sql::where_clause(&filter.where_sql)),
    }
}

/// Whether a page is better found as ids first, from `enterprise_id_region_tiers` alone
/// (see `POSTGRES_ONLY` in `mod.rs`), and its rows read after: enterprises in id order,
/// filtered on nothing but the region and tier columns that index holds (exactly the
/// filters the tally answers), one of them the tier. (A region alone skips few rows: there
/// the extra join costs more than it saves.)
fn deferred_page(spec: &RegistrySpec, filter: &Filter, sort_column: Option<&str>) -> bool {
    spec.table == "enterprise" && sort_column.is_none() && filter.tally.is_some() && filter.by_tier
}

fn count(c: &mut super::conn::PgConn, spec: &RegistrySpec, filter: &Filter) -> Result<u64, StoreError> {
    let n: i64 = c.query_values(&count_sql(spec, filter), &filter.params)?[0].get(0);
    Ok(n.max(0) as u64)
}

impl Registries for PgStore {
    fn import(
        &self,
        spec: &'static RegistrySpec,
        items: &mut dyn Iterator<Item = ImportItem>,
        ctx: &ImportContext<'_>,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        self.with(|c| super::import::run(c, spec, items, ctx, on_issue, on_progress))
    }

    fn save(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        mode: SaveMode,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<SaveOutcome, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let outcome = portable::save_in(&mut Pg(&mut tx), spec, row, mode, actor, scope, None)?;
            super::commit(tx)?;
            Ok(outcome)
        })
    }

    fn delete(&self, spec: &'static RegistrySpec, key: &str, actor: &Actor, scope: &Scope) -> Result<bool, StoreError> {
        let Some(rec) = self.get(spec, key, Some(scope))? else { return Ok(false) };
        self.with(|c| {
            let mut tx = c.transaction()?;
            let deleted = portable::delete_in(&mut Pg(&mut tx), spec, rec.id, actor, scope, None)?;
            super::commit(tx)?;
            Ok(deleted)
        })
    }

    fn list(&self, spec: &'static RegistrySpec, q: &ListQuery) -> Result<ListPage, StoreError> {
        let filter = Filter::build(spec, q)?;
        let after = q.after.as_deref().map(Cursor::decode).transpose()?;
        self.with_planned_once(|c| {
            let limit = q.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
            let (column, nullable, order) = sql::order_by(q.sort);
            let mut params = filter.params.clone();
            let mut where_sql = filter.where_sql.clone();
            if let Some(cursor) = after {
                where_sql.push(sql::keyset_condition(column.as_deref(), nullable, q.sort.desc, cursor, &mut params)?);
            }
            // The total rides on the page's rows (computed once, as an init plan): one round
            // trip for the page instead of two. The filter's parameters come first in
            // `params`, so the count's `?1…` name the same values.
            // (The count's own `t` hides the list's inside its parentheses.)
            let extra = match &column {
                Some(column) => format!("{column}, ({})", count_sql(spec, &filter)),
                None => format!("({})", count_sql(spec, &filter)),
            };
            let order = sqlite_nulls(&order, nullable);
            let text = if deferred_page(spec, &filter, column.as_deref()) {
                format!(
                    "{} WHERE t.id IN (SELECT t.id FROM {} t {} ORDER BY {order} LIMIT {}) ORDER BY {order}",
                    sql::select_with(spec, Some(&extra)),
                    spec.table,
                    sql::where_clause(&where_sql),
                    limit + 1
                )
            } else {
                format!(
                    "{} {} ORDER BY {order} LIMIT {}",
                    sql::select_with(spec, Some(&extra)),
                    sql::where_clause(&where_sql),
                    limit + 1
                )
            };
            let found = c.query_values(&text, &params)?;
            let total = match found.first() {
                Some(r) => r.get::<_, i64>(r.len() - 1).max(0) as u64,
                // An empty page (past the end, or nothing matches): counted on its own.
                None => count(c, spec, &filter)?,
            };
            let mut rows: Vec<(Record, Option<Value>)> = found
                .iter()
                .map(|r| {
                    read_values(r).map(|mut v| {
                        v.pop();
                        record(spec, v)
                    })
                })
                .collect::<Result<_, _>>()?;
            let more = rows.len() > limit;
            rows.truncate(limit);
            let next = more
                .then(|| {
                    rows.last().map(|(r, key)| Cursor { id: r.id, value: column.as_ref().and(key.clone()) }.encode())
                })
                .flatten();
            Ok(ListPage { records: rows.into_iter().map(|(r, _)| r).collect(), next, total })
        })
    }

    fn get(&self, spec: &'static RegistrySpec, key: &str, scope: Option<&Scope>) -> Result<Option<Record>, StoreError> {
        let Some((cond, value)) = sql::record_condition(spec, key) else { return Ok(None) };
        let mut params = vec![value];
        let mut conds = vec![cond];
        if let Some(scope) = scope {
            conds.extend(sql::scope_condition(spec, scope, &mut params));
        }
        let text = format!("{} {}", sql::select(spec), sql::where_clause(&conds));
        self.with_planned_once(|c| {
            let rows = c.query_values(&text, &params)?;
            Ok(rows.first().map(read_values).transpose()?.map(|v| record(spec, v).0))
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
        let text = format!("{} WHERE t.{} = ?1 ORDER BY t.id", sql::select(child), link.column);
        self.with_planned_once(|c| {
            Ok(c.query_values(&text, &[Value::Int(parent_id)])?
                .iter()
                .map(|r| read_values(r).map(|v| record(child, v).0))
                .collect::<Result<_, _>>()?)
        })
    }

    fn export(
        &self,
        spec: &'static RegistrySpec,
        q: &ListQuery,
        each: &mut dyn FnMut(&Row) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let filter = Filter::build(spec, q)?;
        let (_, nullable, order) = sql::order_by(q.sort);
        let text = format!(
            "{} {} ORDER BY {}",
            sql::select(spec),
            sql::where_clause(&filter.where_sql),
            sqlite_nulls(&order, nullable)
        );
        self.with(|c| {
            // Streamed row by row (a million rows are never all in memory), in one
            // transaction so the export is one snapshot.
            let mut tx = c.transaction()?;
            let binds: Vec<PgValue> = filter.params.iter().map(PgValue).collect();
            let params = binds.iter().map(|b| b as &dyn ToSql);
            let mut rows = tx.query_raw(&dollars(&text), params)?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                each(&record(spec, read_values(&r)?).0.row)?;
                n += 1;
            }
            drop(rows);
            super::commit(tx)?;
            Ok(n)
        })
    }

    fn count(&self, spec: &'static RegistrySpec, q: &ListQuery) -> Result<u64, StoreError> {
        let filter = Filter::build(spec, q)?;
        self.with_planned_once(|c| count(c, spec, &filter))
    }

    fn count_by_region(
        &self,
        spec: &'static RegistrySpec,
        q: &ListQuery,
        prefix_len: usize,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let Some(field) = spec.region_field.and_then(|k| spec.field(k)) else {
            return Err(StoreError::BadQuery(format!("{}没有地区字段", spec.label)));
        };
        let filter = Filter::build(spec, q)?;
        let (table, rows) = match filter.tally {
            Some(tally) => (tally, "sum(t.n)"),
            None => (spec.table, "count(*)"),
        };
        let prefix = format!("substr(t.{}, 1, {})", field.column, prefix_len.clamp(2, 6));
        // Rows without a region (an achievement may have none) lie in no region's count.
        let text = format!(
            "SELECT {prefix}, ({rows})::bigint FROM {table} t {} GROUP BY 1 \
             HAVING {rows} > 0 AND {prefix} IS NOT NULL ORDER BY 2 DESC, 1",
            sql::where_clause(&filter.where_sql)
        );
        self.with(|c| {
            Ok(c.query_values(&text, &filter.params)?
                .iter()
                .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1) as u64))
                .collect())
        })
    }

    /// Moves on whenever a transaction that changed data commits, through any instance
    /// (migration 0016: one `periclase_change` row per such transaction); the rows are
    /// folded into `periclase_version` once there are many, in one statement, which leaves
    /// the sum as it was.
    fn version(&self) -> Result<i64, StoreError> {
        self.with_planned_once(|c| {
            let rows =
                c.query_values("SELECT v.n, (SELECT count(*) FROM periclase_change) FROM periclase_version v", &[])?;
            let row = rows.first().ok_or_else(|| StoreError::BadQuery("数据版本表为空".to_string()))?;
            let (base, pending): (i64, i64) = (row.get(0), row.get(1));
            if pending > FOLD_CHANGES_AT {
                c.batch_execute(
                    "WITH folded AS (DELETE FROM periclase_change RETURNING 1) \
                     UPDATE periclase_version SET n = n + (SELECT count(*) FROM folded)",
                )?;
            }
            Ok(base + pending)
        })
    }

    fn latest_figure_year(&self) -> Result<Option<i64>, StoreError> {
        self.with(|c| Ok(c.query_one(&format!("SELECT {}", sql::latest_figure_year()), &[])?.get(0)))
    }
}

/// Change rows kept before [`Registries::version`] folds them into the base count.
const FOLD_CHANGES_AT: i64 = 1000;

impl crate::Monitoring for PgStore {
    fn measure_series(&self, measure: &periclase_domain::Measure, region: &str) -> Result<Vec<(i64, f64)>, StoreError> {
        self.with(|c| crate::measure::series(c, measure, region))
    }
}

impl crate::Declarations for PgStore {
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
            let mut tx = c.transaction()?;
            let made = crate::declared::declare(&mut Pg(&mut tx), spec, row, change, evidence, actor, scope)?;
            super::commit(tx)?;
            Ok(made)
        })
    }

    fn declarations(&self, query: &crate::DeclarationQuery) -> Result<Vec<crate::Declaration>, StoreError> {
        self.with(|c| crate::declared::list(c, query))
    }

    fn declaration(&self, id: i64, scope: Option<&Scope>) -> Result<Option<crate::Declaration>, StoreError> {
        self.with(|c| crate::declared::by_id(c, id, scope))
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
            let mut tx = c.transaction()?;
            let done = crate::declared::decide(&mut Pg(&mut tx), id, confirm, note, actor, scope)?;
            super::commit(tx)?;
            Ok(done)
        })
    }
}
