//! The derivation of the effective spec from the workspace's three layers,
//! `recallr.json = downgrade(apply(overlay, trim(upstream)))`, and the
//! workspace commands that write or check it with the generated client.
//!
//! The stages, in the order they run: [`select`] (which operations, by
//! method and path), [`prune`] (the document trimmed to them), [`overlay`]
//! (our local choices; [`component_names`] renames what they mark),
//! [`downgrade`] (3.1 to 3.0.3; [`structure`] checks the upstream document
//! and each stage's output with JSON pointers, [`trust`] what the upstream
//! document may not do, [`bounds`] the numbers that
//! become the client's facts), [`doc_text`] (document text can never be
//! read as a code block) and [`normalize`] (key order, text); then
//! [`pipeline`] runs them and the client generator, and [`workspace`] reads
//! and writes the files. [`provenance`] records where the upstream document
//! came from and what is kept.

pub mod bounds;
pub mod component_names;
pub mod doc_text;
pub mod downgrade;
pub mod normalize;
pub mod overlay;
pub mod pipeline;
pub mod provenance;
pub mod prune;
pub mod select;
pub mod structure;
pub mod trust;
pub mod workspace;

pub use pipeline::{Derived, derive, derive_from};
pub use workspace::{check_workspace, recover, stale_message, write_workspace};
