//! Stub scale: the round-trip time of one page of 100 for a user with many
//! sessions, at the start, in the middle and with a status filter, as seen
//! by a minimal client on loopback.

use std::time::Duration;

use recallr_api::types::SessionStatus;
use tokio::runtime::Runtime;

use crate::error::BenchError;
use crate::raw_client::{self, PageRequest};
use crate::stats;
use crate::{USER, plan::Plan};

/// Untimed requests before each scenario's timed ones.
const WARM_UP: usize = 10;

/// One scenario's percentiles.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// What was asked, e.g. `offset 500000`.
    pub label: String,
    /// Median round trip.
    pub p50: Duration,
    /// 99th-percentile round trip.
    pub p99: Duration,
    /// Timed requests.
    pub samples: usize,
}

/// Every scenario for one stub.
#[derive(Debug, Clone)]
pub struct Scale {
    /// Sessions of the user.
    pub sessions: u64,
    /// Offset 0, the middle, and the rarest status from offset 0.
    pub scenarios: Vec<Scenario>,
}

/// Times `plan.scale_samples` sequential requests per scenario against the
/// stub at `base_url`, whose user has `plan.memory_large` sessions.
pub fn run(runtime: &Runtime, base_url: &str, plan: &Plan) -> Result<Scale, BenchError> {
    runtime.block_on(run_async(base_url, plan))
}

async fn run_async(base_url: &str, plan: &Plan) -> Result<Scale, BenchError> {
    let client = raw_client::client()?;
    let sessions = plan.memory_large as u64;
    let limit = plan.page_size;
    // The rarest status is the filter's worst case: the most sessions
    // scanned per match.
    let mut rarest: Option<(u64, &str)> = None;
    for status in &SessionStatus::KNOWN {
        let probe = PageRequest {
            offset: 0,
            limit: 1,
            status: Some(status.as_str()),
        };
        let (page, _) = raw_client::fetch(&client, base_url, USER, &probe).await?;
        if page.total > 0 && rarest.is_none_or(|(total, _)| page.total < total) {
            rarest = Some((page.total, status.as_str()));
        }
    }
    let (_, rarest) = rarest
        .ok_or_else(|| BenchError::measure("stub scale", "no status filter matches any session"))?;
    let middle = sessions / 2;
    let cases = [
        (
            "offset 0".to_string(),
            PageRequest {
                offset: 0,
                limit,
                status: None,
            },
        ),
        (
            format!("offset {middle}"),
            PageRequest {
                offset: middle,
                limit,
                status: None,
            },
        ),
        (
            format!("status_filter={rarest} (the rarest), offset 0"),
            PageRequest {
                offset: 0,
                limit,
                status: Some(rarest),
            },
        ),
    ];
    let mut scenarios = Vec::new();
    for (label, request) in cases {
        let mut times = Vec::with_capacity(plan.scale_samples);
        for index in 0..WARM_UP + plan.scale_samples {
            let (page, elapsed) = raw_client::fetch(&client, base_url, USER, &request).await?;
            if page.sessions.len() as u64 != limit {
                return Err(BenchError::measure(
                    format!("stub scale ({label})"),
                    format!("got {} sessions, expected {limit}", page.sessions.len()),
                ));
            }
            if index >= WARM_UP {
                times.push(elapsed);
            }
        }
        scenarios.push(Scenario {
            label,
            p50: stats::percentile(&times, 50.0),
            p99: stats::percentile(&times, 99.0),
            samples: times.len(),
        });
    }
    Ok(Scale {
        sessions,
        scenarios,
    })
}
