//! What a request keeps sealed with the application key (AES-256-GCM): the subject's identity,
//! the requester's package key, masking secrets, checkpoints and manual input; and the keyed
//! digests (HMAC) that let identities and codes be found without storing them in the clear.

use std::collections::BTreeMap;

use crypto::AppKey;
use serde::Serialize;
use serde::de::DeserializeOwned;

use super::identity::Identity;
use super::repo::RequestRow;
use crate::error::{DsrError, Result};

/// Seals and opens a request's secrets with the application key.
#[derive(Clone)]
pub(crate) struct Vault {
    key: AppKey,
}

fn corrupt(what: &str, why: impl std::fmt::Display) -> DsrError {
    DsrError::Db(db::DbError::Corrupt(format!("{what}: {why}")))
}

impl Vault {
    pub(crate) fn new(key: AppKey) -> Vault {
        Vault { key }
    }

    /// `value` as JSON, sealed.
    pub(crate) fn seal_json<T: Serialize>(&self, value: &T) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(value).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        Ok(crypto::seal(&self.key, &plain))
    }

    /// Bytes, sealed.
    pub(crate) fn seal(&self, plain: &[u8]) -> Vec<u8> {
        crypto::seal(&self.key, plain)
    }

    /// What [`Self::seal`] sealed; `Err` when it was altered or sealed under another key.
    pub(crate) fn open(&self, sealed: &[u8]) -> std::result::Result<Vec<u8>, crypto::CryptoError> {
        crypto::open(&self.key, sealed)
    }

    /// What [`Self::seal_json`] sealed; `what` names it when it cannot be opened.
    pub(crate) fn open_json<T: DeserializeOwned>(&self, sealed: &[u8], what: &str) -> Result<T> {
        let plain = crypto::open(&self.key, sealed).map_err(|e| corrupt(what, format!("cannot be decrypted ({e})")))?;
        serde_json::from_slice(&plain).map_err(|e| corrupt(what, format!("not JSON ({e})")))
    }

    /// The subject's identity of a request.
    pub(crate) fn open_identity(&self, row: &RequestRow) -> Result<Identity> {
        self.open_json(&row.identity, &format!("identity of {}", row.id))
    }

    /// The requester's package encryption key, if one was given.
    pub(crate) fn open_encryption_key(&self, row: &RequestRow) -> Result<Option<Vec<u8>>> {
        row.encryption_key
            .as_ref()
            .map(|sealed| {
                crypto::open(&self.key, sealed).map_err(|e| {
                    corrupt(&format!("encryption key of {}", row.id), format!("cannot be decrypted ({e})"))
                })
            })
            .transpose()
    }

    /// The keyed digest of `text`.
    pub(crate) fn digest(&self, text: &str) -> String {
        crypto::keyed_digest(&self.key, text.as_bytes())
    }

    /// One digest per identity key, to find requests by identity; lists keep their first value
    /// searchable.
    pub(crate) fn identity_digests(&self, identity: &Identity) -> Vec<(String, String)> {
        let mut seen = BTreeMap::new();
        for (field, text) in identity.texts() {
            seen.entry(field).or_insert_with(|| self.digest(&text));
        }
        seen.into_iter().collect()
    }

    /// The key itself, for the download tokens signed with it.
    pub(crate) fn key(&self) -> &AppKey {
        &self.key
    }
}
