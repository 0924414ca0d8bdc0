//! A local, stateful stand-in for the RecallrAI List Sessions API
//! (`GET /api/v1/users/{custom_user_id}/sessions`), for tests, examples and
//! benchmarks.
//!
//! It answers as the API documents: both auth headers or 401, 404 for an
//! unknown user, FastAPI-shaped 422s for bad parameters, status and nested
//! metadata filters, newest first, offset/limit pages. Its data lives in a
//! [`Store`] that tests can change while a client is paging, and it injects
//! [`Fault`]s (5xx, 429 with `Retry-After`, dropped connections, truncated
//! bodies, delays, unknown statuses, unknown fields) on demand or at
//! seeded random.
//!
//! ```
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! use recallr_stub::{Store, StubConfig, StubServer};
//!
//! let server = StubServer::start(StubConfig::default(), Store::generate(2, 30, 7)).await?;
//! let url = format!("{}/api/v1/users/user-0/sessions?limit=5", server.base_url());
//! // Point a client at `url` with both headers:
//! // X-Recallr-Api-Key: recallr_stub::DEFAULT_API_KEY
//! // X-Recallr-Project-Id: recallr_stub::DEFAULT_PROJECT_ID
//! # let _ = url;
//! server.shutdown().await;
//! # Ok(())
//! # }
//! ```
//!
//! The `recallr-stub` binary serves the same from the command line:
//! `recallr-stub serve --help`.

#![warn(missing_docs)]

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

#[cfg(feature = "cli")]
pub mod cli;
mod error;
mod faults;
mod filter;
mod generate;
mod handler;
mod query;
mod server;
mod store;

pub use error::StubError;
pub use faults::{Fault, FaultConfig, RetryAfter};
pub use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
pub use server::{
    MAX_REQUEST_HEAD_BYTES, REQUEST_LOG_BYTES, REQUEST_LOG_LIMIT, RecordedRequest, StubConfig,
    StubServer,
};
pub use store::{Store, session, session_with_id, timestamp};

/// The API key the stub accepts unless configured otherwise. It starts
/// with `rai_`, as the official SDK requires.
pub const DEFAULT_API_KEY: &str = "rai_stub_key";

/// The project id the stub accepts unless configured otherwise.
pub const DEFAULT_PROJECT_ID: &str = "00000000-0000-4000-8000-000000000000";
