//! Streaming the rows of a CSV or spreadsheet file as text cells.

use std::cell::Cell;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::Path;

use calamine::{open_workbook_auto, Data, DataRef, Reader, Xlsx};
use csv::StringRecord;
use encoding_rs::Encoding;
use encoding_rs_io::DecodeReaderBytesBuilder;

use crate::zip_guard::check_workbook;
use crate::{detect_encoding, IoError};

/// The longest a row may be before the header is known (the header row itself).
pub(crate) const HEADER_ROW_BYTES: usize = 1 << 20;
/// Excel's last column (XFD).
const MAX_COLUMNS: usize = 16_384;
/// .xls, .ods and .xlsb are read whole by calamine (no streaming reader): their file size.
const WHOLE_FILE_MAX_BYTES: u64 = 16 << 20;
/// What the CSV reader buffers ahead of the record it is parsing.
const CSV_BUFFER: usize = 256 * 1024;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    Csv,
    Xlsx,
    /// .xls and .ods: read whole (no streaming reader exists for them).
    OtherSpreadsheet,
}

impl FileKind {
    pub fn from_path(path: &Path) -> Result<FileKind, IoError> {
        let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
        match ext.as_str() {
            "csv" | "txt" => Ok(FileKind::Csv),
            "xlsx" | "xlsm" => Ok(FileKind::Xlsx),
            "xls" | "ods" | "xlsb" => Ok(FileKind::OtherSpreadsheet),
            other => Err(IoError::UnsupportedKind(other.to_string())),
        }
    }
}

/// One row as read: the sheet (spreadsheets only), the row number Excel shows, the cells
/// (borrowed: the reader reuses one record, so reading allocates nothing per row).
#[derive(Debug)]
pub(crate) struct RawRow<'a> {
    pub sheet: Option<&'a str>,
    pub row: u64,
    pub cells: &'a StringRecord,
}

/// Calls `each` for every row (header included) until it returns false.
///
/// No row longer than `max_row` bytes (its cells together) is ever held: reading fails with
/// [`IoError::RowTooLong`] instead. The caller may change the bound between rows (once the
/// header says which columns hold which fields).
pub(crate) fn read_rows(
    path: &Path,
    encoding: Option<&'static Encoding>,
    sheet: Option<&str>,
    max_row: &Cell<usize>,
    each: &mut dyn FnMut(RawRow<'_>) -> bool,
) -> Result<(), IoError> {
    match FileKind::from_path(path)? {
        FileKind::Csv => read_csv(path, encoding, max_row, each),
        FileKind::Xlsx => read_xlsx(path, sheet, max_row, each),
        FileKind::OtherSpreadsheet => read_other(path, sheet, max_row, each),
    }
}

/// Between the decoder and the CSV parser: fails once the record being parsed (which began
/// at byte `record_start` of the decoded text) has grown past `max_row` bytes, so a file
/// without line breaks or with an unclosed quote never becomes one huge record in memory.
struct RecordLimit<'a, R> {
    inner: R,
    delivered: u64,
    record_start: &'a Cell<u64>,
    max_row: &'a Cell<usize>,
    hit: &'a Cell<bool>,
}

impl<R: Read> Read for RecordLimit<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        // The parser may hold up to its buffer of bytes not yet parsed.
        let allowed = (self.max_row.get() + CSV_BUFFER) as u64;
        if self.delivered - self.record_start.get() > allowed {
            self.hit.set(true);
            return Err(std::io::Error::other("row too long"));
        }
        let n = self.inner.read(buf)?;
        self.delivered += n as u64;
        Ok(n)
    }
}

fn open(path: &Path) -> Result<File, IoError> {
    File::open(path).map_err(|source| IoError::Open { path: path.to_path_buf(), source })
}

