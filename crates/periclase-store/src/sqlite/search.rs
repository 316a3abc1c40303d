//! The search outbox (migrations 0011, 0016; its logic in `search.rs`, shared) on SQLite, and the 对接 records' SQLite connection
//! (`introductions.rs` holds their logic, shared with PostgreSQL).

use periclase_domain::{registries, RegistryId, RegistrySpec};
use rusqlite::{Connection, OptionalExtension, Transaction};

use super::sql;
use crate::search::SearchRow;
use crate::StoreError;

/// Streams the rows (all, or those with `ids`) to `each`, enterprises with their tiers.
pub(crate) fn rows(
    c: &Connection,
    spec: &'static RegistrySpec,
    ids: Option<&[i64]>,
    each: &mut dyn FnMut(SearchRow<'_>) -> Result<(), StoreError>,
) -> Result<u64, StoreError> {
    let enterprises = spec.id == RegistryId::Enterprises;
    let select = sql::select_with(spec, enterprises.then_some("t.tiers"));
    let mut n = 0;
    let mut read = |st: &mut rusqlite::Statement<'_>, bind: Option<String>| -> Result<(), StoreError> {
        let mut rows = match &bind {
            Some(json) => st.query([json])?,
            None => st.query([])?,
        };
        while let Some(r) = rows.next()? {
            let row = super::read_row(spec, r, 1)?;
            let tiers = if enterprises {
                let bits: i64 = r.get::<_, Option<i64>>(1 + spec.fields.len())?.unwrap_or(0);
                registries::HONOURS
                    .iter()
                    .enumerate()
                    .filter(|(i, _)| bits & (1 << i) != 0)
                    .map(|(_, o)| o.code)
                    .collect()
            } else {
                Vec::new()
            };
            each(SearchRow { id: r.get(0)?, row: &row, tiers })?;
            n += 1;
        }
        Ok(())
    };
    match ids {
        None => {
            let mut st = c.prepare(&format!("{select} ORDER BY t.id"))?;
            read(&mut st, None)?;
        }
        Some(ids) => {
            let mut st = c.prepare_cached(&format!("{select} WHERE t.id IN (SELECT value FROM json_each(?1))"))?;
            for chunk in ids.chunks(10_000) {
                let json = format!("[{}]", chunk.iter().map(i64::to_string).collect::<Vec<_>>().join(","));
                read(&mut st, Some(json))?;
            }
        }
    }
    Ok(n)
}

/// A bulk load into an empty table leaves one "whole table" entry instead of one per row.
pub(crate) fn suspend_outbox(tx: &Transaction<'_>, table: &str) -> Result<Option<String>, StoreError> {
    let name = format!("search_outbox_{table}_insert");
    let sql: Option<String> = tx
        .query_row("SELECT sql FROM sqlite_schema WHERE type = 'trigger' AND name = ?1", [&name], |r| r.get(0))
        .optional()?;
    if sql.is_some() {
        tx.execute_batch(&format!("DROP TRIGGER {name}"))?;
    }
    Ok(sql)
}

pub(crate) fn resume_outbox(tx: &Transaction<'_>, table: &str, trigger_sql: &str) -> Result<(), StoreError> {
    tx.execute(crate::search::WHOLE_TABLE, [table])?;
    tx.execute_batch(trigger_sql)?;
    Ok(())
}

/// The store's `SearchOutbox` and `Introductions` on SQLite, here beside the SQL they run.
mod capability {
    use super::super::write::Lite;
    use super::super::*;

    impl crate::SearchOutbox for SqliteStore {
        fn search_follow(&self, reader: &str) -> Result<(), StoreError> {
            self.with(|c| {
                let tx = c.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
                crate::search::follow(&mut Lite(&tx), reader)?;
                tx.commit()?;
                Ok(())
            })
        }

        fn search_pending(&self, reader: &str, limit: u32) -> Result<Option<crate::SearchPending>, StoreError> {
            self.with(|c| crate::search::pending(&mut Lite(c), reader, limit))
        }

        fn search_applied(&self, reader: &str, upto: i64) -> Result<(), StoreError> {
            self.with(|c| crate::search::applied(&mut Lite(c), reader, upto))
        }

        fn search_readers(&self) -> Result<Vec<crate::SearchReader>, StoreError> {
            self.with(|c| crate::search::readers(&mut Lite(c)))
        }

        fn search_rows(
            &self,
            spec: &'static RegistrySpec,
            ids: Option<&[i64]>,
            each: &mut dyn FnMut(crate::SearchRow<'_>) -> Result<(), StoreError>,
        ) -> Result<u64, StoreError> {
            self.with(|c| search::rows(c, spec, ids, each))
        }
    }

    impl crate::Introductions for SqliteStore {
        fn introduce(
            &self,
            demand: &str,
            achievement: &str,
            note: &str,
            actor: &Actor,
            scope: &Scope,
        ) -> Result<crate::Introduction, StoreError> {
            self.with(|c| {
                let tx = c.unchecked_transaction()?;
                let intro = crate::introductions::introduce(&mut Lite(&tx), demand, achievement, note, actor, scope)?;
                tx.commit()?;
                Ok(intro)
            })
        }

        fn set_introduction_outcome(
            &self,
            id: i64,
            outcome: &str,
            note: &str,
            actor: &Actor,
            scope: &Scope,
        ) -> Result<Option<crate::Introduction>, StoreError> {
            self.with(|c| {
                let tx = c.unchecked_transaction()?;
                let intro = crate::introductions::set_outcome(&mut Lite(&tx), id, outcome, note, actor, scope)?;
                tx.commit()?;
                Ok(intro)
            })
        }

        fn introductions(
            &self,
            demand: Option<&str>,
            achievement: Option<&str>,
            scope: &Scope,
        ) -> Result<Vec<crate::Introduction>, StoreError> {
            self.with(|c| crate::introductions::list(&mut Lite(c), demand, achievement, scope))
        }
    }
}
