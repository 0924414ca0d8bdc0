//! The server: configuration, the shared state the handler uses, and an
//! accept loop of our own, so that a fault can drop a connection.

use std::collections::VecDeque;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::extract::Request;
use axum::http::HeaderMap;
use axum::routing::get;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::faults::{Fault, FaultConfig, FaultState, Plan};
use crate::handler::{self, API_KEY_HEADER, PROJECT_ID_HEADER};
use crate::store::Store;
use crate::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID};

/// How long [`StubServer::shutdown`] waits for requests in flight.
const GRACE: Duration = Duration::from_secs(3);
/// How many requests [`StubServer::requests`] keeps (the most recent).
pub const REQUEST_LOG_LIMIT: usize = 100_000;
/// How many bytes of requests (paths, queries and headers) the log keeps at
/// most; the oldest entries go first.
pub const REQUEST_LOG_BYTES: usize = 64 * 1024 * 1024;
/// The largest request head (request line and headers) the stub reads;
/// a larger one is answered 431, as a real server would.
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// The credentials the stub accepts and its random faults.
#[derive(Clone, Debug)]
pub struct StubConfig {
    /// The only accepted `X-Recallr-Api-Key` (default [`DEFAULT_API_KEY`]).
    pub api_key: String,
    /// The only accepted `X-Recallr-Project-Id` (default [`DEFAULT_PROJECT_ID`]).
    pub project_id: String,
    /// Random faults and latency (default: none).
    pub faults: FaultConfig,
}

impl Default for StubConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_string(),
            project_id: DEFAULT_PROJECT_ID.to_string(),
            faults: FaultConfig::default(),
        }
    }
}

/// One request on the sessions route, as it arrived.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecordedRequest {
    /// 0-based position among the requests on the sessions route.
    pub index: u64,
    /// `GET`, normally.
    pub method: String,
    /// The path exactly as sent, still percent-encoded.
    pub path: String,
    /// The query string exactly as sent (`""` if there was none).
    pub query: String,
    /// Header names (lower case) and values (lossily decoded), in order.
    pub headers: Vec<(String, String)>,
}

impl RecordedRequest {
    /// Roughly the memory the entry holds, in bytes.
    fn size(&self) -> usize {
        let strings = self.method.len() + self.path.len() + self.query.len();
        self.headers
            .iter()
            .fold(strings, |sum, (name, value)| {
                sum.saturating_add(name.len()).saturating_add(value.len())
            })
            .saturating_add(std::mem::size_of::<Self>())
    }

    /// The first value of a header, by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(have, _)| have.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.as_str())
    }
}

type Hook = Arc<dyn Fn(u64, &Store) + Send + Sync>;

/// What the handler and the [`StubServer`] handle share.
pub(crate) struct Shared {
    api_key: String,
    project_id: String,
    pub store: Store,
    faults: Mutex<FaultState>,
    count: AtomicU64,
    log: Mutex<RequestLog>,
    hook: RwLock<Option<Hook>>,
}

/// The most recent requests, bounded by count and by bytes.
#[derive(Default)]
struct RequestLog {
    entries: VecDeque<(usize, RecordedRequest)>,
    bytes: usize,
}

impl RequestLog {
    fn push(&mut self, entry: RecordedRequest) {
        let size = entry.size();
        while !self.entries.is_empty()
            && (self.entries.len() >= REQUEST_LOG_LIMIT
                || self.bytes.saturating_add(size) > REQUEST_LOG_BYTES)
        {
            if let Some((old, _)) = self.entries.pop_front() {
                self.bytes = self.bytes.saturating_sub(old);
            }
        }
        self.bytes = self.bytes.saturating_add(size);
        self.entries.push_back((size, entry));
    }
}

/// A handler marks its response with this to have the connection dropped
/// instead of answered.
#[derive(Clone, Copy, Debug)]
pub(crate) struct DropConnection;

