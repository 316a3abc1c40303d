//! Who wrote: the actor every write names, and the audit entries it leaves.

/// Through which door a write came.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    Ui,
    Api,
    Import,
    Cli,
}

impl Channel {
    pub fn code(self) -> &'static str {
        match self {
            Channel::Ui => "ui",
            Channel::Api => "api",
            Channel::Import => "import",
            Channel::Cli => "cli",
        }
    }
}

/// The person (account name, or `cli:<system user>`) and the channel of a write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub name: String,
    pub channel: Channel,
}

impl Actor {
    pub fn new(name: impl Into<String>, channel: Channel) -> Actor {
        Actor { name: name.into(), channel }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub id: i64,
    pub at: String,
    pub actor: String,
    pub channel: String,
    pub action: String,
    pub registry: String,
    pub record_key: Option<String>,
    /// JSON text.
    pub before: Option<String>,
    pub after: Option<String>,
    pub note: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub registry: Option<String>,
    pub actor: Option<String>,
    pub record_key: Option<String>,
    /// Newest first: entries with id below this.
    pub before_id: Option<i64>,
    pub limit: Option<u32>,
}
