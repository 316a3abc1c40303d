//! SQL text generated from registry specs, for both stores (parameters numbered SQLite's
//! way, `?1`; the PostgreSQL store renumbers them, see `pg::dollars`).

use periclase_domain::{
    region_prefix, registries, validate_cell, FieldKind, QualityIssue, RegionTable, RegistryId, RegistrySpec, Scope,
    Value,
};

use crate::query::{Cursor, Sort, SortKey};
use crate::{ListQuery, StoreError};

/// `SELECT t.id, <fields…> FROM <table> t LEFT JOIN …`: references come back as the
/// parent's natural key (an enterprise's USCC), as users type them.
pub(crate) fn select(spec: &RegistrySpec) -> String {
    select_with(spec, None)
}

/// [`select`] with one more column at the end (a sort key that is not a field).
pub(crate) fn select_with(spec: &RegistrySpec, extra: Option<&str>) -> String {
    let mut cols = vec!["t.id".to_string()];
    let mut joins = String::new();
    for (i, f) in spec.fields.iter().enumerate() {
        match parent_of(f.kind) {
            Some(parent) => {
                cols.push(format!("p{i}.{}", parent_key_column(parent)));
                joins.push_str(&format!(" LEFT JOIN {} p{i} ON p{i}.id = t.{}", parent.table, f.column));
            }
            None => cols.push(format!("t.{}", f.column)),
        }
    }
    cols.extend(extra.map(str::to_string));
    format!("SELECT {} FROM {} t{joins}", cols.join(", "), spec.table)
}

/// `INSERT` of one row of `spec`: its fields bound as `?1…?n`, `updated_at` as `?n+1`.
pub(crate) fn insert_row(spec: &RegistrySpec) -> String {
    let cols: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
    let placeholders: Vec<String> = (1..=cols.len() + 1).map(|i| format!("?{i}")).collect();
    format!("INSERT INTO {} ({}, updated_at) VALUES ({})", spec.table, cols.join(", "), placeholders.join(", "))
}

/// `UPDATE` of one row of `spec` by id: its fields bound as `?1…?n`, `updated_at` as `?n+1`,
/// the id as `?n+2`.
pub(crate) fn update_row(spec: &RegistrySpec) -> String {
    let n = spec.fields.len();
    let sets: Vec<String> = spec.fields.iter().enumerate().map(|(i, f)| format!("{} = ?{}", f.column, i + 1)).collect();
    format!("UPDATE {} SET {}, updated_at = ?{} WHERE id = ?{}", spec.table, sets.join(", "), n + 1, n + 2)
}

/// The condition (parameter `?1`) finding the record a URL or the audit trail names by
/// `key`: the natural key when it is one field, else the row id; none when it cannot be one.
pub(crate) fn record_condition(spec: &RegistrySpec, key: &str) -> Option<(String, Value)> {
    if spec.natural_key.len() == 1 {
        let f = spec.field(spec.natural_key[0]).expect("key field");
        Some((format!("t.{} = ?1", f.column), Value::Text(normalize_key(f, key))))
    } else {
        key.parse::<i64>().ok().map(|id| ("t.id = ?1".to_string(), Value::Int(id)))
    }
}

