//! The orders other than the sessions' (which `tests/it` walks through the
//! public API): merge conflicts sorted either way, users unordered,
//! messages append-only. Users and messages are the generated request
//! objects (`client.users()`, `...messages()`, whose `impl PagedList`
//! xtask writes from their declarations); merge conflicts are fetched
//! sorted by `created_at` through a test list, for the sorted walk in
//! either direction. Each is served from loopback by a server that changes
//! the list between requests.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::response::IntoResponse;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use proptest::prelude::*;
use recallr_api::types::{MergeConflict, Message, UserInfo};
use serde_json::{Value, json};
use uuid::Uuid;

use super::{Direction, ItemStream, Order, Page, PagedList, PagerStats, Pagination, Walk, walk};
use crate::error::Error;
use crate::{Recallr, response};

const USER: &str = "user-1";

/// One item of a test list: its id and its sort key, in seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Record {
    id: u128,
    created: i64,
}

fn timestamp(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(1_700_000_000 + seconds, 0).unwrap_or_default()
}

fn rfc3339(seconds: i64) -> String {
    timestamp(seconds).to_rfc3339()
}

/// Which list the server serves, and how it writes a record.
#[derive(Debug, Clone, Copy)]
enum Kind {
    Conflicts,
    Users,
    Messages,
}

impl Kind {
    fn field(self) -> &'static str {
        match self {
            Kind::Conflicts => "conflicts",
            Kind::Users => "users",
            Kind::Messages => "messages",
        }
    }

    fn item(self, record: Record) -> Value {
        let at = rfc3339(record.created);
        match self {
            Kind::Conflicts => json!({
                "id": Uuid::from_u128(record.id),
                "created_at": at,
                "clarifying_questions": [],
                "conflicting_memories": [],
                "project_user_session_id": Uuid::from_u128(0),
                "status": "PENDING",
            }),
            Kind::Users => json!({
                "custom_user_id": format!("user-{}", record.id),
                "created_at": at,
                "last_active_at": at,
                "metadata": {},
            }),
            Kind::Messages => json!({
                "content": format!("m{}", record.id),
                "role": "user",
                "timestamp": at,
            }),
        }
    }
}

/// Changes the list before the request with this index (0 is the first).
type Hook = Box<dyn Fn(u64, &mut Vec<Record>) + Send + Sync>;

struct Server {
    base_url: String,
}

