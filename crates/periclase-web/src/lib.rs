//! Periclase over HTTP. `app(state)` builds the whole router, so tests drive it with
//! `tower::ServiceExt::oneshot` and the binary serves it. HTTP types stay in this crate.

pub mod auth;
mod charts;
mod error;
mod json;
pub mod layers;
pub(crate) mod pages;
pub mod params;
pub mod routes;
pub mod throttle;

use std::sync::Arc;

use axum::Router;
use periclase_app::{chain_cache, job_pool, search_sync};
use periclase_store::{Accounts, Declarations, Jobs, Store};

pub use error::ApiError;

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub accounts: Arc<dyn Accounts>,
    pub declarations: Arc<dyn Declarations>,
    pub chains: Arc<chain_cache::ChainCache>,
    /// Background jobs (policy runs): their table, and the bounded pool running them.
    pub jobs: Arc<dyn Jobs>,
    pub job_pool: Arc<job_pool::JobPool>,
    pub search: Arc<search_sync::SearchService>,
    /// Served over TLS (directly or behind a proxy): every cookie is marked `Secure`, so a
    /// browser never sends the session over plain HTTP. Off by default (plain-HTTP intranets).
    pub secure_cookies: bool,
    /// Where uploads wait between preview and confirm: beside the database (see
    /// [`AppState::with_upload_dir`]); `None`, a private directory of this process under the
    /// system temp directory.
    pub upload_dir: Option<Arc<std::path::PathBuf>>,
    /// Reverse proxies (nginx in front of several instances) whose `X-Forwarded-For` is
    /// believed: a request from one of them counts under the client address the proxy
    /// appended, so the login throttle tells clients apart (see `throttle.rs`).
    pub trusted_proxies: Arc<Vec<std::net::IpAddr>>,
}

impl AppState {
    /// Every part from one store (the SQLite store serves registries, accounts,
    /// declarations and jobs). Starts the job pool, which marks jobs a previous server left
    /// unfinished interrupted: one server per database.
    pub fn new<S: Store + Accounts + Declarations + Jobs + 'static>(store: S) -> AppState {
        let shared = Arc::new(store);
        let jobs: Arc<dyn Jobs> = shared.clone();
        AppState {
            store: shared.clone(),
            accounts: shared.clone(),
            declarations: shared,
            chains: Arc::default(),
            job_pool: Arc::new(job_pool::JobPool::start(jobs.clone(), job_pool::WORKERS, job_pool::QUEUE)),
            jobs,
            search: search_sync::SearchService::in_memory(),
            secure_cookies: false,
            upload_dir: None,
            trusted_proxies: Arc::default(),
        }
    }

    /// Keeps uploads in `dir` (made private, 0700, when first used; entries older than a day
    /// are removed).
    pub fn with_upload_dir(mut self, dir: std::path::PathBuf) -> AppState {
        self.upload_dir = Some(Arc::new(dir));
        self
    }

    /// Believes the `X-Forwarded-For` of requests from `proxies` (see
    /// [`AppState::trusted_proxies`]).
    pub fn with_trusted_proxies(mut self, proxies: Vec<std::net::IpAddr>) -> AppState {
        self.trusted_proxies = Arc::new(proxies);
        self
    }

    /// Marks every cookie `Secure` (see [`AppState::secure_cookies`]).
    pub fn with_secure_cookies(mut self, on: bool) -> AppState {
        self.secure_cookies = on;
        self
    }

    /// Searches the index in `dir` (made or rebuilt there if need be) instead of one in memory.
    pub fn with_search_index(mut self, dir: &std::path::Path) -> Result<AppState, search_sync::SyncError> {
        self.search = search_sync::SearchService::open(dir)?;
        Ok(self)
    }

    /// Starts the thread keeping the search index in step with the store.
    pub fn start_search_indexer(&self) {
        self.search.spawn(self.store.clone());
    }

    /// Reads every chain's facts on a background thread, so the first chain map opened after
    /// a start does not wait for them (seconds at provincial scale).
    pub fn warm_chain_map(&self) {
        let (cache, store) = (self.chains.clone(), self.store.clone());
        std::thread::spawn(move || {
            // The first chain's map reads every chain; the others' default maps follow.
            for chain in &periclase_domain::ChainSet::embedded().chains {
                let area = periclase_chain::Area::new(pages::DEFAULT_CHAIN_REGION);
                if let Err(e) = cache.get(&store, chain, &area) {
                    tracing::error!(chain = %chain.id, error = %e, "reading chain facts at start failed");
                    break;
                }
            }
        });
    }
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppState")
    }
}

pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(routes::health::router())
        .merge(routes::session::router())
        .merge(routes::audit::router())
        .merge(routes::declarations::router())
        .merge(routes::openapi::router())
        .merge(routes::search::router())
        .merge(pages::router())
        .merge(routes::registries::router())
        .merge(layers::router())
        // Inner: axum's own refusals in Chinese (HTML for a page); outer: security headers
        // on everything, error pages included.
        .layer(axum::middleware::from_fn(layers::chinese_errors))
        .layer(axum::middleware::from_fn_with_state(state.clone(), layers::security_headers))
        .layer(axum::middleware::from_fn_with_state(state.clone(), layers::forwarded_client))
        .with_state(state)
}

/// Runs blocking work (SQLite, Argon2, file writes) off the async threads.
pub(crate) async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| ApiError::Internal(e.to_string()))?
}

/// A registry by its URL name.
pub(crate) fn registry(name: &str) -> Result<&'static periclase_domain::RegistrySpec, ApiError> {
    periclase_domain::registries::ALL
        .iter()
        .find(|s| s.name == name)
        .copied()
        .ok_or_else(|| ApiError::NotFound(format!("没有名为「{name}」的库")))
}

/// Serves the platform on `listener` until `shutdown` completes. Each request carries its
/// peer address (`ConnectInfo<SocketAddr>`), which login throttling counts attempts under.
pub async fn serve(
    listener: tokio::net::TcpListener,
    state: AppState,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown)
        .await
}
