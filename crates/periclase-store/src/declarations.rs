//! Declarations: an enterprise's statements about facts a department holds, waiting for that
//! department to confirm them. Confirming writes the record (audited, in the confirmer's
//! scope) and closes the declaration in one transaction; rejecting closes it with a reason.

use periclase_domain::{RegistrySpec, Row, Scope};

use crate::{Actor, StoreError};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclarationStatus {
    Pending,
    Confirmed,
    Rejected,
    /// A newer declaration of the same record replaced it before anyone decided.
    Superseded,
}

impl DeclarationStatus {
    pub fn code(self) -> &'static str {
        match self {
            DeclarationStatus::Pending => "pending",
            DeclarationStatus::Confirmed => "confirmed",
            DeclarationStatus::Rejected => "rejected",
            DeclarationStatus::Superseded => "superseded",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            DeclarationStatus::Pending => "待核验",
            DeclarationStatus::Confirmed => "已核验",
            DeclarationStatus::Rejected => "未通过",
            DeclarationStatus::Superseded => "已被新申报替代",
        }
    }

    pub fn parse(s: &str) -> Option<DeclarationStatus> {
        [Self::Pending, Self::Confirmed, Self::Rejected, Self::Superseded]
            .into_iter()
            .find(|d| d.code() == s || d.label() == s)
    }
}

/// What a declaration asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredChange {
    /// Add the record, or change it to the declared values.
    Upsert,
    /// Remove the record.
    Delete,
}

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Declaration {
    pub id: i64,
    /// Registry URL name.
    pub registry: String,
    /// The record's natural key, as the audit trail names it.
    pub record_key: String,
    pub uscc: String,
    pub region: String,
    pub change: DeclaredChange,
    /// The record as declared: field key → text as users read it.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The record as it stands now, when the declaration would change or remove one
    /// (field key → text as users read it), for the official to compare.
    pub current: Option<serde_json::Map<String, serde_json::Value>>,
    /// The enterprise's name as registered (or as declared, for a new registration).
    pub enterprise_name: String,
    pub evidence: String,
    pub declared_by: String,
    pub declared_at: String,
    pub status: DeclarationStatus,
    pub decided_by: Option<String>,
    pub decided_at: Option<String>,
    pub decision_note: Option<String>,
}

/// Which declarations to list.
#[derive(Debug, Clone, Default)]
pub struct DeclarationQuery {
    /// Declarations of enterprises in this scope (a region, one enterprise); `None`: all.
    pub scope: Option<Scope>,
    pub status: Option<DeclarationStatus>,
    pub registry: Option<String>,
    pub uscc: Option<String>,
    pub limit: Option<u32>,
}

pub trait Declarations: Send + Sync {
    /// Records that the enterprise in `scope` (an enterprise scope) declares `row` of `spec`
    /// — or its removal — with `evidence`. The row must be the enterprise's own, as must any
    /// record it would change. A pending declaration of the same record is superseded.
    fn declare(
        &self,
        spec: &'static RegistrySpec,
        row: &Row,
        change: DeclaredChange,
        evidence: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<Declaration, StoreError>;

    fn declarations(&self, query: &DeclarationQuery) -> Result<Vec<Declaration>, StoreError>;

    /// One declaration, if its enterprise is inside `scope`.
    fn declaration(&self, id: i64, scope: Option<&Scope>) -> Result<Option<Declaration>, StoreError>;

    /// Confirms (writing the declared record inside `scope`, audited with the declaration's
    /// number) or rejects a pending declaration, with a note. Not found outside `scope`.
    fn decide(
        &self,
        id: i64,
        confirm: bool,
        note: &str,
        actor: &Actor,
        scope: &Scope,
    ) -> Result<Declaration, StoreError>;
}
