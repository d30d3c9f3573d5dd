//! Fides' bulk writes: a body of at most [`MAX_BULK`] items (checked once, here), each item
//! stored in its own transaction or refused on its own, answered as `{succeeded, failed}`.

use db::{Database, DbConn};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::{DsrError, Result};

/// One item a bulk write could not take, with the item as submitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkFailure {
    /// Why.
    pub message: String,
    /// The submitted item (an object, or for some routes the identifiers it named).
    #[schema(value_type = serde_json::Value)]
    pub data: serde_json::Value,
}

/// Fides' bulk answer: what was stored and what was not.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BulkResponse<T> {
    /// Stored items.
    pub succeeded: Vec<T>,
    /// Refused items.
    pub failed: Vec<BulkFailure>,
}

impl<T> Default for BulkResponse<T> {
    fn default() -> Self {
        BulkResponse { succeeded: Vec::new(), failed: Vec::new() }
    }
}

/// Most items one bulk write takes.
pub const MAX_BULK: usize = 50;

/// Refuses a list of `len` items at `loc` when it holds more than `max` (the one place a bulk
/// limit is checked).
pub(crate) fn check_bulk(loc: Vec<validation::Loc>, len: usize, max: usize) -> crate::Result<()> {
    match validation::problem::at_most(loc, len, max) {
        Some(problem) => Err(crate::DsrError::Invalid(vec![problem])),
        None => Ok(()),
    }
}

/// The OpenAPI schema of a bulk request body: a list of at most `N` items of `T`
/// (`request_body = BulkBody<PolicyCreate>`). Only a schema; handlers take `Vec<T>`.
pub struct BulkBody<T, const N: usize = MAX_BULK>(std::marker::PhantomData<T>);

impl<T: ToSchema, const N: usize> utoipa::PartialSchema for BulkBody<T, N> {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(utoipa::openapi::Ref::from_schema_name(T::name()))
            .max_items(Some(N))
            .description(Some(format!("At most {N} items")))
            .into()
    }
}

impl<T: ToSchema, const N: usize> ToSchema for BulkBody<T, N> {
    fn name() -> std::borrow::Cow<'static, str> {
        format!("{}List", T::name()).into()
    }

    fn schemas(schemas: &mut Vec<(String, utoipa::openapi::RefOr<utoipa::openapi::schema::Schema>)>) {
        schemas.push((T::name().into_owned(), T::schema()));
        T::schemas(schemas);
    }
}

/// Why one bulk item failed: a message for the client, or a storage error that fails the call.
pub(crate) enum ItemError {
    /// The item is refused; the others go on.
    Refused(String),
    /// Storage failed: the call fails.
    Failed(DsrError),
}

impl From<diesel::result::Error> for ItemError {
    fn from(e: diesel::result::Error) -> Self {
        ItemError::Failed(e.into())
    }
}

impl From<crate::error::Refused> for ItemError {
    fn from(e: crate::error::Refused) -> Self {
        ItemError::Refused(e.0)
    }
}

impl From<DsrError> for ItemError {
    fn from(e: DsrError) -> Self {
        ItemError::Failed(e)
    }
}

/// Refuses the item with `message`.
pub(crate) fn refuse<T>(message: impl Into<String>) -> std::result::Result<T, ItemError> {
    Err(ItemError::Refused(message.into()))
}

/// Runs `save` for each of at most `max` items in its own write transaction and sorts the
/// outcomes into a bulk response; a storage failure (not a refusal) fails the whole call.
pub(crate) fn save_each<I: Serialize, T>(
    db: &Database,
    max: usize,
    items: Vec<I>,
    mut save: impl FnMut(&mut DbConn, &I) -> std::result::Result<T, ItemError>,
) -> Result<BulkResponse<T>> {
    check_bulk(Vec::new(), items.len(), max)?;
    let mut conn = db.conn()?;
    let mut response = BulkResponse::default();
    for item in items {
        match conn.write_transaction(|c| save(c, &item)) {
            Ok(saved) => response.succeeded.push(saved),
            Err(ItemError::Refused(message)) => {
                response.failed.push(BulkFailure { message, data: serde_json::to_value(&item).unwrap_or_default() })
            }
            Err(ItemError::Failed(e)) => return Err(e),
        }
    }
    Ok(response)
}
