//! Argon2id password hashes in PHC string form (`$argon2id$v=19$…`).

use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use argon2::Argon2;

pub const MIN_LENGTH: usize = 8;

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("密码至少{MIN_LENGTH}位，且须同时包含字母和数字")]
    TooWeak,
    #[error("无法生成密码摘要：{0}")]
    Hashing(String),
}

/// Refuses passwords an official could guess in five minutes.
pub fn check_strength(password: &str) -> Result<(), PasswordError> {
    let long = password.chars().count() >= MIN_LENGTH;
    let letters = password.chars().any(|c| c.is_alphabetic());
    let digits = password.chars().any(|c| c.is_ascii_digit());
    if long && letters && digits {
        Ok(())
    } else {
        Err(PasswordError::TooWeak)
    }
}

pub fn hash(password: &str) -> Result<String, PasswordError> {
    check_strength(password)?;
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|h| h.to_string())
        .map_err(|e| PasswordError::Hashing(e.to_string()))
}

/// A valid hash of a random password, to verify against when the username is unknown, so a
/// login attempt takes as long whether or not the account exists.
pub fn dummy_hash() -> &'static str {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| {
        let random = format!("x1{}", crate::token::new_token());
        hash(&random).unwrap_or_default()
    })
}

/// True when `password` matches the stored hash; a malformed hash never matches.
pub fn verify(password: &str, stored: &str) -> bool {
    Argon2::default().verify_password(password.as_bytes(), stored).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_verify_and_are_salted() {
        let a = hash("Periclase2024").unwrap();
        let b = hash("Periclase2024").unwrap();
        assert!(a.starts_with("$argon2id$"));
        assert_ne!(a, b, "a fresh salt every time");
        assert!(verify("Periclase2024", &a));
        assert!(!verify("periclase2024", &a));
        assert!(!verify("Periclase2024", "not a hash"));
    }

    #[test]
    fn weak_passwords_are_refused() {
        for weak in ["short1", "allletters", "12345678901"] {
            assert!(matches!(hash(weak), Err(PasswordError::TooWeak)), "{weak}");
        }
    }
}
