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
                (
                    "DSR Policy Webhooks",
                    "HTTPS endpoints a policy calls before and after a request runs; two-way ones may pause it",
                ),
                ("Messaging", "The emails data subjects get along their request: templates"),
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
    // The token a two-way pre-execution webhook is sent (`reply-to-token`) to resume its request.
    let mut reply_to = utoipa::openapi::security::Http::new(utoipa::openapi::security::HttpAuthScheme::Bearer);
    reply_to.description =
        Some("The `reply-to-token` header a two-way pre-execution webhook was called with".to_owned());
    api.components
        .get_or_insert_with(Default::default)
        .add_security_scheme("reply_to_token", SecurityScheme::Http(reply_to));
    api
}

/// The full document, as served at `/openapi.json` and committed in `openapi/openapi.json`.
pub fn document() -> OpenApi {
    let (_, mut api) =
        actix_web::App::new().into_utoipa_app().openapi(base()).configure(crate::routes::configure).split_for_parts();
    finish(&mut api);
    api
}

/// Completes the document collected from the mounted handlers (the served one and
/// [`document`] go through here, so they are the same).
pub fn finish(api: &mut OpenApi) {
    add_shared_responses(api);
    // Bodies named only inside `IntoResponses` enums, which utoipa-actix-web does not collect.
    register::<dsr_core::ManualRequest>(api);
    register::<dsr_core::ManualInput>(api);
    // Path parameters typed by a schema of their own.
    register::<dsr_core::WebhookTiming>(api);
}

/// Adds `T`'s schema, and every schema it refers to, to the components.
fn register<T: utoipa::ToSchema>(api: &mut OpenApi) {
    let mut schemas = vec![(T::name().into_owned(), T::schema())];
    T::schemas(&mut schemas);
    let components = api.components.get_or_insert_with(Default::default);
    for (name, schema) in schemas {
        components.schemas.entry(name).or_insert(schema);
    }
}

/// Documents the answers every operation shares, where its own annotation does not already:
/// - 422 wherever input is parsed (a request body, a query, a typed path parameter): the
///   extractors answer malformed input with a detail naming the field;
/// - 404 wherever a path parameter names a record (every such route looks it up);
/// - 503 everywhere but the liveness route: the database is unreachable.
fn add_shared_responses(api: &mut OpenApi) {
    use utoipa::openapi::path::{Operation, ParameterIn};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder, Schema};

    fn error_response(description: &str) -> RefOr<utoipa::openapi::Response> {
        ResponseBuilder::new()
            .description(description)
            .content("application/json", ContentBuilder::new().schema(Some(Ref::from_schema_name("ErrorBody"))).build())
            .build()
            .into()
    }
    fn typed_path_parameter(operation: &Operation) -> bool {
        operation.parameters.iter().flatten().any(|p| {
            p.parameter_in == ParameterIn::Path
                && !matches!(&p.schema, Some(RefOr::T(Schema::Object(o)))
                    if matches!(o.schema_type, utoipa::openapi::schema::SchemaType::Type(utoipa::openapi::Type::String)) && o.format.is_none())
        })
    }
    for (path, item) in api.paths.paths.iter_mut() {
        let operations = [&mut item.get, &mut item.post, &mut item.put, &mut item.patch, &mut item.delete];
        for operation in operations.into_iter().flatten() {
            let parameters = operation.parameters.as_deref().unwrap_or_default();
            let reads_input = operation.request_body.is_some()
                || parameters.iter().any(|p| p.parameter_in == ParameterIn::Query)
                || typed_path_parameter(operation);
            let names_record = parameters.iter().any(|p| p.parameter_in == ParameterIn::Path);
            let responses = &mut operation.responses.responses;
            if reads_input && !responses.contains_key("422") {
                responses.insert("422".into(), error_response("Malformed input; `detail[].loc` names the field"));
            }
            if names_record && !responses.contains_key("404") {
                responses.insert("404".into(), error_response("No such record"));
            }
            if path != "/health" && !responses.contains_key("503") {
                responses.insert("503".into(), error_response("The database is unavailable; try again shortly"));
            }
        }
    }
}

/// The document as pretty JSON with a trailing newline (the committed file's form).
pub fn document_json() -> String {
    let mut json = document().to_pretty_json().unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"));
    json.push('\n');
    json
}
