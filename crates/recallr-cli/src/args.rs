//! The command line, as clap parses it. This interface is fixed: scripts
//! depend on it.

use std::path::PathBuf;

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Args, Parser, Subcommand, ValueEnum};

/// List RecallrAI sessions from a terminal or a script.
///
/// Credentials come from the environment: RECALLR_API_KEY (or
/// --api-key-file) and RECALLR_PROJECT_ID. RECALLR_BASE_URL sets the default
/// base URL. There is deliberately no --api-key flag: it would end up in
/// shell history and process listings.
#[derive(Debug, Parser)]
#[command(name = "recallr", version, about, long_about, after_long_help = AFTER_LONG_HELP)]
pub struct Cli {
    /// Log retries and their reasons on stderr (-vv: every request, -vvv:
    /// everything); RECALLR_LOG takes a tracing filter instead.
    #[arg(short, long, action = clap::ArgAction::Count, global = true)]
    pub verbose: u8,

    #[command(subcommand)]
    pub command: Command,
}

/// The environment and the exit codes, in `--help` and the man page.
const AFTER_LONG_HELP: &str = "\
Environment:
  RECALLR_API_KEY     the API key (or use --api-key-file)
  RECALLR_PROJECT_ID  the project ID, a UUID
  RECALLR_BASE_URL    the API's base URL (default https://api.recallrai.com)
  RECALLR_LOG         a tracing filter for logs on stderr, e.g. recallr_ext=debug

Exit codes:
  0  success
  1  another failure (a wrong base URL, an unreadable answer, ...)
  2  usage or input error (flags, configuration, the key file)
  3  authentication failed (401)
  4  the user does not exist (404)
  5  the server rejected the request (422)
  6  rate limited, after retries (429)
  7  server or network failure, after retries (5xx, timeouts, connections)";

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Work with conversation sessions.
    #[command(subcommand)]
    Sessions(SessionsCommand),
    /// Print a shell completion script.
    Completions {
        /// The shell to complete for.
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
    /// Print the man page (roff), e.g. `recallr man > recallr.1`.
    Man,
}

#[derive(Debug, Subcommand)]
pub enum SessionsCommand {
    /// List a user's sessions, newest first: one page, or all with --all.
    List(ListArgs),
}

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people.
    Table,
    /// The API's own JSON: one `SessionList` page, or with --all
    /// `{"sessions": [...], "total": N}`.
    Json,
    /// One session object per line, with every field the server sent.
    Ndjson,
}

#[derive(Debug, Args)]
pub struct ListArgs {
    /// The user whose sessions to list (any string; it is percent-encoded).
    #[arg(long, value_name = "ID")]
    pub user: String,

    /// Only sessions with this status; repeat for any of several. A status
    /// this build does not know is sent too, with a warning: a newer server
    /// may have it.
    #[arg(long = "status", value_name = "STATUS", value_parser = StatusParser)]
    pub statuses: Vec<String>,

    /// Only sessions whose metadata contains this JSON object, e.g.
    /// '{"topic":"billing"}' (nested objects match recursively).
    #[arg(long, value_name = "JSON")]
    pub metadata: Option<String>,

    /// Skip this many sessions first.
    #[arg(long, value_name = "N", default_value_t = 0)]
    pub offset: u64,

    #[arg(long, value_name = "N", help = limit_help(),
          value_parser = clap::value_parser!(u64)
              .range(recallr_ext::MIN_PAGE_SIZE..=recallr_ext::MAX_PAGE_SIZE))]
    pub limit: Option<u64>,

    /// Fetch every page (through the pager, which stays correct while the
    /// list changes).
    #[arg(long)]
    pub all: bool,

    /// With --all: stop after N sessions.
    #[arg(long, value_name = "N", requires = "all")]
    pub max: Option<u64>,

    /// With --all: fetch up to K pages at once (1 to 16).
    #[arg(long, value_name = "K", default_value_t = 1, requires = "all",
          value_parser = clap::value_parser!(u64).range(1..=recallr_ext::MAX_CONCURRENCY as u64))]
    pub concurrency: u64,

    /// Output format [default: table on a terminal, ndjson otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,

    /// The API's base URL [default: https://api.recallrai.com].
    #[arg(
        long,
        value_name = "URL",
        env = "RECALLR_BASE_URL",
        hide_env_values = true
    )]
    pub base_url: Option<String>,

    /// Per-request timeout in seconds.
    #[arg(long, value_name = "SECS", value_parser = parse_timeout)]
    pub timeout: Option<f64>,

    /// How often a failed request is retried (0 disables retries) [default: 2].
    #[arg(long, value_name = "N")]
    pub retries: Option<u32>,

    /// Read the API key from this file instead of $RECALLR_API_KEY.
    #[arg(long, value_name = "PATH")]
    pub api_key_file: Option<PathBuf>,
}

fn parse_timeout(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => Ok(seconds),
        _ => Err("expected a number of seconds greater than 0 (at most 86400)".to_string()),
    }
}

/// `--limit`'s help, with the API's page-size bounds from the spec.
fn limit_help() -> String {
    format!(
        "Sessions per request, {} to {} [default: {}; {} with --all]. With --all at least {} \
         are fetched, as consecutive pages overlap by two.",
        recallr_ext::MIN_PAGE_SIZE,
        recallr_ext::MAX_PAGE_SIZE,
        recallr_ext::DEFAULT_PAGE_SIZE,
        recallr_ext::MAX_PAGE_SIZE,
        recallr_ext::MIN_WALK_PAGE_SIZE,
    )
}

/// `--status`: offers the statuses the spec lists (help, completions) and
/// accepts any other well-formed one, which `list` warns about.
#[derive(Debug, Clone, Copy)]
struct StatusParser;

impl TypedValueParser for StatusParser {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        let invalid = || {
            let mut error = clap::Error::new(clap::error::ErrorKind::InvalidValue).with_cmd(cmd);
            if let Some(arg) = arg {
                error.insert(
                    clap::error::ContextKind::InvalidArg,
                    clap::error::ContextValue::String(arg.to_string()),
                );
            }
            error.insert(
                clap::error::ContextKind::InvalidValue,
                clap::error::ContextValue::String(value.to_string_lossy().into_owned()),
            );
            error
        };
        // A status is a word of the API's alphabet; anything else (spaces,
        // control characters, a typo like `--status=`) is refused here.
        let text = value.to_str().ok_or_else(invalid)?;
        let well_formed = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'_');
        if well_formed {
            Ok(text.to_string())
        } else {
            Err(invalid())
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(recallr_ext::SessionStatus::KNOWN.iter().map(
            |status| PossibleValue::new(status.as_str().to_string()),
        )))
    }
}
