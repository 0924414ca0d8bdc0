//! The walk of a list by position: append-only lists
//! ([`Order::Appended`](super::Order::Appended)) and lists with no promised
//! order ([`Order::Unordered`](super::Order::Unordered)).
//!
//! **Append-only** (a session's messages, oldest first): the server
//! promises that items are only added at the end. Then an item keeps its
//! position for ever, and pages laid end to end (`offset += len`) read
//! every item exactly once however many are appended meanwhile. Each page
//! is checked to continue the promised key order from the last item
//! yielded ([`Error::OrderViolated`]); a `total` that shrank breaks the
//! promise, and what the shrink may have skipped is counted in
//! [`PagerStats::possible_losses`].
//!
//! **Positional** (a list whose pagination is inferred from its shape, or
//! declared unordered with no unique field): stepped like an append-only
//! list, with nothing to check the order by or deduplicate on. Pages end
//! to end are the best a walk can do without an id; a `total` that shrank
//! is counted in [`PagerStats::possible_losses`].
//!
//! **Unordered** (users, memories): nothing is promised about the order,
//! so nothing can be exactly once while the list changes. The walk
//! promises what it can:
//! - no item twice: every id yielded is remembered (up to
//!   [`MAX_TRACKED_IDS`]) and a repeat is dropped;
//! - no silent loss: each page starts with the last item of the page
//!   before (an overlap of one). When that item is not in the page, items
//!   before the reader were deleted or moved and some may have been
//!   skipped: as many as `total` shrank, at least one, are counted in
//!   [`PagerStats::possible_losses`], so a walk never passes for complete
//!   when it may not be. (Deletes after the reader shrink `total` too, but
//!   skip nothing that still exists.)

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use super::prefetch::{Fetched, Prefetcher};
use super::{
    Core, Direction, MAX_TRACKED_IDS, MAX_UNPRODUCTIVE_FETCHES, Order, PagedList, PagerStats,
    Received, SortKey, Walk, WalkedPage,
};
use crate::error::Error;

pub(super) struct Walker<L: PagedList> {
    core: Core<L>,
    prefetcher: Prefetcher<L>,
    /// Append-only (else unordered).
    appended: bool,
    next_offset: u64,
    last_total: Option<u64>,
    /// Unordered: the id of the previous page's last item, which the next
    /// page starts with.
    anchor: Option<L::Id>,
    /// Unordered: every id yielded.
    seen: HashSet<L::Id>,
    /// Append-only: the key of the last item yielded.
    last_key: Option<L::Key>,
    unproductive: u32,
    unproductive_since: u64,
    unproductive_total_changed: bool,
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
    pub(super) fn new(list: L, walk: Walk) -> Self {
        let core = Core::new(list, &walk);
        let prefetcher = Prefetcher::new(Arc::clone(&core.list), core.limit, walk.depth());
        // A positional walk steps like an append-only one; with `()` keys
        // its order check passes every page.
        let appended = matches!(core.pagination.order, Order::Appended | Order::Positional);
        Self {
            core,
            prefetcher,
            appended,
            next_offset: walk.offset,
            last_total: None,
            anchor: None,
            seen: HashSet::new(),
            last_key: None,
            unproductive: 0,
            unproductive_since: walk.offset,
            unproductive_total_changed: false,
            done: false,
        }
    }

