//! Shared setup: a stub on loopback with known data, and a small client.

use recallr_stub::{
    DEFAULT_API_KEY, DEFAULT_PROJECT_ID, SessionStatus, Store, StubConfig, StubServer,
};
use serde_json::{Value, json};
use uuid::Uuid;

pub const USER: &str = "user-1";

/// `seconds` after a fixed instant: larger is newer.
pub use recallr_stub::timestamp as at;

/// Session `n` of the known data: id n+1, created at second n / 2 (so
/// pairs tie), status cycling through the five, metadata
/// `{"n": n, "topic": billing|support, "lang": {"code": en|de}}`.
pub fn known_session(n: u128) -> recallr_stub::SessionInfo {
    let status = SessionStatus::KNOWN[(n % 5) as usize].clone();
    let topic = if n.is_multiple_of(2) {
        "billing"
    } else {
        "support"
    };
    let lang = if n.is_multiple_of(3) { "de" } else { "en" };
    recallr_stub::session_with_id(
        Uuid::from_u128(n + 1),
        at((n / 2) as i64),
        status,
        json!({"n": n as u64, "topic": topic, "lang": {"code": lang, "region": "EU"}}),
    )
}

pub fn known_store(count: u128) -> Store {
    let store = Store::new();
    store.add_user(USER);
    for n in 0..count {
        store.insert(USER, known_session(n));
    }
    store
}

pub async fn start(store: Store) -> StubServer {
    StubServer::start(StubConfig::default(), store)
        .await
        .expect("the stub starts on loopback")
}

/// What a response was.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
}

pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("a client")
}

/// GET `path_and_query` with the default credentials.
pub async fn get(server: &StubServer, path_and_query: &str) -> Answer {
    get_with(
        server,
        path_and_query,
        &[
            ("X-Recallr-Api-Key", DEFAULT_API_KEY),
            ("X-Recallr-Project-Id", DEFAULT_PROJECT_ID),
        ],
    )
    .await
}

pub async fn get_with(
    server: &StubServer,
    path_and_query: &str,
    headers: &[(&str, &str)],
) -> Answer {
    send(server, "GET", path_and_query, headers, None, Check::Schema).await
}

/// Whether to check an answer against the spec's response schema.
#[derive(Clone, Copy, PartialEq)]
pub enum Check {
    Schema,
    /// For answers a fault has made wrong on purpose.
    Nothing,
}

/// `method path_and_query` with the default credentials and an optional
/// JSON body; the answer is checked against the spec's response schema.
pub async fn call(
    server: &StubServer,
    method: &str,
    path_and_query: &str,
    body: Option<Value>,
) -> Answer {
    send(
        server,
        method,
        path_and_query,
        &[
            ("X-Recallr-Api-Key", DEFAULT_API_KEY),
            ("X-Recallr-Project-Id", DEFAULT_PROJECT_ID),
        ],
        body,
        Check::Schema,
    )
    .await
}

pub async fn send(
    server: &StubServer,
    method: &str,
    path_and_query: &str,
    headers: &[(&str, &str)],
    body: Option<Value>,
    check: Check,
) -> Answer {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
    let mut request = client().request(
        method.clone(),
        format!("{}{path_and_query}", server.base_url()),
    );
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("a response");
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let text = response.text().await.expect("a body");
    let body = if text.is_empty() {
        Value::Null
    } else if headers
        .get("content-type")
        .is_some_and(|value| value.as_bytes().starts_with(b"text/event-stream"))
    {
        Value::String(text)
    } else {
        serde_json::from_str(&text).unwrap_or_else(|error| panic!("not JSON ({error}): {text}"))
    };
    if check == Check::Schema {
        crate::schema::check_response(method.as_str(), path_and_query, status, &body);
    }
    Answer {
        status,
        headers,
        body,
    }
}

/// `text` percent-encoded as one path segment (every byte but the
/// unreserved ones).
pub fn segment(text: &str) -> String {
    let mut encoded = String::new();
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

/// The sessions URL of `user`, percent-encoding the id as one segment.
pub fn sessions_path(user: &str, query: &str) -> String {
    let encoded = segment(user);
    if query.is_empty() {
        format!("/api/v1/users/{encoded}/sessions")
    } else {
        format!("/api/v1/users/{encoded}/sessions?{query}")
    }
}

/// The keys of a JSON object, sorted.
pub fn keys(object: &Value) -> Vec<&str> {
    let mut keys: Vec<&str> = object
        .as_object()
        .expect("an object")
        .keys()
        .map(String::as_str)
        .collect();
    keys.sort_unstable();
    keys
}

/// The `n` values of a page, in order.
pub fn ns(body: &Value) -> Vec<u64> {
    body["sessions"]
        .as_array()
        .expect("a sessions array")
        .iter()
        .map(|session| session["metadata"]["n"].as_u64().expect("n"))
        .collect()
}

/// Decodes a page with the generated type, as the client will.
pub fn page(body: &Value) -> recallr_stub::SessionList {
    serde_json::from_value(body.clone()).expect("a SessionList")
}
