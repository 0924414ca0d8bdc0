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
use xtask::paths::Workspace;
use xtask::spec_diff::{self, Class, report};
use xtask::spec_update::semver::{self, Judge, Level};
use xtask::spec_update::{self, Options, release, summary};

#[derive(Debug, Parser)]
#[command(name = "cargo xtask", about = "Tooling for the recallr-rs workspace")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Derive openapi/recallr.json from the upstream document, the overlay
    /// and the kept operations, and regenerate crates/recallr-api from it.
    Codegen {
        /// Only compare the committed spec and code with a fresh derivation;
        /// exit 1 and print a diff when they differ.
        #[arg(long)]
        check: bool,
        /// The workspace whose openapi/ and crates/recallr-api to use
        /// [default: the one `cargo xtask` runs in, or that holds the current
        /// directory].
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Generate from this OpenAPI 3.0 file instead of deriving the spec
        /// (for trying a spec by hand; needs --out).
        #[arg(long, value_name = "PATH", requires = "out")]
        spec: Option<PathBuf>,
        /// With --spec: the generated file to write or check.
        #[arg(long, value_name = "PATH", requires = "spec")]
        out: Option<PathBuf>,
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
    /// Import the vendor's OpenAPI document (3.0 or 3.1) as
    /// openapi/upstream.json, derive the effective spec through the overlay,
    /// print what changed for a client, then write the upstream document, its
    /// provenance, the spec and the regenerated client, all or nothing.
    Update {
        /// The upstream document: a file path or an http(s) URL.
        #[arg(long, value_name = "PATH_OR_URL")]
        from: String,
        /// The operations to keep (comma-separated): the document's
        /// operationIds, `METHOD /path`, or `all`; by default those the
        /// effective spec has now (matched by method and path).
        #[arg(long, value_name = "OP,...", value_delimiter = ',')]
        keep: Option<Vec<String>>,
        /// Print the report and write nothing.
        #[arg(long)]
        dry_run: bool,
        /// Seconds a download may take.
        #[arg(long, value_name = "SECONDS", default_value_t = 30)]
        timeout: u64,
        /// The workspace to update [default: the one `cargo xtask` runs in,
        /// or that holds the current directory].
        #[arg(long, value_name = "DIR")]
        root: Option<PathBuf>,
        /// Judge the Rust API change from the spec diff and the generated
        /// item names alone, without cargo-semver-checks (fast; builds
        /// nothing).
        #[arg(long)]
        no_semver_checks: bool,
        /// Also write the pull request for the update into DIR: `title`,
        /// `label` and `body.md` (the report), for the spec-sync workflow.
        #[arg(long, value_name = "DIR")]
        pr_summary: Option<PathBuf>,
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
        Command::Codegen {
            check,
            root,
            spec,
            out,
        } => match (spec, out) {
            (Some(spec), Some(out)) => codegen_from(check, &spec, &out),
            _ => match workspace(root) {
                Ok(workspace) => codegen(check, &workspace),
                Err(code) => code,
            },
        },
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
                    root,
                    no_semver_checks,
                    pr_summary,
                },
        } => {
            let options = Options {
                from,
                keep,
                timeout: Duration::from_secs(timeout),
            };
            let judge = if no_semver_checks {
                Judge::SpecDiff
            } else {
                Judge::Auto
            };
            let run = UpdateRun {
                dry_run,
                judge,
                pr_summary,
            };
            match workspace(root) {
                Ok(workspace) => spec_update(&options, &workspace, &run),
                Err(code) => code,
            }
        }
    };
    stdout::finish(code)
}

