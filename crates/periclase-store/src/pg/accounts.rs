//! Accounts, sessions and login throttling on PostgreSQL (the same rules as
//! `sqlite/accounts.rs`).

use postgres::error::SqlState;

use super::audit::append_audit;
use super::PgStore;
use crate::audit::AuditRecord;
use crate::{Account, Accounts, Actor, LoginGate, LoginThrottle, NewAccount, StoreError};

const COLUMNS: &str =
    "a.id, a.username, a.display_name, a.role, a.region, a.enterprise, a.institution, a.talent, a.disabled";

/// Login attempts check and record one after another, over all instances (an advisory lock
/// key), as SQLite's write lock makes them.
const LOGIN_LOCK: i64 = 0x0070_6572_6963_6c02;

fn account(r: &postgres::Row) -> Account {
    Account {
        id: r.get(0),
        username: r.get(1),
        display_name: r.get(2),
        role: r.get(3),
        region: r.get(4),
        enterprise: r.get(5),
        institution: r.get(6),
        talent: r.get(7),
        disabled: r.get::<_, i64>(8) != 0,
    }
}

fn audit_account(
    c: &mut postgres::Transaction<'_>,
    actor: &Actor,
    action: &str,
    username: &str,
    after: Option<&str>,
    note: &str,
) -> Result<(), StoreError> {
    let record =
        AuditRecord { action, registry: "accounts", key: Some(username), before: None, after, note: Some(note) };
    append_audit(c, actor, &record)
}

impl Accounts for PgStore {
    fn create_account(&self, a: &NewAccount, actor: &Actor) -> Result<i64, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let inserted = tx.query_one(
                "INSERT INTO account (username, display_name, role, region, enterprise, institution, talent, password_hash)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
                &[&a.username, &a.display_name, &a.role, &a.region, &a.enterprise, &a.institution, &a.talent, &a.password_hash],
            );
            let id: i64 = match inserted {
                Ok(row) => row.get(0),
                Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => {
                    return Err(StoreError::Conflict(format!("用户名「{}」已被使用", a.username)));
                }
                Err(e) => return Err(e.into()),
            };
            let after = serde_json::json!({
                "username": a.username, "display_name": a.display_name, "role": a.role, "region": a.region,
                "enterprise": a.enterprise, "institution": a.institution, "talent": a.talent,
            })
            .to_string();
            audit_account(&mut tx, actor, "insert", &a.username, Some(&after), "新建账号")?;
            tx.commit()?;
            Ok(id)
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.with(|c| {
            Ok(c.query(&format!("SELECT {COLUMNS} FROM account a ORDER BY a.id"), &[])?.iter().map(account).collect())
        })
    }

    fn account_for_login(&self, username: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.with(|c| {
            let row = c.query_opt(
                &format!("SELECT {COLUMNS}, a.password_hash FROM account a WHERE a.username = $1"),
                &[&username],
            )?;
            Ok(row.map(|r| (account(&r), r.get(9))))
        })
    }

    fn set_password(&self, username: &str, hash: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let n = tx.execute("UPDATE account SET password_hash = $2 WHERE username = $1", &[&username, &hash])?;
            tx.execute(
                "DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = $1)",
                &[&username],
            )?;
            // A new password lifts any back-off on the account (the administrator's unlock).
            tx.execute("DELETE FROM login_failure WHERE username = $1", &[&username])?;
            if n == 1 {
                audit_account(&mut tx, actor, "update", username, None, "修改密码（原会话均已结束）")?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn set_disabled(&self, username: &str, disabled: bool, actor: &Actor) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let flag = i64::from(disabled);
            let n = tx.execute("UPDATE account SET disabled = $2 WHERE username = $1", &[&username, &flag])?;
            if disabled {
                tx.execute(
                    "DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = $1)",
                    &[&username],
                )?;
            }
            if n == 1 {
                let note = if disabled { "停用账号（原会话均已结束）" } else { "启用账号" };
                audit_account(&mut tx, actor, "update", username, None, note)?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn create_session(
        &self,
        account_id: i64,
        digest: &str,
        csrf: &str,
        lifetime_minutes: u32,
    ) -> Result<(), StoreError> {
        let minutes = i64::from(lifetime_minutes);
        self.with(|c| {
            // Expired sessions are swept whenever a new one starts.
            c.execute("DELETE FROM session WHERE expires_at <= periclase_now()", &[])?;
            c.execute(
                "INSERT INTO session (token_digest, account_id, csrf, expires_at)
                 VALUES ($1, $2, $3, periclase_now_plus_minutes($4))",
                &[&digest, &account_id, &csrf, &minutes],
            )?;
            Ok(())
        })
    }

    fn session(&self, digest: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.with(|c| {
            let sql = format!(
                "SELECT {COLUMNS}, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.token_digest = $1 AND s.expires_at > periclase_now() AND a.disabled = 0"
            );
            let st = c.prepare(&sql)?;
            Ok(c.query_opt(&st, &[&digest])?.map(|r| (account(&r), r.get(9))))
        })
    }

    fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM session WHERE token_digest = $1", &[&digest])?;
            Ok(())
        })
    }

    fn begin_login(&self, username: &str, address: &str, t: &LoginThrottle) -> Result<LoginGate, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            tx.execute("SELECT pg_advisory_xact_lock($1)", &[&LOGIN_LOCK])?;
            let now: i64 = tx.query_one("SELECT extract(epoch FROM now())::bigint", &[])?.get(0);
            let gate = crate::accounts::attempt(&mut super::exec::Pg(&mut tx), username, address, now, t)?;
            tx.commit()?;
            Ok(gate)
        })
    }

    fn login_succeeded(&self, username: &str, address: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM login_failure WHERE username = $1 AND address = $2", &[&username, &address])?;
            Ok(())
        })
    }
}
