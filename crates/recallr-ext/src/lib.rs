//! The RecallrAI client for Rust.
//!
//! `recallr-ext` wraps the client that progenitor generates from the
//! OpenAPI spec (`recallr-api`) with what a production client needs:
//!
//! - **Configuration** with [`Recallr::builder`] or [`Recallr::from_env`];
//!   the API key is sent as a sensitive header and never printed.
//! - **The whole API**, shaped after its paths and generated from the spec
//!   (so an operation the vendor adds arrives with no hand-written code):
//!   a `{id}` in a path is a handle ([`Recallr::user`],
//!   [`UserHandle::session`], [`UserHandle::memory`],
//!   [`UserHandle::merge_conflict`]), an operation is a method returning a
//!   request object with builder methods for optional parameters and
//!   `send()`. Integer arguments are checked against the spec's bounds
//!   before anything is sent.
//! - **Typed errors**: one [`Error`] enum that keeps the HTTP status, the
//!   server's `detail` and the request id, with [`Error::is_retryable`]; a
//!   404 names the resource and id not found ([`Error::NotFound`]).
//! - **Retries** with exponential backoff and jitter that honour
//!   `Retry-After` ([`RetryPolicy`]) and idempotency ([`RetryRule`]):
//!   `GET`, `PUT` and `DELETE` are retried; a `POST` only when it provably
//!   never reached the server (no connection, or a 429), never after a 5xx
//!   or a timeout.
//! - **Streaming**: `context().send_stream()` yields the server-sent
//!   [`ContextResponse`](types::ContextResponse) events as an
//!   [`EventStream`], bounded by the body cap and the operation timeout.
//! - **Pagination** that stays correct while the list changes:
//!   [`ListSessions::items`] yields every session exactly once even as
//!   sessions are created, deleted or change status during the walk, with
//!   optional concurrent prefetch ([`ListSessions::concurrency`]).
//!   [`ListSessions::send`] returns one [`SessionList`], a response as the
//!   server sent it; [`ListSessions::pages`] yields [`WalkPage`]s, the
//!   sessions each fetch added to the walk.
//! - **Forward compatibility**: a status the vendor adds later decodes as
//!   [`SessionStatus::Unknown`], and unknown fields are kept in `extra`;
//!   generated types are `#[non_exhaustive]` (see below).
//!
//! Every request is built and sent by the generated client; this crate only
//! configures it, checks arguments, retries and pages, all operations
//! through one call path.
//!
//! ```no_run
//! use recallr_ext::Recallr;
//! use recallr_ext::types::AddMessageRequest;
//!
//! # async fn run(session_id: uuid::Uuid) -> Result<(), recallr_ext::Error> {
//! let client = Recallr::from_env()?;
//! let session = client.user("user-42").session(session_id);
//! session
//!     .add_message(AddMessageRequest::new("Hello!".into(), "user".into()))
//!     .send()
//!     .await?;
//! match session.context().send().await {
//!     Ok(context) => println!("{}", context.context.unwrap_or_default()),
//!     Err(recallr_ext::Error::NotFound { resource, id, .. }) => {
//!         eprintln!("no {resource} {id}");
//!     }
//!     Err(other) => return Err(other),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ```no_run
//! use futures::TryStreamExt;
//! use recallr_ext::{Recallr, SessionStatus};
//!
//! # async fn run() -> Result<(), recallr_ext::Error> {
//! let client = Recallr::from_env()?;
//! let failed: Vec<_> = client
//!     .user("user-42")
//!     .sessions()
//!     .status(SessionStatus::Failed)
//!     .items()
//!     .try_collect()
//!     .await?;
//! for session in &failed {
//!     println!("{} {}", session.session_id, session.created_at);
//! }
//! # Ok(())
//! # }
//! ```
//!
//! ## Building values and matching statuses
//!
//! The generated types are `#[non_exhaustive]`, so a field or status the
//! vendor adds arrives in a compatible release. Build them with `new` or
//! `builder()` rather than struct literals, and give a `match` on a status a
//! wildcard arm. An unknown status is read with `as_str()`, never matched by
//! its text: it becomes a named variant when the client is regenerated.
//!
//! ```
//! use recallr_ext::{SessionInfo, SessionStatus};
//!
//! # fn main() -> Result<(), recallr_ext::types::error::ConversionError> {
//! let session: SessionInfo = SessionInfo::builder()
//!     .session_id(uuid::Uuid::from_u128(7))
//!     .created_at(chrono::Utc::now())
//!     .metadata(serde_json::Map::new())
//!     .status(Some(SessionStatus::from("archived")))
//!     .try_into()?;
//!
//! let label = match &session.status {
//!     Some(SessionStatus::Failed | SessionStatus::InsufficientBalance) => "needs attention",
//!     Some(SessionStatus::Processed) => "done",
//!     Some(SessionStatus::Unknown(value)) => value.as_str(),
//!     _ => "in progress",
//! };
//! assert_eq!(label, "archived");
//! # Ok(())
//! # }
//! ```

#![warn(missing_docs)]

// The README's examples compile and run as doctests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

mod call;
mod client;
mod error;
mod events;
mod execute;
mod operation;
// Generated by `cargo xtask codegen` (xtask/src/codegen/ext_surface.rs).
#[path = "generated/operations.rs"]
mod operations;
mod pager;
mod redact;
mod response;
mod retry;
mod sessions;

pub use call::MAX_PATH_PARAM_LEN;
pub use client::{ENV_API_KEY, ENV_BASE_URL, ENV_PROJECT_ID, Recallr, RecallrBuilder};
pub use error::{Error, ValidationIssue};
pub use events::EventStream;
pub use operation::{Operation, Order, Pagination, RetryRule};
pub use operations::*;
pub use pager::{
    ItemStream, MAX_IN_FLIGHT_BYTES, MAX_TIED_IDS, MAX_TRACKED_IDS, PageStream, PagerStats,
    SessionItems, SessionPages, WalkPage, WalkedPage,
};
/// The most bytes of a response body read unless
/// [`RecallrBuilder::max_response_bytes`] says otherwise.
pub use recallr_api::DEFAULT_MAX_RESPONSE_BYTES;
/// The generated request and response types, for what the re-exports
/// above do not name.
pub use recallr_api::types;
pub use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
/// The HTTP client crate that [`RecallrBuilder::http_client`] takes a
/// client of, at the version this crate is built with.
pub use reqwest;
pub use retry::RetryPolicy;
pub use sessions::{
    DEFAULT_PAGE_SIZE, ListSessions, MAX_CONCURRENCY, MAX_METADATA_FILTER_LEN, MAX_PAGE_SIZE,
    MAX_USER_ID_LEN, MIN_PAGE_SIZE, MIN_WALK_PAGE_SIZE,
};
