//! The PostgreSQL side of a whole-database copy (`transfer.rs`).

use periclase_domain::Value;
use postgres::fallible_iterator::FallibleIterator;
use postgres::types::ToSql;

use super::exec::read_values;
use super::{PgStore, PgValue};
use crate::transfer::{known, Tables, COPIED};
use crate::StoreError;

impl Tables for PgStore {
    fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let table = known(table)?;
        self.with(|c| {
            Ok(c.query(
                "SELECT column_name::text FROM information_schema.columns
                 WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
                &[&table],
            )?
            .iter()
            .map(|r| r.get(0))
            .collect())
        })
    }

    fn read_table(
        &self,
        table: &str,
        columns: &[String],
        each: &mut dyn FnMut(Vec<Value>) -> Result<(), StoreError>,
    ) -> Result<u64, StoreError> {
        let table = known(table)?;
        self.with(|c| {
            let mut tx = c
                .build_transaction()
                .isolation_level(postgres::IsolationLevel::RepeatableRead)
                .read_only(true)
                .start()?;
            let key: Vec<String> = tx
                .query(
                    "SELECT a.attname::text FROM pg_index i
                     JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n) ON true
                     JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
                     WHERE i.indrelid = $1::text::regclass AND i.indisprimary ORDER BY k.n",
                    &[&table],
                )?
                .iter()
                .map(|r| r.get(0))
                .collect();
            let sql = format!("SELECT {} FROM {table} ORDER BY {}", columns.join(", "), key.join(", "));
            let mut n = 0;
            let mut rows = tx.query_raw(&sql, std::iter::empty::<i64>())?;
            while let Some(r) = rows.next()? {
                each(read_values(&r)?)?;
                n += 1;
            }
            drop(rows);
            super::commit(tx)?;
            Ok(n)
        })
    }

    fn write_table(
        &self,
        table: &str,
        columns: &[String],
        rows: &mut dyn Iterator<Item = Vec<Value>>,
    ) -> Result<u64, StoreError> {
        let table = known(table)?;
        self.with(|c| {
            let mut tx = c.transaction()?;
            let marks: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let st =
                tx.prepare(&format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), marks.join(", ")))?;
            let mut n = 0;
            for row in rows {
                let binds: Vec<PgValue> = row.iter().map(PgValue).collect();
                let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
                tx.execute(&st, &refs)?;
                n += 1;
            }
            super::commit(tx)?;
            Ok(n)
        })
    }

    fn copied_rows(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let mut total = 0;
            for table in COPIED {
                let n: i64 = c.query_one(&format!("SELECT count(*) FROM {table}"), &[])?.get(0);
                total += n as u64;
            }
            Ok(total)
        })
    }

    /// Every identity sequence moves past the ids the copy brought.
    fn after_copy(&self) -> Result<(), StoreError> {
        self.with(|c| {
            for table in COPIED {
                let has_id: bool = c
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                         AND table_name = $1 AND column_name = 'id' AND is_identity = 'YES')",
                        &[&table],
                    )?
                    .get(0);
                if has_id {
                    c.execute(
                        &format!(
                            "SELECT setval(pg_get_serial_sequence('{table}', 'id'), coalesce(max(id), 0) + 1, false) FROM {table}"
                        ),
                        &[],
                    )?;
                }
            }
            Ok(())
        })
    }
}
