//! Wire types of privacy requests: create bodies, responses, statuses, execution logs, filters.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::bulk::BulkBody;
use crate::policy::{ActionType, Policy};

db::text_enum! {
    /// Status of a privacy request (Fides' names).
    pub enum RequestStatus {
        /// Waiting for the subject's verification code.
        IdentityUnverified => "identity_unverified",
        /// Waiting for manual input.
        RequiresInput => "requires_input",
        /// Accepted, not started.
        Pending => "pending",
        /// Approved by a reviewer.
        Approved => "approved",
        /// Denied by a reviewer.
        Denied => "denied",
        /// Running.
        InProcessing => "in_processing",
        /// Done; results stored.
        Complete => "complete",
        /// Paused.
        Paused => "paused",
        /// Canceled.
        Canceled => "canceled",
        /// Failed; see the execution log, retry from the failed step.
        Error => "error",
        /// Repeats another request of the same policy and identity (duplicate detection); never
        /// runs, but can still be verified and is then classified again.
        Duplicate => "duplicate",
    }
}

db::id_type!(
    /// A privacy request's id: `pri_` and a time-ordered UUID.
    RequestId,
    "pri"
);

db::text_enum! {
    /// What an execution log entry records about its step.
    pub enum LogStatus {
        /// The step started, or the request resumed.
        InProcessing => "in_processing",
        /// The step finished.
        Complete => "complete",
        /// The step failed; the request can be retried from it.
        Error => "error",
        /// The step had nothing to do.
        Skipped => "skipped",
        /// The request was canceled.
        Canceled => "canceled",
        /// A reviewer denied the request.
        Denied => "denied",
        /// The request waits for manual input.
        RequiresInput => "requires_input",
        /// A webhook paused the request.
        Paused => "paused",
    }
}

/// A bulk body of privacy requests to create.
pub type PrivacyRequestList = BulkBody<PrivacyRequestCreate>;

/// One privacy request to create.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PrivacyRequestCreate {
    /// The subject's identities: `email`, `phone_number` (E.164), other known keys as strings,
    /// custom ones as `{"label", "value"}`. At least one must be non-empty.
    #[schema(value_type = Object, example = json!({"email": "customer-1@example.com"}))]
    pub identity: serde_json::Map<String, Value>,
    /// The policy to apply.
    #[schema(example = "default_access_policy")]
    pub policy_key: String,
    /// The caller's own id.
    #[serde(default)]
    pub external_id: Option<String>,
    /// When the subject asked; defaults to the creation time.
    #[serde(default)]
    pub requested_at: Option<DateTime<Utc>>,
    /// Exactly 16 bytes (UTF-8); access packages are then AES-GCM encrypted with it.
    #[serde(default)]
    pub encryption_key: Option<String>,
    /// Where the request came from (e.g. `Privacy Center`).
    #[serde(default)]
    pub source: Option<String>,
    /// Answers to the privacy center's custom fields (Fides' shape): `{key: {"label", "value"}}`,
    /// a value being text, a number, a boolean or a list of texts; at most 20, stored sealed.
    #[serde(default)]
    #[schema(value_type = Option<Object>, example = json!({"tenant": {"label": "Tenant", "value": "acme"}}))]
    pub custom_privacy_request_fields: Option<serde_json::Map<String, Value>>,
}

/// What a failed request needs to go on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct ActionRequiredDetails {
    /// The step a retry resumes from (`access`, `upload_access`, `erasure`).
    pub step: String,
    /// The collection that failed, `dataset:collection`.
    pub collection: Option<String>,
    /// What is needed.
    pub action_needed: Option<String>,
}

/// A field an execution step touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct FieldAffected {
    /// `dataset:collection:field`.
    pub path: String,
    /// The field's name.
    pub field_name: String,
    /// Its data categories.
    pub data_categories: Vec<String>,
}

/// One execution log entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExecutionLog {
    /// `in_processing`, `complete`, `error`, `skipped`.
    pub status: String,
    /// Dataset key, or a step such as `Dataset traversal`.
    pub dataset_name: Option<String>,
    /// Collection.
    pub collection_name: Option<String>,
    /// Connection.
    pub connection_key: Option<String>,
    /// Fields the step returned or changed.
    pub fields_affected: Vec<FieldAffected>,
    /// What happened.
    pub message: Option<String>,
    /// `access` or `erasure`.
    pub action_type: ActionType,
    /// When.
    pub updated_at: DateTime<Utc>,
}

