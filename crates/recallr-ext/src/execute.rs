//! [`Recallr::execute`]: any generated request, named by its operation id,
//! through the one call path ([`call`](crate::call)) with that operation's
//! data from [`operation_info`](crate::operation_info). The `recallr`
//! command sends every operation this way; its table is generated, so it
//! cannot use the typed handles, which are too.

use std::future::Future;

use futures::future::BoxFuture;
use recallr_api::{ByteStream, ResponseValue};
use serde::de::DeserializeOwned;

use crate::call::{self, SpanFields};
use crate::client::Recallr;
use crate::error::Error;
use crate::events::{self, EventStream};
use crate::operation::Operation;
use crate::operation_info;
use crate::response::GeneratedError;

impl Recallr {
    /// Sends the request that `send` builds with the generated client, as
    /// operation `operation` (its `operationId`): retried by its
    /// [`RetryRule`](crate::RetryRule) under the client's
    /// [`RetryPolicy`](crate::RetryPolicy), within the operation timeout,
    /// in a `recallr.request` span, every failure one [`Error`]. `ids` are
    /// the path's ids in path order, so that a 404 names what is missing.
    /// `send` runs once per attempt and must build the request afresh.
    ///
    /// An id that is not an operation of this client's spec is an
    /// [`Error::InvalidRequest`], sent nowhere.
    ///
    /// ```no_run
    /// # async fn run(client: recallr_ext::Recallr) -> Result<(), recallr_ext::Error> {
    /// let user = client
    ///     .execute("get_user", &["u1"], |api| api.get_user().custom_user_id("u1").send())
    ///     .await?;
    /// println!("{}", user.user.custom_user_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute<'a, T, F, Fut>(
        &'a self,
        operation: &str,
        ids: &[&str],
        send: F,
    ) -> Result<T, Error>
    where
        F: Fn(&'a recallr_api::Client) -> Fut,
        Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
    {
        let operation = find(operation)?;
        let api = self.api();
        call::call(self, operation, ids, SpanFields::default(), || send(api))
            .await
            .map(ResponseValue::into_inner)
    }
}

impl Recallr {
    /// Like [`execute`](Self::execute), for an operation that answers with
    /// server-sent events: `send` builds the request with the generated
    /// client and sends it with its `send_event_stream`; the events come
    /// decoded as `T`, ending with the one whose `final_field` is `true`,
    /// bounded by the body cap and the operation timeout (see
    /// [`EventStream`]). The request is sent when the stream is first
    /// polled; an unknown `operation` is the stream's one error.
    ///
    /// ```no_run
    /// # async fn run(client: recallr_ext::Recallr) -> Result<(), recallr_ext::Error> {
    /// use futures::TryStreamExt;
    /// let session: uuid::Uuid = "3c90c3cc-0d44-4b50-8888-8dd25736052a".parse().expect("a uuid");
    /// let mut events = client.execute_event_stream::<serde_json::Value, _>(
    ///     "get_context",
    ///     &["u1", "3c90c3cc-0d44-4b50-8888-8dd25736052a"],
    ///     "is_final",
    ///     move |api| {
    ///         Box::pin(
    ///             api.get_context()
    ///                 .custom_user_id("u1")
    ///                 .session_id(session)
    ///                 .stream(true)
    ///                 .send_event_stream(),
    ///         )
    ///     },
    /// );
    /// while let Some(event) = events.try_next().await? {
    ///     println!("{event}");
    /// }
    /// # Ok(())
    /// # }
    /// ```
    pub fn execute_event_stream<T, F>(
        &self,
        operation: &str,
        ids: &[&str],
        final_field: &'static str,
        send: F,
    ) -> EventStream<T>
    where
        T: DeserializeOwned + Send + 'static,
        F: for<'c> Fn(
                &'c recallr_api::Client,
            )
                -> BoxFuture<'c, Result<ResponseValue<ByteStream>, GeneratedError>>
            + Send
            + Sync
            + 'static,
    {
        let client = self.clone();
        let deadline = events::deadline(&client);
        let operation = find(operation);
        let ids: Vec<String> = ids.iter().map(|id| (*id).to_string()).collect();
        let opened = async move {
            let operation = operation?;
            let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
            let api = client.api();
            events::open(&client, operation, &ids, deadline, || send(api)).await
        };
        EventStream::new(self.clone(), deadline, final_field, opened)
    }
}

/// The operation named `id`.
fn find(id: &str) -> Result<&'static Operation, Error> {
    operation_info::ALL
        .iter()
        .find(|operation| operation.id == id)
        .ok_or_else(|| Error::invalid_request(format!("{id:?} is not an operation of this client")))
}
