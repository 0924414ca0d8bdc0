//! Walking every page of a list that may change while it is read: one
//! pager for every paged list, parameterised by what the server promises
//! about the list's order ([`Pagination`]).
//!
//! A list plugs in by implementing [`PagedList`]: how to fetch one page at
//! an offset, how to read an item's sort key and id, and the declaration.
//! The walk itself (offsets, overlap, checks, prefetch, budgets) is written
//! once, here. What the pager can guarantee follows from the order the
//! server promises:
//!
//! | [`Order`] | the server promises | the pager guarantees |
//! |---|---|---|
//! | [`Sorted`](Order::Sorted) | items sorted by a key in one direction; ids unique | every item that exists for the whole walk exactly once, whatever inserts, deletes and moves in or out of a filter happen meanwhile (see [`sorted`]) |
//! | [`Appended`](Order::Appended) | items only appended at the end, in key order | every item exactly once while items are appended; a shrinking list is counted in [`PagerStats::possible_losses`] |
//! | [`Unordered`](Order::Unordered) | nothing about the order | no item twice (deduplicated by id); items may be missed when others are deleted during the walk, which is detected (the overlap with the page before broke; how far `total` shrank sizes it) and counted in [`PagerStats::possible_losses`], never passed off as a complete walk |
//! | [`Positional`](Order::Positional) | nothing, and no unique id is known (a list the overlay does not declare) | pages read end to end: nothing to deduplicate by, so an item may be repeated or missed while the list changes; a shrinking `total` is counted in [`PagerStats::possible_losses`] |
//!
//! Every order shares the protections against a lying server: a page with
//! more items than asked for is refused ([`Error::PageRefused`]), so are a
//! negative `total` and a key out of the promised order
//! ([`Error::OrderViolated`]); a walk sends at most about ten times the
//! requests it would ideally need ([`Error::WalkAborted`]), keeps at most
//! [`MAX_TIED_IDS`] tied ids (sorted) or [`MAX_TRACKED_IDS`] ids
//! (unordered), and has at most [`MAX_IN_FLIGHT_BYTES`] of responses in
//! flight.

mod positional;
mod prefetch;
pub(crate) mod sorted;
mod stream;
#[cfg(test)]
mod tests;

use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};

use crate::error::Error;
use crate::sessions::MIN_WALK_PAGE_SIZE;
pub use stream::{ItemStream, PageStream, SessionItems, SessionPages, WalkPage, WalkedPage};

/// How many fetches in a row may yield nothing new before the walk fails.
/// Recovering from any change takes about `2 * log2(total)` fetches, far
/// below this. Documented on [`Error::NoProgress`].
pub(crate) const MAX_UNPRODUCTIVE_FETCHES: u32 = 64;

/// The most ids an unordered walk keeps to yield each item once: about 30
/// to 60 bytes each. A walk that would keep more fails
/// ([`Error::WalkAborted`]).
pub const MAX_TRACKED_IDS: usize = 1_000_000;

/// The most ids a sorted walk keeps of items that share one sort key
/// (about 30 bytes each): a longer run of equal keys fails the walk
/// ([`Error::WalkAborted`]).
pub const MAX_TIED_IDS: usize = 100_000;

/// The most response bytes a walk may have in flight at once: pages
/// fetched ahead are limited to this divided by the client's
/// [`max_response_bytes`](crate::RecallrBuilder::max_response_bytes)
/// (eight with the default of 32 MiB), however high the concurrency.
pub const MAX_IN_FLIGHT_BYTES: usize = 256 * 1024 * 1024;

/// A walk's request budget: this many times the pages it would ideally
/// need for the items it yielded, plus [`BUDGET_ALLOWANCE`].
pub(crate) const BUDGET_FACTOR: u64 = 10;
/// Requests a walk may send beyond [`BUDGET_FACTOR`] times the ideal: room
/// for recoveries from changes (two `MAX_UNPRODUCTIVE_FETCHES` runs).
pub(crate) const BUDGET_ALLOWANCE: u64 = 2 * MAX_UNPRODUCTIVE_FETCHES as u64;

/// A key a sorted list is ordered by.
pub(crate) trait SortKey: Ord + Clone + Send + Sync + 'static {
    /// The key as error messages show it.
    fn describe(&self) -> String;
}

impl SortKey for DateTime<Utc> {
    fn describe(&self) -> String {
        self.to_rfc3339()
    }
}

impl SortKey for String {
    fn describe(&self) -> String {
        format!("{self:?}")
    }
}

/// Integer keys: what a generated list's declared key may be besides a
/// timestamp or a string.
macro_rules! integer_sort_keys {
    ($($ty:ty),*) => {$(
        impl SortKey for $ty {
            fn describe(&self) -> String {
                self.to_string()
            }
        }
    )*};
}
integer_sort_keys!(i32, i64, u32, u64);

