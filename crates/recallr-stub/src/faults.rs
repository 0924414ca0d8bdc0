//! Fault injection: what can go wrong with a request, and the seeded
//! choice of what does.

use std::collections::VecDeque;
use std::fmt;
use std::str::FromStr;
use std::time::{Duration, SystemTime};

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::spec::Operation;

/// One thing to do to one request instead of (or on top of) answering it
/// normally. Faults apply to the requests their [`FaultTarget`] selects
/// (any route by default), before authentication.
#[derive(Clone, Debug, PartialEq)]
pub enum Fault {
    /// Answer with this status and `{"detail": "<reason>"}` (500/502/503/...).
    /// A code outside 200..=999 is sent as 500.
    Status(u16),
    /// Answer 429 `{"detail": "Too Many Requests"}` with this `Retry-After`.
    RateLimited(RetryAfter),
    /// Drop the connection without answering.
    CloseConnection,
    /// Send the response the request would get, but end the connection
    /// halfway through the body (`Content-Length` promises more).
    TruncateBody,
    /// Answer normally after this delay (for client timeouts).
    Delay(Duration),
    /// Answer normally, but the first `status` field of the JSON body
    /// (the first session's, the first conflict's) is `"archived"`.
    UnknownStatus,
    /// Answer normally, with unknown fields in the JSON body's top-level
    /// object and in every object of its arrays.
    ExtraFields,
    /// Answer with exactly this response, for what the API never sends on
    /// its own: a malformed body, an HTML page from a proxy, an undocumented
    /// status. Library only: it has no command-line form.
    Raw {
        /// The HTTP status; an invalid code is sent as 500.
        status: u16,
        /// Header names and values; invalid ones are left out.
        headers: Vec<(String, String)>,
        /// The body, byte for byte.
        body: Vec<u8>,
    },
}

/// The `Retry-After` header of a 429.
#[derive(Clone, Debug, PartialEq)]
pub enum RetryAfter {
    /// `Retry-After: <seconds>`.
    Seconds(u64),
    /// `Retry-After: <HTTP-date>`, this date.
    HttpDate(SystemTime),
    /// `Retry-After: <HTTP-date>`, this long after the response is made
    /// (what the CLI uses, since a fixed date would go stale).
    HttpDateIn(Duration),
    /// No `Retry-After` header.
    None,
}

impl Default for RetryAfter {
    /// `Seconds(1)`.
    fn default() -> Self {
        Self::Seconds(1)
    }
}

impl RetryAfter {
    /// The header value, or `None` for no header.
    ///
    /// ```
    /// use recallr_stub::RetryAfter;
    /// use std::time::{Duration, UNIX_EPOCH};
    /// assert_eq!(RetryAfter::Seconds(3).header_value().as_deref(), Some("3"));
    /// let date = UNIX_EPOCH + Duration::from_secs(784_111_777);
    /// assert_eq!(
    ///     RetryAfter::HttpDate(date).header_value().as_deref(),
    ///     Some("Sun, 06 Nov 1994 08:49:37 GMT")
    /// );
    /// assert_eq!(RetryAfter::None.header_value(), None);
    /// ```
    pub fn header_value(&self) -> Option<String> {
        match self {
            Self::Seconds(seconds) => Some(seconds.to_string()),
            Self::HttpDate(at) => Some(httpdate::fmt_http_date(latest_http_date(*at))),
            Self::HttpDateIn(after) => Some(httpdate::fmt_http_date(latest_http_date(
                SystemTime::now()
                    .checked_add(*after)
                    .unwrap_or(SystemTime::UNIX_EPOCH + LAST_HTTP_DATE),
            ))),
            Self::None => None,
        }
    }
}

/// 9999-12-31T23:59:59Z, the last instant an HTTP-date can write.
const LAST_HTTP_DATE: Duration = Duration::from_secs(253_402_300_799);

/// `at`, or the last HTTP-date if `at` is later.
fn latest_http_date(at: SystemTime) -> SystemTime {
    at.min(SystemTime::UNIX_EPOCH + LAST_HTTP_DATE)
}

/// Parses `SECS`, `date:SECS` (an HTTP-date SECS seconds after each
/// response) or `none`.
impl FromStr for RetryAfter {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let seconds = |text: &str| {
            text.parse::<u64>().map_err(|_| {
                format!("invalid Retry-After {text:?}: expected SECS, date:SECS or none")
            })
        };
        match text {
            "none" => Ok(Self::None),
            _ => match text.strip_prefix("date:") {
                Some(rest) => Ok(Self::HttpDateIn(Duration::from_secs(seconds(rest)?))),
                None => Ok(Self::Seconds(seconds(text)?)),
            },
        }
    }
}

