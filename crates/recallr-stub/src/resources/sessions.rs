//! Sessions. Rules:
//! - list: newest `created_at` first, then `session_id` descending;
//!   `status_filter` (any of), `metadata_filter` (nested containment);
//! - create answers 201 with status `pending`; `created_at` is
//!   `custom_created_at_utc` or the stub's clock;
//! - the state machine is `pending` → `processing` → `processed`. A
//!   session leaves `pending` on `process` (400 if it is not pending) or,
//!   for a session created through the API, `auto_process_after_seconds`
//!   after its creation or its last message, on the stub's clock.
//!   Processing takes [`StubConfig::processing`](crate::StubConfig) on the
//!   clock; then the session is `processed` and its memories are derived
//!   (see `memories`). Sessions loaded or inserted through the Rust API
//!   have no auto-process timer;
//! - get fills `session_summary` (processed sessions only) and `memories`
//!   on request;
//! - update replaces the metadata;
//! - delete answers 204 and drops the session's messages, memories and
//!   merge conflicts.

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use recallr_api::types::{
    CreateSessionRequest, DetailResponse, SessionList, SessionMemory, SessionResponse,
    SessionStatus, UpdateSessionRequest,
};
use uuid::Uuid;

use super::{Ctx, bad_request};
use crate::filter::Filter;
use crate::model::{Record, SessionLife, UserData};
use crate::response;
use crate::state::Timing;

pub(crate) fn session_not_found(id: &str) -> Response {
    response::detail(StatusCode::NOT_FOUND, &format!("Session {id} not found"))
}

/// The path's session id (validated as a UUID by then).
pub(crate) fn session_id(ctx: &Ctx<'_>) -> Uuid {
    Uuid::try_parse(ctx.input.str("session_id")).unwrap_or_default()
}

/// Moves every timer of the user that is due by `now`.
pub(crate) fn settle(data: &mut UserData, now: DateTime<Utc>, timing: Timing) {
    // A duration past chrono's range is never over, not over at once.
    let processing =
        chrono::TimeDelta::from_std(timing.processing).unwrap_or(chrono::TimeDelta::MAX);
    let mut done = Vec::new();
    let ids: Vec<Uuid> = data.life.keys().copied().collect();
    for id in ids {
        let Some(record) = data.sessions.get(id) else {
            done.push(id);
            continue;
        };
        let Some(life) = data.life.get_mut(&id) else {
            continue;
        };
        let mut status = record.status.clone();
        if status == SessionStatus::Pending
            && let Some(after) = life.auto_process_after
        {
            // `after` is the client's number (any i64 ≥ 600): one past
            // chrono's range is never due. `TimeDelta::seconds` would panic.
            let due = chrono::TimeDelta::try_seconds(after)
                .and_then(|after| life.last_activity.checked_add_signed(after))
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if due <= now {
                life.processing_since = Some(due);
                status = SessionStatus::Processing;
            }
        }
        let mut processed_at = None;
        if status == SessionStatus::Processing
            && let Some(since) = life.processing_since
        {
            let due = since
                .checked_add_signed(processing)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            if due <= now {
                status = SessionStatus::Processed;
                processed_at = Some(due);
                done.push(id);
            }
        }
        if status != record.status
            && let Some(record) = data.sessions.get_mut(id)
        {
            Arc::make_mut(record).status = status;
        }
        if let Some(at) = processed_at {
            super::memories::derive(data, id, at);
        }
    }
    for id in done {
        data.life.remove(&id);
    }
    super::conflicts::settle(data, now, timing);
}

