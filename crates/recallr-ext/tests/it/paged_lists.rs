//! The generated lists' pagers (users, a session's messages, memories,
//! merge conflicts): each walks the stub's list of more items than one
//! page, every item exactly once, in the requests the page size implies.

use std::collections::HashMap;
use std::fmt::Debug;
use std::hash::Hash;

use futures::TryStreamExt;
use recallr_ext::types::{
    Memory, MergeConflict, MergeConflictConflictingMemory, MergeConflictQuestion,
    MergeConflictStatus, Message, MessageRole,
};
use recallr_ext::{Error, ItemStream, PagerStats, SessionStatus};
use recallr_stub::{Store, StubServer, timestamp};
use uuid::Uuid;

use crate::common::{USER, client, session, start};

/// More than two pages of [`PAGE`].
const COUNT: usize = 25;
const PAGE: u64 = 10;

/// Drains `items`, returning them, the walk's counters and the `offset`
/// of each request the stub received during the walk.
async fn drain<T>(server: &StubServer, items: ItemStream<T>) -> (Vec<T>, PagerStats, Vec<u64>) {
    let before = server.request_count();
    let mut items = items;
    let mut all = Vec::new();
    while let Some(item) = items.try_next().await.expect("the walk succeeds") {
        all.push(item);
    }
    let offsets: Vec<u64> = server
        .requests()
        .iter()
        .filter(|request| request.index >= before)
        .map(|request| {
            form_urlencoded::parse(request.query.as_bytes())
                .find(|(name, _)| name == "offset")
                .and_then(|(_, value)| value.parse().ok())
                .expect("every page request sends its offset")
        })
        .collect();
    let stats = items.stats();
    assert_eq!(stats.pages_fetched, offsets.len() as u64, "{stats:?}");
    (all, stats, offsets)
}

/// Every id of `expected` exactly once, and nothing else.
fn assert_each_once<K: Eq + Hash + Debug>(got: impl IntoIterator<Item = K>, expected: &[K]) {
    let mut counts: HashMap<K, usize> = HashMap::new();
    for id in got {
        *counts.entry(id).or_default() += 1;
    }
    for id in expected {
        assert_eq!(counts.remove(id), Some(1), "{id:?} is yielded once");
    }
    assert!(counts.is_empty(), "nothing else is yielded: {counts:?}");
}

#[tokio::test]
async fn users_are_walked_each_once_with_overlapping_pages() {
    let store = Store::new();
    let names: Vec<String> = (0..COUNT).map(|n| format!("user-{n:02}")).collect();
    for name in &names {
        store.add_user(name);
    }
    let server = start(store).await;
    let (users, stats, offsets) =
        drain(&server, client(&server).users().page_size(PAGE).items()).await;
    assert_each_once(users.into_iter().map(|user| user.custom_user_id), &names);
    // Unordered pages overlap by one item, the last of the page before.
    assert_eq!(offsets, [0, 9, 18]);
    assert_eq!(stats.items_yielded, COUNT as u64);
    assert_eq!(stats.possible_losses, 0);
}

#[tokio::test]
async fn a_sessions_messages_are_walked_end_to_end() {
    let store = Store::new();
    store.add_user(USER);
    let record = session(0, 0, SessionStatus::Pending);
    let session_id = record.session_id;
    store.insert(USER, record);
    let contents: Vec<String> = (0..COUNT).map(|n| format!("message {n}")).collect();
    let messages = contents.iter().enumerate().map(|(n, content)| {
        Message::builder()
            .content(content.as_str())
            .role(MessageRole::User)
            .timestamp(timestamp(n as i64))
            .try_into()
            .expect("a message")
    });
    assert!(store.add_messages(USER, session_id, messages));
    let server = start(store).await;
    let session = client(&server).user(USER).session(session_id);
    let (messages, _, offsets) = drain(&server, session.messages().page_size(PAGE).items()).await;
    // In the server's (chronological) order, each once.
    let got: Vec<String> = messages.into_iter().map(|m| m.content).collect();
    assert_eq!(got, contents);
    // Append-only pages are laid end to end.
    assert_eq!(offsets, [0, 10, 20]);

    // Without a page size the walk asks for the largest page: one request.
    let (messages, _, offsets) = drain(&server, session.messages().items()).await;
    assert_eq!((messages.len(), offsets), (COUNT, vec![0]));
}

fn memory(n: usize) -> Memory {
    Memory::new(
        vec!["work".to_string()],
        format!("memory {n}"),
        timestamp(n as i64),
        timestamp(0),
        timestamp(0),
        false,
        Uuid::from_u128(0x1000 + n as u128),
        false,
        Uuid::from_u128(1).to_string(),
        1,
        1,
    )
}

#[tokio::test]
async fn memories_are_walked_each_once() {
    let store = Store::new();
    let ids: Vec<Uuid> = (0..COUNT)
        .map(|n| {
            let memory = memory(n);
            let id = memory.memory_id;
            store.insert_memory(USER, memory);
            id
        })
        .collect();
    let server = start(store).await;
    let (memories, _, offsets) = drain(
        &server,
        client(&server)
            .user(USER)
            .memories()
            .page_size(PAGE)
            .items(),
    )
    .await;
    assert_each_once(memories.into_iter().map(|memory| memory.memory_id), &ids);
    assert_eq!(offsets, [0, 9, 18]);
}

fn conflict(n: usize) -> MergeConflict {
    let memory = MergeConflictConflictingMemory::new(
        "Lives in Oslo".into(),
        timestamp(0),
        timestamp(0),
        timestamp(0),
        Uuid::from_u128(77),
        "a newer statement disagrees".into(),
    );
    MergeConflict::new(
        vec![MergeConflictQuestion::new(
            vec!["Oslo".into(), "Bergen".into()],
            "Where do you live?".into(),
        )],
        vec![memory],
        timestamp(n as i64),
        Uuid::from_u128(0xC000 + n as u128),
        Uuid::from_u128(5),
        MergeConflictStatus::PENDING,
    )
}

#[tokio::test]
async fn merge_conflicts_are_walked_each_once_in_either_order() {
    let store = Store::new();
    let ids: Vec<Uuid> = (0..COUNT)
        .map(|n| {
            let conflict = conflict(n);
            let id = conflict.id;
            store.insert_merge_conflict(USER, conflict);
            id
        })
        .collect();
    let server = start(store).await;
    for order in ["asc", "desc"] {
        let (conflicts, _, offsets) = drain(
            &server,
            client(&server)
                .user(USER)
                .merge_conflicts()
                .sort_order(order)
                .page_size(PAGE)
                .items(),
        )
        .await;
        assert_each_once(conflicts.into_iter().map(|conflict| conflict.id), &ids);
        assert_eq!(offsets, [0, 9, 18], "{order}");
    }
}

#[tokio::test]
async fn a_walk_with_max_items_stops_there_and_bad_settings_send_nothing() {
    let store = Store::new();
    for n in 0..COUNT {
        store.insert_memory(USER, memory(n));
    }
    let server = start(store).await;
    let memories = client(&server).user(USER).memories();
    let (some, stats, _) = drain(
        &server,
        memories.clone().page_size(PAGE).max_items(12).items(),
    )
    .await;
    assert_eq!((some.len(), stats.items_yielded), (12, 12));

    let before = server.request_count();
    let error = memories
        .concurrency(0)
        .items()
        .try_next()
        .await
        .expect_err("concurrency 0 is refused");
    assert!(
        matches!(&error, Error::InvalidRequest { message } if message.contains("concurrency")),
        "{error:?}"
    );
    assert_eq!(server.request_count(), before, "nothing is sent");
}
