//! Writing generated files safely and describing how they differ.

use std::io::Write;
use std::path::Path;

use crate::error::XtaskError;

/// Replaces `path` with `contents` atomically: the text goes to a temporary
/// file in the same directory, which is then renamed over the target, so an
/// interrupted run never leaves a half-written file behind.
pub fn write_atomically(path: &Path, contents: &str) -> Result<(), XtaskError> {
    let write_error = |source: std::io::Error| XtaskError::Write {
        path: path.to_path_buf(),
        source,
    };
    let directory = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    std::fs::create_dir_all(directory).map_err(write_error)?;
    let mut temp = tempfile::NamedTempFile::new_in(directory).map_err(write_error)?;
    temp.write_all(contents.as_bytes()).map_err(write_error)?;
    temp.as_file().sync_all().map_err(write_error)?;
    temp.persist(path).map_err(|err| write_error(err.error))?;
    Ok(())
}

/// A unified diff from `committed` to `generated`, labelled with `path`.
pub fn unified_diff(path: &str, committed: &str, generated: &str) -> String {
    similar::TextDiff::from_lines(committed, generated)
        .unified_diff()
        .context_radius(3)
        .header(
            &format!("{path} (committed)"),
            &format!("{path} (generated)"),
        )
        .to_string()
}

/// The file's text, or `None` when it does not exist.
pub fn read_if_exists(path: &Path) -> Result<Option<String>, XtaskError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(source) => Err(XtaskError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}
