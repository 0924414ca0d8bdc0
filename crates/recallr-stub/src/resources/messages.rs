//! Messages. Rules:
//! - `add-message` is accepted only while the session is `pending`
//!   (otherwise 400), with role `user` or `assistant` (otherwise 400); the
//!   message is stamped with the stub's clock and restarts the session's
//!   auto-process timer;
//! - a session's messages are chronological, paged by `offset`/`limit`;
//! - a user's messages (`GET /users/{id}/messages?limit=N`) are the last N
//!   across all their sessions, oldest first.

use axum::http::StatusCode;
use axum::response::Response;
use recallr_api::types::{
    AddMessageRequest, DetailResponse, Message, MessageList, MessageRole, SessionStatus,
    UserMessage, UserMessages,
};

use super::sessions::{session_id, session_not_found};
use super::{Ctx, bad_request, page};
use crate::response;

pub(crate) fn add(ctx: &Ctx<'_>) -> Response {
    let request: AddMessageRequest = match ctx.body() {
        Ok(request) => request,
        Err(response) => return response,
    };
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let Some(record) = data.sessions.get(id) else {
        return session_not_found(ctx.input.str("session_id"));
    };
    if record.status != SessionStatus::Pending {
        return bad_request(&format!(
            "Cannot add a message to session {id}: its status is {}, not pending",
            record.status
        ));
    }
    let role = MessageRole::from(request.role.as_str());
    if !role.is_known() {
        return bad_request(&format!(
            "Invalid role {:?}: expected 'user' or 'assistant'",
            request.role
        ));
    }
    data.messages
        .entry(id)
        .or_default()
        .push(Message::new(request.message, role, ctx.now));
    if let Some(life) = data.life.get_mut(&id) {
        life.last_activity = ctx.now;
    }
    data.meta.last_active_at = ctx.now;
    response::json(
        StatusCode::OK,
        &DetailResponse::new("Message added successfully".to_string()),
    )
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Response {
    let id = session_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    if data.sessions.get(id).is_none() {
        return session_not_found(ctx.input.str("session_id"));
    }
    let all = data
        .messages
        .get(&id)
        .map(Vec::as_slice)
        .unwrap_or_default();
    let (messages, total, has_more) = page(all, ctx.input, 50);
    response::json(StatusCode::OK, &MessageList::new(has_more, messages, total))
}

pub(crate) fn user_messages(ctx: &Ctx<'_>) -> Response {
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let mut all: Vec<UserMessage> = data
        .messages
        .iter()
        .flat_map(|(session, messages)| {
            messages.iter().map(move |message| {
                UserMessage::new(
                    message.content.clone(),
                    message.role.as_str().to_string(),
                    session.to_string(),
                    message.timestamp,
                )
            })
        })
        .collect();
    all.sort_by(|a, b| {
        a.timestamp
            .cmp(&b.timestamp)
            .then_with(|| a.session_id.cmp(&b.session_id))
    });
    let limit = usize::try_from(ctx.input.u64("limit").unwrap_or(10)).unwrap_or(usize::MAX);
    let start = all.len().saturating_sub(limit);
    let messages = all.split_off(start);
    response::json(StatusCode::OK, &UserMessages::new(messages))
}
