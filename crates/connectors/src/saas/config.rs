//! The `saas_config` format (Fides' declarative description of an HTTP API), read strictly:
//! every key of a request is known (an unknown one is refused, as Fides does), strategies are
//! checked when the file is loaded rather than when a request first needs them, and anything
//! that would run code (`request_override`) is refused.

use serde::{Deserialize, Serialize};
use serde_json::Value;
use validation::{Loc, Problem, loc};

/// A SaaS connector: how to reach the API and one endpoint per collection of its dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SaasConfig {
    /// Key of the dataset the endpoints belong to (the connection's instance key).
    pub fides_key: String,
    /// Human-readable name.
    pub name: String,
    /// Connector type (lower-cased when loaded): the template it came from.
    #[serde(rename = "type")]
    pub kind: String,
    /// What it is.
    pub description: String,
    /// Version of the config, logged with each execution.
    pub version: String,
    /// Link to the connector's guide.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_guide: Option<String>,
    /// UI metadata (category, tags, features), kept as given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_info: Option<Value>,
    /// The secrets a connection of this type holds.
    pub connector_params: Vec<ConnectorParam>,
    /// Secrets naming a field of another dataset (`{dataset, field, direction}`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub external_references: Vec<ExternalReference>,
    /// Protocol, host and authentication of every request that does not bring its own.
    pub client_config: ClientConfig,
    /// The request of the connection test.
    pub test_request: SaasRequest,
    /// One per collection of the dataset, matched by name.
    pub endpoints: Vec<Endpoint>,
    /// A request made once per row of every collection without an `update` ("GDPR delete").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_protection_request: Option<SaasRequest>,
    /// Rate limits of every request that does not bring its own.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_config: Option<RateLimitConfig>,
    /// Consent propagation requests (kept, not run).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub consent_requests: Option<Value>,
}

/// A default value of a connector param.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum ParamDefault {
    /// A string.
    Text(String),
    /// An integer.
    Integer(i64),
    /// Several strings (multiselect).
    Texts(Vec<String>),
    /// Several integers (multiselect).
    Integers(Vec<i64>),
}

impl ParamDefault {
    /// Whether the default counts as given (Fides: a truthy value; else the secret is required).
    pub fn is_set(&self) -> bool {
        match self {
            ParamDefault::Text(s) => !s.is_empty(),
            ParamDefault::Integer(i) => *i != 0,
            ParamDefault::Texts(v) => !v.is_empty(),
            ParamDefault::Integers(v) => !v.is_empty(),
        }
    }

    /// The default as a secret value.
    pub fn to_value(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }
}

/// What kind of value a connector param holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamType {
    /// A host name, restricted to `allowed_values`.
    Endpoint,
}

/// A secret of a SaaS connection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConnectorParam {
    /// Its key in the secrets.
    pub name: String,
    /// Form label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Form help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Used when the secret is not given; without one the secret is required.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default_value: Option<ParamDefault>,
    /// Never shown again once stored.
    #[serde(default)]
    pub sensitive: bool,
    /// The values allowed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Several of `options` may be chosen.
    #[serde(default)]
    pub multiselect: bool,
    /// `endpoint`: a host restricted to `allowed_values`.
    #[serde(default, rename = "type", skip_serializing_if = "Option::is_none")]
    pub param_type: Option<ParamType>,
    /// Host patterns (`*` = one or more of `[a-zA-Z0-9._-]`); empty = any host (self-hosted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub allowed_values: Option<Vec<String>>,
}

impl ConnectorParam {
    /// Whether a connection must give this secret.
    pub fn is_required(&self) -> bool {
        !self.default_value.as_ref().is_some_and(ParamDefault::is_set)
    }
}

/// A secret naming a field of another dataset.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExternalReference {
    /// Its key in the secrets.
    pub name: String,
    /// Form label.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Form help.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// Where and how requests are sent. A port goes in `host` (`api.example.com:8443`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClientConfig {
    /// `https` (or `http`, for hosts allowed to be reached without TLS).
    pub protocol: String,
    /// Host (templated over the secrets), optionally with a port.
    pub host: String,
    /// How requests prove who sends them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Authentication>,
}

