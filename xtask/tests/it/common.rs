//! The temporary workspace the xtask tests run commands in, and a loopback
//! server for `--from URL`.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::Value;
use xtask::paths::Workspace as Layout;

/// The manifests a release edits, besides the spec layers.
pub const MANIFESTS: &[&str] = &[
    "Cargo.toml",
    "Cargo.lock",
    "crates/recallr-api/Cargo.toml",
    "crates/recallr-ext/Cargo.toml",
    "crates/recallr-stub/Cargo.toml",
];

/// A temp copy of the workspace: the files `spec update` reads and writes,
/// with the manifests a release edits (`with_manifests`), or every source
/// file (`full`).
pub struct TempWorkspace {
    /// The copy's root.
    pub dir: tempfile::TempDir,
}

impl TempWorkspace {
    /// The spec layers, the effective spec and the client.
    pub fn new() -> Self {
        Self::copying(&[])
    }

    /// [`new`](Self::new), plus [`MANIFESTS`].
    pub fn with_manifests() -> Self {
        Self::copying(MANIFESTS)
    }

    fn copying(relative: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let real = Layout::current();
        let copy = Layout::at(dir.path());
        let mut files: Vec<(PathBuf, PathBuf)> = real
            .written_files()
            .into_iter()
            .zip(copy.written_files())
            .collect();
        files.push((real.overlay(), copy.overlay()));
        for file in relative {
            files.push((real.root.join(file), copy.root.join(file)));
        }
        for (from, to) in files {
            std::fs::create_dir_all(to.parent().expect("a parent")).expect("writable");
            std::fs::copy(&from, &to)
                .unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
        }
        TempWorkspace::derived(dir)
    }

    /// The copy in `dir` with its effective spec and client derived from
    /// its layers: a committed layer edited without `cargo xtask codegen`
    /// is the drift test's to catch, not every test that copies it.
    fn derived(dir: tempfile::TempDir) -> Self {
        xtask::derive::write_workspace(&Layout::at(dir.path()))
            .unwrap_or_else(|err| panic!("the copied layers derive: {err}"));
        TempWorkspace { dir }
    }

    /// Every file of the workspace but `target/` and `.git/`.
    pub fn full() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        copy_tree(&Layout::current().root, dir.path());
        TempWorkspace::derived(dir)
    }

    /// The copy's layout.
    pub fn layout(&self) -> Layout {
        Layout::at(self.dir.path())
    }

    /// The text of `path`, relative to the copy's root (or absolute).
    pub fn read(&self, path: impl AsRef<Path>) -> String {
        let path = self.dir.path().join(path);
        std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// The copy's upstream document.
    pub fn upstream(&self) -> Value {
        serde_json::from_str(&self.read(self.layout().upstream())).expect("JSON")
    }

    /// Writes a changed copy of the upstream document beside the
    /// workspace's files and returns its path.
    pub fn changed_upstream(&self, edit: impl FnOnce(&mut Value)) -> PathBuf {
        let mut document = self.upstream();
        edit(&mut document);
        self.write_upstream(&serde_json::to_string_pretty(&document).expect("serializes"))
    }

    /// Writes `text` beside the workspace's files as a document to import.
    pub fn write_upstream(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("new-upstream.json");
        std::fs::write(&path, text).expect("writable");
        path
    }

    /// Every file of the copy with its bytes, but the document to import and
    /// the lock file.
    pub fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir)
                .expect("listable")
                .filter_map(Result::ok)
            {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, into);
                } else if path.file_name().is_some_and(|name| {
                    // The document to import, and the lock every writing run
                    // takes (not part of any set it writes).
                    name != "new-upstream.json" && name != xtask::transaction::LOCK
                }) {
                    into.insert(path.clone(), std::fs::read(&path).expect("readable"));
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(self.dir.path(), &mut files);
        files
    }

    /// Runs `cargo xtask spec update --from FROM` on the copy.
    pub fn update(&self, from: impl AsRef<OsStr>, extra: &[&str]) -> Output {
        self.update_env(from, extra, &[])
    }

    /// [`update`](Self::update) with more environment variables.
    pub fn update_env(
        &self,
        from: impl AsRef<OsStr>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["spec", "update", "--from"])
            .arg(from)
            .arg("--root")
            .arg(self.dir.path())
            .args(extra)
            .envs(env.iter().copied())
            .output()
            .expect("the xtask binary runs")
    }

    /// Runs an update that must succeed; returns its standard output.
    pub fn update_ok(&self, from: impl AsRef<OsStr>, extra: &[&str]) -> String {
        self.update_ok_env(from, extra, &[])
    }

    /// [`update_ok`](Self::update_ok) with more environment variables.
    pub fn update_ok_env(
        &self,
        from: impl AsRef<OsStr>,
        extra: &[&str],
        env: &[(&str, &str)],
    ) -> String {
        let output = self.update_env(from, extra, env);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
    }

    /// A refused run exits 2 with one `error:` line (plus the note that
    /// nothing changed), and every file is as it was.
    pub fn assert_refused(&self, from: &str, extra: &[&str], expected: &[&str]) {
        let before = self.files();
        let output = self.update(from, extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{stderr}");
        for part in expected {
            assert!(first.contains(part), "expected {part:?} in: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            self.files() == before,
            "a refused run changed files: {stderr}"
        );
    }
}

/// Copies the tree at `from` to `to`, but `target/` and `.git/`.
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).expect("writable");
    for entry in std::fs::read_dir(from).expect("listable") {
        let entry = entry.expect("an entry");
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let kind = entry.file_type().expect("a type");
        if kind.is_dir() {
            copy_tree(&entry.path(), &to.join(&name));
        } else if kind.is_file() {
            std::fs::copy(entry.path(), to.join(&name)).expect("copied");
        }
    }
}

/// Serves `body` with `status` to the next `requests` requests on a
/// loopback port; returns its URL.
pub fn serve(status: &'static str, body: Vec<u8>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else {
                continue;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{address}/openapi.json")
}
