//! Users. Rules:
//! - create answers 201, or 409 when the id exists;
//! - list is ordered by `custom_user_id`; `partial_user_id` keeps ids that
//!   contain it, `metadata_filter` users whose metadata contains it
//!   (nested containment, as for sessions);
//! - update may rename the user (409 when the new id exists) and replaces
//!   the metadata when `new_metadata` is given;
//! - delete answers 204 and drops everything of the user.
//!
//! Every change sets `last_active_at` to the stub's clock. A user is
//! served with every field of the vendor's model, an unset
//! `merge_conflict_enabled` as `null` (see [`served`]).

use axum::http::StatusCode;
use axum::response::Response;
use recallr_api::types::{CreateUserRequest, UpdateUserRequest, UserInfo};
use serde_json::{Value, json};

use super::{Ctx, ordered_page, user_not_found};
use crate::model::{UserData, UserMeta};
use crate::response;

/// A user as the vendor serialises it. FastAPI sends every field of its
/// response model, `None` as `null`, and the official SDK reads
/// `merge_conflict_enabled` unconditionally (a `KeyError` when it is
/// absent); the generated `UserInfo` leaves an unset one out, so it is put
/// back here.
fn served(info: &UserInfo) -> Value {
    let mut value = serde_json::to_value(info).unwrap_or(Value::Null);
    if let Value::Object(fields) = &mut value {
        fields
            .entry("merge_conflict_enabled")
            .or_insert(Value::Null);
    }
    value
}

/// `{"user": ...}`, as get, create and update answer.
fn one(status: StatusCode, info: &UserInfo) -> Response {
    response::json(status, &json!({ "user": served(info) }))
}

fn exists(id: &str) -> Response {
    response::detail(
        StatusCode::CONFLICT,
        &format!("User with custom_user_id {id} already exists"),
    )
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Response {
    let partial = ctx.input.opt_str("partial_user_id").unwrap_or_default();
    let metadata = ctx.input.object("metadata_filter");
    let inner = ctx.shared.store.read();
    let users = &inner.users;
    let keep = |id: &String| {
        id.contains(partial)
            && metadata.as_ref().is_none_or(|filter| {
                users
                    .get(id)
                    .is_some_and(|data| crate::filter::contains(&data.meta.metadata, filter))
            })
    };
    let filtered = !partial.is_empty() || metadata.is_some();
    let (ids, total, has_more) = ordered_page(
        users.ids(),
        None,
        false,
        filtered.then_some(&keep as &dyn Fn(&String) -> bool),
        ctx.input,
        10,
    );
    let page = ids
        .into_iter()
        .filter_map(|id| Some(users.get(id)?.meta.to_info(id)))
        .collect::<Vec<UserInfo>>();
    drop(inner);
    let users: Vec<Value> = page.iter().map(served).collect();
    response::json(
        StatusCode::OK,
        &json!({"users": users, "total": total, "has_more": has_more}),
    )
}

pub(crate) fn create(ctx: &Ctx<'_>) -> Response {
    let request: CreateUserRequest = match ctx.body() {
        Ok(request) => request,
        Err(response) => return response,
    };
    let mut inner = ctx.shared.store.write();
    if inner.users.contains_key(&request.custom_user_id) {
        return exists(&request.custom_user_id);
    }
    let meta = UserMeta {
        created_at: ctx.now,
        last_active_at: ctx.now,
        metadata: request.metadata,
        merge_conflict_enabled: request.merge_conflict_enabled,
    };
    let info = meta.to_info(&request.custom_user_id);
    inner.users.insert(
        request.custom_user_id,
        UserData {
            meta,
            ..UserData::default()
        },
    );
    one(StatusCode::CREATED, &info)
}

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let id = ctx.input.str("custom_user_id");
    match ctx.shared.store.read().users.get(id) {
        Some(data) => one(StatusCode::OK, &data.meta.to_info(id)),
        None => user_not_found(id),
    }
}

pub(crate) fn update(ctx: &Ctx<'_>) -> Response {
    let request: UpdateUserRequest = match ctx.body() {
        Ok(request) => request,
        Err(response) => return response,
    };
    let id = ctx.input.str("custom_user_id");
    let mut inner = ctx.shared.store.write();
    if !inner.users.contains_key(id) {
        return user_not_found(id);
    }
    let new_id = request
        .new_custom_user_id
        .clone()
        .unwrap_or_else(|| id.to_string());
    if new_id != id && inner.users.contains_key(&new_id) {
        return exists(&new_id);
    }
    let Some(mut data) = inner.users.remove(id) else {
        return user_not_found(id);
    };
    if let Some(metadata) = request.new_metadata {
        data.meta.metadata = metadata;
    }
    if let Some(enabled) = request.merge_conflict_enabled {
        data.meta.merge_conflict_enabled = Some(enabled);
    }
    data.meta.last_active_at = ctx.now;
    let info = data.meta.to_info(&new_id);
    inner.users.insert(new_id, data);
    one(StatusCode::OK, &info)
}

pub(crate) fn delete(ctx: &Ctx<'_>) -> Response {
    let id = ctx.input.str("custom_user_id");
    match ctx.shared.store.write().users.remove(id) {
        Some(_) => response::no_content(),
        None => user_not_found(id),
    }
}
