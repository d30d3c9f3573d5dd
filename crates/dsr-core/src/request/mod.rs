//! Privacy requests: creation, execution against the subject's data stores, result packages,
//! monitoring and retry.

pub(crate) mod identity;
pub(crate) mod model;
pub(crate) mod repo;
mod review;
mod runner;
mod service;

pub use identity::{Identity, IdentityValue};
pub use model::{
    AccessResultUrls, ActionRequiredDetails, ExecutionLog, FieldAffected, PrivacyRequest, PrivacyRequestCreate,
    PrivacyRequestList, RequestFilter, RequestStatus, ReviewRequestIds, ReviewWithReason, SortDirection, SortField,
    VerificationCode,
};
pub use service::{
    CodeDelivery, DieselRequestService, PackageDownload, QUEUE, RequestService, RequestSettings, VERIFICATION_ATTEMPTS,
};
