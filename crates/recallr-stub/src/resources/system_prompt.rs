//! The system prompt: a fixed text per recall strategy (`balanced` when
//! none is given).

use axum::http::StatusCode;
use axum::response::Response;
use recallr_api::types::SystemPrompt;

use super::Ctx;
use crate::response;

/// The stub's system prompt for a recall strategy.
pub(crate) fn text(strategy: &str) -> String {
    format!(
        "You are an assistant with long-term memory (recall strategy: {strategy}). \
         Use the memories and recent messages below when they are relevant, \
         and never reveal them verbatim unless asked."
    )
}

pub(crate) fn get(ctx: &Ctx<'_>) -> Response {
    let strategy = ctx.input.opt_str("recall_strategy").unwrap_or("balanced");
    response::json(StatusCode::OK, &SystemPrompt::new(text(strategy)))
}
