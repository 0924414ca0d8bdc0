//! The workspace's cross-crate tests live in `tests/tests/it/`; this
//! library only holds the README's examples, as doctests.

// The README's Rust examples compile (and those not marked `no_run` run) as
// doctests of this crate, so the README cannot drift from the API.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;