/// Removes a session and everything derived from it.
pub(crate) fn remove(data: &mut UserData, id: Uuid) -> Option<Arc<Record>> {
    let removed = data.sessions.remove(id)?;
    data.life.remove(&id);
    data.messages.remove(&id);
    let text = id.to_string();
    data.memories
        .retain(|memory| !memory.session_id.eq_ignore_ascii_case(&text));
    let dropped: Vec<Uuid> = data
        .conflicts
        .iter()
        .filter(|conflict| conflict.project_user_session_id == id)
        .map(|conflict| conflict.id)
        .collect();
    data.conflicts
        .retain(|conflict| conflict.project_user_session_id != id);
    for conflict in dropped {
        data.queued.remove(&conflict);
    }
    Some(removed)
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Response {
    let filter = Filter {
        statuses: {
            let mut statuses: Vec<SessionStatus> = Vec::new();
            for status in ctx.input.strings("status_filter") {
                let status = SessionStatus::from(status.as_str());
                if !statuses.contains(&status) {
                    statuses.push(status);
                }
            }
            statuses
        },
        metadata: ctx.input.object("metadata_filter"),
    };
    let offset = ctx.input.u64("offset").unwrap_or(0);
    let limit = usize::try_from(ctx.input.u64("limit").unwrap_or(10)).unwrap_or(usize::MAX);
    // The hot path: a user with no timers pending is read under the read
    // lock, so concurrent lists do not queue behind each other.
    let quiet = {
        let inner = ctx.shared.store.read();
        match inner.users.get(ctx.input.str("custom_user_id")) {
            None => return super::user_not_found(ctx.input.str("custom_user_id")),
            Some(data) if data.life.is_empty() && data.queued.is_empty() => {
                Some(data.sessions.page(&filter, offset, limit))
            }
            Some(_) => None,
        }
    };
    let (records, total) = match quiet {
        Some(page) => page,
        None => {
            let mut inner = ctx.shared.store.write();
            match ctx.user(&mut inner) {
                Ok(data) => data.sessions.page(&filter, offset, limit),
                Err(response) => return response,
            }
        }
    };
    let has_more = offset.saturating_add(records.len() as u64) < total;
    let sessions = records.iter().map(|record| record.to_info()).collect();
    response::json(StatusCode::OK, &SessionList::new(has_more, sessions, total))
}

pub(crate) fn create(ctx: &Ctx<'_>) -> Response {
    let request: CreateSessionRequest = match ctx.body() {
        Ok(request) => request,
        Err(response) => return response,
    };
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let id = uuid::Builder::from_random_bytes(rand::random()).into_uuid();
    let created_at = request.custom_created_at_utc.unwrap_or(ctx.now);
    let info = crate::store::session_with_id(
        id,
        created_at,
        SessionStatus::Pending,
        serde_json::Value::Object(request.metadata),
    );
    data.sessions.insert(Record::from_info(info.clone()));
    data.life.insert(
        id,
        SessionLife {
            auto_process_after: Some(request.auto_process_after_seconds),
            last_activity: ctx.now,
            processing_since: None,
        },
    );
    data.meta.last_active_at = ctx.now;
    response::json(StatusCode::CREATED, &SessionResponse::new(info))
}

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let Some(record) = data.sessions.get(id) else {
        return session_not_found(ctx.input.str("session_id"));
    };
    let mut info = record.to_info();
    if ctx.input.bool("include_summary") && record.status == SessionStatus::Processed {
        let count = data.messages.get(&id).map_or(0, Vec::len);
        info.session_summary = Some(format!("A conversation of {count} messages."));
    }
    if ctx.input.bool("include_memories") {
        let text = id.to_string();
        info.memories = Some(
            data.memories
                .iter()
                .filter(|memory| memory.session_id.eq_ignore_ascii_case(&text))
                .map(|memory| SessionMemory::new(memory.content.clone(), memory.memory_id))
                .collect(),
        );
    }
    response::json(StatusCode::OK, &SessionResponse::new(info))
}

pub(crate) fn update(ctx: &Ctx<'_>) -> Response {
    let request: UpdateSessionRequest = match ctx.body() {
        Ok(request) => request,
        Err(response) => return response,
    };
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let Some(record) = data.sessions.get_mut(id) else {
        return session_not_found(ctx.input.str("session_id"));
    };
    Arc::make_mut(record).metadata = Arc::new(request.new_metadata);
    let info = record.to_info();
    response::json(StatusCode::OK, &SessionResponse::new(info))
}

pub(crate) fn delete(ctx: &Ctx<'_>) -> Response {
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    match remove(data, id) {
        Some(_) => response::no_content(),
        None => session_not_found(ctx.input.str("session_id")),
    }
}

pub(crate) fn process(ctx: &Ctx<'_>) -> Response {
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let Some(record) = data.sessions.get_mut(id) else {
        return session_not_found(ctx.input.str("session_id"));
    };
    if record.status != SessionStatus::Pending {
        return bad_request(&format!(
            "Session {id} cannot be processed: its status is {}, not pending",
            record.status
        ));
    }
    Arc::make_mut(record).status = SessionStatus::Processing;
    let life = data.life.entry(id).or_insert(SessionLife {
        auto_process_after: None,
        last_activity: ctx.now,
        processing_since: None,
    });
    life.processing_since = Some(ctx.now);
    response::json(
        StatusCode::OK,
        &DetailResponse::new("Session processing started".to_string()),
    )
}
