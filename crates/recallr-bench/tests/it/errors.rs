//! Bad inputs end with one `error:` line and a non-zero exit, before any
//! measuring starts. No test here measures anything.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

const BENCH: &str = env!("CARGO_BIN_EXE_recallr-bench");

fn run(args: &[&str]) -> Output {
    match Command::new(BENCH).args(args).output() {
        Ok(output) => output,
        Err(err) => panic!("cannot run {BENCH}: {err}"),
    }
}

fn error_lines(output: &Output) -> Vec<String> {
    String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter(|line| line.starts_with("error: "))
        .map(str::to_string)
        .collect()
}

fn executable(path: &Path, script: &str) {
    fs::write(path, script).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
    fs::set_permissions(path, fs::Permissions::from_mode(0o755))
        .unwrap_or_else(|err| panic!("chmod {}: {err}", path.display()));
}

/// A directory with stand-ins for every input; `stub` is the stub's script.
fn fake_inputs(stub: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap_or_else(|err| panic!("tempdir: {err}"));
    let bin = dir.path().join("bin");
    fs::create_dir_all(&bin).unwrap_or_else(|err| panic!("mkdir: {err}"));
    executable(&bin.join("recallr-stub"), stub);
    executable(&bin.join("recallr"), "#!/bin/sh\nexit 0\n");
    executable(&bin.join("xtask"), "#!/bin/sh\nexit 0\n");
    executable(&dir.path().join("python"), "#!/bin/sh\nexit 0\n");
    fs::write(dir.path().join("list_sessions.py"), "").unwrap_or_else(|err| panic!("{err}"));
    for name in ["generated_types", "serde_json_value", "minimal_struct"] {
        let estimates = dir
            .path()
            .join("criterion/decode_page")
            .join(name)
            .join("new");
        fs::create_dir_all(&estimates).unwrap_or_else(|err| panic!("mkdir: {err}"));
        fs::write(
            estimates.join("estimates.json"),
            r#"{"median": {"point_estimate": 60000.0}}"#,
        )
        .unwrap_or_else(|err| panic!("{err}"));
    }
    dir
}

fn args_for(dir: &Path) -> Vec<String> {
    let path = |name: &str| dir.join(name).display().to_string();
    vec![
        "run".into(),
        "--quick".into(),
        "--bin-dir".into(),
        path("bin"),
        "--python".into(),
        path("python"),
        "--python-script".into(),
        path("list_sessions.py"),
        "--criterion-dir".into(),
        path("criterion"),
        "--out".into(),
        path("report.md"),
    ]
}

fn run_with(dir: &Path, extra: &[&str]) -> Output {
    let mut args = args_for(dir);
    args.extend(extra.iter().map(|arg| arg.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    run(&args)
}

#[test]
fn a_bad_flag_is_one_error_line_and_exit_2() {
    let output = run(&["run", "--no-such-flag"]);
    assert_eq!(output.status.code(), Some(2));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("--no-such-flag"), "{errors:?}");

    let output = run(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(error_lines(&output).len(), 1);
}

#[test]
fn a_missing_binary_is_named() {
    let dir = fake_inputs("#!/bin/sh\nexit 0\n");
    let _ = fs::remove_file(dir.path().join("bin/recallr"));
    let output = run_with(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("recallr not found"), "{errors:?}");
    assert!(
        errors[0].contains("cargo build --release -p recallr-cli"),
        "{errors:?}"
    );
}

#[test]
fn a_missing_python_is_named() {
    let dir = fake_inputs("#!/bin/sh\nexit 0\n");
    let mut args = args_for(dir.path());
    if let Some(at) = args.iter().position(|arg| arg == "--python") {
        args[at + 1] = "/nonexistent/python3".into();
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = run(&args);
    assert_eq!(output.status.code(), Some(1));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("Python not found"), "{errors:?}");
}

#[test]
fn a_stub_that_fails_to_start_is_reported_with_its_own_words() {
    let dir = fake_inputs("#!/bin/sh\necho 'error: cannot listen: address in use' >&2\nexit 3\n");
    let output = run_with(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].contains("exited with status 3 before listening"),
        "{errors:?}"
    );
    assert!(errors[0].contains("address in use"), "{errors:?}");
    assert!(!dir.path().join("report.md").exists());
}

#[test]
fn a_stub_that_prints_something_else_is_stopped() {
    let dir = fake_inputs("#!/bin/sh\necho 'hello'\nexec sleep 60\n");
    let output = run_with(dir.path(), &[]);
    assert_eq!(output.status.code(), Some(1));
    let errors = error_lines(&output);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(errors[0].contains("expected `listening on"), "{errors:?}");
}
