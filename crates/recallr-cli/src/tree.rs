//! The command line, built at run time from the generated table: one
//! command per operation, one flag per parameter, plus the flags every
//! command shares. This interface is public: scripts depend on it.

use clap::builder::{PossibleValue, TypedValueParser};
use clap::{Arg, ArgAction, Command};

use crate::commands::OPERATIONS;
use crate::table::{Kind, Operation, Pager, Param, Place};

const ABOUT: &str = "Use the RecallrAI API from a terminal or a script.";

const LONG_ABOUT: &str = "Use the RecallrAI API from a terminal or a script: one command per \
operation of the API.

Credentials come from the environment: RECALLR_API_KEY (or --api-key-file) and \
RECALLR_PROJECT_ID. RECALLR_BASE_URL sets the default base URL. There is deliberately \
no --api-key flag: it would end up in shell history and process listings.";

/// The environment and the exit codes, in `--help` and the man page.
pub const AFTER_LONG_HELP: &str = "\
Environment:
  RECALLR_API_KEY     the API key (or use --api-key-file)
  RECALLR_PROJECT_ID  the project ID, a UUID
  RECALLR_BASE_URL    the API's base URL (default https://api.recallrai.com)
  RECALLR_LOG         a tracing filter for logs on stderr, e.g. recallr_ext=debug

Exit codes:
  0  success
  1  another failure (a wrong base URL, an unreadable answer, ...)
  2  usage or input error (flags, configuration, the key file, a delete without --yes)
  3  authentication failed (401)
  4  not found (404): the message names the user, session, memory or merge conflict
  5  rejected by the server (400, 409, 422), with the server's detail
  6  rate limited, after retries (429)
  7  server or network failure, after retries (5xx, timeouts, connections)";

/// The whole command tree. The flags added here besides the parameters'
/// are the generator's `SHARED_FLAGS` (xtask/src/cli_commands.rs), which no
/// parameter may take.
pub fn command() -> Command {
    let mut root = Command::new("recallr")
        .version(env!("CARGO_PKG_VERSION"))
        .about(ABOUT)
        .long_about(LONG_ABOUT)
        .after_long_help(AFTER_LONG_HELP)
        .subcommand_required(true)
        .arg_required_else_help(true)
        .arg(
            Arg::new("verbose")
                .short('v')
                .long("verbose")
                .action(ArgAction::Count)
                .global(true)
                .help(
                    "Log retries and their reasons on stderr (-vv: every request, -vvv: \
                     everything); RECALLR_LOG takes a tracing filter instead.",
                ),
        );
    // Resources in the table's order; a one-word command stands alone.
    let mut resources: Vec<&str> = Vec::new();
    for operation in OPERATIONS {
        if let [resource, _] = operation.command
            && !resources.contains(resource)
        {
            resources.push(resource);
        }
    }
    for operation in OPERATIONS {
        if let [name] = operation.command {
            root = root.subcommand(leaf(operation, name));
        }
    }
    for resource in resources {
        let mut verbs: Vec<&Operation> = OPERATIONS
            .iter()
            .filter(|operation| operation.command.first() == Some(&resource))
            .filter(|operation| operation.command.len() == 2)
            .collect();
        verbs.sort_by_key(|operation| verb_rank(operation.command[1]));
        let mut group = Command::new(resource)
            .about(format!("Commands on {}.", resource.replace('-', " ")))
            .subcommand_required(true)
            .arg_required_else_help(true);
        for operation in verbs {
            group = group.subcommand(leaf(operation, operation.command[1]));
        }
        root = root.subcommand(group);
    }
    root.subcommand(
        Command::new("completions")
            .about("Print a shell completion script.")
            .arg(
                Arg::new("shell")
                    .required(true)
                    .value_name("SHELL")
                    .help("The shell to complete for.")
                    .value_parser(clap::value_parser!(clap_complete::Shell)),
            ),
    )
    .subcommand(
        Command::new("man").about("Print the man page (roff), e.g. `recallr man > recallr.1`."),
    )
}

/// list, create, get, update, delete first; actions after, by name.
fn verb_rank(verb: &str) -> (usize, &str) {
    let rank = ["list", "create", "get", "update", "delete"]
        .iter()
        .position(|known| *known == verb)
        .unwrap_or(5);
    (rank, verb)
}

