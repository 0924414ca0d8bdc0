//! Listing a user's sessions: the request builder and one-page fetches.

use recallr_api::ResponseValue;
use recallr_api::types::{SessionInfo, SessionList, SessionStatus};
use serde::Serialize;

use crate::call::{MAX_PATH_PARAM_LEN, SpanFields, call, check_path_param};
use crate::client::Recallr;
use crate::error::Error;
use crate::operation_info;
use crate::pager::{
    Direction, Order, Page, PageStream, PagedList, Pagination, SessionItems, SessionPages, Walk,
};

/// The largest page the API serves: `limit`'s maximum in the spec.
pub const MAX_PAGE_SIZE: u64 = recallr_api::facts::list_sessions::LIMIT_MAX;
/// The page size the API uses when none is sent: `limit`'s default in the
/// spec.
pub const DEFAULT_PAGE_SIZE: u64 = recallr_api::facts::list_sessions::LIMIT_DEFAULT;
/// The smallest page the API serves: `limit`'s minimum in the spec.
pub const MIN_PAGE_SIZE: u64 = recallr_api::facts::list_sessions::LIMIT_MIN;
/// The smallest page the streams ask for: consecutive pages overlap by two
/// sessions, so a page of two could never make progress. A smaller
/// [`ListSessions::page_size`] is raised to this for the streams.
pub const MIN_WALK_PAGE_SIZE: u64 = 3;
/// The most pages a pager fetches at once; see [`ListSessions::concurrency`].
pub const MAX_CONCURRENCY: usize = 16;
/// The longest user id sent, in bytes. Percent-encoded in the path, a
/// longer one makes a request line that servers refuse (and past 64 KiB one
/// that cannot be built at all).
pub const MAX_USER_ID_LEN: usize = MAX_PATH_PARAM_LEN;
/// The longest metadata filter sent, in bytes of JSON, for the same reason.
pub const MAX_METADATA_FILTER_LEN: usize = 8192;

/// A List Sessions request, from [`UserHandle::sessions`](crate::UserHandle::sessions).
///
/// Arguments are checked before anything is sent; a bad one makes
/// [`send`](Self::send) (or the first item of a stream) an
/// [`Error::InvalidRequest`] that names it.
///
/// ```no_run
/// use futures::TryStreamExt;
/// use recallr_ext::{Recallr, SessionStatus};
/// use serde_json::json;
///
/// # async fn run() -> Result<(), recallr_ext::Error> {
/// let client = Recallr::from_env()?;
/// let page = client
///     .user("u1")
///     .sessions()
///     .statuses([SessionStatus::Pending, SessionStatus::Failed])
///     .metadata(&json!({"topic": {"lang": "en"}}))
///     .page_size(100)
///     .send()
///     .await?;
/// println!("{} of {} sessions", page.sessions.len(), page.total);
///
/// let all: Vec<_> = client.user("u1").sessions().items().try_collect().await?;
/// # let _ = all;
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ListSessions {
    client: Recallr,
    user: String,
    statuses: Vec<SessionStatus>,
    metadata: Option<Result<String, String>>,
    offset: u64,
    page_size: Option<u64>,
    max_items: Option<u64>,
    concurrency: usize,
}

/// A checked request: what the pager and `send` work from.
#[derive(Debug, Clone)]
pub(crate) struct Query {
    pub(crate) client: Recallr,
    pub(crate) user: String,
    pub(crate) statuses: Vec<SessionStatus>,
    pub(crate) metadata_filter: Option<String>,
    pub(crate) offset: u64,
    pub(crate) page_size: u64,
    pub(crate) max_items: Option<u64>,
    pub(crate) concurrency: usize,
}

impl ListSessions {
    pub(crate) fn new(client: Recallr, user: String) -> Self {
        Self {
            client,
            user,
            statuses: Vec::new(),
            metadata: None,
            offset: 0,
            page_size: None,
            max_items: None,
            concurrency: 1,
        }
    }

    /// Only sessions with one of these statuses (added to any given before).
    pub fn statuses(mut self, statuses: impl IntoIterator<Item = SessionStatus>) -> Self {
        self.statuses.extend(statuses);
        self
    }

    /// Only sessions with this status (added to any given before).
    pub fn status(self, status: SessionStatus) -> Self {
        self.statuses([status])
    }

    /// Only sessions whose metadata contains `filter`: every key present
    /// with an equal value, nested objects compared recursively. `filter`
    /// must serialize to a JSON object.
    pub fn metadata<T: Serialize + ?Sized>(mut self, filter: &T) -> Self {
        self.metadata = Some(match serde_json::to_value(filter) {
            Ok(value @ serde_json::Value::Object(_)) => Ok(value.to_string()),
            Ok(other) => Err(format!(
                "the metadata filter must be a JSON object, not {}",
                json_kind(&other)
            )),
            Err(err) => Err(format!(
                "the metadata filter does not serialize to JSON: {err}"
            )),
        });
        self
    }

    /// Skips this many sessions first (default 0).
    pub fn offset(mut self, offset: u64) -> Self {
        self.offset = offset;
        self
    }

    /// Sessions per request, 1 to 100. The default is the API's (10) for
    /// [`send`](Self::send) and 100 for the streams, which makes the fewest
    /// requests. The streams ask for at least [`MIN_WALK_PAGE_SIZE`] (3),
    /// because consecutive pages overlap by two sessions.
    pub fn page_size(mut self, page_size: u64) -> Self {
        self.page_size = Some(page_size);
        self
    }

