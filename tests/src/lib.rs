//! Helpers for black-box tests of the Lethe server: a [`TestApp`] is the same application `main`
//! builds, over a fresh database (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set).

#![expect(clippy::expect_used, reason = "test helpers: a test cannot run without its app")]

pub mod assess;
pub mod fake_http;
pub mod shop;
pub mod smtp;
pub mod tls;

use actix_web::body::MessageBody;
use actix_web::dev::{Service, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::HeaderMap;
use actix_web::test;
use db::testing::TestDb;
use gateway::{AppState, Application, Settings};
use secrecy::SecretString;
use serde_json::Value;

/// The root client's secret in every test app.
pub const ROOT_SECRET: &str = "root-test-secret";
/// The application key in every test app.
pub const APP_KEY: &str = "test-key-0123456789abcdef0123456";

/// The settings of a test app over database `url` and data directory `dir` (a second gateway,
/// or another process, over the same app uses them too), adjusted by `adjust`.
pub fn settings(url: &str, dir: &std::path::Path, adjust: impl FnOnce(&mut Settings)) -> Settings {
    let mut settings = Settings::default();
    settings.server.data_dir = dir.to_path_buf();
    settings.database.url = Some(SecretString::from(url.to_owned()));
    settings.database.pool_size = 4;
    settings.security.root_client_id = "root".to_owned();
    settings.security.root_client_secret = Some(SecretString::from(ROOT_SECRET));
    settings.security.app_encryption_key = Some(SecretString::from(APP_KEY));
    adjust(&mut settings);
    settings
}

/// A prepared server over a private database and data directory.
pub struct TestApp {
    /// The database; dropped (schema removed) with the app.
    pub db: TestDb,
    /// The data directory.
    pub dir: tempfile::TempDir,
    /// The prepared application.
    pub app: Application,
}

impl TestApp {
    /// Builds the application the way `main` does.
    pub fn new() -> TestApp {
        Self::with(|_| {})
    }

    /// Builds the application after adjusting the settings.
    pub fn with(adjust: impl FnOnce(&mut Settings)) -> TestApp {
        let db = TestDb::new();
        let dir = tempfile::tempdir().expect("temporary data directory");
        let app = Application::build(settings(db.url(), dir.path(), adjust)).expect("build the application");
        TestApp { db, dir, app }
    }

    /// The shared state.
    pub fn state(&self) -> AppState {
        self.app.state().clone()
    }

    /// A token of the root client (every scope).
    pub fn root_token(&self) -> String {
        self.app.state().auth.issue_token("root", ROOT_SECRET).expect("root token").access_token
    }

    /// A new client holding exactly `scopes`: its id and a token.
    pub fn client_with(&self, scopes: &[&str]) -> (String, String) {
        let auth = &self.app.state().auth;
        let root = auth.authenticate(&self.root_token()).expect("root principal");
        let created = auth
            .create_client(
                &root,
                auth::ClientCreate { scopes: scopes.iter().map(|s| s.to_string()).collect(), name: None },
            )
            .expect("create client");
        let token = auth.issue_token(&created.client_id, &created.client_secret).expect("token").access_token;
        (created.client_id, token)
    }

    /// A token of a new client holding exactly `scopes`.
    pub fn token_with(&self, scopes: &[&str]) -> String {
        self.client_with(scopes).1
    }
}

impl Default for TestApp {
    fn default() -> TestApp {
        TestApp::new()
    }
}

/// A response read whole: status, headers and body (JSON when it parses, else a string).
#[derive(Debug)]
pub struct Reply {
    /// Status code.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body.
    pub body: Value,
}

impl Reply {
    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

impl TestApp {
    /// The application as an actix test service, ready to `send` requests to.
    pub async fn service(
        &self,
    ) -> impl Service<
        actix_http::Request,
        Response = ServiceResponse<impl MessageBody + use<>>,
        Error = actix_web::Error,
    > + use<> {
        test::init_service(gateway::build_app(self.state())).await
    }
}

/// A fresh application (default settings), its service and a root token: what most tests start
/// with. Keep the app alive for the test (it owns the database).
pub async fn ready() -> (
    TestApp,
    impl Service<actix_http::Request, Response = ServiceResponse<impl MessageBody>, Error = actix_web::Error>,
    String,
) {
    let app = TestApp::new();
    let service = app.service().await;
    let root = app.root_token();
    (app, service, root)
}

/// Sends `request` to the service and reads the reply.
pub async fn send<S, B>(service: &S, request: test::TestRequest) -> Reply
where
    S: Service<actix_http::Request, Response = ServiceResponse<B>, Error = actix_web::Error>,
    B: MessageBody,
{
    let response = test::call_service(service, request.to_request()).await;
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = test::read_body(response).await;
    let body =
        serde_json::from_slice(&bytes).unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply { status, headers, body }
}

/// `Authorization: Bearer <token>`.
pub fn bearer(token: &str) -> (&'static str, String) {
    ("Authorization", format!("Bearer {token}"))
}
