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
    /// The database server could not be reached, or closed the connection (a restart, a
    /// fail-over): nothing of this operation was committed, and it may be sent again.
    #[error("数据库暂时无法连接（可能正在重启或切换），本次操作未执行，请稍后重试")]
    Unavailable,
    /// The connection was lost while the commit was on its way: the server may have
    /// committed the operation or not, and nothing here can tell. Not retried blindly
    /// (a retry could do it twice): the user is asked to look first.
    #[error("保存时与数据库的连接中断，无法确认本次修改是否已经保存：请刷新页面查看，确认没有保存后再重做")]
    CommitUnknown,
    #[error("数据库错误：{0}")]
    Sqlite(rusqlite::Error),
    #[error("数据库错误：{0}")]
    Postgres(postgres::Error),
    /// Raised by an export callback (e.g. a failed file write) to stop the stream.
    #[error("{0}")]
    Sink(String),
}

impl StoreError {
    /// The database was busy: worth retrying later, not a fault.
    pub fn is_busy(&self) -> bool {
        matches!(self, StoreError::Busy | StoreError::Unavailable)
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

/// PostgreSQL's answers mapped as SQLite's are: a lock or serialisation conflict is
/// [`StoreError::Busy`]; a lost or refused connection [`StoreError::Unavailable`]; a row the
/// schema's triggers refuse (the audit log, the award ledger, a decided declaration) is
/// [`StoreError::Forbidden`] with the trigger's Chinese message.
impl From<postgres::Error> for StoreError {
    fn from(e: postgres::Error) -> Self {
        use postgres::error::SqlState;
        match e.code() {
            Some(c)
                if *c == SqlState::T_R_SERIALIZATION_FAILURE
                    || *c == SqlState::T_R_DEADLOCK_DETECTED
                    || *c == SqlState::LOCK_NOT_AVAILABLE =>
            {
                StoreError::Busy
            }
            Some(c)
                if *c == SqlState::ADMIN_SHUTDOWN
                    || *c == SqlState::CRASH_SHUTDOWN
                    || *c == SqlState::CANNOT_CONNECT_NOW
                    || *c == SqlState::TOO_MANY_CONNECTIONS =>
            {
                StoreError::Unavailable
            }
            Some(c) if *c == SqlState::RESTRICT_VIOLATION => {
                StoreError::Forbidden(e.as_db_error().map_or_else(|| e.to_string(), |d| d.message().to_string()))
            }
            None if e.is_closed() || lost_connection(&e) => StoreError::Unavailable,
            _ => StoreError::Postgres(e),
        }
    }
}

/// The connection failed below SQL: refused, reset, timed out.
fn lost_connection(e: &postgres::Error) -> bool {
    std::error::Error::source(e).is_some_and(|s| s.is::<std::io::Error>())
}
