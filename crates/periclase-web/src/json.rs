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

/// A page of records as a JSON array, written straight to the response: the same objects
/// as [`record_for`] builds (the same keys in the same sorted order), without building a map
/// of owned strings per record first — a list page is fifty of them, and that building was a
/// large part of a list request's time.
pub struct RecordsJson {
    spec: &'static RegistrySpec,
    records: Vec<Record>,
    /// The object's keys in the order a JSON map keeps them (sorted), each with what it holds.
    slots: Vec<(String, Slot)>,
}

#[derive(Clone, Copy)]
enum Slot {
    Id,
    Field(usize),
    Label(usize),
    RegionName(usize),
}

impl RecordsJson {
    pub fn new(session: &crate::auth::Session, spec: &'static RegistrySpec, records: Vec<Record>) -> RecordsJson {
        RecordsJson::with(spec, records, session.principal.sees_private(spec))
    }

    fn with(spec: &'static RegistrySpec, records: Vec<Record>, private: bool) -> RecordsJson {
        let mut slots = vec![("id".to_string(), Slot::Id)];
        for (i, f) in spec.fields.iter().enumerate().filter(|(_, f)| private || !f.private) {
            slots.push((f.key.to_string(), Slot::Field(i)));
            match f.kind {
                FieldKind::Enum(_) => slots.push((format!("{}_label", f.key), Slot::Label(i))),
                FieldKind::Region => slots.push((format!("{}_name", f.key), Slot::RegionName(i))),
                _ => {}
            }
        }
        // A later key of the same name replaces an earlier one in a map: keep the last.
        slots.reverse();
        slots.sort_by(|a, b| a.0.cmp(&b.0));
        slots.dedup_by(|later, earlier| later.0 == earlier.0);
        RecordsJson { spec, records, slots }
    }
}

impl serde::Serialize for RecordsJson {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeSeq;
        let mut seq = s.serialize_seq(Some(self.records.len()))?;
        for rec in &self.records {
            seq.serialize_element(&OneRecord { of: self, rec })?;
        }
        seq.end()
    }
}

struct OneRecord<'a> {
    of: &'a RecordsJson,
    rec: &'a Record,
}

impl serde::Serialize for OneRecord<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(None)?;
        let text = |i: usize| match self.rec.row.get(i) {
            Some(Value::Text(code)) => Some(code.as_str()),
            _ => None,
        };
        for (key, slot) in &self.of.slots {
            match *slot {
                Slot::Id => map.serialize_entry(key, &self.rec.id)?,
                Slot::Field(i) => match self.rec.row.get(i).unwrap_or(&Value::Null) {
                    Value::Null => map.serialize_entry(key, &())?,
                    Value::Text(t) => map.serialize_entry(key, t)?,
                    Value::Int(n) => map.serialize_entry(key, n)?,
                    Value::Real(r) if r.is_finite() => map.serialize_entry(key, r)?,
                    Value::Real(_) => map.serialize_entry(key, &())?,
                },
                Slot::Label(i) => {
                    if let Some(code) = text(i) {
                        map.serialize_entry(key, self.of.spec.fields[i].enum_label(code))?;
                    }
                }
                Slot::RegionName(i) => {
                    if let Some(code) = text(i) {
                        map.serialize_entry(key, &RegionTable::embedded().full_name(code).unwrap_or_default())?;
                    }
                }
            }
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_page_written_straight_out_is_the_objects_record_for_builds() {
        let demo = periclase_demo::Demo::new(5, 40);
        for spec in periclase_domain::registries::ALL {
            let mut records = Vec::new();
            demo.for_each(spec.id, &mut |row| records.push(Record { id: records.len() as i64 + 1, row }));
            // Every kind of value, including those a registry's demo rows may lack.
            if let Some(first) = records.first_mut() {
                for (i, v) in first.row.iter_mut().enumerate() {
                    *v = [Value::Null, Value::Int(-7), Value::Real(2.5), Value::Real(f64::NAN)][i % 4].clone();
                }
            }
            for private in [false, true] {
                let built = Json::Array(records.iter().map(|r| record_with(spec, r, private)).collect());
                let written = serde_json::to_string(&RecordsJson::with(spec, records.clone(), private)).unwrap();
                assert_eq!(written, built.to_string(), "{} (private {private})", spec.name);
            }
        }
    }
}
