//! Streaming writers for exports (and for error reports).

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use periclase_domain::{display_cell, FieldKind, RegistrySpec, Row, Value};
use rust_xlsxwriter::{Format as CellFormat, Workbook, Worksheet};

use crate::IoError;

/// Excel's limits: rows per sheet and characters per cell.
const XLSX_MAX_ROWS: u32 = 1_048_576;
const XLSX_MAX_CELL_CHARS: usize = 32_767;

/// First characters that make a spreadsheet read a CSV cell as a formula (OWASP's list).
const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A CSV cell as written: one starting like a formula is prefixed with `'`, which Excel and
/// LibreOffice show as text (OWASP "CSV injection"). A cell already starting with `'` is
/// prefixed too, so that [`csv_cell_in`] undoes exactly this and export → import stays the
/// identity. Numbers need no exception: the numeric kinds (Count, Amount, Percent, Year) are
/// non-negative, so only text can start with `-`, and text is prefixed.
/// xlsx cells are typed (strings are written as strings), so xlsx needs none of this.
pub(crate) fn csv_cell_out(text: String) -> String {
    if text.starts_with(FORMULA_START) || text.starts_with('\'') {
        format!("'{text}")
    } else {
        text
    }
}

/// A CSV cell as read: one `'` before a formula character or another `'` is removed (what
/// [`csv_cell_out`] added). A lone `'` before anything else is the user's own and is kept.
pub(crate) fn csv_cell_in(text: &str) -> &str {
    match text.strip_prefix('\'') {
        Some(rest) if rest.starts_with(FORMULA_START) || rest.starts_with('\'') => rest,
        _ => text,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Xlsx,
}

impl std::str::FromStr for Format {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.to_ascii_lowercase().as_str() {
            "csv" => Ok(Format::Csv),
            "xlsx" | "excel" => Ok(Format::Xlsx),
            _ => Err(format!("不支持的导出格式「{s}」：可用 xlsx 或 csv")),
        }
    }
}

/// Writes rows to a CSV or xlsx file without holding them in memory.
pub struct Exporter {
    path: PathBuf,
    spec: Option<&'static RegistrySpec>,
    sink: Sink,
    rows: u64,
}

enum Sink {
    Csv(csv::Writer<BufWriter<File>>),
    Xlsx { book: Box<Workbook>, sheet_name: String, sheets: u32, row: u32, header: Vec<String>, bold: CellFormat },
}

impl std::fmt::Debug for Exporter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Exporter").field("path", &self.path).field("rows", &self.rows).finish()
    }
}

/// Excel forbids []:*?/\ in sheet names and allows 31 characters.
fn sheet_name(label: &str) -> String {
    let cleaned: String = label.chars().map(|c| if "[]:*?/\\".contains(c) { '、' } else { c }).collect();
    cleaned.chars().take(31).collect()
}

impl Exporter {
    /// An export of `spec`: Chinese column labels, values written as users type them.
    pub fn create(path: &Path, format: Format, spec: &'static RegistrySpec) -> Result<Exporter, IoError> {
        let mut e = Exporter::open(path, format, spec.label)?;
        e.spec = Some(spec);
        let header: Vec<String> = spec.fields.iter().map(|f| f.label.to_string()).collect();
        e.write_texts(&header)?;
        Ok(e)
    }

    /// A writer of plain text rows (the caller writes its own header).
    pub(crate) fn create_plain(path: &Path, format: Format, title: &str) -> Result<Exporter, IoError> {
        Exporter::open(path, format, title)
    }

    fn open(path: &Path, format: Format, title: &str) -> Result<Exporter, IoError> {
        let werr = |e: &dyn std::fmt::Display| IoError::Write { path: path.to_path_buf(), message: e.to_string() };
        let sink = match format {
            Format::Csv => {
                let mut file = BufWriter::with_capacity(256 * 1024, File::create(path).map_err(|e| werr(&e))?);
                // BOM: Excel opens BOM-marked UTF-8 correctly; without it, Chinese comes out garbled.
                file.write_all(b"\xEF\xBB\xBF").map_err(|e| werr(&e))?;
                Sink::Csv(csv::Writer::from_writer(file))
            }
            Format::Xlsx => {
                let mut book = Box::new(Workbook::new());
                let name = sheet_name(title);
                let ws = book.add_worksheet_with_constant_memory().map_err(|e| werr(&e))?;
                ws.set_name(&name).map_err(|e| werr(&e))?;
                Sink::Xlsx {
                    book,
                    sheet_name: name,
                    sheets: 1,
                    row: 0,
                    header: Vec::new(),
                    bold: CellFormat::new().set_bold(),
                }
            }
        };
        Ok(Exporter { path: path.to_path_buf(), spec: None, sink, rows: 0 })
    }

    /// Data rows written so far (the header is not counted).
    pub fn rows(&self) -> u64 {
        self.rows.saturating_sub(1)
    }

    pub(crate) fn write_texts(&mut self, cells: &[String]) -> Result<(), IoError> {
        let values: Vec<Value> = cells.iter().map(|s| Value::Text(s.clone())).collect();
        self.write_values(&values, None)
    }

