//! Start-up: database, migrations, keys, the root client, and the actix-web application.

use std::net::TcpListener;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use actix_web::body::MessageBody;
use actix_web::dev::{ResourceDef, Service, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderName, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{App, HttpMessage, HttpRequest, HttpResponse, HttpServer, web};
use auth::{AuthService, DieselAuthService, RootClient};
use crypto::AppKey;
use db::Database;
use db::changes::{ChangeFeed, ChangeListener};
use db::jobs::{JobSignal, Worker, WorkerConfig, WorkerHandle};
use dsr_core::{
    CodeDelivery, DieselConnectionService, DieselDatasetService, DieselManualFieldService, DieselPolicyService,
    DieselRequestService, DieselStorageService, RequestSettings, Taxonomy,
};
use notices_ropa::DieselNoticesService;
use redaction::DieselRedactionService;
use secrecy::ExposeSecret;
use tracing_actix_web::{RequestId, TracingLogger};
use utoipa_actix_web::AppExt;
use utoipa_swagger_ui::SwaggerUi;

use crate::config::{Environment, Settings, SmtpTls};
use crate::error::{ApiError, Detail, ErrorBody, Problem};
use crate::state::AppState;
use crate::{openapi, routes};

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Bad configuration.
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    /// The database could not be opened or migrated (with the driver's message).
    #[error(transparent)]
    Database(#[from] db::DbError),
    /// The application key could not be read or created.
    #[error("application key: {0}")]
    Key(String),
    /// The root client could not be set up.
    #[error("root client: {0}")]
    Auth(#[from] auth::AuthError),
    /// Binding or serving failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The background schedule could not be started.
    #[error("schedule: {0}")]
    Schedule(#[from] assessments::AssessmentError),
    /// The sweep of expired results could not be queued.
    #[error("result retention: {0}")]
    Retention(#[from] dsr_core::DsrError),
    /// `lethe demo` could not set up its sample data.
    #[error("demo: {0}")]
    Demo(String),
}

/// How the root client's secret is known, for the start-up banner.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootSecret {
    /// Generated now; shown this once.
    Generated(String),
    /// Set by configuration.
    Configured,
    /// Generated on an earlier start.
    Stored,
}

/// A prepared server: database migrated, keys loaded, root client in place.
pub struct Application {
    settings: Settings,
    state: AppState,
    root_secret: RootSecret,
    /// Hears of changes other gateway processes make (PostgreSQL); stops when dropped.
    _listener: Option<ChangeListener>,
    /// Threads executing privacy requests; stopped when the application is dropped.
    worker: Option<WorkerHandle>,
}

impl Drop for Application {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.shutdown();
        }
    }
}

impl Application {
    /// Connects to the database (failing with the driver's message), applies migrations, loads or
    /// creates the application key, and makes sure the root client exists.
    pub fn build(settings: Settings) -> Result<Application, StartupError> {
        let database = Database::connect(&settings.database_url(), settings.database.pool_size)?;
        let applied = database.migrate()?;
        if !applied.is_empty() {
            tracing::info!(migrations = ?applied, "applied database migrations");
        }
        let key = load_or_create_app_key(&settings)?;
        let feed = ChangeFeed::new();
        let auth =
            DieselAuthService::new(database.clone(), key.clone(), settings.security.oauth_access_token_expire_minutes)
                .with_change_feed(&feed);
        let configured = settings.security.root_client_secret.as_ref().map(|s| s.expose_secret().to_owned());
        let root_secret = match auth.ensure_root_client(&RootClient {
            id: settings.security.root_client_id.clone(),
            secret: configured.clone(),
        })? {
            Some(generated) => RootSecret::Generated(generated),
            None if configured.is_some() => RootSecret::Configured,
            None => RootSecret::Stored,
        };
        std::fs::create_dir_all(settings.storage_path())?;
        let redaction = Arc::new(DieselRedactionService::new(database.clone()).with_change_feed(&feed));
        let signal = JobSignal::default();
        let mut request_settings = RequestSettings::new(
            settings.storage_path(),
            Duration::from_secs(settings.security.subject_request_download_link_ttl_seconds),
        );
        request_settings.identity_verification_required = settings.execution.subject_identity_verification_required;
        request_settings.manual_approval_required = settings.execution.require_manual_request_approval;
        request_settings.verification_code_ttl =
            Duration::from_secs(settings.execution.identity_verification_code_ttl_seconds);
        request_settings.code_delivery = code_delivery(&settings)?;
        request_settings.max_package_bytes = settings.execution.max_package_bytes;
        request_settings.webhook_pause_timeout = Duration::from_secs(settings.execution.webhook_pause_timeout_seconds);
        request_settings.saas_client = saas_client(&settings)?;
        request_settings.notifications = dsr_core::NotificationSettings {
            receipt: settings.notifications.send_request_receipt_notification,
            review: settings.notifications.send_request_review_notification,
            completion: settings.notifications.send_request_completion_notification,
        };
        let public_url = settings.server.public_url.as_deref().map(|u| u.trim().trim_end_matches('/').to_owned());
        request_settings.public_url = public_url.clone();
        request_settings.result_ttl = Duration::from_secs(settings.execution.result_ttl_seconds);
        let privacy_center = privacy_center(&settings)?;
        request_settings.privacy_center_downloads = privacy_center.is_some();
        let duplicates = &settings.privacy_request_duplicate_detection;
        request_settings.duplicate_detection = duplicates.enabled.then(|| dsr_core::DuplicateDetection {
            time_window_days: duplicates.time_window_days,
            match_identity_fields: duplicates.match_identity_fields.clone(),
        });
        let saas = request_settings.saas_client.clone();
        let requests = DieselRequestService::new(database.clone(), key.clone(), request_settings, redaction.clone())
            .with_job_signal(signal.clone());
        // Customer-store connections: opened by requests, closed when their connection changes
        // (here, or in another gateway process on the same PostgreSQL).
        let stores = requests.stores();
        let closing = stores.clone();
        feed.on(dsr_core::CONNECTIONS_TOPIC, move || closing.close_all());
        let mut assessments =
            assessments::DieselAssessmentService::new(database.clone()).with_job_signal(signal.clone());
        if let Some(model) = chat_model(&settings)? {
            assessments = assessments.with_llm(model);
        }
        if let Some(slack) = slack(&settings)? {
            assessments = assessments.with_slack(slack);
        }
        let worker = if settings.jobs.workers > 0 {
            let config = WorkerConfig {
                name: format!("lethe-{}-{}", std::process::id(), crypto::random_hex(4)),
                threads: settings.jobs.workers,
                lease: Duration::from_secs(settings.jobs.lease_seconds),
                poll_interval: Duration::from_millis(settings.jobs.poll_interval_ms),
                retention: (settings.jobs.retention_days > 0)
                    .then(|| Duration::from_secs(u64::from(settings.jobs.retention_days) * 24 * 3600)),
            };
            let worker = Worker::new(database.clone(), config, signal)
                .handle(dsr_core::QUEUE, Arc::new(requests.clone()))
                .handle(dsr_core::MESSAGE_QUEUE, Arc::new(requests.messenger()))
                .handle(dsr_core::PURGE_QUEUE, Arc::new(requests.purger()))
                .handle(assessments::QUEUE, Arc::new(assessments.clone()))
                .handle(assessments::POLL_QUEUE, Arc::new(assessments.questionnaire_poller()))
                .handle(assessments::SCHEDULE_QUEUE, Arc::new(assessments.schedule_check()))
                .handle(assessments::REASSESS_QUEUE, Arc::new(assessments.scheduled_reassessment()));
            Some(worker.start()?)
        } else {
            None
        };
        // The sweep of expired results is a chain of hourly jobs; any gateway seeds it.
        requests.purger().start_sweep()?;
        // The reassessment schedule is a chain of durable check jobs; any gateway seeds it.
        if settings.jobs.scheduler_seconds > 0 {
            assessments.start_schedule(Duration::from_secs(settings.jobs.scheduler_seconds))?;
        }
        let assessments: Arc<dyn assessments::AssessmentService> = Arc::new(assessments);
        let state = AppState {
            db: database.clone(),
            auth: Arc::new(auth),
            redaction,
            notices: Arc::new(DieselNoticesService::new(database.clone())),
            taxonomy: Arc::new(Taxonomy::embedded()),
            policies: Arc::new(DieselPolicyService::new(database.clone())),
            webhooks: Arc::new(dsr_core::DieselWebhookService::new(database.clone(), key.clone())),
            templates: Arc::new(dsr_core::DieselMessagingTemplateService::new(database.clone())),
            storage: Arc::new(DieselStorageService::new(database.clone())),
            connections: Arc::new(
                DieselConnectionService::new(database.clone(), key).with_stores(stores).with_saas_client(saas),
            ),
            datasets: Arc::new(DieselDatasetService::new(database.clone())),
            manual_fields: Arc::new(DieselManualFieldService::new(database.clone())),
            requests: Arc::new(requests),
            systems: Arc::new(
                assessments::DieselSystemService::new(database.clone()).notifying(Arc::new(assessments::MarkOutdated)),
            ),
            assessments,
            assessment_config: Arc::new(assessments::DieselConfigService::new(database.clone())),
            public_limiter: Arc::new(crate::limit::AddressLimiter::per_minute(
                settings.security.public_request_rate_limit_per_minute,
            )),
            token_failures: Arc::new(crate::limit::FailureLimiter::per_minute(
                settings.security.token_failure_limit_per_minute,
            )),
            client_address: crate::limit::ClientAddress::new(settings.security.trusted_proxy_header.as_deref()),
            public_url,
            privacy_center,
            verification_required: settings.execution.subject_identity_verification_required,
        };
        let listener = feed.start_listener(&database, &settings.database_url());
        Ok(Application { settings, state, root_secret, _listener: listener, worker })
    }

    /// The shared state handlers see.
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// How the root secret is known.
    pub fn root_secret(&self) -> &RootSecret {
        &self.root_secret
    }

    /// The settings in force.
    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// What to print on start: where the server listens and how to get a token.
    pub fn banner(&self, address: std::net::SocketAddr) -> String {
        let id = &self.settings.security.root_client_id;
        let base = format!("http://{address}");
        let mut out = String::new();
        let secret = match &self.root_secret {
            RootSecret::Generated(secret) => {
                out.push_str(&format!(
                    "\nA root client was created. Its secret is shown only this once; keep it safe:\n  \
                     client_id:     {id}\n  client_secret: {secret}\n\
                     (Set LETHE__SECURITY__ROOT_CLIENT_SECRET to choose your own.)\n\n"
                ));
                secret.clone()
            }
            RootSecret::Configured => "$LETHE__SECURITY__ROOT_CLIENT_SECRET".to_owned(),
            RootSecret::Stored => "<the root secret printed on first start>".to_owned(),
        };
        out.push_str(&format!(
            "API docs:    {base}/docs\nGet a token: curl -s -X POST {base}/api/v1/oauth/token \
             -d grant_type=client_credentials -d client_id={id} -d client_secret={secret}\n\
             Lethe {} listening on {base} ({} database)\n",
            env!("CARGO_PKG_VERSION"),
            self.state.db.backend().name(),
        ));
        out
    }

    /// Serves on `listener` until SIGINT/SIGTERM, then drains in-flight requests.
    pub async fn run(self, listener: TcpListener) -> Result<(), StartupError> {
        let state = self.state.clone();
        let mut server = HttpServer::new(move || build_app(state.clone())).listen(listener)?.shutdown_timeout(30);
        if let Some(workers) = self.settings.server.workers {
            server = server.workers(workers.max(1));
        }
        server.run().await?;
        tracing::info!("server stopped");
        Ok(())
    }
}

/// The privacy center, when it is on: its configuration file (or the default) checked now, so a
/// bad one stops start-up naming the field.
fn privacy_center(settings: &Settings) -> Result<Option<Arc<crate::privacy_center::PrivacyCenter>>, StartupError> {
    if !settings.privacy_center.enabled {
        return Ok(None);
    }
    let invalid =
        |message: String| crate::config::ConfigError::Key { key: "privacy_center.config".to_owned(), message };
    let text = match &settings.privacy_center.config {
        Some(path) => std::fs::read_to_string(path).map_err(|e| invalid(format!("{}: {e}", path.display())))?,
        None => crate::privacy_center::config::DEFAULT_CONFIG.to_owned(),
    };
    let center =
        crate::privacy_center::PrivacyCenter::new(&text).map_err(|e| match &settings.privacy_center.config {
            Some(path) => invalid(format!("{}: {e}", path.display())),
            None => invalid(e),
        })?;
    Ok(Some(Arc::new(center)))
}

/// How verification codes reach subjects: SMTP when configured, the log in development mode,
/// otherwise nowhere (requests needing verification are then refused, loudly at start-up).
fn code_delivery(settings: &Settings) -> Result<CodeDelivery, StartupError> {
    let smtp = &settings.smtp;
    if let Some(host) = smtp.host.as_deref().filter(|h| !h.trim().is_empty()) {
        let mailer = messaging::SmtpMailer::new(&messaging::SmtpSettings {
            host: host.to_owned(),
            port: smtp.port,
            tls: match smtp.tls {
                SmtpTls::None => messaging::Tls::None,
                SmtpTls::Starttls => messaging::Tls::StartTls,
                SmtpTls::Tls => messaging::Tls::Tls,
            },
            username: smtp.username.clone(),
            password: smtp.password.as_ref().map(|p| p.expose_secret().to_owned()),
            from: smtp.from.clone().unwrap_or_default(),
        })
        .map_err(|e| crate::config::ConfigError::Key { key: "smtp".to_owned(), message: e.to_string() })?;
        return Ok(CodeDelivery::Email(Arc::new(mailer)));
    }
    if settings.security.env == Environment::Dev {
        if settings.execution.subject_identity_verification_required {
            tracing::warn!("development mode without SMTP: verification codes will be written to the log");
        }
        return Ok(CodeDelivery::Log);
    }
    if settings.execution.subject_identity_verification_required {
        tracing::warn!(
            "identity verification is required but LETHE__SMTP__HOST is not set: public privacy requests will be refused"
        );
    }
    Ok(CodeDelivery::Unavailable)
}

/// The language model assessments draft answers with, when `llm.base_url` is set.
fn chat_model(settings: &Settings) -> Result<Option<Arc<dyn messaging::ChatModel>>, StartupError> {
    let Some(base_url) = settings.llm.base_url.as_deref().filter(|u| !u.trim().is_empty()) else {
        return Ok(None);
    };
    let model = messaging::OpenAiChat::new(&messaging::LlmSettings {
        base_url: base_url.to_owned(),
        api_key: settings.llm.api_key.as_ref().map(|k| k.expose_secret().to_owned()).unwrap_or_default(),
        timeout: Duration::from_secs(settings.llm.timeout_seconds.max(1)),
        max_concurrency: settings.llm.max_concurrency.max(1),
    })
    .map_err(|e| crate::config::ConfigError::Key { key: "llm".to_owned(), message: e.to_string() })?;
    tracing::info!(base_url, "assessment answers are drafted by the configured language model");
    Ok(Some(Arc::new(model)))
}

/// The client SaaS connections call their APIs with, from `[saas]`.
fn saas_client(settings: &Settings) -> Result<connectors::saas::client::SharedClient, StartupError> {
    let saas = &settings.saas;
    let invalid = |key: &str, message: String| crate::config::ConfigError::Key { key: key.to_owned(), message };
    let extra_root_certs = match &saas.extra_root_certs {
        Some(path) => Some(
            std::fs::read(path).map_err(|e| invalid("saas.extra_root_certs", format!("{}: {e}", path.display())))?,
        ),
        None => None,
    };
    let client = connectors::saas::client::SharedClient::new(connectors::saas::client::ClientSettings {
        allowed_hosts: saas.allowed_hosts.clone(),
        extra_root_certs,
        timeout: Duration::from_secs(saas.timeout_seconds),
        connect_timeout: Duration::from_secs(saas.connect_timeout_seconds),
        max_response_bytes: saas.max_response_bytes,
        ..connectors::saas::client::ClientSettings::default()
    })
    .map_err(|e| invalid("saas.extra_root_certs", e))?;
    Ok(client)
}

/// Slack for questionnaires, when `slack.bot_token` is set.
fn slack(settings: &Settings) -> Result<Option<assessments::SlackSetup>, StartupError> {
    let Some(token) = settings.slack.bot_token.as_ref().filter(|t| !t.expose_secret().trim().is_empty()) else {
        return Ok(None);
    };
    let client = messaging::SlackClient::new(&settings.slack.api_base, token.expose_secret(), Duration::from_secs(10))
        .map_err(|e| crate::config::ConfigError::Key { key: "slack".to_owned(), message: e.to_string() })?;
    Ok(Some(assessments::SlackSetup {
        client: Arc::new(client),
        default_channel: settings.slack.default_channel.clone(),
        poll_every: Duration::from_secs(settings.slack.poll_seconds.max(1)),
    }))
}

/// The configured application key, or the one kept in the data directory (created with mode
/// 0600 on first start).
fn load_or_create_app_key(settings: &Settings) -> Result<AppKey, StartupError> {
    if let Some(text) = &settings.security.app_encryption_key {
        return AppKey::from_text(text.expose_secret()).map_err(|e| StartupError::Key(e.to_string()));
    }
    let path = settings.app_key_path();
    match std::fs::read_to_string(&path) {
        Ok(text) => AppKey::from_text(text.trim()).map_err(|e| StartupError::Key(format!("{}: {e}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let text = AppKey::generate_text();
            write_private_file(&path, &text).map_err(|e| StartupError::Key(format!("{}: {e}", path.display())))?;
            tracing::warn!(
                path = %path.display(),
                "generated a new application key; back it up: tokens and sealed secrets depend on it"
            );
            AppKey::from_text(&text).map_err(|e| StartupError::Key(e.to_string()))
        }
        Err(e) => Err(StartupError::Key(format!("{}: {e}", path.display()))),
    }
}

/// Writes a new file readable only by its owner (mode 0600 on Unix), synced.
pub(crate) fn write_private_file(path: &Path, contents: &str) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}

/// Route templates and their methods, for answering 405 instead of 404.
struct KnownRoutes(Vec<(ResourceDef, Vec<Method>)>);

impl KnownRoutes {
    fn from_openapi(api: &utoipa::openapi::OpenApi) -> KnownRoutes {
        KnownRoutes(
            api.paths
                .paths
                .iter()
                .map(|(path, item)| {
                    let methods = [
                        (Method::GET, item.get.is_some()),
                        (Method::POST, item.post.is_some()),
                        (Method::PUT, item.put.is_some()),
                        (Method::PATCH, item.patch.is_some()),
                        (Method::DELETE, item.delete.is_some()),
                    ]
                    .into_iter()
                    .filter_map(|(m, present)| present.then_some(m))
                    .collect();
                    (ResourceDef::new(path.as_str()), methods)
                })
                .collect(),
        )
    }

    fn allowed(&self, path: &str) -> Option<&[Method]> {
        // A static route (`…/redaction-patterns`) wins over a templated one (`…/{id}`), as in routing.
        let mut matches: Vec<&(ResourceDef, Vec<Method>)> =
            self.0.iter().filter(|(def, _)| def.is_match(path)).collect();
        matches.sort_by_key(|(def, _)| def.pattern().is_some_and(|p| p.contains('{')));
        matches.first().map(|(_, methods)| methods.as_slice())
    }
}

async fn fallback(req: HttpRequest, routes: web::Data<KnownRoutes>) -> HttpResponse {
    match routes.allowed(req.path()) {
        Some(methods) => {
            let allow = methods.iter().map(Method::as_str).collect::<Vec<_>>().join(", ");
            HttpResponse::MethodNotAllowed()
                .insert_header((header::ALLOW, allow))
                .json(ErrorBody { detail: Detail::Message("Method Not Allowed".into()) })
        }
        None => HttpResponse::NotFound().json(ErrorBody { detail: Detail::Message("Not Found".into()) }),
    }
}

fn extractor_error(source: &str, message: String) -> actix_web::Error {
    ApiError::validation(vec![Problem::new(validation::loc![source], message)]).into()
}

/// Gives error responses that actix produced itself (no JSON body) the API's error body.
fn json_error_body<B: MessageBody + 'static>(res: ServiceResponse<B>) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // JSON errors stay as they are, and so do the privacy center's pages.
    let kept = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json") || v.as_bytes().starts_with(b"text/html"));
    if kept {
        return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
    }
    let status = res.status();
    let (req, old) = res.into_parts();
    let message = match status {
        StatusCode::INTERNAL_SERVER_ERROR => "Internal server error",
        other => other.canonical_reason().unwrap_or("Error"),
    };
    let mut new = HttpResponse::build(status).json(ErrorBody { detail: Detail::Message(message.into()) });
    for (name, value) in old.headers() {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            new.headers_mut().insert(name.clone(), value.clone());
        }
    }
    Ok(ErrorHandlerResponse::Response(ServiceResponse::new(req, new).map_into_right_body()))
}

