//! The login form. Before a session exists, a double-submit cookie guards the form against
//! cross-site login.

use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Redirect, Response};
use axum::Form;
use maud::html;
use periclase_auth::token;
use serde::Deserialize;

use super::layout;
use super::PageSession;
use crate::auth::{self, Session};
use crate::routes::session::authenticate;
use crate::throttle::{self, ClientAddress};
use crate::{ApiError, AppState};

const LOGIN_COOKIE: &str = "periclase_login";

fn render(status: StatusCode, error: Option<&str>, username: &str) -> Response {
    let guard = token::new_token();
    let body = layout::bare(
        "登录",
        html! {
            div.login {
                h1 { "Periclase 产业大脑" }
                p.muted { "请使用工作账号登录" }
                @if let Some(e) = error { div.alert.bad role="alert" { (e) } }
                form method="post" action="/login" {
                    input type="hidden" name="guard" value=(guard);
                    label { "用户名" input name="username" value=(username) autocomplete="username" required autofocus; }
                    label { "密码" input name="password" type="password" autocomplete="current-password" required; }
                    button.primary type="submit" { "登录" }
                }
            }
        },
    );
    let cookie = format!("{LOGIN_COOKIE}={guard}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=1800");
    (status, AppendHeaders([(SET_COOKIE, cookie)]), body).into_response()
}

pub async fn form() -> Response {
    render(StatusCode::OK, None, "")
}

#[derive(Deserialize)]
pub struct LoginForm {
    guard: String,
    username: String,
    password: String,
}

pub async fn submit(
    State(state): State<AppState>,
    address: ClientAddress,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Response {
    if auth::cookie(&headers, LOGIN_COOKIE).is_none_or(|c| !token::same(&c, &f.guard)) {
        return render(StatusCode::FORBIDDEN, Some("登录页面已过期，请重新输入"), &f.username);
    }
    let accounts = state.accounts.clone();
    let (username, password) = (f.username.clone(), f.password);
    let result =
        tokio::task::spawn_blocking(move || authenticate(accounts.as_ref(), &address, &username, &password)).await;
    match result {
        Ok(Ok((_, session_token, _))) => (
            AppendHeaders([
                (SET_COOKIE, auth::session_cookie(&session_token)),
                (SET_COOKIE, format!("{LOGIN_COOKIE}=; Path=/login; Max-Age=0")),
            ]),
            Redirect::to("/"),
        )
            .into_response(),
        Ok(Err(ApiError::Forbidden(m))) => render(StatusCode::FORBIDDEN, Some(&m), &f.username),
        Ok(Err(ApiError::TooManyAttempts { retry_after_secs })) => {
            let secs = retry_after_secs.max(1);
            let page = render(StatusCode::TOO_MANY_REQUESTS, Some(&throttle::message(secs)), &f.username);
            (AppendHeaders([(RETRY_AFTER, secs.to_string())]), page).into_response()
        }
        // Oversized fields: the form again, without echoing a huge username back.
        Ok(Err(ApiError::BadRequest(m))) => render(StatusCode::BAD_REQUEST, Some(&m), ""),
        Ok(Err(e)) => e.into_response(),
        Err(e) => ApiError::Internal(e.to_string()).into_response(),
    }
}

#[derive(Deserialize)]
pub struct LogoutForm {
    csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    PageSession(session): PageSession,
    Form(f): Form<LogoutForm>,
) -> Response {
    if let Err(e) = session.check_csrf_value(&f.csrf) {
        return e.into_response();
    }
    let Session { digest, .. } = session;
    let accounts = state.accounts.clone();
    if let Err(e) = tokio::task::spawn_blocking(move || accounts.delete_session(&digest)).await {
        return ApiError::Internal(e.to_string()).into_response();
    }
    (AppendHeaders([(SET_COOKIE, auth::clear_cookie())]), Redirect::to("/login")).into_response()
}
