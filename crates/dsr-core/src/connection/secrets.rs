//! Connection secrets: checked by their store type ([`connectors::registry`]) or, for SaaS
//! connections, by the connector params of their `saas_config`; sealed at rest with the
//! application key, masked in responses, and a real connection test that reports the driver's
//! (or the API's) reason.

use std::sync::Arc;

use connectors::saas::client::SharedClient;
use connectors::saas::{SaasConfig, SaasConnector};
use connectors::{Connector, Kind};
use crypto::AppKey;

use super::model::ConnectionType;
use super::repo::ConnectionRow;
use crate::error::{DsrError, Result, StoreError};

/// What checks a connection's secrets.
#[derive(Clone)]
enum Schema {
    /// A database type.
    Store(&'static Kind),
    /// The connector params of a SaaS connection's config.
    Saas(Arc<SaasConfig>),
    /// An `https` connection: where policy webhooks post, and how they authenticate.
    Https,
}

/// The secrets of an `https` connection (Fides' `HttpsSchema`, plus optional headers).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HttpsSecrets {
    /// The `https://` URL webhooks post to.
    pub url: String,
    /// The `Authorization` header value sent with each call.
    pub authorization: String,
    /// More headers sent with each call.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
}

impl HttpsSecrets {
    /// The JSON schema of these secrets, for connection forms.
    fn schema() -> serde_json::Value {
        serde_json::json!({
            "title": "HttpsSchema", "type": "object",
            "properties": {
                "url": {"title": "URL", "type": "string", "description": "The https:// URL policy webhooks post to."},
                "authorization": {"title": "Authorization", "type": "string", "sensitive": true,
                    "description": "The Authorization header value sent with each call."},
                "headers": {"title": "Headers", "type": "object", "additionalProperties": {"type": "string"},
                    "description": "More headers sent with each call."}
            },
            "required": ["url", "authorization"], "additionalProperties": false
        })
    }

    /// Checks `value`: the known keys only, an absolute `https://` URL with a host, and headers
    /// HTTP can carry.
    fn check(value: serde_json::Value) -> Result<HttpsSecrets> {
        let secrets: HttpsSecrets =
            serde_json::from_value(value).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
        let url = reqwest::Url::parse(&secrets.url)
            .map_err(|e| DsrError::invalid(vec!["url".into()], format!("url is not a URL: {e}")))?;
        if url.scheme() != "https" || url.host_str().is_none_or(str::is_empty) {
            return Err(DsrError::invalid(vec!["url".into()], "url must be an https:// URL with a host"));
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err(DsrError::invalid(vec!["url".into()], "url may not carry credentials: use authorization"));
        }
        if reqwest::header::HeaderValue::from_str(&secrets.authorization).is_err() {
            return Err(DsrError::invalid(vec!["authorization".into()], "authorization is not a valid header value"));
        }
        for (name, value) in &secrets.headers {
            let valid = reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_ok()
                && reqwest::header::HeaderValue::from_str(value).is_ok();
            if !valid {
                return Err(DsrError::invalid(
                    vec!["headers".into(), name.as_str().into()],
                    format!("headers.{name} is not a valid header"),
                ));
            }
        }
        Ok(secrets)
    }
}

/// Secrets a store type accepted: complete (defaults filled in), as stored.
#[derive(Clone)]
pub struct Secrets {
    schema: Schema,
    value: serde_json::Value,
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let kind = match &self.schema {
            Schema::Store(kind) => kind.identifier,
            Schema::Saas(config) => config.kind.as_str(),
            Schema::Https => "https",
        };
        f.debug_struct("Secrets").field("kind", &kind).field("value", &self.masked()).finish()
    }
}

impl Secrets {
    /// Checks the secrets of a database connection type; every problem is named, located
    /// relative to the secrets object.
    pub fn parse(connection_type: ConnectionType, value: serde_json::Value) -> Result<Secrets> {
        if connection_type == ConnectionType::Https {
            let checked = HttpsSecrets::check(value)?;
            let value = serde_json::to_value(checked).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
            return Ok(Secrets { schema: Schema::Https, value });
        }
        let kind = kind(connection_type)?;
        let value = kind.check(value).map_err(DsrError::Invalid)?;
        Ok(Secrets { schema: Schema::Store(kind), value })
    }

    /// Checks the secrets of a SaaS connection against its config's connector params and
    /// external references; hosts `client` may call at non-public addresses are accepted for
    /// endpoint params too.
    pub fn parse_saas(config: Arc<SaasConfig>, value: serde_json::Value, client: &SharedClient) -> Result<Secrets> {
        let value = connectors::saas::secrets::check_trusting(&config, value, client.allowed_hosts())
            .map_err(DsrError::Invalid)?;
        Ok(Secrets { schema: Schema::Saas(config), value })
    }

    /// Checks secrets for the connection `row`: by its type, or by its `saas_config`.
    pub(crate) fn parse_for(row: &ConnectionRow, value: serde_json::Value, client: &SharedClient) -> Result<Secrets> {
        match row.connection_type {
            ConnectionType::Saas => Secrets::parse_saas(saas_config(row)?, value, client),
            other => Secrets::parse(other, value),
        }
    }

