//! The code generator behind `cargo xtask`.
//!
//! The binary and the workspace tests both call this library, so there is one
//! code path from `openapi/` to `crates/recallr-api/src/lib.rs`.

pub mod codegen;
pub mod error;
pub mod open_enum;
pub mod output;
pub mod paths;
pub mod progenitor_input;
pub mod spec;

pub use codegen::{Freshness, check, generate, write};
pub use error::XtaskError;
