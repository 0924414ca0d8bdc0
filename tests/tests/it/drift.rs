//! The committed effective spec, generated client and generated surfaces
//! (recallr-ext's operations) must equal a fresh derivation from the three
//! layers (`upstream.json`, its provenance,
//! `overlay.yaml`), and that check must be able to fail for each layer.

use std::path::{Path, PathBuf};

use xtask::paths::{self, Workspace};
use xtask::{Freshness, derive};

/// Panics, naming the stale files and the command that fixes them, unless
/// `workspace`'s derived files are what its layers give.
fn assert_fresh(workspace: &Workspace) {
    match derive::check_workspace(workspace) {
        Ok(Freshness::Fresh) => {}
        Ok(Freshness::Stale { diff, stale }) => {
            panic!("{}\n{diff}", derive::stale_message(workspace, &stale))
        }
        Err(err) => panic!("cannot derive from the layers: {err}"),
    }
}

#[test]
fn committed_spec_and_client_derive_from_the_layers() {
    assert_fresh(&Workspace::current());
}

/// A copy of the committed layers and derived files, edited by `edit`
/// (given the copy's layout); returns the drift test's panic message.
fn drift_message_after(edit: impl FnOnce(&Workspace)) -> String {
    let dir = tempfile::tempdir().expect("a temp dir");
    let real = Workspace::current();
    let copy = Workspace::at(dir.path());
    for (from, to) in real
        .written_files()
        .into_iter()
        .zip(copy.written_files())
        .chain([(real.overlay(), copy.overlay())])
    {
        std::fs::create_dir_all(to.parent().expect("a parent")).expect("writable");
        std::fs::copy(&from, &to).unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
    }
    // Derived afresh, so that only the committed-files test catches a
    // committed layer edited without codegen.
    derive::write_workspace(&copy).expect("the copied layers derive");
    assert_fresh(&copy);
    edit(&copy);
    let panic = std::panic::catch_unwind(|| assert_fresh(&copy))
        .expect_err("the drift test passed on a layer edited without codegen");
    panic
        .downcast_ref::<String>()
        .cloned()
        .expect("a formatted panic message")
}

fn edit_json(path: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let mut document: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(path).expect("readable")).expect("JSON");
    edit(&mut document);
    std::fs::write(
        path,
        serde_json::to_string_pretty(&document).expect("serializes"),
    )
    .expect("writable");
}

fn assert_names_the_stale_spec(message: &str) {
    let first = message.lines().next().unwrap_or_default();
    assert!(
        first.contains(paths::SPEC) && first.contains("run `cargo xtask codegen`"),
        "{message}"
    );
}

