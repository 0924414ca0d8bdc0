//! What an update costs a Rust user: `none`, `additive` or `breaking`.
//!
//! `spec diff` judges the HTTP contract; a new response property is harmless
//! on the wire but could break a Rust user. So the judge of record is
//! cargo-semver-checks, run on the crates as the update would leave them
//! (a temporary copy of the workspace with the new files) against the
//! workspace as it is (the baseline), raised to the spec diff's judgement
//! where that is stricter (cargo-semver-checks does not compare field or
//! argument types). Where the tool is missing, or there is no Cargo
//! workspace to build, the judgement comes from the spec diff and the
//! generated item names alone, and says so.

use std::collections::BTreeSet;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::error::XtaskError;
use crate::paths::Workspace;
use crate::spec_diff::{self, Class};

use super::plan::Plan;

/// The cargo-semver-checks release this judge is written against.
pub const TOOL_VERSION: &str = "0.51";

/// Overrides where the cargo-semver-checks binary is found.
pub const TOOL_ENV: &str = "CARGO_SEMVER_CHECKS";

/// The crates cargo-semver-checks judges, in order.
pub const CHECKED: &[&str] = &["recallr-api", "recallr-ext"];

/// The publishable crates whose public API changes with the generated
/// client, and so are released with it: `recallr-ext` re-exports `types`
/// and `recallr-stub` re-exports `SessionInfo`, `SessionList` and
/// `SessionStatus`, so each takes at least `recallr-api`'s level.
pub const RELEASED: &[&str] = &["recallr-api", "recallr-ext", "recallr-stub"];

/// How much an update changes a crate's public API, by Cargo's semver rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Level {
    /// The public API is as it was.
    None,
    /// Only additions: existing code still compiles.
    Additive,
    /// Some existing code may stop compiling.
    Breaking,
}

impl Level {
    /// `none`, `additive` or `breaking`, as the report's last line says it.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "none",
            Level::Additive => "additive",
            Level::Breaking => "breaking",
        }
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One crate's level and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CrateLevel {
    /// The package name.
    pub name: String,
    /// Its level.
    pub level: Level,
    /// One line on how it was judged.
    pub reason: String,
}

/// The judgement of an update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Judgement {
    /// Every crate of [`RELEASED`], in that order.
    pub crates: Vec<CrateLevel>,
    /// `None` when cargo-semver-checks judged; otherwise why the judgement
    /// comes from the spec diff instead.
    pub fallback: Option<String>,
}

impl Judgement {
    /// The worst level of any crate: the report's `semver:` line.
    pub fn level(&self) -> Level {
        self.crates
            .iter()
            .map(|krate| krate.level)
            .max()
            .unwrap_or(Level::None)
    }

    /// The report's lines, without the final `semver:` line.
    pub fn describe(&self) -> String {
        let mut out = match &self.fallback {
            None => "judged by cargo-semver-checks against the crates as committed:\n".to_string(),
            Some(reason) => format!(
                "{reason}: judged from the spec diff and the generated item names instead (fallback)\n"
            ),
        };
        for krate in &self.crates {
            out.push_str(&format!(
                "  {:<13} {:<8} {}\n",
                krate.name, krate.level, krate.reason
            ));
        }
        out
    }
}

/// How to judge.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Judge {
    /// cargo-semver-checks if it is installed, else the fallback.
    Auto,
    /// The fallback only (`--no-semver-checks`): fast, builds nothing.
    SpecDiff,
}