    /// Stops the streams after this many sessions.
    pub fn max_items(mut self, max_items: u64) -> Self {
        self.max_items = Some(max_items);
        self
    }

    /// How many pages the streams may fetch at once (1 to 16).
    ///
    /// The default, 1, fetches one page at a time: RecallrAI's rate limits
    /// are not published and a burst of parallel requests is the quickest
    /// way to meet them (every 429 costs a `Retry-After` wait). Raise it
    /// when latency, not the server, is the bottleneck; items still come in
    /// order, each exactly once. Pages in flight are also bounded by bytes
    /// ([`MAX_IN_FLIGHT_BYTES`](crate::MAX_IN_FLIGHT_BYTES) over the
    /// client's `max_response_bytes`: eight with the default cap).
    pub fn concurrency(mut self, pages: usize) -> Self {
        self.concurrency = pages;
        self
    }

    /// Fetches one page, exactly as the server returns it.
    pub async fn send(self) -> Result<SessionList, Error> {
        let query = self.check(None)?;
        query.fetch(query.offset, query.page_size).await
    }

    /// Every page of the walk as a stream, each holding the sessions not
    /// yielded before; see [`SessionPages`] for the guarantees.
    pub fn pages(self) -> SessionPages {
        SessionPages::new(match self.check(Some(MAX_PAGE_SIZE)) {
            Ok(query) => {
                let walk = Walk::new(
                    &query.client,
                    query.offset,
                    query.page_size,
                    query.max_items,
                    query.concurrency,
                );
                crate::pager::walk(query, walk)
            }
            Err(error) => PageStream::failed(error),
        })
    }

    /// Every session of the walk as a stream, in the server's order
    /// (newest first), each exactly once; see [`SessionPages`].
    pub fn items(self) -> SessionItems {
        SessionItems::new(self.pages())
    }

    fn check(self, default_page_size: Option<u64>) -> Result<Query, Error> {
        check_path_param("user id", &self.user)?;
        let page_size = match self.page_size.or(default_page_size) {
            Some(size) if !(MIN_PAGE_SIZE..=MAX_PAGE_SIZE).contains(&size) => {
                return Err(Error::invalid_request(format!(
                    "page size {size} is out of range: it must be {MIN_PAGE_SIZE} to {MAX_PAGE_SIZE}"
                )));
            }
            Some(size) => size,
            None => DEFAULT_PAGE_SIZE,
        };
        if !(1..=MAX_CONCURRENCY).contains(&self.concurrency) {
            return Err(Error::invalid_request(format!(
                "concurrency {} is out of range: it must be 1 to {MAX_CONCURRENCY}",
                self.concurrency
            )));
        }
        let metadata_filter = self.metadata.transpose().map_err(Error::invalid_request)?;
        if let Some(filter) = &metadata_filter
            && filter.len() > MAX_METADATA_FILTER_LEN
        {
            return Err(Error::invalid_request(format!(
                "the metadata filter is {} bytes of JSON; at most {MAX_METADATA_FILTER_LEN} can be sent",
                filter.len()
            )));
        }
        Ok(Query {
            client: self.client,
            user: self.user,
            statuses: self.statuses,
            metadata_filter,
            offset: self.offset,
            page_size,
            max_items: self.max_items,
            concurrency: self.concurrency,
        })
    }
}

/// Sessions come newest `created_at` first; ids are unique.
impl PagedList for Query {
    type Item = SessionInfo;
    type Id = uuid::Uuid;
    type Key = chrono::DateTime<chrono::Utc>;

    fn pagination(&self) -> Pagination {
        Pagination {
            order: Order::Sorted(Direction::Descending),
            key_name: "created_at",
            item_name: "sessions",
            max_page_size: MAX_PAGE_SIZE,
        }
    }

    #[inline]
    fn key(item: &SessionInfo) -> Self::Key {
        item.created_at
    }

    #[inline]
    fn id(item: &SessionInfo) -> Self::Id {
        item.session_id
    }

    async fn fetch(&self, offset: u64, limit: u64) -> Result<Page<SessionInfo>, Error> {
        let list = Query::fetch(self, offset, limit).await?;
        Ok(Page {
            items: list.sessions,
            total: Some(i128::from(list.total)),
            has_more: Some(list.has_more),
        })
    }
}

impl Query {
    /// One page at `offset`, through the generic call path (retries,
    /// operation timeout, span, errors).
    pub(crate) async fn fetch(&self, offset: u64, limit: u64) -> Result<SessionList, Error> {
        let mut request = self
            .client
            .api()
            .list_sessions()
            .custom_user_id(self.user.as_str())
            .offset(offset)
            .limit(limit);
        if !self.statuses.is_empty() {
            request = request.status_filter(self.statuses.clone());
        }
        if let Some(filter) = &self.metadata_filter {
            request = request.metadata_filter(filter.as_str());
        }
        let fields = SpanFields {
            offset: Some(offset),
            limit: Some(limit),
        };
        call(
            &self.client,
            &operation_info::LIST_SESSIONS,
            &[self.user.as_str()],
            fields,
            || request.clone().send(),
        )
        .await
        .map(ResponseValue::into_inner)
    }
}

fn json_kind(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "an array",
        serde_json::Value::Object(_) => "an object",
    }
}
