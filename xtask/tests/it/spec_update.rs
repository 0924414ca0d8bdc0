//! `cargo xtask spec update` on a temp copy of the workspace's spec layers:
//! the committed upstream document adopts with no change and writes
//! nothing, operations are matched by method and path through renames,
//! upstream changes flow into the spec and the generated facts, a stale
//! overlay action stops the update, and bad input changes no file.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::Command;
use std::time::Duration;

use crate::common::{TempWorkspace as Workspace, serve};
use serde_json::{Value, json};
use xtask::paths;

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
    let before_spec = workspace.read(workspace.layout().spec());
    let before_client = workspace.read(workspace.layout().generated());
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
    assert_eq!(workspace.read(workspace.layout().spec()), before_spec);
    assert_eq!(
        workspace.read(workspace.layout().generated()),
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
        // Every session answer reaches it, so it is reported once, where it is.
        "/components/schemas/SessionInfo/properties/plan",
        "archived",
        "0 breaking",
    ] {
        assert!(
            stdout.contains(expected),
            "expected {expected:?} in:\n{stdout}"
        );
    }
    let client = workspace.read(workspace.layout().generated());
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
        xtask::derive::check_workspace(&workspace.layout()).ok(),
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
        serde_json::from_str(&workspace.read(workspace.layout().provenance())).expect("JSON");
    // The rule is recorded, not the list it gives today.
    assert_eq!(provenance["keep"], serde_json::json!(["all"]));
    let client = workspace.read(workspace.layout().generated());
    assert!(client.contains("pub fn list_sessions(") && client.contains("pub struct SessionList"));
    assert!(
        client.contains("pub fn forward_api_v1_forward_target_url_post("),
        "`all` keeps the forward proxy too"
    );
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
        xtask::derive::check_workspace(&layout).ok(),
        Some(xtask::Freshness::Fresh)
    );
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
    let provenance_text = workspace.read(workspace.layout().provenance());
    assert!(
        !provenance_text.contains("hunter2") && !provenance_text.contains("s3cret"),
        "{provenance_text}"
    );
    let provenance: Value = serde_json::from_str(&provenance_text).expect("JSON");
    // A redacted URL could not be fetched again: not recorded as one.
    let source = provenance["source"].as_str().expect("a source");
    assert_eq!(
        source,
        format!(
            "not recorded: a URL with credentials ({url}?access_token=REDACTED); the sync reads it from RECALLR_OPENAPI_URL"
        )
    );
    assert!(!source.starts_with("http"));
    assert_eq!(
        provenance["sha256"],
        xtask::derive::provenance::sha256_hex(&bytes)
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
    let old_spec = workspace.read(layout.spec());
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
            // The lock file stays (ignored by git); nothing else may.
            .filter(|name| name.starts_with('.') && name != xtask::transaction::LOCK)
            .collect();
        assert!(leftovers.is_empty(), "left behind: {leftovers:?}");
        let new = workspace.read(layout.spec()) != old_spec;
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

/// The upstream document's `metadata_filter` parameter (index 5).
fn metadata_filter(document: &mut Value) -> &mut Value {
    let parameter = &mut list_operation(document)["parameters"][5];
    assert_eq!(parameter["name"], "metadata_filter");
    parameter
}

const METADATA_FILTER: &str =
    "/paths/~1api~1v1~1users~1{custom_user_id}~1sessions/get/parameters/5";

#[test]
fn a_parameter_examples_array_imports_with_a_warning_naming_it() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        metadata_filter(document)["examples"] = json!(["{\"topic\": \"billing\"}"]);
    });
    let stdout = workspace.update_ok(&from, &["--no-semver-checks"]);
    assert!(
        stdout.contains(&format!(
            "warning: {}: `{METADATA_FILTER}/examples`: an array where OpenAPI wants a map of Example objects; its first value is now `example`",
            from.display()
        )),
        "{stdout}"
    );
    let spec: Value = serde_json::from_str(&workspace.read(paths::SPEC)).expect("JSON");
    let parameter = &spec["paths"]["/api/v1/users/{custom_user_id}/sessions"]["get"]["parameters"]
        .as_array()
        .expect("parameters")
        .iter()
        .find(|parameter| parameter["name"] == "metadata_filter")
        .cloned()
        .expect("metadata_filter");
    assert_eq!(parameter["example"], "{\"topic\": \"billing\"}");
}

#[test]
fn a_malformed_upstream_document_is_refused_with_a_pointer_into_it() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        metadata_filter(document)["examples"] = json!("billing");
    });
    let from = from.display().to_string();
    workspace.assert_refused(
        &from,
        &[],
        &[
            &format!("error: {from}: `{METADATA_FILTER}/examples`"),
            "expected a map of Example objects, found a string (checked as OpenAPI 3.1.0)",
        ],
    );
    let output = workspace.update(&from, &["--dry-run"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("recallr.json"), "{stderr}");
}

