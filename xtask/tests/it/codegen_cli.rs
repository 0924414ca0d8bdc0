//! `cargo xtask codegen` as a user runs it: exit codes, messages, and files
//! left untouched on bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const SENTINEL: &str = "// the committed client, which a failed run must not touch\n";

struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::write(dir.path().join("lib.rs"), SENTINEL).expect("the temp dir is writable");
        Self { dir }
    }

    fn spec(&self) -> PathBuf {
        self.dir.path().join("spec.json")
    }

    fn out(&self) -> PathBuf {
        self.dir.path().join("lib.rs")
    }

    fn write_spec(&self, text: &str) {
        std::fs::write(self.spec(), text).expect("the temp dir is writable");
    }

    fn codegen(&self, extra: &[&str]) -> Output {
        run(&self.spec(), &self.out(), extra)
    }

    fn files(&self) -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(self.dir.path())
            .expect("the temp dir is listable")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    /// A failed run exits non-zero with one `error:` line naming the spec,
    /// and leaves the output and the directory as they were.
    fn assert_refused(&self, output: &Output, expected: &str) {
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "exit 0 for bad input: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "expected one line, got: {stderr}");
        assert!(lines[0].starts_with("error: "), "{stderr}");
        assert!(
            lines[0].contains("spec.json"),
            "the error names the file: {stderr}"
        );
        assert!(
            lines[0].contains(expected),
            "expected {expected:?} in: {stderr}"
        );
        assert!(!stderr.contains("panicked"), "{stderr}");
        let out = std::fs::read_to_string(self.out()).expect("the output still exists");
        assert_eq!(out, SENTINEL, "a failed run changed the output");
        let mut files = self.files();
        files.retain(|name| name != "spec.json");
        assert_eq!(files, ["lib.rs"], "a failed run left files behind");
    }
}

fn run(spec: &Path, out: &Path, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .arg("codegen")
        .arg("--spec")
        .arg(spec)
        .arg("--out")
        .arg(out)
        .args(extra)
        .output()
        .expect("the xtask binary runs")
}

fn committed_spec_text() -> String {
    std::fs::read_to_string(xtask::paths::spec()).expect("the committed spec is readable")
}

fn committed_spec_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let mut spec: serde_json::Value =
        serde_json::from_str(&committed_spec_text()).expect("the committed spec is JSON");
    edit(&mut spec);
    serde_json::to_string_pretty(&spec).expect("JSON serializes")
}

#[test]
fn a_missing_spec_is_refused() {
    let workspace = Workspace::new();
    let output = workspace.codegen(&[]);
    workspace.assert_refused(&output, "cannot read");
}

#[test]
fn broken_json_is_refused_with_line_and_column() {
    let workspace = Workspace::new();
    workspace.write_spec("{\n  \"openapi\": \"3.0.3\",\n  \"info\": {,\n}\n");
    let output = workspace.codegen(&[]);
    workspace.assert_refused(&output, "spec.json:3:12: invalid JSON");
}

#[test]
fn an_openapi_3_1_document_is_refused_as_not_yet_supported() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_with(|spec| {
        spec["openapi"] = "3.1.0".into()
    }));
    let output = workspace.codegen(&[]);
    workspace.assert_refused(&output, "OpenAPI 3.1.0 is not supported yet");
}

#[test]
fn a_document_that_is_not_openapi_is_refused() {
    let workspace = Workspace::new();
    workspace.write_spec("[1, 2, 3]");
    let output = workspace.codegen(&[]);
    workspace.assert_refused(&output, "not an OpenAPI document");
}

#[test]
fn a_malformed_field_is_refused_with_its_location() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_with(|spec| {
        spec["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["parameters"][1]["in"] =
            "nowhere".into();
    }));
    let output = workspace.codegen(&[]);
    // serde buffers tagged enums, so the location is the enclosing field.
    workspace.assert_refused(&output, "invalid OpenAPI 3.0 document at `paths`");
    workspace.assert_refused(&output, "unknown variant `nowhere`");
}

#[test]
fn a_spec_progenitor_rejects_is_refused() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_with(|spec| {
        if let Some(get) =
            spec["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"].as_object_mut()
        {
            get.remove("operationId");
        }
    }));
    let output = workspace.codegen(&[]);
    workspace.assert_refused(
        &output,
        "progenitor cannot generate a client from this spec",
    );
}

#[test]
fn a_spec_progenitor_panics_on_is_refused_without_a_panic_message() {
    let workspace = Workspace::new();
    // Two different success bodies: progenitor asserts on this.
    workspace.write_spec(&committed_spec_with(|spec| {
        spec["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["responses"]["201"] = serde_json::json!({
            "description": "another body",
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/ErrorDetail"}}}
        });
    }));
    let output = workspace.codegen(&[]);
    workspace.assert_refused(&output, "progenitor failed on an unsupported construct");
}

