//! The vendor's behaviour over real HTTP, one resource at a time, every
//! answer checked against the spec's schema: users, sessions and their
//! state machine on the stub's clock, messages, memories, merge
//! conflicts, context (plain and streamed), the system prompt, and the
//! generic validation of bodies.

use std::time::Duration;

use crate::common::{Answer, call, start};
use recallr_api::types::{
    MergeConflict, MergeConflictConflictingMemory, MergeConflictQuestion, MergeConflictStatus,
};
use recallr_stub::{Store, StubConfig, StubServer, timestamp};
use serde_json::{Value, json};
use uuid::Uuid;

async fn stub() -> StubServer {
    let clock = recallr_stub::Clock::new();
    clock.set(timestamp(1_000));
    StubServer::start(
        StubConfig {
            clock,
            ..StubConfig::default()
        },
        Store::new(),
    )
    .await
    .expect("the stub starts")
}

async fn create_user(server: &StubServer, id: &str) -> Answer {
    call(
        server,
        "POST",
        "/api/v1/users",
        Some(json!({"custom_user_id": id, "metadata": {"plan": "pro"}})),
    )
    .await
}

async fn create_session(server: &StubServer, user: &str, body: Value) -> String {
    let answer = call(
        server,
        "POST",
        &format!("/api/v1/users/{user}/sessions"),
        Some(body),
    )
    .await;
    assert_eq!(answer.status, 201, "{}", answer.body);
    assert_eq!(answer.body["session"]["status"], "pending");
    answer.body["session"]["session_id"]
        .as_str()
        .expect("an id")
        .to_string()
}

async fn add(server: &StubServer, user: &str, session: &str, role: &str, text: &str) -> Answer {
    call(
        server,
        "POST",
        &format!("/api/v1/users/{user}/sessions/{session}/add-message"),
        Some(json!({"role": role, "message": text})),
    )
    .await
}