    /// The secrets as stored (JSON, before sealing).
    pub fn to_json(&self) -> &serde_json::Value {
        &self.value
    }

    /// The secrets as shown: sensitive values masked (and, for SaaS connections, keys outside
    /// the schema such as OAuth tokens left out).
    pub fn masked(&self) -> serde_json::Value {
        match &self.schema {
            Schema::Store(kind) => kind.masked(&self.value),
            Schema::Saas(config) => connectors::saas::secrets::shown(config, &self.value),
            Schema::Https => {
                let mut shown = self.value.clone();
                if let Some(authorization) = shown.get_mut("authorization") {
                    *authorization = serde_json::Value::from("**********");
                }
                shown
            }
        }
    }

    /// A connector for these secrets (SaaS calls go through `client`); nothing is opened yet.
    pub fn connector(&self, client: &SharedClient) -> std::result::Result<Box<dyn Connector>, StoreError> {
        match &self.schema {
            Schema::Store(kind) => kind.open(&self.value),
            Schema::Saas(config) => {
                let client = client.get().map_err(StoreError)?;
                Ok(Box::new(SaasConnector::new((**config).clone(), self.value.clone(), client)))
            }
            Schema::Https => Err(StoreError(
                "an https connection holds no data: policy webhooks call it before or after a request".to_owned(),
            )),
        }
    }

    /// A SaaS connection for these secrets (its OAuth flows); `Err` for other types.
    pub(crate) fn saas_connection(
        &self,
        client: &SharedClient,
    ) -> std::result::Result<connectors::saas::connection::SaasConnection, StoreError> {
        match &self.schema {
            Schema::Saas(config) => {
                let client = client.get().map_err(StoreError)?;
                Ok(connectors::saas::connection::SaasConnection::new((**config).clone(), self.value.clone(), client))
            }
            _ => Err(StoreError("only saas connections authorise through OAuth".to_owned())),
        }
    }

    /// These secrets with `renewed` values (tokens) set.
    pub(crate) fn renewed(&self, renewed: serde_json::Map<String, serde_json::Value>) -> Secrets {
        let mut value = self.value.clone();
        if let Some(object) = value.as_object_mut() {
            object.extend(renewed);
        }
        Secrets { schema: self.schema.clone(), value }
    }

    /// The secrets of an `https` connection; `None` for other types.
    pub fn https(&self) -> Option<HttpsSecrets> {
        match self.schema {
            Schema::Https => serde_json::from_value(self.value.clone()).ok(),
            _ => None,
        }
    }

    /// Whether a test has something to connect to (an `https` connection has not: calling it
    /// would send a webhook).
    pub fn testable(&self) -> bool {
        !matches!(self.schema, Schema::Https)
    }

    /// Connects and runs a trivial query (a SaaS config's `test_request`); `Err` carries the
    /// driver's or the API's reason.
    pub fn test(&self, client: &SharedClient) -> std::result::Result<(), StoreError> {
        self.connector(client)?.test()
    }
}

/// The store type of a database connection type.
fn kind(connection_type: ConnectionType) -> Result<&'static Kind> {
    connection_type.store_kind().ok_or_else(|| match connection_type {
        ConnectionType::Saas => DsrError::invalid(Vec::new(), "saas connections are checked by their saas_config"),
        _ => DsrError::invalid(Vec::new(), "manual_request connections take no secrets: people upload their data"),
    })
}

/// The stored `saas_config` of a SaaS connection; a 400 naming the route that sets it when
/// there is none.
pub(crate) fn saas_config(row: &ConnectionRow) -> Result<Arc<SaasConfig>> {
    let Some(text) = &row.saas_config else {
        return Err(DsrError::BadRequest(format!(
            "A SaaS config to validate the secrets is unavailable for this connection config, please add one via \
             PATCH /api/v1/connection/{}/saas_config",
            row.key
        )));
    };
    let corrupt = |e: String| DsrError::Db(db::DbError::Corrupt(format!("saas_config of connection {}: {e}", row.key)));
    let value = serde_json::from_str(text).map_err(|e| corrupt(e.to_string()))?;
    connectors::saas::from_value(value)
        .map(Arc::new)
        .map_err(|problems| corrupt(problems.iter().map(|p| p.msg.clone()).collect::<Vec<_>>().join("; ")))
}

/// A connection's secrets, opened, and the SaaS config of a SaaS connection that has one.
pub(crate) struct Opened {
    /// The secrets, if set.
    pub(crate) secrets: Option<Secrets>,
    /// The `saas_config`, read once.
    pub(crate) saas_config: Option<Arc<SaasConfig>>,
}

/// [`open`], with the SaaS config the secrets were opened with (read from the row only when
/// there are no secrets).
pub(crate) fn open_with_config(key: &AppKey, row: &ConnectionRow) -> Result<Opened> {
    let secrets = open(key, row)?;
    let saas_config = match secrets.as_ref().map(|s| &s.schema) {
        Some(Schema::Saas(config)) => Some(Arc::clone(config)),
        _ if row.connection_type == ConnectionType::Saas && row.saas_config.is_some() => Some(saas_config(row)?),
        _ => None,
    };
    Ok(Opened { secrets, saas_config })
}

