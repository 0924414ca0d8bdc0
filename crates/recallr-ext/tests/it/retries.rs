//! Retries: what is retried, how `Retry-After` is honoured, and that a
//! retry inside a stream neither loses nor repeats a session.

use std::collections::HashSet;
use std::time::{Duration, SystemTime};

use crate::common::{USER, builder, quick_retries, start, store_with};
use futures::TryStreamExt;
use recallr_ext::{Error, RetryPolicy};
use recallr_stub::{Fault, FaultConfig, RetryAfter};

#[tokio::test]
async fn every_transient_fault_is_retried() {
    let faults = [
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(408),
        Fault::CloseConnection,
        Fault::TruncateBody,
        Fault::Delay(Duration::from_secs(5)),
        Fault::RateLimited(RetryAfter::Seconds(0)),
        // Bodies that are not the documented JSON keep their status.
        Fault::Raw {
            status: 429,
            headers: vec![("retry-after".to_string(), "0".to_string())],
            body: b"Too Many Requests".to_vec(),
        },
        Fault::Raw {
            status: 500,
            headers: vec![("content-type".to_string(), "text/html".to_string())],
            body: b"<html>Internal Server Error</html>".to_vec(),
        },
    ];
    for fault in faults {
        let server = start(store_with(20)).await;
        server.push_faults([fault.clone()]);
        let client = builder(&server)
            .timeout(Duration::from_millis(500))
            .retry_policy(quick_retries(1))
            .build()
            .expect("valid");
        let page = client
            .user(USER)
            .sessions()
            .send()
            .await
            .unwrap_or_else(|error| panic!("{fault:?} was not retried: {error}"));
        assert_eq!(page.total, 20, "{fault:?}");
        assert_eq!(server.request_count(), 2, "{fault:?}");
    }
}

#[tokio::test]
async fn retry_after_as_an_http_date_is_honoured() {
    let server = start(store_with(3)).await;
    let soon = SystemTime::now() + Duration::from_secs(1);
    server.push_faults([Fault::RateLimited(RetryAfter::HttpDate(soon))]);
    let client = builder(&server)
        .retry_policy(quick_retries(1))
        .build()
        .expect("valid");
    client
        .user(USER)
        .sessions()
        .send()
        .await
        .expect("retried after the date");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn an_http_date_beyond_the_cap_is_read_and_refused() {
    let server = start(store_with(3)).await;
    let later = SystemTime::now() + Duration::from_secs(600);
    server.push_faults([Fault::RateLimited(RetryAfter::HttpDate(later))]);
    let client = builder(&server)
        .retry_policy(quick_retries(3).max_retry_after(Duration::from_secs(60)))
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("429");
    let Error::RateLimited {
        retry_after: Some(wait),
        ..
    } = error
    else {
        panic!("expected RateLimited with a wait, got {error:?}");
    };
    // HTTP-dates have whole seconds, and a moment passed since `later`.
    assert!(
        wait > Duration::from_secs(590) && wait <= Duration::from_secs(600),
        "{wait:?}"
    );
    assert_eq!(server.request_count(), 1, "no sleep beyond the cap");
}

#[tokio::test]
async fn a_rate_limit_without_retry_after_backs_off_and_retries() {
    let server = start(store_with(3)).await;
    server.push_faults([Fault::RateLimited(RetryAfter::None)]);
    let client = builder(&server)
        .retry_policy(quick_retries(1))
        .build()
        .expect("valid");
    client.user(USER).sessions().send().await.expect("retried");
    assert_eq!(server.request_count(), 2);
}

#[tokio::test]
async fn rate_limits_that_persist_end_as_rate_limited() {
    let server = start(store_with(3)).await;
    server.push_faults([
        Fault::RateLimited(RetryAfter::Seconds(0)),
        Fault::RateLimited(RetryAfter::Seconds(0)),
        Fault::RateLimited(RetryAfter::Seconds(0)),
    ]);
    let client = builder(&server)
        .retry_policy(quick_retries(2))
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("429");
    assert!(matches!(error, Error::RateLimited { .. }), "{error:?}");
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn disabled_retries_return_the_first_error() {
    let server = start(store_with(3)).await;
    server.push_faults([Fault::Status(503)]);
    let client = builder(&server)
        .retry_policy(RetryPolicy::none())
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("503");
    assert!(matches!(error, Error::Server { .. }), "{error:?}");
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn a_stream_survives_random_faults_without_losing_or_repeating_a_session() {
    for concurrency in [1, 4] {
        let server = start(store_with(300)).await;
        server.set_fault_config(FaultConfig {
            fail_rate: 0.2,
            close_rate: 0.05,
            truncate_rate: 0.05,
            seed: 42,
            ..FaultConfig::default()
        });
        let client = builder(&server)
            .retry_policy(quick_retries(8))
            .build()
            .expect("valid");
        let sessions: Vec<_> = client
            .user(USER)
            .sessions()
            .page_size(10)
            .concurrency(concurrency)
            .items()
            .try_collect()
            .await
            .expect("retries absorb the faults");
        let ids: HashSet<_> = sessions.iter().map(|session| session.session_id).collect();
        assert_eq!(sessions.len(), 300, "concurrency {concurrency}");
        assert_eq!(ids.len(), 300, "concurrency {concurrency}");
    }
}

#[tokio::test]
async fn a_503_retry_after_is_honoured_like_a_429s() {
    let server = start(store_with(3)).await;
    let unavailable = |seconds: &str| {
        crate::common::raw(
            503,
            &[
                ("retry-after", seconds),
                ("content-type", "application/json"),
            ],
            br#"{"detail": "Service Unavailable"}"#,
        )
    };
    // Longer than the policy allows: the call fails at once.
    server.push_faults([unavailable("3600")]);
    let client = builder(&server)
        .retry_policy(quick_retries(2).max_retry_after(Duration::from_secs(10)))
        .build()
        .expect("valid");
    let error = client.user(USER).sessions().send().await.expect_err("503");
    assert!(
        matches!(&error, Error::Server { retry_after: Some(wait), .. } if *wait == Duration::from_secs(3600)),
        "{error:?}"
    );
    assert_eq!(server.request_count(), 1, "not retried");
    // A short one is waited for, then the retry succeeds.
    server.push_faults([unavailable("0")]);
    client
        .user(USER)
        .sessions()
        .send()
        .await
        .expect("the retry succeeds");
    assert_eq!(server.request_count(), 3);
}

#[tokio::test]
async fn the_operation_timeout_bounds_a_call_with_its_retries() {
    let server = start(store_with(3)).await;
    server.push_faults((0..6).map(|_| Fault::Delay(Duration::from_secs(5))));
    let client = builder(&server)
        .timeout(Duration::from_secs(2))
        .operation_timeout(Duration::from_millis(300))
        .retry_policy(quick_retries(5))
        .build()
        .expect("valid");
    let error = client
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("too slow");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
    assert!(error.to_string().contains("operation timeout"), "{error}");
    // Without the deadline, all six attempts would be sent.
    assert_eq!(server.request_count(), 1);
}

#[tokio::test]
async fn transport_errors_keep_their_cause() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let addr = listener.local_addr().expect("an address");
    drop(listener);
    let error = crate::common::hostile_client(&format!("http://{addr}"), 0)
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(std::error::Error::source(&error).is_some(), "{error:?}");
}
