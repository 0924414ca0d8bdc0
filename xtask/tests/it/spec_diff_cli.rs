//! `cargo xtask spec diff` as a user runs it: output formats and exit codes
//! (0 by default, 1 when `--fail-on` is met, 2 on an unreadable input).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The old and the new document of `rule`'s fixture, as files in a temp dir
/// that lives as long as the value.
struct Documents {
    _dir: tempfile::TempDir,
    old: PathBuf,
    new: PathBuf,
}

fn documents(rule: &str) -> Documents {
    let dir = tempfile::tempdir().expect("a temp dir");
    let (old, new) = crate::spec_diff_fixture::load(rule).write_documents(dir.path());
    Documents {
        _dir: dir,
        old,
        new,
    }
}

fn diff(old: &Path, new: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec", "diff"])
        .arg(old)
        .arg(new)
        .args(extra)
        .output()
        .expect("the xtask binary runs")
}

fn diff_fixture(rule: &str, extra: &[&str]) -> Output {
    let documents = documents(rule);
    diff(&documents.old, &documents.new, extra)
}

fn code(output: &Output) -> Option<i32> {
    output.status.code()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

#[test]
fn no_changes_exits_zero() {
    let spec = xtask::paths::spec();
    let output = diff(&spec, &spec, &["--fail-on", "warning"]);
    assert_eq!(code(&output), Some(0));
    assert_eq!(stdout(&output), "no changes\n");
}

#[test]
fn changes_exit_zero_without_fail_on() {
    let output = diff_fixture("request-range-tightened", &[]);
    assert_eq!(code(&output), Some(0));
    let text = stdout(&output);
    assert!(
        text.contains(
            "breaking  request-range-tightened  /paths/~1users~1{user_id}~1items/get/parameters/limit/schema/maximum"
        ),
        "{text}"
    );
    assert!(
        text.ends_with("1 change: 1 breaking, 0 warning, 0 info\n"),
        "{text}"
    );
}

#[test]
fn fail_on_breaking_exits_one_when_a_breaking_change_is_found() {
    let output = diff_fixture("parameter-required-added", &["--fail-on", "breaking"]);
    assert_eq!(code(&output), Some(1));
    assert!(stdout(&output).contains("parameter-required-added"));
}

#[test]
fn fail_on_breaking_ignores_warnings_and_fail_on_warning_does_not() {
    let warning_only = "response-enum-value-added";
    assert_eq!(
        code(&diff_fixture(warning_only, &["--fail-on", "breaking"])),
        Some(0)
    );
    assert_eq!(
        code(&diff_fixture(warning_only, &["--fail-on", "warning"])),
        Some(1)
    );
    // Breaking is worse than warning, so it fails --fail-on warning too.
    assert_eq!(
        code(&diff_fixture("path-removed", &["--fail-on", "warning"])),
        Some(1)
    );
    assert_eq!(
        code(&diff_fixture("path-added", &["--fail-on", "warning"])),
        Some(0)
    );
}

#[test]
fn json_output_is_an_array_of_rule_class_pointer_and_message() {
    let output = diff_fixture("response-property-renamed", &["--format", "json"]);
    assert_eq!(code(&output), Some(0));
    let report: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("the report is JSON");
    let entries = report.as_array().expect("an array");
    assert_eq!(entries.len(), 1, "{report}");
    let entry = entries[0].as_object().expect("an object");
    let keys: Vec<&str> = entry.keys().map(String::as_str).collect();
    assert_eq!(keys.len(), 4, "{entry:?}");
    assert_eq!(entry["rule"], "response-property-renamed");
    assert_eq!(entry["class"], "breaking");
    assert_eq!(
        entry["pointer"],
        "/paths/~1users~1{user_id}~1items/get/responses/200/content/application~1json/schema/properties/count"
    );
    let message = entry["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("`total` was renamed to `count`"),
        "{message}"
    );
}

/// An unreadable input exits 2 with one `error:` line naming the file.
fn assert_unreadable(old: &Path, new: &Path, named: &str, expected: &str) {
    let output = diff(old, new, &["--fail-on", "breaking"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(code(&output), Some(2), "{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "one line: {stderr}");
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(lines[0].contains(named), "names {named}: {stderr}");
    assert!(
        lines[0].contains(expected),
        "expected {expected:?} in {stderr}"
    );
    assert!(stdout(&output).is_empty(), "no report on bad input");
}

#[test]
fn unreadable_inputs_exit_two() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = xtask::paths::spec();
    let write = |name: &str, text: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, text).expect("the temp dir is writable");
        path
    };

    let missing = dir.path().join("missing.json");
    assert_unreadable(&missing, &spec, "missing.json", "cannot read");

    let broken = write(
        "broken.json",
        "{\n  \"openapi\": \"3.0.3\",\n  \"info\": {,\n}\n",
    );
    assert_unreadable(&spec, &broken, "broken.json:3:12", "invalid JSON");

    let not_openapi = write("list.json", "[1, 2, 3]");
    assert_unreadable(&spec, &not_openapi, "list.json", "not an OpenAPI document");

    // spec diff compares effective (3.0) specs; the vendor's 3.1 document
    // goes through `spec update` instead.
    let fastapi = xtask::paths::workspace_root().join(xtask::paths::UPSTREAM);
    assert_unreadable(
        &spec,
        &fastapi,
        "upstream.json",
        "OpenAPI 3.1.0 is not supported",
    );
}

/// Runs the xtask with `args`, its standard output a pipe whose reading end
/// is closed before it starts, so every write meets a broken pipe whatever
/// the timing (as `| head -1` does once it has its line).
fn into_a_closed_pipe(args: &[&std::ffi::OsStr]) -> Output {
    let (reader, writer) = std::io::pipe().expect("a pipe");
    drop(reader);
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("the xtask binary runs")
}

/// Ended quietly: the exit code the command would have had anyway, and
/// nothing on stderr (no panic, no error about the pipe).
fn assert_quiet(output: &Output, code: i32) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[test]
fn a_reader_that_stops_reading_ends_every_command_quietly() {
    let documents = documents("request-range-tightened");
    let (old, new) = (&documents.old, &documents.new);
    for format in ["text", "json"] {
        let args = ["spec", "diff", "--format", format].map(std::ffi::OsStr::new);
        let output = into_a_closed_pipe(&[&args[..], &[old.as_os_str(), new.as_os_str()]].concat());
        assert_quiet(&output, 0);
    }
    // The exit code still says what was found.
    let output = into_a_closed_pipe(&[
        "spec".as_ref(),
        "diff".as_ref(),
        old.as_os_str(),
        new.as_os_str(),
        "--fail-on".as_ref(),
        "breaking".as_ref(),
    ]);
    assert_quiet(&output, 1);

    // `spec update`'s report, in a dry run (which writes nothing) of a
    // changed upstream document, and `codegen --check`, on a copy of the
    // workspace.
    let workspace = crate::common::TempWorkspace::new();
    let upstream = workspace.write_upstream(
        &workspace
            .read(xtask::paths::UPSTREAM)
            .replace("\"Metadata Filter\"", "\"Metadata filter\""),
    );
    let root = workspace.dir.path().as_os_str();
    let output = into_a_closed_pipe(&[
        "spec".as_ref(),
        "update".as_ref(),
        "--dry-run".as_ref(),
        "--from".as_ref(),
        upstream.as_os_str(),
        "--root".as_ref(),
        root,
    ]);
    assert_quiet(&output, 0);

    let output = into_a_closed_pipe(&[
        "codegen".as_ref(),
        "--check".as_ref(),
        "--root".as_ref(),
        root,
    ]);
    assert_quiet(&output, 0);
}
