//! Operations that answer `text/event-stream`: a [`Stream`] of typed
//! events, parsed by `eventsource-stream`, that ends with the event whose
//! final-marker field is `true`.
//!
//! Bounded: the whole body is capped by the generated client's `exec` hook
//! ([`RecallrBuilder::max_response_bytes`](crate::RecallrBuilder::max_response_bytes)),
//! so one event over the cap fails too; a stream that sends no final event
//! within the [`operation_timeout`](crate::RecallrBuilder::operation_timeout)
//! fails with [`Error::Timeout`]; one that ends without it, with a truncated
//! [`Error::Decode`].

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use eventsource_stream::{EventStreamError, Eventsource};
use futures::stream::{BoxStream, Stream, StreamExt};
use recallr_api::{ByteStream, ClientInfo, ResponseValue};
use serde::de::DeserializeOwned;

use crate::call::{self, SpanFields};
use crate::client::Recallr;
use crate::error::{Error, SNIPPET_LEN};
use crate::operation::Operation;
use crate::redact::clip;
use crate::response::{self, GeneratedError};

/// The events of one streaming call, from a generated `send_stream`:
/// each decoded as `T`, the last one the final event.
#[must_use = "a stream does nothing until polled"]
pub struct EventStream<T> {
    inner: BoxStream<'static, Result<T, Error>>,
}

impl<T> std::fmt::Debug for EventStream<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventStream").finish_non_exhaustive()
    }
}

impl<T> Stream for EventStream<T> {
    type Item = Result<T, Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        self.inner.poll_next_unpin(cx)
    }
}

/// When a stream started now must have ended: the client's operation
/// timeout from now, if it has one.
pub(crate) fn deadline(client: &Recallr) -> Option<tokio::time::Instant> {
    client
        .operation_timeout()
        .map(|budget| tokio::time::Instant::now() + budget)
}

/// Opens the stream through the generic call path (retries, span, errors),
/// within `deadline` when there is one.
pub(crate) async fn open<F, Fut>(
    client: &Recallr,
    operation: &'static Operation,
    ids: &[&str],
    deadline: Option<tokio::time::Instant>,
    attempt: F,
) -> Result<ResponseValue<ByteStream>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<ByteStream>, GeneratedError>>,
{
    match deadline {
        Some(deadline) => {
            call::call_until(
                client,
                operation,
                ids,
                SpanFields::default(),
                deadline,
                attempt,
            )
            .await
        }
        None => call::call(client, operation, ids, SpanFields::default(), attempt).await,
    }
}

impl<T: DeserializeOwned + Send + 'static> EventStream<T> {
    /// The events of the response `opened` gives, which ends with the one
    /// whose `final_field` is `true`.
    pub(crate) fn new(
        client: Recallr,
        deadline: Option<tokio::time::Instant>,
        final_field: &'static str,
        opened: impl Future<Output = Result<ResponseValue<ByteStream>, Error>> + Send + 'static,
    ) -> Self {
        let state = State::Opening(Box::pin(opened));
        let inner = futures::stream::unfold(state, move |state| {
            let client = client.clone();
            async move { next(state, &client, deadline, final_field).await }
        })
        .boxed();
        Self { inner }
    }
}

type Opening = Pin<Box<dyn Future<Output = Result<ResponseValue<ByteStream>, Error>> + Send>>;
type Events =
    BoxStream<'static, Result<eventsource_stream::Event, EventStreamError<reqwest::Error>>>;

enum State {
    Opening(Opening),
    Reading(Events),
    Done,
}

async fn next<T: DeserializeOwned>(
    state: State,
    client: &Recallr,
    deadline: Option<tokio::time::Instant>,
    final_field: &'static str,
) -> Option<(Result<T, Error>, State)> {
    let mut events = match state {
        State::Done => return None,
        State::Reading(events) => events,
        State::Opening(opened) => match opened.await {
            Ok(response) => response.into_inner().into_inner().eventsource().boxed(),
            Err(error) => return Some((Err(error), State::Done)),
        },
    };
    let limit = client.api().inner().max_response_bytes();
    loop {
        let event = match deadline {
            Some(deadline) => match tokio::time::timeout_at(deadline, events.next()).await {
                Ok(event) => event,
                Err(_) => return Some((Err(call::operation_timed_out(client)), State::Done)),
            },
            None => events.next().await,
        };
        let event = match event {
            None => return Some((Err(ended_early(final_field)), State::Done)),
            Some(Err(EventStreamError::Transport(error))) => {
                let error = response::convert(
                    recallr_api::Error::ResponseBodyError(error),
                    client.redactor(),
                    &[],
                )
                .await;
                return Some((Err(error), State::Done));
            }
            Some(Err(error)) => {
                let message = clip(&client.redactor().clean(&error.to_string()), SNIPPET_LEN);
                return Some((Err(undecodable(message, "")), State::Done));
            }
            Some(Ok(event)) => event,
        };
        // Comments and keep-alives carry no data.
        if event.data.trim().is_empty() {
            continue;
        }
        if event.data.len() > limit {
            return Some((
                Err(undecodable(
                    format!(
                        "an event of {} bytes is larger than this client reads (RecallrBuilder::max_response_bytes)",
                        event.data.len()
                    ),
                    "",
                )),
                State::Done,
            ));
        }
        let decoded = serde_json::from_str::<serde_json::Value>(&event.data).and_then(|value| {
            let is_final = value.get(final_field) == Some(&serde_json::Value::Bool(true));
            serde_json::from_value::<T>(value).map(|event| (event, is_final))
        });
        return match decoded {
            Ok((event, true)) => Some((Ok(event), State::Done)),
            Ok((event, false)) => Some((Ok(event), State::Reading(events))),
            Err(error) => {
                // serde_json quotes what it could not decode, which may be the key.
                let redactor = client.redactor();
                let message = clip(&redactor.clean(&error.to_string()), SNIPPET_LEN);
                let snippet = redactor.snippet(event.data.as_bytes(), SNIPPET_LEN);
                Some((Err(undecodable(message, &snippet)), State::Done))
            }
        };
    }
}

fn undecodable(message: String, snippet: &str) -> Error {
    Error::Decode {
        status: None,
        message,
        snippet: snippet.to_string(),
        truncated: false,
        source: None,
    }
}

fn ended_early(final_field: &str) -> Error {
    Error::Decode {
        status: None,
        message: format!("the event stream ended before its final event (`{final_field}: true`)"),
        snippet: String::new(),
        truncated: true,
        source: None,
    }
}
