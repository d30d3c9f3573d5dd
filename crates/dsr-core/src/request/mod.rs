//! Privacy requests: creation, identity verification, review, execution against the subject's
//! data stores, manual input, result packages, monitoring and retry.
//!
//! Each step is its own small struct holding only what it needs ([`create`](self) takes
//! requests in, `verify` checks codes, `review` applies decisions, `manual` handles uploads,
//! `execute` runs a request, `results` hands out downloads, `monitor` lists and retries);
//! [`DieselRequestService`] composes them behind [`RequestService`] and is the job handler of
//! [`QUEUE`].

mod create;
mod duplicates;
mod execute;
pub(crate) mod identity;
mod inputs;
mod log;
mod manual;
pub(crate) mod model;
mod monitor;
mod notify;
mod queue;
pub(crate) mod repo;
mod results;
mod retention;
mod review;
mod settings;
mod spool;
mod vault;
mod verify;
mod view;
mod webhooks;

use std::sync::Arc;

use crypto::AppKey;
use db::Database;
use db::jobs::{Job, JobFailure, JobHandler, JobSignal};
use redaction::RedactionService;
use serde_json::{Map, Value};

pub use identity::{Identity, IdentityValue};
pub use model::{
    AccessResultUrls, ActionRequiredDetails, ExecutionLog, FieldAffected, LogStatus, PrivacyRequest,
    PrivacyRequestCreate, PrivacyRequestList, RequestFilter, RequestStatus, ReviewRequestIds, ReviewWithReason,
    SortDirection, SortField, VerificationCode,
};
pub use notify::{MESSAGE_QUEUE, Messenger};
pub use results::{PackageDownload, package_url};
pub use retention::{PURGE_QUEUE, Purger};
pub use settings::{
    CodeDelivery, DuplicateDetection, NotificationSettings, QUEUE, RequestSettings, VERIFICATION_ATTEMPTS,
};

use crate::bulk::BulkResponse;
use crate::error::Result;
use crate::manual::ManualInput;
use crate::page::{FidesPage, PageRequest};
use connectors::Stores;
use create::Intake;
use duplicates::Duplicates;
use execute::Executor;
use manual::ManualInputs;
use monitor::Monitor;
use notify::Notices;
use queue::Queue;
use results::Results;
use review::{Decision, Reviewer};
use vault::Vault;
use verify::Verifier;
pub use webhooks::ResumeGrant;
use webhooks::Webhooks;

/// Privacy requests: create, verify, review, execute, monitor, retry, download results.
pub trait RequestService: Send + Sync {
    /// Creates requests (at most 50); each item succeeds or fails on its own. `submitted_by` is
    /// the client of the authenticated route.
    fn create(
        &self,
        items: Vec<PrivacyRequestCreate>,
        submitted_by: Option<String>,
    ) -> Result<BulkResponse<PrivacyRequest>>;
    /// A filtered, sorted page of requests.
    fn list(&self, filter: &RequestFilter, page: PageRequest) -> Result<FidesPage<PrivacyRequest>>;
    /// One request.
    fn get(&self, id: &str, verbose: bool, include_identities: bool) -> Result<PrivacyRequest>;
    /// A page of a request's execution log, oldest first.
    fn logs(&self, id: &str, page: PageRequest) -> Result<FidesPage<ExecutionLog>>;
    /// Resumes a failed request from the step that failed.
    fn retry(&self, id: &str) -> Result<PrivacyRequest>;
    /// Signed, expiring download tokens, one per stored package of a complete request.
    fn access_result_tokens(&self, id: &str) -> Result<Vec<String>>;
    /// The package a download token names.
    fn open_package(&self, id: &str, token: &str) -> Result<PackageDownload>;
    /// Executes a request now (what the worker does); a request that is not runnable is left alone.
    fn execute(&self, id: &str) -> Result<()>;

