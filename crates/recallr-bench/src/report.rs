//! The Markdown report: machine, method, figures, ratios and goals.

use std::fmt::Write as _;
use std::time::Duration;

use crate::codegen_time::CodegenTime;
use crate::concurrency::Concurrency;
use crate::decode_results::Decode;
use crate::latency::Latency;
use crate::machine::Machine;
use crate::memory::Footprint;
use crate::plan::Plan;
use crate::scale::Scale;
use crate::stats::{self, Timings};
use crate::throughput::Throughput;

/// Everything one run measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// The sizes it ran with.
    pub plan: Plan,
    /// Where and when.
    pub machine: Machine,
    /// The 1-minute load average when it ended.
    pub load_at_end: Option<f64>,
    /// How long the measurements took (the build not included).
    pub elapsed: Duration,
    /// 1. Streaming throughput.
    pub throughput: Throughput,
    /// 2. Latency hiding.
    pub latency: Latency,
    /// 3. The CLI's memory, smaller listing.
    pub memory_small: Footprint,
    /// 3. The CLI's memory, larger listing.
    pub memory_large: Footprint,
    /// 4. Decode cost.
    pub decode: Decode,
    /// 5. Stub scale.
    pub scale: Scale,
    /// 5. Requests at once across every route.
    pub concurrency: Concurrency,
    /// 6. Codegen check time.
    pub codegen: CodegenTime,
}

/// The concurrency goals 2a and 2b are stated for.
const GOAL_CONCURRENCY: usize = 4;
/// The concurrency goal 2c is stated for.
const WIDE_CONCURRENCY: usize = 8;
/// Goal 1b: recallr-ext's client CPU per page over the Python SDK's.
const CPU_SHARE_OF_PYTHON: f64 = 0.25;
/// The ideal walk at concurrency k, as the goals and the table state it.
const IDEAL: &str = "(1 + ⌈(pages − 1) / k⌉) × latency";
/// Where the prose on what would close the concurrency gap is kept.
const CONCURRENCY_GAP: &str =
    "see \"What would close the concurrency gap\" in BENCHMARKS.md's hand-kept part.";
/// The CLI's memory budget, in MiB.
const MEMORY_BUDGET_MIB: f64 = 64.0;
/// "Flat": the larger listing's peak may be at most this many times the
/// smaller one's (it lists ten times as many sessions).
const MEMORY_GROWTH_LIMIT: f64 = 1.5;

/// One goal and whether the run met it.
#[derive(Debug, Clone)]
pub struct Goal {
    /// Its number in the issue, e.g. `1a`.
    pub id: &'static str,
    /// What is asked.
    pub text: String,
    /// What was measured.
    pub measured: String,
    /// Whether it was met.
    pub met: bool,
    /// What would fix it, said when it is not met.
    pub fix: String,
}

