//! Calling a policy webhook: `POST` of the request's description to the `https` connection's URL
//! with its `Authorization` and headers, through the SaaS client (so the same guards apply: no
//! non-public address unless allowed, no redirect to another host, bounded time and size), and
//! reading a two-way webhook's answer `{"halt": bool, "derived_identity": {…}?}`.

use connectors::saas::client::{Call, CallError, SaasClient};
use connectors::saas::config::Method;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::model::{WebhookDirection, WebhookTiming};
use super::repo::{self, WebhookId};
use crate::connection::secrets::{self, HttpsSecrets};
use crate::error::Result;
use crate::policy::repo::PolicyId;

/// A webhook as execution calls it.
pub(crate) struct Webhook {
    pub(crate) id: WebhookId,
    pub(crate) key: String,
    pub(crate) connection: String,
    pub(crate) direction: WebhookDirection,
    pub(crate) position: i32,
    /// The connection's secrets; `None` when it has none yet (the call then fails).
    pub(crate) target: Option<HttpsSecrets>,
}

/// A policy's webhooks, as a request run calls them.
#[derive(Default)]
pub(crate) struct PolicyWebhooks {
    /// Pre-execution webhooks, in call order.
    pub(crate) pre: Vec<Webhook>,
    /// Post-execution webhooks, in call order.
    pub(crate) post: Vec<Webhook>,
}

/// The webhooks of `policy` (one query), with their connections' secrets.
pub(crate) fn load(conn: &mut db::DbConn, key: &crypto::AppKey, policy: &PolicyId) -> Result<PolicyWebhooks> {
    let mut hooks = PolicyWebhooks::default();
    for (row, connection) in repo::all_webhooks_of(conn, policy)? {
        let target = secrets::open(key, &connection)?.and_then(|s| s.https());
        let hook = Webhook {
            id: row.id,
            key: row.key,
            connection: connection.key,
            direction: row.direction,
            position: row.position,
            target,
        };
        match row.timing {
            WebhookTiming::PreExecution => hooks.pre.push(hook),
            WebhookTiming::PostExecution => hooks.post.push(hook),
        }
    }
    Ok(hooks)
}

/// What a webhook answered.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Answer {
    /// Go on (a one-way webhook's answer, whatever it was, or a two-way `halt: false`), with
    /// the identities a two-way webhook derived.
    Proceed(Map<String, Value>),
    /// A two-way webhook asked to halt until it resumes the request.
    Halt(Map<String, Value>),
}

/// Why a call failed the request.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub(crate) struct CallFailed(pub(crate) String);

#[derive(Deserialize)]
struct TwoWayReply {
    halt: bool,
    #[serde(default)]
    derived_identity: Option<Map<String, Value>>,
}

/// Splits `url` into the client's base (`https://host[:port]`) and path with query.
fn split(url: &str) -> std::result::Result<(String, String), CallFailed> {
    let parsed = reqwest::Url::parse(url).map_err(|e| CallFailed(format!("the webhook URL is not a URL: {e}")))?;
    let host = parsed.host_str().ok_or_else(|| CallFailed("the webhook URL has no host".to_owned()))?;
    let base = match parsed.port() {
        Some(port) => format!("{}://{host}:{port}", parsed.scheme()),
        None => format!("{}://{host}", parsed.scheme()),
    };
    let path = match parsed.query() {
        Some(query) => format!("{}?{query}", parsed.path()),
        None => parsed.path().to_owned(),
    };
    Ok((base, path))
}

/// Calls `hook` with `body` (and `extra` headers: a pre two-way webhook's `reply-to` and
/// `reply-to-token`); one-way non-2xx answers are only logged.
pub(crate) fn send(
    client: &SaasClient,
    hook: &Webhook,
    body: &Value,
    extra: &[(String, String)],
) -> std::result::Result<Answer, CallFailed> {
    let target = hook
        .target
        .as_ref()
        .ok_or_else(|| CallFailed(format!("connection {} has no secrets (url, authorization)", hook.connection)))?;
    let (base, path) = split(&target.url)?;
    let mut headers = vec![
        ("Content-Type".to_owned(), "application/json".to_owned()),
        ("Authorization".to_owned(), target.authorization.clone()),
    ];
    headers.extend(target.headers.iter().map(|(k, v)| (k.clone(), v.clone())));
    headers.extend(extra.iter().cloned());
    let call = Call { method: Method::Post, base, path, query: Vec::new(), headers, body: Some(body.to_string()) };
    let reply = client.send(&call).map_err(|e| match e {
        CallError::Refused(why) => CallFailed(why),
        other => CallFailed(format!("the call to webhook {} failed: {other}", hook.key)),
    })?;
    let ok = (200..300).contains(&reply.status);
    match hook.direction {
        WebhookDirection::OneWay => {
            if !ok {
                tracing::warn!(webhook = hook.key, status = reply.status, "a one-way webhook answered with an error");
            }
            Ok(Answer::Proceed(Map::new()))
        }
        WebhookDirection::TwoWay => {
            if !ok {
                return Err(CallFailed(format!("webhook {} answered with status {}", hook.key, reply.status)));
            }
            let parsed: TwoWayReply = serde_json::from_slice(&reply.body).map_err(|e| {
                CallFailed(format!(
                    "webhook {} answered with a body that is not {{\"halt\": bool, \"derived_identity\": {{…}}}}: {e}",
                    hook.key
                ))
            })?;
            let derived = parsed.derived_identity.unwrap_or_default();
            Ok(if parsed.halt { Answer::Halt(derived) } else { Answer::Proceed(derived) })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_split_into_base_and_path() {
        assert_eq!(
            split("https://hooks.example.com:8443/dsr/pre?tenant=a").unwrap(),
            ("https://hooks.example.com:8443".to_owned(), "/dsr/pre?tenant=a".to_owned())
        );
        assert_eq!(split("https://h.example.com").unwrap(), ("https://h.example.com".to_owned(), "/".to_owned()));
        assert!(split("not a url").is_err());
    }
}