/// Serves `list` as `kind` on loopback: sorted by `created` in `sort`'s
/// direction (ties in the order they were added), else as the hook leaves
/// it. `total` overrides the count sent.
async fn serve(
    kind: Kind,
    list: Vec<Record>,
    sort: Option<Direction>,
    hook: Hook,
    total: Option<i64>,
) -> Server {
    let state = Arc::new(Mutex::new(list));
    let counter = Arc::new(AtomicU64::new(0));
    let hook = Arc::new(hook);
    let router = axum::Router::new().fallback(
        move |axum::extract::Query(query): axum::extract::Query<HashMap<String, String>>| {
            let (state, counter, hook) =
                (Arc::clone(&state), Arc::clone(&counter), Arc::clone(&hook));
            async move {
                let number = |name: &str| {
                    query
                        .get(name)
                        .and_then(|value| value.parse::<usize>().ok())
                        .unwrap_or(0)
                };
                let (offset, limit) = (number("offset"), number("limit"));
                let index = counter.fetch_add(1, Ordering::SeqCst);
                let Ok(mut list) = state.lock() else {
                    return axum::http::StatusCode::INTERNAL_SERVER_ERROR.into_response();
                };
                hook(index, &mut list);
                match sort {
                    Some(Direction::Ascending) => list.sort_by_key(|record| record.created),
                    Some(Direction::Descending) => {
                        list.sort_by_key(|record| std::cmp::Reverse(record.created));
                    }
                    None => {}
                }
                let page: Vec<Value> = list
                    .iter()
                    .skip(offset)
                    .take(limit)
                    .map(|record| kind.item(*record))
                    .collect();
                let has_more = offset.saturating_add(page.len()) < list.len();
                let count = total.unwrap_or(list.len() as i64);
                let mut body = json!({"total": count, "has_more": has_more});
                body[kind.field()] = Value::Array(page);
                (
                    [(axum::http::header::CONTENT_TYPE, "application/json")],
                    body.to_string(),
                )
                    .into_response()
            }
        },
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a loopback port");
    let addr = listener.local_addr().expect("an address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Server {
        base_url: format!("http://{addr}"),
    }
}

fn client(server: &Server) -> Recallr {
    Recallr::builder()
        .api_key(recallr_stub::DEFAULT_API_KEY)
        .project_id(recallr_stub::DEFAULT_PROJECT_ID)
        .base_url(&server.base_url)
        .build()
        .expect("a valid configuration")
}

/// Merge conflicts, sorted by `created_at` in the direction the request
/// asks for; ids are unique.
struct Conflicts {
    client: Recallr,
    direction: Direction,
}

impl PagedList for Conflicts {
    type Item = MergeConflict;
    type Id = Uuid;
    type Key = DateTime<Utc>;

    fn pagination(&self) -> Pagination {
        Pagination {
            order: Order::Sorted(self.direction),
            key_name: "created_at",
            item_name: "merge conflicts",
            max_page_size: recallr_api::facts::list_merge_conflicts::LIMIT_MAX,
        }
    }

    fn key(item: &MergeConflict) -> Self::Key {
        item.created_at
    }

    fn id(item: &MergeConflict) -> Uuid {
        item.id
    }

    async fn fetch(&self, offset: u64, limit: u64) -> Result<Page<MergeConflict>, Error> {
        let sort_order = match self.direction {
            Direction::Ascending => "asc",
            Direction::Descending => "desc",
        };
        let sent = self
            .client
            .api()
            .list_merge_conflicts()
            .custom_user_id(USER)
            .offset(offset)
            .limit(limit)
            .sort_by("created_at")
            .sort_order(sort_order)
            .send()
            .await;
        match sent {
            Ok(list) => {
                let list = list.into_inner();
                Ok(Page {
                    items: list.conflicts,
                    total: Some(i128::from(list.total)),
                    has_more: Some(list.has_more),
                })
            }
            Err(error) => Err(response::convert(error, self.client.redactor(), &[]).await),
        }
    }
}

/// Walks `list` whole; the items or the first error, with the counters.
async fn collect<L: PagedList>(
    list: L,
    client: &Recallr,
    page_size: u64,
    concurrency: usize,
) -> (Result<Vec<L::Item>, Error>, PagerStats) {
    let mut items = ItemStream::new(walk(
        list,
        Walk::new(client, 0, page_size, None, concurrency),
    ));
    let mut yielded = Vec::new();
    while let Some(item) = items.next().await {
        match item {
            Ok(item) => yielded.push(item),
            Err(error) => return (Err(error), items.stats()),
        }
    }
    (Ok(yielded), items.stats())
}

fn no_changes() -> Hook {
    Box::new(|_, _| {})
}

fn conflict_ids(items: &[MergeConflict]) -> Vec<u128> {
    items.iter().map(|item| item.id.as_u128()).collect()
}

fn user_ids(items: &[UserInfo]) -> Vec<String> {
    items
        .iter()
        .map(|item| item.custom_user_id.clone())
        .collect()
}

/// Records `0..count`, `created` from `created(n)`.
fn records(count: u128, created: impl Fn(u128) -> i64) -> Vec<Record> {
    (0..count)
        .map(|id| Record {
            id,
            created: created(id),
        })
        .collect()
}

#[tokio::test]
async fn a_list_sorted_either_way_is_walked_in_its_order() {
    // Runs of three equal timestamps.
    let list = records(120, |n| (n / 3) as i64);
    for direction in [Direction::Ascending, Direction::Descending] {
        let server = serve(
            Kind::Conflicts,
            list.clone(),
            Some(direction),
            no_changes(),
            None,
        )
        .await;
        let mut expected = list.clone();
        match direction {
            Direction::Ascending => expected.sort_by_key(|record| record.created),
            Direction::Descending => {
                expected.sort_by_key(|record| std::cmp::Reverse(record.created))
            }
        }
        let expected: Vec<u128> = expected.iter().map(|record| record.id).collect();
        for page_size in [3, 7, 10, 100] {
            for concurrency in [1, 3] {
                let client = client(&server);
                let conflicts = Conflicts {
                    client: client.clone(),
                    direction,
                };
                let (items, stats) = collect(conflicts, &client, page_size, concurrency).await;
                let items = items.expect("the walk succeeds");
                assert_eq!(
                    conflict_ids(&items),
                    expected,
                    "{direction:?}, pages of {page_size}, concurrency {concurrency}"
                );
                assert_eq!(stats.items_yielded, 120);
                assert_eq!(stats.possible_losses, 0);
            }
        }
    }
}

#[tokio::test]
async fn an_ascending_list_read_in_the_wrong_direction_fails_the_walk() {
    let server = serve(
        Kind::Conflicts,
        records(30, |n| n as i64),
        Some(Direction::Descending),
        no_changes(),
        None,
    )
    .await;
    let client = client(&server);
    let conflicts = Conflicts {
        client: client.clone(),
        direction: Direction::Ascending,
    };
    let (items, _) = collect(conflicts, &client, 10, 1).await;
    match items {
        Err(error @ Error::OrderViolated { offset: 0, .. }) => {
            let text = error.to_string();
            assert!(
                text.contains("merge conflicts are sorted by created_at, smallest first"),
                "{text}"
            );
        }
        other => panic!(
            "expected OrderViolated, got {:?}",
            other.map(|items| items.len())
        ),
    }
}

#[derive(Debug, Clone)]
enum Change {
    /// A new record at this key (keys collide on purpose).
    Insert { created: i64 },
    /// Deletes the record at this position (modulo the length).
    Delete { pick: usize },
}

fn change() -> impl Strategy<Value = Change> {
    prop_oneof![
        (0..50_i64).prop_map(|created| Change::Insert { created }),
        any::<usize>().prop_map(|pick| Change::Delete { pick }),
    ]
}

/// An ascending list changed between requests: no record twice, every
/// record that exists for the whole walk exactly once, in ascending order.
fn ascending_walk(
    initial: Vec<i64>,
    page_size: u64,
    concurrency: usize,
    changes: Vec<Vec<Change>>,
) -> Result<(), TestCaseError> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| TestCaseError::fail(format!("no runtime: {err}")))?;
    runtime.block_on(async move {
        let list: Vec<Record> = initial
            .iter()
            .enumerate()
            .map(|(id, created)| Record {
                id: id as u128,
                created: *created,
            })
            .collect();
        let required: HashSet<u128> = list.iter().map(|record| record.id).collect();
        let touched = Arc::new(Mutex::new(HashSet::new()));
        let log = Arc::clone(&touched);
        let next_id = AtomicU64::new(10_000);
        let hook: Hook = Box::new(move |index, list| {
            let Some(batch) = index.checked_sub(1).and_then(|i| changes.get(i as usize)) else {
                return;
            };
            for change in batch {
                match change {
                    Change::Insert { created } => list.push(Record {
                        id: u128::from(next_id.fetch_add(1, Ordering::SeqCst)),
                        created: *created,
                    }),
                    Change::Delete { pick } if !list.is_empty() => {
                        let gone = list.remove(pick % list.len());
                        if let Ok(mut log) = log.lock() {
                            log.insert(gone.id);
                        }
                    }
                    Change::Delete { .. } => {}
                }
            }
        });
        let server = serve(
            Kind::Conflicts,
            list,
            Some(Direction::Ascending),
            hook,
            None,
        )
        .await;
        let client = client(&server);
        let conflicts = Conflicts {
            client: client.clone(),
            direction: Direction::Ascending,
        };
        let (items, _) = collect(conflicts, &client, page_size, concurrency).await;
        let items = items.map_err(|error| TestCaseError::fail(format!("walk failed: {error}")))?;
        let ids = conflict_ids(&items);
        let unique: HashSet<u128> = ids.iter().copied().collect();
        prop_assert_eq!(unique.len(), ids.len(), "a record was yielded twice");
        let touched = touched.lock().map(|set| set.clone()).unwrap_or_default();
        for id in required.difference(&touched) {
            prop_assert!(
                unique.contains(id),
                "{} existed throughout but was skipped",
                id
            );
        }
        for pair in items.windows(2) {
            prop_assert!(pair[0].created_at <= pair[1].created_at, "out of order");
        }
        Ok(())
    })
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn an_ascending_walk_yields_every_stable_record_exactly_once(
        (initial, page_size) in prop_oneof![
            (prop::collection::vec(0..40_i64, 0..60), 3..9_u64),
            (prop::collection::vec(0..50_i64, 0..240), 50..56_u64),
        ],
        concurrency in prop::sample::select(vec![1_usize, 2, 4]),
        changes in prop::collection::vec(prop::collection::vec(change(), 0..4), 0..40),
    ) {
        ascending_walk(initial, page_size, concurrency, changes)?;
    }
}

