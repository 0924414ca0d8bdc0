//! [`Recallr::execute`]: any generated request, named by its operation id,
//! through the one call path ([`call`](crate::call)) with that operation's
//! data from [`operation_info`](crate::operation_info). The `recallr`
//! command sends every operation this way; its table is generated, so it
//! cannot use the typed handles, which are too.

use std::future::Future;

use recallr_api::ResponseValue;

use crate::call::{self, SpanFields};
use crate::client::Recallr;
use crate::error::Error;
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

/// The operation named `id`.
fn find(id: &str) -> Result<&'static Operation, Error> {
    operation_info::ALL
        .iter()
        .find(|operation| operation.id == id)
        .ok_or_else(|| Error::invalid_request(format!("{id:?} is not an operation of this client")))
}
