//! A client for OpenAI-compatible chat-completions APIs (`POST {base}/chat/completions`),
//! bounded by a timeout and a limit on concurrent calls. The API key goes only into the
//! `Authorization` header: it is never in an error message or a `Debug` output.

use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::http::HttpPool;

/// One message of a conversation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ChatMessage {
    /// `system` or `user`.
    pub role: &'static str,
    /// The text.
    pub content: String,
}

impl ChatMessage {
    /// Instructions.
    pub fn system(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: "system", content: content.into() }
    }

    /// The request.
    pub fn user(content: impl Into<String>) -> ChatMessage {
        ChatMessage { role: "user", content: content.into() }
    }
}

/// Why a completion could not be had.
#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum LlmError {
    /// No answer within the timeout.
    #[error("the model did not answer within {0:?}")]
    Timeout(Duration),
    /// The endpoint could not be reached.
    #[error("the model endpoint could not be reached: {0}")]
    Unreachable(String),
    /// The endpoint answered with an error status.
    #[error("the model endpoint answered HTTP {status}: {message}")]
    Http {
        /// HTTP status.
        status: u16,
        /// The error message it gave, shortened.
        message: String,
    },
    /// The answer was not a chat completion with text.
    #[error("the model's answer could not be read: {0}")]
    Malformed(String),
}

/// A chat model.
pub trait ChatModel: Send + Sync {
    /// The assistant's reply to `messages`, from `model`.
    fn complete(&self, model: &str, messages: &[ChatMessage]) -> Result<String, LlmError>;
}

/// Where the model lives and how to call it.
#[derive(Clone)]
pub struct LlmSettings {
    /// API base, e.g. `https://api.openai.com/v1`.
    pub base_url: String,
    /// Bearer key; may be empty for local servers.
    pub api_key: String,
    /// Per-call timeout.
    pub timeout: Duration,
    /// Calls in flight at once, across the process.
    pub max_concurrency: usize,
}

impl std::fmt::Debug for LlmSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LlmSettings")
            .field("base_url", &self.base_url)
            .field("api_key", &"***")
            .field("timeout", &self.timeout)
            .field("max_concurrency", &self.max_concurrency)
            .finish()
    }
}

/// [`ChatModel`] over HTTP.
pub struct OpenAiChat {
    endpoint: String,
    api_key: String,
    timeout: Duration,
    pool: HttpPool,
}

impl std::fmt::Debug for OpenAiChat {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenAiChat").field("endpoint", &self.endpoint).field("api_key", &"***").finish()
    }
}

#[derive(Serialize)]
struct CompletionRequest<'a> {
    model: &'a str,
    messages: &'a [ChatMessage],
    temperature: f32,
}

#[derive(Deserialize)]
struct CompletionResponse {
    choices: Vec<Choice>,
}

#[derive(Deserialize)]
struct Choice {
    message: Reply,
}

#[derive(Deserialize)]
struct Reply {
    content: Option<String>,
}

/// Longest error text kept from an endpoint's answer.
const MAX_ERROR_CHARS: usize = 300;

impl OpenAiChat {
    /// A client for `settings`.
    pub fn new(settings: &LlmSettings) -> Result<OpenAiChat, LlmError> {
        let pool = HttpPool::new("llm", settings.max_concurrency, settings.timeout)
            .map_err(|e| LlmError::Unreachable(e.to_string()))?;
        Ok(OpenAiChat {
            endpoint: format!("{}/chat/completions", settings.base_url.trim_end_matches('/')),
            api_key: settings.api_key.clone(),
            timeout: settings.timeout,
            pool,
        })
    }
}

impl ChatModel for OpenAiChat {
    fn complete(&self, model: &str, messages: &[ChatMessage]) -> Result<String, LlmError> {
        let body = serde_json::to_string(&CompletionRequest { model, messages, temperature: 0.2 })
            .map_err(|e| LlmError::Malformed(e.to_string()))?;
        let (endpoint, key, timeout) = (self.endpoint.clone(), self.api_key.clone(), self.timeout);
        self.pool
            .run(move |client| call(client, &endpoint, &key, body, timeout))
            .unwrap_or_else(|| Err(LlmError::Unreachable("the HTTP client is shutting down".to_owned())))
    }
}

fn call(
    client: &reqwest::blocking::Client,
    endpoint: &str,
    api_key: &str,
    body: String,
    timeout: Duration,
) -> Result<String, LlmError> {
    let mut request = client.post(endpoint).header("content-type", "application/json").body(body);
    if !api_key.is_empty() {
        request = request.bearer_auth(api_key);
    }
    let response = request.send().map_err(|e| {
        if e.is_timeout() { LlmError::Timeout(timeout) } else { LlmError::Unreachable(e.without_url().to_string()) }
    })?;
    let status = response.status();
    let body = response.text().map_err(|e| {
        if e.is_timeout() { LlmError::Timeout(timeout) } else { LlmError::Malformed(e.without_url().to_string()) }
    })?;
    if !status.is_success() {
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v.pointer("/error/message").and_then(|m| m.as_str()).map(str::to_owned))
            .unwrap_or(body);
        return Err(LlmError::Http {
            status: status.as_u16(),
            message: message.chars().take(MAX_ERROR_CHARS).collect(),
        });
    }
    let parsed: CompletionResponse =
        serde_json::from_str(&body).map_err(|e| LlmError::Malformed(format!("not a chat completion: {e}")))?;
    let text = parsed
        .choices
        .into_iter()
        .next()
        .and_then(|c| c.message.content)
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| LlmError::Malformed("no text in the first choice".to_owned()))?;
    Ok(text)
}
