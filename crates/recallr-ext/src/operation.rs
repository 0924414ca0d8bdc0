//! What the generic call path knows about an operation: the data
//! `cargo xtask codegen` writes into [`operation_info`](crate::operation_info)
//! from the spec and the overlay's `x-recallr-*` declarations.

/// One operation of the API, as the generic call path needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Operation {
    /// The overlay's stable `operationId`, e.g. `list_sessions`; also the
    /// `operation` field of the `recallr.request` span.
    pub id: &'static str,
    /// The HTTP method, upper case.
    pub method: &'static str,
    /// The path template, e.g. `/api/v1/users/{custom_user_id}`.
    pub path: &'static str,
    /// When a failed attempt is sent again.
    pub retry: RetryRule,
    /// The kind of resource each path parameter names, in path order
    /// (`user`, `session`, `memory`, `merge conflict`): what a 404 from
    /// the API is about ([`Error::NotFound`](crate::Error::NotFound)).
    pub resources: &'static [&'static str],
    /// How the operation pages, when it is a paged list.
    pub pagination: Option<Pagination>,
}

/// When a failed attempt of an operation is sent again (under the client's
/// [`RetryPolicy`](crate::RetryPolicy)).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum RetryRule {
    /// Every retryable error is retried: `GET`, `PUT` and `DELETE`, or an
    /// operation the overlay marks `x-recallr-retry: safe`.
    Idempotent,
    /// Retried only when the request provably did not reach the
    /// application: the connection could not be made, or a 429. Never after
    /// a 5xx or a timeout, which may come after the server acted (a second
    /// `add_message` would store the message twice). `POST` and `PATCH`.
    UnsentOnly,
    /// Never retried: the overlay marks it `x-recallr-retry: never`.
    Never,
}

/// How a list pages: the overlay's `x-recallr-pagination` declaration, or
/// what the response's shape says for a list the overlay does not declare.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Pagination {
    /// The query parameter that skips items.
    pub offset: &'static str,
    /// The query parameter that sets the page size.
    pub limit: &'static str,
    /// The response field holding the page's items.
    pub items: &'static str,
    /// The response field counting every item, if the response has one.
    pub total: Option<&'static str>,
    /// The response field saying whether more items follow, if any.
    pub has_more: Option<&'static str>,
    /// The order the server promises.
    pub order: Order,
    /// Whether the overlay declares this (`false`: inferred from the
    /// response's shape, with the weakest guarantee).
    pub declared: bool,
}

/// The order a paged list's server promises; what a pager can guarantee
/// follows from it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Order {
    /// Newest `key` first, `tie_break` (unique) among equal keys: every
    /// item is listed exactly once under inserts, deletes and changes.
    Descending {
        /// The item field sorted on.
        key: &'static str,
        /// The unique item field that breaks ties.
        tie_break: &'static str,
    },
    /// Oldest `key` first; with `append_only`, items are only ever added at
    /// the end, so every item is listed exactly once while items are added.
    Ascending {
        /// The item field sorted on.
        key: &'static str,
        /// Whether items are only ever appended.
        append_only: bool,
    },
    /// The request chooses the order (`sort_by`, `sort_order`); `unique`
    /// identifies an item.
    ByRequest {
        /// The query parameter naming the field sorted on.
        sort_by: &'static str,
        /// The query parameter choosing the direction.
        sort_order: &'static str,
        /// The unique item field.
        unique: &'static str,
    },
    /// No order is documented: no item twice (deduplicated by `unique`),
    /// but items may be missed if others are deleted during a walk.
    Unordered {
        /// The unique item field, when known.
        unique: Option<&'static str>,
    },
}