    /// Writes one registry row (after the header that [`Exporter::create`] wrote).
    pub fn write_row(&mut self, row: &Row) -> Result<(), IoError> {
        let spec = self.spec;
        self.write_values(row, spec)
    }

    fn write_values(&mut self, row: &[Value], spec: Option<&'static RegistrySpec>) -> Result<(), IoError> {
        let is_header = self.rows == 0;
        self.rows += 1;
        let data_row = self.rows - 1;
        match &mut self.sink {
            Sink::Csv(w) => {
                let texts = row.iter().enumerate().map(|(i, v)| {
                    csv_cell_out(match spec {
                        Some(s) => display_cell(&s.fields[i], v),
                        None => v.to_string(),
                    })
                });
                w.write_record(texts).map_err(|e| IoError::Write { path: self.path.clone(), message: e.to_string() })
            }
            Sink::Xlsx { book, sheet_name, sheets, row: r, header, bold } => {
                let path = self.path.clone();
                let werr = |e: &dyn std::fmt::Display| IoError::Write { path: path.clone(), message: e.to_string() };
                if is_header {
                    *header = row.iter().map(|v| v.to_string()).collect();
                }
                if *r == XLSX_MAX_ROWS {
                    // Past Excel's row limit: continue on "<name>(2)", header repeated.
                    *sheets += 1;
                    let ws = book.add_worksheet_with_constant_memory().map_err(|e| werr(&e))?;
                    let n = format!("{}({})", sheet_name.chars().take(26).collect::<String>(), sheets);
                    ws.set_name(&n).map_err(|e| werr(&e))?;
                    write_header(ws, header, bold).map_err(|e| werr(&e))?;
                    *r = 1;
                }
                let ws = book.worksheet_from_index(*sheets as usize - 1).map_err(|e| werr(&e))?;
                for (c, v) in row.iter().enumerate() {
                    let col = c as u16;
                    let res = match (spec, v) {
                        (_, Value::Null) => continue,
                        // Numbers stay numbers in Excel (sortable, summable); booleans are
                        // written as 是/否, exactly as in CSV.
                        (Some(s), Value::Int(i)) if s.fields[c].kind != FieldKind::Bool => {
                            ws.write_number(*r, col, *i as f64)
                        }
                        (Some(_), Value::Real(x)) => ws.write_number(*r, col, *x),
                        (_, v) => {
                            let text = match spec {
                                Some(s) => display_cell(&s.fields[c], v),
                                None => v.to_string(),
                            };
                            let n = text.chars().count();
                            if n > XLSX_MAX_CELL_CHARS {
                                let label = spec.map_or(String::new(), |s| s.fields[c].label.to_string());
                                return Err(IoError::CellTooLong(format!(
                                    "第{}行「{label}」有{n}个字，超过 Excel 单元格上限{XLSX_MAX_CELL_CHARS}字；为免截断，请改用 --format csv 导出",
                                    data_row + 1
                                )));
                            }
                            if is_header {
                                ws.write_string_with_format(*r, col, &text, bold)
                            } else {
                                ws.write_string(*r, col, &text)
                            }
                        }
                    };
                    res.map_err(|e| werr(&e))?;
                }
                *r += 1;
                Ok(())
            }
        }
    }

    pub fn finish(self) -> Result<u64, IoError> {
        let rows = self.rows();
        match self.sink {
            Sink::Csv(mut w) => {
                w.flush().map_err(|e| IoError::Write { path: self.path.clone(), message: e.to_string() })?
            }
            Sink::Xlsx { mut book, .. } => {
                book.save(&self.path).map_err(|e| IoError::Write { path: self.path.clone(), message: e.to_string() })?
            }
        }
        Ok(rows)
    }
}

fn write_header(ws: &mut Worksheet, header: &[String], bold: &CellFormat) -> Result<(), rust_xlsxwriter::XlsxError> {
    for (c, h) in header.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, h, bold)?;
    }
    Ok(())
}

/// Writes a small table (a report, not a registry) to CSV or xlsx: a header row of labels,
/// then the rows, numbers as numbers. Returns the data rows written.
pub fn write_table(
    path: &Path,
    format: Format,
    title: &str,
    header: &[&str],
    rows: &[Vec<Value>],
) -> Result<u64, IoError> {
    let mut e = Exporter::create_plain(path, format, title)?;
    e.write_texts(&header.iter().map(|h| h.to_string()).collect::<Vec<_>>())?;
    for row in rows {
        e.write_values(row, None)?;
    }
    e.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_export_neutralises_formulas_and_import_undoes_it_exactly() {
        for (value, written) in [
            ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"),
            ("+1", "'+1"),
            ("-5", "'-5"),
            ("@SUM(A1)", "'@SUM(A1)"),
            ("\tx", "'\tx"),
            ("'=kept", "''=kept"),
            ("'70年代", "''70年代"),
            ("''", "'''"),
            ("'", "''"),
            ("营口", "营口"),
            ("", ""),
        ] {
            assert_eq!(csv_cell_out(value.to_string()), written);
            assert_eq!(csv_cell_in(written), value);
        }
        // Typed by a user (not exported by us): a quote before plain text stays.
        assert_eq!(csv_cell_in("'70年代"), "'70年代");
    }
}
