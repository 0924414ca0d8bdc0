//! Walking every page of a list that may change while it is read.
//!
//! The server sorts sessions newest `created_at` first, and pages by offset.
//! Offsets go stale as the list changes: an insert ahead of the reader
//! repeats an item, a delete (or a status change under a status filter)
//! skips one. The pager therefore trusts the order, not the offsets:
//!
//! - It remembers a *frontier*: the `created_at` of the last session it
//!   yielded, and the ids it yielded with that same timestamp (the server's
//!   tie-break is not documented, so ties are tracked by id).
//! - A session is *passed* when it is newer than the frontier, or one of the
//!   tied ids. Only sessions not passed are yielded, so yielded sessions
//!   strictly follow the server's order and none is yielded twice.
//! - A page is trusted only when its first session is strictly newer than
//!   the frontier (or it starts the list): every session not yet yielded is
//!   older than that one, or tied with the frontier, so it lies after it
//!   in the page or beyond, whenever the page was fetched and whatever
//!   order the server gives equal timestamps. Otherwise the pager steps
//!   back (exponentially, then by bisection) until a page covers the
//!   frontier again.
//! - So the next page starts with the session just before the page's
//!   trailing run of equal timestamps: the second-to-last session when the
//!   last one's timestamp is its own on the page, before the whole run
//!   otherwise. Such a page reads the run whole, in one response (up to
//!   [`MAX_PAGE_SIZE`](crate::MAX_PAGE_SIZE) sessions). A page shorter
//!   than [`MIN_WALK_PAGE_SIZE`](crate::MIN_WALK_PAGE_SIZE) although more
//!   follow (a server serving less than asked) is overlapped by one
//!   session instead, so that the walk still moves on.
//!
//! So every session that exists for the whole walk is yielded exactly once,
//! whatever inserts, deletes and status changes happen between fetches.
//! This rests on the server's documented order (newest `created_at` first),
//! which every page is checked against ([`Error::OrderViolated`]). The order
//! among equal timestamps is not documented. Only two cases rely on it
//! staying the same from request to request, because a page may start
//! inside a run there: a run at least as long as the largest page, where
//! a reordering seen fails the walk rather than skip rows, and the page
//! after one of those short pages.
//! A run of fetches that yields nothing new is bounded ([`Error::NoProgress`]).
//!
//! With [`concurrency`](crate::ListSessions::concurrency) above 1, pages are
//! fetched ahead at planned offsets. A page may start earlier than the walk
//! asked for: it only overlaps more, and the same checks hold for it. So
//! planned pages overlap by a few sessions, which reads a short run of
//! ties at a page's end whole without a re-read, and a page fetched ahead
//! still serves the walk after a re-read has moved it off the plan.

use std::collections::{HashMap, HashSet, VecDeque};
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use chrono::{DateTime, Utc};
use futures::stream::{BoxStream, Stream, StreamExt};
use recallr_api::types::{SessionInfo, SessionList};
use tokio::task::JoinHandle;
use uuid::Uuid;

use crate::error::Error;
use crate::sessions::{MAX_PAGE_SIZE, MIN_WALK_PAGE_SIZE, Query};

/// How many fetches in a row may yield nothing new before the walk fails.
/// Recovering from any change takes about `2 * log2(total)` fetches, far
/// below this. Documented on [`Error::NoProgress`].
pub(crate) const MAX_UNPRODUCTIVE_FETCHES: u32 = 64;

/// Ties yielded at one timestamp from which the run counts as longer than
/// any page: a page starting before it could not reach past them.
const LONG_RUN: usize = MAX_PAGE_SIZE as usize - 1;

/// The largest share of a page the pager spends on overlap between pages
/// fetched ahead (see [`tie_margin`]).
const MAX_MARGIN_SHARE: u64 = 4;

/// Counters of a walk, from [`SessionPages::stats`] or [`SessionItems::stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagerStats {
    /// Pages received from the server (speculative fetches that were
    /// thrown away are not counted).
    pub pages_fetched: u64,
    /// Pages that did not start strictly before the last session yielded
    /// (the list shrank ahead of the reader), so an earlier offset was
    /// fetched next.
    pub overlap_refetches: u64,
    /// Sessions received that the walk had already passed (yielded, or
    /// newer than the last one yielded) at a position after the last one
    /// yielded, and were dropped: inserts ahead of the reader pushed them
    /// there. Pages overlap on purpose up to that position, and re-reads
    /// of a run of equal timestamps are not counted.
    pub duplicates_dropped: u64,
    /// How often `total` differed from the previous page's.
    pub total_changes: u64,
    /// Sessions yielded so far.
    pub items_yielded: u64,
}

