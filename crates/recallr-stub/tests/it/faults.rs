//! Each fault kind over real HTTP, pushed and random. No test here looks
//! at the clock: delays are checked through a client's timeout.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use crate::common::{Check, USER, get, get_with, known_store, send, sessions_path, start};
use recallr_stub::{
    DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Fault, FaultConfig, RetryAfter, SessionStatus, StubServer,
};
use serde_json::json;

/// Sends one GET over a plain socket and returns every byte until the
/// server closes (a reset counts as a close).
async fn raw_get(addr: SocketAddr, path: &str) -> Vec<u8> {
    let request = format!(
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nX-Recallr-Api-Key: {DEFAULT_API_KEY}\r\n\
         X-Recallr-Project-Id: {DEFAULT_PROJECT_ID}\r\nConnection: close\r\n\r\n"
    );
    tokio::task::spawn_blocking(move || {
        let mut stream = std::net::TcpStream::connect(addr).expect("connects");
        stream
            .set_read_timeout(Some(Duration::from_secs(30)))
            .expect("a timeout");
        stream.write_all(request.as_bytes()).expect("sends");
        let mut received = Vec::new();
        let mut buffer = [0u8; 4096];
        loop {
            match stream.read(&mut buffer) {
                Ok(0) => break,
                Ok(n) => received.extend_from_slice(&buffer[..n]),
                Err(error) if error.kind() == std::io::ErrorKind::ConnectionReset => break,
                Err(error) => panic!("read failed: {error}"),
            }
        }
        received
    })
    .await
    .expect("the reader ran")
}

/// Head lines and body of a raw response.
fn split(raw: &[u8]) -> (String, Vec<u8>) {
    let at = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("a complete head");
    (
        String::from_utf8_lossy(&raw[..at]).into_owned(),
        raw[at + 4..].to_vec(),
    )
}

fn content_length(head: &str) -> usize {
    head.lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse().ok())?
        })
        .expect("a Content-Length")
}

#[tokio::test]
async fn status_faults_answer_with_that_status_and_a_detail() {
    let server = start(known_store(5)).await;
    server.push_faults([
        Fault::Status(500),
        Fault::Status(502),
        Fault::Status(503),
        Fault::Status(408),
    ]);
    let path = sessions_path(USER, "");
    for (code, detail) in [
        (500, "Internal Server Error"),
        (502, "Bad Gateway"),
        (503, "Service Unavailable"),
        (408, "Request Timeout"),
    ] {
        let answer = get(&server, &path).await;
        assert_eq!(answer.status, code);
        assert_eq!(answer.body, json!({ "detail": detail }));
    }
    assert_eq!(
        get(&server, &path).await.status,
        200,
        "the queue is used up"
    );
    assert_eq!(server.request_count(), 5);
}

#[tokio::test]
async fn faults_come_before_authentication() {
    let server = start(known_store(5)).await;
    server.push_faults([Fault::Status(503)]);
    assert_eq!(
        get_with(&server, &sessions_path(USER, ""), &[])
            .await
            .status,
        503
    );
    assert_eq!(
        get_with(&server, &sessions_path(USER, ""), &[])
            .await
            .status,
        401
    );
}

