//! Data-quality problems an official is asked to fix: records that no longer pass today's
//! rules or that the analyses cannot use.

use crate::registries::{DEMANDS, ENTERPRISES};
use crate::RegistrySpec;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum QualityIssue {
    /// The region code has been retired from GB/T 2260 since the record was entered.
    RetiredRegion,
    /// An enterprise without a GB/T 4754 code cannot be counted by industry or placed on a chain.
    MissingIndustry,
    /// An enterprise without yearly figures for the latest year anyone reported.
    StaleFigures,
    /// A demand still marked 征集中 after its deadline.
    OverdueDemand,
}

impl QualityIssue {
    pub const ALL: [QualityIssue; 4] = [
        QualityIssue::RetiredRegion,
        QualityIssue::MissingIndustry,
        QualityIssue::StaleFigures,
        QualityIssue::OverdueDemand,
    ];

    pub fn code(self) -> &'static str {
        match self {
            QualityIssue::RetiredRegion => "retired_region",
            QualityIssue::MissingIndustry => "missing_industry",
            QualityIssue::StaleFigures => "stale_figures",
            QualityIssue::OverdueDemand => "overdue_demand",
        }
    }

    /// What is wrong, as the alert and the filtered list say it.
    pub fn label(self) -> &'static str {
        match self {
            QualityIssue::RetiredRegion => "行政区划代码已撤销，需改为现行代码",
            QualityIssue::MissingIndustry => "缺少行业代码，无法按行业统计或上链",
            QualityIssue::StaleFigures => "缺少最新年度指标，数据可能已过期",
            QualityIssue::OverdueDemand => "已过截止日期仍为“征集中”",
        }
    }

    pub fn parse(code: &str) -> Option<QualityIssue> {
        QualityIssue::ALL.into_iter().find(|i| i.code() == code.trim())
    }

    pub fn applies_to(self, spec: &RegistrySpec) -> bool {
        match self {
            QualityIssue::RetiredRegion => spec.region_field.is_some(),
            QualityIssue::MissingIndustry | QualityIssue::StaleFigures => spec.id == ENTERPRISES.id,
            QualityIssue::OverdueDemand => spec.id == DEMANDS.id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registries::{ALL, POLICIES};

    #[test]
    fn codes_round_trip_and_every_issue_applies_somewhere() {
        for issue in QualityIssue::ALL {
            assert_eq!(QualityIssue::parse(issue.code()), Some(issue));
            assert!(ALL.iter().any(|s| issue.applies_to(s)), "{issue:?}");
        }
        assert_eq!(QualityIssue::parse("nonsense"), None);
        assert!(QualityIssue::RetiredRegion.applies_to(&POLICIES));
        assert!(!QualityIssue::MissingIndustry.applies_to(&POLICIES));
    }
}
