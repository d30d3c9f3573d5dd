//! Privacy requests: creation, execution against the subject's data stores, result packages,
//! monitoring and retry.

pub(crate) mod identity;
pub(crate) mod model;
pub(crate) mod repo;
mod runner;
mod service;

pub use identity::{Identity, IdentityValue};
pub use model::{
    AccessResultUrls, ActionRequiredDetails, ExecutionLog, FieldAffected, PrivacyRequest, PrivacyRequestCreate,
    RequestFilter, RequestStatus, SortDirection, SortField,
};
pub use service::{DieselRequestService, PackageDownload, QUEUE, RequestService, RequestSettings};
