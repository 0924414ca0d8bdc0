//! Writing a set of files as one step that survives being killed, and
//! never mixes with another run's.
//!
//! Each file is renamed into place atomically, but a set of renames is not
//! atomic: a run killed between two of them would leave a new spec beside a
//! stale client. So a write goes in phases:
//!
//! 1. the list of the staged files about to be written is written (the
//!    staging list), so that an interrupted run's files are all found,
//!    whatever they were (spec, client, manifests, lock file, changelog);
//! 2. every new file is written in full beside its target, under a name no
//!    other run uses (`.<name>.<pid>-<nanos>.staged`);
//! 3. a journal pairing each staged file with its target is written
//!    (atomically): from here the new set is committed;
//! 4. each staged file is renamed over its target (a missing one is an
//!    error), then the journal is removed.
//!
//! Every writing command holds [`Lock`] (an exclusive `flock` on
//! `openapi/.xtask.lock`) from its first read to its last write, so two
//! runs never interleave. [`recover`] runs under that lock before every
//! `codegen` and `spec update`: with a journal it finishes the renames (the
//! new set wins), without one it deletes the staged files (the old set
//! stays). Either way it says what it did. Files are created with the mode
//! the user's umask gives, like any other file.

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::XtaskError;

/// The journal's name, in the workspace's `openapi/` directory.
const JOURNAL: &str = ".write-in-progress";

/// The staging list's name, beside the journal.
const STAGING: &str = ".write-staging";

/// The lock file's name, beside the journal.
pub const LOCK: &str = ".xtask.lock";

/// The suffix of a staged file.
const STAGED_SUFFIX: &str = ".staged";

/// An exclusive lock on a workspace's files, held until dropped.
#[derive(Debug)]
pub struct Lock {
    // Closing the file releases the lock.
    _file: File,
}

impl Lock {
    /// Takes the lock of the workspace whose journal lives in
    /// `journal_dir`. When another run holds it, calls `on_wait` with the
    /// lock file's path, then waits for it.
    pub fn acquire(journal_dir: &Path, on_wait: impl FnOnce(&Path)) -> Result<Lock, XtaskError> {
        let path = journal_dir.join(LOCK);
        let failed = |source: std::io::Error| XtaskError::Write {
            path: path.clone(),
            source,
        };
        std::fs::create_dir_all(journal_dir).map_err(failed)?;
        let file = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(failed)?;
        if !try_lock(&file).map_err(failed)? {
            on_wait(&path);
            lock(&file).map_err(failed)?;
        }
        Ok(Lock { _file: file })
    }
}

/// Takes the lock if it is free; `false` when another holds it.
#[cfg(unix)]
fn try_lock(file: &File) -> std::io::Result<bool> {
    use std::os::fd::AsRawFd;
    // SAFETY: flock on a descriptor this `File` owns; no memory is shared.
    let result = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if result == 0 {
        return Ok(true);
    }
    let error = std::io::Error::last_os_error();
    if error.kind() == std::io::ErrorKind::WouldBlock {
        Ok(false)
    } else {
        Err(error)
    }
}

#[cfg(unix)]
fn lock(file: &File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;
    loop {
        // SAFETY: as in `try_lock`.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
            return Ok(());
        }
        let error = std::io::Error::last_os_error();
        if error.kind() != std::io::ErrorKind::Interrupted {
            return Err(error);
        }
    }
}

/// Without `flock`, no locking: xtask's writers run on Unix (CI and the
/// sync workflow).
#[cfg(not(unix))]
fn try_lock(_file: &File) -> std::io::Result<bool> {
    Ok(true)
}

#[cfg(not(unix))]
fn lock(_file: &File) -> std::io::Result<()> {
    Ok(())
}

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
    /// untouched; after it, the error says which files were replaced
    /// ([`XtaskError::PartlyWritten`]) and the next run finishes the rest.
    pub fn commit(self) -> Result<(), XtaskError> {
        let pairs = self.stage()?;
        let result = (|| {
            let journal = self.journal_dir.join(JOURNAL);
            let journal_staged = journal.with_file_name(format!(".{JOURNAL}{STAGED_SUFFIX}"));
            write_new(&journal_staged, listing(&pairs).as_bytes())?;
            rename(&journal_staged, &journal)
        })();
        if let Err(err) = result {
            discard(&self.journal_dir, &pairs);
            return Err(err);
        }
        remove_if_exists(&self.journal_dir.join(STAGING))?;
        finish(&self.journal_dir, Resume::No).map(|_| ())
    }

    /// Phases 1 and 2: the staging list, then the staged files.
    fn stage(&self) -> Result<Vec<(PathBuf, PathBuf)>, XtaskError> {
        let token = unique_token();
        let pairs: Vec<(PathBuf, PathBuf)> = self
            .files
            .iter()
            .map(|(target, _)| (staged_path(target, &token), target.clone()))
            .collect();
        let result = (|| {
            let staging = self.journal_dir.join(STAGING);
            let staging_staged = staging.with_file_name(format!("{STAGING}.{token}"));
            write_new(&staging_staged, listing(&pairs).as_bytes())?;
            rename(&staging_staged, &staging)?;
            for ((staged, _), (_, contents)) in pairs.iter().zip(&self.files) {
                write_new(staged, contents.as_bytes())?;
            }
            Ok(())
        })();
        if let Err(err) = result {
            discard(&self.journal_dir, &pairs);
            return Err(err);
        }
        Ok(pairs)
    }
}

