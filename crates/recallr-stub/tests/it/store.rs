//! The library's data side: loading seed data (and its errors), generated
//! data, and a million sessions for one user.

use std::path::Path;

use crate::common::{get, sessions_path, start};
use recallr_stub::{SessionStatus, Store, StubError};
use serde_json::json;

fn invalid(text: &str) -> String {
    match Store::from_json(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(error) => error.to_string(),
    }
}

#[test]
fn bad_seed_data_gets_a_clear_error() {
    for (text, expected) in [
        ("", "expected a JSON object"),
        ("[]", "expected a JSON object"),
        ("{", "EOF while parsing"),
        (r#"{"user": {}}"#, "unknown field `user`"),
        (r#"{}"#, "missing field `users`"),
        (
            r#"{"users": {"u": 3}}"#,
            "at users.u: invalid type: integer `3`, expected a list of sessions or a user object",
        ),
        (
            r#"{"users": {"u": {"sessions": [], "bogus": 1}}}"#,
            "unknown field `bogus`",
        ),
        (
            r#"{"users": {"u": {"messages": {"3c90c3cc-0d44-4b50-8888-8dd25736052a": []}}}}"#,
            "does not have",
        ),
        (
            r#"{"users": {"u": {"merge_conflicts": [{"id": "x"}]}}}"#,
            "users.u.merge_conflicts[0]",
        ),
        (
            r#"{"users": {"u": [{"session_id": "nope", "created_at": "2023-11-07T05:31:56Z", "metadata": {}}]}}"#,
            "users.u[0]",
        ),
        (
            r#"{"users": {"u": [{"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "created_at": "yesterday", "metadata": {}}]}}"#,
            "users.u[0]",
        ),
        (
            r#"{"users": {"u": [{"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "created_at": "2023-11-07T05:31:56Z"}]}}"#,
            "missing field `metadata`",
        ),
        (r#"{"users": {}} trailing"#, "trailing characters"),
    ] {
        let message = invalid(text);
        assert!(message.starts_with("invalid data"), "{message}");
        assert!(message.contains(expected), "{text}: {message}");
        assert_eq!(message.lines().count(), 1, "{message}");
    }
    let duplicate = r#"{"users": {"u": [
        {"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "created_at": "2023-11-07T05:31:56Z", "metadata": {}},
        {"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "created_at": "2023-11-08T05:31:56Z", "metadata": {}}]}}"#;
    assert!(invalid(duplicate).contains("twice"));
}

#[test]
fn a_data_file_is_read_and_its_errors_name_it() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let path = dir.path().join("data.json");
    std::fs::write(
        &path,
        json!({"users": {"a/b": [
            {"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a", "status": "processed",
             "created_at": "2023-11-07T05:31:56.250Z", "metadata": {"lang": {"code": "en"}}},
            {"session_id": "0000000a-0d44-4b50-8888-8dd25736052a", "status": "archived",
             "created_at": "2024-01-01T00:00:00+02:00", "metadata": {}}
        ], "empty": []}})
        .to_string(),
    )
    .expect("written");
    let store = Store::from_file(&path).expect("valid");
    assert_eq!(store.users(), vec!["a/b".to_string(), "empty".to_string()]);
    let sessions = store.sessions("a/b").expect("the user");
    assert_eq!(sessions[0].status, Some(SessionStatus::from("archived")));
    assert_eq!(sessions[1].metadata["lang"]["code"], "en");

    std::fs::write(&path, "{").expect("written");
    let error = Store::from_file(&path).expect_err("invalid");
    assert!(matches!(error, StubError::Invalid { .. }));
    assert!(error.to_string().contains("data.json"), "{error}");

    let missing = Store::from_file(Path::new("/nonexistent/data.json")).expect_err("missing");
    assert!(matches!(
        error_kind(&missing),
        Some(std::io::ErrorKind::NotFound)
    ));
    assert!(
        missing
            .to_string()
            .starts_with("cannot read data file '/nonexistent/data.json'")
    );
}

fn error_kind(error: &StubError) -> Option<std::io::ErrorKind> {
    match error {
        StubError::Read { source, .. } => Some(source.kind()),
        _ => None,
    }
}

#[test]
fn generated_data_is_deterministic_and_varied() {
    let store = Store::generate(3, 300, 11);
    assert_eq!(store.users(), vec!["user-0", "user-1", "user-2"]);
    let again = Store::generate(5, 300, 11);
    let ids = |store: &Store, user| -> Vec<_> {
        store
            .sessions(user)
            .unwrap_or_default()
            .into_iter()
            .map(|s| (s.session_id, s.created_at, s.status, s.metadata))
            .collect()
    };
    assert_eq!(
        ids(&store, "user-2"),
        ids(&again, "user-2"),
        "independent of the user count"
    );
    assert_ne!(ids(&store, "user-0"), ids(&store, "user-1"));
    assert_ne!(
        ids(&store, "user-0"),
        ids(&Store::generate(1, 300, 12), "user-0")
    );
    let sessions = store.sessions("user-0").unwrap_or_default();
    for status in SessionStatus::KNOWN {
        assert!(
            sessions.iter().any(|s| s.status.as_ref() == Some(&status)),
            "{status}"
        );
    }
    assert!(
        sessions
            .windows(2)
            .any(|w| w[0].created_at == w[1].created_at),
        "ties"
    );
    assert!(
        sessions
            .windows(2)
            .all(|w| (w[0].created_at, w[0].session_id) > (w[1].created_at, w[1].session_id))
    );
    assert!(
        sessions
            .iter()
            .any(|s| s.metadata.get("lang").and_then(|l| l.get("code")).is_some())
    );
    assert_eq!(Store::generate(0, 10, 1).users().len(), 0);
    assert_eq!(Store::generate(2, 0, 1).len("user-1"), 0);
    assert!(Store::generate(2, 0, 1).contains_user("user-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_million_sessions_for_one_user_are_served() {
    let store = Store::generate(1, 1_000_000, 3);
    assert_eq!(store.len("user-0"), 1_000_000);
    let server = start(store).await;
    let answer = get(&server, &sessions_path("user-0", "limit=100&offset=999950")).await;
    assert_eq!(answer.status, 200);
    assert_eq!(answer.body["total"], 1_000_000);
    assert_eq!(answer.body["sessions"].as_array().map(Vec::len), Some(50));
    assert_eq!(answer.body["has_more"], false);
    let answer = get(
        &server,
        &sessions_path("user-0", "limit=5&status_filter=failed"),
    )
    .await;
    let total = answer.body["total"].as_u64().unwrap_or_default();
    assert!((50_000..150_000).contains(&total), "{total}");
    // A change lands in place.
    let answer = get(&server, &sessions_path("user-0", "limit=1")).await;
    let newest: uuid::Uuid =
        serde_json::from_value(answer.body["sessions"][0]["session_id"].clone())
            .expect("a session id");
    assert!(server.store().delete("user-0", newest));
    assert_eq!(server.store().len("user-0"), 999_999);
}
