//! Wire and domain types.

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The answer to a successful token request.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AccessToken {
    /// The bearer token (compact JWE encrypted with the server's application key).
    pub access_token: String,
    /// Always `Bearer`.
    #[schema(example = "Bearer")]
    pub token_type: String,
    /// Seconds until the token expires.
    pub expires_in: u64,
}

/// A new client.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
pub struct ClientCreate {
    /// Scopes to grant; each must be in the registry (`GET /api/v1/oauth/scope`) and held by the
    /// calling client.
    #[serde(default)]
    #[schema(value_type = crate::scopes::ScopeNames, example = json!(["privacy-request-redaction-patterns:read"]))]
    pub scopes: Vec<String>,
    /// A label for people.
    #[serde(default)]
    pub name: Option<String>,
}

/// Credentials of a new client. The secret is shown only here, once.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ClientCreated {
    /// The client id.
    pub client_id: String,
    /// The client secret; store it now, it cannot be retrieved later.
    pub client_secret: String,
}

/// Who a request comes from and what it may do, after its token was checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The client the token was issued to.
    pub client_id: String,
    /// Scopes in force: the token's, limited to what the client holds now.
    pub scopes: BTreeSet<String>,
}

impl Principal {
    /// True when the principal holds `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes.contains(scope)
    }

    /// Fails with [`crate::AuthError::MissingScopes`] naming what is missing.
    pub fn require(&self, required: &[&str]) -> crate::Result<()> {
        let missing: Vec<String> = required.iter().filter(|s| !self.has_scope(s)).map(|s| (*s).to_owned()).collect();
        if missing.is_empty() { Ok(()) } else { Err(crate::AuthError::MissingScopes(missing)) }
    }
}
