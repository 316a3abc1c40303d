//! The columns a policy batch reads, for every enterprise, project or 首台（套）insurance
//! policy (or a region's, or a few named ones): registry columns, one data year's figures, three-year sums, honours and
//! confirmed chain nodes. Large batches scan each source once; a few subjects are looked up.

use std::collections::HashMap;

use periclase_domain::day;
use periclase_domain::frame::{Column, Frame, FrameRequest, SubjectFrame, SubjectKind};
use periclase_domain::registries::METRICS;
use periclase_domain::ChainSet;
use rusqlite::{Connection, ToSql};

use crate::StoreError;

/// Up to this many enterprises, their values are looked up one by one instead of scanned.
pub(crate) const LOOKUP_LIMIT: usize = 2_000;

const ENTERPRISE_TEXT: &[&str] = &["uscc", "name", "region", "industry"];
/// A subject that belongs to an enterprise (a project, an insurance policy): its table, the
/// SQL for its key, name and region, and the columns policies may read.
struct OwnedTable {
    table: &'static str,
    /// Field-path prefix (`project`, `first_set`).
    prefix: &'static str,
    key: &'static str,
    name: &'static str,
    region: &'static str,
    owner: &'static str,
    columns: &'static [&'static str],
}

const PROJECT: OwnedTable = OwnedTable {
    table: "project",
    prefix: "project",
    key: "p.code",
    name: "p.name",
    region: "p.region",
    owner: "owner_id",
    columns: &[
        "code",
        "name",
        "region",
        "stage",
        "category",
        "chain_node",
        "total_investment",
        "funding_received",
        "start_date",
    ],
};

const FIRST_SET: OwnedTable = OwnedTable {
    table: "first_set",
    prefix: "first_set",
    key: "p.policy_no",
    name: "p.product",
    region: "e.region",
    owner: "enterprise_id",
    columns: &[
        "policy_no",
        "product",
        "kind",
        "catalogue_year",
        "insured_amount",
        "premium",
        "start_date",
        "coverage_year",
    ],
};

const NUMERIC: &[&str] =
    &["total_investment", "funding_received", "insured_amount", "premium", "catalogue_year", "coverage_year"];

