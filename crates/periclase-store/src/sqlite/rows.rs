//! The `Registries` capability on SQLite: imports, single-record writes, lists, lookups,
//! exports and counts (the SQL itself is generated in `sql.rs`).

use super::*;

impl crate::Registries for SqliteStore {
    fn import(
        &self,
        spec: &'static RegistrySpec,
        items: &mut dyn Iterator<Item = ImportItem>,
        ctx: &ImportContext<'_>,
        on_issue: &mut dyn FnMut(RowIssue),
        on_progress: &mut dyn FnMut(u64),
    ) -> Result<ImportOutcome, StoreError> {
        self.with(|c| import::run(c, spec, items, ctx, on_issue, on_progress))
    }

    fn save(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        mode: SaveMode,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<SaveOutcome, StoreError> {
        self.with(|c| write::save(c, spec, row, mode, actor, scope))
    }

    fn delete(&self, spec: &'static RegistrySpec, key: &str, actor: &Actor, scope: &Scope) -> Result<bool, StoreError> {
        let Some(rec) = self.get(spec, key, Some(scope))? else { return Ok(false) };
        self.with(|c| write::delete(c, spec, rec.id, actor, scope))
    }

    fn list(&self, spec: &'static RegistrySpec, query: &ListQuery) -> Result<ListPage, StoreError> {
        let filter = sql::Filter::build(spec, query)?;
        let after = query.after.as_deref().map(Cursor::decode).transpose()?;
        self.with(|c| {
            let total = self.cached_count(c, spec, &filter)?;
            let limit = query.limit.unwrap_or(DEFAULT_PAGE).clamp(1, MAX_PAGE) as usize;
            let sort = query.sort;
            let (column, nullable, order) = sql::order_by(sort);
            let mut params = filter.params.clone();
            let mut where_sql = filter.where_sql.clone();
            if let Some(cursor) = after {
                where_sql.push(sql::keyset_condition(column.as_deref(), nullable, sort.desc, cursor, &mut params)?);
            }
            let region = spec.region_field.and_then(|k| spec.field(k)).map(|f| f.column);
            let mut rows = match (region, &column) {
                (Some(region), None) if total > ID_ORDER_THRESHOLD => {
                    let where_sql = sql::region_off_index(&where_sql, region);
                    fetch(c, spec, &where_sql, &params, column.as_deref(), &order, limit + 1)?
                }
                (Some(region), Some(col)) if total > ID_ORDER_THRESHOLD && has_sort_index(spec, col) => {
                    let where_sql = sql::region_off_index(&where_sql, region);
                    fetch(c, spec, &where_sql, &params, column.as_deref(), &order, limit + 1)?
                }
                (Some(region), Some(col)) if total > ID_ORDER_THRESHOLD && has_region_sort_index(spec, col) => {
                    // One ordered run of (id, sort value) per county holding matches, read
                    // from the index alone, merged here; then the page's rows by id.
                    let counties = self.region_counts(c, spec, &filter, region, 6)?;
                    let mut merged: Vec<(i64, Value)> = Vec::new();
                    for (county, _) in counties {
                        let mut p = params.clone();
                        p.push(Value::Text(county));
                        let mut w = where_sql.clone();
                        w.push(format!("t.{region} = ?{}", p.len()));
                        merged.extend(fetch_keys(c, spec, &w, &p, col, &order, limit + 1)?);
                    }
                    merged.sort_by(|(a, ka), (b, kb)| {
                        let ord = sql_order(ka, kb).then(a.cmp(b));
                        if sort.desc {
                            ord.reverse()
                        } else {
                            ord
                        }
                    });
                    merged.truncate(limit + 1);
                    fetch_ids(c, spec, merged)?
                }
                _ => fetch(c, spec, &where_sql, &params, column.as_deref(), &order, limit + 1)?,
            };
            let more = rows.len() > limit;
            rows.truncate(limit);
            let next =
                more.then(|| rows.last().map(|(r, key)| Cursor { id: r.id, value: key.clone() }.encode())).flatten();
            Ok(ListPage { records: rows.into_iter().map(|(r, _)| r).collect(), next, total })
        })
    }

    fn get(&self, spec: &'static RegistrySpec, key: &str, scope: Option<&Scope>) -> Result<Option<Record>, StoreError> {
        self.with(|c| {
            let Some((cond, value)) = sql::record_condition(spec, key) else { return Ok(None) };
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
            let (_, _, order) = sql::order_by(query.sort);
            let sql = format!("{} {} ORDER BY {order}", sql::select(spec), sql::where_clause(&filter.where_sql));
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

    fn count(&self, spec: &'static RegistrySpec, query: &ListQuery) -> Result<u64, StoreError> {
        let filter = sql::Filter::build(spec, query)?;
        self.with(|c| self.cached_count(c, spec, &filter))
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
        let filter = sql::Filter::build(spec, query)?;
        self.with(|c| self.region_counts(c, spec, &filter, field.column, prefix_len))
    }

    fn version(&self) -> Result<i64, StoreError> {
        self.data_version()
    }

    fn latest_figure_year(&self) -> Result<Option<i64>, StoreError> {
        self.with(|c| Ok(c.query_row(&format!("SELECT {}", sql::latest_figure_year()), [], |r| r.get(0))?))
    }
}