    /// Checks the subject's code: right → the request goes on (to approval or execution).
    fn verify(&self, id: &str, code: &str) -> Result<PrivacyRequest>;
    /// Sends an unverified request a new code in place of its old one (at most one per 30 s);
    /// no second request is made.
    fn resend_code(&self, id: &str) -> Result<()>;
    /// Approves pending requests (each on its own) and queues them; `reviewer` is the client.
    fn approve(&self, ids: Vec<String>, reviewer: &str) -> Result<BulkResponse<PrivacyRequest>>;
    /// Denies pending requests, recording the reason on the request and in its log.
    fn deny(&self, ids: Vec<String>, reviewer: &str, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>>;
    /// Cancels requests that have not ended.
    fn cancel(&self, ids: Vec<String>, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>>;
    /// Stores what a person found in a manual request's system for a request in `requires_input`.
    fn upload_manual_input(&self, id: &str, connection: &str, data: Map<String, Value>) -> Result<ManualInput>;
    /// What was uploaded for a request and a manual request connection.
    fn manual_input(&self, id: &str, connection: &str) -> Result<ManualInput>;
    /// Resumes a request in `requires_input` once every manual request has its upload.
    fn resume_from_requires_input(&self, id: &str) -> Result<PrivacyRequest>;

    /// Checks the `reply-to-token` a two-way pre-execution webhook was sent: issued for request
    /// `id`, not expired (403 otherwise). Called before the rest of the call is read.
    fn authorize_webhook_resume(&self, id: &str, token: &str) -> Result<ResumeGrant>;
    /// Resumes the request a webhook paused, with the identities it derived (422 naming the
    /// identity when one is invalid; 400 when the request is not paused by that webhook).
    fn resume_from_webhook(&self, grant: &ResumeGrant, derived_identity: &Map<String, Value>)
    -> Result<PrivacyRequest>;
}

/// [`RequestService`] over the database; also the job handler of [`QUEUE`].
#[derive(Clone)]
pub struct DieselRequestService {
    queue: Queue,
    intake: Intake,
    verifier: Verifier,
    reviewer: Reviewer,
    manual: ManualInputs,
    executor: Executor,
    webhooks: Webhooks,
    results: Results,
    monitor: Monitor,
    messenger: Messenger,
    purger: Purger,
}

impl DieselRequestService {
    /// A service over `db`, sealing identities with `key`, writing packages as `settings` say
    /// and renaming names in them with `redaction`'s patterns.
    pub fn new(
        db: Database,
        key: AppKey,
        settings: RequestSettings,
        redaction: Arc<dyn RedactionService>,
    ) -> DieselRequestService {
        let vault = Vault::new(key);
        let queue = Queue::default();
        let notices = Notices::new(settings.notifications, queue.clone());
        let duplicates = Duplicates::new(settings.duplicate_detection.clone());
        let verifier =
            Verifier::new(db.clone(), vault.clone(), queue.clone(), notices.clone(), duplicates.clone(), &settings);
        let results = Results::new(db.clone(), vault.clone(), &settings);
        let purger = Purger::new(
            db.clone(),
            vault.clone(),
            settings.storage_dir.clone(),
            retention::Expiry::new(settings.result_ttl),
        );
        let messenger = Messenger::new(
            db.clone(),
            vault.clone(),
            results.clone(),
            settings.code_delivery.clone(),
            settings.public_url.clone(),
            settings.download_link_ttl,
            settings.privacy_center_downloads,
        );
        let manual = ManualInputs::new(db.clone(), vault.clone(), queue.clone());
        let webhooks = Webhooks::new(
            db.clone(),
            vault.clone(),
            queue.clone(),
            settings.saas_client.clone(),
            settings.webhook_pause_timeout,
        );
        DieselRequestService {
            intake: Intake::new(
                db.clone(),
                vault.clone(),
                queue.clone(),
                notices.clone(),
                duplicates.clone(),
                verifier.clone(),
                &settings,
            ),
            reviewer: Reviewer::new(
                db.clone(),
                vault.clone(),
                queue.clone(),
                notices.clone(),
                duplicates,
                settings.identity_verification_required,
            ),
            executor: Executor::new(
                db.clone(),
                vault.clone(),
                &settings,
                redaction,
                manual.clone(),
                webhooks.clone(),
                notices,
            ),
            webhooks,
            results,
            messenger,
            purger,
            monitor: Monitor::new(db, vault, queue.clone()),
            verifier,
            manual,
            queue,
        }
    }

    /// The open customer stores, to share with the connection service (which closes a
    /// connection's store when it is deleted or given new secrets).
    pub fn stores(&self) -> Stores {
        self.executor.stores()
    }

    /// The sender of subject emails: the job handler of [`MESSAGE_QUEUE`].
    pub fn messenger(&self) -> Messenger {
        self.messenger.clone()
    }

    /// The deleter of expired results: the job handler of [`PURGE_QUEUE`].
    pub fn purger(&self) -> Purger {
        self.purger.clone()
    }

    /// Wakes this process's workers when requests are queued.
    pub fn with_job_signal(self, signal: JobSignal) -> DieselRequestService {
        self.queue.signal_with(signal);
        self
    }
}

impl RequestService for DieselRequestService {
    fn create(
        &self,
        items: Vec<PrivacyRequestCreate>,
        submitted_by: Option<String>,
    ) -> Result<BulkResponse<PrivacyRequest>> {
        self.intake.create(items, submitted_by)
    }

    fn list(&self, filter: &RequestFilter, page: PageRequest) -> Result<FidesPage<PrivacyRequest>> {
        self.monitor.list(filter, page)
    }

    fn get(&self, id: &str, verbose: bool, include_identities: bool) -> Result<PrivacyRequest> {
        self.monitor.get(id, verbose, include_identities)
    }

    fn logs(&self, id: &str, page: PageRequest) -> Result<FidesPage<ExecutionLog>> {
        self.monitor.logs(id, page)
    }

    fn retry(&self, id: &str) -> Result<PrivacyRequest> {
        self.monitor.retry(id)
    }

    fn access_result_tokens(&self, id: &str) -> Result<Vec<String>> {
        self.results.tokens(id)
    }

    fn open_package(&self, id: &str, token: &str) -> Result<PackageDownload> {
        self.results.open(id, token)
    }

    fn execute(&self, id: &str) -> Result<()> {
        self.executor.run(id)
    }

    fn verify(&self, id: &str, code: &str) -> Result<PrivacyRequest> {
        self.verifier.verify(id, code)
    }

    fn resend_code(&self, id: &str) -> Result<()> {
        self.verifier.resend(id)
    }

    fn approve(&self, ids: Vec<String>, reviewer: &str) -> Result<BulkResponse<PrivacyRequest>> {
        self.reviewer.decide(ids, Decision::Approve { reviewer })
    }

    fn deny(&self, ids: Vec<String>, reviewer: &str, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>> {
        self.reviewer.decide(ids, Decision::Deny { reviewer, reason: reason.as_deref() })
    }

    fn cancel(&self, ids: Vec<String>, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>> {
        self.reviewer.decide(ids, Decision::Cancel { reason: reason.as_deref() })
    }

    fn upload_manual_input(&self, id: &str, connection: &str, data: Map<String, Value>) -> Result<ManualInput> {
        self.manual.store(id, connection, data)
    }

    fn manual_input(&self, id: &str, connection: &str) -> Result<ManualInput> {
        self.manual.read(id, connection)
    }

    fn resume_from_requires_input(&self, id: &str) -> Result<PrivacyRequest> {
        self.manual.resume(id)
    }

    fn authorize_webhook_resume(&self, id: &str, token: &str) -> Result<ResumeGrant> {
        self.webhooks.authorize_resume(id, token)
    }

    fn resume_from_webhook(
        &self,
        grant: &ResumeGrant,
        derived_identity: &Map<String, Value>,
    ) -> Result<PrivacyRequest> {
        self.webhooks.resume(grant, derived_identity)
    }
}

impl JobHandler for DieselRequestService {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        let Some(id) = job.payload.get("privacy_request_id").and_then(Value::as_str) else {
            return Err(JobFailure::permanent("job payload has no privacy_request_id"));
        };
        // A pause's deadline: the request fails if that webhook still holds it paused.
        if let Some(webhook) = job.payload.get("pause_of").and_then(Value::as_str) {
            return self.webhooks.expire(id, webhook).map_err(|e| JobFailure::retry(e.to_string()));
        }
        match self.executor.run(id) {
            Ok(()) => Ok(()),
            Err(e) => {
                if job.attempts >= job.max_attempts {
                    self.executor.give_up(id, &e.to_string());
                }
                Err(JobFailure::retry(e.to_string()))
            }
        }
    }
}
