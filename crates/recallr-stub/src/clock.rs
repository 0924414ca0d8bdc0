//! The stub's clock: what "now" is for timestamps and timers. Tests move it
//! forward instead of sleeping.

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use chrono::{DateTime, Utc};

/// A controllable clock, shared by a [`StubServer`](crate::StubServer) and
/// its handles. It follows the system clock plus an offset that
/// [`advance`](Self::advance) grows, or stands still at the instant
/// [`set`](Self::set) gives it.
///
/// ```
/// use std::time::Duration;
/// let clock = recallr_stub::Clock::new();
/// let before = clock.now();
/// clock.advance(Duration::from_secs(600));
/// assert!(clock.now() - before >= chrono::TimeDelta::seconds(600));
/// let at = recallr_stub::timestamp(0);
/// clock.set(at);
/// assert_eq!(clock.now(), at);
/// ```
#[derive(Clone, Debug, Default)]
pub struct Clock {
    state: Arc<Mutex<ClockState>>,
}

#[derive(Debug, Default)]
struct ClockState {
    offset: chrono::TimeDelta,
    frozen: Option<DateTime<Utc>>,
}

impl Clock {
    /// The system clock, not moved.
    pub fn new() -> Self {
        Self::default()
    }

    /// The stub's current time.
    pub fn now(&self) -> DateTime<Utc> {
        let state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let base = state.frozen.unwrap_or_else(Utc::now);
        base.checked_add_signed(state.offset).unwrap_or(base)
    }

    /// Moves the clock forward by `by` (saturating).
    pub fn advance(&self, by: Duration) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        let by = chrono::TimeDelta::from_std(by).unwrap_or(chrono::TimeDelta::MAX);
        state.offset = state.offset.checked_add(&by).unwrap_or(state.offset);
    }

    /// Stops the clock at `at`; [`advance`](Self::advance) still moves it.
    pub fn set(&self, at: DateTime<Utc>) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.frozen = Some(at);
        state.offset = chrono::TimeDelta::zero();
    }
}
