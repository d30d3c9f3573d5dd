//! Black-box tests of the whole Lethe server over HTTP, one test binary with a module per area
//! (one link instead of one per file).

mod assessments;
mod assessments_ai;
mod assessments_pdf;
mod assessments_slack;
mod auth;
mod authorization;
mod browser;
mod dsr_connections;
mod dsr_datasets;
mod dsr_duplicates;
mod dsr_erasure;
mod dsr_large;
mod dsr_manual;
mod dsr_messages;
mod dsr_monitoring;
mod dsr_mysql;
mod dsr_policies;
mod dsr_requests;
mod dsr_retention;
mod dsr_review;
mod dsr_saas;
mod dsr_saas_oauth;
mod dsr_webhooks;
mod notices_ropa;
mod platform;
mod privacy_center;
mod redaction_patterns;
mod tls;
