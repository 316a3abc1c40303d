//! Periclase import and export of registry files.
//!
//! Reading: CSV (UTF-8, UTF-8 with BOM, GBK/GB18030 — detected, or forced) and Excel
//! (xlsx streamed cell by cell; xls/ods read whole). Headers may be Chinese or English;
//! unknown and missing columns are errors before any row is read. Rows are validated on a
//! reader thread and handed over as [`ImportItem`](periclase_domain::ImportItem)s.
//!
//! Writing: CSV (UTF-8 with BOM, so Excel opens it) and xlsx in constant-memory mode, both
//! streaming; and the `<file>.errors.csv|xlsx` report of rejected rows.

mod encoding;
mod error;
mod export;
mod report;
mod source;
mod table;
mod zip_guard;

pub use encoding::{detect_encoding, encoding_from_label};
pub use error::IoError;
pub use export::{write_table, Exporter, Format};
pub use report::{report_path, ErrorReport};
pub use source::{open_import, ImportSource, ReadOptions};
pub use table::FileKind;
