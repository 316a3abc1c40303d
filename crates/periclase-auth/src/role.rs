use periclase_domain::{RegistrySpec, Scope};

use crate::table::{self, Action, Feature, Reach};

#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// 省级管理员: everything.
    Admin,
    /// 市/县 official: reads and writes inside a region-code prefix.
    Official,
    /// An enterprise: its own profile, demands and projects.
    Enterprise,
    /// A university or institute: its achievements.
    Institute,
    /// An expert: their own profile.
    Expert,
}

pub const ROLES: [Role; 5] = [Role::Admin, Role::Official, Role::Enterprise, Role::Institute, Role::Expert];

impl Role {
    pub fn code(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Official => "official",
            Role::Enterprise => "enterprise",
            Role::Institute => "institute",
            Role::Expert => "expert",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Role::Admin => "省级管理员",
            Role::Official => "市县工作人员",
            Role::Enterprise => "企业用户",
            Role::Institute => "高校院所用户",
            Role::Expert => "专家",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        ROLES.into_iter().find(|r| r.code() == s || r.label() == s)
    }
}

/// A logged-in account, as the permission rules need it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Principal {
    pub account_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    /// Officials: the GB/T 2260 prefix they work in ("2103", "210381").
    pub region: Option<String>,
    /// Enterprise users: their enterprise's USCC.
    pub enterprise: Option<String>,
    /// Institute users: their institution's name as it appears on achievements.
    pub institution: Option<String>,
    /// Experts: their code in the talent registry.
    pub talent: Option<String>,
}

fn or_nothing(v: &Option<String>, f: impl FnOnce(String) -> Scope) -> Scope {
    v.clone().map_or(Scope::Nothing, f)
}

impl Principal {
    /// The rows of `spec` this principal reaches for `action`, by the permission table.
    pub fn scope(&self, spec: &RegistrySpec, action: Action) -> Scope {
        match table::reach(self.role, spec.id, action) {
            Reach::Nothing => Scope::Nothing,
            Reach::All => Scope::All,
            Reach::Region => or_nothing(&self.region, Scope::Region),
            Reach::OwnEnterprise => or_nothing(&self.enterprise, Scope::Enterprise),
            Reach::OwnInstitution => or_nothing(&self.institution, Scope::Institution),
            Reach::OwnTalent => or_nothing(&self.talent, Scope::Talent),
        }
    }

    pub fn read_scope(&self, spec: &RegistrySpec) -> Scope {
        self.scope(spec, Action::Read)
    }

    pub fn write_scope(&self, spec: &RegistrySpec) -> Scope {
        self.scope(spec, Action::Write)
    }

    pub fn declare_scope(&self, spec: &RegistrySpec) -> Scope {
        self.scope(spec, Action::Declare)
    }

    pub fn confirm_scope(&self, spec: &RegistrySpec) -> Scope {
        self.scope(spec, Action::Confirm)
    }

    pub fn may(&self, feature: Feature) -> bool {
        table::may_use(self.role, feature)
    }

    /// Whether this principal, writing a row of `spec`, may set the field `key`.
    pub fn may_set(&self, spec: &RegistrySpec, key: &str) -> bool {
        table::field_writable(self.role, spec.id, key)
    }

    /// Whether this principal sees `spec`'s private fields on the rows it may read.
    pub fn sees_private(&self, spec: &RegistrySpec) -> bool {
        table::sees_private(self.role, spec.id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::registries::*;

    fn who(role: Role) -> Principal {
        Principal {
            account_id: 1,
            username: "u".into(),
            display_name: "U".into(),
            role,
            region: (role == Role::Official).then(|| "210381".into()),
            enterprise: (role == Role::Enterprise).then(|| "91350100M000100Y43".into()),
            institution: (role == Role::Institute).then(|| "示例理工大学".into()),
            talent: (role == Role::Expert).then(|| "RC000001".into()),
        }
    }

    #[test]
    fn who_reads_what() {
        let official = who(Role::Official);
        assert_eq!(official.read_scope(&ENTERPRISES), Scope::Region("210381".into()));
        assert_eq!(official.read_scope(&ENTERPRISE_FIGURES), Scope::Region("210381".into()));
        assert_eq!(official.read_scope(&POLICIES), Scope::All);
        let ent = who(Role::Enterprise);
        assert_eq!(ent.read_scope(&ENTERPRISES), Scope::Enterprise("91350100M000100Y43".into()));
        assert_eq!(ent.read_scope(&DEMANDS), Scope::Enterprise("91350100M000100Y43".into()));
        assert_eq!(ent.read_scope(&TALENTS), Scope::Nothing);
        assert_eq!(ent.read_scope(&ACHIEVEMENTS), Scope::All);
        let inst = who(Role::Institute);
        assert_eq!(inst.read_scope(&ENTERPRISES), Scope::Nothing);
        assert_eq!(inst.read_scope(&DEMANDS), Scope::All);
        assert_eq!(inst.write_scope(&ACHIEVEMENTS), Scope::Institution("示例理工大学".into()));
        let expert = who(Role::Expert);
        assert_eq!(expert.read_scope(&TALENTS), Scope::Talent("RC000001".into()));
        assert_eq!(expert.read_scope(&PROJECTS), Scope::Nothing);
        assert_eq!(who(Role::Admin).write_scope(&POLICIES), Scope::All);
        assert_eq!(official.write_scope(&POLICIES), Scope::Nothing);
    }

    #[test]
    fn an_account_missing_its_anchor_sees_nothing_of_its_own() {
        let mut ent = who(Role::Enterprise);
        ent.enterprise = None;
        assert_eq!(ent.read_scope(&ENTERPRISES), Scope::Nothing);
        let mut official = who(Role::Official);
        official.region = None;
        assert_eq!(official.read_scope(&PROJECTS), Scope::Nothing);
    }

    #[test]
    fn roles_parse_by_code_and_label() {
        for r in ROLES {
            assert_eq!(Role::parse(r.code()), Some(r));
            assert_eq!(Role::parse(r.label()), Some(r));
        }
    }
}