pub(crate) fn read(c: &Connection, req: &FrameRequest, lookup_limit: usize) -> Result<SubjectFrame, StoreError> {
    let tx = c.unchecked_transaction()?;
    let year = match req.year {
        Some(y) => Some(y),
        None => tx.query_row(&format!("SELECT {}", crate::sql::latest_figure_year()), [], |r| r.get(0))?,
    };
    let mut out = SubjectFrame { year, ..Default::default() };
    // The enterprise whose `enterprise.*` fields each row reads.
    let mut owner_ids: Vec<Option<i64>> = Vec::new();
    let mut project_columns: Vec<(String, Column)> = Vec::new();
    let region = req.region.as_deref().unwrap_or("");
    match req.subject {
        SubjectKind::Enterprise => {
            let sql = "SELECT id, uscc, name, region FROM enterprise WHERE substr(region, 1, length(?1)) = ?1";
            let mut push = |r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
                let id: i64 = r.get(0)?;
                out.ids.push(id);
                owner_ids.push(Some(id));
                out.keys.push(r.get(1)?);
                out.names.push(r.get(2)?);
                out.regions.push(r.get(3)?);
                out.owners.push(None);
                Ok(())
            };
            each_subject(&tx, sql, "uscc", region, req.keys.as_deref(), &mut push)?;
        }
        SubjectKind::Project | SubjectKind::FirstSet => {
            let t = if req.subject == SubjectKind::Project { &PROJECT } else { &FIRST_SET };
            let wanted: Vec<&str> = t
                .columns
                .iter()
                .copied()
                .filter(|c| req.paths.iter().any(|p| p == &format!("{}.{c}", t.prefix)))
                .collect();
            let sql = format!(
                "SELECT p.id, {}, {}, {}, p.{}, e.uscc{} FROM {} p \
                 LEFT JOIN enterprise e ON e.id = p.{} WHERE substr({}, 1, length(?1)) = ?1",
                t.key,
                t.name,
                t.region,
                t.owner,
                wanted.iter().map(|c| format!(", p.{c}")).collect::<String>(),
                t.table,
                t.owner,
                t.region
            );
            let mut values: Vec<Vec<rusqlite::types::Value>> = vec![Vec::new(); wanted.len()];
            let mut push = |r: &rusqlite::Row<'_>| -> rusqlite::Result<()> {
                out.ids.push(r.get(0)?);
                out.keys.push(r.get(1)?);
                out.names.push(r.get(2)?);
                out.regions.push(r.get(3)?);
                owner_ids.push(r.get(4)?);
                out.owners.push(r.get(5)?);
                for (k, v) in values.iter_mut().enumerate() {
                    v.push(r.get(6 + k)?);
                }
                Ok(())
            };
            each_subject(&tx, &sql, t.key, region, req.keys.as_deref(), &mut push)?;
            for (name, vals) in wanted.iter().zip(values) {
                project_columns.push((format!("{}.{name}", t.prefix), owned_column(name, vals)));
            }
        }
    }
    let n = out.ids.len();
    let mut frame = Frame::new(n);
    for (path, col) in project_columns {
        frame = frame.with(&path, col);
    }

    let mut rows_of: HashMap<i64, Vec<usize>> = HashMap::with_capacity(n);
    for (row, id) in owner_ids.iter().enumerate() {
        if let Some(id) = id {
            rows_of.entry(*id).or_default().push(row);
        }
    }
    let ids: Vec<i64> = {
        let mut v: Vec<i64> = rows_of.keys().copied().collect();
        v.sort_unstable();
        v
    };
    let reader = Reader { c: &tx, ids: &ids, rows_of: &rows_of, lookup_limit };
    for path in &req.paths {
        let Some(field) = path.strip_prefix("enterprise.") else { continue };
        let column = match field {
            f if ENTERPRISE_TEXT.contains(&f) => {
                let mut v = vec![None; n];
                reader.each(&format!("SELECT id, {f} FROM enterprise WHERE true"), "id", &[], |rows, r| {
                    let x: Option<String> = r.get(1)?;
                    rows.iter().for_each(|&i| v[i].clone_from(&x));
                    Ok(())
                })?;
                Column::Text(v)
            }
            "founded" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, founded FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x = r.get::<_, Option<String>>(1)?.and_then(|d| day::parse(&d));
                    rows.iter().for_each(|&i| v[i] = x);
                    Ok(())
                })?;
                Column::Date(v)
            }
            "external" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, coalesce(external, 0) FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x = r.get::<_, i64>(1)? != 0;
                    rows.iter().for_each(|&i| v[i] = Some(x));
                    Ok(())
                })?;
                Column::Bool(v)
            }
            "main_products" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, main_products FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x: Option<Vec<String>> =
                        r.get::<_, Option<String>>(1)?.map(|s| s.split('；').map(str::to_string).collect());
                    rows.iter().for_each(|&i| v[i].clone_from(&x));
                    Ok(())
                })?;
                Column::List(v)
            }
            // The registries are the record of honours and confirmed nodes: none listed is
            // an empty list, not an unknown.
            "honours" | "chain_nodes" => {
                let sql = if field == "honours" {
                    "SELECT enterprise_id, honour FROM enterprise_honour WHERE true"
                } else {
                    "SELECT enterprise_id, node FROM chain_member WHERE status = 'confirmed'"
                };
                let mut v: Vec<Option<Vec<String>>> = owner_ids.iter().map(|o| o.map(|_| Vec::new())).collect();
                reader.each(sql, "enterprise_id", &[], |rows, r| {
                    let x: String = r.get(1)?;
                    for &i in rows {
                        if let Some(list) = &mut v[i] {
                            if !list.contains(&x) {
                                list.push(x.clone());
                            }
                        }
                    }
                    Ok(())
                })?;
                // A declared honour or node not yet confirmed leaves the list in doubt: the
                // condition is unknown (待核验), never true and never quietly false.
                let registry = if field == "honours" { "enterprise-honours" } else { "chain-members" };
                reader.each(
                    "SELECT e.id AS enterprise_id FROM declaration d JOIN enterprise e ON e.uscc = d.uscc \
                     WHERE d.status = 'pending' AND d.registry = ?1",
                    "e.id",
                    &[&registry],
                    |rows, _| {
                        rows.iter().for_each(|&i| v[i] = None);
                        Ok(())
                    },
                )?;
                Column::List(v)
            }
            f => {
                let (metric, three) = match f.strip_suffix("_3y") {
                    Some(m) => (m, true),
                    None => (f, false),
                };
                if !METRICS.iter().any(|m| m.code == metric) {
                    return Err(StoreError::BadQuery(format!("没有企业字段「{path}」")));
                }
                let mut v = vec![None; n];
                if let Some(year) = year {
                    let sql = if three {
                        "SELECT enterprise_id, count(*), sum(value) FROM enterprise_figure \
                         WHERE metric = ?1 AND year BETWEEN ?2 - 2 AND ?2 {FILTER} GROUP BY enterprise_id"
                    } else {
                        "SELECT enterprise_id, 1, value FROM enterprise_figure WHERE metric = ?1 AND year = ?2 {FILTER}"
                    };
                    let sql = sql.replace(" {FILTER}", "");
                    reader.each(&sql, "enterprise_id", &[&metric, &year], |rows, r| {
                        let (count, value): (i64, f64) = (r.get(1)?, r.get(2)?);
                        // A three-year sum needs all three years.
                        let x = (!three || count == 3).then_some(value);
                        rows.iter().for_each(|&i| v[i] = x);
                        Ok(())
                    })?;
                }
                Column::Num(v)
            }
        };
        frame = frame.with(path, column);
    }
    out.frame = frame;
    Ok(out)
}

