//! The privacy-request service: the seam the gateway (and the job worker) call.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use crypto::AppKey;
use db::id::new_id;
use db::jobs::{self, Job, JobFailure, JobHandler, JobSignal, NewJob};
use db::{Database, DbConn};
use redaction::RedactionService;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::identity::Identity;
use super::model::{
    ActionRequiredDetails, ExecutionLog, PrivacyRequest, PrivacyRequestCreate, RequestFilter, RequestStatus,
};
use super::repo::{self, LogRow, RequestRow};
use crate::connector::Stores;
use crate::error::{DsrError, Result};
use crate::manual::ManualInput;
use crate::model::{ActionType, BulkFailure, BulkResponse, FidesPage, MAX_BULK, PageRequest, Policy};
use crate::repo::{self as config_repo, PolicyRow};

/// Queue of privacy-request execution jobs.
pub const QUEUE: &str = "privacy_requests";

/// Claims an execution job gets before the request is marked failed.
const JOB_ATTEMPTS: i32 = 5;

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
        }
    }
}

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

/// Privacy requests: create, monitor, retry, download results.
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
}

pub(super) struct Inner {
    pub(super) db: Database,
    pub(super) key: AppKey,
    pub(super) settings: RequestSettings,
    pub(super) redaction: Arc<dyn RedactionService>,
    pub(super) stores: Stores,
}

/// [`RequestService`] over the database; also the job handler of [`QUEUE`].
#[derive(Clone)]
pub struct DieselRequestService {
    pub(super) inner: Arc<Inner>,
    signal: Option<JobSignal>,
}

/// A stored package file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub(super) struct ResultFile {
    pub(super) rule: String,
    pub(super) file: String,
}

#[derive(Serialize, Deserialize)]
struct DownloadClaims {
    privacy_request_id: String,
    file: String,
    exp: i64,
}

