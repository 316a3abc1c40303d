//! One import: a single transaction, rows upserted by natural key, every problem reported.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};

use periclase_domain::{RegistrySpec, Row, Value};
use rusqlite::{Connection, TransactionBehavior};

use super::{parent_key_column, parent_of, read_value, Bind};
use crate::{ImportItem, ImportOptions, ImportOutcome, RowIssue, RowLocation, StoreError};

const PROGRESS_EVERY: u64 = 4096;

pub(crate) fn run(
    conn: &mut Connection,
    spec: &'static RegistrySpec,
    items: &mut dyn Iterator<Item = ImportItem>,
    opts: ImportOptions,
    on_issue: &mut dyn FnMut(RowIssue),
    on_progress: &mut dyn FnMut(u64),
) -> Result<ImportOutcome, StoreError> {
    let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
    let key_idx = spec.key_indices();
    let cols: Vec<&str> = spec.fields.iter().map(|f| f.column).collect();
    let placeholders: Vec<String> = (1..=cols.len()).map(|i| format!("?{i}")).collect();
    let key_cond: Vec<String> = key_idx
        .iter()
        .enumerate()
        .map(|(n, &i)| format!("{} = ?{}", cols[i], n + 1))
        .collect();
    let find_sql = format!(
        "SELECT id, {} FROM {} WHERE {}",
        cols.join(", "),
        spec.table,
        key_cond.join(" AND ")
    );
    let insert_sql = format!(
        "INSERT INTO {} ({}) VALUES ({})",
        spec.table,
        cols.join(", "),
        placeholders.join(", ")
    );
    let sets: Vec<String> = cols
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ?{}", i + 1))
        .collect();
    let update_sql = format!(
        "UPDATE {} SET {}, updated_at = strftime('%Y-%m-%dT%H:%M:%SZ', 'now') WHERE id = ?{}",
        spec.table,
        sets.join(", "),
        cols.len() + 1
    );
    let refs: Vec<(usize, &'static RegistrySpec)> = spec
        .fields
        .iter()
        .enumerate()
        .filter_map(|(i, f)| parent_of(f.kind).map(|p| (i, p)))
        .collect();
    let ref_sql: Vec<String> = refs
        .iter()
        .map(|(_, p)| {
            format!(
                "SELECT id FROM {} WHERE {} = ?1",
                p.table,
                parent_key_column(p)
            )
        })
        .collect();

    let mut out = ImportOutcome::default();
    // Natural keys seen in this file (as 128-bit hashes, to stay small at a million rows),
    // with the row they were first seen on.
    let mut seen: HashMap<u128, u64> = HashMap::new();
    let mut failed = false;
    {
        let mut find = tx.prepare(&find_sql)?;
        let mut insert = tx.prepare(&insert_sql)?;
        let mut update = tx.prepare(&update_sql)?;
        let mut ref_lookups = ref_sql
            .iter()
            .map(|s| tx.prepare(s))
            .collect::<Result<Vec<_>, _>>()?;

        for item in items {
            out.read += 1;
            if out.read % PROGRESS_EVERY == 0 {
                on_progress(out.read);
            }
            let location = item.location;
            let mut row = match item.row {
                Ok(row) => row,
                Err(errors) => {
                    for e in errors {
                        on_issue(RowIssue {
                            location: location.clone(),
                            column: Some(e.label.to_string()),
                            value: e.value,
                            reason: e.message,
                        });
                    }
                    out.rejected += 1;
                    failed = true;
                    continue;
                }
            };
            let h = key_hash(&row, &key_idx);
            if let Some(first) = seen.get(&h) {
                on_issue(duplicate_issue(spec, &row, &key_idx, &location, *first));
                out.rejected += 1;
                failed = true;
                continue;
            }
            seen.insert(h, location.row);

            // References: the parent's natural key becomes its row id.
            let mut missing = None;
            for ((i, parent), lookup) in refs.iter().zip(ref_lookups.iter_mut()) {
                if let Value::Text(key) = &row[*i] {
                    let id: Option<i64> = match lookup.query_row([key], |r| r.get(0)) {
                        Ok(id) => Some(id),
                        Err(rusqlite::Error::QueryReturnedNoRows) => None,
                        Err(e) => return Err(e.into()),
                    };
                    match id {
                        Some(id) => row[*i] = Value::Int(id),
                        None => {
                            missing = Some((*i, *parent, key.clone()));
                            break;
                        }
                    }
                }
            }
            if let Some((i, parent, key)) = missing {
                let f = &spec.fields[i];
                let key_label = parent
                    .field(parent.natural_key[0])
                    .map_or("编号", |k| k.label);
                on_issue(RowIssue {
                    location,
                    column: Some(f.label.to_string()),
                    value: key.clone(),
                    reason: format!(
                        "{}中没有{key_label}为「{key}」的记录，请先导入{}",
                        parent.label, parent.label
                    ),
                });
                out.rejected += 1;
                failed = true;
                continue;
            }

            let key_binds: Vec<Bind> = key_idx.iter().map(|&i| Bind(&row[i])).collect();
            let existing = {
                let mut rows = find.query(rusqlite::params_from_iter(key_binds.iter()))?;
                match rows.next()? {
                    Some(r) => {
                        let id: i64 = r.get(0)?;
                        let same = (0..cols.len()).all(|i| {
                            r.get_ref(i + 1)
                                .map(read_value)
                                .is_ok_and(|v| same_value(&v, &row[i]))
                        });
                        Some((id, same))
                    }
                    None => None,
                }
            };
            // After the first problem an all-or-nothing import only checks the remaining rows.
            let write = !opts.dry_run && (opts.partial || !failed);
            match existing {
                None => {
                    if write {
                        insert.execute(rusqlite::params_from_iter(row.iter().map(Bind)))?;
                    }
                    out.inserted += 1;
                }
                Some((_, true)) => out.unchanged += 1,
                Some((id, false)) => {
                    if write {
                        let id = Value::Int(id);
                        update.execute(rusqlite::params_from_iter(
                            row.iter().chain(std::iter::once(&id)).map(Bind),
                        ))?;
                    }
                    out.updated += 1;
                }
            }
        }
    }
    on_progress(out.read);
    if opts.dry_run || (failed && !opts.partial) {
        tx.rollback()?;
    } else {
        tx.commit()?;
        out.committed = true;
    }
    Ok(out)
}

/// Stored and incoming values are equal; REAL columns may hand back an integer-valued
/// decimal as either storage class.
fn same_value(stored: &Value, incoming: &Value) -> bool {
    match (stored, incoming) {
        (Value::Int(a), Value::Real(b)) | (Value::Real(b), Value::Int(a)) => (*a as f64) == *b,
        (a, b) => a == b,
    }
}

fn key_hash(row: &Row, key_idx: &[usize]) -> u128 {
    let mut parts = [DefaultHasher::new(), DefaultHasher::new()];
    parts[1].write_u8(0x5a);
    for h in parts.iter_mut() {
        for &i in key_idx {
            row[i].to_string().hash(h);
            h.write_u8(0x1f);
        }
    }
    (u128::from(parts[0].finish()) << 64) | u128::from(parts[1].finish())
}

fn duplicate_issue(
    spec: &RegistrySpec,
    row: &Row,
    key_idx: &[usize],
    location: &RowLocation,
    first: u64,
) -> RowIssue {
    let labels: Vec<&str> = key_idx.iter().map(|&i| spec.fields[i].label).collect();
    let values: Vec<String> = key_idx.iter().map(|&i| row[i].to_string()).collect();
    RowIssue {
        location: location.clone(),
        column: Some(labels.join("+")),
        value: values.join(" / "),
        reason: format!(
            "与本文件第{first}行的{}重复：同一文件中每条记录只能出现一次",
            labels.join("+")
        ),
    }
}
