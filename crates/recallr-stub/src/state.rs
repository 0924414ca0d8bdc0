//! What the layers, the resources and the [`StubServer`](crate::StubServer)
//! handle share: configuration, data, clock, faults, the request log. It
//! knows nothing of routes.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock};
use std::time::Duration;

use axum::extract::Request;
use axum::http::HeaderMap;

use crate::clock::Clock;
use crate::faults::{FaultState, Plan};
use crate::log::{RecordedRequest, RequestLog};
use crate::spec::{Operation, Spec};
use crate::store::Store;

pub(crate) const API_KEY_HEADER: &str = "x-recallr-api-key";
pub(crate) const PROJECT_ID_HEADER: &str = "x-recallr-project-id";

pub(crate) type Hook = Arc<dyn Fn(u64, &Store) + Send + Sync>;

/// The timings of the vendor's background work, on the stub's clock.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Timing {
    pub processing: Duration,
    pub resolving: Duration,
}

pub(crate) struct Shared {
    pub api_key: String,
    pub project_id: String,
    pub spec: &'static Spec,
    pub store: Store,
    pub clock: Clock,
    pub timing: Timing,
    pub faults: Mutex<FaultState>,
    pub count: AtomicU64,
    pub log: Mutex<RequestLog>,
    pub hook: RwLock<Option<Hook>>,
}

pub(crate) fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    // Every critical section is a single step, so a poisoned lock still
    // holds consistent data.
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

impl Shared {
    /// Counts and records a request; returns its index. A request without
    /// valid credentials is recorded without its headers.
    pub fn begin(&self, request: &Request) -> u64 {
        let index = self.count.fetch_add(1, Ordering::SeqCst);
        let uri = request.uri();
        let headers = if self.authorize(request.headers()).is_ok() {
            request
                .headers()
                .iter()
                .map(|(name, value)| {
                    (
                        name.as_str().to_string(),
                        String::from_utf8_lossy(value.as_bytes()).into_owned(),
                    )
                })
                .collect()
        } else {
            Vec::new()
        };
        let entry = RecordedRequest {
            index,
            method: request.method().to_string(),
            path: uri.path().to_string(),
            query: uri.query().unwrap_or_default().to_string(),
            headers,
        };
        lock(&self.log).push(entry);
        index
    }

    pub fn plan(&self, operation: &Operation, path: &str) -> Plan {
        lock(&self.faults).next(operation, path)
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
