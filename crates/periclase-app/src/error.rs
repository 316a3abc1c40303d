//! What a use case can answer besides its result; each front end words it for its users
//! (the web as an HTTP status, the CLI as a message).

use periclase_store::StoreError;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The request itself is wrong (an unknown tier, a year that is not a year…).
    #[error("{0}")]
    BadRequest(String),
    /// No such thing (a registry name, a record).
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Search(#[from] periclase_search::SearchError),
}
