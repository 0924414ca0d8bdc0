//! [`Recallr`], the client, and how to configure it.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderName, HeaderValue, USER_AGENT};
use uuid::Uuid;

use crate::error::Error;
use crate::redact::Redactor;
use crate::retry::RetryPolicy;

const DEFAULT_BASE_URL: &str = "https://api.recallrai.com";
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(30);
const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

// The variable names are public for front ends that read or report the
// same variables, as the `recallr` command does.

/// The variable [`Recallr::from_env`] reads the API key from.
pub const ENV_API_KEY: &str = "RECALLR_API_KEY";
/// The variable [`Recallr::from_env`] reads the project ID from.
pub const ENV_PROJECT_ID: &str = "RECALLR_PROJECT_ID";
/// The variable [`Recallr::from_env`] reads an optional base URL from.
pub const ENV_BASE_URL: &str = "RECALLR_BASE_URL";

const API_KEY_HEADER: &str = "x-recallr-api-key";
const PROJECT_ID_HEADER: &str = "x-recallr-project-id";
const API_KEY_PREFIX: &str = "rai_";

/// A RecallrAI client. Cheap to clone: clones share one connection pool.
///
/// ```
/// # fn main() -> Result<(), recallr_ext::Error> {
/// let client = recallr_ext::Recallr::builder()
///     .api_key("rai_example")
///     .project_id("00000000-0000-4000-8000-000000000000")
///     .build()?;
/// let request = client.user("user-1").sessions().page_size(100);
/// # let _ = request;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct Recallr {
    inner: Arc<Inner>,
}

struct Inner {
    api: recallr_api::Client,
    base_url: String,
    project_id: Uuid,
    retry: RetryPolicy,
    operation_timeout: Option<Duration>,
    /// Scrubs the key from text the server sends back (a proxy may echo
    /// request headers); never printed.
    redactor: Redactor,
}

impl fmt::Debug for Recallr {
    // The API key lives only in a sensitive header value, never printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Recallr")
            .field("base_url", &self.inner.base_url)
            .field("project_id", &self.inner.project_id)
            .field("retry", &self.inner.retry)
            .field("operation_timeout", &self.inner.operation_timeout)
            .finish_non_exhaustive()
    }
}

impl Recallr {
    /// Starts configuring a client.
    pub fn builder() -> RecallrBuilder {
        RecallrBuilder::default()
    }

    /// A client configured from `RECALLR_API_KEY`, `RECALLR_PROJECT_ID` and
    /// (optionally) `RECALLR_BASE_URL`. A missing, empty or non-UTF-8
    /// variable is an [`Error::Config`] that names it.
    pub fn from_env() -> Result<Self, Error> {
        RecallrBuilder::from_env()?.build()
    }

    /// The base URL requests go to.
    pub fn base_url(&self) -> &str {
        &self.inner.base_url
    }

    /// The project the client acts for.
    pub fn project_id(&self) -> Uuid {
        self.inner.project_id
    }

    pub(crate) fn api(&self) -> &recallr_api::Client {
        &self.inner.api
    }

    pub(crate) fn retry_policy(&self) -> &RetryPolicy {
        &self.inner.retry
    }

    pub(crate) fn redactor(&self) -> &Redactor {
        &self.inner.redactor
    }

    pub(crate) fn operation_timeout(&self) -> Option<Duration> {
        self.inner.operation_timeout
    }
}

/// Configuration for [`Recallr`]; see [`Recallr::builder`].
///
/// The API key is checked when [`build`](Self::build) runs: it must be
/// non-empty and fit in an HTTP header. A key that does not start with
/// `rai_` (all RecallrAI keys do) is *accepted with a warning* logged through
/// `tracing`, not refused: the server is the authority on keys, a change of
/// key format should not break deployed clients, and a wrong key still gets a
/// clear [`Error::Unauthorized`]. The project ID must be a UUID, or `build`
/// fails before any request is sent.
#[derive(Clone, Default)]
pub struct RecallrBuilder {
    api_key: Option<String>,
    project_id: Option<String>,
    base_url: Option<String>,
    timeout: Option<Duration>,
    connect_timeout: Option<Duration>,
    operation_timeout: Option<Duration>,
    retry: Option<RetryPolicy>,
    user_agent: Option<String>,
    http_client: Option<reqwest::Client>,
    max_response_bytes: Option<usize>,
}

impl fmt::Debug for RecallrBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecallrBuilder")
            .field("api_key", &self.api_key.as_ref().map(|_| "<redacted>"))
            .field("project_id", &self.project_id)
            .field("base_url", &self.base_url)
            .field("timeout", &self.timeout)
            .field("connect_timeout", &self.connect_timeout)
            .field("operation_timeout", &self.operation_timeout)
            .field("retry", &self.retry)
            .field("user_agent", &self.user_agent)
            .field("max_response_bytes", &self.max_response_bytes)
            .field("http_client", &self.http_client.is_some())
            .finish()
    }
}

