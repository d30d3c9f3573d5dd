//! Hashes of client secrets: PBKDF2-HMAC-SHA256 with a random salt, stored as
//! `pbkdf2-sha256$<iterations>$<salt>$<hash>` (base64), verified in constant time.
//!
//! Lethe generates every stored secret itself (128 random bits), so the work factor guards a
//! leaked table against nothing that guessing could win; it is kept moderate so that minting a
//! token stays cheap, and it is stored with each hash so it can be raised later.

use std::num::NonZeroU32;

use base64::Engine;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use ring::pbkdf2;
use ring::rand::{SecureRandom, SystemRandom};

const ALGORITHM: pbkdf2::Algorithm = pbkdf2::PBKDF2_HMAC_SHA256;
const ITERATIONS: u32 = 10_000;
const PREFIX: &str = "pbkdf2-sha256";

/// Hashes `secret` with a fresh salt.
pub fn hash(secret: &str) -> String {
    let mut salt = [0u8; 16];
    if SystemRandom::new().fill(&mut salt).is_err() {
        panic!("the system random source failed");
    }
    let iterations = NonZeroU32::new(ITERATIONS).unwrap_or(NonZeroU32::MIN);
    let mut out = [0u8; 32];
    pbkdf2::derive(ALGORITHM, iterations, &salt, secret.as_bytes(), &mut out);
    format!("{PREFIX}${ITERATIONS}${}${}", B64.encode(salt), B64.encode(out))
}

/// Checks `secret` against a stored hash; `false` for a wrong secret or an unreadable hash.
pub fn verify(secret: &str, stored: &str) -> bool {
    let mut parts = stored.split('$');
    let (Some(PREFIX), Some(iterations), Some(salt), Some(expected), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return false;
    };
    let Some(iterations) = iterations.parse().ok().and_then(NonZeroU32::new) else { return false };
    let (Ok(salt), Ok(expected)) = (B64.decode(salt), B64.decode(expected)) else { return false };
    pbkdf2::verify(ALGORITHM, iterations, &salt, secret.as_bytes(), &expected).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn right_secret_verifies_and_wrong_one_does_not() {
        let stored = hash("0123456789abcdef");
        assert!(stored.starts_with("pbkdf2-sha256$10000$"));
        assert!(!stored.contains("0123456789abcdef"));
        assert!(verify("0123456789abcdef", &stored));
        assert!(!verify("0123456789abcdeF", &stored));
        assert!(!verify("", &stored));
    }

    #[test]
    fn same_secret_hashes_differently_each_time() {
        assert_ne!(hash("x"), hash("x"));
    }

    #[test]
    fn unreadable_hashes_never_verify() {
        for bad in ["", "x", "pbkdf2-sha256$0$AA$AA", "md5$1$AA$AA", "pbkdf2-sha256$10$!!$AA"] {
            assert!(!verify("x", bad), "{bad}");
        }
    }
}
