//! The shared write code's way into PostgreSQL (`portable::Exec`), and domain values read
//! back by their column's type.

use periclase_domain::Value;
use postgres::error::SqlState;
use postgres::types::{ToSql, Type};
use postgres::GenericClient;

use super::value::with_binds;
use super::{dollars, PgValue};
use crate::portable::Exec;
use crate::StoreError;

/// A connection or transaction, seen by the shared code.
pub(crate) struct Pg<'a, C>(pub &'a mut C);

/// Column `i` of a row as a domain value, by the column's type.
pub(crate) fn read_value(row: &postgres::Row, i: usize) -> Result<Value, postgres::Error> {
    Ok(match *row.columns()[i].type_() {
        Type::INT8 => row.try_get::<_, Option<i64>>(i)?.map_or(Value::Null, Value::Int),
        Type::INT4 => row.try_get::<_, Option<i32>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
        Type::INT2 => row.try_get::<_, Option<i16>>(i)?.map_or(Value::Null, |v| Value::Int(v.into())),
        Type::FLOAT8 => row.try_get::<_, Option<f64>>(i)?.map_or(Value::Null, Value::Real),
        Type::FLOAT4 => row.try_get::<_, Option<f32>>(i)?.map_or(Value::Null, |v| Value::Real(v.into())),
        Type::BOOL => row.try_get::<_, Option<bool>>(i)?.map_or(Value::Null, |b| Value::Int(b.into())),
        _ => row.try_get::<_, Option<String>>(i)?.map_or(Value::Null, Value::Text),
    })
}

/// Every value of a row.
pub(crate) fn read_values(row: &postgres::Row) -> Result<Vec<Value>, postgres::Error> {
    (0..row.len()).map(|i| read_value(row, i)).collect()
}

/// Runs `sql` (parameters numbered SQLite's way) with domain values.
pub(crate) fn query(c: &mut impl GenericClient, sql: &str, params: &[Value]) -> Result<Vec<postgres::Row>, StoreError> {
    Ok(with_binds(params, |refs| c.query(&dollars(sql), refs))?)
}

impl<C: GenericClient> Exec for Pg<'_, C> {
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let rows = query(self.0, sql, params)?;
        Ok(rows.iter().map(read_values).collect::<Result<_, _>>()?)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        Ok(with_binds(params, |refs| self.0.execute(&dollars(sql), refs))?)
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>, StoreError> {
        // A unique violation aborts the transaction: a savepoint keeps it usable.
        let mut sp = self.0.transaction()?;
        match with_binds(params, |refs| sp.query_one(&format!("{} RETURNING id", dollars(sql)), refs)) {
            Ok(row) => {
                let id = row.get(0);
                sp.commit()?;
                Ok(Some(id))
            }
            Err(e) if e.code() == Some(&SqlState::UNIQUE_VIOLATION) => Ok(None),
            Err(e) => Err(e.into()),
        }
    }

    fn now(&mut self) -> Result<Value, StoreError> {
        Ok(Value::Text(self.0.query_one("SELECT periclase_now()", &[])?.get(0)))
    }

    fn now_plus_minutes(&mut self, minutes: i64) -> Result<Value, StoreError> {
        Ok(Value::Text(self.0.query_one("SELECT periclase_now_plus_minutes($1)", &[&minutes])?.get(0)))
    }
}

/// The frame reader's rows, streamed from the server (`query_raw`: never all in memory).
impl<C: GenericClient> crate::frame::Source for Pg<'_, C> {
    fn stream(
        &mut self,
        sql: &str,
        params: &[Value],
        each: &mut dyn FnMut(&dyn crate::frame::SourceRow) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        use postgres::fallible_iterator::FallibleIterator;
        let binds: Vec<PgValue> = params.iter().map(PgValue).collect();
        let mut rows = self.0.query_raw(&dollars(sql), binds.iter().map(|b| b as &dyn ToSql))?;
        while let Some(r) = rows.next()? {
            each(&PgRow(&r))?;
        }
        Ok(())
    }
}

struct PgRow<'a>(&'a postgres::Row);

impl crate::frame::SourceRow for PgRow<'_> {
    fn value(&self, i: usize) -> Value {
        read_value(self.0, i).unwrap_or(Value::Null)
    }
}

/// A pooled connection outside a transaction, seen by the shared code: its statements are
/// prepared once and kept (`conn.rs`).
impl Exec for super::conn::PgConn {
    fn rows(&mut self, sql: &str, params: &[Value]) -> Result<Vec<Vec<Value>>, StoreError> {
        let rows = self.query_values(sql, params)?;
        Ok(rows.iter().map(read_values).collect::<Result<_, _>>()?)
    }

    fn execute(&mut self, sql: &str, params: &[Value]) -> Result<u64, StoreError> {
        self.execute_values(sql, params)
    }

    fn insert(&mut self, sql: &str, params: &[Value]) -> Result<Option<i64>, StoreError> {
        Pg(&mut **self).insert(sql, params)
    }

    fn now(&mut self) -> Result<Value, StoreError> {
        first_value(self.query_values("SELECT periclase_now()", &[])?)
    }

    fn now_plus_minutes(&mut self, minutes: i64) -> Result<Value, StoreError> {
        first_value(self.query_values("SELECT periclase_now_plus_minutes(?1)", &[Value::Int(minutes)])?)
    }
}

/// The one value a `SELECT f()` returns.
fn first_value(rows: Vec<postgres::Row>) -> Result<Value, StoreError> {
    let row = rows.first().ok_or_else(|| StoreError::BadQuery("数据库函数没有返回值".to_string()))?;
    Ok(read_value(row, 0)?)
}
