//! Shared fixtures for the workspace's cross-crate tests.
//!
//! The tests themselves live in `tests/tests/`; this library only locates
//! the committed spec and the vendor's reference material, and runs a
//! loopback HTTP server that records what clients send.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

/// The workspace root (the parent of this crate).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .parent()
        .map(PathBuf::from)
        .unwrap_or(manifest_dir)
}

/// `../shared/api/` beside the checkout: the vendor's reference page and
/// `NOTES.md`, the sources of truth about the API.
pub fn shared_api_dir() -> PathBuf {
    workspace_root().join("..").join("shared").join("api")
}

/// The committed spec, parsed with `openapiv3`.
///
/// # Panics
/// When the spec cannot be read or parsed: a test failure by design.
pub fn committed_spec() -> openapiv3::OpenAPI {
    let path = workspace_root().join("openapi").join("recallr.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    serde_json::from_str(&text)
        .unwrap_or_else(|err| panic!("{} is not an OpenAPI 3.0 document: {err}", path.display()))
}

/// The sample 200 response printed on the vendor's List Sessions page: the
/// first JSON object in the page's text that holds `"sessions"` (the page's
/// URLs contain `{custom_user_id}`, so the first brace is not the sample).
///
/// # Panics
/// When the page is missing or has no JSON sample: a test failure by design.
pub fn vendor_sample_response() -> serde_json::Value {
    let dir = shared_api_dir();
    let page = std::fs::read_dir(&dir)
        .unwrap_or_else(|err| panic!("cannot list {}: {err}", dir.display()))
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .find(|path| path.extension().is_some_and(|ext| ext == "txt"))
        .unwrap_or_else(|| panic!("no vendor reference page (*.txt) in {}", dir.display()));
    let text = std::fs::read_to_string(&page)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", page.display()));
    let start = text
        .find("\"sessions\"")
        .and_then(|sessions| text[..sessions].rfind('{'))
        .unwrap_or_else(|| panic!("{} holds no JSON sample", page.display()));
    let mut values = serde_json::Deserializer::from_str(&text[start..]).into_iter();
    match values.next() {
        Some(Ok(value)) => value,
        other => panic!(
            "{}: the sample response does not parse: {other:?}",
            page.display()
        ),
    }
}

/// One request as the recording server saw it.
#[derive(Debug, Clone)]
pub struct RecordedRequest {
    /// The path exactly as sent, still percent-encoded.
    pub raw_path: String,
    /// The query string exactly as sent, if any.
    pub raw_query: Option<String>,
    /// Header names and values (values lossily decoded).
    pub headers: Vec<(String, String)>,
}

/// A loopback HTTP server that answers every request with a fixed JSON
/// body and records the requests, to check what a client puts on the wire.
pub struct RecordingServer {
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    task: tokio::task::JoinHandle<()>,
}

impl RecordingServer {
    /// Binds 127.0.0.1 on a free port and serves `body` with status 200.
    pub async fn start(body: serde_json::Value) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0)).await?;
        let addr = listener.local_addr()?;
        let requests = Arc::new(Mutex::new(Vec::new()));
        let recorded = Arc::clone(&requests);
        let app = axum::Router::new().fallback(move |request: axum::extract::Request| {
            let recorded = Arc::clone(&recorded);
            let body = body.clone();
            async move {
                let uri = request.uri();
                let entry = RecordedRequest {
                    raw_path: uri.path().to_string(),
                    raw_query: uri.query().map(str::to_string),
                    headers: request
                        .headers()
                        .iter()
                        .map(|(name, value)| {
                            (
                                name.as_str().to_string(),
                                String::from_utf8_lossy(value.as_bytes()).into_owned(),
                            )
                        })
                        .collect(),
                };
                if let Ok(mut log) = recorded.lock() {
                    log.push(entry);
                }
                axum::Json(body)
            }
        });
        let task = tokio::spawn(async move {
            // The server lives until the test drops it; an accept error ends it.
            let _ = axum::serve(listener, app).await;
        });
        Ok(Self {
            addr,
            requests,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The requests received so far, oldest first.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests
            .lock()
            .map(|log| log.clone())
            .unwrap_or_default()
    }
}

impl Drop for RecordingServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}