/// Parses the CLI's fault names: `500` (any status code 200..=999; `429`
/// means a rate limit), `429` or `429:RETRY` (RETRY as for [`RetryAfter`]'s
/// `FromStr`), `close`, `truncate`, `delay:MS`, `unknown-status`,
/// `extra-fields`.
///
/// ```
/// use recallr_stub::{Fault, RetryAfter};
/// assert_eq!("503".parse(), Ok(Fault::Status(503)));
/// assert_eq!("429:5".parse(), Ok(Fault::RateLimited(RetryAfter::Seconds(5))));
/// assert_eq!("close".parse(), Ok(Fault::CloseConnection));
/// assert!("explode".parse::<Fault>().is_err());
/// ```
impl FromStr for Fault {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let (name, argument) = match text.split_once(':') {
            Some((name, argument)) => (name, Some(argument)),
            None => (text, None),
        };
        let fault = match (name, argument) {
            ("close", None) => Self::CloseConnection,
            ("truncate", None) => Self::TruncateBody,
            ("unknown-status", None) => Self::UnknownStatus,
            ("extra-fields", None) => Self::ExtraFields,
            ("delay", Some(ms)) => {
                Self::Delay(Duration::from_millis(ms.parse().map_err(|_| {
                    format!("invalid fault {text:?}: delay:MS needs a whole number of milliseconds")
                })?))
            }
            ("429", None) => Self::RateLimited(RetryAfter::default()),
            ("429", Some(retry)) => Self::RateLimited(retry.parse()?),
            (code, None) => match code.parse::<u16>() {
                Ok(code) if (200..=999).contains(&code) => Self::Status(code),
                _ => return Err(unknown_fault(text)),
            },
            _ => return Err(unknown_fault(text)),
        };
        Ok(fault)
    }
}

fn unknown_fault(text: &str) -> String {
    format!(
        "invalid fault {text:?}: expected a status code, 429[:RETRY], close, truncate, \
         delay:MS, unknown-status or extra-fields"
    )
}

impl fmt::Display for Fault {
    /// The [`FromStr`] form.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Status(code) => write!(f, "{code}"),
            Self::RateLimited(RetryAfter::Seconds(seconds)) => write!(f, "429:{seconds}"),
            Self::RateLimited(RetryAfter::HttpDateIn(after)) => {
                write!(f, "429:date:{}", after.as_secs())
            }
            Self::RateLimited(RetryAfter::None) => write!(f, "429:none"),
            Self::RateLimited(RetryAfter::HttpDate(_)) => write!(f, "429"),
            Self::CloseConnection => write!(f, "close"),
            Self::TruncateBody => write!(f, "truncate"),
            Self::Delay(delay) => write!(f, "delay:{}", delay.as_millis()),
            Self::UnknownStatus => write!(f, "unknown-status"),
            Self::ExtraFields => write!(f, "extra-fields"),
            Self::Raw { status, .. } => write!(f, "raw:{status}"),
        }
    }
}

/// Random faults and latency. Every rate is a chance per request in
/// `0.0..=1.0`; the chances add up (a sum over 1 is cut at 1), and at most
/// one random fault hits a request. The same `seed` gives the same faults
/// for the same sequence of requests.
///
/// ```
/// use recallr_stub::FaultConfig;
/// use std::time::Duration;
/// let faults = FaultConfig {
///     latency: Duration::from_millis(5),
///     fail_rate: 0.1,
///     seed: 42,
///     ..FaultConfig::default()
/// };
/// assert_eq!(faults.close_rate, 0.0);
/// ```
#[derive(Clone, Debug, Default)]
pub struct FaultConfig {
    /// Added to every request.
    pub latency: Duration,
    /// Up to this much more, uniformly, per request.
    pub jitter: Duration,
    /// Chance of a 500, 502 or 503 (equally likely).
    pub fail_rate: f64,
    /// Chance of a 429.
    pub rate_limit_rate: f64,
    /// The `Retry-After` of random 429s (default: `Seconds(1)`).
    pub retry_after: RetryAfter,
    /// Chance of a dropped connection.
    pub close_rate: f64,
    /// Chance of a truncated body.
    pub truncate_rate: f64,
    /// Chance of a response delayed by `slow_delay`.
    pub slow_rate: f64,
    /// The delay of slow responses.
    pub slow_delay: Duration,
    /// Chance of a first session with status `"archived"`.
    pub unknown_status_rate: f64,
    /// Chance of unknown fields in the sessions and the page.
    pub extra_fields_rate: f64,
    /// Seed of the random choices.
    pub seed: u64,
    /// Which requests random faults and latency apply to (default: all).
    pub target: FaultTarget,
}

