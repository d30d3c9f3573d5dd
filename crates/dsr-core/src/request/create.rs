//! Creating requests: each item is checked on its own (identity, policy, encryption key, a
//! verification code sent when asked for), then every accepted item is stored with its job in
//! one transaction. A problem with an item fails only that item (Fides' bulk shape); a database
//! failure fails the call.

use std::collections::HashMap;

use db::{Database, DbConn};
use serde_json::Value;

use super::duplicates::Duplicates;
use super::identity::Identity;
use super::model::{PrivacyRequest, PrivacyRequestCreate, RequestId, RequestStatus};
use super::notify::Notices;
use super::queue::Queue;
use super::repo::{self, RequestRow, VerificationRow};
use super::settings::RequestSettings;
use super::vault::Vault;
use super::verify::{SendFailure, Verifier};
use super::view;
use crate::bulk::{BulkFailure, BulkResponse, ItemError, MAX_BULK, check_bulk, refuse};
use crate::error::Result;
use crate::masking::MaskingSecrets;
use crate::messaging_template::MessagingActionType;
use crate::policy::repo::PolicyRow;
use crate::policy::{ActionType, Policy};

/// One create item that passed its checks.
struct Accepted {
    row: RequestRow,
    digests: Vec<(String, String)>,
    verification: Option<VerificationRow>,
}

/// Most custom fields a request takes.
const MAX_CUSTOM_FIELDS: usize = 20;
/// Longest label or text value of a custom field, in characters.
const MAX_CUSTOM_TEXT: usize = 1_000;

/// Checks Fides' `custom_privacy_request_fields`: `{key: {"label": text, "value": text | number |
/// boolean | [text]}}`; the message names the field.
fn check_custom_fields(fields: &serde_json::Map<String, Value>) -> std::result::Result<(), String> {
    if fields.len() > MAX_CUSTOM_FIELDS {
        return Err(format!("custom_privacy_request_fields: at most {MAX_CUSTOM_FIELDS} fields"));
    }
    let text_ok = |s: &str| s.chars().count() <= MAX_CUSTOM_TEXT;
    for (key, field) in fields {
        let at = format!("custom_privacy_request_fields.{key}");
        if key.is_empty() || key.chars().count() > 100 {
            return Err(format!("{at}: keys are 1 to 100 characters"));
        }
        let Some(object) = field.as_object() else { return Err(format!("{at}: must be {{\"label\", \"value\"}}")) };
        if let Some(extra) = object.keys().find(|k| *k != "label" && *k != "value") {
            return Err(format!("{at}.{extra}: unknown field"));
        }
        match object.get("label") {
            Some(Value::String(label)) if !label.trim().is_empty() && text_ok(label) => {}
            _ => return Err(format!("{at}.label: must be a non-empty text of at most {MAX_CUSTOM_TEXT} characters")),
        }
        let valid = match object.get("value") {
            Some(Value::String(text)) => text_ok(text),
            Some(Value::Number(_) | Value::Bool(_)) => true,
            Some(Value::Array(items)) => items.len() <= 100 && items.iter().all(|i| i.as_str().is_some_and(text_ok)),
            _ => false,
        };
        if !valid {
            return Err(format!("{at}.value: must be a text, a number, a boolean or a list of texts"));
        }
    }
    Ok(())
}

/// Policies looked up once per call, by key (none: the key names no policy).
type Policies = HashMap<String, Option<(PolicyRow, Policy)>>;

/// Takes new requests in.
#[derive(Clone)]
pub(crate) struct Intake {
    db: Database,
    vault: Vault,
    queue: Queue,
    notices: Notices,
    duplicates: Duplicates,
    verifier: Verifier,
    /// Requests through the public route wait for the subject's code.
    verify_public: bool,
    /// Requests wait for a reviewer's approval before they are queued.
    manual_approval: bool,
}

impl Intake {
    pub(crate) fn new(
        db: Database,
        vault: Vault,
        queue: Queue,
        notices: Notices,
        duplicates: Duplicates,
        verifier: Verifier,
        settings: &RequestSettings,
    ) -> Intake {
        Intake {
            db,
            vault,
            queue,
            notices,
            duplicates,
            verifier,
            verify_public: settings.identity_verification_required,
            manual_approval: settings.manual_approval_required,
        }
    }

