//! The OpenAPI document: paths are collected from the mounted handlers (utoipa-actix-web); this
//! module adds the header, the OAuth2 security scheme and the tags.

use utoipa::openapi::security::{ClientCredentials, Flow, OAuth2, Scopes, SecurityScheme};
use utoipa::openapi::{InfoBuilder, OpenApi, OpenApiBuilder, Tag};
use utoipa_actix_web::AppExt;

/// Name of the security scheme every protected route refers to (spelled out in each
/// `#[utoipa::path(security(..))]`, which takes only literals).
pub const SECURITY_SCHEME: &str = "oauth2";

/// The document without paths.
pub fn base() -> OpenApi {
    let mut api = OpenApiBuilder::new()
        .info(
            InfoBuilder::new()
                .title("Lethe")
                .version(env!("CARGO_PKG_VERSION"))
                .description(Some(
                    "Self-hosted privacy operations: data-subject requests, redaction patterns, assessments, \
                     notices and RoPA. Get a token with `POST /api/v1/oauth/token` (client credentials), \
                     then send `Authorization: Bearer <token>`.",
                ))
                .build(),
        )
        .tags(Some(
            [
                ("Health", "Liveness and database status"),
                ("OAuth", "Client-credentials tokens, clients and scopes"),
                ("Privacy Request Redaction Patterns", "Regex patterns that hide names in DSR packages"),
                ("Taxonomy", "The fideslang data categories, uses and subjects"),
                ("DSR Policy", "Policies, rules and targets of data-subject requests"),
                ("Storage", "Where access packages are written"),
                ("Connections", "Connections to the subject's data stores"),
                ("Datasets", "Fideslang datasets describing a connection's collections and fields"),
                (
                    "Privacy requests",
                    "Access and erasure requests: create, verify, review, monitor, retry, download results",
                ),
                ("Manual requests", "Data people look up and upload per request (manual_request connections)"),
                ("Catalog", "Organisations, spaces and catalog products with compliance metadata"),
                ("Privacy Notices", "Versioned privacy notices and their processing purposes"),
                ("RoPA", "Record of Processing Activities: reports, summaries, CSV exports"),
                (
                    "Systems",
                    "The systems inventory (Fides systems and privacy declarations) assessments are generated from",
                ),
                (
                    "Privacy Assessments",
                    "DPIAs and risk assessments: templates, generation tasks, versioned answers, audit log, evidence, \
                     re-evaluation and configuration",
                ),
            ]
            .map(|(name, description)| {
                let mut tag = Tag::new(name);
                tag.description = Some(description.to_owned());
                tag
            }),
        ))
        .build();
    let scopes = Scopes::from_iter(auth::scopes::ALL.iter().map(|s| (*s, *s)));
    let flow = Flow::ClientCredentials(ClientCredentials::new("/api/v1/oauth/token", scopes));
    api.components
        .get_or_insert_with(Default::default)
        .add_security_scheme(SECURITY_SCHEME, SecurityScheme::OAuth2(OAuth2::new([flow])));
    api
}

/// The full document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> OpenApi {
    let (_, api) =
        actix_web::App::new().into_utoipa_app().openapi(base()).configure(crate::routes::configure).split_for_parts();
    api
}

/// The document as pretty JSON with a trailing newline (the committed file's form).
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