/// Which requests a fault applies to.
///
/// ```
/// use recallr_stub::FaultTarget;
/// assert_eq!("list_sessions".parse(), Ok(FaultTarget::Operation("list_sessions".into())));
/// assert_eq!("/api/v1/users".parse(), Ok(FaultTarget::Path("/api/v1/users".into())));
/// assert_eq!("any".parse(), Ok(FaultTarget::Any));
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum FaultTarget {
    /// Every routed request.
    #[default]
    Any,
    /// Requests of the operation with this `operationId` in the effective
    /// spec (for example `list_sessions`, `get_context`).
    Operation(String),
    /// Requests whose path is this path template
    /// (`/api/v1/users/{custom_user_id}/sessions`) or exactly this path as
    /// sent (`/api/v1/users/u1/sessions`).
    Path(String),
}

impl FaultTarget {
    pub(crate) fn matches(&self, operation: &Operation, path: &str) -> bool {
        match self {
            Self::Any => true,
            Self::Operation(name) => operation.name == *name,
            Self::Path(want) => operation.path == *want || path == want,
        }
    }
}

/// Parses `any`, a path (starting with `/`) or an operation name.
impl FromStr for FaultTarget {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        match text {
            "" => Err("an empty fault target: expected any, an operation name or a path".into()),
            "any" => Ok(Self::Any),
            path if path.starts_with('/') => Ok(Self::Path(path.to_string())),
            name if name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') => {
                Ok(Self::Operation(name.to_string()))
            }
            other => Err(format!(
                "invalid fault target {other:?}: expected any, an operation name or a path"
            )),
        }
    }
}

/// What happens to one request.
#[derive(Debug, Default)]
pub(crate) struct Plan {
    pub latency: Duration,
    pub fault: Option<Fault>,
}

/// Pushed faults first, then seeded random ones.
pub(crate) struct FaultState {
    queue: VecDeque<(FaultTarget, Fault)>,
    config: FaultConfig,
    rng: StdRng,
}

impl FaultState {
    pub fn new(config: FaultConfig) -> Self {
        Self {
            queue: VecDeque::new(),
            rng: StdRng::seed_from_u64(config.seed),
            config,
        }
    }

    /// Replaces the random faults and restarts their sequence; pushed
    /// faults stay queued.
    pub fn set_config(&mut self, config: FaultConfig) {
        self.rng = StdRng::seed_from_u64(config.seed);
        self.config = config;
    }

    pub fn push(&mut self, target: &FaultTarget, faults: impl IntoIterator<Item = Fault>) {
        self.queue
            .extend(faults.into_iter().map(|fault| (target.clone(), fault)));
    }

    pub fn next(&mut self, operation: &Operation, path: &str) -> Plan {
        // Three draws for every request, used or not, so request N meets
        // the same luck whatever happened to the requests before it.
        let jitter_roll: f64 = self.rng.random();
        let fault_roll: f64 = self.rng.random();
        let pick: usize = self.rng.random_range(0..3);

        let config = &self.config;
        let random = config.target.matches(operation, path);
        let latency = if random {
            config
                .latency
                .saturating_add(config.jitter.mul_f64(jitter_roll))
        } else {
            Duration::ZERO
        };
        let queued = self
            .queue
            .iter()
            .position(|(target, _)| target.matches(operation, path))
            .and_then(|at| self.queue.remove(at))
            .map(|(_, fault)| fault);
        let fault = queued.or_else(|| {
            random
                .then(|| random_fault(config, fault_roll, pick))
                .flatten()
        });
        Plan { latency, fault }
    }
}

