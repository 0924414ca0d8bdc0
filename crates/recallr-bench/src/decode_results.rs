//! Reads the decode benchmark's results from criterion's output
//! (`cargo bench -p recallr-bench --bench decode` writes them).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;

use crate::error::BenchError;

/// The criterion group of `benches/decode.rs`.
pub const GROUP: &str = "decode_page";
/// Decoding into the generated `SessionList`.
pub const GENERATED: &str = "generated_types";
/// Decoding into `serde_json::Value`.
pub const VALUE: &str = "serde_json_value";
/// Decoding into the baseline's minimal struct.
pub const MINIMAL: &str = "minimal_struct";

/// Median time to decode one page, per target type.
#[derive(Debug, Clone, Copy)]
pub struct Decode {
    /// Into the generated types.
    pub generated: Duration,
    /// Into `serde_json::Value`.
    pub value: Duration,
    /// Into the baseline's minimal struct.
    pub minimal: Duration,
}

#[derive(Debug, Deserialize)]
struct Estimates {
    median: Estimate,
}

#[derive(Debug, Deserialize)]
struct Estimate {
    point_estimate: f64,
}

/// Reads the three medians from `criterion_dir`.
pub fn read(criterion_dir: &Path) -> Result<Decode, BenchError> {
    Ok(Decode {
        generated: median(criterion_dir, GENERATED)?,
        value: median(criterion_dir, VALUE)?,
        minimal: median(criterion_dir, MINIMAL)?,
    })
}

fn estimates_path(criterion_dir: &Path, name: &str) -> PathBuf {
    criterion_dir
        .join(GROUP)
        .join(name)
        .join("new")
        .join("estimates.json")
}

fn median(criterion_dir: &Path, name: &str) -> Result<Duration, BenchError> {
    let path = estimates_path(criterion_dir, name);
    let text = std::fs::read_to_string(&path).map_err(|source| {
        if source.kind() == std::io::ErrorKind::NotFound {
            BenchError::Missing {
                name: "the decode bench's results".to_string(),
                path: path.clone(),
                hint: "run `cargo bench -p recallr-bench --bench decode` first (bench/run does), or pass --criterion-dir".to_string(),
            }
        } else {
            BenchError::Io {
                action: "read",
                path: path.clone(),
                source,
            }
        }
    })?;
    let estimates: Estimates = serde_json::from_str(&text).map_err(|err| {
        BenchError::measure(
            format!("criterion's {}", path.display()),
            format!("not the expected estimates: {err}"),
        )
    })?;
    let nanos = estimates.median.point_estimate;
    if !nanos.is_finite() || nanos <= 0.0 {
        return Err(BenchError::measure(
            format!("criterion's {}", path.display()),
            format!("impossible median {nanos} ns"),
        ));
    }
    Ok(Duration::from_secs_f64(nanos / 1e9))
}
