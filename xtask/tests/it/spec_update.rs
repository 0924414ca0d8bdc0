//! `cargo xtask spec update` on a temp copy of the workspace's spec layers:
//! the committed upstream document adopts with no change and writes
//! nothing, operations are matched by method and path through renames,
//! upstream changes flow into the spec and the generated facts, a stale
//! overlay action stops the update, and bad input changes no file.

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::{Value, json};
use xtask::paths::{self, Workspace as Layout};

/// A temp copy of the files `spec update` reads and writes.
struct Workspace {
    dir: tempfile::TempDir,
}

impl Workspace {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let workspace = Workspace { dir };
        let real = Layout::current();
        let copy = workspace.layout();
        for (from, to) in real
            .written_files()
            .iter()
            .zip(copy.written_files())
            .chain([(&real.overlay(), copy.overlay())])
        {
            if let Some(parent) = to.parent() {
                std::fs::create_dir_all(parent).expect("writable");
            }
            std::fs::copy(from, &to).unwrap_or_else(|err| panic!("copy {}: {err}", from.display()));
        }
        workspace
    }

    fn layout(&self) -> Layout {
        Layout::at(self.dir.path())
    }

    fn upstream(&self) -> Value {
        serde_json::from_str(&std::fs::read_to_string(self.layout().upstream()).expect("readable"))
            .expect("JSON")
    }

    /// Writes a changed copy of the committed upstream document outside the
    /// workspace's files and returns its path.
    fn changed_upstream(&self, edit: impl FnOnce(&mut Value)) -> PathBuf {
        let mut document = self.upstream();
        edit(&mut document);
        let path = self.dir.path().join("new-upstream.json");
        std::fs::write(
            &path,
            serde_json::to_string_pretty(&document).expect("serializes"),
        )
        .expect("writable");
        path
    }

    fn read(&self, path: &Path) -> String {
        std::fs::read_to_string(path).unwrap_or_else(|err| panic!("{}: {err}", path.display()))
    }

    /// Every file of the workspace copy, with its bytes.
    fn files(&self) -> BTreeMap<PathBuf, Vec<u8>> {
        fn walk(dir: &Path, into: &mut BTreeMap<PathBuf, Vec<u8>>) {
            for entry in std::fs::read_dir(dir)
                .expect("listable")
                .filter_map(Result::ok)
            {
                let path = entry.path();
                if path.is_dir() {
                    walk(&path, into);
                } else if path
                    .file_name()
                    .is_some_and(|name| name != "new-upstream.json")
                {
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
            .args(["spec", "update", "--from", from, "--root"])
            .arg(self.dir.path())
            .args(extra)
            .output()
            .expect("the xtask binary runs")
    }

    fn update_ok(&self, from: &Path, extra: &[&str]) -> String {
        let output = self.update(&from.display().to_string(), extra);
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        stdout
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

    fn write_upstream(&self, text: &str) -> PathBuf {
        let path = self.dir.path().join("new-upstream.json");
        std::fs::write(&path, text).expect("writable");
        path
    }
}

const LIST: &str = "/api/v1/users/{custom_user_id}/sessions";

fn list_operation(document: &mut Value) -> &mut Value {
    &mut document["paths"][LIST]["get"]
}

#[test]
fn the_committed_upstream_document_adopts_with_no_change_and_writes_nothing() {
    let workspace = Workspace::new();
    let before = workspace.files();
    let from = workspace.layout().upstream();
    let stdout = workspace.update_ok(&from, &[]);
    assert!(stdout.contains("no change"), "{stdout}");
    assert!(
        workspace.files() == before,
        "an unchanged update wrote files"
    );
}

#[test]
fn the_same_document_reformatted_and_reordered_writes_nothing() {
    let workspace = Workspace::new();
    let before = workspace.files();
    // Compact, and with every object's keys reversed.
    fn reversed(value: &Value) -> String {
        match value {
            Value::Object(map) => {
                let entries: Vec<String> = map
                    .iter()
                    .rev()
                    .map(|(key, child)| {
                        format!("{}:{}", Value::String(key.clone()), reversed(child))
                    })
                    .collect();
                format!("{{{}}}", entries.join(","))
            }
            Value::Array(items) => format!(
                "[{}]",
                items.iter().map(reversed).collect::<Vec<_>>().join(",")
            ),
            leaf => leaf.to_string(),
        }
    }
    let path = workspace.write_upstream(&reversed(&workspace.upstream()));
    let stdout = workspace.update_ok(&path, &[]);
    assert!(stdout.contains("no change"), "{stdout}");
    assert!(
        workspace.files() == before,
        "a reformatted document wrote files"
    );
}

#[test]
fn an_operation_id_and_a_component_rename_change_no_generated_name() {
    let workspace = Workspace::new();
    let before_spec = workspace.read(&workspace.layout().spec());
    let before_client = workspace.read(&workspace.layout().generated());
    let path = workspace.changed_upstream(|document| {
        list_operation(document)["operationId"] = json!("list_user_sessions_v2_api_get");
        // Rename SessionListResponse -> SessionsPage, references included.
        let text = document.to_string().replace(
            "#/components/schemas/SessionListResponse",
            "#/components/schemas/SessionsPage",
        );
        *document = serde_json::from_str(&text).expect("JSON");
        let schemas = document["components"]["schemas"]
            .as_object_mut()
            .expect("schemas");
        let page = schemas
            .remove("SessionListResponse")
            .expect("the page schema");
        schemas.insert("SessionsPage".to_string(), page);
    });
    let stdout = workspace.update_ok(&path, &[]);
    assert!(
        stdout.contains("0 breaking") || stdout.contains("no changes"),
        "{stdout}"
    );
    assert!(
        !stdout.contains("no change:"),
        "the upstream document did change: {stdout}"
    );
    assert_eq!(workspace.read(&workspace.layout().spec()), before_spec);
    assert_eq!(
        workspace.read(&workspace.layout().generated()),
        before_client
    );
    // The new upstream document and its provenance were taken in.
    assert_eq!(
        workspace.upstream()["paths"][LIST]["get"]["operationId"],
        "list_user_sessions_v2_api_get"
    );
}

#[test]
fn upstream_changes_flow_into_the_spec_and_the_generated_facts() {
    let workspace = Workspace::new();
    let path = workspace.changed_upstream(|document| {
        let schemas = &mut document["components"]["schemas"];
        schemas["SessionInfo"]["properties"]["plan"] = json!({"type": "string", "title": "Plan"});
        schemas["ProjectUserSessionStatus"]["enum"]
            .as_array_mut()
            .expect("the status values")
            .push(json!("archived"));
        for parameter in list_operation(document)["parameters"]
            .as_array_mut()
            .expect("parameters")
        {
            if parameter["name"] == "limit" {
                parameter["schema"]["maximum"] = json!(200);
            }
        }
    });
    let stdout = workspace.update_ok(&path, &[]);
    for expected in [
        "response-property-added",
        "sessions[].plan",
        "archived",
        "0 breaking",
    ] {
        assert!(
            stdout.contains(expected),
            "expected {expected:?} in:\n{stdout}"
        );
    }
    let client = workspace.read(&workspace.layout().generated());
    for expected in [
        "pub const LIMIT_MAX: u64 = 200;",
        "\"archived\"",
        "pub plan: ::std::option::Option<::std::string::String>",
    ] {
        assert!(
            client.contains(expected),
            "expected {expected:?} in the client"
        );
    }
    // The update leaves a fresh workspace: codegen --check agrees.
    assert_eq!(
        xtask::codegen::check_workspace(&workspace.layout()).ok(),
        Some(xtask::Freshness::Fresh)
    );
    // A second run with the same document writes nothing.
    let before = workspace.files();
    let stdout = workspace.update_ok(&path, &[]);
    assert!(stdout.contains("no change"), "{stdout}");
    assert!(workspace.files() == before);
}

#[test]
fn a_stale_overlay_action_stops_the_update_naming_it() {
    let workspace = Workspace::new();
    // The path parameter is renamed: the overlay's targets by path no
    // longer apply.
    let path = workspace.changed_upstream(|document| {
        let paths = document["paths"].as_object_mut().expect("paths");
        let item = paths.remove(LIST).expect("the list path");
        paths.insert("/api/v1/users/{user_id}/sessions".to_string(), item);
    });
    workspace.assert_refused(
        &path.display().to_string(),
        &[],
        &["overlay.yaml", "action 0", "matches nothing"],
    );
}

#[test]
fn keep_accepts_ids_method_and_path_or_all() {
    let workspace = Workspace::new();
    let from = workspace.layout().upstream();
    let stdout = workspace.update_ok(
        &from,
        &["--dry-run", "--keep", "get /api/v1/users/{id}/sessions,create_session_api_v1_users__custom_user_id__sessions_post"],
    );
    assert!(stdout.contains("kept: GET /api/v1/users/{custom_user_id}/sessions, POST /api/v1/users/{custom_user_id}/sessions"), "{stdout}");
    let stdout = workspace.update_ok(&from, &["--keep", "all"]);
    assert!(stdout.contains("wrote"), "{stdout}");
    let provenance: Value =
        serde_json::from_str(&workspace.read(&workspace.layout().provenance())).expect("JSON");
    assert_eq!(provenance["operations"].as_array().map(Vec::len), Some(23));
    let client = workspace.read(&workspace.layout().generated());
    assert!(client.contains("pub fn list_sessions(") && client.contains("pub struct SessionList"));
    workspace.assert_refused(
        &from.display().to_string(),
        &["--keep", "DELETE /nowhere"],
        &["no operation matches `DELETE /nowhere`"],
    );
}

#[test]
fn dry_run_prints_the_report_and_writes_nothing() {
    let workspace = Workspace::new();
    let before = workspace.files();
    let path = workspace.changed_upstream(|document| {
        document["components"]["schemas"]["SessionInfo"]["properties"]
            .as_object_mut()
            .expect("properties")
            .remove("metadata");
    });
    let stdout = workspace.update_ok(&path, &["--dry-run"]);
    assert!(
        stdout.contains("response-property-removed") && stdout.contains("dry run: nothing written"),
        "{stdout}"
    );
    assert!(workspace.files() == before);
}

#[test]
fn an_interrupted_write_is_repaired_by_the_next_run_saying_so() {
    let workspace = Workspace::new();
    let layout = workspace.layout();
    // As if killed after staging the spec but before the commit point.
    let staged = layout.openapi_dir().join(".recallr.json.staged");
    std::fs::write(&staged, "half").expect("writable");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--root"])
        .arg(workspace.dir.path())
        .output()
        .expect("runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    assert!(
        stderr.contains("repaired") && stderr.contains("before it was committed"),
        "{stderr}"
    );
    assert!(!staged.exists());
    assert_eq!(
        xtask::codegen::check_workspace(&layout).ok(),
        Some(xtask::Freshness::Fresh)
    );
}

/// Serves `body` with `status` to the next `requests` requests on a
/// loopback port; returns its URL.
pub(crate) fn serve(status: &'static str, body: Vec<u8>, requests: usize) -> String {
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
fn update_from_a_url_records_it_without_credentials() {
    let workspace = Workspace::new();
    let mut document = workspace.upstream();
    document["info"]["description"] = json!("served");
    let bytes = serde_json::to_vec(&document).expect("serializes");
    let url = serve("200 OK", bytes.clone(), 1);
    let with_secrets = url.replacen("http://", "http://user:hunter2@", 1) + "?access_token=s3cret";
    let output = workspace.update(&with_secrets, &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        !stdout.contains("hunter2") && !stdout.contains("s3cret"),
        "{stdout}"
    );
    let provenance_text = workspace.read(&workspace.layout().provenance());
    assert!(
        !provenance_text.contains("hunter2") && !provenance_text.contains("s3cret"),
        "{provenance_text}"
    );
    let provenance: Value = serde_json::from_str(&provenance_text).expect("JSON");
    assert_eq!(provenance["source"], format!("{url}?access_token=REDACTED"));
    assert_eq!(
        provenance["sha256"],
        xtask::spec_update::provenance::sha256_hex(&bytes)
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
fn the_layer_paths_are_where_the_readme_says() {
    assert_eq!(paths::UPSTREAM, "openapi/upstream.json");
    assert_eq!(paths::OVERLAY, "openapi/overlay.yaml");
    assert_eq!(paths::SPEC, "openapi/recallr.json");
}

#[test]
fn a_killed_update_leaves_the_old_set_or_the_new_one() {
    let workspace = Workspace::new();
    let layout = workspace.layout();
    let old_spec = workspace.read(&layout.spec());
    let path = workspace.changed_upstream(|document| {
        document["components"]["schemas"]["SessionInfo"]["properties"]["plan"] =
            json!({"type": "string"});
    });
    let mut outcomes = BTreeMap::new();
    // Kill at a spread of moments, from before the fetch to after the last
    // rename; each time the next run must repair to one consistent set.
    for delay_ms in (0..=400).step_by(25) {
        let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["spec", "update", "--from"])
            .arg(&path)
            .arg("--root")
            .arg(workspace.dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("the xtask binary runs");
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill(); // SIGKILL on Unix: no destructor runs
        let _ = child.wait();
        // A plain codegen run repairs first, then writes only if needed.
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["codegen", "--root"])
            .arg(workspace.dir.path())
            .output()
            .expect("runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let stdout = String::from_utf8_lossy(&output.stdout);
        // After repair the set is consistent: codegen had nothing to write.
        assert!(
            stdout.contains("already up to date"),
            "after a kill at {delay_ms} ms the spec and the client disagreed: {stdout}"
        );
        let leftovers: Vec<String> = std::fs::read_dir(layout.openapi_dir())
            .expect("listable")
            .filter_map(Result::ok)
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .filter(|name| name.starts_with('.'))
            .collect();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
        let new = workspace.read(&layout.spec()) != old_spec;
        *outcomes.entry(new).or_insert(0) += 1;
        // Back to the old set for the next round.
        let restore = Workspace::new();
        for (from, to) in restore
            .layout()
            .written_files()
            .iter()
            .zip(layout.written_files())
        {
            std::fs::copy(from, &to).expect("restored");
        }
    }
    // How the kills fell (here about a third before the commit point) is
    // printed, not asserted: timing is the machine's. The kill at 0 ms lands
    // before anything is written, so the old set must have been seen.
    eprintln!("outcomes (new set?: count): {outcomes:?}");
    assert!(outcomes.contains_key(&false), "{outcomes:?}");
}

#[test]
fn a_new_list_paged_by_its_shape_is_named_for_a_pagination_declaration() {
    let workspace = Workspace::new();
    let before = workspace.files();
    let path = workspace.changed_upstream(|document| {
        let path_parameter = |name: &str, format: Option<&str>| {
            let mut schema = json!({"type": "string"});
            if let Some(format) = format {
                schema["format"] = json!(format);
            }
            json!({"name": name, "in": "path", "required": true, "schema": schema})
        };
        let query = |name: &str| {
            json!({"name": name, "in": "query", "required": false,
                "schema": {"type": "integer", "minimum": 0}})
        };
        document["paths"]["/api/v1/users/{custom_user_id}/sessions/{session_id}/summaries"] = json!({
            "get": {
                "operationId": "list_summaries_api_v1_get",
                "parameters": [
                    path_parameter("custom_user_id", None),
                    path_parameter("session_id", Some("uuid")),
                    query("offset"),
                    query("limit"),
                ],
                "responses": {"200": {"description": "ok", "content": {"application/json": {
                    "schema": {"type": "object", "required": ["summaries", "total"],
                        "properties": {
                            "summaries": {"type": "array", "items": {"type": "string"}},
                            "total": {"type": "integer"}}}}}}}
            }
        });
    });
    let stdout = workspace.update_ok(&path, &["--dry-run", "--no-semver-checks"]);
    assert!(
        stdout.contains("info: `list_summaries_api_v1_get`")
            && stdout.contains("/summaries")
            && stdout.contains("x-recallr-pagination"),
        "{stdout}"
    );
    assert!(workspace.files() == before);
}