#[test]
fn check_on_a_fresh_file_exits_zero() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_text());
    assert!(workspace.codegen(&[]).status.success());
    let output = workspace.codegen(&["--check"]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn check_on_a_stale_file_prints_a_diff_and_the_hint() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_text());
    let output = workspace.codegen(&["--check"]);
    assert!(!output.status.success());
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(stdout.contains("--- "), "a unified diff: {stdout}");
    assert!(
        stdout.contains("+// @generated by cargo xtask codegen"),
        "{stdout}"
    );
    assert!(
        stdout.contains(&format!("-{}", SENTINEL.trim_end())),
        "{stdout}"
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(
        stderr.lines().last(),
        Some("run `cargo xtask codegen` to update")
    );
    let out = std::fs::read_to_string(workspace.out()).expect("the output exists");
    assert_eq!(out, SENTINEL, "--check must not write");
}

#[test]
fn two_runs_write_identical_bytes() {
    let first = Workspace::new();
    first.write_spec(&committed_spec_text());
    assert!(first.codegen(&[]).status.success());
    let second = Workspace::new();
    second.write_spec(&committed_spec_text());
    assert!(second.codegen(&[]).status.success());
    let a = std::fs::read(first.out()).expect("first output");
    let b = std::fs::read(second.out()).expect("second output");
    assert!(a == b, "two processes generated different code");
    // A second run over an up-to-date file leaves it alone.
    let again = first.codegen(&[]);
    assert!(String::from_utf8_lossy(&again.stdout).contains("already up to date"));
}

/// A string `pattern` (FastAPI emits them) must not make the client need
/// the `regress` crate, which it does not depend on: the generated code
/// would not compile. A property named `pattern` is still generated.
#[test]
fn a_string_pattern_needs_no_regex_crate() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_with(|spec| {
        let properties = &mut spec["components"]["schemas"]["CreateUserRequest"]["properties"];
        properties["custom_user_id"]["pattern"] = serde_json::json!("^[a-z0-9_-]+$");
        properties["pattern"] = serde_json::json!({"type": "string", "pattern": "^a"});
    }));
    let output = workspace.codegen(&[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = std::fs::read_to_string(workspace.out()).expect("the output exists");
    assert!(!out.contains("regress"), "the client needs regress");
    assert!(
        out.contains("pub pattern:"),
        "the property named pattern is gone"
    );
}

/// Properties that typify names alike (`self`/`Self`, `''`/`_`) would give
/// a struct with two fields of one name, which does not compile: refused
/// before anything is written, naming both.
#[test]
fn properties_that_become_one_field_are_refused() {
    for (first, second) in [("self", "Self"), ("", "_")] {
        let workspace = Workspace::new();
        workspace.write_spec(&committed_spec_with(|spec| {
            let properties = &mut spec["components"]["schemas"]["CreateUserRequest"]["properties"];
            properties[first] = serde_json::json!({"type": "string"});
            properties[second] = serde_json::json!({"type": "string"});
        }));
        let output = workspace.codegen(&[]);
        workspace.assert_refused(&output, "would both become the Rust field");
        let stderr = String::from_utf8_lossy(&output.stderr);
        for name in [first, second] {
            assert!(stderr.contains(&format!("{name:?}")), "{stderr}");
        }
    }
}

/// A new enum value `unknown` (the catch-all is `Unknown`) or one that
/// differs only in punctuation from another imports: it gets the first
/// free numbered variant, and the earlier names stay.
#[test]
fn enum_values_named_alike_get_distinct_variants() {
    let workspace = Workspace::new();
    workspace.write_spec(&committed_spec_with(|spec| {
        let values = spec["components"]["schemas"]["DateRangeFilterType"]["enum"]
            .as_array_mut()
            .expect("an enum");
        values.push(serde_json::json!("unknown"));
        values.push(serde_json::json!("event-date"));
    }));
    let output = workspace.codegen(&[]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let out = std::fs::read_to_string(workspace.out()).expect("the output exists");
    let file = syn::parse_file(&out).expect("the output parses");
    let out = quote::quote!(#file).to_string();
    for expected in [
        "EventDate ,",
        "Unknown2 ,",
        "EventDate2 ,",
        "Unknown (UnknownValue)",
        "\"unknown\" => Self :: Unknown2",
        "\"event-date\" => Self :: EventDate2",
    ] {
        assert!(out.contains(expected), "{expected:?} missing");
    }
}
