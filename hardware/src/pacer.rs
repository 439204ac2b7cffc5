//! Transmit pacing: holding a PTY (which has no baud rate) to a line rate.
//!
//! The pacer models a transmitter that sends `rate` octets per second back to back, behind a
//! small FIFO of [`Pacer::FIFO`] line time (a UART's transmit FIFO, a card's HDLC buffer): the
//! writer may hand over octets while no more than that much earlier line time is still queued.
//! Which line it models — 8N1 asynchronous (10 bits an octet) or synchronous (8) — is the
//! caller's choice of `rate`; see [`Pace`](crate::Pace).

use std::time::Duration;

use tokio::time::Instant;

/// Holds a writer to `rate` octets per second.
#[derive(Debug, Clone)]
pub struct Pacer {
    rate: u32,
    free_at: Option<Instant>,
}

impl Pacer {
    /// How far ahead of the line the writer may run: 2 ms, two ticks of tokio's 1 ms timer,
    /// so a late wake-up does not cost line time. (16 octets of a UART FIFO at 64 kbit/s.)
    pub const FIFO: Duration = Duration::from_millis(2);
    /// How late a writer may come back without losing line time: 20 ms.
    pub const SLACK: Duration = Duration::from_millis(20);

    /// A pacer for `octets_per_second` (at least 1).
    pub fn new(octets_per_second: u32) -> Pacer {
        Pacer {
            rate: octets_per_second.max(1),
            free_at: None,
        }
    }

    /// The octet rate.
    pub fn octets_per_second(&self) -> u32 {
        self.rate
    }

    /// The line time of `octets`.
    pub fn line_time(&self, octets: usize) -> Duration {
        let octets = u64::try_from(octets).unwrap_or(u64::MAX);
        Duration::from_nanos(octets.saturating_mul(1_000_000_000) / u64::from(self.rate))
    }

    /// The most octets to hand over at once: 1 ms of line time, at least 1 octet, so the
    /// far end sees a steady stream rather than bursts.
    pub fn chunk(&self) -> usize {
        usize::try_from(self.rate / 1000)
            .unwrap_or(usize::MAX)
            .max(1)
    }

    /// Whether octets handed over earlier are still on the line at `now`.
    pub fn busy(&self, now: Instant) -> bool {
        self.free_at.is_some_and(|t| t > now)
    }

    /// Books `octets` on the line at `now`: returns when they may be handed to the device
    /// (when at most [`Pacer::FIFO`] of earlier line time is left). A writer that comes back
    /// up to [`Pacer::SLACK`] late (a late timer, a busy machine) finds the line still
    /// "busy" from where it left off, so over time no line time is lost; in exchange a writer
    /// idle for longer may send that much at once.
    pub fn reserve(&mut self, now: Instant, octets: usize) -> Instant {
        let earliest = now.checked_sub(Self::SLACK).unwrap_or(now);
        let start = self.free_at.map_or(now, |free| free.max(earliest));
        let write_at = start.checked_sub(Self::FIFO).map_or(now, |t| t.max(now));
        self.free_at = Some(start + self.line_time(octets));
        write_at
    }

    /// Waits until `octets` may be handed to the device.
    pub async fn transmit(&mut self, octets: usize) {
        let now = Instant::now();
        let at = self.reserve(now, octets);
        // tokio's timer rounds a deadline up to its next 1 ms tick: sleep only when there is
        // something to wait for.
        if at > now {
            tokio::time::sleep_until(at).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn books_back_to_back() {
        let t0 = Instant::now();
        let mut p = Pacer::new(8_000); // 125 us an octet
        assert_eq!(p.chunk(), 8);
        assert_eq!(p.line_time(8), Duration::from_millis(1));
        assert!(!p.busy(t0));
        assert_eq!(p.reserve(t0, 80), t0); // idle line: at once; busy for 10 ms
        assert!(p.busy(t0 + Duration::from_millis(9)));
        // The next 80 octets may go when 2 ms are left, and start when the first are out.
        assert_eq!(p.reserve(t0, 80), t0 + Duration::from_millis(8));
        // Waking late (within the FIFO) loses no line time.
        let late = t0 + Duration::from_millis(19);
        assert_eq!(p.reserve(late, 8), late);
        assert!(p.busy(t0 + Duration::from_micros(20_999)));
        assert!(!p.busy(t0 + Duration::from_millis(21)));
        // After an idle gap longer than the slack, the line starts afresh, up to 20 ms of
        // credit: 160 octets go at once, the next 8 wait until 2 ms remain.
        let later = t0 + Duration::from_millis(100);
        assert_eq!(p.reserve(later, 160), later);
        assert!(!p.busy(later));
        assert_eq!(p.reserve(later, 8), later);
        assert!(p.busy(later));
        assert_eq!(p.reserve(later, 8), later);
        assert_eq!(p.reserve(later, 8), later + Duration::from_micros(0));
        assert_eq!(p.reserve(later, 8), later + Duration::from_millis(1));
    }

    #[tokio::test(start_paused = true)]
    async fn transmit_holds_the_rate() {
        let mut p = Pacer::new(8_000);
        let t0 = Instant::now();
        for _ in 0..1000 {
            p.transmit(8).await;
        }
        // 8000 octets at 8000/s: the last 1 ms chunk is handed over when the FIFO holds 2 ms,
        // at 997 ms, and leaves the line at 1 s.
        assert_eq!(Instant::now() - t0, Duration::from_millis(997));
        assert!(p.busy(t0 + Duration::from_micros(999_999)));
        assert!(!p.busy(t0 + Duration::from_secs(1)));
    }
}
