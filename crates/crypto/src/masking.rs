//! Primitives of Fides' masking strategies: hex digests (`hash`), keyed digests (`hmac`) and
//! convergent AES-GCM (`aes_encrypt`), byte for byte as Fides computes them, so values masked
//! by either system compare equal under the same secrets.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::{digest, hmac};

use crate::{CryptoError, Result};

/// Digest algorithm of `hash` and `hmac` masking.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Algorithm {
    /// SHA-256 (the default).
    Sha256,
    /// SHA-512.
    Sha512,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `hex(sha(value ‖ salt))`.
pub fn hash_hex(algorithm: Algorithm, value: &str, salt: &str) -> String {
    let alg = match algorithm {
        Algorithm::Sha256 => &digest::SHA256,
        Algorithm::Sha512 => &digest::SHA512,
    };
    let mut ctx = digest::Context::new(alg);
    ctx.update(value.as_bytes());
    ctx.update(salt.as_bytes());
    hex(ctx.finish().as_ref())
}

/// `hex(HMAC(key, value ‖ salt))`.
pub fn hmac_hex(algorithm: Algorithm, key: &str, value: &str, salt: &str) -> String {
    let alg = match algorithm {
        Algorithm::Sha256 => hmac::HMAC_SHA256,
        Algorithm::Sha512 => hmac::HMAC_SHA512,
    };
    let key = hmac::Key::new(alg, key.as_bytes());
    let mut ctx = hmac::Context::with_key(&key);
    ctx.update(value.as_bytes());
    ctx.update(salt.as_bytes());
    hex(ctx.sign().as_ref())
}

/// Convergent AES-256-GCM: the nonce is the first 12 bytes of
/// `HMAC-SHA256(key_hmac, value ‖ salt_hmac)` and also the associated data; the output is
/// `base64(ciphertext ‖ tag)` without the nonce. The same value always encrypts the same way.
pub fn convergent_encrypt(key: &[u8], key_hmac: &str, salt_hmac: &str, value: &str) -> Result<String> {
    let unbound =
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::KeyLength { expected: 32, actual: key.len() })?;
    let sealing = LessSafeKey::new(unbound);
    let mac = hmac::Key::new(hmac::HMAC_SHA256, key_hmac.as_bytes());
    let mut ctx = hmac::Context::with_key(&mac);
    ctx.update(value.as_bytes());
    ctx.update(salt_hmac.as_bytes());
    let tag = ctx.sign();
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&tag.as_ref()[..NONCE_LEN]);
    let mut body = value.as_bytes().to_vec();
    sealing
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(nonce), &mut body)
        .map_err(|_| CryptoError::Malformed("value too long"))?;
    Ok(STANDARD.encode(body))
}

/// Decrypts what [`convergent_encrypt`] produced (the nonce is recomputed from the plaintext
/// by the encrypter, so the caller supplies it).
pub fn convergent_decrypt(key: &[u8], nonce: [u8; NONCE_LEN], encoded: &str) -> Result<Vec<u8>> {
    let unbound =
        UnboundKey::new(&AES_256_GCM, key).map_err(|_| CryptoError::KeyLength { expected: 32, actual: key.len() })?;
    let opening = LessSafeKey::new(unbound);
    let mut body = STANDARD.decode(encoded).map_err(|_| CryptoError::Malformed("not base64"))?;
    let plain = opening
        .open_in_place(Nonce::assume_unique_for_key(nonce), Aad::from(nonce), &mut body)
        .map_err(|_| CryptoError::Decrypt)?;
    Ok(plain.to_vec())
}

/// The nonce [`convergent_encrypt`] uses for `value`.
pub fn convergent_nonce(key_hmac: &str, salt_hmac: &str, value: &str) -> [u8; NONCE_LEN] {
    let mac = hmac::Key::new(hmac::HMAC_SHA256, key_hmac.as_bytes());
    let mut ctx = hmac::Context::with_key(&mac);
    ctx.update(value.as_bytes());
    ctx.update(salt_hmac.as_bytes());
    let mut nonce = [0u8; NONCE_LEN];
    nonce.copy_from_slice(&ctx.sign().as_ref()[..NONCE_LEN]);
    nonce
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_match_known_values() {
        // sha256("abc"), split between value and salt.
        assert_eq!(
            hash_hex(Algorithm::Sha256, "ab", "c"),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(hash_hex(Algorithm::Sha512, "abc", "").len(), 128);
        // RFC 4231 test case 2: HMAC-SHA256(key "Jefe", "what do ya want for nothing?").
        assert_eq!(
            hmac_hex(Algorithm::Sha256, "Jefe", "what do ya want ", "for nothing?"),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn convergent_encryption_is_deterministic_and_reversible() {
        let key = [7u8; 32];
        let a = convergent_encrypt(&key, "hk", "salt", "John Customer").unwrap();
        assert_eq!(a, convergent_encrypt(&key, "hk", "salt", "John Customer").unwrap());
        assert_ne!(a, convergent_encrypt(&key, "hk", "salt", "Jill Customer").unwrap());
        let nonce = convergent_nonce("hk", "salt", "John Customer");
        assert_eq!(convergent_decrypt(&key, nonce, &a).unwrap(), b"John Customer");
        assert!(convergent_encrypt(&[1u8; 16], "hk", "salt", "x").is_err());
    }
}