pub(super) fn not_found(id: &str) -> DsrError {
    DsrError::NotFound(format!("No privacy request found with id '{id}'."))
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
        DieselRequestService {
            inner: Arc::new(Inner { db, key, settings, redaction, stores: Stores::default() }),
            signal: None,
        }
    }

    /// The open customer stores, to share with the connection service (which closes a
    /// connection's store when it is deleted or given new secrets).
    pub fn stores(&self) -> Stores {
        self.inner.stores.clone()
    }

    /// Wakes this process's workers when requests are queued.
    pub fn with_job_signal(mut self, signal: JobSignal) -> DieselRequestService {
        self.signal = Some(signal);
        self
    }

    pub(super) fn enqueue(&self, conn: &mut DbConn, id: &str) -> Result<()> {
        let job = NewJob::new(QUEUE, serde_json::json!({ "privacy_request_id": id })).max_attempts(JOB_ATTEMPTS);
        jobs::enqueue(conn, &job)?;
        Ok(())
    }

    pub(super) fn notify(&self) {
        if let Some(signal) = &self.signal {
            signal.notify();
        }
    }

    pub(super) fn request_row(conn: &mut DbConn, id: &str) -> Result<RequestRow> {
        repo::find_request(conn, id)?.ok_or_else(|| not_found(id))
    }

    /// Validates one create item; `Err` is the message for the bulk response.
    fn create_one(
        &self,
        conn: &mut DbConn,
        item: PrivacyRequestCreate,
        submitted_by: Option<&str>,
        policies: &mut HashMap<String, Option<(PolicyRow, Policy)>>,
        verify: bool,
    ) -> Result<std::result::Result<Accepted, String>> {
        let identity = match Identity::parse(&item.identity) {
            Ok(identity) => identity,
            Err(message) => return Ok(Err(message)),
        };
        if let Some(key) = &item.encryption_key
            && key.len() != crypto::results::REQUEST_KEY_LEN
        {
            return Ok(Err("Encryption key must be 16 bytes long".to_owned()));
        }
        if !policies.contains_key(&item.policy_key) {
            let found = match config_repo::find_policy(conn, &item.policy_key)? {
                Some(row) => config_repo::assemble_policies(conn, vec![row.clone()])?.pop().map(|p| (row, p)),
                None => None,
            };
            policies.insert(item.policy_key.clone(), found);
        }
        let Some((policy_row, policy)) = policies.get(&item.policy_key).and_then(Option::as_ref) else {
            return Ok(Err(format!("Policy with key {} does not exist", item.policy_key)));
        };
        let erasure = policy.rules.iter().any(|r| r.action_type == ActionType::Erasure);
        if !erasure && !policy.rules.iter().any(|r| r.action_type == ActionType::Access) {
            return Ok(Err(format!("Policy {} has no access or erasure rules to execute", policy.key)));
        }
        let email = identity.values("email").into_iter().find_map(|v| v.as_str().map(str::to_owned));
        let verification = match (verify, email) {
            (false, _) => None,
            (true, Some(email)) => Some(email),
            (true, None) => {
                return Ok(Err(
                    "Verification message could not be sent: identity verification needs an email identity.".to_owned(),
                ));
            }
        };
        let masking_secrets = match erasure {
            true => Some(self.seal_json(&crate::masking::MaskingSecrets::generate())?),
            false => None,
        };
        let at = db::now();
        let identity_json = serde_json::to_vec(&identity).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        let row = RequestRow {
            id: new_id("pri"),
            external_id: item.external_id,
            status: if verify { RequestStatus::IdentityUnverified } else { RequestStatus::Pending },
            policy_id: policy_row.id.clone(),
            identity: crypto::seal(&self.inner.key, &identity_json),
            encryption_key: item.encryption_key.map(|k| crypto::seal(&self.inner.key, k.as_bytes())),
            source: item.source,
            submitted_by: submitted_by.map(str::to_owned),
            requested_at: item.requested_at.map_or(at, |t| t.naive_utc()),
            created_at: at,
            updated_at: at,
            started_processing_at: None,
            finished_processing_at: None,
            failed_step: None,
            failed_collection: None,
            result_files: None,
            reviewed_at: None,
            reviewed_by: None,
            deny_reason: None,
            identity_verified_at: None,
            canceled_at: None,
            cancel_reason: None,
            masking_secrets,
        };
        let digests = self.digests(&identity);
        let verification = match verification {
            Some(email) => match self.send_code(&row.id, &email, at) {
                Ok(sent) => Some(sent),
                Err(message) => return Ok(Err(message)),
            },
            None => None,
        };
        Ok(Ok(Accepted { row, digests, verification }))
    }

    fn digests(&self, identity: &Identity) -> Vec<(String, String)> {
        let mut seen = BTreeMap::new();
        for (field, text) in identity.texts() {
            // One digest per identity key; lists keep their first value searchable.
            seen.entry(field).or_insert_with(|| crypto::keyed_digest(&self.inner.key, text.as_bytes()));
        }
        seen.into_iter().collect()
    }

    /// `value` as JSON, sealed with the application key.
    pub(super) fn seal_json<T: Serialize>(&self, value: &T) -> Result<Vec<u8>> {
        let plain = serde_json::to_vec(value).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        Ok(crypto::seal(&self.inner.key, &plain))
    }

    /// What [`Self::seal_json`] sealed; `what` names it when it cannot be opened.
    pub(super) fn open_json<T: serde::de::DeserializeOwned>(&self, sealed: &[u8], what: &str) -> Result<T> {
        let corrupt = |why: &str| DsrError::Db(db::DbError::Corrupt(format!("{what}: {why}")));
        let plain = crypto::open(&self.inner.key, sealed).map_err(|_| corrupt("cannot be decrypted"))?;
        serde_json::from_slice(&plain).map_err(|_| corrupt("not JSON"))
    }

    pub(super) fn open_identity(&self, row: &RequestRow) -> Result<Identity> {
        self.open_json(&row.identity, &format!("identity of {}", row.id))
    }

    pub(super) fn open_encryption_key(&self, row: &RequestRow) -> Result<Option<Vec<u8>>> {
        row.encryption_key
            .as_ref()
            .map(|sealed| {
                crypto::open(&self.inner.key, sealed).map_err(|_| {
                    DsrError::Db(db::DbError::Corrupt(format!("encryption key of {} cannot be decrypted", row.id)))
                })
            })
            .transpose()
    }

    /// Responses for request rows: policies and (when asked) logs loaded once for all.
    pub(super) fn respond(
        &self,
        conn: &mut DbConn,
        rows: Vec<RequestRow>,
        verbose: bool,
        include_identities: bool,
    ) -> Result<Vec<PrivacyRequest>> {
        let mut ids: Vec<String> = rows.iter().map(|r| r.policy_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let policy_rows = config_repo::policies_by_ids(conn, &ids)?;
        let policy_ids: Vec<String> = policy_rows.iter().map(|p| p.id.clone()).collect();
        let policies: HashMap<String, Policy> =
            policy_ids.into_iter().zip(config_repo::assemble_policies(conn, policy_rows)?).collect();
        let mut logs: HashMap<String, Vec<ExecutionLog>> = HashMap::new();
        if verbose {
            let request_ids: Vec<String> = rows.iter().map(|r| r.id.clone()).collect();
            for row in repo::logs_of(conn, &request_ids)? {
                logs.entry(row.privacy_request_id.clone()).or_default().push(to_log(row)?);
            }
        }
        rows.into_iter()
            .map(|row| {
                let policy = policies.get(&row.policy_id).cloned().ok_or_else(|| {
                    DsrError::Db(db::DbError::Corrupt(format!("policy of privacy request {}", row.id)))
                })?;
                let identity = if include_identities { Some(self.open_identity(&row)?.to_response()) } else { None };
                let results = verbose.then(|| {
                    let mut by_dataset: BTreeMap<String, Vec<ExecutionLog>> = BTreeMap::new();
                    for log in logs.remove(&row.id).unwrap_or_default() {
                        by_dataset.entry(log.dataset_name.clone().unwrap_or_default()).or_default().push(log);
                    }
                    by_dataset
                });
                Ok(to_response(row, policy, identity, results))
            })
            .collect()
    }
}

