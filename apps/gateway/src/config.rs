//! Configuration: defaults in code, then an optional TOML file (`--config PATH`), then
//! environment variables `LETHE__SECTION__KEY`. Unknown keys stop start-up naming the key.
//!
//! | variable | default |
//! |---|---|
//! | `LETHE__SERVER__BIND` | `127.0.0.1:8080` |
//! | `LETHE__SERVER__WORKERS` | number of CPUs |
//! | `LETHE__SERVER__DATA_DIR` | `./data` |
//! | `LETHE__SERVER__PUBLIC_URL` | unset (links use the request's Host) |
//! | `LETHE__DATABASE__URL` | `sqlite://<data_dir>/lethe.db` (or `postgres://user@host/db`) |
//! | `LETHE__DATABASE__POOL_SIZE` | `16` |
//! | `LETHE__SECURITY__ROOT_CLIENT_ID` | `lethe_root` |
//! | `LETHE__SECURITY__ROOT_CLIENT_SECRET` | generated on first start, printed once |
//! | `LETHE__SECURITY__APP_ENCRYPTION_KEY` | generated into `<data_dir>/app_encryption.key` |
//! | `LETHE__SECURITY__OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES` | `11520` (8 days) |
//! | `LETHE__SECURITY__TOKEN_FAILURE_LIMIT_PER_MINUTE` | `10` |
//! | `LETHE__SECURITY__TRUSTED_PROXY_HEADER` | unset |
//! | `LETHE__JOBS__RETENTION_DAYS` | `30` |
//! | `LETHE__STORAGE__PATH` | `<data_dir>/results` |
//! | `LETHE__SECURITY__ENV` | `prod` (or `dev`: verification codes go to the log when no SMTP server is set) |
//! | `LETHE__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED` | `false` |
//! | `LETHE__EXECUTION__REQUIRE_MANUAL_REQUEST_APPROVAL` | `false` |
//! | `LETHE__EXECUTION__IDENTITY_VERIFICATION_CODE_TTL_SECONDS` | `600` |
//! | `LETHE__NOTIFICATIONS__SEND_REQUEST_RECEIPT_NOTIFICATION` | `false` |
//! | `LETHE__NOTIFICATIONS__SEND_REQUEST_REVIEW_NOTIFICATION` | `false` |
//! | `LETHE__NOTIFICATIONS__SEND_REQUEST_COMPLETION_NOTIFICATION` | `false` (needs `LETHE__SERVER__PUBLIC_URL`) |
//! | `LETHE__NOTIFICATIONS__NOTIFICATION_SERVICE_TYPE` | `smtp` (the only one) |
//! | `LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__ENABLED` | `false` |
//! | `LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__TIME_WINDOW_DAYS` | `365` |
//! | `LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__MATCH_IDENTITY_FIELDS` | `email` |
//! | `LETHE__EXECUTION__RESULT_TTL_SECONDS` | `2592000` (30 days; at least the download link TTL) |
//! | `LETHE__PRIVACY_CENTER__ENABLED` | `true` |
//! | `LETHE__PRIVACY_CENTER__CONFIG` | unset (access and erasure, a required email) |
//! | `LETHE__SMTP__HOST` / `__PORT` / `__TLS` / `__USERNAME` / `__PASSWORD` / `__FROM` | unset / `587` / `starttls` / unset / unset / unset |
//! | `LETHE__LOG__FORMAT` | `text` (or `json`) |
//! | `LETHE__LOG__LEVEL` | `info` (a `tracing` filter; `RUST_LOG` wins) |

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;

/// Why the configuration could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment could not be read.
    #[error("configuration: {0}")]
    Source(String),
    /// A key is unknown or a value has the wrong type.
    #[error("configuration key `{key}`: {message}")]
    Key {
        /// Dotted key, e.g. `server.bind` (environment: `LETHE__SERVER__BIND`).
        key: String,
        /// What is wrong.
        message: String,
    },
}

/// All settings of the server.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Settings {
    /// HTTP server.
    pub server: ServerSettings,
    /// Database.
    pub database: DatabaseSettings,
    /// Auth and encryption.
    pub security: SecuritySettings,
    /// Where result packages go.
    pub storage: StorageSettings,
    /// Background job workers.
    pub jobs: JobSettings,
    /// How privacy requests proceed: verification, approval.
    pub execution: ExecutionSettings,
    /// The SMTP server emails go through.
    pub smtp: SmtpSettings,
    /// Which emails data subjects get along their request.
    pub notifications: NotificationSettings,
    /// Duplicate request detection.
    pub privacy_request_duplicate_detection: DuplicateDetectionSettings,
    /// The privacy center's pages.
    pub privacy_center: PrivacyCenterSettings,
    /// The OpenAI-compatible model that drafts assessment answers.
    pub llm: LlmSettings,
    /// The Slack workspace questionnaires go to.
    pub slack: SlackSettings,
    /// How SaaS connections call their APIs.
    pub saas: SaasSettings,
    /// Logging.
    pub log: LogSettings,
}

