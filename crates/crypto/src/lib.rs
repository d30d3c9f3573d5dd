#![doc = include_str!("../README.md")]

pub mod jwe;
mod key;
pub mod masking;
pub mod results;
pub mod secret;

pub use key::{AppKey, keyed_digest, open, random_alphanumeric, random_bytes, random_code, random_hex, seal};

/// What can go wrong in this crate. Messages never contain key material.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    /// A key of the wrong length.
    #[error("the key must be exactly {expected} bytes long, got {actual}")]
    KeyLength {
        /// Required length in bytes.
        expected: usize,
        /// Length given.
        actual: usize,
    },
    /// The data is not in the expected format (bad base64, wrong number of parts…).
    #[error("malformed data: {0}")]
    Malformed(&'static str),
    /// Decryption failed: wrong key, or the data was altered.
    #[error("decryption failed")]
    Decrypt,
    /// The system random source failed.
    #[error("the system random source failed")]
    Random,
}

/// Result of a cryptographic operation.
pub type Result<T> = std::result::Result<T, CryptoError>;
