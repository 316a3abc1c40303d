//! Accounts, sessions and login throttling.

use crate::StoreError;

/// An account as stored; the role is its code (`admin`, `official`, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Account {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region: Option<String>,
    pub enterprise: Option<String>,
    pub institution: Option<String>,
    pub talent: Option<String>,
    pub disabled: bool,
}

#[derive(Clone)]
pub struct NewAccount {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub region: Option<String>,
    pub enterprise: Option<String>,
    pub institution: Option<String>,
    pub talent: Option<String>,
    pub password_hash: String,
}

impl std::fmt::Debug for NewAccount {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The hash stays out of logs.
        f.debug_struct("NewAccount").field("username", &self.username).field("role", &self.role).finish_non_exhaustive()
    }
}

/// Storage of accounts and sessions. Times are the database's clock, UTC.
pub trait Accounts: Send + Sync {
    /// Fails with [`StoreError::Conflict`] when the username is taken.
    fn create_account(&self, account: &NewAccount) -> Result<i64, StoreError>;
    fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// The account and its password hash.
    fn account_for_login(&self, username: &str) -> Result<Option<(Account, String)>, StoreError>;
    /// Returns false when there is no such account. Ends the account's sessions.
    fn set_password(&self, username: &str, password_hash: &str) -> Result<bool, StoreError>;
    /// Returns false when there is no such account. Disabling ends the account's sessions.
    fn set_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError>;

    fn create_session(
        &self,
        account_id: i64,
        token_digest: &str,
        csrf: &str,
        lifetime_minutes: u32,
    ) -> Result<(), StoreError>;
    /// The live session's account and CSRF token: not expired, account not disabled.
    fn session(&self, token_digest: &str) -> Result<Option<(Account, String)>, StoreError>;
    fn delete_session(&self, token_digest: &str) -> Result<(), StoreError>;

    fn record_login_failure(&self, username: &str) -> Result<(), StoreError>;
    /// Failed logins for `username` in the last `minutes`.
    fn recent_login_failures(&self, username: &str, minutes: u32) -> Result<u32, StoreError>;
    fn clear_login_failures(&self, username: &str) -> Result<(), StoreError>;
}
