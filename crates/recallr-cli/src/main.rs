//! `recallr`: list RecallrAI sessions from a terminal or a script.
//!
//! Every request goes through `recallr-ext`; this binary only parses
//! arguments, renders output and maps errors to exit codes.

mod args;
mod exit;
mod list;
mod render;

use std::io::Write;
use std::process::ExitCode;

use clap::{CommandFactory, Parser};

use crate::args::{Cli, Command, SessionsCommand};
use crate::exit::Failure;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(&error),
    };
    if let Err(failure) = init_logging(cli.verbose) {
        return failure.report();
    }
    match cli.command {
        Command::Completions { shell } => {
            // Into a buffer first: `generate` panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "recallr", &mut script);
            write_stdout(&script, "the completion script")
        }
        Command::Man => {
            let mut page = Vec::new();
            match clap_mangen::Man::new(Cli::command()).render(&mut page) {
                Ok(()) => write_stdout(&page, "the man page"),
                Err(error) => {
                    Failure::other(format!("cannot render the man page: {error}")).report()
                }
            }
        }
        Command::Sessions(SessionsCommand::List(args)) => {
            let runtime = match tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    return Failure::other(format!("cannot start the runtime: {error}")).report();
                }
            };
            match runtime.block_on(list::run(args)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => failure.report(),
            }
        }
    }
}

/// Writes `bytes` to stdout; a closed pipe is not a failure.
fn write_stdout(bytes: &[u8], what: &str) -> ExitCode {
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(bytes).and_then(|()| stdout.flush()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
        Err(error) => Failure::other(format!("cannot write {what}: {error}")).report(),
    }
}

/// Logs to stderr: `-v` shows retries and their reasons (warnings), `-vv`
/// every request, `-vvv` everything; `RECALLR_LOG` sets a filter instead.
/// Without either, nothing is logged. The key never appears in logs.
fn init_logging(verbose: u8) -> Result<(), Failure> {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::fmt::format::FmtSpan;
    let filter = match std::env::var("RECALLR_LOG") {
        Ok(filter) if !filter.trim().is_empty() => {
            Some(EnvFilter::try_new(filter).map_err(|error| {
                Failure::usage(format!("RECALLR_LOG is not a valid log filter: {error}"))
            })?)
        }
        _ => match verbose {
            0 => None,
            1 => Some(EnvFilter::new("recallr_ext=warn")),
            2 => Some(EnvFilter::new("recallr_ext=info")),
            _ => Some(EnvFilter::new("trace")),
        },
    };
    if let Some(filter) = filter {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(filter)
            .with_writer(std::io::stderr)
            .with_ansi(false)
            // From -vv, each request's span closes with its status and latency.
            .with_span_events(if verbose >= 2 {
                FmtSpan::CLOSE
            } else {
                FmtSpan::NONE
            })
            .try_init();
    }
    Ok(())
}

/// Help and version go to stdout as usual; every real parse error becomes
/// one `error:` line with exit code 2.
fn parse_failure(error: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    match error.kind() {
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
            let _ = error.print();
            ExitCode::SUCCESS
        }
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            Failure::usage("a subcommand is required (see --help)").report()
        }
        _ => {
            // clap's first paragraph names the problem (and the missing
            // arguments or possible values); the usage after it is noise.
            let rendered = error.render().to_string();
            let paragraph: Vec<&str> = rendered
                .lines()
                .take_while(|line| !line.trim().is_empty())
                .map(str::trim)
                .collect();
            let message = paragraph.join(" ");
            let message = message.strip_prefix("error: ").unwrap_or(&message);
            Failure::usage(format!("{message} (see --help)")).report()
        }
    }
}
