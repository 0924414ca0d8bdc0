//! [`Recallr::execute`]: the one generic way to send any generated request
//! with the client's guarantees (retries, operation timeout, a span named
//! after the operation, typed and redacted errors, the body cap).
//!
//! A minimal version for the `recallr` command; the whole-API `recallr-ext`
//! (issue 19) owns the final shape. The loop is the one `ListSessions`
//! runs, made generic over the request.

use std::future::Future;
use std::time::Instant;

use tracing::Instrument;

use crate::client::Recallr;
use crate::error::Error;
use crate::response;

impl Recallr {
    /// Sends the request that `send` builds with the generated client,
    /// retried as the client's [`RetryPolicy`](crate::RetryPolicy) says,
    /// within its operation timeout, and returns the decoded answer.
    /// `send` is called once per attempt, so it must build the request
    /// afresh each time; `operation` names the span (`recallr.request`).
    ///
    /// Every request is still the generated client's: this only decides
    /// what happens around it.
    ///
    /// ```no_run
    /// # async fn run(client: recallr_ext::Recallr) -> Result<(), recallr_ext::Error> {
    /// let user = client
    ///     .execute("get_user", |api| api.get_user().custom_user_id("u1").send())
    ///     .await?;
    /// println!("{}", user.user.custom_user_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn execute<'a, T, F, Fut>(
        &'a self,
        operation: &'static str,
        send: F,
    ) -> Result<T, Error>
    where
        F: Fn(&'a recallr_api::Client) -> Fut,
        Fut: Future<Output = Result<recallr_api::ResponseValue<T>, recallr_api::Error<()>>>,
    {
        let Some(budget) = self.operation_timeout() else {
            return self.execute_with_retries(operation, &send, None).await;
        };
        let deadline = tokio::time::Instant::now() + budget;
        match tokio::time::timeout_at(
            deadline,
            self.execute_with_retries(operation, &send, Some(deadline)),
        )
        .await
        {
            Ok(result) => result,
            Err(_) => Err(Error::Timeout {
                message: format!(
                    "the call did not finish within the operation timeout ({} s)",
                    budget.as_secs_f64()
                ),
                source: None,
            }),
        }
    }

    async fn execute_with_retries<'a, T, F, Fut>(
        &'a self,
        operation: &'static str,
        send: &F,
        deadline: Option<tokio::time::Instant>,
    ) -> Result<T, Error>
    where
        F: Fn(&'a recallr_api::Client) -> Fut,
        Fut: Future<Output = Result<recallr_api::ResponseValue<T>, recallr_api::Error<()>>>,
    {
        let policy = self.retry_policy();
        let mut retry = 0;
        loop {
            let span = tracing::info_span!(
                "recallr.request",
                operation,
                attempt = retry + 1,
                status = tracing::field::Empty,
                latency_ms = tracing::field::Empty,
            );
            // Only a span a subscriber listens to is worth the clock reads.
            let started = (!span.is_disabled()).then(Instant::now);
            let result = send(self.api()).instrument(span.clone()).await;
            if let Some(started) = started {
                span.record("latency_ms", started.elapsed().as_millis() as u64);
            }
            let error = match result {
                Ok(answer) => {
                    span.record("status", answer.status().as_u16());
                    return Ok(answer.into_inner());
                }
                Err(error) => response::convert(error, self.redactor()).await,
            };
            if let Some(status) = error.status() {
                span.record("status", status.as_u16());
            }
            let Some(delay) = policy.delay_before_retry(retry, &error) else {
                return Err(error);
            };
            // A wait that outlasts the deadline only delays the failure.
            if deadline.is_some_and(|deadline| tokio::time::Instant::now() + delay >= deadline) {
                return Err(error);
            }
            span.in_scope(|| {
                tracing::warn!(%error, delay_ms = delay.as_millis() as u64, "retrying");
            });
            tokio::time::sleep(delay).await;
            retry += 1;
        }
    }
}