fn leaf(operation: &'static Operation, name: &'static str) -> Command {
    let mut about = operation.summary.to_string();
    if !about.ends_with('.') {
        about.push('.');
    }
    let mut long_about = about.clone();
    if !operation.description.is_empty() {
        long_about.push_str("\n\n");
        long_about.push_str(operation.description);
    }
    long_about.push_str(&format!(
        "\n\nSends {} {}.",
        operation.method, operation.path
    ));
    let mut command = Command::new(name)
        .about(about)
        .long_about(long_about)
        .after_long_help(AFTER_LONG_HELP);
    for param in operation.params {
        command = command.arg(param_arg(param, operation.has_body));
    }
    if operation.has_body {
        command = command.arg(
            Arg::new("body")
                .long("body")
                .value_name("JSON|@FILE|-")
                .help(
                    "The whole request body: JSON, @FILE or - (stdin), at most 1 MiB. \
                     Flags given too replace its fields.",
                ),
        );
    }
    if operation.method == "DELETE" {
        command = command.arg(
            Arg::new("yes")
                .long("yes")
                .action(ArgAction::SetTrue)
                .help("Delete for real; without it the command only says what it would delete."),
        );
    }
    if let Some(paging) = &operation.paging {
        let noun = operation.items.unwrap_or("items");
        command = command
            .arg(
                Arg::new("all")
                    .long("all")
                    .action(ArgAction::SetTrue)
                    .help(format!(
                        "Fetch every page, at the largest page size unless --{} says otherwise.",
                        flag_of(operation, paging.limit)
                    )),
            )
            .arg(
                Arg::new("max")
                    .long("max")
                    .value_name("N")
                    .requires("all")
                    .value_parser(clap::value_parser!(u64))
                    .help(format!("With --all: stop after N {noun}.")),
            )
            .arg(
                Arg::new("concurrency")
                    .long("concurrency")
                    .value_name("K")
                    .requires("all")
                    .default_value("1")
                    .value_parser(
                        clap::value_parser!(u64).range(1..=recallr_ext::MAX_CONCURRENCY as u64),
                    )
                    .help(match paging.pager {
                        Pager::Sessions => format!(
                            "With --all: fetch up to K pages at once (1 to {}).",
                            recallr_ext::MAX_CONCURRENCY
                        ),
                        // Where the generic pager plugs in (see run.rs).
                        Pager::OffsetWalk => format!(
                            "With --all: fetch up to K pages at once (1 to {}); this list's \
                             walk fetches one page at a time for now.",
                            recallr_ext::MAX_CONCURRENCY
                        ),
                    }),
            );
    }
    command
        .arg(
            Arg::new("format")
                .long("format")
                .value_name("FORMAT")
                .value_parser(["table", "json", "ndjson"])
                .help(
                    "Output format: table, json (the API's own JSON) or ndjson \
                     [default: table on a terminal, ndjson otherwise].",
                ),
        )
        .arg(
            Arg::new("base-url")
                .long("base-url")
                .value_name("URL")
                .env("RECALLR_BASE_URL")
                .hide_env_values(true)
                .help("The API's base URL [default: https://api.recallrai.com]."),
        )
        .arg(
            Arg::new("timeout")
                .long("timeout")
                .value_name("SECS")
                .value_parser(parse_timeout)
                .help("Per-request timeout in seconds."),
        )
        .arg(
            Arg::new("retries")
                .long("retries")
                .value_name("N")
                .value_parser(clap::value_parser!(u32))
                .help(
                    "How often a failed request is retried (0 disables retries) [default: 2]. \
                     A POST is retried only when it never reached the server.",
                ),
        )
        .arg(
            Arg::new("api-key-file")
                .long("api-key-file")
                .value_name("PATH")
                .value_parser(clap::value_parser!(std::path::PathBuf))
                .help("Read the API key from this file instead of $RECALLR_API_KEY."),
        )
}

fn flag_of(operation: &Operation, name: &str) -> &'static str {
    operation.param(name).map_or("limit", |param| param.flag)
}

