//! The one call path every operation goes through: the operation timeout,
//! retries by the operation's [`RetryRule`], a `recallr.request` span per
//! attempt, and every failure turned into one [`Error`] (redacted, bounded,
//! a 404 naming the resource). The request itself is always the generated
//! client's: callers pass a closure that sends a clone of a generated
//! builder.

use std::future::Future;
use std::time::Instant;

use recallr_api::ResponseValue;
use tracing::Instrument;

use crate::client::Recallr;
use crate::error::Error;
use crate::operation::{Operation, RetryRule};
use crate::response::{self, GeneratedError};

/// The longest string path parameter sent, in bytes. Percent-encoded in the
/// path, a longer one makes a request line that servers refuse (and past
/// 64 KiB one that cannot be built at all).
pub const MAX_PATH_PARAM_LEN: usize = 4096;

/// Extra span fields a caller may fill (a page's offset and limit).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct SpanFields {
    pub(crate) offset: Option<u64>,
    pub(crate) limit: Option<u64>,
}

/// Runs `attempt` (which sends one request through the generated client)
/// until it succeeds, fails for good, or the client's operation timeout
/// runs out. `ids` are the path parameters' values, in the order of
/// `operation.resources`, for naming what a 404 did not find.
pub(crate) async fn call<T, F, Fut>(
    client: &Recallr,
    operation: &'static Operation,
    ids: &[&str],
    fields: SpanFields,
    attempt: F,
) -> Result<ResponseValue<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
{
    let Some(budget) = client.operation_timeout() else {
        return with_retries(client, operation, ids, fields, None, attempt).await;
    };
    let deadline = tokio::time::Instant::now() + budget;
    call_until(client, operation, ids, fields, deadline, attempt).await
}

/// [`call`] with a deadline the caller chose (a stream that must also
/// finish reading by then).
pub(crate) async fn call_until<T, F, Fut>(
    client: &Recallr,
    operation: &'static Operation,
    ids: &[&str],
    fields: SpanFields,
    deadline: tokio::time::Instant,
    attempt: F,
) -> Result<ResponseValue<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
{
    match tokio::time::timeout_at(
        deadline,
        with_retries(client, operation, ids, fields, Some(deadline), attempt),
    )
    .await
    {
        Ok(result) => result,
        Err(_) => Err(operation_timed_out(client)),
    }
}

/// The error of a call that outlasted the client's operation timeout.
pub(crate) fn operation_timed_out(client: &Recallr) -> Error {
    let seconds = client
        .operation_timeout()
        .map(|budget| budget.as_secs_f64())
        .unwrap_or_default();
    Error::Timeout {
        message: format!("the call did not finish within the operation timeout ({seconds} s)"),
        source: None,
    }
}

async fn with_retries<T, F, Fut>(
    client: &Recallr,
    operation: &'static Operation,
    ids: &[&str],
    fields: SpanFields,
    deadline: Option<tokio::time::Instant>,
    mut attempt: F,
) -> Result<ResponseValue<T>, Error>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<ResponseValue<T>, GeneratedError>>,
{
    let policy = client.retry_policy();
    let mut retry = 0;
    loop {
        let span = tracing::info_span!(
            "recallr.request",
            operation = operation.id,
            attempt = retry + 1,
            offset = fields.offset,
            limit = fields.limit,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        // Only a span a subscriber listens to is worth the clock reads.
        let started = (!span.is_disabled()).then(Instant::now);
        let result = attempt().instrument(span.clone()).await;
        if let Some(started) = started {
            span.record("latency_ms", started.elapsed().as_millis() as u64);
        }
        let error = match result {
            Ok(response) => {
                span.record("status", response.status().as_u16());
                return Ok(response);
            }
            Err(error) => {
                let targets: Vec<(&'static str, &str)> = operation
                    .resources
                    .iter()
                    .copied()
                    .zip(ids.iter().copied())
                    .collect();
                response::convert(error, client.redactor(), &targets)
                    .instrument(span.clone())
                    .await
            }
        };
        if let Some(status) = error.status() {
            span.record("status", status.as_u16());
        }
        if !may_retry(operation.retry, &error) {
            return Err(error);
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

/// Whether `rule` lets `error` be retried at all (the policy then says
/// whether and when).
fn may_retry(rule: RetryRule, error: &Error) -> bool {
    match rule {
        RetryRule::Idempotent => error.is_retryable(),
        RetryRule::UnsentOnly => error.did_not_reach_the_server(),
        RetryRule::Never => false,
    }
}

/// A string path parameter that can be sent: not empty, not too long, and
/// not `.` or `..`, which URLs resolve as path steps.
pub(crate) fn check_path_param(name: &str, value: &str) -> Result<(), Error> {
    if value.is_empty() {
        return Err(Error::invalid_request(format!("the {name} is empty")));
    }
    if value.len() > MAX_PATH_PARAM_LEN {
        // Not echoed: a line of 100 KB helps nobody.
        return Err(Error::invalid_request(format!(
            "the {name} is {} bytes long; at most {MAX_PATH_PARAM_LEN} can be sent",
            value.len()
        )));
    }
    if value == "." || value == ".." {
        return Err(Error::invalid_request(format!(
            "the {name} {value:?} cannot be sent: URLs resolve it as a path step"
        )));
    }
    Ok(())
}

/// An integer argument within the spec's bounds (from `recallr_api::facts`).
pub(crate) fn check_bounds(
    name: &str,
    value: i128,
    min: Option<i128>,
    max: Option<i128>,
) -> Result<(), Error> {
    let below = min.is_some_and(|min| value < min);
    let above = max.is_some_and(|max| value > max);
    if !below && !above {
        return Ok(());
    }
    let range = match (min, max) {
        (Some(min), Some(max)) => format!("{min} to {max}"),
        (Some(min), None) => format!("at least {min}"),
        (None, Some(max)) => format!("at most {max}"),
        (None, None) => String::new(),
    };
    Err(Error::invalid_request(format!(
        "{name} {value} is out of range: it must be {range}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn path_params_and_bounds_are_checked() {
        assert!(check_path_param("user id", "u1").is_ok());
        for bad in ["", ".", ".."] {
            let error = check_path_param("user id", bad).expect_err(bad).to_string();
            assert!(error.contains("user id"), "{error}");
        }
        let long = "x".repeat(MAX_PATH_PARAM_LEN + 1);
        assert!(check_path_param("user id", &long).is_err());
        assert!(check_bounds("limit", 5, Some(1), Some(100)).is_ok());
        let error = check_bounds("limit", 0, Some(1), Some(100))
            .expect_err("below")
            .to_string();
        assert!(
            error.contains("limit 0 is out of range: it must be 1 to 100"),
            "{error}"
        );
        assert!(check_bounds("limit", 101, None, Some(100)).is_err());
    }

    #[test]
    fn unsent_only_retries_connect_errors_and_429s_but_not_5xx_or_timeouts() {
        let server = Error::Server {
            status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
            detail: String::new(),
            retry_after: None,
            request_id: None,
        };
        let timeout = Error::Timeout {
            message: String::new(),
            source: None,
        };
        let limited = Error::RateLimited {
            retry_after: None,
            detail: String::new(),
            request_id: None,
        };
        assert!(may_retry(RetryRule::Idempotent, &server));
        assert!(may_retry(RetryRule::Idempotent, &timeout));
        assert!(!may_retry(RetryRule::UnsentOnly, &server));
        assert!(!may_retry(RetryRule::UnsentOnly, &timeout));
        assert!(may_retry(RetryRule::UnsentOnly, &limited));
        assert!(!may_retry(RetryRule::Never, &limited));
    }
}
