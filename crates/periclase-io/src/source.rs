//! An import source: header mapping on the caller's thread, then rows read and validated on
//! a reader thread and handed over through a bounded channel (so reading and writing the
//! database overlap, and memory stays flat however large the file).

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::mpsc::{sync_channel, Receiver};
use std::thread::JoinHandle;

use encoding_rs::Encoding;
use periclase_domain::{validate_row, FieldError, FieldKind, FieldSpec, ImportItem, RegistrySpec, RowLocation};

use crate::export::csv_cell_in;
use crate::table::{read_rows, RawRow, EXCEL_ERROR, HEADER_ROW_BYTES};
use crate::IoError;

const BATCH: usize = 512;
/// A batch is also sent once its cells hold this many bytes, so rows of long text do not
/// multiply the memory in flight.
const BATCH_BYTES: usize = 1 << 20;
const BATCHES_IN_FLIGHT: usize = 8;

/// `FieldKind::LongText`'s limit in characters (checked by `periclase_domain::validate_cell`;
/// a test below keeps the two equal).
const LONG_TEXT_CHARS: usize = 100_000;
/// Room for blanks around a value (they are trimmed before the field's limit is checked).
const PADDING_CHARS: usize = 1_000;
/// A rejected value is echoed (in the report, on the preview page) up to this many characters.
pub(crate) const ECHO_CHARS: usize = 200;

/// The most characters a cell of this field may hold as read, blanks included: its own
/// limit plus [`PADDING_CHARS`]. Kinds without a stated limit (codes, dates, numbers…) are
/// short by nature; lists and long text share the long-text limit.
fn raw_chars(field: &FieldSpec) -> usize {
    let own = match field.kind {
        FieldKind::Text(n) => n,
        FieldKind::LongText | FieldKind::List => LONG_TEXT_CHARS,
        _ => 200,
    };
    own + PADDING_CHARS
}

/// The longest a row may be, in bytes, once the header is known: each column's limit at
/// four bytes a character, doubled for CSV quoting, plus room for stray cells past the header.
fn row_bytes(spec: &RegistrySpec, mapping: &Mapping) -> usize {
    let columns: usize = mapping
        .columns
        .iter()
        .map(|c| c.map_or(LONG_TEXT_CHARS + PADDING_CHARS, |f| raw_chars(&spec.fields[f])) * 4 + 3)
        .sum();
    2 * columns + HEADER_ROW_BYTES
}

/// At most [`ECHO_CHARS`] characters of a rejected value, saying how long it was if cut.
pub(crate) fn echo(value: &str) -> String {
    match value.char_indices().nth(ECHO_CHARS) {
        None => value.to_string(),
        Some((cut, _)) => format!("{}……（共{}字，仅显示前{ECHO_CHARS}字）", &value[..cut], value.chars().count()),
    }
}

#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    /// Forced CSV encoding; detected when `None`.
    pub encoding: Option<&'static Encoding>,
    /// Spreadsheet sheet; the first (and its continuation sheets) when `None`.
    pub sheet: Option<String>,
    /// Columns no field claims are an error unless this is set.
    pub ignore_unknown_columns: bool,
}

enum Msg {
    Header(Result<(), IoError>),
    Rows(Vec<ImportItem>),
    /// The file could not be read past this point.
    Fatal(RowLocation, IoError),
}

/// Validated rows of one file, in file order. Blank rows are skipped (and counted).
#[derive(Debug)]
pub struct ImportSource {
    rx: Receiver<Msg>,
    buffer: std::vec::IntoIter<ImportItem>,
    fatal: Option<IoError>,
    reader: Option<JoinHandle<u64>>,
    blank_rows: u64,
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Msg")
    }
}

/// Opens `path` for import into `spec`. Fails before reading any data row when the file is
/// empty, has only a header, or its header has unknown, missing or doubled columns.
pub fn open_import(path: &Path, spec: &'static RegistrySpec, opts: ReadOptions) -> Result<ImportSource, IoError> {
    if !path.exists() {
        return Err(IoError::Open { path: path.to_path_buf(), source: std::io::ErrorKind::NotFound.into() });
    }
    let (tx, rx) = sync_channel::<Msg>(BATCHES_IN_FLIGHT);
    let owned: PathBuf = path.to_path_buf();
    let reader = std::thread::Builder::new()
        .name("periclase-import-reader".into())
        .spawn(move || reader_thread(&owned, spec, opts, tx))
        .map_err(|e| IoError::Open { path: path.to_path_buf(), source: e })?;
    let mut source =
        ImportSource { rx, buffer: Vec::new().into_iter(), fatal: None, reader: Some(reader), blank_rows: 0 };
    match source.rx.recv() {
        Ok(Msg::Header(Ok(()))) => {}
        Ok(Msg::Header(Err(e))) => return Err(e),
        Ok(Msg::Fatal(_, e)) => return Err(e),
        Ok(Msg::Rows(_)) | Err(_) => return Err(IoError::Empty(path.to_path_buf())),
    }
    // Peek: a file with a header and no data row is refused before anything starts.
    match source.rx.recv() {
        Ok(Msg::Rows(batch)) => source.buffer = batch.into_iter(),
        Ok(Msg::Fatal(loc, e)) => source.set_fatal(loc, e),
        Ok(Msg::Header(_)) | Err(_) => return Err(IoError::HeaderOnly(path.to_path_buf())),
    }
    Ok(source)
}