/// The service error that makes hyper close a connection unanswered.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a single step, so a poisoned lock still
    // holds consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Counts and records a request; returns its index.
    pub fn begin(&self, request: &Request) -> u64 {
        let index = self.count.fetch_add(1, Ordering::SeqCst);
        let uri = request.uri();
        let entry = RecordedRequest {
            index,
            method: request.method().to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
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
        lock(&self.log).push(entry);
        index
    }

    pub fn plan(&self) -> Plan {
        lock(&self.faults).next()
    }

    pub fn run_hook(&self, index: u64) {
        let hook = self
            .hook
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        if let Some(hook) = hook {
            hook(index, &self.store);
        }
    }

    /// Both headers present and equal to the configured values.
    pub fn authorize(&self, headers: &HeaderMap) -> Result<(), &'static str> {
        let value = |name| headers.get(name).map(|value| value.as_bytes());
        match (value(API_KEY_HEADER), value(PROJECT_ID_HEADER)) {
            (None, _) => Err("Missing API key: send the X-Recallr-Api-Key header"),
            (_, None) => Err("Missing project ID: send the X-Recallr-Project-Id header"),
            (Some(key), Some(project))
                if key == self.api_key.as_bytes() && project == self.project_id.as_bytes() =>
            {
                Ok(())
            }
            _ => Err("Invalid API key or project ID"),
        }
    }
}

/// A running stub of the List Sessions API on a local port.
///
/// It serves `GET /api/v1/users/{custom_user_id}/sessions` from a
/// [`Store`], as the API documents it, and injects [`Fault`]s on demand.
/// Dropping it stops it at once; [`shutdown`](Self::shutdown) lets
/// requests in flight finish first.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> std::io::Result<()> {
/// use recallr_stub::{Fault, Store, StubConfig, StubServer};
///
/// let server = StubServer::start(StubConfig::default(), Store::generate(1, 25, 7)).await?;
/// assert!(server.base_url().starts_with("http://127.0.0.1:"));
/// server.push_faults([Fault::Status(503)]); // the next request gets a 503
/// assert_eq!(server.store().len("user-0"), 25);
/// server.shutdown().await;
/// # Ok(())
/// # }
/// ```
pub struct StubServer {
    addr: SocketAddr,
    shared: Arc<Shared>,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for StubServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StubServer")
            .field("addr", &self.addr)
            .finish_non_exhaustive()
    }
}

impl StubServer {
    /// Starts on `127.0.0.1`, on a free port. Call it inside a Tokio
    /// runtime: the server runs as a task of that runtime.
    pub async fn start(config: StubConfig, store: Store) -> std::io::Result<StubServer> {
        Self::start_on((Ipv4Addr::LOCALHOST, 0).into(), config, store).await
    }

