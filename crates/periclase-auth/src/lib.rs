//! Who may see and change what, and the secrets that prove who someone is.
//!
//! - [`Role`] and [`Principal`]: the five roles of the platform and a logged-in account.
//! - [`Scope`]: the rows of a registry a principal may read or write, described without SQL
//!   (the store turns it into a filter).
//! - [`password`]: Argon2id hashing; [`token`]: random session and CSRF tokens.

mod limits;
pub mod password;
mod role;
pub mod table;
pub mod token;

pub use limits::{upload_row_limit, MAX_UPLOAD_BYTES};
pub use periclase_domain::Scope;
pub use role::{Principal, Role, ROLES};
pub use table::{Action, Feature, Reach};
