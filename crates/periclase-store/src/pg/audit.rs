//! The audit trail on PostgreSQL: entries appended inside each write's transaction; the
//! schema's triggers refuse any change or removal.

use postgres::GenericClient;

use super::{dollars, PgStore, PgValue};
use crate::audit::{AuditRecord, AUDIT_INSERT};
use crate::{Actor, AuditEntry, AuditQuery, AuditTrail, StoreError};

pub(crate) fn append_audit(c: &mut impl GenericClient, actor: &Actor, r: &AuditRecord<'_>) -> Result<(), StoreError> {
    c.execute(
        &dollars(AUDIT_INSERT),
        &[&actor.name, &actor.channel.code(), &r.action, &r.registry, &r.key, &r.before, &r.after, &r.note],
    )?;
    Ok(())
}

impl AuditTrail for PgStore {
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        let (sql, params) = query.sql();
        let binds: Vec<PgValue> = params.iter().map(PgValue).collect();
        let refs: Vec<&(dyn postgres::types::ToSql + Sync)> = binds.iter().map(|b| b as _).collect();
        self.with(|c| {
            let rows = c.query(&dollars(&sql), &refs)?;
            Ok(rows
                .iter()
                .map(|r| AuditEntry {
                    id: r.get(0),
                    at: r.get(1),
                    actor: r.get(2),
                    channel: r.get(3),
                    action: r.get(4),
                    registry: r.get(5),
                    record_key: r.get(6),
                    before: r.get(7),
                    after: r.get(8),
                    note: r.get(9),
                })
                .collect())
        })
    }
}