#[test]
fn an_overlay_action_that_breaks_the_document_is_named() {
    let workspace = Workspace::new();
    let overlay = workspace.layout().overlay();
    let mut text = workspace.read(&overlay);
    text.push_str(
        "  - target: \"$.paths['/api/v1/users/{custom_user_id}/sessions'].get.parameters[?@.name == 'limit']\"\n    description: A broken action.\n    update:\n      required: \"yes\"\n",
    );
    std::fs::write(&overlay, text).expect("writable");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["codegen", "--check", "--root"])
        .arg(workspace.dir.path())
        .output()
        .expect("the xtask binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("overlay.yaml: action ")
            && stderr.contains("(\"A broken action.\") leaves the document invalid (as OpenAPI 3.0, after the overlay) at `/paths/~1api~1v1~1users~1{custom_user_id}~1sessions/get/parameters/2/required`: expected a boolean, found a string"),
        "{stderr}"
    );
}

#[test]
fn absurd_page_size_bounds_are_refused_at_import_naming_the_parameter() {
    let workspace = Workspace::new();
    for maximum in [json!(1_000_000_000_000_i64), json!(0)] {
        let from = workspace.changed_upstream(|document| {
            let limit = &mut list_operation(document)["parameters"][4];
            assert_eq!(limit["name"], "limit");
            limit["schema"]["maximum"] = maximum.clone();
        });
        let from = from.display().to_string();
        workspace.assert_refused(
            &from,
            &[],
            &[
                &format!(
                    "error: {from}: `/paths/~1api~1v1~1users~1{{custom_user_id}}~1sessions/get/parameters/4`: query parameter \"limit\": its maximum {maximum}"
                ),
                "0 ≤ minimum ≤ default ≤ maximum ≤ 10000",
            ],
        );
    }
}

#[test]
fn the_upstream_document_may_not_use_our_extensions() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        document["components"]["schemas"]["SessionInfo"]["x-recallr-name"] = json!("Hijacked");
    });
    let from = from.display().to_string();
    workspace.assert_refused(
        &from,
        &[],
        &[&format!(
            "error: {from}: `/components/schemas/SessionInfo/x-recallr-name`: `x-recallr-name` is an extension of our overlay"
        )],
    );
}

#[test]
fn a_document_past_the_supported_size_is_refused_before_generation() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        let schemas = document["components"]["schemas"]
            .as_object_mut()
            .expect("schemas");
        let mut properties = serde_json::Map::new();
        for index in 0..2_001 {
            let name = format!("Extra{index}");
            schemas.insert(name.clone(), json!({"type": "object", "title": name}));
            properties.insert(
                format!("extra_{index}"),
                json!({"$ref": format!("#/components/schemas/{name}")}),
            );
        }
        let session = &mut document["components"]["schemas"]["SessionInfo"]["properties"];
        session
            .as_object_mut()
            .expect("properties")
            .extend(properties);
    });
    let from = from.display().to_string();
    workspace.assert_refused(
        &from,
        &["--no-semver-checks"],
        &[
            &format!("error: {from}: the kept operations reach"),
            "component schemas; at most 2000 are supported",
        ],
    );
}

#[test]
fn a_lookalike_name_is_reported() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        document["components"]["schemas"]["SessionInfo"]["properties"]["session_\u{456}d"] =
            json!({"type": "string"});
    });
    let stdout = workspace.update_ok(&from, &["--dry-run", "--no-semver-checks"]);
    assert!(
        stdout.contains("/components/schemas/SessionInfo/properties/session_\u{456}d`: the name \"session_\u{456}d\" has non-ASCII characters (U+0456)"),
        "{stdout}"
    );
}

#[test]
fn a_second_writer_waits_for_the_first() {
    use std::io::BufRead;
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        metadata_filter(document)["description"] = json!("Changed while locked.");
    });
    let held = xtask::transaction::Lock::acquire(&workspace.layout().openapi_dir(), |_| {
        panic!("nobody else holds the lock")
    })
    .expect("locked");
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["spec", "update", "--no-semver-checks", "--from"])
        .arg(&from)
        .arg("--root")
        .arg(workspace.dir.path())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("the xtask binary runs");
    let stderr = child.stderr.take().expect("piped");
    let mut first_line = String::new();
    std::io::BufReader::new(stderr)
        .read_line(&mut first_line)
        .expect("readable");
    // It says it waits, and has written nothing while the lock is held.
    assert!(
        first_line.starts_with("waiting for another cargo xtask run on this workspace to finish"),
        "{first_line}"
    );
    assert!(
        !workspace
            .read(paths::SPEC)
            .contains("Changed while locked.")
    );
    drop(held);
    let output = child.wait_with_output().expect("it finishes");
    assert!(output.status.success(), "{output:?}");
    assert!(
        workspace
            .read(paths::SPEC)
            .contains("Changed while locked.")
    );
}