#[tokio::test]
async fn an_unordered_list_that_does_not_change_is_walked_whole() {
    // Ids in no particular order.
    let list = records(95, |n| ((n * 37) % 11) as i64);
    let expected: HashSet<String> = list.iter().map(|r| format!("user-{}", r.id)).collect();
    let server = serve(Kind::Users, list, None, no_changes(), None).await;
    for page_size in [3, 10, 100] {
        for concurrency in [1, 4] {
            let client = client(&server);
            let users = client.users();
            let (items, stats) = collect(users, &client, page_size, concurrency).await;
            let ids = user_ids(&items.expect("the walk succeeds"));
            let unique: HashSet<String> = ids.iter().cloned().collect();
            assert_eq!(unique.len(), ids.len(), "a user twice");
            assert_eq!(unique, expected, "pages of {page_size}");
            assert_eq!(stats.possible_losses, 0, "{stats:?}");
            assert_eq!(stats.duplicates_dropped, 0, "{stats:?}");
            assert_eq!(stats.items_yielded, 95);
        }
    }
}

#[tokio::test]
async fn inserts_into_an_unordered_list_repeat_nothing_and_lose_nothing() {
    let list = records(60, |_| 0);
    let originals: HashSet<String> = list.iter().map(|r| format!("user-{}", r.id)).collect();
    let hook: Hook = Box::new(|index, list| {
        if index > 0 {
            // A new user before the reader, at the head.
            list.insert(
                0,
                Record {
                    id: 1_000 + u128::from(index),
                    created: 0,
                },
            );
        }
    });
    let server = serve(Kind::Users, list, None, hook, None).await;
    let client = client(&server);
    let users = client.users();
    let (items, stats) = collect(users, &client, 10, 1).await;
    let ids = user_ids(&items.expect("the walk succeeds"));
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a user twice");
    assert!(originals.is_subset(&unique), "an original user was skipped");
    assert_eq!(stats.possible_losses, 0, "{stats:?}");
    assert!(stats.duplicates_dropped > 0, "{stats:?}");
}

