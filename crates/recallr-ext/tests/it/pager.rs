//! The pager over a list that changes between page fetches.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::common::{USER, client, session, start, store_with};
use futures::{StreamExt, TryStreamExt};
use recallr_ext::{Error, PagerStats, SessionInfo, SessionStatus};
use recallr_stub::{Store, StubServer};
use uuid::Uuid;

const COUNT: u128 = 120;

async fn walk(
    server: &StubServer,
    page_size: u64,
    concurrency: usize,
) -> (Vec<SessionInfo>, PagerStats) {
    let mut items = client(server)
        .user(USER)
        .sessions()
        .page_size(page_size)
        .concurrency(concurrency)
        .items();
    let mut sessions = Vec::new();
    while let Some(session) = items.next().await {
        sessions.push(session.expect("the walk succeeds"));
    }
    (sessions, items.stats())
}

fn ids(sessions: &[SessionInfo]) -> Vec<Uuid> {
    sessions.iter().map(|session| session.session_id).collect()
}

/// No session twice, and every id in `required` exactly once.
fn assert_exactly_once(sessions: &[SessionInfo], required: &HashSet<Uuid>) {
    let mut counts: HashMap<Uuid, usize> = HashMap::new();
    for session in sessions {
        *counts.entry(session.session_id).or_default() += 1;
    }
    let repeated: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
    assert!(repeated.is_empty(), "yielded twice: {repeated:?}");
    let missing: Vec<_> = required
        .iter()
        .filter(|id| !counts.contains_key(id))
        .collect();
    assert!(missing.is_empty(), "never yielded: {missing:?}");
    // Yielded sessions follow the server's order: newest first.
    for pair in sessions.windows(2) {
        assert!(pair[0].created_at >= pair[1].created_at, "out of order");
    }
}

fn original_ids(store: &Store) -> HashSet<Uuid> {
    ids(&store.sessions(USER).expect("the user exists"))
        .into_iter()
        .collect()
}

#[tokio::test]
async fn an_unchanging_list_is_walked_in_order_at_any_page_size() {
    let store = store_with(COUNT);
    let expected = ids(&store.sessions(USER).expect("the user exists"));
    let server = start(store).await;
    for page_size in [1, 2, 7, 10, 100] {
        for concurrency in [1, 3] {
            let (sessions, stats) = walk(&server, page_size, concurrency).await;
            assert_eq!(ids(&sessions), expected, "page size {page_size}");
            assert_eq!(stats.items_yielded, COUNT as u64);
            assert_eq!(stats.duplicates_dropped, 0);
            assert_eq!(stats.overlap_refetches, 0);
            assert_eq!(stats.total_changes, 0);
        }
    }
}

/// A page that ends in a run of equal timestamps sends the walk back to
/// re-read the run whole; the pages already fetched ahead still serve the
/// walk instead of being dropped and fetched again at shifted offsets.
#[tokio::test]
async fn a_tie_at_a_page_end_keeps_the_pages_fetched_ahead() {
    let store = Store::new();
    store.add_user(USER);
    for n in 0..40_u128 {
        // Newest first, session n is at position 39 - n: positions 16 and
        // 17, the end of the second page of ten, share a timestamp.
        let created = if n == 22 { 23 } else { n as i64 };
        store.insert(USER, session(n, created, SessionStatus::Processed));
    }
    let expected = original_ids(&store);
    let server = start(store).await;
    let (sessions, stats) = walk(&server, 10, 4).await;
    assert_exactly_once(&sessions, &expected);
    assert_eq!(sessions.len(), 40);
    let offsets = requested_offsets(&server);
    // Without the tie: 0, 8, 16, 24, 32. The re-read at 15 is the only
    // extra request; the page fetched ahead at 16 fills in after it.
    let mut sorted = offsets.clone();
    sorted.sort_unstable();
    assert_eq!(
        sorted,
        [0, 8, 15, 16, 24, 32],
        "requested in order {offsets:?}"
    );
    assert_eq!(stats.pages_fetched, 6);
}

