//! Which rows of a registry someone may see or change, described without SQL: the auth
//! rules decide it, the store turns it into a filter.

/// The rows of one registry someone may see or change.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    /// Rows whose region — or whose enterprise's region — starts with this prefix.
    Region(String),
    /// Rows of one enterprise (USCC).
    Enterprise(String),
    /// Achievements of one institution.
    Institution(String),
    /// One talent's own rows (talent code).
    Talent(String),
    Nothing,
}
