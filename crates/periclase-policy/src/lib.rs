//! The policy engine (政策计算器 / 免申即享), pure: policies as data with dated parameters
//! and conditions in a small CEL subset, type-checked against the schema when loaded and
//! evaluated column-wise with three-valued logic, so missing data is "unknown — ask this
//! department", never a silent no.

pub mod check;
pub use periclase_domain::day as date;
pub mod engine;
pub mod eval;
pub mod explain;
pub mod expr;
pub mod policy;
pub mod run;
pub mod schema;
pub mod set;
pub mod simulate;
pub mod stacking;
pub mod testcase;

pub use engine::{evaluate, evaluate_all, Batch, Eligibility, Missing};
pub use eval::{Column, Env, Frame, Scalar};
pub use explain::{apply_stacking, explain, render, Explanation};
pub use policy::{load, Category, Policy, PolicyError, Subject};
pub use schema::{Field, Schema, Ty};
pub use set::PolicySet;
