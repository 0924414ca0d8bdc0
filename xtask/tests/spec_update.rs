//! `cargo xtask spec update` against a temp copy of the workspace files: the
//! FastAPI-style 3.1 fixture imports into exactly the hand-written spec, a
//! URL is fetched from a loopback server, and bad input changes no file.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use xtask::codegen::Freshness;
use xtask::spec_diff::{self, Rule};
use xtask::spec_update::{self, Options, Targets};

const PROVENANCE_SENTINEL: &str = "{\"source\": \"the previous import\"}\n";
const GENERATED_SENTINEL: &str = "// the committed client, which a failed run must not touch\n";

fn fastapi_fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fastapi_openapi.json")
}

fn fastapi_fixture_with(edit: impl FnOnce(&mut serde_json::Value)) -> String {
    let text = std::fs::read_to_string(fastapi_fixture()).expect("the fixture is readable");
    let mut document: serde_json::Value = serde_json::from_str(&text).expect("the fixture is JSON");
    edit(&mut document);
    serde_json::to_string_pretty(&document).expect("JSON serializes")
}

/// A temp copy of the three files `spec update` touches: the committed spec,
/// and sentinels for the provenance record and the generated client.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let workspace = Self::without_spec();
        std::fs::copy(xtask::paths::spec(), workspace.spec()).expect("the spec copies");
        workspace
    }

    fn without_spec() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        std::fs::create_dir_all(dir.path().join("openapi")).expect("writable");
        std::fs::create_dir_all(dir.path().join("src")).expect("writable");
        let workspace = Workspace { dir };
        std::fs::write(workspace.provenance(), PROVENANCE_SENTINEL).expect("writable");
        std::fs::write(workspace.generated(), GENERATED_SENTINEL).expect("writable");
        workspace
    }

    fn spec(&self) -> PathBuf {
        self.dir.path().join("openapi/recallr.json")
    }

    fn provenance(&self) -> PathBuf {
        self.dir.path().join("openapi/recallr.provenance.json")
    }

    fn generated(&self) -> PathBuf {
        self.dir.path().join("src/lib.rs")
    }

    fn targets(&self) -> Targets {
        Targets {
            spec: self.spec(),
            provenance: self.provenance(),
            generated: self.generated(),
        }
    }

    fn write_upstream(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("upstream.json");
        std::fs::write(&path, text).expect("writable");
        path
    }

    /// Every file under the temp dir except the upstream document, with its
    /// bytes.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir)
                .expect("listable")
                .filter_map(Result::ok)
            {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, into);
                } else if path.file_name().is_some_and(|name| name != "upstream.json") {
                    into.insert(path.clone(), std::fs::read(&path).expect("readable"));
                }
            }
        }
        let mut files = BTreeMap::new();
        walk(self.dir.path(), &mut files);
        files
    }

    fn update(&self, from: &str, extra: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["spec", "update", "--from", from])
            .arg("--spec")
            .arg(self.spec())
            .arg("--provenance")
            .arg(self.provenance())
            .arg("--out")
            .arg(self.generated())
            .args(extra)
            .output()
            .expect("the xtask binary runs")
    }

    /// A refused run exits 2 with one `error:` line (plus the note that
    /// nothing changed), and every file is as it was.
    fn assert_refused(&self, from: &str, extra: &[&str], expected: &[&str]) {
        let before = self.files();
        let output = self.update(from, extra);
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert_eq!(output.status.code(), Some(2), "{stderr}");
        let first = stderr.lines().next().unwrap_or_default();
        assert!(first.starts_with("error: "), "{stderr}");
        for part in expected {
            assert!(first.contains(part), "expected {part:?} in: {stderr}");
        }
        assert!(!stderr.contains("panicked"), "{stderr}");
        assert!(
            self.files() == before,
            "a refused run changed files: {stderr}"
        );
    }
}

fn options(from: &Path, keep: Option<&[&str]>) -> Options {
    Options {
        from: from.display().to_string(),
        keep: keep.map(|ids| ids.iter().map(|id| id.to_string()).collect()),
        timeout: Duration::from_secs(10),
    }
}

