//! The error report written beside an imported file: sheet, row, column, value, reason —
//! one line per problem, streamed (a file with a million bad rows still gets its report).

use std::path::{Path, PathBuf};

use periclase_domain::RowIssue;

use crate::export::{Exporter, Format};
use crate::IoError;

const HEADER: [&str; 5] = ["工作表", "行号", "列", "值", "原因"];

/// `企业.xlsx` → `企业.errors.xlsx`; `企业.csv` → `企业.errors.csv`.
pub fn report_path(input: &Path) -> PathBuf {
    let stem = input.file_stem().and_then(|s| s.to_str()).unwrap_or("import");
    let ext = match input.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("xlsx" | "xlsm" | "xls" | "ods") => "xlsx",
        _ => "csv",
    };
    input.with_file_name(format!("{stem}.errors.{ext}"))
}

#[derive(Debug)]
pub struct ErrorReport {
    path: PathBuf,
    writer: Option<Exporter>,
    count: u64,
}

impl ErrorReport {
    /// A report for `input`; the file is created on the first issue, and a stale report
    /// from an earlier run is removed so it cannot be mistaken for this one.
    pub fn for_input(input: &Path) -> ErrorReport {
        let path = report_path(input);
        let _ = std::fs::remove_file(&path);
        ErrorReport { path, writer: None, count: 0 }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn add(&mut self, issue: &RowIssue) -> Result<(), IoError> {
        if self.writer.is_none() {
            let format = if self.path.extension().is_some_and(|e| e == "xlsx") { Format::Xlsx } else { Format::Csv };
            let mut w = Exporter::create_plain(&self.path, format, "错误报告")?;
            w.write_texts(&HEADER.map(String::from))?;
            self.writer = Some(w);
        }
        let row = [
            issue.location.sheet.clone().unwrap_or_default(),
            issue.location.row.to_string(),
            issue.column.clone().unwrap_or_default(),
            issue.value.clone(),
            issue.reason.clone(),
        ];
        self.count += 1;
        self.writer.as_mut().expect("created above").write_texts(&row)
    }

    /// Closes the report; returns its path when there was anything to report.
    pub fn finish(self) -> Result<Option<PathBuf>, IoError> {
        match self.writer {
            Some(w) => {
                w.finish()?;
                Ok(Some(self.path))
            }
            None => Ok(None),
        }
    }
}