/// `<pid>-<nanoseconds>`: no two runs stage under the same names.
fn unique_token() -> String {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default();
    format!("{}-{nanos}", std::process::id())
}

/// Staged file and target, one pair per line, tab-separated.
fn listing(pairs: &[(PathBuf, PathBuf)]) -> String {
    pairs
        .iter()
        .map(|(staged, target)| format!("{}\t{}\n", staged.display(), target.display()))
        .collect()
}

/// Reads a staging list or journal: `(staged, target)` pairs. A line
/// without a tab is an older journal's target, staged as `.<name>.staged`.
fn read_listing(path: &Path) -> Result<Vec<(PathBuf, PathBuf)>, XtaskError> {
    let text = std::fs::read_to_string(path).map_err(|source| XtaskError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    Ok(text
        .lines()
        .filter(|line| !line.is_empty())
        .map(|line| match line.split_once('\t') {
            Some((staged, target)) => (PathBuf::from(staged), PathBuf::from(target)),
            None => (legacy_staged_path(Path::new(line)), PathBuf::from(line)),
        })
        .collect())
}

/// Removes the staged files and the staging list (best effort: an error
/// is being reported already).
fn discard(journal_dir: &Path, pairs: &[(PathBuf, PathBuf)]) {
    for (staged, _) in pairs {
        let _ = std::fs::remove_file(staged);
    }
    let _ = std::fs::remove_file(journal_dir.join(STAGING));
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
/// (whatever files its set held). `legacy_targets` are files whose staged
/// copies an older xtask (`.<name>.staged`, no staging list) may have left.
/// Call it holding the [`Lock`].
pub fn recover(journal_dir: &Path, legacy_targets: &[&Path]) -> Result<Recovery, XtaskError> {
    let journal = journal_dir.join(JOURNAL);
    if journal.exists() {
        let completed = finish(journal_dir, Resume::Yes)?;
        remove_if_exists(&journal_dir.join(STAGING))?;
        return Ok(Recovery::Completed(completed));
    }
    let mut staged: Vec<PathBuf> = Vec::new();
    let staging = journal_dir.join(STAGING);
    if staging.exists() {
        staged.extend(
            read_listing(&staging)?
                .into_iter()
                .map(|(staged, _)| staged),
        );
    }
    staged.extend(
        legacy_targets
            .iter()
            .map(|target| legacy_staged_path(target)),
    );
    staged.push(journal.with_file_name(format!(".{JOURNAL}{STAGED_SUFFIX}")));
    let mut removed = Vec::new();
    for path in staged {
        if remove_if_exists(&path)? {
            removed.push(path);
        }
    }
    remove_if_exists(&staging)?;
    // A staging list killed before its rename (no staged file exists yet).
    let prefix = format!("{STAGING}.");
    if let Ok(entries) = std::fs::read_dir(journal_dir) {
        for entry in entries.filter_map(Result::ok) {
            if entry.file_name().to_string_lossy().starts_with(&prefix) {
                remove_if_exists(&entry.path())?;
            }
        }
    }
    Ok(if removed.is_empty() {
        Recovery::Clean
    } else {
        Recovery::Discarded(removed)
    })
}

/// Removes `path`; whether it existed.
fn remove_if_exists(path: &Path) -> Result<bool, XtaskError> {
    match std::fs::remove_file(path) {
        Ok(()) => Ok(true),
        Err(err) if err.kind() == std::io::ErrorKind::NotFound => Ok(false),
        Err(source) => Err(XtaskError::Write {
            path: path.to_path_buf(),
            source,
        }),
    }
}

/// Whether [`finish`] resumes an interrupted run (whose renames may have
/// been done) or completes this run's own write (whose staged files must
/// all be there).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Resume {
    Yes,
    No,
}

/// Renames every staged file the journal lists, then removes the journal.
/// A staged file that is gone is an error for this run's own write (another
/// process took it); when resuming, it was renamed before the interruption.
fn finish(journal_dir: &Path, resume: Resume) -> Result<Vec<PathBuf>, XtaskError> {
    let journal = journal_dir.join(JOURNAL);
    let pairs = read_listing(&journal)?;
    let mut replaced = Vec::new();
    for (index, (staged, target)) in pairs.iter().enumerate() {
        let result = if staged.exists() {
            rename(staged, target)
        } else if resume == Resume::Yes {
            continue;
        } else {
            Err(XtaskError::Write {
                path: staged.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "the staged file is gone: another process removed it",
                ),
            })
        };
        if let Err(cause) = result {
            return Err(XtaskError::PartlyWritten {
                cause: Box::new(cause),
                replaced,
                pending: pairs[index..]
                    .iter()
                    .map(|(_, target)| target.clone())
                    .collect(),
            });
        }
        replaced.push(target.clone());
    }
    std::fs::remove_file(&journal).map_err(|source| XtaskError::Write {
        path: journal,
        source,
    })?;
    Ok(replaced)
}

