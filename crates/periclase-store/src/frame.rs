//! The columns a policy batch reads, for every enterprise, project or 首台（套）insurance
//! policy (or a region's, or a few named ones): registry columns, one data year's figures, three-year sums, honours and
//! confirmed chain nodes. Large batches scan each source once; a few subjects are looked up.
//! One implementation for both stores, over [`Source`]: rows streamed as domain values.

use std::collections::HashMap;

use periclase_domain::day;
use periclase_domain::frame::{Column, Frame, FrameRequest, SubjectFrame, SubjectKind};
use periclase_domain::registries::METRICS;
use periclase_domain::{ChainSet, Value};

use crate::StoreError;

/// What the frame reader needs of a store: the rows of a query, one at a time, inside one
/// read snapshot the store holds for the whole frame.
pub(crate) trait Source {
    /// Calls `each` with every row of `sql` (parameters numbered `?1`…).
    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(&dyn SourceRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError>;
}

/// One streamed row, read column by column: a scan over a million enterprises looks at the
/// id first and reads the rest only for the rows it wants.
pub(crate) trait SourceRow {
    fn value(&self, i: usize) -> Value;

    fn int(&self, i: usize) -> Option<i64> {
        int(&self.value(i))
    }

    fn real(&self, i: usize) -> Option<f64> {
        self.value(i).as_f64()
    }

    fn text(&self, i: usize) -> Option<String> {
        text(&mut self.value(i))
    }
}

/// The text of a value, taken out of it (no copy).
fn text(v: &mut Value) -> Option<String> {
    match std::mem::replace(v, Value::Null) {
        Value::Text(s) => Some(s),
        Value::Int(i) => Some(i.to_string()),
        Value::Real(r) => Some(r.to_string()),
        Value::Null => None,
    }
}

fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Int(i) => Some(*i),
        Value::Real(r) if r.fract() == 0.0 => Some(*r as i64),
        _ => None,
    }
}

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

