#![doc = include_str!("../README.md")]

mod error;
mod model;
mod repo;
pub mod scopes;
mod service;

pub use error::{AuthError, Result};
pub use model::{AccessToken, ClientCreate, ClientCreated, Principal};
pub use service::{AuthService, DieselAuthService, RootClient};
