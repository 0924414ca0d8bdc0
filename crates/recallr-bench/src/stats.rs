//! Summaries of repeated measurements.

use std::time::Duration;

/// The median of `samples` (the lower middle for an even count), or zero
/// for none.
pub fn median(samples: &[Duration]) -> Duration {
    percentile(samples, 50.0)
}

/// The nearest-rank percentile `p` (0 to 100) of `samples`, or zero for
/// none.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    if samples.is_empty() {
        return Duration::ZERO;
    }
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// Items per second, or zero for a zero time.
pub fn per_second(items: u64, elapsed: Duration) -> f64 {
    let seconds = elapsed.as_secs_f64();
    if seconds > 0.0 {
        items as f64 / seconds
    } else {
        0.0
    }
}

/// `a / b` for durations, or infinity when `b` is zero.
pub fn ratio(a: Duration, b: Duration) -> f64 {
    if b.is_zero() {
        f64::INFINITY
    } else {
        a.as_secs_f64() / b.as_secs_f64()
    }
}

/// Repeated timings of one side of a comparison, with what each run did
/// (the same every run, or the run fails).
#[derive(Debug, Clone, Default)]
pub struct Timings {
    /// Wall time of each timed run.
    pub times: Vec<Duration>,
    /// Items each run yielded.
    pub items: u64,
    /// Requests each run sent (the last run's, for the pager's count).
    pub requests: u64,
    /// The client's CPU time in each timed run.
    pub cpu: Vec<Duration>,
    /// The server's CPU time in each timed run.
    pub server_cpu: Vec<Duration>,
}

impl Timings {
    /// The median run.
    pub fn median(&self) -> Duration {
        median(&self.times)
    }

    /// The median client CPU time.
    pub fn median_cpu(&self) -> Duration {
        median(&self.cpu)
    }

    /// The median server CPU time.
    pub fn median_server_cpu(&self) -> Duration {
        median(&self.server_cpu)
    }

    /// Items per second of the median run.
    pub fn items_per_second(&self) -> f64 {
        per_second(self.items, self.median())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(values: &[u64]) -> Vec<Duration> {
        values.iter().copied().map(Duration::from_millis).collect()
    }

    #[test]
    fn percentiles_use_the_nearest_rank() {
        let samples = ms(&[5, 1, 4, 2, 3]);
        assert_eq!(median(&samples), Duration::from_millis(3));
        assert_eq!(percentile(&samples, 99.0), Duration::from_millis(5));
        assert_eq!(percentile(&samples, 0.0), Duration::from_millis(1));
        assert_eq!(median(&ms(&[2, 1])), Duration::from_millis(1));
        assert_eq!(median(&[]), Duration::ZERO);
    }

    #[test]
    fn ratios_do_not_divide_by_zero() {
        assert_eq!(per_second(10, Duration::ZERO), 0.0);
        assert!(ratio(Duration::from_secs(1), Duration::ZERO).is_infinite());
        assert_eq!(ratio(Duration::from_secs(3), Duration::from_secs(2)), 1.5);
    }
}
