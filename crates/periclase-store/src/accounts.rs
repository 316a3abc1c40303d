//! Accounts, sessions and login throttling (by account and client address).

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
    /// Fails with [`StoreError::Conflict`] when the username is taken. Every account write
    /// (create, password, disable, enable) leaves an audit entry under `actor`; never the hash.
    fn create_account(&self, account: &NewAccount, actor: &crate::Actor) -> Result<i64, StoreError>;
    fn accounts(&self) -> Result<Vec<Account>, StoreError>;
    /// The account and its password hash.
    fn account_for_login(&self, username: &str) -> Result<Option<(Account, String)>, StoreError>;
    /// Returns false when there is no such account. Ends the account's sessions and forgets
    /// its failed logins (an administrator's reset lifts any back-off).
    fn set_password(&self, username: &str, password_hash: &str, actor: &crate::Actor) -> Result<bool, StoreError>;
    /// Returns false when there is no such account. Disabling ends the account's sessions.
    fn set_disabled(&self, username: &str, disabled: bool, actor: &crate::Actor) -> Result<bool, StoreError>;

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

    /// One login attempt of `username` from `address`, throttled and recorded in one
    /// transaction: forgets failures older than the throttle's window, then either answers
    /// [`LoginGate::Wait`] (nothing recorded) or records the attempt as a failure and answers
    /// [`LoginGate::Go`]. The caller checks the password only on `Go`, and calls
    /// [`Accounts::login_succeeded`] when it matched. Because the check and the record are
    /// one write transaction, N parallel attempts cannot all pass the check.
    fn begin_login(&self, username: &str, address: &str, throttle: &LoginThrottle) -> Result<LoginGate, StoreError>;
    /// The password matched: forgets the failures of `username` from `address` (those from
    /// other addresses stay, so an attacker elsewhere stays slowed).
    fn login_succeeded(&self, username: &str, address: &str) -> Result<(), StoreError>;
}

/// How login attempts are throttled (the web layer chooses the numbers; see
/// `periclase_web::throttle`). Three rules, each over the failures of the last
/// `window_secs`; an attempt waits for the longest of them:
///
/// - per account and address: `pair_free` failures, then exponential back-off starting at
///   `pair_delay_secs` after the last failure and doubling with each further one (capped at
///   the window). Only that address is slowed, so the owner elsewhere is not locked out.
/// - per address: `address_max` failures over all usernames, then nothing from that address
///   until its oldest failure leaves the window (stops trying many usernames from one place).
/// - per account: `account_max` failures from all addresses, then at most one attempt on the
///   account per `account_spacing_secs` (slows a guesser spread over many addresses; only a
///   delay for the owner, never a lock).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LoginThrottle {
    pub window_secs: i64,
    pub pair_free: u32,
    pub pair_delay_secs: i64,
    pub address_max: u32,
    pub account_max: u32,
    pub account_spacing_secs: i64,
}

/// The failures within the window that concern one attempt; times are Unix seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LoginHistory {
    /// Failures of this username from this address, and the latest.
    pub pair_failures: u32,
    pub pair_last: Option<i64>,
    /// Failures from this address for any username, and the oldest.
    pub address_failures: u32,
    pub address_oldest: Option<i64>,
    /// Failures of this username from any address, and the latest.
    pub account_failures: u32,
    pub account_last: Option<i64>,
}

/// Whether a login attempt may check its password.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LoginGate {
    Go,
    /// Refused without checking: try again in this many seconds (at least 1).
    Wait {
        seconds: i64,
    },
}

impl LoginThrottle {
    /// The delay before the next failure-free attempt of a pair with `failures` failures.
    pub fn pair_delay(&self, failures: u32) -> i64 {
        if failures < self.pair_free {
            return 0;
        }
        let doublings = (failures - self.pair_free).min(32);
        self.pair_delay_secs.saturating_mul(1_i64 << doublings).min(self.window_secs)
    }

