//! Servers that break the rules, on loopback: redirects, pages out of
//! order, ties reshuffled on every request, the largest offset.

use std::collections::{HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use crate::common::{
    USER, builder_for, client, hostile_client, page_json, serve, session, start, store_with,
};
use axum::extract::Query;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::IntoResponse;
use futures::{StreamExt, TryStreamExt};
use rand::seq::SliceRandom;
use recallr_ext::{Error, SessionInfo, SessionStatus};

const KEY_HEADER: &str = "x-recallr-api-key";

/// The `offset` and `limit` query parameters, with the API's defaults.
fn window(query: &HashMap<String, String>) -> (usize, usize) {
    let number = |name: &str, default: usize| {
        query
            .get(name)
            .and_then(|value| value.parse().ok())
            .unwrap_or(default)
    };
    (number("offset", 0), number("limit", 10))
}

fn json(body: String) -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], body)
}

#[tokio::test]
async fn a_redirect_to_another_host_never_carries_the_key() {
    // The other host records every key it is sent.
    let keys: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = Arc::clone(&keys);
    let other = serve(axum::Router::new().fallback(move |headers: HeaderMap| {
        let seen = Arc::clone(&seen);
        async move {
            if let Some(key) = headers.get(KEY_HEADER) {
                seen.lock()
                    .expect("not poisoned")
                    .push(String::from_utf8_lossy(key.as_bytes()).into_owned());
            }
            json(page_json(&[], 0, false))
        }
    }))
    .await;
    let target = format!("{other}/api/v1/users/{USER}/sessions");
    let api = serve(axum::Router::new().fallback(move || {
        let target = target.clone();
        async move { (StatusCode::MOVED_PERMANENTLY, [(header::LOCATION, target)]) }
    }))
    .await;

    let error = hostile_client(&api, 2)
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("a redirect is not followed");
    assert!(
        matches!(&error, Error::Redirect { status, location: Some(location) }
            if status.as_u16() == 301 && location.starts_with(&other)),
        "{error:?}"
    );
    assert!(!error.is_retryable());
    assert!(error.to_string().contains("base URL"), "{error}");
    assert!(
        keys.lock().expect("not poisoned").is_empty(),
        "the key went to the other host"
    );
}

#[tokio::test]
async fn a_redirect_to_itself_is_reported_once_not_retried() {
    let requests = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&requests);
    let api = serve(axum::Router::new().fallback(move |uri: axum::http::Uri| {
        counter.fetch_add(1, Ordering::SeqCst);
        async move { (StatusCode::FOUND, [(header::LOCATION, uri.to_string())]) }
    }))
    .await;
    let error = hostile_client(&api, 2)
        .user(USER)
        .sessions()
        .send()
        .await
        .expect_err("a redirect loop");
    assert!(matches!(error, Error::Redirect { .. }), "{error:?}");
    assert_eq!(requests.load(Ordering::SeqCst), 1);
}

/// Serves `sessions` (already in the order to send) by offset and limit.
async fn serve_list(order: impl Fn() -> Vec<SessionInfo> + Send + Sync + 'static) -> String {
    let order = Arc::new(order);
    serve(
        axum::Router::new().fallback(move |Query(query): Query<HashMap<String, String>>| {
            let order = Arc::clone(&order);
            async move {
                let sessions = order();
                let (offset, limit) = window(&query);
                let page: Vec<SessionInfo> =
                    sessions.iter().skip(offset).take(limit).cloned().collect();
                let has_more = offset.saturating_add(page.len()) < sessions.len();
                json(page_json(&page, sessions.len(), has_more))
            }
        }),
    )
    .await
}

/// Every session of the hostile server at `api`, without retries.
async fn walk_all(
    api: &str,
    page_size: u64,
    concurrency: usize,
) -> Result<Vec<SessionInfo>, Error> {
    hostile_client(api, 0)
        .user(USER)
        .sessions()
        .page_size(page_size)
        .concurrency(concurrency)
        .items()
        .try_collect()
        .await
}

