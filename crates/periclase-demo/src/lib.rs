//! The demo province: a deterministic generator of fictional enterprises (every name
//! contains 示例) on real places and the real chain structure, with yearly figures, tiers,
//! capacities, energy use, certifications, projects, talents, platforms, achievements,
//! demands, the policy documents the seeds name, financial products and the catalogue.
//!
//! Every item is a pure function of (seed, kind, index), so any registry streams on its
//! own and a million enterprises never sit in memory.

mod enterprise;
mod others;
pub mod places;
mod rng;
pub mod texts;

pub use enterprise::Profile;
pub use rng::Rng;

use periclase_domain::{RegistryId, Row};

pub const DEFAULT_SEED: u64 = 2024;
pub const DEFAULT_ENTERPRISES: u64 = 3000;

/// The years the demo reports figures for.
pub const YEARS: [i64; 3] = [2022, 2023, 2024];

#[derive(Debug, Clone, Copy)]
pub struct Demo {
    pub seed: u64,
    pub enterprises: u64,
}

impl Demo {
    pub fn new(seed: u64, enterprises: u64) -> Demo {
        Demo { seed, enterprises: enterprises.max(1) }
    }

    pub fn projects(&self) -> u64 {
        (self.enterprises / 12).max(1)
    }
    pub fn talents(&self) -> u64 {
        (self.enterprises / 8).max(1)
    }
    pub fn platforms(&self) -> u64 {
        (self.enterprises / 40).max(1)
    }
    pub fn achievements(&self) -> u64 {
        (self.enterprises / 10).max(1)
    }
    pub fn demands(&self) -> u64 {
        (self.enterprises / 25).max(1)
    }

    /// Roughly how many rows `for_each(id, …)` yields, for progress bars.
    pub fn estimated_rows(&self, id: RegistryId) -> u64 {
        let n = self.enterprises;
        match id {
            RegistryId::Enterprises => n,
            RegistryId::EnterpriseFigures => n * 30,
            RegistryId::EnterpriseHonours => n / 2,
            RegistryId::EnterpriseCapacities => n * 2,
            RegistryId::EnterpriseEnergy => n,
            RegistryId::EnterpriseCertifications => n / 10,
            RegistryId::Projects => self.projects(),
            RegistryId::Talents => self.talents(),
            RegistryId::TalentLinks => self.talents(),
            RegistryId::Platforms => self.platforms(),
            RegistryId::PlatformEvaluations => self.platforms() * 2,
            RegistryId::Achievements => self.achievements(),
            RegistryId::Demands => self.demands(),
            RegistryId::Policies => texts::POLICIES.len() as u64,
            RegistryId::FinancialProducts => texts::FINANCE.len() as u64 * 3,
            RegistryId::Catalogue => 119,
            RegistryId::ChainMembers => n,
            RegistryId::FirstSets => n / 30 + 1,
        }
    }

    /// The enterprise with index `i` (0-based).
    pub fn enterprise(&self, i: u64) -> Profile {
        Profile::generate(self.seed, i)
    }

