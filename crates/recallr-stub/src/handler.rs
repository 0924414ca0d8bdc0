//! The sessions route: auth, validation, the user, the page, and faults.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use percent_encoding::percent_decode_str;
use recallr_api::types::{ErrorDetail, SessionInfo, SessionList, SessionStatus};
use serde::Serialize;
use serde_json::{Map, json};

use crate::faults::{Fault, RetryAfter};
use crate::query::{self, FieldError};
use crate::server::{DropConnection, Shared};

/// The route, in axum's syntax.
pub(crate) const ROUTE: &str = "/api/v1/users/{custom_user_id}/sessions";
const PREFIX: &str = "/api/v1/users/";
const SUFFIX: &str = "/sessions";

pub(crate) const API_KEY_HEADER: &str = "x-recallr-api-key";
pub(crate) const PROJECT_ID_HEADER: &str = "x-recallr-project-id";

/// What to change in a normal answer.
#[derive(Clone, Copy, PartialEq)]
enum Tweak {
    None,
    UnknownStatus,
    ExtraFields,
}

/// Counts and records the request, applies its latency and fault, runs the
/// hook, then answers.
pub(crate) async fn list_sessions(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let index = shared.begin(&request);
    let plan = shared.plan();
    if !plan.latency.is_zero() {
        tokio::time::sleep(plan.latency).await;
    }
    if let Some(Fault::Delay(delay)) = &plan.fault {
        tokio::time::sleep(*delay).await;
    }
    shared.run_hook(index);

    let (parts, _body) = request.into_parts();
    let answer = |tweak| answer(&shared, &parts.uri, &parts.headers, tweak);
    match plan.fault {
        None | Some(Fault::Delay(_)) => answer(Tweak::None),
        Some(Fault::UnknownStatus) => answer(Tweak::UnknownStatus),
        Some(Fault::ExtraFields) => answer(Tweak::ExtraFields),
        Some(Fault::Status(code)) => {
            // 1xx are not final answers; they and invalid codes become 500.
            let status = StatusCode::from_u16(code)
                .ok()
                .filter(|status| !status.is_informational())
                .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
            detail(
                status,
                status.canonical_reason().unwrap_or("Injected fault"),
            )
        }
        Some(Fault::RateLimited(retry_after)) => rate_limited(&retry_after),
        Some(Fault::CloseConnection) => {
            let mut response = StatusCode::INTERNAL_SERVER_ERROR.into_response();
            response.extensions_mut().insert(DropConnection);
            response
        }
        Some(Fault::TruncateBody) => truncate(answer(Tweak::None)).await,
        Some(Fault::Raw {
            status,
            headers,
            body,
        }) => raw(status, &headers, body),
    }
}

/// A response assembled from the parts a [`Fault::Raw`] gives.
fn raw(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(body));
    *response.status_mut() =
        StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (
            header::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            response.headers_mut().append(name, value);
        }
    }
    response
}

/// 404 for any other path, as FastAPI words it.
pub(crate) async fn not_found() -> Response {
    detail(StatusCode::NOT_FOUND, "Not Found")
}

/// 405 for other methods on the sessions route.
pub(crate) async fn method_not_allowed() -> Response {
    detail(StatusCode::METHOD_NOT_ALLOWED, "Method Not Allowed")
}