#[test]
fn an_upstream_change_without_codegen_fails_the_drift_test() {
    let message = drift_message_after(|copy| {
        edit_json(&copy.upstream(), |document| {
            let limit =
                document["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["parameters"]
                    .as_array_mut()
                    .expect("parameters")
                    .iter_mut()
                    .find(|parameter| parameter["name"] == "limit")
                    .expect("a limit parameter");
            limit["schema"]["maximum"] = serde_json::json!(50);
        })
    });
    assert_names_the_stale_spec(&message);
    // The bound reaches the generated facts too.
    assert!(message.contains(paths::GENERATED), "{message}");
}

#[test]
fn an_overlay_change_without_codegen_fails_the_drift_test() {
    let message = drift_message_after(|copy| {
        let mut text = std::fs::read_to_string(copy.overlay()).expect("readable");
        text.push_str(
            "  - target: \"$.info\"\n    description: an edit the drift test makes\n    update:\n      description: Changed without codegen.\n",
        );
        std::fs::write(copy.overlay(), text).expect("writable");
    });
    assert_names_the_stale_spec(&message);
}

#[test]
fn a_provenance_change_without_codegen_fails_the_drift_test() {
    let message = drift_message_after(|copy| {
        edit_json(&copy.provenance(), |provenance| {
            // Leave one more operation out than the committed rule does.
            let rule = provenance["keep"]
                .as_array_mut()
                .expect("the kept set is a rule: a list of entries");
            rule.push(serde_json::json!("!GET /api/v1/system-prompt"));
        })
    });
    assert_names_the_stale_spec(&message);
}

/// Copies the committed spec into `dir`, lets `edit` change it, and returns
/// the edited copy's path.
fn edited_spec(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) -> PathBuf {
    let text = std::fs::read_to_string(paths::spec()).expect("the committed spec is readable");
    let mut spec: serde_json::Value =
        serde_json::from_str(&text).expect("the committed spec is JSON");
    edit(&mut spec);
    let path = dir.join("recallr.json");
    let edited = serde_json::to_string_pretty(&spec).expect("a JSON value serializes");
    std::fs::write(&path, edited).expect("the temp dir is writable");
    path
}

fn list_sessions_parameters(spec: &mut serde_json::Value) -> &mut Vec<serde_json::Value> {
    spec["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["parameters"]
        .as_array_mut()
        .expect("list_sessions has a parameter list")
}

fn check_against_committed(spec: &Path) -> Freshness {
    xtask::check(spec, &paths::generated()).expect("the edited spec still generates")
}

#[test]
fn a_tightened_limit_makes_the_check_fail() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = edited_spec(dir.path(), |spec| {
        let limit = list_sessions_parameters(spec)
            .iter_mut()
            .find(|parameter| parameter["name"] == "limit")
            .expect("the spec has a limit parameter");
        limit["schema"]["maximum"] = serde_json::json!(50);
    });
    match check_against_committed(&spec) {
        Freshness::Fresh => panic!("a changed `limit` maximum went unnoticed"),
        Freshness::Stale { diff, .. } => {
            // The spec's digest in the header changes with any edit.
            assert!(diff.contains("-// spec sha256:"), "{diff}");
            assert!(diff.contains("+// spec sha256:"), "{diff}");
        }
    }
    // The edit itself, not the copy's formatting, changes the output.
    let unedited_dir = tempfile::tempdir().expect("a temp dir");
    let unedited = edited_spec(unedited_dir.path(), |_| {});
    let before = xtask::generate(&unedited).expect("the copy generates");
    let after = xtask::generate(&spec).expect("the edited copy generates");
    assert_ne!(
        before, after,
        "the limit's maximum does not reach the generated file"
    );
}

#[test]
fn a_new_query_parameter_makes_the_check_fail() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = edited_spec(dir.path(), |spec| {
        list_sessions_parameters(spec).push(serde_json::json!({
            "name": "sort_order",
            "in": "query",
            "required": false,
            "schema": {"type": "string"}
        }));
    });
    match check_against_committed(&spec) {
        Freshness::Fresh => panic!("a new query parameter went unnoticed"),
        Freshness::Stale { diff, .. } => {
            assert!(diff.contains("+") && diff.contains("sort_order"), "{diff}");
        }
    }
}

#[test]
fn generation_is_deterministic() {
    let first = xtask::generate(&paths::spec()).expect("the committed spec generates");
    let second = xtask::generate(&paths::spec()).expect("the committed spec generates");
    assert!(first == second, "two generations from one spec differ");
}

#[test]
fn generated_file_carries_the_generated_header() {
    let text = std::fs::read_to_string(paths::generated()).expect("the generated file exists");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("// @generated by cargo xtask codegen from openapi/recallr.json — do not edit")
    );
    let digest_line = lines.next().unwrap_or_default();
    let digest = digest_line
        .strip_prefix("// spec sha256: ")
        .unwrap_or_else(|| panic!("second line is not the spec digest: {digest_line}"));
    assert_eq!(digest.len(), 64);
    assert!(digest.chars().all(|c| c.is_ascii_hexdigit()));
}

