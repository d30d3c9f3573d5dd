//! What every handler can reach.

use std::sync::Arc;

use assessments::{AssessmentService, ConfigService, SystemService};
use auth::AuthService;
use db::Database;
use dsr_core::{
    ConnectionService, DatasetService, ManualFieldService, PolicyService, RequestService, StorageService, Taxonomy,
    WebhookService,
};
use notices_ropa::NoticesService;
use redaction::RedactionService;

/// Shared application state: the database handle and one service per domain.
#[derive(Clone)]
pub struct AppState {
    /// The database (health checks).
    pub db: Database,
    /// Clients and tokens.
    pub auth: Arc<dyn AuthService>,
    /// Redaction patterns.
    pub redaction: Arc<dyn RedactionService>,
    /// The fideslang taxonomy.
    pub taxonomy: Arc<Taxonomy>,
    /// DSR policies, their rules and targets.
    pub policies: Arc<dyn PolicyService>,
    /// Webhooks of policies.
    pub webhooks: Arc<dyn WebhookService>,
    /// Templates of the emails data subjects get.
    pub templates: Arc<dyn dsr_core::MessagingTemplateService>,
    /// Storage destinations of access packages.
    pub storage: Arc<dyn StorageService>,
    /// Connections to the subject's data stores.
    pub connections: Arc<dyn ConnectionService>,
    /// Datasets of connections.
    pub datasets: Arc<dyn DatasetService>,
    /// Fields of manual request connections.
    pub manual_fields: Arc<dyn ManualFieldService>,
    /// Catalog, privacy notices and the RoPA.
    pub notices: Arc<dyn NoticesService>,
    /// Privacy requests.
    pub requests: Arc<dyn RequestService>,
    /// The systems inventory.
    pub systems: Arc<dyn SystemService>,
    /// Privacy assessments.
    pub assessments: Arc<dyn AssessmentService>,
    /// The assessment configuration.
    pub assessment_config: Arc<dyn ConfigService>,
    /// Per-address limit of the public request route.
    pub public_limiter: Arc<crate::limit::AddressLimiter>,
    /// Per-address budget of failed token requests.
    pub token_failures: Arc<crate::limit::FailureLimiter>,
    /// How the client's address is found (the peer, or a trusted proxy's header).
    pub client_address: crate::limit::ClientAddress,
    /// The base of links handed out (`https://privacy.example.com`), when configured.
    pub public_url: Option<String>,
    /// The privacy center's pages, when it is on.
    pub privacy_center: Option<Arc<crate::privacy_center::PrivacyCenter>>,
    /// Requests through the public route wait for the subject's code.
    pub verification_required: bool,
}
