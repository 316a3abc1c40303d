//! `POST /api/login`, `POST /api/logout`, `GET /api/me`.

use axum::extract::rejection::JsonRejection;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use periclase_auth::{password, token, Principal};
use periclase_store::{Accounts, LoginGate};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, Session, SESSION_MINUTES};
use crate::throttle::{self, ClientAddress, LOGIN_THROTTLE};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/login", post(login)).route("/api/logout", post(logout)).route("/api/me", get(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
pub(crate) struct Credentials {
    username: String,
    password: String,
}

fn who(p: &Principal, csrf: &str) -> Value {
    json!({
        "username": p.username,
        "display_name": p.display_name,
        "role": p.role.code(),
        "role_label": p.role.label(),
        "region": p.region,
        "enterprise": p.enterprise,
        "institution": p.institution,
        "talent": p.talent,
        "csrf_token": csrf,
    })
}

/// Checks a username and password (throttled by account and client address, see
/// [`crate::throttle`]; timing-safe for unknown users) and starts a session: the principal,
/// the session token and its CSRF token. Unknown users and disabled accounts answer exactly
/// like a wrong password. Blocking (Argon2).
pub(crate) fn authenticate(
    accounts: &dyn Accounts,
    address: &ClientAddress,
    username: &str,
    pass: &str,
) -> Result<(Principal, String, String), ApiError> {
    let username = username.trim();
    // Refused before anything is written or hashed.
    if let Some(m) = throttle::oversized(username, pass) {
        return Err(ApiError::BadRequest(m));
    }
    // Recorded as a failure now, in the same transaction as the check, and forgotten below
    // if the password matches.
    if let LoginGate::Wait { seconds } = accounts.begin_login(username, &address.0, &LOGIN_THROTTLE)? {
        return Err(ApiError::TooManyAttempts { retry_after_secs: seconds });
    }
    let wrong = || ApiError::Forbidden("用户名或密码错误".to_string());
    let Some((account, hash)) = accounts.account_for_login(username)? else {
        // Verify against a hash even for unknown users, so timing does not reveal them.
        password::verify(pass, password::dummy_hash());
        return Err(wrong());
    };
    // A disabled account is checked like any other, so neither the answer nor its timing
    // tells a guesser that the account exists or that the password was right.
    if !password::verify(pass, &hash) || account.disabled {
        return Err(wrong());
    }
    accounts.login_succeeded(username, &address.0)?;
    let principal =
        auth::principal(&account).ok_or_else(|| ApiError::Internal(format!("unknown role {}", account.role)))?;
    let session_token = token::new_token();
    let csrf = token::new_token();
    accounts.create_session(account.id, &token::digest(&session_token), &csrf, SESSION_MINUTES)?;
    Ok((principal, session_token, csrf))
}

/// 登录
#[utoipa::path(post, path = "/api/login", operation_id = "login", security(()), request_body = Credentials,
    responses(
        (status = 200, description = "已登录；响应含 csrf_token，并设置会话 Cookie", body = Object),
        (status = 400, description = "请求体不是含 username 和 password 的 JSON", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "用户名或密码错误", body = crate::routes::openapi::ErrorBody),
        (status = 429, description = "登录尝试过于频繁：本地址或本账号近15分钟内失败过多，按 Retry-After 头所示秒数后再试", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn login(
    State(state): State<AppState>,
    address: ClientAddress,
    body: Result<Json<Credentials>, JsonRejection>,
) -> Result<Response, ApiError> {
    let c = match body {
        Ok(Json(c)) => c,
        Err(rejection) => return Ok(body_refused(&rejection)),
    };
    let accounts = state.accounts.clone();
    let (principal, session_token, csrf) =
        tokio::task::spawn_blocking(move || authenticate(accounts.as_ref(), &address, &c.username, &c.password))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(([(SET_COOKIE, auth::session_cookie(&session_token))], Json(who(&principal, &csrf))).into_response())
}

/// A login body axum could not read, answered like every other error: `{code, message}` in
/// Chinese, with the rejection's status.
fn body_refused(rejection: &JsonRejection) -> Response {
    let message = match rejection {
        JsonRejection::MissingJsonContentType(_) => "登录请求须为 JSON（Content-Type: application/json）",
        JsonRejection::JsonSyntaxError(_) => "登录请求不是合法的 JSON",
        JsonRejection::JsonDataError(_) => "登录请求须含字符串字段 username 和 password",
        _ => "无法读取登录请求（请求体过大或不完整）",
    };
    (rejection.status(), Json(json!({ "code": "bad_request", "message": message }))).into_response()
}

/// 退出
#[utoipa::path(post, path = "/api/logout", operation_id = "logout", params(crate::routes::openapi::Csrf),
    responses(
        (status = 200, description = "已退出", body = Object),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
        (status = 403, description = "CSRF 令牌错误", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn logout(
    State(state): State<AppState>,
    session: Session,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    session.check_csrf(&headers)?;
    let accounts = state.accounts.clone();
    tokio::task::spawn_blocking(move || accounts.delete_session(&session.digest))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(([(SET_COOKIE, auth::clear_cookie())], Json(json!({ "status": "ok" }))).into_response())
}

/// 当前用户
#[utoipa::path(get, path = "/api/me", operation_id = "me",
    responses(
        (status = 200, description = "当前用户及 CSRF 令牌", body = Object),
        (status = 401, description = "未登录", body = crate::routes::openapi::ErrorBody),
    ))]
pub(crate) async fn me(session: Session) -> Json<Value> {
    Json(who(&session.principal, &session.csrf))
}
