//! Benchmarks of recallr-rs, run by `bench/run`.
//!
//! `recallr-bench run` starts `recallr-stub` processes on loopback and
//! measures, in one run on one machine: `recallr-ext`'s streaming
//! throughput against a hand-written `reqwest` loop and the vendor's Python
//! SDK, latency hiding by concurrent prefetch, the CLI's peak memory, the
//! stub's time per page of every list at a million records, a burst of
//! concurrent requests across every route, and `xtask codegen --check`. The decode
//! benchmark is a criterion bench (`benches/decode.rs`) whose results the
//! run reads. The report is a Markdown file with every figure, ratio and
//! goal.
//!
//! The runner and the modules it alone uses are Linux-only (child processes
//! tied to the runner with `prctl`, CPU time from `/proc`); the clients, the
//! fixtures and the decode bench build everywhere.

#![warn(missing_docs)]

#[cfg(target_os = "linux")]
pub mod codegen_time;
#[cfg(target_os = "linux")]
pub mod concurrency;
#[cfg(target_os = "linux")]
pub mod cpu;
pub mod decode_results;
pub mod error;
pub mod ext_client;
pub mod fixture;
pub mod hand_kept;
pub mod latency;
pub mod machine;
#[cfg(target_os = "linux")]
pub mod memory;
pub mod plan;
#[cfg(target_os = "linux")]
pub mod process;
#[cfg(target_os = "linux")]
pub mod python_sdk;
pub mod raw_client;
#[cfg(target_os = "linux")]
pub mod report;
#[cfg(target_os = "linux")]
pub mod runner;
pub mod scale;
pub mod stats;
#[cfg(target_os = "linux")]
pub mod stub_process;
#[cfg(target_os = "linux")]
pub mod throughput;

pub use error::BenchError;

/// The API key every stub of the run accepts (the stub's default).
pub const API_KEY: &str = recallr_stub::DEFAULT_API_KEY;
/// The project ID every stub of the run accepts (the stub's default).
pub const PROJECT_ID: &str = recallr_stub::DEFAULT_PROJECT_ID;
/// The user whose sessions are listed: the stub's first generated user.
pub const USER: &str = "user-0";