pub(crate) fn read(tx: &mut dyn Source, req: &FrameRequest, lookup_limit: usize) -> Result<SubjectFrame, StoreError> {
    let year = match req.year {
        Some(y) => Some(y),
        None => {
            let mut latest = None;
            tx.stream(&format!("SELECT {}", crate::sql::latest_figure_year()), &[], &mut |r: &dyn SourceRow| {
                latest = r.int(0);
                Ok(())
            })?;
            latest
        }
    };
    let mut out = SubjectFrame { year, ..Default::default() };
    // The enterprise whose `enterprise.*` fields each row reads.
    let mut owner_ids: Vec<Option<i64>> = Vec::new();
    let mut project_columns: Vec<(String, Column)> = Vec::new();
    let region = req.region.as_deref().unwrap_or("");
    match req.subject {
        SubjectKind::Enterprise => {
            let sql = format!("SELECT id, uscc, name, region FROM enterprise WHERE {IN_REGION}");
            let mut push = |r: &dyn SourceRow| {
                let id = r.int(0).unwrap_or_default();
                out.ids.push(id);
                owner_ids.push(Some(id));
                out.keys.push(r.text(1).unwrap_or_default());
                out.names.push(r.text(2).unwrap_or_default());
                out.regions.push(r.text(3).unwrap_or_default());
                out.owners.push(None);
            };
            each_subject(tx, &sql, "uscc", region, req.keys.as_deref(), &mut push)?;
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
                 LEFT JOIN enterprise e ON e.id = p.{} WHERE {}",
                t.key,
                t.name,
                t.region,
                t.owner,
                wanted.iter().map(|c| format!(", p.{c}")).collect::<String>(),
                t.table,
                t.owner,
                IN_REGION.replace("region", t.region)
            );
            let mut values: Vec<Vec<Value>> = vec![Vec::new(); wanted.len()];
            let mut push = |r: &dyn SourceRow| {
                out.ids.push(r.int(0).unwrap_or_default());
                out.keys.push(r.text(1).unwrap_or_default());
                out.names.push(r.text(2).unwrap_or_default());
                out.regions.push(r.text(3).unwrap_or_default());
                owner_ids.push(r.int(4));
                out.owners.push(r.text(5));
                for (k, v) in values.iter_mut().enumerate() {
                    v.push(r.value(6 + k));
                }
            };
            each_subject(tx, &sql, t.key, region, req.keys.as_deref(), &mut push)?;
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
    let mut reader = Reader { c: tx, ids: &ids, rows_of: &rows_of, lookup_limit };
    for path in &req.paths {
        let Some(field) = path.strip_prefix("enterprise.") else { continue };
        let column = match field {
            f if ENTERPRISE_TEXT.contains(&f) => {
                let mut v = vec![None; n];
                reader.each(&format!("SELECT id, {f} FROM enterprise WHERE true"), "id", &[], |rows, r| {
                    let x = r.text(1);
                    rows.iter().for_each(|&i| v[i].clone_from(&x));
                })?;
                Column::Text(v)
            }
            "founded" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, founded FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x = r.text(1).and_then(|d| day::parse(&d));
                    rows.iter().for_each(|&i| v[i] = x);
                })?;
                Column::Date(v)
            }
            "external" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, coalesce(external, 0) FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x = r.int(1).unwrap_or(0) != 0;
                    rows.iter().for_each(|&i| v[i] = Some(x));
                })?;
                Column::Bool(v)
            }
            "main_products" => {
                let mut v = vec![None; n];
                reader.each("SELECT id, main_products FROM enterprise WHERE true", "id", &[], |rows, r| {
                    let x: Option<Vec<String>> = r.text(1).map(|s| s.split('；').map(str::to_string).collect());
                    rows.iter().for_each(|&i| v[i].clone_from(&x));
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
                    let x = r.text(1).unwrap_or_default();
                    for &i in rows {
                        if let Some(list) = &mut v[i] {
                            if !list.contains(&x) {
                                list.push(x.clone());
                            }
                        }
                    }
                })?;
                // A declared honour or node not yet confirmed leaves the list in doubt: the
                // condition is unknown (待核验), never true and never quietly false.
                let registry = if field == "honours" { "enterprise-honours" } else { "chain-members" };
                reader.each(
                    "SELECT e.id AS enterprise_id FROM declaration d JOIN enterprise e ON e.uscc = d.uscc \
                     WHERE d.status = 'pending' AND d.registry = ?1",
                    "e.id",
                    &[Value::Text(registry.to_string())],
                    |rows, _| rows.iter().for_each(|&i| v[i] = None),
                )?;
                // In code order whatever order the store read them in.
                v.iter_mut().flatten().for_each(|list| list.sort_unstable());
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
                    let params = [Value::Text(metric.to_string()), Value::Int(year)];
                    if three {
                        // Each year's value in its slot, summed oldest first once all are read:
                        // the same sum, to the last bit, whatever order a store reads them in.
                        let mut years = vec![[f64::NAN; 3]; n];
                        let sql = "SELECT enterprise_id, year, value FROM enterprise_figure \
                                   WHERE metric = ?1 AND year BETWEEN CAST(?2 AS bigint) - 2 AND ?2";
                        reader.each(sql, "enterprise_id", &params, |rows, r| {
                            let (y, value) = (r.int(1).unwrap_or(0), r.real(2).unwrap_or(f64::NAN));
                            if let Ok(slot) = usize::try_from(y - (year - 2)) {
                                rows.iter().for_each(|&i| years[i][slot.min(2)] = value);
                            }
                        })?;
                        // A three-year sum needs all three years.
                        for (x, [a, b, c]) in v.iter_mut().zip(years) {
                            *x = (!a.is_nan() && !b.is_nan() && !c.is_nan()).then_some(a + b + c);
                        }
                    } else {
                        let sql = "SELECT enterprise_id, value FROM enterprise_figure WHERE metric = ?1 AND year = ?2";
                        reader.each(sql, "enterprise_id", &params, |rows, r| {
                            let x = r.real(1);
                            rows.iter().for_each(|&i| v[i] = x);
                        })?;
                    }
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
    c: &'a mut dyn Source,
    ids: &'a [i64],
    rows_of: &'a HashMap<i64, Vec<usize>>,
    lookup_limit: usize,
}