/// The response the API gives: 401, 422, 404 or 200, in that order of
/// precedence (FastAPI checks the security dependency, then validates the
/// parameters, then the endpoint looks the user up).
fn answer(shared: &Shared, uri: &axum::http::Uri, headers: &HeaderMap, tweak: Tweak) -> Response {
    if let Err(reason) = shared.authorize(headers) {
        return detail(StatusCode::UNAUTHORIZED, reason);
    }
    let query = match query::parse(uri.query()) {
        Ok(query) => query,
        Err(errors) => return validation_error(errors),
    };
    let user = user_id(uri.path());
    let Some((records, total)) = shared
        .store
        .page(&user, &query.filter, query.offset, query.limit)
    else {
        return detail(StatusCode::NOT_FOUND, &format!("User {user} not found"));
    };
    let has_more = query.offset.saturating_add(records.len() as u64) < total;
    let mut sessions: Vec<SessionInfo> = records.iter().map(|record| record.to_info()).collect();
    let mut extra = Map::new();
    match tweak {
        Tweak::None => {}
        Tweak::UnknownStatus => {
            if let Some(first) = sessions.first_mut() {
                first.status = Some(SessionStatus::from("archived"));
            }
        }
        Tweak::ExtraFields => {
            for session in &mut sessions {
                session.extra.insert(
                    "x_stub_extra".to_string(),
                    json!({"note": "an unknown field added by recallr-stub", "n": 1}),
                );
            }
            extra.insert(
                "x_stub_next_cursor".to_string(),
                json!("an-unknown-page-field"),
            );
        }
    }
    let mut page = SessionList::new(has_more, sessions, total);
    page.extra = extra;
    json_response(StatusCode::OK, &page)
}

/// The user id from the one path segment between the prefix and the
/// suffix, percent-decoded (so `a%2Fb%3Fc%23d` is `a/b?c#d`).
fn user_id(path: &str) -> String {
    let segment = path
        .strip_prefix(PREFIX)
        .and_then(|rest| rest.strip_suffix(SUFFIX))
        .unwrap_or_default();
    percent_decode_str(segment).decode_utf8_lossy().into_owned()
}

pub(crate) fn detail(status: StatusCode, reason: &str) -> Response {
    json_response(status, &ErrorDetail::new(reason.to_string()))
}

fn validation_error(errors: Vec<FieldError>) -> Response {
    #[derive(Serialize)]
    struct Body {
        detail: Vec<FieldError>,
    }
    json_response(StatusCode::UNPROCESSABLE_ENTITY, &Body { detail: errors })
}

fn rate_limited(retry_after: &RetryAfter) -> Response {
    let mut response = detail(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    if let Some(value) = retry_after
        .header_value()
        .and_then(|value| HeaderValue::from_str(&value).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

fn json_response(status: StatusCode, body: &impl Serialize) -> Response {
    match serde_json::to_vec(body) {
        Ok(bytes) => (
            status,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            bytes,
        )
            .into_response(),
        // Not reachable with these types (string keys only), but never panic.
        Err(_) => (
            StatusCode::INTERNAL_SERVER_ERROR,
            [(
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/json"),
            )],
            r#"{"detail":"Internal Server Error"}"#,
        )
            .into_response(),
    }
}

/// The same response with `Content-Length` for the whole body, but only
/// the first half of it sent before the connection ends.
async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    parts
        .headers
        .insert(header::CONTENT_LENGTH, HeaderValue::from(bytes.len()));
    let sent = bytes.slice(..bytes.len() / 2);
    let head = futures::stream::iter([Ok::<Bytes, std::io::Error>(sent)]);
    // The pause lets hyper flush the head and the partial body; the error
    // then makes it close the connection instead of finishing the body.
    let cut = futures::stream::once(async {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        Err(std::io::Error::other("body truncated by recallr-stub"))
    });
    Response::from_parts(
        parts,
        Body::from_stream(futures::StreamExt::chain(head, cut)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_are_percent_decoded() {
        assert_eq!(user_id("/api/v1/users/a%2Fb%3Fc%23d/sessions"), "a/b?c#d");
        assert_eq!(user_id("/api/v1/users/user-0/sessions"), "user-0");
        assert_eq!(user_id("/api/v1/users/%E2%9C%93/sessions"), "\u{2713}");
        assert_eq!(user_id("/api/v1/users/%FF/sessions"), "\u{FFFD}");
        assert_eq!(user_id("/elsewhere"), "");
    }

    #[test]
    fn a_validation_body_decodes_as_the_generated_type() {
        let errors = query::parse(Some("limit=0")).err().unwrap_or_default();
        let body = serde_json::to_vec(&json!({ "detail": errors })).unwrap_or_default();
        let decoded: Result<recallr_api::types::HttpValidationError, _> =
            serde_json::from_slice(&body);
        let decoded = decoded.map(|d| d.detail.len());
        assert_eq!(decoded.ok(), Some(1));
    }
}