/// For lists with no sort key (unordered ones).
impl SortKey for () {
    fn describe(&self) -> String {
        String::new()
    }
}

/// Which way a sorted list runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    /// Largest key first (newest first for timestamps).
    Descending,
    /// Smallest key first (oldest first for timestamps).
    Ascending,
}

impl Direction {
    /// Whether `a` comes strictly before `b` in this direction.
    #[inline]
    pub(crate) fn ahead<K: Ord>(self, a: &K, b: &K) -> bool {
        match self {
            Direction::Descending => a > b,
            Direction::Ascending => a < b,
        }
    }

    /// How the order reads in messages.
    pub(crate) fn describe(self) -> &'static str {
        match self {
            Direction::Descending => "largest first",
            Direction::Ascending => "smallest first",
        }
    }
}

/// The order a server promises for a list: a fact of the API, from the
/// list's `x-recallr-pagination` declaration. An order chosen by the
/// request (a `sort_order` parameter) is resolved to [`Order::Sorted`] by
/// the list when the key it sorts by never changes, and to
/// [`Order::Unordered`] when it may (a `resolved_at` moves).
// The generated lists' declarations construct the orders sessions do not use.
#[allow(dead_code)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Order {
    /// Sorted by [`PagedList::key`] in one direction; [`PagedList::id`] is
    /// unique. The order among equal keys is not relied upon. Items may be
    /// inserted and deleted anywhere.
    Sorted(Direction),
    /// Items are only ever appended at the end, in ascending key order
    /// (messages): offsets never go stale, so no id is needed.
    Appended,
    /// No order is promised; [`PagedList::id`] is unique.
    Unordered,
    /// No order is promised and no id is known (a list whose pagination
    /// is inferred from its shape): pages are read end to end, as for
    /// [`Order::Appended`] but with no order to check.
    Positional,
}

/// How a list pages: the declaration a [`PagedList`] gives.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Pagination {
    /// The order the server promises.
    pub(crate) order: Order,
    /// The name of the sort key's field, for messages (`created_at`).
    pub(crate) key_name: &'static str,
    /// What the items are called, for messages (`sessions`).
    pub(crate) item_name: &'static str,
    /// The largest page the server serves (`limit`'s maximum).
    pub(crate) max_page_size: u64,
}

/// One page as the server sent it, in the pager's terms.
#[derive(Debug)]
pub(crate) struct Page<T> {
    /// The items, in the server's order.
    pub(crate) items: Vec<T>,
    /// The server's count of all items, when the list has one. Kept wide
    /// so that any integer type decodes into it; a negative count is
    /// refused by the walk.
    pub(crate) total: Option<i128>,
    /// Whether the server said more follow, when the list says so. Without
    /// it, `total` decides, and without both a full page means more.
    pub(crate) has_more: Option<bool>,
}

/// A list the pager can walk. Implemented for each paged operation from its
/// declaration; nothing in it is specific to one list beyond the fields it
/// names.
pub(crate) trait PagedList: Send + Sync + 'static {
    /// One item of the list.
    type Item: Send + 'static;
    /// What tells items apart (`()` for [`Order::Appended`] lists, which
    /// need none).
    type Id: Eq + Hash + Clone + Send + Sync + 'static;
    /// What the list is sorted by (`()` for [`Order::Unordered`] lists).
    type Key: SortKey;

    /// The list's declaration.
    fn pagination(&self) -> Pagination;

    /// The item's sort key.
    fn key(item: &Self::Item) -> Self::Key;

    /// The item's id.
    fn id(item: &Self::Item) -> Self::Id;

    /// Fetches the page of at most `limit` items at `offset`, with the
    /// client's retries and timeouts.
    fn fetch(
        &self,
        offset: u64,
        limit: u64,
    ) -> impl Future<Output = Result<Page<Self::Item>, Error>> + Send;
}

/// What the caller asked of a walk.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Walk {
    /// Where the walk starts.
    pub(crate) offset: u64,
    /// Items per request; raised to [`MIN_WALK_PAGE_SIZE`].
    pub(crate) page_size: u64,
    /// Stop after this many items.
    pub(crate) max_items: Option<u64>,
    /// Pages fetched at once (before the [`MAX_IN_FLIGHT_BYTES`] bound).
    pub(crate) concurrency: usize,
    /// The client's cap on one response body.
    pub(crate) max_response_bytes: usize,
}

impl Walk {
    /// A walk with the client's response cap.
    pub(crate) fn new(
        client: &crate::Recallr,
        offset: u64,
        page_size: u64,
        max_items: Option<u64>,
        concurrency: usize,
    ) -> Self {
        use recallr_api::ClientInfo;
        Self {
            offset,
            page_size,
            max_items,
            concurrency,
            max_response_bytes: client.api().inner().max_response_bytes(),
        }
    }