impl RecallrBuilder {
    /// A builder filled from the environment, as [`Recallr::from_env`]
    /// reads it. A variable that is set but not valid UTF-8 is an
    /// [`Error::Config`] that says so (not "not set").
    pub fn from_env() -> Result<Self, Error> {
        for name in [ENV_API_KEY, ENV_PROJECT_ID, ENV_BASE_URL] {
            check_env_unicode(name)?;
        }
        Self::from_env_with(|name| std::env::var(name).ok())
    }

    /// A builder filled from variables looked up with `lookup` (the
    /// environment, in [`Recallr::from_env`]; a secret store, or a map in
    /// tests). `RECALLR_API_KEY` and `RECALLR_PROJECT_ID` are required;
    /// `RECALLR_BASE_URL` is optional but must not be empty when set.
    ///
    /// ```
    /// use recallr_ext::RecallrBuilder;
    ///
    /// let error = RecallrBuilder::from_env_with(|_| None).unwrap_err();
    /// assert!(error.to_string().contains("RECALLR_API_KEY"));
    /// ```
    pub fn from_env_with(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, Error> {
        let required = |name: &str| match lookup(name) {
            Some(value) if !value.trim().is_empty() => Ok(value),
            Some(_) => Err(Error::config(format!("{name} is set but empty"))),
            None => Err(Error::config(format!("{name} is not set"))),
        };
        let mut builder = Self::default()
            .api_key(required(ENV_API_KEY)?)
            .project_id(required(ENV_PROJECT_ID)?);
        if lookup(ENV_BASE_URL).is_some() {
            builder = builder.base_url(required(ENV_BASE_URL)?);
        }
        Ok(builder)
    }

    /// The secret API key (`X-Recallr-Api-Key`).
    pub fn api_key(mut self, api_key: impl Into<String>) -> Self {
        self.api_key = Some(api_key.into());
        self
    }

    /// The project ID (`X-Recallr-Project-Id`), a UUID.
    pub fn project_id(mut self, project_id: impl Into<String>) -> Self {
        self.project_id = Some(project_id.into());
        self
    }

    /// Where to send requests; defaults to `https://api.recallrai.com`.
    pub fn base_url(mut self, base_url: impl Into<String>) -> Self {
        self.base_url = Some(base_url.into());
        self
    }

    /// The whole-request timeout of the built-in HTTP client (default
    /// 30 s). Not allowed with [`http_client`](Self::http_client):
    /// configure that client's timeouts instead.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// The connect timeout of the built-in HTTP client (default
    /// 10 s). Not allowed with
    /// [`http_client`](Self::http_client).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = Some(timeout);
        self
    }

    /// The longest one call may take, retries and the waits between them
    /// included: any request's `send`, one page's fetch in the pager's
    /// streams, or a `send_stream` until its final event. When it runs out the call fails with
    /// [`Error::Timeout`], and a retry that could not finish in time is not
    /// started. Default: none, so a call may take up to
    /// `(retries + 1) × timeout` plus the waits between attempts.
    pub fn operation_timeout(mut self, timeout: Duration) -> Self {
        self.operation_timeout = Some(timeout);
        self
    }

    /// How failed requests are retried (default: [`RetryPolicy::default`]).
    pub fn retry_policy(mut self, retry: RetryPolicy) -> Self {
        self.retry = Some(retry);
        self
    }

    /// The most bytes of a response body that are read (default:
    /// [`DEFAULT_MAX_RESPONSE_BYTES`](crate::DEFAULT_MAX_RESPONSE_BYTES), 32 MiB). Past it the call
    /// fails with [`Error::Decode`] and memory stays bounded whatever the
    /// server or a proxy sends.
    pub fn max_response_bytes(mut self, bytes: usize) -> Self {
        self.max_response_bytes = Some(bytes);
        self
    }