fn read_csv(
    path: &Path,
    encoding: Option<&'static Encoding>,
    max_row: &Cell<usize>,
    each: &mut dyn FnMut(RawRow<'_>) -> bool,
) -> Result<(), IoError> {
    let encoding = match encoding {
        Some(e) => e,
        None => {
            let mut head = Vec::with_capacity(64 * 1024);
            open(path)?
                .take(64 * 1024)
                .read_to_end(&mut head)
                .map_err(|source| IoError::Open { path: path.to_path_buf(), source })?;
            detect_encoding(&head)
        }
    };
    let decoded = DecodeReaderBytesBuilder::new()
        .encoding(Some(encoding))
        .bom_override(true)
        .build(BufReader::with_capacity(256 * 1024, open(path)?));
    let (record_start, hit) = (Cell::new(0u64), Cell::new(false));
    let limited = RecordLimit { inner: decoded, delivered: 0, record_start: &record_start, max_row, hit: &hit };
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).flexible(true).buffer_capacity(CSV_BUFFER).from_reader(limited);
    let mut record = csv::StringRecord::new();
    let mut row = 0u64;
    loop {
        row += 1;
        let read = reader.read_record(&mut record);
        record_start.set(reader.position().byte());
        match read {
            Ok(false) => return Ok(()),
            Ok(true) if record.as_slice().len() > max_row.get() => {
                return Err(IoError::RowTooLong { place: format!("CSV 第{row}行"), limit: max_row.get() });
            }
            Ok(true) => {
                if !each(RawRow { sheet: None, row, cells: &record }) {
                    return Ok(());
                }
            }
            Err(_) if hit.get() => {
                return Err(IoError::RowTooLong { place: format!("CSV 第{row}行"), limit: max_row.get() });
            }
            Err(e) => {
                let message = match e.kind() {
                    csv::ErrorKind::Utf8 { .. } => {
                        format!("含有无法按 {} 解码的字节，请用 --encoding 指定编码", encoding.name())
                    }
                    csv::ErrorKind::Io(io) => io.to_string(),
                    _ => e.to_string(),
                };
                return Err(IoError::Csv { row, message });
            }
        }
    }
}

fn excel_err(e: impl std::fmt::Display) -> IoError {
    IoError::Excel(e.to_string())
}

/// The sheets to read: the one asked for, or the first and its continuation sheets
/// ("企业库", "企业库(2)", …) that exports write past Excel's row limit.
fn sheets_to_read(names: &[String], asked: Option<&str>) -> Result<Vec<String>, IoError> {
    if let Some(s) = asked {
        return if names.iter().any(|n| n == s) {
            Ok(vec![s.to_string()])
        } else {
            Err(IoError::NoSuchSheet(s.to_string()))
        };
    }
    let Some(first) = names.first() else {
        return Ok(vec![]);
    };
    let mut out = vec![first.clone()];
    for n in 2.. {
        let next = format!("{first}({n})");
        if names.contains(&next) {
            out.push(next);
        } else {
            break;
        }
    }
    Ok(out)
}

