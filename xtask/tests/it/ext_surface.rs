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

#[test]
fn an_undeclared_paged_list_gets_a_positional_pager() {
    let surface = surface_of(&with_new_operations()).expect("the surface generates");
    // As one line: prettyplease may wrap a long `impl` header.
    let surface = surface.split_whitespace().collect::<Vec<_>>().join(" ");
    let list = surface
        .split("impl crate::pager::PagedList for ListSummaries")
        .nth(1)
        .expect("the undeclared list implements the pager's trait");
    let list = &list[..list.find(" impl ").unwrap_or(list.len())];
    // No order and no unique field: pages end to end, nothing to dedupe by.
    assert!(list.contains("Order::Positional"), "{list}");
    assert!(list.contains("type Id = ();"), "{list}");
    assert!(list.contains("items: list.summaries"), "{list}");
    assert!(
        surface.contains("pub fn items(self) -> crate::ItemStream<::std::string::String>"),
        "its streams yield the generated item type"
    );
    // Its request object gets the walk's settings.
    let request = surface
        .split("pub struct ListSummaries")
        .nth(1)
        .expect("the request object");
    for method in ["page_size", "max_items", "concurrency", "pages"] {
        assert!(request.contains(&format!("pub fn {method}(")), "{method}");
    }
}

#[test]
fn the_declared_lists_get_the_walk_their_order_allows() {
    let surface = surface_of(&committed()).expect("the surface generates");
    let list = |name: &str| {
        let text = surface
            .split(&format!("impl crate::pager::PagedList for {name} "))
            .nth(1)
            .unwrap_or_else(|| panic!("{name} implements the pager's trait"));
        text[..text.find("\nimpl ").unwrap_or(text.len())].to_string()
    };
    let messages = list("ListMessages");
    assert!(messages.contains("Order::Appended"), "{messages}");
    assert!(messages.contains("item.timestamp"), "{messages}");
    let users = list("ListUsers");
    assert!(users.contains("Order::Unordered"), "{users}");
    assert!(users.contains("item.custom_user_id"), "{users}");
    let conflicts = list("ListMergeConflicts");
    assert!(conflicts.contains("Order::Unordered"), "{conflicts}");
    assert!(conflicts.contains("item.id"), "{conflicts}");
    assert!(list("ListMemories").contains("item.memory_id"));
    // List Sessions keeps its hand-written pager.
    assert!(!surface.contains("PagedList for ListSessions"));
}

#[test]
fn a_pager_field_the_items_lack_is_an_error_naming_the_operation_and_field() {
    let conflicts = "/api/v1/users/{custom_user_id}/merge-conflicts";
    let mut document = committed();
    document["paths"][conflicts]["get"]["x-recallr-pagination"]["order"]["unique"] =
        json!("conflict_key");
    let error = surface_of(&document).expect_err("no such item field");
    assert!(
        error.contains("list_merge_conflicts") && error.contains("`conflict_key`"),
        "{error}"
    );

    let messages = "/api/v1/users/{custom_user_id}/sessions/{session_id}/messages";
    let mut document = committed();
    document["paths"][messages]["get"]["x-recallr-pagination"]["order"]["key"] = json!("sent_at");
    let error = surface_of(&document).expect_err("no such item field");
    assert!(
        error.contains("list_messages") && error.contains("`sent_at`"),
        "{error}"
    );

    // A key the pager cannot compare (an enum) is refused too.
    let mut document = committed();
    document["paths"][messages]["get"]["x-recallr-pagination"]["order"]["key"] = json!("role");
    let error = surface_of(&document).expect_err("a role is no sort key");
    assert!(
        error.contains("list_messages") && error.contains("`role`") && error.contains("sort key"),
        "{error}"
    );

    // Items the spec does not describe as objects (strings) have no fields:
    // a declared id among them is refused by what the generated types hold.
    let mut document = with_new_operations();
    document["paths"][format!("{SESSION_PATH}/summaries")]["get"]["x-recallr-pagination"] = json!({
        "offset": "offset", "limit": "limit", "items": "summaries",
        "total": "total", "has_more": "has_more",
        "order": {"kind": "unordered", "unique": "summary_id"}});
    let error = surface_of(&document).expect_err("strings have no id field");
    assert!(
        error.contains("list_summaries") && error.contains("`summary_id`"),
        "{error}"
    );
}