    /// Items a page overlaps the one before by.
    fn overlap(&self) -> u64 {
        u64::from(!self.appended)
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
            self.core
                .check_budget(self.core.limit.saturating_sub(self.overlap()))?;
            let Fetched { offset, page, .. } = self.prefetcher.get(self.next_offset, false).await?;
            let limit = self.core.limit;
            let page = self.core.receive(offset, limit, page)?;
            if self.unproductive == 0 {
                self.unproductive_since = offset;
                self.unproductive_total_changed = false;
            }
            let shrink = match (self.last_total, page.total) {
                (Some(before), Some(now)) => before.saturating_sub(now),
                _ => 0,
            };
            let total_changed = self.last_total.is_some() && self.last_total != page.total;
            self.last_total = page.total;
            self.unproductive_total_changed |= total_changed;
            self.core
                .update_stats(|stats| stats.total_changes += u64::from(total_changed));

            let received = u64::try_from(page.items.len()).unwrap_or(u64::MAX);
            let (page, next_start) = if self.appended {
                self.check_order(offset, &page.items)?;
                // Items removed from an append-only list move the ones
                // after them back, past the reader.
                self.core
                    .update_stats(|stats| stats.possible_losses += shrink);
                let next = offset.checked_add(received);
                (self.take_appended(offset, page), next)
            } else {
                let losses = self.anchor_losses(&page.items, shrink);
                self.core
                    .update_stats(|stats| stats.possible_losses += losses);
                let next = offset.checked_add(received.saturating_sub(1).max(1));
                (self.take_unseen(offset, page)?, next)
            };
            // A page that reaches the server's own total ends the walk,
            // whatever `has_more` says: a server repeating pages past the end
            // would otherwise be followed for ever.
            let before_total = page
                .total
                .is_none_or(|total| offset.saturating_add(received) < total);
            match next_start {
                Some(next) if received > 0 && page.has_more && before_total => {
                    self.next_offset = next;
                    if !self.done {
                        let stride = limit.saturating_sub(self.overlap());
                        self.prefetcher.plan(next, page.total, stride);
                    }
                }
                // The end, or nothing can follow the largest offset.
                _ => {
                    self.done = true;
                    self.prefetcher.clear();
                }
            }
            if page.items.is_empty() {
                self.unproductive += 1;
                continue;
            }
            self.unproductive = 0;
            return Ok(Some(page));
        }
    }

    /// Unordered: how many items the walk may have missed, judged from
    /// where the previous page's last item is in this page.
    fn anchor_losses(&self, items: &[L::Item], shrink: u64) -> u64 {
        let Some(anchor) = &self.anchor else {
            return 0;
        };
        // Found at 0: nothing moved. Further on: items were inserted (or
        // moved) before the reader, and are deduplicated.
        if items.iter().any(|item| L::id(item) == *anchor) {
            return 0;
        }
        // Gone: deletes (or moves) before the reader shifted the list back
        // past it.
        shrink.max(1)
    }

    /// Append-only: every item, up to `max_items`.
    fn take_appended(&mut self, offset: u64, page: Received<L::Item>) -> WalkedPage<L::Item> {
        let Received {
            mut items,
            total,
            has_more,
        } = page;
        if let Some(remaining) = self.core.remaining()
            && u64::try_from(items.len()).unwrap_or(u64::MAX) >= remaining
        {
            items.truncate(usize::try_from(remaining).unwrap_or(usize::MAX));
            self.done = true;
        }
        if let Some(last) = items.last() {
            self.last_key = Some(L::key(last));
        }
        let kept = u64::try_from(items.len()).unwrap_or(u64::MAX);
        self.core.update_stats(|stats| stats.items_yielded += kept);
        WalkedPage {
            items,
            total,
            has_more,
            offset,
        }
    }

    /// Unordered: the items never yielded before, up to `max_items`.
    fn take_unseen(
        &mut self,
        offset: u64,
        page: Received<L::Item>,
    ) -> Result<WalkedPage<L::Item>, Error> {
        let Received {
            mut items,
            total,
            has_more,
        } = page;
        self.anchor = items.last().map(L::id);
        // The first item overlaps the page before on purpose.
        let expected_repeats = u64::from(offset > 0 && !self.seen.is_empty());
        let remaining = self.core.remaining();
        let (mut kept, mut repeats) = (0_u64, 0_u64);
        let mut stopped = false;
        let seen = &mut self.seen;
        items.retain(|item| {
            if stopped {
                return false;
            }
            if remaining.is_some_and(|remaining| kept >= remaining) {
                stopped = true;
                return false;
            }
            if !seen.insert(L::id(item)) {
                repeats += 1;
                return false;
            }
            kept += 1;
            true
        });
        if stopped || remaining.is_some_and(|remaining| kept >= remaining) {
            self.done = true;
        }
        self.core.update_stats(|stats| {
            stats.items_yielded += kept;
            stats.duplicates_dropped += repeats.saturating_sub(expected_repeats);
        });
        if self.seen.len() > MAX_TRACKED_IDS {
            self.done = true;
            return Err(Error::WalkAborted {
                detail: format!(
                    "more than {MAX_TRACKED_IDS} {} were listed; the walk keeps the id of each to yield it once, and keeps no more than that",
                    self.core.pagination.item_name
                ),
            });
        }
        Ok(WalkedPage {
            items,
            total,
            has_more,
            offset,
        })
    }

    /// Append-only: the page continues the ascending key order from the
    /// last item yielded.
    fn check_order(&self, offset: u64, items: &[L::Item]) -> Result<(), Error> {
        let direction = Direction::Ascending;
        let mut before = self.last_key.clone();
        for (index, item) in items.iter().enumerate() {
            let key = L::key(item);
            if let Some(previous) = &before
                && direction.ahead(&key, previous)
            {
                let pagination = &self.core.pagination;
                let at = offset.saturating_add(u64::try_from(index).unwrap_or(u64::MAX));
                return Err(Error::OrderViolated {
                    offset,
                    detail: format!(
                        "{} are appended in {} order, but the one at offset {at} ({}) comes before the one listed before it ({})",
                        pagination.item_name,
                        pagination.key_name,
                        key.describe(),
                        previous.describe()
                    ),
                });
            }
            before = Some(key);
        }
        Ok(())
    }
}
