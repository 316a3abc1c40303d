//! The one HTTP error type: a stable `code`, a Chinese `message`; internals logged once,
//! never shown.

use axum::http::header::RETRY_AFTER;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use periclase_domain::FieldError;
use periclase_store::StoreError;

#[derive(Debug)]
pub enum ApiError {
    /// No valid session: log in first.
    Unauthenticated,
    /// Logged in, but this is not yours to see or do (or the CSRF token is missing).
    Forbidden(String),
    /// Login throttled: try again in this many seconds (sent as `Retry-After`).
    TooManyAttempts {
        retry_after_secs: i64,
    },
    NotFound(String),
    BadRequest(String),
    /// The record already exists.
    Conflict(String),
    /// Field-level validation failures, each naming its field and value.
    Invalid(Vec<FieldError>),
    Internal(String),
    /// Another writer (a long import) holds the database, or the database server cannot be
    /// reached (a restart): nothing was done, retry shortly (503 with `Retry-After`). Why, in
    /// Chinese.
    Busy(String),
}

/// Seconds a client is asked to wait before retrying when the database is busy.
pub const BUSY_RETRY_SECS: u32 = 5;

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message) = match self {
            ApiError::Unauthenticated => {
                (StatusCode::UNAUTHORIZED, "unauthenticated", "请先登录（会话不存在或已过期）".to_string())
            }
            ApiError::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m),
            ApiError::TooManyAttempts { retry_after_secs } => {
                let secs = retry_after_secs.max(1);
                let body =
                    serde_json::json!({ "code": "too_many_attempts", "message": crate::throttle::message(secs) });
                return (StatusCode::TOO_MANY_REQUESTS, [(RETRY_AFTER, secs.to_string())], Json(body)).into_response();
            }
            ApiError::NotFound(m) => (StatusCode::NOT_FOUND, "not_found", m),
            ApiError::Invalid(errors) => {
                let message = errors.iter().map(|e| e.to_string()).collect::<Vec<_>>().join("；");
                let body = serde_json::json!({ "code": "invalid", "message": message, "errors": errors });
                return (StatusCode::UNPROCESSABLE_ENTITY, Json(body)).into_response();
            }
            ApiError::BadRequest(m) => (StatusCode::BAD_REQUEST, "bad_request", m),
            ApiError::Conflict(m) => (StatusCode::CONFLICT, "conflict", m),
            ApiError::Busy(reason) => {
                let message = format!("{reason}（约 {BUSY_RETRY_SECS} 秒后）");
                let body = serde_json::json!({ "code": "busy", "message": message });
                let retry = [(axum::http::header::RETRY_AFTER, BUSY_RETRY_SECS.to_string())];
                return (StatusCode::SERVICE_UNAVAILABLE, retry, Json(body)).into_response();
            }
            ApiError::Internal(detail) => {
                tracing::error!(%detail, "internal error");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误，请稍后重试或联系管理员".to_string())
            }
        };
        (status, Json(serde_json::json!({ "code": code, "message": message }))).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::BadQuery(m) => ApiError::BadRequest(m),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            StoreError::Invalid(errors) => ApiError::Invalid(errors),
            StoreError::Forbidden(m) => ApiError::Forbidden(m),
            StoreError::NotFound(m) => ApiError::NotFound(m),
            e @ (StoreError::Busy | StoreError::Unavailable | StoreError::CommitUnknown) => {
                ApiError::Busy(e.to_string())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

impl From<periclase_app::AppError> for ApiError {
    fn from(e: periclase_app::AppError) -> Self {
        match e {
            periclase_app::AppError::BadRequest(m) => ApiError::BadRequest(m),
            periclase_app::AppError::NotFound(m) => ApiError::NotFound(m),
            periclase_app::AppError::Store(e) => e.into(),
            periclase_app::AppError::Search(periclase_search::SearchError::BadQuery(m)) => ApiError::BadRequest(m),
            periclase_app::AppError::Search(e) => ApiError::Internal(e.to_string()),
        }
    }
}
