//! 行业监测: the quantified targets of plans (seed documents), kept as data in
//! `data/targets.toml`, and how far the registries say each has come.

use periclase_domain::{Measure, RegionTable};
use serde::Deserialize;

const TARGETS_TOML: &str = include_str!("../../../data/targets.toml");

#[derive(Debug, Clone, Deserialize)]
pub struct Target {
    pub id: String,
    pub title: String,
    /// GB/T 2260 prefix the target is set for ("34": 安徽省).
    pub region: String,
    pub unit: String,
    pub target: f64,
    pub target_year: i64,
    /// The document (and clause) the target comes from.
    pub source: String,
    /// How to compute the current value from the registries, when it can be.
    pub measure: Option<Measure>,
    /// Values reported by a statistics office, (year, value), when it cannot.
    pub reported: Option<Vec<(i64, f64)>>,
}

#[derive(Debug, Deserialize)]
struct File {
    target: Vec<Target>,
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("监测目标文件格式错误：{0}")]
    Parse(String),
    #[error("监测目标「{id}」：{message}")]
    Invalid { id: String, message: String },
}

/// Parses and checks a targets file: unique ids, known regions, a way to know the value.
pub fn parse(text: &str) -> Result<Vec<Target>, TargetError> {
    let file: File = toml::from_str(text).map_err(|e| TargetError::Parse(e.to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for t in &file.target {
        let bad = |message: &str| TargetError::Invalid { id: t.id.clone(), message: message.to_string() };
        if !seen.insert(t.id.clone()) {
            return Err(bad("编号重复"));
        }
        if RegionTable::embedded().get(&format!("{:0<6}", t.region)).is_none() {
            return Err(bad(&format!("地区「{}」不在 GB/T 2260 中", t.region)));
        }
        if t.measure.is_none() && t.reported.is_none() {
            return Err(bad("既没有 measure（由各库计算），也没有 reported（报送值）"));
        }
        if !(t.target.is_finite() && t.target > 0.0) {
            return Err(bad("目标值应为正数"));
        }
    }
    Ok(file.target)
}

/// The targets shipped with Periclase.
pub fn shipped() -> Vec<Target> {
    parse(TARGETS_TOML).expect("data/targets.toml is checked by tests")
}

/// Where a target stands.
#[derive(Debug, Clone, PartialEq)]
pub struct Progress {
    /// The latest (year, value).
    pub current: Option<(i64, f64)>,
    /// current / target.
    pub ratio: Option<f64>,
    /// Whether the current value is at or above the straight line from the first known value
    /// to the target in the target year. `None` when there is too little to say.
    pub on_track: Option<bool>,
}

pub fn progress(t: &Target, series: &[(i64, f64)]) -> Progress {
    let current = series.iter().copied().max_by_key(|(y, _)| *y);
    let ratio = current.map(|(_, v)| v / t.target);
    let first = series.iter().copied().min_by_key(|(y, _)| *y);
    let on_track = match (first, current) {
        (_, Some((_, v))) if v >= t.target => Some(true),
        (Some((y0, v0)), Some((y, v))) if y > y0 && t.target_year > y0 => {
            let expected = v0 + (t.target - v0) * ((y - y0) as f64 / (t.target_year - y0) as f64);
            Some(v >= expected)
        }
        _ => None,
    };
    Progress { current, ratio, on_track }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(value: f64, year: i64) -> Target {
        Target {
            id: "t".into(),
            title: "t".into(),
            region: "34".into(),
            unit: "个".into(),
            target: value,
            target_year: year,
            source: "s".into(),
            measure: None,
            reported: Some(vec![]),
        }
    }

    #[test]
    fn shipped_targets_parse_and_name_their_sources() {
        let all = shipped();
        assert!(all.len() >= 6);
        assert!(all.iter().all(|t| t.source.contains("种子文件")));
        assert!(all.iter().any(|t| t.id == "ah-mg-scale" && t.target == 500.0 && t.target_year == 2027));
    }

    #[test]
    fn bad_targets_are_refused_with_their_id() {
        let e = parse("[[target]]\nid='x'\ntitle='x'\nregion='99'\nunit='个'\ntarget=1\ntarget_year=2027\nsource='s'\nreported=[]\n").unwrap_err();
        assert!(e.to_string().contains("「x」") && e.to_string().contains("GB/T 2260"), "{e}");
        let e =
            parse("[[target]]\nid='x'\ntitle='x'\nregion='34'\nunit='个'\ntarget=1\ntarget_year=2027\nsource='s'\n")
                .unwrap_err();
        assert!(e.to_string().contains("既没有"), "{e}");
    }

    #[test]
    fn progress_against_a_straight_line() {
        let t = target(10.0, 2027);
        // From 2 in 2023 to 10 in 2027: 4 expected in 2024.
        assert_eq!(progress(&t, &[(2023, 2.0), (2024, 5.0)]).on_track, Some(true));
        assert_eq!(progress(&t, &[(2023, 2.0), (2024, 3.0)]).on_track, Some(false));
        assert_eq!(progress(&t, &[(2024, 12.0)]).on_track, Some(true));
        assert_eq!(progress(&t, &[(2024, 3.0)]).on_track, None);
        let p = progress(&t, &[(2023, 2.0), (2024, 5.0)]);
        assert_eq!(p.current, Some((2024, 5.0)));
        assert_eq!(p.ratio, Some(0.5));
        assert_eq!(progress(&t, &[]).current, None);
    }
}
