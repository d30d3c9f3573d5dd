//! Compact JWE with direct key agreement and AES-256-GCM (`{"alg":"dir","enc":"A256GCM"}`), the
//! token format Fides uses: `header..iv.ciphertext.tag`, the encoded header as associated data.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD as B64;
use ring::aead::{Aad, NONCE_LEN, Nonce};

use crate::key::random_nonce;
use crate::{AppKey, CryptoError, Result};

/// The protected header, base64url-encoded once.
const HEADER: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0";

/// Encrypts `payload` into a compact JWE.
pub fn encrypt(key: &AppKey, payload: &[u8]) -> Result<String> {
    let nonce = random_nonce();
    let mut body = payload.to_vec();
    let tag = key
        .aead()
        .seal_in_place_separate_tag(Nonce::assume_unique_for_key(nonce), Aad::from(HEADER.as_bytes()), &mut body)
        .map_err(|_| CryptoError::Malformed("payload too large"))?;
    Ok(format!("{HEADER}..{}.{}.{}", B64.encode(nonce), B64.encode(&body), B64.encode(tag.as_ref())))
}

/// Decrypts a compact JWE made by [`encrypt`] (or by Fides with the same key).
pub fn decrypt(key: &AppKey, token: &str) -> Result<Vec<u8>> {
    let mut parts = token.split('.');
    let (Some(header), Some(encrypted_key), Some(iv), Some(ciphertext), Some(tag), None) =
        (parts.next(), parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(CryptoError::Malformed("a compact JWE has five parts"));
    };
    if !encrypted_key.is_empty() {
        return Err(CryptoError::Malformed("only direct encryption is supported"));
    }
    check_header(header)?;
    let iv = B64.decode(iv).map_err(|_| CryptoError::Malformed("iv"))?;
    if iv.len() != NONCE_LEN {
        return Err(CryptoError::Malformed("iv length"));
    }
    let mut body = B64.decode(ciphertext).map_err(|_| CryptoError::Malformed("ciphertext"))?;
    let tag = B64.decode(tag).map_err(|_| CryptoError::Malformed("tag"))?;
    if tag.len() != 16 {
        return Err(CryptoError::Malformed("tag length"));
    }
    body.extend_from_slice(&tag);
    let nonce = Nonce::try_assume_unique_for_key(&iv).map_err(|_| CryptoError::Malformed("iv"))?;
    let plain =
        key.aead().open_in_place(nonce, Aad::from(header.as_bytes()), &mut body).map_err(|_| CryptoError::Decrypt)?;
    Ok(plain.to_vec())
}

fn check_header(header: &str) -> Result<()> {
    if header == HEADER {
        return Ok(());
    }
    // Other encoders may order or space the members differently.
    let raw = B64.decode(header).map_err(|_| CryptoError::Malformed("header"))?;
    let value: serde_json::Value = serde_json::from_slice(&raw).map_err(|_| CryptoError::Malformed("header"))?;
    if value.get("alg").and_then(|v| v.as_str()) == Some("dir")
        && value.get("enc").and_then(|v| v.as_str()) == Some("A256GCM")
    {
        Ok(())
    } else {
        Err(CryptoError::Malformed("unsupported JWE algorithm"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_constant_is_the_encoded_protected_header() {
        assert_eq!(B64.decode(HEADER).unwrap(), br#"{"alg":"dir","enc":"A256GCM"}"#);
    }

    #[test]
    fn token_round_trips() {
        let key = AppKey::generate();
        let token = encrypt(&key, b"{\"scopes\":[]}").unwrap();
        assert_eq!(token.split('.').count(), 5);
        assert_eq!(decrypt(&key, &token).unwrap(), b"{\"scopes\":[]}");
    }

    #[test]
    fn altered_or_foreign_tokens_are_rejected() {
        let key = AppKey::generate();
        let token = encrypt(&key, b"payload").unwrap();
        assert_eq!(decrypt(&AppKey::generate(), &token), Err(CryptoError::Decrypt));

        let mut parts: Vec<String> = token.split('.').map(String::from).collect();
        let mut ct = B64.decode(&parts[3]).unwrap();
        ct[0] ^= 1;
        parts[3] = B64.encode(ct);
        assert_eq!(decrypt(&key, &parts.join(".")), Err(CryptoError::Decrypt));

        assert!(matches!(decrypt(&key, "not-a-token"), Err(CryptoError::Malformed(_))));
        assert!(matches!(decrypt(&key, "a.b.c.d.e"), Err(CryptoError::Malformed(_))));
        let none_alg = B64.encode(br#"{"alg":"none"}"#);
        let forged = format!("{none_alg}..{}.{}.{}", parts[2], parts[3], parts[4]);
        assert!(matches!(decrypt(&key, &forged), Err(CryptoError::Malformed(_))));
    }
}
