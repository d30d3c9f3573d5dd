//! The API's one error type and its one error body, FastAPI-style:
//! `{"detail": "message"}` or `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use assessments::AssessmentError;
use auth::AuthError;
use db::DbError;
use dsr_core::DsrError;
use notices_ropa::{FieldIssue, NoticesError};
use redaction::RedactionError;
use serde::Serialize;
use utoipa::ToSchema;

/// One part of a validation error location: a key or a list index.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LocPart {
    /// An object key (`"body"`, `"patterns"`).
    Key(String),
    /// A list index.
    Index(usize),
}

// Stated in words, not as `string | integer`: generated clients (openapi-generator's Python
// models) turn any typed union here into a wrapper object and then fail to read the plain
// strings and numbers of a `loc` inside the one-of `detail`.
impl utoipa::PartialSchema for LocPart {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::SchemaType::AnyValue)
            .description(Some(
                "One part of a validation error location: a key (a string, `\"body\"`) or a list index (a \
                 non-negative integer, `0`)",
            ))
            .into()
    }
}

impl ToSchema for LocPart {}

impl From<&str> for LocPart {
    fn from(key: &str) -> Self {
        LocPart::Key(key.to_owned())
    }
}

impl From<usize> for LocPart {
    fn from(index: usize) -> Self {
        LocPart::Index(index)
    }
}

/// One validation problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct ValidationIssue {
    /// Where: `["body", "patterns", 0]`, `["query", "page"]`, `["path", "id"]`.
    #[schema(inline, example = json!(["body", "patterns", 0]))]
    pub loc: Vec<LocPart>,
    /// What is wrong.
    #[schema(example = "Invalid regex pattern: [invalid")]
    pub msg: String,
    /// A machine-readable kind: `value_error`, `missing`, `type_error`, `json_invalid`.
    #[serde(rename = "type")]
    #[schema(example = "value_error")]
    pub kind: String,
}

impl ValidationIssue {
    /// An issue at `loc`.
    pub fn new(loc: Vec<LocPart>, msg: impl Into<String>, kind: &str) -> Self {
        ValidationIssue { loc, msg: msg.into(), kind: kind.to_owned() }
    }
}

/// The `detail` of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Detail {
    /// A message.
    Message(String),
    /// Validation problems, one per field.
    Issues(Vec<ValidationIssue>),
}

/// Every error response has this body.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(example = json!({"detail": "Not Authorized for this action. Required scope(s): [privacy-request-redaction-patterns:read]"}))]
pub struct ErrorBody {
    /// A message, or a list of validation problems.
    pub detail: Detail,
}

