//! Secrets: random values, digests, constant-time comparison and password hashing.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use rand::RngCore;
use rand::rngs::OsRng;

use crate::{AuthError, Result, Session};

/// `n` random bytes from the operating system, as lowercase hex.
pub(crate) fn random_hex(n: usize) -> String {
    let mut buf = vec![0u8; n];
    OsRng.fill_bytes(&mut buf);
    hex::encode(buf)
}

/// A fresh password of 20 characters from an alphabet without look-alikes (0/O, 1/l/I), from
/// the operating system's generator: for demo accounts and generated first-admin passwords.
pub fn random_password() -> String {
    use rand::Rng;
    const A: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    let mut r = OsRng;
    (0..20).map(|_| A[r.gen_range(0..A.len())] as char).collect()
}

/// SHA-256 of `s`, as lowercase hex.
pub(crate) fn sha256_hex(s: &str) -> String {
    vigil_model::sha256_hex(s.as_bytes())
}

/// Whether `a` and `b` are equal, taking time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let mut diff = 0u8;
    for (x, y) in a.iter().zip(b) {
        diff |= x ^ y;
    }
    // Keep the optimizer from turning the loop into an early exit.
    std::hint::black_box(diff) == 0
}

/// Whether `presented` is the session's CSRF token, compared in constant time.
pub fn check_csrf(session: &Session, presented: &str) -> bool {
    !session.csrf_token.is_empty() && constant_time_eq(session.csrf_token.as_bytes(), presented.as_bytes())
}

/// Argon2id with the crate's default parameters and a random salt, as a PHC string.
pub fn hash_password(password: &str) -> Result<String> {
    let salt = SaltString::generate(&mut OsRng);
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AuthError::Hash(e.to_string()))
}

/// Whether `password` matches the PHC string `phc`; false for an unreadable hash.
pub fn verify_password(password: &str, phc: &str) -> bool {
    match PasswordHash::new(phc) {
        Ok(parsed) => Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok(),
        Err(_) => false,
    }
}

/// A PHC hash of a password nobody knows, verified against when the user is unknown so that an
/// unknown user costs the same time as a wrong password.
pub(crate) fn decoy_hash() -> &'static str {
    static DECOY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DECOY.get_or_init(|| hash_password(&random_hex(32)).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constant_time_eq_compares_bytes_and_lengths() {
        assert!(constant_time_eq(b"", b""));
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
        assert!(!constant_time_eq(b"\x00", b"\x80"));
    }

    #[test]
    fn randomness_and_digests_have_the_right_shape() {
        let a = random_hex(32);
        assert_eq!(a.len(), 64);
        assert!(a.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));
        assert_ne!(a, random_hex(32));
        assert_eq!(sha256_hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    }

    #[test]
    fn argon2id_hashes_verify_and_reject_wrong_passwords() {
        // Two hashes in all: Argon2 is slow in debug builds.
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$v=19$"), "{h}");
        assert!(!h.contains("correct horse"));
        assert!(verify_password("correct horse battery staple", &h));
        assert!(!verify_password("correct horse battery stapl", &h));
        assert!(!verify_password("", &h));
        assert!(!verify_password("correct horse battery staple", "not a phc string"));
        assert!(!verify_password("x", ""));
        let h2 = hash_password("correct horse battery staple").unwrap();
        assert_ne!(h, h2, "salts differ");
    }
}
