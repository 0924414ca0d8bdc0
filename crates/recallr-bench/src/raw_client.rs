//! The baseline: what a Rust user would hand-write with `reqwest` and
//! `serde_json`, with no pager, retries or typed errors.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use serde::Deserialize;

use crate::error::BenchError;
use crate::{API_KEY, PROJECT_ID};

/// A page, decoded into the least a user would keep.
#[derive(Debug, Deserialize)]
pub struct MinimalPage {
    /// The page's sessions.
    pub sessions: Vec<MinimalSession>,
    /// Matching sessions in all.
    pub total: u64,
    /// Whether more follow.
    pub has_more: bool,
}

/// A session with its fields as plain strings and a JSON value.
#[derive(Debug, Deserialize)]
pub struct MinimalSession {
    /// The id, not parsed as a UUID.
    pub session_id: String,
    /// The status, not parsed into an enum.
    pub status: Option<String>,
    /// The timestamp, not parsed as a date.
    pub created_at: String,
    /// The metadata, as a JSON value.
    pub metadata: serde_json::Value,
}

/// A `reqwest` client that sends the stub's credentials.
pub fn client() -> Result<reqwest::Client, BenchError> {
    let mut headers = HeaderMap::new();
    headers.insert(
        HeaderName::from_static("x-recallr-api-key"),
        HeaderValue::from_static(API_KEY),
    );
    headers.insert(
        HeaderName::from_static("x-recallr-project-id"),
        HeaderValue::from_static(PROJECT_ID),
    );
    reqwest::Client::builder()
        .default_headers(headers)
        .build()
        .map_err(|err| BenchError::measure("the baseline reqwest client", err))
}

/// One List Sessions request: `(offset, limit, status filter)`.
#[derive(Debug, Clone)]
pub struct PageRequest<'a> {
    /// Sessions to skip.
    pub offset: u64,
    /// Page size.
    pub limit: u64,
    /// A `status_filter` value, if any.
    pub status: Option<&'a str>,
}

/// Sends one request and returns the decoded page and the round-trip time
/// (until the whole body is read; decoding is not timed).
pub async fn fetch(
    client: &reqwest::Client,
    base_url: &str,
    user: &str,
    request: &PageRequest<'_>,
) -> Result<(MinimalPage, Duration), BenchError> {
    let url = format!("{base_url}/api/v1/users/{user}/sessions");
    let mut query = vec![
        ("offset", request.offset.to_string()),
        ("limit", request.limit.to_string()),
    ];
    if let Some(status) = request.status {
        query.push(("status_filter", status.to_string()));
    }
    let what = "a baseline request";
    let started = Instant::now();
    let response = client
        .get(url)
        .query(&query)
        .send()
        .await
        .map_err(|err| BenchError::measure(what, err))?;
    let status = response.status();
    let body = response
        .bytes()
        .await
        .map_err(|err| BenchError::measure(what, err))?;
    let elapsed = started.elapsed();
    if !status.is_success() {
        return Err(BenchError::measure(
            what,
            format!(
                "the stub answered {status}: {}",
                String::from_utf8_lossy(&body)
            ),
        ));
    }
    Ok((decode(&body)?, elapsed))
}

/// Decodes a page body into [`MinimalPage`].
pub fn decode(body: &[u8]) -> Result<MinimalPage, BenchError> {
    serde_json::from_slice(body).map_err(|err| BenchError::measure("a baseline page", err))
}

/// How a walk went.
#[derive(Debug, Clone, Copy)]
pub struct Walk {
    /// Sessions received.
    pub items: u64,
    /// Requests sent.
    pub requests: u64,
    /// Wall time of the walk.
    pub elapsed: Duration,
}

/// Walks every page the way a user would: `offset += limit` until
/// `has_more` is false, decoding each page into [`MinimalPage`].
pub async fn walk(
    client: &reqwest::Client,
    base_url: &str,
    user: &str,
    page_size: u64,
) -> Result<Walk, BenchError> {
    let started = Instant::now();
    let mut request = PageRequest {
        offset: 0,
        limit: page_size,
        status: None,
    };
    let mut items = 0;
    let mut requests = 0;
    loop {
        let (page, _) = fetch(client, base_url, user, &request).await?;
        requests += 1;
        let received = page.sessions.len() as u64;
        for session in page.sessions {
            std::hint::black_box(&session);
        }
        items += received;
        if !page.has_more || received == 0 {
            break;
        }
        request.offset += received;
    }
    Ok(Walk {
        items,
        requests,
        elapsed: started.elapsed(),
    })
}