async fn status(server: &StubServer, user: &str, session: &str) -> String {
    let answer = call(
        server,
        "GET",
        &format!("/api/v1/users/{user}/sessions/{session}"),
        None,
    )
    .await;
    answer.body["session"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

#[tokio::test]
async fn users_are_created_once_renamed_and_deleted_with_everything() {
    let server = stub().await;
    let answer = create_user(&server, "ann").await;
    assert_eq!(answer.status, 201);
    assert_eq!(answer.body["user"]["metadata"], json!({"plan": "pro"}));
    assert_eq!(create_user(&server, "ann").await.status, 409);
    create_user(&server, "bob").await;
    let list = call(&server, "GET", "/api/v1/users?partial_user_id=an", None).await;
    assert_eq!(
        (
            list.body["total"].clone(),
            list.body["users"][0]["custom_user_id"].clone()
        ),
        (json!(1), json!("ann"))
    );
    let filtered = call(
        &server,
        "GET",
        "/api/v1/users?metadata_filter=%7B%22plan%22%3A%22pro%22%7D&limit=1",
        None,
    )
    .await;
    assert_eq!(
        (
            filtered.body["total"].clone(),
            filtered.body["has_more"].clone()
        ),
        (json!(2), json!(true))
    );

    let taken = call(
        &server,
        "PUT",
        "/api/v1/users/ann",
        Some(json!({"new_custom_user_id": "bob"})),
    )
    .await;
    assert_eq!(taken.status, 409);
    let session = create_session(&server, "ann", json!({})).await;
    let renamed = call(
        &server,
        "PUT",
        "/api/v1/users/ann",
        Some(json!({"new_custom_user_id": "cat", "new_metadata": {"x": 1}})),
    )
    .await;
    assert_eq!(renamed.status, 200);
    assert_eq!(renamed.body["user"]["custom_user_id"], "cat");
    assert_eq!(renamed.body["user"]["metadata"], json!({"x": 1}));
    assert_eq!(
        call(&server, "GET", "/api/v1/users/ann", None).await.status,
        404
    );
    let moved = call(
        &server,
        "GET",
        &format!("/api/v1/users/cat/sessions/{session}"),
        None,
    )
    .await;
    assert_eq!(moved.status, 200, "the sessions moved with the user");

    let deleted = call(&server, "DELETE", "/api/v1/users/cat", None).await;
    assert_eq!((deleted.status, deleted.body), (204, Value::Null));
    assert_eq!(
        call(&server, "DELETE", "/api/v1/users/cat", None)
            .await
            .status,
        404
    );
    assert!(server.store().memories("cat").is_none());
    let recreated = create_user(&server, "cat").await;
    assert_eq!(recreated.status, 201);
    let sessions = call(&server, "GET", "/api/v1/users/cat/sessions", None).await;
    assert_eq!(sessions.body["total"], 0, "nothing of the old user is left");
}

#[tokio::test]
async fn a_session_is_processed_on_request_then_on_the_clock_and_derives_memories() {
    let server = stub().await;
    create_user(&server, "u").await;
    let session = create_session(&server, "u", json!({"metadata": {"topic": "food"}})).await;
    assert_eq!(
        add(&server, "u", &session, "user", "I love ramen")
            .await
            .status,
        200
    );
    assert_eq!(
        add(&server, "u", &session, "assistant", "Noted")
            .await
            .status,
        200
    );
    assert_eq!(
        add(&server, "u", &session, "user", "I live in Oslo")
            .await
            .status,
        200
    );
    let bad_role = add(&server, "u", &session, "system", "hi").await;
    assert_eq!(bad_role.status, 400);

    let process = format!("/api/v1/users/u/sessions/{session}/process");
    assert_eq!(call(&server, "POST", &process, None).await.status, 200);
    assert_eq!(status(&server, "u", &session).await, "processing");
    assert_eq!(
        call(&server, "POST", &process, None).await.status,
        400,
        "not pending"
    );
    let late = add(&server, "u", &session, "user", "too late").await;
    assert_eq!(late.status, 400);
    assert!(
        late.body["detail"]
            .as_str()
            .is_some_and(|d| d.contains("pending"))
    );

    server.clock().advance(Duration::from_secs(2));
    assert_eq!(status(&server, "u", &session).await, "processed");
    let memories = call(&server, "GET", "/api/v1/users/u/memories", None).await;
    assert_eq!(memories.body["total"], 2, "{}", memories.body);
    let contents: Vec<&str> = memories.body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert!(contents.contains(&"I love ramen") && contents.contains(&"I live in Oslo"));

    // The same conversation gives the same memories.
    let again = memories.body["items"][0]["memory_id"].clone();
    let with = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/sessions/{session}?include_memories=true&include_summary=true"),
        None,
    )
    .await;
    assert_eq!(
        with.body["session"]["memories"].as_array().map(Vec::len),
        Some(2)
    );
    assert!(with.body["session"]["session_summary"].is_string());
    assert!(
        with.body["session"]["memories"]
            .as_array()
            .expect("memories")
            .iter()
            .any(|m| m["memory_id"] == again)
    );
}

#[tokio::test]
async fn a_pending_session_auto_processes_after_its_delay_from_the_last_message() {
    let server = stub().await;
    create_user(&server, "u").await;
    let session = create_session(&server, "u", json!({"auto_process_after_seconds": 900})).await;
    server.clock().advance(Duration::from_secs(600));
    add(&server, "u", &session, "user", "hello").await;
    server.clock().advance(Duration::from_secs(899));
    assert_eq!(
        status(&server, "u", &session).await,
        "pending",
        "the message reset the timer"
    );
    server.clock().advance(Duration::from_secs(1));
    assert_eq!(status(&server, "u", &session).await, "processing");
    server.clock().advance(Duration::from_secs(2));
    assert_eq!(status(&server, "u", &session).await, "processed");
    let too_soon = call(
        &server,
        "POST",
        "/api/v1/users/u/sessions",
        Some(json!({"auto_process_after_seconds": 599})),
    )
    .await;
    assert_eq!(too_soon.status, 422);
    assert_eq!(
        too_soon.body["detail"][0]["loc"],
        json!(["body", "auto_process_after_seconds"])
    );
}

#[tokio::test]
async fn sessions_update_delete_and_cascade() {
    let server = stub().await;
    create_user(&server, "u").await;
    let session = create_session(
        &server,
        "u",
        json!({"custom_created_at_utc": "2024-05-01T00:00:00Z"}),
    )
    .await;
    let path = format!("/api/v1/users/u/sessions/{session}");
    let got = call(&server, "GET", &path, None).await;
    assert_eq!(got.body["session"]["created_at"], "2024-05-01T00:00:00Z");
    let updated = call(
        &server,
        "PUT",
        &path,
        Some(json!({"new_metadata": {"a": {"b": 1}}})),
    )
    .await;
    assert_eq!(updated.body["session"]["metadata"], json!({"a": {"b": 1}}));
    add(&server, "u", &session, "user", "remember this").await;
    call(&server, "POST", &format!("{path}/process"), None).await;
    server.clock().advance(Duration::from_secs(5));
    // Timers fire when a request reaches the user.
    assert_eq!(status(&server, "u", &session).await, "processed");
    let conflict = conflict(Uuid::parse_str(&session).expect("a uuid"));
    server.store().insert_merge_conflict("u", conflict);
    assert_eq!(server.store().memories("u").map(|m| m.len()), Some(1));
    assert_eq!(call(&server, "DELETE", &path, None).await.status, 204);
    assert_eq!(call(&server, "GET", &path, None).await.status, 404);
    assert_eq!(server.store().memories("u").map(|m| m.len()), Some(0));
    assert_eq!(
        server.store().merge_conflicts("u").map(|c| c.len()),
        Some(0)
    );
    let messages = call(&server, "GET", "/api/v1/users/u/messages", None).await;
    assert_eq!(messages.body["messages"], json!([]));
    let unknown = Uuid::from_u128(9);
    assert_eq!(
        call(
            &server,
            "DELETE",
            &format!("/api/v1/users/u/sessions/{unknown}"),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/users/u/sessions/not-a-uuid", None)
            .await
            .status,
        422
    );
}

#[tokio::test]
async fn messages_are_chronological_paged_and_user_wide() {
    let server = stub().await;
    create_user(&server, "u").await;
    let first = create_session(&server, "u", json!({})).await;
    let second = create_session(&server, "u", json!({})).await;
    for n in 0..7 {
        server.clock().advance(Duration::from_secs(1));
        let session = if n % 2 == 0 { &first } else { &second };
        add(&server, "u", session, "user", &format!("m{n}")).await;
    }
    let page = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/sessions/{first}/messages?offset=1&limit=2"),
        None,
    )
    .await;
    let texts: Vec<&str> = page.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(texts, ["m2", "m4"]);
    assert_eq!(
        (page.body["total"].clone(), page.body["has_more"].clone()),
        (json!(4), json!(true))
    );
    let over = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/sessions/{first}/messages?limit=501"),
        None,
    )
    .await;
    assert_eq!(over.status, 422);
    let last = call(&server, "GET", "/api/v1/users/u/messages?limit=3", None).await;
    let texts: Vec<&str> = last.body["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .filter_map(|m| m["content"].as_str())
        .collect();
    assert_eq!(texts, ["m4", "m5", "m6"]);
    assert_eq!(last.body["messages"][1]["session_id"], json!(second));
}

async fn processed_user(server: &StubServer) -> String {
    create_user(server, "u").await;
    let session = create_session(server, "u", json!({"metadata": {"topic": "travel"}})).await;
    for text in ["one", "two", "three", "four", "five", "six"] {
        add(server, "u", &session, "user", text).await;
    }
    call(
        server,
        "POST",
        &format!("/api/v1/users/u/sessions/{session}/process"),
        None,
    )
    .await;
    server.clock().advance(Duration::from_secs(3));
    session
}

#[tokio::test]
async fn memories_filter_get_and_delete() {
    let server = stub().await;
    let session = processed_user(&server).await;
    let all = call(
        &server,
        "GET",
        "/api/v1/users/u/memories?include_connected_memories=false&include_previous_versions=false",
        None,
    )
    .await;
    assert_eq!(all.body["total"], 6);
    let first = &all.body["items"][0];
    assert!(first.get("connected_memories").is_none());
    let category = first["categories"][0]
        .as_str()
        .expect("a category")
        .to_string();
    let by_category = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/memories?categories={category}"),
        None,
    )
    .await;
    assert!(
        by_category.body["items"]
            .as_array()
            .expect("items")
            .iter()
            .all(|m| m["categories"]
                .as_array()
                .is_some_and(|c| c.contains(&json!(category))))
    );
    let invalid = call(
        &server,
        "GET",
        "/api/v1/users/u/memories?categories=work&categories=nonsense",
        None,
    )
    .await;
    assert_eq!(invalid.status, 400);
    assert_eq!(
        invalid.body["detail"]["invalid_categories"],
        json!(["nonsense"])
    );
    let by_session = call(&server, "GET", &format!("/api/v1/users/u/memories?session_id_filter={session}&session_metadata_filter=%7B%22topic%22%3A%22travel%22%7D&limit=4"), None).await;
    assert_eq!(
        (
            by_session.body["total"].clone(),
            by_session.body["has_more"].clone()
        ),
        (json!(6), json!(true))
    );
    let none = call(
        &server,
        "GET",
        "/api/v1/users/u/memories?session_metadata_filter=%7B%22topic%22%3A%22food%22%7D",
        None,
    )
    .await;
    assert_eq!(none.body["total"], 0);

    let id = first["memory_id"].as_str().expect("an id").to_string();
    let got = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/memory/{id}"),
        None,
    )
    .await;
    assert_eq!(got.body["memory_id"], json!(id));
    assert_eq!(
        call(
            &server,
            "DELETE",
            &format!("/api/v1/users/u/memory/{id}?delete_previous_versions=true"),
            None
        )
        .await
        .status,
        204
    );
    assert_eq!(
        call(
            &server,
            "GET",
            &format!("/api/v1/users/u/memory/{id}"),
            None
        )
        .await
        .status,
        404
    );
    assert_eq!(
        call(&server, "GET", "/api/v1/users/nobody/memories", None)
            .await
            .status,
        404
    );
}

