//! Peak RSS of the CLI listing every session as NDJSON into `/dev/null`,
//! read from the kernel with `wait4` (what `/usr/bin/time -v` reports).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use crate::error::BenchError;
use crate::process;
use crate::stats;
use crate::{API_KEY, PROJECT_ID, USER};

/// The longest one CLI run may take.
const TIMEOUT: Duration = Duration::from_secs(900);

/// One listing's figures.
#[derive(Debug, Clone, Copy)]
pub struct Footprint {
    /// Sessions listed.
    pub sessions: u64,
    /// The largest peak RSS over the runs, in KiB.
    pub max_rss_kib: u64,
    /// The median wall time of the runs.
    pub wall: Duration,
}

impl Footprint {
    /// The peak RSS in MiB.
    pub fn max_rss_mib(&self) -> f64 {
        self.max_rss_kib as f64 / 1024.0
    }
}

/// Runs `recallr sessions list --user user-0 --all --format ndjson`
/// against `base_url` `reps` times.
pub fn measure(
    cli: &Path,
    base_url: &str,
    sessions: u64,
    reps: usize,
) -> Result<Footprint, BenchError> {
    let what = format!("recallr sessions list --all ({sessions} sessions)");
    let mut max_rss_kib = 0;
    let mut walls = Vec::new();
    for _ in 0..reps.max(1) {
        let mut command = Command::new(cli);
        command
            .args(["sessions", "list", "--user", USER, "--all"])
            .args(["--format", "ndjson"])
            .env("RECALLR_API_KEY", API_KEY)
            .env("RECALLR_PROJECT_ID", PROJECT_ID)
            .env("RECALLR_BASE_URL", base_url);
        let finished = process::run(&what, command, false, TIMEOUT)?;
        if !finished.status.success() {
            return Err(BenchError::process(
                &what,
                format!(
                    "{}: {}",
                    process::describe_exit(finished.status),
                    finished.last_words()
                ),
            ));
        }
        max_rss_kib = max_rss_kib.max(finished.max_rss_kib);
        walls.push(finished.wall);
    }
    Ok(Footprint {
        sessions,
        max_rss_kib,
        wall: stats::median(&walls),
    })
}
