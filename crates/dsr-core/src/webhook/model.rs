//! Wire types of policy webhooks (Fides' `policy_webhooks` schemas).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::connection::Connection;

db::text_enum! {
    /// Whether Lethe waits for the webhook's answer.
    pub enum WebhookDirection {
        /// Fire and forget: the answer is not read (a failed call is logged, a call that cannot be
        /// made fails the request).
        OneWay => "one_way",
        /// The answer decides: `{"halt": bool, "derived_identity": {…}?}`; a failed call fails
        /// the request.
        TwoWay => "two_way",
    }
}

db::text_enum! {
    /// When a policy webhook is called.
    pub enum WebhookTiming {
        /// Before the request's stores are read (after manual input is complete).
        PreExecution => "pre_execution",
        /// After the request's packages are stored and its rows masked, before it completes.
        PostExecution => "post_execution",
    }
}

impl WebhookTiming {
    /// Fides' name of the webhook kind, for messages.
    pub(crate) fn noun(self) -> &'static str {
        match self {
            WebhookTiming::PreExecution => "PolicyPreWebhook",
            WebhookTiming::PostExecution => "PolicyPostWebhook",
        }
    }

    /// `pre` or `post`, the body's `callback_type`.
    pub(crate) fn callback_type(self) -> &'static str {
        match self {
            WebhookTiming::PreExecution => "pre",
            WebhookTiming::PostExecution => "post",
        }
    }
}

/// One webhook of a `PUT …/webhook/{timing}` list; its position in the list is its order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyWebhookCreate {
    /// The `https` connection called.
    pub connection_config_key: String,
    /// `one_way` or `two_way`.
    pub direction: WebhookDirection,
    /// Key; derived from `name` when absent.
    #[serde(default)]
    pub key: Option<String>,
    /// Name; the key when absent.
    #[serde(default)]
    pub name: Option<String>,
}

/// A `PATCH` of one webhook: the fields given change.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PolicyWebhookUpdate {
    /// `one_way` or `two_way`.
    #[serde(default)]
    pub direction: Option<WebhookDirection>,
    /// Name.
    #[serde(default)]
    pub name: Option<String>,
    /// Another `https` connection.
    #[serde(default)]
    pub connection_config_key: Option<String>,
    /// A new position (0 = called first); the others move to make room.
    #[serde(default)]
    pub order: Option<i32>,
}

/// A policy webhook (Fides' `PolicyWebhookResponse`).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PolicyWebhook {
    /// `one_way` or `two_way`.
    pub direction: WebhookDirection,
    /// Key.
    pub key: String,
    /// Name.
    pub name: String,
    /// The `https` connection called (secrets masked).
    pub connection_config: Connection,
    /// Position in the call order, from 0.
    pub order: i32,
}

/// A webhook's key and position.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct WebhookOrder {
    /// Key.
    pub key: String,
    /// Position, from 0.
    pub order: i32,
}

/// Answer of a `PATCH`: the webhook, and the new order of all when it moved.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhookUpdated {
    /// The webhook as changed.
    pub resource: PolicyWebhook,
    /// Every webhook of the policy and timing with its position, when positions changed.
    pub new_order: Option<Vec<WebhookOrder>>,
}

/// Answer of a `DELETE`: the positions of the webhooks left.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct WebhooksReordered {
    /// Every webhook left, with its position.
    pub new_order: Vec<WebhookOrder>,
}
