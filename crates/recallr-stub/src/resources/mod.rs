//! The vendor's behaviour, one module per resource. Each handler gets a
//! request that the layers have routed, authenticated and validated, and
//! applies the domain rules the spec cannot say (written in each module's
//! docs). An operation with no handler here is answered from the spec
//! (`synth`).

use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use serde::de::DeserializeOwned;

use crate::layers::Routed;
use crate::model::UserData;
use crate::response;
use crate::state::{Shared, Timing};
use crate::store::Inner;
use crate::validate::Input;

pub(crate) mod conflicts;
pub(crate) mod context;
pub(crate) mod memories;
pub(crate) mod messages;
pub(crate) mod sessions;
pub(crate) mod system_prompt;
pub(crate) mod users;

/// What a handler sees.
pub(crate) struct Ctx<'a> {
    pub shared: &'a Shared,
    pub input: &'a Input,
    pub now: DateTime<Utc>,
}

// The error is the answer itself, returned at once by the handler: boxing
// it would only add an allocation on the error path.
#[allow(clippy::result_large_err)]
impl Ctx<'_> {
    pub fn timing(&self) -> Timing {
        self.shared.timing
    }

    /// The validated body as a generated request type.
    /// An absent optional body reads as `{}`.
    pub fn body<T: DeserializeOwned>(&self) -> Result<T, Response> {
        let body = self
            .input
            .body
            .clone()
            .unwrap_or_else(|| serde_json::Value::Object(serde_json::Map::new()));
        serde_json::from_value(body).map_err(|error| {
            response::detail(
                StatusCode::UNPROCESSABLE_ENTITY,
                &format!("Invalid request body: {error}"),
            )
        })
    }

    /// The user of the path, its timers settled, or the API's 404.
    pub fn user<'i>(&self, inner: &'i mut Inner) -> Result<&'i mut UserData, Response> {
        let id = self.input.str("custom_user_id");
        match inner.users.get_mut(id) {
            Some(data) => {
                sessions::settle(data, self.now, self.timing());
                Ok(data)
            }
            None => Err(user_not_found(id)),
        }
    }
}

pub(crate) fn user_not_found(id: &str) -> Response {
    response::detail(StatusCode::NOT_FOUND, &format!("User {id} not found"))
}

pub(crate) fn bad_request(reason: &str) -> Response {
    response::detail(StatusCode::BAD_REQUEST, reason)
}