/// A `{name, value}` pair of headers and API-key parameters.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    /// Header name.
    pub name: String,
    /// Templated value.
    pub value: String,
}

/// A query parameter: a templated string or a number (pagination offsets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryParam {
    /// Parameter name.
    pub name: String,
    /// Templated value.
    pub value: TextOrNumber,
}

/// A string or an integer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum TextOrNumber {
    /// A number.
    Number(i64),
    /// Text.
    Text(String),
}

impl std::fmt::Display for TextOrNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TextOrNumber::Number(n) => write!(f, "{n}"),
            TextOrNumber::Text(s) => f.write_str(s),
        }
    }
}

/// An authentication strategy and its configuration (all values templated over the secrets).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "configuration", rename_all = "snake_case")]
pub enum Authentication {
    /// `Authorization: Basic base64(username:password)`.
    Basic {
        /// User name.
        username: String,
        /// Password (empty when absent).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        password: Option<String>,
    },
    /// `Authorization: Bearer <token>`.
    Bearer {
        /// The token.
        token: String,
    },
    /// Headers, query parameters and body keys carrying a key.
    ApiKey {
        /// Headers to set.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        headers: Vec<Header>,
        /// Query parameters to set.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        query_params: Vec<Header>,
        /// A JSON object (templated) merged into the body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        body: Option<String>,
    },
    /// One query parameter.
    QueryParam {
        /// Parameter name.
        name: String,
        /// Templated value.
        value: String,
    },
    /// OAuth 2 client credentials: a token fetched with `token_request`, cached, refreshed before it expires.
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials {
        /// The token request.
        token_request: Box<SaasRequest>,
        /// Token lifetime in seconds (else the response's `expires_in`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_in: Option<u64>,
        /// Accepted, not used (the token request is made again).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_request: Option<Box<SaasRequest>>,
    },
    /// OAuth 2 authorization code: a person authorises the connection in a browser.
    #[serde(rename = "oauth2_authorization_code")]
    OAuth2AuthorizationCode {
        /// The authorize page (path and query).
        authorization_request: Box<SaasRequest>,
        /// Exchanges the code for tokens.
        token_request: Box<SaasRequest>,
        /// Refreshes the access token.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        refresh_request: Option<Box<SaasRequest>>,
        /// Token lifetime in seconds (else the response's `expires_in`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        expires_in: Option<u64>,
    },
}

/// One or several requests (an endpoint's reads).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(untagged)]
pub enum OneOrMany<T> {
    /// One.
    One(Box<T>),
    /// Several.
    Many(Vec<T>),
}

// By hand rather than untagged: an error inside the one request (or the list) keeps its
// message and location instead of "did not match any variant".
impl<'de, T: Deserialize<'de>> Deserialize<'de> for OneOrMany<T> {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor<T>(std::marker::PhantomData<T>);
        impl<'de, T: Deserialize<'de>> serde::de::Visitor<'de> for Visitor<T> {
            type Value = OneOrMany<T>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a request or a list of requests")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                T::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(|one| OneOrMany::One(Box::new(one)))
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                let mut many = Vec::new();
                while let Some(item) = seq.next_element()? {
                    many.push(item);
                }
                Ok(OneOrMany::Many(many))
            }
        }
        deserializer.deserialize_any(Visitor(std::marker::PhantomData))
    }
}

impl<T> OneOrMany<T> {
    /// The items, in order.
    pub fn items(&self) -> Vec<&T> {
        match self {
            OneOrMany::One(one) => vec![one],
            OneOrMany::Many(many) => many.iter().collect(),
        }
    }
}

/// The requests of an endpoint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Requests {
    /// How its rows are read (one request, or several tried by identity).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub read: Option<OneOrMany<SaasRequest>>,
    /// How a row is masked.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub update: Option<SaasRequest>,
    /// How a row is deleted.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub delete: Option<SaasRequest>,
}