/// Every goal, evaluated on `results`.
pub fn goals(results: &Results) -> Vec<Goal> {
    let mut goals = Vec::new();
    let t = &results.throughput;
    let ext_vs_raw = stats::ratio(t.ext.median(), t.raw.median());
    goals.push(Goal {
        id: "1a",
        text: "recallr-ext item stream takes ≤ 1.10× the hand-written reqwest loop's time".into(),
        measured: format!(
            "{ext_vs_raw:.2}× wall (client CPU: {:.2}×{})",
            stats::ratio(t.ext.median_cpu(), t.raw.median_cpu()),
            round_range(&t.ext.cpu, &t.raw.cpu)
                .map(|(low, high)| format!(", {low:.2}–{high:.2}× round by round"))
                .unwrap_or_default()
        ),
        met: ext_vs_raw <= 1.10,
        fix: "what is left above the loop is no longer the pager's bookkeeping (see \"Where a page's client time goes\" in the hand-kept part) but decoding into the generated types (chrono timestamps, UUIDs, open status enums, flattened `extra` maps) and the overlapping session (1% more requests); cutting it means a cheaper decode in `recallr-api`.".into(),
    });
    let ext_per_page = per_page(t.ext.median_cpu(), t.ext.requests);
    let python_per_page = per_page(t.python.median_cpu(), t.python.requests);
    let cpu_share = stats::ratio(ext_per_page, python_per_page);
    goals.push(Goal {
        id: "1b",
        text: "recallr-ext's client CPU per page is at most ¼ of the Python SDK's, measured in the same run".into(),
        measured: format!(
            "{} against {} per page: {:.2} (the SDK spends {:.1}×; wall {:.1}×)",
            duration(ext_per_page),
            duration(python_per_page),
            cpu_share,
            stats::ratio(python_per_page, ext_per_page),
            stats::ratio(t.python.median(), t.ext.median()),
        ),
        met: cpu_share <= CPU_SHARE_OF_PYTHON,
        fix: python_fix(results),
    });

    let lat = &results.latency;
    let sequential = lat.sequential().map(|level| level.timings.median());
    let level_at = |k: usize| lat.levels.iter().find(|level| level.concurrency == k);
    let speedup = match (sequential, level_at(GOAL_CONCURRENCY)) {
        (Some(seq), Some(level)) => stats::ratio(seq, level.timings.median()),
        _ => 0.0,
    };
    let vs_ideal_at = |k: usize| {
        level_at(k).map_or(f64::INFINITY, |level| {
            stats::ratio(level.timings.median(), lat.ideal(level))
        })
    };
    let vs_ideal = vs_ideal_at(GOAL_CONCURRENCY);
    goals.push(Goal {
        id: "2a",
        text: format!("concurrency({GOAL_CONCURRENCY}) is ≥ 3.5× faster than the sequential pager"),
        measured: format!("{speedup:.2}×"),
        met: speedup >= 3.5,
        fix: CONCURRENCY_GAP.into(),
    });
    goals.push(Goal {
        id: "2b",
        text: format!("concurrency({GOAL_CONCURRENCY}) is within 1.3× of the ideal {IDEAL}"),
        measured: format!("{vs_ideal:.2}×"),
        met: vs_ideal <= 1.3,
        fix: CONCURRENCY_GAP.into(),
    });
    let wide = vs_ideal_at(WIDE_CONCURRENCY);
    goals.push(Goal {
        id: "2c",
        text: format!("concurrency({WIDE_CONCURRENCY}) is within 1.15× of the ideal {IDEAL}"),
        measured: format!("{wide:.2}×"),
        met: wide <= 1.15,
        fix: CONCURRENCY_GAP.into(),
    });

    let large = results.memory_large.max_rss_mib();
    goals.push(Goal {
        id: "3a",
        text: format!(
            "CLI peak RSS ≤ {MEMORY_BUDGET_MIB:.0} MiB listing {} sessions",
            group(results.memory_large.sessions)
        ),
        measured: format!("{large:.1} MiB"),
        met: large <= MEMORY_BUDGET_MIB,
        fix: "find what grows with the listing (a heap profile, e.g. heaptrack, of `recallr sessions list --all`): nothing in an NDJSON walk needs more than a page or two in memory.".into(),
    });
    let growth = large / results.memory_small.max_rss_mib().max(f64::MIN_POSITIVE);
    goals.push(Goal {
        id: "3b",
        text: format!(
            "flat: the {}-session peak ≤ {MEMORY_GROWTH_LIMIT}× the {}-session peak",
            group(results.memory_large.sessions),
            group(results.memory_small.sessions)
        ),
        measured: format!("{growth:.2}×"),
        met: growth <= MEMORY_GROWTH_LIMIT,
        fix: "something keeps per-session state for the whole walk; the pager's frontier should hold only the ids that tie on the last timestamp.".into(),
    });

    let records = group(results.scale.records);
    for scenario in &results.scale.scenarios {
        goals.push(Goal {
            id: "5",
            text: format!(
                "stub p50 < 2 ms per page of {} {} ({})",
                records, scenario.list, scenario.label
            ),
            measured: duration(scenario.p50),
            met: scenario.p50 < Duration::from_millis(2),
            fix: format!(
                "an unfiltered page is a slice of an order the stub keeps, but a filtered one \
                 (other than the sessions' status filter, which has per-status counts) tests all \
                 {records} records to count `total`; an index per filter value kept up to date on \
                 every change (or a `total` counted only on demand) would make it a slice too."
            ),
        });
    }
    let burst = &results.concurrency;
    goals.push(Goal {
        id: "5",
        text: format!(
            "{} requests at once across all {} routes are answered with no error",
            group(burst.requests),
            burst.routes
        ),
        measured: format!("{} error(s)", group(burst.errors)),
        met: burst.errors == 0,
        fix: "see the failures listed under section 5's concurrency table.".into(),
    });

    let codegen = &results.codegen;
    goals.push(Goal {
        id: "6",
        text: "`xtask codegen --check` < 1 s after the build".into(),
        measured: match &codegen.failure {
            None => duration(codegen.median),
            Some(failure) => format!("{} (the check failed: {failure})", duration(codegen.median)),
        },
        met: codegen.median < Duration::from_secs(1) && codegen.failure.is_none(),
        fix: "profile the check: generation through progenitor and prettyplease should take well under a second; if the check failed, the generated client is out of date (`cargo xtask codegen`).".into(),
    });
    goals
}