fn conflict(session: Uuid) -> MergeConflict {
    let memory = MergeConflictConflictingMemory::new(
        "Lives in Oslo".into(),
        timestamp(0),
        timestamp(0),
        timestamp(0),
        Uuid::from_u128(77),
        "a newer statement disagrees".into(),
    );
    MergeConflict::new(
        vec![
            MergeConflictQuestion::new(
                vec!["Oslo".into(), "Bergen".into()],
                "Where do you live?".into(),
            ),
            MergeConflictQuestion::new(vec!["yes".into(), "no".into()], "Did you move?".into()),
        ],
        vec![memory],
        timestamp(10),
        Uuid::from_u128(0xC0),
        session,
        MergeConflictStatus::PENDING,
    )
}

#[tokio::test]
async fn merge_conflicts_list_resolve_and_settle_on_the_clock() {
    let server = stub().await;
    create_user(&server, "u").await;
    let session = Uuid::from_u128(5);
    server.store().insert_merge_conflict("u", conflict(session));
    let mut older = conflict(session);
    older.id = Uuid::from_u128(0xC1);
    older.created_at = timestamp(5);
    server.store().insert_merge_conflict("u", older);

    let list = call(
        &server,
        "GET",
        "/api/v1/users/u/merge-conflicts?sort_order=asc",
        None,
    )
    .await;
    assert_eq!(
        list.body["conflicts"][0]["id"],
        json!(Uuid::from_u128(0xC1))
    );
    let odd = call(
        &server,
        "GET",
        "/api/v1/users/u/merge-conflicts?sort_by=mood&sort_order=up",
        None,
    )
    .await;
    assert_eq!(odd.status, 200, "the spec documents no error for these");
    assert_eq!(
        odd.body["conflicts"][0]["id"],
        json!(Uuid::from_u128(0xC0)),
        "newest first by default"
    );
    let bad_status = call(
        &server,
        "GET",
        "/api/v1/users/u/merge-conflicts?status=DONE",
        None,
    )
    .await;
    assert_eq!(bad_status.status, 422);

    let resolve = format!(
        "/api/v1/users/u/merge-conflicts/{}/resolve",
        Uuid::from_u128(0xC0)
    );
    let answer = |q: &str, a: &str| json!({"question": q, "answer": a});
    for (answers, problem) in [
        (
            vec![answer("Who are you?", "me")],
            "Invalid questions provided",
        ),
        (
            vec![answer("Where do you live?", "Oslo")],
            "Missing answers",
        ),
        (
            vec![
                answer("Where do you live?", "Paris"),
                answer("Did you move?", "no"),
            ],
            "Invalid answer",
        ),
    ] {
        let refused = call(
            &server,
            "POST",
            &resolve,
            Some(json!({"answers": {"question_answers": answers}})),
        )
        .await;
        assert_eq!(refused.status, 400);
        assert!(
            refused.body["detail"]
                .as_str()
                .is_some_and(|d| d.contains(problem)),
            "{}",
            refused.body
        );
    }
    let answers = json!({"question_answers": [answer("Where do you live?", "Bergen"), answer("Did you move?", "yes")]});
    // The answers unwrapped are not the body the vendor (and its SDK) use.
    let unwrapped = call(&server, "POST", &resolve, Some(answers.clone())).await;
    assert_eq!(unwrapped.status, 422, "{}", unwrapped.body);
    assert_eq!(
        unwrapped.body["detail"][0]["loc"],
        json!(["body", "answers"])
    );
    let good = json!({ "answers": answers });
    let resolved = call(&server, "POST", &resolve, Some(good.clone())).await;
    assert_eq!(resolved.status, 200);
    assert_eq!(resolved.body["conflict"]["status"], "IN_QUEUE");
    assert_eq!(
        call(&server, "POST", &resolve, Some(good)).await.status,
        400,
        "already resolved"
    );
    server.clock().advance(Duration::from_secs(2));
    let get = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/merge-conflicts/{}", Uuid::from_u128(0xC0)),
        None,
    )
    .await;
    assert_eq!(get.body["conflict"]["status"], "RESOLVED");
    assert!(get.body["conflict"]["resolved_at"].is_string());
    let pending = call(
        &server,
        "GET",
        "/api/v1/users/u/merge-conflicts?status=PENDING",
        None,
    )
    .await;
    assert_eq!(pending.body["total"], 1);
    let missing = format!("/api/v1/users/u/merge-conflicts/{}", Uuid::from_u128(1));
    assert_eq!(call(&server, "GET", &missing, None).await.status, 404);
}