/// Deletes before the reader shift the users after them back past it: the
/// walk cannot see what it skipped, but it sees that it may have, and says
/// so, never fewer than it skipped.
#[tokio::test]
async fn deletes_before_an_unordered_reader_are_counted_as_possible_losses() {
    let list = records(60, |_| 0);
    let deleted = Arc::new(Mutex::new(HashSet::new()));
    let log = Arc::clone(&deleted);
    let hook: Hook = Box::new(move |index, list| {
        // Two at a time: the overlap of one absorbs a shift of one.
        if index > 0 {
            for gone in list.drain(..2.min(list.len())) {
                if let Ok(mut log) = log.lock() {
                    log.insert(format!("user-{}", gone.id));
                }
            }
        }
    });
    let server = serve(Kind::Users, list.clone(), None, hook, None).await;
    let client = client(&server);
    let users = client.users();
    let (items, stats) = collect(users, &client, 10, 1).await;
    let ids = user_ids(&items.expect("the walk succeeds"));
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!(unique.len(), ids.len(), "a user twice");
    assert_eq!(
        stats.items_yielded,
        ids.len() as u64,
        "claims more than it gives"
    );
    let deleted = deleted.lock().map(|set| set.clone()).unwrap_or_default();
    let skipped = list
        .iter()
        .map(|r| format!("user-{}", r.id))
        .filter(|id| !deleted.contains(id) && !unique.contains(id))
        .count() as u64;
    assert!(skipped > 0, "the scenario skips users");
    assert!(
        stats.possible_losses >= skipped,
        "{skipped} skipped, {} reported",
        stats.possible_losses
    );
}

#[tokio::test]
async fn a_negative_total_is_refused() {
    let server = serve(Kind::Users, records(5, |_| 0), None, no_changes(), Some(-1)).await;
    let client = client(&server);
    let users = client.users();
    match collect(users, &client, 10, 1).await.0 {
        Err(error @ Error::PageRefused { offset: 0, .. }) => {
            assert!(error.to_string().contains("its total is -1"), "{error}");
        }
        other => panic!(
            "expected PageRefused, got {:?}",
            other.map(|items| items.len())
        ),
    }
}

fn contents(items: &[Message]) -> Vec<String> {
    items.iter().map(|item| item.content.clone()).collect()
}

/// Appends two messages before every request after the first.
fn appending() -> Hook {
    Box::new(|index, list| {
        for extra in 0..2 {
            let id = 1_000 + u128::from(index) * 2 + extra;
            list.push(Record {
                id,
                created: 100 + index as i64,
            });
        }
    })
}