/// Judges `plan` against `workspace` as it is now.
pub fn judge(plan: &Plan, workspace: &Workspace, how: &Judge) -> Result<Judgement, XtaskError> {
    let fallback_reason = match how {
        Judge::SpecDiff => Some("--no-semver-checks".to_string()),
        Judge::Auto => match find_tool() {
            Err(reason) => Some(reason),
            Ok(_) if !workspace.root.join("Cargo.toml").is_file() => Some(format!(
                "{} is not a Cargo workspace, so cargo-semver-checks has nothing to build",
                workspace.root.display()
            )),
            Ok(_) => None,
        },
    };
    if let Some(reason) = fallback_reason {
        return Ok(Judgement {
            crates: released(fallback(plan)?, "from the spec diff"),
            fallback: Some(reason),
        });
    }
    if plan.previous_generated.as_deref() == Some(plan.generated_text.as_str()) {
        // The same client: no crate's API can differ, and nothing to build.
        return Ok(Judgement {
            crates: released(Level::None, "the generated client is unchanged"),
            fallback: None,
        });
    }
    let tool = find_tool().map_err(|message| XtaskError::Judge { message })?;
    let copy = updated_copy(plan, workspace)?;
    let target = target_dir(workspace);
    // cargo-semver-checks has no lint for a changed field or argument type
    // (`Map` to `Value`, say), which the spec diff does see: the stricter
    // of the two judges.
    let from_spec = fallback(plan)?;
    let mut crates = released(Level::None, "");
    for name in CHECKED {
        let outcome = run_check(&tool, copy.path(), &workspace.root, &target, name)?;
        if let Some(slot) = crates.iter_mut().find(|krate| krate.name == *name) {
            slot.level = outcome.level(true);
            slot.reason = outcome.reason();
            if *name == "recallr-api" && from_spec > slot.level {
                slot.level = from_spec;
                slot.reason.push_str(&format!(
                    "; but {from_spec} by the spec diff, which sees changed types"
                ));
            }
        }
    }
    Ok(Judgement {
        crates: propagate(crates),
        fallback: None,
    })
}

/// Every released crate at `level`.
fn released(level: Level, reason: &str) -> Vec<CrateLevel> {
    RELEASED
        .iter()
        .map(|name| CrateLevel {
            name: (*name).to_string(),
            level,
            reason: reason.to_string(),
        })
        .collect()
}

/// Raises each dependent to `recallr-api`'s level at least: they re-export
/// its types (see [`RELEASED`]).
fn propagate(mut crates: Vec<CrateLevel>) -> Vec<CrateLevel> {
    let api = crates
        .iter()
        .find(|krate| krate.name == "recallr-api")
        .map(|krate| krate.level)
        .unwrap_or(Level::None);
    for krate in crates
        .iter_mut()
        .filter(|krate| krate.name != "recallr-api")
    {
        if krate.level < api {
            krate.level = api;
            krate.reason = if krate.reason.is_empty() {
                "re-exports recallr-api's types".to_string()
            } else {
                format!("{}; re-exports recallr-api's types", krate.reason)
            };
        }
    }
    crates
}

/// The judgement without building anything: breaking when the spec diff
/// has a breaking change or a public item of the generated client is gone
/// (a renamed type the overlay does not pin); additive when anything else
/// changed in the spec or the client; none otherwise.
pub fn fallback(plan: &Plan) -> Result<Level, XtaskError> {
    if spec_diff::worst(&plan.changes) == Some(Class::Breaking) {
        return Ok(Level::Breaking);
    }
    let previous = plan.previous_generated.as_deref().unwrap_or_default();
    if previous == plan.generated_text {
        return Ok(if plan.changes.is_empty() {
            Level::None
        } else {
            Level::Additive
        });
    }
    let before = public_items(previous)?;
    let after = public_items(&plan.generated_text)?;
    Ok(if before.difference(&after).next().is_some() {
        Level::Breaking
    } else {
        Level::Additive
    })
}

