//! Every command against a loopback server that records requests: the
//! request each builds, output formats, exit codes, `--yes`, `--all`.

use std::process::Output;

use serde_json::{Value, json};

use crate::test_server::TestServer;

const SESSION: &str = "3f2a6c1e-0b7d-4c53-9a41-1d2e3f4a5b6c";
const CONFLICT: &str = "9b1f7a2e-4c3d-4e5f-8a6b-7c8d9e0f1a2b";
const MEMORY: &str = "5d4c3b2a-1f0e-4d9c-8b7a-6f5e4d3c2b1a";
const TS: &str = "2026-01-02T03:04:05Z";

fn user() -> Value {
    json!({"custom_user_id": "u1", "metadata": {"plan": "pro"}, "created_at": TS, "last_active_at": TS})
}

fn session() -> Value {
    json!({"session_id": SESSION, "created_at": TS, "metadata": {}, "status": "pending"})
}

fn memory() -> Value {
    json!({"memory_id": MEMORY, "categories": ["food"], "content": "likes tea",
           "event_date_start": TS, "event_date_end": TS, "created_at": TS,
           "version_number": 1, "total_versions": 1, "has_previous_versions": false,
           "merge_conflict_in_progress": false, "session_id": SESSION})
}

fn conflict() -> Value {
    json!({"id": CONFLICT, "project_user_session_id": SESSION, "conflicting_memories": [],
           "clarifying_questions": [{"question": "tea or coffee?", "options": ["tea", "coffee"]}],
           "status": "PENDING", "created_at": TS})
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn code(output: &Output) -> i32 {
    output.status.code().unwrap_or(-1)
}

fn assert_ok(output: &Output) {
    assert_eq!(code(output), 0, "stderr: {}", stderr(output));
}

/// One `error:` line on stderr, the exit code, nothing on stdout.
fn assert_fails(output: &Output, exit: i32, expected: &str) {
    let text = stderr(output);
    assert_eq!(code(output), exit, "stderr: {text}");
    let errors: Vec<&str> = text.lines().filter(|l| l.starts_with("error: ")).collect();
    assert_eq!(errors.len(), 1, "one error line expected: {text}");
    assert!(errors[0].contains(expected), "{expected:?} not in {text}");
    assert!(stdout(output).is_empty(), "nothing on stdout on failure");
}

struct Case {
    args: &'static [&'static str],
    answer: (u16, Value),
    method: &'static str,
    path: String,
    query: &'static [&'static str],
    body: Option<Value>,
}

