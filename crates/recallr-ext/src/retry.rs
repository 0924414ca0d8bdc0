//! When and how long to wait before sending a request again.

use std::time::Duration;

use rand::Rng;

use crate::error::Error;

/// How failed requests are retried.
///
/// Which operations may be retried at all is the operation's
/// [`RetryRule`](crate::RetryRule): `GET`, `PUT` and `DELETE` retry
/// connection errors, timeouts, truncated bodies, 408, 429 and 5xx; a
/// `POST` only a connection that could not be made or a 429 (it never
/// reached the application), never a 5xx or a timeout. The wait is
/// exponential with jitter (half fixed, half random), capped at
/// `max_delay`; the `Retry-After` of a 429 or a 5xx (a 503, typically)
/// replaces it, unless it asks for more than `max_retry_after`, in which
/// case the call fails at once instead of sleeping.
///
/// ```
/// use std::time::Duration;
/// use recallr_ext::RetryPolicy;
///
/// let patient = RetryPolicy::default()
///     .max_retries(5)
///     .base_delay(Duration::from_millis(200))
///     .max_retry_after(Duration::from_secs(120));
/// assert_ne!(patient, RetryPolicy::default());
/// assert_eq!(RetryPolicy::none(), RetryPolicy::default().max_retries(0));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetryPolicy {
    max_retries: u32,
    base_delay: Duration,
    max_delay: Duration,
    max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// 2 retries, 0.5 s base delay, 8 s cap, `Retry-After` honoured up to 60 s.
    fn default() -> Self {
        Self {
            max_retries: 2,
            base_delay: Duration::from_millis(500),
            max_delay: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// No retries: every error is returned at once.
    pub fn none() -> Self {
        Self::default().max_retries(0)
    }

    /// How many times a failed request is sent again (not counting the
    /// first attempt).
    pub fn max_retries(mut self, retries: u32) -> Self {
        self.max_retries = retries;
        self
    }

    /// The first backoff; each further retry doubles it.
    pub fn base_delay(mut self, delay: Duration) -> Self {
        self.base_delay = delay;
        self
    }

    /// The longest backoff between two attempts.
    pub fn max_delay(mut self, delay: Duration) -> Self {
        self.max_delay = delay;
        self
    }

    /// The longest `Retry-After` the client will sleep for; a longer one
    /// fails the call at once (with [`Error::RateLimited`] for a 429).
    pub fn max_retry_after(mut self, wait: Duration) -> Self {
        self.max_retry_after = wait;
        self
    }

    /// How long to wait before retry number `retry` (0-based) after
    /// `error`, or `None` when the error should be returned instead.
    pub(crate) fn delay_before_retry(&self, retry: u32, error: &Error) -> Option<Duration> {
        if retry >= self.max_retries || !error.is_retryable() {
            return None;
        }
        if let Error::RateLimited {
            retry_after: Some(wait),
            ..
        }
        | Error::Server {
            retry_after: Some(wait),
            ..
        } = error
        {
            return (*wait <= self.max_retry_after).then_some(*wait);
        }
        Some(self.backoff(retry))
    }

    fn backoff(&self, retry: u32) -> Duration {
        let exponential = self
            .base_delay
            .saturating_mul(2_u32.saturating_pow(retry))
            .min(self.max_delay);
        let half = exponential / 2;
        let jitter = rand::rng().random_range(0.0..=1.0);
        half + half.mul_f64(jitter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn server_error() -> Error {
        Error::Server {
            status: reqwest::StatusCode::BAD_GATEWAY,
            detail: String::new(),
            retry_after: None,
            request_id: None,
        }
    }

    fn rate_limited(seconds: u64) -> Error {
        Error::RateLimited {
            retry_after: Some(Duration::from_secs(seconds)),
            detail: String::new(),
            request_id: None,
        }
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let policy = RetryPolicy::default().max_retries(10);
        for retry in 0..10 {
            let delay = policy
                .delay_before_retry(retry, &server_error())
                .expect("a 502 is retried");
            let full = Duration::from_millis(500)
                .saturating_mul(2_u32.pow(retry))
                .min(Duration::from_secs(8));
            assert!(
                delay >= full / 2 && delay <= full,
                "retry {retry}: {delay:?}"
            );
        }
    }

    #[test]
    fn retries_stop_at_the_limit_and_skip_permanent_errors() {
        let policy = RetryPolicy::default();
        assert!(policy.delay_before_retry(1, &server_error()).is_some());
        assert!(policy.delay_before_retry(2, &server_error()).is_none());
        let permanent = Error::Unauthorized {
            detail: String::new(),
            request_id: None,
        };
        assert!(policy.delay_before_retry(0, &permanent).is_none());
    }

    #[test]
    fn retry_after_is_honoured_up_to_the_cap() {
        let policy = RetryPolicy::default().max_retry_after(Duration::from_secs(10));
        assert_eq!(
            policy.delay_before_retry(0, &rate_limited(3)),
            Some(Duration::from_secs(3))
        );
        assert_eq!(policy.delay_before_retry(0, &rate_limited(11)), None);
        let unavailable = Error::Server {
            status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
            detail: String::new(),
            retry_after: Some(Duration::from_secs(4)),
            request_id: None,
        };
        assert_eq!(
            policy.delay_before_retry(0, &unavailable),
            Some(Duration::from_secs(4))
        );
    }
}
