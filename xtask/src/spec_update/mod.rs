//! `cargo xtask spec update`: take in the vendor's OpenAPI document in one
//! step.
//!
//! [`fetch`] reads `--from` (bounded, credentials kept out of what is
//! shown); [`plan`] derives everything in memory through the same
//! [`crate::derive`] pipeline as `codegen` and writes it all or nothing;
//! [`semver`] judges the Rust API change, [`release`] turns it into version
//! bumps and a changelog entry, and [`summary`] writes the pull request.

pub mod fetch;
pub mod plan;
pub mod release;
pub mod semver;
pub mod summary;

pub use plan::{Options, Plan, TextChange, apply, plan};