/// The `offset` of every request the server received, in arrival order.
fn requested_offsets(server: &StubServer) -> Vec<u64> {
    server
        .requests()
        .iter()
        .map(|request| {
            form_urlencoded::parse(request.query.as_bytes())
                .find(|(name, _)| name == "offset")
                .and_then(|(_, value)| value.parse().ok())
                .expect("every request has an offset")
        })
        .collect()
}

/// Offsets requested by a walk at pages of 100, four in flight, over 400
/// sessions where session `n` is created at `created(n)` (newest first).
async fn offsets_of_walk(created: impl Fn(u128) -> i64) -> (Vec<u64>, PagerStats) {
    let store = Store::new();
    store.add_user(USER);
    for n in 0..400_u128 {
        store.insert(USER, session(n, created(n), SessionStatus::Processed));
    }
    let expected = original_ids(&store);
    let server = start(store).await;
    let (sessions, stats) = walk(&server, 100, 4).await;
    assert_exactly_once(&sessions, &expected);
    assert_eq!(sessions.len(), 400);
    let mut offsets = requested_offsets(&server);
    offsets.sort_unstable();
    (offsets, stats)
}

/// Pages fetched ahead overlap by a margin that suits the ties seen: none
/// without ties; with some, enough that a page ending in two equal
/// timestamps needs no re-read, since the page after it, fetched ahead,
/// already starts before the run.
#[tokio::test]
async fn pages_fetched_ahead_overlap_by_a_margin_that_suits_the_ties_seen() {
    let (offsets, stats) = offsets_of_walk(|n| n as i64).await;
    assert_eq!(offsets, [0, 98, 196, 294, 392]);
    assert_eq!(stats.duplicates_dropped, 0);

    // Session n sits at position 399 - n. Three ties in the first page
    // (positions 10/11, 40/41, 70/71) make a margin of one worth it; the
    // page at 98 then ends in a tie (positions 196/197), which the page
    // planned at 195 reads whole.
    let tied_with_previous = [388, 358, 328, 202];
    let (offsets, stats) = offsets_of_walk(move |n| {
        let n = if tied_with_previous.contains(&n) {
            n + 1
        } else {
            n
        };
        n as i64
    })
    .await;
    assert_eq!(offsets, [0, 98, 195, 292, 389]);
    // Overlap by design, not churn.
    assert_eq!(stats.duplicates_dropped, 0);
}

#[tokio::test]
async fn pages_carry_only_new_sessions_and_the_total() {
    let server = start(store_with(25)).await;
    let pages: Vec<_> = client(&server)
        .user(USER)
        .sessions()
        .page_size(10)
        .pages()
        .try_collect()
        .await
        .expect("the walk succeeds");
    let sizes: Vec<usize> = pages.iter().map(|page| page.sessions.len()).collect();
    // Pages overlap by two sessions, which are not yielded twice.
    assert_eq!(sizes, [10, 8, 7]);
    assert!(pages.iter().all(|page| page.total == 25));
    assert_eq!(pages.last().map(|page| page.has_more), Some(false));
}

#[tokio::test]
async fn max_items_stops_the_walk() {
    let server = start(store_with(COUNT)).await;
    let sessions: Vec<_> = client(&server)
        .user(USER)
        .sessions()
        .page_size(10)
        .max_items(25)
        .items()
        .try_collect()
        .await
        .expect("the walk succeeds");
    assert_eq!(sessions.len(), 25);
    assert!(
        server.request_count() <= 3,
        "no page fetched past the limit"
    );
}

