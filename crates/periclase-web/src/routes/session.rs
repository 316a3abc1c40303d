//! `POST /api/login`, `POST /api/logout`, `GET /api/me`.

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use periclase_auth::{password, token, Principal};
use periclase_store::Accounts;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{self, Session, MAX_FAILURES, SESSION_MINUTES, THROTTLE_MINUTES};
use crate::{ApiError, AppState};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/login", post(login)).route("/api/logout", post(logout)).route("/api/me", get(me))
}

#[derive(Deserialize)]
struct Credentials {
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

/// Checks a username and password (throttled, timing-safe for unknown users) and starts a
/// session: the principal, the session token and its CSRF token. Blocking (Argon2).
pub(crate) fn authenticate(
    accounts: &dyn Accounts,
    username: &str,
    pass: &str,
) -> Result<(Principal, String, String), ApiError> {
    let username = username.trim();
    if accounts.recent_login_failures(username, THROTTLE_MINUTES)? >= MAX_FAILURES {
        return Err(ApiError::TooManyAttempts);
    }
    let Some((account, hash)) = accounts.account_for_login(username)? else {
        // Verify against a hash even for unknown users, so timing does not reveal them.
        password::verify(pass, password::dummy_hash());
        accounts.record_login_failure(username)?;
        return Err(ApiError::Forbidden("用户名或密码错误".to_string()));
    };
    if account.disabled || !password::verify(pass, &hash) {
        accounts.record_login_failure(username)?;
        let msg = if account.disabled { "该账号已停用，请联系管理员" } else { "用户名或密码错误" };
        return Err(ApiError::Forbidden(msg.to_string()));
    }
    accounts.clear_login_failures(username)?;
    let principal =
        auth::principal(&account).ok_or_else(|| ApiError::Internal(format!("unknown role {}", account.role)))?;
    let session_token = token::new_token();
    let csrf = token::new_token();
    accounts.create_session(account.id, &token::digest(&session_token), &csrf, SESSION_MINUTES)?;
    Ok((principal, session_token, csrf))
}

async fn login(State(state): State<AppState>, Json(c): Json<Credentials>) -> Result<Response, ApiError> {
    let accounts = state.accounts.clone();
    let (principal, session_token, csrf) =
        tokio::task::spawn_blocking(move || authenticate(accounts.as_ref(), &c.username, &c.password))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(([(SET_COOKIE, auth::session_cookie(&session_token))], Json(who(&principal, &csrf))).into_response())
}

async fn logout(State(state): State<AppState>, session: Session, headers: HeaderMap) -> Result<Response, ApiError> {
    session.check_csrf(&headers)?;
    let accounts = state.accounts.clone();
    tokio::task::spawn_blocking(move || accounts.delete_session(&session.digest))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    Ok(([(SET_COOKIE, auth::clear_cookie())], Json(json!({ "status": "ok" }))).into_response())
}

async fn me(session: Session) -> Json<Value> {
    Json(who(&session.principal, &session.csrf))
}
