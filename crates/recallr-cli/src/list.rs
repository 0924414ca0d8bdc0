//! `recallr sessions list`.

use std::io::{self, IsTerminal, Read, Write};
use std::path::Path;
use std::time::Duration;

use futures::TryStreamExt;
use recallr_ext::{ListSessions, Recallr, RecallrBuilder, RetryPolicy, SessionStatus};

use crate::args::{Format, ListArgs};
use crate::exit::Failure;
use crate::render::Renderer;

pub async fn run(args: ListArgs) -> Result<(), Failure> {
    let metadata = args.metadata.as_deref().map(parse_metadata).transpose()?;
    let client = client(&args)?;
    let format = args.format.unwrap_or(if io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Ndjson
    });
    warn_about_unknown_statuses(&args.statuses);
    let mut request = client
        .user(&args.user)
        .sessions()
        .statuses(
            args.statuses
                .iter()
                .map(|status| SessionStatus::from(status.as_str())),
        )
        .offset(args.offset);
    if let Some(filter) = &metadata {
        request = request.metadata(filter);
    }
    let stdout = io::stdout().lock();
    let out = io::BufWriter::new(stdout);
    let written = if args.all {
        // Pages as large as the API allows, unless --limit says otherwise.
        request = request
            .page_size(args.limit.unwrap_or(recallr_ext::MAX_PAGE_SIZE))
            .concurrency(usize::try_from(args.concurrency).unwrap_or(1));
        if let Some(max) = args.max {
            request = request.max_items(max);
        }
        list_all(request, Renderer::new(out, format)).await?
    } else {
        if let Some(limit) = args.limit {
            request = request.page_size(limit);
        }
        let page = request.send().await?;
        Renderer::new(out, format).page(&page)
    };
    match written {
        // A closed pipe (`| head`) is the reader's choice, not a failure.
        Err(error) if error.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        Err(error) => Err(Failure::other(format!("cannot write the output: {error}"))),
        Ok(()) => Ok(()),
    }
}

/// Streams every page; returns the outcome of writing so that a closed
/// pipe can end the walk early without being an error.
async fn list_all<W: Write>(
    request: ListSessions,
    mut renderer: Renderer<W>,
) -> Result<io::Result<()>, Failure> {
    let progress = Progress::new();
    let mut pages = request.pages();
    // Nothing is written until the first page arrives, so that a failure
    // before it (a bad key, say) leaves stdout empty.
    let mut begun = false;
    let mut total = 0;
    let mut items = 0;
    while let Some(page) = pages.try_next().await? {
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
            if let Err(error) = renderer.session(session) {
                return Ok(Err(error));
            }
        }
    }
    // Gone before the footer is written.
    drop(progress);
    if !begun && let Err(error) = renderer.begin() {
        return Ok(Err(error));
    }
    Ok(renderer.finish(total))
}

fn client(args: &ListArgs) -> Result<Recallr, Failure> {
    // The file's path is not echoed in errors: it might be the key itself,
    // typed in the wrong place.
    let key_from_file = args
        .api_key_file
        .as_deref()
        .map(read_key_file)
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
    if let Some(base_url) = &args.base_url {
        builder = builder.base_url(base_url);
    }
    if let Some(seconds) = args.timeout {
        builder = builder.timeout(Duration::from_secs_f64(seconds));
    }
    if let Some(retries) = args.retries {
        builder = builder.retry_policy(RetryPolicy::default().max_retries(retries));
    }
    Ok(builder.build()?)
}

/// The most of a key file that is read: keys are tens of bytes.
const KEY_FILE_LIMIT: u64 = 4096;

/// Reads the key from a regular file of at most [`KEY_FILE_LIMIT`] bytes.
/// The file's path is not echoed in errors: it might be the key itself,
/// typed in the wrong place.
fn read_key_file(path: &Path) -> Result<String, Failure> {
    let cannot = |error: io::Error| {
        Failure::usage(format!(
            "cannot read the file given to --api-key-file: {error}"
        ))
    };
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    // Opening a FIFO for reading blocks until a writer comes; non-blocking,
    // it opens at once and is refused below as not a regular file.
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::custom_flags(&mut options, libc::O_NONBLOCK);
    let file = options.open(path).map_err(cannot)?;
    let metadata = file.metadata().map_err(cannot)?;
    if !metadata.is_file() {
        return Err(Failure::usage(
            "the file given to --api-key-file is not a regular file (a device, FIFO or directory cannot hold a key)",
        ));
    }
    if metadata.len() > KEY_FILE_LIMIT {
        return Err(Failure::usage(format!(
            "the file given to --api-key-file is {} bytes; a key file holds at most {KEY_FILE_LIMIT}",
            metadata.len()
        )));
    }
    let mut bytes = Vec::new();
    // Bounded even if the file grows while it is read.
    file.take(KEY_FILE_LIMIT + 1)
        .read_to_end(&mut bytes)
        .map_err(cannot)?;
    if bytes.len() as u64 > KEY_FILE_LIMIT {
        return Err(Failure::usage(format!(
            "the file given to --api-key-file holds more than {KEY_FILE_LIMIT} bytes"
        )));
    }
    let key = String::from_utf8(bytes)
        .map_err(|_| Failure::usage("the file given to --api-key-file is not UTF-8 text"))?;
    let key = key.trim().to_string();
    if key.is_empty() {
        return Err(Failure::usage("the file given to --api-key-file is empty"));
    }
    Ok(key)
}

fn parse_metadata(text: &str) -> Result<serde_json::Value, Failure> {
    match serde_json::from_str(text) {
        Ok(value @ serde_json::Value::Object(_)) => Ok(value),
        Ok(_) => Err(Failure::usage(
            "--metadata must be a JSON object, e.g. '{\"topic\":\"billing\"}'",
        )),
        Err(error) => Err(Failure::usage(format!(
            "--metadata is not valid JSON: {error}"
        ))),
    }
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

/// A status this build does not know is sent anyway (the server may be newer
/// than the spec this client was generated from), with a warning in case it
/// is a typo.
fn warn_about_unknown_statuses(statuses: &[String]) {
    for status in statuses {
        if !SessionStatus::from(status.as_str()).is_known() {
            let known: Vec<&str> = SessionStatus::KNOWN
                .iter()
                .map(SessionStatus::as_str)
                .collect();
            eprintln!(
                "warning: `{status}` is not a status this build knows ({}); sending it anyway, as a newer server may have it",
                known.join(", ")
            );
        }
    }
}
