//! Shared setup: a `recallr-stub` on loopback and a client pointed at it.

use std::time::Duration;

use recallr_ext::{Recallr, RecallrBuilder, RetryPolicy, SessionInfo, SessionStatus};
use recallr_stub::{Store, StubConfig, StubServer};
use uuid::Uuid;

pub const USER: &str = "user-1";

/// The documented bound on [`recallr_ext::Error::Decode`]'s snippet, in
/// characters.
pub const SNIPPET_LEN: usize = 200;

/// The documented number of fetches in a row that add nothing before
/// [`recallr_ext::Error::NoProgress`].
pub const MAX_UNPRODUCTIVE_FETCHES: u32 = 64;

/// A retry policy with tiny waits, so retry tests stay fast.
pub fn quick_retries(retries: u32) -> RetryPolicy {
    RetryPolicy::default()
        .max_retries(retries)
        .base_delay(Duration::from_millis(5))
        .max_delay(Duration::from_millis(20))
}

pub async fn start(store: Store) -> StubServer {
    StubServer::start(StubConfig::default(), store)
        .await
        .expect("the stub starts on loopback")
}

/// A builder with the stub's credentials, for a server at `base_url`.
pub fn builder_for(base_url: &str) -> RecallrBuilder {
    Recallr::builder()
        .api_key(recallr_stub::DEFAULT_API_KEY)
        .project_id(recallr_stub::DEFAULT_PROJECT_ID)
        .base_url(base_url)
}

pub fn builder(server: &StubServer) -> RecallrBuilder {
    builder_for(&server.base_url()).retry_policy(quick_retries(2))
}

/// Builds the client and fetches one page of `USER`'s sessions.
pub async fn first_page(
    builder: RecallrBuilder,
) -> Result<recallr_ext::SessionList, recallr_ext::Error> {
    builder
        .build()
        .expect("a valid configuration")
        .user(USER)
        .sessions()
        .send()
        .await
}

pub fn client(server: &StubServer) -> Recallr {
    builder(server).build().expect("a valid configuration")
}

/// A session with a deterministic id derived from `n`.
pub fn session(n: u128, created: i64, status: SessionStatus) -> SessionInfo {
    recallr_stub::session_with_id(
        Uuid::from_u128(n + 1),
        recallr_stub::timestamp(created),
        status,
        serde_json::json!({"n": n as u64}),
    )
}

/// A store with one user holding `count` sessions, one second apart,
/// statuses cycling through the five known ones.
pub fn store_with(count: u128) -> Store {
    let store = Store::new();
    store.add_user(USER);
    for n in 0..count {
        let status = SessionStatus::KNOWN[(n % 5) as usize].clone();
        store.insert(USER, session(n, n as i64, status));
    }
    store
}

/// A fault that answers with exactly this status, headers and body.
pub fn raw(status: u16, headers: &[(&str, &str)], body: &[u8]) -> recallr_stub::Fault {
    recallr_stub::Fault::Raw {
        status,
        headers: headers
            .iter()
            .map(|(name, value)| (name.to_string(), value.to_string()))
            .collect(),
        body: body.to_vec(),
    }
}

/// Serves `router` on a free loopback port, for behaviour the stub never
/// shows (redirects, a broken order); returns its base URL.
pub async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    format!("http://{addr}")
}

/// A client of a hostile server at `base_url`.
pub fn hostile_client(base_url: &str, retries: u32) -> Recallr {
    builder_for(base_url)
        .retry_policy(quick_retries(retries))
        .timeout(Duration::from_secs(30))
        .build()
        .expect("a valid configuration")
}

/// A page as the API writes it.
pub fn page_json(sessions: &[SessionInfo], total: usize, has_more: bool) -> String {
    serde_json::json!({"sessions": sessions, "total": total, "has_more": has_more}).to_string()
}
