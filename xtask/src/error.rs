//! The one error type of the xtask: every variant names the file it is about.

use std::path::PathBuf;

/// Why an xtask command failed. The `Display` text is the whole message the
/// user sees, so each variant says which file and what is wrong with it.
#[derive(Debug, thiserror::Error)]
pub enum XtaskError {
    /// The spec (or the committed output) could not be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file that could not be read.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// The spec is not well-formed JSON.
    #[error("{}:{line}:{column}: invalid JSON: {message}", path.display())]
    Syntax {
        /// The spec file.
        path: PathBuf,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// The document is JSON but not an OpenAPI document we can read.
    #[error("{}: {message}", path.display())]
    NotOpenApi {
        /// The spec file.
        path: PathBuf,
        /// What is wrong.
        message: String,
    },
    /// The document declares an OpenAPI version other than 3.0.x.
    #[error(
        "{}: OpenAPI {version} is not supported yet: progenitor reads OpenAPI 3.0.x only; convert the document to 3.0.3",
        path.display()
    )]
    UnsupportedVersion {
        /// The spec file.
        path: PathBuf,
        /// The declared version.
        version: String,
    },
    /// A field of the document does not match the OpenAPI 3.0 schema.
    #[error("{}:{line}:{column}: invalid OpenAPI 3.0 document at `{pointer}`: {message}", path.display())]
    Structure {
        /// The spec file.
        path: PathBuf,
        /// Dotted path of the offending field.
        pointer: String,
        /// 1-based line of the problem.
        line: usize,
        /// 1-based column of the problem.
        column: usize,
        /// What the parser expected.
        message: String,
    },
    /// progenitor refused the document (or panicked on it).
    #[error("{}: progenitor cannot generate a client from this spec: {message}", path.display())]
    Generator {
        /// The spec file.
        path: PathBuf,
        /// progenitor's own explanation.
        message: String,
    },
    /// The generated tokens were not valid Rust; a generator bug, not a spec bug.
    #[error("generated code for {} does not parse as Rust: {message}", path.display())]
    Unparsable {
        /// The spec file.
        path: PathBuf,
        /// syn's explanation.
        message: String,
    },
    /// Writing the generated file failed; the old file is left in place.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// A `$ref` in a document does not lead to a component.
    #[error("{}: cannot resolve `{reference}`: {message}", path.display())]
    BrokenReference {
        /// The document holding the reference.
        path: PathBuf,
        /// The reference as written.
        reference: String,
        /// Why it does not resolve.
        message: String,
    },
    /// Downloading the upstream document failed.
    #[error("cannot fetch {url}: {message}")]
    Fetch {
        /// The URL.
        url: String,
        /// What went wrong (connection, timeout, HTTP status, body).
        message: String,
    },
    /// The overlay cannot be read, parsed or applied.
    #[error("{}: {message}", path.display())]
    Overlay {
        /// The overlay file.
        path: PathBuf,
        /// What is wrong, naming the action where there is one.
        message: String,
    },
    /// `spec update` cannot import a document.
    #[error("{document}: {message}")]
    Import {
        /// The file path or URL the problem is in (with `:line:column` where
        /// known).
        document: String,
        /// What is wrong with it.
        message: String,
    },
    /// A multi-file write failed and putting back the previous files failed
    /// too; the message lists the files that may now be inconsistent.
    #[error("{cause}; restoring the previous contents also failed: {details}")]
    NotRestored {
        /// The error that interrupted the write.
        cause: Box<XtaskError>,
        /// Which files could not be restored, and why.
        details: String,
    },
    /// The Rust-level judgement of an update could not be made.
    #[error("cannot judge the Rust API change: {message}")]
    Judge {
        /// What failed, and what to do about it.
        message: String,
    },
    /// A manifest, lock file or changelog cannot be updated for a release.
    #[error("{}: {message}", path.display())]
    Release {
        /// The file.
        path: PathBuf,
        /// What is wrong with it.
        message: String,
    },
    /// No workspace was found to work on.
    #[error(
        "no recallr-rs workspace (a Cargo.toml with [workspace] and an openapi/ directory) in {} or any directory above it; run from inside the workspace or pass --root",
        start.display()
    )]
    NoWorkspace {
        /// Where the search started.
        start: PathBuf,
    },
    /// Two schemas nest deeper than the spec diff compares: the change
    /// cannot be judged, so it is not called compatible.
    #[error(
        "{}: the schemas at `{pointer}` nest more than {limit} levels deep: too deep to compare, so the change cannot be judged (refused rather than reported as no change)",
        path.display()
    )]
    TooDeep {
        /// The new document.
        path: PathBuf,
        /// Where the limit was reached, in the new document.
        pointer: String,
        /// The depth limit.
        limit: usize,
    },
    /// A committed multi-file write stopped part way: some files are new,
    /// the rest are not yet; the journal is kept, and the next run finishes.
    #[error(
        "{cause}; the write was committed but stopped part way: {} of {} files replaced ({}), not yet: {}; the next `cargo xtask codegen` or `spec update` finishes it",
        replaced.len(),
        replaced.len() + pending.len(),
        list(replaced),
        list(pending)
    )]
    PartlyWritten {
        /// What stopped the renames.
        cause: Box<XtaskError>,
        /// The files already replaced by the new ones.
        replaced: Vec<PathBuf>,
        /// The files still as they were.
        pending: Vec<PathBuf>,
    },
}

/// `a, b, c` (or `none`), for messages listing files.
fn list(paths: &[PathBuf]) -> String {
    if paths.is_empty() {
        return "none".to_string();
    }
    paths
        .iter()
        .map(|path| path.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