#[test]
fn the_fastapi_document_imports_into_the_hand_written_spec() {
    let workspace = Workspace::new();
    let plan = spec_update::plan(&options(&fastapi_fixture(), None), &workspace.targets())
        .expect("the fixture imports");
    assert_eq!(
        plan.operations,
        ["list_sessions"],
        "kept by default: the spec's operations"
    );
    assert_eq!(plan.changes, [], "the report against the current spec");
    spec_update::apply(&plan, &workspace.targets()).expect("the files are written");

    // `spec diff` agrees, both ways, on the files.
    let committed = xtask::paths::spec();
    assert_eq!(
        spec_diff::diff_files(&committed, &workspace.spec()).ok(),
        Some(vec![])
    );
    assert_eq!(
        spec_diff::diff_files(&workspace.spec(), &committed).ok(),
        Some(vec![])
    );

    // The written spec is 3.0.3 with only what list_sessions reaches.
    let written: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace.spec()).expect("written"))
            .expect("JSON");
    assert_eq!(written["openapi"], "3.0.3");
    let schemas: Vec<&String> = written["components"]["schemas"]
        .as_object()
        .map(|schemas| schemas.keys().collect())
        .unwrap_or_default();
    assert_eq!(
        schemas,
        [
            "ErrorDetail",
            "HTTPValidationError",
            "SessionInfo",
            "SessionList",
            "SessionStatus",
            "ValidationError"
        ]
    );
    let text = std::fs::read_to_string(workspace.spec()).expect("written");
    assert!(text.ends_with("}\n") && text.starts_with("{\n  \"openapi\": \"3.0.3\",\n  \"info\""));
    assert!(
        !text.contains("\"title\": \"Offset\""),
        "property titles are dropped"
    );

    // The generated client is what `cargo xtask codegen` makes of the spec.
    assert_eq!(
        xtask::check(&workspace.spec(), &workspace.generated()).ok(),
        Some(Freshness::Fresh)
    );

    let provenance: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace.provenance()).expect("written"))
            .expect("JSON");
    let fixture_bytes = std::fs::read(fastapi_fixture()).expect("readable");
    assert_eq!(
        provenance["source"],
        fastapi_fixture().display().to_string()
    );
    assert_eq!(
        provenance["sha256"],
        spec_update::provenance::sha256_hex(&fixture_bytes)
    );
    assert_eq!(provenance["upstream_openapi"], "3.1.0");
    assert_eq!(
        provenance["operations"],
        serde_json::json!(["list_sessions"])
    );
    let fetched_at = provenance["fetched_at"].as_str().unwrap_or_default();
    assert!(
        chrono::DateTime::parse_from_rfc3339(fetched_at).is_ok(),
        "{fetched_at}"
    );
}

#[test]
fn importing_twice_gives_the_same_bytes_and_no_changes() {
    let workspace = Workspace::without_spec();
    let targets = workspace.targets();
    let first = spec_update::plan(
        &options(&fastapi_fixture(), Some(&["list_sessions"])),
        &targets,
    )
    .expect("imports");
    // Without a current spec, everything is new.
    let rules: Vec<Rule> = first.changes.iter().map(|change| change.rule).collect();
    assert_eq!(rules, [Rule::PathAdded]);
    spec_update::apply(&first, &targets).expect("written");
    let second = spec_update::plan(&options(&fastapi_fixture(), None), &targets).expect("imports");
    assert_eq!(second.changes, []);
    assert_eq!(second.spec_text, first.spec_text);
    assert_eq!(second.generated_text, first.generated_text);
}

#[test]
fn what_fastapi_would_say_differently_shows_up_in_the_report() {
    // The fixture follows the hand-written spec where FastAPI's defaults
    // differ; put FastAPI's defaults back and the report names each one.
    let workspace = Workspace::new();
    let upstream = workspace.write_upstream(&fastapi_fixture_with(|document| {
        let schemas = &mut document["components"]["schemas"];
        schemas["SessionInfo"]["properties"]["status"] = serde_json::json!({
            "anyOf": [{"$ref": "#/components/schemas/SessionStatus"}, {"type": "null"}],
            "default": null
        });
        schemas["SessionInfo"]["additionalProperties"] = serde_json::json!(true);
        if let Some(error) = schemas["HTTPValidationError"].as_object_mut() {
            error.remove("required");
        }
    }));
    let plan = spec_update::plan(&options(&upstream, None), &workspace.targets()).expect("imports");
    // (`default: null` reads as no default, so it is not a change.)
    let mut rules: Vec<(&str, &str)> = plan
        .changes
        .iter()
        .map(|change| {
            let tail = change.pointer.rsplit("/schema/").next().unwrap_or_default();
            (change.rule.id(), tail)
        })
        .collect();
    rules.sort();
    assert_eq!(
        rules,
        [
            (
                "additional-properties-changed",
                "properties/sessions/items/additionalProperties"
            ),
            (
                "response-property-became-nullable",
                "properties/sessions/items/properties/status/nullable"
            ),
            ("response-property-became-optional", "properties/detail"),
        ]
    );
}

/// A loopback HTTP server that answers `requests` requests with `status`
/// and `body`, then stops.
fn serve(status: &'static str, body: Vec<u8>, requests: usize) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("bound");
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else {
                continue;
            };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut request = Vec::new();
            let mut buffer = [0u8; 1024];
            while !request.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => request.extend_from_slice(&buffer[..read]),
                }
            }
            let head = format!(
                "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    format!("http://{address}/openapi.json")
}

#[test]
fn update_from_a_url_fetches_from_a_loopback_server() {
    let workspace = Workspace::new();
    let bytes = std::fs::read(fastapi_fixture()).expect("readable");
    let url = serve("200 OK", bytes.clone(), 1);
    let output = workspace.update(&url, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(stdout.contains("no changes"), "{stdout}");
    assert!(
        stdout.contains(&format!("wrote {}", workspace.spec().display())),
        "{stdout}"
    );

    let provenance: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(workspace.provenance()).expect("written"))
            .expect("JSON");
    assert_eq!(provenance["source"], url);
    assert_eq!(
        provenance["sha256"],
        spec_update::provenance::sha256_hex(&bytes)
    );
    assert_eq!(
        spec_diff::diff_files(&xtask::paths::spec(), &workspace.spec()).ok(),
        Some(vec![])
    );
}

