//! `cargo xtask`: the workspace's own tooling.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use xtask::codegen::{Freshness, Written};
use xtask::paths;

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Tooling for the recallr-rs workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Regenerate crates/recallr-api from the OpenAPI spec.
    Codegen {
        /// Only compare the committed code with a fresh generation; exit 1
        /// and print a diff when they differ.
        #[arg(long)]
        check: bool,
        /// The spec to generate from.
        #[arg(long, value_name = "PATH", default_value_os_t = paths::spec())]
        spec: PathBuf,
        /// The generated file to write or check.
        #[arg(long, value_name = "PATH", default_value_os_t = paths::generated())]
        out: PathBuf,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Codegen { check, spec, out } => codegen(check, &spec, &out),
    }
}

fn codegen(check: bool, spec: &std::path::Path, out: &std::path::Path) -> ExitCode {
    if check {
        match xtask::check(spec, out) {
            Ok(Freshness::Fresh) => {
                println!("{} is up to date with {}", out.display(), spec.display());
                ExitCode::SUCCESS
            }
            Ok(Freshness::Stale { diff }) => {
                print!("{diff}");
                eprintln!(
                    "error: {} is stale relative to {}",
                    out.display(),
                    spec.display()
                );
                eprintln!("run `cargo xtask codegen` to update");
                ExitCode::FAILURE
            }
            Err(err) => fail(&err),
        }
    } else {
        match xtask::write(spec, out) {
            Ok(Written::Unchanged) => {
                println!("{} is already up to date", out.display());
                ExitCode::SUCCESS
            }
            Ok(Written::Updated) => {
                println!("wrote {}", out.display());
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        }
    }
}

fn fail(err: &xtask::XtaskError) -> ExitCode {
    eprintln!("error: {err}");
    ExitCode::FAILURE
}
