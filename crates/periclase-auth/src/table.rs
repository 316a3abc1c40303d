//! The permission table: for every role, registry and action, how far the role reaches; and
//! for every role, the features (pages and actions that are not one registry) it may use.
//! Every channel — pages, API, export, import, search, matching — asks this table, through
//! [`crate::Principal`], and nothing else.
//!
//! Facts have authorities: honours, certifications, yearly figures, chain membership and the
//! enterprise's registration are held by departments. An enterprise *declares* its own
//! (stored as a declaration: who, when, evidence) and the department holding the fact
//! *confirms* it; only confirmed values reach a policy or a monitored figure. What an
//! enterprise writes directly is what is its own to say: its demands.

use periclase_domain::RegistryId;

use crate::Role;

/// What someone does to a registry's rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    /// Create, change or delete rows directly (forms, API, import).
    Write,
    /// Propose a row, a change or a removal for a department to confirm.
    Declare,
    /// Confirm or reject declarations: the confirmed row is written.
    Confirm,
}

pub const ACTIONS: [Action; 4] = [Action::Read, Action::Write, Action::Declare, Action::Confirm];

impl Action {
    pub fn label(self) -> &'static str {
        match self {
            Action::Read => "查看",
            Action::Write => "修改",
            Action::Declare => "申报",
            Action::Confirm => "核验",
        }
    }
}

/// How far a role reaches in a registry; the principal's own anchor (region, enterprise,
/// institution, talent) turns it into a [`periclase_domain::Scope`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reach {
    Nothing,
    All,
    /// Rows in the official's region (or of enterprises in it).
    Region,
    /// Rows of the user's own enterprise.
    OwnEnterprise,
    /// Achievements of the user's own institution.
    OwnInstitution,
    /// The expert's own profile and links.
    OwnTalent,
}

/// Pages and actions that are not reading or writing one registry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Feature {
    /// 审计日志.
    Audit,
    /// 行业监测.
    Monitor,
    /// 产业链图谱 and 招商 targets. The targets are, by purpose, enterprises on the chain
    /// *outside* the official's region, each with its revenue, best tier and R&D ratio: the one
    /// place an official sees figures of enterprises beyond their registries' region reach.
    /// The province grants this for 招商; it is listed here so that the grant is a decision.
    ChainMap,
    /// Confirming or rejecting suggested chain nodes.
    ChainReview,
    /// 政策库 and a policy's page.
    Policies,
    /// 政策计算器 (for an enterprise one may read).
    Calculator,
    /// 免申即享 batch runs, their lists and xlsx.
    PolicyRuns,
    /// 政策沙盘.
    Sandbox,
    /// 全文检索 (scoped to what each registry allows).
    Search,
    /// 对接 records: made, listed and updated for demands one may read.
    Introductions,
    /// The declarations inbox: an enterprise's own, an official's to confirm.
    Declarations,
    /// The search index: its state, and rebuilding it (a job over every searched registry).
    SearchIndex,
}

pub const FEATURES: [Feature; 12] = [
    Feature::Audit,
    Feature::Monitor,
    Feature::ChainMap,
    Feature::ChainReview,
    Feature::Policies,
    Feature::Calculator,
    Feature::PolicyRuns,
    Feature::Sandbox,
    Feature::Search,
    Feature::Introductions,
    Feature::Declarations,
    Feature::SearchIndex,
];

impl Feature {
    pub fn label(self) -> &'static str {
        match self {
            Feature::Audit => "审计日志",
            Feature::Monitor => "行业监测",
            Feature::ChainMap => "产业链图谱",
            Feature::ChainReview => "企业上链核验",
            Feature::Policies => "政策库",
            Feature::Calculator => "政策计算器",
            Feature::PolicyRuns => "免申即享",
            Feature::Sandbox => "政策沙盘",
            Feature::Search => "全文检索",
            Feature::Introductions => "对接记录",
            Feature::Declarations => "申报核验",
            Feature::SearchIndex => "检索索引维护",
        }
    }
}

