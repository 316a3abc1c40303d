//! Columns of subjects (enterprises or projects) keyed by field path, as the store hands
//! them to the policy engine: one value per row, `None` where nothing was reported.

use std::collections::HashMap;

/// One column of input, a value per row (`None`: not reported).
#[derive(Debug, Clone, PartialEq)]
pub enum Column {
    Num(Vec<Option<f64>>),
    Text(Vec<Option<String>>),
    Bool(Vec<Option<bool>>),
    /// Day numbers (days since 1970-01-01).
    Date(Vec<Option<i32>>),
    List(Vec<Option<Vec<String>>>),
}

impl Column {
    pub fn len(&self) -> usize {
        match self {
            Column::Num(v) => v.len(),
            Column::Text(v) => v.len(),
            Column::Bool(v) => v.len(),
            Column::Date(v) => v.len(),
            Column::List(v) => v.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether row `i` has a value.
    pub fn known(&self, i: usize) -> bool {
        match self {
            Column::Num(v) => v[i].is_some(),
            Column::Text(v) => v[i].is_some(),
            Column::Bool(v) => v[i].is_some(),
            Column::Date(v) => v[i].is_some(),
            Column::List(v) => v[i].is_some(),
        }
    }
}

/// The rows a batch evaluates: columns by field path (`enterprise.revenue`).
#[derive(Debug, Clone, Default)]
pub struct Frame {
    pub len: usize,
    pub columns: HashMap<String, Column>,
}

impl Frame {
    pub fn new(len: usize) -> Frame {
        Frame { len, columns: HashMap::new() }
    }

    /// Adds a column; its length must be the frame's.
    pub fn with(mut self, path: &str, column: Column) -> Frame {
        assert_eq!(column.len(), self.len, "column {path} has the frame's length");
        self.columns.insert(path.to_string(), column);
        self
    }
}

/// The items of `v` whose flag in `keep` is true, in order.
fn keep_rows<T>(v: &mut Vec<T>, keep: &[bool]) {
    let mut flags = keep.iter();
    v.retain(|_| flags.next().copied().unwrap_or(false));
}

impl Column {
    /// The rows whose `keep` is true, in order.
    pub fn retain(&mut self, keep: &[bool]) {
        match self {
            Column::Num(v) => keep_rows(v, keep),
            Column::Text(v) => keep_rows(v, keep),
            Column::Bool(v) => keep_rows(v, keep),
            Column::Date(v) => keep_rows(v, keep),
            Column::List(v) => keep_rows(v, keep),
        }
    }
}

impl SubjectFrame {
    /// Keeps the subjects whose `keep` is true (one flag per row), every column alike.
    pub fn retain(&mut self, keep: &[bool]) {
        assert_eq!(keep.len(), self.frame.len, "one flag per row");
        keep_rows(&mut self.ids, keep);
        keep_rows(&mut self.keys, keep);
        keep_rows(&mut self.names, keep);
        keep_rows(&mut self.regions, keep);
        keep_rows(&mut self.owners, keep);
        for c in self.frame.columns.values_mut() {
            c.retain(keep);
        }
        self.frame.len = self.ids.len();
    }
}

/// Whom a policy evaluates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubjectKind {
    Enterprise,
    /// A project, with its owner's fields as `enterprise.*`.
    Project,
    /// A 首台（套）/首批次 insurance policy, with its enterprise's fields as `enterprise.*`.
    FirstSet,
}

/// What the store reads for a batch or a single evaluation.
#[derive(Debug, Clone)]
pub struct FrameRequest {
    pub subject: SubjectKind,
    /// Field paths the policies read (`enterprise.revenue`, `project.stage`…).
    pub paths: Vec<String>,
    /// The data year of yearly figures; `None`: the latest year anyone reported.
    pub year: Option<i64>,
    /// Only subjects in this region (GB/T 2260 prefix).
    pub region: Option<String>,
    /// Only these subjects (USCCs, project codes or insurance policy numbers).
    pub keys: Option<Vec<String>>,
}

/// The subjects read, in row order, and their columns.
#[derive(Debug, Clone, Default)]
pub struct SubjectFrame {
    pub ids: Vec<i64>,
    /// USCC, project code or insurance policy number.
    pub keys: Vec<String>,
    pub names: Vec<String>,
    pub regions: Vec<String>,
    /// For projects and insurance policies, the enterprise's USCC.
    pub owners: Vec<Option<String>>,
    /// The data year used for yearly figures.
    pub year: Option<i64>,
    pub frame: Frame,
}