#[tokio::test]
async fn context_is_deterministic_with_metadata_and_streams() {
    let server = stub().await;
    let session = processed_user(&server).await;
    let path = format!("/api/v1/users/u/sessions/{session}/context");
    let plain = call(
        &server,
        "GET",
        &format!("{path}?last_n_messages=2&include_system_prompt=false"),
        None,
    )
    .await;
    assert_eq!(plain.body["is_final"], true);
    let text = plain.body["context"]
        .as_str()
        .expect("a context")
        .to_string();
    assert!(
        text.contains("- six") && text.contains("user: five\nuser: six"),
        "{text}"
    );
    assert!(plain.body["metadata"].is_null());
    assert_eq!(
        call(
            &server,
            "GET",
            &format!("{path}?last_n_messages=2&include_system_prompt=false"),
            None
        )
        .await
        .body,
        plain.body
    );
    let with_ids = call(
        &server,
        "GET",
        &format!("{path}?include_metadata_ids=true&recall_strategy=auto"),
        None,
    )
    .await;
    assert_eq!(
        with_ids.body["metadata"]["recall_strategy_used"],
        "balanced"
    );
    assert_eq!(
        with_ids.body["metadata"]["memory_ids"]
            .as_array()
            .map(Vec::len),
        Some(6)
    );

    let streamed = call(&server, "GET", &format!("{path}?stream=true"), None).await;
    assert_eq!(streamed.headers["content-type"], "text/event-stream");
    let events = crate::schema::stream_events(streamed.body.as_str().expect("text"));
    assert!(events.len() >= 2);
    assert!(
        events[..events.len() - 1]
            .iter()
            .all(|e| e["is_final"] == false)
    );
    assert_eq!(
        events.last().map(|e| e["is_final"].clone()),
        Some(json!(true))
    );

    server.push_faults([recallr_stub::Fault::TruncateBody]);
    let cut = crate::common::client()
        .get(format!("{}{path}?stream=true", server.base_url()))
        .header("X-Recallr-Api-Key", recallr_stub::DEFAULT_API_KEY)
        .header("X-Recallr-Project-Id", recallr_stub::DEFAULT_PROJECT_ID)
        .send()
        .await
        .expect("a head");
    assert!(
        cut.text().await.is_err(),
        "the stream ends before its final event"
    );
}

