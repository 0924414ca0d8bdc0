//! Every error kind, through the public API, against real HTTP on loopback.

use std::time::Duration;

use crate::common::{
    USER, builder, builder_for, client, first_page, quick_retries, raw, start, store_with,
};
use recallr_ext::{Error, RetryPolicy, SessionStatus};
use recallr_stub::{Fault, RetryAfter};

/// The client's result for one request whose answer is `fault`: no
/// retries, and a timeout far below the delay faults used here.
async fn answer_to(fault: Fault) -> Result<recallr_ext::SessionList, Error> {
    let server = start(store_with(30)).await;
    server.push_faults([fault]);
    first_page(
        builder(&server)
            .timeout(Duration::from_secs(1))
            .retry_policy(RetryPolicy::none()),
    )
    .await
}

#[tokio::test]
async fn a_wrong_key_is_unauthorized() {
    let server = start(store_with(3)).await;
    let client = builder(&server)
        .api_key("rai_wrong")
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("401");
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert!(!error.is_retryable());
    assert_eq!(error.status().map(|s| s.as_u16()), Some(401));
    assert_eq!(server.request_count(), 1, "a 401 is not retried");
}

#[tokio::test]
async fn a_wrong_project_is_unauthorized() {
    let server = start(store_with(3)).await;
    let client = builder(&server)
        .project_id("11111111-1111-4111-8111-111111111111")
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("401");
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
}

