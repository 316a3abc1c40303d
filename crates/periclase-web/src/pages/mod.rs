//! The Chinese web pages, rendered on the server with maud: every page works without script,
//! and the one stylesheet is embedded in the binary.

mod audit;
mod chain_svg;
mod chains;
mod declarations;
mod forms;
mod home;
mod import_jobs;
mod layout;
mod login;
mod monitor;
mod policies;
mod policy_runs;
mod registry;
pub(crate) mod search;
mod search_index;
mod transfer;

use axum::extract::FromRequestParts;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;

use crate::auth::Session;
use crate::{ApiError, AppState};

pub(crate) use layout::error_page;

const CSS: &str = include_str!("../../assets/app.css");
/// The region an administrator's chain map opens on (the demo province, Liaoning).
pub(crate) const DEFAULT_CHAIN_REGION: &str = "21";
/// The upload route's body limit: the largest file (decided in periclase-auth) and room for
/// the form's other fields. Past it, the upload handler answers in Chinese.
const UPLOAD_LIMIT_BYTES: usize = periclase_auth::MAX_UPLOAD_BYTES + 64 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(css))
        .route("/login", get(login::form).post(login::submit))
        .route("/logout", axum::routing::post(login::logout))
        .route("/", get(home::page))
        .route("/audit", get(audit::page))
        .route("/monitor", get(monitor::page))
        .route("/declarations", get(declarations::page))
        .route("/declarations/{id}", axum::routing::post(declarations::decide_form))
        .route("/chains", get(chains::index))
        .route("/chains/{chain}", get(chains::show))
        .route("/chains/{chain}/targets.xlsx", get(chains::targets_xlsx))
        .route("/chains/{chain}/nodes/{node}", get(chains::node))
        .route("/chains/{chain}/nodes/{node}/review", axum::routing::post(chains::review))
        .route("/policies", get(policies::index))
        .route("/policies/{id}", get(policies::show))
        .route("/policies/{id}/sandbox", get(policy_runs::sandbox))
        .route("/calculator", get(policies::calculator))
        .route("/policy-runs", get(policy_runs::index).post(policy_runs::start))
        .route("/policy-runs/jobs/{job}", get(policy_runs::job))
        .route("/policy-runs/{id}", get(policy_runs::show))
        .route("/policy-runs/{id}/list.xlsx", get(policy_runs::list_xlsx))
        .route("/search", get(search::page))
        .route("/search/index", get(search_index::page).post(search_index::start))
        .route("/introductions", axum::routing::post(search::introduce))
        .route("/introductions/{id}", axum::routing::post(search::set_outcome))
        .route("/r/{registry}", get(registry::list))
        .route("/r/{registry}/new", get(forms::new_form).post(forms::create))
        .route("/r/{registry}/export", get(transfer::export))
        .route(
            "/r/{registry}/import",
            get(transfer::upload_form)
                .post(transfer::upload)
                .layer(axum::extract::DefaultBodyLimit::max(UPLOAD_LIMIT_BYTES)),
        )
        .route("/r/{registry}/import/confirm", axum::routing::post(transfer::confirm))
        .route("/r/{registry}/import/jobs/{job}", get(import_jobs::job))
        .route("/r/{registry}/import/jobs/{job}/again", axum::routing::post(import_jobs::again))
        .route("/r/{registry}/{key}", get(registry::detail))
        .route("/r/{registry}/{key}/edit", get(forms::edit_form).post(forms::update))
        .route("/r/{registry}/{key}/delete", get(forms::delete_confirm).post(forms::delete))
}

async fn css() -> impl IntoResponse {
    ([(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")], CSS)
}

/// A signed-in page request; anyone else is sent to the login page.
#[derive(Debug, Clone)]
pub struct PageSession(pub Session);

impl FromRequestParts<AppState> for PageSession {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        match Session::from_request_parts(parts, state).await {
            Ok(s) => Ok(PageSession(s)),
            Err(ApiError::Unauthenticated) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(e.into_response()),
        }
    }
}
