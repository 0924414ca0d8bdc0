//! A local, stateful stand-in for the whole RecallrAI API, for tests,
//! examples and benchmarks.
//!
//! Routes, parameters and bodies come from the effective spec (embedded):
//! every operation is authenticated (both headers or 401), validated with
//! FastAPI-shaped 422s, and answered. The vendor's behaviour, which the
//! spec cannot say, is kept by hand per resource: users, sessions and
//! their `pending` → `processing` → `processed` state machine on a
//! controllable [`Clock`], messages, memories derived from them, merge
//! conflicts, context (plain or streamed), the system prompt. An
//! operation the stub does not model is answered from the spec's schema,
//! marked with [`SYNTHESISED_HEADER`]. Its data lives in a [`Store`] that
//! tests can change while a client is talking to it, and it injects
//! [`Fault`]s (5xx, 429 with `Retry-After`, dropped connections, truncated
//! bodies, delays, unknown enum values, unknown fields) on any route, by
//! operation or path, on demand or at seeded random.
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
mod clock;
mod error;
mod faults;
mod filter;
mod generate;
mod layers;
mod log;
mod model;
mod resources;
mod response;
mod server;
mod spec;
mod state;
mod store;
mod synth;
mod validate;

pub use clock::Clock;
pub use error::StubError;
pub use faults::{Fault, FaultConfig, FaultTarget, RetryAfter};
pub use layers::MAX_REQUEST_BODY_BYTES;
pub use log::{REQUEST_LOG_BYTES, REQUEST_LOG_LIMIT, RecordedRequest};
pub use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
pub use resources::memories::CATEGORIES as MEMORY_CATEGORIES;
pub use response::SYNTHESISED_HEADER;
pub use server::{MAX_REQUEST_HEAD_BYTES, StubConfig, StubServer};
pub use store::{Store, session, session_with_id, timestamp};

/// The largest response body a fault rewrites or truncates.
pub(crate) const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// The effective spec the stub serves (`openapi/recallr.json` when this
/// crate was built), as JSON text.
pub const EFFECTIVE_SPEC: &str = spec::SPEC_TEXT;

/// The API key the stub accepts unless configured otherwise. It starts
/// with `rai_`, as the official SDK requires.
pub const DEFAULT_API_KEY: &str = "rai_stub_key";

/// The project id the stub accepts unless configured otherwise.
pub const DEFAULT_PROJECT_ID: &str = "00000000-0000-4000-8000-000000000000";
