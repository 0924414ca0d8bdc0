//! Writing a set of files as one step that survives being killed.
//!
//! Each file is renamed into place atomically, but a set of renames is not
//! atomic: a run killed between two of them would leave a new spec beside a
//! stale client. So a write goes in three phases:
//!
//! 1. every new file is written in full beside its target, as
//!    `.<name>.staged`;
//! 2. a journal listing the targets is written (atomically): from here the
//!    new set is committed;
//! 3. each staged file is renamed over its target, then the journal is
//!    removed.
//!
//! [`recover`] runs before every `codegen` and `spec update`: with a journal
//! it finishes the renames (the new set wins), without one it deletes staged
//! files (the old set stays). Either way it says what it did. Files are
//! created with the mode the user's umask gives, like any other file.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::XtaskError;

/// The journal's name, in the workspace's `openapi/` directory.
const JOURNAL: &str = ".write-in-progress";

/// The suffix of a staged file.
const STAGED_SUFFIX: &str = ".staged";

/// A set of files to replace together, under one journal directory.
#[derive(Debug)]
pub struct FileSet {
    journal_dir: PathBuf,
    files: Vec<(PathBuf, String)>,
}

impl FileSet {
    /// An empty set whose journal lives in `journal_dir`.
    pub fn new(journal_dir: &Path) -> FileSet {
        FileSet {
            journal_dir: journal_dir.to_path_buf(),
            files: Vec::new(),
        }
    }

    /// Adds `path` with its new `contents`.
    pub fn add(&mut self, path: &Path, contents: impl Into<String>) {
        self.files.push((path.to_path_buf(), contents.into()));
    }

    /// Writes every file, all or nothing (see the module docs). On an error
    /// before the commit point, staged files are removed and the targets are
    /// untouched.
    pub fn commit(self) -> Result<(), XtaskError> {
        let mut staged = Vec::with_capacity(self.files.len());
        let result = (|| {
            for (target, contents) in &self.files {
                let path = staged_path(target);
                // Recorded before writing, so a failed write is cleaned up.
                staged.push(path.clone());
                write_new(&path, contents.as_bytes())?;
            }
            let listing: String = self
                .files
                .iter()
                .map(|(target, _)| format!("{}\n", target.display()))
                .collect();
            let journal = self.journal_dir.join(JOURNAL);
            let journal_staged = staged_path(&journal);
            staged.push(journal_staged.clone());
            write_new(&journal_staged, listing.as_bytes())?;
            rename(&journal_staged, &journal)
        })();
        if let Err(err) = result {
            for path in &staged {
                let _ = std::fs::remove_file(path);
            }
            return Err(err);
        }
        finish(&self.journal_dir).map(|_| ())
    }
}

/// What [`recover`] found and did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recovery {
    /// Nothing was left from an interrupted write.
    Clean,
    /// A committed write was interrupted; these files were put in place.
    Completed(Vec<PathBuf>),
    /// An uncommitted write was interrupted; these staged files were removed
    /// and the previous files stay.
    Discarded(Vec<PathBuf>),
}

impl Recovery {
    /// A line for the user, or `None` when there was nothing to repair.
    pub fn message(&self) -> Option<String> {
        let list = |paths: &[PathBuf]| {
            paths
                .iter()
                .map(|path| path.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        };
        match self {
            Recovery::Clean => None,
            Recovery::Completed(paths) => Some(format!(
                "repaired: an earlier write was interrupted after it was committed; finished it ({})",
                list(paths)
            )),
            Recovery::Discarded(paths) => Some(format!(
                "repaired: an earlier write was interrupted before it was committed; removed its staged files ({}), the previous files stay",
                list(paths)
            )),
        }
    }
}

/// Repairs what an interrupted [`FileSet::commit`] left under `journal_dir`
/// (for the files in `targets`, which are where staged files may be).
pub fn recover(journal_dir: &Path, targets: &[&Path]) -> Result<Recovery, XtaskError> {
    let journal = journal_dir.join(JOURNAL);
    if journal.exists() {
        return finish(journal_dir).map(Recovery::Completed);
    }
    let mut removed = Vec::new();
    for staged in targets
        .iter()
        .map(|target| staged_path(target))
        .chain([staged_path(&journal)])
    {
        if staged.exists() {
            std::fs::remove_file(&staged).map_err(|source| XtaskError::Write {
                path: staged.clone(),
                source,
            })?;
            removed.push(staged);
        }
    }
    Ok(if removed.is_empty() {
        Recovery::Clean
    } else {
        Recovery::Discarded(removed)
    })
}

/// Phase 3: renames every staged file the journal lists that is still
/// there, then removes the journal. Idempotent, so it can resume itself.
fn finish(journal_dir: &Path) -> Result<Vec<PathBuf>, XtaskError> {
    let journal = journal_dir.join(JOURNAL);
    let listing = std::fs::read_to_string(&journal).map_err(|source| XtaskError::Read {
        path: journal.clone(),
        source,
    })?;
    let mut completed = Vec::new();
    for target in listing
        .lines()
        .filter(|line| !line.is_empty())
        .map(PathBuf::from)
    {
        let staged = staged_path(&target);
        if staged.exists() {
            rename(&staged, &target)?;
            completed.push(target);
        }
    }
    std::fs::remove_file(&journal).map_err(|source| XtaskError::Write {
        path: journal,
        source,
    })?;
    Ok(completed)
}

/// `dir/name` -> `dir/.name.staged`.
fn staged_path(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}{STAGED_SUFFIX}"))
}