/// Registries everyone signed in may read: published policy, finance offers, the catalogue,
/// transferable achievements and innovation platforms.
pub fn public(id: RegistryId) -> bool {
    matches!(
        id,
        RegistryId::Policies
            | RegistryId::FinancialProducts
            | RegistryId::Catalogue
            | RegistryId::Achievements
            | RegistryId::Platforms
            | RegistryId::PlatformEvaluations
    )
}

/// Facts about an enterprise that a department holds: the enterprise declares them, the
/// department confirms. (Demands are the enterprise's own to post.)
pub fn held_by_department(id: RegistryId) -> bool {
    matches!(
        id,
        RegistryId::Enterprises
            | RegistryId::EnterpriseFigures
            | RegistryId::EnterpriseHonours
            | RegistryId::EnterpriseCapacities
            | RegistryId::EnterpriseEnergy
            | RegistryId::EnterpriseCertifications
            | RegistryId::Projects
            | RegistryId::ChainMembers
            | RegistryId::FirstSets
    )
}

/// The one table: how far `role` reaches in registry `id` for `action`.
pub fn reach(role: Role, id: RegistryId, action: Action) -> Reach {
    use Action::*;
    use RegistryId as R;
    match (role, action) {
        (Role::Admin, Declare) => Reach::Nothing,
        (Role::Admin, _) => Reach::All,

        (_, Read) if public(id) => Reach::All,
        (Role::Official, Read) => match id {
            // The expert pool and its conflict-of-interest links serve every county.
            R::Talents | R::TalentLinks => Reach::All,
            _ => Reach::Region,
        },
        (Role::Official, Write) => match id {
            _ if public(id) => Reach::Nothing,
            R::Talents | R::TalentLinks => Reach::Nothing,
            _ => Reach::Region,
        },
        (Role::Official, Confirm) if held_by_department(id) => Reach::Region,
        (Role::Official, _) => Reach::Nothing,

        (Role::Enterprise, Read) if held_by_department(id) || id == R::Demands => Reach::OwnEnterprise,
        (Role::Enterprise, Write) if id == R::Demands => Reach::OwnEnterprise,
        (Role::Enterprise, Declare) if held_by_department(id) => Reach::OwnEnterprise,
        (Role::Enterprise, _) => Reach::Nothing,

        (Role::Institute, Read) if id == R::Demands => Reach::All,
        (Role::Institute, Write) if id == R::Achievements => Reach::OwnInstitution,
        (Role::Institute, _) => Reach::Nothing,

        (Role::Expert, Read) if matches!(id, R::Talents | R::TalentLinks) => Reach::OwnTalent,
        // Their profile is the expert's to keep; 回避 links are the department's record.
        (Role::Expert, Write) if id == R::Talents => Reach::OwnTalent,
        (Role::Expert, _) => Reach::Nothing,
    }
}

/// The features `role` may use. Each page checks its feature and scopes its rows by the
/// registry table above.
pub fn may_use(role: Role, feature: Feature) -> bool {
    use Feature::*;
    match role {
        Role::Admin => true,
        Role::Official => !matches!(feature, Audit | SearchIndex),
        // 行业监测 shows the plan targets and the province's progress: published figures.
        Role::Enterprise => matches!(feature, Monitor | Policies | Calculator | Search | Declarations),
        Role::Institute | Role::Expert => matches!(feature, Monitor | Policies | Search),
    }
}

/// Whether `role`, writing a row of registry `id`, may set field `key`: an expert keeps their
/// own profile, but whether they sit in the expert pool and their talent category are the
/// department's to decide.
pub fn field_writable(role: Role, id: RegistryId, key: &str) -> bool {
    !(role == Role::Expert && id == RegistryId::Talents && matches!(key, "is_expert" | "category"))
}

