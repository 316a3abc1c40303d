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
    #[error("数据库错误：{0}")]
    Sqlite(#[from] rusqlite::Error),
    /// Raised by an export callback (e.g. a failed file write) to stop the stream.
    #[error("{0}")]
    Sink(String),
}
