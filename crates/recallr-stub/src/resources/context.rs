//! Context. Rules: the text is built, deterministically, from
//! - the system prompt for the recall strategy (if `include_system_prompt`),
//! - the user's memories, newest first, at most `max_top_k`,
//! - the session's last `last_n_messages` messages (default 10), oldest
//!   first, as `role: content` lines.
//!
//! `metadata` (the strategy used, `auto` reported as `balanced`, and the
//! memory and session ids) comes only with `include_metadata_ids=true`.
//! With `stream=true` the answer is a Server-Sent-Events stream of
//! `data: <ContextResponse>` events: two status updates, then the final
//! event (`is_final: true`) with the context. A `TruncateBody` fault cuts
//! the stream before its final event.

use axum::body::Body;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::Response;
use recallr_api::types::{ContextMetadata, ContextResponse, RecallStrategy};

use super::Ctx;
use super::sessions::{session_id, session_not_found};
use crate::response;

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let id = session_id(ctx);
    let strategy = ctx.input.opt_str("recall_strategy").unwrap_or("balanced");
    let max_memories = usize::try_from(ctx.input.u64("max_top_k").unwrap_or(50)).unwrap_or(50);
    let last_messages =
        usize::try_from(ctx.input.u64("last_n_messages").unwrap_or(10)).unwrap_or(10);
    let (text, memory_ids) = {
        let mut inner = ctx.shared.store.write();
        let data = match ctx.user(&mut inner) {
            Ok(data) => data,
            Err(response) => return response,
        };
        if data.sessions.get(id).is_none() {
            return session_not_found(ctx.input.str("session_id"));
        }
        let memories: Vec<_> = super::memories::newest_first(&data.memories)
            .iter()
            .take(max_memories)
            .filter_map(|&index| data.memories.get(index))
            .collect();
        let mut text = String::new();
        if ctx.input.bool("include_system_prompt") {
            text.push_str(&super::system_prompt::text(strategy));
            text.push_str("\n\n");
        }
        text.push_str("Memories:\n");
        for memory in &memories {
            text.push_str(&format!("- {}\n", memory.content));
        }
        text.push_str("\nRecent messages:\n");
        let messages = data
            .messages
            .get(&id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        let start = messages.len().saturating_sub(last_messages);
        for message in &messages[start..] {
            text.push_str(&format!("{}: {}\n", message.role, message.content));
        }
        let ids: Vec<String> = memories.iter().map(|m| m.memory_id.to_string()).collect();
        (text, ids)
    };
    let mut answer = ContextResponse::new(true);
    answer.context = Some(text);
    if ctx.input.bool("include_metadata_ids") {
        let used = if strategy == "auto" {
            "balanced"
        } else {
            strategy
        };
        let mut metadata = ContextMetadata::new(RecallStrategy::from(used));
        metadata.memory_ids = Some(memory_ids);
        metadata.session_ids = Some(vec![id.to_string()]);
        answer.metadata = Some(metadata);
    }
    if !ctx.input.bool("stream") {
        return response::json(StatusCode::OK, &answer);
    }
    let mut events = String::new();
    for step in ["Searching memories", "Building context"] {
        let mut update = ContextResponse::new(false);
        update.status_update_message = Some(step.to_string());
        push_event(&mut events, &update);
    }
    push_event(&mut events, &answer);
    let mut response = Response::new(Body::from(events));
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    response
        .headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn push_event(events: &mut String, event: &ContextResponse) {
    if let Ok(json) = serde_json::to_string(event) {
        events.push_str("data: ");
        events.push_str(&json);
        events.push_str("\n\n");
    }
}
