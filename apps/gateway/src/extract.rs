//! Request extractors: JSON bodies whose errors name the field, and bearer-token auth with the
//! scopes a route requires.

use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{Payload, ServiceRequest, ServiceResponse};
use actix_web::http::StatusCode;
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpMessage, HttpRequest};
use auth::{AuthError, Principal};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

use validation::{Loc, Problem};

use crate::error::ApiError;
use crate::state::AppState;

/// A JSON request body. Unlike `actix_web::web::Json`, a body that does not fit `T` is answered
/// with 422 and a detail list whose `loc` points at the offending field (`["body", "patterns", 3]`).
/// The content type is not checked: the body is parsed as JSON either way.
#[derive(Debug)]
pub struct Json<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let bytes = Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = bytes.await.map_err(|e| {
                let status = e.as_response_error().status_code();
                if status == StatusCode::PAYLOAD_TOO_LARGE {
                    ApiError::message(status, "Request body is too large")
                } else {
                    ApiError::message(StatusCode::BAD_REQUEST, "Could not read the request body")
                }
            })?;
            parse_json(&bytes).map(Json)
        })
    }
}

/// Query parameters. Unlike `actix_web::web::Query`, a value that does not fit `T` is answered
/// with 422 and `loc` naming the parameter (`["query", "limit"]`).
#[derive(Debug)]
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(parse_query(req.query_string()).map(Query))
    }
}

/// Deserializes a query string, naming a bad parameter in the 422 (`["query", "limit"]`).
pub fn parse_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    let pairs = form_urlencoded::parse(query.as_bytes());
    let result: Result<T, _> = serde_path_to_error::deserialize(serde_urlencoded::Deserializer::new(pairs));
    result.map_err(|e| {
        let mut loc = vec![Loc::from("query")];
        loc.extend(path_parts(e.path()));
        ApiError::validation(vec![data_issue(loc, e.into_inner().to_string())])
    })
}

/// Deserializes a JSON body, describing failures as validation issues located in the body.
pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut deserializer = serde_json::Deserializer::from_slice(bytes);
    // Strict: a struct is read only from an object, never from the array of its fields.
    let result: Result<T, _> = serde_path_to_error::deserialize(crate::strict::Strict(&mut deserializer));
    let value = result.map_err(|e| {
        let mut loc = vec![Loc::from("body")];
        loc.extend(path_parts(e.path()));
        ApiError::validation(vec![issue_from_json(loc, e.inner())])
    })?;
    deserializer.end().map_err(|e| ApiError::validation(vec![issue_from_json(vec!["body".into()], &e)]))?;
    Ok(value)
}

fn path_parts(path: &serde_path_to_error::Path) -> Vec<Loc> {
    use serde_path_to_error::Segment;
    path.iter()
        .filter_map(|segment| match segment {
            Segment::Seq { index } => Some(Loc::Index(*index)),
            Segment::Map { key } => Some(Loc::Key(key.clone())),
            Segment::Enum { variant } => Some(Loc::Key(variant.clone())),
            Segment::Unknown => None,
        })
        .collect()
}

fn issue_from_json(loc: Vec<Loc>, e: &serde_json::Error) -> Problem {
    use serde_json::error::Category;
    let text = e.to_string();
    // serde_json appends " at line L column C"; the location is in `loc` already.
    let message = text.split(" at line ").next().unwrap_or(&text).to_owned();
    match e.classify() {
        Category::Syntax | Category::Eof => {
            Problem::new(loc, format!("JSON decode error: {message}")).of_kind(validation::problem::JSON_INVALID)
        }
        Category::Io => Problem::new(loc, "Could not read the request body").of_kind(validation::problem::JSON_INVALID),
        Category::Data => data_issue(loc, message),
    }
}

/// A serde data error (missing field, wrong type, bad value) as a validation issue at `loc`;
/// a missing field is named in the location, as FastAPI does.
fn data_issue(mut loc: Vec<Loc>, message: String) -> Problem {
    if let Some(field) = message.strip_prefix("missing field `").and_then(|rest| rest.strip_suffix('`')) {
        loc.push(Loc::from(field));
        Problem::new(loc, "Field required").of_kind(validation::problem::MISSING)
    } else if message.starts_with("invalid type") {
        Problem::new(loc, message).of_kind(validation::problem::TYPE_ERROR)
    } else {
        Problem::new(loc, message).of_kind(validation::problem::VALUE_ERROR)
    }
}

