//! Access results: signed, expiring download tokens (JWE under the application key), one per
//! package of a complete request, and the package a token names.

use std::path::PathBuf;
use std::time::Duration;

use chrono::Utc;
use db::Database;
use serde::{Deserialize, Serialize};

use super::model::RequestStatus;
use super::repo;
use super::retention::Expiry;
use super::settings::RequestSettings;
use super::vault::Vault;
use crate::error::{DsrError, Result};

/// A package ready to download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackageDownload {
    /// The file.
    pub path: PathBuf,
    /// Name to offer the downloader.
    pub filename: String,
    /// MIME type.
    pub content_type: &'static str,
}

/// The download link of a package: `base` is the server's public base URL, `token` one of
/// [`RequestService::access_result_tokens`](super::RequestService::access_result_tokens).
pub fn package_url(base: &str, id: &str, token: &str) -> String {
    format!("{}/api/v1/privacy-request/{id}/access-package?token={token}", base.trim_end_matches('/'))
}

/// The privacy center's download page of a package (the link subjects are emailed).
pub fn download_page_url(base: &str, id: &str, token: &str) -> String {
    format!("{}/privacy-center/download/{id}?token={token}", base.trim_end_matches('/'))
}

#[derive(Serialize, Deserialize)]
struct DownloadClaims {
    privacy_request_id: String,
    file: String,
    exp: i64,
}

/// Hands out download tokens and opens the packages they name.
#[derive(Clone)]
pub(crate) struct Results {
    db: Database,
    vault: Vault,
    storage_dir: PathBuf,
    ttl: Duration,
    expiry: Expiry,
}

impl Results {
    pub(crate) fn new(db: Database, vault: Vault, settings: &RequestSettings) -> Results {
        Results {
            db,
            vault,
            storage_dir: settings.storage_dir.clone(),
            ttl: settings.download_link_ttl,
            expiry: Expiry::new(settings.result_ttl),
        }
    }

    /// One token per stored package of complete request `id`.
    pub(crate) fn tokens(&self, id: &str) -> Result<Vec<String>> {
        let mut conn = self.db.conn()?;
        let row = repo::request_row(&mut conn, id)?;
        if let Some(purged) = row.data_purged_at {
            return Err(self.expiry.gone(id, purged));
        }
        if row.status != RequestStatus::Complete {
            return Err(DsrError::BadRequest(format!(
                "Access results for privacy request '{id}' are not available: its status is {}, not complete.",
                row.status
            )));
        }
        let exp = Utc::now().timestamp() + i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX / 2);
        repo::result_files(&row)?
            .into_iter()
            .map(|f| {
                let claims = DownloadClaims { privacy_request_id: id.to_owned(), file: f.file, exp };
                let payload = serde_json::to_vec(&claims).map_err(|e| DsrError::BadRequest(e.to_string()))?;
                crypto::jwe::encrypt(self.vault.key(), &payload).map_err(|e| DsrError::BadRequest(e.to_string()))
            })
            .collect()
    }

    /// The package `token` names, if it is valid for request `id`.
    pub(crate) fn open(&self, id: &str, token: &str) -> Result<PackageDownload> {
        let refused = || DsrError::Forbidden("The download link is invalid or has expired.".to_owned());
        let payload = crypto::jwe::decrypt(self.vault.key(), token).map_err(|_| refused())?;
        let claims: DownloadClaims = serde_json::from_slice(&payload).map_err(|_| refused())?;
        if claims.privacy_request_id != id || claims.exp < Utc::now().timestamp() {
            return Err(refused());
        }
        let mut conn = self.db.conn()?;
        let row = repo::request_row(&mut conn, id)?;
        if let Some(purged) = row.data_purged_at {
            return Err(self.expiry.gone(id, purged));
        }
        if !repo::result_files(&row)?.iter().any(|f| f.file == claims.file) {
            return Err(DsrError::NotFound(format!("No access package '{}' for privacy request '{id}'", claims.file)));
        }
        let path = self.storage_dir.join(id).join(&claims.file);
        if !path.is_file() {
            return Err(DsrError::NotFound(format!("The access package of privacy request '{id}' is gone")));
        }
        let content_type = match (claims.file.ends_with(".zip"), row.encryption_key.is_some()) {
            (true, _) => "application/zip",
            (false, true) => "text/plain; charset=utf-8",
            (false, false) => "application/json",
        };
        Ok(PackageDownload { path, filename: format!("{id}-{}", claims.file), content_type })
    }
}
