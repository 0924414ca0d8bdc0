//! `recallr-ext`'s generated surface: a new upstream operation gets its
//! handle method, request object and data with no hand-written change, and
//! a bad overlay declaration is an error naming it.

use std::path::PathBuf;

use serde_json::{Value, json};
use xtask::codegen;
use xtask::codegen::ext_surface;
use xtask::paths;
use xtask::spec::{self, Spec};

fn committed() -> Value {
    let text = std::fs::read_to_string(paths::spec()).expect("the committed spec reads");
    serde_json::from_str(&text).expect("the committed spec is JSON")
}

fn surface_of(document: &Value) -> Result<String, String> {
    let path = PathBuf::from("recallr.json");
    let text = serde_json::to_string_pretty(document).expect("JSON serializes");
    let spec = Spec {
        document: spec::parse(&path, &text).map_err(|err| err.to_string())?,
        path,
        text,
    };
    let client = codegen::render(&spec).map_err(|err| err.to_string())?;
    ext_surface::render(&spec, &client)
}

const SESSION_PATH: &str = "/api/v1/users/{custom_user_id}/sessions/{session_id}";

/// The vendor adds a paged list of summaries and a plain POST.
fn with_new_operations() -> Value {
    let mut document = committed();
    let parameters = document["paths"][SESSION_PATH]["get"]["parameters"]
        .as_array()
        .expect("get_session has parameters")
        .iter()
        .filter(|parameter| parameter["in"] == "path")
        .cloned()
        .collect::<Vec<_>>();
    let mut list_parameters = parameters.clone();
    for name in ["offset", "limit"] {
        list_parameters.push(json!({"name": name, "in": "query", "required": false,
            "schema": {"type": "integer", "minimum": 0}}));
    }
    document["paths"][format!("{SESSION_PATH}/summaries")] = json!({"get": {
        "operationId": "list_summaries_api_v1_users__custom_user_id__sessions__session_id__summaries_get",
        "parameters": list_parameters,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "type": "object", "required": ["summaries", "total", "has_more"],
            "properties": {
                "summaries": {"type": "array", "items": {"type": "string"}},
                "total": {"type": "integer"},
                "has_more": {"type": "boolean"}}}}}}}
    }});
    document["paths"][format!("{SESSION_PATH}/archive")] = json!({"post": {
        "operationId": "archive_session",
        "parameters": parameters,
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {
            "$ref": "#/components/schemas/DetailResponse"}}}}}
    }});
    document
}

#[test]
fn a_new_upstream_operation_gets_its_surface_with_no_hand_written_change() {
    let document = with_new_operations();
    let surface = surface_of(&document).expect("the surface generates");
    // Named for `spec update`, so that a declaration can upgrade it.
    let parsed: openapiv3::OpenAPI =
        serde_json::from_value(document.clone()).expect("an OpenAPI 3.0 document");
    let undeclared = ext_surface::undeclared_paged_lists(&parsed);
    assert_eq!(undeclared.len(), 1, "{undeclared:?}");
    assert!(undeclared[0].1.ends_with("/summaries"), "{undeclared:?}");
    // Reached from the session handle, named after its path.
    assert!(surface.contains("pub fn summaries("), "{surface}");
    assert!(
        surface.contains("pub struct ListSummariesApiV1"),
        "{surface}"
    );
    assert!(
        surface.contains("pub fn archive(&self) -> ArchiveSession"),
        "{surface}"
    );
    // Paged by its shape, with the weakest guarantee; a POST retried only unsent.
    let summaries = surface
        .split("pub const LIST_SUMMARIES")
        .nth(1)
        .expect("the list's data");
    assert!(summaries.contains("declared: false"), "{summaries}");
    // Its bounds are checked against the facts module the client has.
    let client = {
        let path = PathBuf::from("recallr.json");
        let text = serde_json::to_string_pretty(&document).expect("JSON serializes");
        let spec = Spec {
            document: spec::parse(&path, &text).expect("parses"),
            path,
            text,
        };
        codegen::render(&spec).expect("the client generates")
    };
    let module = "list_summaries_api_v1_users_custom_user_id_sessions_session_id_summaries_get";
    assert!(
        client.contains(&format!("pub mod {module}")),
        "facts module"
    );
    assert!(
        surface.contains(&format!("recallr_api::facts::{module}::OFFSET_MIN")),
        "the surface names the facts the client has"
    );
    assert!(summaries.contains("Unordered"), "{summaries}");
    let archive = surface
        .split("pub const ARCHIVE_SESSION")
        .nth(1)
        .expect("the POST's data");
    assert!(
        archive.contains("RetryRule::UnsentOnly"),
        "{}",
        &archive[..300.min(archive.len())]
    );
}

#[test]
fn bad_declarations_are_errors_naming_them() {
    let path = "/api/v1/users/{custom_user_id}/sessions";
    let mut document = committed();
    document["paths"][path]["get"]["x-recallr-pagination"]["items"] = json!("nope");
    let error = surface_of(&document).expect_err("no such field");
    assert!(
        error.contains("list_sessions") && error.contains("`nope`"),
        "{error}"
    );

    let mut document = committed();
    document["paths"][path]["get"]["x-recallr-pagination"]["order"]["key"] = json!("updated_at");
    let error = surface_of(&document).expect_err("no such item field");
    assert!(error.contains("`updated_at`"), "{error}");

    let mut document = committed();
    document["paths"][path]["post"]["x-recallr-retry"] = json!("sometimes");
    let error = surface_of(&document).expect_err("not a retry rule");
    assert!(
        error.contains("create_session") && error.contains("x-recallr-retry"),
        "{error}"
    );
}

#[test]
fn the_retry_override_is_read() {
    let path = "/api/v1/users/{custom_user_id}/sessions/{session_id}/process";
    let mut document = committed();
    document["paths"][path]["post"]["x-recallr-retry"] = json!("safe");
    let surface = surface_of(&document).expect("the surface generates");
    let process = surface
        .split("pub const PROCESS_SESSION")
        .nth(1)
        .expect("the data");
    assert!(
        process[..400.min(process.len())].contains("RetryRule::Idempotent"),
        "{process}"
    );
}