    /// Creates requests (at most 50); `submitted_by` is the client of the authenticated route.
    pub(crate) fn create(
        &self,
        items: Vec<PrivacyRequestCreate>,
        submitted_by: Option<String>,
    ) -> Result<BulkResponse<PrivacyRequest>> {
        check_bulk(Vec::new(), items.len(), MAX_BULK)?;
        let mut conn = self.db.conn()?;
        let mut policies = Policies::new();
        let mut response = BulkResponse::default();
        let mut created = Vec::new();
        // Only the public route asks the subject to prove their identity (as Fides).
        let verify = submitted_by.is_none() && self.verify_public;
        for item in items {
            // Echoed as given when it fails (Fides' bulk shape).
            let data = serde_json::to_value(&item).unwrap_or(Value::Null);
            match self.accept(&mut conn, item, submitted_by.as_deref(), &mut policies, verify) {
                Ok(accepted) => created.push(accepted),
                Err(ItemError::Refused(message)) => response.failed.push(BulkFailure { message, data }),
                Err(ItemError::Failed(e)) => return Err(e),
            }
        }
        // Every accepted item in one transaction: each is stored with its job, or none is.
        let queue = !verify && !self.manual_approval;
        // The receipt: for requests through the public route (as Fides), once they need no
        // verification (a verified request gets it then).
        let receipt = submitted_by.is_none() && !verify;
        let (notified, duplicates) = conn.write_transaction(|c| -> Result<(bool, Vec<bool>)> {
            let mut notified = false;
            let mut duplicates = Vec::with_capacity(created.len());
            for accepted in &created {
                repo::insert_request(c, &accepted.row, &accepted.digests)?;
                if let Some(verification) = &accepted.verification {
                    repo::insert_verification(c, verification)?;
                }
                // A duplicate is stored (and can still be verified) but never queued.
                let duplicate = !self.duplicates.check(c, &accepted.row)?;
                duplicates.push(duplicate);
                if duplicate {
                    continue;
                }
                if queue {
                    self.queue.enqueue(c, &accepted.row.id)?;
                }
                if receipt {
                    notified |= self.notices.queue(c, &accepted.row.id, MessagingActionType::PrivacyRequestReceipt)?;
                }
            }
            Ok((notified, duplicates))
        })?;
        // Shown as stored: duplicate detection marks only the item itself (the requests it
        // supersedes are not in this answer).
        let created: Vec<RequestRow> = created
            .into_iter()
            .zip(duplicates)
            .map(|(accepted, duplicate)| {
                let mut row = accepted.row;
                if duplicate {
                    row.status = RequestStatus::Duplicate;
                }
                row
            })
            .collect();
        if (queue && !created.is_empty()) || notified {
            self.queue.notify();
        }
        response.succeeded = view::respond(&mut conn, &self.vault, created, false, false)?;
        Ok(response)
    }

    /// Checks one create item and makes its row.
    fn accept(
        &self,
        conn: &mut DbConn,
        item: PrivacyRequestCreate,
        submitted_by: Option<&str>,
        policies: &mut Policies,
        verify: bool,
    ) -> std::result::Result<Accepted, ItemError> {
        let identity = Identity::parse(&item.identity).map_err(|e| ItemError::Refused(e.to_string()))?;
        if let Some(key) = &item.encryption_key
            && key.len() != crypto::results::REQUEST_KEY_LEN
        {
            return refuse("Encryption key must be 16 bytes long");
        }
        if !policies.contains_key(&item.policy_key) {
            let found = crate::policy::find_policy(conn, &item.policy_key)?;
            policies.insert(item.policy_key.clone(), found);
        }
        let Some((policy_row, policy)) = policies.get(&item.policy_key).and_then(Option::as_ref) else {
            return refuse(format!("Policy with key {} does not exist", item.policy_key));
        };
        let erasure = policy.rules.iter().any(|r| r.action_type == ActionType::Erasure);
        if !erasure && !policy.rules.iter().any(|r| r.action_type == ActionType::Access) {
            return refuse(format!("Policy {} has no access or erasure rules to execute", policy.key));
        }
        let email = identity.email();
        let verification = match (verify, email) {
            (false, _) => None,
            (true, Some(email)) => Some(email),
            (true, None) => {
                return refuse(
                    "Verification message could not be sent: identity verification needs an email identity.",
                );
            }
        };
        let custom_fields = match &item.custom_privacy_request_fields {
            Some(fields) if !fields.is_empty() => {
                check_custom_fields(fields).map_err(ItemError::Refused)?;
                Some(self.vault.seal_json(fields)?)
            }
            _ => None,
        };
        let masking_secrets = match erasure {
            true => Some(self.vault.seal_json(&MaskingSecrets::generate())?),
            false => None,
        };
        let at = db::now();
        let row = RequestRow {
            id: RequestId::new(),
            external_id: item.external_id,
            status: if verify { RequestStatus::IdentityUnverified } else { RequestStatus::Pending },
            policy_id: policy_row.id.clone(),
            identity: self.vault.seal_json(&identity)?,
            encryption_key: item.encryption_key.map(|k| self.vault.seal(k.as_bytes())),
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
            paused_at: None,
            paused_webhook_id: None,
            pre_webhooks_after: None,
            pre_webhooks_done: false,
            derived_identity: None,
            data_purged_at: None,
            custom_fields,
        };
        let digests = self.vault.identity_digests(&identity);
        let verification = match verification {
            Some(email) => Some(self.verifier.send_code(conn, &row.id, &email, at).map_err(|e| match e {
                SendFailure::NotSent(e) => ItemError::Refused(e.to_string()),
                SendFailure::Db(e) => ItemError::Failed(e),
            })?),
            None => None,
        };
        Ok(Accepted { row, digests, verification })
    }
}