#[tokio::test]
async fn messages_appended_during_the_walk_are_each_listed_once_in_order() {
    let list = records(50, |n| (n / 2) as i64);
    for concurrency in [1, 4] {
        let server = serve(Kind::Messages, list.clone(), None, appending(), None).await;
        let client = client(&server);
        let messages = client.user(USER).session(Uuid::from_u128(1)).messages();
        let (items, stats) = collect(messages, &client, 7, concurrency).await;
        let items = items.expect("the walk succeeds");
        let listed = contents(&items);
        let unique: HashSet<&String> = listed.iter().collect();
        assert_eq!(unique.len(), listed.len(), "a message twice");
        let first: Vec<String> = (0..50).map(|n| format!("m{n}")).collect();
        assert_eq!(listed[..50], first[..], "concurrency {concurrency}");
        for pair in items.windows(2) {
            assert!(pair[0].timestamp <= pair[1].timestamp, "out of order");
        }
        assert_eq!(stats.possible_losses, 0, "{stats:?}");
        assert_eq!(stats.items_yielded, listed.len() as u64);
    }
}

#[tokio::test]
async fn an_append_only_list_that_shrinks_is_reported() {
    let hook: Hook = Box::new(|index, list| {
        if index == 2 {
            list.drain(..3);
        }
    });
    let server = serve(Kind::Messages, records(40, |n| n as i64), None, hook, None).await;
    let client = client(&server);
    let messages = client.user(USER).session(Uuid::from_u128(1)).messages();
    let (items, stats) = collect(messages, &client, 5, 1).await;
    let listed = contents(&items.expect("the walk succeeds"));
    // Three removed before the reader: three never read.
    assert_eq!(listed.len(), 37);
    assert_eq!(stats.possible_losses, 3, "{stats:?}");
}

#[tokio::test]
async fn messages_out_of_order_fail_the_walk() {
    let server = serve(
        Kind::Messages,
        records(20, |n| 100 - n as i64),
        None,
        no_changes(),
        None,
    )
    .await;
    let client = client(&server);
    let messages = client.user(USER).session(Uuid::from_u128(1)).messages();
    match collect(messages, &client, 5, 1).await.0 {
        Err(error @ Error::OrderViolated { .. }) => {
            assert!(
                error.to_string().contains("appended in timestamp order"),
                "{error}"
            );
        }
        other => panic!(
            "expected OrderViolated, got {:?}",
            other.map(|items| items.len())
        ),
    }
}

/// Users walked as a list whose pagination is inferred from its shape: no
/// order, no id (what an undeclared list gets).
struct PositionalUsers(crate::ListUsers);

impl PagedList for PositionalUsers {
    type Item = UserInfo;
    type Id = ();
    type Key = ();

    fn pagination(&self) -> Pagination {
        Pagination {
            order: Order::Positional,
            ..self.0.pagination()
        }
    }

    fn key(_: &UserInfo) {}

    fn id(_: &UserInfo) {}

    async fn fetch(&self, offset: u64, limit: u64) -> Result<Page<UserInfo>, Error> {
        self.0.fetch(offset, limit).await
    }
}

#[tokio::test]
async fn a_positional_list_is_read_end_to_end_and_a_shrink_is_reported() {
    let list = records(25, |n| ((n * 37) % 11) as i64);
    let server = serve(Kind::Users, list, None, no_changes(), None).await;
    let whole = client(&server);
    let (items, stats) = collect(PositionalUsers(whole.users()), &whole, 10, 1).await;
    let ids = user_ids(&items.expect("the walk succeeds"));
    let unique: HashSet<String> = ids.iter().cloned().collect();
    assert_eq!((ids.len(), unique.len()), (25, 25));
    // Pages end to end, no overlap: offsets 0, 10 and 20.
    assert_eq!(stats.pages_fetched, 3, "{stats:?}");
    assert_eq!(stats.possible_losses, 0, "{stats:?}");

    let hook: Hook = Box::new(|index, list| {
        if index == 1 {
            list.drain(..4);
        }
    });
    let server = serve(Kind::Users, records(25, |_| 0), None, hook, None).await;
    let shrinking = client(&server);
    let (items, stats) = collect(PositionalUsers(shrinking.users()), &shrinking, 10, 1).await;
    // Four removed before the reader: four never read, and reported.
    assert_eq!(items.expect("the walk succeeds").len(), 21);
    assert_eq!(stats.possible_losses, 4, "{stats:?}");
}