/// `[server]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServerSettings {
    /// Address to listen on.
    pub bind: SocketAddr,
    /// HTTP worker threads; default: one per CPU.
    pub workers: Option<usize>,
    /// Directory for the default SQLite database, the generated key and result packages.
    pub data_dir: PathBuf,
    /// The URL clients reach this server at (`https://privacy.example.com`), the base of links
    /// Lethe hands out (access-package downloads). Unset: taken from the request's Host header,
    /// which is wrong behind a proxy that rewrites it.
    pub public_url: Option<String>,
}

impl Default for ServerSettings {
    fn default() -> Self {
        ServerSettings {
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            workers: None,
            data_dir: PathBuf::from("./data"),
            public_url: None,
        }
    }
}

/// `[database]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DatabaseSettings {
    /// `sqlite://PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB`; default: SQLite in the
    /// data directory.
    pub url: Option<SecretString>,
    /// Most connections the pool opens.
    pub pool_size: u32,
}

impl Default for DatabaseSettings {
    fn default() -> Self {
        DatabaseSettings { url: None, pool_size: 16 }
    }
}

/// `[security]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SecuritySettings {
    /// Client id of the root client, which holds every scope.
    pub root_client_id: String,
    /// Root client secret; generated on first start and printed once when unset.
    pub root_client_secret: Option<SecretString>,
    /// Exactly 32 bytes; generated into the data directory when unset.
    pub app_encryption_key: Option<SecretString>,
    /// Access token lifetime in minutes.
    pub oauth_access_token_expire_minutes: u64,
    /// How long access-package download links stay valid, in seconds (Fides: 5 days).
    pub subject_request_download_link_ttl_seconds: u64,
    /// Requests per minute one client address may send to the public `POST /privacy-request`.
    pub public_request_rate_limit_per_minute: u32,
    /// Failed `POST /oauth/token` attempts per minute one client address may make (429 beyond);
    /// successful ones never count.
    pub token_failure_limit_per_minute: u32,
    /// A header a trusted reverse proxy sets to the client's address (`X-Forwarded-For`,
    /// `X-Real-IP`); the per-address limits key on its last entry instead of the proxy's
    /// address. Unset (the default): the header is ignored, since clients can forge it.
    pub trusted_proxy_header: Option<String>,
    /// `prod` or `dev`; in `dev` without SMTP, verification codes are written to the log.
    pub env: Environment,
}

/// Deployment environment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// Production (default).
    #[default]
    Prod,
    /// Development: conveniences that must never run in production.
    Dev,
}

/// `[execution]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ExecutionSettings {
    /// Requests from the public route wait for a code emailed to the subject.
    pub subject_identity_verification_required: bool,
    /// Requests wait in `pending` until a reviewer approves them.
    pub require_manual_request_approval: bool,
    /// How long a verification code stays valid, in seconds.
    pub identity_verification_code_ttl_seconds: u64,
    /// Largest access package a request may produce, in bytes (`LETHE__EXECUTION__MAX_PACKAGE_BYTES`);
    /// a request whose package would be larger fails, naming the collection. Unset: no limit.
    pub max_package_bytes: Option<u64>,
    /// How long a two-way policy webhook may keep a request paused, in seconds
    /// (`LETHE__EXECUTION__WEBHOOK_PAUSE_TIMEOUT_SECONDS`, default 7 days): its resume token is
    /// valid that long, and a request still paused then fails.
    pub webhook_pause_timeout_seconds: u64,
    /// Seconds a completed request's packages, checkpoint, manual uploads and identities are
    /// kept before they are deleted (the download link may not live longer).
    pub result_ttl_seconds: u64,
}

impl Default for ExecutionSettings {
    fn default() -> Self {
        ExecutionSettings {
            subject_identity_verification_required: false,
            require_manual_request_approval: false,
            identity_verification_code_ttl_seconds: 600,
            max_package_bytes: None,
            webhook_pause_timeout_seconds: 7 * 24 * 3600,
            result_ttl_seconds: 30 * 24 * 3600,
        }
    }
}

/// Security of the SMTP connection.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    /// Plain text.
    None,
    /// STARTTLS upgrade (default).
    #[default]
    Starttls,
    /// Implicit TLS.
    Tls,
}