impl Reader<'_> {
    /// Runs `sql` (its first column the enterprise id, its filter ending the WHERE clause
    /// or followed by GROUP BY) and calls `f` with the rows each result belongs to.
    fn each(
        &mut self,
        sql: &str,
        id_column: &str,
        params: &[Value],
        mut f: impl FnMut(&[usize], &dyn SourceRow),
    ) -> Result<(), StoreError> {
        let rows_of = self.rows_of;
        if self.ids.len() <= self.lookup_limit {
            // A few hundred ids per statement: one index lookup each, without a statement
            // (or, on a server, a round trip) per enterprise. Ids are integers the database
            // gave: inlined, never user text.
            for chunk in self.ids.chunks(500) {
                let list = chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(", ");
                let cond = format!("{id_column} IN ({list})");
                let some = match sql.find(" GROUP BY") {
                    Some(g) => format!("{} AND {cond}{}", &sql[..g], &sql[g..]),
                    None => format!("{sql} AND {cond}"),
                };
                self.c.stream(&some, params, &mut |r| {
                    if let Some(rows_here) = r.int(0).and_then(|id| rows_of.get(&id)) {
                        f(rows_here, r);
                    }
                    Ok(())
                })?;
            }
        } else {
            self.c.stream(sql, params, &mut |r| {
                if let Some(rows_here) = r.int(0).and_then(|id| rows_of.get(&id)) {
                    f(rows_here, r);
                }
                Ok(())
            })?;
        }
        Ok(())
    }
}

/// Rows whose region starts with `?1` (typed, for the store that checks types).
const IN_REGION: &str = "substr(region, 1, length(CAST(?1 AS text))) = CAST(?1 AS text)";

/// Subjects in a region, or those with the given keys (in the order given; an unknown key
/// is an error naming it).
fn each_subject(
    c: &mut dyn Source,
    sql: &str,
    key_column: &str,
    region: &str,
    keys: Option<&[String]>,
    push: &mut impl FnMut(&dyn SourceRow),
) -> Result<(), StoreError> {
    let region = Value::Text(region.to_string());
    match keys {
        None => c.stream(&format!("{sql} ORDER BY 1"), &[region], &mut |r| {
            push(r);
            Ok(())
        }),
        Some(keys) => {
            let one = format!("{sql} AND {key_column} = ?2");
            for key in keys {
                let key_value = if key_column == "uscc" { key.trim().to_uppercase() } else { key.trim().to_string() };
                let mut found = false;
                c.stream(&one, &[region.clone(), Value::Text(key_value)], &mut |r| {
                    if !found {
                        found = true;
                        push(r);
                    }
                    Ok(())
                })?;
                if !found {
                    return Err(StoreError::NotFound(format!("没有找到「{key}」")));
                }
            }
            Ok(())
        }
    }
}

fn owned_column(name: &str, mut values: Vec<Value>) -> Column {
    match name {
        n if NUMERIC.contains(&n) => Column::Num(values.iter().map(Value::as_f64).collect()),
        "start_date" => Column::Date(values.iter_mut().map(|v| text(v).and_then(|d| day::parse(&d))).collect()),
        // Typed as a node name or key; policies compare canonical `chain/node` keys.
        "chain_node" => Column::Text(
            values.iter_mut().map(|v| text(v).map(|t| ChainSet::embedded().resolve(&t).unwrap_or(t))).collect(),
        ),
        _ => Column::Text(values.iter_mut().map(text).collect()),
    }
}
