//! One SaaS connection: its config, its secrets and a client, with the OAuth 2 client
//! credentials token fetched when first needed, kept while valid and fetched again within ten
//! minutes of its expiry (Fides' rule). An OAuth 2 authorization code connection is authorised
//! by a person ([`SaasConnection::authorize_url`], then [`SaasConnection::exchange_code`]);
//! its token is refreshed with the config's `refresh_request` within ten minutes of its expiry,
//! and a renewed token is reported ([`SaasConnection::renewed_token`]) so it can be stored. The
//! connection test runs the config's `test_request` and reports the API's own reason when it
//! fails.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Map, Value};

use super::client::SaasClient;
use super::config::{Authentication, SaasConfig};
use super::mask::{MaskedRecord, Masker};
use super::read::{Inputs, Reader};
use super::request::{self, Context, RequestError};

/// An access token and when it expires (seconds since the epoch; `None`: never refreshed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// The bearer token.
    pub access_token: String,
    /// Refresh token, if the API gave one.
    pub refresh_token: Option<String>,
    /// Expiry, seconds since the epoch.
    pub expires_at: Option<u64>,
}

/// Refresh a token this long before it expires.
const REFRESH_BEFORE: u64 = 600;

fn epoch_seconds() -> u64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO).as_secs()
}

/// What a request run needs of the subject and earlier collections.
#[derive(Debug, Clone, Copy)]
pub struct Subject<'a> {
    /// Identities (`email`, `phone_number`).
    pub identities: &'a Map<String, Value>,
    /// Values of earlier collections by `dataset.collection.field` (filter `dataset_reference`).
    pub references: &'a Map<String, Value>,
    /// The privacy request's id.
    pub privacy_request_id: &'a str,
}

/// A SaaS connection ready to make calls.
pub struct SaasConnection {
    config: SaasConfig,
    secrets: Value,
    client: Arc<SaasClient>,
    token: Mutex<Option<Token>>,
    /// The token the secrets held.
    stored: Option<Token>,
}

impl std::fmt::Debug for SaasConnection {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaasConnection").field("config", &self.config.fides_key).finish_non_exhaustive()
    }
}

impl SaasConnection {
    /// A connection for checked `secrets` (a token stored in them is used until it expires).
    pub fn new(config: SaasConfig, secrets: Value, client: Arc<SaasClient>) -> SaasConnection {
        let token = secrets.get("access_token").and_then(Value::as_str).map(|access_token| Token {
            access_token: access_token.to_owned(),
            refresh_token: secrets.get("refresh_token").and_then(Value::as_str).map(str::to_owned),
            expires_at: secrets.get("expires_at").and_then(Value::as_u64),
        });
        SaasConnection { config, secrets, client, stored: token.clone(), token: Mutex::new(token) }
    }

    /// The token, when it is no longer the one the secrets held (fetched or refreshed since).
    pub fn renewed_token(&self) -> Option<Token> {
        self.token().filter(|token| self.stored.as_ref() != Some(token))
    }

    /// The page a person authorises an `oauth2_authorization_code` connection at, with
    /// `<state>` filled (Fides' `/connection/{key}/authorize` answer).
    pub fn authorize_url(&self, state: &str) -> Result<String, RequestError> {
        let Some(Authentication::OAuth2AuthorizationCode { authorization_request, .. }) =
            &self.config.client_config.authentication
        else {
            return Err(RequestError(format!(
                "The connection {} does not use OAuth2 authorization code authentication",
                self.config.fides_key
            )));
        };
        self.missing_secrets(true)?;
        let values = self.with_values(&[("state", state)]);
        let mut plain = self.config.client_config.clone();
        plain.authentication = None;
        let call = request::build(&plain, authorization_request, &values, &values)?
            .ok_or_else(|| RequestError("the authorization request cannot be built from the secrets".to_owned()))?;
        let mut url = reqwest::Url::parse(&format!("{}{}", call.base, call.path))
            .map_err(|e| RequestError(format!("the authorization URL is not a URL: {e}")))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        Ok(url.to_string())
    }

    /// Exchanges the `code` the API's callback carried for tokens (the config's `token_request`).
    pub fn exchange_code(&self, code: &str) -> Result<Token, RequestError> {
        let Some(Authentication::OAuth2AuthorizationCode { token_request, expires_in, .. }) =
            &self.config.client_config.authentication
        else {
            return Err(RequestError(format!(
                "The connection {} does not use OAuth2 authorization code authentication",
                self.config.fides_key
            )));
        };
        self.missing_secrets(true)?;
        let token = self.fetch_token(token_request, *expires_in, &[("code", code)])?;
        if let Ok(mut current) = self.token.lock() {
            *current = Some(token.clone());
        }
        Ok(token)
    }

    /// Fides' check of the secrets OAuth 2 needs: `client_id`, `client_secret` and, for the
    /// authorization code flow, `redirect_uri`.
    fn missing_secrets(&self, redirect: bool) -> Result<(), RequestError> {
        let names: &[&str] =
            if redirect { &["client_id", "client_secret", "redirect_uri"] } else { &["client_id", "client_secret"] };
        let missing: Vec<&str> = names
            .iter()
            .copied()
            .filter(|name| self.secrets.get(*name).is_none_or(|v| v.is_null() || v.as_str() == Some("")))
            .collect();
        if missing.is_empty() {
            return Ok(());
        }
        Err(RequestError(format!("Missing required secret(s) '{}' for {}", missing.join(", "), self.config.fides_key)))
    }

    /// The secrets with `extra` values added (for placeholders such as `<code>`).
    fn with_values(&self, extra: &[(&str, &str)]) -> Value {
        let mut values = self.secrets.clone();
        if let Some(object) = values.as_object_mut() {
            for (name, value) in extra {
                object.insert((*name).to_owned(), (*value).into());
            }
        }
        values
    }