/// The sessions one fetch added to a walk ([`SessionPages`]): only those
/// not yielded before. One server response as sent is a
/// [`SessionList`](crate::SessionList) ([`ListSessions::send`](crate::ListSessions::send)).
#[derive(Debug, Clone)]
pub struct WalkPage {
    /// Sessions not yielded before, in the server's order.
    pub sessions: Vec<recallr_api::types::SessionInfo>,
    /// The server's count of matching sessions when this page was fetched.
    pub total: u64,
    /// Whether the server said more sessions follow this page.
    pub has_more: bool,
    /// The offset this page was fetched at.
    pub offset: u64,
}

/// The last yielded position in the server's order.
struct Frontier {
    created_at: DateTime<Utc>,
    /// The first id yielded with exactly `created_at`. Kept apart from
    /// `more_ties` so that the common case, a timestamp no other session
    /// shares, costs no hashing.
    first_tie: Uuid,
    /// The other ids yielded with exactly `created_at`.
    more_ties: HashSet<Uuid>,
    /// The position the last session yielded had when it was yielded.
    last_position: u64,
    /// The offset where the run of sessions created at `created_at` was
    /// first seen: a run longer than a page is re-read from there.
    run_offset: u64,
}

impl Frontier {
    fn new(session: &SessionInfo, position: u64) -> Self {
        Self {
            created_at: session.created_at,
            first_tie: session.session_id,
            more_ties: HashSet::new(),
            last_position: position,
            run_offset: position,
        }
    }

    fn passed(&self, session: &SessionInfo) -> bool {
        session.created_at > self.created_at
            || (session.created_at == self.created_at && self.is_tie(session.session_id))
    }

    /// How many sessions were yielded with exactly `created_at`.
    fn ties(&self) -> usize {
        self.more_ties.len().saturating_add(1)
    }

    fn is_tie(&self, id: Uuid) -> bool {
        id == self.first_tie || (!self.more_ties.is_empty() && self.more_ties.contains(&id))
    }

    fn advance(&mut self, session: &SessionInfo, position: u64) {
        if session.created_at < self.created_at {
            self.created_at = session.created_at;
            self.first_tie = session.session_id;
            if !self.more_ties.is_empty() {
                self.more_ties.clear();
            }
            self.run_offset = position;
        } else if session.session_id != self.first_tie {
            self.more_ties.insert(session.session_id);
        }
        self.last_position = position;
    }
}

/// Fetches up to `depth` pages ahead in spawned tasks, so that they progress
/// while the caller consumes items.
struct Prefetcher {
    query: Arc<Query>,
    limit: u64,
    depth: usize,
    queue: VecDeque<(u64, JoinHandle<Result<SessionList, Error>>)>,
    /// Adjacent sessions seen in the walk's pages, and how many of them
    /// shared a timestamp.
    pairs_seen: u64,
    tied_pairs: u64,
}

