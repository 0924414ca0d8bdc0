//! Property tests of the pager against random interleavings of inserts,
//! deletes and status changes between page fetches.
//!
//! Invariants: the walk ends; no session is yielded twice; every session
//! that exists (and matches the filter) for the whole walk is yielded
//! exactly once; yielded sessions are in the server's order.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use crate::common::{USER, client, session, start};
use futures::StreamExt;
use proptest::prelude::*;
use recallr_ext::SessionStatus;
use recallr_stub::Store;
use uuid::Uuid;

#[derive(Debug, Clone)]
enum Change {
    /// A new session at this timestamp (timestamps collide on purpose).
    Insert { created: i64, status: usize },
    /// Deletes the session at this position (modulo the list length).
    Delete { pick: usize },
    /// Changes the status of the session at this position.
    SetStatus { pick: usize, status: usize },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..40_i64, 0..5_usize).prop_map(|(created, status)| Change::Insert { created, status }),
        any::<usize>().prop_map(|pick| Change::Delete { pick }),
        (any::<usize>(), 0..5_usize).prop_map(|(pick, status)| Change::SetStatus { pick, status }),
    ]
}

#[derive(Debug, Clone)]
struct Scenario {
    initial: Vec<(i64, usize)>,
    page_size: u64,
    concurrency: usize,
    filter: Vec<usize>,
    /// The changes made before request N+1 (request 0 sees the initial list).
    changes: Vec<Vec<Change>>,
}

fn scenario() -> impl Strategy<Value = Scenario> {
    // Small pages, and pages large enough that pages fetched ahead overlap
    // by more than one session (50 and up).
    let list_and_page = prop_oneof![
        (
            prop::collection::vec((0..30_i64, 0..5_usize), 0..60),
            2..9_u64
        ),
        (
            prop::collection::vec((0..120_i64, 0..5_usize), 0..260),
            50..56_u64
        ),
    ];
    (
        list_and_page,
        prop::sample::select(vec![1_usize, 2, 4]),
        prop::collection::vec(0..5_usize, 0..3),
        prop::collection::vec(prop::collection::vec(change(), 0..4), 0..40),
    )
        .prop_map(
            |((initial, page_size), concurrency, filter, changes)| Scenario {
                initial,
                page_size,
                concurrency,
                filter,
                changes,
            },
        )
}

fn status(index: usize) -> SessionStatus {
    SessionStatus::KNOWN[index % SessionStatus::KNOWN.len()].clone()
}

/// Applies one request's changes; returns the ids whose presence in the
/// filtered list may have changed.
fn apply(store: &Store, changes: &[Change], next_id: &mut u128) -> Vec<Uuid> {
    let mut touched = Vec::new();
    for change in changes {
        let current = store.sessions(USER).unwrap_or_default();
        match change {
            Change::Insert {
                created,
                status: index,
            } => {
                *next_id += 1;
                store.insert(USER, session(*next_id, *created, status(*index)));
            }
            Change::Delete { pick } if !current.is_empty() => {
                let id = current[pick % current.len()].session_id;
                store.delete(USER, id);
                touched.push(id);
            }
            Change::SetStatus {
                pick,
                status: index,
            } if !current.is_empty() => {
                let id = current[pick % current.len()].session_id;
                store.set_status(USER, id, status(*index));
                touched.push(id);
            }
            _ => {}
        }
    }
    touched
}

fn run(scenario: Scenario) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| TestCaseError::fail(format!("no runtime: {err}")))?;
    runtime.block_on(async move {
        let store = Store::new();
        store.add_user(USER);
        for (n, (created, index)) in scenario.initial.iter().enumerate() {
            store.insert(USER, session(n as u128, *created, status(*index)));
        }
        let filter: Vec<SessionStatus> =
            scenario.filter.iter().map(|index| status(*index)).collect();
        let matches = |session: &recallr_ext::SessionInfo| {
            filter.is_empty() || session.status.as_ref().is_some_and(|s| filter.contains(s))
        };
        let required: HashSet<Uuid> = store
            .sessions(USER)
            .unwrap_or_default()
            .iter()
            .filter(|session| matches(session))
            .map(|session| session.session_id)
            .collect();

        let server = start(store).await;
        let touched = Arc::new(Mutex::new(HashSet::new()));
        let log = Arc::clone(&touched);
        let changes = scenario.changes.clone();
        let next_id = Mutex::new(10_000_u128);
        server.set_request_hook(move |index, store| {
            let Some(batch) = index.checked_sub(1).and_then(|i| changes.get(i as usize)) else {
                return;
            };
            if let (Ok(mut next_id), Ok(mut log)) = (next_id.lock(), log.lock()) {
                log.extend(apply(store, batch, &mut next_id));
            }
        });

        let mut items = client(&server)
            .user(USER)
            .sessions()
            .statuses(filter.clone())
            .page_size(scenario.page_size)
            .concurrency(scenario.concurrency)
            .items();
        let mut yielded = Vec::new();
        while let Some(item) = items.next().await {
            match item {
                Ok(session) => yielded.push(session),
                Err(error) => return Err(TestCaseError::fail(format!("walk failed: {error}"))),
            }
        }

        let mut counts: HashMap<Uuid, usize> = HashMap::new();
        for session in &yielded {
            *counts.entry(session.session_id).or_default() += 1;
        }
        prop_assert!(
            counts.values().all(|n| *n == 1),
            "a session was yielded twice"
        );
        let touched = touched.lock().map(|set| set.clone()).unwrap_or_default();
        for id in required.difference(&touched) {
            prop_assert!(
                counts.contains_key(id),
                "{id} existed throughout but was skipped"
            );
        }
        for pair in yielded.windows(2) {
            prop_assert!(pair[0].created_at >= pair[1].created_at, "out of order");
        }
        Ok(())
    })
}

proptest! {
    // Past failures live beside this file, in `pager_props.proptest-regressions`:
    // proptest's default would look in `tests/proptest-regressions/`, since
    // `tests/it/` holds a `main.rs`.
    #![proptest_config(ProptestConfig {
        cases: 64,
        failure_persistence: Some(Box::new(
            proptest::test_runner::FileFailurePersistence::WithSource("proptest-regressions"),
        )),
        ..ProptestConfig::default()
    })]

    #[test]
    fn the_pager_yields_every_stable_session_exactly_once(scenario in scenario()) {
        run(scenario)?;
    }
}
