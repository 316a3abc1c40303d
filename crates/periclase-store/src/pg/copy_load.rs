//! A bulk load into an empty table on PostgreSQL: rows streamed to `COPY … FROM STDIN` (text
//! format) instead of one statement each, references resolved from the parents' keys read
//! once. The rules are the import's: every row validated, duplicates inside the file and
//! missing parents reported with their row, nothing written unless all is well (or
//! `partial`). Scoped imports keep the row-by-row path (`import.rs`), which checks each row.

use std::collections::HashMap;
use std::io::Write;

use periclase_domain::{RegistrySpec, Row, Value};
use postgres::Transaction;

use crate::sql::{parent_key_column, parent_of};
use crate::sqlite::import_rows::{duplicate_issue, invalid_issues, key_hash, missing_parent_issue};
use crate::{ImportItem, ImportOutcome, RowIssue, StoreError};

const PROGRESS_EVERY: u64 = 4096;

/// Writes one value in COPY's text format.
fn put(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Null => out.extend_from_slice(b"\\N"),
        Value::Int(i) => {
            let _ = write!(out, "{i}");
        }
        // Rust prints the shortest decimal that reads back as the same f64.
        Value::Real(r) => {
            let _ = write!(out, "{r}");
        }
        Value::Text(s) => {
            for b in s.bytes() {
                match b {
                    b'\\' => out.extend_from_slice(b"\\\\"),
                    b'\t' => out.extend_from_slice(b"\\t"),
                    b'\n' => out.extend_from_slice(b"\\n"),
                    b'\r' => out.extend_from_slice(b"\\r"),
                    _ => out.push(b),
                }
            }
        }
    }
}

/// Loads `items` into `spec`'s (empty) table; the counts, and whether any row was rejected.
pub(crate) fn load(
    tx: &mut Transaction<'_>,
    spec: &'static RegistrySpec,
    items: &mut dyn Iterator<Item = ImportItem>,
    now: &Value,
    on_issue: &mut dyn FnMut(RowIssue),
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, StoreError> {
    // Each referenced registry's natural key → row id, read once.
    let mut parents: Vec<(usize, &'static RegistrySpec, HashMap<String, i64>)> = Vec::new();
    for (i, f) in spec.fields.iter().enumerate() {
        let Some(parent) = parent_of(f.kind) else { continue };
        let keys = tx
            .query(&format!("SELECT {}, id FROM {}", parent_key_column(parent), parent.table), &[])?
            .iter()
            .map(|r| (r.get::<_, String>(0), r.get::<_, i64>(1)))
            .collect();
        parents.push((i, parent, keys));
    }
    let key_idx = spec.key_indices();
    let columns: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
    // Ids given here, 1, 2, 3… in file order as SQLite gives them to an empty table: an
    // all-or-nothing load rolled back then spends none of the sequence (PostgreSQL never
    // gives sequence values back), and the caller moves the sequence on before committing.
    let mut writer = tx.copy_in(&format!("COPY {} (id, {}, updated_at) FROM STDIN", spec.table, columns.join(", ")))?;
    let mut seen: HashMap<u64, u32> = HashMap::new();
    let mut out = ImportOutcome::default();
    let mut line = Vec::with_capacity(1024);
    let mut buffer = Vec::with_capacity(1 << 20);
    for item in items {
        out.read += 1;
        if out.read % PROGRESS_EVERY == 0 {
            on_progress(out.read);
        }
        let location = item.location;
        let mut row: Row = match item.row {
            Ok(row) => row,
            Err(errors) => {
                invalid_issues(&location, errors, on_issue);
                out.rejected += 1;
                continue;
            }
        };
        let h = key_hash(&row, &key_idx);
        if let Some(first) = seen.get(&h) {
            on_issue(duplicate_issue(spec, &row, &key_idx, &location, u64::from(*first)));
            out.rejected += 1;
            continue;
        }
        seen.insert(h, u32::try_from(location.row).unwrap_or(u32::MAX));
        let mut missing = None;
        for (i, parent, keys) in &parents {
            let Value::Text(key) = &row[*i] else { continue };
            match keys.get(key) {
                Some(id) => row[*i] = Value::Int(*id),
                None => {
                    missing = Some((*i, *parent, key.clone()));
                    break;
                }
            }
        }
        if let Some((i, parent, key)) = missing {
            on_issue(missing_parent_issue(location, &spec.fields[i], parent, &key));
            out.rejected += 1;
            continue;
        }
        line.clear();
        let _ = write!(line, "{}", out.inserted + 1);
        for v in row.iter().chain(std::iter::once(now)) {
            line.push(b'\t');
            put(&mut line, v);
        }
        line.push(b'\n');
        buffer.extend_from_slice(&line);
        if buffer.len() >= 1 << 20 {
            writer.write_all(&buffer).map_err(|e| StoreError::Sink(e.to_string()))?;
            buffer.clear();
        }
        out.inserted += 1;
    }
    writer.write_all(&buffer).map_err(|e| StoreError::Sink(e.to_string()))?;
    writer.finish()?;
    on_progress(out.read);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_written_in_copy_text_format() {
        let mut out = Vec::new();
        for v in [
            Value::Null,
            Value::Int(-12),
            Value::Real(0.1 + 0.2),
            Value::Real(1200.0),
            Value::Text("a\\b\tc\nd\re".into()),
            Value::Text("鞍山".into()),
        ] {
            put(&mut out, &v);
            out.push(b'|');
        }
        assert_eq!(String::from_utf8(out).unwrap(), "\\N|-12|0.30000000000000004|1200|a\\\\b\\tc\\nd\\re|鞍山|");
    }
}