fn cases() -> Vec<Case> {
    let u = "/api/v1/users/u1";
    let s = format!("{u}/sessions/{SESSION}");
    vec![
        Case {
            args: &[
                "users",
                "list",
                "--metadata",
                r#"{"plan":"pro"}"#,
                "--partial-user-id",
                "u",
                "--limit",
                "5",
            ],
            answer: (
                200,
                json!({"users": [user()], "total": 1, "has_more": false}),
            ),
            method: "GET",
            path: "/api/v1/users".into(),
            query: &["limit=5", "partial_user_id=u", "metadata_filter="],
            body: None,
        },
        Case {
            args: &[
                "users",
                "create",
                "--user",
                "u1",
                "--metadata",
                r#"{"plan":"pro"}"#,
            ],
            answer: (201, json!({"user": user()})),
            method: "POST",
            path: "/api/v1/users".into(),
            query: &[],
            body: Some(json!({"custom_user_id": "u1", "metadata": {"plan": "pro"}})),
        },
        Case {
            args: &["users", "get", "--user", "u1"],
            answer: (200, json!({"user": user()})),
            method: "GET",
            path: u.into(),
            query: &[],
            body: None,
        },
        Case {
            args: &[
                "users",
                "update",
                "--user",
                "u1",
                "--new-user",
                "u2",
                "--metadata",
                "{}",
            ],
            answer: (200, json!({"user": user()})),
            method: "PUT",
            path: u.into(),
            query: &[],
            body: Some(json!({"new_custom_user_id": "u2", "new_metadata": {}})),
        },
        Case {
            args: &["users", "delete", "--user", "u1", "--yes"],
            answer: (204, Value::Null),
            method: "DELETE",
            path: u.into(),
            query: &[],
            body: None,
        },
        Case {
            args: &["users", "messages", "--user", "u1", "--limit", "3"],
            answer: (
                200,
                json!({"messages": [{"role": "user", "content": "hi", "timestamp": TS, "session_id": SESSION}]}),
            ),
            method: "GET",
            path: format!("{u}/messages"),
            query: &["limit=3"],
            body: None,
        },
        Case {
            args: &[
                "sessions", "list", "--user", "u1", "--status", "pending", "--limit", "2",
            ],
            answer: (
                200,
                json!({"sessions": [session()], "total": 1, "has_more": false}),
            ),
            method: "GET",
            path: format!("{u}/sessions"),
            query: &["status_filter=pending", "limit=2"],
            body: None,
        },
        Case {
            args: &[
                "sessions",
                "create",
                "--user",
                "u1",
                "--auto-process-after",
                "900",
                "--created-at",
                TS,
                "--metadata",
                r#"{"a":1}"#,
            ],
            answer: (201, json!({"session": session()})),
            method: "POST",
            path: format!("{u}/sessions"),
            query: &[],
            body: Some(
                json!({"auto_process_after_seconds": 900, "custom_created_at_utc": TS, "metadata": {"a": 1}}),
            ),
        },
        Case {
            args: &[
                "sessions",
                "get",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--include-summary",
            ],
            answer: (200, json!({"session": session()})),
            method: "GET",
            path: s.clone(),
            query: &["include_summary=true"],
            body: None,
        },
        Case {
            args: &[
                "sessions",
                "update",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--metadata",
                r#"{"b":2}"#,
            ],
            answer: (200, json!({"session": session()})),
            method: "PUT",
            path: s.clone(),
            query: &[],
            body: Some(json!({"new_metadata": {"b": 2}})),
        },
        Case {
            args: &[
                "sessions",
                "delete",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--yes",
            ],
            answer: (204, Value::Null),
            method: "DELETE",
            path: s.clone(),
            query: &[],
            body: None,
        },
        Case {
            args: &[
                "sessions",
                "add-message",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--role",
                "user",
                "--message",
                "I like tea",
            ],
            answer: (200, json!({"detail": "Message added"})),
            method: "POST",
            path: format!("{s}/add-message"),
            query: &[],
            body: Some(json!({"role": "user", "message": "I like tea"})),
        },
        Case {
            args: &[
                "sessions",
                "messages",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--offset",
                "4",
            ],
            answer: (
                200,
                json!({"messages": [{"role": "user", "content": "hi", "timestamp": TS}], "total": 5, "has_more": false}),
            ),
            method: "GET",
            path: format!("{s}/messages"),
            query: &["offset=4"],
            body: None,
        },
        Case {
            args: &[
                "sessions",
                "context",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--recall-strategy",
                "agentic",
                "--min-top-k",
                "20",
                "--memories-threshold",
                "0.7",
            ],
            answer: (
                200,
                json!({"is_final": true, "context": "The user likes tea."}),
            ),
            method: "GET",
            path: format!("{s}/context"),
            query: &[
                "recall_strategy=agentic",
                "min_top_k=20",
                "memories_threshold=0.7",
            ],
            body: None,
        },
        Case {
            args: &["sessions", "process", "--user", "u1", "--session", SESSION],
            answer: (200, json!({"detail": "Processing started"})),
            method: "POST",
            path: format!("{s}/process"),
            query: &[],
            body: None,
        },
        Case {
            args: &[
                "memories",
                "list",
                "--user",
                "u1",
                "--categories",
                "food",
                "--categories",
                "drink",
                "--include-previous-versions=false",
            ],
            answer: (
                200,
                json!({"items": [memory()], "total": 1, "has_more": false}),
            ),
            method: "GET",
            path: format!("{u}/memories"),
            query: &[
                "categories=food",
                "categories=drink",
                "include_previous_versions=false",
            ],
            body: None,
        },
        Case {
            args: &["memories", "get", "--user", "u1", "--memory", MEMORY],
            answer: (200, memory()),
            method: "GET",
            path: format!("{u}/memory/{MEMORY}"),
            query: &[],
            body: None,
        },
        Case {
            args: &[
                "memories",
                "delete",
                "--user",
                "u1",
                "--memory",
                MEMORY,
                "--delete-previous-versions",
                "--yes",
            ],
            answer: (204, Value::Null),
            method: "DELETE",
            path: format!("{u}/memory/{MEMORY}"),
            query: &["delete_previous_versions=true"],
            body: None,
        },
        Case {
            args: &[
                "merge-conflicts",
                "list",
                "--user",
                "u1",
                "--status",
                "PENDING",
                "--sort-order",
                "asc",
            ],
            answer: (
                200,
                json!({"conflicts": [conflict()], "total": 1, "has_more": false}),
            ),
            method: "GET",
            path: format!("{u}/merge-conflicts"),
            query: &["status=PENDING", "sort_order=asc"],
            body: None,
        },
        Case {
            args: &[
                "merge-conflicts",
                "get",
                "--user",
                "u1",
                "--conflict",
                CONFLICT,
            ],
            answer: (200, json!({"conflict": conflict()})),
            method: "GET",
            path: format!("{u}/merge-conflicts/{CONFLICT}"),
            query: &[],
            body: None,
        },
        Case {
            args: &[
                "merge-conflicts",
                "resolve",
                "--user",
                "u1",
                "--conflict",
                CONFLICT,
                "--answers",
                r#"{"question_answers":[{"question":"tea or coffee?","answer":"tea"}]}"#,
            ],
            answer: (200, json!({"conflict": conflict()})),
            method: "POST",
            path: format!("{u}/merge-conflicts/{CONFLICT}/resolve"),
            query: &[],
            body: Some(
                json!({"answers": {"question_answers": [{"question": "tea or coffee?", "answer": "tea"}]}}),
            ),
        },
        Case {
            args: &["system-prompt", "--recall-strategy", "low_latency"],
            answer: (200, json!({"system_prompt": "You are..."})),
            method: "GET",
            path: "/api/v1/system-prompt".into(),
            query: &["recall_strategy=low_latency"],
            body: None,
        },
    ]
}

