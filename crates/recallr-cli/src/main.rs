//! `recallr`: the RecallrAI API from a terminal or a script.
//!
//! Every request goes through `recallr-ext`; this binary only builds the
//! command line from the generated table, reads arguments, renders output
//! and maps errors to exit codes.

#[rustfmt::skip]
mod commands;
mod exit;
mod input;
mod invocation;
mod render;
mod run;
mod table;
mod tree;

use std::io::Write;
use std::process::ExitCode;

use crate::exit::Failure;

fn main() -> ExitCode {
    let matches = match tree::command().try_get_matches() {
        Ok(matches) => matches,
        Err(error) => return parse_failure(&error),
    };
    let verbose = matches.get_count("verbose");
    if let Err(failure) = init_logging(verbose) {
        return failure.report();
    }
    // The leaf: `users create`, `system-prompt`, `completions`, ...
    let mut path: Vec<&str> = Vec::new();
    let mut leaf = &matches;
    while let Some((name, sub)) = leaf.subcommand() {
        path.push(name);
        leaf = sub;
    }
    match path.as_slice() {
        ["completions"] => {
            let Some(shell) = leaf.get_one::<clap_complete::Shell>("shell") else {
                return Failure::usage("a shell is required (see --help)").report();
            };
            // Into a buffer first: `generate` panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(*shell, &mut tree::command(), "recallr", &mut script);
            write_stdout(&script, "the completion script")
        }
        ["man"] => match man_page() {
            Ok(page) => write_stdout(&page, "the man page"),
            Err(error) => Failure::other(format!("cannot render the man page: {error}")).report(),
        },
        _ => {
            let Some(operation) = commands::OPERATIONS
                .iter()
                .find(|operation| operation.command == path.as_slice())
            else {
                return Failure::usage("a subcommand is required (see --help)").report();
            };
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
            match runtime.block_on(run::run(operation, leaf)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(failure) => failure.report(),
            }
        }
    }
}

/// The man page: `recallr` itself, then a section per command with its
/// options, so that every command is covered.
fn man_page() -> std::io::Result<Vec<u8>> {
    let root = tree::command();
    let mut page = Vec::new();
    clap_mangen::Man::new(root.clone()).render(&mut page)?;
    let mut stack: Vec<(String, clap::Command)> = root
        .get_subcommands()
        .map(|sub| (format!("recallr {}", sub.get_name()), sub.clone()))
        .collect();
    stack.reverse();
    while let Some((name, command)) = stack.pop() {
        let children: Vec<(String, clap::Command)> = command
            .get_subcommands()
            .map(|sub| (format!("{name} {}", sub.get_name()), sub.clone()))
            .collect();
        if children.is_empty() {
            writeln!(page, ".SH \"{}\"", name.to_uppercase())?;
            let man = clap_mangen::Man::new(command.clone().name(name.clone()));
            man.render_synopsis_section(&mut page)?;
            man.render_description_section(&mut page)?;
            man.render_options_section(&mut page)?;
        }
        stack.extend(children.into_iter().rev());
    }
    Ok(page)
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