/// A loopback server answering `GET path` from `routes` (status line, extra
/// headers, body) for up to `requests` requests; returns its origin and the
/// request heads it received.
fn serve_routes(
    routes: Vec<(&'static str, String, String, Vec<u8>)>,
    requests: usize,
) -> (String, std::sync::mpsc::Receiver<String>) {
    use std::io::{Read, Write};
    let listener = TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let origin = format!("http://{}", listener.local_addr().expect("bound"));
    let (sender, heads) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for stream in listener.incoming().take(requests) {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut head = Vec::new();
            let mut buffer = [0u8; 1024];
            while !head.windows(4).any(|window| window == b"\r\n\r\n") {
                match stream.read(&mut buffer) {
                    Ok(0) | Err(_) => break,
                    Ok(read) => head.extend_from_slice(&buffer[..read]),
                }
            }
            let head = String::from_utf8_lossy(&head).into_owned();
            let path = head.split(' ').nth(1).unwrap_or_default().to_string();
            let _ = sender.send(head);
            let (status, headers, body) = routes
                .iter()
                .find(|(route, ..)| path.starts_with(route))
                .map(|(_, status, headers, body)| (status.clone(), headers.clone(), body.clone()))
                .unwrap_or(("404 Not Found".to_string(), String::new(), Vec::new()));
            let reply = format!(
                "HTTP/1.1 {status}\r\n{headers}Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(reply.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    (origin, heads)
}

#[test]
fn redirects_are_followed_within_the_origin_only_and_send_no_referer() {
    let workspace = Workspace::new();
    let bytes = serde_json::to_vec(&workspace.upstream()).expect("serializes");
    // Another origin (a second port) that must never be asked.
    let (elsewhere, elsewhere_heads) = serve_routes(
        vec![("/", "200 OK".into(), String::new(), bytes.clone())],
        1,
    );
    let (origin, heads) = serve_routes(
        vec![
            (
                "/moved",
                "302 Found".into(),
                "Location: /doc\r\n".into(),
                Vec::new(),
            ),
            (
                "/away",
                "302 Found".into(),
                format!("Location: {elsewhere}/doc\r\n"),
                Vec::new(),
            ),
            ("/doc", "200 OK".into(), String::new(), bytes),
        ],
        3,
    );
    let stdout = workspace.update_ok(format!("{origin}/moved?jwt=abc.def"), &["--dry-run"]);
    assert!(!stdout.contains("abc.def"), "{stdout}");
    let first = heads.recv().expect("asked");
    let second = heads.recv().expect("asked again");
    assert!(second.starts_with("GET /doc "), "{second}");
    for head in [&first, &second] {
        assert!(
            !head.to_ascii_lowercase().contains("\r\nreferer:"),
            "{head}"
        );
    }

    workspace.assert_refused(
        &format!("{origin}/away"),
        &[],
        &["a redirect to another origin", "is refused"],
    );
    assert!(
        elsewhere_heads.try_recv().is_err(),
        "the other origin was asked"
    );
}

#[cfg(unix)]
#[test]
fn only_a_regular_file_is_read_as_the_document() {
    let workspace = Workspace::new();
    workspace.assert_refused("/dev/zero", &[], &["/dev/zero", "not a regular file"]);
    // Outside the workspace copy, whose files the check reads.
    let elsewhere = tempfile::tempdir().expect("a temp dir");
    let fifo = elsewhere.path().join("fifo");
    let made = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let fifo = fifo.display().to_string();
    workspace.assert_refused(&fifo, &[], &["not a regular file"]);
}

#[test]
fn a_query_parameter_whose_facts_clash_is_refused_naming_both() {
    let workspace = Workspace::new();
    let from = workspace.changed_upstream(|document| {
        list_operation(document)["parameters"]
            .as_array_mut()
            .expect("parameters")
            .push(json!({"name": "Limit", "in": "query", "required": false,
                         "schema": {"type": "integer", "minimum": 1, "maximum": 5}}));
    });
    let from = from.display().to_string();
    workspace.assert_refused(
        &from,
        &[],
        &["the query parameters \"limit\" and \"Limit\" of `list_sessions` would both be the facts constants `LIMIT_*`"],
    );
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
