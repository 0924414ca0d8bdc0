//! Turning what the generated client returns into [`Error`].

use std::time::{Duration, SystemTime};

use recallr_api::types::{ErrorDetail, HttpValidationError};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use crate::error::{Error, SNIPPET_LEN, ValidationIssue, join_issues};
use crate::redact::{Redactor, clip};

/// The generated client's error. The generator leaves error bodies to us
/// (see `xtask/src/progenitor_input.rs`), so every non-2xx answer arrives
/// whole, as `UnexpectedResponse`, with its status intact.
pub(crate) type GeneratedError = recallr_api::Error<()>;

/// Headers that carry a request id, in the order they are looked for.
const REQUEST_ID_HEADERS: [&str; 2] = ["x-request-id", "request-id"];

/// The most of an error body that is read to explain it.
const ERROR_BODY_LIMIT: usize = 16 * 1024;

/// What an error body said.
enum Detail {
    Text(String),
    Issues(Vec<ValidationIssue>),
}

impl Detail {
    fn into_text(self) -> String {
        match self {
            Detail::Text(text) => text,
            Detail::Issues(issues) => join_issues(&issues),
        }
    }

    fn into_issues(self) -> Vec<ValidationIssue> {
        match self {
            Detail::Issues(issues) => issues,
            Detail::Text(msg) => vec![ValidationIssue {
                loc: Vec::new(),
                msg,
                kind: String::new(),
            }],
        }
    }
}

/// Starlette's answer to a path no route matches (FastAPI's default).
const NO_ROUTE_DETAIL: &str = "Not Found";

