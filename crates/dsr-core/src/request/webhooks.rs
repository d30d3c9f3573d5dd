//! Policy webhooks as a request runs (Fides' `trigger_policy_webhook`): pre-execution webhooks
//! are called in order once manual input is complete, before any store is read; post-execution
//! webhooks after the packages are stored and rows masked, before the request completes.
//!
//! A two-way pre-execution webhook may answer `halt: true`: the request is then `paused` until
//! the webhook calls `POST /privacy-request/{id}/resume` with the `reply-to-token` it was sent.
//! Unlike Fides' token (which names only the webhook, so it can resume any paused request), the
//! token names the request and the webhook that paused it, expires with the pause, and works
//! once: a resumed request is no longer paused by that webhook. A request still paused when the
//! pause times out fails with a log entry saying so (a durable job, not a timer in memory).
//! Identities webhooks derive are sealed with the request and join its identity for traversal;
//! after a resume only the webhooks after the one that paused are called.

use std::time::Duration;

use chrono::Utc;
use db::Database;
use db::jobs::{self, NewJob};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::identity::Identity;
use super::log::{self, Log, WEBHOOKS};
use super::model::{LogStatus, PrivacyRequest, RequestStatus};
use super::queue::Queue;
use super::repo::{self, RequestRow};
use super::settings::{JOB_ATTEMPTS, QUEUE};
use super::vault::Vault;
use super::view;
use crate::error::{DsrError, Result};
use crate::policy::{ActionType, Policy};
use crate::webhook::WebhookTiming;
use crate::webhook::call::{self, Answer, PolicyWebhooks, Webhook};
use crate::webhook::model::WebhookDirection;
use crate::webhook::repo as webhook_repo;

/// The scope a resume token grants (Fides' name).
const RESUME_SCOPE: &str = "privacy-request:resume";

/// What a `reply-to-token` says: which request, paused by which webhook, when.
#[derive(Serialize, Deserialize)]
struct ResumeClaims {
    privacy_request_id: String,
    webhook_id: String,
    scopes: Vec<String>,
    /// Issued at (Unix seconds).
    iat: i64,
}

/// A checked resume token: request `id` may be resumed from `webhook_id`.
#[derive(Debug, Clone)]
pub struct ResumeGrant {
    id: String,
    webhook_id: String,
}

/// How the pre-execution webhooks ended.
pub(crate) enum PreOutcome {
    /// All called; the request goes on with this identity (derived identities merged in).
    Proceed(Identity),
    /// A webhook halted the request (now `paused`).
    Paused,
    /// A call failed: the request fails at `pre_webhooks`, with these entries.
    Failed(Vec<Log>),
}

/// The request as webhooks are told about it.
pub(crate) struct Described<'a> {
    pub(crate) id: &'a str,
    pub(crate) policy: &'a Policy,
    pub(crate) identity: &'a Identity,
    /// Fields of the request row (`external_id`, `source`, times).
    pub(crate) request: Value,
    /// Position after which pre-execution webhooks still run (`None`: all).
    pub(crate) pre_after: Option<i32>,
}

impl Described<'_> {
    /// Fides' `SecondPartyRequestFormat`.
    fn body(&self, timing: WebhookTiming, direction: WebhookDirection) -> Value {
        let action =
            if self.policy.rules.iter().any(|r| r.action_type == ActionType::Erasure) { "erasure" } else { "access" };
        let mut request = self.request.clone();
        if let Some(fields) = request.as_object_mut() {
            fields.insert("id".to_owned(), json!(self.id));
            fields.insert("status".to_owned(), json!(RequestStatus::InProcessing.as_str()));
            fields.insert("policy".to_owned(), serde_json::to_value(self.policy).unwrap_or(Value::Null));
        }
        json!({
            "privacy_request_id": self.id,
            "privacy_request_status": RequestStatus::InProcessing.as_str(),
            "direction": direction.as_str(),
            "callback_type": timing.callback_type(),
            "identity": self.identity.values_map(),
            "policy_action": action,
            "privacy_request": request,
            "timestamp": Utc::now().to_rfc3339(),
        })
    }
}

