//! The HTTP client of SaaS connectors, with the guards Fides lacked (CVE-2023-46124): every
//! address a host resolves to is checked when the connection is made (so a name that later
//! resolves elsewhere cannot slip past a check made earlier), loopback, private, link-local and
//! other non-public addresses are refused unless the host is allowed by
//! `LETHE__SAAS__ALLOWED_HOSTS`, redirects are followed only on the same host, and responses
//! are limited in size and time. TLS is verified against the platform's roots plus any extra
//! roots configured.

use std::io::Read;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::sync::Arc;
use std::time::Duration;

use super::config::Method;
use super::hosts;

/// How the client reaches APIs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientSettings {
    /// Host patterns (as `allowed_values`: `*` = one or more name characters) that may resolve
    /// to non-public addresses: for APIs inside the company network, and tests.
    pub allowed_hosts: Vec<String>,
    /// PEM certificates trusted besides the platform's roots.
    pub extra_root_certs: Option<Vec<u8>>,
    /// Time allowed for one call, response included.
    pub timeout: Duration,
    /// Time allowed to connect.
    pub connect_timeout: Duration,
    /// Largest response body read.
    pub max_response_bytes: u64,
    /// The first wait before a 429/502/503/504 is retried without `Retry-After` (then twice,
    /// then four times as long).
    pub backoff: Duration,
}

impl Default for ClientSettings {
    fn default() -> ClientSettings {
        ClientSettings {
            allowed_hosts: Vec::new(),
            extra_root_certs: None,
            timeout: Duration::from_secs(60),
            connect_timeout: Duration::from_secs(5),
            max_response_bytes: 64 * 1024 * 1024,
            backoff: Duration::from_secs(2),
        }
    }
}

/// Why a call did not give a response.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The host or an address it resolves to may not be called.
    #[error("{0}")]
    Refused(String),
    /// The API redirected to another host.
    #[error("the API redirected to {0}, another host, which is not followed")]
    Redirected(String),
    /// The response was larger than allowed.
    #[error("the response of {0} is larger than the limit of {1} bytes")]
    TooLarge(String, u64),
    /// The network, TLS or the HTTP exchange failed.
    #[error("{0}")]
    Failed(String),
}

/// One call to make.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    /// Method.
    pub method: Method,
    /// `protocol://host` (host may carry a port).
    pub base: String,
    /// Path, possibly with a literal query.
    pub path: String,
    /// Query parameters added to the path's.
    pub query: Vec<(String, String)>,
    /// Headers.
    pub headers: Vec<(String, String)>,
    /// Body.
    pub body: Option<String>,
}

/// A response.
#[derive(Debug, Clone)]
pub struct Reply {
    /// Status code.
    pub status: u16,
    /// Headers.
    pub headers: reqwest::header::HeaderMap,
    /// Body (at most the configured limit).
    pub body: Vec<u8>,
}

/// Which hosts may reach non-public addresses.
#[derive(Debug)]
struct Guard {
    allowed: Vec<String>,
}

impl Guard {
    fn is_allowed(&self, host: &str) -> bool {
        !self.allowed.is_empty() && hosts::allowed(&self.allowed, host)
    }

    /// Why `ip` (an address of `host`) may not be called.
    fn refusal(&self, host: &str, ip: IpAddr) -> Option<String> {
        let why = hosts::non_public(ip)?;
        (!self.is_allowed(host)).then(|| {
            format!(
                "Host '{host}' with IP address '{ip}' is not safe to call ({why}); add it to \
                 LETHE__SAAS__ALLOWED_HOSTS if it is an API you trust"
            )
        })
    }

    /// The refusal of a URL whose host is an IP literal (no name is resolved for those).
    fn literal(&self, url: &reqwest::Url) -> Option<String> {
        let ip = match url.host()? {
            url::Host::Ipv4(ip) => IpAddr::V4(ip),
            url::Host::Ipv6(ip) => IpAddr::V6(ip),
            url::Host::Domain(_) => return None,
        };
        self.refusal(&ip.to_string(), ip)
    }
}

/// Resolves names and keeps only the addresses the guard lets through.
struct GuardedResolver(Arc<Guard>);

