//! List filters as they arrive in a query string, shared by the API and the pages.

use periclase_domain::{QualityIssue, RegistrySpec, Scope};
use periclase_store::{ListQuery, Sort};
use serde::Deserialize;

use crate::ApiError;

/// Every filter is text: an empty form field means "no filter", and a malformed number is
/// answered with a message naming the parameter rather than a bare 400.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct ListParams {
    pub q: Option<String>,
    pub region: Option<String>,
    pub tier: Option<String>,
    pub industry: Option<String>,
    pub year: Option<String>,
    /// `name`, `-name` (descending), `updated`…; see `periclase_store::Sort::parse`.
    pub sort: Option<String>,
    /// A data-quality problem code (`stale_figures`…): only the rows that have it.
    pub issue: Option<String>,
    pub after: Option<String>,
    pub limit: Option<String>,
    /// The page's 省/市/县 cascade: the deepest consistent choice becomes the region filter.
    pub province: Option<String>,
    pub city: Option<String>,
    pub county: Option<String>,
}

fn blank(v: &Option<String>) -> Option<String> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_string)
}

fn parse_num<T: std::str::FromStr>(name: &str, v: &Option<String>) -> Result<Option<T>, ApiError> {
    match blank(v) {
        None => Ok(None),
        Some(s) => s.parse().map(Some).map_err(|_| ApiError::BadRequest(format!("参数 {name}「{s}」应为整数"))),
    }
}

impl ListParams {
    /// The region filter: the cascade's deepest level that lies inside the one above it (a
    /// city left over from another province is ignored), else the plain `region` parameter.
    pub fn region(&self) -> Option<String> {
        let Some(province) = blank(&self.province) else { return blank(&self.region) };
        let city = blank(&self.city).filter(|c| c.starts_with(&province));
        let county = blank(&self.county).filter(|k| city.as_ref().is_some_and(|c| k.starts_with(c.as_str())));
        county.or(city).or(Some(province))
    }

    pub fn query(&self, spec: &RegistrySpec, scope: Scope) -> Result<ListQuery, ApiError> {
        let issue = match blank(&self.issue) {
            None => None,
            Some(code) => Some(
                QualityIssue::parse(&code)
                    .ok_or_else(|| ApiError::BadRequest(format!("参数 issue「{code}」不是可选的数据质量问题")))?,
            ),
        };
        Ok(ListQuery {
            q: blank(&self.q),
            region: self.region(),
            tier: blank(&self.tier),
            industry: blank(&self.industry),
            year: parse_num("year", &self.year)?,
            issue,
            sort: Sort::parse(spec, self.sort.as_deref().unwrap_or_default())?,
            after: blank(&self.after),
            limit: parse_num("limit", &self.limit)?,
            scope: Some(scope),
        })
    }

    /// The filters (not the cursor) as a query string, for "next page" and export links.
    pub fn filters_query(&self) -> String {
        let region = self.region();
        let pairs = [
            ("q", &self.q),
            ("region", &region),
            ("tier", &self.tier),
            ("industry", &self.industry),
            ("year", &self.year),
            ("issue", &self.issue),
            ("sort", &self.sort),
            ("limit", &self.limit),
        ];
        pairs.iter().filter_map(|(k, v)| blank(v).map(|v| format!("{k}={}", encode(&v)))).collect::<Vec<_>>().join("&")
    }
}

impl ListParams {
    /// The filters with another sort, for a column header's link.
    pub fn sorted_by(&self, sort: &str) -> String {
        ListParams { sort: Some(sort.to_string()), ..self.clone() }.filters_query()
    }
}

/// Percent-encoding for a query-string value.
pub fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(b as char),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}
