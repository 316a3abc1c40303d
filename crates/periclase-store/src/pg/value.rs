//! Domain values to and from PostgreSQL. SQLite takes any value in any column; PostgreSQL
//! checks types, so a value is sent as the type the server expects for its parameter (an
//! integer-valued amount into a `double precision` column, say).

use std::error::Error;

use bytes::BytesMut;
use periclase_domain::Value;
use postgres::types::{to_sql_checked, IsNull, ToSql, Type};

/// Binds a domain value as a statement parameter.
#[derive(Debug)]
pub(crate) struct PgValue<'a>(pub &'a Value);

impl ToSql for PgValue<'_> {
    fn to_sql(&self, ty: &Type, out: &mut BytesMut) -> Result<IsNull, Box<dyn Error + Sync + Send>> {
        match (self.0, ty) {
            (Value::Null, _) => Ok(IsNull::Yes),
            (Value::Int(i), &Type::INT8) => i.to_sql(ty, out),
            (Value::Int(i), &Type::INT4) => i32::try_from(*i)?.to_sql(ty, out),
            (Value::Int(i), &Type::FLOAT8) => (*i as f64).to_sql(ty, out),
            (Value::Real(r), &Type::FLOAT8) => r.to_sql(ty, out),
            (Value::Real(r), &Type::INT8) if r.fract() == 0.0 => (*r as i64).to_sql(ty, out),
            (Value::Text(s), &Type::TEXT | &Type::VARCHAR | &Type::BPCHAR | &Type::NAME | &Type::UNKNOWN) => {
                s.as_str().to_sql(ty, out)
            }
            (v, ty) => Err(format!("值「{v}」不能作为 {ty} 类型的参数").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        true
    }

    to_sql_checked!();
}

/// Runs `f` with `params` bound as statement parameters.
pub(crate) fn with_binds<T>(params: &[Value], f: impl FnOnce(&[&(dyn ToSql + Sync)]) -> T) -> T {
    let binds: Vec<PgValue> = params.iter().map(PgValue).collect();
    let refs: Vec<&(dyn ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
    f(&refs)
}

/// SQL written with SQLite's numbered parameters (`?1`, `?2`, as the store's shared SQL
/// builders write them) in PostgreSQL's (`$1`, `$2`). Text inside quotes is left alone.
pub(crate) fn dollars(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len());
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
        }
        if c == '?' && !quoted && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
            out.push('$');
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbered_parameters_become_dollars_outside_quotes() {
        assert_eq!(
            dollars("SELECT a FROM t WHERE b = ?1 AND c LIKE ?12 || '%'"),
            "SELECT a FROM t WHERE b = $1 AND c LIKE $12 || '%'"
        );
        assert_eq!(dollars("SELECT '?1', ?2"), "SELECT '?1', $2");
        assert_eq!(dollars("SELECT 'it''s ?3' WHERE x = ?4"), "SELECT 'it''s ?3' WHERE x = $4");
        assert_eq!(dollars("a ? b"), "a ? b");
    }
}