#[derive(Debug, thiserror::Error)]
#[error("{0}")]
struct Refusal(String);

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let guard = Arc::clone(&self.0);
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let lookup = host.clone();
            let found: Vec<SocketAddr> =
                tokio::task::spawn_blocking(move || (lookup.as_str(), 0).to_socket_addrs().map(Iterator::collect))
                    .await
                    .map_err(|e| -> BoxError { Box::new(e) })?
                    .map_err(|e| -> BoxError {
                        Box::new(Refusal(format!("Failed to resolve hostname '{host}': {e}")))
                    })?;
            let mut refusals = Vec::new();
            let safe: Vec<SocketAddr> = found
                .into_iter()
                .filter(|addr| match guard.refusal(&host, addr.ip()) {
                    Some(why) => {
                        refusals.push(why);
                        false
                    }
                    None => true,
                })
                .collect();
            match refusals.into_iter().next() {
                Some(why) if safe.is_empty() => Err(Box::new(Refusal(why)) as BoxError),
                _ => Ok(Box::new(safe.into_iter()) as reqwest::dns::Addrs),
            }
        })
    }
}

/// The first refusal in an error's chain of causes.
fn refusal_in(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cause = Some(error);
    while let Some(e) = cause {
        if let Some(refusal) = e.downcast_ref::<Refusal>() {
            return Some(refusal.0.clone());
        }
        cause = e.source();
    }
    None
}

/// A [`SaasClient`] made when first needed and shared by clones: reqwest's blocking client
/// runs its own runtime thread, which only code making calls should start.
#[derive(Debug, Clone)]
pub struct SharedClient {
    settings: Arc<ClientSettings>,
    client: Arc<std::sync::OnceLock<Result<Arc<SaasClient>, String>>>,
}

impl Default for SharedClient {
    fn default() -> SharedClient {
        SharedClient { settings: Arc::new(ClientSettings::default()), client: Arc::default() }
    }
}

impl SharedClient {
    /// A client for `settings`; `Err` when the extra roots are not PEM certificates.
    pub fn new(settings: ClientSettings) -> Result<SharedClient, String> {
        if let Some(pem) = &settings.extra_root_certs {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("extra root certificates: {e}"))?;
            if certs.is_empty() {
                return Err("extra root certificates: no certificate in the PEM file".to_owned());
            }
        }
        Ok(SharedClient { settings: Arc::new(settings), client: Arc::default() })
    }

    /// Host patterns that may be called at non-public addresses (and are trusted for endpoint
    /// params).
    pub fn allowed_hosts(&self) -> &[String] {
        &self.settings.allowed_hosts
    }

    /// The client, made on first use.
    pub fn get(&self) -> Result<Arc<SaasClient>, String> {
        self.client.get_or_init(|| SaasClient::new((*self.settings).clone()).map(Arc::new)).clone()
    }
}

/// Calls APIs over HTTPS with the guards above. Cheap to share; keeps connections pooled.
pub struct SaasClient {
    client: reqwest::blocking::Client,
    guard: Arc<Guard>,
    settings: ClientSettings,
}

impl std::fmt::Debug for SaasClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SaasClient").field("settings", &self.settings).finish_non_exhaustive()
    }
}

impl SaasClient {
    /// A client for `settings`; `Err` when the extra roots are not PEM certificates.
    pub fn new(settings: ClientSettings) -> Result<SaasClient, String> {
        let guard = Arc::new(Guard { allowed: settings.allowed_hosts.clone() });
        let redirect_guard = Arc::clone(&guard);
        let redirects = reqwest::redirect::Policy::custom(move |attempt| {
            let first = attempt.previous().first().and_then(|u| u.host_str()).map(str::to_owned);
            if attempt.previous().len() > 5 || attempt.url().host_str().map(str::to_owned) != first {
                return attempt.stop();
            }
            match redirect_guard.literal(attempt.url()) {
                Some(why) => attempt.error(Refusal(why)),
                None => attempt.follow(),
            }
        });
        let mut builder = reqwest::blocking::Client::builder()
            .timeout(settings.timeout)
            .connect_timeout(settings.connect_timeout)
            .redirect(redirects)
            .no_proxy()
            .dns_resolver(Arc::new(GuardedResolver(Arc::clone(&guard))));
        if let Some(pem) = &settings.extra_root_certs {
            let certs =
                reqwest::Certificate::from_pem_bundle(pem).map_err(|e| format!("extra root certificates: {e}"))?;
            if certs.is_empty() {
                return Err("extra root certificates: no certificate in the PEM file".to_owned());
            }
            builder = builder.tls_certs_merge(certs);
        }
        let client = builder.build().map_err(|e| format!("cannot build the SaaS HTTP client: {e}"))?;
        Ok(SaasClient { client, guard, settings })
    }