#[tokio::test]
async fn rate_limits_carry_retry_after_in_each_form() {
    let server = start(known_store(5)).await;
    let date = UNIX_EPOCH + Duration::from_secs(1_900_000_000);
    server.push_faults([
        Fault::RateLimited(RetryAfter::Seconds(7)),
        Fault::RateLimited(RetryAfter::HttpDate(date)),
        Fault::RateLimited(RetryAfter::HttpDateIn(Duration::from_secs(3600))),
        Fault::RateLimited(RetryAfter::None),
    ]);
    let path = sessions_path(USER, "");
    let mut retry_afters = Vec::new();
    for _ in 0..4 {
        let answer = get(&server, &path).await;
        assert_eq!(answer.status, 429);
        assert_eq!(answer.body, json!({"detail": "Too Many Requests"}));
        retry_afters.push(
            answer
                .headers
                .get("retry-after")
                .map(|value| value.to_str().expect("ASCII").to_string()),
        );
    }
    assert_eq!(retry_afters[0].as_deref(), Some("7"));
    assert_eq!(
        retry_afters[1].as_deref(),
        Some("Sun, 17 Mar 2030 17:46:40 GMT")
    );
    let later = httpdate::parse_http_date(retry_afters[2].as_deref().expect("a date"))
        .expect("an HTTP-date");
    assert!(later > SystemTime::now(), "a date in the future");
    assert_eq!(retry_afters[3], None);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_connection_gets_no_response_at_all() {
    let server = start(known_store(5)).await;
    server.push_faults([Fault::CloseConnection]);
    let received = raw_get(server.addr(), &sessions_path(USER, "")).await;
    assert!(
        received.is_empty(),
        "{}",
        String::from_utf8_lossy(&received)
    );
    assert_eq!(server.request_count(), 1, "the request did arrive");

    server.push_faults([Fault::CloseConnection]);
    let error = crate::common::client()
        .get(format!("{}{}", server.base_url(), sessions_path(USER, "")))
        .send()
        .await
        .expect_err("no response");
    assert!(!error.is_timeout(), "{error:?}");
    assert_eq!(
        get(&server, &sessions_path(USER, "")).await.status,
        200,
        "then it serves again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_truncated_body_promises_more_than_it_sends() {
    let server = start(known_store(30)).await;
    server.push_faults([Fault::TruncateBody]);
    let raw = raw_get(server.addr(), &sessions_path(USER, "limit=30")).await;
    let (head, body) = split(&raw);
    assert!(head.starts_with("HTTP/1.1 200 OK"), "{head}");
    let promised = content_length(&head);
    assert!(body.len() < promised, "{} of {promised}", body.len());
    assert!(!body.is_empty(), "part of the body is sent");
    assert!(serde_json::from_slice::<serde_json::Value>(&body).is_err());

    // The same through an HTTP client: the status arrives, the body fails.
    server.push_faults([Fault::TruncateBody]);
    let response = crate::common::client()
        .get(format!("{}{}", server.base_url(), sessions_path(USER, "")))
        .header("X-Recallr-Api-Key", DEFAULT_API_KEY)
        .header("X-Recallr-Project-Id", DEFAULT_PROJECT_ID)
        .send()
        .await
        .expect("the head arrives");
    assert_eq!(response.status().as_u16(), 200);
    response.bytes().await.expect_err("the body is cut short");
}

#[tokio::test]
async fn a_delay_outlasts_a_client_timeout_and_then_answers_normally() {
    let server = start(known_store(5)).await;
    server.push_faults([Fault::Delay(Duration::from_secs(30))]);
    let error = reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_millis(200))
        .build()
        .expect("a client")
        .get(format!("{}{}", server.base_url(), sessions_path(USER, "")))
        .send()
        .await
        .expect_err("too slow");
    assert!(error.is_timeout(), "{error:?}");

    server.push_faults([Fault::Delay(Duration::from_millis(1))]);
    let answer = get(&server, &sessions_path(USER, "")).await;
    assert_eq!(
        (answer.status, answer.body["total"].clone()),
        (200, json!(5))
    );
}

#[tokio::test]
async fn an_unknown_status_replaces_the_first_sessions_status() {
    let server = start(known_store(5)).await;
    server.push_faults([Fault::UnknownStatus]);
    let answer = send(
        &server,
        "GET",
        &sessions_path(USER, ""),
        &[
            ("X-Recallr-Api-Key", DEFAULT_API_KEY),
            ("X-Recallr-Project-Id", DEFAULT_PROJECT_ID),
        ],
        None,
        Check::Nothing,
    )
    .await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["sessions"][0]["status"], "archived");
    let page = crate::common::page(&answer.body);
    assert_eq!(
        page.sessions[0].status,
        Some(SessionStatus::from("archived"))
    );
    assert!(
        page.sessions[1..]
            .iter()
            .all(|s| s.status.as_ref().is_some_and(SessionStatus::is_known))
    );
    let stored = server.store().sessions(USER).unwrap_or_default();
    assert!(
        stored[0]
            .status
            .as_ref()
            .is_some_and(SessionStatus::is_known),
        "the store is unchanged"
    );
}

#[tokio::test]
async fn extra_fields_appear_in_sessions_and_the_page() {
    let server = start(known_store(5)).await;
    server.push_faults([Fault::ExtraFields]);
    let answer = get(&server, &sessions_path(USER, "")).await;
    assert_eq!(answer.status, 200);
    let page = crate::common::page(&answer.body);
    assert!(!page.extra.is_empty(), "{}", answer.body);
    assert!(page.sessions.iter().all(|s| !s.extra.is_empty()));
    assert_eq!(page.total, 5, "the known fields are intact");
    let answer = get(&server, &sessions_path(USER, "")).await;
    assert!(
        crate::common::page(&answer.body).extra.is_empty(),
        "one request only"
    );
}

/// The statuses of `count` requests against a fresh stub with `faults`.
async fn statuses(faults: FaultConfig, count: usize) -> Vec<u16> {
    let server = start(known_store(3)).await;
    server.set_fault_config(faults);
    let mut statuses = Vec::new();
    for _ in 0..count {
        statuses.push(get(&server, &sessions_path(USER, "")).await.status);
    }
    statuses
}

#[tokio::test]
async fn random_faults_follow_the_seed() {
    let config = FaultConfig {
        fail_rate: 0.3,
        rate_limit_rate: 0.2,
        latency: Duration::from_millis(1),
        jitter: Duration::from_millis(2),
        seed: 5,
        ..FaultConfig::default()
    };
    let first = statuses(config.clone(), 40).await;
    assert_eq!(
        first,
        statuses(config.clone(), 40).await,
        "same seed, same faults"
    );
    assert!(
        first.iter().all(|s| [200, 429, 500, 502, 503].contains(s)),
        "{first:?}"
    );
    assert!(first.contains(&200) && first.contains(&429), "{first:?}");
    assert!(first.iter().any(|s| *s >= 500), "{first:?}");
    let other = statuses(FaultConfig { seed: 6, ..config }, 40).await;
    assert_ne!(first, other);
}

