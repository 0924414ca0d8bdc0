//! The one error type of the library: loading seed data.

use std::path::PathBuf;

/// Why seed data could not be loaded.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StubError {
    /// The data file could not be read.
    #[error("cannot read data file '{}': {source}", path.display())]
    Read {
        /// The file that was asked for.
        path: PathBuf,
        /// What the operating system said.
        source: std::io::Error,
    },
    /// The data is not of the form `{"users": {"<user id>": [<session>, ...]}}`.
    #[error("invalid data{}: {message}", origin(path))]
    Invalid {
        /// The file the data came from, if it came from a file.
        path: Option<PathBuf>,
        /// What is wrong, with the JSON path and position where known.
        message: String,
    },
}

fn origin(path: &Option<PathBuf>) -> String {
    match path {
        Some(path) => format!(" file '{}'", path.display()),
        None => String::new(),
    }
}
