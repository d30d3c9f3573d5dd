//! A client for the Slack Web API (`chat.postMessage`, `chat.delete`, `conversations.replies`)
//! with a bot token. Slack answers HTTP 200 with `{"ok": false, "error": "<code>"}` for most
//! failures; the code is kept so callers can name it.

use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use crate::http::HttpPool;

/// Why a Slack call failed.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum SlackError {
    /// Slack answered `ok: false` with this error code (`channel_not_found`, `invalid_auth`, …).
    #[error("Slack refused {method}: {code}")]
    Api {
        /// The Web API method.
        method: &'static str,
        /// Slack's error code.
        code: String,
    },
    /// Slack could not be reached or answered something else than its JSON.
    #[error("Slack {method} failed: {message}")]
    Transport {
        /// The Web API method.
        method: &'static str,
        /// What went wrong.
        message: String,
    },
}

impl SlackError {
    /// Slack's error code, or `transport_error`.
    pub fn code(&self) -> &str {
        match self {
            SlackError::Api { code, .. } => code,
            SlackError::Transport { .. } => "transport_error",
        }
    }
}

/// A posted message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    /// The channel id Slack resolved.
    pub channel: String,
    /// The message's `ts` (its id, and the thread id of its replies).
    pub ts: String,
}

/// A message of a thread.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct ThreadMessage {
    /// Its `ts`.
    pub ts: String,
    /// Author (absent for some bot messages).
    #[serde(default)]
    pub user: Option<String>,
    /// Set on messages posted by bots and apps.
    #[serde(default)]
    pub bot_id: Option<String>,
    /// Set on system messages (joins, edits, bot messages).
    #[serde(default)]
    pub subtype: Option<String>,
    /// Text.
    #[serde(default)]
    pub text: String,
}

impl ThreadMessage {
    /// Written by a person (not a bot, not a system message).
    pub fn is_human(&self) -> bool {
        self.bot_id.is_none() && self.subtype.is_none() && self.user.is_some()
    }
}

/// What Lethe needs from Slack.
pub trait Slack: Send + Sync {
    /// Posts `text` in `channel`, in the thread of `thread_ts` when given.
    fn post_message(&self, channel: &str, text: &str, thread_ts: Option<&str>) -> Result<Posted, SlackError>;
    /// Deletes a message (to undo a questionnaire that could not be sent whole).
    fn delete_message(&self, channel: &str, ts: &str) -> Result<(), SlackError>;
    /// The thread of `ts`: the parent first, then replies in order.
    fn replies(&self, channel: &str, ts: &str) -> Result<Vec<ThreadMessage>, SlackError>;
}

/// [`Slack`] over HTTPS.
pub struct SlackClient {
    base: String,
    token: String,
    pool: HttpPool,
}

impl std::fmt::Debug for SlackClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SlackClient").field("base", &self.base).field("token", &"***").finish()
    }
}

#[derive(Deserialize)]
struct Envelope {
    ok: bool,
    #[serde(default)]
    error: Option<String>,
    #[serde(default)]
    channel: Option<String>,
    #[serde(default)]
    ts: Option<String>,
    #[serde(default)]
    messages: Vec<ThreadMessage>,
    #[serde(default)]
    response_metadata: Option<Metadata>,
}

#[derive(Deserialize)]
struct Metadata {
    #[serde(default)]
    next_cursor: Option<String>,
}

impl SlackClient {
    /// A client for the API at `base` (`https://slack.com/api`) with a bot token.
    pub fn new(base: &str, token: &str, timeout: Duration) -> Result<SlackClient, SlackError> {
        let pool = HttpPool::new("slack", 2, timeout)
            .map_err(|e| SlackError::Transport { method: "client", message: e.to_string() })?;
        Ok(SlackClient { base: base.trim_end_matches('/').to_owned(), token: token.to_owned(), pool })
    }

    fn read(
        method: &'static str,
        response: reqwest::Result<reqwest::blocking::Response>,
    ) -> Result<Envelope, SlackError> {
        let transport = |e: reqwest::Error| SlackError::Transport { method, message: e.without_url().to_string() };
        let response = response.map_err(transport)?;
        let status = response.status();
        let body = response.text().map_err(transport)?;
        let envelope: Envelope = serde_json::from_str(&body).map_err(|_| SlackError::Transport {
            method,
            message: format!("HTTP {} with a body that is not Slack's JSON", status.as_u16()),
        })?;
        if envelope.ok {
            Ok(envelope)
        } else {
            Err(SlackError::Api { method, code: envelope.error.unwrap_or_else(|| format!("http_{}", status.as_u16())) })
        }
    }

    fn post(&self, method: &'static str, body: serde_json::Value) -> Result<Envelope, SlackError> {
        let (url, token) = (format!("{}/{method}", self.base), self.token.clone());
        self.pool
            .run(move |client| Self::read(method, client.post(url).bearer_auth(token).json(&body).send()))
            .unwrap_or_else(|| {
                Err(SlackError::Transport { method, message: "the HTTP client is shutting down".into() })
            })
    }
}

impl Slack for SlackClient {
    fn post_message(&self, channel: &str, text: &str, thread_ts: Option<&str>) -> Result<Posted, SlackError> {
        let mut body = json!({"channel": channel, "text": text, "unfurl_links": false});
        if let Some(ts) = thread_ts {
            body["thread_ts"] = json!(ts);
        }
        let envelope = self.post("chat.postMessage", body)?;
        match (envelope.channel, envelope.ts) {
            (Some(channel), Some(ts)) => Ok(Posted { channel, ts }),
            _ => Err(SlackError::Transport {
                method: "chat.postMessage",
                message: "no channel or ts in the answer".into(),
            }),
        }
    }

    fn delete_message(&self, channel: &str, ts: &str) -> Result<(), SlackError> {
        self.post("chat.delete", json!({"channel": channel, "ts": ts})).map(|_| ())
    }

    fn replies(&self, channel: &str, ts: &str) -> Result<Vec<ThreadMessage>, SlackError> {
        let mut out = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut query = vec![("channel", channel.to_owned()), ("ts", ts.to_owned()), ("limit", "200".to_owned())];
            if let Some(c) = &cursor {
                query.push(("cursor", c.clone()));
            }
            let (url, token) = (format!("{}/conversations.replies", self.base), self.token.clone());
            let method = "conversations.replies";
            let envelope = self
                .pool
                .run(move |client| Self::read(method, client.get(url).bearer_auth(token).query(&query).send()))
                .unwrap_or_else(|| {
                    Err(SlackError::Transport { method, message: "the HTTP client is shutting down".into() })
                })?;
            out.extend(envelope.messages);
            cursor = envelope.response_metadata.and_then(|m| m.next_cursor).filter(|c| !c.is_empty());
            if cursor.is_none() {
                return Ok(out);
            }
        }
    }
}
