#![doc = include_str!("../README.md")]

mod engine;
mod error;
mod model;
mod patterns;
mod repo;
mod service;

pub use engine::{CollectionName, EntityRedaction, EntityRules, PackageNames, Redactor};
pub use error::{RedactionError, Result};
pub use model::RedactionPatterns;
pub use patterns::{MAX_PATTERN_LENGTH, MAX_PATTERNS, PatternSet};
pub use service::{DieselRedactionService, RedactionService};
