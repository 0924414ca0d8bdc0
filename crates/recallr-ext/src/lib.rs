//! The RecallrAI client for Rust.
//!
//! `recallr-ext` wraps the client that progenitor generates from the
//! OpenAPI spec (`recallr-api`) with what a production client needs:
//!
//! - **Configuration** with [`Recallr::builder`] or [`Recallr::from_env`];
//!   the API key is sent as a sensitive header and never printed.
//! - **Typed errors**: one [`Error`] enum that keeps the HTTP status, the
//!   server's `detail` and the request id, with [`Error::is_retryable`].
//! - **Retries** with exponential backoff and jitter that honour
//!   `Retry-After` ([`RetryPolicy`]).
//! - **Pagination** that stays correct while the list changes:
//!   [`ListSessions::items`] yields every session exactly once even as
//!   sessions are created, deleted or change status during the walk, with
//!   optional concurrent prefetch ([`ListSessions::concurrency`]).
//! - **Forward compatibility**: a status the vendor adds later decodes as
//!   [`SessionStatus::Unknown`], and unknown fields are kept in `extra`.
//!
//! Every request is built and sent by the generated client; this crate only
//! configures it, checks arguments, retries and pages.
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

#![warn(missing_docs)]

mod client;
mod error;
mod pager;
mod redact;
mod response;
mod retry;
mod sessions;

pub use client::{
    DEFAULT_BASE_URL, DEFAULT_CONNECT_TIMEOUT, DEFAULT_TIMEOUT, ENV_API_KEY, ENV_BASE_URL,
    ENV_PROJECT_ID, Recallr, RecallrBuilder, User,
};
pub use error::{Error, SNIPPET_LEN, ValidationIssue};
pub use pager::{MAX_UNPRODUCTIVE_FETCHES, Page, PagerStats, SessionItems, SessionPages};
pub use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
pub use retry::RetryPolicy;
pub use sessions::{
    ListSessions, MAX_CONCURRENCY, MAX_METADATA_FILTER_LEN, MAX_PAGE_SIZE, MAX_USER_ID_LEN,
};