/// `[smtp]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SmtpSettings {
    /// Server host; unset means no email.
    pub host: Option<String>,
    /// Server port.
    pub port: u16,
    /// `none`, `starttls` or `tls`.
    pub tls: SmtpTls,
    /// Login user.
    pub username: Option<String>,
    /// Login password.
    pub password: Option<SecretString>,
    /// Sender address; required with a host.
    pub from: Option<String>,
}

impl Default for SmtpSettings {
    fn default() -> Self {
        SmtpSettings { host: None, port: 587, tls: SmtpTls::Starttls, username: None, password: None, from: None }
    }
}

impl Default for SecuritySettings {
    fn default() -> Self {
        SecuritySettings {
            root_client_id: "lethe_root".to_owned(),
            root_client_secret: None,
            app_encryption_key: None,
            oauth_access_token_expire_minutes: 11_520,
            subject_request_download_link_ttl_seconds: 432_000,
            public_request_rate_limit_per_minute: 60,
            token_failure_limit_per_minute: 10,
            trusted_proxy_header: None,
            env: Environment::Prod,
        }
    }
}

/// `[llm]`: an OpenAI-compatible chat-completions API; unset `base_url` means no AI drafting.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LlmSettings {
    /// API base, e.g. `https://api.openai.com/v1`.
    pub base_url: Option<String>,
    /// Bearer key (never logged).
    pub api_key: Option<SecretString>,
    /// Seconds one call may take.
    pub timeout_seconds: u64,
    /// Calls in flight at once.
    pub max_concurrency: usize,
}

impl Default for LlmSettings {
    fn default() -> Self {
        LlmSettings { base_url: None, api_key: None, timeout_seconds: 30, max_concurrency: 4 }
    }
}

/// `[slack]`: the Slack Web API with a bot token; unset `bot_token` means no questionnaires.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SlackSettings {
    /// Web API base.
    pub api_base: String,
    /// Bot token `xoxb-…` (never logged).
    pub bot_token: Option<SecretString>,
    /// Channel questionnaires go to when the request names none.
    pub default_channel: Option<String>,
    /// Seconds between reads of questionnaire threads.
    pub poll_seconds: u64,
}

impl Default for SlackSettings {
    fn default() -> Self {
        SlackSettings {
            api_base: "https://slack.com/api".to_owned(),
            bot_token: None,
            default_channel: None,
            poll_seconds: 60,
        }
    }
}

/// `[notifications]` (Fides' names): the emails data subjects get along their request. Each is
/// sent over `[smtp]` by a durable job after the step that triggers it committed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct NotificationSettings {
    /// `privacy_request_receipt` after a request through the public route is created (or verified).
    pub send_request_receipt_notification: bool,
    /// `privacy_request_review_approve` / `_deny` after a reviewer's decision.
    pub send_request_review_notification: bool,
    /// `privacy_request_complete_access` (with the download link) / `_deletion` on completion.
    pub send_request_completion_notification: bool,
    /// How messages are sent: `smtp` (Lethe's mailer, the only one; also the default). Fides'
    /// provider types (`mailgun`, `twilio_text`, …) are refused.
    pub notification_service_type: Option<String>,
}

impl NotificationSettings {
    /// Whether any subject email is switched on.
    pub fn any(&self) -> bool {
        self.send_request_receipt_notification
            || self.send_request_review_notification
            || self.send_request_completion_notification
    }
}

/// `[privacy_request_duplicate_detection]` (Fides' names): a request repeating another of the
/// same policy whose matched identities are equal, within the window, is marked `duplicate`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct DuplicateDetectionSettings {
    /// Whether requests are compared at all.
    pub enabled: bool,
    /// How far back, in days (1 to 3650).
    pub time_window_days: u32,
    /// Identity fields that must all be equal; a list in TOML, comma-separated in the
    /// environment.
    #[serde(deserialize_with = "patterns")]
    pub match_identity_fields: Vec<String>,
}

impl Default for DuplicateDetectionSettings {
    fn default() -> Self {
        DuplicateDetectionSettings {
            enabled: false,
            time_window_days: 365,
            match_identity_fields: vec!["email".into()],
        }
    }
}

/// `[privacy_center]`: the pages at `/privacy-center/` where data subjects make requests.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct PrivacyCenterSettings {
    /// Whether the pages are served.
    pub enabled: bool,
    /// A Fides Privacy Center `config.json` (title, description, logo_path, actions); default:
    /// access and erasure with the seeded default policies and a required email.
    pub config: Option<PathBuf>,
}

impl Default for PrivacyCenterSettings {
    fn default() -> Self {
        PrivacyCenterSettings { enabled: true, config: None }
    }
}