/// An operation the vendor adds becomes a command with no hand edit: a
/// paged list and an action, placed by the derivation rule.
#[test]
fn a_new_operation_becomes_a_command() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = edited_spec(dir.path(), |spec| {
        let list =
            spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/messages"]["get"]
                .clone();
        let mut summaries = list;
        summaries["operationId"] = serde_json::json!("list_summaries");
        // A new operation has no overlay entry.
        summaries
            .as_object_mut()
            .map(|operation| operation.remove("x-recallr-cli"));
        spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/summaries"] =
            serde_json::json!({"get": summaries});
        let mut archive =
            spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/process"]["post"]
                .clone();
        // A vendor-style operationId, which progenitor renames for Rust.
        archive["operationId"] =
            serde_json::json!("archive_session_api_v1_users__custom_user_id__archive_post");
        spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/archive"] =
            serde_json::json!({"post": archive});
    });
    let spec = xtask::spec::load(&spec).expect("the edited spec loads");
    let commands = xtask::codegen::cli_commands::command_paths(&spec).expect("commands derive");
    for wanted in [["summaries", "list"], ["sessions", "archive"]] {
        assert!(
            commands.iter().any(|command| command == &wanted),
            "{wanted:?} not in {commands:?}"
        );
    }
    let table = render_commands(&spec).expect("the command table renders");
    assert!(table.contains("\"list_summaries\" =>"));
    // The command calls the method progenitor generated, not the raw id.
    assert!(
        table.contains("\"archive_session_api_v1_users__custom_user_id__archive_post\" =>")
            && table.contains(".archive_session_api_v1_users_custom_user_id_archive_post()"),
        "{table}"
    );
}

/// Two operations that would be one command: the second is left out, and
/// the generated file says so; today's spec leaves nothing out.
#[test]
fn a_command_two_operations_derive_is_left_out_and_named() {
    let committed = xtask::spec::load(&paths::spec()).expect("the committed spec loads");
    assert_eq!(
        xtask::codegen::cli_commands::left_out(&committed).expect("commands derive"),
        Vec::<String>::new()
    );
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = edited_spec(dir.path(), |spec| {
        let mut copy =
            spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/messages"]["get"]
                .clone();
        copy["operationId"] = serde_json::json!("list_messages_again");
        spec["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/messages2"] =
            serde_json::json!({"get": copy});
    });
    let spec = xtask::spec::load(&spec).expect("the edited spec loads");
    let left_out = xtask::codegen::cli_commands::left_out(&spec).expect("commands derive");
    assert_eq!(left_out.len(), 1, "{left_out:?}");
    assert!(left_out[0].contains("sessions messages"), "{left_out:?}");
    let table = render_commands(&spec).expect("the table still renders");
    assert!(table.contains(
        "//! Not a command: GET /api/v1/users/{custom_user_id}/sessions/{session_id}/messages"
    ));
}

/// A parameter whose flag every command already has (`--format`) leaves
/// its operation out, named, rather than break the command line.
#[test]
fn a_parameter_named_like_a_shared_flag_is_left_out() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let spec = edited_spec(dir.path(), |spec| {
        list_sessions_parameters(spec).push(serde_json::json!({
            "name": "format",
            "in": "query",
            "required": false,
            "schema": {"type": "string"}
        }));
    });
    let spec = xtask::spec::load(&spec).expect("the edited spec loads");
    let left_out = xtask::codegen::cli_commands::left_out(&spec).expect("commands derive");
    assert_eq!(left_out.len(), 1, "{left_out:?}");
    assert!(left_out[0].contains("--format"), "{left_out:?}");
}

/// The CLI's command table for `spec`, with the client generated from it.
fn render_commands(spec: &xtask::spec::Spec) -> Result<String, xtask::XtaskError> {
    let client = xtask::codegen::render(spec)?;
    xtask::codegen::cli_commands::render(spec, &client)
}
