//! Latency hiding: the sequential pager against concurrent prefetch, with
//! latency injected by the stub on every request.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::error::BenchError;
use crate::plan::Plan;
use crate::stats::Timings;
use crate::{USER, ext_client};

/// One concurrency's timings.
#[derive(Debug, Clone)]
pub struct Level {
    /// Pages in flight at most (1 is sequential).
    pub concurrency: usize,
    /// Its walks.
    pub timings: Timings,
}

/// Every level, sequential first.
#[derive(Debug, Clone)]
pub struct Latency {
    /// Sessions streamed per walk.
    pub sessions: u64,
    /// The latency the stub added to each request.
    pub injected: Duration,
    /// One entry per concurrency, in the plan's order.
    pub levels: Vec<Level>,
}

impl Latency {
    /// The sequential level's median.
    pub fn sequential(&self) -> Option<&Level> {
        self.levels.iter().find(|level| level.concurrency == 1)
    }

    /// The fastest possible walk at `concurrency`: every request's
    /// latency, perfectly overlapped, `(pages / k) × latency`.
    pub fn ideal(&self, level: &Level) -> Duration {
        let pages = self
            .sequential()
            .map_or(level.timings.requests, |seq| seq.timings.requests);
        self.injected
            .mul_f64(pages as f64 / level.concurrency.max(1) as f64)
    }
}

/// Runs an untimed warm-up at each concurrency, then `plan.reps` rounds
/// with the order of the levels rotating every round.
pub fn run(runtime: &Runtime, base_url: &str, plan: &Plan) -> Result<Latency, BenchError> {
    let sessions = plan.latency_sessions as u64;
    let mut levels: Vec<Level> = plan
        .concurrencies
        .iter()
        .map(|&concurrency| Level {
            concurrency,
            timings: Timings::default(),
        })
        .collect();
    let count = levels.len();
    for round in 0..=plan.reps {
        for index in 0..count {
            let level = &mut levels[(index + round) % count];
            let client = ext_client::client(base_url)?;
            let walk = runtime.block_on(ext_client::walk(
                &client,
                USER,
                plan.page_size,
                level.concurrency,
            ))?;
            if walk.items != sessions {
                return Err(BenchError::measure(
                    format!("latency hiding (concurrency {})", level.concurrency),
                    format!("streamed {} sessions, expected {sessions}", walk.items),
                ));
            }
            level.timings.items = walk.items;
            level.timings.requests = walk.requests;
            if round > 0 {
                level.timings.times.push(walk.elapsed);
            }
        }
        if round > 0 {
            eprintln!("    round {round}/{} done", plan.reps);
        }
    }
    Ok(Latency {
        sessions,
        injected: Duration::from_millis(plan.latency_ms),
        levels,
    })
}