impl ImportSource {
    /// A read error that ended the file early; the import that consumed this source saw a
    /// rejected row in its place and so did not commit (unless partial).
    pub fn fatal(&self) -> Option<&IoError> {
        self.fatal.as_ref()
    }

    /// Rows with no content, skipped. Known once the source is exhausted.
    pub fn blank_rows(&mut self) -> u64 {
        if let Some(h) = self.reader.take() {
            self.blank_rows = h.join().unwrap_or(0);
        }
        self.blank_rows
    }

    fn set_fatal(&mut self, location: RowLocation, e: IoError) {
        let item = ImportItem {
            location,
            row: Err(vec![FieldError {
                field: "",
                label: "（整行）",
                value: String::new(),
                message: format!("{e}；此行及以后的内容未能读取"),
            }]),
        };
        self.buffer = vec![item].into_iter();
        self.fatal = Some(e);
    }
}

impl Iterator for ImportSource {
    type Item = ImportItem;

    fn next(&mut self) -> Option<ImportItem> {
        loop {
            if let Some(item) = self.buffer.next() {
                return Some(item);
            }
            if self.fatal.is_some() {
                return None;
            }
            match self.rx.recv() {
                Ok(Msg::Rows(batch)) => self.buffer = batch.into_iter(),
                Ok(Msg::Fatal(loc, e)) => self.set_fatal(loc, e),
                Ok(Msg::Header(_)) | Err(_) => return None,
            }
        }
    }
}

struct Mapping {
    /// For each file column, the field it fills (None: ignored column).
    columns: Vec<Option<usize>>,
    width: usize,
}

fn map_header(spec: &'static RegistrySpec, header: &[String], ignore_unknown: bool) -> Result<Mapping, IoError> {
    let mut columns = Vec::with_capacity(header.len());
    let mut unknown = Vec::new();
    let mut claimed: Vec<Option<usize>> = vec![None; spec.fields.len()];
    for (i, h) in header.iter().enumerate() {
        if h.trim().is_empty() {
            columns.push(None);
            continue;
        }
        match spec.field_for_header(h) {
            Some(f) => {
                if let Some(first) = claimed[f] {
                    return Err(IoError::DuplicateColumn {
                        field: spec.fields[f].label,
                        first: first + 1,
                        first_header: header[first].clone(),
                        second: i + 1,
                        second_header: h.clone(),
                    });
                }
                claimed[f] = Some(i);
                columns.push(Some(f));
            }
            None => {
                unknown.push(format!("「{}」（第{}列）", h.trim(), i + 1));
                columns.push(None);
            }
        }
    }
    if !unknown.is_empty() && !ignore_unknown {
        let allowed: Vec<&str> = spec.fields.iter().map(|f| f.label).collect();
        return Err(IoError::UnknownColumns {
            registry: spec.label,
            columns: unknown.join("、"),
            allowed: allowed.join("、"),
        });
    }
    let missing: Vec<&str> =
        spec.fields.iter().zip(&claimed).filter(|(f, c)| f.required && c.is_none()).map(|(f, _)| f.label).collect();
    if !missing.is_empty() {
        return Err(IoError::MissingColumns { registry: spec.label, columns: missing.join("、") });
    }
    Ok(Mapping { width: header.len(), columns })
}

fn to_item(spec: &'static RegistrySpec, mapping: &Mapping, raw: &RawRow<'_>) -> ImportItem {
    let location = RowLocation { sheet: raw.sheet.map(str::to_string), row: raw.row };
    let mut cells: Vec<Option<&str>> = vec![None; spec.fields.len()];
    let mut errors = Vec::new();
    for (i, text) in raw.cells.iter().enumerate() {
        // CSV (no sheet): undo the quote an export put before formula-like text.
        let text = if raw.sheet.is_none() { csv_cell_in(text) } else { text };
        if let Some(rest) = text.strip_prefix(EXCEL_ERROR) {
            errors.push(FieldError {
                field: "",
                label: mapping.columns.get(i).copied().flatten().map_or("（无表头列）", |f| spec.fields[f].label),
                value: rest.to_string(),
                message: format!("单元格是 Excel 错误值 {rest}，请改为实际数据"),
            });
            continue;
        }
        match mapping.columns.get(i).copied().flatten() {
            Some(f) if text.len() > raw_chars(&spec.fields[f]) && text.chars().count() > raw_chars(&spec.fields[f]) => {
                let field = &spec.fields[f];
                errors.push(FieldError {
                    field: field.key,
                    label: field.label,
                    value: text.to_string(),
                    message: format!(
                        "「{}」长达{}字（含空白），超过该列上限{}字，未导入",
                        field.label,
                        text.chars().count(),
                        raw_chars(field) - PADDING_CHARS
                    ),
                });
            }
            Some(f) => cells[f] = Some(text),
            None if i >= mapping.width && !text.trim().is_empty() => errors.push(FieldError {
                field: "",
                label: "（无表头列）",
                value: text.to_string(),
                message: format!("第{}列有数据但没有表头，无法判断是哪一项", i + 1),
            }),
            None => {}
        }
    }
    let row = match validate_row(spec, &cells) {
        Ok(row) if errors.is_empty() => Ok(row),
        Ok(_) => Err(errors),
        Err(mut field_errors) => {
            // A field already refused as too long was left empty: no second error for it.
            field_errors.retain(|e| !errors.iter().any(|x| !x.field.is_empty() && x.field == e.field));
            errors.append(&mut field_errors);
            Err(errors)
        }
    };
    let row = row.map_err(|mut errors| {
        for e in &mut errors {
            if e.value.len() > ECHO_CHARS {
                e.value = echo(&e.value);
            }
        }
        errors
    });
    ImportItem { location, row }
}

