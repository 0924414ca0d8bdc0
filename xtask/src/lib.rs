//! The code generator and the spec tools behind `cargo xtask`.
//!
//! The binary and the workspace tests both call this library, so there is one
//! code path from `openapi/` to `crates/recallr-api/src/lib.rs`: `pipeline`
//! derives the effective spec from the upstream document, the `overlay` and
//! the kept operations, and `codegen` generates the client from it.
//! `spec_diff` says what a change of spec breaks; `spec_update` imports the
//! vendor's document and regenerates through the same pipeline;
//! `transaction` writes the set of files all or nothing.

pub mod bounded_read;
pub mod cli_commands;
pub mod client_state;
pub mod codegen;
pub mod component_names;
pub mod error;
pub mod facts;
pub mod forward_compat;
pub mod json_pointer;
pub mod open_enum;
pub mod output;
pub mod overlay;
pub mod paths;
pub mod pipeline;
pub mod progenitor_input;
pub mod spec;
pub mod spec_diff;
pub mod spec_update;
pub mod timestamps;
pub mod transaction;

pub use codegen::{Freshness, check, generate, write};
pub use error::XtaskError;