/// The paths of the public items of a generated client (`types::SessionInfo`,
/// `facts::list_sessions::LIMIT_MAX`, ...).
pub fn public_items(text: &str) -> Result<BTreeSet<String>, XtaskError> {
    fn walk(items: &[syn::Item], prefix: &str, into: &mut BTreeSet<String>) {
        for item in items {
            let (vis, ident) = match item {
                syn::Item::Mod(item) => {
                    if matches!(item.vis, syn::Visibility::Public(_))
                        && let Some((_, content)) = &item.content
                    {
                        walk(content, &format!("{prefix}{}::", item.ident), into);
                    }
                    continue;
                }
                syn::Item::Struct(item) => (&item.vis, &item.ident),
                syn::Item::Enum(item) => (&item.vis, &item.ident),
                syn::Item::Type(item) => (&item.vis, &item.ident),
                syn::Item::Const(item) => (&item.vis, &item.ident),
                syn::Item::Static(item) => (&item.vis, &item.ident),
                syn::Item::Fn(item) => (&item.vis, &item.sig.ident),
                syn::Item::Trait(item) => (&item.vis, &item.ident),
                _ => continue,
            };
            if matches!(vis, syn::Visibility::Public(_)) {
                into.insert(format!("{prefix}{ident}"));
            }
        }
    }
    if text.is_empty() {
        return Ok(BTreeSet::new());
    }
    let file = syn::parse_file(text).map_err(|err| XtaskError::Judge {
        message: format!("the generated client does not parse as Rust: {err}"),
    })?;
    let mut items = BTreeSet::new();
    walk(&file.items, "", &mut items);
    Ok(items)
}

/// The cargo-semver-checks binary: `$CARGO_SEMVER_CHECKS`, else
/// `cargo-semver-checks` on `PATH` or in Cargo's `bin` directory. `Err`
/// says why there is none.
pub fn find_tool() -> Result<PathBuf, String> {
    let candidates: Vec<PathBuf> = match std::env::var_os(TOOL_ENV) {
        Some(path) => vec![PathBuf::from(path)],
        None => {
            let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
                .map(|path| std::env::split_paths(&path).collect())
                .unwrap_or_default();
            if let Some(home) = std::env::var_os("CARGO_HOME") {
                dirs.push(PathBuf::from(home).join("bin"));
            } else if let Some(home) = std::env::var_os("HOME") {
                dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
            }
            dirs.into_iter()
                .map(|dir| dir.join("cargo-semver-checks"))
                .collect()
        }
    };
    let install = format!(
        "install it with `cargo install --locked cargo-semver-checks --version {TOOL_VERSION}.0`"
    );
    let Some(tool) = candidates.into_iter().find(|path| path.is_file()) else {
        return Err(match std::env::var_os(TOOL_ENV) {
            Some(path) => format!(
                "cargo-semver-checks is not installed at {} (${TOOL_ENV}); {install}",
                PathBuf::from(path).display()
            ),
            None => format!("cargo-semver-checks is not installed; {install}"),
        });
    };
    let version = Command::new(&tool)
        .args(["semver-checks", "--version"])
        .output()
        .map_err(|err| format!("cannot run {}: {err}; {install}", tool.display()))?;
    let version = String::from_utf8_lossy(&version.stdout);
    let wanted = format!("cargo-semver-checks {TOOL_VERSION}.");
    if !version.trim().starts_with(&wanted) {
        return Err(format!(
            "{} is `{}`, not {TOOL_VERSION}.x; {install}",
            tool.display(),
            version.trim()
        ));
    }
    Ok(tool)
}

/// The most files and bytes a workspace copy may hold: a guard against a
/// wrong `--root` (a home directory, say), not a real limit.
const COPY_LIMIT_FILES: usize = 20_000;
const COPY_LIMIT_BYTES: u64 = 256 * 1024 * 1024;

/// A temporary copy of the workspace's sources with the plan's files in it.
fn updated_copy(plan: &Plan, workspace: &Workspace) -> Result<tempfile::TempDir, XtaskError> {
    let copy = tempfile::Builder::new()
        .prefix("recallr-semver.")
        .tempdir()
        .map_err(|err| XtaskError::Judge {
            message: format!("cannot create a temporary directory: {err}"),
        })?;
    let mut budget = (COPY_LIMIT_FILES, COPY_LIMIT_BYTES);
    copy_sources(&workspace.root, copy.path(), &mut budget)?;
    let new = Workspace::at(copy.path());
    for (path, text) in plan.files(&new) {
        std::fs::write(&path, text).map_err(|source| XtaskError::Write { path, source })?;
    }
    Ok(copy)
}