/// One collection of the dataset, as the API serves it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// The collection's name.
    pub name: String,
    /// Its requests.
    pub requests: Requests,
    /// Collections (`dataset.collection`) read before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub after: Vec<String>,
    /// Collections (`dataset.collection`) erased before this one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub erase_after: Vec<String>,
    /// Left out of the graph.
    #[serde(default)]
    pub skip_processing: bool,
}

/// An HTTP method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Method {
    /// GET.
    Get,
    /// POST.
    Post,
    /// PATCH.
    Patch,
    /// PUT.
    Put,
    /// DELETE.
    Delete,
    /// OPTIONS.
    Options,
    /// HEAD.
    Head,
}

impl Method {
    /// The method's name as HTTP writes it.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Get => "GET",
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
            Method::Options => "OPTIONS",
            Method::Head => "HEAD",
        }
    }
}

/// Which error statuses a request accepts as "no data".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum IgnoreErrors {
    /// All (`true`) or none (`false`).
    All(bool),
    /// These statuses.
    Statuses(Vec<u16>),
}

impl Default for IgnoreErrors {
    fn default() -> IgnoreErrors {
        IgnoreErrors::All(false)
    }
}

impl IgnoreErrors {
    /// Whether a response of `status` is treated as an empty body.
    pub fn ignores(&self, status: u16) -> bool {
        match self {
            IgnoreErrors::All(all) => *all,
            IgnoreErrors::Statuses(statuses) => statuses.contains(&status),
        }
    }

    fn is_default(&self) -> bool {
        *self == IgnoreErrors::All(false)
    }
}

/// One request of the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SaasRequest {
    /// HTTP method; required with a path.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<Method>,
    /// Templated path (may carry a literal query).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<String>,
    /// Templated headers; one with an unresolved placeholder is left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<Header>,
    /// Templated query parameters; one with an unresolved placeholder is left out.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query_params: Vec<QueryParam>,
    /// Templated body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<String>,
    /// Where placeholder values come from.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub param_values: Vec<ParamValue>,
    /// Replaces the connector's client config for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_config: Option<ClientConfig>,
    /// Dotted path of the records in the response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_path: Option<String>,
    /// Run in order over each page's records.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub postprocessors: Vec<Postprocessor>,
    /// How further pages are requested.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
    /// Param values kept together per upstream row.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub grouped_inputs: Vec<String>,
    /// Error statuses read as an empty body.
    #[serde(default, skip_serializing_if = "IgnoreErrors::is_default")]
    pub ignore_errors: IgnoreErrors,
    /// Skip (rather than fail) a request whose required placeholders cannot be filled.
    #[serde(default)]
    pub skip_missing_param_values: bool,
    /// Replaces the connector's rate limits for this request.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit_config: Option<RateLimitConfig>,
    /// Asynchronous completion (callback or polling); refused when loaded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub async_config: Option<Value>,
    /// Path of the job id in the response (polling).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub correlation_id_path: Option<String>,
    /// A JSON template building each row (reads).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output: Option<String>,
    /// Names custom code; refused when loaded (Lethe never runs code from a config).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request_override: Option<String>,
}

/// A reference to a field of a collection.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldReference {
    /// Dataset key.
    pub dataset: String,
    /// `collection.field` (dotted deeper for nested values).
    pub field: String,
    /// `from` (values flow from the referenced field); `to` is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<String>,
}

/// A reference of a param value: a field, or the name of an external-reference secret.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Reference {
    /// A field of a collection.
    Field(FieldReference),
    /// The name of an `external_references` secret.
    External(String),
}

