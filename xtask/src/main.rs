//! `cargo xtask`: the workspace's own tooling.

// Every `print!`/`println!` below goes through `stdout`, which ends quietly
// when the reader goes away (`spec diff ... | head -1`) where the standard
// macros would panic. Shadowing them keeps each command's code as it reads.
macro_rules! print {
    ($($arg:tt)*) => {
        $crate::stdout::print(std::format_args!($($arg)*))
    };
}

macro_rules! println {
    () => {
        $crate::stdout::print(std::format_args!("\n"))
    };
    ($($arg:tt)*) => {
        $crate::stdout::print(std::format_args!("{}\n", std::format_args!($($arg)*)))
    };
}

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand, ValueEnum};
use xtask::codegen::{Freshness, Written};
use xtask::paths;
use xtask::spec_diff::{self, Class, report};
use xtask::spec_update::{self, Options, Targets};

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
    /// Compare OpenAPI documents and import the vendor's.
    Spec {
        #[command(subcommand)]
        command: SpecCommand,
    },
}

#[derive(Debug, Subcommand)]
enum SpecCommand {
    /// Classify every change between two OpenAPI 3.0 documents as breaking,
    /// warning or info. Exits 0, or 1 when --fail-on is met, or 2 when an
    /// input cannot be read.
    Diff {
        /// The document before the change.
        old: PathBuf,
        /// The document after the change.
        new: PathBuf,
        /// How to print the changes.
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Exit 1 when a change of this class (or worse) is found.
        #[arg(long, value_enum, value_name = "CLASS")]
        fail_on: Option<FailOn>,
    },
    /// Import the vendor's OpenAPI document (3.0 or 3.1): keep the supported
    /// operations, convert to 3.0.3, print what changed, then write the spec,
    /// its provenance and the regenerated client, all or nothing.
    Update {
        /// The upstream document: a file path or an http(s) URL.
        #[arg(long, value_name = "PATH_OR_URL")]
        from: String,
        /// The operationIds to keep (comma-separated); by default those the
        /// current spec has.
        #[arg(long, value_name = "ID,...", value_delimiter = ',')]
        keep: Option<Vec<String>>,
        /// Print the report and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds a download may take.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
        /// The spec to diff against and replace.
        #[arg(long, value_name = "PATH", default_value_os_t = paths::spec())]
        spec: PathBuf,
        /// The provenance record to write.
        #[arg(long, value_name = "PATH", default_value_os_t = paths::provenance())]
        provenance: PathBuf,
        /// The generated client to rewrite.
        #[arg(long, value_name = "PATH", default_value_os_t = paths::generated())]
        out: PathBuf,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
enum FailOn {
    Breaking,
    Warning,
}

/// `spec` commands exit 2 on bad input, as diff(1) does; 1 means "found".
/// Any command exits 2 when its output cannot be written (a closed pipe
/// aside, which ends the output quietly).
const TROUBLE: u8 = 2;

fn main() -> ExitCode {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::Codegen { check, spec, out } => codegen(check, &spec, &out),
        Command::Spec {
            command:
                SpecCommand::Diff {
                    old,
                    new,
                    format,
                    fail_on,
                },
        } => spec_diff(&old, &new, format, fail_on),
        Command::Spec {
            command:
                SpecCommand::Update {
                    from,
                    keep,
                    dry_run,
                    timeout,
                    spec,
                    provenance,
                    out,
                },
        } => {
            let options = Options {
                from,
                keep,
                timeout: Duration::from_secs(timeout),
            };
            let targets = Targets {
                spec,
                provenance,
                generated: out,
            };
            spec_update(&options, &targets, dry_run)
        }
    };
    stdout::finish(code)
}

fn spec_diff(old: &Path, new: &Path, format: Format, fail_on: Option<FailOn>) -> ExitCode {
    let changes = match spec_diff::diff_files(old, new) {
        Ok(changes) => changes,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(TROUBLE);
        }
    };
    match format {
        Format::Text => print!("{}", report::text(&changes)),
        Format::Json => print!("{}", report::json(&changes)),
    }
    let threshold = fail_on.map(|fail_on| match fail_on {
        FailOn::Breaking => Class::Breaking,
        FailOn::Warning => Class::Warning,
    });
    match (threshold, spec_diff::worst(&changes)) {
        (Some(threshold), Some(worst)) if worst >= threshold => ExitCode::FAILURE,
        _ => ExitCode::SUCCESS,
    }
}

fn spec_update(options: &Options, targets: &Targets, dry_run: bool) -> ExitCode {
    let plan = match spec_update::plan(options, targets) {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(TROUBLE);
        }
    };
    println!(
        "{} (kept: {}) against {}:",
        options.from,
        plan.operations.join(", "),
        targets.spec.display()
    );
    print!("{}", report::text(&plan.changes));
    if dry_run {
        println!("dry run: nothing written");
        return ExitCode::SUCCESS;
    }
    if let Err(err) = spec_update::apply(&plan, targets) {
        eprintln!("error: {err}");
        eprintln!("nothing was changed");
        return ExitCode::from(TROUBLE);
    }
    for file in [&targets.spec, &targets.provenance, &targets.generated] {
        println!("wrote {}", file.display());
    }
    ExitCode::SUCCESS
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

/// Standard output that a closed pipe ends quietly.
mod stdout {
    use std::fmt;
    use std::io::{self, Write};
    use std::process::ExitCode;
    use std::sync::OnceLock;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// The reader went away: what is left to print is dropped.
    static CLOSED: AtomicBool = AtomicBool::new(false);
    /// The first write that failed for another reason.
    static FAILED: OnceLock<io::Error> = OnceLock::new();

    /// Writes `args` to standard output. After a broken pipe (the reader,
    /// say `head`, has read enough) nothing more is written and the command
    /// carries on, so what it does never depends on how much was read.
    pub fn print(args: fmt::Arguments<'_>) {
        if CLOSED.load(Ordering::Relaxed) || FAILED.get().is_some() {
            return;
        }
        let mut out = io::stdout().lock();
        if let Err(err) = out.write_fmt(args).and_then(|()| out.flush()) {
            if err.kind() == io::ErrorKind::BrokenPipe {
                CLOSED.store(true, Ordering::Relaxed);
            } else {
                // Only the first failure is kept; later ones say the same.
                let _ = FAILED.set(err);
            }
        }
    }

    /// `code`, unless output failed other than by a closed pipe: then that
    /// error, and the exit code for trouble.
    pub fn finish(code: ExitCode) -> ExitCode {
        match FAILED.get() {
            None => code,
            Some(err) => {
                eprintln!("error: cannot write to standard output: {err}");
                ExitCode::from(super::TROUBLE)
            }
        }
    }
}
