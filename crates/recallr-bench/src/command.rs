//! `recallr-bench run`'s command line (Linux only; see `main.rs`).

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use recallr_bench::BenchError;
use recallr_bench::plan::Plan;
use recallr_bench::python_sdk::{self, PythonSdk};
use recallr_bench::runner::{self, Options};
use recallr_bench::{ext_client, raw_client, report};

/// Benchmarks of recallr-rs against a hand-written reqwest loop and the
/// vendor's Python SDK, on stubs on loopback.
#[derive(Debug, Parser)]
#[command(name = "recallr-bench", version, about, long_about = None)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run every benchmark and write the report.
    Run(RunArgs),
    /// Walk one user's sessions against a running stub, for a profiler
    /// (e.g. `valgrind --tool=callgrind`, which counts instructions).
    Walk(WalkArgs),
}

#[derive(Debug, Args)]
struct WalkArgs {
    /// The stub's base URL, e.g. http://127.0.0.1:8000.
    #[arg(long, value_name = "URL")]
    base_url: String,

    /// Which client walks.
    #[arg(long, value_enum, default_value_t = WalkSide::Ext)]
    side: WalkSide,

    /// Walks in a row.
    #[arg(long, value_name = "N", default_value_t = 1)]
    walks: u32,

    /// Sessions per request.
    #[arg(long, value_name = "N", default_value_t = 100)]
    page_size: u64,
}

#[derive(Debug, Clone, Copy, clap::ValueEnum)]
enum WalkSide {
    /// `recallr-ext`'s item stream.
    Ext,
    /// The hand-written reqwest loop.
    Raw,
}

#[derive(Debug, Args)]
struct RunArgs {
    /// Tiny sizes and one repetition: a smoke test that everything runs.
    #[arg(long)]
    quick: bool,

    /// The report to write [default: BENCHMARKS.md, or
    /// target/BENCHMARKS.quick.md with --quick].
    #[arg(long, value_name = "PATH")]
    out: Option<PathBuf>,

    /// Timed repetitions of each comparison [default: 9, or 1 with --quick].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=100))]
    reps: Option<u16>,

    /// Where the release builds of recallr-stub, recallr and xtask are
    /// [default: this program's directory].
    #[arg(long, value_name = "DIR")]
    bin_dir: Option<PathBuf>,

    /// A Python with recallrai==0.6.6 installed.
    #[arg(long, value_name = "PATH", default_value = "python3")]
    python: PathBuf,

    /// The Python side's script [default: this crate's python/list_sessions.py].
    #[arg(long, value_name = "PATH")]
    python_script: Option<PathBuf>,

    /// Criterion's output directory, with the decode bench's results
    /// [default: criterion/ beside the --bin-dir's parent, i.e. target/criterion].
    #[arg(long, value_name = "DIR")]
    criterion_dir: Option<PathBuf>,
}

/// Parses the command line and runs it.
pub fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error)
            if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand =>
        {
            eprintln!("error: a subcommand is required: recallr-bench run [--quick] (see --help)");
            return ExitCode::from(2);
        }
        Err(error) if !error.use_stderr() => {
            // --help and --version.
            let _ = error.print();
            return ExitCode::SUCCESS;
        }
        Err(error) => {
            let rendered = error.render().to_string();
            let first = rendered.lines().next().unwrap_or("invalid arguments");
            let message = first.strip_prefix("error: ").unwrap_or(first);
            eprintln!("error: {message} (see recallr-bench run --help)");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Run(args) => options(args).and_then(|options| run(&options)),
        Command::Walk(args) => walk(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error: {error}");
            ExitCode::FAILURE
        }
    }
}

fn options(args: RunArgs) -> Result<Options, BenchError> {
    let mut plan = if args.quick {
        Plan::quick()
    } else {
        Plan::full()
    };
    if let Some(reps) = args.reps {
        plan = plan.with_reps(usize::from(reps));
    }
    let bin_dir = match args.bin_dir {
        Some(dir) => dir,
        None => std::env::current_exe()
            .ok()
            .and_then(|exe| exe.parent().map(PathBuf::from))
            .ok_or_else(|| {
                BenchError::Usage("cannot tell where this program is: pass --bin-dir".into())
            })?,
    };
    let criterion_dir = match args.criterion_dir {
        Some(dir) => dir,
        None => bin_dir
            .parent()
            .map(|target| target.join("criterion"))
            .ok_or_else(|| BenchError::Usage("pass --criterion-dir".into()))?,
    };
    let python = python_sdk_program(&args.python)?;
    let out = args.out.unwrap_or_else(|| {
        PathBuf::from(if args.quick {
            "target/BENCHMARKS.quick.md"
        } else {
            "BENCHMARKS.md"
        })
    });
    Ok(Options {
        plan,
        out,
        bin_dir,
        python: PythonSdk {
            python,
            script: args
                .python_script
                .unwrap_or_else(python_sdk::default_script),
        },
        criterion_dir,
    })
}

fn python_sdk_program(python: &std::path::Path) -> Result<PathBuf, BenchError> {
    recallr_bench::process::resolve_program(python).ok_or_else(|| BenchError::Missing {
        name: "Python".into(),
        path: python.to_path_buf(),
        hint:
            "no such program on PATH; pass --python with a venv's python that has recallrai==0.6.6"
                .into(),
    })
}

fn walk(args: &WalkArgs) -> Result<(), BenchError> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| BenchError::measure("the tokio runtime", err))?;
    let user = recallr_bench::USER;
    for _ in 0..args.walks {
        let walk = match args.side {
            WalkSide::Ext => {
                let client = ext_client::client(&args.base_url)?;
                runtime.block_on(ext_client::walk(&client, user, args.page_size, 1))?
            }
            WalkSide::Raw => {
                let client = raw_client::client()?;
                runtime.block_on(raw_client::walk(
                    &client,
                    &args.base_url,
                    user,
                    args.page_size,
                ))?
            }
        };
        eprintln!(
            "{} sessions, {} requests, {}",
            walk.items,
            walk.requests,
            report::duration(walk.elapsed)
        );
    }
    Ok(())
}

fn run(options: &Options) -> Result<(), BenchError> {
    let results = runner::run(options)?;
    let goals = report::goals(&results);
    let met = goals.iter().filter(|goal| goal.met).count();
    eprintln!(
        "wrote {} ({met} of {} goals met, measurements took {})",
        options.out.display(),
        goals.len(),
        report::duration(results.elapsed)
    );
    for goal in goals.iter().filter(|goal| !goal.met) {
        eprintln!("  not met: {} {} ({})", goal.id, goal.text, goal.measured);
    }
    Ok(())
}