/// Where a placeholder's values come from: exactly one of identity, references, connector param.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamValue {
    /// The placeholder (and a field of the endpoint's collection).
    pub name: String,
    /// An identity (`email`, `phone_number`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub identity: Option<String>,
    /// Fields of other collections.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub references: Option<Vec<Reference>>,
    /// A secret.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub connector_param: Option<String>,
    /// One request per element of a list value.
    #[serde(default)]
    pub unpack: bool,
}

/// A filter value: literal text, an identity, or values of a field of earlier results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FilterValue {
    /// The subject's identity of that name.
    Identity {
        /// Identity name.
        identity: String,
    },
    /// `dataset.collection.field` of earlier access results.
    DatasetReference {
        /// The reference.
        dataset_reference: String,
    },
    /// A literal.
    Literal(TextOrNumber),
}

fn yes() -> bool {
    true
}

/// A postprocessor run over each page's records.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "configuration", rename_all = "snake_case")]
pub enum Postprocessor {
    /// Keeps the records whose `field` matches `value`.
    Filter {
        /// Dotted path (fans out through lists).
        field: String,
        /// What it must match.
        value: FilterValue,
        /// Whole-string match (else substring).
        #[serde(default = "yes")]
        exact: bool,
        /// Case matters.
        #[serde(default = "yes")]
        case_sensitive: bool,
    },
    /// Replaces each record by the value at `data_path`, flattening one level.
    Unwrap {
        /// Dotted path.
        data_path: String,
    },
    /// Adds the response (or the value at `path`) to the execution log.
    ExtractForExecutionLog {
        /// Dotted path.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
    },
}

/// An offset limit: a number or a connector param holding one.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Limit {
    /// A number.
    Number(i64),
    /// `{connector_param: name}`.
    Param {
        /// The secret holding the limit.
        connector_param: String,
    },
}

/// Where a link pagination finds the next page.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkSource {
    /// A `Link` header with `rel`.
    Headers,
    /// A field of the body at `path`.
    Body,
}

/// How further pages are requested.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "strategy", content = "configuration", rename_all = "snake_case")]
pub enum Pagination {
    /// A query parameter grows by `increment_by` until no records come or it passes `limit`.
    Offset {
        /// The query parameter (declared in the request's `query_params` with a number).
        incremental_param: String,
        /// Step (> 0).
        increment_by: i64,
        /// Last value asked for.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<Limit>,
    },
    /// `cursor_param` = `field` of the last record (else of the response root).
    Cursor {
        /// The query parameter.
        cursor_param: String,
        /// Dotted path of the cursor.
        field: String,
        /// Dotted path of a "has more" flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        has_next: Option<String>,
    },
    /// The next page's URL, from a `Link` header or the body.
    Link {
        /// Header or body.
        source: LinkSource,
        /// The `rel` of the header link.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rel: Option<String>,
        /// Dotted path of the URL in the body.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Dotted path of a "has more" flag.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        has_next: Option<String>,
    },
}

/// A rate-limit period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// One second.
    Second,
    /// One minute.
    Minute,
    /// One hour.
    Hour,
    /// One day.
    Day,
}

impl Period {
    /// Its length in seconds.
    pub fn seconds(self) -> u64 {
        match self {
            Period::Second => 1,
            Period::Minute => 60,
            Period::Hour => 3_600,
            Period::Day => 86_400,
        }
    }
}

/// At most `rate` requests per `period`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// Requests allowed per period (> 0).
    pub rate: u32,
    /// The period.
    pub period: Period,
    /// Limits sharing a key share their count (default: the connection).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub custom_key: Option<String>,
}

/// Rate limits; `enabled: false` switches them off.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    /// Whether the limits apply (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub enabled: Option<bool>,
    /// The limits.
    #[serde(default)]
    pub limits: Vec<RateLimit>,
}

/// Collects problems under a location.
struct Checker {
    problems: Vec<Problem>,
}

impl Checker {
    fn fail(&mut self, loc: Vec<Loc>, msg: impl Into<String>) {
        self.problems.push(Problem::new(loc, msg));
    }