#[test]
fn every_command_sends_its_request() {
    let server = TestServer::start();
    let cases = cases();
    for case in &cases {
        server.reply(case.answer.0, &case.answer.1.to_string());
        let output = server.recallr(case.args);
        assert_ok(&output);
        let request = server.requests().pop().expect("a request");
        assert_eq!(request.method, case.method, "{:?}", case.args);
        assert_eq!(request.path, case.path, "{:?}", case.args);
        for part in case.query {
            assert!(
                request.query.contains(part),
                "{part} not in {} for {:?}",
                request.query,
                case.args
            );
        }
        if case.query.is_empty() {
            assert_eq!(request.query, "", "{:?}", case.args);
        }
        assert_eq!(request.body, case.body, "{:?}", case.args);
        // The answer, as the API sent it: one line of JSON per item or answer.
        let printed = stdout(&output);
        if case.answer.0 == 204 {
            assert!(printed.is_empty(), "a 204 prints nothing: {printed}");
        } else {
            for line in printed.lines() {
                serde_json::from_str::<Value>(line).unwrap_or_else(|e| panic!("{line}: {e}"));
            }
        }
    }
    assert_eq!(server.requests().len(), cases.len());
}

/// The command tree of the issue, exactly: scripts depend on it.
#[test]
fn the_tree_is_the_documented_one() {
    let server = TestServer::start();
    let expected: &[(&str, &[&str])] = &[
        (
            "users",
            &["list", "create", "get", "update", "delete", "messages"],
        ),
        (
            "sessions",
            &[
                "list",
                "create",
                "get",
                "update",
                "delete",
                "add-message",
                "messages",
                "context",
                "process",
            ],
        ),
        ("memories", &["list", "get", "delete"]),
        ("merge-conflicts", &["list", "get", "resolve"]),
    ];
    let subcommands = |args: &[&str]| -> Vec<String> {
        let help = stdout(&server.recallr(args));
        help.lines()
            .skip_while(|line| !line.starts_with("Commands:"))
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .filter_map(|line| line.split_whitespace().next().map(str::to_string))
            .filter(|name| name != "help")
            .collect()
    };
    let mut top: Vec<String> = subcommands(&["--help"]);
    top.sort();
    let mut wanted = vec![
        "completions",
        "man",
        "memories",
        "merge-conflicts",
        "sessions",
        "system-prompt",
        "users",
    ];
    wanted.sort();
    assert_eq!(top, wanted);
    for (resource, verbs) in expected {
        let mut got = subcommands(&[resource, "--help"]);
        got.sort();
        let mut verbs: Vec<String> = verbs.iter().map(|v| v.to_string()).collect();
        verbs.sort();
        assert_eq!(got, verbs, "{resource}");
    }
}

