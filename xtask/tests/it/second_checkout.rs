//! `cargo xtask` works on the checkout it runs in, found at run time: one
//! built binary (a shared target directory) serves every checkout.

use std::path::Path;
use std::process::{Command, Output};

use crate::common::TempWorkspace;
use xtask::paths::Workspace as Layout;

/// A second checkout: the spec layers, the derived files and the root
/// manifest, with an overlay edit that codegen has not seen yet.
fn stale_second_checkout() -> TempWorkspace {
    let copy = TempWorkspace::new();
    std::fs::copy(
        Layout::current().root.join("Cargo.toml"),
        copy.dir.path().join("Cargo.toml"),
    )
    .expect("the manifest copies");
    let overlay = copy.layout().overlay();
    let mut text = std::fs::read_to_string(&overlay).expect("readable");
    text.push_str(
        "  - target: \"$.info\"\n    description: an edit in the second checkout\n    update:\n      description: Changed in the second checkout.\n",
    );
    std::fs::write(&overlay, text).expect("writable");
    copy
}

fn xtask(dir: &Path, manifest_dir: Option<&Path>, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command.args(args).current_dir(dir);
    match manifest_dir {
        // What `cargo xtask` (`cargo run -p xtask`) sets in the checkout.
        Some(manifest_dir) => command.env("CARGO_MANIFEST_DIR", manifest_dir),
        // The binary run by hand.
        None => command.env_remove("CARGO_MANIFEST_DIR"),
    };
    command.output().expect("the xtask binary runs")
}

#[test]
fn a_built_xtask_checks_and_writes_the_checkout_it_runs_in() {
    let second = stale_second_checkout();
    let root = second.dir.path();
    let first = Layout::current();
    let first_spec = std::fs::read(first.spec()).expect("readable");

    // Run by hand from a directory inside the second checkout, and as
    // `cargo xtask` there (from wherever): both check the second checkout.
    for (dir, manifest_dir) in [
        (root.join("openapi"), None),
        (first.root.clone(), Some(root.join("xtask"))),
    ] {
        let output = xtask(&dir, manifest_dir.as_deref(), &["codegen", "--check"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
        assert!(
            stdout.contains(&second.layout().spec().display().to_string()),
            "{stdout}"
        );
        assert!(stderr.contains("run `cargo xtask codegen`"), "{stderr}");
    }

    let output = xtask(&root.join("openapi"), None, &["codegen"]);
    assert!(output.status.success(), "{output:?}");
    // The message names every file written: the spec, the client and each
    // surface of the hand-written crates.
    let stdout = String::from_utf8_lossy(&output.stdout);
    for file in second.layout().derived_files() {
        assert!(
            stdout.contains(&file.display().to_string()),
            "{file:?} not named: {stdout}"
        );
    }
    assert!(stdout.contains(xtask::paths::SURFACES[0]), "{stdout}");
    assert!(
        second
            .read(xtask::paths::SPEC)
            .contains("Changed in the second checkout."),
        "the second checkout's spec was not regenerated"
    );
    let output = xtask(root, None, &["codegen", "--check"]);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains(xtask::paths::SURFACES[0]), "{stdout}");
    let again = xtask(root, None, &["codegen"]);
    let stdout = String::from_utf8_lossy(&again.stdout);
    assert!(
        stdout.contains("already up to date") && stdout.contains(xtask::paths::SURFACES[0]),
        "{stdout}"
    );
    assert_eq!(
        std::fs::read(first.spec()).expect("readable"),
        first_spec,
        "the first checkout changed"
    );
}

#[test]
fn outside_any_workspace_the_error_says_so() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let output = xtask(dir.path(), None, &["codegen", "--check"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("error: no recallr-rs workspace") && stderr.contains("--root"),
        "{stderr}"
    );
}
