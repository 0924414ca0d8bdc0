//! `recallr-stub`'s integration tests, in one test binary (one link of the
//! dependency tree instead of one per file). The binary's tests need the
//! `cli` feature, which this crate's self dev-dependency turns on.

mod api;
mod binary;
mod common;
mod domain;
mod far_timers;
mod faults;
mod flood;
mod schema;
mod store;
