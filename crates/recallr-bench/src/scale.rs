//! Stub scale: the round-trip time of one page of 100 from every list the
//! stub serves, each with a million records of its kind (sessions of a
//! user, messages of a session, memories and merge conflicts of a user,
//! users), at the start, in the middle and with a filter, as seen by a
//! minimal client on loopback.
//!
//! The stub runs in this process, on a runtime of its own, seeded through
//! its `Store` API: writing and parsing a data file of five million
//! records would take longer than the measurement.

use std::time::{Duration, Instant};

use recallr_api::types::{
    Memory, MergeConflict, MergeConflictConflictingMemory, MergeConflictQuestion,
    MergeConflictStatus, Message, MessageRole, SessionStatus,
};
use recallr_stub::{Store, StubConfig, StubServer, session_with_id, timestamp};
use tokio::runtime::Runtime;
use uuid::Uuid;

use crate::error::BenchError;
use crate::plan::Plan;
use crate::raw_client;
use crate::stats;

/// Untimed requests before each scenario's timed ones.
const WARM_UP: usize = 10;
/// Page size of every request (every list accepts 100).
const LIMIT: usize = 100;
/// The user with the sessions (the generated user).
const SESSIONS_USER: &str = "user-0";
/// The user whose one session has the messages.
const MESSAGES_USER: &str = "messages";
/// The user with the memories.
const MEMORIES_USER: &str = "memories";
/// The user with the merge conflicts.
const CONFLICTS_USER: &str = "conflicts";

/// One scenario's percentiles.
#[derive(Debug, Clone)]
pub struct Scenario {
    /// Which list.
    pub list: &'static str,
    /// What was asked, e.g. `offset 500000`.
    pub label: String,
    /// The first request after seeding (it builds whatever the stub
    /// caches for the list).
    pub first: Duration,
    /// Median round trip.
    pub p50: Duration,
    /// 99th-percentile round trip.
    pub p99: Duration,
    /// Timed requests.
    pub samples: usize,
}

/// Every scenario for one seeded stub.
#[derive(Debug, Clone)]
pub struct Scale {
    /// Records of each kind.
    pub records: u64,
    /// How long seeding the store took.
    pub seeding: Duration,
    /// Per list: the start, the middle, and a filter.
    pub scenarios: Vec<Scenario>,
}

/// Seeds a stub with `plan.scale_records` records of every listed kind and
/// times `plan.scale_samples` sequential requests per scenario.
pub fn run(runtime: &Runtime, plan: &Plan) -> Result<Scale, BenchError> {
    let records = plan.scale_records;
    let started = Instant::now();
    let store = seed(records);
    let seeding = started.elapsed();
    // The server gets its own two workers, so that its tasks never wait
    // behind the client's.
    let server_runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|err| BenchError::measure("the stub's tokio runtime", err))?;
    let server = server_runtime
        .block_on(StubServer::start(StubConfig::default(), store))
        .map_err(|err| BenchError::process("the in-process recallr-stub", err))?;
    let scenarios = runtime.block_on(measure(&server.base_url(), records, plan.scale_samples));
    server_runtime.block_on(server.shutdown());
    Ok(Scale {
        records: records as u64,
        seeding,
        scenarios: scenarios?,
    })
}