/// The JSON schema of `https` connection secrets.
pub(crate) fn https_schema() -> serde_json::Value {
    HttpsSecrets::schema()
}

/// The secrets sealed with the application key, as stored.
pub(crate) fn seal(key: &AppKey, secrets: &Secrets) -> Result<Vec<u8>> {
    let plain = serde_json::to_vec(secrets.to_json()).map_err(|e| DsrError::invalid(Vec::new(), e.to_string()))?;
    Ok(crypto::seal(key, &plain))
}

/// A connection's secrets, opened with the application key.
pub(crate) fn open(key: &AppKey, row: &ConnectionRow) -> Result<Option<Secrets>> {
    let Some(sealed) = &row.secrets else { return Ok(None) };
    let corrupt = |what: &str| DsrError::Db(db::DbError::Corrupt(format!("secrets of connection {}: {what}", row.key)));
    let plain = crypto::open(key, sealed)
        .map_err(|e| corrupt(&format!("cannot be decrypted with the current app key ({e})")))?;
    let value: serde_json::Value = serde_json::from_slice(&plain).map_err(|e| corrupt(&format!("not JSON ({e})")))?;
    if row.connection_type == ConnectionType::Saas {
        // Checked when stored; a config replaced since may ask for more, which the API's
        // calls then report, and new secrets can be set.
        return Ok(Some(Secrets { schema: Schema::Saas(saas_config(row)?), value }));
    }
    Secrets::parse(row.connection_type, value).map(Some).map_err(|e| corrupt(&e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_are_checked_per_type_and_completed() {
        let pg = Secrets::parse(
            ConnectionType::Postgres,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "pw"}),
        )
        .unwrap();
        assert_eq!(pg.to_json()["port"], 5432);
        assert_eq!(pg.to_json()["ssl_mode"], "prefer");
        let Err(DsrError::Invalid(problems)) =
            Secrets::parse(ConnectionType::Postgres, serde_json::json!({"dbname": "x"}))
        else {
            panic!("missing host accepted")
        };
        assert_eq!(problems[0].msg, "missing field `host`");
        let Err(DsrError::Invalid(problems)) =
            Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": "/x", "host": "y"}))
        else {
            panic!("unknown field accepted")
        };
        assert!(problems[0].msg.contains("unknown field"));
        assert!(Secrets::parse(ConnectionType::Sqlite, serde_json::json!({"path": " "})).is_err());
        assert!(Secrets::parse(ConnectionType::ManualRequest, serde_json::json!({})).is_err());
    }

    #[test]
    fn https_secrets_need_an_https_url_and_hide_the_authorization() {
        let parse = |value| Secrets::parse(ConnectionType::Https, value);
        let ok =
            parse(serde_json::json!({"url": "https://hooks.example.com:8443/dsr", "authorization": "Bearer s3cret",
            "headers": {"X-Tenant": "acme"}}))
            .unwrap();
        assert_eq!(ok.masked()["authorization"], "**********");
        assert_eq!(ok.masked()["headers"]["X-Tenant"], "acme");
        assert!(!format!("{ok:?}").contains("s3cret"));
        assert!(!ok.testable());
        assert_eq!(ok.https().unwrap().url, "https://hooks.example.com:8443/dsr");
        for (value, loc, text) in [
            (serde_json::json!({"url": "http://hooks.example.com", "authorization": "x"}), "url", "https://"),
            (serde_json::json!({"url": "https://u:p@hooks.example.com", "authorization": "x"}), "url", "credentials"),
            (serde_json::json!({"url": "nope", "authorization": "x"}), "url", "not a URL"),
            (serde_json::json!({"url": "https://h.example.com", "authorization": "a\nb"}), "authorization", "header"),
            (
                serde_json::json!({"url": "https://h.example.com", "authorization": "x", "headers": {"bad name": "v"}}),
                "headers",
                "not a valid header",
            ),
        ] {
            let Err(DsrError::Invalid(problems)) = parse(value.clone()) else { panic!("{value} accepted") };
            assert_eq!(problems[0].loc[0], validation::Loc::from(loc), "{value}");
            assert!(problems[0].msg.contains(text), "{value}: {}", problems[0].msg);
        }
        let Err(DsrError::Invalid(problems)) = parse(serde_json::json!({"url": "https://h.example.com"})) else {
            panic!("missing authorization accepted")
        };
        assert!(problems[0].msg.contains("authorization"), "{}", problems[0].msg);
    }

    #[test]
    fn sensitive_values_are_masked() {
        let secrets = Secrets::parse(
            ConnectionType::Mariadb,
            serde_json::json!({"host": "db", "dbname": "shop", "password": "hunter2"}),
        )
        .unwrap();
        let masked = secrets.masked();
        assert_eq!(masked["password"], "**********");
        assert_eq!(masked["host"], "db");
        assert!(!masked.to_string().contains("hunter2"));
        assert!(!format!("{secrets:?}").contains("hunter2"));
    }
}