    fn request(&mut self, at: &[Loc], request: &SaasRequest, read: bool) {
        let here = |key: &str| -> Vec<Loc> {
            let mut loc = at.to_vec();
            loc.push(key.into());
            loc
        };
        if request.request_override.is_some() {
            self.fail(
                here("request_override"),
                "request_override names custom code, which Lethe never runs: describe the request with \
                 method, path, headers, query_params and body",
            );
        }
        if request.async_config.is_some() {
            self.fail(here("async_config"), "asynchronous requests (callback or polling) are not supported");
        }
        match (&request.path, &request.output) {
            (None, None) if read => {
                self.fail(here("path"), "A read request must specify either a path or an output");
            }
            (None, _) if !read => self.fail(here("path"), "A request must specify a path"),
            _ => {}
        }
        if request.path.is_some() && request.method.is_none() {
            self.fail(here("method"), "A request must specify a method");
        }
        if let Some(client) = &request.client_config {
            self.client(&here("client_config"), client);
        }
        for (i, param) in request.param_values.iter().enumerate() {
            let mut loc = here("param_values");
            loc.push(i.into());
            let sources = [param.identity.is_some(), param.references.is_some(), param.connector_param.is_some()];
            if sources.iter().filter(|s| **s).count() != 1 {
                self.fail(loc.clone(), "Must have exactly one of 'identity', 'references', or 'connector_param'");
            }
            for (j, reference) in param.references.iter().flatten().enumerate() {
                if let Reference::Field(field) = reference {
                    let mut loc = loc.clone();
                    loc.extend(loc!["references", j]);
                    if field.direction.as_deref() == Some("to") {
                        self.fail(loc.clone(), "direction 'to' is not supported for SaaS param values: use 'from'");
                    }
                    if !field.field.contains('.') {
                        self.fail(loc, "field must be 'collection.field'");
                    }
                }
            }
        }
        self.grouped_inputs(&here("grouped_inputs"), request);
        if let Some(Pagination::Offset { incremental_param, increment_by, .. }) = &request.pagination {
            match request.query_params.iter().find(|q| &q.name == incremental_param) {
                None => self.fail(here("pagination"), format!("Query param '{incremental_param}' not found.")),
                Some(QueryParam { value: TextOrNumber::Text(_), .. }) => self.fail(
                    here("pagination"),
                    format!("Query param '{incremental_param}' must have a number as its starting value"),
                ),
                Some(_) => {}
            }
            if *increment_by <= 0 {
                self.fail(here("pagination"), "increment_by must be greater than 0");
            }
        }
        if let Some(Pagination::Link { source, rel, path, .. }) = &request.pagination {
            match source {
                LinkSource::Headers if rel.is_none() => {
                    self.fail(here("pagination"), "A link pagination from headers needs a rel")
                }
                LinkSource::Body if path.is_none() => {
                    self.fail(here("pagination"), "A link pagination from the body needs a path")
                }
                _ => {}
            }
        }
        if let Some(limits) = &request.rate_limit_config {
            self.rate_limits(&here("rate_limit_config"), limits);
        }
    }

    fn grouped_inputs(&mut self, at: &[Loc], request: &SaasRequest) {
        let mut collections = Vec::new();
        for name in &request.grouped_inputs {
            let Some(param) = request.param_values.iter().find(|p| &p.name == name) else {
                self.fail(at.to_vec(), format!("Grouped input '{name}' is not one of the request's param_values"));
                continue;
            };
            if param.connector_param.is_some() {
                self.fail(at.to_vec(), format!("Grouped input '{name}' must be an identity or a reference"));
            }
            for reference in param.references.iter().flatten() {
                match reference {
                    Reference::Field(field) => {
                        let collection = field.field.split('.').next().unwrap_or_default();
                        collections.push((field.dataset.clone(), collection.to_owned()));
                    }
                    Reference::External(_) => {
                        self.fail(at.to_vec(), format!("Grouped input '{name}' cannot be an external reference"))
                    }
                }
            }
        }
        collections.dedup();
        if collections.len() > 1 {
            self.fail(at.to_vec(), "Grouped input fields must all reference the same collection.");
        }
    }

