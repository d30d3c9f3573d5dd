//! The API's one error type and its one error body, FastAPI-style:
//! `{"detail": "message"}` or `{"detail": [{"loc": [...], "msg": "...", "type": "..."}]}`.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use assessments::AssessmentError;
use auth::AuthError;
use db::DbError;
use dsr_core::DsrError;
use notices_ropa::NoticesError;
use redaction::RedactionError;
use serde::Serialize;
use utoipa::ToSchema;

pub use validation::{Loc, Problem};

/// The `detail` of an error body.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(untagged)]
pub enum Detail {
    /// A message.
    Message(String),
    /// Validation problems, one per field.
    Issues(Vec<Problem>),
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

    /// 422 with validation problems, located already (`["body", …]`).
    pub fn validation(problems: Vec<Problem>) -> ApiError {
        ApiError::Http { status: StatusCode::UNPROCESSABLE_ENTITY, detail: Detail::Issues(problems) }
    }

    /// 422 with the problems a domain found in the input that came from `root` (`body`, `query`).
    pub fn invalid(root: &str, problems: Vec<Problem>) -> ApiError {
        let (status, detail) = located(StatusCode::UNPROCESSABLE_ENTITY, root, &problems);
        ApiError::Http { status, detail }
    }

    fn parts(&self) -> (StatusCode, Detail) {
        let message = |status: StatusCode, text: String| (status, Detail::Message(text));
        let unprocessable = |problems: &[Problem]| located(StatusCode::UNPROCESSABLE_ENTITY, "body", problems);
        match self {
            ApiError::Auth(e) => match e {
                AuthError::InvalidCredentials | AuthError::InvalidToken(_) => {
                    message(StatusCode::UNAUTHORIZED, e.to_string())
                }
                AuthError::MissingScopes(_) | AuthError::CannotGrant(_) | AuthError::RootClientImmutable => {
                    message(StatusCode::FORBIDDEN, e.to_string())
                }
                AuthError::Invalid(problems) => unprocessable(problems),
                AuthError::ClientNotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                AuthError::Db(db) => db_parts(db),
            },
            ApiError::Redaction(e) => match e {
                RedactionError::TooManyPatterns { .. } | RedactionError::SetTooLarge => {
                    message(StatusCode::BAD_REQUEST, e.to_string())
                }
                // The spec answers invalid patterns with 400.
                RedactionError::InvalidPatterns(problems) => located(StatusCode::BAD_REQUEST, "body", problems),
                RedactionError::Db(db) => db_parts(db),
            },
            ApiError::Dsr(e) => match e {
                DsrError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                DsrError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                DsrError::BadRequest(_) => message(StatusCode::BAD_REQUEST, e.to_string()),
                DsrError::Forbidden(_) => message(StatusCode::FORBIDDEN, e.to_string()),
                DsrError::Gone(_) => message(StatusCode::GONE, e.to_string()),
                DsrError::Invalid(problems) => unprocessable(problems),
                DsrError::Db(db) => db_parts(db),
            },
            ApiError::Assessments(e) => match e {
                AssessmentError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                AssessmentError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                AssessmentError::BadRequest(_) => message(StatusCode::BAD_REQUEST, e.to_string()),
                AssessmentError::Upstream(_) => message(StatusCode::BAD_GATEWAY, e.to_string()),
                AssessmentError::Invalid(problems) => unprocessable(problems),
                AssessmentError::Db(db) => db_parts(db),
            },
            ApiError::Notices(e) => match e {
                NoticesError::NotFound(_) => message(StatusCode::NOT_FOUND, e.to_string()),
                NoticesError::Conflict(_) => message(StatusCode::CONFLICT, e.to_string()),
                NoticesError::Invalid(problems) => unprocessable(problems),
                NoticesError::Db(db) => db_parts(db),
            },
            ApiError::Db(db) => db_parts(db),
            ApiError::Blocking(_) => message(StatusCode::SERVICE_UNAVAILABLE, "Service unavailable".into()),
            ApiError::Http { status, detail } => (*status, detail.clone()),
        }
    }
}

/// The one converter of domain problems: each located under `root` (where the input the domain
/// was given came from: `body`, `query`).
fn located(status: StatusCode, root: &str, problems: &[Problem]) -> (StatusCode, Detail) {
    let root = [Loc::from(root)];
    (status, Detail::Issues(problems.iter().map(|p| p.clone().under(&root)).collect()))
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
