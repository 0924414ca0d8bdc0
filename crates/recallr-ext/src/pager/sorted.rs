//! The walk of a sorted list ([`Order::Sorted`](super::Order::Sorted)):
//! exactly once while items are inserted, deleted or moved in and out of a
//! filter.
//!
//! The server promises items sorted by a key (sessions: `created_at`,
//! newest first), in one direction, with unique ids. Offsets go stale as
//! the list changes: an insert ahead of the reader repeats an item, a
//! delete (or a status change under a status filter) skips one. The pager
//! therefore trusts the order, not the offsets:
//!
//! - It remembers a *frontier*: the key of the last item it yielded, and
//!   the ids it yielded with that same key (the server's order among equal
//!   keys is not relied upon, so ties are tracked by id).
//! - An item is *passed* when it comes before the frontier in the list's
//!   direction, or is one of the tied ids. Only items not passed are
//!   yielded, so yielded items strictly follow the server's order and none
//!   is yielded twice.
//! - A page is trusted only when its first item is strictly before the
//!   frontier (or it starts the list): every item not yet yielded comes
//!   after that one, or ties with the frontier, so it lies after it in the
//!   page or beyond, whenever the page was fetched and whatever order the
//!   server gives equal keys. Otherwise the pager steps back
//!   (exponentially, then by bisection) until a page covers the frontier
//!   again.
//! - So the next page starts with the item just before the page's
//!   trailing run of equal keys: the second-to-last item when the last
//!   one's key is its own on the page, before the whole run otherwise.
//!   Such a page reads the run whole, in one response (up to the largest
//!   page). A page shorter than
//!   [`MIN_WALK_PAGE_SIZE`](crate::MIN_WALK_PAGE_SIZE) although more
//!   follow (a server serving less than asked) is overlapped by one item
//!   instead, so that the walk still moves on.
//!
//! So every item that exists for the whole walk is yielded exactly once,
//! whatever inserts, deletes and status changes happen between fetches.
//! This rests on the server's promised order, which every page is checked
//! against ([`Error::OrderViolated`]). The order among equal keys is not
//! promised. Only two cases rely on it staying the same from request to
//! request, because a page may start inside a run there: a run at least as
//! long as the largest page, where a reordering seen fails the walk rather
//! than skip rows (also when the order depends on the offset and the
//! `total` did not move), and the page after one of those short pages.
//! A page wholly before the frontier although the previous page reached it
//! and `total` did not grow is the server serving later offsets out of
//! order, not inserts, and fails the walk too. A run of fetches that yields
//! nothing new is bounded ([`Error::NoProgress`]), so are the requests of a
//! walk and the tied ids it keeps ([`Error::WalkAborted`]).
//!
//! With more than one page in flight, pages are fetched ahead at planned
//! offsets. A page may start earlier than the walk asked for: it only
//! overlaps more, and the same checks hold for it. So planned pages overlap
//! by a few items, which reads a short run of ties at a page's end whole
//! without a re-read, and a page fetched ahead still serves the walk after
//! a re-read has moved it off the plan.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex};

use super::prefetch::{Fetched, Prefetcher};
use super::{
    Core, Direction, MAX_TIED_IDS, MAX_UNPRODUCTIVE_FETCHES, PagedList, PagerStats, Received,
    SortKey, Walk, WalkedPage,
};
use crate::error::Error;
use crate::sessions::MIN_WALK_PAGE_SIZE;

/// The largest share of a page the pager spends on overlap between pages
/// fetched ahead (see [`tie_margin`]).
const MAX_MARGIN_SHARE: u64 = 4;

/// The largest overlap margin considered, whatever the page size: the
/// search in [`tie_margin`] stays bounded by a constant.
const MAX_MARGIN: u64 = 25;

/// The last yielded position in the server's order.
struct Frontier<K, I> {
    key: K,
    /// The first id yielded with exactly `key`. Kept apart from
    /// `more_ties` so that the common case, a key no other item shares,
    /// costs no hashing.
    first_tie: I,
    /// The other ids yielded with exactly `key`.
    more_ties: HashSet<I>,
    /// The position the last item yielded had when it was yielded.
    last_position: u64,
    /// The offset where the run of items with `key` was first seen: a run
    /// longer than a page is re-read from there.
    run_offset: u64,
}

