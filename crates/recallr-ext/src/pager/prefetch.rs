//! Fetching pages ahead of a walk, in spawned tasks, so that they progress
//! while the caller consumes items.

use std::collections::VecDeque;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::{Page, PagedList};
use crate::error::Error;

type Fetch<T> = JoinHandle<Result<Page<T>, Error>>;

/// Fetches up to `depth` pages ahead at planned offsets.
pub(super) struct Prefetcher<L: PagedList> {
    list: Arc<L>,
    pub(super) limit: u64,
    pub(super) depth: usize,
    queue: VecDeque<(u64, Fetch<L::Item>)>,
}

/// A page and where it came from.
pub(super) struct Fetched<T> {
    pub(super) offset: u64,
    pub(super) page: Page<T>,
    /// Whether it was fetched ahead (its request may have been sent before
    /// the previous page's).
    pub(super) ahead: bool,
}

impl<L: PagedList> Prefetcher<L> {
    pub(super) fn new(list: Arc<L>, limit: u64, depth: usize) -> Self {
        Self {
            list,
            limit,
            depth,
            queue: VecDeque::new(),
        }
    }

    /// The page for `offset`, with the offset it was fetched at: a
    /// prefetched page from `offset` or, when `earlier_ok`, from an earlier
    /// offset whose page still reaches past `offset`. A page that starts
    /// earlier only overlaps more, so the walk's checks hold for it as for
    /// any page; it saves a round trip after a re-read has moved the walk
    /// off the planned offsets. Queued pages beyond `offset` stay queued:
    /// the walk is on its way to them.
    pub(super) async fn get(
        &mut self,
        offset: u64,
        earlier_ok: bool,
    ) -> Result<Fetched<L::Item>, Error> {
        while let Some((queued, handle)) = self.queue.pop_front() {
            if queued > offset {
                self.queue.push_front((queued, handle));
                break;
            }
            if queued == offset || (earlier_ok && self.reaches_past(queued, offset)) {
                // Aborted if the stream is dropped while waiting for it.
                let mut handle = AbortOnDrop(handle);
                match (&mut handle.0).await {
                    Ok(result) => {
                        return result.map(|page| Fetched {
                            offset: queued,
                            page,
                            ahead: true,
                        });
                    }
                    // A bug, not a network problem: pass the panic on.
                    Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
                    // Cancelled (the runtime is shutting down): fetch here.
                    Err(_) => break,
                }
            }
            handle.abort();
        }
        // This fetch counts against `depth` too: drop the furthest ahead.
        while self.queue.len() >= self.depth.max(1) {
            if let Some((_, handle)) = self.queue.pop_back() {
                handle.abort();
            }
        }
        let page = self.list.fetch(offset, self.limit).await?;
        Ok(Fetched {
            offset,
            page,
            ahead: false,
        })
    }

    /// Whether a full page fetched at `start` holds positions after `offset`.
    pub(super) fn reaches_past(&self, start: u64, offset: u64) -> bool {
        start.saturating_add(self.limit.saturating_sub(1)) > offset
    }

    /// Starts fetching from `next` on, `stride` apart, below `total` when
    /// known, keeping at most `depth` fetches in flight. Queued fetches
    /// that can still serve the walk from `next` on are kept.
    pub(super) fn plan(&mut self, next: u64, total: Option<u64>, stride: u64) {
        if self.depth <= 1 {
            return;
        }
        while let Some((queued, _)) = self.queue.front()
            && !self.reaches_past(*queued, next)
        {
            if let Some((_, handle)) = self.queue.pop_front() {
                handle.abort();
            }
        }
        // Past the page after `next`: the walk went somewhere unplanned.
        let reach = next.saturating_add(self.limit.saturating_sub(1));
        if self
            .queue
            .front()
            .is_some_and(|(queued, _)| *queued > reach)
        {
            self.clear();
        }
        let stride = stride.max(1);
        let mut offset = match self.queue.back() {
            Some((queued, _)) => queued.checked_add(stride),
            None => Some(next),
        };
        while let Some(at) = offset
            && self.queue.len() < self.depth
            && total.is_none_or(|total| at < total)
        {
            let list = Arc::clone(&self.list);
            let limit = self.limit;
            let handle = tokio::spawn(async move { list.fetch(at, limit).await });
            self.queue.push_back((at, handle));
            offset = at.checked_add(stride);
        }
    }

    pub(super) fn clear(&mut self) {
        for (_, handle) in self.queue.drain(..) {
            handle.abort();
        }
    }
}

struct AbortOnDrop<T>(JoinHandle<T>);

impl<T> Drop for AbortOnDrop<T> {
    fn drop(&mut self) {
        self.0.abort();
    }
}

impl<L: PagedList> Drop for Prefetcher<L> {
    fn drop(&mut self) {
        self.clear();
    }
}
