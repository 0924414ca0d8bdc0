//! Reading the upstream document: a local file, or an HTTP(S) URL.

use std::fmt;
use std::path::PathBuf;
use std::time::Duration;

use crate::error::XtaskError;

/// Upstream documents larger than this are refused rather than buffered:
/// a real OpenAPI document is a few hundred kilobytes.
const MAX_BYTES: usize = 32 * 1024 * 1024;

/// How many same-origin redirects a download follows.
const MAX_REDIRECTS: usize = 5;

/// Where the upstream document comes from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// A file on disk.
    File(PathBuf),
    /// An `http://` or `https://` URL.
    Url(String),
}

impl Source {
    /// Reads `--from`: a URL if it starts with `http://` or `https://`, any
    /// other `scheme://` is refused, everything else is a file path.
    pub fn parse(from: &str) -> Result<Source, XtaskError> {
        let lower = from.to_ascii_lowercase();
        if lower.starts_with("http://") || lower.starts_with("https://") {
            Ok(Source::Url(from.to_string()))
        } else if from.contains("://") {
            Err(XtaskError::Import {
                document: redact_url(from),
                message: "unsupported URL scheme: give an http:// or https:// URL, or a file path"
                    .to_string(),
            })
        } else {
            Ok(Source::File(PathBuf::from(from)))
        }
    }
}

impl Source {
    /// What the provenance record keeps as the source: the path or URL, but
    /// never a URL whose credentials were redacted (it could not be fetched
    /// again): then a note, which is not a URL, so the sync workflow reads
    /// the URL from its `RECALLR_OPENAPI_URL` variable instead.
    pub fn recordable(&self) -> String {
        match self {
            Source::Url(url) if has_credentials(url) => format!(
                "not recorded: a URL with credentials ({}); the sync reads it from RECALLR_OPENAPI_URL",
                redact_url(url)
            ),
            source => source.to_string(),
        }
    }
}

/// Whether [`redact_url`] removes anything but a fragment from `url`.
fn has_credentials(url: &str) -> bool {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            parsed.set_fragment(None);
            parsed.as_str() != redact_url(url)
        }
        Err(_) => true,
    }
}

/// Shown with any credentials removed (see [`redact_url`]): this text goes
/// into the report, errors and the provenance file.
impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::File(path) => write!(f, "{}", path.display()),
            Source::Url(url) => f.write_str(&redact_url(url)),
        }
    }
}

/// Query parameters whose values are secrets when their names contain one
/// of these (case-insensitive).
const SECRET_QUERY_NAMES: [&str; 10] = [
    "jwt",
    "token",
    "key",
    "secret",
    "password",
    "auth",
    "sig",
    "credential",
    "session",
    "code",
];

/// `url` without `user:password@`, with the values of secret-looking query
/// parameters replaced by `REDACTED`, and without a fragment. A URL that does
/// not parse is shown as `<unparsable URL>` rather than risk echoing a secret.
pub fn redact_url(url: &str) -> String {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return "<unparsable URL>".to_string();
    };
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    parsed.set_fragment(None);
    if parsed.query().is_some() {
        let pairs: Vec<(String, String)> = parsed
            .query_pairs()
            .map(|(name, value)| {
                let lower = name.to_ascii_lowercase();
                let secret = SECRET_QUERY_NAMES.iter().any(|word| lower.contains(word));
                let value = if secret {
                    "REDACTED".to_string()
                } else {
                    value.into_owned()
                };
                (name.into_owned(), value)
            })
            .collect();
        parsed.query_pairs_mut().clear().extend_pairs(pairs);
    }
    parsed.to_string()
}

/// The bytes of the upstream document and when they were read.
#[derive(Debug, Clone)]
pub struct Fetched {
    /// The document's bytes, exactly as received.
    pub bytes: Vec<u8>,
    /// When they were read, RFC 3339 in UTC.
    pub fetched_at: String,
}