/// `[storage]`
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StorageSettings {
    /// Directory for result packages; default `<data_dir>/results`.
    pub path: Option<PathBuf>,
}

/// `[jobs]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct JobSettings {
    /// Worker threads executing privacy requests; 0 runs none (another process does the work).
    pub workers: usize,
    /// Seconds a worker holds a job before another process may take it over (after a crash).
    pub lease_seconds: u64,
    /// Milliseconds between looks for jobs other processes queued.
    pub poll_interval_ms: u64,
    /// Seconds between checks of schedules (the reassessment cron); 0 turns the scheduler off.
    pub scheduler_seconds: u64,
    /// Days finished (succeeded or failed) jobs are kept before they are deleted; 0 keeps them.
    pub retention_days: u32,
}

impl Default for JobSettings {
    fn default() -> Self {
        JobSettings { workers: 4, lease_seconds: 30, poll_interval_ms: 500, scheduler_seconds: 30, retention_days: 30 }
    }
}

/// `[saas]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct SaasSettings {
    /// Host patterns (`*` = one or more name characters, as Fides' `allowed_values`) whose
    /// addresses may be loopback, private or otherwise non-public: APIs inside the company
    /// network, and test servers. Every other host must resolve to public addresses only. A
    /// list in TOML; comma-separated in `LETHE__SAAS__ALLOWED_HOSTS`.
    #[serde(deserialize_with = "patterns")]
    pub allowed_hosts: Vec<String>,
    /// A PEM file of certificates trusted besides the platform's roots (a private CA).
    pub extra_root_certs: Option<PathBuf>,
    /// Seconds one API call may take, response included.
    pub timeout_seconds: u64,
    /// Seconds allowed to connect.
    pub connect_timeout_seconds: u64,
    /// Largest API response read, in bytes.
    pub max_response_bytes: u64,
}

impl Default for SaasSettings {
    fn default() -> Self {
        SaasSettings {
            allowed_hosts: Vec::new(),
            extra_root_certs: None,
            timeout_seconds: 60,
            connect_timeout_seconds: 5,
            max_response_bytes: 64 * 1024 * 1024,
        }
    }
}

/// A list of patterns, or one string of comma-separated patterns (environment variables).
fn patterns<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<Vec<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Patterns {
        List(Vec<String>),
        Text(String),
    }
    let list = match Patterns::deserialize(deserializer)? {
        Patterns::List(list) => list,
        Patterns::Text(text) => text.split(',').map(str::to_owned).collect(),
    };
    Ok(list.into_iter().map(|p| p.trim().to_owned()).filter(|p| !p.is_empty()).collect())
}

/// Log output format.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines.
    #[default]
    Text,
    /// One JSON object per line.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct LogSettings {
    /// `text` or `json`.
    pub format: LogFormat,
    /// A `tracing` filter such as `info` or `gateway=debug,info`.
    pub level: String,
}

impl Default for LogSettings {
    fn default() -> Self {
        LogSettings { format: LogFormat::Text, level: "info".to_owned() }
    }
}

