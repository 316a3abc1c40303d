//! The audit trail on PostgreSQL: entries are appended inside each write's transaction
//! (`portable::append_audit`); the schema's triggers refuse any change or removal.

use super::PgStore;
use crate::{AuditEntry, AuditQuery, AuditTrail, StoreError};

impl AuditTrail for PgStore {
    fn audit(&self, query: &AuditQuery) -> Result<Vec<AuditEntry>, StoreError> {
        self.with(|c| crate::audit::entries(c, query))
    }
}
