use rusqlite::{params, OptionalExtension, TransactionBehavior};

use super::write::Lite;
use super::SqliteStore;
use crate::{Account, Accounts, Actor, LoginGate, LoginThrottle, NewAccount, StoreError};

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
    fn create_account(&self, a: &NewAccount, actor: &Actor) -> Result<i64, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let id = crate::accounts::create(&mut Lite(&tx), a, actor)?;
            tx.commit()?;
            Ok(id)
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

    fn set_password(&self, username: &str, hash: &str, actor: &Actor) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let changed = crate::accounts::set_password(&mut Lite(&tx), username, hash, actor)?;
            tx.commit()?;
            Ok(changed)
        })
    }

    fn set_disabled(&self, username: &str, disabled: bool, actor: &Actor) -> Result<bool, StoreError> {
        self.with(|c| {
            let tx = c.transaction()?;
            let changed = crate::accounts::set_disabled(&mut Lite(&tx), username, disabled, actor)?;
            tx.commit()?;
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

    fn begin_login(&self, username: &str, address: &str, t: &LoginThrottle) -> Result<LoginGate, StoreError> {
        self.with(|c| {
            // IMMEDIATE: the write lock is taken before the counts are read, so parallel
            // attempts check and record one after another.
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let now: i64 = tx.query_row("SELECT unixepoch()", [], |r| r.get(0))?;
            let gate = crate::accounts::attempt(&mut super::write::Lite(&tx), username, address, now, t)?;
            tx.commit()?;
            Ok(gate)
        })
    }

    fn login_succeeded(&self, username: &str, address: &str) -> Result<(), StoreError> {
        self.with(|c| {
            c.execute("DELETE FROM login_failure WHERE username = ?1 AND address = ?2", [username, address])?;
            Ok(())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const T: LoginThrottle = LoginThrottle {
        window_secs: 900,
        pair_free: 3,
        pair_delay_secs: 60,
        address_max: 5,
        account_max: 8,
        account_spacing_secs: 60,
    };

    fn rows(s: &SqliteStore) -> i64 {
        s.with(|c| Ok(c.query_row("SELECT count(*) FROM login_failure", [], |r| r.get(0))?)).unwrap()
    }

    #[test]
    fn attempts_are_throttled_by_pair_address_and_account() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path().join("t.db")).unwrap();
        for _ in 0..3 {
            assert_eq!(s.begin_login("alice", "10.0.0.1", &T).unwrap(), LoginGate::Go);
        }
        let LoginGate::Wait { seconds } = s.begin_login("alice", "10.0.0.1", &T).unwrap() else { panic!() };
        assert!((59..=60).contains(&seconds), "{seconds}");
        assert_eq!(rows(&s), 3, "a refused attempt records nothing");
        // Another address is not slowed by the first one's failures.
        assert_eq!(s.begin_login("alice", "10.0.0.2", &T).unwrap(), LoginGate::Go);
        // One address trying many usernames hits its own limit.
        assert_eq!(s.begin_login("bob", "10.0.0.1", &T).unwrap(), LoginGate::Go);
        assert_eq!(s.begin_login("carol", "10.0.0.1", &T).unwrap(), LoginGate::Go);
        assert!(matches!(s.begin_login("dave", "10.0.0.1", &T).unwrap(), LoginGate::Wait { .. }));
        // Success forgets that pair's failures only.
        s.login_succeeded("alice", "10.0.0.1").unwrap();
        assert_eq!(rows(&s), 3);
        assert_eq!(s.begin_login("alice", "10.0.0.1", &T).unwrap(), LoginGate::Go);
        // Many addresses against one account: past account_max, one attempt per spacing.
        for i in 3..8 {
            assert_eq!(s.begin_login("erin", &format!("10.0.1.{i}"), &T).unwrap(), LoginGate::Go);
        }
        s.with(|c| Ok(c.execute("UPDATE login_failure SET at = at - 120 WHERE username = 'erin'", [])?)).unwrap();
        for i in 0..3 {
            assert_eq!(s.begin_login("erin", &format!("10.0.2.{i}"), &T).unwrap(), LoginGate::Go);
        }
        assert!(matches!(s.begin_login("erin", "10.0.3.1", &T).unwrap(), LoginGate::Wait { .. }));
    }

    #[test]
    fn failures_expire_with_the_window() {
        let dir = tempfile::tempdir().unwrap();
        let s = SqliteStore::open(dir.path().join("t.db")).unwrap();
        for i in 0..5 {
            assert_eq!(s.begin_login(&format!("user{i}"), "10.0.0.1", &T).unwrap(), LoginGate::Go);
        }
        assert!(matches!(s.begin_login("user9", "10.0.0.1", &T).unwrap(), LoginGate::Wait { .. }));
        s.with(|c| Ok(c.execute("UPDATE login_failure SET at = at - 901", [])?)).unwrap();
        // The next attempt (from anywhere) deletes them; the address may try again.
        assert_eq!(s.begin_login("user9", "10.0.0.1", &T).unwrap(), LoginGate::Go);
        assert_eq!(rows(&s), 1);
    }
}
