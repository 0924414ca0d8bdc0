//! Running one command: client setup, the `--yes` guard, sending through
//! the generated dispatch, paging with `--all`, and writing the answer.

use std::collections::HashSet;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;
use std::time::Duration;

use clap::ArgMatches;
use futures::TryStreamExt;
use recallr_ext::{Recallr, RecallrBuilder, RetryPolicy, SessionStatus};
use serde_json::Value;

use crate::commands;
use crate::exit::Failure;
use crate::input;
use crate::invocation::{Invocation, Sent, Streamed};
use crate::render::{Format, Renderer};
use crate::table::{Operation, Pager, Paging};

pub async fn run(operation: &'static Operation, matches: &ArgMatches) -> Result<(), Failure> {
    let mut invocation = Invocation::new(operation, matches);
    if operation.method == "DELETE" && !matches.get_flag("yes") {
        let target = invocation
            .target()
            .unwrap_or_else(|| operation.command.join(" "));
        return Err(Failure::usage(format!(
            "this would delete {target}; run it again with --yes to delete it"
        )));
    }
    invocation.warn_about_unknown_values();
    let client = client(matches)?;
    let format = match matches
        .get_one::<String>("format")
        .and_then(|name| Format::parse(name))
    {
        Some(format) => format,
        None if io::stdout().is_terminal() => Format::Table,
        None => Format::Ndjson,
    };
    let out = io::BufWriter::new(io::stdout().lock());
    let renderer = Renderer::new(out, format, operation);
    let streamed = operation
        .stream
        .is_some_and(|name| matches!(invocation.boolean(name), Ok(Some(true))));
    let all = operation.paging.is_some() && matches.get_flag("all");
    let written = match (&operation.paging, all) {
        _ if streamed => stream_events(&client, &invocation, renderer).await?,
        (Some(paging), true) if paging.pager == Pager::Sessions => {
            sessions_walk(&client, &invocation, renderer).await?
        }
        (Some(paging), true) => offset_walk(&client, &mut invocation, paging, renderer).await?,
        _ => match commands::send(&client, operation.id, &invocation).await {
            Sent::Input(failure) => return Err(failure),
            Sent::Answer(Err(error)) => return Err(Failure::from_api(error, &invocation)),
            Sent::Answer(Ok(answer)) => renderer.answer(&answer),
        },
    };
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Failure::other(format!("cannot write the output: {error}"))),
        Ok(()) => Ok(()),
    }
}

/// `--stream`: each server-sent event as it comes. Nothing is written
/// before the first event, so a failure to open leaves stdout empty.
async fn stream_events(
    client: &Recallr,
    invocation: &Invocation<'_>,
    mut renderer: Renderer<impl io::Write>,
) -> Result<io::Result<()>, Failure> {
    let mut events = match commands::send_stream(client, invocation.operation().id, invocation) {
        Streamed::Input(failure) => return Err(failure),
        Streamed::Events(events) => events,
    };
    loop {
        match events.try_next().await {
            Ok(Some(event)) => {
                if let Err(error) = renderer.event(&event) {
                    return Ok(Err(error));
                }
            }
            Ok(None) => return Ok(Ok(())),
            Err(error) => return Err(Failure::from_api(error, invocation)),
        }
    }
}

/// `--all` for lists the generic pager does not walk yet: pages by offset
/// and limit until `has_more` is false, dropping items seen before (by id).
/// THE GENERIC PAGER PLUGS IN HERE: when recallr-ext pages every list
/// (issue 19), this walk becomes a call to it. Its guarantee is the weak
/// one: no item twice; an item may be missed if others are deleted during
/// the walk, which is reported on stderr when the total shrinks.
async fn offset_walk<W: Write>(
    client: &Recallr,
    invocation: &mut Invocation<'_>,
    paging: &Paging,
    mut renderer: Renderer<W>,
) -> Result<io::Result<()>, Failure> {
    let operation = invocation.operation();
    let limit = match invocation.integer(paging.limit)? {
        Some(limit) => limit,
        None => operation
            .param(paging.limit)
            .and_then(|param| param.max)
            .map_or(100, |max| max as u64),
    };
    let max = invocation.matches().get_one::<u64>("max").copied();
    let mut offset = invocation.integer(paging.offset)?.unwrap_or(0);
    let items_field = operation.items.unwrap_or("items");
    let mut seen: HashSet<String> = HashSet::new();
    let mut begun = false;
    let mut written: u64 = 0;
    let mut first_total: Option<u64> = None;
    let mut total: Option<u64>;
    loop {
        invocation.set(paging.offset, offset);
        invocation.set(paging.limit, limit);
        let page = match commands::send(client, operation.id, invocation).await {
            Sent::Input(failure) => return Err(failure),
            Sent::Answer(Err(error)) => return Err(Failure::from_api(error, invocation)),
            Sent::Answer(Ok(page)) => page,
        };
        // Nothing is written before the first page, so that a failure
        // before it leaves stdout empty.
        if !begun {
            begun = true;
            if let Err(error) = renderer.begin() {
                return Ok(Err(error));
            }
        }
        let items = page
            .get(items_field)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        total = paging
            .total
            .and_then(|field| page.get(field))
            .and_then(Value::as_u64);
        if let (Some(first), Some(now)) = (first_total, total)
            && now < first
        {
            eprintln!(
                "warning: the list shrank from {first} to {now} items during the walk; items may have been missed (the API promises no order for this list)"
            );
            first_total = Some(now);
        }
        first_total = first_total.or(total);
        for item in &items {
            if max.is_some_and(|max| written >= max) {
                break;
            }
            let key = paging
                .id
                .and_then(|field| item.get(field))
                .map(Value::to_string);
            if let Some(key) = key
                && !seen.insert(key)
            {
                continue;
            }
            if let Err(error) = renderer.item(item) {
                return Ok(Err(error));
            }
            written += 1;
        }
        let has_more = page.get(paging.has_more).and_then(Value::as_bool) == Some(true);
        let next = offset.checked_add(items.len() as u64);
        match next {
            Some(next) if has_more && !items.is_empty() && max.is_none_or(|max| written < max) => {
                offset = next;
            }
            _ => break,
        }
    }
    Ok(renderer.finish(total))
}

