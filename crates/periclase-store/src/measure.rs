//! Monitored indicators computed from the registries, year by year; one implementation
//! for both stores, over `portable::Exec`.

use periclase_domain::{region_prefix, Measure, Value};

use crate::portable::Exec;
use crate::StoreError;

/// `(e.industry LIKE 'C3217%' OR …)` for a list of code prefixes; nothing when empty.
fn industries(list: &[String], params: &mut Vec<Value>) -> String {
    if list.is_empty() {
        return String::new();
    }
    let ors: Vec<String> = list
        .iter()
        .map(|code| {
            params.push(Value::Text(format!("{code}%")));
            format!("e.industry LIKE ?{}", params.len())
        })
        .collect();
    format!(" AND ({})", ors.join(" OR "))
}

fn list_in(values: &[String], params: &mut Vec<Value>) -> String {
    let marks: Vec<String> = values
        .iter()
        .map(|v| {
            params.push(Value::Text(v.clone()));
            format!("?{}", params.len())
        })
        .collect();
    format!("({})", marks.join(", "))
}

fn region(column: &str, prefix: &str, params: &mut Vec<Value>) -> String {
    let p = region_prefix(prefix).to_string();
    params.push(Value::Text(p.clone()));
    let lo = params.len();
    params.push(Value::Text(format!("{p}:")));
    format!("{column} >= ?{lo} AND {column} < ?{}", params.len())
}

/// (year, value) rows; a sum is a decimal on one store and may be an integer on the other.
fn query(x: &mut dyn Exec, sql: &str, params: &[Value]) -> Result<Vec<(i64, f64)>, StoreError> {
    Ok(x.rows(sql, params)?
        .into_iter()
        .filter_map(|r| match (r.first(), r.get(1)) {
            (Some(Value::Int(y)), Some(v)) => Some((*y, v.as_f64().unwrap_or(0.0))),
            _ => None,
        })
        .collect())
}

/// Running totals over consecutive years, from the first year anything counted.
fn cumulative(by_year: Vec<(i64, f64)>, until: i64) -> Vec<(i64, f64)> {
    let Some(first) = by_year.iter().map(|(y, _)| *y).min() else { return Vec::new() };
    let mut total = 0.0;
    (first..=until.max(first))
        .map(|y| {
            total += by_year.iter().filter(|(yy, _)| *yy == y).map(|(_, v)| v).sum::<f64>();
            (y, total)
        })
        .collect()
}

pub(crate) fn series(c: &mut dyn Exec, m: &Measure, prefix: &str) -> Result<Vec<(i64, f64)>, StoreError> {
    let mut p = Vec::new();
    let latest = match c
        .first("SELECT coalesce(max(year), 0) FROM enterprise_figure", &[])?
        .and_then(|r| r.into_iter().next())
    {
        Some(Value::Int(y)) => y,
        _ => 0,
    };
    match m {
        Measure::FigureSum { metric, industries: inds, divisor } => {
            p.push(Value::Text(metric.clone()));
            let region = region("e.region", prefix, &mut p);
            let inds = industries(inds, &mut p);
            let sql = format!(
                "SELECT f.year, sum(f.value) FROM enterprise_figure f JOIN enterprise e ON e.id = f.enterprise_id
                 WHERE f.metric = ?1 AND {region}{inds} GROUP BY f.year ORDER BY f.year"
            );
            let divisor = if *divisor == 0.0 { 1.0 } else { *divisor };
            Ok(query(c, &sql, &p)?.into_iter().map(|(y, v)| (y, v / divisor)).collect())
        }
        Measure::HonourCount { honours } => {
            let honours = list_in(honours, &mut p);
            let region = region("e.region", prefix, &mut p);
            let sql = format!(
                "SELECT first, count(*) FROM (
                    SELECT min(h.year) AS first FROM enterprise_honour h JOIN enterprise e ON e.id = h.enterprise_id
                    WHERE h.honour IN {honours} AND {region} GROUP BY h.enterprise_id
                 ) AS firsts GROUP BY first"
            );
            Ok(cumulative(query(c, &sql, &p)?, latest))
        }
        Measure::PlatformCount { levels } => {
            let levels = list_in(levels, &mut p);
            let region = region("t.region", prefix, &mut p);
            let sql = format!(
                "SELECT t.recognised_year, count(*) FROM platform t
                 WHERE t.level IN {levels} AND {region} AND t.recognised_year IS NOT NULL GROUP BY t.recognised_year"
            );
            Ok(cumulative(query(c, &sql, &p)?, latest))
        }
        Measure::CertificationCount { kinds, levels, industries: inds } => {
            let kinds = list_in(kinds, &mut p);
            let levels = list_in(levels, &mut p);
            let region = region("e.region", prefix, &mut p);
            let inds = industries(inds, &mut p);
            let sql = format!(
                "SELECT c.year, count(*) FROM enterprise_certification c JOIN enterprise e ON e.id = c.enterprise_id
                 WHERE c.kind IN {kinds} AND c.level IN {levels} AND {region}{inds} GROUP BY c.year"
            );
            Ok(cumulative(query(c, &sql, &p)?, latest))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::cumulative;

    #[test]
    fn cumulative_fills_the_years_between() {
        assert_eq!(
            cumulative(vec![(2021, 1.0), (2023, 2.0)], 2024),
            vec![(2021, 1.0), (2022, 1.0), (2023, 3.0), (2024, 3.0)]
        );
        assert!(cumulative(vec![], 2024).is_empty());
    }
}