/// `--root`, or the workspace found at run time (never the one xtask was
/// built in: checkouts sharing a target directory share the binary).
fn workspace(root: Option<PathBuf>) -> Result<Workspace, ExitCode> {
    match root {
        Some(root) => Ok(Workspace::at(root)),
        None => paths::find_workspace_root()
            .map(Workspace::at)
            .map_err(|err| {
                eprintln!("error: {err}");
                ExitCode::from(TROUBLE)
            }),
    }
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

/// How `spec update` runs, beyond what it imports.
struct UpdateRun {
    dry_run: bool,
    judge: Judge,
    pr_summary: Option<PathBuf>,
}

/// The report, printed as it grows and kept for the pull request body.
#[derive(Default)]
struct Report(String);

impl Report {
    fn line(&mut self, text: impl std::fmt::Display) {
        let text = format!("{text}\n");
        print!("{text}");
        self.0.push_str(&text);
    }

    fn text(&mut self, text: &str) {
        print!("{text}");
        self.0.push_str(text);
    }
}

fn spec_update(options: &Options, workspace: &Workspace, run: &UpdateRun) -> ExitCode {
    // Held from the first read to the last write: another writer waits.
    let _lock = if run.dry_run {
        None
    } else {
        match lock(workspace) {
            Ok(lock) => Some(lock),
            Err(code) => return code,
        }
    };
    if !run.dry_run
        && let Err(code) = repair(workspace)
    {
        return code;
    }
    let trouble = |err: &xtask::XtaskError| {
        eprintln!("error: {err}");
        // After the commit point the error itself says what was written.
        if !matches!(err, xtask::XtaskError::PartlyWritten { .. }) {
            eprintln!("nothing was changed");
        }
        ExitCode::from(TROUBLE)
    };
    let plan = match spec_update::plan(options, workspace) {
        Ok(plan) => plan,
        Err(err) => {
            eprintln!("error: {err}");
            return ExitCode::from(TROUBLE);
        }
    };
    let mut report = Report::default();
    let kept: Vec<String> = plan.operations.iter().map(ToString::to_string).collect();
    report.line(format_args!("{} (kept: {}):", plan.source, kept.join(", ")));
    let mut level = Level::None;
    let mut bumps = Vec::new();
    if plan.unchanged {
        report.line(
            "no change: the upstream document, the kept operations, the spec and the client are as committed; nothing written",
        );
    } else {
        report.text(&report::text(&plan.changes));
        report.text(&plan.describe_text_changes());
        for warning in &plan.warnings {
            report.line(format_args!(
                "warning: {}: {}",
                plan.source.escape_debug(),
                warning
            ));
        }
        for (id, route) in xtask::codegen::ext_surface::undeclared_paged_lists(&plan.spec.document)
        {
            report.line(format_args!(
                "info: `{id}` ({route}) is paged by its shape but has no `{}` in openapi/overlay.yaml: its pager gets the unordered rule; declare its order there to upgrade it",
                xtask::codegen::ext_surface::PAGINATION
            ));
        }
        if run.judge == Judge::Auto
            && plan.previous_generated.as_deref() != Some(&plan.generated_text)
        {
            eprintln!(
                "judging the Rust API change with cargo-semver-checks (about a minute per crate)..."
            );
        }
        let judgement = match semver::judge(&plan, workspace, &run.judge) {
            Ok(judgement) => judgement,
            Err(err) => return trouble(&err),
        };
        report.text(&judgement.describe());
        level = judgement.level();
        let date = chrono::Utc::now().format("%Y-%m-%d").to_string();
        let release =
            match release::prepare(workspace, &judgement, &plan.changes, &plan.source, &date) {
                Ok(release) => release,
                Err(err) => return trouble(&err),
            };
        let extra = match &release {
            None => {
                report.line(format_args!(
                    "{} is not a Cargo workspace: no version bumped, no changelog entry",
                    workspace.root.display()
                ));
                Vec::new()
            }
            Some(release) => {
                for bump in &release.bumps {
                    report.line(format_args!(
                        "bump {} {} -> {}",
                        bump.name, bump.from, bump.to
                    ));
                }
                bumps = release.bumps.clone();
                release.files.clone()
            }
        };
        if run.dry_run {
            report.line("dry run: nothing written");
        } else {
            match spec_update::apply(&plan, workspace, &extra) {
                Ok(written) => {
                    for file in written {
                        report.line(format_args!("wrote {}", file.display()));
                    }
                }
                Err(err) => return trouble(&err),
            }
        }
    }
    // The report's last line, always exactly one.
    report.line(format_args!("semver: {level}"));
    if let Some(dir) = &run.pr_summary {
        let summary = summary::pr_summary(level, &bumps, &report.0);
        if let Err(err) = summary.write(dir) {
            eprintln!("error: {err}");
            return ExitCode::from(TROUBLE);
        }
    }
    ExitCode::SUCCESS
}

/// The workspace's write lock, saying so when another run holds it.
fn lock(workspace: &Workspace) -> Result<xtask::transaction::Lock, ExitCode> {
    xtask::transaction::Lock::acquire(&workspace.openapi_dir(), |path| {
        eprintln!(
            "waiting for another cargo xtask run on this workspace to finish (it holds {})",
            path.display()
        );
    })
    .map_err(|err| fail(&err))
}

/// Finishes or discards what an interrupted run left, saying so.
fn repair(workspace: &Workspace) -> Result<(), ExitCode> {
    match xtask::derive::recover(workspace) {
        Ok(recovery) => {
            if let Some(message) = recovery.message() {
                eprintln!("{message}");
            }
            Ok(())
        }
        Err(err) => Err(fail(&err)),
    }
}

fn codegen(check: bool, workspace: &Workspace) -> ExitCode {
    if check {
        return match xtask::derive::check_workspace(workspace) {
            Ok(Freshness::Stale { diff, stale }) => {
                print!("{diff}");
                eprintln!("error: {}", xtask::derive::stale_message(workspace, &stale));
                ExitCode::FAILURE
            }
            Ok(Freshness::Fresh) => {
                println!(
                    "{} are up to date with the spec layers",
                    name_all(&workspace.derived_files())
                );
                ExitCode::SUCCESS
            }
            Err(err) => fail(&err),
        };
    }
    let _lock = match lock(workspace) {
        Ok(lock) => lock,
        Err(code) => return code,
    };
    match xtask::derive::write_workspace(workspace) {
        Ok((recovery, written, warnings)) => {
            if let Some(message) = recovery.message() {
                eprintln!("{message}");
            }
            for warning in warnings {
                eprintln!("warning: {}: {}", workspace.upstream().display(), warning);
            }
            match written {
                Written::Unchanged => println!(
                    "{} are already up to date",
                    name_all(&workspace.derived_files())
                ),
                Written::Updated => {
                    println!("wrote {}", name_all(&workspace.derived_files()));
                }
            }
            ExitCode::SUCCESS
        }
        Err(err) => fail(&err),
    }
}

/// `a, b and c`: every file a workspace `codegen` wrote or checked, named.
fn name_all(files: &[std::path::PathBuf]) -> String {
    let names: Vec<String> = files
        .iter()
        .map(|file| file.display().to_string())
        .collect();
    match names.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn codegen_from(check: bool, spec: &Path, out: &Path) -> ExitCode {
    if check {
        return report_freshness(xtask::check(spec, out), spec, out);
    }
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

fn report_freshness(
    freshness: Result<Freshness, xtask::XtaskError>,
    spec: &Path,
    out: &Path,
) -> ExitCode {
    match freshness {
        Ok(Freshness::Fresh) => {
            println!("{} is up to date with {}", out.display(), spec.display());
            ExitCode::SUCCESS
        }
        Ok(Freshness::Stale { diff, .. }) => {
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
