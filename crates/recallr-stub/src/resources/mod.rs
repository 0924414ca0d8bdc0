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

/// One page of `items`: the slice, the total and whether more follow.
pub(crate) fn page<T: Clone>(
    items: &[T],
    input: &Input,
    default_limit: u64,
) -> (Vec<T>, i64, bool) {
    let offset = usize::try_from(input.u64("offset").unwrap_or(0)).unwrap_or(usize::MAX);
    let limit = usize::try_from(input.u64("limit").unwrap_or(default_limit)).unwrap_or(usize::MAX);
    let start = offset.min(items.len());
    let end = start.saturating_add(limit).min(items.len());
    let total = i64::try_from(items.len()).unwrap_or(i64::MAX);
    (items[start..end].to_vec(), total, end < items.len())
}

#[cfg(test)]
mod tests {
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