#[tokio::test]
async fn an_empty_user_and_an_offset_past_the_end_yield_nothing() {
    let store = store_with(5);
    store.add_user("empty");
    let server = start(store).await;
    let client = client(&server);
    let none: Vec<_> = client
        .user("empty")
        .sessions()
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert!(none.is_empty());
    let past: Vec<_> = client
        .user(USER)
        .sessions()
        .offset(50)
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert!(past.is_empty());
    let tail: Vec<_> = client
        .user(USER)
        .sessions()
        .offset(3)
        .items()
        .try_collect()
        .await
        .expect("ok");
    assert_eq!(tail.len(), 2);
}

/// Runs `mutate` before every request after the first, then walks.
async fn walk_while(
    mutate: impl Fn(u64, &Store) + Send + Sync + 'static,
    page_size: u64,
    concurrency: usize,
) -> (Vec<SessionInfo>, PagerStats, HashSet<Uuid>) {
    let store = store_with(COUNT);
    let originals = original_ids(&store);
    let server = start(store).await;
    server.set_request_hook(move |index, store| {
        if index > 0 {
            mutate(index, store);
        }
    });
    let (sessions, stats) = walk(&server, page_size, concurrency).await;
    (sessions, stats, originals)
}

fn fresh_id(counter: &AtomicU64) -> u128 {
    1_000_000 + u128::from(counter.fetch_add(1, Ordering::SeqCst))
}

#[tokio::test]
async fn inserts_at_the_head_repeat_nothing() {
    for concurrency in [1, 4] {
        let counter = Arc::new(AtomicU64::new(0));
        let (sessions, stats, originals) = walk_while(
            move |_, store| {
                let n = fresh_id(&counter);
                store.insert(USER, session(n, 10_000 + n as i64, SessionStatus::Pending));
            },
            10,
            concurrency,
        )
        .await;
        assert_exactly_once(&sessions, &originals);
        assert!(stats.duplicates_dropped > 0, "{stats:?}");
        assert!(stats.total_changes > 0, "{stats:?}");
    }
}

#[tokio::test]
async fn inserts_in_the_middle_and_at_the_tail_repeat_nothing() {
    for created in [60, -10] {
        let counter = Arc::new(AtomicU64::new(0));
        let (sessions, _, originals) = walk_while(
            move |_, store| {
                let n = fresh_id(&counter);
                store.insert(USER, session(n, created, SessionStatus::Pending));
            },
            10,
            2,
        )
        .await;
        assert_exactly_once(&sessions, &originals);
    }
}

/// Ids a hook removed from the walk's view (deleted or moved out of the
/// filter): they need not be yielded.
#[derive(Clone, Default)]
struct Removed(Arc<std::sync::Mutex<HashSet<Uuid>>>);

impl Removed {
    fn add(&self, id: Uuid) {
        if let Ok(mut removed) = self.0.lock() {
            removed.insert(id);
        }
    }

    fn survivors(&self, originals: &HashSet<Uuid>) -> HashSet<Uuid> {
        let removed = self
            .0
            .lock()
            .map(|removed| removed.clone())
            .unwrap_or_default();
        originals.difference(&removed).copied().collect()
    }
}

#[tokio::test]
async fn deletes_behind_the_reader_skip_nothing() {
    for concurrency in [1, 4] {
        // Each request deletes the two newest sessions, which the reader
        // has already passed, so the list shifts under it.
        let removed = Removed::default();
        let log = removed.clone();
        let (sessions, stats, originals) = walk_while(
            move |_, store| {
                for session in store.sessions(USER).unwrap_or_default().iter().take(2) {
                    if store.delete(USER, session.session_id) {
                        log.add(session.session_id);
                    }
                }
            },
            10,
            concurrency,
        )
        .await;
        assert_exactly_once(&sessions, &removed.survivors(&originals));
        assert!(stats.overlap_refetches > 0, "{stats:?}");
    }
}

