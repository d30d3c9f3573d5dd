//! What the SaaS tests share: the HTTPS test server (`connectors::testing`) and the subject.

#![allow(dead_code, unused_imports, reason = "each test binary uses part of it")]
#![expect(clippy::unwrap_used, reason = "test helpers fail the test on error")]

use connectors::saas::connection::Subject;
pub use connectors::testing::{HttpsServer, runtime};
use serde_json::{Map, Value, json};

/// The tests' subject: Jane, known by her email, in privacy request `pri_1`.
pub struct Jane {
    identities: Map<String, Value>,
    references: Map<String, Value>,
}

impl Jane {
    /// Jane, with no values of earlier collections.
    pub fn new() -> Jane {
        Jane { identities: json!({"email": "jane@example.com"}).as_object().unwrap().clone(), references: Map::new() }
    }

    /// What a request run passes to a connection.
    pub fn subject(&self) -> Subject<'_> {
        Subject { identities: &self.identities, references: &self.references, privacy_request_id: "pri_1" }
    }
}
