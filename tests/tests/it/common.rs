//! Shared fixtures: the committed spec and the vendor's reference material.

use std::path::PathBuf;

use xtask::paths::{self, workspace_root};

/// `openapi/vendor/`: the vendor's reference material, copied into the
/// repository with its provenance (see the README there).
pub fn vendor_dir() -> PathBuf {
    workspace_root().join("openapi").join("vendor")
}

/// The committed spec, parsed with `openapiv3`.
///
/// # Panics
/// When the spec cannot be read or parsed: a test failure by design.
pub fn committed_spec() -> openapiv3::OpenAPI {
    let path = paths::spec();
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not an OpenAPI 3.0 document: {err}", path.display()))
}

/// The sample 200 response printed on the vendor's List Sessions page: the
/// first JSON object in the page's text that holds `"sessions"` (the page's
/// URLs contain `{custom_user_id}`, so the first brace is not the sample).
///
/// # Panics
/// When the page is missing or has no JSON sample: a test failure by design.
pub fn vendor_sample_response() -> serde_json::Value {
    let page = vendor_dir().join("list-sessions-page.txt");
    let text = std::fs::read_to_string(&page)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", page.display()));
    let start = text
        .find("\"sessions\"")
        .and_then(|sessions| text[..sessions].rfind('{'))
        .unwrap_or_else(|| panic!("{} holds no JSON sample", page.display()));
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter();
    match values.next() {
        Some(Ok(value)) => value,
        other => panic!(
            "{}: the sample response does not parse: {other:?}",
            page.display()
        ),
    }
}