/// Copies `from` into `to`, leaving out build output and version control.
fn copy_sources(from: &Path, to: &Path, budget: &mut (usize, u64)) -> Result<(), XtaskError> {
    let read = |source| XtaskError::Read {
        path: from.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(to).map_err(|source| XtaskError::Write {
        path: to.to_path_buf(),
        source,
    })?;
    for entry in std::fs::read_dir(from).map_err(read)? {
        let entry = entry.map_err(read)?;
        let name = entry.file_name();
        if name == "target" || name == ".git" {
            continue;
        }
        let kind = entry.file_type().map_err(read)?;
        let (source, target) = (entry.path(), to.join(&name));
        if kind.is_dir() {
            copy_sources(&source, &target, budget)?;
        } else if kind.is_file() {
            let size = entry.metadata().map_err(read)?.len();
            budget.0 = budget.0.checked_sub(1).ok_or_else(|| too_big(from))?;
            budget.1 = budget.1.checked_sub(size).ok_or_else(|| too_big(from))?;
            std::fs::copy(&source, &target).map_err(|source| XtaskError::Write {
                path: target.clone(),
                source,
            })?;
        }
    }
    Ok(())
}

fn too_big(dir: &Path) -> XtaskError {
    XtaskError::Judge {
        message: format!(
            "{} holds more than {COPY_LIMIT_FILES} files or {} MiB besides target/ and .git/: is --root the workspace?",
            dir.display(),
            COPY_LIMIT_BYTES / 1024 / 1024
        ),
    }
}

/// Where cargo-semver-checks builds: a directory of its own (the copy and
/// the baseline hold same-named crates at the same relative paths, which
/// must never share fingerprints with the workspace's normal builds), kept
/// between runs so dependencies are built once.
fn target_dir(workspace: &Workspace) -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| workspace.root.join("target"))
        .join("spec-update-semver")
}

/// What cargo-semver-checks said about one crate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// The crate.
    pub name: String,
    /// The release it says the change needs.
    pub required: Required,
    /// Its summary line, for the report.
    pub summary: String,
}

/// The release cargo-semver-checks requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Required {
    /// "no semver update required".
    Nothing,
    /// A minor release: by Cargo's rules an addition.
    Minor,
    /// A major release (for 0.x, the minor number): a break.
    Major,
}

impl Outcome {
    /// The crate's level: what cargo-semver-checks requires, and additive
    /// when it requires nothing but the crate's code `changed` (it does not
    /// report additions as such).
    pub fn level(&self, changed: bool) -> Level {
        match self.required {
            Required::Major => Level::Breaking,
            Required::Minor => Level::Additive,
            Required::Nothing if changed => Level::Additive,
            Required::Nothing => Level::None,
        }
    }

    fn reason(&self) -> String {
        format!("cargo-semver-checks: {}", self.summary)
    }
}

/// Reads cargo-semver-checks' output (colourless) for `name`: its
/// `Summary` line says which release the change requires.
pub fn parse_outcome(name: &str, output: &str) -> Result<Outcome, String> {
    let summary = output
        .lines()
        .rev()
        .map(str::trim)
        .find_map(|line| line.strip_prefix("Summary"))
        .map(str::trim)
        .ok_or_else(|| "its output has no `Summary` line".to_string())?;
    let required = if summary.starts_with("semver requires new major version") {
        Required::Major
    } else if summary.starts_with("semver requires new minor version") {
        Required::Minor
    } else if summary.starts_with("no semver update required") {
        Required::Nothing
    } else {
        return Err(format!(
            "its summary is not one this judge knows: `{summary}`"
        ));
    };
    Ok(Outcome {
        name: name.to_string(),
        required,
        summary: summary.to_string(),
    })
}

