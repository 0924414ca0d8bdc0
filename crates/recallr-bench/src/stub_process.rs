//! `recallr-stub serve` as a separate process, so that client and server
//! never share a process (or a runtime) while they are measured.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::Duration;

use crate::error::BenchError;
use crate::process;

/// What the stub serves: `users` users named `user-0` …, each with
/// `sessions_per_user` generated sessions, or the data file `data`.
#[derive(Debug, Clone)]
pub struct StubSpec {
    /// How many users.
    pub users: usize,
    /// Sessions of each user.
    pub sessions_per_user: usize,
    /// Seed of the generated data.
    pub seed: u64,
    /// Latency the stub adds to every request.
    pub latency_ms: u64,
    /// A data file (`serve --data`) served instead of generated users.
    pub data: Option<PathBuf>,
}

impl StubSpec {
    /// One user with `sessions` sessions and no added latency.
    pub fn one_user(sessions: usize) -> Self {
        Self {
            users: 1,
            sessions_per_user: sessions,
            seed: 1,
            latency_ms: 0,
            data: None,
        }
    }

    /// The data file at `path`, with no added latency.
    pub fn data_file(path: &Path) -> Self {
        Self {
            data: Some(path.to_path_buf()),
            ..Self::one_user(0)
        }
    }

    /// The same with `latency_ms` added to every request.
    pub fn with_latency(mut self, latency_ms: u64) -> Self {
        self.latency_ms = latency_ms;
        self
    }

    fn describe(&self) -> String {
        if let Some(path) = &self.data {
            return format!("recallr-stub (data file {})", path.display());
        }
        let mut text = format!(
            "recallr-stub ({} user(s) x {} sessions",
            self.users, self.sessions_per_user
        );
        if self.latency_ms > 0 {
            text.push_str(&format!(", {} ms latency", self.latency_ms));
        }
        text.push(')');
        text
    }
}

/// A running stub; killed when dropped.
#[derive(Debug)]
pub struct StubProcess {
    child: Child,
    base_url: String,
    what: String,
}

impl StubProcess {
    /// Starts the stub on a free loopback port and waits (up to `startup`)
    /// for its `listening on http://ADDR` line.
    pub fn start(binary: &Path, spec: StubSpec, startup: Duration) -> Result<Self, BenchError> {
        let what = spec.describe();
        let mut command = Command::new(binary);
        command.args(["serve", "--addr", "127.0.0.1:0"]);
        match &spec.data {
            Some(path) => {
                command.arg("--data").arg(path);
            }
            None => {
                command
                    .arg("--users")
                    .arg(spec.users.to_string())
                    .arg("--sessions-per-user")
                    .arg(spec.sessions_per_user.to_string())
                    .arg("--seed")
                    .arg(spec.seed.to_string());
            }
        }
        command
            .arg("--latency-ms")
            .arg(spec.latency_ms.to_string())
            // Its logs would only cost time; errors still reach stderr.
            .env("RUST_LOG", "error")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        process::die_with_parent(&mut command);
        let mut child = command
            .spawn()
            .map_err(|err| BenchError::process(&what, format!("cannot start it: {err}")))?;
        let stderr = child
            .stderr
            .take()
            .map(|pipe| process::drain(pipe, 4 * 1024));
        let first_line = child.stdout.take().map(first_line_then_drain);
        let mut stub = Self {
            child,
            base_url: String::new(),
            what,
        };
        let line = match first_line.map(|lines| lines.recv_timeout(startup)) {
            Some(Ok(line)) => line,
            Some(Err(mpsc::RecvTimeoutError::Timeout)) => {
                return Err(BenchError::process(
                    &stub.what,
                    format!(
                        "did not print `listening on` within {} s",
                        startup.as_secs()
                    ),
                ));
            }
            // Stdout closed before a line: the stub exited; say why.
            Some(Err(mpsc::RecvTimeoutError::Disconnected)) | None => {
                let _ = stub.child.kill();
                let status = stub.child.wait().ok();
                let words = stderr_text(stderr);
                let exit = status.map_or_else(|| "ended".to_string(), process::describe_exit);
                return Err(BenchError::process(
                    &stub.what,
                    format!("{exit} before listening: {}", process::last_line(&words)),
                ));
            }
        };
        match line.trim().strip_prefix("listening on ") {
            Some(url) if url.starts_with("http://127.") => {
                stub.base_url = url.trim_end_matches('/').to_string();
                Ok(stub)
            }
            _ => Err(BenchError::process(
                &stub.what,
                format!(
                    "expected `listening on http://127.x.x.x:PORT` first, got {:?}",
                    line.trim()
                ),
            )),
        }
    }

    /// Where it listens, e.g. `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    /// Its CPU time so far (user plus system).
    pub fn cpu_time(&self) -> Option<Duration> {
        crate::cpu::of_process(self.child.id())
    }

    /// Stops it now.
    pub fn stop(self) {
        drop(self);
    }
}

impl Drop for StubProcess {
    fn drop(&mut self) {
        // SIGKILL: nothing of the stub's state matters after the run.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Sends the first line of `pipe` through the returned channel, then keeps
/// reading so the child never blocks on a full pipe. The channel closes
/// without a line when the pipe ends first.
fn first_line_then_drain(pipe: impl std::io::Read + Send + 'static) -> mpsc::Receiver<String> {
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        let mut reader = BufReader::new(pipe);
        let mut line = String::new();
        if matches!(reader.read_line(&mut line), Ok(n) if n > 0) {
            let _ = sender.send(line);
        }
        drop(sender);
        let _ = std::io::copy(&mut reader, &mut std::io::sink());
    });
    receiver
}

fn stderr_text(handle: Option<JoinHandle<Vec<u8>>>) -> String {
    handle
        .and_then(|handle| handle.join().ok())
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}
