use periclase_domain::{Row, Scope};

#[derive(Debug, Clone, Default)]
pub struct ListQuery {
    /// Keyword: substring of the registry's search fields.
    pub q: Option<String>,
    /// GB/T 2260 prefix ("21", "2103", "210381"; "210300" means the same as "2103").
    pub region: Option<String>,
    /// Enterprises only: a tier or honour (code or Chinese label).
    pub tier: Option<String>,
    pub year: Option<i64>,
    /// Enterprises only: GB/T 4754 code prefix ("C30", "C3089").
    pub industry: Option<String>,
    /// Most recently changed first (no keyset paging), for "recent changes".
    pub recent: bool,
    /// Keyset cursor: rows with id greater than this.
    pub after: Option<i64>,
    pub limit: Option<u32>,
    /// The rows the asker may see; `None` means all (the CLI, an admin).
    pub scope: Option<Scope>,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Record {
    pub id: i64,
    pub row: Row,
}

#[derive(Debug, Clone, serde::Serialize)]
pub struct ListPage {
    pub records: Vec<Record>,
    /// Cursor for the next page, when there is one.
    pub next: Option<i64>,
    /// Rows matching the filters, all pages together.
    pub total: u64,
}
