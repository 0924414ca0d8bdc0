//! The streams a walk is read through: pages and items of any list, and
//! the sessions' own, whose pages keep their `sessions` field.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use futures::stream::{BoxStream, Stream, StreamExt};
use recallr_api::types::SessionInfo;

use super::{PagerStats, Walker};
use crate::error::Error;

/// The items one fetch added to a walk ([`PageStream`]): only those not
/// yielded before.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct WalkedPage<T> {
    /// Items not yielded before, in the server's order.
    pub items: Vec<T>,
    /// The server's count of matching items when this page was fetched,
    /// if the list has one.
    pub total: Option<u64>,
    /// Whether more items follow this page.
    pub has_more: bool,
    /// The offset this page was fetched at.
    pub offset: u64,
}

/// The pages of a walk over a list: each holds the items the walk had not
/// yielded before. What the walk guarantees depends on the order the server
/// promises for the list, and is said on the call that returns the stream.
/// The stream ends after its first error.
pub struct PageStream<T> {
    inner: BoxStream<'static, Result<WalkedPage<T>, Error>>,
    stats: Arc<Mutex<PagerStats>>,
}

impl<T> std::fmt::Debug for PageStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PageStream")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<T: Send + 'static> PageStream<T> {
    pub(super) fn from_walker<W: Walker<Item = T>>(walker: W) -> Self {
        let stats = walker.stats();
        let inner = futures::stream::unfold(Some(walker), |walker| async move {
            let mut walker = walker?;
            match walker.next_page().await {
                Ok(Some(page)) => Some((Ok(page), Some(walker))),
                Ok(None) => None,
                Err(error) => {
                    walker.stop();
                    // Nothing follows an error.
                    Some((Err(error), None))
                }
            }
        })
        .boxed();
        Self { inner, stats }
    }

    /// A stream whose only item is `error` (a request refused before
    /// anything was sent).
    pub(crate) fn failed(error: Error) -> Self {
        Self {
            inner: futures::stream::once(async move { Err(error) }).boxed(),
            stats: Arc::default(),
        }
    }
}

impl<T> PageStream<T> {
    /// The walk's counters so far.
    pub fn stats(&self) -> PagerStats {
        self.stats.lock().map(|stats| *stats).unwrap_or_default()
    }
}

impl<T> Stream for PageStream<T> {
    type Item = Result<WalkedPage<T>, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The items of a walk, one by one; the guarantees of its [`PageStream`]
/// hold.
pub struct ItemStream<T> {
    pages: PageStream<T>,
    /// The current page's items not yet yielded: each is moved out once.
    buffered: std::vec::IntoIter<T>,
}

impl<T> std::fmt::Debug for ItemStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ItemStream")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl<T> ItemStream<T> {
    pub(crate) fn new(pages: PageStream<T>) -> Self {
        Self {
            pages,
            buffered: Vec::new().into_iter(),
        }
    }

    /// The walk's counters so far.
    pub fn stats(&self) -> PagerStats {
        self.pages.stats()
    }
}

impl<T> Unpin for ItemStream<T> {}

impl<T> Stream for ItemStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(item) = self.buffered.next() {
                return Poll::Ready(Some(Ok(item)));
            }
            match self.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => self.buffered = page.items.into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

/// The sessions one fetch added to a walk ([`SessionPages`]): only those
/// not yielded before. One server response as sent is a
/// [`SessionList`](crate::SessionList) ([`ListSessions::send`](crate::ListSessions::send)).
#[derive(Debug, Clone)]
pub struct WalkPage {
    /// Sessions not yielded before, in the server's order.
    pub sessions: Vec<SessionInfo>,
    /// The server's count of matching sessions when this page was fetched.
    pub total: u64,
    /// Whether the server said more sessions follow this page.
    pub has_more: bool,
    /// The offset this page was fetched at.
    pub offset: u64,
}

/// The pages of a walk over a user's sessions, from
/// [`ListSessions::pages`](crate::ListSessions::pages).
///
/// The server promises sessions sorted newest `created_at` first. Each
/// [`WalkPage`] holds the sessions the walk had not yielded before, in that
/// order. Every session that exists for the whole walk is yielded exactly
/// once and none is yielded twice, whatever inserts, deletes and status
/// changes happen meanwhile; sessions created or removed during the walk
/// may or may not appear. Failed requests are retried per the client's
/// [`RetryPolicy`](crate::RetryPolicy) without losing or repeating a
/// session. The stream ends after its first error.
pub struct SessionPages {
    pages: PageStream<SessionInfo>,
}

impl std::fmt::Debug for SessionPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPages")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl SessionPages {
    pub(crate) fn new(pages: PageStream<SessionInfo>) -> Self {
        Self { pages }
    }

    /// The walk's counters so far.
    pub fn stats(&self) -> PagerStats {
        self.pages.stats()
    }
}

impl Stream for SessionPages {
    type Item = Result<WalkPage, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.pages.poll_next_unpin(cx).map(|page| {
            page.map(|page| {
                page.map(|page| WalkPage {
                    sessions: page.items,
                    // The sessions' list always has a total.
                    total: page.total.unwrap_or_default(),
                    has_more: page.has_more,
                    offset: page.offset,
                })
            })
        })
    }
}

/// The sessions of a walk, one by one, from
/// [`ListSessions::items`](crate::ListSessions::items); the guarantees of
/// [`SessionPages`] hold.
#[derive(Debug)]
pub struct SessionItems {
    items: ItemStream<SessionInfo>,
}

impl SessionItems {
    pub(crate) fn new(pages: SessionPages) -> Self {
        Self {
            items: ItemStream::new(pages.pages),
        }
    }

    /// The walk's counters so far.
    pub fn stats(&self) -> PagerStats {
        self.items.stats()
    }
}

impl Stream for SessionItems {
    type Item = Result<SessionInfo, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.items.poll_next_unpin(cx)
    }
}