    fn client(&mut self, at: &[Loc], client: &ClientConfig) {
        if !matches!(client.protocol.as_str(), "https" | "http") {
            let mut loc = at.to_vec();
            loc.push("protocol".into());
            self.fail(loc, "protocol must be 'https' or 'http'");
        }
        if let Some(auth) = &client.authentication {
            let mut loc = at.to_vec();
            loc.push("authentication".into());
            match auth {
                Authentication::ApiKey { headers, query_params, body }
                    if headers.is_empty() && query_params.is_empty() && body.is_none() =>
                {
                    self.fail(loc, "An api_key authentication needs headers, query_params or a body");
                }
                Authentication::OAuth2ClientCredentials { token_request, refresh_request, .. } => {
                    self.request(&[loc.clone(), loc!["configuration", "token_request"]].concat(), token_request, false);
                    if let Some(refresh) = refresh_request {
                        self.request(&[loc, loc!["configuration", "refresh_request"]].concat(), refresh, false);
                    }
                }
                Authentication::OAuth2AuthorizationCode {
                    authorization_request,
                    token_request,
                    refresh_request,
                    ..
                } => {
                    let configuration = [loc.clone(), loc!["configuration"]].concat();
                    self.request(
                        &[configuration.clone(), loc!["authorization_request"]].concat(),
                        authorization_request,
                        false,
                    );
                    self.request(&[configuration.clone(), loc!["token_request"]].concat(), token_request, false);
                    if let Some(refresh) = refresh_request {
                        self.request(&[configuration, loc!["refresh_request"]].concat(), refresh, false);
                    }
                }
                _ => {}
            }
        }
    }

    fn rate_limits(&mut self, at: &[Loc], config: &RateLimitConfig) {
        if config.enabled.unwrap_or(true) && config.limits.is_empty() {
            self.fail(at.to_vec(), "limits must be set if enabled is not false");
        }
        for (i, limit) in config.limits.iter().enumerate() {
            if limit.rate == 0 {
                self.fail([at.to_vec(), loc!["limits", i, "rate"]].concat(), "rate must be greater than 0");
            }
        }
    }

    fn params(&mut self, params: &[ConnectorParam]) {
        for (i, param) in params.iter().enumerate() {
            let loc = loc!["connector_params", i];
            if params[..i].iter().any(|p| p.name == param.name) {
                self.fail(loc.clone(), format!("connector param '{}' is declared twice", param.name));
            }
            if param.multiselect && param.options.is_none() {
                self.fail(loc.clone(), "multiselect needs options");
            }
            match (&param.default_value, &param.options) {
                (Some(ParamDefault::Text(value)), Some(options)) if !options.contains(value) => {
                    self.fail(loc.clone(), format!("default_value '{value}' is not one of the options"));
                }
                (Some(ParamDefault::Texts(values)), options) => {
                    if !param.multiselect {
                        self.fail(loc.clone(), "a list default_value needs multiselect");
                    }
                    if let Some(options) = options
                        && let Some(value) = values.iter().find(|v| !options.contains(v))
                    {
                        self.fail(loc.clone(), format!("default_value '{value}' is not one of the options"));
                    }
                }
                (Some(ParamDefault::Integers(_)), _) if !param.multiselect => {
                    self.fail(loc.clone(), "a list default_value needs multiselect");
                }
                _ => {}
            }
            if param.allowed_values.is_some() && param.param_type != Some(ParamType::Endpoint) {
                self.fail(loc.clone(), "allowed_values needs type: endpoint");
            }
            if let (Some(ParamDefault::Text(value)), Some(allowed)) = (&param.default_value, &param.allowed_values)
                && !super::hosts::allowed(allowed, value)
            {
                self.fail(loc, format!("default_value '{value}' is not one of the allowed_values"));
            }
        }
    }
}