/// Converts the generated client's error, reading an error body (bounded)
/// to explain it. Every piece of server-sent text passes through `redactor`.
/// `targets` are the resources the request's path names (kind and id, outer
/// first), for a 404 to name the one not found.
pub(crate) async fn convert(
    error: GeneratedError,
    redactor: &Redactor,
    targets: &[(&'static str, &str)],
) -> Error {
    match error {
        recallr_api::Error::UnexpectedResponse(response) => {
            let status = response.status();
            let headers = response.headers().clone();
            if status.is_redirection() {
                return Error::Redirect {
                    status,
                    location: header_text(&headers, reqwest::header::LOCATION.as_str(), redactor),
                };
            }
            match read_bounded(response).await {
                Ok(body) => from_status(status, &headers, &body, redactor, targets),
                Err(error) => from_reqwest(error, redactor),
            }
        }
        recallr_api::Error::ErrorResponse(response) => from_status(
            response.status(),
            &response.headers().clone(),
            b"",
            redactor,
            targets,
        ),
        recallr_api::Error::CommunicationError(error)
        | recallr_api::Error::InvalidUpgrade(error) => from_reqwest(error, redactor),
        recallr_api::Error::ResponseBodyError(error) => {
            if error.is_timeout() {
                from_reqwest(error, redactor)
            } else if over_the_limit(&error) {
                Error::Decode {
                    status: error.status(),
                    message: "the response body is larger than this client reads \
                              (RecallrBuilder::max_response_bytes, 32 MiB by default); \
                              is the base URL the API's?"
                        .to_string(),
                    snippet: String::new(),
                    truncated: false,
                    source: Some(error),
                }
            } else {
                Error::Decode {
                    status: error.status(),
                    message: format!(
                        "the body could not be read in full: {}",
                        redactor.clean(&source_chain(&error))
                    ),
                    snippet: String::new(),
                    truncated: true,
                    source: Some(error),
                }
            }
        }
        recallr_api::Error::InvalidResponsePayload(body, error) => Error::Decode {
            status: None,
            // serde_json quotes what it could not decode, which may be the key.
            message: clip(&redactor.clean(&error.to_string()), SNIPPET_LEN),
            snippet: redactor.snippet(&body, SNIPPET_LEN),
            truncated: false,
            source: None,
        },
        recallr_api::Error::InvalidRequest(message) | recallr_api::Error::Custom(message) => {
            Error::invalid_request(message)
        }
    }
}

fn from_status(
    status: StatusCode,
    headers: &HeaderMap,
    body: &[u8],
    redactor: &Redactor,
    targets: &[(&'static str, &str)],
) -> Error {
    let request_id = request_id(headers, redactor);
    let detail = detail_of_body(body, redactor);
    match status {
        StatusCode::UNAUTHORIZED => Error::Unauthorized {
            detail: detail.into_text(),
            request_id,
        },
        StatusCode::NOT_FOUND => match not_found_kind(body) {
            NotFound::Resource => {
                let detail = detail.into_text();
                match missing_resource(targets, &detail) {
                    Some((resource, id)) => Error::NotFound {
                        resource,
                        id: clip(id, ID_LEN),
                        detail,
                        request_id,
                    },
                    None => Error::UnexpectedStatus {
                        status,
                        detail,
                        request_id,
                    },
                }
            }
            NotFound::NoRoute => Error::UnexpectedStatus {
                status,
                detail: format!(
                    "{}: the server has no such route, so the base URL may be wrong (it should not end in /api/v1)",
                    detail.into_text()
                ),
                request_id,
            },
            NotFound::NotTheApi => Error::UnexpectedStatus {
                status,
                detail: format!(
                    "{}: not an answer from the API, so the base URL may be wrong",
                    detail.into_text()
                ),
                request_id,
            },
        },
        StatusCode::BAD_REQUEST => Error::BadRequest {
            detail: detail.into_text(),
            request_id,
        },
        StatusCode::CONFLICT => Error::Conflict {
            detail: detail.into_text(),
            request_id,
        },
        StatusCode::UNPROCESSABLE_ENTITY => Error::Validation {
            issues: detail.into_issues(),
            request_id,
        },
        StatusCode::TOO_MANY_REQUESTS => Error::RateLimited {
            retry_after: retry_after(headers, SystemTime::now()),
            detail: detail.into_text(),
            request_id,
        },
        status if status.is_server_error() => Error::Server {
            status,
            detail: detail.into_text(),
            retry_after: retry_after(headers, SystemTime::now()),
            request_id,
        },
        status => Error::UnexpectedStatus {
            status,
            detail: detail.into_text(),
            request_id,
        },
    }
}

/// The longest id a [`Error::NotFound`] keeps, in characters.
const ID_LEN: usize = 200;

/// Which of the path's resources a 404 is about: the innermost one whose
/// kind the server's `detail` names (by its last word: "user", "session",
/// "memory", "conflict"), else the innermost one.
fn missing_resource<'a>(
    targets: &[(&'static str, &'a str)],
    detail: &str,
) -> Option<(&'static str, &'a str)> {
    let detail = detail.to_lowercase();
    targets
        .iter()
        .rev()
        .find(|(kind, _)| {
            kind.rsplit(' ')
                .next()
                .is_some_and(|word| detail.contains(word))
        })
        .or_else(|| targets.last())
        .copied()
}

/// Who a 404 came from.
enum NotFound {
    /// The API: a `detail` of its own.
    Resource,
    /// The framework: the path matched no route.
    NoRoute,
    /// Something else (a proxy's page, say).
    NotTheApi,
}

fn not_found_kind(body: &[u8]) -> NotFound {
    match serde_json::from_slice::<serde_json::Value>(body) {
        Ok(serde_json::Value::Object(object)) => match object.get("detail") {
            Some(serde_json::Value::String(detail))
                if object.len() == 1 && detail == NO_ROUTE_DETAIL =>
            {
                NotFound::NoRoute
            }
            Some(_) => NotFound::Resource,
            None => NotFound::NotTheApi,
        },
        _ => NotFound::NotTheApi,
    }
}

/// Reads at most [`ERROR_BODY_LIMIT`] bytes of an error body.
async fn read_bounded(mut response: reqwest::Response) -> Result<Vec<u8>, reqwest::Error> {
    let mut body = Vec::new();
    while let Some(chunk) = response.chunk().await? {
        let room = ERROR_BODY_LIMIT.saturating_sub(body.len());
        body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        if body.len() >= ERROR_BODY_LIMIT {
            break;
        }
    }
    Ok(body)
}

/// FastAPI's bodies (a 422's issue list, or `{"detail": "..."}`) decode
/// with the generated types; any other body (an HTML page from a proxy, say)
/// is kept as a snippet. Text is cleaned before it is cut.
fn detail_of_body(body: &[u8], redactor: &Redactor) -> Detail {
    let text = |text: &str| clip(&redactor.clean(text), SNIPPET_LEN);
    if let Ok(validation) = serde_json::from_slice::<HttpValidationError>(body) {
        return Detail::Issues(
            validation
                .detail
                .into_iter()
                .map(|issue| ValidationIssue {
                    loc: issue
                        .loc
                        .iter()
                        .map(|part| text(&part.to_string()))
                        .collect(),
                    msg: text(&issue.msg),
                    kind: text(&issue.type_),
                })
                .collect(),
        );
    }
    if let Ok(plain) = serde_json::from_slice::<ErrorDetail>(body) {
        return Detail::Text(text(&plain.detail));
    }
    if let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body)
        && let Some(detail) = object.get("detail")
    {
        return Detail::Text(text(&detail.to_string()));
    }
    let snippet = redactor.snippet(body, SNIPPET_LEN);
    Detail::Text(if snippet.trim().is_empty() {
        "no body".to_string()
    } else {
        snippet
    })
}

/// The longest request id kept, in characters.
const REQUEST_ID_LEN: usize = 100;

fn request_id(headers: &HeaderMap, redactor: &Redactor) -> Option<String> {
    REQUEST_ID_HEADERS
        .iter()
        .find_map(|name| header_text(headers, name, redactor))
}

/// A header's value, cleaned and cut to a bounded length.
fn header_text(headers: &HeaderMap, name: &str, redactor: &Redactor) -> Option<String> {
    let value = headers.get(name)?;
    let text = String::from_utf8_lossy(value.as_bytes());
    Some(clip(&redactor.clean(&text), REQUEST_ID_LEN))
}

/// `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
pub(crate) fn retry_after(headers: &HeaderMap, now: SystemTime) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let date = httpdate::parse_http_date(value).ok()?;
    Some(date.duration_since(now).unwrap_or(Duration::ZERO))
}

/// reqwest's messages name the URL, which holds whatever the base URL
/// holds: a key put there by mistake is scrubbed too.
fn from_reqwest(error: reqwest::Error, redactor: &Redactor) -> Error {
    let message = redactor.clean(&source_chain(&error));
    if error.is_timeout() {
        Error::Timeout {
            message,
            source: Some(error),
        }
    } else if error.is_builder() {
        Error::invalid_request(message)
    } else if error.is_decode() || error.is_body() {
        Error::Decode {
            status: error.status(),
            message,
            snippet: String::new(),
            truncated: error.is_body(),
            source: Some(error),
        }
    } else {
        Error::Connection {
            message,
            source: Some(error),
        }
    }
}

/// reqwest's top-level message is generic ("error sending request"); the
/// cause is in its sources.
/// Whether `error` is the generated client's body cap
/// (`recallr_api::LengthLimitError` among its sources).
fn over_the_limit(error: &reqwest::Error) -> bool {
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        if cause.is::<recallr_api::LengthLimitError>() {
            return true;
        }
        source = cause.source();
    }
    false
}