/// One large delete behind the reader, then no change: stepping back, the
/// walk meets pages wholly before the last session yielded while the total
/// stays the same. That is the search, not a server out of order.
#[tokio::test]
async fn stepping_back_over_pages_wholly_before_the_reader_is_not_a_violation() {
    // Pages of three advance one session a request: the deletes stop
    // short of the last session yielded.
    for (at_request, deleted) in [(12, 9), (20, 12), (30, 20), (40, 25), (60, 50)] {
        for concurrency in [1, 4] {
            let removed = Removed::default();
            let log = removed.clone();
            let (sessions, stats, originals) = walk_while(
                move |index, store| {
                    if index != at_request {
                        return;
                    }
                    for session in store
                        .sessions(USER)
                        .unwrap_or_default()
                        .iter()
                        .take(deleted)
                    {
                        if store.delete(USER, session.session_id) {
                            log.add(session.session_id);
                        }
                    }
                },
                3,
                concurrency,
            )
            .await;
            assert_exactly_once(&sessions, &removed.survivors(&originals));
            assert!(stats.overlap_refetches > 0, "{stats:?}");
        }
    }
}

#[tokio::test]
async fn deletes_ahead_of_the_reader_only_drop_the_deleted() {
    let removed = Removed::default();
    let log = removed.clone();
    let (sessions, _, originals) = walk_while(
        move |_, store| {
            // The oldest session: not read yet.
            if let Some(last) = store.sessions(USER).unwrap_or_default().last()
                && store.delete(USER, last.session_id)
            {
                log.add(last.session_id);
            }
        },
        10,
        1,
    )
    .await;
    assert_exactly_once(&sessions, &removed.survivors(&originals));
}

#[tokio::test]
async fn status_changes_under_a_filter_skip_nothing() {
    let store = store_with(COUNT);
    let server = start(store.clone()).await;
    let pending: HashSet<Uuid> = store
        .sessions(USER)
        .unwrap_or_default()
        .iter()
        .filter(|session| session.status == Some(SessionStatus::Pending))
        .map(|session| session.session_id)
        .collect();
    // Each request moves the newest pending session to processed, so the
    // filtered list shrinks behind the reader.
    let removed = Removed::default();
    let log = removed.clone();
    server.set_request_hook(move |index, store| {
        if index == 0 {
            return;
        }
        let newest = store
            .sessions(USER)
            .unwrap_or_default()
            .into_iter()
            .find(|session| session.status == Some(SessionStatus::Pending));
        if let Some(session) = newest
            && store.set_status(USER, session.session_id, SessionStatus::Processed)
        {
            log.add(session.session_id);
        }
    });
    let mut items = client(&server)
        .user(USER)
        .sessions()
        .status(SessionStatus::Pending)
        .page_size(3)
        .items();
    let mut sessions = Vec::new();
    while let Some(session) = items.next().await {
        sessions.push(session.expect("the walk succeeds"));
    }
    assert_exactly_once(&sessions, &removed.survivors(&pending));
    assert!(items.stats().overlap_refetches > 0, "{:?}", items.stats());
}

#[tokio::test]
async fn a_list_that_grows_faster_than_it_is_read_fails_instead_of_looping() {
    let counter = Arc::new(AtomicU64::new(0));
    let store = store_with(COUNT);
    let server = start(store).await;
    server.set_request_hook(move |_, store| {
        for _ in 0..5 {
            let n = fresh_id(&counter);
            store.insert(USER, session(n, 10_000 + n as i64, SessionStatus::Pending));
        }
    });
    let result: Result<Vec<_>, _> = client(&server)
        .user(USER)
        .sessions()
        .page_size(2)
        .items()
        .try_collect()
        .await;
    match result {
        Err(
            error @ Error::NoProgress {
                pages,
                total_changed,
                ..
            },
        ) => {
            assert_eq!(pages, crate::common::MAX_UNPRODUCTIVE_FETCHES);
            assert!(total_changed);
            assert!(error.to_string().contains("changing faster"), "{error}");
        }
        other => panic!("expected NoProgress, got {other:?}"),
    }
}
