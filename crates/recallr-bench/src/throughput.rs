//! Streaming throughput: one user's sessions at page size 100 through
//! `recallr-ext`, a hand-written `reqwest` loop and the Python SDK, against
//! the same stub, in alternating order.

use std::time::Duration;

use tokio::runtime::Runtime;

use crate::error::BenchError;
use crate::plan::Plan;
use crate::python_sdk::PythonSdk;
use crate::stats::Timings;
use crate::stub_process::StubProcess;
use crate::{USER, cpu, ext_client, raw_client};

/// The three sides' timings.
#[derive(Debug, Clone)]
pub struct Throughput {
    /// Sessions each side streamed.
    pub sessions: u64,
    /// `recallr-ext`'s item stream.
    pub ext: Timings,
    /// The hand-written `reqwest` + `serde_json` loop.
    pub raw: Timings,
    /// The vendor's Python SDK.
    pub python: Timings,
    /// The interpreter's version.
    pub python_version: String,
    /// The SDK's version.
    pub sdk_version: String,
}

#[derive(Debug, Clone, Copy)]
enum Side {
    Ext,
    Raw,
    Python,
}

impl Side {
    fn label(self) -> &'static str {
        match self {
            Side::Ext => "recallr-ext",
            Side::Raw => "reqwest loop",
            Side::Python => "Python SDK",
        }
    }
}

const SIDES: [Side; 3] = [Side::Ext, Side::Raw, Side::Python];

/// Runs one untimed warm-up of each side, then `plan.reps` rounds, the
/// order of the sides rotating every round. Besides wall time, each run's
/// client CPU time and the stub's CPU time are recorded.
pub fn run(
    runtime: &Runtime,
    stub: &StubProcess,
    python: &PythonSdk,
    plan: &Plan,
) -> Result<Throughput, BenchError> {
    let base_url = stub.base_url();
    let sessions = plan.throughput_sessions as u64;
    let mut result = Throughput {
        sessions,
        ext: Timings::default(),
        raw: Timings::default(),
        python: Timings::default(),
        python_version: String::new(),
        sdk_version: String::new(),
    };
    for round in 0..=plan.reps {
        let warm_up = round == 0;
        for index in 0..SIDES.len() {
            let side = SIDES[(index + round) % SIDES.len()];
            let server_before = stub.cpu_time();
            let (walk, cpu, timings) = match side {
                Side::Ext => {
                    let client = ext_client::client(base_url)?;
                    let before = cpu::own();
                    let walk =
                        runtime.block_on(ext_client::walk(&client, USER, plan.page_size, 1))?;
                    (walk, cpu::own().saturating_sub(before), &mut result.ext)
                }
                Side::Raw => {
                    let client = raw_client::client()?;
                    let before = cpu::own();
                    let walk = runtime.block_on(raw_client::walk(
                        &client,
                        base_url,
                        USER,
                        plan.page_size,
                    ))?;
                    (walk, cpu::own().saturating_sub(before), &mut result.raw)
                }
                Side::Python => {
                    let outcome = python.walk(base_url, USER, plan.page_size)?;
                    result.python_version = outcome.python_version;
                    result.sdk_version = outcome.sdk_version;
                    (outcome.walk, outcome.cpu, &mut result.python)
                }
            };
            // For Python this window also spans the interpreter's start-up,
            // while the stub is idle.
            let server_cpu = match (server_before, stub.cpu_time()) {
                (Some(before), Some(after)) => after.saturating_sub(before),
                _ => Duration::ZERO,
            };
            if walk.items != sessions {
                return Err(BenchError::measure(
                    format!("throughput ({})", side.label()),
                    format!("streamed {} sessions, expected {sessions}", walk.items),
                ));
            }
            timings.items = walk.items;
            timings.requests = walk.requests;
            if !warm_up {
                timings.times.push(walk.elapsed);
                timings.cpu.push(cpu);
                timings.server_cpu.push(server_cpu);
            }
        }
        if !warm_up {
            eprintln!("    round {round}/{} done", plan.reps);
        }
    }
    Ok(result)
}
