//! Decode cost of one page of 100 sessions: the generated types against
//! `serde_json::Value` (and the throughput baseline's minimal struct).
//! `recallr-bench run` reads the medians from criterion's output.

use std::hint::black_box;
use std::process::ExitCode;

use criterion::{Criterion, Throughput};
use recallr_api::types::SessionList;
use recallr_bench::decode_results::{GENERATED, GROUP, MINIMAL, VALUE};
use recallr_bench::fixture;
use recallr_bench::raw_client::MinimalPage;

const SESSIONS: usize = 100;

fn main() -> ExitCode {
    let body = match fixture::page_body(SESSIONS, 1) {
        Ok(body) => body,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::FAILURE;
        }
    };
    // Measure only successful decodes: a failure here is a bug to report.
    let checks = [
        (
            "the generated types",
            serde_json::from_slice::<SessionList>(&body).err(),
        ),
        (
            "serde_json::Value",
            serde_json::from_slice::<serde_json::Value>(&body).err(),
        ),
        (
            "the minimal struct",
            serde_json::from_slice::<MinimalPage>(&body).err(),
        ),
    ];
    for (target, error) in checks {
        if let Some(error) = error {
            eprintln!("error: the fixture page does not decode into {target}: {error}");
            return ExitCode::FAILURE;
        }
    }

    let mut criterion = Criterion::default().configure_from_args();
    let mut group = criterion.benchmark_group(GROUP);
    group.throughput(Throughput::Elements(SESSIONS as u64));
    group.bench_function(GENERATED, |b| {
        b.iter(|| serde_json::from_slice::<SessionList>(black_box(&body)))
    });
    group.bench_function(VALUE, |b| {
        b.iter(|| serde_json::from_slice::<serde_json::Value>(black_box(&body)))
    });
    group.bench_function(MINIMAL, |b| {
        b.iter(|| serde_json::from_slice::<MinimalPage>(black_box(&body)))
    });
    group.finish();
    criterion.final_summary();
    ExitCode::SUCCESS
}
