//! The SQLite side of a whole-database copy (`transfer.rs`).

use periclase_domain::Value;
use rusqlite::TransactionBehavior;

use super::{read_value, Bind, SqliteStore};
use crate::transfer::{known, Tables, COPIED};
use crate::StoreError;

impl Tables for SqliteStore {
    fn table_columns(&self, table: &str) -> Result<Vec<String>, StoreError> {
        let table = known(table)?;
        self.with(|c| {
            let mut st = c.prepare("SELECT name FROM pragma_table_info(?1) ORDER BY cid")?;
            let names = st.query_map([table], |r| r.get(0))?.collect::<Result<_, _>>()?;
            Ok(names)
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
            let tx = c.unchecked_transaction()?;
            let key: Vec<String> = tx
                .prepare("SELECT name FROM pragma_table_info(?1) WHERE pk > 0 ORDER BY pk")?
                .query_map([table], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            let sql = format!("SELECT {} FROM {table} ORDER BY {}", columns.join(", "), key.join(", "));
            let mut st = tx.prepare(&sql)?;
            let mut rows = st.query([])?;
            let mut n = 0;
            while let Some(r) = rows.next()? {
                let values = (0..columns.len()).map(|i| r.get_ref(i).map(read_value)).collect::<Result<_, _>>()?;
                each(values)?;
                n += 1;
            }
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
            let tx = c.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let mut n = 0;
            {
                let marks: Vec<String> = (1..=columns.len()).map(|i| format!("?{i}")).collect();
                let mut st =
                    tx.prepare(&format!("INSERT INTO {table} ({}) VALUES ({})", columns.join(", "), marks.join(", ")))?;
                for row in rows {
                    let binds: Vec<Bind> = row.iter().map(Bind).collect();
                    st.execute(rusqlite::params_from_iter(binds.iter()))?;
                    n += 1;
                }
            }
            tx.commit()?;
            Ok(n)
        })
    }

    fn copied_rows(&self) -> Result<u64, StoreError> {
        self.with(|c| {
            let mut total = 0;
            for table in COPIED {
                let n: i64 = c.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| r.get(0))?;
                total += n as u64;
            }
            Ok(total)
        })
    }

    fn after_copy(&self) -> Result<(), StoreError> {
        Ok(())
    }
}