impl<K: SortKey, I: Eq + std::hash::Hash + Clone> Frontier<K, I> {
    fn new(key: K, id: I, position: u64) -> Self {
        Self {
            key,
            first_tie: id,
            more_ties: HashSet::new(),
            last_position: position,
            run_offset: position,
        }
    }

    #[inline]
    fn passed(&self, direction: Direction, key: &K, id: &I) -> bool {
        direction.ahead(key, &self.key) || (*key == self.key && self.is_tie(id))
    }

    /// How many items were yielded with exactly `key`.
    fn ties(&self) -> usize {
        self.more_ties.len().saturating_add(1)
    }

    fn is_tie(&self, id: &I) -> bool {
        *id == self.first_tie || (!self.more_ties.is_empty() && self.more_ties.contains(id))
    }

    fn advance(&mut self, direction: Direction, key: K, id: I, position: u64) {
        if direction.ahead(&self.key, &key) {
            self.key = key;
            self.first_tie = id;
            if !self.more_ties.is_empty() {
                self.more_ties.clear();
            }
            self.run_offset = position;
        } else if id != self.first_tie {
            self.more_ties.insert(id);
        }
        self.last_position = position;
    }
}

/// Where the walk goes next.
pub(super) struct Walker<L: PagedList> {
    core: Core<L>,
    direction: Direction,
    prefetcher: Prefetcher<L>,
    /// The largest page the server serves.
    max_page: u64,
    /// Ties yielded at one key from which the run counts as longer than
    /// any page: a page starting before it could not reach past them.
    long_run: usize,
    frontier: Option<Frontier<L::Key, L::Id>>,
    next_offset: u64,
    /// While recovering: the highest offset known to start strictly before
    /// the frontier, and the lowest known not to.
    known_covered: Option<u64>,
    known_uncovered: Option<u64>,
    step_back: u64,
    last_total: Option<u64>,
    /// The offset of the last page taken, and whether it reached the
    /// frontier (held an item not strictly before it).
    last_offset: u64,
    last_reached_frontier: bool,
    /// Set after a page fetched ahead lay wholly before the frontier: the
    /// previous page was fetched again, and the next one is judged on
    /// fresh totals.
    confirming: bool,
    unproductive: u32,
    /// The offset of the first page of the current unproductive run, and
    /// whether `total` changed during it (to say why the walk stalled).
    unproductive_since: u64,
    unproductive_total_changed: bool,
    /// Set when the last page lay wholly inside one run of equal keys: the
    /// id the next page must start with if the server keeps ties in one
    /// order, as the walk relies on.
    tie_check: Option<L::Id>,
    /// The limit of the next fetch, when it re-reads a run of ties.
    reread_limit: Option<u64>,
    /// Set when the last page held fewer than [`MIN_WALK_PAGE_SIZE`] items
    /// yet more follow: the next page overlaps it by one.
    short_page: bool,
    /// Adjacent items seen in the walk's pages, and how many of them
    /// shared a key (for [`tie_margin`]).
    pairs_seen: u64,
    tied_pairs: u64,
    done: bool,
}

impl<L: PagedList> super::Walker for Walker<L> {
    type Item = L::Item;

    fn stats(&self) -> Arc<Mutex<PagerStats>> {
        Arc::clone(&self.core.stats)
    }

    async fn next_page(&mut self) -> Result<Option<WalkedPage<L::Item>>, Error> {
        self.next_page().await
    }

    fn stop(&mut self) {
        self.done = true;
        self.prefetcher.clear();
    }
}

impl<L: PagedList> Walker<L> {
    pub(super) fn new(list: L, walk: Walk, direction: Direction) -> Self {
        let core = Core::new(list, &walk);
        let max_page = core.pagination.max_page_size.max(MIN_WALK_PAGE_SIZE);
        let prefetcher = Prefetcher::new(Arc::clone(&core.list), core.limit, walk.depth());
        Self {
            core,
            direction,
            prefetcher,
            max_page,
            long_run: usize::try_from(max_page - 1).unwrap_or(usize::MAX),
            frontier: None,
            next_offset: walk.offset,
            known_covered: None,
            known_uncovered: None,
            step_back: 1,
            last_total: None,
            last_offset: walk.offset,
            last_reached_frontier: false,
            confirming: false,
            unproductive: 0,
            unproductive_since: walk.offset,
            unproductive_total_changed: false,
            tie_check: None,
            reread_limit: None,
            short_page: false,
            pairs_seen: 0,
            tied_pairs: 0,
            done: false,
        }
    }