    fn limit(&self) -> u64 {
        self.page_size.max(MIN_WALK_PAGE_SIZE)
    }

    /// The pages a walk may have in flight: the concurrency asked for,
    /// within [`MAX_IN_FLIGHT_BYTES`].
    fn depth(&self) -> usize {
        let by_bytes = MAX_IN_FLIGHT_BYTES / self.max_response_bytes.max(1);
        self.concurrency.min(by_bytes).max(1)
    }
}

/// Walks `list` as `walk` says: the pages, each holding the items not
/// yielded before.
pub(crate) fn walk<L: PagedList>(list: L, walk: Walk) -> PageStream<L::Item> {
    match list.pagination().order {
        Order::Sorted(direction) => {
            PageStream::from_walker(sorted::Walker::new(list, walk, direction))
        }
        Order::Appended | Order::Unordered | Order::Positional => {
            PageStream::from_walker(positional::Walker::new(list, walk))
        }
    }
}

/// The page size a walk of a generated list uses when neither
/// `page_size` nor `limit` is set and the spec gives `limit` no maximum.
pub(crate) const DEFAULT_WALK_PAGE_SIZE: u64 = 100;

/// What a generated list's request object holds for its streams, besides
/// the query parameters: set by its `page_size`, `max_items` and
/// `concurrency`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WalkSettings {
    pub(crate) page_size: Option<u64>,
    pub(crate) max_items: Option<u64>,
    pub(crate) concurrency: usize,
}

impl Default for WalkSettings {
    fn default() -> Self {
        Self {
            page_size: None,
            max_items: None,
            // One page at a time: see `ListSessions::concurrency`.
            concurrency: 1,
        }
    }
}

/// Walks a generated list's request object: the walk starts at `offset`,
/// pages are `settings.page_size`, else the request's `limit`, else the
/// largest page the server serves. A bad setting is the stream's only
/// item, before anything is sent.
pub(crate) fn walk_request<L: PagedList>(
    client: &crate::Recallr,
    list: L,
    offset: Result<u64, Error>,
    limit: Option<Result<u64, Error>>,
    settings: WalkSettings,
) -> PageStream<L::Item> {
    let checked = (|| {
        if !(1..=crate::sessions::MAX_CONCURRENCY).contains(&settings.concurrency) {
            return Err(Error::invalid_request(format!(
                "concurrency {} is out of range: it must be 1 to {}",
                settings.concurrency,
                crate::sessions::MAX_CONCURRENCY
            )));
        }
        let offset = offset?;
        let largest = list.pagination().max_page_size;
        let page_size = match (settings.page_size, limit.transpose()?) {
            (Some(size), _) | (None, Some(size)) => size,
            (None, None) if largest == u64::MAX => DEFAULT_WALK_PAGE_SIZE,
            (None, None) => largest,
        };
        Ok((offset, page_size))
    })();
    match checked {
        Ok((offset, page_size)) => {
            let walk = Walk::new(
                client,
                offset,
                page_size,
                settings.max_items,
                settings.concurrency,
            );
            self::walk(list, walk)
        }
        Err(error) => PageStream::failed(error),
    }
}

/// A query parameter's value as the walk counts: `name` says which, for
/// the error when it is negative or too large.
pub(crate) fn to_u64<T>(name: &str, value: T) -> Result<u64, Error>
where
    T: Copy + std::fmt::Display,
    u64: TryFrom<T>,
{
    u64::try_from(value).map_err(|_| {
        Error::invalid_request(format!(
            "{name} {value} is out of range: it must be a count"
        ))
    })
}

/// An offset or page size of the walk as the request's parameter `name`
/// takes it.
pub(crate) fn from_u64<T: TryFrom<u64>>(name: &str, value: u64) -> Result<T, Error> {
    T::try_from(value).map_err(|_| {
        Error::invalid_request(format!(
            "{name} {value} is out of range for the request's parameter"
        ))
    })
}

/// One kind of walk, as the streams drive it.
trait Walker: Send + 'static {
    type Item: Send + 'static;

    /// The walk's counters, shared with the stream.
    fn stats(&self) -> Arc<Mutex<PagerStats>>;

    /// The next page that adds items, or `None` at the end.
    fn next_page(
        &mut self,
    ) -> impl Future<Output = Result<Option<WalkedPage<Self::Item>>, Error>> + Send;

    /// Ends the walk (after an error).
    fn stop(&mut self);
}