    /// Seconds the attempt must wait at `now`, or `None` when it may go ahead.
    pub fn wait(&self, h: &LoginHistory, now: i64) -> Option<i64> {
        let mut until = i64::MIN;
        if let (true, Some(last)) = (h.pair_failures >= self.pair_free, h.pair_last) {
            until = until.max(last + self.pair_delay(h.pair_failures));
        }
        if let (true, Some(oldest)) = (h.address_failures >= self.address_max, h.address_oldest) {
            until = until.max(oldest + self.window_secs);
        }
        if let (true, Some(last)) = (h.account_failures >= self.account_max, h.account_last) {
            until = until.max(last + self.account_spacing_secs);
        }
        (until > now).then(|| until - now)
    }
}

/// One login attempt at time `now` (Unix seconds, the database's clock), inside the
/// transaction that serialises attempts (each store takes its own lock first): forgets
/// failures older than the window, counts what is left, then waits or records the attempt.
pub(crate) fn attempt(
    x: &mut dyn crate::portable::Exec,
    username: &str,
    address: &str,
    now: i64,
    t: &LoginThrottle,
) -> Result<LoginGate, StoreError> {
    use periclase_domain::Value;
    let (user, addr) = (Value::Text(username.to_string()), Value::Text(address.to_string()));
    x.execute("DELETE FROM login_failure WHERE at <= ?1", &[Value::Int(now - t.window_secs)])?;
    let mut count = |sql: &str, args: &[Value]| -> Result<(u32, Option<i64>), StoreError> {
        let row = x.first(sql, args)?.unwrap_or_default();
        let int = |v: Option<&Value>| match v {
            Some(Value::Int(i)) => Some(*i),
            _ => None,
        };
        Ok((int(row.first()).map_or(0, |n| u32::try_from(n).unwrap_or(u32::MAX)), int(row.get(1))))
    };
    let (pair_failures, pair_last) = count(
        "SELECT count(*), max(at) FROM login_failure WHERE username = ?1 AND address = ?2",
        &[user.clone(), addr.clone()],
    )?;
    let (address_failures, address_oldest) =
        count("SELECT count(*), min(at) FROM login_failure WHERE address = ?1", std::slice::from_ref(&addr))?;
    let (account_failures, account_last) =
        count("SELECT count(*), max(at) FROM login_failure WHERE username = ?1", std::slice::from_ref(&user))?;
    let history =
        LoginHistory { pair_failures, pair_last, address_failures, address_oldest, account_failures, account_last };
    Ok(match t.wait(&history, now) {
        Some(seconds) => LoginGate::Wait { seconds },
        None => {
            x.execute(
                "INSERT INTO login_failure (username, address, at) VALUES (?1, ?2, ?3)",
                &[user, addr, Value::Int(now)],
            )?;
            LoginGate::Go
        }
    })
}

/// An account write in the audit trail, under registry `accounts` and the username.
fn audit_account(
    x: &mut dyn crate::portable::Exec,
    actor: &crate::Actor,
    action: &str,
    username: &str,
    after: Option<&str>,
    note: &str,
) -> Result<(), StoreError> {
    let record = crate::audit::AuditRecord {
        action,
        registry: "accounts",
        key: Some(username),
        before: None,
        after,
        note: Some(note),
    };
    crate::portable::append_audit(x, actor, &record)
}

/// Creates an account inside a transaction the caller commits (both stores); never audits
/// the hash.
pub(crate) fn create(
    x: &mut dyn crate::portable::Exec,
    a: &NewAccount,
    actor: &crate::Actor,
) -> Result<i64, StoreError> {
    use periclase_domain::Value;
    let text = |v: &Option<String>| v.clone().map_or(Value::Null, Value::Text);
    let values = [
        Value::Text(a.username.clone()),
        Value::Text(a.display_name.clone()),
        Value::Text(a.role.clone()),
        text(&a.region),
        text(&a.enterprise),
        text(&a.institution),
        text(&a.talent),
        Value::Text(a.password_hash.clone()),
    ];
    let id = x
        .insert(
            "INSERT INTO account (username, display_name, role, region, enterprise, institution, talent, password_hash)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            &values,
        )?
        .ok_or_else(|| StoreError::Conflict(format!("用户名「{}」已被使用", a.username)))?;
    let after = serde_json::json!({
        "username": a.username, "display_name": a.display_name, "role": a.role, "region": a.region,
        "enterprise": a.enterprise, "institution": a.institution, "talent": a.talent,
    })
    .to_string();
    audit_account(x, actor, "insert", &a.username, Some(&after), "新建账号")?;
    Ok(id)
}