impl Prefetcher {
    /// The page for `offset`, with the offset it was fetched at: a
    /// prefetched page from `offset` or, when `earlier_ok`, from an earlier
    /// offset whose page still reaches past `offset`. A page that starts
    /// earlier only overlaps more, so the walk's checks hold for it as for
    /// any page; it saves a round trip after a tie re-read has moved the
    /// walk off the planned offsets. Queued pages beyond `offset` stay
    /// queued: the walk is on its way to them.
    async fn get(&mut self, offset: u64, earlier_ok: bool) -> Result<(u64, SessionList), Error> {
        while let Some((queued, handle)) = self.queue.pop_front() {
            if queued > offset {
                self.queue.push_front((queued, handle));
                break;
            }
            if queued == offset || (earlier_ok && self.reaches_past(queued, offset)) {
                // Aborted if the stream is dropped while waiting for it.
                let mut handle = AbortOnDrop(handle);
                match (&mut handle.0).await {
                    Ok(result) => return result.map(|page| (queued, page)),
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
        let page = self.query.fetch(offset, self.limit).await?;
        Ok((offset, page))
    }

    /// Whether a full page fetched at `start` holds positions after `offset`.
    fn reaches_past(&self, start: u64, offset: u64) -> bool {
        start.saturating_add(self.limit.saturating_sub(1)) > offset
    }

    /// Counts the adjacent sessions of a page received that share a
    /// timestamp, for [`tie_margin`].
    fn observe(&mut self, page: &SessionList) {
        if self.depth <= 1 {
            return;
        }
        for pair in page.sessions.windows(2) {
            self.pairs_seen = self.pairs_seen.saturating_add(1);
            if pair[0].created_at == pair[1].created_at {
                self.tied_pairs = self.tied_pairs.saturating_add(1);
            }
        }
    }

    /// How far apart planned pages start: two sessions of overlap (see
    /// [`next_stride`]), plus the margin that suits the ties seen so far.
    fn planned_stride(&self) -> u64 {
        let margin = tie_margin(self.tied_pairs, self.pairs_seen, self.depth, self.limit);
        self.limit.saturating_sub(margin.saturating_add(2)).max(1)
    }

    /// Starts fetching from `next` on, below `total`, keeping at most
    /// `depth` fetches in flight. Queued fetches that can still serve the
    /// walk from `next` on are kept.
    fn plan(&mut self, next: u64, total: u64) {
        let stride = self.planned_stride();
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
        let mut offset = match self.queue.back() {
            Some((queued, _)) => queued.checked_add(stride),
            None => Some(next),
        };
        while let Some(at) = offset
            && self.queue.len() < self.depth
            && at < total
        {
            let query = Arc::clone(&self.query);
            let limit = self.limit;
            let handle = tokio::spawn(async move { query.fetch(at, limit).await });
            self.queue.push_back((at, handle));
            offset = at.checked_add(stride);
        }
    }

    fn clear(&mut self) {
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

impl Drop for Prefetcher {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Where the walk goes next.
struct Walker {
    query: Arc<Query>,
    prefetcher: Prefetcher,
    stats: Arc<Mutex<PagerStats>>,
    frontier: Option<Frontier>,
    next_offset: u64,
    /// While recovering: the highest offset known to start strictly before
    /// the frontier, and the lowest known not to.
    known_covered: Option<u64>,
    known_uncovered: Option<u64>,
    step_back: u64,
    last_total: Option<u64>,
    unproductive: u32,
    /// The offset of the first page of the current unproductive run, and
    /// whether `total` changed during it (to say why the walk stalled).
    unproductive_since: u64,
    unproductive_total_changed: bool,
    /// Set when the last page lay wholly inside one run of equal
    /// timestamps: the id the next page must start with if the server keeps
    /// ties in one order, as the walk relies on.
    tie_check: Option<Uuid>,
    /// The limit of the next fetch, when it re-reads a run of ties.
    reread_limit: Option<u64>,
    /// Set when the last page held fewer than [`MIN_WALK_PAGE_SIZE`]
    /// sessions yet more follow: the next page overlaps it by one.
    short_page: bool,
    done: bool,
}

impl Walker {
    fn new(query: Query) -> Self {
        let limit = query.page_size.max(MIN_WALK_PAGE_SIZE);
        let depth = query.concurrency;
        let next_offset = query.offset;
        let query = Arc::new(query);
        Self {
            prefetcher: Prefetcher {
                query: Arc::clone(&query),
                limit,
                depth,
                queue: VecDeque::new(),
                pairs_seen: 0,
                tied_pairs: 0,
            },
            query,
            stats: Arc::default(),
            frontier: None,
            next_offset,
            known_covered: None,
            known_uncovered: None,
            step_back: 1,
            last_total: None,
            unproductive: 0,
            unproductive_since: next_offset,
            unproductive_total_changed: false,
            tie_check: None,
            reread_limit: None,
            short_page: false,
            done: false,
        }
    }

    fn update_stats(&self, update: impl FnOnce(&mut PagerStats)) {
        if let Ok(mut stats) = self.stats.lock() {
            update(&mut stats);
        }
    }

    fn yielded(&self) -> u64 {
        self.stats
            .lock()
            .map(|stats| stats.items_yielded)
            .unwrap_or(0)
    }

    fn limit_reached(&self) -> bool {
        self.query
            .max_items
            .is_some_and(|max| self.yielded() >= max)
    }

    async fn next_page(&mut self) -> Result<Option<WalkPage>, Error> {
        loop {
            if self.done || self.limit_reached() {
                self.done = true;
                return Ok(None);
            }
            if self.unproductive >= MAX_UNPRODUCTIVE_FETCHES {
                self.done = true;
                return Err(Error::NoProgress {
                    pages: self.unproductive,
                    first_offset: self.unproductive_since,
                    last_offset: self.next_offset,
                    total_changed: self.unproductive_total_changed,
                });
            }
            let limit = self.reread_limit.take().unwrap_or(self.prefetcher.limit);
            let (offset, page) = if limit == self.prefetcher.limit {
                // Not while a page must start with a given session, nor
                // while bisecting: both reason about the exact offset.
                let earlier_ok = self.tie_check.is_none() && self.known_uncovered.is_none();
                self.prefetcher.get(self.next_offset, earlier_ok).await?
            } else {
                self.prefetcher.clear();
                let offset = self.next_offset;
                (offset, self.query.fetch(offset, limit).await?)
            };
            if self.unproductive == 0 {
                self.unproductive_since = offset;
                self.unproductive_total_changed = false;
            }
            let total_changed = self.last_total.is_some_and(|total| total != page.total);
            self.last_total = Some(page.total);
            self.unproductive_total_changed |= total_changed;
            self.update_stats(|stats| {
                stats.pages_fetched += 1;
                stats.total_changes += u64::from(total_changed);
            });
            check_order(offset, &page)?;
            self.prefetcher.observe(&page);
            let tie_check = self.tie_check.take();
            if let Some(frontier) = &self.frontier {
                // Suspicious, but inserts and deletes can explain it: two
                // more fetches tell a changed order from a changed list.
                if let Some(expected) = tie_check
                    && tie_reordered(frontier, expected, &page).is_some()
                {
                    let at = frontier.created_at;
                    self.prefetcher.clear();
                    for _ in 0..2 {
                        let again = self.query.fetch(offset, limit).await?;
                        self.update_stats(|stats| stats.pages_fetched += 1);
                        if let Some(position) = order_differs(&page, &again, at) {
                            self.done = true;
                            if let Some(frontier) = &self.frontier {
                                return Err(ties_reordered(frontier, offset, position));
                            }
                        }
                    }
                }
            }
            // The strict rule cannot hold inside a run longer than a page,
            // nor after a page shorter than the walk's minimum (a server
            // that serves fewer sessions than asked).
            let short_page = std::mem::take(&mut self.short_page);
            let in_long_run = tie_check.is_some()
                || short_page
                || self
                    .frontier
                    .as_ref()
                    .is_some_and(|frontier| frontier.ties() >= LONG_RUN);
            if !self.covers_frontier(offset, &page, in_long_run) {
                self.step_back_from(offset, &page);
                continue;
            }
            if let Some(page) = self.take_new_sessions(offset, limit, page) {
                return Ok(Some(page));
            }
        }
    }

    /// Whether `page` starts before the frontier, so that nothing between
    /// the frontier and the page can have been skipped. Inside a run of ties
    /// longer than a page (`in_long_run`), starting with a session of the run
    /// already yielded has to do.
    fn covers_frontier(&self, offset: u64, page: &SessionList, in_long_run: bool) -> bool {
        match (&self.frontier, page.sessions.first()) {
            (None, _) => true,
            _ if offset == 0 => true,
            (Some(frontier), Some(first)) => {
                first.created_at > frontier.created_at || (in_long_run && frontier.passed(first))
            }
            (Some(_), None) => false,
        }
    }

    fn step_back_from(&mut self, offset: u64, page: &SessionList) {
        self.unproductive += 1;
        self.update_stats(|stats| stats.overlap_refetches += 1);
        // An offset once known to cover the frontier no longer does: the
        // list changed under the search, so start it afresh from here.
        if self.known_covered.is_some_and(|covered| covered >= offset) {
            self.reset_search();
        }
        let uncovered = self
            .known_uncovered
            .map_or(offset, |known| known.min(offset));
        self.known_uncovered = Some(uncovered);
        let mut next = match self.known_covered {
            Some(covered) if covered < uncovered => covered + (uncovered - covered) / 2,
            _ => {
                let next = uncovered.saturating_sub(self.step_back);
                self.step_back = self.step_back.saturating_mul(2);
                next
            }
        };
        // The list may have shrunk below the offset: restart inside it.
        next = next.min(page.total.saturating_sub(1));
        self.next_offset = next;
        self.prefetcher.clear();
    }

    /// Yields the page's sessions that are not passed, and plans the next
    /// offset. Returns `None` when the page added nothing.
    fn take_new_sessions(
        &mut self,
        offset: u64,
        limit: u64,
        page: SessionList,
    ) -> Option<WalkPage> {
        let SessionList {
            sessions,
            total,
            has_more,
            ..
        } = page;
        let shape = PageShape::of(&sessions, self.frontier.as_ref());
        let page = WalkPage {
            sessions: self.admit(offset, sessions),
            total,
            has_more,
            offset,
        };
        self.tie_check = shape.tie_check;
        let Some(next_start) = offset.checked_add(shape.stride) else {
            // Nothing can follow the largest offset.
            self.done = true;
            self.prefetcher.clear();
            return (!page.sessions.is_empty()).then_some(page);
        };
        self.choose_next_offset(next_start, limit, &shape, &page);
        if !page.sessions.is_empty() || !shape.last_passed {
            self.reset_search();
        }
        if self.done || self.reread_limit.is_some() {
            self.prefetcher.clear();
        } else {
            self.prefetcher.plan(self.next_offset, total);
        }

        if page.sessions.is_empty() {
            self.unproductive += 1;
            return None;
        }
        self.unproductive = 0;
        Some(page)
    }

    /// The sessions of a page (fetched at `offset`) that are not passed, up
    /// to `max_items`; advances the frontier over them and counts them.
    fn admit(&mut self, offset: u64, mut sessions: Vec<SessionInfo>) -> Vec<SessionInfo> {
        let remaining = self
            .query
            .max_items
            .map(|max| max.saturating_sub(self.yielded()));
        // Pages overlap on purpose up to the last session yielded: that many
        // passed sessions are expected, more were pushed into the page by
        // inserts ahead of the reader.
        let expected_passed = self.frontier.as_ref().map_or(0, |frontier| {
            frontier
                .last_position
                .checked_sub(offset)
                .map_or(0, |overlap| overlap.saturating_add(1))
                .min(u64::try_from(sessions.len()).unwrap_or(u64::MAX))
        });
        let mut kept: u64 = 0;
        let mut passed: u64 = 0;
        let mut index: u64 = 0;
        let mut stopped = false;
        let frontier = &mut self.frontier;
        // In place, in order: normally only the overlapping sessions go,
        // and each session is moved at most once.
        sessions.retain(|session| {
            let position = offset.saturating_add(index);
            index = index.saturating_add(1);
            if stopped {
                return false;
            }
            if let Some(frontier) = frontier.as_ref()
                && frontier.passed(session)
            {
                passed += 1;
                return false;
            }
            if remaining.is_some_and(|remaining| kept >= remaining) {
                stopped = true;
                return false;
            }
            match frontier {
                Some(frontier) => frontier.advance(session, position),
                None => *frontier = Some(Frontier::new(session, position)),
            }
            kept += 1;
            true
        });
        self.update_stats(|stats| {
            stats.duplicates_dropped += passed.saturating_sub(expected_passed);
            stats.items_yielded += kept;
        });
        if remaining.is_some_and(|remaining| kept >= remaining) {
            self.done = true;
        }
        sessions
    }

    /// Where the walk goes after `page`, whose next page would start at
    /// `next_start` ([`next_stride`]): on, on with the bisection, back to
    /// re-read a run of ties, or nowhere.
    fn choose_next_offset(
        &mut self,
        next_start: u64,
        limit: u64,
        shape: &PageShape,
        page: &WalkPage,
    ) {
        // A check of where the next page starts holds only when the walk
        // goes on from this page: every other branch clears it.
        let tie_check = self.tie_check.take();
        // The page is (nearly) one run of equal timestamps, fetched with a
        // limit below the largest page.
        let small_run_page = tie_check.is_some() && limit < MAX_PAGE_SIZE;
        if shape.received == 0 || !page.has_more {
            self.done = true;
        } else if self.done {
            // max_items reached: nothing more to plan.
        } else if let Some(frontier) = &self.frontier
            && small_run_page
            && frontier.ties() < LONG_RUN
        {
            // The server may change the order of equal timestamps between
            // requests: read the whole run again, from just before it, in
            // one page as large as allowed. This page starts just before the
            // run when the run starts at its second session: its offset is
            // fresher than where the run was first seen. (Before bisecting:
            // a page starting inside the run could never cover the frontier.)
            self.reread_limit = Some(MAX_PAGE_SIZE);
            self.next_offset = if shape.run_start == 1 {
                page.offset
            } else {
                frontier.run_offset.saturating_sub(1)
            };
        } else if page.sessions.is_empty() && shape.last_passed && self.known_uncovered.is_some() {
            // The whole page lies before the frontier: keep bisecting.
            self.known_covered = Some(next_start);
            self.next_offset = match self.known_uncovered {
                Some(uncovered) if uncovered > next_start => {
                    next_start + (uncovered - next_start) / 2
                }
                _ => next_start,
            };
        } else {
            // On; inside a run longer than a page, in pages as large as
            // allowed, each checked to start where the last one ended.
            if small_run_page {
                self.reread_limit = Some(MAX_PAGE_SIZE);
            }
            self.next_offset = next_start;
            self.tie_check = tie_check;
        }
        self.short_page = self.tie_check.is_none()
            && page.has_more
            && shape.received < MIN_WALK_PAGE_SIZE
            && self.next_offset == next_start;
    }

    /// Forgets the search for an offset that covers the frontier.
    fn reset_search(&mut self) {
        self.known_covered = None;
        self.known_uncovered = None;
        self.step_back = 1;
    }
}

/// What the walk reads from a page before taking its sessions.
struct PageShape {
    received: u64,
    /// How far the next page starts after this one ([`next_stride`]).
    stride: u64,
    /// Set when the page is (nearly) filled by one run of equal timestamps:
    /// its last id, which the next page overlaps on and must start with.
    tie_check: Option<Uuid>,
    /// Where the page's trailing run of equal timestamps starts
    /// ([`trailing_run_start`]).
    run_start: usize,
    /// Whether the page's last session was passed before this page.
    last_passed: bool,
}

impl PageShape {
    fn of(sessions: &[SessionInfo], frontier: Option<&Frontier>) -> Self {
        let run_start = trailing_run_start(sessions);
        let tie_check = sessions
            .last()
            .filter(|_| sessions.len() >= 2 && run_start <= 1 && run_start + 1 < sessions.len())
            .map(|last| last.session_id);
        let last_passed = match (frontier, sessions.last()) {
            (Some(frontier), Some(last)) => frontier.passed(last),
            _ => false,
        };
        Self {
            received: sessions.len() as u64,
            stride: next_stride(sessions.len(), run_start),
            tie_check,
            run_start,
            last_passed,
        }
    }
}

/// Extra sessions of overlap between pages fetched ahead, from the share
/// of adjacent sessions seen so far that shared a timestamp.
///
/// A page that ends in a run of more than `margin + 1` equal timestamps
/// needs a re-read from before the run: a round trip in which the other
/// `depth - 1` fetches in flight finish and nothing new starts, about
/// `depth` pages' worth of time. With ties at a rate `p`, that happens
/// after a page with a chance of about `p^(margin + 1)`. The margin itself
/// costs `margin / (limit - 2)` more pages. The margin taken minimizes the
/// sum, up to a quarter of a page: none when no ties were seen, two when
/// one session in ten ties with the one before (pages of 100, depth 2 to
/// 8).
fn tie_margin(tied_pairs: u64, pairs_seen: u64, depth: usize, limit: u64) -> u64 {
    if tied_pairs == 0 || pairs_seen == 0 || depth <= 1 || limit < MIN_WALK_PAGE_SIZE {
        return 0;
    }
    // Ratios of counts: no precision matters here beyond choosing well.
    let rate = tied_pairs as f64 / pairs_seen as f64;
    let cost = |margin: u64| {
        let extra_pages = margin as f64 / (limit - 2) as f64;
        let reread = rate.powi(i32::try_from(margin.saturating_add(1)).unwrap_or(i32::MAX));
        extra_pages + depth as f64 * reread
    };
    let largest = (limit - 2).min(MAX_PAGE_SIZE) / MAX_MARGIN_SHARE;
    (0..=largest)
        .min_by(|a, b| cost(*a).total_cmp(&cost(*b)))
        .unwrap_or(0)
}

/// How far the next page starts after this one, given its number of
/// sessions and where its trailing run of equal timestamps starts
/// ([`trailing_run_start`]): at the session just before that run, so that
/// the next page starts strictly newer than the frontier and reads the
/// whole run in one response (the server's order among equal timestamps is
/// not documented and may change from request to request). Without ties
/// the run is the last session alone, and the next page starts with the
/// second-to-last.
fn next_stride(len: usize, run_start: usize) -> u64 {
    let stride = match run_start {
        // The run fills (nearly) the whole page: a page starting before it
        // would gain (almost) nothing, so the next page overlaps on the last
        // session and the order of ties is checked instead.
        0 | 1 => len.saturating_sub(1).max(1),
        start => start - 1,
    };
    u64::try_from(stride).unwrap_or(u64::MAX)
}

/// After a page (nearly) filled by one run of equal timestamps, the next page
/// must start with that page's last session (`expected`) and hold no other
/// session of the run that was already yielded; otherwise the server changed
/// the order of ties between requests and sessions may be skipped. Returns
/// the position that shows it.
fn tie_reordered(frontier: &Frontier, expected: Uuid, page: &SessionList) -> Option<u64> {
    let first = page.sessions.first()?;
    if first.created_at != frontier.created_at {
        return None;
    }
    if first.session_id != expected {
        return Some(0);
    }
    page.sessions
        .iter()
        .skip(1)
        .position(|session| session.created_at == frontier.created_at && frontier.passed(session))
        .map(|position| u64::try_from(position).map_or(u64::MAX, |p| p.saturating_add(1)))
}

/// Where the run of timestamps equal to the last one starts (0 if empty).
fn trailing_run_start(sessions: &[SessionInfo]) -> usize {
    let Some(last) = sessions.last() else {
        return 0;
    };
    sessions
        .iter()
        .rposition(|session| session.created_at != last.created_at)
        .map_or(0, |before| before + 1)
}

fn ties_reordered(frontier: &Frontier, offset: u64, position: u64) -> Error {
    Error::OrderViolated {
        offset,
        detail: format!(
            "sessions with the same created_at ({}) came back in a different order in two fetches of the same page (at offset {}); in a run of equal timestamps longer than the largest page, sessions could be skipped",
            frontier.created_at.to_rfc3339(),
            offset.saturating_add(position),
        ),
    }
}

/// The position in `second` where sessions created at `at` that both pages
/// hold come in a different relative order than in `first`. Inserts and
/// deletes never change the relative order of the others.
fn order_differs(first: &SessionList, second: &SessionList, at: DateTime<Utc>) -> Option<u64> {
    let order: HashMap<Uuid, usize> = first
        .sessions
        .iter()
        .filter(|session| session.created_at == at)
        .enumerate()
        .map(|(rank, session)| (session.session_id, rank))
        .collect();
    let mut highest = None;
    for (position, session) in second.sessions.iter().enumerate() {
        let Some(&rank) = order.get(&session.session_id) else {
            continue;
        };
        if highest.is_some_and(|highest| rank < highest) {
            return Some(u64::try_from(position).unwrap_or(u64::MAX));
        }
        highest = Some(rank);
    }
    None
}

/// Checks that `page` is sorted newest first.
fn check_order(offset: u64, page: &SessionList) -> Result<(), Error> {
    for (index, pair) in page.sessions.windows(2).enumerate() {
        if pair[1].created_at > pair[0].created_at {
            let at = |position: usize| {
                offset.saturating_add(u64::try_from(position).unwrap_or(u64::MAX))
            };
            return Err(Error::OrderViolated {
                offset,
                detail: format!(
                    "the session at offset {} ({}) is newer than the one before it at offset {} ({})",
                    at(index + 1),
                    pair[1].created_at.to_rfc3339(),
                    at(index),
                    pair[0].created_at.to_rfc3339()
                ),
            });
        }
    }
    Ok(())
}

/// The pages of a walk over a user's sessions, from
/// [`ListSessions::pages`](crate::ListSessions::pages).
///
/// Each [`WalkPage`] holds the sessions the walk had not yielded before, in the
/// server's order (newest first). Every session that exists for the whole
/// walk is yielded exactly once and none is yielded twice, whatever inserts,
/// deletes and status changes happen meanwhile; sessions created or removed
/// during the walk may or may not appear. Failed requests are retried per
/// the client's [`RetryPolicy`](crate::RetryPolicy) without losing or
/// repeating a session. The stream ends after its first error.
pub struct SessionPages {
    inner: BoxStream<'static, Result<WalkPage, Error>>,
    stats: Arc<Mutex<PagerStats>>,
}

impl std::fmt::Debug for SessionPages {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionPages")
            .field("stats", &self.stats())
            .finish_non_exhaustive()
    }
}

impl SessionPages {
    pub(crate) fn new(query: Result<Query, Error>) -> Self {
        match query {
            Ok(query) => {
                let walker = Walker::new(query);
                let stats = Arc::clone(&walker.stats);
                let inner = futures::stream::unfold(walker, |mut walker| async move {
                    match walker.next_page().await {
                        Ok(Some(page)) => Some((Ok(page), walker)),
                        Ok(None) => None,
                        Err(error) => {
                            walker.done = true;
                            Some((Err(error), walker))
                        }
                    }
                })
                .boxed();
                Self { inner, stats }
            }
            Err(error) => Self {
                inner: futures::stream::once(async move { Err(error) }).boxed(),
                stats: Arc::default(),
            },
        }
    }

    /// The walk's counters so far.
    pub fn stats(&self) -> PagerStats {
        self.stats.lock().map(|stats| *stats).unwrap_or_default()
    }
}

impl Stream for SessionPages {
    type Item = Result<WalkPage, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// The sessions of a walk, one by one, from
/// [`ListSessions::items`](crate::ListSessions::items); the guarantees of
/// [`SessionPages`] hold.
#[derive(Debug)]
pub struct SessionItems {
    pages: SessionPages,
    /// The current page's sessions not yet yielded: each is moved out once.
    buffered: std::vec::IntoIter<SessionInfo>,
}

impl SessionItems {
    pub(crate) fn new(pages: SessionPages) -> Self {
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

impl Stream for SessionItems {
    type Item = Result<SessionInfo, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        loop {
            if let Some(session) = self.buffered.next() {
                return Poll::Ready(Some(Ok(session)));
            }
            match self.pages.poll_next_unpin(cx) {
                Poll::Ready(Some(Ok(page))) => self.buffered = page.sessions.into_iter(),
                Poll::Ready(Some(Err(error))) => return Poll::Ready(Some(Err(error))),
                Poll::Ready(None) => return Poll::Ready(None),
                Poll::Pending => return Poll::Pending,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::tie_margin;

    #[test]
    fn no_ties_seen_means_no_margin() {
        assert_eq!(tie_margin(0, 990, 8, 100), 0);
        assert_eq!(tie_margin(0, 0, 8, 100), 0);
        // Sequential walks plan nothing.
        assert_eq!(tie_margin(50, 99, 1, 100), 0);
    }

    #[test]
    fn the_margin_grows_with_the_tie_rate_and_the_depth() {
        // One pair in a hundred ties: a run of two is worth covering.
        assert_eq!(tie_margin(1, 100, 4, 100), 1);
        // One in ten (the stub's generated data): runs of three too.
        for depth in [2, 4, 8] {
            assert_eq!(tie_margin(10, 100, depth, 100), 2, "depth {depth}");
        }
        assert_eq!(tie_margin(10, 100, 16, 100), 3);
        // Small pages pay more per session of margin.
        assert_eq!(tie_margin(1, 100, 4, 10), 0);
    }

    #[test]
    fn the_margin_stays_within_a_quarter_of_a_page() {
        assert_eq!(tie_margin(80, 100, 16, 100), 24);
        assert_eq!(tie_margin(8, 10, 16, 10), 2);
        assert_eq!(tie_margin(u64::MAX / 2, u64::MAX, usize::MAX, u64::MAX), 25);
        // Every pair tied: the page is one run, which no margin spares.
        assert_eq!(tie_margin(99, 99, 16, 100), 0);
    }
}