impl Settings {
    /// Loads settings from an optional TOML file and the process environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Self::load_from(file, None)
    }

    /// Loads settings from an optional TOML file and the given environment (`None`: the
    /// process environment).
    pub fn load_from(file: Option<&Path>, env: Option<HashMap<String, String>>) -> Result<Settings, ConfigError> {
        let mut builder = config::Config::builder();
        if let Some(file) = file {
            builder = builder.add_source(config::File::from(file).format(config::FileFormat::Toml).required(true));
        }
        builder = builder.add_source(
            config::Environment::with_prefix("LETHE")
                .prefix_separator("__")
                .separator("__")
                .ignore_empty(true)
                .source(env),
        );
        let merged = builder.build().map_err(|e| ConfigError::Source(e.to_string()))?;
        let settings: Settings = serde_path_to_error::deserialize(merged).map_err(|e| {
            let key = e.path().to_string();
            let message = e.into_inner().to_string();
            ConfigError::Key { key: unknown_key(&key, &message), message }
        })?;
        settings.validate()?;
        Ok(settings)
    }

    fn validate(&self) -> Result<(), ConfigError> {
        let invalid =
            |key: &str, message: &str| Err(ConfigError::Key { key: key.to_owned(), message: message.to_owned() });
        if let Some(key) = &self.security.app_encryption_key
            && key.expose_secret().len() != crypto::AppKey::LEN
        {
            return invalid("security.app_encryption_key", "must be exactly 32 bytes");
        }
        if self.security.root_client_id.trim().is_empty() {
            return invalid("security.root_client_id", "must not be empty");
        }
        if self.security.oauth_access_token_expire_minutes == 0 {
            return invalid("security.oauth_access_token_expire_minutes", "must be at least 1");
        }
        if self.security.subject_request_download_link_ttl_seconds == 0 {
            return invalid("security.subject_request_download_link_ttl_seconds", "must be at least 1");
        }
        if self.security.public_request_rate_limit_per_minute == 0 {
            return invalid("security.public_request_rate_limit_per_minute", "must be at least 1");
        }
        if self.security.token_failure_limit_per_minute == 0 {
            return invalid("security.token_failure_limit_per_minute", "must be at least 1");
        }
        if self
            .security
            .trusted_proxy_header
            .as_deref()
            .is_some_and(|h| actix_web::http::header::HeaderName::from_bytes(h.trim().as_bytes()).is_err())
        {
            return invalid("security.trusted_proxy_header", "must be a header name such as X-Forwarded-For");
        }
        if let Some(url) = &self.server.public_url {
            match url::Url::parse(url.trim()) {
                Ok(parsed) if matches!(parsed.scheme(), "http" | "https") && parsed.host().is_some() => {}
                _ => return invalid("server.public_url", "must be an http(s) URL such as https://privacy.example.com"),
            }
        }
        if self.execution.identity_verification_code_ttl_seconds == 0 {
            return invalid("execution.identity_verification_code_ttl_seconds", "must be at least 1");
        }
        if self.execution.webhook_pause_timeout_seconds == 0 {
            return invalid("execution.webhook_pause_timeout_seconds", "must be at least 1");
        }
        if self.execution.result_ttl_seconds == 0 {
            return invalid("execution.result_ttl_seconds", "must be at least 1");
        }
        if self.security.subject_request_download_link_ttl_seconds > self.execution.result_ttl_seconds {
            return Err(ConfigError::Key {
                key: "security.subject_request_download_link_ttl_seconds".to_owned(),
                message: format!(
                    "must not exceed execution.result_ttl_seconds ({} s): a download link would outlive the package it names",
                    self.execution.result_ttl_seconds
                ),
            });
        }
        if self.execution.max_package_bytes == Some(0) {
            return invalid("execution.max_package_bytes", "must be at least 1 (leave it unset for no limit)");
        }
        if self.llm.base_url.as_deref().is_some_and(|u| !(u.starts_with("http://") || u.starts_with("https://"))) {
            return invalid("llm.base_url", "must be an http(s) URL such as https://api.openai.com/v1");
        }
        if !(self.slack.api_base.starts_with("http://") || self.slack.api_base.starts_with("https://")) {
            return invalid("slack.api_base", "must be an http(s) URL such as https://slack.com/api");
        }
        if self.slack.poll_seconds == 0 {
            return invalid("slack.poll_seconds", "must be at least 1");
        }
        if self.smtp.host.as_deref().is_some_and(|h| !h.trim().is_empty()) && self.smtp.from.is_none() {
            return invalid("smtp.from", "must be set when smtp.host is (the sender address)");
        }
        if let Some(kind) = &self.notifications.notification_service_type
            && !kind.trim().eq_ignore_ascii_case("smtp")
        {
            return invalid(
                "notifications.notification_service_type",
                "must be smtp (Lethe sends email through the [smtp] server; provider APIs are not supported)",
            );
        }
        let smtp_set = self.smtp.host.as_deref().is_some_and(|h| !h.trim().is_empty());
        if self.notifications.any() && !smtp_set && self.security.env != Environment::Dev {
            return invalid(
                "smtp.host",
                "must be set when a notifications.send_request_*_notification switch is on (the emails go through it)",
            );
        }
        if self.notifications.send_request_completion_notification && self.server.public_url.is_none() {
            return invalid(
                "server.public_url",
                "must be set when notifications.send_request_completion_notification is on (the emailed download link starts with it)",
            );
        }
        let duplicates = &self.privacy_request_duplicate_detection;
        if !(1..=3650).contains(&duplicates.time_window_days) {
            return invalid("privacy_request_duplicate_detection.time_window_days", "must be between 1 and 3650");
        }
        if duplicates.enabled && duplicates.match_identity_fields.is_empty() {
            return invalid(
                "privacy_request_duplicate_detection.match_identity_fields",
                "must name at least one identity field (such as email)",
            );
        }
        if self.jobs.lease_seconds == 0 {
            return invalid("jobs.lease_seconds", "must be at least 1");
        }
        if self.jobs.poll_interval_ms == 0 {
            return invalid("jobs.poll_interval_ms", "must be at least 1");
        }
        if self.database.pool_size == 0 {
            return invalid("database.pool_size", "must be at least 1");
        }
        if self.saas.timeout_seconds == 0 {
            return invalid("saas.timeout_seconds", "must be at least 1");
        }
        if self.saas.connect_timeout_seconds == 0 {
            return invalid("saas.connect_timeout_seconds", "must be at least 1");
        }
        if self.saas.max_response_bytes == 0 {
            return invalid("saas.max_response_bytes", "must be at least 1");
        }
        Ok(())
    }

    /// The database URL in force.
    pub fn database_url(&self) -> String {
        match &self.database.url {
            Some(url) => url.expose_secret().to_owned(),
            None => format!("sqlite://{}", self.server.data_dir.join("lethe.db").display()),
        }
    }

    /// The directory result packages are written to.
    pub fn storage_path(&self) -> PathBuf {
        self.storage.path.clone().unwrap_or_else(|| self.server.data_dir.join("results"))
    }

    /// Where a generated application key is kept.
    pub fn app_key_path(&self) -> PathBuf {
        self.server.data_dir.join("app_encryption.key")
    }
}

