//! Concurrency: many requests at once across every route of the stub,
//! each expected to succeed, and the errors counted (transport failures
//! and any status other than the one the route answers on success).
//!
//! The stub is a separate `recallr-stub serve` process with a data file
//! written for the run: each request that changes something (delete,
//! process, resolve) has a target of its own, so no request depends on
//! the order in which the others arrive.

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use recallr_api::types::{
    Memory, MergeConflict, MergeConflictConflictingMemory, MergeConflictQuestion,
    MergeConflictStatus, Message, MessageRole, SessionStatus,
};
use recallr_stub::{session_with_id, timestamp};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::error::BenchError;
use crate::raw_client;
use crate::stats;

/// The user every request works on.
const USER: &str = "flood";
/// A session that stays pending: messages are added to it.
const CHAT: u128 = 1;
/// A session that is read, updated and asked for context.
const READ: u128 = 2;
/// A memory and a merge conflict that are read.
const KEPT_MEMORY: u128 = 3;
const KEPT_CONFLICT: u128 = 4;
/// Where each kind of per-request target starts, as a UUID.
const PROCESS_BASE: u128 = 1 << 32;
const DELETE_SESSION_BASE: u128 = 2 << 32;
const DELETE_MEMORY_BASE: u128 = 3 << 32;
const RESOLVE_BASE: u128 = 4 << 32;
/// Any request slower than this is an error.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);
/// The question every seeded conflict asks, and its answer.
const QUESTION: &str = "Where do you live?";

/// One route of the API and what a request to it expects.
struct Route {
    operation: &'static str,
    method: Method,
    /// The path below `/api/v1`, for the route's `j`-th request.
    path: fn(u128) -> String,
    body: fn(u128) -> Option<Value>,
    expect: StatusCode,
}

fn routes() -> Vec<Route> {
    let user = |_: u128| format!("/users/{USER}");
    let none = |_: u128| None;
    vec![
        Route {
            operation: "list_users",
            method: Method::GET,
            path: |_| "/users".into(),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "create_user",
            method: Method::POST,
            path: |_| "/users".into(),
            body: |j| Some(json!({"custom_user_id": format!("new-{j}")})),
            expect: StatusCode::CREATED,
        },
        Route {
            operation: "get_user",
            method: Method::GET,
            path: user,
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "update_user",
            method: Method::PUT,
            path: user,
            body: |j| Some(json!({"new_metadata": {"round": j.to_string()}})),
            expect: StatusCode::OK,
        },
        Route {
            operation: "delete_user",
            method: Method::DELETE,
            path: |j| format!("/users/gone-{j}"),
            body: none,
            expect: StatusCode::NO_CONTENT,
        },
        Route {
            operation: "list_sessions",
            method: Method::GET,
            path: |_| format!("/users/{USER}/sessions"),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "create_session",
            method: Method::POST,
            path: |_| format!("/users/{USER}/sessions"),
            body: |_| Some(json!({})),
            expect: StatusCode::CREATED,
        },
        Route {
            operation: "get_session",
            method: Method::GET,
            path: |_| session(READ),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "update_session",
            method: Method::PUT,
            path: |_| session(READ),
            body: |j| Some(json!({"new_metadata": {"round": j.to_string()}})),
            expect: StatusCode::OK,
        },
        Route {
            operation: "delete_session",
            method: Method::DELETE,
            path: |j| session(DELETE_SESSION_BASE + j),
            body: none,
            expect: StatusCode::NO_CONTENT,
        },
        Route {
            operation: "process_session",
            method: Method::POST,
            path: |j| format!("{}/process", session(PROCESS_BASE + j)),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "add_message",
            method: Method::POST,
            path: |_| format!("{}/add-message", session(CHAT)),
            body: |j| Some(json!({"role": "user", "message": format!("message {j}")})),
            expect: StatusCode::OK,
        },
        Route {
            operation: "list_messages",
            method: Method::GET,
            path: |_| format!("{}/messages", session(READ)),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "get_user_messages",
            method: Method::GET,
            path: |_| format!("/users/{USER}/messages"),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "get_context",
            method: Method::GET,
            path: |_| format!("{}/context", session(READ)),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "list_memories",
            method: Method::GET,
            path: |_| format!("/users/{USER}/memories"),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "get_memory",
            method: Method::GET,
            path: |_| memory(KEPT_MEMORY),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "delete_memory",
            method: Method::DELETE,
            path: |j| memory(DELETE_MEMORY_BASE + j),
            body: none,
            expect: StatusCode::NO_CONTENT,
        },
        Route {
            operation: "list_merge_conflicts",
            method: Method::GET,
            path: |_| format!("/users/{USER}/merge-conflicts"),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "get_merge_conflict",
            method: Method::GET,
            path: |_| conflict(KEPT_CONFLICT),
            body: none,
            expect: StatusCode::OK,
        },
        Route {
            operation: "resolve_merge_conflict",
            method: Method::POST,
            path: |j| format!("{}/resolve", conflict(RESOLVE_BASE + j)),
            body: |_| Some(json!({"question_answers": [{"question": QUESTION, "answer": "Oslo"}]})),
            expect: StatusCode::OK,
        },
        Route {
            operation: "get_system_prompt",
            method: Method::GET,
            path: |_| "/system-prompt".into(),
            body: none,
            expect: StatusCode::OK,
        },
    ]
}