/// Whether `role` sees private fields (an expert's contact details) of the rows it may read:
/// administrators, and the subject of the row itself (an expert their own profile).
pub fn sees_private(role: Role, id: RegistryId) -> bool {
    match role {
        Role::Admin => true,
        _ => matches!(reach(role, id, Action::Read), Reach::OwnEnterprise | Reach::OwnInstitution | Reach::OwnTalent),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ROLES;
    use periclase_domain::registries::ALL;

    /// The whole table, printed: a change to any cell shows in review as a change here.
    #[test]
    fn the_table_as_written() {
        let mut out = String::new();
        for role in ROLES {
            for spec in ALL {
                let cells: Vec<String> = ACTIONS.iter().map(|&a| format!("{:?}", reach(role, spec.id, a))).collect();
                out.push_str(&format!("{:<10} {:<26} {}\n", role.code(), spec.name, cells.join(" ")));
            }
            let features: Vec<&str> = FEATURES.iter().filter(|&&f| may_use(role, f)).map(|f| f.label()).collect();
            out.push_str(&format!("{:<10} features: {}\n", role.code(), features.join("、")));
        }
        insta::assert_snapshot!(out);
    }

    #[test]
    fn enterprises_declare_and_departments_confirm() {
        for spec in ALL {
            let (w, d) =
                (reach(Role::Enterprise, spec.id, Action::Write), reach(Role::Enterprise, spec.id, Action::Declare));
            // An enterprise never writes a fact a department holds.
            if held_by_department(spec.id) {
                assert_eq!(w, Reach::Nothing, "{}", spec.name);
                assert_eq!(d, Reach::OwnEnterprise, "{}", spec.name);
                assert_eq!(reach(Role::Official, spec.id, Action::Confirm), Reach::Region, "{}", spec.name);
            } else {
                assert_eq!(d, Reach::Nothing, "{}", spec.name);
            }
            // Nobody but an enterprise declares; nobody confirms what isn't declared.
            for role in ROLES.into_iter().filter(|&r| r != Role::Enterprise) {
                assert_eq!(reach(role, spec.id, Action::Declare), Reach::Nothing);
            }
            if !held_by_department(spec.id) {
                for role in ROLES.into_iter().filter(|&r| r != Role::Admin) {
                    assert_eq!(reach(role, spec.id, Action::Confirm), Reach::Nothing, "{}", spec.name);
                }
            }
        }
    }

    #[test]
    fn nobody_writes_what_they_cannot_read() {
        for role in ROLES {
            for spec in ALL {
                if reach(role, spec.id, Action::Write) != Reach::Nothing {
                    assert_ne!(reach(role, spec.id, Action::Read), Reach::Nothing, "{role:?} {}", spec.name);
                }
            }
        }
    }

    #[test]
    fn experts_keep_their_profile_but_not_their_conflict_links() {
        assert_eq!(reach(Role::Expert, RegistryId::Talents, Action::Write), Reach::OwnTalent);
        assert_eq!(reach(Role::Expert, RegistryId::TalentLinks, Action::Write), Reach::Nothing);
        assert_eq!(reach(Role::Expert, RegistryId::TalentLinks, Action::Read), Reach::OwnTalent);
    }

    #[test]
    fn experts_do_not_put_themselves_in_the_expert_pool() {
        assert!(!field_writable(Role::Expert, RegistryId::Talents, "is_expert"));
        assert!(field_writable(Role::Expert, RegistryId::Talents, "title"));
        assert!(field_writable(Role::Admin, RegistryId::Talents, "is_expert"));
    }

    #[test]
    fn private_fields_are_seen_by_administrators_and_the_subject_only() {
        assert!(sees_private(Role::Admin, RegistryId::Talents));
        assert!(sees_private(Role::Expert, RegistryId::Talents));
        assert!(!sees_private(Role::Official, RegistryId::Talents));
        assert!(!sees_private(Role::Institute, RegistryId::Talents));
    }
}
