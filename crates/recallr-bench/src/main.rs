//! `recallr-bench run`: every benchmark of the issue in one run, written to
//! a Markdown report. `bench/run` builds everything and calls it.

use std::process::ExitCode;

#[cfg(target_os = "linux")]
mod command;

#[cfg(target_os = "linux")]
fn main() -> ExitCode {
    command::main()
}

/// The runner ties its child processes to its own life with
/// `prctl(PR_SET_PDEATHSIG)` and reads their CPU time from `/proc`: both are
/// Linux's. Elsewhere the binary builds, and says so.
#[cfg(not(target_os = "linux"))]
fn main() -> ExitCode {
    eprintln!(
        "error: recallr-bench runs on Linux only (it uses prctl(PR_SET_PDEATHSIG) and /proc); \
         the criterion bench (`cargo bench -p recallr-bench --bench decode`) runs anywhere"
    );
    ExitCode::from(2)
}
