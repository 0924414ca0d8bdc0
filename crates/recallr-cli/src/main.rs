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

use crate::args::{Cli, Command, SessionsCommand, Shell};
use crate::exit::Failure;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return parse_failure(&error),
    };
    match cli.command {
        Command::Completions { shell } => {
            let shell = match shell {
                Shell::Bash => clap_complete::Shell::Bash,
                Shell::Zsh => clap_complete::Shell::Zsh,
                Shell::Fish => clap_complete::Shell::Fish,
            };
            // Into a buffer first: `generate` panics on a write error.
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "recallr", &mut script);
            let mut stdout = std::io::stdout().lock();
            match stdout.write_all(&script).and_then(|()| stdout.flush()) {
                Ok(()) => ExitCode::SUCCESS,
                Err(error) if error.kind() == std::io::ErrorKind::BrokenPipe => ExitCode::SUCCESS,
                Err(error) => {
                    Failure::other(format!("cannot write the completion script: {error}")).report()
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
