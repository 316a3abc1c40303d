//! What a monitored indicator counts, described as data; the store computes it per year.

#[derive(Debug, Clone, PartialEq, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Measure {
    /// Sum of a yearly figure (e.g. revenue) over enterprises whose industry code starts with
    /// one of `industries` (all when empty), divided by `divisor` (万元 → 亿元: 10000).
    FigureSum {
        metric: String,
        #[serde(default)]
        industries: Vec<String>,
        #[serde(default = "one")]
        divisor: f64,
    },
    /// Enterprises holding any of these honours, counted by the year they got it, cumulative.
    HonourCount { honours: Vec<String> },
    /// Innovation platforms at these levels, by recognition year, cumulative.
    PlatformCount { levels: Vec<String> },
    /// Certifications of these kinds and levels, by year, cumulative; optionally only for
    /// enterprises of these industries.
    CertificationCount {
        kinds: Vec<String>,
        levels: Vec<String>,
        #[serde(default)]
        industries: Vec<String>,
    },
}

fn one() -> f64 {
    1.0
}
