//! The code generator and the spec tools behind `cargo xtask`.
//!
//! The binary and the workspace tests both call this library, so there is one
//! code path from `openapi/` to `crates/recallr-api/src/lib.rs`. The modules
//! are layers, each importing only those below it:
//!
//! - `spec_update` imports the vendor's document (fetch, plan, semver
//!   judgement, release, pull request);
//! - `derive` derives the effective spec from the upstream document, the
//!   overlay and the kept operations, and holds the workspace commands
//!   (write, check, recover);
//! - `codegen` generates the client from an effective spec: progenitor,
//!   then an ordered table of passes;
//! - `spec_diff` says what a change of spec breaks;
//! - below them all: `spec`, `paths`, `transaction` (a set of files written
//!   all or nothing), `output`, `bounded_read`, `json_pointer`, `error`.

pub mod bounded_read;
pub mod codegen;
pub mod derive;
pub mod error;
pub mod json_pointer;
pub mod output;
pub mod paths;
pub mod spec;
pub mod spec_diff;
pub mod spec_update;
pub mod transaction;

pub use codegen::{Freshness, check, generate, write};
pub use error::XtaskError;
