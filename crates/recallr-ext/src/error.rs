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
/// one. No variant ever holds the API key.
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
    /// 404: the user does not exist.
    #[error("user not found (404): {detail}{}", request_id_suffix(.request_id))]
    UserNotFound {
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
    #[error("server error ({status}): {detail}{}", request_id_suffix(.request_id))]
    Server {
        /// The HTTP status.
        status: StatusCode,
        /// The server's `detail`, or a snippet of a non-JSON body.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// Another status the API does not document for this call (say 400,
    /// 403 or 408).
    #[error("unexpected response ({status}): {detail}{}", request_id_suffix(.request_id))]
    UnexpectedStatus {
        /// The HTTP status.
        status: StatusCode,
        /// The server's `detail`, or a snippet of the body.
        detail: String,
        /// The request id header, if any.
        request_id: Option<String>,
    },
    /// The request (or reading its response) took longer than the timeout.
    #[error("request timed out: {message}")]
    Timeout {
        /// What timed out.
        message: String,
    },
    /// The connection could not be made or was lost before a response.
    #[error("connection error: {message}")]
    Connection {
        /// What went wrong.
        message: String,
    },
    /// A response arrived but its body could not be read or decoded.
    #[error("cannot decode the response{}: {message}; body starts: {snippet:?}", status_suffix(.status))]
    Decode {
        /// The HTTP status, when known.
        status: Option<StatusCode>,
        /// What the decoder said.
        message: String,
        /// The first bytes of the body (at most [`SNIPPET_LEN`] characters).
        snippet: String,
        /// Whether the body was cut short (a transport problem, worth a retry)
        /// rather than malformed.
        truncated: bool,
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
    /// The pager stopped because pages kept returning nothing new.
    #[error(
        "pagination made no progress after {pages} consecutive pages; the list is changing faster than it can be read"
    )]
    NoProgress {
        /// How many pages in a row yielded nothing new.
        pages: u32,
    },
}

/// The longest body snippet a [`Error::Decode`] keeps, in characters.
pub const SNIPPET_LEN: usize = 200;

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
            | Error::UserNotFound { .. }
            | Error::Validation { .. }
            | Error::InvalidRequest { .. }
            | Error::Config { .. }
            | Error::NoProgress { .. } => false,
        }
    }

    /// The HTTP status of the response behind this error, if there was one.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            Error::Unauthorized { .. } => Some(StatusCode::UNAUTHORIZED),
            Error::UserNotFound { .. } => Some(StatusCode::NOT_FOUND),
            Error::Validation { .. } => Some(StatusCode::UNPROCESSABLE_ENTITY),
            Error::RateLimited { .. } => Some(StatusCode::TOO_MANY_REQUESTS),
            Error::Server { status, .. } | Error::UnexpectedStatus { status, .. } => Some(*status),
            Error::Decode { status, .. } => *status,
            _ => None,
        }
    }

    /// The server's request id, when the response carried one: quote it
    /// when reporting a problem to RecallrAI.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            Error::Unauthorized { request_id, .. }
            | Error::UserNotFound { request_id, .. }
            | Error::Validation { request_id, .. }
            | Error::RateLimited { request_id, .. }
            | Error::Server { request_id, .. }
            | Error::UnexpectedStatus { request_id, .. } => request_id.as_deref(),
            _ => None,
        }
    }

    /// The same error with every occurrence of `secret` in its text
    /// replaced: a server or proxy may echo request headers in its body.
    pub(crate) fn redact(self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let clean = |text: String| {
            if text.contains(secret) {
                text.replace(secret, "<redacted>")
            } else {
                text
            }
        };
        match self {
            Error::Unauthorized { detail, request_id } => Error::Unauthorized {
                detail: clean(detail),
                request_id,
            },
            Error::UserNotFound { detail, request_id } => Error::UserNotFound {
                detail: clean(detail),
                request_id,
            },
            Error::Validation { issues, request_id } => Error::Validation {
                issues: issues
                    .into_iter()
                    .map(|issue| ValidationIssue {
                        loc: issue.loc.into_iter().map(clean).collect(),
                        msg: clean(issue.msg),
                        kind: clean(issue.kind),
                    })
                    .collect(),
                request_id,
            },
            Error::RateLimited {
                retry_after,
                detail,
                request_id,
            } => Error::RateLimited {
                retry_after,
                detail: clean(detail),
                request_id,
            },
            Error::Server {
                status,
                detail,
                request_id,
            } => Error::Server {
                status,
                detail: clean(detail),
                request_id,
            },
            Error::UnexpectedStatus {
                status,
                detail,
                request_id,
            } => Error::UnexpectedStatus {
                status,
                detail: clean(detail),
                request_id,
            },
            Error::Decode {
                status,
                message,
                snippet,
                truncated,
            } => Error::Decode {
                status,
                message: clean(message),
                snippet: clean(snippet),
                truncated,
            },
            other => other,
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

/// The first [`SNIPPET_LEN`] characters of `body`, lossily decoded.
pub(crate) fn snippet(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .take(SNIPPET_LEN)
        .collect()
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
