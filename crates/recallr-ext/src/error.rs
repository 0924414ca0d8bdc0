//! The one error type of the client.

use std::time::Duration;

use reqwest::StatusCode;

/// One problem the server found with a request (an entry of a 422 body).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidationIssue {
    /// Where the problem is, e.g. `["query", "limit"]`.
    pub loc: Vec<String>,
    /// What is wrong, in the server's words.
    pub msg: String,
    /// The server's machine-readable error type, e.g. `less_than_equal`.
    pub kind: String,
}

impl std::fmt::Display for ValidationIssue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.loc.join("."), self.msg)
    }
}

/// Everything that can go wrong talking to RecallrAI.
///
/// Server errors keep the HTTP status, the server's `detail` and the
/// request id header (`x-request-id` or `request-id`) when the server sent
/// one. No variant ever holds the API key: every piece of text the server
/// sent (body, `detail`, headers) has the key scrubbed out, in every form
/// it can take, before it is stored, and is cut to a bounded length.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// 401: the API key or project ID was rejected.
    #[error("unauthorized (401): {detail}{}", request_id_suffix(.request_id))]
    Unauthorized {
        /// The server's `detail`.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// 404 from the API: the resource the call names does not exist (a
    /// user, session, memory or merge conflict). A 404 that is not the
    /// API's (a wrong base URL, a proxy's page) is
    /// [`UnexpectedStatus`](Self::UnexpectedStatus) instead.
    #[error("{resource} not found (404): {detail} ({resource} id {id:?}){}", request_id_suffix(.request_id))]
    NotFound {
        /// The kind of resource, from the operation's path: `user`,
        /// `session`, `memory`, `merge conflict`. The innermost one the
        /// path names, unless the server's `detail` names an outer one.
        resource: &'static str,
        /// Its id, as sent (cut to a bounded length).
        id: String,
        /// The server's `detail`.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// 400: the server refused the request as it stands (say, unknown
    /// memory categories, or a session that cannot be processed now).
    #[error("bad request (400): {detail}{}", request_id_suffix(.request_id))]
    BadRequest {
        /// The server's `detail` (a JSON object's text when it sent one).
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// 409: the request conflicts with the current state (say, a user id
    /// that is already taken).
    #[error("conflict (409): {detail}{}", request_id_suffix(.request_id))]
    Conflict {
        /// The server's `detail`.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// 422: the server rejected the request's parameters.
    #[error("the server rejected the request (422): {}{}", join_issues(.issues), request_id_suffix(.request_id))]
    Validation {
        /// Each problem the server listed.
        issues: Vec<ValidationIssue>,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// 429: rate limited, and retrying did not help (or the server asked
    /// for a longer wait than the retry policy allows).
    #[error("rate limited (429): {detail}{}{}", retry_after_suffix(.retry_after), request_id_suffix(.request_id))]
    RateLimited {
        /// How long the server asked us to wait (`Retry-After`), if it said.
        retry_after: Option<Duration>,
        /// The server's `detail`.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// A 5xx response.
    #[error("server error ({status}): {detail}{}{}", retry_after_suffix(.retry_after), request_id_suffix(.request_id))]
    Server {
        /// The HTTP status.
        status: StatusCode,
        /// The server's `detail`, or a snippet of a non-JSON body.
        detail: String,
        /// How long the server asked us to wait (`Retry-After`, as a 503
        /// may send), if it said.
        retry_after: Option<Duration>,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// Another status the API does not document (say 403 or 408), or a 404 that is not the API's "not found" (a
    /// wrong base URL, or a proxy's page).
    #[error("unexpected response ({status}): {detail}{}", request_id_suffix(.request_id))]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The server's `detail`, or a snippet of the body.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// The server answered with a redirect. Redirects are never followed,
    /// so that the API key is never sent to another address.
    #[error(
        "the server redirected the request ({status}{}); redirects are not followed, so that the API key goes only to the configured base URL: set the base URL to the API's address",
        location_suffix(.location)
    )]
    Redirect {
        /// The HTTP status (301, 302, 307, ...).
        status: StatusCode,
        /// The `Location` header, if any.
        location: Option<String>,
    },
    /// The request (or reading its response) took longer than the timeout,
    /// or the call took longer than its
    /// [`operation_timeout`](crate::RecallrBuilder::operation_timeout).
    #[error("request timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
        /// The HTTP client's error, if the HTTP client timed out.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The connection could not be made or was lost before a response.
    #[error("connection error: {message}")]
    Connection {
        /// What went wrong.
        message: String,
        /// The HTTP client's error.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// A response arrived but its body could not be read or decoded.
    #[error("cannot decode the response{}: {message}; body starts: {snippet:?}", status_suffix(.status))]
    Decode {
        /// The HTTP status, when known.
        status: Option<StatusCode>,
        /// What the decoder said.
        message: String,
        /// The first characters of the body (at most 200).
        snippet: String,
        /// Whether the body was cut short (a transport problem, worth a retry)
        /// rather than malformed.
        truncated: bool,
        /// The HTTP client's error, when it was the HTTP client that failed.
        #[source]
        source: Option<reqwest::Error>,
    },
    /// The request was refused before sending: a bad argument or setting.
    #[error("invalid request: {message}")]
    InvalidRequest {
        /// What is wrong with it.
        message: String,
    },
    /// The client's configuration is incomplete or invalid.
    #[error("invalid configuration: {message}")]
    Config {
        /// What is wrong with it.
        message: String,
    },
    /// A page broke the order the server promises for the list (sessions:
    /// newest `created_at` first), on which the pager's guarantees rest.
    /// The walk stops rather than skip items silently.
    #[error(
        "the server broke its documented order in the page at offset {offset}: {detail}; stopping rather than risk skipping items"
    )]
    OrderViolated {
        /// The offset of the page that broke the order.
        offset: u64,
        /// What was out of order, with the positions.
        detail: String,
    },
    /// The pager stopped because pages kept returning nothing new (64
    /// fetches in a row).
    #[error("pagination made no progress: {pages} pages in a row (offsets {first_offset} to {last_offset}) held only items already listed; {}",
        if *.total_changed { "the list is changing faster than it can be read" } else { "the total did not change, so the server may be ignoring the offset or repeating a page" })]
    NoProgress {
        /// How many pages in a row yielded nothing new.
        pages: u32,
        /// The offset of the first of those pages.
        first_offset: u64,
        /// The offset of the last of those pages.
        last_offset: u64,
        /// Whether the server's `total` changed during that run.
        total_changed: bool,
    },
    /// The server sent a page the list's contract does not allow (more
    /// items than the `limit` asked for, a negative `total`); the walk
    /// stops rather than trust it.
    #[error("the server sent a page that breaks the list's contract at offset {offset}: {detail}")]
    PageRefused {
        /// The offset of the page.
        offset: u64,
        /// What was wrong with it.
        detail: String,
    },
    /// A walk reached one of its bounds: its request budget (about ten
    /// times the requests the items it yielded need), or the number of ids
    /// it keeps to yield each item once.
    #[error("the walk stopped: {detail}")]
    WalkAborted {
        /// Which bound, and how far the walk got.
        detail: String,
    },
}

/// The longest body snippet a [`Error::Decode`] keeps, in characters
/// (documented there).
pub(crate) const SNIPPET_LEN: usize = 200;

impl Error {
    /// Whether the same request may succeed if sent again: connection
    /// errors, timeouts, truncated bodies, 408, 429 and 5xx.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Timeout { .. } | Error::Connection { .. } | Error::RateLimited { .. } => true,
            Error::Server { .. } => true,
            Error::UnexpectedStatus { status, .. } => *status == StatusCode::REQUEST_TIMEOUT,
            Error::Decode { truncated, .. } => *truncated,
            Error::Unauthorized { .. }
            | Error::NotFound { .. }
            | Error::BadRequest { .. }
            | Error::Conflict { .. }
            | Error::Validation { .. }
            | Error::Redirect { .. }
            | Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::OrderViolated { .. }
            | Error::NoProgress { .. }
            | Error::PageRefused { .. }
            | Error::WalkAborted { .. } => false,
        }
    }

    /// Whether the request provably never reached the application: the
    /// connection could not be made, or the server refused it with a 429.
    /// Only these are retried for an operation that is not idempotent.
    pub fn did_not_reach_the_server(&self) -> bool {
        match self {
            Error::RateLimited { .. } => true,
            Error::Connection {
                source: Some(source),
                ..
            } => source.is_connect(),
            _ => false,
        }
    }

    /// The HTTP status of the response behind this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::NotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::BadRequest { .. } => Some(StatusCode::BAD_REQUEST),
            Error::Conflict { .. } => Some(StatusCode::CONFLICT),
            Error::Validation { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Server { status, .. }
            | Error::UnexpectedStatus { status, .. }
            | Error::Redirect { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }

    /// The server's request id, when the response carried one: quote it
    /// when reporting a problem to RecallrAI.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::NotFound { request_id, .. }
            | Error::BadRequest { request_id, .. }
            | Error::Conflict { request_id, .. }
            | Error::Validation { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Server { request_id, .. }
            | Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    pub(crate) fn invalid_request(message: impl Into<String>) -> Self {
        Error::InvalidRequest {
            message: message.into(),
        }
    }

    pub(crate) fn config(message: impl Into<String>) -> Self {
        Error::Config {
            message: message.into(),
        }
    }
}

fn request_id_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

fn retry_after_suffix(retry_after: &Option<Duration>) -> String {
    retry_after
        .map(|wait| format!("; retry after {}s", wait.as_secs_f64()))
        .unwrap_or_default()
}

fn location_suffix(location: &Option<String>) -> String {
    location
        .as_ref()
        .map(|location| format!(" to {location}"))
        .unwrap_or_default()
}

fn status_suffix(status: &Option<StatusCode>) -> String {
    status
        .map(|status| format!(" ({status})"))
        .unwrap_or_default()
}

pub(crate) fn join_issues(issues: &[ValidationIssue]) -> String {
    if issues.is_empty() {
        return "no details given".to_string();
    }
    issues
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join("; ")
}