/// One create item that passed validation.
struct Accepted {
    row: RequestRow,
    digests: Vec<(String, String)>,
    verification: Option<super::repo::VerificationRow>,
}

/// The package files stored for a request.
fn result_files(row: &RequestRow) -> Result<Vec<ResultFile>> {
    serde_json::from_str(row.result_files.as_deref().unwrap_or("[]"))
        .map_err(|e| DsrError::Db(db::DbError::Corrupt(format!("result files of {}: {e}", row.id))))
}

pub(super) fn to_log(row: LogRow) -> Result<ExecutionLog> {
    Ok(ExecutionLog {
        status: row.status.as_str().to_owned(),
        dataset_name: row.dataset_name,
        collection_name: row.collection_name,
        connection_key: row.connection_key,
        fields_affected: db::stored_json(&row.fields_affected, "execution log fields")?,
        message: row.message,
        action_type: row.action_type,
        updated_at: db::utc(row.updated_at),
    })
}

fn to_response(
    row: RequestRow,
    policy: Policy,
    identity: Option<serde_json::Map<String, Value>>,
    results: Option<BTreeMap<String, Vec<ExecutionLog>>>,
) -> PrivacyRequest {
    let status = row.status;
    let days_left = policy.execution_timeframe.map(|days| {
        let due = db::utc(row.requested_at) + chrono::Duration::days(i64::from(days));
        (due - Utc::now()).num_days()
    });
    let failed = status == RequestStatus::Error;
    PrivacyRequest {
        status,
        external_id: row.external_id,
        created_at: db::utc(row.created_at),
        requested_at: db::utc(row.requested_at),
        started_processing_at: row.started_processing_at.map(db::utc),
        finished_processing_at: row.finished_processing_at.map(db::utc),
        reviewed_at: row.reviewed_at.map(db::utc),
        reviewed_by: row.reviewed_by,
        submitted_by: row.submitted_by,
        identity_verified_at: row.identity_verified_at.map(db::utc),
        paused_at: None,
        deny_reason: row.deny_reason,
        canceled_at: row.canceled_at.map(db::utc),
        cancel_reason: row.cancel_reason,
        source: row.source,
        days_left,
        policy,
        action_required_details: failed.then(|| ActionRequiredDetails {
            step: row.failed_step.clone().unwrap_or_else(|| "access".to_owned()),
            collection: row.failed_collection.clone(),
            action_needed: None,
        }),
        resume_endpoint: match status {
            RequestStatus::Error => Some(format!("/privacy-request/{}/retry", row.id)),
            RequestStatus::RequiresInput => Some(format!("/privacy-request/{}/resume_from_requires_input", row.id)),
            _ => None,
        },
        identity,
        results,
        id: row.id,
    }
}

