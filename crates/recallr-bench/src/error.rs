//! The one error type of the benchmark runner.

use std::path::PathBuf;

/// Why a benchmark run stopped. `main` prints it as one `error: ...` line.
#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    /// A bad command-line argument or combination.
    #[error("{0}")]
    Usage(String),
    /// A program the run needs is not where it was looked for.
    #[error("{name} not found at {}: {hint}", path.display())]
    Missing {
        /// What is missing, e.g. `recallr-stub`.
        name: String,
        /// Where it was looked for.
        path: PathBuf,
        /// How to get it.
        hint: String,
    },
    /// A child process could not be started, failed, or said something
    /// unexpected.
    #[error("{what}: {detail}")]
    Process {
        /// The process, e.g. `recallr-stub (100000 sessions)`.
        what: String,
        /// What went wrong, with the child's last words where there are any.
        detail: String,
    },
    /// A measurement could not be taken or its result is wrong (e.g. the
    /// wrong number of sessions came back).
    #[error("{what}: {detail}")]
    Measure {
        /// The measurement, e.g. `throughput (recallr-ext)`.
        what: String,
        /// What went wrong.
        detail: String,
    },
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        /// `read` or `write`.
        action: &'static str,
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
}

impl BenchError {
    /// A [`BenchError::Measure`].
    pub fn measure(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self::Measure {
            what: what.into(),
            detail: detail.to_string(),
        }
    }

    /// A [`BenchError::Process`].
    pub fn process(what: impl Into<String>, detail: impl std::fmt::Display) -> Self {
        Self::Process {
            what: what.into(),
            detail: detail.to_string(),
        }
    }
}
