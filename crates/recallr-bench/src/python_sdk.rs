//! The vendor's Python SDK side: runs `python/list_sessions.py` and reads
//! the JSON line it prints.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde::Deserialize;

use crate::error::BenchError;
use crate::process;
use crate::raw_client::Walk;
use crate::{API_KEY, PROJECT_ID};

/// The script, as shipped in this crate.
pub fn default_script() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("python/list_sessions.py")
}

/// The longest one Python walk may take.
const TIMEOUT: Duration = Duration::from_secs(900);

/// The interpreter and script to run.
#[derive(Debug, Clone)]
pub struct PythonSdk {
    /// A Python with `recallrai` installed.
    pub python: PathBuf,
    /// `list_sessions.py`.
    pub script: PathBuf,
}

/// What the script prints.
#[derive(Debug, Deserialize)]
struct Output {
    items: u64,
    requests: u64,
    seconds: f64,
    cpu_seconds: f64,
    python: String,
    recallrai: String,
}

/// One walk by the Python SDK, with the versions it ran.
#[derive(Debug, Clone)]
pub struct PythonWalk {
    /// Items, requests and the walk's own timing (imports excluded).
    pub walk: Walk,
    /// The interpreter's CPU time during the walk.
    pub cpu: Duration,
    /// The interpreter's version.
    pub python_version: String,
    /// The SDK's version.
    pub sdk_version: String,
}

impl PythonSdk {
    /// Checks that both files exist, with a clear message when not.
    pub fn check(&self) -> Result<(), BenchError> {
        process::require_executable(
            "Python",
            &self.python,
            "pass --python, e.g. a venv with `pip install recallrai==0.6.6` (bench/run makes one in target/bench-venv)",
        )?;
        if !self.script.is_file() {
            return Err(BenchError::Missing {
                name: "the Python benchmark script".to_string(),
                path: self.script.clone(),
                hint: "pass --python-script".to_string(),
            });
        }
        Ok(())
    }

    /// Walks every session of `user` at `base_url` with the SDK.
    pub fn walk(
        &self,
        base_url: &str,
        user: &str,
        page_size: u64,
    ) -> Result<PythonWalk, BenchError> {
        let what = "the Python SDK walk";
        let mut command = Command::new(&self.python);
        command
            .arg(&self.script)
            .arg("--user")
            .arg(user)
            .arg("--page-size")
            .arg(page_size.to_string())
            .env("RECALLR_API_KEY", API_KEY)
            .env("RECALLR_PROJECT_ID", PROJECT_ID)
            .env("RECALLR_BASE_URL", base_url)
            .env("PYTHONDONTWRITEBYTECODE", "1");
        let finished = process::run(what, command, true, TIMEOUT)?;
        if !finished.status.success() {
            return Err(BenchError::process(
                what,
                format!(
                    "{}: {}",
                    process::describe_exit(finished.status),
                    finished.last_words()
                ),
            ));
        }
        let line = finished.stdout.lines().last().unwrap_or_default();
        let output: Output = serde_json::from_str(line).map_err(|err| {
            BenchError::process(
                what,
                format!("printed {line:?}, not the expected JSON: {err}"),
            )
        })?;
        for seconds in [output.seconds, output.cpu_seconds] {
            if !seconds.is_finite() || seconds < 0.0 {
                return Err(BenchError::process(
                    what,
                    format!("reported an impossible time of {seconds} s"),
                ));
            }
        }
        Ok(PythonWalk {
            walk: Walk {
                items: output.items,
                requests: output.requests,
                elapsed: Duration::from_secs_f64(output.seconds),
            },
            cpu: Duration::from_secs_f64(output.cpu_seconds),
            python_version: output.python,
            sdk_version: output.recallrai,
        })
    }
}