fn session(id: u128) -> String {
    format!("/users/{USER}/sessions/{}", Uuid::from_u128(id))
}

fn memory(id: u128) -> String {
    format!("/users/{USER}/memory/{}", Uuid::from_u128(id))
}

fn conflict(id: u128) -> String {
    format!("/users/{USER}/merge-conflicts/{}", Uuid::from_u128(id))
}

/// Errors of one route.
#[derive(Debug, Clone)]
pub struct RouteErrors {
    /// The operation.
    pub operation: &'static str,
    /// How many of its requests failed.
    pub count: u64,
    /// The first failure, as text.
    pub example: String,
}

/// How the burst went.
#[derive(Debug, Clone)]
pub struct Concurrency {
    /// Requests sent, all at once.
    pub requests: u64,
    /// Routes they were spread over.
    pub routes: usize,
    /// Failed requests in all.
    pub errors: u64,
    /// Per route with failures.
    pub failures: Vec<RouteErrors>,
    /// From the first request sent to the last answer read.
    pub elapsed: Duration,
    /// Median and 99th-percentile round trip of a request.
    pub p50: Duration,
    /// See `p50`.
    pub p99: Duration,
}

/// The data file: one user with a target per changing request, plus the
/// users that `delete_user` removes. `per_route` requests per route.
pub fn data(per_route: u128) -> Value {
    let session_value = |id: u128| {
        serde_json::to_value(session_with_id(
            Uuid::from_u128(id),
            timestamp(i64::try_from(id % 1_000_000).unwrap_or(0)),
            SessionStatus::Pending,
            json!({"kind": "flood"}),
        ))
        .unwrap_or(Value::Null)
    };
    let mut sessions = vec![session_value(CHAT), session_value(READ)];
    let mut memories = vec![memory_value(KEPT_MEMORY)];
    let mut conflicts = vec![conflict_value(KEPT_CONFLICT)];
    for j in 0..per_route {
        sessions.push(session_value(PROCESS_BASE + j));
        sessions.push(session_value(DELETE_SESSION_BASE + j));
        memories.push(memory_value(DELETE_MEMORY_BASE + j));
        conflicts.push(conflict_value(RESOLVE_BASE + j));
    }
    let said = |text: &str| {
        serde_json::to_value(Message::new(text.into(), MessageRole::User, timestamp(1)))
            .unwrap_or(Value::Null)
    };
    let mut users = serde_json::Map::new();
    users.insert(
        USER.to_string(),
        json!({
            "sessions": sessions,
            "messages": {
                Uuid::from_u128(CHAT).to_string(): [said("hello")],
                Uuid::from_u128(READ).to_string(): [said("I live in Oslo")],
            },
            "memories": memories,
            "merge_conflicts": conflicts,
        }),
    );
    for j in 0..per_route {
        users.insert(format!("gone-{j}"), json!({}));
    }
    json!({ "users": users })
}

fn memory_value(id: u128) -> Value {
    let memory = Memory::new(
        vec!["personal_info".into()],
        "Lives in Oslo".into(),
        timestamp(0),
        timestamp(0),
        timestamp(0),
        false,
        Uuid::from_u128(id),
        false,
        Uuid::from_u128(READ).to_string(),
        1,
        1,
    );
    serde_json::to_value(memory).unwrap_or(Value::Null)
}

fn conflict_value(id: u128) -> Value {
    let question =
        MergeConflictQuestion::new(vec!["Oslo".into(), "Bergen".into()], QUESTION.into());
    let memory = MergeConflictConflictingMemory::new(
        "Lives in Oslo".into(),
        timestamp(0),
        timestamp(0),
        timestamp(0),
        Uuid::from_u128(KEPT_MEMORY),
        "a newer statement disagrees".into(),
    );
    let conflict = MergeConflict::new(
        vec![question],
        vec![memory],
        timestamp(0),
        Uuid::from_u128(id),
        Uuid::from_u128(READ),
        MergeConflictStatus::PENDING,
    );
    serde_json::to_value(conflict).unwrap_or(Value::Null)
}