    /// The `User-Agent` header; defaults to `recallr-rs/<version>`.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = Some(user_agent.into());
        self
    }

    /// Sends requests through this `reqwest::Client` (for a proxy, custom
    /// TLS roots, or a shared pool). The credentials are still added to
    /// every request.
    ///
    /// Build it with `.redirect(reqwest::redirect::Policy::none())`, as the
    /// built-in client is: reqwest's default policy follows redirects to
    /// other hosts and resends the API key header there.
    pub fn http_client(mut self, client: reqwest::Client) -> Self {
        self.http_client = Some(client);
        self
    }

    /// Checks the configuration and builds the client. Nothing is sent.
    pub fn build(self) -> Result<Recallr, Error> {
        let api_key = self.api_key.ok_or_else(|| {
            Error::config(format!("no API key: call .api_key() or set {ENV_API_KEY}"))
        })?;
        let project_id = self.project_id.ok_or_else(|| {
            Error::config(format!(
                "no project ID: call .project_id() or set {ENV_PROJECT_ID}"
            ))
        })?;
        // The rejected value is not echoed: it may be the API key, passed in
        // the wrong place.
        let project_id = Uuid::parse_str(project_id.trim()).map_err(|_| {
            Error::config(format!(
                "the project ID is not a UUID (expected 36 characters such as {})",
                Uuid::nil()
            ))
        })?;
        let base_url = normalize_base_url(self.base_url.as_deref().unwrap_or(DEFAULT_BASE_URL))?;
        let headers = default_headers(
            &api_key,
            project_id,
            self.user_agent
                .as_deref()
                .unwrap_or(concat!("recallr-rs/", env!("CARGO_PKG_VERSION"))),
        )?;
        let http = match self.http_client {
            Some(client) => {
                if self.timeout.is_some() || self.connect_timeout.is_some() {
                    return Err(Error::config(
                        "timeout and connect_timeout configure the built-in HTTP client; set them on the reqwest::Client passed to http_client instead",
                    ));
                }
                client
            }
            // Redirects are not followed: the API has no reason to redirect,
            // and reqwest would resend the key header to any host.
            None => reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .timeout(self.timeout.unwrap_or(DEFAULT_TIMEOUT))
                .connect_timeout(self.connect_timeout.unwrap_or(DEFAULT_CONNECT_TIMEOUT))
                .build()
                .map_err(|err| Error::config(format!("cannot build the HTTP client: {err}")))?,
        };
        Ok(Recallr {
            inner: Arc::new(Inner {
                api: recallr_api::Client::new_with_client(
                    &base_url,
                    http,
                    recallr_api::ClientState::new(
                        headers,
                        self.max_response_bytes
                            .unwrap_or(recallr_api::DEFAULT_MAX_RESPONSE_BYTES),
                    ),
                ),
                base_url,
                project_id,
                retry: self.retry.unwrap_or_default(),
                operation_timeout: self.operation_timeout,
                redactor: Redactor::new(api_key.trim()),
            }),
        })
    }
}

/// A variable that is set but not UTF-8 is its own error, not "not set".
fn check_env_unicode(name: &str) -> Result<(), Error> {
    match std::env::var(name) {
        Err(std::env::VarError::NotUnicode(_)) => Err(Error::config(format!(
            "{name} is set but is not valid UTF-8"
        ))),
        _ => Ok(()),
    }
}

/// The rejected value is never echoed: it may hold a password, or be the
/// API key put in the wrong variable.
fn normalize_base_url(base_url: &str) -> Result<String, Error> {
    let parsed = reqwest::Url::parse(base_url.trim())
        .map_err(|err| Error::config(format!("the base URL is not a URL: {err}")))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err(Error::config(
            "the base URL must start with http:// or https://",
        ));
    }
    if !parsed.username().is_empty() || parsed.password().is_some() {
        return Err(Error::config(
            "the base URL must not contain a user name or password: the API key authenticates requests",
        ));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(Error::config(
            "the base URL must not have a query or fragment",
        ));
    }
    // The generated client appends "/api/v1/...": no trailing slash.
    Ok(parsed.as_str().trim_end_matches('/').to_string())
}

fn default_headers(api_key: &str, project_id: Uuid, user_agent: &str) -> Result<HeaderMap, Error> {
    let api_key = api_key.trim();
    if api_key.is_empty() {
        return Err(Error::config("the API key is empty"));
    }
    if !api_key.starts_with(API_KEY_PREFIX) {
        tracing::warn!(
            "the API key does not start with `{API_KEY_PREFIX}` as RecallrAI keys do; the server will likely answer 401"
        );
    }
    // The error must not echo the key, so it says only what is wrong.
    let mut key = HeaderValue::from_str(api_key).map_err(|_| {
        Error::config("the API key contains characters that cannot be sent in an HTTP header")
    })?;
    key.set_sensitive(true);
    let user_agent = HeaderValue::from_str(user_agent).map_err(|_| {
        Error::config("the user agent contains characters that cannot be sent in an HTTP header")
    })?;
    let project_id = HeaderValue::from_str(&project_id.to_string())
        .map_err(|_| Error::config("the project ID cannot be sent in an HTTP header"))?;

    let mut headers = HeaderMap::with_capacity(3);
    headers.insert(HeaderName::from_static(API_KEY_HEADER), key);
    headers.insert(HeaderName::from_static(PROJECT_ID_HEADER), project_id);
    headers.insert(USER_AGENT, user_agent);
    Ok(headers)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base_urls_are_checked_and_normalized() {
        assert_eq!(
            normalize_base_url("http://127.0.0.1:8080/").ok().as_deref(),
            Some("http://127.0.0.1:8080")
        );
        assert_eq!(
            normalize_base_url("https://example.test/prefix/")
                .ok()
                .as_deref(),
            Some("https://example.test/prefix")
        );
        for bad in [
            "",
            "not a url",
            "ftp://example.test",
            "http://h/?q=1",
            "http://user:hunter2@h/",
        ] {
            let error = normalize_base_url(bad).expect_err(bad).to_string();
            assert!(!error.contains("hunter2"), "{error}");
        }
    }
}
