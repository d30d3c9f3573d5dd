//! Encryption of access packages with a key the requester supplies, in Fides' byte layout:
//! `base64(nonce(12) ‖ AES-GCM ciphertext ‖ tag(16))`, standard alphabet with padding, the
//! nonce also serving as the associated data. A 16-byte key gives AES-128-GCM (what Fides'
//! `encryption_key` always is); a 32-byte key gives AES-256-GCM.

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use ring::aead::{AES_128_GCM, AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};

use crate::key::random_nonce;
use crate::{CryptoError, Result};

/// Length of the keys requesters supply (Fides' `aes_encryption_key_length`).
pub const REQUEST_KEY_LEN: usize = 16;

fn aead(key: &[u8]) -> Result<LessSafeKey> {
    let algorithm = match key.len() {
        16 => &AES_128_GCM,
        32 => &AES_256_GCM,
        actual => return Err(CryptoError::KeyLength { expected: REQUEST_KEY_LEN, actual }),
    };
    UnboundKey::new(algorithm, key).map(LessSafeKey::new).map_err(|_| CryptoError::Malformed("key"))
}

/// Encrypts `plaintext` under `key` (the raw bytes of the requester's key) with a fresh nonce.
pub fn encrypt(key: &[u8], plaintext: &[u8]) -> Result<String> {
    let key = aead(key)?;
    let nonce = random_nonce();
    let mut combined = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
    combined.extend_from_slice(&nonce);
    let mut body = plaintext.to_vec();
    key.seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::from(nonce), &mut body)
        .map_err(|_| CryptoError::Malformed("plaintext too long"))?;
    combined.append(&mut body);
    Ok(STANDARD.encode(combined))
}

/// Decrypts what [`encrypt`] (or Fides) produced.
pub fn decrypt(key: &[u8], encoded: &str) -> Result<Vec<u8>> {
    let key = aead(key)?;
    let combined = STANDARD.decode(encoded.trim()).map_err(|_| CryptoError::Malformed("not base64"))?;
    if combined.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Malformed("encrypted data is too short"));
    }
    let (nonce_bytes, body) = combined.split_at(NONCE_LEN);
    let mut aad = [0u8; NONCE_LEN];
    aad.copy_from_slice(nonce_bytes);
    let nonce = Nonce::assume_unique_for_key(aad);
    let mut body = body.to_vec();
    let plain = key.open_in_place(nonce, Aad::from(aad), &mut body).map_err(|_| CryptoError::Decrypt)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decrypts_the_sample_from_the_fides_documentation() {
        let sample = "GPUiK9tq5k/HfBnSN+J+OvLXZ+GCisapdI2KGP7A1WK+dz1XHef+hWb/SjszdqdNVGvziyY6GF5KIrvrXgxjZuaAvgU=";
        let plain = decrypt(b"test--encryption", sample).unwrap();
        assert_eq!(String::from_utf8(plain).unwrap(), r#"{"street": "test street", "state": "NY"}"#);
    }

    #[test]
    fn round_trips_with_a_fresh_nonce_each_time() {
        let a = encrypt(b"test--encryption", b"{\"a\": 1}").unwrap();
        let b = encrypt(b"test--encryption", b"{\"a\": 1}").unwrap();
        assert_ne!(a, b);
        assert_eq!(decrypt(b"test--encryption", &a).unwrap(), b"{\"a\": 1}");
        assert_eq!(decrypt(b"wrong--encryptio", &a), Err(CryptoError::Decrypt));
    }

    #[test]
    fn tampering_with_the_nonce_is_detected() {
        let encoded = encrypt(b"0123456789abcdef", b"secret").unwrap();
        let mut raw = STANDARD.decode(&encoded).unwrap();
        raw[0] ^= 1;
        assert_eq!(decrypt(b"0123456789abcdef", &STANDARD.encode(raw)), Err(CryptoError::Decrypt));
    }

    #[test]
    fn keys_must_be_16_or_32_bytes() {
        assert_eq!(encrypt(b"short", b"x"), Err(CryptoError::KeyLength { expected: 16, actual: 5 }));
        assert!(encrypt(&[7u8; 32], b"x").is_ok());
    }
}
