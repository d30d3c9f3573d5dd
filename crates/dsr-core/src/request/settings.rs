//! How the request service is set up: where packages go, how long links and codes live, whether
//! subjects verify their identity and reviewers approve, and the job queue requests run on.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Queue of privacy-request execution jobs.
pub const QUEUE: &str = "privacy_requests";

/// Claims an execution job gets before the request is marked failed.
pub(crate) const JOB_ATTEMPTS: i32 = 5;

/// Wrong codes a subject may give before the code is void (Fides' attempt limit).
pub const VERIFICATION_ATTEMPTS: i32 = 3;

/// How identity verification codes reach the subject.
#[derive(Clone)]
pub enum CodeDelivery {
    /// By email, through this mailer.
    Email(Arc<dyn messaging::Mailer>),
    /// Written to the server log (development mode without SMTP): never for production.
    Log,
    /// No way to send: requests that need verification are refused.
    Unavailable,
}

impl std::fmt::Debug for CodeDelivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            CodeDelivery::Email(_) => "Email",
            CodeDelivery::Log => "Log",
            CodeDelivery::Unavailable => "Unavailable",
        })
    }
}

/// Which subject emails are sent (Fides' `[notifications]` switches; all off by default).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct NotificationSettings {
    /// `privacy_request_receipt`: after a request through the public route is created, or
    /// verified when verification is required.
    pub receipt: bool,
    /// `privacy_request_review_approve` / `_deny`: after a reviewer's decision.
    pub review: bool,
    /// `privacy_request_complete_access` / `_deletion`: after the request completes.
    pub completion: bool,
}

/// Duplicate request detection (Fides' `privacy_request_duplicate_detection`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DuplicateDetection {
    /// How far back requests are compared, in days.
    pub time_window_days: u32,
    /// Identity fields that must all be equal (`email`, `phone_number`, …).
    pub match_identity_fields: Vec<String>,
}

/// Settings of the request service.
#[derive(Debug, Clone)]
pub struct RequestSettings {
    /// Directory access packages are written to.
    pub storage_dir: PathBuf,
    /// How long download links stay valid.
    pub download_link_ttl: Duration,
    /// Requests created through the public route wait for the subject's emailed code.
    pub identity_verification_required: bool,
    /// How codes are delivered.
    pub code_delivery: CodeDelivery,
    /// How long a code is valid.
    pub verification_code_ttl: Duration,
    /// Requests wait in `pending` until a reviewer approves them.
    pub manual_approval_required: bool,
    /// Largest access package a request may produce, in bytes; a request whose package would be
    /// larger fails with a log entry naming the collection (`None`: no limit).
    pub max_package_bytes: Option<u64>,
    /// The client SaaS connections call their APIs with (allowed hosts, extra roots, limits);
    /// policy webhooks are called with it too.
    pub saas_client: connectors::saas::client::SharedClient,
    /// How long a webhook may keep a request paused (and its resume token stays valid); a
    /// request still paused then fails.
    pub webhook_pause_timeout: Duration,
    /// Which subject emails are sent (through `code_delivery`).
    pub notifications: NotificationSettings,
    /// The server's public base URL (`https://privacy.example.com`): emailed download links
    /// start with it.
    pub public_url: Option<String>,
    /// Duplicate request detection (`None`: off).
    pub duplicate_detection: Option<DuplicateDetection>,
    /// How long a completed request's results (packages, checkpoint, manual uploads) and
    /// identities are kept; then they are deleted.
    pub result_ttl: Duration,
    /// Emailed download links open the privacy center's download page (else the package itself).
    pub privacy_center_downloads: bool,
}

impl RequestSettings {
    /// Settings with verification and approval off.
    pub fn new(storage_dir: PathBuf, download_link_ttl: Duration) -> RequestSettings {
        RequestSettings {
            storage_dir,
            download_link_ttl,
            identity_verification_required: false,
            code_delivery: CodeDelivery::Unavailable,
            verification_code_ttl: Duration::from_secs(600),
            manual_approval_required: false,
            max_package_bytes: None,
            saas_client: connectors::saas::client::SharedClient::default(),
            webhook_pause_timeout: Duration::from_secs(7 * 24 * 3600),
            notifications: NotificationSettings::default(),
            public_url: None,
            duplicate_detection: None,
            result_ttl: Duration::from_secs(30 * 24 * 3600),
            privacy_center_downloads: false,
        }
    }
}
