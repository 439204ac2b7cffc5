//! Counters of the transports, read as a [`TransportStats`] snapshot.

use std::sync::atomic::{AtomicU64, Ordering};

/// The live counters (relaxed atomics: each is exact, a snapshot is not one instant).
#[derive(Debug, Default)]
pub(crate) struct Stats {
    pub messages_in: AtomicU64,
    pub octets_in: AtomicU64,
    pub messages_out: AtomicU64,
    pub octets_out: AtomicU64,
    pub dropped_oversize: AtomicU64,
    pub framing_errors: AtomicU64,
    pub keepalives_in: AtomicU64,
    pub keepalives_out: AtomicU64,
    pub send_failures: AtomicU64,
    pub connections_opened: AtomicU64,
    pub connections_closed: AtomicU64,
    pub connections_refused: AtomicU64,
}

pub(crate) fn bump(counter: &AtomicU64) {
    counter.fetch_add(1, Ordering::Relaxed);
}

pub(crate) fn add(counter: &AtomicU64, n: usize) {
    counter.fetch_add(u64::try_from(n).unwrap_or(u64::MAX), Ordering::Relaxed);
}

/// The transports' statistics at one moment.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TransportStats {
    /// Messages passed up (datagrams and framed stream messages; keep-alives not counted).
    pub messages_in: u64,
    /// Octets of those messages.
    pub octets_in: u64,
    /// Messages written to a socket or a connection.
    pub messages_out: u64,
    /// Octets of those messages.
    pub octets_out: u64,
    /// Datagrams larger than the maximum message size, dropped.
    pub dropped_oversize: u64,
    /// Streams closed because their framing broke (RFC 3261 18.3), oversize included.
    pub framing_errors: u64,
    /// CRLF keep-alives received (RFC 5626 3.5.1 pings and pongs, CRLF datagrams).
    pub keepalives_in: u64,
    /// Pongs sent in answer to pings.
    pub keepalives_out: u64,
    /// Messages that could not be sent (reported as `SendFailed` or as an error of `send`).
    pub send_failures: u64,
    /// Connections opened (accepted or connected) since the start.
    pub connections_opened: u64,
    /// Connections closed since the start.
    pub connections_closed: u64,
    /// Inbound connections refused because the connection table was full.
    pub connections_refused: u64,
    /// Connections in the table now (connecting or open).
    pub connections_open: u64,
}

impl Stats {
    pub fn snapshot(&self, connections_open: usize) -> TransportStats {
        let get = |c: &AtomicU64| c.load(Ordering::Relaxed);
        TransportStats {
            messages_in: get(&self.messages_in),
            octets_in: get(&self.octets_in),
            messages_out: get(&self.messages_out),
            octets_out: get(&self.octets_out),
            dropped_oversize: get(&self.dropped_oversize),
            framing_errors: get(&self.framing_errors),
            keepalives_in: get(&self.keepalives_in),
            keepalives_out: get(&self.keepalives_out),
            send_failures: get(&self.send_failures),
            connections_opened: get(&self.connections_opened),
            connections_closed: get(&self.connections_closed),
            connections_refused: get(&self.connections_refused),
            connections_open: u64::try_from(connections_open).unwrap_or(u64::MAX),
        }
    }
}