#[tokio::test]
async fn a_server_that_lists_oldest_first_fails_the_walk() {
    let oldest_first: Vec<SessionInfo> = (0..30)
        .map(|n| session(n, n as i64, SessionStatus::Processed))
        .collect();
    let api = serve_list(move || oldest_first.clone()).await;
    for page_size in [100, 7, 2] {
        let result: Result<Vec<_>, _> = hostile_client(&api, 0)
            .user(USER)
            .sessions()
            .page_size(page_size)
            .items()
            .try_collect()
            .await;
        match result {
            Err(error @ Error::OrderViolated { offset: 0, .. }) => {
                assert!(error.to_string().contains("offset 1"), "{error}");
            }
            other => panic!("page size {page_size}: expected OrderViolated, got {other:?}"),
        }
    }
}

/// Equal timestamps in groups of `group`, reshuffled on every request: the
/// walk yields every session exactly once (a run longer than the largest
/// page would fail with `OrderViolated`); never fewer quietly.
#[tokio::test]
async fn ties_reshuffled_on_every_request_are_never_dropped_quietly() {
    for (group, page_size) in [(5, 4), (5, 7), (3, 2), (12, 5), (30, 10)] {
        let sessions: Vec<SessionInfo> = (0..30_u128)
            .map(|n| session(n, 100 - (n / group) as i64, SessionStatus::Processed))
            .collect();
        let expected: HashSet<_> = sessions.iter().map(|s| s.session_id).collect();
        let api = serve_list(move || {
            let mut shuffled = sessions.clone();
            for chunk in shuffled.chunks_mut(group as usize) {
                chunk.shuffle(&mut rand::rng());
            }
            shuffled
        })
        .await;
        let (mut complete, mut refused) = (0, 0);
        // Concurrent walks also take pages fetched before a re-read.
        for concurrency in [1, 1, 4, 4].repeat(5) {
            let result = walk_all(&api, page_size, concurrency).await;
            match result {
                Ok(items) => {
                    let ids: HashSet<_> = items.iter().map(|s| s.session_id).collect();
                    assert_eq!(ids.len(), items.len(), "a session was yielded twice");
                    assert_eq!(
                        ids,
                        expected,
                        "groups of {group}, pages of {page_size}: {} of 30 and no error",
                        items.len()
                    );
                    complete += 1;
                }
                Err(Error::OrderViolated { .. }) => refused += 1,
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
        // Runs of ties up to a full page (100) are re-read whole, so the
        // shuffle costs requests, not sessions.
        assert_eq!(refused, 0, "groups of {group}, pages of {page_size}");
        assert_eq!(complete, 20);
    }
}

#[tokio::test]
async fn the_largest_offset_ends_the_walk_without_overflow() {
    let server = start(store_with(5)).await;
    for concurrency in [1, 4] {
        let items: Vec<_> = client(&server)
            .user(USER)
            .sessions()
            .offset(u64::MAX)
            .concurrency(concurrency)
            .items()
            .try_collect()
            .await
            .expect("an empty walk");
        assert!(items.is_empty());
    }
    // A server that claims more sessions past the largest offset.
    let endless = serve(axum::Router::new().fallback(|| async {
        let one = [
            session(1, 1, SessionStatus::Processed),
            session(0, 0, SessionStatus::Processed),
        ];
        json(page_json(&one, usize::MAX, true))
    }))
    .await;
    let items: Vec<_> = hostile_client(&endless, 0)
        .user(USER)
        .sessions()
        .offset(u64::MAX - 1)
        .concurrency(4)
        .items()
        .try_collect()
        .await
        .expect("the walk stops at the largest offset");
    assert_eq!(items.len(), 2);
}

/// A run of ties longer than the largest page cannot be re-read whole: a
/// reshuffle there fails the walk instead of dropping sessions.
#[tokio::test]
async fn ties_reshuffled_beyond_the_largest_page_fail_the_walk() {
    let sessions: Vec<SessionInfo> = (0..150_u128)
        .map(|n| session(n, 7, SessionStatus::Processed))
        .collect();
    let api = serve_list(move || {
        let mut shuffled = sessions.clone();
        shuffled.shuffle(&mut rand::rng());
        shuffled
    })
    .await;
    for _ in 0..5 {
        let result: Result<Vec<SessionInfo>, _> = hostile_client(&api, 0)
            .user(USER)
            .sessions()
            .items()
            .try_collect()
            .await;
        match result {
            Err(error @ Error::OrderViolated { .. }) => {
                assert!(error.to_string().contains("created_at"), "{error}");
            }
            Ok(items) => assert_eq!(
                items
                    .iter()
                    .map(|s| s.session_id)
                    .collect::<HashSet<_>>()
                    .len(),
                150,
                "a short walk without an error"
            ),
            Err(other) => panic!("unexpected error: {other:?}"),
        }
    }
}

/// A server that ignores the offset and repeats one page is not "a list
/// changing faster than it can be read".
#[tokio::test]
async fn a_server_repeating_one_page_is_reported_as_such() {
    let api = serve(axum::Router::new().fallback(|| async {
        let page: Vec<SessionInfo> = (0..10)
            .map(|n| session(n, 100 - n as i64, SessionStatus::Processed))
            .collect();
        json(page_json(&page, 1_000, true))
    }))
    .await;
    let result: Result<Vec<SessionInfo>, _> = hostile_client(&api, 0)
        .user(USER)
        .sessions()
        .page_size(10)
        .items()
        .try_collect()
        .await;
    match result {
        Err(
            error @ Error::NoProgress {
                total_changed: false,
                ..
            },
        ) => {
            let text = error.to_string();
            assert!(text.contains("ignoring the offset"), "{text}");
            assert!(!text.contains("changing faster"), "{text}");
        }
        other => panic!("expected NoProgress, got {other:?}"),
    }
}

/// A 200 whose body never ends: 64 KiB chunks of spaces, forever.
fn endless_body() -> axum::body::Body {
    let chunk = axum::body::Bytes::from(vec![b' '; 64 * 1024]);
    axum::body::Body::from_stream(futures::stream::repeat_with(move || {
        Ok::<_, std::convert::Infallible>(chunk.clone())
    }))
}

#[tokio::test]
async fn an_endless_body_stops_at_the_limit() {
    let api = serve(
        axum::Router::new()
            .fallback(|| async { ([(header::CONTENT_TYPE, "application/json")], endless_body()) }),
    )
    .await;
    let client = builder_for(&api)
        .max_response_bytes(1024 * 1024)
        .build()
        .expect("a valid configuration");
    // Without the cap this never returns (the body never ends); the bound
    // only tells "stopped" from "still reading".
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        client.user(USER).sessions().send(),
    )
    .await
    .expect("reading stops at the limit");
    let error = result.expect_err("a body over the limit is an error");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(!error.is_retryable(), "{error:?}");
    assert!(
        error.to_string().contains("larger than this client reads"),
        "{error}"
    );
}

#[tokio::test]
async fn a_huge_declared_length_is_cut_at_the_default_limit() {
    // Declares 2 GB and sends 40 MiB, past the 32 MiB default, then stalls.
    let api = serve(axum::Router::new().fallback(|| async {
        let chunk = axum::body::Bytes::from(vec![b' '; 1024 * 1024]);
        let sent = futures::stream::iter(
            (0..40).map(move |_| Ok::<_, std::convert::Infallible>(chunk.clone())),
        )
        .chain(futures::stream::pending());
        (
            [
                (header::CONTENT_TYPE, "application/json".to_string()),
                (header::CONTENT_LENGTH, "2000000000".to_string()),
            ],
            axum::body::Body::from_stream(sent),
        )
    }))
    .await;
    let result = tokio::time::timeout(
        std::time::Duration::from_secs(30),
        hostile_client(&api, 0).user(USER).sessions().send(),
    )
    .await
    .expect("reading stops at the limit");
    let error = result.expect_err("a body over the limit is an error");
    assert!(
        error.to_string().contains("larger than this client reads"),
        "{error}"
    );
    assert_eq!(recallr_ext::DEFAULT_MAX_RESPONSE_BYTES, 32 * 1024 * 1024);
}

/// Equal timestamps reshuffled on every request while sessions are deleted
/// between requests: a delete ahead of the reader shifts a run of ties
/// across the start of the next page, and a reshuffle then puts a session
/// not yet yielded before it. Every session never deleted is still yielded
/// exactly once.
#[tokio::test]
async fn ties_reshuffled_while_sessions_are_deleted_are_never_skipped() {
    use rand::{Rng, SeedableRng};
    for seed in 0..200_u64 {
        let sessions: Vec<SessionInfo> = (0..60_u128)
            .map(|n| session(n, 100 - (n / 3) as i64, SessionStatus::Processed))
            .collect();
        let state = Arc::new(Mutex::new((
            sessions.clone(),
            HashSet::new(),
            rand::rngs::StdRng::seed_from_u64(seed),
        )));
        let shared = Arc::clone(&state);
        let api = serve_list(move || {
            let Ok(mut state) = shared.lock() else {
                return Vec::new();
            };
            let (list, deleted, rng) = &mut *state;
            if !list.is_empty() && rng.random_bool(0.5) {
                let gone = list.remove(rng.random_range(0..list.len()));
                deleted.insert(gone.session_id);
            }
            let mut shuffled = list.clone();
            for group in shuffled.chunk_by_mut(|a, b| a.created_at == b.created_at) {
                group.shuffle(rng);
            }
            shuffled
        })
        .await;
        let page_size = 5 + seed % 6;
        let concurrency = if seed % 2 == 0 { 1 } else { 4 };
        let items = walk_all(&api, page_size, concurrency)
            .await
            .unwrap_or_else(|error| panic!("seed {seed}: {error}"));
        let yielded: Vec<_> = items.iter().map(|s| s.session_id).collect();
        let unique: HashSet<_> = yielded.iter().copied().collect();
        assert_eq!(unique.len(), yielded.len(), "seed {seed}: a session twice");
        let deleted = state
            .lock()
            .map(|state| state.1.clone())
            .unwrap_or_default();
        let skipped: Vec<_> = sessions
            .iter()
            .map(|s| s.session_id)
            .filter(|id| !deleted.contains(id) && !unique.contains(id))
            .collect();
        assert!(
            skipped.is_empty(),
            "seed {seed}, pages of {page_size}, concurrency {concurrency}: skipped {skipped:?}"
        );
    }
}

/// A server that serves pages of at most `cap` sessions of `list`, whatever
/// the limit asked, and says whether more follow.
async fn serve_capped(list: Vec<SessionInfo>, cap: usize) -> String {
    serve(
        axum::Router::new().fallback(move |Query(query): Query<HashMap<String, String>>| {
            let list = list.clone();
            async move {
                let (offset, limit) = window(&query);
                let page: Vec<SessionInfo> = list
                    .iter()
                    .skip(offset)
                    .take(limit.min(cap))
                    .cloned()
                    .collect();
                let has_more = offset.saturating_add(page.len()) < list.len();
                json(page_json(&page, list.len(), has_more))
            }
        }),
    )
    .await
}

/// Pages overlap by two sessions, so a page of two cannot move the walk
/// on; a server that serves two when asked for more is still walked whole.
#[tokio::test]
async fn pages_smaller_than_the_walks_minimum_are_still_walked() {
    let list: Vec<SessionInfo> = (0..10_u128)
        .map(|n| session(n, 100 - n as i64, SessionStatus::Processed))
        .collect();
    let api = serve_capped(list, 2).await;
    for concurrency in [1, 4] {
        let items = walk_all(&api, 100, concurrency)
            .await
            .unwrap_or_else(|error| panic!("concurrency {concurrency}: {error}"));
        assert_eq!(items.len(), 10, "concurrency {concurrency}");
    }
}

/// A run of equal timestamps longer than the largest page, walked with
/// small pages: the walk goes on inside the run in pages of the largest
/// size instead of re-reading it from its start again and again.
#[tokio::test]
async fn a_run_of_ties_longer_than_any_page_is_walked_with_small_pages() {
    let mut list = vec![session(1000, 50, SessionStatus::Processed)];
    list.extend((0..150_u128).map(|n| session(n, 7, SessionStatus::Processed)));
    list.push(session(2000, 3, SessionStatus::Processed));
    let api = serve_capped(list, usize::MAX).await;
    for page_size in [10, 50, 100] {
        let items = walk_all(&api, page_size, 1)
            .await
            .unwrap_or_else(|error| panic!("pages of {page_size}: {error}"));
        let unique: HashSet<_> = items.iter().map(|s| s.session_id).collect();
        assert_eq!(unique.len(), 152, "pages of {page_size}");
        assert_eq!(items.len(), 152, "pages of {page_size}");
    }
}

/// The walk has yielded part of a run of ties when the sessions before it
/// are deleted, so it steps back; then the server reorders the run. The
/// session of the run not yet yielded is still yielded.
#[tokio::test]
async fn ties_reordered_while_the_walk_steps_back_are_not_skipped() {
    let at = |n: u128, created: i64| session(n, created, SessionStatus::Processed);
    let (a, b, n, r0, r1, r2, x, y) = (
        at(0, 9),
        at(1, 8),
        at(2, 7),
        at(3, 5),
        at(4, 5),
        at(5, 5),
        at(6, 4),
        at(7, 3),
    );
    let before = vec![
        a,
        b,
        n.clone(),
        r0.clone(),
        r1.clone(),
        r2.clone(),
        x.clone(),
        y.clone(),
    ];
    let deleted = before[2..].to_vec();
    let reordered = vec![n, r2, r0, r1, x, y];
    // 0: as first listed; 1: A and B deleted (from the first re-read of a
    // large page on); 2: the run reordered (after the page at offset 0).
    let phase = Arc::new(Mutex::new(0_u8));
    let api = serve(axum::Router::new().fallback(
        move |Query(query): Query<HashMap<String, String>>| {
            let (before, deleted, reordered) = (before.clone(), deleted.clone(), reordered.clone());
            let phase = Arc::clone(&phase);
            async move {
                let (offset, limit) = window(&query);
                let Ok(mut phase) = phase.lock() else {
                    return json(page_json(&[], 0, false));
                };
                if *phase == 0 && limit > 3 {
                    *phase = 1;
                }
                let list = match *phase {
                    0 => before,
                    1 => deleted,
                    _ => reordered,
                };
                if *phase == 1 && offset == 0 {
                    *phase = 2;
                }
                let page: Vec<SessionInfo> =
                    list.iter().skip(offset).take(limit).cloned().collect();
                let has_more = offset.saturating_add(page.len()) < list.len();
                json(page_json(&page, list.len(), has_more))
            }
        },
    ))
    .await;
    let items = walk_all(&api, 3, 1)
        .await
        .unwrap_or_else(|error| panic!("the walk fails: {error}"));
    let ids: HashSet<_> = items.iter().map(|s| s.session_id.as_u128() - 1).collect();
    assert_eq!(ids.len(), items.len(), "a session twice: {items:?}");
    // A and B were deleted during the walk and may or may not appear.
    for never_deleted in 2..8 {
        assert!(
            ids.contains(&never_deleted),
            "session {never_deleted} skipped: {ids:?}"
        );
    }
}

/// Serves what `answer(offset, limit)` gives: the page and the total.
async fn serve_window(
    answer: impl Fn(usize, usize) -> (Vec<SessionInfo>, usize) + Send + Sync + 'static,
) -> String {
    let answer = Arc::new(answer);
    serve(
        axum::Router::new().fallback(move |Query(query): Query<HashMap<String, String>>| {
            let answer = Arc::clone(&answer);
            async move {
                let (offset, limit) = window(&query);
                let (page, total) = answer(offset, limit);
                let has_more = offset.saturating_add(page.len()) < total;
                json(page_json(&page, total, has_more))
            }
        }),
    )
    .await
}

/// Equal timestamps in an order that depends on the page asked for, each
/// page the same when fetched again (a top-N sort without a unique
/// tie-breaker does this): in a run longer than the largest page the walk
/// fails rather than print part of the list (issue 18, item 12).
#[tokio::test]
async fn ties_ordered_by_offset_fail_the_walk_instead_of_losing_sessions() {
    use std::hash::BuildHasher;
    for run in [100_u128, 150] {
        let sessions: Vec<SessionInfo> = (0..300_u128)
            .map(|n| session(n, 100 - (n / run) as i64, SessionStatus::Processed))
            .collect();
        let expected: HashSet<_> = sessions.iter().map(|s| s.session_id).collect();
        let seed = std::collections::hash_map::RandomState::new();
        let api = serve_window(move |offset, limit| {
            let rank = |session: &SessionInfo| seed.hash_one((session.session_id, offset, limit));
            let mut list = sessions.clone();
            list.sort_by(|a, b| {
                b.created_at
                    .cmp(&a.created_at)
                    .then_with(|| rank(a).cmp(&rank(b)))
            });
            (list.into_iter().skip(offset).take(limit).collect(), 300)
        })
        .await;
        for concurrency in [1, 8] {
            match walk_all(&api, 100, concurrency).await {
                Err(error @ Error::OrderViolated { .. }) => {
                    assert!(
                        error.to_string().contains("depends on the offset"),
                        "{error}"
                    );
                }
                Ok(items) => {
                    let ids: HashSet<_> = items.iter().map(|s| s.session_id).collect();
                    assert_eq!(ids.len(), items.len(), "a session twice");
                    assert_eq!(
                        ids,
                        expected,
                        "runs of {run}, concurrency {concurrency}: {} of 300 and no error",
                        items.len()
                    );
                }
                Err(other) => panic!("unexpected error: {other:?}"),
            }
        }
    }
}

/// Every page sorted, but later offsets hold newer sessions and the total
/// never moves: the walk fails instead of dropping the later pages as
/// "inserts ahead of the reader" (issue 18, item 13).
#[tokio::test]
async fn later_offsets_holding_newer_sessions_fail_the_walk() {
    // Blocks of 100, the oldest block first; each response sorted.
    let layout: Vec<SessionInfo> = (0..3_i64)
        .flat_map(|block| {
            (0..100_i64).rev().map(move |n| {
                let created = block * 1000 + n;
                session(created as u128, created, SessionStatus::Processed)
            })
        })
        .collect();
    let api = serve_window(move |offset, limit| {
        let mut page: Vec<SessionInfo> = layout.iter().skip(offset).take(limit).cloned().collect();
        page.sort_by_key(|session| std::cmp::Reverse(session.created_at));
        (page, 300)
    })
    .await;
    for (page_size, concurrency) in [(100, 1), (100, 4), (10, 1), (10, 4)] {
        match walk_all(&api, page_size, concurrency).await {
            Err(error @ Error::OrderViolated { .. }) => {
                assert!(error.to_string().contains("later offsets"), "{error}");
            }
            other => panic!(
                "pages of {page_size}, concurrency {concurrency}: expected OrderViolated, got {:?}",
                other.map(|items| items.len())
            ),
        }
    }
}

/// A server that ignores `limit` and sends more than asked breaks the
/// contract: the page is refused, not taken (issue 18, item 14).
#[tokio::test]
async fn a_page_larger_than_the_limit_is_refused() {
    let list: Vec<SessionInfo> = (0..1_000_u128)
        .map(|n| session(n, 5_000 - n as i64, SessionStatus::Processed))
        .collect();
    let api =
        serve_window(move |offset, _| (list.iter().skip(offset).cloned().collect(), 1_000)).await;
    for concurrency in [1, 16] {
        match walk_all(&api, 100, concurrency).await {
            Err(error @ Error::PageRefused { offset: 0, .. }) => {
                let text = error.to_string();
                assert!(
                    text.contains("1000 sessions, more than the 100 asked for"),
                    "{text}"
                );
            }
            other => panic!(
                "expected PageRefused, got {:?}",
                other.map(|items| items.len())
            ),
        }
    }
}

/// The pages a walk has in flight are bounded by bytes: with 64 MiB
/// allowed per response, four (256 MiB) at most, whatever the concurrency
/// asked (issue 18, item 14).
#[tokio::test]
async fn pages_in_flight_are_bounded_by_the_response_cap() {
    let in_flight = Arc::new(AtomicU64::new(0));
    let most = Arc::new(AtomicU64::new(0));
    let (now, peak) = (Arc::clone(&in_flight), Arc::clone(&most));
    let list: Arc<Vec<SessionInfo>> = Arc::new(
        (0..2_000_u128)
            .map(|n| session(n, 5_000 - n as i64, SessionStatus::Processed))
            .collect(),
    );
    let api = serve(axum::Router::new().fallback(
        move |Query(query): Query<HashMap<String, String>>| {
            let (now, peak, list) = (Arc::clone(&now), Arc::clone(&peak), Arc::clone(&list));
            async move {
                let current = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(current, Ordering::SeqCst);
                // Long enough that the fetches ahead overlap.
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                let (offset, limit) = window(&query);
                let page: Vec<SessionInfo> =
                    list.iter().skip(offset).take(limit).cloned().collect();
                let has_more = offset.saturating_add(page.len()) < list.len();
                json(page_json(&page, list.len(), has_more))
            }
        },
    ))
    .await;
    let client = builder_for(&api)
        .max_response_bytes(64 * 1024 * 1024)
        .build()
        .expect("a valid configuration");
    let items: Vec<SessionInfo> = client
        .user(USER)
        .sessions()
        .concurrency(16)
        .items()
        .try_collect()
        .await
        .expect("the walk succeeds");
    assert_eq!(items.len(), 2_000);
    assert_eq!(
        recallr_ext::MAX_IN_FLIGHT_BYTES / (64 * 1024 * 1024),
        4,
        "the documented bound"
    );
    let peak = most.load(Ordering::SeqCst);
    assert!((1..=4).contains(&peak), "{peak} requests in flight at once");
}

/// A server that lets one new session through every 60 requests (below
/// the limit of fetches in a row that add nothing) is stopped by the
/// walk's request budget, long before the 1,200 requests its 20 sessions
/// would take (issue 18, item 15).
#[tokio::test]
async fn a_walk_that_trickles_stops_at_its_request_budget() {
    let requests = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&requests);
    let api = serve(axum::Router::new().fallback(move || {
        let counter = Arc::clone(&counter);
        async move {
            let seen = counter.fetch_add(1, Ordering::SeqCst);
            let count = (1 + seen / 60).min(20);
            // The offset is ignored: always the first `count` sessions.
            let page: Vec<SessionInfo> = (0..u128::from(count))
                .map(|n| session(n, 1_000 - n as i64, SessionStatus::Processed))
                .collect();
            json(page_json(&page, 1_000, true))
        }
    }))
    .await;
    let result = walk_all(&api, 100, 1).await;
    match result {
        Err(error @ Error::WalkAborted { .. }) => {
            let text = error.to_string();
            assert!(text.contains("request budget"), "{text}");
        }
        other => panic!(
            "expected WalkAborted, got {:?}",
            other.map(|items| items.len())
        ),
    }
    let sent = requests.load(Ordering::SeqCst);
    // Ten times the one page 20 sessions need, plus the allowance of 128.
    assert!(sent <= 10 + 128 + 1, "{sent} requests");
}

/// A run of equal timestamps longer than the walk keeps ids for fails the
/// walk instead of growing the tied-id set without bound (issue 18,
/// item 15).
#[tokio::test]
async fn a_run_of_ties_longer_than_the_tied_id_bound_fails_the_walk() {
    let run = recallr_ext::MAX_TIED_IDS + 100;
    let api = serve_window(move |offset, limit| {
        let end = offset.saturating_add(limit).min(run);
        let page = (offset..end)
            .map(|n| session(n as u128, 7, SessionStatus::Processed))
            .collect();
        (page, run)
    })
    .await;
    match walk_all(&api, 100, 1).await {
        Err(error @ Error::WalkAborted { .. }) => {
            let text = error.to_string();
            assert!(text.contains("share created_at"), "{text}");
        }
        other => panic!(
            "expected WalkAborted, got {:?}",
            other.map(|items| items.len())
        ),
    }
}
