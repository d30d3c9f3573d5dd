//! Errors of the auth crate.

/// What can go wrong authenticating or managing clients.
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    /// Wrong client id or secret.
    #[error("Authentication Failure")]
    InvalidCredentials,
    /// The bearer token is malformed, altered, expired, or its client is gone.
    #[error("{0}")]
    InvalidToken(&'static str),
    /// The token is valid but lacks a scope the operation needs.
    #[error("Not Authorized for this action. Required scope(s): [{}]", .0.join(", "))]
    MissingScopes(Vec<String>),
    /// Scope names that are not in the registry, each located in the input.
    #[error("{}", .0.iter().map(|p| p.msg.as_str()).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<validation::Problem>),
    /// A client may only grant scopes it holds itself.
    #[error("Cannot grant scopes you do not hold: [{}]", .0.join(", "))]
    CannotGrant(Vec<String>),
    /// No client with this id.
    #[error("No client found with id '{0}'")]
    ClientNotFound(String),
    /// The root client is managed by configuration, not through the API.
    #[error("The root client is managed by configuration and cannot be changed or deleted through the API")]
    RootClientImmutable,
    /// Storage failed.
    #[error(transparent)]
    Db(#[from] db::DbError),
}

impl From<diesel::result::Error> for AuthError {
    fn from(e: diesel::result::Error) -> Self {
        AuthError::Db(e.into())
    }
}

/// Result of an auth operation.
pub type Result<T> = std::result::Result<T, AuthError>;
