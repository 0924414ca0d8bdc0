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

    /// The fastest possible walk at `concurrency` k:
    /// `(1 + ⌈(pages − 1) / k⌉) × latency`. The first page is fetched
    /// alone, since the pager plans the rest from its `total`; the other
    /// pages come k at a time, each round costing one latency and nothing
    /// else.
    pub fn ideal(&self, level: &Level) -> Duration {
        let pages = self
            .sequential()
            .map_or(level.timings.requests, |seq| seq.timings.requests);
        self.injected
            .saturating_mul(ideal_rounds(pages, level.concurrency))
    }
}

/// Round trips in the ideal walk of `pages` pages at concurrency `k`: the
/// first page alone, then the rest `k` at a time.
pub fn ideal_rounds(pages: u64, k: usize) -> u32 {
    let k = u64::try_from(k.max(1)).unwrap_or(u64::MAX);
    let rest = pages.saturating_sub(1).div_ceil(k);
    let rounds = if pages == 0 { 0 } else { 1 + rest };
    u32::try_from(rounds).unwrap_or(u32::MAX)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_first_page_is_a_round_of_its_own() {
        assert_eq!(ideal_rounds(101, 1), 101);
        assert_eq!(ideal_rounds(101, 4), 26);
        assert_eq!(ideal_rounds(101, 8), 14);
        assert_eq!(ideal_rounds(21, 8), 4);
        assert_eq!(ideal_rounds(1, 8), 1);
        assert_eq!(ideal_rounds(0, 8), 0);
        assert_eq!(ideal_rounds(9, 0), 9);
    }
}