    fn key(&self, item: &L::Item) -> L::Key {
        L::key(item)
    }

    /// Whether `item` was passed: before the frontier, or a tie yielded.
    fn passed(&self, item: &L::Item) -> bool {
        self.frontier
            .as_ref()
            .is_some_and(|frontier| frontier.passed(self.direction, &L::key(item), &L::id(item)))
    }

    async fn next_page(&mut self) -> Result<Option<WalkedPage<L::Item>>, Error> {
        loop {
            if self.done || self.core.limit_reached() {
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
            self.core.check_budget(self.core.limit.saturating_sub(2))?;
            let limit = self.reread_limit.take().unwrap_or(self.core.limit);
            let Fetched {
                offset,
                page,
                ahead,
            } = if limit == self.core.limit {
                // Not while a page must start with a given item, nor while
                // bisecting: both reason about the exact offset.
                let earlier_ok = self.tie_check.is_none() && self.known_uncovered.is_none();
                self.prefetcher.get(self.next_offset, earlier_ok).await?
            } else {
                self.prefetcher.clear();
                let offset = self.next_offset;
                Fetched {
                    offset,
                    page: self.core.list.fetch(offset, limit).await?,
                    ahead: false,
                }
            };
            let page = self.core.receive(offset, limit, page)?;
            if self.unproductive == 0 {
                self.unproductive_since = offset;
                self.unproductive_total_changed = false;
            }
            let previous_total = self.last_total;
            let total_changed = previous_total.is_some_and(|total| Some(total) != page.total);
            self.last_total = page.total;
            self.unproductive_total_changed |= total_changed;
            self.core
                .update_stats(|stats| stats.total_changes += u64::from(total_changed));
            self.check_order(offset, &page.items)?;
            self.observe(&page.items);

            let all_ahead = self.all_ahead_of_frontier(&page.items);
            let previous_reached = std::mem::replace(&mut self.last_reached_frontier, !all_ahead);
            let previous_offset = std::mem::replace(&mut self.last_offset, offset);
            // Only a page after the one before counts: stepping back (or
            // re-reading a run) meets pages wholly before the frontier by
            // design.
            let forward = offset > previous_offset && self.known_uncovered.is_none();
            if all_ahead && forward {
                if (ahead || self.prefetcher.depth > 1) && !self.confirming {
                    // Fetched alongside others: judge it on two fresh
                    // fetches in a row instead.
                    self.confirm_from(previous_offset, limit).await?;
                    self.next_offset = offset;
                    continue;
                }
                if previous_reached
                    && let (Some(before), Some(now)) = (previous_total, page.total)
                    && now <= before
                {
                    self.done = true;
                    return Err(self.later_pages_ahead(offset, &page.items));
                }
            }
            self.confirming = false;

            let tie_check = self.tie_check.take();
            if let Some(expected) = tie_check.as_ref()
                && self.tie_reordered(expected, &page.items).is_some()
            {
                // Suspicious, but inserts and deletes can explain it: two
                // more fetches tell a changed order from a changed list.
                self.prefetcher.clear();
                for _ in 0..2 {
                    let again = self.core.list.fetch(offset, limit).await?;
                    let again = self.core.receive(offset, limit, again)?;
                    if let Some(position) = self.order_differs(&page.items, &again.items) {
                        self.done = true;
                        return Err(self.ties_reordered(offset, position));
                    }
                }
                // The same page every time, so its order depends on the
                // offset: with an unchanged total, no insert or delete
                // explains where it starts.
                if previous_total.is_some() && previous_total == page.total {
                    self.done = true;
                    return Err(self.ties_depend_on_offset(offset));
                }
            }
            // The strict rule cannot hold inside a run longer than a page,
            // nor after a page shorter than the walk's minimum (a server
            // that serves fewer items than asked).
            let short_page = std::mem::take(&mut self.short_page);
            let in_long_run = tie_check.is_some()
                || short_page
                || self
                    .frontier
                    .as_ref()
                    .is_some_and(|frontier| frontier.ties() >= self.long_run);
            if !self.covers_frontier(offset, &page.items, in_long_run) {
                self.step_back_from(offset, page.total);
                continue;
            }
            if let Some(page) = self.take_new_items(offset, limit, page)? {
                return Ok(Some(page));
            }
        }
    }

    /// Fetches the page at `previous_offset` again, to judge the next page
    /// (fetched right after it) against a fresh total.
    async fn confirm_from(&mut self, previous_offset: u64, limit: u64) -> Result<(), Error> {
        self.prefetcher.clear();
        let page = self.core.list.fetch(previous_offset, limit).await?;
        let page = self.core.receive(previous_offset, limit, page)?;
        self.check_order(previous_offset, &page.items)?;
        self.last_reached_frontier = !self.all_ahead_of_frontier(&page.items);
        self.last_total = page.total;
        self.last_offset = previous_offset;
        self.confirming = true;
        Ok(())
    }

    /// Whether every item of a non-empty page comes strictly before the
    /// frontier.
    fn all_ahead_of_frontier(&self, items: &[L::Item]) -> bool {
        let Some(frontier) = &self.frontier else {
            return false;
        };
        !items.is_empty()
            && items
                .iter()
                .all(|item| self.direction.ahead(&L::key(item), &frontier.key))
    }

    /// Whether `items` start before the frontier, so that nothing between
    /// the frontier and the page can have been skipped. Inside a run of
    /// ties longer than a page (`in_long_run`), starting with an item of
    /// the run already yielded has to do.
    fn covers_frontier(&self, offset: u64, items: &[L::Item], in_long_run: bool) -> bool {
        match (&self.frontier, items.first()) {
            (None, _) => true,
            _ if offset == 0 => true,
            (Some(frontier), Some(first)) => {
                self.direction.ahead(&L::key(first), &frontier.key)
                    || (in_long_run && self.passed(first))
            }
            (Some(_), None) => false,
        }
    }

    fn step_back_from(&mut self, offset: u64, total: Option<u64>) {
        self.unproductive += 1;
        self.core.update_stats(|stats| stats.overlap_refetches += 1);
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
        if let Some(total) = total {
            next = next.min(total.saturating_sub(1));
        }
        self.next_offset = next;
        self.prefetcher.clear();
    }

    /// Yields the page's items that are not passed, and plans the next
    /// offset. Returns `None` when the page added nothing.
    fn take_new_items(
        &mut self,
        offset: u64,
        limit: u64,
        page: Received<L::Item>,
    ) -> Result<Option<WalkedPage<L::Item>>, Error> {
        let Received {
            items,
            total,
            has_more,
        } = page;
        let shape = self.shape_of(&items);
        let page = WalkedPage {
            items: self.admit(offset, items),
            total,
            has_more,
            offset,
        };
        if let Some(frontier) = &self.frontier
            && frontier.ties() > MAX_TIED_IDS
        {
            self.done = true;
            return Err(Error::WalkAborted {
                detail: format!(
                    "more than {MAX_TIED_IDS} {} share {} {}; the walk keeps the id of each to yield it once, and keeps no more than that",
                    self.core.pagination.item_name,
                    self.core.pagination.key_name,
                    frontier.key.describe()
                ),
            });
        }
        self.tie_check = shape.tie_check.clone();
        let Some(next_start) = offset.checked_add(shape.stride) else {
            // Nothing can follow the largest offset.
            self.done = true;
            self.prefetcher.clear();
            return Ok((!page.items.is_empty()).then_some(page));
        };
        self.choose_next_offset(next_start, limit, &shape, &page);
        if !page.items.is_empty() || !shape.last_passed {
            self.reset_search();
        }
        if self.done || self.reread_limit.is_some() {
            self.prefetcher.clear();
        } else {
            let stride = self.planned_stride();
            self.prefetcher.plan(self.next_offset, total, stride);
        }

        if page.items.is_empty() {
            self.unproductive += 1;
            return Ok(None);
        }
        self.unproductive = 0;
        Ok(Some(page))
    }

    /// The items of a page (fetched at `offset`) that are not passed, up to
    /// `max_items`; advances the frontier over them and counts them.
    fn admit(&mut self, offset: u64, mut items: Vec<L::Item>) -> Vec<L::Item> {
        let remaining = self.core.remaining();
        // Pages overlap on purpose up to the last item yielded: that many
        // passed items are expected, more were pushed into the page by
        // inserts ahead of the reader.
        let expected_passed = self.frontier.as_ref().map_or(0, |frontier| {
            frontier
                .last_position
                .checked_sub(offset)
                .map_or(0, |overlap| overlap.saturating_add(1))
                .min(u64::try_from(items.len()).unwrap_or(u64::MAX))
        });
        let mut kept: u64 = 0;
        let mut passed: u64 = 0;
        let mut index: u64 = 0;
        let mut stopped = false;
        let direction = self.direction;
        let frontier = &mut self.frontier;
        // In place, in order: normally only the overlapping items go, and
        // each item is moved at most once.
        items.retain(|item| {
            let position = offset.saturating_add(index);
            index = index.saturating_add(1);
            if stopped {
                return false;
            }
            let key = L::key(item);
            let id = L::id(item);
            if let Some(frontier) = frontier.as_ref()
                && frontier.passed(direction, &key, &id)
            {
                passed += 1;
                return false;
            }
            if remaining.is_some_and(|remaining| kept >= remaining) {
                stopped = true;
                return false;
            }
            match frontier {
                Some(frontier) => frontier.advance(direction, key, id, position),
                None => *frontier = Some(Frontier::new(key, id, position)),
            }
            kept += 1;
            true
        });
        self.core.update_stats(|stats| {
            stats.duplicates_dropped += passed.saturating_sub(expected_passed);
            stats.items_yielded += kept;
        });
        if remaining.is_some_and(|remaining| kept >= remaining) {
            self.done = true;
        }
        items
    }

    /// Where the walk goes after `page`, whose next page would start at
    /// `next_start` ([`next_stride`]): on, on with the bisection, back to
    /// re-read a run of ties, or nowhere.
    fn choose_next_offset(
        &mut self,
        next_start: u64,
        limit: u64,
        shape: &PageShape<L::Id>,
        page: &WalkedPage<L::Item>,
    ) {
        // A check of where the next page starts holds only when the walk
        // goes on from this page: every other branch clears it.
        let tie_check = self.tie_check.take();
        // The page is (nearly) one run of equal keys, fetched with a limit
        // below the largest page.
        let small_run_page = tie_check.is_some() && limit < self.max_page;
        if shape.received == 0 || !page.has_more {
            self.done = true;
        } else if self.done {
            // max_items reached: nothing more to plan.
        } else if let Some(frontier) = &self.frontier
            && small_run_page
            && frontier.ties() < self.long_run
        {
            // The server may change the order of equal keys between
            // requests: read the whole run again, from just before it, in
            // one page as large as allowed. This page starts just before the
            // run when the run starts at its second item: its offset is
            // fresher than where the run was first seen. (Before bisecting:
            // a page starting inside the run could never cover the frontier.)
            self.reread_limit = Some(self.max_page);
            self.next_offset = if shape.run_start == 1 {
                page.offset
            } else {
                frontier.run_offset.saturating_sub(1)
            };
        } else if page.items.is_empty() && shape.last_passed && self.known_uncovered.is_some() {
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
                self.reread_limit = Some(self.max_page);
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

    /// What the walk reads from a page before taking its items.
    fn shape_of(&self, items: &[L::Item]) -> PageShape<L::Id> {
        let run_start = trailing_run_start::<L>(items);
        let tie_check = items
            .last()
            .filter(|_| items.len() >= 2 && run_start <= 1 && run_start + 1 < items.len())
            .map(L::id);
        let last_passed = items.last().is_some_and(|last| self.passed(last));
        PageShape {
            received: items.len() as u64,
            stride: next_stride(items.len(), run_start),
            tie_check,
            run_start,
            last_passed,
        }
    }

    /// Counts the adjacent items of a page received that share a key, for
    /// [`tie_margin`].
    fn observe(&mut self, items: &[L::Item]) {
        if self.prefetcher.depth <= 1 {
            return;
        }
        for pair in items.windows(2) {
            self.pairs_seen = self.pairs_seen.saturating_add(1);
            if L::key(&pair[0]) == L::key(&pair[1]) {
                self.tied_pairs = self.tied_pairs.saturating_add(1);
            }
        }
    }

    /// How far apart planned pages start: two items of overlap (see
    /// [`next_stride`]), plus the margin that suits the ties seen so far.
    fn planned_stride(&self) -> u64 {
        let limit = self.core.limit;
        let margin = tie_margin(
            self.tied_pairs,
            self.pairs_seen,
            self.prefetcher.depth,
            limit,
        );
        limit.saturating_sub(margin.saturating_add(2)).max(1)
    }

    /// Checks that the page follows the promised order.
    fn check_order(&self, offset: u64, items: &[L::Item]) -> Result<(), Error> {
        for (index, pair) in items.windows(2).enumerate() {
            let (before, after) = (self.key(&pair[0]), self.key(&pair[1]));
            if self.direction.ahead(&after, &before) {
                let at = |position: usize| {
                    offset.saturating_add(u64::try_from(position).unwrap_or(u64::MAX))
                };
                let pagination = &self.core.pagination;
                return Err(Error::OrderViolated {
                    offset,
                    detail: format!(
                        "{} are sorted by {}, {}, but the one at offset {} ({}) comes before the one at offset {} ({})",
                        pagination.item_name,
                        pagination.key_name,
                        self.direction.describe(),
                        at(index + 1),
                        after.describe(),
                        at(index),
                        before.describe()
                    ),
                });
            }
        }
        Ok(())
    }

    /// After a page (nearly) filled by one run of equal keys, the next page
    /// must start with that page's last item (`expected`) and hold no other
    /// item of the run that was already yielded; otherwise the server
    /// changed the order of ties between requests and items may be
    /// skipped. Returns the position that shows it.
    fn tie_reordered(&self, expected: &L::Id, items: &[L::Item]) -> Option<u64> {
        let frontier = self.frontier.as_ref()?;
        let first = items.first()?;
        if L::key(first) != frontier.key {
            return None;
        }
        if L::id(first) != *expected {
            return Some(0);
        }
        items
            .iter()
            .skip(1)
            .position(|item| L::key(item) == frontier.key && self.passed(item))
            .map(|position| u64::try_from(position).map_or(u64::MAX, |p| p.saturating_add(1)))
    }

    /// The position in `second` where items with the frontier's key that
    /// both pages hold come in a different relative order than in
    /// `first`. Inserts and deletes never change the relative order of the
    /// others.
    fn order_differs(&self, first: &[L::Item], second: &[L::Item]) -> Option<u64> {
        let at = &self.frontier.as_ref()?.key;
        let order: HashMap<L::Id, usize> = first
            .iter()
            .filter(|item| L::key(item) == *at)
            .enumerate()
            .map(|(rank, item)| (L::id(item), rank))
            .collect();
        let mut highest = None;
        for (position, item) in second.iter().enumerate() {
            let Some(&rank) = order.get(&L::id(item)) else {
                continue;
            };
            if highest.is_some_and(|highest| rank < highest) {
                return Some(u64::try_from(position).unwrap_or(u64::MAX));
            }
            highest = Some(rank);
        }
        None
    }

    fn frontier_key(&self) -> String {
        self.frontier
            .as_ref()
            .map(|frontier| frontier.key.describe())
            .unwrap_or_default()
    }

    fn ties_reordered(&self, offset: u64, position: u64) -> Error {
        let pagination = &self.core.pagination;
        Error::OrderViolated {
            offset,
            detail: format!(
                "{} with the same {} ({}) came back in a different order in two fetches of the same page (at offset {}); in a run of equal keys longer than the largest page, {} could be skipped",
                pagination.item_name,
                pagination.key_name,
                self.frontier_key(),
                offset.saturating_add(position),
                pagination.item_name,
            ),
        }
    }

    fn ties_depend_on_offset(&self, offset: u64) -> Error {
        let pagination = &self.core.pagination;
        Error::OrderViolated {
            offset,
            detail: format!(
                "{} with the same {} ({}) come in an order that depends on the offset: the page does not start where the one before it ended, although the total did not change; in a run of equal keys longer than the largest page, {} could be skipped",
                pagination.item_name,
                pagination.key_name,
                self.frontier_key(),
                pagination.item_name,
            ),
        }
    }

    fn later_pages_ahead(&self, offset: u64, items: &[L::Item]) -> Error {
        let pagination = &self.core.pagination;
        let first = items.first().map(L::key);
        Error::OrderViolated {
            offset,
            detail: format!(
                "{} are sorted by {}, {}, but every one of the {} in this page (the first: {}) comes before the last one yielded ({}), although the page before reached it and the total did not grow: later offsets hold earlier {}",
                pagination.item_name,
                pagination.key_name,
                self.direction.describe(),
                items.len(),
                first.map(|key| key.describe()).unwrap_or_default(),
                self.frontier_key(),
                pagination.item_name,
            ),
        }
    }
}

/// What the walk reads from a page before taking its items.
struct PageShape<I> {
    received: u64,
    /// How far the next page starts after this one ([`next_stride`]).
    stride: u64,
    /// Set when the page is (nearly) filled by one run of equal keys: its
    /// last id, which the next page overlaps on and must start with.
    tie_check: Option<I>,
    /// Where the page's trailing run of equal keys starts
    /// ([`trailing_run_start`]).
    run_start: usize,
    /// Whether the page's last item was passed before this page.
    last_passed: bool,
}

/// Extra items of overlap between pages fetched ahead, from the share of
/// adjacent items seen so far that shared a key.
///
/// A page that ends in a run of more than `margin + 1` equal keys needs a
/// re-read from before the run: a round trip in which the other `depth -
/// 1` fetches in flight finish and nothing new starts, about `depth`
/// pages' worth of time. With ties at a rate `p`, that happens after a page
/// with a chance of about `p^(margin + 1)`. The margin itself costs `margin
/// / (limit - 2)` more pages. The margin taken minimizes the sum, up to a
/// quarter of a page and at most [`MAX_MARGIN`]: none when no ties were
/// seen, two when one item in ten ties with the one before (pages of 100,
/// depth 2 to 8).
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
    let largest = ((limit - 2) / MAX_MARGIN_SHARE).min(MAX_MARGIN);
    (0..=largest)
        .min_by(|a, b| cost(*a).total_cmp(&cost(*b)))
        .unwrap_or(0)
}

/// How far the next page starts after this one, given its number of items
/// and where its trailing run of equal keys starts
/// ([`trailing_run_start`]): at the item just before that run, so that the
/// next page starts strictly before the frontier and reads the whole run in
/// one response (the server's order among equal keys is not promised and
/// may change from request to request). Without ties the run is the last
/// item alone, and the next page starts with the second-to-last.
fn next_stride(len: usize, run_start: usize) -> u64 {
    let stride = match run_start {
        // The run fills (nearly) the whole page: a page starting before it
        // would gain (almost) nothing, so the next page overlaps on the last
        // item and the order of ties is checked instead.
        0 | 1 => len.saturating_sub(1).max(1),
        start => start - 1,
    };
    u64::try_from(stride).unwrap_or(u64::MAX)
}

/// Where the run of keys equal to the last one starts (0 if empty).
fn trailing_run_start<L: PagedList>(items: &[L::Item]) -> usize {
    let Some(last) = items.last() else {
        return 0;
    };
    let last = L::key(last);
    items
        .iter()
        .rposition(|item| L::key(item) != last)
        .map_or(0, |before| before + 1)
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
        // Small pages pay more per item of margin.
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

    /// The search is bounded by a constant, whatever page size the spec
    /// allows.
    #[test]
    fn the_margin_search_is_bounded() {
        assert!(tie_margin(80, 100, 16, 1_000_000_000_000) <= super::MAX_MARGIN);
    }
}
