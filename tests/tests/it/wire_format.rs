//! What the generated client puts on the wire, as `recallr-stub` on
//! loopback records it.

use crate::common::vendor_sample_response;
use recallr_api::types::{SessionInfo, SessionStatus};
use recallr_stub::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Store, StubConfig, StubServer};
use reqwest::header::{HeaderMap, HeaderValue};

const ODD_USER: &str = "a/b?c#d";

/// A stub serving the vendor's sample session to `ODD_USER`.
async fn stub() -> StubServer {
    let sample = vendor_sample_response();
    let session: SessionInfo = serde_json::from_value(sample["sessions"][0].clone())
        .expect("the vendor's sample session decodes");
    let store = Store::new();
    store.insert(ODD_USER, session);
    StubServer::start(StubConfig::default(), store)
        .await
        .expect("the stub starts on loopback")
}

/// The generated client with the stub's credentials as its per-client
/// headers (what `recallr-ext` configures).
fn generated_client(server: &StubServer) -> recallr_api::Client {
    let mut headers = HeaderMap::new();
    headers.insert(
        "x-recallr-api-key",
        HeaderValue::from_static(DEFAULT_API_KEY),
    );
    headers.insert(
        "x-recallr-project-id",
        HeaderValue::from_static(DEFAULT_PROJECT_ID),
    );
    recallr_api::Client::new(
        &server.base_url(),
        recallr_api::ClientState::new(headers, recallr_api::DEFAULT_MAX_RESPONSE_BYTES),
    )
}

#[tokio::test]
async fn query_and_path_are_encoded_as_the_api_expects() {
    let server = stub().await;
    let page = generated_client(&server)
        .list_sessions()
        .custom_user_id(ODD_USER)
        .offset(0_u64)
        .limit(100_u64)
        .status_filter(vec![SessionStatus::Failed, SessionStatus::Pending])
        .metadata_filter(r#"{"topic": "billing"}"#)
        .send()
        .await
        .expect("the stub answers 200");
    assert_eq!(page.total, 0, "the sample session has no topic");

    let requests = server.requests();
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    // The user id is one path segment, whatever it contains.
    assert_eq!(request.path, "/api/v1/users/a%2Fb%3Fc%23d/sessions");

    let pairs: Vec<&str> = request.query.split('&').collect();
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
        "{}",
        request.query
    );
    assert!(pairs.contains(&"offset=0"), "{}", request.query);
    assert!(pairs.contains(&"limit=100"), "{}", request.query);
}

#[tokio::test]
async fn optional_parameters_are_left_out_when_unset() {
    let server = stub().await;
    let page = generated_client(&server)
        .list_sessions()
        .custom_user_id(ODD_USER)
        .send()
        .await
        .expect("the stub answers 200");
    assert_eq!(page.sessions.len(), 1);
    let requests = server.requests();
    assert_eq!(requests[0].query, "");
}

#[tokio::test]
async fn the_clients_headers_go_on_every_request() {
    let server = stub().await;
    let client = generated_client(&server);
    for _ in 0..2 {
        client
            .list_sessions()
            .custom_user_id(ODD_USER)
            .send()
            .await
            .expect("the stub accepts the credentials");
    }
    let requests = server.requests();
    assert_eq!(requests.len(), 2);
    for request in requests {
        assert_eq!(
            request.header("x-recallr-project-id"),
            Some(DEFAULT_PROJECT_ID)
        );
        assert!(request.header("x-recallr-api-key").is_some());
    }
}