/// A store with `n` sessions of `user-0`, `n` messages in one session of
/// `messages`, `n` memories of `memories`, `n` merge conflicts of
/// `conflicts`, and `n` users in all. Timestamps repeat every few records,
/// so that the orders have ties to break.
pub fn seed(n: usize) -> Store {
    let store = Store::generate(1, n, 1);
    let chat = Uuid::from_u128(1);
    store.insert(
        MESSAGES_USER,
        session_with_id(
            chat,
            timestamp(0),
            SessionStatus::Pending,
            serde_json::json!({}),
        ),
    );
    let roles = [MessageRole::User, MessageRole::Assistant];
    store.add_messages(
        MESSAGES_USER,
        chat,
        (0..n).map(|i| {
            Message::new(
                format!("message {i}"),
                roles[i % 2].clone(),
                timestamp(seconds(i)),
            )
        }),
    );
    let categories = recallr_stub::MEMORY_CATEGORIES;
    store.extend_memories(
        MEMORIES_USER,
        (0..n).map(|i| {
            let at = timestamp(seconds(i / 4));
            Memory::new(
                vec![categories[i % categories.len()].to_string()],
                format!("memory {i}"),
                at,
                at,
                at,
                false,
                Uuid::from_u128(i as u128 + 1),
                false,
                chat.to_string(),
                1,
                1,
            )
        }),
    );
    let question = MergeConflictQuestion::new(
        vec!["Oslo".into(), "Bergen".into()],
        "Where do you live?".into(),
    );
    let memory = MergeConflictConflictingMemory::new(
        "Lives in Oslo".into(),
        timestamp(0),
        timestamp(0),
        timestamp(0),
        Uuid::from_u128(7),
        "a newer statement disagrees".into(),
    );
    store.extend_merge_conflicts(
        CONFLICTS_USER,
        (0..n).map(|i| {
            MergeConflict::new(
                vec![question.clone()],
                vec![memory.clone()],
                timestamp(seconds(i / 4)),
                Uuid::from_u128(i as u128 + 1),
                chat,
                MergeConflictStatus::PENDING,
            )
        }),
    );
    // Four users exist already.
    for i in 0..n.saturating_sub(4) {
        store.add_user(&format!("u-{i:07}"));
    }
    store
}

fn seconds(i: usize) -> i64 {
    i64::try_from(i).unwrap_or(i64::MAX)
}

/// One request of a scenario: path below `/api/v1` and query.
struct Case {
    list: &'static str,
    label: String,
    path: String,
    query: Vec<(&'static str, String)>,
}

fn case(list: &'static str, path: &str, query: &[(&'static str, String)]) -> Case {
    let label = if query.is_empty() {
        "offset 0".to_string()
    } else {
        query
            .iter()
            .map(|(name, value)| {
                if *name == "offset" {
                    format!("offset {value}")
                } else {
                    format!("{name}={value}")
                }
            })
            .collect::<Vec<_>>()
            .join(", ")
    };
    Case {
        list,
        label,
        path: path.to_string(),
        query: query.to_vec(),
    }
}

async fn measure(
    base_url: &str,
    records: usize,
    samples: usize,
) -> Result<Vec<Scenario>, BenchError> {
    let client = raw_client::client()?;
    let middle = (records / 2).to_string();
    let chat = Uuid::from_u128(1);
    let rarest = rarest_status(&client, base_url).await?;
    let sessions = format!("/users/{SESSIONS_USER}/sessions");
    let messages = format!("/users/{MESSAGES_USER}/sessions/{chat}/messages");
    let memories = format!("/users/{MEMORIES_USER}/memories");
    let conflicts = format!("/users/{CONFLICTS_USER}/merge-conflicts");
    let cases = [
        case("sessions of a user", &sessions, &[]),
        case(
            "sessions of a user",
            &sessions,
            &[("offset", middle.clone())],
        ),
        Case {
            label: format!("status_filter={rarest} (the rarest)"),
            ..case(
                "sessions of a user",
                &sessions,
                &[("status_filter", rarest.clone())],
            )
        },
        case("messages of a session", &messages, &[]),
        case(
            "messages of a session",
            &messages,
            &[("offset", middle.clone())],
        ),
        case("memories of a user", &memories, &[]),
        case(
            "memories of a user",
            &memories,
            &[("offset", middle.clone())],
        ),
        case(
            "memories of a user",
            &memories,
            &[("categories", "work".to_string())],
        ),
        case("merge conflicts of a user", &conflicts, &[]),
        case(
            "merge conflicts of a user",
            &conflicts,
            &[("offset", middle.clone())],
        ),
        case(
            "merge conflicts of a user",
            &conflicts,
            &[
                ("sort_order", "asc".to_string()),
                ("offset", middle.clone()),
            ],
        ),
        case(
            "merge conflicts of a user",
            &conflicts,
            &[("status", "PENDING".to_string())],
        ),
        case("users", "/users", &[]),
        case("users", "/users", &[("offset", middle.clone())]),
        case("users", "/users", &[("partial_user_id", "5".to_string())]),
    ];
    let mut scenarios = Vec::with_capacity(cases.len());
    for case in cases {
        let mut query = case.query.clone();
        query.push(("limit", LIMIT.to_string()));
        let url = format!("{base_url}/api/v1{}", case.path);
        let mut times = Vec::with_capacity(samples);
        let mut first = Duration::ZERO;
        for index in 0..WARM_UP + samples {
            let what = format!("stub scale ({}, {})", case.list, case.label);
            let (body, elapsed) = get(&client, &url, &query, &what).await?;
            let items = items(&body);
            if items != Some(LIMIT.min(records)) {
                return Err(BenchError::measure(
                    what,
                    format!("got {items:?} items, expected {}", LIMIT.min(records)),
                ));
            }
            if index == 0 {
                first = elapsed;
            }
            if index >= WARM_UP {
                times.push(elapsed);
            }
        }
        scenarios.push(Scenario {
            list: case.list,
            label: case.label,
            first,
            p50: stats::percentile(&times, 50.0),
            p99: stats::percentile(&times, 99.0),
            samples: times.len(),
        });
    }
    Ok(scenarios)
}