impl SaasConfig {
    /// What is wrong with the config, each problem located (`["endpoints", 2, "requests", "read", …]`).
    pub fn problems(&self) -> Vec<Problem> {
        let mut check = Checker { problems: Vec::new() };
        check.params(&self.connector_params);
        check.client(&[Loc::from("client_config")], &self.client_config);
        check.request(&[Loc::from("test_request")], &self.test_request, false);
        if let Some(request) = &self.data_protection_request {
            check.request(&[Loc::from("data_protection_request")], request, false);
        }
        if let Some(limits) = &self.rate_limit_config {
            check.rate_limits(&[Loc::from("rate_limit_config")], limits);
        }
        for (i, endpoint) in self.endpoints.iter().enumerate() {
            if self.endpoints[..i].iter().any(|e| e.name == endpoint.name) {
                check.fail(loc!["endpoints", i, "name"], format!("endpoint '{}' is declared twice", endpoint.name));
            }
            let requests = &endpoint.requests;
            if let Some(read) = &requests.read {
                let reads = read.items();
                for (j, request) in reads.iter().enumerate() {
                    let at = match read {
                        OneOrMany::One(_) => loc!["endpoints", i, "requests", "read"],
                        OneOrMany::Many(_) => loc!["endpoints", i, "requests", "read", j],
                    };
                    check.request(&at, request, true);
                }
                if reads.windows(2).any(|w| w[0].grouped_inputs != w[1].grouped_inputs) {
                    check.fail(
                        loc!["endpoints", i, "requests", "read"],
                        "All read requests of an endpoint must declare the same grouped_inputs",
                    );
                }
            }
            for (name, request) in [("update", &requests.update), ("delete", &requests.delete)] {
                if let Some(request) = request {
                    let at = loc!["endpoints", i, "requests", name];
                    check.request(&at, request, false);
                }
            }
        }
        check.problems
    }