#[tokio::test]
async fn the_system_prompt_depends_on_the_strategy_only() {
    let server = stub().await;
    let balanced = call(&server, "GET", "/api/v1/system-prompt", None).await;
    let again = call(
        &server,
        "GET",
        "/api/v1/system-prompt?recall_strategy=balanced",
        None,
    )
    .await;
    let agentic = call(
        &server,
        "GET",
        "/api/v1/system-prompt?recall_strategy=agentic",
        None,
    )
    .await;
    assert_eq!(balanced.body, again.body);
    assert_ne!(balanced.body, agentic.body);
    assert_eq!(
        call(
            &server,
            "GET",
            "/api/v1/system-prompt?recall_strategy=deep",
            None
        )
        .await
        .status,
        422
    );
}

#[tokio::test]
async fn bodies_are_validated_from_the_spec() {
    let server = stub().await;
    let missing = call(
        &server,
        "POST",
        "/api/v1/users",
        Some(json!({"metadata": "x"})),
    )
    .await;
    assert_eq!(missing.status, 422);
    let types: Vec<&str> = missing.body["detail"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|e| e["type"].as_str())
        .collect();
    assert_eq!(types, ["missing", "dict_type"]);
    let response = crate::common::client()
        .post(format!("{}/api/v1/users", server.base_url()))
        .header("X-Recallr-Api-Key", recallr_stub::DEFAULT_API_KEY)
        .header("X-Recallr-Project-Id", recallr_stub::DEFAULT_PROJECT_ID)
        .header("content-type", "application/json")
        .body("{\"custom_user_id\": ")
        .send()
        .await
        .expect("an answer");
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.expect("JSON");
    assert_eq!(body["detail"][0]["type"], "json_invalid");
    let unauthorized = crate::common::client()
        .delete(format!("{}/api/v1/users/x", server.base_url()))
        .send()
        .await
        .expect("an answer");
    assert_eq!(unauthorized.status().as_u16(), 401, "auth on every route");
    let unknown_fields = call(
        &server,
        "POST",
        "/api/v1/users",
        Some(json!({"custom_user_id": "z", "shoe_size": 44})),
    )
    .await;
    assert_eq!(
        unknown_fields.status, 201,
        "unknown fields are ignored, as FastAPI does"
    );
}