/// `dir/name` -> `dir/.name.<token>.staged`.
fn staged_path(target: &Path, token: &str) -> PathBuf {
    let name = target
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.{token}{STAGED_SUFFIX}"))
}

/// `dir/name` -> `dir/.name.staged`, as an older xtask named staged files.
fn legacy_staged_path(target: &Path) -> PathBuf {
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
        std::fs::write(legacy_staged_path(&b), "new b").expect("written");
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
        std::fs::write(legacy_staged_path(&a), "half").expect("written");
        let recovery = recover(dir.path(), &[&a]).expect("recovered");
        assert_eq!(recovery, Recovery::Discarded(vec![legacy_staged_path(&a)]));
        assert_eq!(read(&a), "old a");
        assert!(!legacy_staged_path(&a).exists());
    }

    #[test]
    fn an_interrupted_staging_of_any_files_is_discarded_whole() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let elsewhere = dir.path().join("crates/x");
        let (spec, manifest, changelog) = (
            dir.path().join("openapi/recallr.json"),
            elsewhere.join("Cargo.toml"),
            dir.path().join("CHANGELOG.md"),
        );
        let mut set = FileSet::new(&dir.path().join("openapi"));
        for path in [&spec, &manifest, &changelog] {
            set.add(path, "new");
        }
        // Killed after staging, before the journal.
        let pairs = set.stage().expect("staged");
        assert!(pairs.iter().all(|(staged, _)| staged.exists()));
        // Recovery needs no list of targets: the staging list names them.
        let recovery = recover(&dir.path().join("openapi"), &[]).expect("recovered");
        let staged: Vec<PathBuf> = pairs.iter().map(|(staged, _)| staged.clone()).collect();
        assert_eq!(recovery, Recovery::Discarded(staged.clone()));
        assert!(staged.iter().all(|path| !path.exists()));
        assert!(!dir.path().join("openapi").join(STAGING).exists());
        assert!(!spec.exists() && !manifest.exists() && !changelog.exists());
    }

    #[test]
    fn two_sets_stage_under_different_names() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let a = dir.path().join("a");
        let stage = || {
            let mut set = FileSet::new(dir.path());
            set.add(&a, "x");
            set.stage().expect("staged")
        };
        let (first, second) = (stage(), stage());
        assert_ne!(first[0].0, second[0].0);
    }

    #[test]
    fn a_staged_file_gone_before_its_rename_is_an_error_saying_what_was_written() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (a, b) = (dir.path().join("a"), dir.path().join("b"));
        std::fs::write(&a, "old a").expect("written");
        std::fs::write(&b, "old b").expect("written");
        let mut set = FileSet::new(dir.path());
        set.add(&a, "new a");
        set.add(&b, "new b");
        let pairs = set.stage().expect("staged");
        std::fs::write(dir.path().join(JOURNAL), listing(&pairs)).expect("committed");
        // Another process took b's staged file.
        std::fs::remove_file(&pairs[1].0).expect("removed");
        let error = finish(dir.path(), Resume::No).expect_err("a missing staged file");
        let message = error.to_string();
        assert!(
            message.contains("the staged file is gone")
                && message.contains(&format!("1 of 2 files replaced ({})", a.display()))
                && message.contains(&format!("not yet: {}", b.display())),
            "{message}"
        );
        assert_eq!(
            (read(&a), read(&b)),
            ("new a".to_string(), "old b".to_string())
        );
    }

    #[test]
    fn a_rename_failing_after_the_commit_point_says_which_files_changed() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let (a, b, c) = (
            dir.path().join("a"),
            dir.path().join("b"),
            dir.path().join("c"),
        );
        // b is a directory with a file in it: nothing can be renamed over it.
        std::fs::create_dir_all(b.join("inside")).expect("a directory");
        let mut set = FileSet::new(dir.path());
        for path in [&a, &b, &c] {
            set.add(path, "new");
        }
        let error = set.commit().expect_err("the rename over b fails");
        let message = error.to_string();
        assert!(
            matches!(error, XtaskError::PartlyWritten { .. })
                && message.contains(&format!("1 of 3 files replaced ({})", a.display())),
            "{message}"
        );
        assert_eq!(read(&a), "new");
        assert!(!c.exists());
    }

    #[cfg(unix)]
    #[test]
    fn the_lock_is_exclusive() {
        let dir = tempfile::tempdir().expect("a temp dir");
        let held = Lock::acquire(dir.path(), |_| panic!("free")).expect("locked");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .open(dir.path().join(LOCK))
            .expect("opens");
        assert!(!try_lock(&file).expect("tries"));
        drop(held);
        assert!(try_lock(&file).expect("tries"));
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
