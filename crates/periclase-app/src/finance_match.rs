//! Financial products for an enterprise: its profile gathered from the store (tiers,
//! latest figures, 首台套 policies) and matched by `periclase_search::finance`. Shared by
//! the enterprise page, the API and the CLI.

use periclase_domain::registries::{
    ENTERPRISES, ENTERPRISE_FIGURES, ENTERPRISE_HONOURS, FINANCIAL_PRODUCTS, FIRST_SETS,
};
use periclase_domain::{Row, Scope};
use periclase_search::finance::{match_finance, EnterpriseProfile, FinanceMatch};
use periclase_store::{ListQuery, Record, Store, StoreError};

/// The enterprise's profile as the registries hold it.
pub fn profile(store: &dyn Store, rec: &Record) -> Result<EnterpriseProfile, StoreError> {
    let field = |key: &str| rec.row[ENTERPRISES.index_of(key).expect("enterprise field")].as_str().map(str::to_string);
    let honours = store.children(&ENTERPRISES, rec.id, &ENTERPRISE_HONOURS)?;
    let honour = ENTERPRISE_HONOURS.index_of("honour").expect("honour field");
    let figures = store.children(&ENTERPRISES, rec.id, &ENTERPRISE_FIGURES)?;
    let (year, metric, value) = (
        ENTERPRISE_FIGURES.index_of("year").expect("year"),
        ENTERPRISE_FIGURES.index_of("metric").expect("metric"),
        ENTERPRISE_FIGURES.index_of("value").expect("value"),
    );
    // The latest year's value of each metric.
    let latest = |name: &str| {
        figures
            .iter()
            .filter(|r| r.row[metric].as_str() == Some(name))
            .max_by_key(|r| r.row[year].as_f64().map(|y| y as i64))
            .and_then(|r| r.row[value].as_f64())
    };
    Ok(EnterpriseProfile {
        region: field("region").unwrap_or_default(),
        industry: field("industry"),
        tiers: honours.iter().filter_map(|r| r.row[honour].as_str().map(str::to_string)).collect(),
        revenue: latest("revenue"),
        employees: latest("employees"),
        invention_patents: latest("invention_patents"),
        first_sets: store.children(&ENTERPRISES, rec.id, &FIRST_SETS)?.len(),
    })
}

/// The enterprise `uscc` (inside `scope`) and the products that fit it, best first; `None`
/// when there is no such enterprise there.
pub fn for_enterprise(
    store: &dyn Store,
    uscc: &str,
    scope: Option<&Scope>,
) -> Result<Option<(Record, Vec<FinanceMatch>)>, StoreError> {
    let Some(rec) = store.get(&ENTERPRISES, uscc, scope)? else { return Ok(None) };
    let p = profile(store, &rec)?;
    let mut products: Vec<Row> = Vec::new();
    store.export(&FINANCIAL_PRODUCTS, &ListQuery::default(), &mut |r| {
        products.push(r.clone());
        Ok(())
    })?;
    let found = match_finance(&p, &products);
    Ok(Some((rec, found)))
}
