//! The code generator and the spec tools behind `cargo xtask`.
//!
//! The binary and the workspace tests both call this library, so there is one
//! code path from `openapi/` to `crates/recallr-api/src/lib.rs`. `spec_diff`
//! says what a change of spec breaks; `spec_update` imports the vendor's
//! document and regenerates through `codegen`.

pub mod codegen;
pub mod error;
pub mod forward_compat;
pub mod json_pointer;
pub mod open_enum;
pub mod output;
pub mod paths;
pub mod progenitor_input;
pub mod spec;
pub mod spec_diff;
pub mod spec_update;

pub use codegen::{Freshness, check, generate, write};
pub use error::XtaskError;