#[test]
fn pinned_flags_exist() {
    let server = TestServer::start();
    for (args, flags) in [
        (
            &["users", "create"][..],
            &["--user", "--metadata", "--body"][..],
        ),
        (
            &["users", "update"],
            &["--user", "--new-user", "--metadata"],
        ),
        (
            &["sessions", "create"],
            &[
                "--user",
                "--metadata",
                "--auto-process-after",
                "--created-at",
            ],
        ),
        (
            &["sessions", "update"],
            &["--user", "--session", "--metadata"],
        ),
        (
            &["sessions", "add-message"],
            &["--user", "--session", "--role", "--message"],
        ),
        (&["sessions", "context"], &["--recall-strategy", "--stream"]),
        (
            &["merge-conflicts", "resolve"],
            &["--user", "--conflict", "--answers"],
        ),
        (&["memories", "get"], &["--user", "--memory"]),
        (&["memories", "list"], &["--all", "--max", "--concurrency"]),
        (
            &["sessions", "messages"],
            &["--all", "--max", "--concurrency", "--offset", "--limit"],
        ),
    ] {
        let mut with_help = args.to_vec();
        with_help.push("--help");
        let help = stdout(&server.recallr(&with_help));
        for flag in flags {
            let listed = [" ", "[", "\n"]
                .iter()
                .any(|after| help.contains(&format!("{flag}{after}")));
            assert!(listed, "{flag} not in {args:?}: {help}");
        }
    }
    let role = stdout(&server.recallr(&["sessions", "add-message", "--help"]));
    assert!(role.contains("user, assistant"), "{role}");
    // Bounds come from the spec's facts.
    let messages = stdout(&server.recallr(&["sessions", "messages", "--help"]));
    assert!(messages.contains("1 to 500"), "{messages}");
}

