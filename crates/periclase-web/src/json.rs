//! Registry rows as JSON objects: field keys, stable codes, plus Chinese labels beside
//! enumerations and region names beside region codes. Private fields are left out.

use periclase_domain::{FieldKind, RegionTable, RegistrySpec, Value};
use periclase_store::Record;
use serde_json::{Map, Value as Json};

fn value(v: &Value) -> Json {
    match v {
        Value::Null => Json::Null,
        Value::Text(s) => Json::String(s.clone()),
        Value::Int(i) => Json::from(*i),
        Value::Real(r) => serde_json::Number::from_f64(*r).map_or(Json::Null, Json::Number),
    }
}

/// The record as `session` may read it: private fields only for those the permission table
/// lets see them (administrators, the record's own subject).
pub fn record_for(session: &crate::auth::Session, spec: &RegistrySpec, rec: &Record) -> Json {
    record_with(spec, rec, session.principal.sees_private(spec))
}

fn record_with(spec: &RegistrySpec, rec: &Record, private: bool) -> Json {
    let mut m = Map::new();
    m.insert("id".into(), Json::from(rec.id));
    for (f, v) in spec.fields.iter().zip(&rec.row) {
        if f.private && !private {
            continue;
        }
        m.insert(f.key.into(), value(v));
        match (f.kind, v) {
            (FieldKind::Enum(_), Value::Text(code)) => {
                m.insert(format!("{}_label", f.key), Json::String(f.enum_label(code).to_string()));
            }
            (FieldKind::Region, Value::Text(code)) => {
                let name = RegionTable::embedded().full_name(code).unwrap_or_default();
                m.insert(format!("{}_name", f.key), Json::String(name));
            }
            _ => {}
        }
    }
    Json::Object(m)
}