fn random_fault(config: &FaultConfig, roll: f64, pick: usize) -> Option<Fault> {
    let chances = [
        (config.fail_rate, Fault::Status([500, 502, 503][pick % 3])),
        (
            config.rate_limit_rate,
            Fault::RateLimited(config.retry_after.clone()),
        ),
        (config.close_rate, Fault::CloseConnection),
        (config.truncate_rate, Fault::TruncateBody),
        (config.slow_rate, Fault::Delay(config.slow_delay)),
        (config.unknown_status_rate, Fault::UnknownStatus),
        (config.extra_fields_rate, Fault::ExtraFields),
    ];
    let mut threshold = 0.0;
    for (rate, fault) in chances {
        // NaN and negative rates count as 0.
        threshold += if rate > 0.0 { rate } else { 0.0 };
        if roll < threshold {
            return Some(fault);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn any_operation() -> Operation {
        Operation {
            method: axum::http::Method::GET,
            path: "/".into(),
            name: "any".into(),
            params: Vec::new(),
            body: None,
            body_required: false,
            success: (200, None),
        }
    }

    fn faults(config: FaultConfig, count: usize) -> Vec<Option<Fault>> {
        let mut state = FaultState::new(config);
        let operation = any_operation();
        (0..count)
            .map(|_| state.next(&operation, "/").fault)
            .collect()
    }

    #[test]
    fn pushed_faults_come_first_in_order() {
        let mut state = FaultState::new(FaultConfig::default());
        let operation = any_operation();
        let other = Operation {
            name: "other".into(),
            ..any_operation()
        };
        state.push(
            &FaultTarget::Operation("other".into()),
            [Fault::Status(500)],
        );
        state.push(
            &FaultTarget::Any,
            [Fault::Status(502), Fault::CloseConnection],
        );
        assert_eq!(state.next(&operation, "/").fault, Some(Fault::Status(502)));
        assert_eq!(
            state.next(&operation, "/").fault,
            Some(Fault::CloseConnection)
        );
        assert_eq!(state.next(&operation, "/").fault, None);
        assert_eq!(state.next(&other, "/").fault, Some(Fault::Status(500)));
    }

    #[test]
    fn random_faults_repeat_with_the_seed_and_follow_the_rates() {
        let config = FaultConfig {
            fail_rate: 0.3,
            close_rate: 0.1,
            seed: 9,
            ..FaultConfig::default()
        };
        let first = faults(config.clone(), 1_000);
        assert_eq!(first, faults(config.clone(), 1_000));
        let failures = first
            .iter()
            .filter(|f| matches!(f, Some(Fault::Status(500 | 502 | 503))))
            .count();
        assert!((200..400).contains(&failures), "{failures}");
        let closes = first
            .iter()
            .filter(|f| **f == Some(Fault::CloseConnection))
            .count();
        assert!((40..170).contains(&closes), "{closes}");
        let other = faults(FaultConfig { seed: 10, ..config }, 1_000);
        assert_ne!(first, other);
    }

    #[test]
    fn every_rate_at_one_means_the_first_kind_always() {
        let config = FaultConfig {
            rate_limit_rate: 1.0,
            truncate_rate: 1.0,
            ..FaultConfig::default()
        };
        assert!(
            faults(config, 20)
                .iter()
                .all(|f| matches!(f, Some(Fault::RateLimited(_))))
        );
        let none = FaultConfig {
            fail_rate: f64::NAN,
            close_rate: -1.0,
            ..FaultConfig::default()
        };
        assert!(faults(none, 20).iter().all(Option::is_none));
    }

    #[test]
    fn latency_stays_within_the_jitter() {
        let mut state = FaultState::new(FaultConfig {
            latency: Duration::from_millis(10),
            jitter: Duration::from_millis(5),
            ..FaultConfig::default()
        });
        for _ in 0..100 {
            let latency = state.next(&any_operation(), "/").latency;
            assert!(latency >= Duration::from_millis(10) && latency <= Duration::from_millis(15));
        }
    }

    #[test]
    fn the_largest_retry_after_date_is_the_last_http_date() {
        let fault: Fault = "429:date:18446744073709551615"
            .parse()
            .unwrap_or(Fault::Status(0));
        let Fault::RateLimited(retry_after) = fault else {
            panic!("a rate limit");
        };
        assert_eq!(
            retry_after.header_value().as_deref(),
            Some("Fri, 31 Dec 9999 23:59:59 GMT")
        );
    }

    #[test]
    fn fault_names_round_trip() {
        for text in [
            "500",
            "502",
            "408",
            "429:3",
            "429:date:4",
            "429:none",
            "close",
            "truncate",
            "delay:250",
            "unknown-status",
            "extra-fields",
        ] {
            let fault: Fault = text.parse().unwrap_or(Fault::Status(0));
            assert_eq!(fault.to_string(), text);
        }
        for bad in [
            "", "42", "1000", "delay", "delay:x", "429:soon", "close:1", "boom",
        ] {
            assert!(bad.parse::<Fault>().is_err(), "{bad}");
        }
    }
}
