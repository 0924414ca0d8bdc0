//! Wall time of `xtask codegen --check` with the binary already built.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::error::BenchError;
use crate::process;
use crate::stats;

/// The longest one check may take.
const TIMEOUT: Duration = Duration::from_secs(300);

/// The runs' outcome.
#[derive(Debug, Clone)]
pub struct CodegenTime {
    /// The median wall time.
    pub median: Duration,
    /// How many runs.
    pub runs: usize,
    /// `None` when every check passed; else how the first failure ended
    /// (the time is still reported, but the goal is not met).
    pub failure: Option<String>,
}

/// Runs `xtask codegen --check` `reps` times.
pub fn measure(xtask: &Path, reps: usize) -> Result<CodegenTime, BenchError> {
    let what = "xtask codegen --check";
    let mut walls = Vec::new();
    let mut failure = None;
    for _ in 0..reps.max(1) {
        let mut command = Command::new(xtask);
        command.args(["codegen", "--check"]);
        let finished = process::run(what, command, false, TIMEOUT)?;
        if !finished.status.success() && failure.is_none() {
            failure = Some(format!(
                "{}: {}",
                process::describe_exit(finished.status),
                finished.last_words()
            ));
        }
        walls.push(finished.wall);
    }
    Ok(CodegenTime {
        median: stats::median(&walls),
        runs: walls.len(),
        failure,
    })
}
