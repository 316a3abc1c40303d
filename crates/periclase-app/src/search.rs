//! Search as a use case: the filters people type (a registry's name, a tier's code, Chinese
//! label or alias, 专家 for the expert pool, a year) read once for the web and the CLI, and
//! the registries a principal may search.

use periclase_auth::Principal;
use periclase_domain::{registries, Scope};
use periclase_search::SearchQuery;

use crate::AppError;

/// A search as typed: every filter optional text.
#[derive(Debug, Clone, Default)]
pub struct SearchRequest {
    pub text: String,
    pub registries: Vec<String>,
    pub region: String,
    pub tier: String,
    pub year: String,
    pub limit: usize,
    pub offset: usize,
}

/// A tier or honour as its code: the code, the Chinese label, an alias, or `expert` /
/// 专家 / 专家库 for the expert pool.
pub fn tier_code(t: &str) -> Result<String, AppError> {
    let t = t.trim();
    if t == periclase_search::doc::EXPERT || t == "专家" || t == "专家库" {
        return Ok(periclase_search::doc::EXPERT.to_string());
    }
    registries::HONOURS
        .iter()
        .find(|o| o.code == t || o.label == t || o.aliases.contains(&t))
        .map(|o| o.code.to_string())
        .ok_or_else(|| AppError::BadRequest(format!("没有名为「{t}」的梯度或荣誉（专家库成员用 expert 或 专家）")))
}

/// The registries (and, for officials, the region) `who` may search, by the permission
/// table's read scopes.
pub fn allowed(who: &Principal) -> Vec<(String, Option<String>)> {
    registries::ALL
        .iter()
        .filter(|s| periclase_search::searched(s))
        .filter_map(|s| match who.read_scope(s) {
            Scope::All => Some((s.name.to_string(), None)),
            // Rows without a region of their own (capacities…) are read through the enterprise.
            Scope::Region(p) if s.region_field.is_some() => Some((s.name.to_string(), Some(p))),
            _ => None,
        })
        .collect()
}

impl SearchRequest {
    /// The index query; limited to what `who` may read, or everything for the CLI (`None`).
    pub fn query(&self, who: Option<&Principal>) -> Result<SearchQuery, AppError> {
        let registries = self
            .registries
            .iter()
            .map(|r| r.trim())
            .filter(|r| !r.is_empty())
            .map(|name| {
                registries::ALL
                    .iter()
                    .find(|s| s.name == name || s.label == name)
                    .map(|s| s.name.to_string())
                    .ok_or_else(|| AppError::NotFound(format!("没有名为「{name}」的库")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let year = match self.year.trim() {
            "" => None,
            y => Some(y.parse().map_err(|_| AppError::BadRequest(format!("年度「{y}」应为四位数字")))?),
        };
        let tier = match self.tier.trim() {
            "" => None,
            t => Some(tier_code(t)?),
        };
        Ok(SearchQuery {
            text: self.text.clone(),
            registries,
            region: Some(self.region.trim().to_string()).filter(|r| !r.is_empty()),
            tier,
            year,
            allowed: who.map(allowed),
            limit: self.limit,
            offset: self.offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The web used to accept only codes and labels while the CLI also took aliases and 专家.
    #[test]
    fn tiers_read_the_same_everywhere() {
        for t in ["expert", "专家", "专家库"] {
            assert_eq!(tier_code(t).unwrap(), "expert");
        }
        let o = registries::HONOURS[0];
        assert_eq!(tier_code(o.code).unwrap(), o.code);
        assert_eq!(tier_code(o.label).unwrap(), o.code);
        for a in o.aliases {
            assert_eq!(tier_code(a).unwrap(), o.code);
        }
        assert!(matches!(tier_code("不存在的称号"), Err(AppError::BadRequest(_))));
    }

    #[test]
    fn a_request_becomes_a_query() {
        let r = SearchRequest {
            text: "电熔镁砂".into(),
            registries: vec!["成果库".into()],
            year: "2025".into(),
            limit: 20,
            ..Default::default()
        };
        let q = r.query(None).unwrap();
        assert_eq!((q.registries, q.year, q.allowed), (vec!["achievements".to_string()], Some(2025), None));
        let bad = SearchRequest { year: "二〇二五".into(), ..Default::default() };
        assert!(matches!(bad.query(None), Err(AppError::BadRequest(_))));
    }
}