    /// The config.
    pub fn config(&self) -> &SaasConfig {
        &self.config
    }

    /// The token in use, to be stored with the secrets.
    pub fn token(&self) -> Option<Token> {
        self.token.lock().ok().and_then(|t| t.clone())
    }

    /// The secrets calls see: with the current access token for OAuth 2 strategies.
    fn call_secrets(&self) -> Result<Value, RequestError> {
        let Some(auth) = &self.config.client_config.authentication else { return Ok(self.secrets.clone()) };
        let mut secrets = self.secrets.clone();
        match auth {
            Authentication::OAuth2ClientCredentials { token_request, expires_in, .. } => {
                let mut current =
                    self.token.lock().map_err(|_| RequestError("the token cache is unusable".to_owned()))?;
                let fresh = current
                    .as_ref()
                    .is_some_and(|t| t.expires_at.is_none_or(|at| at > epoch_seconds() + REFRESH_BEFORE));
                if !fresh {
                    *current = Some(self.fetch_token(token_request, *expires_in, &[])?);
                }
                if let (Some(object), Some(token)) = (secrets.as_object_mut(), current.as_ref()) {
                    object.insert("access_token".to_owned(), token.access_token.clone().into());
                }
            }
            Authentication::OAuth2AuthorizationCode { refresh_request, expires_in, .. } => {
                let mut current =
                    self.token.lock().map_err(|_| RequestError("the token cache is unusable".to_owned()))?;
                let Some(token) = current.clone() else {
                    return Err(RequestError(format!(
                        "OAuth2 access token not found for {}, please authenticate connection via \
                         /api/v1/connection/{}/authorize",
                        self.config.fides_key, self.config.fides_key
                    )));
                };
                let expiring = token.expires_at.is_some_and(|at| at <= epoch_seconds() + REFRESH_BEFORE);
                if let (true, Some(refresh), Some(refresh_token)) =
                    (expiring, refresh_request, token.refresh_token.as_deref())
                {
                    let mut fresh = self.fetch_token(refresh, *expires_in, &[("refresh_token", refresh_token)])?;
                    // An API that does not rotate refresh tokens keeps the one it gave.
                    fresh.refresh_token = fresh.refresh_token.or(token.refresh_token.clone());
                    *current = Some(fresh);
                }
                if let (Some(object), Some(token)) = (secrets.as_object_mut(), current.as_ref()) {
                    object.insert("access_token".to_owned(), token.access_token.clone().into());
                }
            }
            _ => {}
        }
        Ok(secrets)
    }

    /// Sends a token request (unauthenticated, placeholders from the secrets and `extra`).
    fn fetch_token(
        &self,
        token_request: &super::config::SaasRequest,
        expires_in: Option<u64>,
        extra: &[(&str, &str)],
    ) -> Result<Token, RequestError> {
        let mut plain = self.config.client_config.clone();
        plain.authentication = None;
        let values = self.with_values(extra);
        let call = request::build(&plain, token_request, &values, &values)?
            .ok_or_else(|| RequestError("the token request cannot be built from the secrets".to_owned()))?;
        let reply = self.client.send_retrying(&call, |_| true).map_err(|e| RequestError(e.to_string()))?;
        let body: Value = serde_json::from_slice(&reply.body).unwrap_or(Value::Null);
        let Some(access_token) = body.get("access_token").and_then(Value::as_str) else {
            let text = |key: &str| body.get(key).and_then(Value::as_str).unwrap_or_default().to_owned();
            return Err(RequestError(
                format!(
                    "Unable to retrieve token for {} ({}). {} {}",
                    self.config.fides_key,
                    text("error"),
                    text("error_description"),
                    text("error_uri")
                )
                .trim_end()
                .to_owned(),
            ));
        };
        let lifetime = expires_in.or_else(|| body.get("expires_in").and_then(Value::as_u64));
        Ok(Token {
            access_token: access_token.to_owned(),
            refresh_token: body.get("refresh_token").and_then(Value::as_str).map(str::to_owned),
            expires_at: lifetime.map(|seconds| epoch_seconds() + seconds),
        })
    }

    /// Runs the `test_request`; `Err` carries the API's reason.
    pub fn test(&self) -> Result<(), RequestError> {
        let secrets = self.call_secrets()?;
        let call = request::build(&self.config.client_config, &self.config.test_request, &secrets, &secrets)?
            .ok_or_else(|| RequestError("the test request cannot be built from the secrets".to_owned()))?;
        request::send(&self.client, &self.config, &self.config.test_request, &call).map(|_| ())
    }

    /// The records of `endpoint` for the subject.
    pub fn read(&self, endpoint: &str, subject: Subject<'_>, inputs: &Inputs) -> Result<Vec<Value>, RequestError> {
        let secrets = self.call_secrets()?;
        let context = Context { secrets: &secrets, identities: subject.identities, references: subject.references };
        Reader { client: &self.client, config: &self.config, context, privacy_request_id: subject.privacy_request_id }
            .read(endpoint, inputs)
    }

    /// Erases `records` of `endpoint`; returns the calls sent.
    pub fn mask(
        &self,
        endpoint: &str,
        subject: Subject<'_>,
        records: &[MaskedRecord],
        inputs: &Inputs,
    ) -> Result<usize, RequestError> {
        let secrets = self.call_secrets()?;
        let context = Context { secrets: &secrets, identities: subject.identities, references: subject.references };
        Masker { client: &self.client, config: &self.config, context, privacy_request_id: subject.privacy_request_id }
            .mask(endpoint, records, inputs)
    }
}
