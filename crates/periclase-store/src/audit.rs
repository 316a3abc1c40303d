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

/// An audit entry about to be written (by either store, inside the write's transaction).
pub(crate) struct AuditRecord<'a> {
    pub action: &'a str,
    pub registry: &'a str,
    pub key: Option<&'a str>,
    pub before: Option<&'a str>,
    pub after: Option<&'a str>,
    pub note: Option<&'a str>,
}

/// The columns of an audit entry, in [`AuditEntry`]'s order.
pub(crate) const AUDIT_COLUMNS: &str = "id, at, actor, channel, action, registry, record_key, before, after, note";

/// Appends one entry; parameters numbered SQLite's way (`?1`…), see `pg::dollars`.
pub(crate) const AUDIT_INSERT: &str =
    "INSERT INTO audit_log (actor, channel, action, registry, record_key, before, after, note)
     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

/// The entries `q` asks for, newest first (both stores).
pub(crate) fn entries(x: &mut dyn crate::portable::Exec, q: &AuditQuery) -> Result<Vec<AuditEntry>, crate::StoreError> {
    use periclase_domain::Value;
    let (sql, params) = q.sql();
    let text = |v: &mut Value| match std::mem::replace(v, Value::Null) {
        Value::Text(s) => Some(s),
        Value::Null => None,
        other => Some(other.to_string()),
    };
    Ok(x.rows(&sql, &params)?
        .into_iter()
        .map(|mut r| AuditEntry {
            id: match r[0] {
                Value::Int(id) => id,
                _ => 0,
            },
            at: text(&mut r[1]).unwrap_or_default(),
            actor: text(&mut r[2]).unwrap_or_default(),
            channel: text(&mut r[3]).unwrap_or_default(),
            action: text(&mut r[4]).unwrap_or_default(),
            registry: text(&mut r[5]).unwrap_or_default(),
            record_key: text(&mut r[6]),
            before: text(&mut r[7]),
            after: text(&mut r[8]),
            note: text(&mut r[9]),
        })
        .collect())
}

impl AuditQuery {
    /// The query as SQL, newest first (parameters numbered SQLite's way), and its parameters.
    pub(crate) fn sql(&self) -> (String, Vec<periclase_domain::Value>) {
        use periclase_domain::Value;
        let mut conds = Vec::new();
        let mut params: Vec<Value> = Vec::new();
        let mut push = |cond: &str, v: Value| {
            params.push(v);
            conds.push(format!("{cond} ?{}", params.len()));
        };
        if let Some(r) = &self.registry {
            push("registry =", Value::Text(r.clone()));
        }
        if let Some(a) = &self.actor {
            push("actor =", Value::Text(a.clone()));
        }
        if let Some(k) = &self.record_key {
            push("record_key =", Value::Text(k.clone()));
        }
        if let Some(b) = self.before_id {
            push("id <", Value::Int(b));
        }
        let limit = self.limit.unwrap_or(50).clamp(1, 1000);
        let filter = if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        (format!("SELECT {AUDIT_COLUMNS} FROM audit_log {filter} ORDER BY id DESC LIMIT {limit}"), params)
    }
}