#[tokio::test]
async fn a_data_file_seeds_every_resource() {
    let session = "3c90c3cc-0d44-4b50-8888-8dd25736052a";
    let text = json!({"users": {
        "old-style": [],
        "u": {
            "metadata": {"tier": "gold"},
            "sessions": [{"session_id": session, "created_at": "2024-01-01T00:00:00Z", "metadata": {}, "status": "pending"}],
            "messages": {session: [{"role": "user", "content": "hi", "timestamp": "2024-01-01T00:00:01Z"}]},
            "memories": [{"memory_id": "00000000-0000-4000-8000-0000000000aa", "categories": ["work"], "content": "works at night",
                "event_date_start": "2024-01-01T00:00:00Z", "event_date_end": "2024-01-01T00:00:00Z", "created_at": "2024-01-01T00:00:00Z",
                "version_number": 1, "total_versions": 1, "has_previous_versions": false, "merge_conflict_in_progress": false, "session_id": session}],
            "merge_conflicts": [serde_json::to_value(conflict(Uuid::parse_str(session).expect("uuid"))).expect("JSON")]
        }
    }})
    .to_string();
    let store = Store::from_json(&text).unwrap_or_else(|e| panic!("{e}"));
    let server = start(store).await;
    let user = call(&server, "GET", "/api/v1/users/u", None).await;
    assert_eq!(user.body["user"]["metadata"], json!({"tier": "gold"}));
    let messages = call(
        &server,
        "GET",
        &format!("/api/v1/users/u/sessions/{session}/messages"),
        None,
    )
    .await;
    assert_eq!(messages.body["total"], 1);
    let memories = call(&server, "GET", "/api/v1/users/u/memories", None).await;
    assert_eq!(memories.body["items"][0]["content"], "works at night");
    let conflicts = call(&server, "GET", "/api/v1/users/u/merge-conflicts", None).await;
    assert_eq!(conflicts.body["total"], 1);
    assert_eq!(
        call(&server, "GET", "/api/v1/users/old-style/sessions", None)
            .await
            .status,
        200
    );
}