pub(crate) fn where_clause(conds: &[String]) -> String {
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

#[derive(Debug, Clone, Default)]
pub(crate) struct Filter {
    pub where_sql: Vec<String>,
    pub params: Vec<Value>,
    /// A tally table answering this filter's counts: set while every condition reads only
    /// `t.region` and `t.tiers`, columns the tally has under the same names.
    pub tally: Option<&'static str>,
    /// Whether a condition is on the enterprise's tier.
    pub by_tier: bool,
}

impl Filter {
    pub fn build(spec: &RegistrySpec, q: &ListQuery) -> Result<Filter, StoreError> {
        let mut f = Filter { tally: crate::sqlite::summaries::counts_of(spec.table), ..Filter::default() };
        let untallied = [
            q.q.as_deref().is_some_and(|s| !s.trim().is_empty()),
            q.industry.as_deref().is_some_and(|s| !s.trim().is_empty()),
            q.year.is_some(),
            q.issue.is_some(),
            matches!(&q.scope, Some(s) if !matches!(s, Scope::All | Scope::Region(_) | Scope::Nothing)),
        ];
        if untallied.into_iter().any(|u| u) {
            f.tally = None;
        }
        if let Some(text) = q.q.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let like = format!("%{}%", text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"));
            let n = f.push(Value::Text(like));
            let ors: Vec<String> = spec
                .search
                .iter()
                .filter_map(|k| spec.field(k))
                .filter(|fld| parent_of(fld.kind).is_none())
                .map(|fld| format!("t.{} LIKE ?{n} ESCAPE '\\'", fld.column))
                .collect();
            if ors.is_empty() {
                return Err(StoreError::BadQuery(format!("{}不支持关键词筛选", spec.label)));
            }
            f.where_sql.push(format!("({})", ors.join(" OR ")));
        }
        if let Some(region) = q.region.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let Some(field) = spec.region_field.and_then(|k| spec.field(k)) else {
                return Err(StoreError::BadQuery(format!("{}不支持按地区筛选", spec.label)));
            };
            if !region.bytes().all(|b| b.is_ascii_digit()) || region.len() > 6 || region.len() < 2 {
                return Err(StoreError::BadQuery(format!("地区「{region}」应为2–6位行政区划代码前缀，如 21 或 2103")));
            }
            let cond = region_condition(&format!("t.{}", field.column), region, &mut f.params);
            f.where_sql.push(cond);
        }
        if let Some(tier) = q.tier.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            if spec.id != RegistryId::Enterprises {
                return Err(StoreError::BadQuery(format!("{}不支持按梯度筛选", spec.label)));
            }
            let honour = registries::ENTERPRISE_HONOURS.field("honour").expect("honour field");
            let code = match validate_cell(honour, tier) {
                Ok(Value::Text(code)) => code,
                Ok(_) | Err(_) => return Err(StoreError::BadQuery(format!("梯度「{tier}」不是可选值"))),
            };
            let n = f.push(Value::Text(code));
            // The bit set kept by migration 0005's triggers: no probe of the honours per row.
            f.where_sql.push(format!("t.tiers & (SELECT bit FROM tier_bit WHERE honour = ?{n}) != 0"));
            f.by_tier = true;
        }
        if let Some(code) = q.industry.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            let Some(field) = spec.field("industry").filter(|f| f.kind == FieldKind::Industry) else {
                return Err(StoreError::BadQuery(format!("{}不支持按行业筛选", spec.label)));
            };
            let code = periclase_domain::parse_industry(code).map_err(|e| StoreError::BadQuery(e.to_string()))?;
            let lo = f.push(Value::Text(code.clone()));
            let hi = f.push(Value::Text(format!("{code}~")));
            f.where_sql.push(format!("t.{c} >= ?{lo} AND t.{c} < ?{hi}", c = field.column));
        }
        if let Some(scope) = &q.scope {
            let conds = scope_condition(spec, scope, &mut f.params);
            f.where_sql.extend(conds);
        }
        if let Some(year) = q.year {
            let Some(field) = spec.year_field.and_then(|k| spec.field(k)) else {
                return Err(StoreError::BadQuery(format!("{}不支持按年度筛选", spec.label)));
            };
            debug_assert!(matches!(field.kind, FieldKind::Year));
            let n = f.push(Value::Int(year));
            f.where_sql.push(format!("t.{} = ?{n}", field.column));
        }
        if let Some(issue) = q.issue {
            if !issue.applies_to(spec) {
                return Err(StoreError::BadQuery(format!("{}没有「{}」这类问题", spec.label, issue.label())));
            }
            let cond = quality_condition(spec, issue, &mut f.params);
            f.where_sql.push(cond);
        }
        Ok(f)
    }

    fn push(&mut self, v: Value) -> usize {
        self.params.push(v);
        self.params.len()
    }
}