/// Counters of a walk, from [`SessionPages::stats`], [`SessionItems::stats`]
/// or the `stats` of any list's stream.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PagerStats {
    /// Requests sent for pages (speculative fetches that were thrown away
    /// are not counted, re-reads are).
    pub pages_fetched: u64,
    /// Pages that did not start strictly before the last item yielded (the
    /// list shrank ahead of the reader), so an earlier offset was fetched
    /// next.
    pub overlap_refetches: u64,
    /// Items received that the walk had already passed (yielded, or ahead
    /// of the last one yielded) at a position after the last one yielded,
    /// and were dropped: inserts ahead of the reader pushed them there.
    /// Pages overlap on purpose up to that position, and re-reads of a run
    /// of equal keys are not counted.
    pub duplicates_dropped: u64,
    /// How often `total` differed from the previous page's.
    pub total_changes: u64,
    /// Items yielded so far.
    pub items_yielded: u64,
    /// For lists whose order gives no exactly-once guarantee (unordered,
    /// append-only): how many items the walk may have missed because the
    /// list changed under it, never fewer than it did miss when the change
    /// was deletes. Zero means no such change was seen; a sorted walk never
    /// misses an item, and counts none.
    pub possible_losses: u64,
}

/// What the walkers share: the list, its declaration, the stats, the
/// caller's bounds.
struct Core<L: PagedList> {
    list: Arc<L>,
    pagination: Pagination,
    stats: Arc<Mutex<PagerStats>>,
    max_items: Option<u64>,
    /// Items per request.
    limit: u64,
}

/// A page that passed the checks every order shares.
struct Received<T> {
    items: Vec<T>,
    total: Option<u64>,
    has_more: bool,
}

impl<L: PagedList> Core<L> {
    fn new(list: L, walk: &Walk) -> Self {
        let pagination = list.pagination();
        Self {
            list: Arc::new(list),
            pagination,
            stats: Arc::default(),
            max_items: walk.max_items,
            // The largest page the server serves, even if the walk's
            // minimum is more.
            limit: walk.limit().min(pagination.max_page_size.max(1)),
        }
    }

    fn update_stats(&self, update: impl FnOnce(&mut PagerStats)) {
        if let Ok(mut stats) = self.stats.lock() {
            update(&mut stats);
        }
    }

    fn stats(&self) -> PagerStats {
        self.stats.lock().map(|stats| *stats).unwrap_or_default()
    }

    fn yielded(&self) -> u64 {
        self.stats().items_yielded
    }

    fn limit_reached(&self) -> bool {
        self.max_items.is_some_and(|max| self.yielded() >= max)
    }

    /// How many more items the walk may yield.
    fn remaining(&self) -> Option<u64> {
        self.max_items.map(|max| max.saturating_sub(self.yielded()))
    }

    /// Fails the walk when it has sent far more requests than the items it
    /// yielded need: a server feeding it one new item now and then would
    /// otherwise keep it going for ever. `new_per_page` is how many new
    /// items a full page brings at best.
    fn check_budget(&self, new_per_page: u64) -> Result<(), Error> {
        let stats = self.stats();
        let ideal = (stats.items_yielded / new_per_page.max(1)).saturating_add(1);
        let budget = ideal
            .saturating_mul(BUDGET_FACTOR)
            .saturating_add(BUDGET_ALLOWANCE);
        if stats.pages_fetched >= budget {
            return Err(Error::WalkAborted {
                detail: format!(
                    "{} requests yielded only {} {}, where about {ideal} would do; the request budget is {BUDGET_FACTOR} times that plus {BUDGET_ALLOWANCE}. The server may be serving the list in a way no walk can finish",
                    stats.pages_fetched, stats.items_yielded, self.pagination.item_name
                ),
            });
        }
        Ok(())
    }

    /// Checks what every order requires of a page fetched at `offset` with
    /// `limit`, and counts it.
    fn receive(
        &self,
        offset: u64,
        limit: u64,
        page: Page<L::Item>,
    ) -> Result<Received<L::Item>, Error> {
        self.update_stats(|stats| stats.pages_fetched += 1);
        let received = u64::try_from(page.items.len()).unwrap_or(u64::MAX);
        if received > limit {
            return Err(Error::PageRefused {
                offset,
                detail: format!(
                    "it holds {received} {}, more than the {limit} asked for",
                    self.pagination.item_name
                ),
            });
        }
        let total = match page.total {
            None => None,
            Some(total) => Some(u64::try_from(total).map_err(|_| Error::PageRefused {
                offset,
                detail: format!("its total is {total}, not a count"),
            })?),
        };
        let has_more = match (page.has_more, total) {
            (Some(has_more), _) => has_more,
            (None, Some(total)) => offset.saturating_add(received) < total,
            (None, None) => received >= limit,
        };
        Ok(Received {
            items: page.items,
            total,
            has_more,
        })
    }
}
