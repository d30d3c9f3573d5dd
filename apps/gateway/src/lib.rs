//! The Lethe server: configuration, the actix-web application with every documented route,
//! OAuth2 auth, OpenAPI and Swagger UI. The only crate that knows HTTP.

pub mod config;
pub mod demo;
pub mod error;
pub mod extract;
pub mod limit;
pub mod openapi;
pub mod privacy_center;
pub mod routes;
pub mod scope;
pub mod startup;
pub mod state;
pub mod strict;
pub mod telemetry;

pub use config::Settings;
pub use startup::{Application, build_app};
pub use state::AppState;