type Handler = fn(&Ctx<'_>) -> Response;

/// The handler of an operation, by method and path (never by operationId).
fn handler(key: &str) -> Option<Handler> {
    let handler: Handler = match key {
        "GET /api/v1/users" => users::list,
        "POST /api/v1/users" => users::create,
        "GET /api/v1/users/{custom_user_id}" => users::get,
        "PUT /api/v1/users/{custom_user_id}" => users::update,
        "DELETE /api/v1/users/{custom_user_id}" => users::delete,
        "GET /api/v1/users/{custom_user_id}/sessions" => sessions::list,
        "POST /api/v1/users/{custom_user_id}/sessions" => sessions::create,
        "GET /api/v1/users/{custom_user_id}/sessions/{session_id}" => sessions::get,
        "PUT /api/v1/users/{custom_user_id}/sessions/{session_id}" => sessions::update,
        "DELETE /api/v1/users/{custom_user_id}/sessions/{session_id}" => sessions::delete,
        "POST /api/v1/users/{custom_user_id}/sessions/{session_id}/process" => sessions::process,
        "POST /api/v1/users/{custom_user_id}/sessions/{session_id}/add-message" => messages::add,
        "GET /api/v1/users/{custom_user_id}/sessions/{session_id}/messages" => messages::list,
        "GET /api/v1/users/{custom_user_id}/messages" => messages::user_messages,
        "GET /api/v1/users/{custom_user_id}/sessions/{session_id}/context" => context::get,
        "GET /api/v1/users/{custom_user_id}/memories" => memories::list,
        "GET /api/v1/users/{custom_user_id}/memory/{memory_id}" => memories::get,
        "DELETE /api/v1/users/{custom_user_id}/memory/{memory_id}" => memories::delete,
        "GET /api/v1/users/{custom_user_id}/merge-conflicts" => conflicts::list,
        "GET /api/v1/users/{custom_user_id}/merge-conflicts/{conflict_id}" => conflicts::get,
        "POST /api/v1/users/{custom_user_id}/merge-conflicts/{conflict_id}/resolve" => {
            conflicts::resolve
        }
        "GET /api/v1/system-prompt" => system_prompt::get,
        _ => return None,
    };
    Some(handler)
}

/// Whether the stub models this operation (`METHOD /path`).
#[cfg(test)]
pub(crate) fn is_modelled(key: &str) -> bool {
    handler(key).is_some()
}

/// The innermost service: the operation's handler, or a response
/// synthesised from the spec.
pub(crate) async fn dispatch(State(shared): State<Arc<Shared>>, request: Request) -> Response {
    let Some(routed) = request.extensions().get::<Routed>().cloned() else {
        return response::detail(StatusCode::NOT_FOUND, "Not Found");
    };
    let input = request
        .extensions()
        .get::<Input>()
        .cloned()
        .unwrap_or_default();
    match handler(&routed.operation.key()) {
        Some(handler) => {
            let ctx = Ctx {
                shared: &shared,
                input: &input,
                now: shared.clock.now(),
            };
            handler(&ctx)
        }
        None => crate::synth::respond(shared.spec, routed.operation),
    }
}

/// The request's `offset` and `limit` (or `default_limit`).
fn window(input: &Input, default_limit: u64) -> (usize, usize) {
    let offset = usize::try_from(input.u64("offset").unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(input.u64("limit").unwrap_or(default_limit)).unwrap_or(usize::MAX);
    (offset, limit)
}

fn count(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// One page of a list: `items` in `order` (indices into `items`; `None`
/// is their own order), read from its end when `descending`, keeping the
/// items `keep` accepts. Returns the page, the total and whether more
/// follow. Without a filter a page costs its own length, whatever the
/// offset; with one, every item is tested (to count `total`), and only the
/// page's are returned.
pub(crate) fn ordered_page<'a, T>(
    items: &'a [T],
    order: Option<&[usize]>,
    descending: bool,
    keep: Option<&dyn Fn(&T) -> bool>,
    input: &Input,
    default_limit: u64,
) -> (Vec<&'a T>, i64, bool) {
    let (offset, limit) = window(input, default_limit);
    let len = order.map_or(items.len(), <[usize]>::len);
    // The item at a position of the list as read.
    let at = |position: usize| {
        let position = if descending {
            len.checked_sub(position + 1)?
        } else {
            position
        };
        let index = match order {
            Some(order) => *order.get(position)?,
            None => position,
        };
        items.get(index)
    };
    let Some(keep) = keep else {
        let start = offset.min(len);
        let end = start.saturating_add(limit).min(len);
        let page = (start..end).filter_map(at).collect();
        return (page, count(len), end < len);
    };
    let mut page = Vec::new();
    let mut total: usize = 0;
    for item in (0..len).filter_map(at) {
        if keep(item) {
            if total >= offset && page.len() < limit {
                page.push(item);
            }
            total += 1;
        }
    }
    let end = offset.saturating_add(page.len()).min(total);
    (page, count(total), end < total)
}

/// One page of `items`: the slice, the total and whether more follow.
pub(crate) fn page<T: Clone>(
    items: &[T],
    input: &Input,
    default_limit: u64,
) -> (Vec<T>, i64, bool) {
    let (offset, limit) = window(input, default_limit);
    let start = offset.min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    (items[start..end].to_vec(), total, end < items.len())
}

#[cfg(test)]
mod tests {
    use super::ordered_page;
    use crate::model::Listed;
    use crate::validate::Input;

    fn input(offset: u64, limit: u64) -> Input {
        let mut params = serde_json::Map::new();
        params.insert("offset".into(), offset.into());
        params.insert("limit".into(), limit.into());
        Input { params, body: None }
    }

    #[test]
    fn pages_read_the_kept_order_either_way_with_or_without_a_filter() {
        let mut items: Listed<u32> = vec![30, 10, 20, 50, 40].into();
        let ascending = |items: &Listed<u32>| items.order(0, |a, b| a.cmp(b)).to_vec();
        assert_eq!(ascending(&items), [1, 2, 0, 4, 3]);
        let page = |items: &Listed<u32>, descending, even: bool, offset, limit| {
            let keep = |n: &u32| n.is_multiple_of(20);
            let order = items.order(0, |a, b| a.cmp(b));
            let (page, total, more) = ordered_page(
                items,
                Some(order),
                descending,
                even.then_some(&keep as &dyn Fn(&u32) -> bool),
                &input(offset, limit),
                10,
            );
            (page.into_iter().copied().collect::<Vec<_>>(), total, more)
        };
        assert_eq!(page(&items, false, false, 1, 2), (vec![20, 30], 5, true));
        assert_eq!(page(&items, true, false, 1, 2), (vec![40, 30], 5, true));
        assert_eq!(page(&items, true, false, 4, 2), (vec![10], 5, false));
        assert_eq!(page(&items, true, false, 9, 2), (vec![], 5, false));
        assert_eq!(page(&items, false, true, 0, 1), (vec![20], 2, true));
        assert_eq!(page(&items, true, true, 1, 5), (vec![20], 2, false));
        // A change drops the kept order; the next page sees it.
        items.retain(|n| *n != 10);
        items.push(5);
        assert_eq!(page(&items, false, false, 0, 2), (vec![5, 20], 5, true));
        let (users, total, more) =
            ordered_page(&["a", "b", "c"], None, false, None, &input(2, 5), 10);
        assert_eq!((users, total, more), (vec![&"c"], 3, false));
    }

    #[test]
    fn every_operation_of_the_embedded_spec_is_modelled() {
        let spec = crate::spec::Spec::embedded().unwrap_or_else(|e| panic!("{e}"));
        let missing: Vec<String> = spec
            .operations
            .iter()
            .map(|operation| operation.key())
            .filter(|key| !super::is_modelled(key))
            .collect();
        assert!(missing.is_empty(), "{missing:?}");
    }
}
