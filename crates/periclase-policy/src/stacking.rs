//! Stacking rules: policies in one exclusive group (不重复享受) are mutually exclusive for the
//! same enterprise or project, and the one with the higher amount is applied (就高).

use crate::engine::Eligibility;
use crate::policy::Policy;

/// For each policy (same order), the index of the policy that supersedes it for this
/// subject, if any: an eligible policy loses to an eligible one of its group with a higher
/// amount (ties go to the earlier policy). Unknown and ineligible ones never supersede.
pub fn superseded(policies: &[&Policy], results: &[(Eligibility, Option<f64>)]) -> Vec<Option<usize>> {
    let mut out = vec![None; policies.len()];
    for (i, p) in policies.iter().enumerate() {
        let Some(group) = &p.exclusive_group else { continue };
        if results[i].0 != Eligibility::Eligible {
            continue;
        }
        let amount = |k: usize| results[k].1.unwrap_or(0.0);
        let winner = (0..policies.len())
            .filter(|&k| policies[k].exclusive_group.as_ref() == Some(group) && results[k].0 == Eligibility::Eligible)
            .fold(
                i,
                |best, k| if amount(k) > amount(best) || (amount(k) == amount(best) && k < best) { k } else { best },
            );
        if winner != i {
            out[i] = Some(winner);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::set::PolicySet;

    #[test]
    fn the_higher_award_of_a_group_is_applied() {
        let set = PolicySet::embedded();
        let sme = set.get("specialized-sme-award").unwrap();
        let giant = set.get("little-giant-award").unwrap();
        let check = set.get("high-tech-self-check").unwrap();
        let ps = [sme, giant, check];
        let e = Eligibility::Eligible;
        assert_eq!(superseded(&ps, &[(e, Some(30.0)), (e, Some(100.0)), (e, None)]), [Some(1), None, None]);
        assert_eq!(
            superseded(&ps, &[(e, Some(30.0)), (Eligibility::Unknown, Some(100.0)), (e, None)]),
            [None, None, None],
            "an unknown award does not displace a certain one"
        );
        assert_eq!(superseded(&ps, &[(e, Some(50.0)), (e, Some(50.0)), (e, None)]), [None, Some(0), None]);
    }
}
