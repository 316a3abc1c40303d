use periclase_domain::{FieldKind, FieldSpec, RegistrySpec, Row, Scope, Value};

use crate::StoreError;

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Keyword: substring of the registry's search fields.
    pub q: Option<String>,
    /// GB/T 2260 prefix ("21", "2103", "210381"; "210300" means the same as "2103").
    pub region: Option<String>,
    /// Enterprises only: a tier or honour (code or Chinese label).
    pub tier: Option<String>,
    pub year: Option<i64>,
    /// Enterprises only: GB/T 4754 code prefix ("C30", "C3089").
    pub industry: Option<String>,
    /// Only rows with this data-quality problem.
    pub issue: Option<crate::QualityIssue>,
    pub sort: Sort,
    /// Keyset cursor: the `next` of the previous page.
    pub after: Option<String>,
    pub limit: Option<u32>,
    /// The rows the asker may see; `None` means all (the CLI, an admin).
    pub scope: Option<Scope>,
}

/// What a list is ordered by; ties (and the default) go by row id, the order of entry.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum SortKey {
    #[default]
    Id,
    /// Last change.
    Updated,
    /// A field of the registry (see [`sortable_fields`]).
    Field(&'static FieldSpec),
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub desc: bool,
}

/// Fields a list can be ordered by: the short ones a list shows, not references (their
/// column is a row id) nor private ones.
pub fn sortable_fields(spec: &RegistrySpec) -> impl Iterator<Item = &'static FieldSpec> {
    spec.fields
        .iter()
        .filter(|f| !f.private && !matches!(f.kind, FieldKind::LongText | FieldKind::List | FieldKind::Ref(_)))
}

impl Sort {
    pub const RECENT: Sort = Sort { key: SortKey::Updated, desc: true };

    /// `name`, `-name` (descending), `updated`, `-updated`, `id`; empty means entry order.
    pub fn parse(spec: &RegistrySpec, text: &str) -> Result<Sort, StoreError> {
        let text = text.trim();
        let (desc, key) = match text.strip_prefix('-') {
            Some(k) => (true, k),
            None => (false, text),
        };
        let key = match key {
            "" | "id" => SortKey::Id,
            "updated" => SortKey::Updated,
            k => match sortable_fields(spec).find(|f| f.key == k) {
                Some(f) => SortKey::Field(f),
                None => {
                    let allowed: Vec<&str> = sortable_fields(spec).map(|f| f.key).collect();
                    return Err(StoreError::BadQuery(format!(
                        "{}不能按「{key}」排序；可选：id、updated、{}（前加 - 为降序）",
                        spec.label,
                        allowed.join("、")
                    )));
                }
            },
        };
        Ok(Sort { key, desc })
    }

    /// The inverse of [`Sort::parse`].
    pub fn param(&self) -> String {
        let key = match self.key {
            SortKey::Id => "id",
            SortKey::Updated => "updated",
            SortKey::Field(f) => f.key,
        };
        format!("{}{key}", if self.desc { "-" } else { "" })
    }
}

/// A keyset position: the last row's id and, for a sorted list, its sort value. Written as
/// `"<id>"` or `"<id>.<tag><value>"` (tag n null, i integer, r real, t text) so it survives
/// a URL.
#[derive(Debug, Clone, PartialEq)]
pub struct Cursor {
    pub id: i64,
    pub value: Option<Value>,
}

impl Cursor {
    pub fn encode(&self) -> String {
        match &self.value {
            None => self.id.to_string(),
            Some(Value::Null) => format!("{}.n", self.id),
            Some(Value::Int(i)) => format!("{}.i{i}", self.id),
            Some(Value::Real(r)) => format!("{}.r{r}", self.id),
            Some(Value::Text(t)) => format!("{}.t{t}", self.id),
        }
    }

    pub fn decode(text: &str) -> Result<Cursor, StoreError> {
        let bad = || StoreError::BadQuery(format!("翻页位置「{text}」无效，请从第一页重新开始"));
        let (id, rest) = match text.split_once('.') {
            Some((id, rest)) => (id, Some(rest)),
            None => (text, None),
        };
        let id: i64 = id.parse().map_err(|_| bad())?;
        let value = match rest {
            None => None,
            Some(rest) => {
                let mut chars = rest.chars();
                let tag = chars.next().ok_or_else(bad)?;
                let body = chars.as_str();
                Some(match tag {
                    'n' if body.is_empty() => Value::Null,
                    'i' => Value::Int(body.parse().map_err(|_| bad())?),
                    'r' => Value::Real(body.parse().map_err(|_| bad())?),
                    't' => Value::Text(body.to_string()),
                    _ => return Err(bad()),
                })
            }
        };
        Ok(Cursor { id, value })
    }
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    pub id: i64,
    pub row: Row,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ListPage {
    pub records: Vec<Record>,
    /// Cursor for the next page, when there is one.
    pub next: Option<String>,
    /// Rows matching the filters, all pages together.
    pub total: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::registries::ENTERPRISES;

    #[test]
    fn sort_round_trips_and_names_the_choices() {
        for text in ["name", "-name", "updated", "-updated", "id", "-founded"] {
            assert_eq!(Sort::parse(&ENTERPRISES, text).unwrap().param(), text);
        }
        assert_eq!(Sort::parse(&ENTERPRISES, "").unwrap(), Sort::default());
        let err = Sort::parse(&ENTERPRISES, "main_products").unwrap_err().to_string();
        assert!(err.contains("不能按「main_products」排序") && err.contains("name"), "{err}");
    }

    #[test]
    fn cursor_round_trips() {
        for c in [
            Cursor { id: 7, value: None },
            Cursor { id: 7, value: Some(Value::Null) },
            Cursor { id: 8, value: Some(Value::Int(-3)) },
            Cursor { id: 9, value: Some(Value::Real(2.5)) },
            Cursor { id: 10, value: Some(Value::Text("示例.公司 t1".into())) },
        ] {
            assert_eq!(Cursor::decode(&c.encode()).unwrap(), c);
        }
        assert!(Cursor::decode("x").is_err());
        assert!(Cursor::decode("3.q1").is_err());
    }
}
