//! The search outbox on PostgreSQL (the indexer reads it as on SQLite), and 对接 records
//! (`introductions.rs`, shared).

use periclase_domain::{registries, RegistryId, RegistrySpec, Scope, Value};
use postgres::fallible_iterator::FallibleIterator;

use super::exec::{read_values, Pg};
use super::PgStore;
use crate::portable::as_row;
use crate::search::{Introduction, SearchPending, SearchReader, SearchRow};
use crate::{Actor, Introductions, SearchOutbox, StoreError};

impl SearchOutbox for PgStore {
    fn search_follow(&self, reader: &str) -> Result<(), StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            // Waits for every transaction that has queued changes and blocks new ones until
            // this commits: a change is then either queued for the reader or committed before
            // its build reads the tables, never neither.
            tx.batch_execute("LOCK TABLE search_outbox IN SHARE ROW EXCLUSIVE MODE")?;
            crate::search::follow(&mut Pg(&mut tx), reader)?;
            super::commit(tx)?;
            Ok(())
        })
    }

    fn search_pending(&self, reader: &str, limit: u32) -> Result<Option<SearchPending>, StoreError> {
        self.with(|c| crate::search::pending(c, reader, limit))
    }

    fn search_applied(&self, reader: &str, upto: i64) -> Result<(), StoreError> {
        self.with(|c| crate::search::applied(c, reader, upto))
    }

    fn search_readers(&self) -> Result<Vec<SearchReader>, StoreError> {
        self.with(crate::search::readers)
    }

    fn search_rows(
        &self,
        spec: &'static RegistrySpec,
        ids: Option<&[i64]>,
        each: &mut dyn FnMut(SearchRow<'_>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let enterprises = spec.id == RegistryId::Enterprises;
        let select = crate::sql::select_with(spec, enterprises.then_some("t.tiers"));
        let n_fields = spec.fields.len();
        self.with(|c| {
            let mut tx = c.transaction()?;
            let mut n = 0;
            let mut read = |r: postgres::Row| -> Result<(), StoreError> {
                let mut values = read_values(&r)?.into_iter();
                let id = match values.next() {
                    Some(Value::Int(id)) => id,
                    _ => 0,
                };
                let row = as_row(spec, values.by_ref().take(n_fields));
                let tiers = match values.next() {
                    Some(Value::Int(bits)) => registries::HONOURS
                        .iter()
                        .enumerate()
                        .filter(|(i, _)| bits & (1 << i) != 0)
                        .map(|(_, o)| o.code)
                        .collect(),
                    _ => Vec::new(),
                };
                each(SearchRow { id, row: &row, tiers })?;
                n += 1;
                Ok(())
            };
            match ids {
                None => {
                    let mut rows = tx.query_raw(&format!("{select} ORDER BY t.id"), std::iter::empty::<i64>())?;
                    while let Some(r) = rows.next()? {
                        read(r)?;
                    }
                }
                Some(ids) => {
                    for chunk in ids.chunks(10_000) {
                        let chunk = chunk.to_vec();
                        for r in tx.query(&format!("{select} WHERE t.id = ANY($1) ORDER BY t.id"), &[&chunk])? {
                            read(r)?;
                        }
                    }
                }
            }
            super::commit(tx)?;
            Ok(n)
        })
    }
}

impl Introductions for PgStore {
    fn introduce(
        &self,
        demand: &str,
        achievement: &str,
        note: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<Introduction, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let intro = crate::introductions::introduce(&mut Pg(&mut tx), demand, achievement, note, actor, scope)?;
            super::commit(tx)?;
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
    ) -> Result<Option<Introduction>, StoreError> {
        self.with(|c| {
            let mut tx = c.transaction()?;
            let intro = crate::introductions::set_outcome(&mut Pg(&mut tx), id, outcome, note, actor, scope)?;
            super::commit(tx)?;
            Ok(intro)
        })
    }

    fn introductions(
        &self,
        demand: Option<&str>,
        achievement: Option<&str>,
        scope: &Scope,
    ) -> Result<Vec<Introduction>, StoreError> {
        self.with(|c| crate::introductions::list(c, demand, achievement, scope))
    }
}