#[test]
fn deletes_need_yes_and_say_what_they_would_delete() {
    let server = TestServer::start();
    let output = server.recallr(&["sessions", "delete", "--user", "u1", "--session", SESSION]);
    assert_fails(
        &output,
        2,
        &format!("this would delete session {SESSION} of user u1"),
    );
    assert_fails(
        &server.recallr(&["users", "delete", "--user", "u1"]),
        2,
        "--yes",
    );
    assert_fails(
        &server.recallr(&["memories", "delete", "--user", "u1", "--memory", MEMORY]),
        2,
        &format!("memory {MEMORY} of user u1"),
    );
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn each_error_has_its_exit_code_and_says_why() {
    let server = TestServer::start();
    let process = ["sessions", "process", "--user", "u1", "--session", SESSION];
    server.reply(400, r#"{"detail": "session is not pending"}"#);
    assert_fails(&server.recallr(&process), 5, "session is not pending");
    server.reply(409, r#"{"detail": "user u1 already exists"}"#);
    assert_fails(
        &server.recallr(&["users", "create", "--user", "u1"]),
        5,
        "user u1 already exists",
    );
    server.reply(
        422,
        r#"{"detail": [{"loc": ["body", "role"], "msg": "bad role", "type": "value_error"}]}"#,
    );
    assert_fails(&server.recallr(&process), 5, "body.role: bad role");
    server.reply(404, r#"{"detail": "Session not found"}"#);
    assert_fails(
        &server.recallr(&process),
        4,
        &format!("session {SESSION} of user u1 not found"),
    );
    server.reply(404, r#"{"detail": "User not found"}"#);
    assert_fails(&server.recallr(&process), 4, "user u1 not found");
    server.reply(404, r#"{"detail": "Merge conflict not found"}"#);
    assert_fails(
        &server.recallr(&[
            "merge-conflicts",
            "get",
            "--user",
            "u1",
            "--conflict",
            CONFLICT,
        ]),
        4,
        &format!("merge conflict {CONFLICT} of user u1 not found"),
    );
    // A 429 is retried even for a POST (the server did not act on it):
    // the first attempt and two retries.
    let before = server.requests().len();
    for _ in 0..3 {
        server.reply(429, r#"{"detail": "slow down"}"#);
    }
    assert_fails(&server.recallr(&process), 6, "rate limited");
    assert_eq!(server.requests().len(), before + 3);
    // A GET is retried (here: not at all, --retries 0); a 5xx exits 7.
    server.reply(503, r#"{"detail": "down"}"#);
    assert_fails(
        &server.recallr(&["users", "get", "--user", "u1", "--retries", "0"]),
        7,
        "503",
    );
    // A POST that reached the server is sent once, whatever --retries
    // says: a second add-message would store it twice.
    let before = server.requests().len();
    server.reply(503, r#"{"detail": "down"}"#);
    server.reply(200, r#"{"detail": "Message added"}"#);
    assert_fails(
        &server.recallr(&[
            "sessions",
            "add-message",
            "--user",
            "u1",
            "--session",
            SESSION,
            "--role",
            "user",
            "--message",
            "x",
            "--retries",
            "3",
        ]),
        7,
        "503",
    );
    assert_eq!(
        server.requests().len(),
        before + 1,
        "the POST was not repeated"
    );
    // The canned 200 left over answers the next request: a GET retried after a 503.
    server.reply(503, r#"{"detail": "down"}"#);
    let retried = server.recallr(&["sessions", "messages", "--user", "u1", "--session", SESSION]);
    // The queued 200 is a DetailResponse, not a MessageList: the retry
    // reached the server and its answer was decoded (and refused).
    assert_eq!(code(&retried), 1, "{}", stderr(&retried));
    assert!(stderr(&retried).contains("decode"), "{}", stderr(&retried));
    let wrong_key = std::process::Command::new(env!("CARGO_BIN_EXE_recallr"))
        .args(["users", "get", "--user", "u1"])
        .env("RECALLR_API_KEY", "rai_wrong")
        .env("RECALLR_PROJECT_ID", crate::test_server::PROJECT_ID)
        .env("RECALLR_BASE_URL", server_base(&server))
        .output()
        .expect("the binary runs");
    assert_fails(&wrong_key, 3, "unauthorized");
}

fn server_base(server: &TestServer) -> String {
    server.base_url().to_string()
}

#[test]
fn input_errors_exit_2_before_sending() {
    let server = TestServer::start();
    for (args, expected) in [
        (
            &["sessions", "get", "--user", "u1", "--session", "not-a-uuid"][..],
            "--session must be a UUID",
        ),
        (
            &[
                "sessions",
                "add-message",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--role",
                "user",
            ],
            "--message",
        ),
        (
            &[
                "sessions",
                "messages",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--limit",
                "501",
            ],
            "--limit",
        ),
        (
            &[
                "sessions",
                "context",
                "--user",
                "u1",
                "--session",
                SESSION,
                "--memories-threshold",
                "0.9",
            ],
            "--memories-threshold",
        ),
        (
            &["users", "create", "--user", "u1", "--metadata", "{oops"],
            "--metadata is not valid JSON",
        ),
        (
            &["users", "create", "--body", "[1]"],
            "--body must be a JSON object",
        ),
        (
            &["users", "create", "--body", "@/nonexistent/body.json"],
            "cannot read the JSON given to --body",
        ),
        (
            &["users", "create", "--body", "@/dev/zero"],
            "not a regular file",
        ),
        (
            &[
                "sessions",
                "create",
                "--user",
                "u1",
                "--created-at",
                "yesterday",
            ],
            "the request body is not what the API takes",
        ),
        (
            &[
                "sessions",
                "create",
                "--user",
                "u1",
                "--auto-process-after",
                "10",
            ],
            "--auto-process-after",
        ),
        (&["users", "get", "--user", ".."], "URLs resolve it"),
        (&["memories", "list", "--user", "u1", "--max", "3"], "--all"),
    ] {
        assert_fails(&server.recallr(args), 2, expected);
    }
    assert!(server.requests().is_empty(), "nothing was sent");
}

#[test]
fn body_comes_from_json_a_file_or_stdin_and_flags_override_it() {
    let server = TestServer::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let file = dir.path().join("body.json");
    std::fs::write(
        &file,
        r#"{"custom_user_id": "from-file", "metadata": {"k": 1}}"#,
    )
    .expect("writable");
    let at_file = format!("@{}", file.display());
    let answer = json!({"user": user()}).to_string();
    for (args, stdin, expected) in [
        (
            vec![
                "users",
                "create",
                "--body",
                r#"{"custom_user_id": "inline"}"#,
            ],
            None,
            json!({"custom_user_id": "inline"}),
        ),
        (
            vec!["users", "create", "--body", at_file.as_str()],
            None,
            json!({"custom_user_id": "from-file", "metadata": {"k": 1}}),
        ),
        (
            vec![
                "users",
                "create",
                "--body",
                at_file.as_str(),
                "--user",
                "flag",
            ],
            None,
            json!({"custom_user_id": "flag", "metadata": {"k": 1}}),
        ),
        (
            vec!["users", "create", "--body", "-"],
            Some(r#"{"custom_user_id": "stdin"}"#),
            json!({"custom_user_id": "stdin"}),
        ),
    ] {
        server.reply(201, &answer);
        let output = server.recallr_with_stdin(&args, stdin);
        assert_ok(&output);
        assert_eq!(
            server.requests().pop().and_then(|r| r.body),
            Some(expected),
            "{args:?}"
        );
    }
}

#[test]
fn an_unknown_enum_value_is_sent_with_a_warning() {
    let server = TestServer::start();
    server.reply(200, r#"{"detail": "Message added"}"#);
    let output = server.recallr(&[
        "sessions",
        "add-message",
        "--user",
        "u1",
        "--session",
        SESSION,
        "--role",
        "system",
        "--message",
        "x",
    ]);
    assert_ok(&output);
    assert!(
        stderr(&output)
            .starts_with("warning: `system` is not a role this build knows (user, assistant)"),
        "{}",
        stderr(&output)
    );
    assert_eq!(
        server.requests()[0].body,
        Some(json!({"role": "system", "message": "x"}))
    );
}

#[test]
fn formats_print_the_api_json_items_or_a_table() {
    let server = TestServer::start();
    let list = json!({"users": [user(), {"custom_user_id": "u2\u{1b}[31m", "metadata": {}, "created_at": TS, "last_active_at": TS}], "total": 2, "has_more": false});
    server.reply(200, &list.to_string());
    let json_out = server.recallr(&["users", "list", "--format", "json"]);
    assert_ok(&json_out);
    let printed: Value = serde_json::from_str(&stdout(&json_out)).expect("one JSON document");
    assert_eq!(printed, list);

    server.reply(200, &list.to_string());
    let ndjson = server.recallr(&["users", "list", "--format", "ndjson"]);
    assert_eq!(stdout(&ndjson).lines().count(), 2);

    server.reply(200, &list.to_string());
    let table = stdout(&server.recallr(&["users", "list", "--format", "table"]));
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(lines.len(), 3, "{table}");
    assert!(lines[0].starts_with("CUSTOM_USER_ID"), "{table}");
    assert!(lines[0].contains("CREATED_AT"), "{table}");
    assert!(
        !table.contains('\u{1b}') && table.contains("\\u{1b}[31m"),
        "{table}"
    );

    // A single answer: its wrapped object, as one line or as fields.
    server.reply(200, &json!({"user": user()}).to_string());
    let single = stdout(&server.recallr(&["users", "get", "--user", "u1", "--format", "ndjson"]));
    assert_eq!(
        serde_json::from_str::<Value>(single.trim()).ok(),
        Some(user())
    );
    server.reply(
        200,
        &json!({"is_final": true, "context": "line one\nline two"}).to_string(),
    );
    let fields = stdout(&server.recallr(&[
        "sessions",
        "context",
        "--user",
        "u1",
        "--session",
        SESSION,
        "--format",
        "table",
    ]));
    assert!(
        fields.contains("CONTEXT") && fields.contains("line one\nline two"),
        "{fields}"
    );
}

#[test]
fn all_walks_pages_by_offset_without_duplicates() {
    let server = TestServer::start();
    let named = |id: &str| json!({"custom_user_id": id, "metadata": {}, "created_at": TS, "last_active_at": TS});
    server.reply(
        200,
        &json!({"users": [named("a"), named("b")], "total": 4, "has_more": true}).to_string(),
    );
    // The list shifted: `b` comes again and is dropped; the total shrank.
    server.reply(
        200,
        &json!({"users": [named("b"), named("c")], "total": 3, "has_more": true}).to_string(),
    );
    server.reply(
        200,
        &json!({"users": [named("d")], "total": 3, "has_more": false}).to_string(),
    );
    let output = server.recallr(&["users", "list", "--all", "--limit", "2", "--format", "json"]);
    assert_ok(&output);
    let printed: Value = serde_json::from_str(&stdout(&output)).expect("one JSON document");
    let ids: Vec<&str> = printed["users"]
        .as_array()
        .expect("users")
        .iter()
        .filter_map(|u| u["custom_user_id"].as_str())
        .collect();
    assert_eq!(ids, ["a", "b", "c", "d"]);
    assert_eq!(printed["total"], 3);
    assert!(
        stderr(&output).contains("items may have been missed"),
        "{}",
        stderr(&output)
    );
    let offsets: Vec<String> = server.requests().iter().map(|r| r.query.clone()).collect();
    assert!(
        offsets[0].contains("offset=0")
            && offsets[1].contains("offset=2")
            && offsets[2].contains("offset=4"),
        "{offsets:?}"
    );
    assert!(offsets.iter().all(|q| q.contains("limit=2")), "{offsets:?}");

    // --max stops the walk.
    server.reply(
        200,
        &json!({"users": [named("a"), named("b")], "total": 4, "has_more": true}).to_string(),
    );
    let capped = server.recallr(&["users", "list", "--all", "--max", "1", "--format", "ndjson"]);
    assert_eq!(stdout(&capped).lines().count(), 1);
    // Without --limit, pages are as large as the spec allows.
    assert!(
        server
            .requests()
            .last()
            .is_some_and(|r| r.query.contains("limit=100"))
    );
}

#[test]
fn completions_and_the_man_page_cover_every_command() {
    let server = TestServer::start();
    let man = stdout(&server.recallr(&["man"]));
    let bash = stdout(&server.recallr(&["completions", "bash"]));
    for command in [
        "users list",
        "users create",
        "users get",
        "users update",
        "users delete",
        "users messages",
        "sessions list",
        "sessions create",
        "sessions get",
        "sessions update",
        "sessions delete",
        "sessions add-message",
        "sessions messages",
        "sessions context",
        "sessions process",
        "memories list",
        "memories get",
        "memories delete",
        "merge-conflicts list",
        "merge-conflicts get",
        "merge-conflicts resolve",
        "system-prompt",
    ] {
        assert!(
            man.contains(&format!("RECALLR {}", command.to_uppercase())),
            "{command} not in the man page"
        );
        let words: Vec<&str> = command.split(' ').collect();
        let completion_case =
            format!("recallr__subcmd__{}", words.join("__subcmd__")).replace('-', "__subcmd__");
        assert!(
            bash.contains(&completion_case),
            "{completion_case} not in the bash completions"
        );
    }
    assert!(
        man.contains("Exit codes"),
        "the exit codes are in the man page"
    );
}
