//! Masking strategies of erasure rules, with Fides' configurations and rules: which data types
//! a strategy may mask, per-request secrets, format-preserving suffixes and truncation to a
//! field's `length`.

use crypto::masking::{self as primitives, Algorithm};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::error::Refused;

/// A masking strategy as submitted: its name and configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MaskingStrategy {
    /// `null_rewrite`, `string_rewrite`, `hash`, `hmac`, `random_string_rewrite` or `aes_encrypt`.
    #[schema(example = "hmac")]
    pub strategy: String,
    /// Strategy settings.
    #[serde(
        default,
        skip_serializing_if = "serde_json::Value::is_null",
        deserialize_with = "validation::json::object_or_null"
    )]
    #[schema(value_type = Option<Object>)]
    pub configuration: serde_json::Value,
}

/// A masking strategy as returned: configurations may hold secrets and are never echoed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct MaskingStrategyResponse {
    /// The strategy's name.
    pub strategy: String,
}

/// A parsed masking strategy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Strategy {
    /// The value becomes null.
    NullRewrite,
    /// The value becomes a constant.
    StringRewrite {
        /// The constant.
        value: String,
        /// Appended to the result.
        suffix: String,
    },
    /// Hex digest of value ‖ per-request salt.
    Hash {
        /// SHA-256 or SHA-512.
        algorithm: Algorithm,
        /// Appended to the result.
        suffix: String,
    },
    /// Hex HMAC of value ‖ per-request salt under a per-request key.
    Hmac {
        /// SHA-256 or SHA-512.
        algorithm: Algorithm,
        /// Appended to the result.
        suffix: String,
    },
    /// Random `[a-z0-9]` of a given length.
    RandomStringRewrite {
        /// Characters.
        length: usize,
        /// Appended to the result.
        suffix: String,
    },
    /// Convergent AES-256-GCM under a per-request key (Fides' layout).
    AesEncrypt {
        /// Appended to the result.
        suffix: String,
    },
}

/// Names of the strategies, as rules and overrides spell them.
pub const MASKING_STRATEGIES: &[&str] =
    &["null_rewrite", "string_rewrite", "hash", "hmac", "random_string_rewrite", "aes_encrypt"];

fn config_object(name: &str, configuration: &Value, allowed: &[&str]) -> Result<Map<String, Value>, Refused> {
    let object = match configuration {
        Value::Null => Map::new(),
        Value::Object(object) => object.clone(),
        _ => return Err(Refused(format!("the configuration of masking strategy '{name}' must be an object"))),
    };
    if let Some(unknown) = object.keys().find(|k| !allowed.contains(&k.as_str())) {
        return Err(Refused(format!("unknown configuration key '{unknown}' for masking strategy '{name}'")));
    }
    Ok(object)
}