/// The condition limiting `spec`'s rows to `scope`; parameters are appended to `params`.
/// A scope a registry cannot express (an institution on enterprises) matches nothing.
pub(crate) fn scope_condition(spec: &RegistrySpec, scope: &Scope, params: &mut Vec<Value>) -> Option<String> {
    let mut push = |v: Value| {
        params.push(v);
        params.len()
    };
    let field = |key: Option<&str>| key.and_then(|k| spec.field(k));
    let nothing = Some("false".to_string());
    match scope {
        Scope::All => None,
        Scope::Nothing => nothing,
        Scope::Region(prefix) => {
            let p = region_prefix(prefix).to_string();
            if let Some(f) = field(spec.region_field) {
                return Some(format!("({})", region_condition(&format!("t.{}", f.column), &p, params)));
            }
            match field(spec.owner) {
                Some(f) if f.kind == FieldKind::Ref(RegistryId::Enterprises) => {
                    let (lo, hi) = (push(Value::Text(p.clone())), push(Value::Text(format!("{p}:"))));
                    Some(format!(
                        "t.{} IN (SELECT id FROM enterprise WHERE region >= ?{lo} AND region < ?{hi})",
                        f.column
                    ))
                }
                _ => nothing,
            }
        }
        Scope::Enterprise(uscc) => match field(spec.owner) {
            Some(f) if f.kind == FieldKind::Uscc => {
                Some(format!("t.{} = ?{}", f.column, push(Value::Text(uscc.clone()))))
            }
            Some(f) if f.kind == FieldKind::Ref(RegistryId::Enterprises) => Some(format!(
                "t.{} = (SELECT id FROM enterprise WHERE uscc = ?{})",
                f.column,
                push(Value::Text(uscc.clone()))
            )),
            _ => nothing,
        },
        Scope::Institution(name) => match spec.id {
            RegistryId::Achievements => Some(format!("t.institution = ?{}", push(Value::Text(name.clone())))),
            _ => nothing,
        },
        Scope::Talent(code) => match spec.id {
            RegistryId::Talents => Some(format!("t.code = ?{}", push(Value::Text(code.clone())))),
            _ => match spec.fields.iter().find(|f| f.kind == FieldKind::Ref(RegistryId::Talents)) {
                Some(f) => Some(format!(
                    "t.{} = (SELECT id FROM talent WHERE code = ?{})",
                    f.column,
                    push(Value::Text(code.clone()))
                )),
                None => nothing,
            },
        },
    }
}

/// The rows of `spec` (which the issue applies to) that have `issue`.
fn quality_condition(spec: &RegistrySpec, issue: QualityIssue, params: &mut Vec<Value>) -> String {
    match issue {
        QualityIssue::RetiredRegion => {
            let column = spec.region_field.and_then(|k| spec.field(k)).expect("applies_to checked").column;
            let marks: Vec<String> = RegionTable::embedded()
                .retired_codes()
                .into_iter()
                .map(|code| {
                    params.push(Value::Text(code.to_string()));
                    format!("?{}", params.len())
                })
                .collect();
            format!("t.{column} IN ({})", marks.join(", "))
        }
        QualityIssue::MissingIndustry => "t.industry IS NULL".to_string(),
        // Only once anyone has reported figures: an empty figures table means none are due yet.
        QualityIssue::StaleFigures => format!(
            "NOT EXISTS (SELECT 1 FROM enterprise_figure f WHERE f.enterprise_id = t.id \
             AND f.year >= {}) AND EXISTS (SELECT 1 FROM enterprise_figure)",
            latest_figure_year()
        ),
        // Today (UTC, as the database's own clock would say) as a parameter: both stores.
        QualityIssue::OverdueDemand => {
            params.push(Value::Text(periclase_domain::day::format(periclase_domain::day::today())));
            format!("t.status = 'open' AND t.deadline < ?{}", params.len())
        }
    }
}

