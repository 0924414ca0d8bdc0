//! The workspace's cross-crate tests, in one test binary (one link of the
//! whole dependency tree instead of one per file).

mod common;
mod decoding;
mod drift;
mod forward_compat;
mod json_schema;
mod readme_versions;
mod self_contained;
mod spec_facts;
mod wire_format;
mod workflows;
