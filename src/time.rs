//! Time as the protocol layers see it: a monotonic instant handed to them by the caller.
//!
//! No protocol layer reads a clock (DESIGN.md, "the flow of a call"): every input and every
//! timer check takes `now: Instant`. The async shell maps the tokio clock to it; tests drive it
//! by hand, so that every timer (Q.703 T1-T7, Q.921 T200/T203, Q.764 T1...) runs in
//! microseconds and deterministically.

use std::fmt;
use std::ops::{Add, AddAssign, Sub};
use std::time::Duration;

/// A point in time, in nanoseconds since an arbitrary origin (the start of the process, or 0
/// in a test).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Instant(u64);

impl Instant {
    /// The origin.
    pub const ZERO: Instant = Instant(0);

    /// The instant `nanos` nanoseconds after the origin.
    pub const fn from_nanos(nanos: u64) -> Instant {
        Instant(nanos)
    }

    /// The instant `millis` milliseconds after the origin.
    pub const fn from_millis(millis: u64) -> Instant {
        Instant(millis.saturating_mul(1_000_000))
    }

    /// Nanoseconds since the origin.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// The time from `earlier` to `self`, zero if `earlier` is later.
    pub fn saturating_duration_since(self, earlier: Instant) -> Duration {
        Duration::from_nanos(self.0.saturating_sub(earlier.0))
    }
}

impl Add<Duration> for Instant {
    type Output = Instant;
    fn add(self, d: Duration) -> Instant {
        let nanos = u64::try_from(d.as_nanos()).unwrap_or(u64::MAX);
        Instant(self.0.saturating_add(nanos))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, d: Duration) {
        *self = *self + d;
    }
}

impl Sub<Instant> for Instant {
    type Output = Duration;
    fn sub(self, earlier: Instant) -> Duration {
        self.saturating_duration_since(earlier)
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}.{:06}s",
            self.0 / 1_000_000_000,
            (self.0 % 1_000_000_000) / 1000
        )
    }
}

/// The earlier of two optional deadlines (`None` = no deadline).
pub fn earliest(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

/// A table of timers indexed by a timer enum, each either stopped or running until a
/// deadline (the shape of quinn-proto's `TimerTable`). `T` maps a timer to its slot.
#[derive(Debug, Clone)]
pub struct TimerTable<const N: usize> {
    deadlines: [Option<Instant>; N],
}

impl<const N: usize> Default for TimerTable<N> {
    fn default() -> Self {
        TimerTable {
            deadlines: [None; N],
        }
    }
}

impl<const N: usize> TimerTable<N> {
    /// Starts (or restarts) timer `slot` to expire at `deadline`.
    pub fn start(&mut self, slot: usize, deadline: Instant) {
        if let Some(d) = self.deadlines.get_mut(slot) {
            *d = Some(deadline);
        }
    }

    /// Stops timer `slot`.
    pub fn stop(&mut self, slot: usize) {
        if let Some(d) = self.deadlines.get_mut(slot) {
            *d = None;
        }
    }

    /// Whether timer `slot` is running.
    pub fn is_running(&self, slot: usize) -> bool {
        self.deadline(slot).is_some()
    }

    /// When timer `slot` expires, if running.
    pub fn deadline(&self, slot: usize) -> Option<Instant> {
        self.deadlines.get(slot).copied().flatten()
    }

    /// The earliest deadline of all running timers.
    pub fn next_deadline(&self) -> Option<Instant> {
        self.deadlines.iter().copied().flatten().min()
    }

    /// Stops and returns the slot of one timer that has expired at `now` (the earliest first),
    /// or `None`. Call repeatedly until `None` to handle every expiry.
    pub fn expired(&mut self, now: Instant) -> Option<usize> {
        let (slot, _) = self
            .deadlines
            .iter()
            .enumerate()
            .filter_map(|(i, d)| d.filter(|d| *d <= now).map(|d| (i, d)))
            .min_by_key(|(_, d)| *d)?;
        self.deadlines[slot] = None;
        Some(slot)
    }

    /// Stops every timer.
    pub fn stop_all(&mut self) {
        self.deadlines = [None; N];
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timers_expire_in_deadline_order() {
        let mut t = TimerTable::<3>::default();
        t.start(0, Instant::from_millis(30));
        t.start(2, Instant::from_millis(10));
        t.start(1, Instant::from_millis(20));
        assert_eq!(t.next_deadline(), Some(Instant::from_millis(10)));
        assert_eq!(t.expired(Instant::from_millis(5)), None);
        assert_eq!(t.expired(Instant::from_millis(25)), Some(2));
        assert_eq!(t.expired(Instant::from_millis(25)), Some(1));
        assert_eq!(t.expired(Instant::from_millis(25)), None);
        assert!(t.is_running(0));
        t.stop(0);
        assert_eq!(t.next_deadline(), None);
    }

    #[test]
    fn instant_arithmetic_saturates() {
        let a = Instant::from_millis(5);
        assert_eq!(a + Duration::from_millis(5), Instant::from_millis(10));
        assert_eq!(Instant::ZERO - a, Duration::ZERO);
        assert_eq!(a - Instant::ZERO, Duration::from_millis(5));
        assert_eq!(a.to_string(), "0.005000s");
    }
}