fn read_xlsx(
    path: &Path,
    sheet: Option<&str>,
    max_row: &Cell<usize>,
    each: &mut dyn FnMut(RawRow<'_>) -> bool,
) -> Result<(), IoError> {
    check_workbook(path)?;
    let mut book: Xlsx<_> = Xlsx::new(BufReader::new(open(path)?)).map_err(excel_err)?;
    let names = book.sheet_names().to_vec();
    let mut record = StringRecord::new();
    for (i, name) in sheets_to_read(&names, sheet)?.into_iter().enumerate() {
        let mut cells = book.worksheet_cells_reader(&name).map_err(excel_err)?;
        let mut current: Option<(u32, Vec<String>)> = None;
        let mut row_bytes = 0usize;
        // Continuation sheets repeat the header; skip it.
        let mut skip_header = i > 0;
        let mut emit = |r: u32, row: &[String], record: &mut StringRecord| {
            record.clear();
            row.iter().for_each(|c| record.push_field(c));
            each(RawRow { sheet: Some(&name), row: u64::from(r) + 1, cells: record })
        };
        while let Some(cell) = cells.next_cell().map_err(excel_err)? {
            let (r, c) = cell.get_position();
            if current.as_ref().is_some_and(|(cr, _)| *cr != r) {
                let (cr, row) = current.take().expect("checked");
                row_bytes = 0;
                if !std::mem::take(&mut skip_header) && !emit(cr, &row, &mut record) {
                    return Ok(());
                }
            }
            let c = c as usize;
            if c >= MAX_COLUMNS {
                return Err(IoError::TooManyColumns {
                    sheet: name.clone(),
                    row: u64::from(r) + 1,
                    column: MAX_COLUMNS,
                });
            }
            let text = data_ref_text(cell.get_value());
            row_bytes += text.len();
            if row_bytes > max_row.get() {
                let place = format!("工作表「{name}」第{}行", u64::from(r) + 1);
                return Err(IoError::RowTooLong { place, limit: max_row.get() });
            }
            let (_, row) = current.get_or_insert_with(|| (r, Vec::new()));
            if row.len() <= c {
                row.resize(c + 1, String::new());
            }
            row[c] = text;
        }
        if let Some((cr, row)) = current {
            if !skip_header && !emit(cr, &row, &mut record) {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn read_other(
    path: &Path,
    sheet: Option<&str>,
    max_row: &Cell<usize>,
    each: &mut dyn FnMut(RawRow<'_>) -> bool,
) -> Result<(), IoError> {
    let size = std::fs::metadata(path).map_err(|source| IoError::Open { path: path.to_path_buf(), source })?.len();
    let ext = path.extension().and_then(|e| e.to_str()).unwrap_or("").to_ascii_lowercase();
    if size > WHOLE_FILE_MAX_BYTES {
        return Err(IoError::WholeFileTooLarge { kind: format!(".{ext}"), limit_mb: WHOLE_FILE_MAX_BYTES >> 20 });
    }
    if ext != "xls" {
        // .ods and .xlsb are zips too.
        check_workbook(path)?;
    }
    let mut book = open_workbook_auto(path).map_err(excel_err)?;
    let names = book.sheet_names().to_vec();
    let mut record = StringRecord::new();
    for (i, name) in sheets_to_read(&names, sheet)?.into_iter().enumerate() {
        let range = book.worksheet_range(&name).map_err(excel_err)?;
        let (r0, c0) = range.start().unwrap_or((0, 0));
        for (k, r) in range.rows().enumerate().skip(usize::from(i > 0)) {
            record.clear();
            (0..c0).for_each(|_| record.push_field(""));
            r.iter().for_each(|c| record.push_field(&data_text(c)));
            if record.as_slice().len() > max_row.get() {
                let place = format!("工作表「{name}」第{}行", u64::from(r0) + k as u64 + 1);
                return Err(IoError::RowTooLong { place, limit: max_row.get() });
            }
            if !each(RawRow { sheet: Some(&name), row: u64::from(r0) + k as u64 + 1, cells: &record }) {
                return Ok(());
            }
        }
    }
    Ok(())
}

fn float_text(f: f64) -> String {
    // Rust prints the shortest text that reads back as the same f64 (100.0 → "100").
    format!("{f}")
}

fn datetime_text(dt: &calamine::ExcelDateTime) -> String {
    if !dt.is_datetime() {
        return float_text(dt.as_f64());
    }
    let (y, mo, d, h, mi, s, ms) = dt.to_ymd_hms_milli();
    if h == 0 && mi == 0 && s == 0 && ms == 0 {
        format!("{y:04}-{mo:02}-{d:02}")
    } else {
        format!("{y:04}-{mo:02}-{d:02} {h:02}:{mi:02}:{s:02}")
    }
}

fn data_ref_text(v: &DataRef<'_>) -> String {
    match v {
        DataRef::Int(i) => i.to_string(),
        DataRef::Float(f) => float_text(*f),
        DataRef::String(s) => s.clone(),
        DataRef::SharedString(s) => (*s).to_string(),
        DataRef::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        DataRef::DateTime(dt) => datetime_text(dt),
        DataRef::DateTimeIso(s) | DataRef::DurationIso(s) => s.clone(),
        DataRef::Error(e) => excel_error_marker(e),
        DataRef::Empty => String::new(),
    }
}

fn data_text(v: &Data) -> String {
    match v {
        Data::Int(i) => i.to_string(),
        Data::Float(f) => float_text(*f),
        Data::String(s) => s.clone(),
        Data::Bool(b) => if *b { "是" } else { "否" }.to_string(),
        Data::DateTime(dt) => datetime_text(dt),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => excel_error_marker(e),
        Data::Empty => String::new(),
    }
}

/// Excel error cells (#N/A, #DIV/0!…) become this marker so the row is rejected rather than
/// the error text being stored as data.
pub(crate) const EXCEL_ERROR: char = '\u{0}';

fn excel_error_marker(e: &calamine::CellErrorType) -> String {
    format!("{EXCEL_ERROR}{e}")
}