/// The lowest and highest ratio `a[i] / b[i]` over the rounds (both sides
/// ran in each round, one after the other), if there are any.
fn round_range(a: &[Duration], b: &[Duration]) -> Option<(f64, f64)> {
    a.iter()
        .zip(b)
        .map(|(&a, &b)| stats::ratio(a, b))
        .fold(None, |range, ratio| match range {
            None => Some((ratio, ratio)),
            Some((low, high)) => Some((f64::min(low, ratio), f64::max(high, ratio))),
        })
}

/// `time` spread over `count` pages.
fn per_page(time: Duration, count: u64) -> Duration {
    Duration::from_secs_f64(time.as_secs_f64() / count.max(1) as f64)
}

/// What stands between recallr-ext's client CPU per page and a quarter of
/// the Python SDK's, in this run's numbers.
fn python_fix(results: &Results) -> String {
    let t = &results.throughput;
    format!(
        "a quarter of the SDK's client CPU is {} per page; recallr-ext spends {} ({} of it \
         decoding into the generated types, {} for the hand-written loop's minimal struct, \
         against {} of client CPU per page in all for that loop). Cut the decode (borrowed \
         strings, no flattened `extra` maps) or the request path.",
        duration(per_page(t.python.median_cpu(), t.python.requests).mul_f64(CPU_SHARE_OF_PYTHON)),
        duration(per_page(t.ext.median_cpu(), t.ext.requests)),
        duration(results.decode.generated),
        duration(results.decode.minimal),
        duration(per_page(t.raw.median_cpu(), t.raw.requests)),
    )
}

/// The whole report.
pub fn render(results: &Results) -> String {
    let mut out = String::new();
    let plan = &results.plan;
    let machine = &results.machine;
    let goals = goals(results);
    let mode = if plan.quick { "quick" } else { "full" };

    let _ = writeln!(out, "# Benchmarks\n");
    let _ = writeln!(
        out,
        "Written by `bash bench/run`{} ({mode} mode) on {}; the measurements took {}. \
         Regenerate with `bash bench/run`; `bash bench/run --quick` is the smoke run CI uses. \
         A run rewrites everything above the hand-kept marker and keeps what is below it.\n",
        if plan.quick { " --quick" } else { "" },
        machine.date,
        duration(results.elapsed),
    );
    if plan.quick {
        let _ = writeln!(
            out,
            "> **Quick mode**: tiny sizes and one repetition. These figures only show \
             that every benchmark runs; the goals are stated for the full sizes.\n"
        );
    }

    let _ = writeln!(out, "## Machine\n");
    let _ = writeln!(out, "| | |\n|---|---|");
    let _ = writeln!(out, "| CPUs (`nproc`) | {} |", machine.nproc);
    let _ = writeln!(out, "| CPU model | {} |", escape(&machine.cpu_model));
    if let Some(gib) = machine.memory_gib {
        let _ = writeln!(out, "| Memory | {gib:.1} GiB |");
    }
    let _ = writeln!(
        out,
        "| Load average (1 min), start / end | {} / {} |",
        optional(machine.load_at_start),
        optional(results.load_at_end)
    );
    let _ = writeln!(
        out,
        "| Python, recallrai | {}, {} |",
        escape(&results.throughput.python_version),
        escape(&results.throughput.sdk_version)
    );
    let _ = writeln!(out, "| Date | {} |\n", machine.date);

    let _ = writeln!(out, "## Goals\n");
    let _ = writeln!(out, "| # | Goal | Measured | Met |\n|---|---|---|---|");
    for goal in &goals {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} |",
            goal.id,
            escape(&goal.text),
            escape(&goal.measured),
            if goal.met { "met" } else { "**not met**" }
        );
    }
    let missed: Vec<&Goal> = goals.iter().filter(|goal| !goal.met).collect();
    if !missed.is_empty() {
        let _ = writeln!(out, "\nWhat would fix the goals not met:\n");
        for goal in missed {
            let _ = writeln!(out, "- **{}**: {}", goal.id, goal.fix);
        }
    }
    let _ = writeln!(out);

    method(&mut out, results);
    throughput(&mut out, results);
    latency(&mut out, results);
    memory(&mut out, results);
    decode(&mut out, results);
    scale(&mut out, results);
    codegen(&mut out, results);
    out
}