/// The fields of `row` webhooks are told.
pub(crate) fn described_request(row: &RequestRow) -> Value {
    json!({
        "external_id": row.external_id,
        "source": row.source,
        "created_at": db::utc(row.created_at),
        "requested_at": db::utc(row.requested_at),
        "identity_verified_at": row.identity_verified_at.map(db::utc),
        "reviewed_at": row.reviewed_at.map(db::utc),
    })
}

/// Calls webhooks and resumes the requests they paused.
#[derive(Clone)]
pub(crate) struct Webhooks {
    db: Database,
    vault: Vault,
    queue: Queue,
    client: connectors::saas::client::SharedClient,
    pause_timeout: Duration,
}

/// `identity` with `derived` merged in (derived values win, as Fides caches them over the
/// request's).
fn merged(identity: &Identity, derived: &Identity) -> Identity {
    let mut out = identity.clone();
    out.0.extend(derived.0.iter().map(|(k, v)| (k.clone(), v.clone())));
    out
}

/// Checks the identities a webhook derived.
fn derived_identity(derived: &Map<String, Value>) -> std::result::Result<Identity, String> {
    if derived.is_empty() {
        return Ok(Identity::default());
    }
    Identity::parse(derived).map_err(|e| e.0)
}

impl Webhooks {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        queue: Queue,
        client: connectors::saas::client::SharedClient,
        pause_timeout: Duration,
    ) -> Webhooks {
        Webhooks { db, vault, queue, client, pause_timeout }
    }

    /// The identities webhooks derived for `row` so far.
    pub(crate) fn derived(&self, row: &RequestRow) -> Result<Identity> {
        match &row.derived_identity {
            Some(sealed) => self.vault.open_json(sealed, &format!("derived identity of {}", row.id)),
            None => Ok(Identity::default()),
        }
    }

    /// The webhooks of `policy`, read with the run's connection.
    pub(crate) fn load(&self, conn: &mut db::DbConn, policy: &crate::policy::repo::PolicyId) -> Result<PolicyWebhooks> {
        call::load(conn, self.vault.key(), policy)
    }

    fn token(&self, id: &str, hook: &Webhook) -> Result<String> {
        let claims = ResumeClaims {
            privacy_request_id: id.to_owned(),
            webhook_id: hook.id.to_string(),
            scopes: vec![RESUME_SCOPE.to_owned()],
            iat: Utc::now().timestamp(),
        };
        let payload = serde_json::to_vec(&claims).map_err(|e| DsrError::BadRequest(e.to_string()))?;
        crypto::jwe::encrypt(self.vault.key(), &payload).map_err(|e| DsrError::BadRequest(e.to_string()))
    }

    fn client(&self) -> std::result::Result<std::sync::Arc<connectors::saas::client::SaasClient>, String> {
        self.client.get()
    }

    /// Calls the pre-execution webhooks not called yet. `Err` only for Lethe's own database.
    pub(crate) fn pre(
        &self,
        request: &Described<'_>,
        hooks: &[Webhook],
        derived_so_far: Identity,
    ) -> Result<PreOutcome> {
        let id = request.id;
        let after = request.pre_after;
        let hooks: Vec<&Webhook> = hooks.iter().filter(|h| after.is_none_or(|after| h.position > after)).collect();
        let mut derived = derived_so_far;
        let mut logs = Vec::new();
        let mut done: Option<i32> = None;
        let failed =
            |logs: &mut Vec<Log>, done: Option<i32>, derived: &Identity, message: String| -> Result<PreOutcome> {
                // What ran stays run: a retry calls the webhooks after the last that answered.
                let sealed = self.vault.seal_json(derived)?;
                let mut conn = self.db.conn()?;
                repo::save_webhook_progress(&mut conn, id, done, &sealed)?;
                logs.push(Log::error(WEBHOOKS, None, None, message));
                Ok(PreOutcome::Failed(std::mem::take(logs)))
            };
        if hooks.is_empty() {
            if !derived.0.is_empty() || request.pre_after.is_some() {
                repo::finish_pre_webhooks(&mut *self.db.conn()?, id)?;
            }
            return Ok(PreOutcome::Proceed(merged(request.identity, &derived)));
        }
        let client = match self.client() {
            Ok(client) => client,
            Err(message) => return failed(&mut logs, done, &derived, message),
        };
        for hook in hooks {
            let identity = merged(request.identity, &derived);
            let described = Described { identity: &identity, request: request.request.clone(), ..*request };
            let body = described.body(WebhookTiming::PreExecution, hook.direction);
            let extra = match hook.direction {
                WebhookDirection::TwoWay => vec![
                    ("reply-to".to_owned(), format!("/privacy-request/{id}/resume")),
                    ("reply-to-token".to_owned(), self.token(id, hook)?),
                ],
                WebhookDirection::OneWay => Vec::new(),
            };
            let answer = match call::send(&client, hook, &body, &extra) {
                Ok(answer) => answer,
                Err(e) => return failed(&mut logs, done, &derived, format!("Pre-execution webhook {}: {e}", hook.key)),
            };
            let (halt, given) = match answer {
                Answer::Proceed(given) => (false, given),
                Answer::Halt(given) => (true, given),
            };
            match derived_identity(&given) {
                Ok(more) => derived.0.extend(more.0),
                Err(e) => {
                    let message =
                        format!("Pre-execution webhook {} derived an identity Lethe cannot use: {e}", hook.key);
                    return failed(&mut logs, done, &derived, message);
                }
            }
            if halt {
                let message =
                    format!("Paused by pre-execution webhook {}: waiting for it to resume the request", hook.key);
                logs.push(Log::status(WEBHOOKS, LogStatus::Paused, message));
                let sealed = self.vault.seal_json(&derived)?;
                let expires =
                    db::now() + chrono::Duration::from_std(self.pause_timeout).unwrap_or(chrono::Duration::MAX);
                let mut conn = self.db.conn()?;
                conn.write_transaction(|c| -> Result<()> {
                    if repo::pause(c, id, hook.id.as_ref(), done, &sealed, db::now())? {
                        log::append(c, id, std::mem::take(&mut logs))?;
                        let job =
                            NewJob::new(QUEUE, json!({"privacy_request_id": id, "pause_of": hook.id.to_string()}))
                                .max_attempts(JOB_ATTEMPTS)
                                .run_at(expires);
                        jobs::enqueue(c, &job)?;
                    }
                    Ok(())
                })?;
                tracing::info!(privacy_request_id = id, webhook = hook.key, "paused by a pre-execution webhook");
                return Ok(PreOutcome::Paused);
            }
            done = Some(hook.position);
            logs.push(Log::status(
                WEBHOOKS,
                LogStatus::Complete,
                format!("Pre-execution webhook {} ({}) called", hook.key, hook.direction),
            ));
        }
        let sealed = self.vault.seal_json(&derived)?;
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            repo::save_webhook_progress(c, id, done, &sealed)?;
            repo::finish_pre_webhooks(c, id)?;
            log::append(c, id, std::mem::take(&mut logs))
        })?;
        Ok(PreOutcome::Proceed(merged(request.identity, &derived)))
    }

    /// Calls the post-execution webhooks: the entries to log, or the entries and why a call
    /// failed the request. `Err` only for Lethe's own database.
    pub(crate) fn post(&self, request: &Described<'_>, hooks: &[Webhook]) -> std::result::Result<Vec<Log>, Vec<Log>> {
        let mut logs = Vec::new();
        if hooks.is_empty() {
            return Ok(logs);
        }
        let client = match self.client() {
            Ok(client) => client,
            Err(message) => return Err(vec![Log::error(WEBHOOKS, None, None, message)]),
        };
        for hook in hooks {
            let body = request.body(WebhookTiming::PostExecution, hook.direction);
            // Only pre-execution webhooks may halt a request (as Fides): a post answer is checked, then done.
            if let Err(e) = call::send(&client, hook, &body, &[]) {
                logs.push(Log::error(WEBHOOKS, None, None, format!("Post-execution webhook {}: {e}", hook.key)));
                return Err(logs);
            }
            logs.push(Log::status(
                WEBHOOKS,
                LogStatus::Complete,
                format!("Post-execution webhook {} ({}) called", hook.key, hook.direction),
            ));
        }
        Ok(logs)
    }

    /// Checks a `reply-to-token` for request `id` before anything else of the call is read.
    pub(crate) fn authorize_resume(&self, id: &str, token: &str) -> Result<ResumeGrant> {
        let invalid = || DsrError::Forbidden("Invalid webhook token.".to_owned());
        let payload = crypto::jwe::decrypt(self.vault.key(), token).map_err(|_| invalid())?;
        let claims: ResumeClaims = serde_json::from_slice(&payload).map_err(|_| invalid())?;
        if !claims.scopes.iter().any(|s| s == RESUME_SCOPE) {
            return Err(invalid());
        }
        if claims.privacy_request_id != id {
            return Err(DsrError::Forbidden(format!("This webhook token was not issued for privacy request '{id}'.")));
        }
        let age = Utc::now().timestamp().saturating_sub(claims.iat);
        if u64::try_from(age).unwrap_or(0) > self.pause_timeout.as_secs() {
            return Err(DsrError::Forbidden("Webhook token expired".to_owned()));
        }
        Ok(ResumeGrant { id: claims.privacy_request_id, webhook_id: claims.webhook_id })
    }

    /// Resumes the request `grant` names, with the identities the webhook derived.
    pub(crate) fn resume(&self, grant: &ResumeGrant, derived: &Map<String, Value>) -> Result<PrivacyRequest> {
        let id = grant.id.as_str();
        let mut conn = self.db.conn()?;
        let hook = webhook_repo::find(&mut conn, &grant.webhook_id)?
            .ok_or_else(|| DsrError::NotFound(format!("No webhook found for id '{}'.", grant.webhook_id)))?;
        let more = derived_identity(derived).map_err(|e| DsrError::invalid(vec!["derived_identity".into()], e))?;
        let resumed = conn.write_transaction(|c| -> Result<PrivacyRequest> {
            let row = repo::request_row(c, id)?;
            if row.status != RequestStatus::Paused || row.paused_webhook_id.as_deref() != Some(grant.webhook_id.as_str()) {
                return Err(DsrError::BadRequest(format!(
                    "Invalid resume request: privacy request '{id}' status = {}. Privacy request is not paused by this webhook.",
                    row.status
                )));
            }
            let mut all = self.derived(&row)?;
            all.0.extend(more.0.clone());
            let sealed = self.vault.seal_json(&all)?;
            if !repo::resume_paused(c, id, &grant.webhook_id, hook.position, &sealed, db::now())? {
                return Err(DsrError::BadRequest(format!("Invalid resume request: privacy request '{id}' is not paused.")));
            }
            let message = format!("Resumed by pre-execution webhook {}", hook.key);
            log::append(c, id, vec![Log::status(WEBHOOKS, LogStatus::InProcessing, message)])?;
            self.queue.enqueue(c, id)?;
            view::one(c, &self.vault, id)
        })?;
        self.queue.notify();
        Ok(resumed)
    }

    /// Fails request `id` if webhook `webhook_id` still holds it paused (the pause timed out).
    pub(crate) fn expire(&self, id: &str, webhook_id: &str) -> Result<()> {
        let mut conn = self.db.conn()?;
        conn.write_transaction(|c| -> Result<()> {
            if repo::expire_pause(c, id, webhook_id, db::now())? {
                let message = format!(
                    "The request stayed paused by a pre-execution webhook for longer than {} s \
                     (LETHE__EXECUTION__WEBHOOK_PAUSE_TIMEOUT_SECONDS) and was failed; retry it to call the webhook again",
                    self.pause_timeout.as_secs()
                );
                log::append(c, id, vec![Log::error(WEBHOOKS, None, None, message)])?;
            }
            Ok(())
        })
    }
}
