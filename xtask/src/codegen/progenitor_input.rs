//! Adapts the committed spec to what progenitor 0.15 should generate from.
//!
//! The committed spec stays a faithful description of the vendor's API; the
//! adjustments for the generated code are made here, on a copy, in one place.

use openapiv3::{OpenAPI, ReferenceOr, StatusCode};

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
pub fn prepare(document: &OpenAPI) -> OpenAPI {
    let mut prepared = document.clone();
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
    prepared
}

fn is_error(status: &StatusCode) -> bool {
    match status {
        StatusCode::Code(code) => *code >= 400,
        StatusCode::Range(range) => *range >= 4,
    }
}