#[test]
fn a_url_that_answers_an_error_status_is_refused() {
    let workspace = Workspace::new();
    let url = serve("404 Not Found", b"{\"detail\": \"Not Found\"}".to_vec(), 1);
    workspace.assert_refused(
        &url,
        &[],
        &[&format!("cannot fetch {url}"), "HTTP 404 Not Found"],
    );
}

#[test]
fn a_url_nobody_listens_on_is_refused() {
    let workspace = Workspace::new();
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let url = format!("http://127.0.0.1:{port}/openapi.json");
    workspace.assert_refused(&url, &[], &[&format!("cannot fetch {url}")]);
}

#[test]
fn bad_upstream_documents_are_refused_and_nothing_is_written() {
    let workspace = Workspace::new();
    let missing = workspace.dir.path().join("nowhere.json");
    workspace.assert_refused(
        &missing.display().to_string(),
        &[],
        &["nowhere.json", "cannot read"],
    );

    let broken = workspace.write_upstream("{\n  \"openapi\": \"3.1.0\",\n  \"info\": {,\n}\n");
    workspace.assert_refused(
        &broken.display().to_string(),
        &[],
        &["upstream.json:3:12", "invalid JSON"],
    );

    let list = workspace.write_upstream("[1, 2, 3]");
    workspace.assert_refused(
        &list.display().to_string(),
        &[],
        &["upstream.json", "not an OpenAPI document"],
    );

    let swagger = workspace.write_upstream("{\"swagger\": \"2.0\", \"info\": {}}");
    workspace.assert_refused(&swagger.display().to_string(), &[], &["Swagger 2.0"]);
}

#[test]
fn a_3_1_construct_with_no_3_0_form_is_refused_with_its_pointer() {
    let workspace = Workspace::new();
    let fixture = fastapi_fixture().display().to_string();
    // add_message's body holds a tuple (`prefixItems`): refused once kept...
    workspace.assert_refused(
        &fixture,
        &["--keep", "list_sessions,add_message"],
        &[
            "fastapi_openapi.json",
            "cannot convert to OpenAPI 3.0.3",
            "`/components/schemas/MessageCreate/properties/span/prefixItems`",
            "`prefixItems` has no OpenAPI 3.0 form",
        ],
    );
    // ...and harmless while pruned away (the default run imports it).
    let upstream = workspace.write_upstream(&fastapi_fixture_with(|document| {
        document["components"]["schemas"]["SessionList"]["properties"]["total"]["type"] =
            serde_json::json!(["integer", "string"]);
    }));
    workspace.assert_refused(
        &upstream.display().to_string(),
        &[],
        &[
            "`/components/schemas/SessionList/properties/total/type`",
            "several non-null types (integer, string)",
        ],
    );
}

#[test]
fn unknown_keep_ids_are_refused_naming_the_available_ones() {
    let workspace = Workspace::new();
    workspace.assert_refused(
        &fastapi_fixture().display().to_string(),
        &["--keep", "list_sessions,delete_everything"],
        &[
            "no operation has the operationId `delete_everything`",
            "`create_user`, `get_user`, `list_sessions`, `add_message`",
        ],
    );
}

#[test]
fn dry_run_prints_the_report_and_writes_nothing() {
    let workspace = Workspace::new();
    let before = workspace.files();
    let upstream =
        workspace.write_upstream(&fastapi_fixture_with(|document| {
            document["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["parameters"][2]
                ["schema"]["maximum"] = serde_json::json!(50);
        }));
    let output = workspace.update(&upstream.display().to_string(), &["--dry-run"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains(
            "breaking  request-range-tightened  /paths/~1api~1v1~1users~1{custom_user_id}~1sessions/get/parameters/limit/schema/maximum"
        ),
        "{stdout}"
    );
    assert!(stdout.contains("dry run: nothing written"), "{stdout}");
    assert!(workspace.files() == before, "--dry-run wrote files");
}

#[test]
fn a_failed_write_restores_the_files_already_written() {
    let workspace = Workspace::new();
    let plan = spec_update::plan(&options(&fastapi_fixture(), None), &workspace.targets())
        .expect("the fixture imports");
    let before = workspace.files();
    // The generated file's folder cannot be created: the spec and the
    // provenance record are written first, then the last step fails.
    let mut targets = workspace.targets();
    let blocker = workspace.dir.path().join("blocker");
    std::fs::write(&blocker, "a file where a folder should be").expect("writable");
    targets.generated = blocker.join("lib.rs");
    let error = spec_update::apply(&plan, &targets)
        .err()
        .map(|err| err.to_string());
    assert!(error.is_some_and(|message| message.contains("blocker")));
    let mut after = workspace.files();
    after.remove(&blocker);
    assert!(after == before, "a failed update left changed files");
}