    /// Streams the rows of one registry, valid for its spec, parents before children.
    pub fn for_each(&self, id: RegistryId, each: &mut dyn FnMut(Row)) {
        match id {
            RegistryId::Enterprises => (0..self.enterprises).for_each(|i| each(self.enterprise(i).row())),
            RegistryId::EnterpriseFigures => (0..self.enterprises).for_each(|i| self.enterprise(i).figures(each)),
            RegistryId::EnterpriseHonours => (0..self.enterprises).for_each(|i| self.enterprise(i).honours(each)),
            RegistryId::EnterpriseCapacities => (0..self.enterprises).for_each(|i| self.enterprise(i).capacities(each)),
            RegistryId::EnterpriseEnergy => (0..self.enterprises).for_each(|i| self.enterprise(i).energy(each)),
            RegistryId::EnterpriseCertifications => {
                (0..self.enterprises).for_each(|i| self.enterprise(i).certifications(each))
            }
            RegistryId::Projects => (0..self.projects()).for_each(|j| each(others::project(self, j))),
            RegistryId::Talents => (0..self.talents()).for_each(|j| each(others::talent(self, j).row)),
            RegistryId::TalentLinks => (0..self.talents()).for_each(|j| others::talent_links(self, j, each)),
            RegistryId::Platforms => (0..self.platforms()).for_each(|j| each(others::platform(self, j))),
            RegistryId::PlatformEvaluations => (0..self.platforms()).for_each(|j| others::evaluations(self, j, each)),
            RegistryId::Achievements => (0..self.achievements()).for_each(|j| each(others::achievement(self, j))),
            RegistryId::Demands => (0..self.demands()).for_each(|j| each(others::demand(self, j))),
            RegistryId::Policies => others::policies(each),
            RegistryId::FinancialProducts => others::financial_products(each),
            RegistryId::Catalogue => others::catalogue(self, each),
            RegistryId::ChainMembers => (0..self.enterprises).for_each(|i| self.enterprise(i).chain_members(each)),
            RegistryId::FirstSets => (0..self.enterprises).for_each(|i| self.enterprise(i).first_sets(each)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use periclase_domain::{display_cell, registries, validate_cell, RegionTable};
    use std::collections::HashSet;

    #[test]
    fn places_are_real_regions() {
        let t = RegionTable::embedded();
        for p in places::PLACES {
            assert!(t.get(p.code).is_some_and(|r| !r.retired), "{} {}", p.code, p.short);
        }
    }

    #[test]
    fn every_generated_row_is_valid_and_round_trips_through_text() {
        let demo = Demo::new(7, 400);
        for spec in registries::ALL {
            let mut n = 0;
            let mut keys = HashSet::new();
            demo.for_each(spec.id, &mut |row| {
                n += 1;
                assert_eq!(row.len(), spec.fields.len(), "{}", spec.name);
                for (f, v) in spec.fields.iter().zip(&row) {
                    let text = display_cell(f, v);
                    let back =
                        validate_cell(f, &text).unwrap_or_else(|e| panic!("{}.{}: {text}: {e}", spec.name, f.key));
                    assert_eq!(&back, v, "{}.{}", spec.name, f.key);
                }
                let key: Vec<String> = spec.key_indices().iter().map(|&i| row[i].to_string()).collect();
                assert!(keys.insert(key.clone()), "{}: duplicate key {key:?}", spec.name);
                if let Some(check) = spec.check {
                    assert!(check(&row).is_empty(), "{}: {:?}", spec.name, check(&row));
                }
            });
            assert!(n > 0, "{} generated nothing", spec.name);
        }
    }

    /// Regression: with one enterprise the catalogue drew 4,000,000 profiles (seconds in
    /// release, a minute in debug) looking for candidates that cannot exist.
    #[test]
    fn a_one_enterprise_demo_fills_every_registry_without_searching_in_vain() {
        let demo = Demo::new(3, 1);
        let mut catalogue = 0;
        demo.for_each(RegistryId::Catalogue, &mut |_| catalogue += 1);
        assert!(catalogue > 0);
    }

    #[test]
    fn deterministic_by_seed() {
        let a = Demo::new(1, 50);
        let b = Demo::new(1, 50);
        let c = Demo::new(2, 50);
        let mut ra = Vec::new();
        let mut rb = Vec::new();
        let mut rc = Vec::new();
        a.for_each(RegistryId::Enterprises, &mut |r| ra.push(r));
        b.for_each(RegistryId::Enterprises, &mut |r| rb.push(r));
        c.for_each(RegistryId::Enterprises, &mut |r| rc.push(r));
        assert_eq!(ra, rb);
        assert_ne!(ra, rc);
    }

    #[test]
    fn demo_names_say_demo() {
        let demo = Demo::new(DEFAULT_SEED, 200);
        demo.for_each(RegistryId::Enterprises, &mut |r| {
            assert!(r[1].as_str().unwrap().contains("示例"), "{:?}", r[1]);
        });
    }
}

#[cfg(test)]
mod chain_tests {
    use periclase_domain::ChainSet;

    /// Every demo node of a chain that has a template sits on a node of that template:
    /// otherwise its enterprises would silently get no chain membership.
    #[test]
    fn demo_nodes_exist_in_their_chain_templates() {
        for node in crate::places::NODES {
            if let Some(chain) = ChainSet::embedded().get(node.chain) {
                let found = chain.find(node.name).unwrap_or_else(|| panic!("{} lacks {}", chain.id, node.name));
                assert!(chain.is_leaf(&found.id), "{}", node.name);
            }
        }
    }
}