#[tokio::test]
async fn an_unknown_user_is_not_found() {
    let server = start(store_with(3)).await;
    let error = client(&server)
        .user("nobody")
        .sessions()
        .send()
        .await
        .expect_err("404");
    let Error::NotFound {
        resource,
        id,
        detail,
        ..
    } = &error
    else {
        panic!("expected NotFound, got {error:?}");
    };
    assert_eq!((*resource, id.as_str()), ("user", "nobody"));
    assert!(!detail.is_empty());
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn a_status_the_server_does_not_know_is_a_validation_error() {
    let server = start(store_with(3)).await;
    let error = client(&server)
        .user(USER)
        .sessions()
        .status(SessionStatus::from("archived"))
        .send()
        .await
        .expect_err("422");
    let Error::Validation { issues, .. } = &error else {
        panic!("expected Validation, got {error:?}");
    };
    assert!(!issues.is_empty());
    assert_eq!(issues[0].loc.first().map(String::as_str), Some("query"));
    assert!(
        issues[0].loc.iter().any(|part| part == "status_filter"),
        "{issues:?}"
    );
    assert!(error.to_string().contains("status_filter"), "{error}");
}

#[tokio::test]
async fn rate_limiting_beyond_the_retry_after_cap_fails_at_once() {
    let server = start(store_with(3)).await;
    server.push_faults([Fault::RateLimited(RetryAfter::Seconds(120))]);
    let error = client(&server)
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("429");
    let Error::RateLimited { retry_after, .. } = &error else {
        panic!("expected RateLimited, got {error:?}");
    };
    assert_eq!(*retry_after, Some(Duration::from_secs(120)));
    assert_eq!(server.request_count(), 1, "no sleep beyond the cap");
}

#[tokio::test]
async fn persistent_server_errors_surface_after_the_retries() {
    let server = start(store_with(3)).await;
    server.push_faults([Fault::Status(500), Fault::Status(502), Fault::Status(503)]);
    let error = client(&server)
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("5xx");
    let Error::Server { status, .. } = &error else {
        panic!("expected Server, got {error:?}");
    };
    assert_eq!(status.as_u16(), 503);
    assert!(error.is_retryable());
    assert_eq!(server.request_count(), 3, "first attempt plus two retries");
}

#[tokio::test]
async fn a_slow_response_is_a_timeout() {
    let error = answer_to(Fault::Delay(Duration::from_secs(10)))
        .await
        .expect_err("timeout");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_closed_connection_is_a_connection_error() {
    let error = answer_to(Fault::CloseConnection).await.expect_err("closed");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(error.is_retryable());
}

#[tokio::test]
async fn nothing_listens_is_a_connection_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    let client = builder_for(&format!("http://{addr}"))
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("valid");
    let error = client
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("refused");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
}

#[tokio::test]
async fn a_truncated_body_is_a_retryable_decode_error() {
    let error = answer_to(Fault::TruncateBody).await.expect_err("truncated");
    assert!(
        matches!(
            error,
            Error::Decode {
                truncated: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert!(error.is_retryable());
}

#[tokio::test]
async fn a_malformed_body_is_a_decode_error_with_a_bounded_snippet() {
    let mut body = br#"{"sessions": [{"session_id": "not-a-uuid""#.to_vec();
    body.extend(std::iter::repeat_n(b' ', 10_000));
    body.extend_from_slice(b"}]}");
    let error = answer_to(raw(200, &[("content-type", "application/json")], &body))
        .await
        .expect_err("bad JSON");
    let Error::Decode {
        snippet, truncated, ..
    } = &error
    else {
        panic!("expected Decode, got {error:?}");
    };
    assert!(!truncated);
    assert!(snippet.starts_with(r#"{"sessions""#), "{snippet}");
    assert!(snippet.chars().count() <= crate::common::SNIPPET_LEN);
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_html_gateway_error_keeps_status_detail_and_request_id() {
    let fault = raw(
        503,
        &[("content-type", "text/html"), ("x-request-id", "req-123")],
        b"<html>upstream unavailable</html>",
    );
    let error = answer_to(fault).await.expect_err("503");
    let Error::Server { status, detail, .. } = &error else {
        panic!("expected Server, got {error:?}");
    };
    assert_eq!(status.as_u16(), 503);
    assert_eq!(detail, "<html>upstream unavailable</html>");
    assert_eq!(error.request_id(), Some("req-123"));
    assert!(error.to_string().contains("req-123"));
}

#[tokio::test]
async fn an_undocumented_status_is_unexpected() {
    let fault = raw(
        403,
        &[("content-type", "application/json")],
        br#"{"detail": "project suspended"}"#,
    );
    let error = answer_to(fault).await.expect_err("403");
    let Error::UnexpectedStatus { status, detail, .. } = &error else {
        panic!("expected UnexpectedStatus, got {error:?}");
    };
    assert_eq!(status.as_u16(), 403);
    assert_eq!(detail, "project suspended");
}

/// Only the API's own 404 (a `detail` of its own) means "user not found";
/// a proxy's page or the framework's no-route answer points at the base URL.
#[tokio::test]
async fn a_foreign_404_is_not_a_missing_user() {
    let html = [("content-type", "text/html")];
    let json = [("content-type", "application/json")];
    for (headers, body) in [
        (&html, &b"404 page not found"[..]),
        (&json, &br#"{"detail":"Not Found"}"#[..]),
        (&json, &br#"{"error": "no such thing"}"#[..]),
    ] {
        let error = answer_to(raw(404, headers, body)).await.expect_err("404");
        assert!(
            matches!(&error, Error::UnexpectedStatus { status, .. } if status.as_u16() == 404),
            "{error:?}"
        );
        assert!(
            error.to_string().contains("base URL may be wrong"),
            "{error}"
        );
    }
    let missing = answer_to(raw(404, &json, br#"{"detail":"User u1 not found"}"#))
        .await
        .expect_err("404");
    assert!(
        matches!(
            missing,
            Error::NotFound {
                resource: "user",
                ..
            }
        ),
        "{missing:?}"
    );

    // A base URL that already ends in /api/v1 reaches no route of the stub.
    let server = start(store_with(3)).await;
    let wrong = first_page(builder(&server).base_url(format!("{}/api/v1", server.base_url())))
        .await
        .expect_err("no such route");
    assert!(
        matches!(&wrong, Error::UnexpectedStatus { status, .. } if status.as_u16() == 404),
        "{wrong:?}"
    );
}

#[tokio::test]
async fn documented_statuses_with_bodies_that_are_not_json_keep_their_meaning() {
    let html = [("content-type", "text/html")];
    let unauthorized = answer_to(raw(401, &html, b"<html>denied</html>"))
        .await
        .expect_err("401");
    assert!(
        matches!(&unauthorized, Error::Unauthorized { detail, .. } if detail == "<html>denied</html>"),
        "{unauthorized:?}"
    );
    let limited = answer_to(raw(429, &[("retry-after", "7")], b"slow down"))
        .await
        .expect_err("429");
    assert!(
        matches!(limited, Error::RateLimited { retry_after: Some(wait), .. } if wait == Duration::from_secs(7)),
        "{limited:?}"
    );
    let server = answer_to(raw(500, &html, b"<html>oops</html>"))
        .await
        .expect_err("500");
    assert!(
        matches!(&server, Error::Server { status, .. } if status.as_u16() == 500),
        "{server:?}"
    );
    assert!(server.is_retryable());
}

#[tokio::test]
async fn a_documented_error_with_a_request_id_keeps_it() {
    let fault = raw(
        401,
        &[
            ("content-type", "application/json"),
            ("request-id", "req-7"),
        ],
        br#"{"detail": "Invalid API key"}"#,
    );
    let error = answer_to(fault).await.expect_err("401");
    assert!(matches!(error, Error::Unauthorized { .. }), "{error:?}");
    assert_eq!(error.request_id(), Some("req-7"));
}

#[tokio::test]
async fn bad_arguments_are_refused_before_sending() {
    let server = start(store_with(3)).await;
    let client = client(&server);
    let sessions = || client.user(USER).sessions();
    let cases = [
        (
            sessions().page_size(0).send().await,
            "page size 0 is out of range",
        ),
        (
            sessions().page_size(101).send().await,
            "page size 101 is out of range",
        ),
        (
            sessions()
                .metadata(&serde_json::json!(["topic"]))
                .send()
                .await,
            "must be a JSON object, not an array",
        ),
        (sessions().metadata(&"topic").send().await, "not a string"),
        (client.user("").sessions().send().await, "user id is empty"),
        (client.user(".").sessions().send().await, "path step"),
        (client.user("..").sessions().send().await, "path step"),
    ];
    for (result, expected) in cases {
        match result {
            Err(Error::InvalidRequest { message }) => {
                assert!(message.contains(expected), "{message:?} lacks {expected:?}")
            }
            other => panic!("expected InvalidRequest({expected}), got {other:?}"),
        }
    }
    let mut pages = sessions().concurrency(0).pages();
    let first = futures::StreamExt::next(&mut pages).await;
    assert!(
        matches!(&first, Some(Err(Error::InvalidRequest { message })) if message.contains("concurrency 0")),
        "{first:?}"
    );
    assert!(futures::StreamExt::next(&mut pages).await.is_none());
    assert_eq!(server.request_count(), 0, "nothing was sent");
}

#[tokio::test]
async fn an_unknown_status_and_extra_fields_decode() {
    let server = start(store_with(3)).await;
    server.push_faults([Fault::UnknownStatus, Fault::ExtraFields]);
    let client = client(&server);
    let page = client.user(USER).sessions().send().await.expect("decodes");
    assert_eq!(
        page.sessions[0].status,
        Some(SessionStatus::from("archived"))
    );
    let page = client.user(USER).sessions().send().await.expect("decodes");
    assert!(!page.extra.is_empty(), "unknown page fields are kept");
    assert!(
        page.sessions
            .iter()
            .any(|session| !session.extra.is_empty()),
        "unknown session fields are kept"
    );
}

#[tokio::test]
async fn retried_rate_limits_and_errors_recover() {
    let server = start(store_with(3)).await;
    server.push_faults([
        Fault::RateLimited(RetryAfter::Seconds(0)),
        Fault::Status(502),
    ]);
    let client = builder(&server)
        .retry_policy(quick_retries(2))
        .build()
        .expect("valid");
    let page = client.user(USER).sessions().send().await.expect("recovers");
    assert_eq!(page.total, 3);
    assert_eq!(server.request_count(), 3);
}