/// Errors a handler returns; turned into a status and an [`ErrorBody`] here and nowhere else.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// From the auth crate.
    #[error(transparent)]
    Auth(#[from] AuthError),
    /// From the redaction crate.
    #[error(transparent)]
    Redaction(#[from] RedactionError),
    /// From the DSR crate.
    #[error(transparent)]
    Dsr(#[from] DsrError),
    /// From the assessments crate.
    #[error(transparent)]
    Assessments(#[from] assessments::AssessmentError),
    /// From the notices and RoPA crate.
    #[error(transparent)]
    Notices(#[from] NoticesError),
    /// From storage.
    #[error(transparent)]
    Db(#[from] DbError),
    /// The blocking thread pool is gone (shutting down).
    #[error("blocking pool unavailable")]
    Blocking(#[from] actix_web::error::BlockingError),
    /// An error decided by the gateway itself (extractors, routing).
    #[error("{status}: {detail:?}")]
    Http {
        /// Status to answer.
        status: StatusCode,
        /// Body detail.
        detail: Detail,
    },
}

impl ApiError {
    /// A status with a message.
    pub fn message(status: StatusCode, message: impl Into<String>) -> ApiError {
        ApiError::Http { status, detail: Detail::Message(message.into()) }
    }

    /// 422 with validation issues.
    pub fn validation(issues: Vec<ValidationIssue>) -> ApiError {
        ApiError::Http { status: StatusCode::UNPROCESSABLE_ENTITY, detail: Detail::Issues(issues) }
    }

    /// 422 for invalid fields of `source` (`"body"` or `"query"`).
    pub fn fields(source: &str, issues: &[FieldIssue]) -> ApiError {
        ApiError::validation(
            issues
                .iter()
                .map(|issue| {
                    ValidationIssue::new(
                        vec![source.into(), issue.field.as_str().into()],
                        issue.message.clone(),
                        "value_error",
                    )
                })
                .collect(),
        )
    }

    fn parts(&self) -> (StatusCode, Detail) {
        let message = |status: StatusCode, text: String| (status, Detail::Message(text));
        match self {
            ApiError::Auth(e) => match e {
                AuthError::InvalidCredentials | AuthError::InvalidToken(_) => {
                    message(StatusCode::UNAUTHORIZED, e.to_string())
                }
                AuthError::MissingScopes(_) | AuthError::CannotGrant(_) | AuthError::RootClientImmutable => {
                    message(StatusCode::FORBIDDEN, e.to_string())
                }
                AuthError::UnknownScopes(unknown) => {
                    (StatusCode::UNPROCESSABLE_ENTITY, Detail::Issues(scope_issues(unknown, &["body", "scopes"])))
                }
                AuthError::ClientNotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                AuthError::Db(db) => db_parts(db),
            },
            ApiError::Redaction(e) => match e {
                RedactionError::TooManyPatterns { .. } | RedactionError::SetTooLarge => {
                    message(StatusCode::BAD_REQUEST, e.to_string())
                }
                RedactionError::InvalidPatterns(issues) => (
                    StatusCode::BAD_REQUEST,
                    Detail::Issues(
                        issues
                            .iter()
                            .map(|issue| {
                                ValidationIssue::new(
                                    vec!["body".into(), "patterns".into(), issue.index.into()],
                                    issue.message.clone(),
                                    "value_error",
                                )
                            })
                            .collect(),
                    ),
                ),
                RedactionError::Db(db) => db_parts(db),
            },
            ApiError::Dsr(e) => match e {
                DsrError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                DsrError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                DsrError::TooMany { .. } => message(StatusCode::UNPROCESSABLE_ENTITY, e.to_string()),
                DsrError::BadRequest(_) => message(StatusCode::BAD_REQUEST, e.to_string()),
                DsrError::Forbidden(_) => message(StatusCode::FORBIDDEN, e.to_string()),
                DsrError::InvalidSecrets(msg) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Detail::Issues(vec![ValidationIssue::new(vec!["body".into()], msg.clone(), "value_error")]),
                ),
                DsrError::UnknownCategories(unknown) => (
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Detail::Issues(
                        unknown
                            .iter()
                            .map(|(index, category)| {
                                ValidationIssue::new(
                                    vec!["body".into(), (*index).into(), "data_category".into()],
                                    format!("Invalid data categories: [{category}]"),
                                    "value_error",
                                )
                            })
                            .collect(),
                    ),
                ),
                DsrError::Invalid(issues) => invalid_body(issues),
                DsrError::Db(db) => db_parts(db),
            },
            ApiError::Assessments(e) => match e {
                AssessmentError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                AssessmentError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                AssessmentError::BadRequest(_) => message(StatusCode::BAD_REQUEST, e.to_string()),
                AssessmentError::Upstream(_) => message(StatusCode::BAD_GATEWAY, e.to_string()),
                AssessmentError::Invalid(issues) => invalid_body(issues),
                AssessmentError::Db(db) => db_parts(db),
            },
            ApiError::Notices(e) => match e {
                NoticesError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                NoticesError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                NoticesError::Invalid(issues) => ApiError::fields("body", issues).parts(),
                NoticesError::Db(db) => db_parts(db),
            },
            ApiError::Db(db) => db_parts(db),
            ApiError::Blocking(_) => message(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable".into()),
            ApiError::Http { status, detail } => (*status, detail.clone()),
        }
    }
}

/// 422 for problems located below the request body.
fn invalid_body(issues: &[dsr_core::InvalidInput]) -> (StatusCode, Detail) {
    let issues = issues
        .iter()
        .map(|issue| {
            let mut loc = vec![LocPart::from("body")];
            loc.extend(issue.loc.iter().map(|part| match part {
                dsr_core::Loc::Key(key) => LocPart::Key(key.clone()),
                dsr_core::Loc::Index(index) => LocPart::Index(*index),
            }));
            ValidationIssue::new(loc, issue.message.clone(), "value_error")
        })
        .collect();
    (StatusCode::UNPROCESSABLE_ENTITY, Detail::Issues(issues))
}

/// Validation issues for unknown scope names, located under `base` (the scope list's place in
/// the request) at each name's index.
pub fn scope_issues(unknown: &[(usize, String)], base: &[&str]) -> Vec<ValidationIssue> {
    unknown
        .iter()
        .map(|(index, scope)| {
            let mut loc: Vec<LocPart> = base.iter().map(|part| LocPart::from(*part)).collect();
            loc.push(LocPart::Index(*index));
            ValidationIssue::new(loc, format!("Invalid scope: {scope}"), "value_error")
        })
        .collect()
}

fn db_parts(e: &DbError) -> (StatusCode, Detail) {
    if e.is_unavailable() {
        (StatusCode::SERVICE_UNAVAILABLE, Detail::Message("The database is unavailable; try again shortly".into()))
    } else {
        (StatusCode::INTERNAL_SERVER_ERROR, Detail::Message("Internal server error".into()))
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        let (status, detail) = self.parts();
        if status.is_server_error() {
            // The body says nothing of internals; the log keeps the cause.
            tracing::error!(error = %self, source = ?std::error::Error::source(self), "request failed");
        }
        let mut response = HttpResponse::build(status);
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
        }
        response.json(ErrorBody { detail })
    }
}
