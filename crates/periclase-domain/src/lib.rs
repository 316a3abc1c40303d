//! Periclase domain: registry specs, identifiers (USCC, GB/T 2260 regions, GB/T 4754
//! industries) and validation. Pure: no IO.

pub mod chain;
pub mod chain_facts;
pub mod day;
pub mod frame;
pub mod import;
pub mod industry;
pub mod measure;
pub mod normalize;
pub mod numbers;
pub mod policy_run;
pub mod quality;
pub mod region;
pub mod registries;
pub mod scope;
pub mod spec;
pub mod uscc;
pub mod validate;
pub mod value;

pub use chain::{Chain, ChainEdge, ChainError, ChainNode, ChainSet, EdgeKind, NodeTarget, Stage};
pub use chain_facts::{AchievementFacts, ChainFacts, EnterpriseFacts, Membership, PlatformFacts, ProjectFacts};
pub use import::{ImportItem, ImportOptions, ImportOutcome, RowIssue, RowLocation};
pub use industry::{parse_industry, IndustryError};
pub use measure::Measure;
pub use normalize::normalize_cell;
pub use quality::QualityIssue;
pub use region::{region_prefix, Region, RegionError, RegionLevel, RegionTable};
pub use registries::{by_name, spec as registry, ALL as REGISTRIES};
pub use scope::Scope;
pub use spec::{EnumOption, FieldKind, FieldSpec, RegistryId, RegistrySpec};
pub use uscc::{org_check_char, org_code_is_valid, Uscc, UsccError};
pub use validate::{display_cell, validate_cell, validate_row, FieldError, Row};
pub use value::Value;