/// How many requests each route gets when `requests` are spread over
/// every route.
pub fn per_route(requests: usize) -> u128 {
    let routes = routes().len();
    requests.div_ceil(routes) as u128
}

/// Writes the data file for `requests` requests to `path`.
pub fn write_data(path: &Path, requests: usize) -> Result<(), BenchError> {
    let text = serde_json::to_string(&data(per_route(requests)))
        .map_err(|err| BenchError::measure("the concurrency data file", err))?;
    std::fs::write(path, text).map_err(|source| BenchError::Io {
        action: "write",
        path: path.to_path_buf(),
        source,
    })
}

/// Sends `requests` requests at once to the stub at `base_url` (serving
/// [`write_data`]'s file), spread round-robin over every route.
pub fn run(runtime: &Runtime, base_url: &str, requests: usize) -> Result<Concurrency, BenchError> {
    runtime.block_on(burst(base_url, requests))
}

async fn burst(base_url: &str, requests: usize) -> Result<Concurrency, BenchError> {
    let client = raw_client::client()?;
    let routes = routes();
    let started = Instant::now();
    // join_all polls every request once before any answer is read, so all
    // of them are in flight together.
    let answers = futures::future::join_all((0..requests).map(|i| {
        let route = &routes[i % routes.len()];
        let j = (i / routes.len()) as u128;
        one(&client, base_url, route, j)
    }))
    .await;
    let elapsed = started.elapsed();
    let mut times = Vec::with_capacity(requests);
    let mut failures: BTreeMap<&'static str, RouteErrors> = BTreeMap::new();
    for (i, (time, outcome)) in answers.into_iter().enumerate() {
        times.push(time);
        if let Err(problem) = outcome {
            let operation = routes[i % routes.len()].operation;
            failures
                .entry(operation)
                .or_insert_with(|| RouteErrors {
                    operation,
                    count: 0,
                    example: problem,
                })
                .count += 1;
        }
    }
    let failures: Vec<RouteErrors> = failures.into_values().collect();
    Ok(Concurrency {
        requests: requests as u64,
        routes: routes.len(),
        errors: failures.iter().map(|failure| failure.count).sum(),
        failures,
        elapsed,
        p50: stats::percentile(&times, 50.0),
        p99: stats::percentile(&times, 99.0),
    })
}

/// One request: its round trip, and why it failed if it did.
async fn one(
    client: &reqwest::Client,
    base_url: &str,
    route: &Route,
    j: u128,
) -> (Duration, Result<(), String>) {
    let started = Instant::now();
    let mut request = client
        .request(
            route.method.clone(),
            format!("{base_url}/api/v1{}", (route.path)(j)),
        )
        .timeout(REQUEST_TIMEOUT);
    if let Some(body) = (route.body)(j) {
        request = request.json(&body);
    }
    let outcome = match request.send().await {
        Err(err) => Err(format!("{err}")),
        Ok(response) => {
            let status = response.status();
            match response.bytes().await {
                Err(err) => Err(format!("{status}, body unread: {err}")),
                Ok(body) if status != route.expect => Err(format!(
                    "{status} (expected {}): {}",
                    route.expect,
                    String::from_utf8_lossy(&body[..body.len().min(200)])
                )),
                Ok(_) => Ok(()),
            }
        }
    };
    (started.elapsed(), outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_data_file_loads_and_has_a_target_per_changing_request() {
        let text = serde_json::to_string(&data(3)).expect("serialises");
        let store = recallr_stub::Store::from_json(&text).expect("the stub loads it");
        assert_eq!(store.len(USER), 2 + 2 * 3);
        assert_eq!(store.users().len(), 1 + 3);
        assert_eq!(store.memories(USER).map(|m| m.len()), Some(1 + 3));
        assert_eq!(store.merge_conflicts(USER).map(|c| c.len()), Some(1 + 3));
    }

    #[test]
    fn every_operation_the_stub_serves_is_a_route_once() {
        let spec: Value = serde_json::from_str(recallr_stub::EFFECTIVE_SPEC).expect("the spec");
        let mut served: Vec<&str> = spec["paths"]
            .as_object()
            .into_iter()
            .flat_map(|paths| paths.values())
            .filter_map(Value::as_object)
            .flat_map(|operations| operations.values())
            .filter_map(|operation| operation["operationId"].as_str())
            .collect();
        served.sort_unstable();
        let mut operations: Vec<&str> = routes().iter().map(|route| route.operation).collect();
        operations.sort_unstable();
        assert_eq!(operations, served);
        assert_eq!(per_route(10_000), 455);
    }
}
