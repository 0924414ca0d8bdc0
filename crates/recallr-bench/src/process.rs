//! Running child processes: tied to this process's life, with a timeout,
//! and with their peak RSS read from the kernel (`wait4`'s rusage).

use std::io::Read;
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::error::BenchError;

/// How often a running child is checked for exit. Small next to anything
/// timed through [`run`] (the shortest is about 100 ms).
const POLL: Duration = Duration::from_millis(1);

/// The most of a child's stderr kept for error messages.
const STDERR_TAIL: usize = 4 * 1024;

/// Makes the kernel kill the child (SIGKILL) when this process dies, even
/// by a signal that skips destructors; call before spawning.
///
/// The "parent" is the spawning thread, so children must be spawned from a
/// thread that lives as long as they do (the main thread, here).
pub fn die_with_parent(command: &mut Command) -> &mut Command {
    let parent = std::process::id();
    // SAFETY: the closure runs between fork and exec and calls only
    // async-signal-safe functions (prctl, getppid, _exit).
    unsafe {
        command.pre_exec(move || {
            if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            // The parent may have died before prctl took effect.
            if libc::getppid() as u32 != parent {
                libc::_exit(1);
            }
            Ok(())
        })
    }
}

/// Fails with a clear message when `path` is not an executable file.
pub fn require_executable(name: &str, path: &Path, hint: &str) -> Result<(), BenchError> {
    use std::os::unix::fs::PermissionsExt;
    match std::fs::metadata(path) {
        Ok(meta) if meta.is_file() && meta.permissions().mode() & 0o111 != 0 => Ok(()),
        _ => Err(BenchError::Missing {
            name: name.to_string(),
            path: path.to_path_buf(),
            hint: hint.to_string(),
        }),
    }
}

/// `program` itself when it names a path, else the first match on `PATH`
/// (as a shell would find it); `None` when there is none.
pub fn resolve_program(program: &Path) -> Option<std::path::PathBuf> {
    if program.components().count() > 1 {
        return Some(program.to_path_buf());
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| candidate.is_file())
}

/// How a child run by [`run`] ended.
#[derive(Debug)]
pub struct Finished {
    /// Its exit status.
    pub status: ExitStatus,
    /// From spawn to exit.
    pub wall: Duration,
    /// Peak resident set size, in KiB (Linux's `ru_maxrss`).
    pub max_rss_kib: u64,
    /// Its stdout, when captured.
    pub stdout: String,
    /// The end of its stderr.
    pub stderr: String,
}

impl Finished {
    /// The last non-empty line of stderr, for error messages.
    pub fn last_words(&self) -> &str {
        last_line(&self.stderr)
    }
}

/// The last non-empty line of `text` without an `error: ` prefix (it is
/// quoted inside an error line of its own), or a placeholder.
pub fn last_line(text: &str) -> &str {
    let line = text
        .lines()
        .rev()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("(no output on stderr)");
    line.strip_prefix("error: ").unwrap_or(line)
}

/// Runs `command` to its end. Stdin is closed; stdout is captured when
/// `capture_stdout`, else sent to `/dev/null`; stderr is captured. A child
/// still running after `timeout` is killed and the run fails.
pub fn run(
    what: &str,
    mut command: Command,
    capture_stdout: bool,
    timeout: Duration,
) -> Result<Finished, BenchError> {
    command.stdin(Stdio::null()).stderr(Stdio::piped());
    command.stdout(if capture_stdout {
        Stdio::piped()
    } else {
        Stdio::null()
    });
    die_with_parent(&mut command);
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|err| BenchError::process(what, format!("cannot start it: {err}")))?;
    let stdout = child.stdout.take().map(|out| drain(out, usize::MAX));
    let stderr = child.stderr.take().map(|err| drain(err, STDERR_TAIL));
    let reaped = reap(&mut child, started + timeout);
    let wall = started.elapsed();
    let stdout = stdout.map(join_text).unwrap_or_default();
    let stderr = stderr.map(join_text).unwrap_or_default();
    match reaped {
        Ok(Some((status, max_rss_kib))) => Ok(Finished {
            status,
            wall,
            max_rss_kib,
            stdout,
            stderr,
        }),
        Ok(None) => Err(BenchError::process(
            what,
            format!(
                "still running after {} s, killed; last words: {}",
                timeout.as_secs(),
                last_line(&stderr)
            ),
        )),
        Err(err) => Err(BenchError::process(
            what,
            format!("cannot wait for it: {err}"),
        )),
    }
}

/// Waits for `child` until `deadline`; kills and reaps it past that.
/// Returns its status and peak RSS, or `None` on timeout.
fn reap(child: &mut Child, deadline: Instant) -> std::io::Result<Option<(ExitStatus, u64)>> {
    let pid = child.id() as libc::pid_t;
    loop {
        let mut status: libc::c_int = 0;
        // SAFETY: an all-zero rusage is a valid value of that plain C struct.
        let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live locals of the right types.
        let got = unsafe { libc::wait4(pid, &mut status, libc::WNOHANG, &mut usage) };
        if got == pid {
            let max_rss = u64::try_from(usage.ru_maxrss).unwrap_or(0);
            return Ok(Some((ExitStatus::from_raw(status), max_rss)));
        }
        if got < 0 {
            let err = std::io::Error::last_os_error();
            if err.kind() == std::io::ErrorKind::Interrupted {
                continue;
            }
            let _ = child.kill();
            return Err(err);
        }
        if Instant::now() >= deadline {
            // Not reaped yet, so the pid is still this child's.
            let _ = child.kill();
            let _ = child.wait();
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Reads a pipe to its end in a thread, keeping at most the last `keep`
/// bytes, so that a chatty child never blocks on a full pipe.
pub fn drain(mut pipe: impl Read + Send + 'static, keep: usize) -> JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut kept = Vec::new();
        let mut buf = [0_u8; 8192];
        loop {
            match pipe.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    kept.extend_from_slice(&buf[..n]);
                    if kept.len() > keep.saturating_mul(2) {
                        let cut = kept.len() - keep;
                        kept.drain(..cut);
                    }
                }
            }
        }
        if kept.len() > keep {
            let cut = kept.len() - keep;
            kept.drain(..cut);
        }
        kept
    })
}

fn join_text(handle: JoinHandle<Vec<u8>>) -> String {
    handle
        .join()
        .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
        .unwrap_or_default()
}

/// Describes an unsuccessful exit for an error message.
pub fn describe_exit(status: ExitStatus) -> String {
    match (status.code(), status.signal()) {
        (Some(code), _) => format!("exited with status {code}"),
        (None, Some(signal)) => format!("was killed by signal {signal}"),
        _ => "ended abnormally".to_string(),
    }
}
