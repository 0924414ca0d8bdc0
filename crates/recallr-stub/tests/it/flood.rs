//! A flood of large, unauthenticated requests: the stub answers oversized
//! heads with 431 and keeps its request log bounded in bytes.

use recallr_stub::{MAX_REQUEST_HEAD_BYTES, REQUEST_LOG_BYTES, Store, StubConfig, StubServer};

async fn stub() -> StubServer {
    StubServer::start(StubConfig::default(), Store::new())
        .await
        .expect("the stub starts on loopback")
}

#[tokio::test]
async fn an_oversized_request_head_is_answered_431_and_not_logged() {
    let server = stub().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/users/u/sessions", server.base_url());
    let response = http
        .get(&url)
        .header("x-padding", "a".repeat(MAX_REQUEST_HEAD_BYTES + 1))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 431);
    assert_eq!(server.request_count(), 0);
    assert!(server.requests().is_empty());
}

#[tokio::test]
async fn the_request_log_is_bounded_in_bytes() {
    let server = stub().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/users/u/sessions", server.base_url());
    // Just under the head limit, enough requests to pass the byte bound.
    let padding = "a".repeat(MAX_REQUEST_HEAD_BYTES - 1024);
    let count = REQUEST_LOG_BYTES / padding.len() + 50;
    for chunk in (0..count).collect::<Vec<_>>().chunks(16) {
        let sends = chunk
            .iter()
            .map(|_| http.get(&url).header("x-padding", padding.as_str()).send());
        for response in futures::future::join_all(sends).await {
            assert_eq!(response.expect("an answer").status().as_u16(), 401);
        }
    }
    assert_eq!(server.request_count(), count as u64);
    let logged = server.requests();
    let bytes: usize = logged
        .iter()
        .flat_map(|request| &request.headers)
        .map(|(name, value)| name.len() + value.len())
        .sum();
    assert!(bytes <= REQUEST_LOG_BYTES, "{bytes} bytes kept");
    assert!(logged.len() < count, "the oldest entries were dropped");
    assert_eq!(
        logged.last().map(|request| request.index),
        Some(count as u64 - 1),
        "the newest entry is kept"
    );
}
