//! Per-link statistics, readable at any time from any thread.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Mutex;

use crate::error::RxError;

/// Counters of one link, shared (`Arc<Stats>`) between the transport that updates them and
/// whoever reads them. Every counter only grows; read them all at once with
/// [`Stats::snapshot`].
#[derive(Debug, Default)]
pub struct Stats {
    frames_in: AtomicU64,
    octets_in: AtomicU64,
    frames_out: AtomicU64,
    octets_out: AtomicU64,
    line_octets_in: AtomicU64,
    line_octets_out: AtomicU64,
    fcs_errors: AtomicU64,
    aborts: AtomicU64,
    too_long: AtomicU64,
    octets_discarded: AtomicU64,
    runts: AtomicU64,
    overruns: AtomicU64,
    frames_dropped_out: AtomicU64,
    connects: AtomicU64,
    reconnects: AtomicU64,
    losses: AtomicU64,
    connect_failures: AtomicU64,
    connected: AtomicBool,
    last_error: Mutex<Option<String>>,
}

/// The counters of a [`Stats`] at one moment.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct StatsSnapshot {
    /// Frames passed up (good FCS on `serial`; every well-formed read on `frames`).
    pub frames_in: u64,
    /// Octets of the frames passed up, without FCS.
    pub octets_in: u64,
    /// Frames written.
    pub frames_out: u64,
    /// Octets of the frames written, without FCS.
    pub octets_out: u64,
    /// Octets read from the line: flags, stuffing and FCS included on `serial`; the FCS
    /// included on `frames`.
    pub line_octets_in: u64,
    /// Octets written to the line, counted the same way.
    pub line_octets_out: u64,
    /// Frames dropped for a bad FCS.
    pub fcs_errors: u64,
    /// Frames aborted by the sender.
    pub aborts: u64,
    /// Frames dropped for exceeding the maximum length.
    pub too_long: u64,
    /// Octets discarded in octet counting mode after an over-long frame (`serial`).
    pub octets_discarded: u64,
    /// Frames shorter than an FCS.
    pub runts: u64,
    /// Receive overruns reported by a DAHDI card.
    pub overruns: u64,
    /// Frames handed to a [`Link`](crate::Link) while it was down, dropped.
    pub frames_dropped_out: u64,
    /// Connections established (the first one included).
    pub connects: u64,
    /// Connections established after the first one (after a loss).
    pub reconnects: u64,
    /// Connections lost.
    pub losses: u64,
    /// Attempts to open, connect or accept that failed.
    pub connect_failures: u64,
    /// Whether a connection is up now.
    pub connected: bool,
    /// The last error seen (open failure or loss), as text for operators.
    pub last_error: Option<String>,
}

fn add(counter: &AtomicU64, n: u64) {
    counter.fetch_add(n, Relaxed);
}

fn len64(n: usize) -> u64 {
    u64::try_from(n).unwrap_or(u64::MAX)
}

impl Stats {
    /// All counters at zero.
    pub fn new() -> Stats {
        Stats::default()
    }

    /// The counters now. Each is read atomically; the set is not one atomic read.
    pub fn snapshot(&self) -> StatsSnapshot {
        StatsSnapshot {
            frames_in: self.frames_in.load(Relaxed),
            octets_in: self.octets_in.load(Relaxed),
            frames_out: self.frames_out.load(Relaxed),
            octets_out: self.octets_out.load(Relaxed),
            line_octets_in: self.line_octets_in.load(Relaxed),
            line_octets_out: self.line_octets_out.load(Relaxed),
            fcs_errors: self.fcs_errors.load(Relaxed),
            aborts: self.aborts.load(Relaxed),
            too_long: self.too_long.load(Relaxed),
            octets_discarded: self.octets_discarded.load(Relaxed),
            runts: self.runts.load(Relaxed),
            overruns: self.overruns.load(Relaxed),
            frames_dropped_out: self.frames_dropped_out.load(Relaxed),
            connects: self.connects.load(Relaxed),
            reconnects: self.reconnects.load(Relaxed),
            losses: self.losses.load(Relaxed),
            connect_failures: self.connect_failures.load(Relaxed),
            connected: self.connected.load(Relaxed),
            last_error: self.last_error(),
        }
    }

    /// The last error seen, as text.
    pub fn last_error(&self) -> Option<String> {
        self.last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    pub(crate) fn frame_in(&self, payload_len: usize) {
        add(&self.frames_in, 1);
        add(&self.octets_in, len64(payload_len));
    }

    pub(crate) fn frame_out(&self, payload_len: usize, line_len: usize) {
        add(&self.frames_out, 1);
        add(&self.octets_out, len64(payload_len));
        add(&self.line_octets_out, len64(line_len));
    }

    pub(crate) fn line_in(&self, n: usize) {
        add(&self.line_octets_in, len64(n));
    }

    pub(crate) fn rx_error(&self, e: RxError) {
        match e {
            RxError::BadFcs => add(&self.fcs_errors, 1),
            RxError::Abort => add(&self.aborts, 1),
            RxError::TooLong => add(&self.too_long, 1),
            RxError::OctetCounting { octets } => add(&self.octets_discarded, u64::from(octets)),
            RxError::Runt => add(&self.runts, 1),
            RxError::Overrun => add(&self.overruns, 1),
        }
    }

    pub(crate) fn dropped_out(&self) {
        add(&self.frames_dropped_out, 1);
    }

    pub(crate) fn connected(&self) {
        if self.connects.fetch_add(1, Relaxed) > 0 {
            add(&self.reconnects, 1);
        }
        self.connected.store(true, Relaxed);
    }

    pub(crate) fn lost(&self, error: &dyn std::fmt::Display) {
        add(&self.losses, 1);
        self.connected.store(false, Relaxed);
        self.set_last_error(error);
    }

    pub(crate) fn connect_failed(&self, error: &dyn std::fmt::Display) {
        add(&self.connect_failures, 1);
        self.set_last_error(error);
    }

    fn set_last_error(&self, error: &dyn std::fmt::Display) {
        *self
            .last_error
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(error.to_string());
    }
}