/// The last lines of a tool's output, for an error message.
fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text
        .lines()
        .filter(|line| !line.trim().is_empty())
        .collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

/// Runs `check-release` for `name` in the updated `copy` against `baseline`.
fn run_check(
    tool: &Path,
    copy: &Path,
    baseline: &Path,
    target: &Path,
    name: &str,
) -> Result<Outcome, XtaskError> {
    let output = Command::new(tool)
        .args([
            "semver-checks",
            "check-release",
            "--color",
            "never",
            "-p",
            name,
        ])
        .arg("--manifest-path")
        .arg(copy.join("Cargo.toml"))
        .arg("--baseline-root")
        .arg(baseline)
        .env("CARGO_TARGET_DIR", target)
        .output()
        .map_err(|err| XtaskError::Judge {
            message: format!("cannot run {}: {err}", tool.display()),
        })?;
    let text = format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    let failed = |why: String| XtaskError::Judge {
        message: format!(
            "cargo-semver-checks on {name} failed ({}): {why}:\n{}\n(pass --no-semver-checks to judge from the spec diff alone)",
            output.status,
            tail(&text, 20)
        ),
    };
    let outcome = parse_outcome(name, &text).map_err(failed)?;
    // It succeeds when no release is required and fails when one is.
    match (outcome.required, output.status.success()) {
        (Required::Nothing, true) | (Required::Major | Required::Minor, false) => Ok(outcome),
        _ => Err(failed(
            "its exit status does not match its summary".to_string(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_line_gives_the_required_release() {
        let major = "     Checking recallr-api v0.1.0 -> v0.1.0 (no change)\n--- failure struct_missing ---\n     Summary semver requires new major version: 1 major and 0 minor checks failed\n";
        let outcome = parse_outcome("recallr-api", major).expect("parses");
        assert_eq!(outcome.required, Required::Major);
        assert_eq!(outcome.level(true), Level::Breaking);
        let minor =
            "     Summary semver requires new minor version: 0 major and 1 minor checks failed";
        assert_eq!(
            parse_outcome("x", minor).map(|outcome| outcome.level(false)),
            Ok(Level::Additive)
        );
        let nothing = "     Summary no semver update required\n    Finished [   1.2s] recallr-api";
        let outcome = parse_outcome("x", nothing).expect("parses");
        assert_eq!(outcome.level(true), Level::Additive);
        assert_eq!(outcome.level(false), Level::None);
        assert!(parse_outcome("x", "error: no such package").is_err());
        assert!(parse_outcome("x", "Summary something new").is_err());
    }

    #[test]
    fn dependents_take_at_least_the_api_level() {
        let crates = vec![
            CrateLevel {
                name: "recallr-api".into(),
                level: Level::Breaking,
                reason: String::new(),
            },
            CrateLevel {
                name: "recallr-ext".into(),
                level: Level::Additive,
                reason: "checked".into(),
            },
            CrateLevel {
                name: "recallr-stub".into(),
                level: Level::None,
                reason: String::new(),
            },
        ];
        let crates = propagate(crates);
        assert!(crates.iter().all(|krate| krate.level == Level::Breaking));
        assert_eq!(crates[1].reason, "checked; re-exports recallr-api's types");
    }

    #[test]
    fn public_items_are_listed_by_path_and_private_ones_left_out() {
        let items = public_items(
            "pub mod types { pub struct A; struct Hidden; pub mod builder { pub struct A; } }\npub const X: u8 = 1;\nmod private { pub struct P; }",
        )
        .expect("parses");
        let items: Vec<&str> = items.iter().map(String::as_str).collect();
        assert_eq!(items, ["X", "types::A", "types::builder::A"]);
    }
}
