//! `recallr-bench`'s integration tests, in one test binary: add a module
//! here rather than a file beside `it/`, which would link another.

// The runner is Linux-only (see the crate docs).
#[cfg(target_os = "linux")]
mod errors;
