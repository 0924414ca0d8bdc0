//! Exit codes: scripts branch on these, so each failure class has one.

use std::process::ExitCode;

use recallr_ext::Error;

use crate::invocation::Invocation;

/// Usage or input error (clap's, or an invalid flag value).
pub const USAGE: u8 = 2;
/// Authentication failed.
pub const UNAUTHORIZED: u8 = 3;
/// What the command names does not exist.
pub const NOT_FOUND: u8 = 4;
/// The server rejected the request (400, 409, 422).
pub const REJECTED: u8 = 5;
/// Rate limited after retries.
pub const RATE_LIMITED: u8 = 6;
/// Server or network failure after retries.
pub const UNAVAILABLE: u8 = 7;
/// Anything else.
pub const OTHER: u8 = 1;

/// A failure of the command: its one-line message and its exit code.
#[derive(Debug)]
pub struct Failure {
    pub message: String,
    pub code: u8,
}

impl Failure {
    pub fn usage(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: USAGE,
        }
    }

    pub fn other(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            code: OTHER,
        }
    }

    /// Prints `error: ...` on one line, control characters escaped (the
    /// message may quote the server), and returns the exit code.
    pub fn report(&self) -> ExitCode {
        let one_line = crate::render::escape_controls(&self.message);
        eprintln!("error: {one_line}");
        ExitCode::from(self.code)
    }
}

impl Failure {
    /// The failure of a command's request; a 404 names what is missing
    /// with what holds it (the client says which resource it was).
    pub fn from_api(error: Error, invocation: &Invocation) -> Self {
        if let Error::NotFound {
            resource, detail, ..
        } = &error
            && let Some(target) = invocation.missing_target(resource)
        {
            return Self {
                message: format!(
                    "{target} not found (404): {}",
                    crate::render::escape_controls(detail)
                ),
                code: NOT_FOUND,
            };
        }
        Self::from(error)
    }
}

impl From<Error> for Failure {
    fn from(error: Error) -> Self {
        let code = match &error {
            Error::InvalidRequest { .. } | Error::Config { .. } => USAGE,
            Error::Unauthorized { .. } => UNAUTHORIZED,
            Error::NotFound { .. } => NOT_FOUND,
            Error::Validation { .. } | Error::BadRequest { .. } | Error::Conflict { .. } => {
                REJECTED
            }
            Error::RateLimited { .. } => RATE_LIMITED,
            // What a retry could have fixed: server and network failures.
            error if error.is_retryable() => UNAVAILABLE,
            _ => OTHER,
        };
        Self {
            message: error.to_string(),
            code,
        }
    }
}
