//! Memories. Rules:
//! - when a session becomes `processed`, each of its `user` messages
//!   becomes one memory: its content is the message, its event dates the
//!   message's timestamp, `created_at` the moment processing ended, its
//!   id and its categories fixed by the session id and the message's
//!   position (one or two of [`CATEGORIES`]), so the same conversation
//!   always gives the same memories;
//! - list: newest `created_at` first (then `memory_id` descending);
//!   `categories` keeps memories with any of them (a category that is
//!   neither one of [`CATEGORIES`] nor on a stored memory is a 400 with
//!   `{"detail": {"message", "invalid_categories"}}`), `session_id_filter`
//!   memories of those sessions, `session_metadata_filter` memories of
//!   sessions whose metadata contains it; `include_previous_versions` and
//!   `include_connected_memories` leave those fields out when false;
//! - get answers 404 for an unknown memory;
//! - delete answers 204; with `delete_previous_versions=false` the newest
//!   previous version (if any) becomes the current memory.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use recallr_api::types::{
    InvalidCategoriesError, InvalidCategoriesErrorDetail, Memory, MemoryList, MessageRole,
};
use uuid::Uuid;

use super::{Ctx, ordered_page};
use crate::model::Listed;
use crate::model::UserData;
use crate::response;

/// The categories derived memories get.
pub const CATEGORIES: [&str; 8] = [
    "personal_info",
    "preferences",
    "work",
    "health",
    "relationships",
    "hobbies",
    "travel",
    "food",
];

/// SplitMix64's mixer: a fixed function, so derived ids never change.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Derives the memories of a session that has just been processed.
pub(crate) fn derive(data: &mut UserData, session: Uuid, at: DateTime<Utc>) {
    let Some(messages) = data.messages.get(&session) else {
        return;
    };
    let (high, low) = session.as_u64_pair();
    let mut derived = Vec::new();
    for (index, message) in messages.iter().enumerate() {
        if message.role != MessageRole::User {
            continue;
        }
        let seed = mix(high ^ mix(low ^ index as u64));
        let mut bytes = [0u8; 16];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        bytes[8..].copy_from_slice(&mix(seed).to_le_bytes());
        let id = uuid::Builder::from_random_bytes(bytes).into_uuid();
        let first = (seed % CATEGORIES.len() as u64) as usize;
        let mut categories = vec![CATEGORIES[first].to_string()];
        if seed & (1 << 40) != 0 {
            let second =
                (first + 1 + (seed >> 8) as usize % (CATEGORIES.len() - 1)) % CATEGORIES.len();
            categories.push(CATEGORIES[second].to_string());
        }
        derived.push(Memory::new(
            categories,
            message.content.clone(),
            at,
            message.timestamp,
            message.timestamp,
            false,
            id,
            false,
            session.to_string(),
            1,
            1,
        ));
    }
    data.memories.upsert_all(derived, |memory| memory.memory_id);
}

/// The memories' list order (newest `created_at` first, then
/// `memory_id` descending), as indices; sorted once per change.
pub(crate) fn newest_first(memories: &Listed<Memory>) -> &[usize] {
    memories.order(0, |a, b| {
        b.created_at
            .cmp(&a.created_at)
            .then_with(|| b.memory_id.cmp(&a.memory_id))
    })
}

fn memory_not_found(id: &str) -> Response {
    response::detail(StatusCode::NOT_FOUND, &format!("Memory {id} not found"))
}

/// The memory as served, with the optional parts asked for.
fn shaped(memory: &Memory, ctx: &Ctx<'_>) -> Memory {
    let mut memory = memory.clone();
    if !ctx.input.bool("include_previous_versions") {
        memory.previous_versions = None;
    }
    if ctx.input.bool("include_connected_memories") {
        memory.connected_memories.get_or_insert_with(Vec::new);
    } else {
        memory.connected_memories = None;
    }
    memory
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Response {
    let wanted = ctx.input.strings("categories");
    let sessions = ctx.input.strings("session_id_filter");
    let session_metadata = ctx.input.object("session_metadata_filter");
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let invalid: Vec<String> = wanted
        .iter()
        .filter(|category| {
            !CATEGORIES.contains(&category.as_str())
                && !data
                    .memories
                    .iter()
                    .any(|memory| memory.categories.contains(category))
        })
        .cloned()
        .collect();
    if !invalid.is_empty() {
        let body = InvalidCategoriesError::new(InvalidCategoriesErrorDetail::new(
            invalid,
            "Invalid categories".to_string(),
        ));
        return response::json(StatusCode::BAD_REQUEST, &body);
    }
    let metadata_sessions: Option<Vec<String>> = session_metadata.map(|filter| {
        data.sessions
            .iter()
            .filter(|record| crate::filter::contains(&record.metadata, &filter))
            .map(|record| record.session_id.to_string())
            .collect()
    });
    let keep = |memory: &Memory| {
        (wanted.is_empty() || memory.categories.iter().any(|c| wanted.contains(c)))
            && (sessions.is_empty()
                || sessions
                    .iter()
                    .any(|id| id.eq_ignore_ascii_case(&memory.session_id)))
            && metadata_sessions.as_ref().is_none_or(|ids| {
                ids.iter()
                    .any(|id| id.eq_ignore_ascii_case(&memory.session_id))
            })
    };
    let filtered = !wanted.is_empty() || !sessions.is_empty() || metadata_sessions.is_some();
    let (page, total, has_more) = ordered_page(
        &data.memories,
        Some(newest_first(&data.memories)),
        false,
        filtered.then_some(&keep as &dyn Fn(&Memory) -> bool),
        ctx.input,
        20,
    );
    let items = page.into_iter().map(|memory| shaped(memory, ctx)).collect();
    response::json(StatusCode::OK, &MemoryList::new(has_more, items, total))
}

fn find(data: &UserData, id: &str) -> Option<usize> {
    let parsed = Uuid::try_parse(id).ok()?;
    data.memories
        .iter()
        .position(|memory| memory.memory_id == parsed)
}

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let id = ctx.input.str("memory_id");
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    match find(data, id).and_then(|at| data.memories.get(at)) {
        Some(memory) => response::json(StatusCode::OK, &shaped(memory, ctx)),
        None => memory_not_found(id),
    }
}

pub(crate) fn delete(ctx: &Ctx<'_>) -> Response {
    let id = ctx.input.str("memory_id");
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let Some(at) = find(data, id) else {
        return memory_not_found(id);
    };
    let memory = data.memories.remove(at);
    if !ctx.input.bool("delete_previous_versions")
        && let Some(mut versions) = memory.previous_versions.clone()
        && let Some(newest) = versions.pop()
    {
        let mut previous = memory;
        previous.content = newest.content;
        previous.event_date_start = newest.event_date_start;
        previous.event_date_end = newest.event_date_end;
        previous.created_at = newest.created_at;
        previous.version_number = newest.version_number;
        previous.total_versions = i64::try_from(versions.len()).unwrap_or(i64::MAX) + 1;
        previous.has_previous_versions = !versions.is_empty();
        previous.previous_versions = Some(versions);
        data.memories.insert(at, previous);
    }
    response::no_content()
}