fn method(out: &mut String, results: &Results) {
    let plan = &results.plan;
    let _ = writeln!(out, "## How it was measured\n");
    let _ = writeln!(
        out,
        "- Every server is a `recallr-stub serve` process on 127.0.0.1, started by the run \
         (generated data, seed 1, user `user-0`); clients run in other processes: \
         `recallr-bench` (Rust, a 2-worker tokio runtime), Python, or the `recallr` CLI. \
         Everything is a release build. Both sides of a comparison hit the same stub \
         process in the same run, and the figures that matter are the ratios: absolute \
         times drift on a shared machine."
    );
    let _ = writeln!(
        out,
        "- Comparisons (1, 2): one untimed warm-up walk per side, then {} timed round(s) \
         with the order of the sides rotated each round; each side's figure is its \
         **median** walk, and ratios are of medians. A walk's time runs from the first \
         request to the last session (client construction and, for Python, the imports \
         are not timed).",
        plan.reps
    );
    let _ = writeln!(
        out,
        "- Memory (3): the kernel's peak RSS of the CLI process (`ru_maxrss` from \
         `wait4`, as `/usr/bin/time -v` reports it), the largest of {} run(s).",
        plan.memory_reps
    );
    let _ = writeln!(
        out,
        "- Decode (4): criterion (`cargo bench -p recallr-bench --bench decode`, with the \
         warm-up and measurement times `bench/run` passes), median time per page of 100 \
         sessions made by the stub's generator, serialized by the generated types."
    );
    let _ = writeln!(
        out,
        "- Stub scale (5): a `StubServer` in the benchmark's process, on a 2-worker runtime \
         of its own, seeded through its `Store` API; round trips (request sent to body read) \
         of a minimal reqwest client on another runtime, one at a time, {} timed after 10 \
         untimed, per scenario. Concurrency (5): a `recallr-stub serve` process with a data \
         file written for the run; {} requests created together and polled together \
         (`join_all`), each a connection of its own, each with a target of its own where it \
         changes something, so that every one should succeed whatever the order.",
        plan.scale_samples,
        group(plan.concurrent_requests as u64)
    );
    let _ = writeln!(
        out,
        "- Codegen (6): wall time of the built `xtask codegen --check`, median of {} run(s).\n",
        plan.codegen_reps
    );
}

