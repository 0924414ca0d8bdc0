//! The command line of the `recallr-stub` binary.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::{
    DEFAULT_API_KEY, DEFAULT_PROJECT_ID, Fault, FaultConfig, FaultTarget, RetryAfter, Store,
    StubConfig,
};

/// The most sessions (or users) `--users` and `--sessions-per-user` may
/// ask for, so a typo cannot eat the machine's memory.
pub const MAX_GENERATED: usize = 20_000_000;

/// A local stand-in for the RecallrAI API.
#[derive(Debug, Parser)]
#[command(name = "recallr-stub", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the whole API until Ctrl-C or SIGTERM. Prints
    /// `listening on http://ADDR` as its first line.
    Serve(ServeArgs),
}

/// The options of `serve`.
#[derive(Debug, Args)]
#[command(after_help = "\
Without --data, users user-0 … user-{N-1} are generated from --seed.
Rates are chances per request in 0..=1; at most one random fault hits a request.
Faults apply to every route unless --fault-target names an operation
(list_sessions, get_context, ...) or a path (/api/v1/users/{custom_user_id}/sessions).
Fault names for --faults: a status code (500, 502, 503, …), 429 or 429:RETRY,
close, truncate, delay:MS, unknown-status, extra-fields.
RETRY (also for --retry-after): SECS, date:SECS (an HTTP-date SECS from now) or none.
Set RUST_LOG (e.g. RUST_LOG=debug) for logs on stderr.")]
pub struct ServeArgs {
    /// Address to listen on (port 0 picks a free port).
    #[arg(long, default_value = "127.0.0.1:0", value_name = "ADDR")]
    pub addr: SocketAddr,

    /// Load users and sessions from a JSON file, in the format of
    /// [`Store::from_json`].
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with_all = ["users", "sessions_per_user", "seed"],
        help = r#"Load users, sessions, messages, memories and merge conflicts from a JSON file: {"users": {"<user id>": [<session>, ...] or {"sessions": [...], "messages": {...}, "memories": [...], "merge_conflicts": [...], "metadata": {...}}}}"#
    )]
    pub data: Option<PathBuf>,

    /// How many users to generate.
    #[arg(long, default_value_t = 3, value_name = "N")]
    pub users: usize,

    /// How many sessions each generated user has.
    #[arg(long, default_value_t = 100, value_name = "M")]
    pub sessions_per_user: usize,

    /// Seed of the generated data.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub seed: u64,

    /// The only accepted X-Recallr-Api-Key.
    #[arg(long, default_value = DEFAULT_API_KEY, value_name = "K")]
    pub api_key: String,

    /// The only accepted X-Recallr-Project-Id.
    #[arg(long, default_value = DEFAULT_PROJECT_ID, value_name = "P")]
    pub project_id: String,

    /// Latency added to every request, in milliseconds.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub latency_ms: u64,

    /// Up to this many more milliseconds of latency, at random.
    #[arg(long, default_value_t = 0, value_name = "N")]
    pub jitter_ms: u64,

    /// Chance of a 500, 502 or 503.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub fail_rate: f64,

    /// Chance of a 429.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub rate_limit_rate: f64,

    /// Retry-After of random 429s: SECS, date:SECS or none.
    #[arg(long, default_value = "1", value_name = "RETRY", value_parser = retry_after)]
    pub retry_after: RetryAfter,

    /// Chance of a dropped connection (no response at all).
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub close_rate: f64,

    /// Chance of a body cut short (Content-Length promises more).
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub truncate_rate: f64,

    /// Chance of a response delayed by --slow-ms.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub slow_rate: f64,

    /// The delay of slow responses, in milliseconds.
    #[arg(long, default_value_t = 30_000, value_name = "N")]
    pub slow_ms: u64,

    /// Chance of a first session whose status is "archived".
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub unknown_status_rate: f64,

    /// Chance of unknown fields in the sessions and the page.
    #[arg(long, default_value_t = 0.0, value_name = "F", value_parser = rate)]
    pub extra_fields_rate: f64,

    /// Seed of the random faults and jitter.
    #[arg(long, default_value_t = 0, value_name = "S")]
    pub fault_seed: u64,

    /// Which requests faults and latency apply to: any, an operation name
    /// or a path.
    #[arg(long, default_value = "any", value_name = "TARGET", value_parser = fault_target)]
    pub fault_target: FaultTarget,

    /// How long a processed session stays `processing`, in milliseconds.
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    pub processing_ms: u64,

    /// How long a resolved merge conflict stays `IN_QUEUE`, in milliseconds.
    #[arg(long, default_value_t = 2_000, value_name = "N")]
    pub resolving_ms: u64,

    /// Faults for the first requests, one each, in order (comma-separated),
    /// before any random fault. Example: 503,429:2,close,truncate.
    #[arg(long, value_name = "LIST", value_delimiter = ',', value_parser = fault)]
    pub faults: Vec<Fault>,
}

fn rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(value) if (0.0..=1.0).contains(&value) => Ok(value),
        _ => Err(format!("{text:?} is not a rate between 0 and 1")),
    }
}

fn retry_after(text: &str) -> Result<RetryAfter, String> {
    text.parse()
}

fn fault(text: &str) -> Result<Fault, String> {
    text.parse()
}

fn fault_target(text: &str) -> Result<FaultTarget, String> {
    text.parse()
}