/// Reads `source`; a URL must answer with a 2xx status within `timeout`.
pub fn fetch(source: &Source, timeout: Duration) -> Result<Fetched, XtaskError> {
    let fetched_at = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true);
    let bytes = match source {
        // Bounded, and only a regular file: `/dev/zero` or a FIFO is refused.
        Source::File(path) => crate::bounded_read::read(path, MAX_BYTES as u64)?,
        Source::Url(url) => download(url, timeout).map_err(|message| XtaskError::Fetch {
            url: redact_url(url),
            message,
        })?,
    };
    Ok(Fetched { bytes, fetched_at })
}

fn download(url: &str, timeout: Duration) -> Result<Vec<u8>, String> {
    let parsed = reqwest::Url::parse(url).map_err(|err| format!("not a valid URL: {err}"))?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the HTTP runtime: {err}"))?;
    runtime.block_on(async {
        let origin = parsed.origin();
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            // No `Referer`: the URL may carry a credential.
            .referer(false)
            // Same-origin redirects only: never to another host, and never
            // from https down to http.
            .redirect(reqwest::redirect::Policy::custom(move |attempt| {
                if attempt.previous().len() >= MAX_REDIRECTS {
                    attempt.error(format!("more than {MAX_REDIRECTS} redirects"))
                } else if attempt.url().origin() == origin {
                    attempt.follow()
                } else {
                    let to = redact_url(attempt.url().as_str());
                    attempt.error(format!(
                        "a redirect to another origin ({to}) is refused: give the document's own URL"
                    ))
                }
            }))
            .user_agent(concat!("recallr-rs-xtask/", env!("CARGO_PKG_VERSION")));
        if is_loopback(&parsed) {
            // A proxy from the environment must not capture local servers.
            builder = builder.no_proxy();
        }
        let client = builder.build().map_err(|err| describe(&err))?;
        let mut response = client
            .get(parsed)
            .header(reqwest::header::ACCEPT, "application/json")
            .send()
            .await
            .map_err(|err| describe(&err))?;
        let status = response.status();
        if !status.is_success() {
            return Err(format!("the server answered HTTP {status}"));
        }
        let mut bytes = Vec::new();
        while let Some(chunk) = response.chunk().await.map_err(|err| describe(&err))? {
            if bytes.len() + chunk.len() > MAX_BYTES {
                return Err(format!("the document is larger than {MAX_BYTES} bytes"));
            }
            bytes.extend_from_slice(&chunk);
        }
        Ok(bytes)
    })
}

fn is_loopback(url: &reqwest::Url) -> bool {
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// reqwest's own message names the URL only; the causes (refused, timed
/// out, bad certificate) are in the source chain.
fn describe(err: &reqwest::Error) -> String {
    let mut message = if err.is_timeout() {
        "timed out".to_string()
    } else {
        let mut text = err.to_string();
        // "error sending request for url (...)": the URL is already named.
        if let Some(start) = text.find(" for url (") {
            text.truncate(start);
        }
        text
    };
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        let text = cause.to_string();
        if !message.contains(&text) {
            message.push_str(": ");
            message.push_str(&text);
        }
        source = cause.source();
    }
    message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_is_a_url_or_a_path() {
        assert_eq!(
            Source::parse("https://example.invalid/openapi.json").ok(),
            Some(Source::Url("https://example.invalid/openapi.json".into()))
        );
        assert_eq!(
            Source::parse("openapi.json").ok(),
            Some(Source::File("openapi.json".into()))
        );
        let refused = Source::parse("ftp://example.invalid/openapi.json");
        assert!(matches!(refused, Err(XtaskError::Import { .. })));
    }

    #[test]
    fn credentials_never_reach_the_shown_url() {
        let source = Source::parse(
            "https://user:hunter2@example.invalid/openapi.json?version=2&access_token=s3cret&apiKey=k#frag",
        )
        .expect("a URL");
        assert_eq!(
            source.to_string(),
            "https://example.invalid/openapi.json?version=2&access_token=REDACTED&apiKey=REDACTED"
        );
        assert_eq!(redact_url("https://exa mple/%"), "<unparsable URL>");
    }
}
