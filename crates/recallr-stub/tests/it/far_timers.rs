//! A timer the client sets past the clock's range (Schemathesis's find:
//! `auto_process_after_seconds` near `i64::MAX`, on a user with a
//! non-ASCII id). Every route of that user must still be answered, its id
//! percent-encoded or sent as raw UTF-8, and the timer never fires.

use std::io::{Read, Write};
use std::net::SocketAddr;
use std::time::Duration;

use crate::common::{call, segment, start};
use recallr_stub::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Store, StubServer};
use serde_json::{Value, json};
use uuid::Uuid;

const USER: &str = "ünïcødé-用户";

/// One request over a plain socket, the path's bytes as given (raw UTF-8
/// included); the status code, or `None` when the connection closed
/// without an answer.
async fn raw_status(addr: SocketAddr, method: &str, path: &str) -> Option<u16> {
    let request = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\nX-Recallr-Api-Key: {DEFAULT_API_KEY}\r\n\
         X-Recallr-Project-Id: {DEFAULT_PROJECT_ID}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
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
        let head = String::from_utf8_lossy(&received).into_owned();
        head.strip_prefix("HTTP/1.1 ")?.get(..3)?.parse().ok()
    })
    .await
    .expect("the reader ran")
}

/// Every operation on the user: method, path after `/api/v1/users/{id}`,
/// body.
fn routes(session: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let other = Uuid::from_u128(0xC0);
    let answers = json!({"answers": {"question_answers": []}});
    vec![
        ("GET", String::new(), None),
        ("PUT", String::new(), Some(json!({"new_metadata": {}}))),
        ("GET", "/sessions".into(), None),
        ("POST", "/sessions".into(), Some(json!({}))),
        ("GET", format!("/sessions/{session}"), None),
        (
            "PUT",
            format!("/sessions/{session}"),
            Some(json!({"new_metadata": {"a": 1}})),
        ),
        (
            "POST",
            format!("/sessions/{session}/add-message"),
            Some(json!({"role": "user", "message": "hi"})),
        ),
        ("GET", format!("/sessions/{session}/messages"), None),
        ("GET", format!("/sessions/{session}/context"), None),
        (
            "GET",
            format!("/sessions/{session}/context?stream=true"),
            None,
        ),
        ("GET", "/messages?limit=5".into(), None),
        ("GET", "/memories".into(), None),
        ("GET", format!("/memory/{other}"), None),
        ("DELETE", format!("/memory/{other}"), None),
        ("GET", "/merge-conflicts".into(), None),
        ("GET", format!("/merge-conflicts/{other}"), None),
        (
            "POST",
            format!("/merge-conflicts/{other}/resolve"),
            Some(answers),
        ),
        ("POST", format!("/sessions/{session}/process"), None),
        ("DELETE", format!("/sessions/{session}"), None),
        ("DELETE", String::new(), None),
    ]
}

async fn session_far_away(server: &StubServer) -> String {
    let created = call(
        server,
        "POST",
        "/api/v1/users",
        Some(json!({"custom_user_id": USER})),
    )
    .await;
    assert_eq!(created.status, 201, "{}", created.body);
    let session = call(
        server,
        "POST",
        &format!("/api/v1/users/{}/sessions", segment(USER)),
        Some(json!({"auto_process_after_seconds": i64::MAX})),
    )
    .await;
    assert_eq!(session.status, 201, "{}", session.body);
    session.body["session"]["session_id"]
        .as_str()
        .expect("an id")
        .to_string()
}

#[tokio::test]
async fn every_route_of_a_user_with_a_timer_past_the_clocks_range_is_answered() {
    let server = start(Store::new()).await;
    let session = session_far_away(&server).await;
    // A thousand years on (RFC 3339 stops at 9999), the session still
    // waits: never due.
    server
        .clock()
        .advance(Duration::from_secs(1_000 * 366 * 24 * 3600));
    let status = call(
        &server,
        "GET",
        &format!("/api/v1/users/{}/sessions/{session}", segment(USER)),
        None,
    )
    .await;
    assert_eq!(
        status.body["session"]["status"], "pending",
        "{}",
        status.body
    );
    // Raw UTF-8 first (read-only routes), then percent-encoded, every route.
    for (method, rest, _) in routes(&session) {
        if method != "GET" {
            continue;
        }
        let path = format!("/api/v1/users/{USER}{rest}");
        let status = raw_status(server.addr(), method, &path).await;
        assert!(
            status.is_some_and(|status| status < 500),
            "{method} {path} (raw UTF-8): {status:?}"
        );
    }
    for (method, rest, body) in routes(&session) {
        let path = format!("/api/v1/users/{}{rest}", segment(USER));
        // `call` fails the test on a dropped connection.
        let answer = call(&server, method, &path, body).await;
        assert!(answer.status < 500, "{method} {path}: {}", answer.body);
    }
}