/// `--all` for `sessions list`: recallr-ext's exactly-once sessions pager,
/// given the command's filters.
async fn sessions_walk<W: Write>(
    client: &Recallr,
    invocation: &Invocation<'_>,
    mut renderer: Renderer<W>,
) -> Result<io::Result<()>, Failure> {
    let operation = invocation.operation();
    let Some(paging) = &operation.paging else {
        return Err(Failure::other("sessions list has no paging"));
    };
    let user = invocation.required_text("custom_user_id")?;
    let statuses = operation
        .params
        .iter()
        .find(|param| param.many)
        .map(|param| invocation.texts(param.name))
        .unwrap_or_default();
    let metadata = operation
        .params
        .iter()
        .find(|param| param.kind == crate::table::Kind::JsonText)
        .map(|param| invocation.text(param.name))
        .transpose()?
        .flatten();
    let mut request = client
        .user(user)
        .sessions()
        .statuses(
            statuses
                .iter()
                .map(|status| SessionStatus::from(status.as_str())),
        )
        .offset(invocation.integer(paging.offset)?.unwrap_or(0))
        .page_size(
            invocation
                .integer(paging.limit)?
                .unwrap_or(recallr_ext::MAX_PAGE_SIZE),
        )
        .concurrency(
            invocation
                .matches()
                .get_one::<u64>("concurrency")
                .and_then(|k| usize::try_from(*k).ok())
                .unwrap_or(1),
        );
    if let Some(metadata) = metadata {
        let filter: Value = serde_json::from_str(&metadata)
            .map_err(|error| Failure::usage(format!("the metadata filter: {error}")))?;
        request = request.metadata(&filter);
    }
    if let Some(max) = invocation.matches().get_one::<u64>("max") {
        request = request.max_items(*max);
    }
    let progress = Progress::new();
    let mut pages = request.pages();
    let mut begun = false;
    let mut total = 0;
    let mut items = 0;
    loop {
        let page = match pages.try_next().await {
            Ok(Some(page)) => page,
            Ok(None) => break,
            Err(error) => return Err(Failure::from_api(error, invocation)),
        };
        if !begun {
            begun = true;
            if let Err(error) = renderer.begin() {
                return Ok(Err(error));
            }
        }
        total = page.total;
        items += page.sessions.len() as u64;
        progress.update(pages.stats().pages_fetched, items, total);
        for session in &page.sessions {
            let value = serde_json::to_value(session)
                .map_err(|error| Failure::other(format!("cannot write a session: {error}")))?;
            if let Err(error) = renderer.item(&value) {
                return Ok(Err(error));
            }
        }
    }
    drop(progress);
    if !begun && let Err(error) = renderer.begin() {
        return Ok(Err(error));
    }
    Ok(renderer.finish(Some(total)))
}

fn client(matches: &ArgMatches) -> Result<Recallr, Failure> {
    let key_from_file = matches
        .get_one::<PathBuf>("api-key-file")
        .map(|path| input::read_key_file(path))
        .transpose()?;
    for name in [
        recallr_ext::ENV_API_KEY,
        recallr_ext::ENV_PROJECT_ID,
        recallr_ext::ENV_BASE_URL,
    ] {
        if key_from_file.is_some() && name == recallr_ext::ENV_API_KEY {
            continue;
        }
        if let Err(std::env::VarError::NotUnicode(_)) = std::env::var(name) {
            return Err(Failure::usage(format!(
                "{name} is set but is not valid UTF-8"
            )));
        }
    }
    let lookup = |name: &str| match (&key_from_file, name) {
        (Some(key), recallr_ext::ENV_API_KEY) => Some(key.clone()),
        _ => std::env::var(name).ok(),
    };
    let mut builder = RecallrBuilder::from_env_with(lookup)?;
    if let Some(base_url) = matches.get_one::<String>("base-url") {
        builder = builder.base_url(base_url);
    }
    if let Some(seconds) = matches.get_one::<f64>("timeout") {
        builder = builder.timeout(Duration::from_secs_f64(*seconds));
    }
    // Which failures may be retried at all is the operation's rule in
    // recallr-ext (a POST only when it never reached the server).
    if let Some(retries) = matches.get_one::<u32>("retries") {
        builder = builder.retry_policy(RetryPolicy::default().max_retries(*retries));
    }
    Ok(builder.build()?)
}

/// Progress on stderr, only when stderr is a terminal; cleared when
/// dropped, so on every way out of the walk, an error included.
struct Progress(Option<indicatif::ProgressBar>);

impl Progress {
    fn new() -> Self {
        Self(io::stderr().is_terminal().then(|| {
            let bar = indicatif::ProgressBar::new_spinner();
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        }))
    }

    fn update(&self, pages: u64, items: u64, total: u64) {
        if let Some(bar) = &self.0 {
            bar.set_message(format!("pages {pages}, items {items} of {total}"));
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if let Some(bar) = &self.0 {
            bar.finish_and_clear();
        }
    }
}
