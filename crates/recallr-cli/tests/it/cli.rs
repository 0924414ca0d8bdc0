//! The `recallr` binary against `recallr-stub` on loopback.

use std::collections::HashSet;
use std::process::{Command, Output};

use recallr_ext::{SessionInfo, SessionStatus};
use recallr_stub::{
    DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Fault, RetryAfter, Store, StubConfig, StubServer,
};
use uuid::Uuid;

const USER: &str = "user/with?odd#chars";
const COUNT: u128 = 250;

/// A running stub and the runtime that serves it while the binary runs.
struct Stub {
    server: StubServer,
    _runtime: tokio::runtime::Runtime,
}

impl Stub {
    fn start() -> Self {
        let runtime = tokio::runtime::Runtime::new().expect("a runtime");
        let store = Store::new();
        for n in 0..COUNT {
            let status = SessionStatus::KNOWN[(n % 5) as usize].clone();
            let topic = if n % 2 == 0 { "billing" } else { "support" };
            let created = recallr_stub::timestamp(n as i64);
            store.insert(
                USER,
                recallr_stub::session_with_id(
                    Uuid::from_u128(n + 1),
                    created,
                    status,
                    serde_json::json!({"topic": topic, "lang": {"code": "en"}, "n": n as u64}),
                ),
            );
        }
        let server = runtime
            .block_on(StubServer::start(StubConfig::default(), store))
            .expect("the stub starts");
        Self {
            server,
            _runtime: runtime,
        }
    }

    fn recallr(&self, args: &[&str]) -> Output {
        self.recallr_with_env(args, &[("RECALLR_API_KEY", DEFAULT_API_KEY)])
    }

    fn recallr_with_env(&self, args: &[&str], env: &[(&str, &str)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_recallr"));
        command
            .args(args)
            .env_remove("RECALLR_API_KEY")
            .env("RECALLR_PROJECT_ID", DEFAULT_PROJECT_ID)
            .env("RECALLR_BASE_URL", self.server.base_url());
        for (name, value) in env {
            command.env(name, value);
        }
        let output = command.output().expect("the binary runs");
        for stream in [&output.stdout, &output.stderr] {
            let text = String::from_utf8_lossy(stream);
            assert!(
                !text.contains(DEFAULT_API_KEY),
                "the API key leaked: {text}"
            );
        }
        output
    }
}

fn list(extra: &[&str]) -> Vec<String> {
    let mut args = vec!["sessions", "list", "--user", USER];
    args.extend_from_slice(extra);
    args.into_iter().map(str::to_string).collect()
}

fn run(stub: &Stub, extra: &[&str]) -> Output {
    let args = list(extra);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    stub.recallr(&args)
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

fn ndjson(output: &Output) -> Vec<SessionInfo> {
    stdout(output)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|err| panic!("{line}: {err}")))
        .collect()
}

/// One `error:` line on stderr and the given exit code.
fn assert_fails(output: &Output, exit: i32, expected: &str) {
    let text = stderr(output);
    assert_eq!(code(output), exit, "stderr: {text}");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "one line expected: {text}");
    assert!(lines[0].starts_with("error: "), "{text}");
    assert!(lines[0].contains(expected), "{expected:?} not in {text}");
    assert!(stdout(output).is_empty(), "nothing on stdout on failure");
}

