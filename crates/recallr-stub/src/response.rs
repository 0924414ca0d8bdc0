//! Building responses: JSON bodies, FastAPI's error shapes, and the raw
//! pieces faults need.

use axum::body::{Body, Bytes};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use recallr_api::types::ErrorDetail;
use serde::Serialize;

use crate::faults::RetryAfter;
use crate::validate::FieldError;

/// A handler marks its response with this to have the connection dropped
/// instead of answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// The header that marks a response synthesised from the spec's schema
/// for an operation the stub does not model.
pub const SYNTHESISED_HEADER: &str = "x-recallr-stub-synthesised";

/// `{"detail": reason}` with `status`.
pub(crate) fn detail(status: StatusCode, reason: &str) -> Response {
    json(status, &ErrorDetail::new(reason.to_string()))
}

/// 422 with every problem, in FastAPI's shape.
pub(crate) fn validation_error(errors: Vec<FieldError>) -> Response {
    #[derive(Serialize)]
    struct Body {
        detail: Vec<FieldError>,
    }
    json(StatusCode::UNPROCESSABLE_ENTITY, &Body { detail: errors })
}

pub(crate) fn rate_limited(retry_after: &RetryAfter) -> Response {
    let mut response = detail(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests");
    if let Some(value) = retry_after
        .header_value()
        .and_then(|value| HeaderValue::from_str(&value).ok())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

pub(crate) fn json(status: StatusCode, body: &impl Serialize) -> Response {
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

/// 204, no body.
pub(crate) fn no_content() -> Response {
    StatusCode::NO_CONTENT.into_response()
}

/// A response assembled from the parts a [`Fault::Raw`](crate::Fault::Raw) gives.
pub(crate) fn raw(status: u16, headers: &[(String, String)], body: Vec<u8>) -> Response {
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

/// The same response with `Content-Length` for the whole body, but only
/// the first half of it sent before the connection ends.
pub(crate) async fn truncate(response: Response) -> Response {
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_RESPONSE_BYTES).await else {
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

/// The JSON body of a response, changed by `change`; other bodies pass.
pub(crate) async fn rewrite_json(
    response: Response,
    change: impl FnOnce(&mut serde_json::Value),
) -> Response {
    let is_json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|value| value.as_bytes().starts_with(b"application/json"));
    if !is_json {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, crate::MAX_RESPONSE_BYTES).await else {
        return detail(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let Ok(mut value) = serde_json::from_slice::<serde_json::Value>(&bytes) else {
        return Response::from_parts(parts, Body::from(bytes));
    };
    change(&mut value);
    let bytes = serde_json::to_vec(&value).unwrap_or_else(|_| bytes.to_vec());
    parts.headers.remove(header::CONTENT_LENGTH);
    Response::from_parts(parts, Body::from(bytes))
}