/// The status with the fewest sessions: the status filter's worst case
/// (the most sessions scanned per match).
async fn rarest_status(client: &reqwest::Client, base_url: &str) -> Result<String, BenchError> {
    let url = format!("{base_url}/api/v1/users/{SESSIONS_USER}/sessions");
    let mut rarest: Option<(u64, &str)> = None;
    for status in &SessionStatus::KNOWN {
        let query = [
            ("limit", "1".to_string()),
            ("status_filter", status.as_str().to_string()),
        ];
        let (body, _) = get(client, &url, &query, "stub scale (status totals)").await?;
        let total = body.get("total").and_then(serde_json::Value::as_u64);
        if let Some(total) = total.filter(|&total| total > 0)
            && rarest.is_none_or(|(fewest, _)| total < fewest)
        {
            rarest = Some((total, status.as_str()));
        }
    }
    rarest
        .map(|(_, status)| status.to_string())
        .ok_or_else(|| BenchError::measure("stub scale", "no status filter matches any session"))
}

/// Sends one GET; returns the decoded body and the round trip (until the
/// whole body is read; decoding is not timed).
async fn get(
    client: &reqwest::Client,
    url: &str,
    query: &[(&str, String)],
    what: &str,
) -> Result<(serde_json::Value, Duration), BenchError> {
    let started = Instant::now();
    let response = client
        .get(url)
        .query(query)
        .send()
        .await
        .map_err(|err| BenchError::measure(what, err))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| BenchError::measure(what, err))?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        return Err(BenchError::measure(
            what,
            format!(
                "the stub answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
        ));
    }
    let body = serde_json::from_slice(&body).map_err(|err| BenchError::measure(what, err))?;
    Ok((body, elapsed))
}

/// The length of a list body's one array (`sessions`, `items`, ...).
fn items(body: &serde_json::Value) -> Option<usize> {
    body.as_object()?
        .values()
        .find_map(|value| value.as_array().map(Vec::len))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_seed_has_every_kind() {
        let store = seed(40);
        assert_eq!(store.len(SESSIONS_USER), 40);
        assert_eq!(store.users().len(), 40);
        let chat = Uuid::from_u128(1);
        assert_eq!(
            store.messages(MESSAGES_USER, chat).map(|m| m.len()),
            Some(40)
        );
        assert_eq!(store.memories(MEMORIES_USER).map(|m| m.len()), Some(40));
        assert_eq!(
            store.merge_conflicts(CONFLICTS_USER).map(|c| c.len()),
            Some(40)
        );
    }

    #[test]
    fn a_list_body_has_its_items_counted() {
        let body = serde_json::json!({"total": 3, "has_more": false, "items": [1, 2, 3]});
        assert_eq!(items(&body), Some(3));
        assert_eq!(items(&serde_json::json!({"total": 3})), None);
    }
}