fn suffix(name: &str, config: &Map<String, Value>) -> Result<String, Refused> {
    match config.get("format_preservation") {
        None | Some(Value::Null) => Ok(String::new()),
        Some(Value::Object(fp)) => match fp.get("suffix") {
            None | Some(Value::Null) => Ok(String::new()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => {
                Err(Refused(format!("format_preservation.suffix of masking strategy '{name}' must be a string")))
            }
        },
        Some(_) => Err(Refused(format!("format_preservation of masking strategy '{name}' must be an object"))),
    }
}

fn algorithm(name: &str, config: &Map<String, Value>) -> Result<Algorithm, Refused> {
    match config.get("algorithm").and_then(Value::as_str) {
        None if config.get("algorithm").is_none_or(Value::is_null) => Ok(Algorithm::Sha256),
        Some("SHA-256") => Ok(Algorithm::Sha256),
        Some("SHA-512") => Ok(Algorithm::Sha512),
        _ => Err(Refused(format!("algorithm of masking strategy '{name}' must be SHA-256 or SHA-512"))),
    }
}

impl Strategy {
    /// Parses a strategy and its configuration; the error names what is wrong.
    pub fn parse(spec: &MaskingStrategy) -> Result<Strategy, Refused> {
        let name = spec.strategy.as_str();
        let configuration = &spec.configuration;
        Ok(match name {
            "null_rewrite" => {
                config_object(name, configuration, &[])?;
                Strategy::NullRewrite
            }
            "string_rewrite" => {
                let config = config_object(name, configuration, &["rewrite_value", "format_preservation"])?;
                let Some(Value::String(value)) = config.get("rewrite_value") else {
                    return Err(Refused("string_rewrite needs configuration.rewrite_value (a string)".to_owned()));
                };
                Strategy::StringRewrite { value: value.clone(), suffix: suffix(name, &config)? }
            }
            "hash" => {
                let config = config_object(name, configuration, &["algorithm", "format_preservation"])?;
                Strategy::Hash { algorithm: algorithm(name, &config)?, suffix: suffix(name, &config)? }
            }
            "hmac" => {
                let config = config_object(name, configuration, &["algorithm", "format_preservation"])?;
                Strategy::Hmac { algorithm: algorithm(name, &config)?, suffix: suffix(name, &config)? }
            }
            "random_string_rewrite" => {
                let config = config_object(name, configuration, &["length", "format_preservation"])?;
                let length = match config.get("length") {
                    None | Some(Value::Null) => 30,
                    Some(v) => {
                        v.as_u64().filter(|n| (1..=1000).contains(n)).and_then(|n| usize::try_from(n).ok()).ok_or_else(
                            || Refused("length of random_string_rewrite must be an integer from 1 to 1000".to_owned()),
                        )?
                    }
                };
                Strategy::RandomStringRewrite { length, suffix: suffix(name, &config)? }
            }
            "aes_encrypt" => {
                let config = config_object(name, configuration, &["mode", "format_preservation"])?;
                if config.get("mode").is_some_and(|m| !m.is_null() && m.as_str() != Some("GCM")) {
                    return Err(Refused("mode of aes_encrypt must be GCM".to_owned()));
                }
                Strategy::AesEncrypt { suffix: suffix(name, &config)? }
            }
            other => {
                return Err(Refused(format!(
                    "Unknown masking strategy '{other}'; use one of: {}",
                    MASKING_STRATEGIES.join(", ")
                )));
            }
        })
    }

    /// The strategy's name.
    pub fn name(&self) -> &'static str {
        match self {
            Strategy::NullRewrite => "null_rewrite",
            Strategy::StringRewrite { .. } => "string_rewrite",
            Strategy::Hash { .. } => "hash",
            Strategy::Hmac { .. } => "hmac",
            Strategy::RandomStringRewrite { .. } => "random_string_rewrite",
            Strategy::AesEncrypt { .. } => "aes_encrypt",
        }
    }

    /// Whether the strategy needs per-request secrets (and so cannot be a field override).
    pub fn needs_secrets(&self) -> bool {
        matches!(self, Strategy::Hash { .. } | Strategy::Hmac { .. } | Strategy::AesEncrypt { .. })
    }

    /// Whether the strategy may mask a field of `data_type`: `null_rewrite` masks anything,
    /// every other strategy only fields declared `string`.
    pub fn supports(&self, data_type: Option<&str>) -> bool {
        matches!(self, Strategy::NullRewrite) || data_type == Some("string")
    }

    /// The masked form of `value`, truncated to `length` characters when the field has one.
    /// Nulls stay null; numbers and booleans are masked as their text.
    pub fn mask(&self, value: &Value, secrets: &MaskingSecrets, length: Option<usize>) -> Value {
        let text = match value {
            Value::Null => return Value::Null,
            Value::String(s) => s.clone(),
            other => other.to_string(),
        };
        let masked = match self {
            Strategy::NullRewrite => return Value::Null,
            Strategy::StringRewrite { value, suffix } => format!("{value}{suffix}"),
            Strategy::Hash { algorithm, suffix } => {
                format!("{}{suffix}", primitives::hash_hex(*algorithm, &text, &secrets.hash_salt))
            }
            Strategy::Hmac { algorithm, suffix } => {
                format!("{}{suffix}", primitives::hmac_hex(*algorithm, &secrets.hmac_key, &text, &secrets.hmac_salt))
            }
            Strategy::RandomStringRewrite { length, suffix } => format!("{}{suffix}", random_lower(*length)),
            Strategy::AesEncrypt { suffix } => {
                let key = secrets.aes_key_bytes();
                match primitives::convergent_encrypt(&key, &secrets.aes_key_hmac, &secrets.aes_salt_hmac, &text) {
                    Ok(encrypted) => format!("{encrypted}{suffix}"),
                    // A key of the wrong size cannot come from `generate`; never write the value.
                    Err(_) => return Value::Null,
                }
            }
        };
        Value::String(match length {
            Some(n) => masked.chars().take(n).collect(),
            None => masked,
        })
    }
}

fn random_lower(length: usize) -> String {
    crypto::random_alphanumeric(length).to_ascii_lowercase()
}

/// Secrets of one privacy request's masking: generated at creation, sealed at rest.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MaskingSecrets {
    hash_salt: String,
    hmac_key: String,
    hmac_salt: String,
    /// Hex of the 32-byte AES key.
    aes_key: String,
    aes_key_hmac: String,
    aes_salt_hmac: String,
}

impl MaskingSecrets {
    /// Fresh random secrets for every strategy that needs them.
    pub fn generate() -> MaskingSecrets {
        MaskingSecrets {
            hash_salt: crypto::random_alphanumeric(32),
            hmac_key: crypto::random_alphanumeric(32),
            hmac_salt: crypto::random_alphanumeric(32),
            aes_key: crypto::random_hex(32),
            aes_key_hmac: crypto::random_alphanumeric(32),
            aes_salt_hmac: crypto::random_alphanumeric(32),
        }
    }

