//! What the generated client puts on the wire, seen by a loopback server.

use recallr_api::types::SessionStatus;
use recallr_tests::{RecordingServer, vendor_sample_response};

#[tokio::test]
async fn query_and_path_are_encoded_as_the_api_expects() {
    let server = RecordingServer::start(vendor_sample_response())
        .await
        .expect("a loopback server starts");
    let client = recallr_api::Client::new(&server.base_url(), Default::default());

    let page = client
        .list_sessions()
        .custom_user_id("a/b?c#d")
        .offset(0_u64)
        .limit(100_u64)
        .status_filter(vec![SessionStatus::Failed, SessionStatus::Pending])
        .metadata_filter(r#"{"topic": "billing"}"#)
        .send()
        .await
        .expect("the recording server answers 200 with the vendor sample");
    assert_eq!(page.sessions.len(), 1);

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    // The user id is one path segment, whatever it contains.
    assert_eq!(request.raw_path, "/api/v1/users/a%2Fb%3Fc%23d/sessions");

    let query = request.raw_query.as_deref().unwrap_or_default();
    let pairs: Vec<&str> = query.split('&').collect();
    // Repeated keys, in the order given, as the official SDK sends them.
    let statuses: Vec<&str> = pairs
        .iter()
        .copied()
        .filter(|pair| pair.starts_with("status_filter="))
        .collect();
    assert_eq!(statuses, ["status_filter=failed", "status_filter=pending"]);
    // One URL-encoded JSON string; byte-for-byte what the official SDK sends.
    assert!(
        pairs.contains(&"metadata_filter=%7B%22topic%22%3A+%22billing%22%7D"),
        "{query}"
    );
    assert!(pairs.contains(&"offset=0"), "{query}");
    assert!(pairs.contains(&"limit=100"), "{query}");
}

#[tokio::test]
async fn optional_parameters_are_left_out_when_unset() {
    let server = RecordingServer::start(vendor_sample_response())
        .await
        .expect("a loopback server starts");
    let client = recallr_api::Client::new(&server.base_url(), Default::default());
    client
        .list_sessions()
        .custom_user_id("u1")
        .send()
        .await
        .expect("the recording server answers 200");
    let requests = server.requests();
    assert_eq!(requests[0].raw_path, "/api/v1/users/u1/sessions");
    assert_eq!(requests[0].raw_query, None);
}

#[tokio::test]
async fn the_clients_headers_go_on_every_request() {
    let server = RecordingServer::start(vendor_sample_response())
        .await
        .expect("a loopback server starts");
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert(
        "x-recallr-project-id",
        "p1".parse().expect("a header value"),
    );
    let client = recallr_api::Client::new(&server.base_url(), headers);
    for _ in 0..2 {
        client
            .list_sessions()
            .custom_user_id("u1")
            .send()
            .await
            .expect("the recording server answers 200");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert!(
            request
                .headers
                .contains(&("x-recallr-project-id".to_string(), "p1".to_string())),
            "{:?}",
            request.headers
        );
    }
}
