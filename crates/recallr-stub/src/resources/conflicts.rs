//! Merge conflicts. The stub never creates one on its own: tests seed them
//! ([`Store::insert_merge_conflict`](crate::Store::insert_merge_conflict)
//! or the data file's `merge_conflicts`). Rules:
//! - list: `status` keeps one status; `sort_by` is `created_at` or
//!   `resolved_at` and `sort_order` `asc` or `desc` (anything else means
//!   the default, `created_at` and `desc`: the spec documents no error for
//!   them); ties break by id;
//! - resolve takes the answers wrapped, `{"answers": {"question_answers":
//!   [...]}}`, as the official SDK sends them (the spec's
//!   `ResolveMergeConflictRequest`), and checks, in this order, each a 400 worded as the official SDK
//!   recognises it: the conflict is `PENDING` ("already resolved");
//!   every answered question is one of its clarifying questions; every
//!   question is answered; every answer is one of its question's options.
//!   Then the conflict is `IN_QUEUE` with the answers as
//!   `resolution_data`, and [`StubConfig::resolving`](crate::StubConfig)
//!   later on the stub's clock it is `RESOLVED`, with `resolved_at`.

use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use recallr_api::types::{
    MergeConflict, MergeConflictAnswers, MergeConflictList, MergeConflictResponse,
    MergeConflictStatus, ResolveMergeConflictRequest,
};
use uuid::Uuid;

use super::{Ctx, bad_request, ordered_page};
use crate::model::UserData;
use crate::response;
use crate::state::Timing;

/// Conflicts in the queue long enough become `RESOLVED`.
pub(crate) fn settle(data: &mut UserData, now: DateTime<Utc>, timing: Timing) {
    // A duration past chrono's range is never over, not over at once.
    let resolving = chrono::TimeDelta::from_std(timing.resolving).unwrap_or(chrono::TimeDelta::MAX);
    let due: Vec<(Uuid, DateTime<Utc>)> = data
        .queued
        .iter()
        .filter_map(|(id, at)| {
            let done = at
                .checked_add_signed(resolving)
                .unwrap_or(DateTime::<Utc>::MAX_UTC);
            (done <= now).then_some((*id, done))
        })
        .collect();
    for (id, at) in due {
        data.queued.remove(&id);
        let index = data.conflicts.iter().position(|c| c.id == id);
        if let Some(conflict) = index.and_then(|index| data.conflicts.get_mut(index)) {
            conflict.status = MergeConflictStatus::RESOLVED;
            conflict.resolved_at = Some(at);
        }
    }
}

fn conflict_not_found(id: &str) -> Response {
    response::detail(
        StatusCode::NOT_FOUND,
        &format!("Merge conflict {id} not found"),
    )
}

fn conflict_id(ctx: &Ctx<'_>) -> Uuid {
    Uuid::try_parse(ctx.input.str("conflict_id")).unwrap_or_default()
}

pub(crate) fn list(ctx: &Ctx<'_>) -> Response {
    // The spec documents no error for these: anything else is the default.
    let by_resolution = ctx.input.opt_str("sort_by") == Some("resolved_at");
    let ascending = ctx.input.opt_str("sort_order") == Some("asc");
    let status = ctx.input.opt_str("status").map(MergeConflictStatus::from);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    // Both orders are kept ascending (ties by id); descending reads them
    // from the end.
    let order = if by_resolution {
        data.conflicts.order(1, |a, b| {
            a.resolved_at
                .cmp(&b.resolved_at)
                .then_with(|| a.id.cmp(&b.id))
        })
    } else {
        data.conflicts.order(0, |a, b| {
            a.created_at
                .cmp(&b.created_at)
                .then_with(|| a.id.cmp(&b.id))
        })
    };
    let keep =
        |conflict: &MergeConflict| status.as_ref().is_none_or(|want| conflict.status == *want);
    let (page, total, has_more) = ordered_page(
        &data.conflicts,
        Some(order),
        !ascending,
        status
            .is_some()
            .then_some(&keep as &dyn Fn(&MergeConflict) -> bool),
        ctx.input,
        10,
    );
    let conflicts = page.into_iter().cloned().collect();
    drop(inner);
    response::json(
        StatusCode::OK,
        &MergeConflictList::new(conflicts, has_more, total),
    )
}

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let id = conflict_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    match data.conflicts.iter().find(|conflict| conflict.id == id) {
        Some(conflict) => response::json(
            StatusCode::OK,
            &MergeConflictResponse::new(conflict.clone()),
        ),
        None => conflict_not_found(ctx.input.str("conflict_id")),
    }
}

/// Why the answers do not resolve the conflict, if they do not.
fn check_answers(conflict: &MergeConflict, answers: &MergeConflictAnswers) -> Result<(), String> {
    if conflict.status != MergeConflictStatus::PENDING {
        return Err(format!(
            "Merge conflict {} is already resolved or being resolved (status {})",
            conflict.id, conflict.status
        ));
    }
    let questions = &conflict.clarifying_questions;
    let invalid: Vec<&str> = answers
        .question_answers
        .iter()
        .map(|answer| answer.question.as_str())
        .filter(|asked| !questions.iter().any(|q| q.question == *asked))
        .collect();
    if !invalid.is_empty() {
        return Err(format!(
            "Invalid questions provided: {}",
            invalid.join("; ")
        ));
    }
    let missing: Vec<&str> = questions
        .iter()
        .map(|q| q.question.as_str())
        .filter(|question| {
            !answers
                .question_answers
                .iter()
                .any(|answer| answer.question == *question)
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "Missing answers for the following questions: {}",
            missing.join("; ")
        ));
    }
    for answer in &answers.question_answers {
        let options = questions
            .iter()
            .find(|q| q.question == answer.question)
            .map(|q| q.options.as_slice())
            .unwrap_or_default();
        if !options.contains(&answer.answer) {
            return Err(format!(
                "Invalid answer {:?} for question {:?}: expected one of {}",
                answer.answer,
                answer.question,
                options.join(", ")
            ));
        }
    }
    Ok(())
}

pub(crate) fn resolve(ctx: &Ctx<'_>) -> Response {
    let answers = match ctx.body::<ResolveMergeConflictRequest>() {
        Ok(request) => request.answers,
        Err(response) => return response,
    };
    let id = conflict_id(ctx);
    let mut inner = ctx.shared.store.write();
    let data = match ctx.user(&mut inner) {
        Ok(data) => data,
        Err(response) => return response,
    };
    let at = data.conflicts.iter().position(|conflict| conflict.id == id);
    let Some(conflict) = at.and_then(|at| data.conflicts.get_mut(at)) else {
        return conflict_not_found(ctx.input.str("conflict_id"));
    };
    if let Err(reason) = check_answers(conflict, &answers) {
        return bad_request(&reason);
    }
    conflict.status = MergeConflictStatus::INQUEUE;
    conflict.resolution_data = Some(answers);
    let body = MergeConflictResponse::new(conflict.clone());
    data.queued.insert(id, ctx.now);
    response::json(StatusCode::OK, &body)
}