impl ServeArgs {
    /// The data to serve: the `--data` file or generated users.
    pub fn store(&self) -> Result<Store, String> {
        if let Some(path) = &self.data {
            return Store::from_file(path).map_err(|error| error.to_string());
        }
        let sessions = self.users.checked_mul(self.sessions_per_user);
        match sessions {
            Some(sessions) if sessions.max(self.users) <= MAX_GENERATED => Ok(Store::generate(
                self.users,
                self.sessions_per_user,
                self.seed,
            )),
            _ => Err(format!(
                "--users {} with --sessions-per-user {} is more than the {MAX_GENERATED} \
                 users or sessions the stub generates",
                self.users, self.sessions_per_user
            )),
        }
    }

    /// Credentials and random faults.
    pub fn config(&self) -> StubConfig {
        StubConfig {
            api_key: self.api_key.clone(),
            project_id: self.project_id.clone(),
            faults: FaultConfig {
                latency: Duration::from_millis(self.latency_ms),
                jitter: Duration::from_millis(self.jitter_ms),
                fail_rate: self.fail_rate,
                rate_limit_rate: self.rate_limit_rate,
                retry_after: self.retry_after.clone(),
                close_rate: self.close_rate,
                truncate_rate: self.truncate_rate,
                slow_rate: self.slow_rate,
                slow_delay: Duration::from_millis(self.slow_ms),
                unknown_status_rate: self.unknown_status_rate,
                extra_fields_rate: self.extra_fields_rate,
                seed: self.fault_seed,
                target: self.fault_target.clone(),
            },
            processing: Duration::from_millis(self.processing_ms),
            resolving: Duration::from_millis(self.resolving_ms),
            ..StubConfig::default()
        }
    }
}

/// clap's message for a bad command line, as one `error: ...` line.
pub fn one_line(error: &clap::Error) -> String {
    let rendered = error.render().to_string();
    let reason = rendered
        .lines()
        .find_map(|line| line.trim().strip_prefix("error: "))
        .map(str::to_string)
        .unwrap_or_else(|| match error.kind() {
            clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                "a subcommand is required: recallr-stub serve [OPTIONS]".to_string()
            }
            _ => "invalid arguments".to_string(),
        });
    format!("error: {reason} (see --help)")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(args: &[&str]) -> Result<ServeArgs, String> {
        let mut argv = vec!["recallr-stub", "serve"];
        argv.extend_from_slice(args);
        match Cli::try_parse_from(argv) {
            Ok(Cli {
                command: Command::Serve(args),
            }) => Ok(args),
            Err(error) => Err(one_line(&error)),
        }
    }

    #[test]
    fn defaults_are_loopback_and_the_default_credentials() {
        let args = parse(&[]).unwrap_or_else(|e| panic!("{e}"));
        assert!(args.addr.ip().is_loopback());
        let config = args.config();
        assert_eq!(config.api_key, DEFAULT_API_KEY);
        assert_eq!(config.project_id, DEFAULT_PROJECT_ID);
        assert_eq!(config.faults.retry_after, RetryAfter::Seconds(1));
        assert_eq!(args.store().map(|s| s.users().len()), Ok(3));
    }

    #[test]
    fn fault_flags_fill_the_config() {
        let args = parse(&[
            "--latency-ms",
            "5",
            "--jitter-ms",
            "2",
            "--fail-rate",
            "0.5",
            "--retry-after",
            "date:3",
            "--fault-seed",
            "9",
            "--faults",
            "503,429:2,close",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        let faults = args.config().faults;
        assert_eq!(faults.latency, Duration::from_millis(5));
        assert_eq!(faults.fail_rate, 0.5);
        assert_eq!(
            faults.retry_after,
            RetryAfter::HttpDateIn(Duration::from_secs(3))
        );
        assert_eq!(faults.seed, 9);
        assert_eq!(
            args.faults,
            vec![
                Fault::Status(503),
                Fault::RateLimited(RetryAfter::Seconds(2)),
                Fault::CloseConnection
            ]
        );
    }

    #[test]
    fn bad_flags_are_one_error_line() {
        for args in [
            &["--fail-rate", "1.5"][..],
            &["--fail-rate", "x"],
            &["--addr", "nowhere"],
            &["--faults", "boom"],
            &["--retry-after", "soon"],
            &["--data", "x.json", "--users", "2"],
            &["--bogus"],
        ] {
            let error = parse(args).err().unwrap_or_default();
            assert!(error.starts_with("error: "), "{args:?}: {error}");
            assert_eq!(error.lines().count(), 1, "{args:?}: {error}");
        }
    }

    #[test]
    fn a_missing_subcommand_is_named() {
        let error = Cli::try_parse_from(["recallr-stub"])
            .err()
            .map(|e| one_line(&e));
        let error = error.unwrap_or_default();
        assert!(
            error.starts_with("error: a subcommand is required"),
            "{error}"
        );
    }

    #[test]
    fn huge_generation_is_refused() {
        let args = parse(&["--users", "100000", "--sessions-per-user", "100000"])
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(args.store().is_err());
        let args = parse(&[
            "--users",
            &usize::MAX.to_string(),
            "--sessions-per-user",
            "2",
        ])
        .unwrap_or_else(|e| panic!("{e}"));
        assert!(args.store().is_err());
    }
}
