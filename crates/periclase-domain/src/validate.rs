//! Turning raw cells into a validated [`Row`], with messages in Chinese that name the field
//! and the value.

use crate::spec::{FieldKind, FieldSpec, RegistrySpec};
use crate::value::{self, Value};
use crate::{normalize_cell, parse_industry, ChainSet, RegionTable, Uscc};

/// Validated cells, in the order of the registry's fields.
pub type Row = Vec<Value>;

const LONG_TEXT_MAX: usize = 100_000;

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// The field's key (English header).
    pub field: &'static str,
    /// The field's Chinese label.
    pub label: &'static str,
    /// The value as the user gave it.
    pub value: String,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl FieldError {
    pub fn new(f: &FieldSpec, value: impl Into<String>, message: impl Into<String>) -> Self {
        FieldError { field: f.key, label: f.label, value: value.into(), message: message.into() }
    }
}

impl std::fmt::Display for FieldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Most messages already name their field; don't say it twice.
        if self.message.contains(self.label) {
            f.write_str(&self.message)
        } else {
            write!(f, "{}：{}", self.label, self.message)
        }
    }
}

/// Validates one cell. Empty cells are `Null` (or an error when the field is required).
pub fn validate_cell(f: &FieldSpec, raw: &str) -> Result<Value, FieldError> {
    let v = normalize_cell(raw);
    if v.is_empty() {
        return if f.required {
            Err(FieldError::new(f, raw, format!("「{}」为必填项，不能为空", f.label)))
        } else {
            Ok(Value::Null)
        };
    }
    let bad = |msg: String| Err(FieldError::new(f, raw, msg));
    let label = f.label;
    match f.kind {
        FieldKind::Text(max) => {
            let n = v.chars().count();
            if n > max {
                return bad(format!("「{label}」最多{max}个字，实为{n}个字（不会截断，请精简后再导入）"));
            }
            Ok(Value::Text(v))
        }
        FieldKind::LongText => {
            let n = v.chars().count();
            if n > LONG_TEXT_MAX {
                return bad(format!("「{label}」最多{LONG_TEXT_MAX}个字，实为{n}个字"));
            }
            Ok(Value::Text(v))
        }
        FieldKind::List => Ok(Value::Text(value::normalize_list(&v))),
        FieldKind::Uscc => match Uscc::parse(&v) {
            Ok(u) => Ok(Value::Text(u.as_str().to_string())),
            Err(e) => bad(e.to_string()),
        },
        // An enterprise is referenced by its USCC, checked here; whether the row exists is
        // the store's question. Other registries are referenced by their text codes.
        FieldKind::Ref(crate::RegistryId::Enterprises) => match Uscc::parse(&v) {
            Ok(u) => Ok(Value::Text(u.as_str().to_string())),
            Err(e) => bad(e.to_string()),
        },
        FieldKind::Ref(_) => Ok(Value::Text(v)),
        FieldKind::Region => match RegionTable::embedded().resolve(&v) {
            Ok(code) => Ok(Value::Text(code)),
            Err(e) => bad(format!("「{label}」{e}")),
        },
        FieldKind::Industry => match parse_industry(&v) {
            Ok(code) => Ok(Value::Text(code)),
            Err(e) => bad(e.to_string()),
        },
        FieldKind::Date => match value::parse_date(&v) {
            Some(d) => Ok(Value::Text(d)),
            None => bad(format!("「{label}」「{v}」不是有效日期，应为 2024-01-31 这样的格式")),
        },
        FieldKind::Year => match value::parse_year(&v) {
            Some(y) => Ok(Value::Int(y)),
            None => bad(format!("「{label}」「{v}」不是有效年份（1900–2100）")),
        },
        FieldKind::Count => match value::parse_count(&v) {
            Some(n) => Ok(Value::Int(n)),
            None => bad(format!("「{label}」「{v}」应为不小于0的整数")),
        },
        FieldKind::Amount => match value::parse_amount(&v, false) {
            Some(x) => Ok(Value::Real(x)),
            None => bad(format!("「{label}」「{v}」应为不小于0的数字")),
        },
        FieldKind::Percent => match value::parse_amount(&v, true) {
            Some(x) => Ok(Value::Real(x)),
            None => bad(format!("「{label}」「{v}」应为不小于0的百分数，如 65 或 65%")),
        },
        FieldKind::Enum(opts) => {
            let found = opts
                .iter()
                .find(|o| o.code.eq_ignore_ascii_case(&v) || o.label == v || o.aliases.iter().any(|a| *a == v));
            match found {
                Some(o) => Ok(Value::Text(o.code.to_string())),
                None => {
                    let allowed: Vec<&str> = opts.iter().map(|o| o.label).collect();
                    bad(format!("「{label}」「{v}」不是可选值，可选：{}", allowed.join("、")))
                }
            }
        }
        FieldKind::Bool => match value::parse_bool(&v) {
            Some(b) => Ok(Value::Int(i64::from(b))),
            None => bad(format!("「{label}」「{v}」应填“是”或“否”")),
        },
        FieldKind::ChainNode => match ChainSet::embedded().resolve(&v) {
            Ok(key) => Ok(Value::Text(key)),
            Err(e) => bad(format!("「{label}」{e}")),
        },
    }
}

/// Validates a whole row. `cells[i]` is the raw text for `spec.fields[i]` (`None` when the
/// file has no such column). Every error in the row is reported, not just the first.
pub fn validate_row(spec: &RegistrySpec, cells: &[Option<&str>]) -> Result<Row, Vec<FieldError>> {
    let mut row = Vec::with_capacity(spec.fields.len());
    let mut errors = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        match validate_cell(f, cells.get(i).copied().flatten().unwrap_or("")) {
            Ok(v) => row.push(v),
            Err(e) => {
                errors.push(e);
                row.push(Value::Null);
            }
        }
    }
    if errors.is_empty() {
        if let Some(check) = spec.check {
            errors = check(&row);
        }
    }
    if errors.is_empty() {
        Ok(row)
    } else {
        Err(errors)
    }
}

/// Renders a stored value back as the text a user would type (enum labels in Chinese,
/// booleans as 是/否). `validate_cell(f, &display_cell(f, v))` gives `v` back.
pub fn display_cell(f: &FieldSpec, v: &Value) -> String {
    match (f.kind, v) {
        (FieldKind::Enum(_), Value::Text(code)) => f.enum_label(code).to_string(),
        (FieldKind::Bool, Value::Int(b)) => if *b != 0 { "是" } else { "否" }.to_string(),
        (FieldKind::ChainNode, Value::Text(key)) => match ChainSet::embedded().lookup(key) {
            Some((c, n)) => format!("{}/{}", c.name, n.name),
            None => key.clone(),
        },
        _ => v.to_string(),
    }
}
