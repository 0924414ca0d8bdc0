//! How big each benchmark is, in the full and the quick mode.

/// Sizes and repetitions of one run.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The smoke-test sizes (`--quick`).
    pub quick: bool,
    /// Timed repetitions of each side of a comparison (the median counts).
    pub reps: usize,
    /// Sessions per request everywhere.
    pub page_size: u64,
    /// Sessions streamed in the throughput comparison.
    pub throughput_sessions: usize,
    /// Sessions streamed in the latency-hiding comparison.
    pub latency_sessions: usize,
    /// Latency the stub adds per request there.
    pub latency_ms: u64,
    /// The pager concurrencies compared (1 is the sequential pager).
    pub concurrencies: Vec<usize>,
    /// Sessions listed by the CLI in the smaller memory run.
    pub memory_small: usize,
    /// Sessions listed by the CLI in the larger memory run.
    pub memory_large: usize,
    /// Runs of each memory measurement (the largest peak counts).
    pub memory_reps: usize,
    /// Records of each listed kind in the stub-scale measurement.
    pub scale_records: usize,
    /// Timed requests per stub-scale scenario.
    pub scale_samples: usize,
    /// Requests sent at once across every route.
    pub concurrent_requests: usize,
    /// Runs of `xtask codegen --check` (the median counts).
    pub codegen_reps: usize,
}

impl Plan {
    /// The sizes the goals are stated for.
    pub fn full() -> Self {
        Self {
            quick: false,
            // Each Rust walk takes a fraction of a second: many rounds are
            // cheap, and steady the medians on a shared machine.
            reps: 9,
            page_size: 100,
            throughput_sessions: 100_000,
            latency_sessions: 10_000,
            latency_ms: 20,
            concurrencies: vec![1, 2, 4, 8],
            memory_small: 100_000,
            memory_large: 1_000_000,
            memory_reps: 3,
            scale_records: 1_000_000,
            scale_samples: 500,
            concurrent_requests: 10_000,
            codegen_reps: 5,
        }
    }

    /// Tiny sizes and one repetition: checks that everything still runs.
    pub fn quick() -> Self {
        Self {
            quick: true,
            reps: 1,
            throughput_sessions: 2_000,
            latency_sessions: 2_000,
            memory_small: 2_000,
            memory_large: 20_000,
            memory_reps: 1,
            scale_records: 2_000,
            scale_samples: 50,
            concurrent_requests: 220,
            codegen_reps: 1,
            ..Self::full()
        }
    }

    /// The same plan with `reps` timed repetitions of the comparisons.
    pub fn with_reps(mut self, reps: usize) -> Self {
        self.reps = reps;
        self
    }
}
