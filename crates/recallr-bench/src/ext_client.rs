//! Walks through `recallr-ext`'s item stream, the client under test.

use std::time::Instant;

use futures::StreamExt;
use recallr_ext::{Recallr, RetryPolicy};

use crate::error::BenchError;
use crate::raw_client::Walk;
use crate::{API_KEY, PROJECT_ID};

/// A client for the stub at `base_url`. Retries are off: the stub injects
/// no faults here, and an error should stop the run, not be retried.
pub fn client(base_url: &str) -> Result<Recallr, BenchError> {
    Recallr::builder()
        .api_key(API_KEY)
        .project_id(PROJECT_ID)
        .base_url(base_url)
        .retry_policy(RetryPolicy::none())
        .build()
        .map_err(|err| BenchError::measure("the recallr-ext client", err))
}

/// Streams every session of `user` with `concurrency` pages in flight;
/// `requests` is the pager's `pages_fetched`.
pub async fn walk(
    client: &Recallr,
    user: &str,
    page_size: u64,
    concurrency: usize,
) -> Result<Walk, BenchError> {
    let started = Instant::now();
    let mut items = client
        .user(user)
        .sessions()
        .page_size(page_size)
        .concurrency(concurrency)
        .items();
    let mut count = 0;
    while let Some(item) = items.next().await {
        let session = item.map_err(|err| BenchError::measure("a recallr-ext walk", err))?;
        std::hint::black_box(&session);
        count += 1;
    }
    let elapsed = started.elapsed();
    Ok(Walk {
        items: count,
        requests: items.stats().pages_fetched,
        elapsed,
    })
}
