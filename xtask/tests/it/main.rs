//! xtask's integration tests, in one test binary (one link of the
//! dependency tree instead of one per file).

mod codegen_cli;
mod common;
mod doc_text;
mod ext_surface;
mod layers;
mod second_checkout;
mod semver;
mod spec_diff_cli;
mod spec_diff_fixture;
mod spec_diff_rules;
mod spec_update;
