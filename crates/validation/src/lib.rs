#![doc = include_str!("../README.md")]

pub mod integer;
pub mod json;
pub mod text;
