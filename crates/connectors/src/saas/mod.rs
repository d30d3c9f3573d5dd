//! SaaS connectors: Fides' declarative `saas_config` files, read as they are.
//!
//! A config describes an HTTP API (how to reach and authenticate to it) and, per collection
//! of its dataset, the requests that read, update or delete the subject's records. This module
//! reads and checks configs ([`parse`]), fills their placeholders ([`placeholder`]), decides
//! which hosts may be called ([`hosts`]), and ships nine Fides templates inside the binary
//! ([`templates`], Apache-2.0, see `crates/connectors/saas/NOTICE`).
//!
//! ```
//! let template = connectors::saas::templates::find("stripe").expect("shipped");
//! let (config, dataset) = template.instantiate("stripe_acme").unwrap();
//! assert_eq!(config.fides_key, "stripe_acme");
//! assert!(dataset.contains("fides_key: stripe_acme"));
//! assert_eq!(config.supported_actions(), ["access", "erasure"]);
//!
//! // Anything that would run code is refused, with where it is.
//! let mut value: serde_json::Value = serde_norway::from_str(template.config).unwrap();
//! value["saas_config"]["test_request"]["request_override"] = "my_function".into();
//! let problems = connectors::saas::from_value(value).unwrap_err();
//! assert_eq!(problems[0].loc, validation::loc!["test_request", "request_override"]);
//! assert!(problems[0].msg.contains("never runs"));
//! ```

pub mod client;
pub mod config;
pub mod connection;
pub mod connector;
pub mod hosts;
pub mod mask;
pub mod placeholder;
pub mod rate;
pub mod read;
pub mod request;
pub mod secrets;
pub mod templates;

pub use config::SaasConfig;
pub use connector::SaasConnector;
use serde_json::Value;
use validation::{Problem, loc};

/// Reads a config from YAML or JSON text (either the config itself or a file whose root is
/// `saas_config:`), and checks it: every problem is located.
pub fn parse(text: &str) -> Result<SaasConfig, Vec<Problem>> {
    let value: Value = serde_norway::from_str(text).map_err(|e| {
        vec![Problem::new(loc![], format!("Invalid saas_config: {e}")).of_kind(validation::problem::JSON_INVALID)]
    })?;
    from_value(value)
}

/// Checks a config given as JSON (or a `{"saas_config": …}` wrapper).
pub fn from_value(mut value: Value) -> Result<SaasConfig, Vec<Problem>> {
    if let Value::Object(root) = &mut value
        && root.len() == 1
        && let Some(inner) = root.remove("saas_config")
    {
        value = inner;
    }
    if let Some(Value::String(kind)) = value.get_mut("type") {
        *kind = kind.to_lowercase();
    }
    let config: SaasConfig = serde_path_to_error::deserialize(value).map_err(|e| vec![crate::registry::problem(&e)])?;
    let problems = config.problems();
    if problems.is_empty() { Ok(config) } else { Err(problems) }
}