impl RequestService for DieselRequestService {
    fn create(
        &self,
        items: Vec<PrivacyRequestCreate>,
        submitted_by: Option<String>,
    ) -> Result<BulkResponse<PrivacyRequest>> {
        crate::model::check_bulk(Vec::new(), items.len(), MAX_BULK)?;
        let mut conn = self.inner.db.conn()?;
        let mut policies = HashMap::new();
        let mut response = BulkResponse::default();
        let mut created = Vec::new();
        // Only the public route asks the subject to prove their identity (as Fides).
        let verify = submitted_by.is_none() && self.inner.settings.identity_verification_required;
        for item in items {
            // Echoed as given when it fails (Fides' bulk shape).
            let data = serde_json::to_value(&item).unwrap_or(Value::Null);
            // A database error fails the whole call; the item's own problems fail only the item.
            match self.create_one(&mut conn, item, submitted_by.as_deref(), &mut policies, verify)? {
                Ok(accepted) => created.push(accepted),
                Err(message) => response.failed.push(BulkFailure { message, data }),
            }
        }
        // Every accepted item in one transaction: each is stored with its job, or none is.
        let queue = !verify && !self.inner.settings.manual_approval_required;
        conn.write_transaction(|c| -> Result<()> {
            for accepted in &created {
                repo::insert_request(c, &accepted.row, &accepted.digests)?;
                if let Some(verification) = &accepted.verification {
                    repo::insert_verification(c, verification)?;
                }
                if queue {
                    self.enqueue(c, &accepted.row.id)?;
                }
            }
            Ok(())
        })?;
        let created: Vec<RequestRow> = created.into_iter().map(|a| a.row).collect();
        if queue && !created.is_empty() {
            self.notify();
        }
        response.succeeded = self.respond(&mut conn, created, false, false)?;
        Ok(response)
    }

    fn list(&self, filter: &RequestFilter, page: PageRequest) -> Result<FidesPage<PrivacyRequest>> {
        filter.check().map_err(DsrError::BadRequest)?;
        let digest = filter.identity.as_ref().map(|v| crypto::keyed_digest(&self.inner.key, v.trim().as_bytes()));
        let mut conn = self.inner.db.conn()?;
        let total = repo::count_requests(&mut conn, filter, digest.as_deref())?;
        let rows = repo::list_requests(&mut conn, filter, digest.as_deref(), page.offset(), page.size)?;
        let items = self.respond(&mut conn, rows, filter.verbose, filter.include_identities)?;
        Ok(FidesPage::new(items, total, page))
    }

    fn get(&self, id: &str, verbose: bool, include_identities: bool) -> Result<PrivacyRequest> {
        let mut conn = self.inner.db.conn()?;
        let row = Self::request_row(&mut conn, id)?;
        self.respond(&mut conn, vec![row], verbose, include_identities)?.pop().ok_or_else(|| not_found(id))
    }

    fn logs(&self, id: &str, page: PageRequest) -> Result<FidesPage<ExecutionLog>> {
        let mut conn = self.inner.db.conn()?;
        Self::request_row(&mut conn, id)?;
        let total = repo::count_logs(&mut conn, id)?;
        let items =
            repo::logs_page(&mut conn, id, page.offset(), page.size)?.into_iter().map(to_log).collect::<Result<_>>()?;
        Ok(FidesPage::new(items, total, page))
    }

    fn retry(&self, id: &str) -> Result<PrivacyRequest> {
        let mut conn = self.inner.db.conn()?;
        let restarted = conn.write_transaction(|c| -> Result<bool> {
            let row = Self::request_row(c, id)?;
            if !repo::restart(c, id, db::now())? {
                return Err(DsrError::BadRequest(format!(
                    "Cannot restart privacy request from failure: privacy request '{id}' status = {}.",
                    row.status
                )));
            }
            self.enqueue(c, id)?;
            Ok(true)
        })?;
        if restarted {
            self.notify();
        }
        self.get(id, false, false)
    }