    /// Makes `call` once.
    pub fn send(&self, call: &Call) -> Result<Reply, CallError> {
        let mut url = reqwest::Url::parse(&format!("{}{}", call.base, call.path))
            .map_err(|e| CallError::Failed(format!("'{}{}' is not a URL: {e}", call.base, call.path)))?;
        if !call.query.is_empty() {
            url.query_pairs_mut().extend_pairs(call.query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
        }
        if let Some(why) = self.guard.literal(&url) {
            return Err(CallError::Refused(why));
        }
        let method = reqwest::Method::from_bytes(call.method.as_str().as_bytes())
            .map_err(|e| CallError::Failed(format!("{}: {e}", call.method.as_str())))?;
        let shown = format!("{} {}", method, url.path());
        let mut request = self.client.request(method, url.clone());
        for (name, value) in &call.headers {
            request = request.header(name, value);
        }
        if let Some(body) = &call.body {
            request = request.body(body.clone());
        }
        let response = request.send().map_err(|e| match refusal_in(&e) {
            Some(why) => CallError::Refused(why),
            None => CallError::Failed(format!("{shown}: {}", without_url(&e))),
        })?;
        let status = response.status();
        if status.is_redirection()
            && let Some(location) = response.headers().get(reqwest::header::LOCATION)
        {
            let target = url.join(location.to_str().unwrap_or_default()).ok();
            return Err(CallError::Redirected(
                target
                    .and_then(|t| t.host_str().map(str::to_owned))
                    .unwrap_or_else(|| "an invalid location".to_owned()),
            ));
        }
        let headers = response.headers().clone();
        let limit = self.settings.max_response_bytes;
        let mut body = Vec::new();
        response
            .take(limit + 1)
            .read_to_end(&mut body)
            .map_err(|e| CallError::Failed(format!("{shown}: reading the response: {e}")))?;
        if body.len() as u64 > limit {
            return Err(CallError::TooLarge(shown, limit));
        }
        Ok(Reply { status: status.as_u16(), headers, body })
    }

    /// Makes `call`, retrying a 429, 502, 503 or 504 up to three times: after `Retry-After`
    /// (seconds or an HTTP date, at most 300 s) when the API sends one, else after the backoff,
    /// twice and four times it. `ignored` statuses are returned at once.
    pub fn send_retrying(&self, call: &Call, ignored: impl Fn(u16) -> bool) -> Result<Reply, CallError> {
        let mut wait = self.settings.backoff;
        for _ in 0..3 {
            let reply = self.send(call)?;
            if ignored(reply.status) || !matches!(reply.status, 429 | 502 | 503 | 504) {
                return Ok(reply);
            }
            std::thread::sleep(retry_after(&reply.headers).unwrap_or(wait));
            wait *= 2;
        }
        self.send(call)
    }
}

/// reqwest's message and causes, with the URL shown as its path only (its query may carry a
/// key).
fn without_url(e: &reqwest::Error) -> String {
    let mut text = e.to_string();
    let mut cause = std::error::Error::source(e);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    match e.url() {
        Some(url) => text.replace(url.as_str(), url.path()),
        None => text,
    }
}

/// The wait a `Retry-After` header asks for, at most 300 s.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let wait = match value.parse::<u64>() {
        Ok(seconds) => Duration::from_secs(seconds),
        Err(_) => {
            let at = httpdate::parse_http_date(value).ok()?;
            at.duration_since(std::time::SystemTime::now()).unwrap_or_default()
        }
    };
    Some(wait.min(Duration::from_secs(300)))
}