    fn aes_key_bytes(&self) -> Vec<u8> {
        (0..self.aes_key.len())
            .step_by(2)
            .filter_map(|i| self.aes_key.get(i..i + 2).and_then(|b| u8::from_str_radix(b, 16).ok()))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn strategy(value: Value) -> Result<Strategy, String> {
        Strategy::parse(&serde_json::from_value(value).unwrap()).map_err(|e| e.0)
    }

    fn secrets() -> MaskingSecrets {
        MaskingSecrets {
            hash_salt: "salt".into(),
            hmac_key: "key".into(),
            hmac_salt: "pepper".into(),
            aes_key: "07".repeat(32),
            aes_key_hmac: "hk".into(),
            aes_salt_hmac: "hs".into(),
        }
    }

    #[test]
    fn configurations_are_checked() {
        assert_eq!(strategy(json!({"strategy": "null_rewrite"})).unwrap(), Strategy::NullRewrite);
        assert!(
            strategy(json!({"strategy": "string_rewrite", "configuration": {}})).unwrap_err().contains("rewrite_value")
        );
        assert!(
            strategy(json!({"strategy": "hash", "configuration": {"algorithm": "MD5"}}))
                .unwrap_err()
                .contains("SHA-256")
        );
        assert!(
            strategy(json!({"strategy": "hash", "configuration": {"algo": "SHA-256"}})).unwrap_err().contains("'algo'")
        );
        assert!(strategy(json!({"strategy": "random_string_rewrite", "configuration": {"length": 0}})).is_err());
        assert!(strategy(json!({"strategy": "aes_encrypt", "configuration": {"mode": "CBC"}})).is_err());
        assert!(strategy(json!({"strategy": "shred"})).unwrap_err().starts_with("Unknown masking strategy 'shred'"));
        assert!(strategy(json!({"strategy": "hmac"})).unwrap().needs_secrets());
        assert!(
            !strategy(json!({"strategy": "string_rewrite", "configuration": {"rewrite_value": "x"}}))
                .unwrap()
                .needs_secrets()
        );
    }

    #[test]
    fn each_strategy_masks_as_fides_does() {
        let s = secrets();
        let rewrite = strategy(json!({"strategy": "string_rewrite",
            "configuration": {"rewrite_value": "MASKED", "format_preservation": {"suffix": "@example.com"}}}))
        .unwrap();
        assert_eq!(rewrite.mask(&json!("jane@x.io"), &s, None), json!("MASKED@example.com"));
        assert_eq!(rewrite.mask(&Value::Null, &s, None), Value::Null, "nulls stay null");

        let hash = strategy(json!({"strategy": "hash"})).unwrap();
        assert_eq!(hash.mask(&json!("ab"), &s, None), json!(primitives::hash_hex(Algorithm::Sha256, "ab", "salt")));
        assert_eq!(hash.mask(&json!(12), &s, None), json!(primitives::hash_hex(Algorithm::Sha256, "12", "salt")));
        assert_eq!(hash.mask(&json!("ab"), &s, Some(10)).as_str().unwrap().len(), 10, "truncated to length");

        let hmac = strategy(json!({"strategy": "hmac", "configuration": {"algorithm": "SHA-512"}})).unwrap();
        assert_eq!(
            hmac.mask(&json!("ab"), &s, None),
            json!(primitives::hmac_hex(Algorithm::Sha512, "key", "ab", "pepper"))
        );

        let random = strategy(json!({"strategy": "random_string_rewrite", "configuration": {"length": 12}})).unwrap();
        let masked = random.mask(&json!("ab"), &s, None);
        let text = masked.as_str().unwrap();
        assert!(text.len() == 12 && text.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()), "{text}");

        let aes = strategy(json!({"strategy": "aes_encrypt"})).unwrap();
        let encrypted = aes.mask(&json!("John"), &s, None);
        assert_eq!(encrypted, aes.mask(&json!("John"), &s, None), "convergent");
        let nonce = primitives::convergent_nonce("hk", "hs", "John");
        let plain = primitives::convergent_decrypt(&[7u8; 32], nonce, encrypted.as_str().unwrap()).unwrap();
        assert_eq!(plain, b"John");

        assert_eq!(Strategy::NullRewrite.mask(&json!({"a": 1}), &s, Some(1)), Value::Null);
    }

    #[test]
    fn only_null_rewrite_masks_fields_that_are_not_strings() {
        assert!(Strategy::NullRewrite.supports(None));
        assert!(Strategy::NullRewrite.supports(Some("integer")));
        let hash = strategy(json!({"strategy": "hash"})).unwrap();
        assert!(hash.supports(Some("string")));
        assert!(!hash.supports(None));
        assert!(!hash.supports(Some("integer")));
    }
}
