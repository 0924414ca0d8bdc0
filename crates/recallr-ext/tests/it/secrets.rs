//! The API key never appears in Debug, Display, errors or tracing output.

use std::io::Write;
use std::sync::{Arc, Mutex};

use crate::common::{
    USER, builder, builder_for, first_page, quick_retries, raw, serve, start, store_with,
};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use futures::TryStreamExt;
use recallr_stub::Fault;
use tracing_subscriber::fmt::format::FmtSpan;

/// A `tracing` writer that keeps everything in memory.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        if let Ok(mut buffer) = self.0.lock() {
            buffer.extend_from_slice(bytes);
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn text(&self) -> String {
        self.0
            .lock()
            .map(|buffer| String::from_utf8_lossy(&buffer).into_owned())
            .unwrap_or_default()
    }
}

#[tokio::test]
async fn the_key_never_leaks_into_logs_errors_or_debug_output() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_span_events(FmtSpan::CLOSE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let server = start(store_with(25)).await;
    let key = recallr_stub::DEFAULT_API_KEY;
    let client = builder(&server)
        .retry_policy(quick_retries(2))
        .build()
        .expect("valid");
    let mut texts = vec![format!("{client:?}"), format!("{:?}", builder(&server))];

    server.push_faults([Fault::Status(503)]);
    let sessions: Vec<_> = client
        .user(USER)
        .sessions()
        .page_size(10)
        .items()
        .try_collect()
        .await
        .expect("the walk succeeds after one retry");
    assert_eq!(sessions.len(), 25);

    server.push_faults([Fault::Status(500), Fault::Status(500), Fault::Status(500)]);
    let error = client.user(USER).sessions().send().await.expect_err("500");
    texts.push(error.to_string());
    texts.push(format!("{error:?}"));

    // A proxy that echoes the request's headers in its error page.
    let echo = format!("bad gateway; request had x-recallr-api-key: {key}");
    server.push_faults([raw(502, &[("content-type", "text/plain")], echo.as_bytes())]);
    let echoed = first_page(builder(&server).retry_policy(recallr_ext::RetryPolicy::none()))
        .await
        .expect_err("502");
    assert!(echoed.to_string().contains("<redacted>"), "{echoed}");
    texts.push(echoed.to_string());
    texts.push(format!("{echoed:?}"));

    let wrong_key = "rai_wrong_key_for_test";
    let unauthorized = first_page(builder(&server).api_key(wrong_key))
        .await
        .expect_err("401");
    texts.push(unauthorized.to_string());
    texts.push(format!("{unauthorized:?}"));

    // A key without the `rai_` prefix is accepted with a warning.
    let odd_key = "odd-key-without-prefix";
    let _ = builder(&server).api_key(odd_key).build().expect("accepted");

    let logs = captured.text();
    assert!(logs.contains("recallr.request"), "spans are logged: {logs}");
    assert!(logs.contains("attempt=2"), "the retry is visible: {logs}");
    assert!(logs.contains("status=503"), "{logs}");
    assert!(logs.contains("does not start with `rai_`"), "{logs}");
    texts.push(logs);
    for text in texts {
        for secret in [key, wrong_key, odd_key] {
            assert!(!text.contains(secret), "{secret} leaked into: {text}");
        }
    }
}

/// A server that echoes the key it was sent, by user id: in the request id,
/// at the edge of the body snippet, and JSON-escaped in a `detail`.
async fn echo_server() -> String {
    serve(
        axum::Router::new().fallback(|uri: axum::http::Uri, headers: HeaderMap| async move {
            let key = headers
                .get("x-recallr-api-key")
                .map(|key| String::from_utf8_lossy(key.as_bytes()).into_owned())
                .unwrap_or_default();
            let mut response_headers = HeaderMap::new();
            let path = uri.path().to_string();
            let body = if path.contains("/users/request-id/") {
                if let Ok(value) = HeaderValue::from_str(&format!("req-{key}")) {
                    response_headers.insert("x-request-id", value);
                }
                r#"{"detail": "Service Unavailable"}"#.to_string()
            } else if path.contains("/users/edge/") {
                response_headers
                    .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                // The key straddles the 200th character.
                format!(
                    "{}{key} and more",
                    "x".repeat(crate::common::SNIPPET_LEN - 16)
                )
            } else {
                // A structured detail is shown as JSON: the key JSON-escaped.
                serde_json::json!({"detail": {"echo": format!("bad key {key}")}}).to_string()
            };
            (StatusCode::SERVICE_UNAVAILABLE, response_headers, body)
        }),
    )
    .await
}

#[tokio::test]
async fn a_key_echoed_by_the_server_is_scrubbed_in_every_form() {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let api = echo_server().await;
    // Quotes and backslashes change in JSON; the prefix is what RecallrAI
    // keys start with, and the rest is long enough to tell apart.
    let key = r#"rai_echo"quoted\back"slash"#;
    let leaks = |text: &str| {
        text.contains(key)
            || text.contains(&serde_json::to_string(key).unwrap_or_default()[1..20])
            || text.contains("rai_echo")
    };
    let client = builder_for(&api)
        .api_key(key)
        .retry_policy(quick_retries(1))
        .build()
        .expect("valid");
    for user in ["request-id", "edge", "json"] {
        let error = client.user(user).sessions().send().await.expect_err("503");
        for text in [error.to_string(), format!("{error:?}")] {
            assert!(!leaks(&text), "{user}: the key leaked: {text}");
            assert!(text.contains("<redacted>"), "{user}: {text}");
        }
    }
    let logs = captured.text();
    assert!(logs.contains("retrying"), "{logs}");
    assert!(!leaks(&logs), "the key leaked into the logs: {logs}");
}