/// A new password, inside a transaction the caller commits: ends the account's sessions and
/// lifts any back-off on it (the administrator's unlock). False when there is no such account.
pub(crate) fn set_password(
    x: &mut dyn crate::portable::Exec,
    username: &str,
    hash: &str,
    actor: &crate::Actor,
) -> Result<bool, StoreError> {
    use periclase_domain::Value;
    let user = Value::Text(username.to_string());
    let n = x.execute(
        "UPDATE account SET password_hash = ?2 WHERE username = ?1",
        &[user.clone(), Value::Text(hash.into())],
    )?;
    x.execute(
        "DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = ?1)",
        std::slice::from_ref(&user),
    )?;
    x.execute("DELETE FROM login_failure WHERE username = ?1", &[user])?;
    if n == 1 {
        audit_account(x, actor, "update", username, None, "修改密码（原会话均已结束）")?;
    }
    Ok(n == 1)
}

/// Disables (ending its sessions) or enables an account, inside a transaction the caller
/// commits. False when there is no such account.
pub(crate) fn set_disabled(
    x: &mut dyn crate::portable::Exec,
    username: &str,
    disabled: bool,
    actor: &crate::Actor,
) -> Result<bool, StoreError> {
    use periclase_domain::Value;
    let user = Value::Text(username.to_string());
    let n = x.execute(
        "UPDATE account SET disabled = ?2 WHERE username = ?1",
        &[user.clone(), Value::Int(disabled.into())],
    )?;
    if disabled {
        x.execute("DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = ?1)", &[user])?;
    }
    if n == 1 {
        let note = if disabled { "停用账号（原会话均已结束）" } else { "启用账号" };
        audit_account(x, actor, "update", username, None, note)?;
    }
    Ok(n == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: LoginThrottle = LoginThrottle {
        window_secs: 900,
        pair_free: 5,
        pair_delay_secs: 30,
        address_max: 30,
        account_max: 50,
        account_spacing_secs: 2,
    };

    #[test]
    fn pair_back_off_doubles_up_to_the_window() {
        assert_eq!(T.pair_delay(4), 0);
        assert_eq!(T.pair_delay(5), 30);
        assert_eq!(T.pair_delay(6), 60);
        assert_eq!(T.pair_delay(9), 480);
        assert_eq!(T.pair_delay(10), 900);
        assert_eq!(T.pair_delay(u32::MAX), 900);
    }

    #[test]
    fn each_rule_makes_the_attempt_wait() {
        let now = 10_000;
        assert_eq!(T.wait(&LoginHistory::default(), now), None);
        let pair = LoginHistory { pair_failures: 5, pair_last: Some(now - 10), ..Default::default() };
        assert_eq!(T.wait(&pair, now), Some(20));
        let pair = LoginHistory { pair_failures: 5, pair_last: Some(now - 30), ..Default::default() };
        assert_eq!(T.wait(&pair, now), None, "the back-off has passed");
        let address = LoginHistory { address_failures: 30, address_oldest: Some(now - 800), ..Default::default() };
        assert_eq!(T.wait(&address, now), Some(100));
        let account = LoginHistory { account_failures: 50, account_last: Some(now - 1), ..Default::default() };
        assert_eq!(T.wait(&account, now), Some(1));
        let all = LoginHistory { pair_failures: 6, pair_last: Some(now), ..address };
        assert_eq!(T.wait(&all, now), Some(100), "the longest wait wins");
    }
}
