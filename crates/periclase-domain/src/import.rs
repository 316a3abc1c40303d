//! What an import carries between the file reader and the store.

use crate::{FieldError, Row};

/// Where a row came from, as the user sees it: the sheet and the 1-based row number that
/// Excel shows (the header is row 1).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowLocation {
    pub sheet: Option<String>,
    pub row: u64,
}

#[derive(Debug, Clone)]
pub struct ImportItem {
    pub location: RowLocation,
    /// The validated row, or why it failed validation.
    pub row: Result<Row, Vec<FieldError>>,
}

/// One rejected cell or row, for the error report.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct RowIssue {
    pub location: RowLocation,
    /// The Chinese column label, when the problem is one cell.
    pub column: Option<String>,
    pub value: String,
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default)]
pub struct ImportOptions {
    /// Write the valid rows and report the rest (default: all or nothing).
    pub partial: bool,
    /// Check everything and count what would change, then roll back (the upload preview).
    pub dry_run: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct ImportOutcome {
    pub read: u64,
    pub inserted: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub rejected: u64,
    pub committed: bool,
}
