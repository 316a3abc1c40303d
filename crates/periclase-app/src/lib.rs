//! The platform's use cases, between the engines and the store on one side and the two
//! front ends (the web and the CLI) on the other. Neither HTTP nor SQL is spoken here: a
//! use case takes the store's traits and the engines' types, and both front ends call the
//! same one, so an operation is orchestrated once.
//!
//! - [`search_sync`]: keeps the search index in step with the store's outbox.
//! - [`finance_match`]: an enterprise's profile from the registries, matched to financial
//!   products.
//! - [`chain_cache`]: every chain's facts, their index and each region's analysis, refreshed
//!   in the background after a write.
//! - [`policy_run`]: one 免申即享 batch run (granted awards → batch → archive), for the web
//!   and the CLI alike.
//! - [`job_pool`]: a bounded pool of workers running background jobs recorded in the
//!   store's job table; [`policy_jobs`]: policy runs as such jobs; [`import_upload`]: a
//!   file uploaded through the web, previewed, then imported as such a job;
//!   [`search_jobs`]: the search index rebuilt as one.
//! - [`search`]: a search as people type it, read once for both front ends, limited to what
//!   the asker may read.

pub mod chain_cache;
mod error;
pub mod finance_match;
pub mod import_upload;
pub mod job_pool;
pub mod policy_jobs;
pub mod policy_run;
pub mod search;
pub mod search_jobs;
pub mod search_sync;

pub use error::AppError;
