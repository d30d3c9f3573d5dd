#![doc = include_str!("../README.md")]

pub mod integer;
pub mod json;
pub mod problem;
pub mod text;

pub use problem::{Loc, Problem};