/// A set of scopes a route requires; see the markers in [`crate::scope`].
pub trait RequiredScopes {
    /// Every one of these must be held.
    const SCOPES: &'static [&'static str];
}

/// A request whose bearer token is valid and holds the scopes of `S`.
///
/// No token or an unusable one → 401; a valid token without the scopes → 403 naming them. The
/// token was checked by [`authenticate`] before the handler's other inputs were looked at, so
/// this extractor is ready at once and, as every handler's first argument, answers before any
/// body, query or path error: a client without the scope learns nothing of the validation rules.
pub struct Authorized<S: RequiredScopes> {
    /// Who is calling.
    pub principal: Principal,
    _scopes: PhantomData<S>,
}

/// What [`authenticate`] found for a request's bearer token.
struct Authentication(Result<Principal, ApiError>);

fn not_authenticated() -> ApiError {
    ApiError::Auth(AuthError::InvalidToken("Not authenticated"))
}

fn bearer_token(req: &HttpRequest) -> Result<String, ApiError> {
    let header = req.headers().get(AUTHORIZATION).ok_or_else(not_authenticated)?;
    let value = header.to_str().map_err(|_| not_authenticated())?;
    let (scheme, token) = value.trim().split_once(' ').ok_or_else(not_authenticated)?;
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(not_authenticated());
    }
    Ok(token.to_owned())
}

/// Middleware: checks the bearer token of every request that carries an `Authorization` header
/// (on the blocking pool; the check may read the client from the database) before the route's
/// extractors run, and leaves the outcome for [`Authorized`].
pub async fn authenticate(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(AUTHORIZATION) {
        let outcome = match (bearer_token(req.request()), req.app_data::<web::Data<AppState>>()) {
            (Err(e), _) => Err(e),
            (Ok(_), None) => Err(ApiError::message(StatusCode::INTERNAL_SERVER_ERROR, "Internal server error")),
            (Ok(token), Some(state)) => {
                let auth = state.auth.clone();
                match web::block(move || auth.authenticate(&token)).await {
                    Ok(checked) => checked.map_err(ApiError::from),
                    Err(gone) => Err(ApiError::from(gone)),
                }
            }
        };
        req.extensions_mut().insert(Authentication(outcome));
    }
    next.call(req).await
}

impl<S: RequiredScopes> FromRequest for Authorized<S> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let outcome = match req.extensions_mut().remove::<Authentication>() {
            None => Err(not_authenticated()),
            Some(Authentication(outcome)) => outcome,
        };
        std::future::ready(outcome.and_then(|principal| {
            principal.require(S::SCOPES)?;
            Ok(Authorized { principal, _scopes: PhantomData })
        }))
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;
    use crate::error::Detail;

    #[derive(Debug, Deserialize)]
    #[expect(dead_code, reason = "only deserialized")]
    struct Body {
        patterns: Vec<String>,
    }

    fn issues(body: &str) -> Vec<Problem> {
        match parse_json::<Body>(body.as_bytes()).unwrap_err() {
            ApiError::Http { detail: Detail::Issues(issues), status } => {
                assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
                issues
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn missing_field_is_named() {
        assert_eq!(
            issues("{}"),
            vec![
                Problem::new(vec!["body".into(), "patterns".into()], "Field required")
                    .of_kind(validation::problem::MISSING)
            ]
        );
    }

    #[test]
    fn wrong_type_points_at_the_list_item() {
        let found = issues(r#"{"patterns": ["a", 7]}"#);
        assert_eq!(found[0].loc, vec![Loc::from("body"), "patterns".into(), 1.into()]);
        assert_eq!(found[0].kind, "type_error");
        assert_eq!(found[0].msg, "invalid type: integer `7`, expected a string");
    }

    #[test]
    fn malformed_json_is_reported_as_such() {
        let found = issues(r#"{"patterns": ["a""#);
        assert_eq!(found[0].kind, "json_invalid");
        assert_eq!(issues("")[0].kind, "json_invalid");
        assert_eq!(issues(r#"{"patterns": []} trailing"#)[0].kind, "json_invalid");
    }

    #[test]
    fn not_an_object_is_a_type_error_on_the_body() {
        let found = issues("7");
        assert_eq!(found[0].loc, vec![Loc::from("body")]);
        assert_eq!(found[0].kind, "type_error");
    }
}