/// An SQL expression for the newest year any figure was reported in. `max(year)` over the
/// whole table would scan every row (30 million at provincial scale, seconds); one max per
/// metric is a single seek each in the `(metric, year)` index.
pub(crate) fn latest_figure_year() -> String {
    let per_metric: Vec<String> = registries::METRICS
        .iter()
        .map(|m| format!("SELECT (SELECT max(year) FROM enterprise_figure WHERE metric = '{}') AS y", m.code))
        .collect();
    format!("(SELECT max(m.y) FROM ({}) AS m)", per_metric.join(" UNION ALL "))
}

/// Rows whose region lies inside `prefix`: a county is an equality, wider prefixes are a
/// range (':' sorts right after '9').
pub(crate) fn region_condition(column: &str, prefix: &str, params: &mut Vec<Value>) -> String {
    let p = region_prefix(prefix);
    params.push(Value::Text(p.to_string()));
    let lo = params.len();
    if p.len() == 6 {
        return format!("{column} = ?{lo}");
    }
    params.push(Value::Text(format!("{p}:")));
    format!("{column} >= ?{lo} AND {column} < ?{}", params.len())
}

/// The same conditions with the region kept off any index: for a region holding many rows,
/// walking the table (or a sort index) in order and stopping at the page's end beats finding
/// every matching row and sorting them (unary `+` is SQLite's way to say "not this index").
pub(crate) fn region_off_index(conds: &[String], region_column: &str) -> Vec<String> {
    let col = format!("t.{region_column} ");
    conds
        .iter()
        .map(|c| {
            if c.contains(&format!("{col}>=")) || c.contains(&format!("{col}= ")) {
                c.replace(&col, &format!("+{col}"))
            } else {
                c.clone()
            }
        })
        .collect()
}

/// Rows after `cursor` in the order `column` (`None`: row id) `desc`, ties by id the same
/// way. SQLite puts NULLs first ascending and last descending; a nullable column says so
/// here so the NULL rows are neither skipped nor repeated.
pub(crate) fn keyset_condition(
    column: Option<&str>,
    nullable: bool,
    desc: bool,
    cursor: Cursor,
    params: &mut Vec<Value>,
) -> Result<String, StoreError> {
    let op = if desc { "<" } else { ">" };
    params.push(Value::Int(cursor.id));
    let id = params.len();
    let Some(column) = column else { return Ok(format!("t.id {op} ?{id}")) };
    let value =
        cursor.value.ok_or_else(|| StoreError::BadQuery("翻页位置与排序方式不符，请从第一页重新开始".to_string()))?;
    Ok(match (value, desc) {
        (Value::Null, false) => format!("(({column} IS NULL AND t.id > ?{id}) OR {column} IS NOT NULL)"),
        (Value::Null, true) => format!("({column} IS NULL AND t.id < ?{id})"),
        (v, _) => {
            params.push(v);
            let v = params.len();
            // The row-value form lets SQLite seek an index on (column, id).
            let after = format!("({column}, t.id) {op} (?{v}, ?{id})");
            if desc && nullable {
                format!("({after} OR {column} IS NULL)")
            } else {
                after
            }
        }
    })
}

/// The sort column (`None`: row id), whether it may be NULL, and the ORDER BY text.
pub(crate) fn order_by(sort: Sort) -> (Option<String>, bool, String) {
    let (column, nullable) = match sort.key {
        SortKey::Id => (None, false),
        SortKey::Updated => (Some("t.updated_at".to_string()), false),
        SortKey::Field(f) => (Some(format!("t.{}", f.column)), !f.required),
    };
    let dir = if sort.desc { "DESC" } else { "ASC" };
    let order = match &column {
        Some(col) => format!("{col} {dir}, t.id {dir}"),
        None => format!("t.id {dir}"),
    };
    (column, nullable, order)
}

/// Key text as stored: validated like an import cell when possible (so a lower-case USCC in
/// a URL finds its enterprise), else as given.
pub(crate) fn normalize_key(f: &periclase_domain::FieldSpec, key: &str) -> String {
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
