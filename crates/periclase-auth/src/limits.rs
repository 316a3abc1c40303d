//! How much one person may push through the web at once: the largest upload, and the rows
//! one upload may hold for each role. Decided here, beside the rest of the permission model;
//! the web applies them. (The CLI is run by whoever runs the server and has no such limit.)

use crate::Role;

/// The largest file the web accepts for import, in bytes. The body limit of the upload
/// route is this plus room for the form's other fields.
pub const MAX_UPLOAD_BYTES: usize = 64 * 1024 * 1024;

/// Data rows one web upload may hold: none for the provincial administrator; an official's
/// county or city list fits comfortably; an enterprise, institute or expert maintains its
/// own few rows.
pub fn upload_row_limit(role: Role) -> Option<usize> {
    match role {
        Role::Admin => None,
        Role::Official => Some(200_000),
        Role::Enterprise | Role::Institute | Role::Expert => Some(2_000),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_administrator_uploads_without_a_row_limit() {
        assert_eq!(upload_row_limit(Role::Admin), None);
        for role in [Role::Official, Role::Enterprise, Role::Institute, Role::Expert] {
            assert!(upload_row_limit(role).is_some(), "{role:?}");
        }
        assert!(upload_row_limit(Role::Enterprise) < upload_row_limit(Role::Official));
    }
}
