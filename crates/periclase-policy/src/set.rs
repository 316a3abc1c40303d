//! The shipped policies (`data/policies/*.toml`), embedded in the binary and loaded once;
//! a deployment may load its own directory instead.

use std::sync::OnceLock;

use crate::policy::{load, Policy, PolicyError};
use crate::schema::Schema;

/// (file name, text) of every shipped policy.
pub const EMBEDDED: &[(&str, &str)] = &[
    ("magnesite-project-support.toml", include_str!("../../../data/policies/magnesite-project-support.toml")),
    ("specialized-sme-award.toml", include_str!("../../../data/policies/specialized-sme-award.toml")),
    ("little-giant-award.toml", include_str!("../../../data/policies/little-giant-award.toml")),
    ("high-tech-self-check.toml", include_str!("../../../data/policies/high-tech-self-check.toml")),
    ("tech-sme-self-check.toml", include_str!("../../../data/policies/tech-sme-self-check.toml")),
    ("specialized-sme-self-check.toml", include_str!("../../../data/policies/specialized-sme-self-check.toml")),
    ("first-set-insurance.toml", include_str!("../../../data/policies/first-set-insurance.toml")),
];

/// The shipped policy tests (`data/policies/tests/*.yaml`).
pub const EMBEDDED_TESTS: &[(&str, &str)] = &[
    ("magnesite-project-support.yaml", include_str!("../../../data/policies/tests/magnesite-project-support.yaml")),
    ("specialized-awards.yaml", include_str!("../../../data/policies/tests/specialized-awards.yaml")),
    ("self-checks.yaml", include_str!("../../../data/policies/tests/self-checks.yaml")),
    ("first-set-insurance.yaml", include_str!("../../../data/policies/tests/first-set-insurance.yaml")),
];

#[derive(Debug, Clone)]
pub struct PolicySet {
    pub policies: Vec<Policy>,
}

impl PolicySet {
    /// Loads every file, reporting every error (not only the first); ids must be unique.
    pub fn load(files: &[(&str, &str)], schema: &Schema) -> Result<PolicySet, Vec<PolicyError>> {
        let mut policies: Vec<Policy> = Vec::new();
        let mut errors = Vec::new();
        for (file, text) in files {
            match load(file, text, schema) {
                Ok(p) if policies.iter().any(|q| q.id == p.id) => errors.push(PolicyError::File {
                    file: file.to_string(),
                    message: format!("政策编号「{}」与另一文件重复", p.id),
                }),
                Ok(p) => policies.push(p),
                Err(e) => errors.push(e),
            }
        }
        if errors.is_empty() {
            Ok(PolicySet { policies })
        } else {
            Err(errors)
        }
    }

    pub fn embedded() -> &'static PolicySet {
        static SET: OnceLock<PolicySet> = OnceLock::new();
        SET.get_or_init(|| {
            PolicySet::load(EMBEDDED, &Schema::standard()).expect("the shipped policies are valid (tested)")
        })
    }

    pub fn get(&self, id: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.id == id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_policies_load_and_name_their_sources() {
        let set = PolicySet::load(EMBEDDED, &Schema::standard()).unwrap_or_else(|e| panic!("{e:?}"));
        assert_eq!(set.policies.len(), EMBEDDED.len());
        for p in &set.policies {
            assert!(!p.source.is_empty() && !p.document.is_empty(), "{}", p.id);
            if p.category == crate::policy::Category::Qualification {
                assert!(p.self_assessment, "{}: a qualification check is a self-assessment", p.id);
            }
        }
        let dup = [EMBEDDED[0], EMBEDDED[0]];
        let errors = PolicySet::load(&dup, &Schema::standard()).unwrap_err();
        assert!(errors[0].to_string().contains("重复"), "{errors:?}");
    }
}