    fn access_result_tokens(&self, id: &str) -> Result<Vec<String>> {
        let mut conn = self.inner.db.conn()?;
        let row = Self::request_row(&mut conn, id)?;
        if row.status != RequestStatus::Complete {
            return Err(DsrError::BadRequest(format!(
                "Access results for privacy request '{id}' are not available: its status is {}, not complete.",
                row.status
            )));
        }
        let files = result_files(&row)?;
        let exp = Utc::now().timestamp()
            + i64::try_from(self.inner.settings.download_link_ttl.as_secs()).unwrap_or(i64::MAX / 2);
        files
            .into_iter()
            .map(|f| {
                let claims = DownloadClaims { privacy_request_id: id.to_owned(), file: f.file, exp };
                let payload = serde_json::to_vec(&claims).map_err(|e| DsrError::BadRequest(e.to_string()))?;
                crypto::jwe::encrypt(&self.inner.key, &payload).map_err(|e| DsrError::BadRequest(e.to_string()))
            })
            .collect()
    }

    fn open_package(&self, id: &str, token: &str) -> Result<PackageDownload> {
        let refused = || DsrError::Forbidden("The download link is invalid or has expired.".to_owned());
        let payload = crypto::jwe::decrypt(&self.inner.key, token).map_err(|_| refused())?;
        let claims: DownloadClaims = serde_json::from_slice(&payload).map_err(|_| refused())?;
        if claims.privacy_request_id != id || claims.exp < Utc::now().timestamp() {
            return Err(refused());
        }
        let mut conn = self.inner.db.conn()?;
        let row = Self::request_row(&mut conn, id)?;
        let files = result_files(&row)?;
        if !files.iter().any(|f| f.file == claims.file) {
            return Err(DsrError::NotFound(format!("No access package '{}' for privacy request '{id}'", claims.file)));
        }
        let path = self.inner.settings.storage_dir.join(id).join(&claims.file);
        if !path.is_file() {
            return Err(DsrError::NotFound(format!("The access package of privacy request '{id}' is gone")));
        }
        let encrypted = row.encryption_key.is_some();
        let content_type = match (claims.file.ends_with(".zip"), encrypted) {
            (true, _) => "application/zip",
            (false, true) => "text/plain; charset=utf-8",
            (false, false) => "application/json",
        };
        Ok(PackageDownload { path, filename: format!("{id}-{}", claims.file), content_type })
    }

    fn execute(&self, id: &str) -> Result<()> {
        self.run(id)
    }

    fn verify(&self, id: &str, code: &str) -> Result<PrivacyRequest> {
        self.verify_code(id, code)
    }

    fn approve(&self, ids: Vec<String>, reviewer: &str) -> Result<BulkResponse<PrivacyRequest>> {
        self.review_all(ids, super::review::Review::Approve { reviewer })
    }

    fn deny(&self, ids: Vec<String>, reviewer: &str, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>> {
        self.review_all(ids, super::review::Review::Deny { reviewer, reason: reason.as_deref() })
    }

    fn cancel(&self, ids: Vec<String>, reason: Option<String>) -> Result<BulkResponse<PrivacyRequest>> {
        self.review_all(ids, super::review::Review::Cancel { reason: reason.as_deref() })
    }

    fn upload_manual_input(&self, id: &str, connection: &str, data: Map<String, Value>) -> Result<ManualInput> {
        self.store_manual_input(id, connection, data)
    }

    fn manual_input(&self, id: &str, connection: &str) -> Result<ManualInput> {
        self.read_manual_input(id, connection)
    }

    fn resume_from_requires_input(&self, id: &str) -> Result<PrivacyRequest> {
        self.resume_input(id)
    }
}

impl JobHandler for DieselRequestService {
    fn run(&self, job: &Job) -> std::result::Result<(), JobFailure> {
        let Some(id) = job.payload.get("privacy_request_id").and_then(Value::as_str) else {
            return Err(JobFailure::permanent("job payload has no privacy_request_id"));
        };
        match DieselRequestService::run(self, id) {
            Ok(()) => Ok(()),
            Err(e) => {
                if job.attempts >= job.max_attempts {
                    self.give_up(id, &e.to_string());
                }
                Err(JobFailure::retry(e.to_string()))
            }
        }
    }
}