    /// Which actions the config supports: `access` with any read, `erasure` with any update,
    /// delete or data protection request.
    pub fn supported_actions(&self) -> Vec<&'static str> {
        let mut actions = Vec::new();
        if self.endpoints.iter().any(|e| e.requests.read.is_some()) {
            actions.push("access");
        }
        if self.data_protection_request.is_some()
            || self.endpoints.iter().any(|e| e.requests.update.is_some() || e.requests.delete.is_some())
        {
            actions.push("erasure");
        }
        actions
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};
    use validation::Loc;

    use crate::saas::from_value;

    fn config(endpoints: Value) -> Value {
        json!({
            "fides_key": "shop", "name": "Shop", "type": "Shop", "description": "d", "version": "1",
            "connector_params": [{"name": "domain"}, {"name": "api_key", "sensitive": true}],
            "client_config": {"protocol": "https", "host": "<domain>",
                              "authentication": {"strategy": "bearer", "configuration": {"token": "<api_key>"}}},
            "test_request": {"method": "GET", "path": "/me"},
            "endpoints": endpoints,
        })
    }

    fn read(request: Value) -> Value {
        json!([{"name": "customer", "requests": {"read": request}}])
    }

    /// The messages and locations a config with `endpoints` gets.
    fn problems(value: Value) -> Vec<(Vec<Loc>, String)> {
        match from_value(value) {
            Ok(_) => Vec::new(),
            Err(problems) => problems.into_iter().map(|p| (p.loc, p.msg)).collect(),
        }
    }

    #[test]
    fn a_plain_config_reads_and_its_type_is_lower_cased() {
        let parsed = from_value(json!({"saas_config": config(read(json!({"method": "GET", "path": "/c"})))})).unwrap();
        assert_eq!(parsed.kind, "shop");
        assert_eq!(parsed.supported_actions(), ["access"]);
    }

    #[test]
    fn requests_are_checked_with_fides_messages_at_their_place() {
        let at = |request: Value| problems(config(read(request)));
        let read_at: Vec<Loc> = validation::loc!["endpoints", 0, "requests", "read"];
        let loc = |key: &str| [read_at.clone(), validation::loc![key]].concat();
        assert_eq!(
            at(json!({"method": "GET"})),
            [(loc("path"), "A read request must specify either a path or an output".to_owned())]
        );
        assert_eq!(at(json!({"path": "/c"})), [(loc("method"), "A request must specify a method".to_owned())]);
        let both = at(
            json!({"method": "GET", "path": "/c", "param_values": [{"name": "e", "identity": "email", "connector_param": "x"}]}),
        );
        assert_eq!(both[0].1, "Must have exactly one of 'identity', 'references', or 'connector_param'");
        assert_eq!(both[0].0, [read_at.clone(), validation::loc!["param_values", 0]].concat());
        let to = at(
            json!({"method": "GET", "path": "/c", "param_values": [{"name": "id", "references": [{"dataset": "shop", "field": "a.id", "direction": "to"}]}]}),
        );
        assert!(to[0].1.contains("direction 'to'"), "{to:?}");
        let grouped = at(json!({"method": "GET", "path": "/c", "grouped_inputs": ["a", "b"], "param_values": [
            {"name": "a", "references": [{"dataset": "shop", "field": "x.id", "direction": "from"}]},
            {"name": "b", "references": [{"dataset": "shop", "field": "y.id", "direction": "from"}]}]}));
        assert_eq!(
            grouped,
            [(loc("grouped_inputs"), "Grouped input fields must all reference the same collection.".to_owned())]
        );
        let offset = at(
            json!({"method": "GET", "path": "/c", "pagination": {"strategy": "offset", "configuration": {"incremental_param": "page", "increment_by": 1}}}),
        );
        assert_eq!(offset, [(loc("pagination"), "Query param 'page' not found.".to_owned())]);
        let code = at(json!({"method": "GET", "path": "/c", "request_override": "my_function"}));
        assert_eq!(code[0].0, loc("request_override"));
        assert!(code[0].1.contains("never runs"));
        let limits = at(json!({"method": "GET", "path": "/c", "rate_limit_config": {"enabled": true}}));
        assert_eq!(limits, [(loc("rate_limit_config"), "limits must be set if enabled is not false".to_owned())]);
    }

    #[test]
    fn unknown_request_keys_and_strategies_are_refused_when_loaded() {
        let unknown = problems(config(read(json!({"method": "GET", "path": "/c", "paht": "/x"}))));
        assert_eq!(unknown[0].0, validation::loc!["endpoints", 0, "requests", "read", "paht"]);
        let mut strategy = config(read(json!({"method": "GET", "path": "/c"})));
        strategy["client_config"]["authentication"] = json!({"strategy": "kerberos", "configuration": {}});
        let refused = problems(strategy);
        assert_eq!(refused[0].0[..2], validation::loc!["client_config", "authentication"][..]);
        assert!(refused[0].1.contains("unknown variant `kerberos`"), "{refused:?}");
        let mut missing = config(read(json!({"method": "GET", "path": "/c"})));
        missing.as_object_mut().unwrap().remove("test_request");
        assert_eq!(problems(missing)[0].0, validation::loc!["test_request"]);
    }

    #[test]
    fn connector_params_follow_fides_rules() {
        let mut value = config(read(json!({"method": "GET", "path": "/c"})));
        value["connector_params"] = json!([
            {"name": "region", "options": ["eu", "us"], "default_value": "ap"},
            {"name": "tags", "options": ["a"], "default_value": ["a"]},
            {"name": "domain", "type": "endpoint", "allowed_values": ["api.shop.io"], "default_value": "evil.io"},
            {"name": "many", "multiselect": true},
        ]);
        let found: Vec<String> = problems(value).into_iter().map(|(_, msg)| msg).collect();
        assert_eq!(
            found,
            [
                "default_value 'ap' is not one of the options",
                "a list default_value needs multiselect",
                "default_value 'evil.io' is not one of the allowed_values",
                "multiselect needs options",
            ]
        );
    }
}