fn throughput(out: &mut String, results: &Results) {
    let t = &results.throughput;
    let _ = writeln!(
        out,
        "## 1. Streaming throughput\n\n{} sessions of one user, page size {}.\n",
        group(t.sessions),
        results.plan.page_size
    );
    let _ = writeln!(
        out,
        "| Side | Median walk | Items/s | Requests | Time vs recallr-ext | Client CPU | Stub CPU |\n|---|---|---|---|---|---|---|"
    );
    let sides: [(&str, &Timings); 3] = [
        ("`recallr-ext` item stream (sequential)", &t.ext),
        (
            "hand-written `reqwest` + `serde_json` loop (minimal struct)",
            &t.raw,
        ),
        ("Python SDK `recallrai`, `list_sessions` loop", &t.python),
    ];
    for (label, timings) in sides {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {} | {:.2}× | {} | {} |",
            duration(timings.median()),
            group(timings.items_per_second().round() as u64),
            group(timings.requests),
            stats::ratio(timings.median(), t.ext.median()),
            duration(timings.median_cpu()),
            duration(timings.median_server_cpu()),
        );
    }
    let _ = writeln!(
        out,
        "\nThe loop pages with `offset += 100`, as a user would; the pager overlaps \
         consecutive pages by two sessions (to stay correct while the list changes and \
         whatever order the server gives equal timestamps), so it sends about 2% more \
         requests, and that cost is inside the ratio. The minimal \
         struct keeps ids, statuses and timestamps as strings and metadata as a \
         `serde_json::Value`; `recallr-ext` parses UUIDs, timestamps and statuses and \
         keeps unknown fields. Client CPU is the client process's user + system time \
         during the walk (`getrusage`, or Python's `time.process_time()`); stub CPU is the \
         stub process's over the same walk (`/proc/PID/stat`, 10 ms ticks). Both are \
         medians, and show how much of the wall time is the client's own. Where a page's \
         client time goes, in instructions counted by callgrind, is in the hand-kept part.\n"
    );
}

fn latency(out: &mut String, results: &Results) {
    let lat = &results.latency;
    let sequential = lat.sequential().map(|level| level.timings.median());
    let _ = writeln!(
        out,
        "## 2. Latency hiding\n\n{} sessions, {} ms injected by the stub on every request, \
         `recallr-ext` item stream at page size {}.\n",
        group(lat.sessions),
        lat.injected.as_millis(),
        results.plan.page_size
    );
    let _ = writeln!(
        out,
        "| Concurrency | Median walk | Pages | Speed-up vs sequential | Ideal | vs ideal |\n|---|---|---|---|---|---|"
    );
    for level in &lat.levels {
        let median = level.timings.median();
        let speedup = sequential.map_or(0.0, |seq| stats::ratio(seq, median));
        let ideal = lat.ideal(level);
        let _ = writeln!(
            out,
            "| {} | {} | {} | {speedup:.2}× | {} | {:.2}× |",
            level.concurrency,
            duration(median),
            level.timings.requests,
            duration(ideal),
            stats::ratio(median, ideal)
        );
    }
    let _ = writeln!(
        out,
        "\nThe ideal at concurrency k is {IDEAL}: the first page is fetched alone (its `total` \
         plans the rest), then the other pages − 1 come k at a time, each round one injected \
         latency, with no time for anything else. Pages are the sequential walk's (the pages \
         the walk must receive; fetches thrown away are not counted). So concurrency 1's \
         \"vs ideal\" is the cost of everything but the injected latency.\n"
    );
}

fn memory(out: &mut String, results: &Results) {
    let _ = writeln!(
        out,
        "## 3. Memory\n\n`recallr sessions list --user user-0 --all --format ndjson > /dev/null`.\n"
    );
    let _ = writeln!(
        out,
        "| Sessions | Peak RSS | Wall time | Sessions/s |\n|---|---|---|---|"
    );
    for footprint in [&results.memory_small, &results.memory_large] {
        let _ = writeln!(
            out,
            "| {} | {:.1} MiB | {} | {} |",
            group(footprint.sessions),
            footprint.max_rss_mib(),
            duration(footprint.wall),
            group(stats::per_second(footprint.sessions, footprint.wall).round() as u64)
        );
    }
    let _ = writeln!(out);
}

fn decode(out: &mut String, results: &Results) {
    let d = &results.decode;
    let _ = writeln!(
        out,
        "## 4. Decode cost\n\nOne page of 100 sessions, median of criterion's samples.\n"
    );
    let _ = writeln!(
        out,
        "| Decoded into | Per page | Per session | vs `serde_json::Value` |\n|---|---|---|---|"
    );
    let rows = [
        ("generated `SessionList` (recallr-api)", d.generated),
        ("`serde_json::Value`", d.value),
        ("the baseline's minimal struct", d.minimal),
    ];
    for (label, time) in rows {
        let _ = writeln!(
            out,
            "| {label} | {} | {} | {:.2}× |",
            duration(time),
            duration(time / 100),
            stats::ratio(time, d.value)
        );
    }
    let _ = writeln!(out);
}

