//! Writing several files as one step: when a write fails part-way, every
//! file gets its previous contents back (or is removed if it did not exist).

use std::path::Path;

use crate::error::XtaskError;
use crate::output;

/// Snapshots `files`, runs `write`, and restores the snapshots if `write`
/// fails. A file that cannot be read beforehand fails the step before
/// anything is written.
pub(crate) fn write_or_restore(
    files: &[&Path],
    write: impl FnOnce() -> Result<(), XtaskError>,
) -> Result<(), XtaskError> {
    let mut snapshots = Vec::with_capacity(files.len());
    for file in files {
        snapshots.push((*file, previous_contents(file)?));
    }
    let Err(cause) = write() else {
        return Ok(());
    };
    let failures: Vec<String> = snapshots
        .into_iter()
        .filter_map(|(file, contents)| restore(file, contents).err())
        .collect();
    if failures.is_empty() {
        Err(cause)
    } else {
        Err(XtaskError::NotRestored {
            cause: Box::new(cause),
            details: failures.join("; "),
        })
    }
}

fn previous_contents(path: &Path) -> Result<Option<String>, XtaskError> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(err) if absent(&err) => Ok(None),
        Err(source) => Err(XtaskError::Read {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// No file there: not found, or a parent is a file (so none can exist).
fn absent(err: &std::io::Error) -> bool {
    matches!(
        err.kind(),
        std::io::ErrorKind::NotFound | std::io::ErrorKind::NotADirectory
    )
}

fn restore(path: &Path, contents: Option<String>) -> Result<(), String> {
    let current = std::fs::read_to_string(path).ok();
    if current == contents {
        return Ok(());
    }
    match contents {
        Some(text) => output::write_atomically(path, &text).map_err(|err| err.to_string()),
        None => match std::fs::remove_file(path) {
            Ok(()) => Ok(()),
            Err(err) if absent(&err) => Ok(()),
            Err(err) => Err(format!("cannot remove {}: {err}", path.display())),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failure_part_way_restores_every_file() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let existing = dir.path().join("existing.json");
        let created = dir.path().join("created.json");
        std::fs::write(&existing, "before\n").expect("writable");

        let result = write_or_restore(&[&existing, &created], || {
            output::write_atomically(&existing, "after\n")?;
            output::write_atomically(&created, "new\n")?;
            Err(XtaskError::Write {
                path: dir.path().join("third"),
                source: std::io::Error::other("disk full"),
            })
        });

        let message = result.expect_err("the write failed").to_string();
        assert!(message.ends_with("third: disk full"), "{message}");
        assert_eq!(
            std::fs::read_to_string(&existing).ok().as_deref(),
            Some("before\n")
        );
        assert!(
            !created.exists(),
            "a file that did not exist is removed again"
        );
    }

    #[test]
    fn success_keeps_the_new_files() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let file = dir.path().join("file");
        let result = write_or_restore(&[&file], || output::write_atomically(&file, "new"));
        assert!(result.is_ok());
        assert_eq!(std::fs::read_to_string(&file).ok().as_deref(), Some("new"));
    }
}
