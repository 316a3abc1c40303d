use rusqlite::{params, OptionalExtension};

use super::SqliteStore;
use crate::{Account, Accounts, NewAccount, StoreError};

const COLUMNS: &str =
    "a.id, a.username, a.display_name, a.role, a.region, a.enterprise, a.institution, a.talent, a.disabled";
const NOW: &str = "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')";

fn account(r: &rusqlite::Row<'_>) -> rusqlite::Result<Account> {
    Ok(Account {
        id: r.get(0)?,
        username: r.get(1)?,
        display_name: r.get(2)?,
        role: r.get(3)?,
        region: r.get(4)?,
        enterprise: r.get(5)?,
        institution: r.get(6)?,
        talent: r.get(7)?,
        disabled: r.get(8)?,
    })
}

impl Accounts for SqliteStore {
    fn create_account(&self, a: &NewAccount) -> Result<i64, StoreError> {
        self.with(|c| {
            let taken: bool = c.query_row("SELECT EXISTS (SELECT 1 FROM account WHERE username = ?1)", [&a.username], |r| r.get(0))?;
            if taken {
                return Err(StoreError::Conflict(format!("用户名「{}」已被使用", a.username)));
            }
            c.execute(
                "INSERT INTO account (username, display_name, role, region, enterprise, institution, talent, password_hash)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![a.username, a.display_name, a.role, a.region, a.enterprise, a.institution, a.talent, a.password_hash],
            )?;
            Ok(c.last_insert_rowid())
        })
    }

    fn accounts(&self) -> Result<Vec<Account>, StoreError> {
        self.with(|c| {
            let mut st = c.prepare(&format!("SELECT {COLUMNS} FROM account a ORDER BY a.id"))?;
            let all = st.query_map([], account)?.collect::<Result<_, _>>()?;
            Ok(all)
        })
    }

    fn account_for_login(&self, username: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                &format!("SELECT {COLUMNS}, a.password_hash FROM account a WHERE a.username = ?1"),
                [username],
                |r| Ok((account(r)?, r.get(9)?)),
            )
            .optional()?)
        })
    }

    fn set_password(&self, username: &str, hash: &str) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE account SET password_hash = ?2 WHERE username = ?1", params![username, hash])?;
            tx.execute(
                "DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = ?1)",
                [username],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
    }

    fn set_disabled(&self, username: &str, disabled: bool) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute("UPDATE account SET disabled = ?2 WHERE username = ?1", params![username, disabled])?;
            if disabled {
                tx.execute(
                    "DELETE FROM session WHERE account_id = (SELECT id FROM account WHERE username = ?1)",
                    [username],
                )?;
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
        self.with(|c| {
            // Expired sessions are swept whenever a new one starts.
            c.execute(&format!("DELETE FROM session WHERE expires_at <= {NOW}"), [])?;
            c.execute(
                "INSERT INTO session (token_digest, account_id, csrf, expires_at)
                 VALUES (?1, ?2, ?3, strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?4))",
                params![digest, account_id, csrf, format!("+{lifetime_minutes} minutes")],
            )?;
            Ok(())
        })
    }

    fn session(&self, digest: &str) -> Result<Option<(Account, String)>, StoreError> {
        self.with(|c| {
            // Every request asks this: a cached statement saves parsing it each time.
            let sql = format!(
                "SELECT {COLUMNS}, s.csrf FROM session s JOIN account a ON a.id = s.account_id
                 WHERE s.token_digest = ?1 AND s.expires_at > {NOW} AND a.disabled = 0"
            );
            Ok(c.prepare_cached(&sql)?.query_row([digest], |r| Ok((account(r)?, r.get(9)?))).optional()?)
        })
    }

    fn delete_session(&self, digest: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM session WHERE token_digest = ?1", [digest])?;
            Ok(())
        })
    }

    fn record_login_failure(&self, username: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("INSERT INTO login_failure (username) VALUES (?1)", [username])?;
            Ok(())
        })
    }

    fn recent_login_failures(&self, username: &str, minutes: u32) -> Result<u32, StoreError> {
        self.with(|c| {
            Ok(c.query_row(
                "SELECT count(*) FROM login_failure WHERE username = ?1 AND at > strftime('%Y-%m-%dT%H:%M:%SZ', 'now', ?2)",
                params![username, format!("-{minutes} minutes")],
                |r| r.get(0),
            )?)
        })
    }

    fn clear_login_failures(&self, username: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM login_failure WHERE username = ?1", [username])?;
            Ok(())
        })
    }
}