/// Writes a fresh file (mode from the umask, as any new file) and flushes it
/// to disk, so the rename that follows never exposes a partial file.
fn write_new(path: &Path, contents: &[u8]) -> Result<(), XtaskError> {
    let write_error = |source: std::io::Error| XtaskError::Write {
        path: path.to_path_buf(),
        source,
    };
    if let Some(directory) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
        std::fs::create_dir_all(directory).map_err(write_error)?;
    }
    // A staged file from an earlier failure is replaced, never appended to.
    let _ = std::fs::remove_file(path);
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(path)
        .map_err(write_error)?;
    file.write_all(contents).map_err(write_error)?;
    file.sync_all().map_err(write_error)
}

fn rename(from: &Path, to: &Path) -> Result<(), XtaskError> {
    std::fs::rename(from, to).map_err(|source| XtaskError::Write {
        path: to.to_path_buf(),
        source,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    #[test]
    fn a_commit_replaces_every_file_and_leaves_nothing_else() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (a, b) = (dir.path().join("a.json"), dir.path().join("sub/b.rs"));
        std::fs::write(&a, "old a").expect("written");
        let mut set = FileSet::new(dir.path());
        set.add(&a, "new a");
        set.add(&b, "new b");
        set.commit().expect("committed");
        assert_eq!(
            (read(&a), read(&b)),
            ("new a".to_string(), "new b".to_string())
        );
        let mut names: Vec<String> = std::fs::read_dir(dir.path())
            .expect("listed")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["a.json", "sub"]);
        assert_eq!(recover(dir.path(), &[&a, &b]).ok(), Some(Recovery::Clean));
    }

    #[test]
    fn a_committed_but_unfinished_write_is_completed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "new a").expect("written"); // already renamed
        std::fs::write(&b, "old b").expect("written");
        std::fs::write(staged_path(&b), "new b").expect("written");
        std::fs::write(
            dir.path().join(JOURNAL),
            format!("{}\n{}\n", a.display(), b.display()),
        )
        .expect("written");
        let recovery = recover(dir.path(), &[&a, &b]).expect("recovered");
        assert_eq!(recovery, Recovery::Completed(vec![b.clone()]));
        assert!(
            recovery
                .message()
                .is_some_and(|m| m.contains("finished it"))
        );
        assert_eq!(
            (read(&a), read(&b)),
            ("new a".to_string(), "new b".to_string())
        );
        assert!(!dir.path().join(JOURNAL).exists());
    }

    #[test]
    fn an_uncommitted_write_is_discarded() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let a = dir.path().join("a");
        std::fs::write(&a, "old a").expect("written");
        std::fs::write(staged_path(&a), "half").expect("written");
        let recovery = recover(dir.path(), &[&a]).expect("recovered");
        assert_eq!(recovery, Recovery::Discarded(vec![staged_path(&a)]));
        assert_eq!(read(&a), "old a");
        assert!(!staged_path(&a).exists());
    }

    #[cfg(unix)]
    #[test]
    fn new_files_get_the_umask_mode_not_0600() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("a temp dir");
        let a = dir.path().join("a");
        let mut set = FileSet::new(dir.path());
        set.add(&a, "x");
        set.commit().expect("committed");
        let plain = dir.path().join("plain");
        std::fs::write(&plain, "x").expect("written");
        let mode = |path: &Path| {
            std::fs::metadata(path)
                .map(|meta| meta.permissions().mode() & 0o777)
                .expect("stat")
        };
        assert_eq!(mode(&a), mode(&plain));
    }
}