/// Reads per-enterprise values either by one query over everything (many enterprises) or
/// one query per enterprise (a few).
struct Reader<'a> {
    c: &'a Connection,
    ids: &'a [i64],
    rows_of: &'a HashMap<i64, Vec<usize>>,
    lookup_limit: usize,
}

impl Reader<'_> {
    /// Runs `sql` (its first column the enterprise id, its filter ending the WHERE clause
    /// or followed by GROUP BY) and calls `f` with the rows each result belongs to.
    fn each(
        &self,
        sql: &str,
        id_column: &str,
        params: &[&dyn ToSql],
        mut f: impl FnMut(&[usize], &rusqlite::Row<'_>) -> rusqlite::Result<()>,
    ) -> Result<(), StoreError> {
        if self.ids.len() <= self.lookup_limit {
            let at = params.len() + 1;
            let one = match sql.find(" GROUP BY") {
                Some(g) => format!("{} AND {id_column} = ?{at}{}", &sql[..g], &sql[g..]),
                None => format!("{sql} AND {id_column} = ?{at}"),
            };
            let mut st = self.c.prepare_cached(&one)?;
            for id in self.ids {
                let mut all: Vec<&dyn ToSql> = params.to_vec();
                all.push(id);
                let mut rows = st.query(all.as_slice())?;
                while let Some(r) = rows.next()? {
                    f(&self.rows_of[id], r)?;
                }
            }
        } else {
            let mut st = self.c.prepare_cached(sql)?;
            let mut rows = st.query(params)?;
            while let Some(r) = rows.next()? {
                if let Some(rows_here) = self.rows_of.get(&r.get::<_, i64>(0)?) {
                    f(rows_here, r)?;
                }
            }
        }
        Ok(())
    }
}

/// Subjects in a region, or those with the given keys (in the order given; an unknown key
/// is an error naming it).
fn each_subject(
    c: &Connection,
    sql: &str,
    key_column: &str,
    region: &str,
    keys: Option<&[String]>,
    push: &mut impl FnMut(&rusqlite::Row<'_>) -> rusqlite::Result<()>,
) -> Result<(), StoreError> {
    match keys {
        None => {
            let mut st = c.prepare_cached(&format!("{sql} ORDER BY 1"))?;
            let mut rows = st.query([region])?;
            while let Some(r) = rows.next()? {
                push(r)?;
            }
        }
        Some(keys) => {
            let mut st = c.prepare_cached(&format!("{sql} AND {key_column} = ?2"))?;
            for key in keys {
                let key_value = if key_column == "uscc" { key.trim().to_uppercase() } else { key.trim().to_string() };
                let mut rows = st.query([region, key_value.as_str()])?;
                match rows.next()? {
                    Some(r) => push(r)?,
                    None => return Err(StoreError::NotFound(format!("没有找到「{key}」"))),
                }
            }
        }
    }
    Ok(())
}

fn owned_column(name: &str, values: Vec<rusqlite::types::Value>) -> Column {
    use rusqlite::types::Value as V;
    let text = |v: V| match v {
        V::Text(s) => Some(s),
        V::Integer(i) => Some(i.to_string()),
        V::Real(r) => Some(r.to_string()),
        _ => None,
    };
    match name {
        n if NUMERIC.contains(&n) => Column::Num(
            values
                .into_iter()
                .map(|v| match v {
                    V::Real(r) => Some(r),
                    V::Integer(i) => Some(i as f64),
                    _ => None,
                })
                .collect(),
        ),
        "start_date" => Column::Date(values.into_iter().map(|v| text(v).and_then(|d| day::parse(&d))).collect()),
        // Typed as a node name or key; policies compare canonical `chain/node` keys.
        "chain_node" => Column::Text(
            values.into_iter().map(|v| text(v).map(|t| ChainSet::embedded().resolve(&t).unwrap_or(t))).collect(),
        ),
        _ => Column::Text(values.into_iter().map(text).collect()),
    }
}