/// serde names an unknown field only in its message ("unknown field `bindx`, expected …"); add
/// it to the path so the error names the full key.
fn unknown_key(path: &str, message: &str) -> String {
    let field = message
        .strip_prefix("unknown field `")
        .and_then(|rest| rest.split('`').next())
        .filter(|field| !path.ends_with(field));
    match (field, path) {
        (Some(field), "." | "") => field.to_owned(),
        (Some(field), path) => format!("{path}.{field}"),
        (None, path) => path.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use std::io::Write;

    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Option<HashMap<String, String>> {
        Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn notifications_need_smtp_a_public_url_and_the_smtp_service_type() {
        let refused = |pairs: &[(&str, &str)]| match Settings::load_from(None, env(pairs)) {
            Err(ConfigError::Key { key, .. }) => key,
            other => panic!("{other:?}"),
        };
        let on = ("LETHE__NOTIFICATIONS__SEND_REQUEST_RECEIPT_NOTIFICATION", "true");
        assert_eq!(refused(&[on]), "smtp.host");
        let smtp = [("LETHE__SMTP__HOST", "mail.example.com"), ("LETHE__SMTP__FROM", "p@example.com")];
        let done = ("LETHE__NOTIFICATIONS__SEND_REQUEST_COMPLETION_NOTIFICATION", "true");
        assert_eq!(refused(&[smtp[0], smtp[1], done]), "server.public_url");
        let mailgun = ("LETHE__NOTIFICATIONS__NOTIFICATION_SERVICE_TYPE", "mailgun");
        assert_eq!(refused(&[smtp[0], smtp[1], mailgun]), "notifications.notification_service_type");
        let url = ("LETHE__SERVER__PUBLIC_URL", "https://privacy.example.com");
        let ok = Settings::load_from(
            None,
            env(&[smtp[0], smtp[1], on, done, url, ("LETHE__NOTIFICATIONS__NOTIFICATION_SERVICE_TYPE", "SMTP")]),
        )
        .unwrap();
        assert!(ok.notifications.send_request_receipt_notification && ok.notifications.any());
        // Development mode writes the emails to the log instead.
        Settings::load_from(None, env(&[on, ("LETHE__SECURITY__ENV", "dev")])).unwrap();
    }

    #[test]
    fn duplicate_detection_is_read_and_checked() {
        let settings = Settings::load_from(
            None,
            env(&[
                ("LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__ENABLED", "true"),
                ("LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__TIME_WINDOW_DAYS", "30"),
                ("LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__MATCH_IDENTITY_FIELDS", "email, phone_number"),
            ]),
        )
        .unwrap();
        let duplicates = &settings.privacy_request_duplicate_detection;
        assert!(duplicates.enabled);
        assert_eq!(duplicates.time_window_days, 30);
        assert_eq!(duplicates.match_identity_fields, ["email", "phone_number"]);
        let window =
            Settings::load_from(None, env(&[("LETHE__PRIVACY_REQUEST_DUPLICATE_DETECTION__TIME_WINDOW_DAYS", "0")]));
        assert!(
            matches!(window, Err(ConfigError::Key { key, .. }) if key == "privacy_request_duplicate_detection.time_window_days")
        );
    }

    #[test]
    fn results_are_kept_at_least_as_long_as_their_download_links() {
        let refused = Settings::load_from(None, env(&[("LETHE__EXECUTION__RESULT_TTL_SECONDS", "3600")]));
        assert!(
            matches!(&refused, Err(ConfigError::Key { key, message }) if key == "security.subject_request_download_link_ttl_seconds" && message.contains("3600 s")),
            "{refused:?}"
        );
        let ok = Settings::load_from(
            None,
            env(&[
                ("LETHE__EXECUTION__RESULT_TTL_SECONDS", "3600"),
                ("LETHE__SECURITY__SUBJECT_REQUEST_DOWNLOAD_LINK_TTL_SECONDS", "3600"),
            ]),
        )
        .unwrap();
        assert_eq!(ok.execution.result_ttl_seconds, 3600);
        assert_eq!(Settings::load_from(None, env(&[])).unwrap().execution.result_ttl_seconds, 2_592_000);
    }

    #[test]
    fn defaults_need_no_configuration() {
        let settings = Settings::load_from(None, env(&[])).unwrap();
        assert_eq!(settings.server.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(settings.database_url(), "sqlite://./data/lethe.db");
        assert_eq!(settings.storage_path(), PathBuf::from("./data/results"));
        assert_eq!(settings.security.root_client_id, "lethe_root");
        assert_eq!(settings.security.oauth_access_token_expire_minutes, 11_520);
        assert_eq!(settings.log.format, LogFormat::Text);
    }

    #[test]
    fn environment_variables_set_every_documented_key() {
        let settings = Settings::load_from(
            None,
            env(&[
                ("LETHE__SERVER__BIND", "0.0.0.0:9000"),
                ("LETHE__DATABASE__URL", "postgres://u@h/db"),
                ("LETHE__SECURITY__ROOT_CLIENT_ID", "admin"),
                ("LETHE__SECURITY__ROOT_CLIENT_SECRET", "s3cret"),
                ("LETHE__SECURITY__APP_ENCRYPTION_KEY", "0123456789abcdef0123456789abcdef"),
                ("LETHE__SECURITY__OAUTH_ACCESS_TOKEN_EXPIRE_MINUTES", "30"),
                ("LETHE__SECURITY__SUBJECT_REQUEST_DOWNLOAD_LINK_TTL_SECONDS", "60"),
                ("LETHE__SECURITY__PUBLIC_REQUEST_RATE_LIMIT_PER_MINUTE", "5"),
                ("LETHE__STORAGE__PATH", "/srv/results"),
                ("LETHE__JOBS__WORKERS", "8"),
                ("LETHE__JOBS__LEASE_SECONDS", "5"),
                ("LETHE__JOBS__POLL_INTERVAL_MS", "100"),
                ("LETHE__LOG__FORMAT", "json"),
                ("LETHE__SECURITY__ENV", "dev"),
                ("LETHE__EXECUTION__SUBJECT_IDENTITY_VERIFICATION_REQUIRED", "true"),
                ("LETHE__EXECUTION__REQUIRE_MANUAL_REQUEST_APPROVAL", "true"),
                ("LETHE__EXECUTION__IDENTITY_VERIFICATION_CODE_TTL_SECONDS", "60"),
                ("LETHE__SMTP__HOST", "smtp.example.com"),
                ("LETHE__SMTP__PORT", "465"),
                ("LETHE__SMTP__TLS", "tls"),
                ("LETHE__SMTP__USERNAME", "mailer"),
                ("LETHE__SMTP__PASSWORD", "smtp-pw"),
                ("LETHE__SMTP__FROM", "privacy@example.com"),
                ("LETHE__SERVER__PUBLIC_URL", "https://privacy.example.com/lethe"),
                ("LETHE__SECURITY__TOKEN_FAILURE_LIMIT_PER_MINUTE", "3"),
                ("LETHE__SECURITY__TRUSTED_PROXY_HEADER", "X-Forwarded-For"),
                ("LETHE__JOBS__RETENTION_DAYS", "7"),
            ]),
        )
        .unwrap();
        assert_eq!(settings.server.public_url.as_deref(), Some("https://privacy.example.com/lethe"));
        assert_eq!(settings.security.token_failure_limit_per_minute, 3);
        assert_eq!(settings.security.trusted_proxy_header.as_deref(), Some("X-Forwarded-For"));
        assert_eq!(settings.jobs.retention_days, 7);
        assert_eq!(settings.security.env, Environment::Dev);
        assert!(settings.execution.subject_identity_verification_required);
        assert!(settings.execution.require_manual_request_approval);
        assert_eq!(settings.execution.identity_verification_code_ttl_seconds, 60);
        assert_eq!(settings.smtp.host.as_deref(), Some("smtp.example.com"));
        assert_eq!((settings.smtp.port, settings.smtp.tls), (465, SmtpTls::Tls));
        assert_eq!(settings.smtp.username.as_deref(), Some("mailer"));
        assert_eq!(settings.smtp.password.as_ref().unwrap().expose_secret(), "smtp-pw");
        assert_eq!(settings.smtp.from.as_deref(), Some("privacy@example.com"));
        assert!(!format!("{settings:?}").contains("smtp-pw"));
        assert_eq!(settings.server.bind.to_string(), "0.0.0.0:9000");
        assert_eq!(settings.database_url(), "postgres://u@h/db");
        assert_eq!(settings.security.root_client_id, "admin");
        assert_eq!(settings.security.root_client_secret.as_ref().unwrap().expose_secret(), "s3cret");
        assert_eq!(settings.security.oauth_access_token_expire_minutes, 30);
        assert_eq!(settings.security.subject_request_download_link_ttl_seconds, 60);
        assert_eq!(settings.security.public_request_rate_limit_per_minute, 5);
        assert_eq!(settings.storage_path(), PathBuf::from("/srv/results"));
        assert_eq!((settings.jobs.workers, settings.jobs.lease_seconds, settings.jobs.poll_interval_ms), (8, 5, 100));
        assert_eq!(settings.log.format, LogFormat::Json);
    }

    #[test]
    fn environment_overrides_the_file_and_the_file_overrides_defaults() {
        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "[server]\nbind = \"127.0.0.1:7000\"\ndata_dir = \"/var/lib/lethe\"\n[log]\nformat = \"json\"")
            .unwrap();
        let settings =
            Settings::load_from(Some(file.path()), env(&[("LETHE__SERVER__BIND", "127.0.0.1:7001")])).unwrap();
        assert_eq!(settings.server.bind.to_string(), "127.0.0.1:7001");
        assert_eq!(settings.log.format, LogFormat::Json);
        assert_eq!(settings.database_url(), "sqlite:///var/lib/lethe/lethe.db");
    }

    #[test]
    fn unknown_keys_stop_start_up_naming_the_key() {
        let err = Settings::load_from(None, env(&[("LETHE__SERVER__BINDX", "x")])).unwrap_err();
        let ConfigError::Key { key, .. } = &err else { panic!("{err}") };
        assert_eq!(key, "server.bindx");
        assert!(err.to_string().contains("server.bindx"), "{err}");

        let err = Settings::load_from(None, env(&[("LETHE__SERVR__BIND", "x")])).unwrap_err();
        assert!(err.to_string().contains("`servr`"), "{err}");

        let mut file = tempfile::NamedTempFile::with_suffix(".toml").unwrap();
        writeln!(file, "[security]\nroot_secret = \"x\"").unwrap();
        let err = Settings::load_from(Some(file.path()), env(&[])).unwrap_err();
        assert!(err.to_string().contains("security.root_secret"), "{err}");
    }

    #[test]
    fn bad_values_name_their_key() {
        let err = Settings::load_from(None, env(&[("LETHE__SERVER__BIND", "not an address")])).unwrap_err();
        assert!(err.to_string().contains("server.bind"), "{err}");
        let err = Settings::load_from(None, env(&[("LETHE__LOG__FORMAT", "xml")])).unwrap_err();
        assert!(err.to_string().contains("log.format"), "{err}");
        let err = Settings::load_from(None, env(&[("LETHE__SMTP__HOST", "smtp.example.com")])).unwrap_err();
        assert!(err.to_string().contains("smtp.from"), "{err}");
        let err = Settings::load_from(None, env(&[("LETHE__SMTP__TLS", "ssl")])).unwrap_err();
        assert!(err.to_string().contains("smtp.tls"), "{err}");
        let err = Settings::load_from(None, env(&[("LETHE__SECURITY__APP_ENCRYPTION_KEY", "short")])).unwrap_err();
        assert_eq!(err.to_string(), "configuration key `security.app_encryption_key`: must be exactly 32 bytes");
        for (variable, key) in [
            ("LETHE__SERVER__PUBLIC_URL", "server.public_url"),
            ("LETHE__SECURITY__TRUSTED_PROXY_HEADER", "security.trusted_proxy_header"),
        ] {
            let err = Settings::load_from(None, env(&[(variable, "not a url or header")])).unwrap_err();
            assert!(err.to_string().contains(key), "{err}");
        }
    }

    #[test]
    fn empty_variables_count_as_unset() {
        let settings = Settings::load_from(None, env(&[("LETHE__SECURITY__ROOT_CLIENT_SECRET", "")])).unwrap();
        assert!(settings.security.root_client_secret.is_none());
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let settings = Settings::load_from(
            None,
            env(&[
                ("LETHE__SECURITY__ROOT_CLIENT_SECRET", "hunter2hunter2"),
                ("LETHE__DATABASE__URL", "postgres://u:pw@h/d"),
            ]),
        )
        .unwrap();
        let debug = format!("{settings:?}");
        assert!(!debug.contains("hunter2hunter2"));
        assert!(!debug.contains("pw@"));
    }
}
