//! Sessions: the cookie, the extractor that turns it into a [`Principal`], and the CSRF
//! check every state-changing request must pass.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::HeaderMap;
use periclase_auth::{token, Feature, Principal, Role};
use periclase_domain::{RegistrySpec, Scope};
use periclase_store::Account;

use crate::{ApiError, AppState};

pub const COOKIE: &str = "periclase_session";
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Sessions last one working day.
pub const SESSION_MINUTES: u32 = 8 * 60;
// Login throttling (per account and client address) lives in `crate::throttle`.

pub fn principal(a: &Account) -> Option<Principal> {
    Some(Principal {
        account_id: a.id,
        username: a.username.clone(),
        display_name: a.display_name.clone(),
        role: Role::parse(&a.role)?,
        region: a.region.clone(),
        enterprise: a.enterprise.clone(),
        institution: a.institution.clone(),
        talent: a.talent.clone(),
    })
}

/// The `Set-Cookie` value starting a session: not readable by scripts, never sent by other
/// sites' requests.
pub fn session_cookie(token: &str) -> String {
    format!("{COOKIE}={token}; HttpOnly; SameSite=Strict; Path=/; Max-Age={}", SESSION_MINUTES * 60)
}

pub fn clear_cookie() -> String {
    format!("{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0")
}

/// The value of cookie `name`, if the request carries a non-empty one.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
        .filter(|v| !v.is_empty())
}

/// How a session changes a registry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Writes rows inside this scope.
    Direct(Scope),
    /// Declares rows inside this scope for the holding department to confirm.
    Declare(Scope),
}

impl Change {
    /// The rows this change reaches (to find the record being changed).
    pub fn scope(&self) -> &Scope {
        match self {
            Change::Direct(s) | Change::Declare(s) => s,
        }
    }
}

/// A signed-in request.
#[derive(Debug, Clone)]
pub struct Session {
    pub principal: Principal,
    pub csrf: String,
    pub digest: String,
}

impl Session {
    /// Refuses a state-changing request whose `X-CSRF-Token` header is not this session's.
    pub fn check_csrf(&self, headers: &HeaderMap) -> Result<(), ApiError> {
        self.check_csrf_value(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok()).unwrap_or(""))
    }

    /// The same check for a token sent in a form field.
    pub fn check_csrf_value(&self, sent: &str) -> Result<(), ApiError> {
        if token::same(sent, &self.csrf) {
            Ok(())
        } else {
            Err(ApiError::Forbidden("缺少或错误的 CSRF 令牌：请刷新页面后重试".to_string()))
        }
    }

    /// The rows of `spec` this session may read; refused outright when that is nothing.
    pub fn may_read(&self, spec: &RegistrySpec) -> Result<Scope, ApiError> {
        match self.principal.read_scope(spec) {
            Scope::Nothing => {
                Err(ApiError::Forbidden(format!("{}无权查看{}", self.principal.role.label(), spec.label)))
            }
            scope => Ok(scope),
        }
    }

    /// How this session changes `spec`: directly, or by declaring for a department to
    /// confirm (an enterprise's figures, honours…); refused when neither.
    pub fn may_change(&self, spec: &RegistrySpec) -> Result<Change, ApiError> {
        match (self.principal.write_scope(spec), self.principal.declare_scope(spec)) {
            (Scope::Nothing, Scope::Nothing) => {
                Err(ApiError::Forbidden(format!("{}无权修改{}", self.principal.role.label(), spec.label)))
            }
            (Scope::Nothing, declare) => Ok(Change::Declare(declare)),
            (write, _) => Ok(Change::Direct(write)),
        }
    }

    /// Refuses a feature the role may not use (the permission table's role × feature part).
    pub fn may_use(&self, feature: Feature) -> Result<(), ApiError> {
        if self.principal.may(feature) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!("{}无权使用{}", self.principal.role.label(), feature.label())))
        }
    }

    /// The declarations this session sees: an enterprise its own, an official its region's.
    pub fn declarations_scope(&self) -> Result<Scope, ApiError> {
        self.may_use(Feature::Declarations)?;
        let p = &self.principal;
        Ok(match p.confirm_scope(&periclase_domain::registries::ENTERPRISES) {
            Scope::Nothing => p.declare_scope(&periclase_domain::registries::ENTERPRISES),
            confirm => confirm,
        })
    }

    /// The rows of `spec` this session may change; refused outright when that is nothing.
    pub fn may_write(&self, spec: &RegistrySpec) -> Result<Scope, ApiError> {
        match self.principal.write_scope(spec) {
            Scope::Nothing => {
                Err(ApiError::Forbidden(format!("{}无权修改{}", self.principal.role.label(), spec.label)))
            }
            scope => Ok(scope),
        }
    }
}

impl FromRequestParts<AppState> for Session {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, COOKIE).ok_or(ApiError::Unauthenticated)?;
        let digest = token::digest(&token);
        let accounts = state.accounts.clone();
        let d = digest.clone();
        let found = tokio::task::spawn_blocking(move || accounts.session(&d))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))??;
        let (account, csrf) = found.ok_or(ApiError::Unauthenticated)?;
        let principal =
            principal(&account).ok_or_else(|| ApiError::Internal(format!("unknown role {}", account.role)))?;
        Ok(Session { principal, csrf, digest })
    }
}
