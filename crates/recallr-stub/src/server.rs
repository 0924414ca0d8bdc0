//! The server: configuration, the route table and its layers, the
//! [`StubServer`] handle, and an accept loop of our own, so that a fault
//! can drop a connection.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError, RwLock};
use std::time::Duration;

use axum::Router;
use axum::middleware::from_fn_with_state;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::server::graceful::GracefulShutdown;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::{JoinHandle, JoinSet};
use tower::ServiceExt;

use crate::clock::Clock;
use crate::faults::{Fault, FaultConfig, FaultState, FaultTarget};
use crate::log::{RecordedRequest, RequestLog};
use crate::response::DropConnection;
use crate::spec::Spec;
use crate::state::{Shared, Timing, lock};
use crate::store::Store;
use crate::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID, layers, resources};

/// How long [`StubServer::shutdown`] waits for requests in flight.
const GRACE: Duration = Duration::from_secs(3);
/// The largest request head (request line and headers) the stub reads;
/// a larger one is answered 431, as a real server would.
pub const MAX_REQUEST_HEAD_BYTES: usize = 64 * 1024;

/// The credentials the stub accepts, its random faults, and how long the
/// vendor's background work takes on the stub's [`Clock`].
#[derive(Clone, Debug)]
pub struct StubConfig {
    /// The only accepted `X-Recallr-Api-Key` (default [`DEFAULT_API_KEY`]).
    pub api_key: String,
    /// The only accepted `X-Recallr-Project-Id` (default [`DEFAULT_PROJECT_ID`]).
    pub project_id: String,
    /// Random faults and latency (default: none).
    pub faults: FaultConfig,
    /// How long a session stays `processing` before it is `processed`
    /// (default 2 s).
    pub processing: Duration,
    /// How long a resolved merge conflict stays `IN_QUEUE` before it is
    /// `RESOLVED` (default 2 s).
    pub resolving: Duration,
    /// The clock (default: the system clock). Pass a clone to keep a
    /// handle, or use [`StubServer::clock`].
    pub clock: Clock,
}

impl Default for StubConfig {
    fn default() -> Self {
        Self {
            api_key: DEFAULT_API_KEY.to_string(),
            project_id: DEFAULT_PROJECT_ID.to_string(),
            faults: FaultConfig::default(),
            processing: Duration::from_secs(2),
            resolving: Duration::from_secs(2),
            clock: Clock::new(),
        }
    }
}

/// A running stub of the RecallrAI API on a local port.
///
/// It serves every operation of the effective spec from a [`Store`], with
/// the vendor's behaviour, on a controllable [`Clock`], and injects
/// [`Fault`]s on demand.
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
        let spec = Spec::embedded().map_err(std::io::Error::other)?;
        Self::serve_spec(addr, config, store, spec).await
    }

    /// Starts on `127.0.0.1` serving `spec` (an effective spec, OpenAPI
    /// 3.0 JSON) instead of the embedded one: for example a newer vendor
    /// release, whose new operations are validated from it and answered
    /// with synthesised responses. The parsed spec is kept for the life of
    /// the process.
    pub async fn start_with_spec(
        config: StubConfig,
        store: Store,
        spec: &str,
    ) -> std::io::Result<StubServer> {
        let spec = Spec::parse(spec).map_err(std::io::Error::other)?;
        let spec: &'static Spec = Box::leak(Box::new(spec));
        Self::serve_spec((Ipv4Addr::LOCALHOST, 0).into(), config, store, spec).await
    }

    async fn serve_spec(
        addr: SocketAddr,
        config: StubConfig,
        store: Store,
        spec: &'static Spec,
    ) -> std::io::Result<StubServer> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            api_key: config.api_key,
            project_id: config.project_id,
            spec,
            store,
            clock: config.clock,
            timing: Timing {
                processing: config.processing,
                resolving: config.resolving,
            },
            faults: Mutex::new(FaultState::new(config.faults)),
            count: AtomicU64::new(0),
            log: Mutex::new(RequestLog::default()),
            hook: RwLock::new(None),
        });
        let state = Arc::clone(&shared);
        // The last layer added runs first.
        let router = Router::new()
            .fallback(resources::dispatch)
            .layer(from_fn_with_state(Arc::clone(&state), layers::validate))
            .layer(from_fn_with_state(Arc::clone(&state), layers::auth))
            .layer(from_fn_with_state(Arc::clone(&state), layers::faults))
            .layer(from_fn_with_state(Arc::clone(&state), layers::record))
            .layer(from_fn_with_state(Arc::clone(&state), layers::route))
            .with_state(state);
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

    /// Queues faults for the next requests on any route, one request
    /// each, in order, before any random fault.
    pub fn push_faults(&self, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults).push(&FaultTarget::Any, faults);
    }

    /// Queues faults for the next requests that `target` selects (an
    /// operation or a path), one request each, in order. Other requests
    /// pass them by.
    pub fn push_faults_for(&self, target: FaultTarget, faults: impl IntoIterator<Item = Fault>) {
        lock(&self.shared.faults).push(&target, faults);
    }

    /// The stub's clock: move it forward to fire auto-processing, the end
    /// of processing and merge-conflict resolution.
    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// Replaces the random faults and latency, restarting their seeded
    /// sequence. Queued faults stay.
    pub fn set_fault_config(&self, faults: FaultConfig) {
        lock(&self.shared.faults).set_config(faults);
    }

    /// How many requests were routed to an operation (answered or not,
    /// faults and 401s included; 404s and 405s of unknown routes are not).
    pub fn request_count(&self) -> u64 {
        self.shared.count.load(Ordering::SeqCst)
    }

    /// The routed requests, oldest first (the most recent
    /// [`REQUEST_LOG_LIMIT`](crate::REQUEST_LOG_LIMIT) of them, holding no
    /// more than [`REQUEST_LOG_BYTES`](crate::REQUEST_LOG_BYTES)).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.shared.log)
            .entries
            .iter()
            .map(|(_, entry)| entry.clone())
            .collect()
    }

    /// Runs `hook` before each routed request is answered
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

/// The service error that makes hyper close a connection unanswered.
#[derive(Debug)]
struct ConnectionDropped;

impl std::fmt::Display for ConnectionDropped {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("connection dropped by an injected fault")
    }
}

impl std::error::Error for ConnectionDropped {}

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