#[tokio::test]
async fn an_operation_the_stub_does_not_model_is_validated_and_synthesised() {
    let mut spec: Value = serde_json::from_str(recallr_stub::EFFECTIVE_SPEC).expect("the spec");
    spec["paths"]["/api/v1/users/{custom_user_id}/plan"] = json!({"get": {
        "operationId": "get_user_plan",
        "parameters": [
            {"name": "custom_user_id", "in": "path", "required": true, "schema": {"type": "string"}},
            {"name": "months", "in": "query", "required": true, "schema": {"type": "integer", "minimum": 1}}
        ],
        "responses": {"200": {"description": "The plan", "content": {"application/json": {"schema": {
            "type": "object", "required": ["plan", "seats"],
            "properties": {"plan": {"type": "string", "example": "pro"}, "seats": {"type": "integer", "minimum": 1},
                           "user": {"$ref": "#/components/schemas/UserInfo"}}
        }}}}}
    }});
    let server =
        StubServer::start_with_spec(StubConfig::default(), Store::new(), &spec.to_string())
            .await
            .expect("the stub starts");
    let answer = call(&server, "GET", "/api/v1/users/u/plan?months=0", None).await;
    assert_eq!(answer.status, 422);
    assert_eq!(answer.body["detail"][0]["loc"], json!(["query", "months"]));
    let answer = call(&server, "GET", "/api/v1/users/u/plan?months=2", None).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.headers[recallr_stub::SYNTHESISED_HEADER], "true");
    assert_eq!(answer.body["plan"], "pro", "the example first");
    assert_eq!(answer.body["seats"], 1);
    let user: Result<recallr_api::types::UserInfo, _> =
        serde_json::from_value(answer.body["user"].clone());
    assert!(user.is_ok(), "{}", answer.body);
    let unauthorized = crate::common::client()
        .get(format!(
            "{}/api/v1/users/u/plan?months=2",
            server.base_url()
        ))
        .send()
        .await
        .expect("an answer");
    assert_eq!(unauthorized.status().as_u16(), 401);
    let modelled = call(&server, "GET", "/api/v1/users/u/sessions", None).await;
    assert!(
        modelled
            .headers
            .get(recallr_stub::SYNTHESISED_HEADER)
            .is_none()
    );
}

/// The vendor (FastAPI) sends every field of a user, an unset
/// `merge_conflict_enabled` as `null`, and the official SDK reads it
/// unconditionally: it is in every answer that holds a user.
#[tokio::test]
async fn a_user_always_carries_merge_conflict_enabled_null_when_unset() {
    let server = stub().await;
    let created = create_user(&server, "plain").await;
    assert_eq!(created.status, 201);
    let get = call(&server, "GET", "/api/v1/users/plain", None).await;
    let list = call(&server, "GET", "/api/v1/users", None).await;
    let update = call(
        &server,
        "PUT",
        "/api/v1/users/plain",
        Some(json!({"new_metadata": {}})),
    )
    .await;
    for user in [
        &created.body["user"],
        &get.body["user"],
        &list.body["users"][0],
        &update.body["user"],
    ] {
        assert_eq!(
            user.as_object()
                .and_then(|u| u.get("merge_conflict_enabled")),
            Some(&Value::Null),
            "{user}"
        );
    }
    let set = call(
        &server,
        "PUT",
        "/api/v1/users/plain",
        Some(json!({"merge_conflict_enabled": false})),
    )
    .await;
    assert_eq!(set.body["user"]["merge_conflict_enabled"], false);
}
