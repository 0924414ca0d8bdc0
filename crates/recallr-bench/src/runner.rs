//! One benchmark run, start to finish: checks its inputs, starts each stub
//! as it is needed, runs every comparison and writes the report.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use tokio::runtime::Runtime;

use crate::error::BenchError;
use crate::plan::Plan;
use crate::python_sdk::PythonSdk;
use crate::report::{self, Results};
use crate::stub_process::{StubProcess, StubSpec};
use crate::{
    codegen_time, concurrency, decode_results, hand_kept, latency, machine, memory, process, scale,
    throughput,
};

/// How long a stub may take to generate its data and listen (a million
/// sessions take a few seconds).
const STUB_STARTUP: Duration = Duration::from_secs(300);

/// Where everything is.
#[derive(Debug, Clone)]
pub struct Options {
    /// Sizes and repetitions.
    pub plan: Plan,
    /// The Markdown report to write.
    pub out: PathBuf,
    /// The directory with the release builds of `recallr-stub`, `recallr`
    /// and `xtask`.
    pub bin_dir: PathBuf,
    /// The Python side.
    pub python: PythonSdk,
    /// Criterion's output directory (`target/criterion`).
    pub criterion_dir: PathBuf,
}

/// The programs a run starts.
struct Binaries {
    stub: PathBuf,
    cli: PathBuf,
    xtask: PathBuf,
}

impl Binaries {
    fn find(bin_dir: &Path) -> Result<Self, BenchError> {
        let find = |name: &str, package: &str| -> Result<PathBuf, BenchError> {
            let path = bin_dir.join(name);
            // The stub's binary needs its `cli` feature.
            let features = if package == "recallr-stub" {
                " --features cli"
            } else {
                ""
            };
            process::require_executable(
                name,
                &path,
                &format!(
                    "build it with `cargo build --release -p {package}{features}`, or pass --bin-dir"
                ),
            )?;
            Ok(path)
        };
        Ok(Self {
            stub: find("recallr-stub", "recallr-stub")?,
            cli: find("recallr", "recallr-cli")?,
            xtask: find("xtask", "xtask")?,
        })
    }
}

/// Runs every benchmark and writes the report to `options.out`.
pub fn run(options: &Options) -> Result<Results, BenchError> {
    let plan = &options.plan;
    // Check every input before the long part starts.
    let binaries = Binaries::find(&options.bin_dir)?;
    options.python.check()?;
    let decode = decode_results::read(&options.criterion_dir)?;
    let runtime = runtime()?;
    let machine = machine::Machine::read();
    let started = Instant::now();

    let sessions = plan.throughput_sessions;
    step(&format!(
        "1. throughput: {} sessions, recallr-ext vs reqwest loop vs Python SDK",
        report::group(sessions as u64)
    ));
    let stub = start_stub(&binaries, StubSpec::one_user(sessions))?;
    let throughput = throughput::run(&runtime, &stub, &options.python, plan)?;

    step(&format!(
        "3. memory: the CLI listing {} sessions",
        report::group(plan.memory_small as u64)
    ));
    let memory_small = if plan.memory_small == sessions {
        let footprint = memory::measure(
            &binaries.cli,
            stub.base_url(),
            sessions as u64,
            plan.memory_reps,
        )?;
        stub.stop();
        footprint
    } else {
        stub.stop();
        let small = start_stub(&binaries, StubSpec::one_user(plan.memory_small))?;
        memory::measure(
            &binaries.cli,
            small.base_url(),
            plan.memory_small as u64,
            plan.memory_reps,
        )?
    };

    step(&format!(
        "2. latency hiding: {} sessions, {} ms per request, concurrency {:?}",
        report::group(plan.latency_sessions as u64),
        plan.latency_ms,
        plan.concurrencies
    ));
    let stub = start_stub(
        &binaries,
        StubSpec::one_user(plan.latency_sessions).with_latency(plan.latency_ms),
    )?;
    let latency = latency::run(&runtime, stub.base_url(), plan)?;
    stub.stop();

    step(&format!(
        "3. memory: the CLI listing {} sessions",
        report::group(plan.memory_large as u64)
    ));
    let stub = start_stub(&binaries, StubSpec::one_user(plan.memory_large))?;
    let memory_large = memory::measure(
        &binaries.cli,
        stub.base_url(),
        plan.memory_large as u64,
        plan.memory_reps,
    )?;
    stub.stop();

    step(&format!(
        "5. stub scale: {} records of every listed kind, in this process",
        report::group(plan.scale_records as u64)
    ));
    let scale = scale::run(&runtime, plan)?;

    step(&format!(
        "5. concurrency: {} requests at once across every route",
        report::group(plan.concurrent_requests as u64)
    ));
    let data = std::env::temp_dir().join(format!(
        "recallr-bench-concurrency-{}.json",
        std::process::id()
    ));
    concurrency::write_data(&data, plan.concurrent_requests)?;
    let started_stub = start_stub(&binaries, StubSpec::data_file(&data));
    // The stub has read the file (or failed to) once it listens.
    let _ = std::fs::remove_file(&data);
    let stub = started_stub?;
    let concurrency = concurrency::run(&runtime, stub.base_url(), plan.concurrent_requests)?;
    stub.stop();

    step("6. codegen: xtask codegen --check");
    let codegen = codegen_time::measure(&binaries.xtask, plan.codegen_reps)?;

    let results = Results {
        plan: plan.clone(),
        machine,
        load_at_end: machine::load_now(),
        elapsed: started.elapsed(),
        throughput,
        latency,
        memory_small,
        memory_large,
        decode,
        scale,
        concurrency,
        codegen,
    };
    write(&options.out, &report::render(&results), plan.quick)?;
    Ok(results)
}

fn runtime() -> Result<Runtime, BenchError> {
    // Two workers, like the CLI: the machine the goals are for has 2 cores.
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| BenchError::measure("the tokio runtime", err))
}

fn start_stub(binaries: &Binaries, spec: StubSpec) -> Result<StubProcess, BenchError> {
    StubProcess::start(&binaries.stub, spec, STUB_STARTUP)
}

fn step(text: &str) {
    eprintln!("==> {text}");
}

/// Writes the report, keeping the hand-kept part of the file it replaces
/// (a quick run's scratch report may be replaced whole).
fn write(path: &Path, generated: &str, scratch: bool) -> Result<(), BenchError> {
    let existing = match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => None,
        Err(source) => {
            return Err(BenchError::Io {
                action: "read",
                path: path.to_path_buf(),
                source,
            });
        }
    };
    let text = hand_kept::splice(generated, existing.as_deref(), scratch).map_err(|problem| {
        BenchError::measure(format!("the report {}", path.display()), problem)
    })?;
    if let Some(parent) = path
        .parent()
        .filter(|parent| !parent.as_os_str().is_empty())
    {
        std::fs::create_dir_all(parent).map_err(|source| BenchError::Io {
            action: "create the directory of",
            path: path.to_path_buf(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| BenchError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}
