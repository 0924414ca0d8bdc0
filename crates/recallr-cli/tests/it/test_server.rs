//! A small loopback server for the commands the stub does not serve yet:
//! it records every request and answers with canned JSON, in order.

use std::collections::VecDeque;
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

pub const API_KEY: &str = "rai_test_key_0123456789";
pub const PROJECT_ID: &str = "00000000-0000-4000-8000-000000000000";

/// One request as the server saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub query: String,
    pub body: Option<serde_json::Value>,
}

#[derive(Default)]
struct Shared {
    log: Mutex<Vec<Recorded>>,
    replies: Mutex<VecDeque<(u16, String)>>,
}

/// The server and the runtime that serves it while the binary runs.
pub struct TestServer {
    shared: Arc<Shared>,
    base_url: String,
    _runtime: tokio::runtime::Runtime,
}

impl TestServer {
    pub fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let shared = Arc::new(Shared::default());
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("a loopback port");
        let address = listener.local_addr().expect("an address");
        let app = axum::Router::new()
            .fallback(handle)
            .with_state(shared.clone());
        runtime.spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self {
            shared,
            base_url: format!("http://{address}"),
            _runtime: runtime,
        }
    }

    /// Queues answers, served one per request in order; after them, 500s.
    pub fn reply(&self, status: u16, body: &str) {
        self.shared
            .replies
            .lock()
            .expect("the lock")
            .push_back((status, body.to_string()));
    }

    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    pub fn requests(&self) -> Vec<Recorded> {
        self.shared.log.lock().expect("the lock").clone()
    }

    /// Runs `recallr` against this server.
    pub fn recallr(&self, args: &[&str]) -> Output {
        self.recallr_with_stdin(args, None)
    }

    pub fn recallr_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        use std::io::Write;
        let mut command = Command::new(env!("CARGO_BIN_EXE_recallr"));
        command
            .args(args)
            .env("RECALLR_API_KEY", API_KEY)
            .env("RECALLR_PROJECT_ID", PROJECT_ID)
            .env("RECALLR_BASE_URL", &self.base_url)
            .env_remove("RECALLR_LOG")
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped());
        let mut child = command.spawn().expect("the binary runs");
        if let Some(mut pipe) = child.stdin.take()
            && let Some(text) = stdin
        {
            pipe.write_all(text.as_bytes())
                .expect("stdin takes the body");
        }
        let output = child.wait_with_output().expect("the binary ends");
        for stream in [&output.stdout, &output.stderr] {
            assert!(
                !String::from_utf8_lossy(stream).contains(API_KEY),
                "the API key leaked"
            );
        }
        output
    }
}

async fn handle(
    State(shared): State<Arc<Shared>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let authorized = headers
        .get("x-recallr-api-key")
        .is_some_and(|value| value.as_bytes() == API_KEY.as_bytes());
    shared.log.lock().expect("the lock").push(Recorded {
        method: method.to_string(),
        path: uri.path().to_string(),
        query: uri.query().unwrap_or_default().to_string(),
        body: serde_json::from_slice(&body).ok(),
    });
    let (status, body) = if authorized {
        shared
            .replies
            .lock()
            .expect("the lock")
            .pop_front()
            .unwrap_or((500, r#"{"detail": "no canned answer left"}"#.to_string()))
    } else {
        (401, r#"{"detail": "Invalid API key"}"#.to_string())
    };
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    if status == StatusCode::NO_CONTENT {
        return status.into_response();
    }
    (status, [("content-type", "application/json")], body).into_response()
}
