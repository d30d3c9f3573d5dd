//! `lethe demo`: a first request in five minutes. Before serving, it (re)creates a small sample
//! customer database (SQLite, in the data directory), registers it as connection `demo_shop`
//! with its dataset, makes sure a demo client exists, and prints the commands that submit an
//! access request, watch it complete and download the package.

use std::path::{Path, PathBuf};

use auth::{ClientCreate, Principal};
use diesel::Connection;
use diesel::connection::SimpleConnection;
use dsr_core::{AccessLevel, ConnectionCreate, ConnectionType, DatasetFile};
use serde::{Deserialize, Serialize};

use crate::startup::{Application, StartupError};

/// The connection key of the sample database.
pub const CONNECTION: &str = "demo_shop";
const SQL: &str = include_str!("demo/shop.sql");
const DATASET: &str = include_str!("demo/shop_dataset.yml");
/// What the demo client may do: submit, watch, review and download requests, and look around.
const SCOPES: &[&str] = &[
    "privacy-request:create",
    "privacy-request:read",
    "privacy-request:review",
    "privacy-request:resume",
    "privacy-request-access-results:read",
    "connection:read",
    "dataset:read",
    "policy:read",
    "rule:read",
    "data_category:read",
];

/// The demo, ready to be used.
#[derive(Debug, Clone)]
pub struct Demo {
    /// The sample database.
    pub database: PathBuf,
    /// The demo client's credentials (kept in `<data_dir>/demo/client.json`, mode 0600).
    pub client: DemoClient,
    /// A token of the demo client.
    pub token: String,
}

/// The demo client's credentials.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DemoClient {
    /// Client id.
    pub client_id: String,
    /// Client secret.
    pub client_secret: String,
}

fn failed(what: &str, e: impl std::fmt::Display) -> StartupError {
    StartupError::Demo(format!("{what}: {e}"))
}

/// Creates the sample database afresh, registers it, and gets the demo client and a token.
pub fn prepare(app: &Application) -> Result<Demo, StartupError> {
    let dir = app.settings().server.data_dir.join("demo");
    std::fs::create_dir_all(&dir).map_err(|e| failed("creating the demo directory", e))?;
    let database = dir.join("shop.db");
    create_database(&database)?;
    let state = app.state();
    let database_path = std::fs::canonicalize(&database).unwrap_or_else(|_| database.clone());
    state
        .connections
        .upsert_connections(vec![ConnectionCreate {
            key: Some(CONNECTION.to_owned()),
            name: "Demo shop".to_owned(),
            connection_type: ConnectionType::Sqlite,
            access: AccessLevel::Write,
            disabled: false,
            description: Some("The sample customer database of lethe demo".to_owned()),
            saas_connector_type: None,
            secrets: None,
        }])
        .map_err(|e| failed("registering the demo connection", e))?;
    let tested = state
        .connections
        .set_connection_secrets(CONNECTION, serde_json::json!({"path": database_path.display().to_string()}), true)
        .map_err(|e| failed("storing the demo connection's secrets", e))?;
    if let Some(reason) = tested.failure_reason {
        return Err(failed("testing the demo database", reason));
    }
    let file: DatasetFile = serde_norway::from_str(DATASET).map_err(|e| failed("reading the demo dataset", e))?;
    let stored =
        state.datasets.upsert_datasets(CONNECTION, file.dataset).map_err(|e| failed("storing the demo dataset", e))?;
    if let Some(refused) = stored.failed.first() {
        return Err(failed("storing the demo dataset", &refused.message));
    }
    let client = demo_client(app, &dir.join("client.json"))?;
    let token = state
        .auth
        .issue_token(&client.client_id, &client.client_secret)
        .map_err(|e| failed("issuing the demo token", e))?
        .access_token;
    Ok(Demo { database, client, token })
}

fn create_database(path: &Path) -> Result<(), StartupError> {
    for stale in [path.to_path_buf(), path.with_extension("db-journal")] {
        match std::fs::remove_file(&stale) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(failed("removing the old demo database", e)),
        }
    }
    let mut conn = diesel::SqliteConnection::establish(&path.display().to_string())
        .map_err(|e| failed("creating the demo database", e))?;
    conn.batch_execute(SQL).map_err(|e| failed("filling the demo database", e))
}

/// The demo client kept in `file`, or a new one (stored there) when it is missing or no longer
/// works (another database, say).
fn demo_client(app: &Application, file: &Path) -> Result<DemoClient, StartupError> {
    let auth = &app.state().auth;
    if let Some(client) = std::fs::read(file).ok().and_then(|bytes| serde_json::from_slice::<DemoClient>(&bytes).ok())
        && auth.issue_token(&client.client_id, &client.client_secret).is_ok()
    {
        return Ok(client);
    }
    let root = Principal {
        client_id: app.settings().security.root_client_id.clone(),
        scopes: auth::scopes::ALL.iter().map(|s| (*s).to_owned()).collect(),
    };
    let created = auth
        .create_client(
            &root,
            ClientCreate { scopes: SCOPES.iter().map(|s| (*s).to_owned()).collect(), name: Some("demo".to_owned()) },
        )
        .map_err(|e| failed("creating the demo client", e))?;
    let client = DemoClient { client_id: created.client_id, client_secret: created.client_secret };
    let json = serde_json::to_vec_pretty(&client).map_err(|e| failed("saving the demo client", e))?;
    let _ = std::fs::remove_file(file);
    crate::startup::write_private_file(file, &String::from_utf8_lossy(&json))
        .map_err(|e| failed("saving the demo client", e))?;
    Ok(client)
}

/// What `lethe demo` prints: where the data is and the walkthrough's commands for `base`.
pub fn instructions(demo: &Demo, base: &str) -> String {
    format!(
        "\nDemo data is ready: a sample customer database at {database} (customers, addresses, orders),\n\
         registered as connection `{CONNECTION}`, and a demo client ({id}, secret {secret}).\n\
         In another terminal, set:\n\n  \
         export LETHE={base} TOKEN={token}\n\n\
         then submit an access request for jane@example.com, watch it complete and download the package:\n\n  \
         ID=$(curl -s -X POST \"$LETHE/api/v1/privacy-request/authenticated\" -H \"Authorization: Bearer $TOKEN\" \\\n    \
         -H 'Content-Type: application/json' -d '[{{\"identity\": {{\"email\": \"jane@example.com\"}}, \"policy_key\": \"default_access_policy\"}}]' \\\n    \
         | grep -o 'pri_[0-9a-f-]*' | head -n 1)\n  \
         curl -s \"$LETHE/api/v1/privacy-request/$ID\" -H \"Authorization: Bearer $TOKEN\" | grep -o '\"status\":\"[a-z_]*\"'\n  \
         curl -s \"$(curl -s \"$LETHE/api/v1/privacy-request/$ID/access-results\" -H \"Authorization: Bearer $TOKEN\" \\\n    \
         | grep -o 'http[^\"]*')\"\n\n\
         The README walks through an erasure and the Swagger UI ({base}/docs) too.\n",
        database = demo.database.display(),
        id = demo.client.client_id,
        secret = demo.client.client_secret,
        token = demo.token,
    )
}
