//! The whole API through the generated surface and the one call path:
//! retries by idempotency, not-found errors naming the resource, argument
//! checks from the facts, the streaming context. Against a loopback server
//! that answers what each test needs (the stub does not serve these yet).

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use futures::TryStreamExt;
use recallr_ext::types::{AddMessageRequest, ContextResponse};
use recallr_ext::{Error, Order, Recallr, RetryRule, operation_info};
use uuid::Uuid;

use crate::common::{hostile_client, quick_retries, serve};

const SESSION: Uuid = Uuid::from_u128(0x5e55);

/// A server that answers every request with `answer` and counts them.
async fn counting(
    answer: impl Fn(usize) -> Response + Clone + Send + Sync + 'static,
) -> (String, Arc<AtomicUsize>) {
    let count = Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    let base = serve(axum::Router::new().fallback(move || {
        let answer = answer.clone();
        let attempt = seen.fetch_add(1, Ordering::SeqCst);
        async move { answer(attempt) }
    }))
    .await;
    (base, count)
}

fn unavailable() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        [(header::CONTENT_TYPE, "application/json")],
        r#"{"detail":"busy"}"#,
    )
        .into_response()
}

fn json(status: StatusCode, body: &str) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response()
}

fn session_json() -> String {
    serde_json::json!({"session": {
        "session_id": SESSION,
        "created_at": "2026-01-01T00:00:00Z",
        "metadata": {},
        "status": "pending",
    }})
    .to_string()
}

#[tokio::test]
async fn a_post_is_not_repeated_after_a_503() {
    let (base, count) = counting(|_| unavailable()).await;
    let error = hostile_client(&base, 3)
        .user("u1")
        .session(SESSION)
        .add_message(AddMessageRequest::new("hi".into(), "user".into()))
        .send()
        .await
        .expect_err("503");
    assert!(matches!(error, Error::Server { .. }), "{error:?}");
    assert_eq!(
        count.load(Ordering::SeqCst),
        1,
        "a second add_message could store the message twice"
    );
    assert_eq!(operation_info::ADD_MESSAGE.retry, RetryRule::UnsentOnly);
}

