//! Adapts the committed spec to what progenitor 0.15 should generate from.
//!
//! The committed spec stays a faithful description of the vendor's API; the
//! adjustments for the generated code are made here, on a copy, in one place.

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};
use serde_json::Value;

/// Returns the copy of `document` that is handed to progenitor: the same
/// document without its error responses (4xx, 5xx and `default`).
///
/// progenitor decodes a documented error body strictly, and when the body
/// is not what the spec says (an HTML 502 from a proxy, a plain-text 429) it
/// returns an error that has lost the HTTP status, so the caller can neither
/// retry nor say what happened. It also accepts only one error body type per
/// operation, while FastAPI services such as RecallrAI document two. Without
/// error responses in its input, every non-2xx answer comes back whole
/// (`Error::UnexpectedResponse`, status, headers and body), and the
/// hand-written client decodes the body with the generated
/// `HttpValidationError` and `ErrorDetail` types, which are still generated
/// from the spec's components.
///
/// It also drops every string `pattern` (FastAPI emits them for
/// constrained strings): typify would check them with the `regress` crate,
/// which the generated crate does not depend on, so a new upstream pattern
/// would leave a client that does not compile. The pattern stays in
/// `recallr.json`, the declaration; the server enforces it.
pub fn prepare(document: &OpenAPI) -> Result<OpenAPI, String> {
    let mut prepared = without_patterns(document)?;
    for (_, path_item) in prepared.paths.paths.iter_mut() {
        let ReferenceOr::Item(path_item) = path_item else {
            continue;
        };
        let operations = [
            &mut path_item.get,
            &mut path_item.put,
            &mut path_item.post,
            &mut path_item.delete,
            &mut path_item.options,
            &mut path_item.head,
            &mut path_item.patch,
            &mut path_item.trace,
        ];
        for operation in operations.into_iter().flatten() {
            operation.responses.default = None;
            operation
                .responses
                .responses
                .retain(|status, _| !is_error(status));
        }
    }
    Ok(prepared)
}

/// `document` without the `pattern` keyword of any schema.
fn without_patterns(document: &OpenAPI) -> Result<OpenAPI, String> {
    let mut value = serde_json::to_value(document).map_err(|err| err.to_string())?;
    strip_patterns(&mut value);
    serde_json::from_value(value).map_err(|err| format!("after dropping patterns: {err}"))
}

/// Removes `pattern` keywords (string-valued) below `value`, leaving data
/// alone: examples, defaults, enum values and constants are not schemas.
fn strip_patterns(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.get("pattern").is_some_and(Value::is_string) {
                map.remove("pattern");
            }
            for (key, child) in map.iter_mut() {
                if !matches!(
                    key.as_str(),
                    "example" | "examples" | "default" | "enum" | "const"
                ) {
                    strip_patterns(child);
                }
            }
        }
        Value::Array(items) => items.iter_mut().for_each(strip_patterns),
        _ => {}
    }
}

fn is_error(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => *code >= 400,
        StatusCode::Range(range) => *range >= 4,
    }
}
