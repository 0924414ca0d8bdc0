//! Floods: the stub answers oversized heads with 431 and bodies with 413,
//! and keeps its request log bounded by the memory its entries hold.

use recallr_stub::{
    DEFAULT_API_KEY, DEFAULT_PROJECT_ID, MAX_REQUEST_BODY_BYTES, MAX_REQUEST_HEAD_BYTES,
    REQUEST_LOG_BYTES, RecordedRequest, Store, StubConfig, StubServer,
};

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

/// What an entry really holds: its strings, one slot per header, itself.
fn cost(request: &RecordedRequest) -> usize {
    let slot = std::mem::size_of::<(String, String)>();
    request.method.len()
        + request.path.len()
        + request.query.len()
        + request
            .headers
            .iter()
            .map(|(name, value)| slot + name.len() + value.len())
            .sum::<usize>()
        + std::mem::size_of::<RecordedRequest>()
}

async fn flood(server: &StubServer, count: usize, headers: &[(String, String)], status: u16) {
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/users/u/sessions", server.base_url());
    for chunk in (0..count).collect::<Vec<_>>().chunks(32) {
        let sends = chunk.iter().map(|_| {
            let mut request = http.get(&url);
            for (name, value) in headers {
                request = request.header(name, value);
            }
            request.send()
        });
        for response in futures::future::join_all(sends).await {
            assert_eq!(response.expect("an answer").status().as_u16(), status);
        }
    }
}

fn credentials() -> Vec<(String, String)> {
    vec![
        ("x-recallr-api-key".into(), DEFAULT_API_KEY.into()),
        ("x-recallr-project-id".into(), DEFAULT_PROJECT_ID.into()),
    ]
}

#[tokio::test]
async fn large_heads_fill_the_log_only_up_to_its_byte_bound() {
    let server = stub().await;
    server.store().add_user("u");
    // Just under the head limit, enough requests to pass the byte bound.
    let padding = "a".repeat(MAX_REQUEST_HEAD_BYTES - 1024);
    let count = REQUEST_LOG_BYTES / padding.len() + 50;
    let mut headers = credentials();
    headers.push(("x-padding".into(), padding));
    flood(&server, count, &headers, 200).await;
    assert_eq!(server.request_count(), count as u64);
    let logged = server.requests();
    let bytes: usize = logged.iter().map(cost).sum();
    assert!(bytes <= REQUEST_LOG_BYTES, "{bytes} bytes kept");
    assert!(logged.len() < count, "the oldest entries were dropped");
    assert_eq!(
        logged.last().map(|request| request.index),
        Some(count as u64 - 1),
        "the newest entry is kept"
    );
}

#[tokio::test]
async fn many_tiny_headers_count_their_real_cost() {
    let server = stub().await;
    server.store().add_user("u");
    let mut headers = credentials();
    headers.extend((0..96).map(|n| (format!("x-{n}"), "v".to_string())));
    // Counting only the strings (about 6 bytes a header) would keep every
    // one of these; counting each header's slot does not.
    let per_entry = 96 * (std::mem::size_of::<(String, String)>() + 4);
    let count = REQUEST_LOG_BYTES / per_entry + 200;
    flood(&server, count, &headers, 200).await;
    let logged = server.requests();
    let bytes: usize = logged.iter().map(cost).sum();
    assert!(bytes <= REQUEST_LOG_BYTES, "{bytes} bytes kept");
    assert!(logged.len() < count, "the oldest entries were dropped");
}

#[tokio::test]
async fn unauthenticated_requests_are_logged_without_headers() {
    let server = stub().await;
    let padding = "a".repeat(MAX_REQUEST_HEAD_BYTES - 1024);
    flood(&server, 64, &[("x-padding".into(), padding)], 401).await;
    assert_eq!(server.request_count(), 64);
    let logged = server.requests();
    assert_eq!(logged.len(), 64);
    assert!(logged.iter().all(|request| request.headers.is_empty()));
}

#[tokio::test]
async fn a_body_over_the_cap_is_a_413() {
    let server = stub().await;
    let http = reqwest::Client::new();
    let url = format!("{}/api/v1/users", server.base_url());
    let mut request = http.post(&url);
    for (name, value) in credentials() {
        request = request.header(name, value);
    }
    let response = request
        .header("content-type", "application/json")
        .body(vec![b' '; MAX_REQUEST_BODY_BYTES + 1])
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 413);
    // A chunked body without a length is cut at the cap too.
    let chunks =
        futures::stream::iter((0..17).map(|_| Ok::<_, std::io::Error>(vec![b' '; 64 * 1024])));
    let mut request = http.post(&url);
    for (name, value) in credentials() {
        request = request.header(name, value);
    }
    let response = request
        .body(reqwest::Body::wrap_stream(chunks))
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 413);
}
