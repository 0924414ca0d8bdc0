//! The `recallr-stub` binary: its first line, `--help`, bad flags and data
//! files, and a clean exit on SIGTERM and SIGINT.

use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use recallr_stub::{DEFAULT_API_KEY, DEFAULT_PROJECT_ID};
use serde_json::Value;

const BIN: &str = env!("CARGO_BIN_EXE_recallr-stub");

/// A running `recallr-stub serve`, killed if a test fails before it stops.
struct Running {
    child: Option<Child>,
    base_url: String,
}

impl Running {
    fn start(args: &[&str]) -> Self {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdout = child.stdout.take().expect("stdout");
        let (sender, receiver) = mpsc::channel();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = BufReader::new(stdout).read_line(&mut line);
            let _ = sender.send(line);
        });
        // A guard against a hang, not a measurement.
        let line = receiver
            .recv_timeout(Duration::from_secs(120))
            .unwrap_or_default();
        let mut running = Self {
            child: Some(child),
            base_url: String::new(),
        };
        let Some(url) = line.trim_end().strip_prefix("listening on ") else {
            let stderr = running.stop_with("-KILL").1;
            panic!("first line {line:?}; stderr: {stderr}");
        };
        running.base_url = url.to_string();
        running
    }

    fn addr(&self) -> &str {
        self.base_url.trim_start_matches("http://")
    }

    /// Sends `signal` with kill(1) and waits: (exit code, stderr).
    fn stop_with(&mut self, signal: &str) -> (Option<i32>, String) {
        let Some(mut child) = self.child.take() else {
            return (None, String::new());
        };
        let status = Command::new("kill")
            .args([signal, &child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        let status = child.wait().expect("the stub exits");
        let mut stderr = String::new();
        if let Some(mut pipe) = child.stderr.take() {
            let _ = pipe.read_to_string(&mut stderr);
        }
        (status.code(), stderr)
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A GET over a plain socket: (status, body).
fn http_get(addr: &str, path: &str, auth: bool) -> (u16, String) {
    let mut stream = std::net::TcpStream::connect(addr).expect("connects");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("a timeout");
    let headers = if auth {
        format!(
            "X-Recallr-Api-Key: {DEFAULT_API_KEY}\r\nX-Recallr-Project-Id: {DEFAULT_PROJECT_ID}\r\n"
        )
    } else {
        String::new()
    };
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Connection: close\r\n\r\n"
    )
    .expect("sends");
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    let raw = String::from_utf8_lossy(&raw).into_owned();
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((&raw, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|code| code.parse().ok())
        .unwrap_or(0);
    (status, body.to_string())
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn it_announces_its_address_serves_and_stops_on_sigterm() {
    let mut stub = Running::start(&["--users", "2", "--sessions-per-user", "30", "--seed", "1"]);
    assert!(
        stub.base_url.starts_with("http://127.0.0.1:"),
        "{}",
        stub.base_url
    );
    let (status, body) = http_get(stub.addr(), "/api/v1/users/user-1/sessions?limit=5", true);
    assert_eq!(status, 200, "{body}");
    let page: Value = serde_json::from_str(&body).expect("JSON");
    assert_eq!(page["total"], 30);
    assert_eq!(page["sessions"].as_array().map(Vec::len), Some(5));
    assert_eq!(
        http_get(stub.addr(), "/api/v1/users/user-2/sessions", true).0,
        404
    );
    assert_eq!(
        http_get(stub.addr(), "/api/v1/users/user-1/sessions", false).0,
        401
    );
    let (code, stderr) = stub.stop_with("-TERM");
    assert_eq!(code, Some(0), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn it_stops_cleanly_on_sigint_too() {
    let mut stub = Running::start(&[]);
    assert_eq!(
        http_get(stub.addr(), "/api/v1/users/user-0/sessions", true).0,
        200
    );
    let (code, stderr) = stub.stop_with("-INT");
    assert_eq!(code, Some(0), "{stderr}");
}

#[test]
fn faults_and_credentials_come_from_flags() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let data = dir.path().join("data.json");
    std::fs::write(
        &data,
        r#"{"users": {"a/b": [{"session_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "status": "failed", "created_at": "2023-11-07T05:31:56Z", "metadata": {}}]}}"#,
    )
    .expect("written");
    let data = data.to_string_lossy().into_owned();
    let stub = Running::start(&[
        "--data",
        &data,
        "--faults",
        "503,429:0",
        "--api-key",
        DEFAULT_API_KEY,
        "--latency-ms",
        "1",
        "--jitter-ms",
        "1",
    ]);
    let path = "/api/v1/users/a%2Fb/sessions";
    assert_eq!(http_get(stub.addr(), path, true).0, 503);
    assert_eq!(http_get(stub.addr(), path, true).0, 429);
    let (status, body) = http_get(stub.addr(), path, true);
    assert_eq!(status, 200, "{body}");
    assert!(
        body.contains("3c90c3cc-0d44-4b50-8888-8dd25736052a"),
        "{body}"
    );
}

#[test]
fn help_documents_every_flag_and_its_default() {
    let output = run(&["serve", "--help"]);
    assert_eq!(output.status.code(), Some(0));
    let help = text(&output.stdout);
    for needle in [
        "--addr <ADDR>",
        "[default: 127.0.0.1:0]",
        "--data <FILE>",
        "--users <N>",
        "[default: 3]",
        "--sessions-per-user <M>",
        "[default: 100]",
        "--seed <S>",
        "--api-key <K>",
        "[default: rai_stub_key]",
        "--project-id <P>",
        "[default: 00000000-0000-4000-8000-000000000000]",
        "--latency-ms <N>",
        "--jitter-ms <N>",
        "--fail-rate <F>",
        "--rate-limit-rate <F>",
        "--retry-after <RETRY>",
        "--close-rate <F>",
        "--truncate-rate <F>",
        "--slow-rate <F>",
        "--slow-ms <N>",
        "[default: 30000]",
        "--unknown-status-rate <F>",
        "--extra-fields-rate <F>",
        "--fault-seed <S>",
        "--faults <LIST>",
    ] {
        assert!(help.contains(needle), "{needle} missing from:\n{help}");
    }
    let output = run(&["--help"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(text(&output.stdout).contains("serve"));
    assert_eq!(run(&["--version"]).status.code(), Some(0));
}

#[test]
fn every_bad_flag_or_data_file_is_one_error_line() {
    let dir = tempfile::tempdir().expect("a temp dir");
    let broken = dir.path().join("broken.json");
    std::fs::write(&broken, r#"{"users": {"u": [{"session_id": 1}]}}"#).expect("written");
    let broken = broken.to_string_lossy().into_owned();
    let missing = dir
        .path()
        .join("missing.json")
        .to_string_lossy()
        .into_owned();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
    let taken = taken.local_addr().expect("an address").to_string();
    let cases: Vec<Vec<&str>> = vec![
        vec![],
        vec!["bogus"],
        vec!["serve", "--bogus"],
        vec!["serve", "--addr", "not-an-address"],
        vec!["serve", "--addr", &taken],
        vec!["serve", "--users", "-1"],
        vec!["serve", "--users", "many"],
        vec!["serve", "--fail-rate", "2"],
        vec!["serve", "--close-rate", "NaN"],
        vec!["serve", "--latency-ms", "-5"],
        vec!["serve", "--retry-after", "later"],
        vec!["serve", "--faults", "500,explode"],
        vec!["serve", "--data", &missing],
        vec!["serve", "--data", &broken],
        vec!["serve", "--data", &broken, "--users", "3"],
        vec![
            "serve",
            "--users",
            "100000",
            "--sessions-per-user",
            "100000",
        ],
    ];
    for args in cases {
        let output = run(&args);
        let stderr = text(&output.stderr);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        assert!(
            output.status.code().is_some(),
            "{args:?}: killed by a signal"
        );
        assert!(
            output.stdout.is_empty(),
            "{args:?}: {}",
            text(&output.stdout)
        );
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("error: "), "{args:?}: {stderr}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
    let output = run(&[]);
    assert!(
        text(&output.stderr).contains("subcommand"),
        "{}",
        text(&output.stderr)
    );
    let output = run(&["serve", "--data", &missing]);
    assert!(text(&output.stderr).contains("missing.json"));
    let output = run(&["serve", "--data", &broken]);
    assert!(
        text(&output.stderr).contains("users.u[0]"),
        "{}",
        text(&output.stderr)
    );
}