fn source_chain(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message.push_str(": ");
        message.push_str(&cause.to_string());
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(retry_after: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        if let Ok(value) = retry_after.parse() {
            headers.insert(reqwest::header::RETRY_AFTER, value);
        }
        headers
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let now = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        assert_eq!(
            retry_after(&headers("7"), now),
            Some(Duration::from_secs(7))
        );
        let later = httpdate::fmt_http_date(now + Duration::from_secs(30));
        assert_eq!(
            retry_after(&headers(&later), now),
            Some(Duration::from_secs(30))
        );
        let earlier = httpdate::fmt_http_date(now - Duration::from_secs(30));
        assert_eq!(retry_after(&headers(&earlier), now), Some(Duration::ZERO));
        assert_eq!(retry_after(&headers("soon"), now), None);
        assert_eq!(retry_after(&HeaderMap::new(), now), None);
    }

    #[test]
    fn a_404_names_the_resource_its_detail_names_or_the_innermost() {
        let targets = [("user", "u1"), ("session", "s1")];
        assert_eq!(
            missing_resource(&targets, "User u1 not found"),
            Some(("user", "u1"))
        );
        assert_eq!(
            missing_resource(&targets, "Session not found"),
            Some(("session", "s1"))
        );
        assert_eq!(missing_resource(&targets, "gone"), Some(("session", "s1")));
        let conflict = [("user", "u1"), ("merge conflict", "c1")];
        assert_eq!(
            missing_resource(&conflict, "Merge conflict not found"),
            Some(("merge conflict", "c1"))
        );
        assert_eq!(missing_resource(&[], "User not found"), None);
    }

    #[test]
    fn error_bodies_are_explained() {
        assert!(matches!(
            detail_of_body(br#"{"detail": "nope"}"#, &Redactor::default()),
            Detail::Text(text) if text == "nope"
        ));
        assert!(matches!(
            detail_of_body(br#"{"detail": [{"loc": ["query", "limit"], "msg": "too big", "type": "le"}]}"#, &Redactor::default()),
            Detail::Issues(issues) if issues.len() == 1 && issues[0].loc == ["query", "limit"]
        ));
        assert!(matches!(
            detail_of_body(br#"{"detail": {"code": 7}}"#, &Redactor::default()),
            Detail::Text(text) if text == r#"{"code":7}"#
        ));
        assert!(matches!(
            detail_of_body(b"<html>bad gateway</html>", &Redactor::default()),
            Detail::Text(text) if text == "<html>bad gateway</html>"
        ));
        assert!(
            matches!(detail_of_body(b"", &Redactor::default()), Detail::Text(text) if text == "no body")
        );
    }
}