fn param_arg(param: &'static Param, has_body: bool) -> Arg {
    let mut help = param.help.trim().to_string();
    if !help.ends_with('.') {
        help.push('.');
    }
    match (param.min, param.max) {
        (Some(min), Some(max)) => help.push_str(&format!(" {min} to {max}.")),
        (Some(min), None) => help.push_str(&format!(" At least {min}.")),
        (None, Some(max)) => help.push_str(&format!(" At most {max}.")),
        (None, None) => {}
    }
    if let Some(default) = param.default {
        help.push_str(&format!(" [API default: {default}]"));
    }
    if param.kind == Kind::Enum {
        help.push_str(" A value this build does not know is sent too, with a warning.");
    }
    if param.many {
        help.push_str(" Repeat for several.");
    }
    let value_name = match param.kind {
        Kind::Uuid => "UUID",
        Kind::Integer => "N",
        Kind::Number => "X",
        Kind::Boolean => "BOOL",
        Kind::DateTime => "RFC3339",
        Kind::Json | Kind::JsonText => "JSON",
        Kind::Enum => "VALUE",
        Kind::Text if param.place == Place::Path => "ID",
        Kind::Text => "TEXT",
    };
    let mut arg = Arg::new(param.name)
        .long(param.flag)
        .value_name(value_name)
        .help(help);
    if param.required {
        arg = if param.place == Place::Body && has_body {
            arg.required_unless_present("body")
        } else {
            arg.required(true)
        };
    }
    if param.many {
        arg = arg.action(ArgAction::Append);
    }
    match param.kind {
        Kind::Integer => arg.value_parser(Bounded::integer(param)),
        Kind::Number => arg.value_parser(Bounded::number(param)),
        Kind::Boolean => arg
            .num_args(0..=1)
            .require_equals(true)
            .default_missing_value("true")
            .value_parser(clap::value_parser!(bool)),
        Kind::Enum => arg.value_parser(Offered(param.values)),
        _ => arg,
    }
}

fn parse_timeout(value: &str) -> Result<f64, String> {
    match value.parse::<f64>() {
        Ok(seconds) if seconds.is_finite() && seconds > 0.0 && seconds <= 86_400.0 => Ok(seconds),
        _ => Err("expected a number of seconds greater than 0 (at most 86400)".to_string()),
    }
}

/// A number within the spec's bounds.
#[derive(Clone, Copy)]
struct Bounded {
    min: Option<f64>,
    max: Option<f64>,
}

impl Bounded {
    fn integer(param: &Param) -> impl TypedValueParser<Value = u64> {
        let bounds = Bounded {
            min: param.min,
            max: param.max,
        };
        move |text: &str| -> Result<u64, String> {
            let value = text
                .parse::<u64>()
                .map_err(|_| "expected a whole number, 0 or more".to_string())?;
            bounds.check(value as f64).map(|()| value)
        }
    }

    fn number(param: &Param) -> impl TypedValueParser<Value = f64> {
        let bounds = Bounded {
            min: param.min,
            max: param.max,
        };
        move |text: &str| -> Result<f64, String> {
            let value = text
                .parse::<f64>()
                .ok()
                .filter(|value| value.is_finite())
                .ok_or_else(|| "expected a number".to_string())?;
            bounds.check(value).map(|()| value)
        }
    }

    fn check(self, value: f64) -> Result<(), String> {
        let low = self.min.is_some_and(|min| value < min);
        let high = self.max.is_some_and(|max| value > max);
        if !(low || high) {
            return Ok(());
        }
        Err(match (self.min, self.max) {
            (Some(min), Some(max)) => format!("must be {min} to {max}"),
            (Some(min), None) => format!("must be at least {min}"),
            (None, Some(max)) => format!("must be at most {max}"),
            (None, None) => String::new(),
        })
    }
}

/// An enum flag: offers the spec's values (help, completions) and accepts
/// any other well-formed one, which the command warns about.
#[derive(Debug, Clone, Copy)]
struct Offered(&'static [&'static str]);

impl TypedValueParser for Offered {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &Command,
        arg: Option<&Arg>,
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
        // A value is a word of the API's alphabet; anything else (spaces,
        // control characters, an empty `--status=`) is refused here.
        let text = value.to_str().ok_or_else(invalid)?;
        let well_formed = !text.is_empty()
            && text.len() <= 64
            && text
                .bytes()
                .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_' || byte == b'-');
        if well_formed {
            Ok(text.to_string())
        } else {
            Err(invalid())
        }
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = PossibleValue> + '_>> {
        Some(Box::new(
            self.0.iter().map(|value| PossibleValue::new(*value)),
        ))
    }
}