    /// Starts on `addr` (port 0 picks a free port).
    pub async fn start_on(
        addr: SocketAddr,
        config: StubConfig,
        store: Store,
    ) -> std::io::Result<StubServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            project_id: config.project_id,
            store,
            faults: Mutex::new(FaultState::new(config.faults)),
            count: AtomicU64::new(0),
            log: Mutex::new(RequestLog::default()),
            hook: RwLock::new(None),
        });
        let router = Router::new()
            .route(
                handler::ROUTE,
                get(handler::list_sessions).fallback(handler::method_not_allowed),
            )
            .fallback(handler::not_found)
            .with_state(Arc::clone(&shared));
        let (stop, stopped) = oneshot::channel();
        let task = tokio::spawn(serve(listener, router, stopped));
        Ok(StubServer {
            addr,
            shared,
            stop: Some(stop),
            task: Some(task),
        })
    }

    /// The address it listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://ADDR`, for example `http://127.0.0.1:40123`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The data it serves; changes show in the next response.
    pub fn store(&self) -> &Store {
        &self.shared.store
    }

    /// Queues faults for the next requests on the sessions route, one
    /// request each, in order, before any random fault.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults).push(faults);
    }

    /// Replaces the random faults and latency, restarting their seeded
    /// sequence. Queued faults stay.
    pub fn set_fault_config(&self, faults: FaultConfig) {
        lock(&self.shared.faults).set_config(faults);
    }

    /// How many requests the sessions route has received (answered or
    /// not, faults included).
    pub fn request_count(&self) -> u64 {
        self.shared.count.load(Ordering::SeqCst)
    }

    /// The requests on the sessions route, oldest first (the most recent
    /// [`REQUEST_LOG_LIMIT`] of them, and no more than
    /// [`REQUEST_LOG_BYTES`] in all).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log)
            .entries
            .iter()
            .map(|(_, entry)| entry.clone())
            .collect()
    }

    /// Runs `hook` before each request on the sessions route is answered
    /// (after latency and delays, before the store is read, for faulted
    /// requests too), with the request's 0-based index. It runs on the
    /// server's task: keep it short. Replaces any previous hook.
    pub fn set_request_hook(&self, hook: impl Fn(u64, &Store) + Send + Sync + 'static) {
        *self
            .shared
            .hook
            .write()
            .unwrap_or_else(PoisonError::into_inner) = Some(Arc::new(hook));
    }

    /// Removes the request hook.
    pub fn clear_request_hook(&self) {
        *self
            .shared
            .hook
            .write()
            .unwrap_or_else(PoisonError::into_inner) = None;
    }

    /// Stops accepting, lets requests in flight finish (up to a few
    /// seconds), then stops.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            // A join error only means the task was already gone.
            let _ = task.await;
        }
    }
}

impl Drop for StubServer {
    fn drop(&mut self) {
        // Aborting the accept task drops its JoinSet, which aborts every
        // connection task with it.
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// The request line and headers, roughly as they came on the wire.
fn head_size<B>(request: &hyper::Request<B>) -> usize {
    let line = request
        .uri()
        .path_and_query()
        .map_or(0, |path| path.as_str().len());
    request.headers().iter().fold(line, |sum, (name, value)| {
        sum.saturating_add(name.as_str().len())
            .saturating_add(value.len())
            .saturating_add(4)
    })
}

/// 431, as a server answers a request head larger than it accepts.
fn head_too_large() -> axum::response::Response {
    use axum::response::IntoResponse;
    (
        axum::http::StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        axum::Json(serde_json::json!({"detail": "Request Header Fields Too Large"})),
    )
        .into_response()
}

/// The accept loop: one hyper HTTP/1 connection per socket, each wrapped so
/// that a [`DropConnection`] response closes the socket unanswered.
async fn serve(listener: TcpListener, router: Router, mut stopped: oneshot::Receiver<()>) {
    let graceful = GracefulShutdown::new();
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            _ = &mut stopped => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _)) => {
                    let router = router.clone();
                    let service = hyper::service::service_fn(move |request: hyper::Request<Incoming>| {
                        let router = router.clone();
                        async move {
                            if head_size(&request) > MAX_REQUEST_HEAD_BYTES {
                                return Ok(head_too_large());
                            }
                            let response = match router.oneshot(request).await {
                                Ok(response) => response,
                                Err(never) => match never {},
                            };
                            if response.extensions().get::<DropConnection>().is_some() {
                                Err(ConnectionDropped)
                            } else {
                                Ok(response)
                            }
                        }
                    });
                    let connection = hyper::server::conn::http1::Builder::new()
                        .timer(TokioTimer::new())
                        // A larger head is answered 431 by hyper.
                        .max_buf_size(MAX_REQUEST_HEAD_BYTES)
                        .serve_connection(TokioIo::new(stream), service);
                    let connection = graceful.watch(connection);
                    connections.spawn(async move {
                        if let Err(error) = connection.await {
                            tracing::debug!(%error, "connection ended");
                        }
                    });
                }
                Err(error) => {
                    // Out of file descriptors and the like: back off, go on.
                    tracing::warn!(%error, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                }
            },
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    let _ = tokio::time::timeout(GRACE, graceful.shutdown()).await;
}