#[tokio::test]
async fn a_get_is_repeated_after_a_503() {
    let (base, count) = counting(|attempt| {
        if attempt < 2 {
            unavailable()
        } else {
            json(StatusCode::OK, &session_json())
        }
    })
    .await;
    let session = hostile_client(&base, 3)
        .user("u1")
        .session(SESSION)
        .get()
        .send()
        .await
        .expect("the third attempt succeeds");
    assert_eq!(session.session.session_id, SESSION);
    assert_eq!(count.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn a_post_is_repeated_after_a_429() {
    let (base, count) = counting(|attempt| {
        if attempt == 0 {
            json(StatusCode::TOO_MANY_REQUESTS, r#"{"detail":"slow down"}"#)
        } else {
            json(StatusCode::OK, r#"{"detail":"Session processing started"}"#)
        }
    })
    .await;
    let answer = hostile_client(&base, 2)
        .user("u1")
        .session(SESSION)
        .process()
        .send()
        .await
        .expect("a 429 means the request was refused unread");
    assert_eq!(answer.detail, "Session processing started");
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_refused_connection_did_not_reach_the_server() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let address = listener.local_addr().expect("an address");
    drop(listener);
    let error = hostile_client(&format!("http://{address}"), 0)
        .create_user(recallr_ext::types::CreateUserRequest::new("u1".into()))
        .send()
        .await
        .expect_err("nothing listens");
    assert!(matches!(error, Error::Connection { .. }), "{error:?}");
    assert!(error.did_not_reach_the_server(), "{error:?}");
}

#[tokio::test]
async fn a_404_names_the_resource_and_its_id() {
    let base = serve(axum::Router::new().fallback(|uri: Uri| async move {
        let detail = if uri.path().contains("merge-conflicts") {
            "Merge conflict not found"
        } else if uri.path().contains("/sessions/") {
            "Session not found"
        } else if uri.path().contains("/memory/") {
            "Memory not found"
        } else if uri.path().ends_with("/api/v1/wrong") {
            "Not Found"
        } else {
            "User u1 not found"
        };
        json(
            StatusCode::NOT_FOUND,
            &serde_json::json!({"detail": detail}).to_string(),
        )
    }))
    .await;
    let client = hostile_client(&base, 0);
    let user = client.user("u1");
    let conflict = Uuid::from_u128(0xc0);
    let errors = [
        (user.get().send().await.map(drop), "user", "u1".to_string()),
        (
            user.session(SESSION).messages().send().await.map(drop),
            "session",
            SESSION.to_string(),
        ),
        (
            user.memory("m1").get().send().await.map(drop),
            "memory",
            "m1".to_string(),
        ),
        (
            user.merge_conflict(conflict).get().send().await.map(drop),
            "merge conflict",
            conflict.to_string(),
        ),
    ];
    for (result, kind, expected_id) in errors {
        let error = result.expect_err("404");
        let Error::NotFound { resource, id, .. } = &error else {
            panic!("expected NotFound, got {error:?}");
        };
        assert_eq!((*resource, id.as_str()), (kind, expected_id.as_str()));
        assert!(error.to_string().contains(kind), "{error}");
    }
}

#[tokio::test]
async fn a_route_level_404_is_not_a_missing_resource() {
    let base = serve(
        axum::Router::new()
            .fallback(|| async { json(StatusCode::NOT_FOUND, r#"{"detail":"Not Found"}"#) }),
    )
    .await;
    let error = hostile_client(&base, 0)
        .user("u1")
        .get()
        .send()
        .await
        .expect_err("404");
    assert!(
        matches!(error, Error::UnexpectedStatus { status, .. } if status == StatusCode::NOT_FOUND),
        "{error:?}"
    );
    assert!(error.to_string().contains("base URL"), "{error}");
}

#[tokio::test]
async fn arguments_are_checked_against_the_facts_before_sending() {
    let (base, count) = counting(|_| json(StatusCode::OK, "{}")).await;
    let client = hostile_client(&base, 0);
    let max = recallr_api::facts::list_users::LIMIT_MAX;
    let error = client
        .users()
        .limit(max + 1)
        .send()
        .await
        .expect_err("over the spec's maximum");
    let message = error.to_string();
    assert!(matches!(error, Error::InvalidRequest { .. }), "{error:?}");
    assert!(
        message.contains("limit") && message.contains(&max.to_string()),
        "{message}"
    );
    let error = client
        .user("..")
        .get()
        .send()
        .await
        .expect_err("a path step");
    assert!(error.to_string().contains("custom_user_id"), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 0, "nothing was sent");
}

#[tokio::test]
async fn a_page_of_users_is_sent_with_its_offset_and_limit() {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = serve(axum::Router::new().fallback(move |uri: Uri| {
        log.lock().expect("the log").push(uri.to_string());
        async {
            json(
                StatusCode::OK,
                r#"{"users":[{"custom_user_id":"u1","created_at":"2026-01-01T00:00:00Z","last_active_at":"2026-01-01T00:00:00Z","metadata":{}}],"total":3,"has_more":true}"#,
            )
        }
    }))
    .await;
    let page = hostile_client(&base, 0)
        .users()
        .offset(2)
        .limit(1)
        .send()
        .await
        .expect("a page");
    assert_eq!(page.users.len(), 1);
    assert_eq!(page.total, 3);
    let uris = seen.lock().expect("the log").clone();
    assert_eq!(uris.len(), 1);
    assert!(uris[0].starts_with("/api/v1/users?"), "{uris:?}");
    assert!(
        uris[0].contains("offset=2") && uris[0].contains("limit=1"),
        "{uris:?}"
    );
}

#[test]
fn every_list_carries_its_pagination_declaration() {
    let sessions = operation_info::LIST_SESSIONS.pagination.expect("declared");
    assert_eq!(
        sessions.order,
        Order::Descending {
            key: "created_at",
            tie_break: "session_id"
        }
    );
    let messages = operation_info::LIST_MESSAGES.pagination.expect("declared");
    assert_eq!(
        messages.order,
        Order::Ascending {
            key: "timestamp",
            append_only: true
        }
    );
    assert!(matches!(
        operation_info::LIST_MERGE_CONFLICTS
            .pagination
            .map(|p| p.order),
        Some(Order::ByRequest { unique: "id", .. })
    ));
    for list in [operation_info::LIST_USERS, operation_info::LIST_MEMORIES] {
        let pagination = list.pagination.expect("declared");
        assert!(pagination.declared);
        assert!(
            matches!(pagination.order, Order::Unordered { unique: Some(_) }),
            "{list:?}"
        );
    }
    // The last N messages of a user is a plain call, not a paged list.
    assert_eq!(operation_info::GET_USER_MESSAGES.pagination, None);
}

/// A server that answers the context request with `events`, then, unless
/// `end`, holds the connection open; it records each request's query and
/// `Accept` header.
async fn events_server(events: Vec<String>, end: bool) -> (String, Arc<Mutex<Vec<String>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = serve(
        axum::Router::new().fallback(move |uri: Uri, headers: HeaderMap| {
            let accept = headers
                .get(header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_string();
            log.lock().expect("the log").push(format!(
                "{} accept={accept}",
                uri.query().unwrap_or_default()
            ));
            let chunks: Vec<Result<Bytes, Infallible>> = events
                .iter()
                .map(|event| Ok(Bytes::from(format!("data: {event}\n\n"))))
                .collect();
            async move {
                let body = futures::stream::iter(chunks);
                let body = if end {
                    Body::from_stream(body)
                } else {
                    Body::from_stream(futures::StreamExt::chain(body, futures::stream::pending()))
                };
                (
                    StatusCode::OK,
                    [(header::CONTENT_TYPE, "text/event-stream")],
                    body,
                )
                    .into_response()
            }
        }),
    )
    .await;
    (base, seen)
}

fn stream_client(base: &str, operation_timeout: Duration) -> Recallr {
    crate::common::builder_for(base)
        .retry_policy(quick_retries(0))
        .operation_timeout(operation_timeout)
        .build()
        .expect("a valid configuration")
}

#[tokio::test]
async fn the_streamed_context_is_typed_events_ending_with_the_final_one() {
    let events = vec![
        r#"{"is_final":false,"status_update_message":"searching"}"#.to_string(),
        r#"{"is_final":false,"status_update_message":"ranking"}"#.to_string(),
        r#"{"is_final":true,"context":"the context"}"#.to_string(),
        // Past the final event: never read.
        r#"{"is_final":false}"#.to_string(),
    ];
    let (base, seen) = events_server(events, false).await;
    let events: Vec<ContextResponse> = stream_client(&base, Duration::from_secs(30))
        .user("u1")
        .session(SESSION)
        .context()
        .last_n_messages(5)
        .send_stream()
        .try_collect()
        .await
        .expect("three events");
    assert_eq!(events.len(), 3);
    assert!(events[..2].iter().all(|event| !event.is_final));
    assert!(events[2].is_final);
    assert_eq!(events[2].context.as_deref(), Some("the context"));
    let seen = seen.lock().expect("the log").clone();
    assert_eq!(seen.len(), 1);
    assert!(seen[0].contains("stream=true"), "{seen:?}");
    assert!(seen[0].contains("last_n_messages=5"), "{seen:?}");
    assert!(seen[0].contains("accept=text/event-stream"), "{seen:?}");
}

#[tokio::test]
async fn a_stream_without_a_final_event_fails_within_the_operation_timeout() {
    let (base, _) = events_server(vec![r#"{"is_final":false}"#.to_string()], false).await;
    let result: Result<Vec<ContextResponse>, Error> =
        stream_client(&base, Duration::from_millis(300))
            .user("u1")
            .session(SESSION)
            .context()
            .send_stream()
            .try_collect()
            .await;
    let error = result.expect_err("no final event");
    assert!(matches!(error, Error::Timeout { .. }), "{error:?}");
}

#[tokio::test]
async fn a_stream_that_ends_before_its_final_event_is_an_error() {
    let (base, _) = events_server(vec![r#"{"is_final":false}"#.to_string()], true).await;
    let result: Result<Vec<ContextResponse>, Error> = stream_client(&base, Duration::from_secs(30))
        .user("u1")
        .session(SESSION)
        .context()
        .send_stream()
        .try_collect()
        .await;
    let error = result.expect_err("no final event");
    assert!(
        error.to_string().contains("before its final event"),
        "{error}"
    );
}

#[tokio::test]
async fn an_event_over_the_body_cap_is_an_error() {
    let big = format!(
        r#"{{"is_final":true,"context":"{}"}}"#,
        "x".repeat(64 * 1024)
    );
    let (base, _) = events_server(vec![big], true).await;
    let client = crate::common::builder_for(&base)
        .retry_policy(quick_retries(0))
        .max_response_bytes(16 * 1024)
        .build()
        .expect("a valid configuration");
    let result: Result<Vec<ContextResponse>, Error> = client
        .user("u1")
        .session(SESSION)
        .context()
        .send_stream()
        .try_collect()
        .await;
    let error = result.expect_err("over the cap");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    assert!(
        error.to_string().contains("larger than this client reads"),
        "{error}"
    );
}

#[tokio::test]
async fn without_stream_the_context_is_one_json_answer() {
    let (base, _) = counting(|_| json(StatusCode::OK, r#"{"is_final":true,"context":"c"}"#)).await;
    let context = hostile_client(&base, 0)
        .user("u1")
        .session(SESSION)
        .context()
        .send()
        .await
        .expect("JSON");
    assert_eq!(context.context.as_deref(), Some("c"));
}

#[tokio::test]
async fn documented_400_409_and_422_answers_are_typed_errors() {
    let base = serve(axum::Router::new().fallback(|uri: Uri| async move {
        if uri.path().ends_with("/memories") {
            json(
                StatusCode::BAD_REQUEST,
                r#"{"detail":{"message":"Invalid categories","invalid_categories":["nope"]}}"#,
            )
        } else if uri.path() == "/api/v1/users" {
            json(StatusCode::CONFLICT, r#"{"detail":"User u1 already exists"}"#)
        } else {
            json(
                StatusCode::UNPROCESSABLE_ENTITY,
                r#"{"detail":[{"loc":["body","role"],"msg":"Input should be 'user' or 'assistant'","type":"enum"}]}"#,
            )
        }
    }))
    .await;
    let client = hostile_client(&base, 2);
    let error = client
        .user("u1")
        .memories()
        .categories(["nope".to_string()])
        .send()
        .await
        .expect_err("400");
    assert!(
        matches!(&error, Error::BadRequest { detail, .. } if detail.contains("invalid_categories")),
        "{error:?}"
    );
    let error = client
        .create_user(recallr_ext::types::CreateUserRequest::new("u1".into()))
        .send()
        .await
        .expect_err("409");
    assert!(
        matches!(&error, Error::Conflict { detail, .. } if detail.contains("already exists")),
        "{error:?}"
    );
    let error = client
        .user("u1")
        .session(SESSION)
        .add_message(AddMessageRequest::new("hi".into(), "robot".into()))
        .send()
        .await
        .expect_err("422");
    let Error::Validation { issues, .. } = &error else {
        panic!("expected Validation, got {error:?}");
    };
    assert_eq!(issues[0].loc, ["body", "role"]);
    assert!(!error.is_retryable());
}

/// Every operation, through the generated surface, sends the method and
/// path its `operation_info` says, and a 404 comes back as a typed error.
#[tokio::test]
async fn every_operation_sends_its_method_and_path() {
    use recallr_ext::types::{
        CreateSessionRequest, CreateUserRequest, MergeConflictAnswers, ResolveMergeConflictRequest,
        UpdateSessionRequest, UpdateUserRequest,
    };

    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    let base = serve(
        axum::Router::new().fallback(move |method: axum::http::Method, uri: Uri| {
            log.lock()
                .expect("the log")
                .push(format!("{method} {}", uri.path()));
            async { json(StatusCode::NOT_FOUND, r#"{"detail":"Thing not found"}"#) }
        }),
    )
    .await;
    let client = hostile_client(&base, 0);
    let user = client.user("u1");
    let session = user.session(SESSION);
    let conflict = user.merge_conflict(Uuid::from_u128(0xc0));
    let memory = user.memory("m1");
    let results: Vec<Result<(), Error>> = vec![
        client.system_prompt().send().await.map(drop),
        client.users().send().await.map(drop),
        client
            .create_user(CreateUserRequest::new("u1".into()))
            .send()
            .await
            .map(drop),
        user.get().send().await.map(drop),
        user.update(UpdateUserRequest::new()).send().await.map(drop),
        user.delete().send().await.map(drop),
        user.memories().send().await.map(drop),
        memory.get().send().await.map(drop),
        memory.delete().send().await.map(drop),
        user.merge_conflicts().send().await.map(drop),
        conflict.get().send().await.map(drop),
        conflict
            .resolve(ResolveMergeConflictRequest::new(MergeConflictAnswers::new(
                Vec::new(),
            )))
            .send()
            .await
            .map(drop),
        user.messages().send().await.map(drop),
        user.sessions().send().await.map(drop),
        user.create_session(CreateSessionRequest::new())
            .send()
            .await
            .map(drop),
        session.get().send().await.map(drop),
        session
            .update(UpdateSessionRequest::new(serde_json::Map::new()))
            .send()
            .await
            .map(drop),
        session.delete().send().await.map(drop),
        session
            .add_message(AddMessageRequest::new("hi".into(), "user".into()))
            .send()
            .await
            .map(drop),
        session.context().send().await.map(drop),
        session.messages().send().await.map(drop),
        session.process().send().await.map(drop),
    ];
    for result in &results {
        let error = result.as_ref().expect_err("every answer is a 404");
        assert_eq!(error.status(), Some(StatusCode::NOT_FOUND), "{error:?}");
    }
    let sent = seen.lock().expect("the log").clone();
    let expected: Vec<String> = operation_info::ALL
        .iter()
        .map(|operation| {
            let path = operation
                .path
                .replace("{custom_user_id}", "u1")
                .replace("{session_id}", &SESSION.to_string())
                .replace("{memory_id}", "m1")
                .replace("{conflict_id}", &Uuid::from_u128(0xc0).to_string());
            format!("{} {path}", operation.method)
        })
        .collect();
    assert_eq!(
        operation_info::ALL.len(),
        results.len(),
        "a call per operation"
    );
    let mut sent_sorted = sent.clone();
    sent_sorted.sort();
    let mut expected_sorted = expected.clone();
    expected_sorted.sort();
    assert_eq!(sent_sorted, expected_sorted);
}

#[tokio::test]
async fn an_undecodable_event_is_an_error_without_the_key() {
    let echoed = format!(r#"{{"is_final": "{}""#, recallr_stub::DEFAULT_API_KEY);
    let (base, _) = events_server(vec![echoed], true).await;
    let result: Result<Vec<ContextResponse>, Error> = stream_client(&base, Duration::from_secs(30))
        .user("u1")
        .session(SESSION)
        .context()
        .send_stream()
        .try_collect()
        .await;
    let error = result.expect_err("not JSON");
    assert!(matches!(error, Error::Decode { .. }), "{error:?}");
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains(recallr_stub::DEFAULT_API_KEY), "{shown}");
}

/// `resolve` sends the answers wrapped under `answers`, the body the
/// vendor's official SDK sends: the stub, which refuses them unwrapped
/// with a 422, takes them and queues the conflict.
#[tokio::test]
async fn a_merge_conflict_is_resolved_with_the_answers_wrapped() {
    use recallr_ext::types::{
        MergeConflict, MergeConflictAnswer, MergeConflictAnswers, MergeConflictQuestion,
        MergeConflictStatus, ResolveMergeConflictRequest,
    };

    let id = Uuid::from_u128(0xc0);
    let store = recallr_stub::Store::new();
    store.insert_merge_conflict(
        "u1",
        MergeConflict::new(
            vec![MergeConflictQuestion::new(
                vec!["Oslo".into(), "Bergen".into()],
                "Where do you live?".into(),
            )],
            Vec::new(),
            recallr_stub::timestamp(0),
            id,
            SESSION,
            MergeConflictStatus::PENDING,
        ),
    );
    let server = crate::common::start(store).await;
    let answers = MergeConflictAnswers::new(vec![MergeConflictAnswer::new(
        "Bergen".into(),
        "Where do you live?".into(),
    )]);
    let resolved = crate::common::client(&server)
        .user("u1")
        .merge_conflict(id)
        .resolve(ResolveMergeConflictRequest::new(answers))
        .send()
        .await
        .expect("the stub takes the wrapped answers");
    assert_eq!(resolved.conflict.status, MergeConflictStatus::INQUEUE);
    let data = resolved.conflict.resolution_data.expect("the answers kept");
    assert_eq!(data.question_answers[0].answer, "Bergen");
}