fn scale(out: &mut String, results: &Results) {
    let s = &results.scale;
    let _ = writeln!(
        out,
        "## 5. Stub scale\n\n{} records of each listed kind (sessions of one user, messages of \
         one session, memories of one user, merge conflicts of one user, users), seeded in {}; \
         pages of 100.\n",
        group(s.records),
        duration(s.seeding)
    );
    let _ = writeln!(
        out,
        "| List | Request | First request | p50 | p99 | Samples |\n|---|---|---|---|---|---|"
    );
    for scenario in &s.scenarios {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} | {} |",
            scenario.list,
            escape(&scenario.label),
            duration(scenario.first),
            duration(scenario.p50),
            duration(scenario.p99),
            scenario.samples
        );
    }
    let _ = writeln!(
        out,
        "\nThe first request of each list after a change sorts the list once (the stub keeps \
         the order until the next change); later pages are slices of it. A filter other than \
         the sessions' status tests every record, to count `total`.\n"
    );
    let c = &results.concurrency;
    let _ = writeln!(
        out,
        "{} requests at once, spread over all {} routes: **{} error(s)**; all answered in {} \
         (round trip p50 {}, p99 {}).\n",
        group(c.requests),
        c.routes,
        group(c.errors),
        duration(c.elapsed),
        duration(c.p50),
        duration(c.p99)
    );
    if !c.failures.is_empty() {
        let _ = writeln!(out, "| Operation | Errors | First error |\n|---|---|---|");
        for failure in &c.failures {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} |",
                failure.operation,
                group(failure.count),
                escape(&failure.example)
            );
        }
        let _ = writeln!(out);
    }
}

fn codegen(out: &mut String, results: &Results) {
    let c = &results.codegen;
    let _ = writeln!(
        out,
        "## 6. Codegen\n\n`xtask codegen --check` (release build): median {} over {} run(s){}.",
        duration(c.median),
        c.runs,
        match &c.failure {
            None => String::new(),
            Some(failure) => format!("; **the check failed**: {}", escape(failure)),
        }
    );
}

/// A duration in a unit that suits it.
pub fn duration(d: Duration) -> String {
    let seconds = d.as_secs_f64();
    if seconds >= 1.0 {
        format!("{seconds:.2} s")
    } else if seconds >= 1e-3 {
        format!("{:.1} ms", seconds * 1e3)
    } else if seconds >= 1e-6 {
        format!("{:.1} µs", seconds * 1e6)
    } else {
        format!("{} ns", d.as_nanos())
    }
}

/// An integer with thousands separators: `1,000,000`.
pub fn group(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

fn optional(value: Option<f64>) -> String {
    value.map_or_else(|| "unknown".to_string(), |value| format!("{value:.2}"))
}

/// Keeps a table cell in its cell.
fn escape(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_formatted_for_people() {
        assert_eq!(group(0), "0");
        assert_eq!(group(999), "999");
        assert_eq!(group(1_000), "1,000");
        assert_eq!(group(1_234_567), "1,234,567");
        assert_eq!(duration(Duration::from_millis(1500)), "1.50 s");
        assert_eq!(duration(Duration::from_micros(2500)), "2.5 ms");
        assert_eq!(duration(Duration::from_nanos(41_200)), "41.2 µs");
        assert_eq!(duration(Duration::from_nanos(650)), "650 ns");
        assert_eq!(escape("a|b\nc"), "a\\|b c");
    }

    #[test]
    fn round_ratios_pair_the_rounds() {
        let ms = |values: &[u64]| -> Vec<Duration> {
            values.iter().copied().map(Duration::from_millis).collect()
        };
        assert_eq!(round_range(&ms(&[]), &ms(&[])), None);
        let (low, high) =
            round_range(&ms(&[110, 90, 100]), &ms(&[100, 100, 100])).expect("three rounds");
        assert!(
            (low - 0.9).abs() < 1e-9 && (high - 1.1).abs() < 1e-9,
            "{low} {high}"
        );
    }

    #[test]
    fn both_plans_measure_the_concurrencies_the_goals_name() {
        for plan in [Plan::full(), Plan::quick()] {
            for k in [1, GOAL_CONCURRENCY, WIDE_CONCURRENCY] {
                assert!(
                    plan.concurrencies.contains(&k),
                    "concurrency {k} is not measured"
                );
            }
        }
    }
}