/// The application `main` serves and the tests drive: every route, OpenAPI at `/openapi.json`,
/// Swagger UI at `/docs`, JSON errors everywhere, a request id per request.
pub fn build_app(
    state: AppState,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let (app, mut api) = App::new()
        .into_utoipa_app()
        .openapi(openapi::base())
        .app_data(web::Data::new(state))
        // Dataset uploads of a whole warehouse can be large; everything else is far smaller.
        .app_data(web::PayloadConfig::new(16 * 1024 * 1024))
        .app_data(web::PathConfig::default().error_handler(|e, _| extractor_error("path", e.to_string())))
        .app_data(web::QueryConfig::default().error_handler(|e, _| extractor_error("query", e.to_string())))
        .configure(routes::configure)
        .split_for_parts();
    openapi::finish(&mut api);
    let known = web::Data::new(KnownRoutes::from_openapi(&api));
    app.app_data(known)
        .configure(routes::privacy_center::configure)
        .service(web::redirect("/docs", "/docs/"))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .default_service(web::to(fallback))
        .wrap(actix_web::middleware::from_fn(crate::extract::authenticate))
        .wrap(ErrorHandlers::new().default_handler(json_error_body))
        .wrap_fn(|req, srv| {
            let request_id = req.extensions().get::<RequestId>().map(ToString::to_string);
            let response = srv.call(req);
            async move {
                let mut response = response.await?;
                if let Some(id) = request_id.and_then(|id| HeaderValue::from_str(&id).ok()) {
                    response.headers_mut().insert(HeaderName::from_static("x-request-id"), id);
                }
                Ok(response)
            }
        })
        .wrap_fn(|mut req, srv| {
            normalize_path(&mut req);
            srv.call(req)
        })
        .wrap(TracingLogger::default())
}

/// Accepts the assessment and system paths with or without a trailing slash: the spec writes
/// the assessments root as `…/privacy-assessments/` and Fides answers both forms. The root is
/// routed with its slash, everything below it without.
fn normalize_path(req: &mut ServiceRequest) {
    let base = routes::assessments::BASE;
    let path = req.path();
    let normalized = if path == base {
        format!("{base}/")
    } else if path.len() > base.len() + 1 && path.starts_with(base) && path.ends_with('/')
        || path.starts_with("/api/v1/system/") && path.ends_with('/')
    {
        path.trim_end_matches('/').to_owned()
    } else {
        return;
    };
    let mut parts = req.head().uri.clone().into_parts();
    let target = match parts.path_and_query.as_ref().and_then(|pq| pq.query()) {
        Some(query) => format!("{normalized}?{query}"),
        None => normalized,
    };
    let Ok(path_and_query) = target.parse() else { return };
    parts.path_and_query = Some(path_and_query);
    if let Ok(uri) = actix_web::http::Uri::from_parts(parts) {
        req.match_info_mut().get_mut().update(&uri);
        req.head_mut().uri = uri;
    }
}
