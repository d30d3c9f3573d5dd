//! The application key, AES-256-GCM sealing, and random credentials.

use ring::aead::{AES_256_GCM, Aad, LessSafeKey, NONCE_LEN, Nonce, UnboundKey};
use ring::rand::{SecureRandom, SystemRandom};

use crate::{CryptoError, Result};

/// The server's 32-byte application key: seals secrets at rest and encrypts access tokens.
#[derive(Clone)]
pub struct AppKey([u8; 32]);

impl AppKey {
    /// Key length in bytes.
    pub const LEN: usize = 32;

    /// Takes a configured key: exactly 32 bytes of UTF-8, as Fides' `app_encryption_key`.
    pub fn from_text(text: &str) -> Result<AppKey> {
        let bytes: [u8; 32] = text
            .as_bytes()
            .try_into()
            .map_err(|_| CryptoError::KeyLength { expected: Self::LEN, actual: text.len() })?;
        Ok(AppKey(bytes))
    }

    /// A new random key as 32 alphanumeric characters (about 190 bits), so it can be written to
    /// a file or an environment variable and read back with [`AppKey::from_text`].
    pub fn generate_text() -> String {
        random_alphanumeric(Self::LEN)
    }

    /// A new random key.
    pub fn generate() -> AppKey {
        let mut bytes = [0u8; 32];
        fill(&mut bytes);
        AppKey(bytes)
    }

    pub(crate) fn aead(&self) -> LessSafeKey {
        // 32 bytes is always a valid AES-256 key.
        LessSafeKey::new(UnboundKey::new(&AES_256_GCM, &self.0).unwrap_or_else(|_| unreachable!()))
    }
}

impl std::fmt::Debug for AppKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AppKey(***)")
    }
}

fn fill(bytes: &mut [u8]) {
    // The OS random source does not fail on supported platforms; if it ever did, continuing
    // with predictable bytes would be worse than stopping.
    if SystemRandom::new().fill(bytes).is_err() {
        panic!("the system random source failed");
    }
}

pub(crate) fn random_nonce() -> [u8; NONCE_LEN] {
    let mut nonce = [0u8; NONCE_LEN];
    fill(&mut nonce);
    nonce
}

/// `len` random bytes.
pub fn random_bytes(len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    fill(&mut buf);
    buf
}

/// A stable, keyed digest of `data` (HMAC-SHA256 under the application key, lowercase hex):
/// lets stored values be matched by equality without storing them readable.
pub fn keyed_digest(key: &AppKey, data: &[u8]) -> String {
    let mac = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &key.0);
    ring::hmac::sign(&mac, data).as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// A six-digit decimal code drawn uniformly from 100000..=999999 (identity verification).
pub fn random_code() -> String {
    const SPAN: u32 = 900_000;
    // Reject the top of the u32 range that would bias the modulo.
    let limit = u32::MAX - u32::MAX % SPAN;
    loop {
        let mut bytes = [0u8; 4];
        fill(&mut bytes);
        let n = u32::from_le_bytes(bytes);
        if n < limit {
            return (100_000 + n % SPAN).to_string();
        }
    }
}

/// `bytes` random bytes as lowercase hex (Fides' client ids and secrets use 16).
pub fn random_hex(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    fill(&mut buf);
    buf.iter().map(|b| format!("{b:02x}")).collect()
}

/// `len` random characters from `[A-Za-z0-9]`, unbiased.
pub fn random_alphanumeric(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(len);
    let mut byte = [0u8; 1];
    while out.len() < len {
        fill(&mut byte);
        // 62 * 4 = 248: reject the top 8 values so every character is equally likely.
        if byte[0] < 248 {
            out.push(ALPHABET[usize::from(byte[0] % 62)] as char);
        }
    }
    out
}

/// Encrypts `plaintext` with AES-256-GCM under `key`: `nonce(12) ‖ ciphertext ‖ tag(16)`.
pub fn seal(key: &AppKey, plaintext: &[u8]) -> Vec<u8> {
    let nonce = random_nonce();
    let mut out = Vec::with_capacity(NONCE_LEN + plaintext.len() + 16);
    out.extend_from_slice(&nonce);
    out.extend_from_slice(plaintext);
    let mut body = out.split_off(NONCE_LEN);
    // Sealing cannot fail for in-memory buffers below GCM's 64 GiB limit.
    key.aead()
        .seal_in_place_append_tag(Nonce::assume_unique_for_key(nonce), Aad::empty(), &mut body)
        .unwrap_or_else(|_| unreachable!());
    out.append(&mut body);
    out
}

/// Decrypts what [`seal`] produced.
pub fn open(key: &AppKey, sealed: &[u8]) -> Result<Vec<u8>> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err(CryptoError::Malformed("sealed data is too short"));
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| CryptoError::Malformed("nonce"))?;
    let mut body = body.to_vec();
    let plain = key.aead().open_in_place(nonce, Aad::empty(), &mut body).map_err(|_| CryptoError::Decrypt)?;
    Ok(plain.to_vec())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn configured_key_must_be_32_bytes() {
        assert!(AppKey::from_text("0123456789abcdef0123456789abcdef").is_ok());
        assert_eq!(AppKey::from_text("short").unwrap_err(), CryptoError::KeyLength { expected: 32, actual: 5 });
        assert!(AppKey::from_text(&AppKey::generate_text()).is_ok());
    }

    #[test]
    fn seal_round_trips_and_detects_tampering() {
        let key = AppKey::generate();
        let sealed = seal(&key, b"postgres password");
        assert_ne!(&sealed[12..sealed.len() - 16], b"postgres password");
        assert_eq!(open(&key, &sealed).unwrap(), b"postgres password");

        let mut tampered = sealed.clone();
        tampered[14] ^= 1;
        assert_eq!(open(&key, &tampered), Err(CryptoError::Decrypt));
        assert_eq!(open(&AppKey::generate(), &sealed), Err(CryptoError::Decrypt));
        assert!(open(&key, b"short").is_err());
    }

    #[test]
    fn sealing_twice_gives_different_ciphertexts() {
        let key = AppKey::generate();
        assert_ne!(seal(&key, b"x"), seal(&key, b"x"));
    }

    #[test]
    fn random_credentials_have_the_requested_shape() {
        let hex = random_hex(16);
        assert_eq!(hex.len(), 32);
        assert!(hex.chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(random_hex(16), hex);
        let text = random_alphanumeric(32);
        assert_eq!(text.len(), 32);
        assert!(text.chars().all(|c| c.is_ascii_alphanumeric()));
    }

    #[test]
    fn debug_output_hides_the_key() {
        let key = AppKey::from_text("0123456789abcdef0123456789abcdef").unwrap();
        assert_eq!(format!("{key:?}"), "AppKey(***)");
    }
}
