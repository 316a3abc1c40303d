//! The shape of a registry: its fields, their kinds and labels. Import, export, storage and
//! the API are all driven by these specs, so a registry is described once.

/// One allowed value of an enumerated field: a stable code (stored, used by the API) and the
/// Chinese label users read and type. Either is accepted on input, as are the aliases.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EnumOption {
    pub code: &'static str,
    pub label: &'static str,
    pub aliases: &'static [&'static str],
}

pub const fn opt(code: &'static str, label: &'static str) -> EnumOption {
    EnumOption { code, label, aliases: &[] }
}

pub const fn opt_a(code: &'static str, label: &'static str, aliases: &'static [&'static str]) -> EnumOption {
    EnumOption { code, label, aliases }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    /// Single-line text, at most this many characters (longer is rejected, never cut).
    Text(usize),
    /// Free text up to 100,000 characters.
    LongText,
    /// A list typed with ；;、, separators, stored `；`-joined.
    List,
    Uscc,
    /// The natural key of a row in another registry (an enterprise's USCC, a talent's code).
    Ref(RegistryId),
    Region,
    Industry,
    Date,
    Year,
    /// Non-negative integer.
    Count,
    /// Non-negative decimal.
    Amount,
    /// Non-negative percentage; "65%" and "65" both mean 65.
    Percent,
    Enum(&'static [EnumOption]),
    Bool,
    /// A leaf node of an industry chain template, stored as `chain/node` ids
    /// (`magnesia/fused`); typed and shown as names (`菱镁产业链/电熔镁砂`).
    ChainNode,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSpec {
    /// English header, JSON key.
    pub key: &'static str,
    /// SQL column; for [`FieldKind::Ref`] the column holds the parent's row id.
    pub column: &'static str,
    /// Chinese header.
    pub label: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: FieldKind,
    pub required: bool,
    /// Kept out of lists and the public API (e.g. an expert's contact details).
    pub private: bool,
}

impl FieldSpec {
    pub const fn new(key: &'static str, label: &'static str, kind: FieldKind) -> Self {
        FieldSpec { key, column: key, label, aliases: &[], kind, required: false, private: false }
    }
    pub const fn required(mut self) -> Self {
        self.required = true;
        self
    }
    pub const fn private(mut self) -> Self {
        self.private = true;
        self
    }
    pub const fn column(mut self, column: &'static str) -> Self {
        self.column = column;
        self
    }
    pub const fn aliases(mut self, aliases: &'static [&'static str]) -> Self {
        self.aliases = aliases;
        self
    }

    /// The Chinese label of an enum code, or the code itself.
    pub fn enum_label<'a>(&self, code: &'a str) -> &'a str {
        if let FieldKind::Enum(opts) = self.kind {
            if let Some(o) = opts.iter().find(|o| o.code == code) {
                return o.label;
            }
        }
        code
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum RegistryId {
    Enterprises,
    EnterpriseFigures,
    EnterpriseHonours,
    EnterpriseCapacities,
    EnterpriseEnergy,
    EnterpriseCertifications,
    Projects,
    Talents,
    TalentLinks,
    Platforms,
    PlatformEvaluations,
    Achievements,
    Demands,
    Policies,
    FinancialProducts,
    Catalogue,
    ChainMembers,
    FirstSets,
}

#[derive(Debug)]
pub struct RegistrySpec {
    pub id: RegistryId,
    /// URL and CLI name, e.g. `enterprises`.
    pub name: &'static str,
    /// Chinese name, e.g. 企业库.
    pub label: &'static str,
    pub table: &'static str,
    pub fields: &'static [FieldSpec],
    /// Keys of the fields forming the natural key (upsert target).
    pub natural_key: &'static [&'static str],
    /// Fields searched by the `q` filter.
    pub search: &'static [&'static str],
    /// Field filtered by the `region` prefix filter.
    pub region_field: Option<&'static str>,
    /// Field used for the `year` filter.
    pub year_field: Option<&'static str>,
    /// Field naming the enterprise (by USCC) a row belongs to, for enterprise users' and
    /// officials' scopes: `uscc` on enterprises and their child rows, the owner on projects…
    pub owner: Option<&'static str>,
    /// Cross-field rules, checked after each field is valid.
    pub check: Option<fn(&crate::Row) -> Vec<crate::FieldError>>,
}

impl RegistrySpec {
    pub fn field(&self, key: &str) -> Option<&'static FieldSpec> {
        self.fields.iter().find(|f| f.key == key)
    }

    pub fn index_of(&self, key: &str) -> Option<usize> {
        self.fields.iter().position(|f| f.key == key)
    }

    pub fn key_indices(&self) -> Vec<usize> {
        self.natural_key.iter().map(|k| self.index_of(k).expect("natural key field exists")).collect()
    }

    /// Finds the field a column header names: English key, Chinese label or an alias,
    /// ignoring case, spaces, full-width brackets, a trailing unit in brackets and a `*`.
    pub fn field_for_header(&self, header: &str) -> Option<usize> {
        let h = header_key(header);
        if h.is_empty() {
            return None;
        }
        let matches = |name: &str| header_key(name) == h || strip_unit(&header_key(name)) == strip_unit(&h);
        self.fields.iter().position(|f| matches(f.key) || matches(f.label) || f.aliases.iter().any(|a| matches(a)))
    }
}

fn header_key(h: &str) -> String {
    crate::normalize_cell(h)
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '*' && *c != '＊')
        .map(|c| match c {
            '（' => '(',
            '）' => ')',
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn strip_unit(h: &str) -> &str {
    match h.find('(') {
        Some(i) if h.ends_with(')') && i > 0 => &h[..i],
        _ => h,
    }
}