#[tokio::test]
async fn pushed_faults_come_before_random_ones() {
    let server = start(known_store(3)).await;
    server.set_fault_config(FaultConfig {
        fail_rate: 1.0,
        ..FaultConfig::default()
    });
    server.push_faults([
        Fault::UnknownStatus,
        Fault::RateLimited(RetryAfter::Seconds(0)),
    ]);
    let path = sessions_path(USER, "");
    let credentials = [
        ("X-Recallr-Api-Key", DEFAULT_API_KEY),
        ("X-Recallr-Project-Id", DEFAULT_PROJECT_ID),
    ];
    let unknown = send(&server, "GET", &path, &credentials, None, Check::Nothing).await;
    assert_eq!(unknown.status, 200);
    assert_eq!(get(&server, &path).await.status, 429);
    assert!(get(&server, &path).await.status >= 500);
    server.set_fault_config(FaultConfig::default());
    assert_eq!(get(&server, &path).await.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_closes_and_truncations_happen_at_their_rates() {
    let server: StubServer = start(known_store(20)).await;
    server.set_fault_config(FaultConfig {
        close_rate: 0.5,
        truncate_rate: 0.5,
        seed: 1,
        ..FaultConfig::default()
    });
    let (mut closed, mut truncated) = (0, 0);
    for _ in 0..20 {
        let raw = raw_get(server.addr(), &sessions_path(USER, "")).await;
        if raw.is_empty() {
            closed += 1;
        } else {
            let (head, body) = split(&raw);
            assert!(body.len() < content_length(&head));
            truncated += 1;
        }
    }
    assert!(
        closed > 0 && truncated > 0,
        "{closed} closed, {truncated} truncated"
    );
}

#[tokio::test]
async fn a_raw_fault_is_sent_byte_for_byte() {
    let server = start(known_store(3)).await;
    server.push_faults([Fault::Raw {
        status: 503,
        headers: vec![
            ("content-type".to_string(), "text/html".to_string()),
            ("x-request-id".to_string(), "req-9".to_string()),
            ("bad header name".to_string(), "left out".to_string()),
        ],
        body: b"<html>down</html>".to_vec(),
    }]);
    let received = raw_get(server.addr(), &sessions_path(USER, "")).await;
    let (head, body) = split(&received);
    assert!(head.starts_with("HTTP/1.1 503"), "{head}");
    let head = head.to_ascii_lowercase();
    assert!(head.contains("content-type: text/html"), "{head}");
    assert!(head.contains("x-request-id: req-9"), "{head}");
    assert!(!head.contains("left out"), "{head}");
    assert_eq!(body, b"<html>down</html>");
    // The queue is spent: the next request is answered normally.
    assert_eq!(get(&server, &sessions_path(USER, "")).await.status, 200);
    assert_eq!(
        Fault::Raw {
            status: 418,
            headers: vec![],
            body: vec![]
        }
        .to_string(),
        "raw:418"
    );
}

#[tokio::test]
async fn faults_can_target_one_operation_or_path() {
    let server = start(known_store(3)).await;
    server.push_faults_for(
        recallr_stub::FaultTarget::Operation("get_user".into()),
        [Fault::Status(503)],
    );
    server.push_faults_for(
        recallr_stub::FaultTarget::Path("/api/v1/users/{custom_user_id}/sessions".into()),
        [Fault::Status(502)],
    );
    let answer = get(&server, "/api/v1/users").await;
    assert_eq!(answer.status, 200, "other operations pass the faults by");
    assert_eq!(get(&server, &sessions_path(USER, "")).await.status, 502);
    assert_eq!(
        get(&server, &format!("/api/v1/users/{USER}")).await.status,
        503
    );
    assert_eq!(
        get(&server, &format!("/api/v1/users/{USER}")).await.status,
        200
    );
}

#[tokio::test]
async fn faults_reach_every_route() {
    let server = start(known_store(3)).await;
    server.push_faults([Fault::UnknownStatus]);
    let answer = get(&server, "/api/v1/system-prompt").await;
    assert_eq!(answer.status, 200, "no status field: unchanged");
    server.push_faults([Fault::ExtraFields]);
    let answer = get(&server, &format!("/api/v1/users/{USER}")).await;
    assert!(
        answer.body["user"]["x_stub_extra"].is_object(),
        "{}",
        answer.body
    );
    server.push_faults([Fault::RateLimited(RetryAfter::Seconds(4))]);
    let answer = get(&server, "/api/v1/users").await;
    assert_eq!(answer.status, 429);
    assert_eq!(answer.headers["retry-after"], "4");
}
