//! What the index keeps of a record: one [`SearchDoc`] per row of a searched registry, made
//! from the row as the store holds it, the same way for every registry.

use periclase_domain::{FieldKind, RegistryId, RegistrySpec, Row, Value};

/// Registries the global search covers: those with fields to search, except the
/// conflict-of-interest links between experts and organisations, which are not for browsing.
pub fn searched(spec: &RegistrySpec) -> bool {
    !spec.search.is_empty() && spec.id != RegistryId::TalentLinks
}

/// The tier filter value of a talent in the expert pool (专家库).
pub const EXPERT: &str = "expert";

#[derive(Debug, Clone, PartialEq)]
pub struct SearchDoc {
    /// The registry's URL name (`achievements`).
    pub registry: &'static str,
    /// Row id in the store.
    pub id: i64,
    /// What the record's page is found by: the natural key, or the row id for composite keys.
    pub key: String,
    pub title: String,
    /// Lists (keywords, products, fields of expertise), the domain and the record's codes.
    pub keywords: String,
    /// Every other readable text: summaries, descriptions, units, enum labels.
    pub body: String,
    pub region: Option<String>,
    pub year: Option<i64>,
    /// Enterprises' tiers and honours (codes).
    pub tiers: Vec<String>,
    /// The technical field or industry the record declares (成果 技术领域, 需求 所属领域).
    pub domain: Option<String>,
    /// An achievement's maturity (code).
    pub maturity: Option<String>,
}

impl SearchDoc {
    /// `uid` as stored: unique across registries.
    pub fn uid(&self) -> String {
        uid(self.registry, self.id)
    }

    pub fn from_row(spec: &'static RegistrySpec, id: i64, row: &Row, mut tiers: Vec<String>) -> SearchDoc {
        let text = |key: &str| -> Option<String> {
            let i = spec.index_of(key)?;
            match &row[i] {
                Value::Null => None,
                v => Some(v.to_string()),
            }
        };
        let title_key = spec.search.iter().copied().find(|k| spec.field(k).is_some_and(|f| is_text(f.kind)));
        let title = title_key.and_then(text).unwrap_or_else(|| format!("{} #{id}", spec.label));
        let domain = ["field", "industry"]
            .into_iter()
            .find(|k| spec.field(k).is_some_and(|f| matches!(f.kind, FieldKind::Text(_))))
            .and_then(text);
        let mut keywords: Vec<String> = Vec::new();
        let mut body: Vec<String> = Vec::new();
        for (f, v) in spec.fields.iter().zip(row) {
            if f.private || v.is_null() || Some(f.key) == title_key {
                continue;
            }
            let shown = match f.kind {
                FieldKind::Enum(_) => f.enum_label(&v.to_string()).to_string(),
                _ => v.to_string(),
            };
            match f.kind {
                FieldKind::List => keywords.push(shown.replace('；', " ")),
                FieldKind::Uscc | FieldKind::Ref(_) => keywords.push(shown),
                _ if spec.natural_key.contains(&f.key) || domain.as_deref() == Some(shown.as_str()) => {
                    keywords.push(shown)
                }
                FieldKind::Text(_) | FieldKind::LongText | FieldKind::Enum(_) => body.push(shown),
                _ => {}
            }
        }
        // Members of the expert pool are found by the tier filter `expert`.
        if spec.index_of("is_expert").is_some_and(|i| row[i] == Value::Int(1)) {
            tiers.push(EXPERT.to_string());
        }
        let key = match spec.natural_key {
            [one] => text(one).unwrap_or_else(|| id.to_string()),
            _ => id.to_string(),
        };
        SearchDoc {
            registry: spec.name,
            id,
            key,
            title,
            keywords: keywords.join("；"),
            body: body.join("；"),
            region: spec.region_field.and_then(text),
            year: spec.year_field.and_then(text).and_then(|y| y.parse().ok()),
            tiers,
            domain,
            maturity: text("maturity"),
        }
    }
}

pub fn uid(registry: &str, id: i64) -> String {
    format!("{registry}:{id}")
}

fn is_text(kind: FieldKind) -> bool {
    matches!(kind, FieldKind::Text(_) | FieldKind::LongText)
}

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::registry;

    #[test]
    fn an_achievement_becomes_title_keywords_and_body() {
        let spec = registry(RegistryId::Achievements);
        let mut row: Row = vec![Value::Null; spec.fields.len()];
        let mut set = |k: &str, v: &str| row[spec.index_of(k).unwrap()] = Value::Text(v.into());
        set("code", "A01");
        set("title", "电熔镁砂节能冶炼");
        set("field", "菱镁矿与镁质耐火材料");
        set("institution", "某大学");
        set("summary", "三相电弧炉");
        set("keywords", "电弧炉；节能");
        set("maturity", "pilot");
        set("region", "210800");
        row[spec.index_of("year").unwrap()] = Value::Int(2025);
        let d = SearchDoc::from_row(spec, 7, &row, vec![]);
        assert_eq!(
            (d.registry, d.id, d.key.as_str(), d.title.as_str()),
            ("achievements", 7, "A01", "电熔镁砂节能冶炼")
        );
        assert_eq!(d.keywords, "A01；菱镁矿与镁质耐火材料；电弧炉 节能");
        assert_eq!(d.body, "某大学；三相电弧炉；中试");
        assert_eq!(
            (d.region.as_deref(), d.year, d.domain.as_deref()),
            (Some("210800"), Some(2025), Some("菱镁矿与镁质耐火材料"))
        );
        assert_eq!(d.maturity.as_deref(), Some("pilot"));
        assert_eq!(d.uid(), "achievements:7");
    }
}