/// Returns the number of blank rows skipped.
fn reader_thread(
    path: &Path,
    spec: &'static RegistrySpec,
    opts: ReadOptions,
    tx: std::sync::mpsc::SyncSender<Msg>,
) -> u64 {
    let mut mapping: Option<Mapping> = None;
    let mut batch = Vec::with_capacity(BATCH);
    let mut blank = 0u64;
    let mut last = RowLocation { sheet: None, row: 1 };
    let mut header_error = None;
    let max_row = Cell::new(HEADER_ROW_BYTES);
    let mut batch_bytes = 0usize;
    let result = read_rows(path, opts.encoding, opts.sheet.as_deref(), &max_row, &mut |raw| {
        if raw.cells.iter().all(|c| c.trim().is_empty()) {
            blank += 1;
            return true;
        }
        last.row = raw.row;
        if last.sheet.as_deref() != raw.sheet {
            last.sheet = raw.sheet.map(str::to_string);
        }
        let Some(m) = &mapping else {
            let header: Vec<String> = raw.cells.iter().map(str::to_string).collect();
            match map_header(spec, &header, opts.ignore_unknown_columns) {
                Ok(m) => {
                    max_row.set(row_bytes(spec, &m));
                    mapping = Some(m);
                    return tx.send(Msg::Header(Ok(()))).is_ok();
                }
                Err(e) => {
                    header_error = Some(e);
                    return false;
                }
            }
        };
        batch.push(to_item(spec, m, &raw));
        batch_bytes += raw.cells.as_slice().len();
        if batch.len() == BATCH || batch_bytes >= BATCH_BYTES {
            batch_bytes = 0;
            return tx.send(Msg::Rows(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)))).is_ok();
        }
        true
    });
    if let Some(e) = header_error {
        let _ = tx.send(Msg::Header(Err(e)));
        return blank;
    }
    if !batch.is_empty() {
        let _ = tx.send(Msg::Rows(batch));
    }
    if let Err(e) = result {
        if mapping.is_none() {
            let _ = tx.send(Msg::Header(Err(e)));
        } else {
            last.row += 1;
            let _ = tx.send(Msg::Fatal(last, e));
        }
    }
    blank
}

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::registries::ENTERPRISES;
    use periclase_domain::validate_cell;

    #[test]
    fn long_text_limit_matches_the_domains() {
        let field = FieldSpec::new("x", "说明", FieldKind::LongText);
        assert!(validate_cell(&field, &"镁".repeat(LONG_TEXT_CHARS)).is_ok());
        assert!(validate_cell(&field, &"镁".repeat(LONG_TEXT_CHARS + 1)).is_err());
    }

    #[test]
    fn rejected_values_are_echoed_as_a_prefix() {
        assert_eq!(echo("短"), "短");
        let long = "镁".repeat(ECHO_CHARS + 5);
        let shown = echo(&long);
        assert!(shown.starts_with(&"镁".repeat(ECHO_CHARS)));
        assert!(shown.ends_with(&format!("（共{}字，仅显示前{ECHO_CHARS}字）", ECHO_CHARS + 5)), "{shown}");
    }

    #[test]
    fn a_padded_cell_is_refused_by_its_fields_own_limit_and_echoed_short() {
        let header: Vec<String> = ["统一社会信用代码", "企业名称", "所属地区"].map(String::from).to_vec();
        let mapping = map_header(&ENTERPRISES, &header, false).unwrap();
        let name_field = &ENTERPRISES.fields[mapping.columns[1].unwrap()];
        let padded = format!("示例公司{}", " ".repeat(raw_chars(name_field)));
        let cells = csv::StringRecord::from(vec!["91350100M000100Y43", padded.as_str(), "210381"]);
        let item = to_item(&ENTERPRISES, &mapping, &RawRow { sheet: None, row: 2, cells: &cells });
        let errors = item.row.unwrap_err();
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(errors[0].message.contains("超过该列上限"), "{}", errors[0].message);
        assert!(errors[0].value.chars().count() < ECHO_CHARS + 40);
        assert!(row_bytes(&ENTERPRISES, &mapping) < 4 << 20);
    }
}
