//! Accounts, sessions and login throttling on PostgreSQL (the same rules as
//! `sqlite/accounts.rs`).

use super::exec::Pg;
use super::PgStore;
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

impl Accounts for PgStore {
    fn create_account(&self, a: &NewAccount, actor: &Actor) -> Result<i64, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let id = crate::accounts::create(&mut Pg(&mut tx), a, actor)?;
            super::commit(tx)?;
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
            let changed = crate::accounts::set_password(&mut Pg(&mut tx), username, hash, actor)?;
            super::commit(tx)?;
            Ok(changed)
        })
    }

    fn set_disabled(&self, username: &str, disabled: bool, actor: &Actor) -> Result<bool, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let changed = crate::accounts::set_disabled(&mut Pg(&mut tx), username, disabled, actor)?;
            super::commit(tx)?;
            Ok(changed)
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
        self.with_planned_once(|c| {
            let sql = format!(
                "SELECT {COLUMNS}, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.token_digest = $1 AND s.expires_at > periclase_now() AND a.disabled = 0"
            );
            let rows = c.query_values(&sql, &[periclase_domain::Value::Text(digest.to_string())])?;
            Ok(rows.first().map(|r| (account(r), r.get(9))))
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
            let gate = crate::accounts::attempt(&mut Pg(&mut tx), username, address, now, t)?;
            super::commit(tx)?;
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
