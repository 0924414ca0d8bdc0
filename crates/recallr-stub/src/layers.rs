//! The generic layers every request goes through, outermost first:
//! `route` (404/405 from the spec's paths), `record` (count and log),
//! `faults` (latency, the hook, injected faults), `auth` (401),
//! `validate` (413 over the body cap, 422 from the spec's schemas). Only
//! then does a resource see the request.

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

use crate::faults::Fault;
use crate::response::{self, DropConnection};
use crate::spec::{Operation, RouteMatch};
use crate::state::Shared;

/// The largest request body the stub reads; a larger one is answered 413.
pub const MAX_REQUEST_BODY_BYTES: usize = 1024 * 1024;

/// The operation a request was routed to, and its path parameters.
#[derive(Clone, Debug)]
pub(crate) struct Routed {
    pub operation: &'static Operation,
    pub path_params: Vec<(String, String)>,
}

/// The request's index in the log.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Index(pub u64);

/// 404 for a path no operation has, 405 for a method it does not have,
/// as FastAPI words them; these are neither counted nor logged.
pub(crate) async fn route(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let spec = shared.spec;
    match spec.route(request.method(), request.uri().path()) {
        RouteMatch::Found(operation, path_params) => {
            request.extensions_mut().insert(Routed {
                operation,
                path_params,
            });
            next.run(request).await
        }
        RouteMatch::MethodNotAllowed => {
            response::detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
        }
        RouteMatch::NotFound => response::detail(StatusCode::NOT_FOUND, "Not Found"),
    }
}

/// Counts and records every routed request.
pub(crate) async fn record(
    State(shared): State<Arc<Shared>>,
    mut request: Request,
    next: Next,
) -> Response {
    let index = shared.begin(&request);
    request.extensions_mut().insert(Index(index));
    next.run(request).await
}

/// Applies the request's latency and fault, and runs the hook.
pub(crate) async fn faults(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(routed) = request.extensions().get::<Routed>().cloned() else {
        return next.run(request).await;
    };
    let index = request
        .extensions()
        .get::<Index>()
        .map_or(0, |index| index.0);
    let plan = shared.plan(routed.operation, request.uri().path());
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    if let Some(Fault::Delay(delay)) = &plan.fault {
        tokio::time::sleep(*delay).await;
    }
    shared.run_hook(index);
    match plan.fault {
        None | Some(Fault::Delay(_)) => next.run(request).await,
        Some(Fault::UnknownStatus) => {
            response::rewrite_json(next.run(request).await, unknown_status).await
        }
        Some(Fault::ExtraFields) => {
            response::rewrite_json(next.run(request).await, extra_fields).await
        }
        Some(Fault::Status(code)) => {
            // 1xx are not final answers; they and invalid codes become 500.
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(|status| !status.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            response::detail(
                status,
                status.canonical_reason().unwrap_or("Injected fault"),
            )
        }
        Some(Fault::RateLimited(retry_after)) => response::rate_limited(&retry_after),
        Some(Fault::CloseConnection) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Some(Fault::TruncateBody) => response::truncate(next.run(request).await).await,
        Some(Fault::Raw {
            status,
            headers,
            body,
        }) => response::raw(status, &headers, body),
    }
}

/// The first `status` string of the body, depth first, becomes
/// `"archived"`: a value no spec lists.
fn unknown_status(value: &mut Value) {
    fn visit(value: &mut Value) -> bool {
        match value {
            Value::Object(fields) => {
                if let Some(status @ Value::String(_)) = fields.get_mut("status") {
                    *status = Value::from("archived");
                    return true;
                }
                fields.values_mut().any(visit)
            }
            Value::Array(items) => items.iter_mut().any(visit),
            _ => false,
        }
    }
    visit(value);
}

/// Unknown fields in the top-level object and in every object one level
/// down (an item of a list, a wrapped resource).
fn extra_fields(value: &mut Value) {
    let extra = || json!({"note": "an unknown field added by recallr-stub", "n": 1});
    let Value::Object(top) = value else {
        return;
    };
    for child in top.values_mut() {
        match child {
            Value::Array(items) => {
                for item in items {
                    if let Value::Object(item) = item {
                        item.insert("x_stub_extra".to_string(), extra());
                    }
                }
            }
            Value::Object(object) => {
                object.insert("x_stub_extra".to_string(), extra());
            }
            _ => {}
        }
    }
    top.insert(
        "x_stub_next_cursor".to_string(),
        json!("an-unknown-page-field"),
    );
}

/// Both credentials, or 401 (before validation, as the API's security
/// dependency comes first).
pub(crate) async fn auth(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    match shared.authorize(request.headers()) {
        Ok(()) => next.run(request).await,
        Err(reason) => response::detail(StatusCode::UNAUTHORIZED, reason),
    }
}

/// Reads the body (at most [`MAX_REQUEST_BODY_BYTES`]) and validates the
/// request against its operation.
pub(crate) async fn validate(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Response {
    let Some(routed) = request.extensions().get::<Routed>().cloned() else {
        return next.run(request).await;
    };
    let declared = request
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<u64>().ok());
    if declared.is_some_and(|length| length > MAX_REQUEST_BODY_BYTES as u64) {
        return too_large();
    }
    let (parts, body) = request.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, MAX_REQUEST_BODY_BYTES).await else {
        return too_large();
    };
    let checked = crate::validate::validate(
        shared.spec,
        routed.operation,
        &routed.path_params,
        parts.uri.query(),
        &bytes,
    );
    match checked {
        Ok(input) => {
            let mut request = Request::from_parts(parts, axum::body::Body::empty());
            request.extensions_mut().insert(input);
            next.run(request).await
        }
        Err(errors) => response::validation_error(errors),
    }
}

fn too_large() -> Response {
    response::detail(StatusCode::PAYLOAD_TOO_LARGE, "Request body too large")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_status_changes_the_first_status_only() {
        let mut page = json!({"sessions": [{"status": "pending"}, {"status": "failed"}]});
        unknown_status(&mut page);
        assert_eq!(
            page,
            json!({"sessions": [{"status": "archived"}, {"status": "failed"}]})
        );
    }

    #[test]
    fn extra_fields_reach_items_and_the_top() {
        let mut page = json!({"users": [{"a": 1}], "total": 1});
        extra_fields(&mut page);
        assert!(page["users"][0]["x_stub_extra"].is_object());
        assert!(page["x_stub_next_cursor"].is_string());
    }
}
