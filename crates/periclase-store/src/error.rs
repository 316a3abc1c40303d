#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// A filter the user gave is not valid (bad region prefix, unknown tier…).
    #[error("{0}")]
    BadQuery(String),
    /// The record's fields are not acceptable (a reference to a missing parent…).
    #[error("{}", .0.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；"))]
    Invalid(Vec<periclase_domain::FieldError>),
    /// Not the writer's to write.
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    NotFound(String),
    /// The write would clash with an existing record (a username already taken…).
    #[error("{0}")]
    Conflict(String),
    #[error("数据库版本 {found} 比本程序支持的 {supported} 更新，请升级 Periclase")]
    TooNew { found: i64, supported: i64 },
    /// Another writer (a long import, say) held the database past the busy timeout: nothing
    /// was written, and the same request may simply be sent again a little later.
    #[error("数据库正忙（另一项写入，例如大批量导入，正在进行），本次操作未执行，请稍后重试")]
    Busy,
    #[error("数据库错误：{0}")]
    Sqlite(rusqlite::Error),
    /// Raised by an export callback (e.g. a failed file write) to stop the stream.
    #[error("{0}")]
    Sink(String),
}

impl StoreError {
    /// The database was busy: worth retrying later, not a fault.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy)
    }
}

/// SQLite's "busy" and "locked" (a writer held the lock past the busy timeout) become
/// [`StoreError::Busy`]; everything else stays an SQLite error.
impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked) => StoreError::Busy,
            _ => StoreError::Sqlite(e),
        }
    }
}