#[test]
fn ndjson_is_the_default_off_a_terminal() {
    let stub = Stub::start();
    let output = run(&stub, &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let sessions = ndjson(&output);
    assert_eq!(sessions.len(), 10, "the API's default page");
    let first: serde_json::Map<String, serde_json::Value> =
        serde_json::from_str(stdout(&output).lines().next().unwrap_or_default())
            .expect("a JSON object");
    let mut keys: Vec<&String> = first.keys().collect();
    keys.sort_unstable();
    assert_eq!(keys, ["created_at", "metadata", "session_id", "status"]);
    assert!(stderr(&output).is_empty(), "no progress off a terminal");
}

#[test]
fn json_prints_the_api_page() {
    let stub = Stub::start();
    let output = run(
        &stub,
        &["--format", "json", "--limit", "5", "--offset", "2"],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let page: serde_json::Value = serde_json::from_str(&stdout(&output)).expect("one JSON page");
    assert_eq!(page["total"], 250);
    assert_eq!(page["has_more"], true);
    assert_eq!(page["sessions"].as_array().map(Vec::len), Some(5));
}

#[test]
fn table_is_aligned_columns() {
    let stub = Stub::start();
    let output = run(&stub, &["--format", "table", "--limit", "3"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4);
    assert!(lines[0].starts_with("SESSION_ID"));
    let status_column = lines[0].find("STATUS").expect("a STATUS column");
    let created_column = lines[0].find("CREATED_AT").expect("a CREATED_AT column");
    let metadata_column = lines[0].find("METADATA").expect("a METADATA column");
    for row in &lines[1..] {
        assert_eq!(row.find(char::is_whitespace), Some(36), "{row}");
        assert!(
            row[status_column..].starts_with(|c: char| c.is_ascii_lowercase()),
            "{row}"
        );
        assert!(row[created_column..].starts_with("20"), "{row}");
        assert!(row[metadata_column..].starts_with('{'), "{row}");
    }
}

#[test]
fn all_walks_every_page_at_the_largest_page_size() {
    let stub = Stub::start();
    let output = run(&stub, &["--all"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let sessions = ndjson(&output);
    let ids: HashSet<_> = sessions.iter().map(|session| session.session_id).collect();
    assert_eq!((sessions.len(), ids.len()), (250, 250));
    assert_eq!(
        stub.server.request_count(),
        3,
        "pages of 100 overlapping by one"
    );
    assert!(stderr(&output).is_empty(), "no progress off a terminal");
}

#[test]
fn all_honours_limit_max_and_concurrency() {
    let stub = Stub::start();
    let output = run(
        &stub,
        &[
            "--all",
            "--limit",
            "20",
            "--max",
            "45",
            "--concurrency",
            "4",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(ndjson(&output).len(), 45);
    let requests = stub.server.requests();
    assert!(
        requests
            .iter()
            .all(|request| request.query.contains("limit=20")),
        "{requests:?}"
    );
}

#[test]
fn all_as_json_is_one_document_with_the_total() {
    let stub = Stub::start();
    let output = run(&stub, &["--all", "--format", "json"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let document: serde_json::Value =
        serde_json::from_str(&stdout(&output)).expect("one JSON document");
    assert_eq!(document["total"], 250);
    assert_eq!(document["sessions"].as_array().map(Vec::len), Some(250));
}

#[test]
fn filters_reach_the_server() {
    let stub = Stub::start();
    let output = run(
        &stub,
        &[
            "--all",
            "--status",
            "pending",
            "--status",
            "failed",
            "--metadata",
            r#"{"topic": "billing", "lang": {"code": "en"}}"#,
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let sessions = ndjson(&output);
    assert!(!sessions.is_empty());
    for session in &sessions {
        let status = session.status.clone().expect("a status");
        assert!(
            matches!(status, SessionStatus::Pending | SessionStatus::Failed),
            "{status}"
        );
        assert_eq!(session.metadata["topic"], "billing");
    }
    // 250 sessions: statuses cycle by 5 and topics by 2, so 2 in 10 match.
    assert_eq!(sessions.len(), 50);
}

#[test]
fn ndjson_keeps_fields_the_spec_does_not_know() {
    let stub = Stub::start();
    stub.server.push_faults([Fault::ExtraFields]);
    let output = run(&stub, &["--limit", "2"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let line: serde_json::Value =
        serde_json::from_str(stdout(&output).lines().next().unwrap_or_default()).expect("JSON");
    assert!(
        line.as_object().is_some_and(|object| object.len() > 4),
        "{line}"
    );
}

#[test]
fn usage_errors_exit_2_with_one_line() {
    let stub = Stub::start();
    // The bounds come from the spec, through recallr-ext.
    let below = (recallr_ext::MIN_PAGE_SIZE - 1).to_string();
    let above = (recallr_ext::MAX_PAGE_SIZE + 1).to_string();
    assert_fails(&run(&stub, &["--limit", &below]), 2, "--limit");
    assert_fails(&run(&stub, &["--limit", &above]), 2, "--limit");
    // A malformed status is a usage error; an unknown well-formed one is sent.
    assert_fails(&run(&stub, &["--status", "Not a status"]), 2, "--status");
    assert_fails(
        &run(&stub, &["--metadata", "[1]"]),
        2,
        "--metadata must be a JSON object",
    );
    assert_fails(
        &run(&stub, &["--metadata", "{oops"]),
        2,
        "--metadata is not valid JSON",
    );
    assert_fails(&run(&stub, &["--max", "3"]), 2, "--all");
    assert_fails(
        &run(&stub, &["--all", "--concurrency", "0"]),
        2,
        "--concurrency",
    );
    assert_fails(&run(&stub, &["--timeout", "0"]), 2, "--timeout");
    assert_fails(&run(&stub, &["--timeout=-1"]), 2, "--timeout");
    assert_fails(&run(&stub, &["--bogus"]), 2, "--bogus");
    assert_fails(&stub.recallr(&[]), 2, "subcommand");
    assert_fails(&stub.recallr(&["sessions", "list"]), 2, "--user");
    let unset = stub.recallr_with_env(
        &list(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
        &[],
    );
    assert_fails(&unset, 2, "RECALLR_API_KEY is not set");
    assert_fails(&run(&stub, &["--base-url", "nowhere"]), 2, "base URL");
    assert_eq!(stub.server.request_count(), 0, "nothing was sent");
}

#[test]
fn api_key_file_is_read() {
    let stub = Stub::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let key_file = dir.path().join("key");
    std::fs::write(&key_file, format!("{DEFAULT_API_KEY}\n")).expect("writable");
    let key_path = key_file.to_string_lossy().into_owned();
    let args = list(&["--api-key-file", &key_path, "--limit", "1"]);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let output = stub.recallr_with_env(&args, &[]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert_eq!(ndjson(&output).len(), 1);
    let empty_file = dir.path().join("empty");
    std::fs::write(&empty_file, "\n").expect("writable");
    let empty_path = empty_file.to_string_lossy().into_owned();
    let empty = list(&["--api-key-file", &empty_path]);
    let empty: Vec<&str> = empty.iter().map(String::as_str).collect();
    assert_fails(
        &stub.recallr_with_env(&empty, &[]),
        2,
        "the file given to --api-key-file is empty",
    );
    let missing = list(&["--api-key-file", "/nonexistent/key"]);
    let missing: Vec<&str> = missing.iter().map(String::as_str).collect();
    assert_fails(
        &stub.recallr_with_env(&missing, &[]),
        2,
        "cannot read the file given to --api-key-file",
    );
}

#[test]
fn each_server_outcome_has_its_exit_code() {
    let stub = Stub::start();
    let wrong_key = stub.recallr_with_env(
        &list(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
        &[("RECALLR_API_KEY", "rai_wrong")],
    );
    assert_fails(&wrong_key, 3, "unauthorized");
    // Nothing reaches stdout before the first page: no half JSON document.
    let wrong_key_all = stub.recallr_with_env(
        &list(&["--all", "--format", "json"])
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        &[("RECALLR_API_KEY", "rai_wrong")],
    );
    assert_fails(&wrong_key_all, 3, "unauthorized");

    let unknown = stub.recallr(&["sessions", "list", "--user", "nobody"]);
    assert_fails(&unknown, 4, "user nobody not found");

    stub.server.push_faults([Fault::Raw {
        status: 422,
        headers: vec![("content-type".to_string(), "application/json".to_string())],
        body: br#"{"detail": [{"loc": ["query", "limit"], "msg": "too big", "type": "less_than_equal"}]}"#.to_vec(),
    }]);
    assert_fails(&run(&stub, &[]), 5, "query.limit: too big");

    stub.server
        .push_faults([Fault::RateLimited(RetryAfter::Seconds(3600))]);
    assert_fails(&run(&stub, &[]), 6, "rate limited");

    stub.server
        .push_faults([Fault::Status(503), Fault::Status(503)]);
    assert_fails(&run(&stub, &["--retries", "1"]), 7, "503");

    stub.server.push_faults([Fault::CloseConnection]);
    assert_fails(&run(&stub, &["--retries", "0"]), 7, "connection");

    stub.server
        .push_faults([Fault::Delay(std::time::Duration::from_secs(5))]);
    assert_fails(
        &run(&stub, &["--retries", "0", "--timeout", "0.3"]),
        7,
        "timed out",
    );

    stub.server.push_faults([Fault::Raw {
        status: 200,
        headers: vec![("content-type".to_string(), "application/json".to_string())],
        body: b"{\"sessions\": 7}".to_vec(),
    }]);
    assert_fails(&run(&stub, &[]), 1, "cannot decode");

    assert_eq!(code(&run(&stub, &["--limit", "1"])), 0);
}

#[test]
fn version_and_completions() {
    let stub = Stub::start();
    let version = stub.recallr(&["--version"]);
    assert_eq!(code(&version), 0);
    assert!(stdout(&version).starts_with("recallr "));
    for shell in ["bash", "zsh", "fish", "powershell", "elvish"] {
        let output = stub.recallr(&["completions", shell]);
        assert_eq!(code(&output), 0, "{shell}");
        assert!(stdout(&output).contains("sessions"), "{shell}");
    }
    assert_fails(&stub.recallr(&["completions", "tcsh"]), 2, "tcsh");
}

/// Runs the binary with a 30 s bound, to tell a hang from a finish.
fn run_bounded(stub: &Stub, args: &[&str]) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_recallr"));
    command
        .args(args)
        .env("RECALLR_API_KEY", DEFAULT_API_KEY)
        .env("RECALLR_PROJECT_ID", DEFAULT_PROJECT_ID)
        .env("RECALLR_BASE_URL", stub.server.base_url())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = command.spawn().expect("the binary starts");
    let started = std::time::Instant::now();
    loop {
        if child.try_wait().expect("a status").is_some() {
            return child.wait_with_output().expect("the output");
        }
        if started.elapsed() > std::time::Duration::from_secs(30) {
            let _ = child.kill();
            panic!("the binary hung: {args:?}");
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}

#[test]
#[cfg(unix)]
fn key_files_that_are_not_small_regular_files_are_refused() {
    let stub = Stub::start();
    let dir = tempfile::tempdir().expect("a temp dir");
    let fifo = dir.path().join("fifo");
    let status = Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(status.success());
    let big = dir.path().join("big");
    std::fs::write(&big, "rai_".repeat(100_000)).expect("writable");
    for (path, expected) in [
        ("/dev/zero".to_string(), "not a regular file"),
        (fifo.to_string_lossy().into_owned(), "not a regular file"),
        (
            dir.path().to_string_lossy().into_owned(),
            "not a regular file",
        ),
        (big.to_string_lossy().into_owned(), "at most 4096"),
    ] {
        let args = list(&["--api-key-file", &path]);
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        assert_fails(&run_bounded(&stub, &args), 2, expected);
    }
    assert_eq!(stub.server.request_count(), 0, "nothing was sent");
}

#[test]
fn escape_codes_from_the_server_never_reach_the_terminal() {
    let stub = Stub::start();
    let hostile = "\u{1b}]0;PWNED\u{7}\u{1b}[31m";
    stub.server.store().insert(
        USER,
        recallr_stub::session_with_id(
            Uuid::from_u128(10_000),
            chrono::DateTime::from_timestamp(1_800_000_000, 0).expect("in range"),
            SessionStatus::from(hostile),
            serde_json::json!({"note": "\u{9b}31m"}),
        ),
    );
    let output = run(&stub, &["--format", "table", "--limit", "2"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let text = stdout(&output);
    assert!(
        !text.contains('\u{1b}') && !text.contains('\u{7}') && !text.contains('\u{9b}'),
        "{text:?}"
    );
    assert!(text.contains("\\u{1b}]0;PWNED"), "{text}");

    // An error line quoting the server is escaped too.
    stub.server.push_faults([Fault::Raw {
        status: 403,
        headers: vec![("content-type".to_string(), "application/json".to_string())],
        body: br#"{"detail": "\u001b[2Jcleared"}"#.to_vec(),
    }]);
    let failed = run(&stub, &[]);
    assert_fails(&failed, 1, "\\u{1b}[2Jcleared");
    assert!(!stderr(&failed).contains('\u{1b}'));
}

#[test]
fn a_wrong_base_url_is_not_a_missing_user() {
    let stub = Stub::start();
    let base = format!("{}/api/v1", stub.server.base_url());
    let output = run(&stub, &["--base-url", &base]);
    assert_fails(&output, 1, "base URL may be wrong");
}

#[test]
fn the_largest_offset_ends_the_walk() {
    let stub = Stub::start();
    let output = run_bounded(
        &stub,
        &[
            "sessions",
            "list",
            "--user",
            USER,
            "--all",
            "--offset",
            "18446744073709551615",
        ],
    );
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    assert!(stdout(&output).is_empty());
}

#[test]
fn help_shows_the_variables_and_the_exit_codes() {
    let stub = Stub::start();
    let help = stdout(&stub.recallr(&["--help"]));
    for text in [
        "RECALLR_API_KEY",
        "RECALLR_PROJECT_ID",
        "RECALLR_BASE_URL",
        "Exit codes",
        "--verbose",
    ] {
        assert!(help.contains(text), "{text} not in {help}");
    }
    let list_help = stdout(&stub.recallr(&["sessions", "list", "--help"]));
    assert!(list_help.contains("[env: RECALLR_BASE_URL]"), "{list_help}");
    let man = stub.recallr(&["man"]);
    assert_eq!(code(&man), 0);
    assert!(
        stdout(&man).starts_with(".ie") || stdout(&man).contains(".TH"),
        "{}",
        stdout(&man)
    );
}

#[test]
fn verbose_shows_retries_and_their_reasons() {
    let stub = Stub::start();
    stub.server.push_faults([Fault::Status(503)]);
    let output = run(&stub, &["-v", "--limit", "1"]);
    assert_eq!(code(&output), 0, "{}", stderr(&output));
    let logs = stderr(&output);
    assert!(logs.contains("retrying") && logs.contains("503"), "{logs}");
    let bad_filter = stub.recallr_with_env(
        &list(&[]).iter().map(String::as_str).collect::<Vec<_>>(),
        &[
            ("RECALLR_API_KEY", DEFAULT_API_KEY),
            ("RECALLR_LOG", "recallr_ext=loud"),
        ],
    );
    assert_fails(&bad_filter, 2, "RECALLR_LOG is not a valid log filter");
}

#[test]
fn a_non_utf8_key_is_not_called_unset() {
    use std::os::unix::ffi::OsStrExt;
    let stub = Stub::start();
    let output = Command::new(env!("CARGO_BIN_EXE_recallr"))
        .args(list(&[]))
        .env("RECALLR_API_KEY", std::ffi::OsStr::from_bytes(b"rai_\xff"))
        .env("RECALLR_PROJECT_ID", DEFAULT_PROJECT_ID)
        .env("RECALLR_BASE_URL", stub.server.base_url())
        .output()
        .expect("the binary runs");
    assert_fails(&output, 2, "RECALLR_API_KEY is set but is not valid UTF-8");
    let long_user = "u".repeat(100_000);
    let output = run_bounded(&stub, &["sessions", "list", "--user", &long_user]);
    assert_fails(&output, 2, "at most 4096");
    assert!(stderr(&output).len() < 300, "a short line");
}

#[test]
fn an_unknown_status_is_sent_with_a_warning() {
    let stub = Stub::start();
    let output = run(&stub, &["--status", "archived"]);
    let text = stderr(&output);
    let lines: Vec<&str> = text.lines().collect();
    // This stub, generated from the same spec, does not know the status
    // either and answers 422: the request reached it.
    assert_eq!(code(&output), 5, "{text}");
    assert_eq!(lines.len(), 2, "{text}");
    assert!(
        lines[0].starts_with("warning: `archived` is not a status this build knows (pending, "),
        "{text}"
    );
    assert!(
        lines[1].starts_with("error: the server rejected the request (422)"),
        "{text}"
    );
}

#[test]
fn help_lists_the_known_statuses_and_the_page_bounds_from_the_spec() {
    let stub = Stub::start();
    let output = stub.recallr(&["sessions", "list", "--help"]);
    let help = stdout(&output);
    let known: Vec<&str> = recallr_ext::SessionStatus::KNOWN
        .iter()
        .map(recallr_ext::SessionStatus::as_str)
        .collect();
    assert!(help.contains(&known.join(", ")), "{help}");
    let bounds = format!(
        "{} to {}",
        recallr_ext::MIN_PAGE_SIZE,
        recallr_ext::MAX_PAGE_SIZE
    );
    assert!(help.contains(&bounds), "{help}");
}

#[test]
fn context_stream_prints_each_event_as_it_comes() {
    let stub = Stub::start();
    let session = Uuid::from_u128(1).to_string();
    let args = ["sessions", "context", "--user", USER, "--session", &session];
    let mut streamed = args.to_vec();
    streamed.push("--stream");
    let output = stub.recallr(&streamed);
    assert!(output.status.success(), "{output:?}");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let events: Vec<serde_json::Value> = stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("one JSON event a line"))
        .collect();
    assert!(events.len() >= 2, "{stdout}");
    let (last, before) = events.split_last().expect("events");
    assert_eq!(last["is_final"], true, "{stdout}");
    assert!(last["context"].is_string(), "{stdout}");
    assert!(
        before.iter().all(|event| event["is_final"] == false),
        "{stdout}"
    );

    // The same flags without --stream: one answer, the final context.
    let plain = stub.recallr(&args);
    assert!(plain.status.success(), "{plain:?}");
    let answer: serde_json::Value = serde_json::from_slice(&plain.stdout).expect("one JSON answer");
    assert_eq!(answer["context"], last["context"]);

    // A stream that cannot open: one error line, its exit code, no output.
    let mut missing = vec![
        "sessions",
        "context",
        "--user",
        "nobody",
        "--session",
        &session,
    ];
    missing.push("--stream");
    assert_fails(&stub.recallr(&missing), 4, "user nobody not found");
}