/// A privacy request as returned (Fides' `PrivacyRequestResponse`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PrivacyRequest {
    /// `pri_<uuid>`.
    pub id: String,
    /// Status.
    pub status: RequestStatus,
    /// The caller's own id.
    pub external_id: Option<String>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// When the subject asked.
    pub requested_at: DateTime<Utc>,
    /// When execution started.
    pub started_processing_at: Option<DateTime<Utc>>,
    /// When execution ended.
    pub finished_processing_at: Option<DateTime<Utc>>,
    /// When a reviewer approved or denied it.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// Who did.
    pub reviewed_by: Option<String>,
    /// Who submitted it (authenticated route).
    pub submitted_by: Option<String>,
    /// When the subject verified their identity.
    pub identity_verified_at: Option<DateTime<Utc>>,
    /// When it was paused.
    pub paused_at: Option<DateTime<Utc>>,
    /// When its access packages, checkpoints, manual uploads and identities were deleted
    /// (`LETHE__EXECUTION__RESULT_TTL_SECONDS` after completion); its links then answer 410.
    pub data_purged_at: Option<DateTime<Utc>>,
    /// Why a reviewer denied it.
    pub deny_reason: Option<String>,
    /// When it was canceled.
    pub canceled_at: Option<DateTime<Utc>>,
    /// Why it was canceled.
    pub cancel_reason: Option<String>,
    /// Where it came from.
    pub source: Option<String>,
    /// Days until the policy's execution timeframe runs out (negative when overdue).
    pub days_left: Option<i64>,
    /// The policy applied.
    pub policy: Policy,
    /// What a failed request needs.
    pub action_required_details: Option<ActionRequiredDetails>,
    /// Where to resume it (`/privacy-request/{id}/retry` for failed requests).
    pub resume_endpoint: Option<String>,
    /// Custom privacy request fields `{key: {"label", "value"}}` (with `include_identities=true`).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub custom_privacy_request_fields: Option<Map<String, Value>>,
    /// Identities `{key: {"label", "value"}}` (with `include_identities=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub identity: Option<Map<String, Value>>,
    /// Execution logs by dataset (with `verbose=true`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub results: Option<std::collections::BTreeMap<String, Vec<ExecutionLog>>>,
}

/// Requests to approve.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewRequestIds {
    /// Ids of pending requests (at most 50).
    #[schema(max_items = 50, example = json!(["pri_7b3c0d2e-1f4a-4b6c-9d8e-0a1b2c3d4e5f"]))]
    pub request_ids: Vec<String>,
}

/// Requests to deny or cancel, with an optional reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReviewWithReason {
    /// Ids of the requests (at most 50).
    #[schema(max_items = 50)]
    pub request_ids: Vec<String>,
    /// Why; stored on the request and written to its log.
    #[serde(default)]
    #[schema(example = "The requester could not be matched to a customer account")]
    pub reason: Option<String>,
}

/// The code the subject received.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct VerificationCode {
    /// Six digits.
    #[schema(example = "123456")]
    pub code: String,
}

/// Links to a complete request's access packages.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct AccessResultUrls {
    /// One signed, expiring download link per access rule.
    pub access_result_urls: Vec<String>,
}

db::text_enum! {
    /// Sort direction of the request list.
    #[derive(Default)]
    pub enum SortDirection {
        /// Oldest first.
        Asc => "asc",
        /// Newest first (default).
        #[default]
        Desc => "desc",
    }
}

db::text_enum! {
    /// Fields the request list can be sorted by.
    #[derive(Default)]
    pub enum SortField {
        /// Creation time (default).
        #[default]
        CreatedAt => "created_at",
        /// Subject's request time.
        RequestedAt => "requested_at",
        /// Start of execution.
        StartedProcessingAt => "started_processing_at",
        /// End of execution.
        FinishedProcessingAt => "finished_processing_at",
        /// Status.
        Status => "status",
        /// External id.
        ExternalId => "external_id",
        /// Id.
        Id => "id",
    }
}

/// Filters of the request list.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RequestFilter {
    /// Part of the id.
    pub request_id: Option<String>,
    /// Any of these statuses.
    pub status: Vec<RequestStatus>,
    /// Prefix of the external id.
    pub external_id: Option<String>,
    /// An identity value (any identity key).
    pub identity: Option<String>,
    /// Created after.
    pub created_gt: Option<DateTime<Utc>>,
    /// Created before.
    pub created_lt: Option<DateTime<Utc>>,
    /// Started after.
    pub started_gt: Option<DateTime<Utc>>,
    /// Started before.
    pub started_lt: Option<DateTime<Utc>>,
    /// Completed after (status complete).
    pub completed_gt: Option<DateTime<Utc>>,
    /// Completed before (status complete).
    pub completed_lt: Option<DateTime<Utc>>,
    /// Failed after (status error).
    pub errored_gt: Option<DateTime<Utc>>,
    /// Failed before (status error).
    pub errored_lt: Option<DateTime<Utc>>,
    /// Sort field.
    pub sort_field: SortField,
    /// Sort direction.
    pub sort_direction: SortDirection,
    /// Add execution logs by dataset.
    pub verbose: bool,
    /// Add identities.
    pub include_identities: bool,
}

impl RequestFilter {
    /// Checks the combination of filters (400 with Fides' message).
    pub fn check(&self) -> crate::Result<()> {
        let refused = |message: String| Err(crate::DsrError::BadRequest(message));
        if (self.completed_gt.is_some() || self.completed_lt.is_some())
            && (self.errored_gt.is_some() || self.errored_lt.is_some())
        {
            return refused("Cannot specify both succeeded and failed query params.".to_owned());
        }
        let pairs = [
            ("created", self.created_gt, self.created_lt),
            ("started", self.started_gt, self.started_lt),
            ("completed", self.completed_gt, self.completed_lt),
            ("errored", self.errored_gt, self.errored_lt),
        ];
        for (name, gt, lt) in pairs {
            if let (Some(gt), Some(lt)) = (gt, lt)
                && lt <= gt
            {
                return refused(format!("Value specified for {name}_lt: {lt} must be after {name}_gt: {gt}."));
            }
        }
        Ok(())
    }
}
