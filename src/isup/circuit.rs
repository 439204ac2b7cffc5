//! The state of one circuit: its call (call processing control, CPC), its blocking states
//! (blocking sending BLS and blocking receiving BLR, with the group variants CGBS/CGBR) and
//! its reset state (circuit reset CRS/CGRS) — the processes of the Q.764 Annex SDL, kept as
//! plain fields of one record per circuit.

use crate::time::Instant;
use serde::Serialize;
use sipt_codecs::isup::{ContinuityCheckIndicator, Message};

/// Where the call on a circuit stands, as seen from outside ([`super::Isup::circuit_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum CallStatus {
    /// No call.
    Idle,
    /// IAM sent, no backward message received yet (T7 running; dual seizure possible).
    OutgoingSetup,
    /// ACM received, awaiting answer (T9).
    OutgoingAlerting,
    /// CON or ANM received.
    OutgoingAnswered,
    /// IAM received, no ACM sent.
    IncomingSetup,
    /// ACM sent, no answer sent.
    IncomingAlerting,
    /// CON or ANM sent.
    IncomingAnswered,
    /// REL sent, awaiting RLC (T1, T5).
    Releasing,
    /// A continuity check failed; the circuit waits for its recheck (Q.764 2.1.8).
    ContinuityRecheck,
}

/// The blocking procedure of one end (Q.764 2.8.2; the BLS/CGBS processes of the SDL).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub enum LocalBlocking {
    #[default]
    Unblocked,
    /// BLO or CGB sent, no acknowledgement yet (T12/T13 or T18/T19).
    AwaitingBlockingAck,
    Blocked,
    /// UBL or CGU sent, no acknowledgement yet (T14/T15 or T20/T21).
    AwaitingUnblockingAck,
}

impl LocalBlocking {
    /// Blocked or being blocked (or not yet unblocked): no outgoing calls.
    pub fn is_blocked(self) -> bool {
        self != LocalBlocking::Unblocked
    }
}

/// A reset of the circuit we started and the far end has not acknowledged.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ResetPending {
    /// RSC sent, awaiting RLC (T16/T17, or T17 alone after T5).
    Rsc,
    /// GRS sent, awaiting GRA (T22/T23 of the group procedure).
    Grs,
}

/// A snapshot of one circuit ([`super::Isup::circuit_status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CircuitStatus {
    pub call: CallStatus,
    pub local_maintenance: LocalBlocking,
    pub local_hardware: LocalBlocking,
    pub remote_maintenance: bool,
    pub remote_hardware: bool,
    pub reset: Option<ResetPending>,
    /// UCIC received: the far end does not have the circuit.
    pub unequipped_remotely: bool,
}

impl CircuitStatus {
    /// No call, no reset pending: the circuit is idle (possibly blocked).
    pub fn is_idle(&self) -> bool {
        self.call == CallStatus::Idle && self.reset.is_none()
    }
}

/// Continuity state of a call (Q.764 2.1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) enum Continuity {
    #[default]
    None,
    /// Incoming: COT awaited (T8). Outgoing: our COT is still to be sent.
    Pending(ContinuityCheckIndicator),
}

/// The continuity recheck sub-state (Q.764 2.1.8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Recheck {
    /// Incoming side: COT "failed" received, awaiting CCR (T27).
    AwaitingCcr,
    /// Incoming side: CCR received, loop connected, awaiting COT or REL (T36).
    AwaitingResult,
    /// Outgoing side: waiting to send CCR (T25 or T26 running).
    AwaitingRetest { failures: u32 },
    /// Outgoing side: CCR sent, awaiting the check's result from the user.
    Testing { failures: u32 },
}

#[derive(Debug, Clone)]
pub(crate) struct Circuit {
    pub cic: u16,
    pub call: CallStatus,
    /// The call (or the release in progress) is one we originated.
    pub outgoing: bool,
    /// The IAM of the call (sent or received), kept for INF and re-attempts (Q.764 2.3.4).
    pub iam: Option<Message>,
    /// The REL we sent, repeated on T1 expiry.
    pub rel: Option<Message>,
    pub continuity: Continuity,
    pub recheck: Option<Recheck>,
    /// INR sent, INF awaited (T33).
    pub inr_outstanding: bool,
    /// SUS received or sent and no RES yet.
    pub suspended: bool,
    pub local_maintenance: LocalBlocking,
    pub local_hardware: LocalBlocking,
    pub remote_maintenance: bool,
    pub remote_hardware: bool,
    pub reset: Option<ResetPending>,
    /// The group procedure (GRS) the reset belongs to.
    pub reset_group: Option<u32>,
    pub unequipped_remotely: bool,
    /// When the circuit last became idle (circuit selection, Q.764 2.9.1.3 method 2).
    pub idle_since: Instant,
}

impl Circuit {
    pub fn new(cic: u16, now: Instant) -> Self {
        Circuit {
            cic,
            call: CallStatus::Idle,
            outgoing: false,
            iam: None,
            rel: None,
            continuity: Continuity::None,
            recheck: None,
            inr_outstanding: false,
            suspended: false,
            local_maintenance: LocalBlocking::Unblocked,
            local_hardware: LocalBlocking::Unblocked,
            remote_maintenance: false,
            remote_hardware: false,
            reset: None,
            reset_group: None,
            unequipped_remotely: false,
            idle_since: now,
        }
    }

    pub fn status(&self) -> CircuitStatus {
        CircuitStatus {
            call: self.call,
            local_maintenance: self.local_maintenance,
            local_hardware: self.local_hardware,
            remote_maintenance: self.remote_maintenance,
            remote_hardware: self.remote_hardware,
            reset: self.reset,
            unequipped_remotely: self.unequipped_remotely,
        }
    }

    /// Whether a call (one the user knows of) is on the circuit.
    pub fn has_user_call(&self) -> bool {
        matches!(
            self.call,
            CallStatus::OutgoingSetup
                | CallStatus::OutgoingAlerting
                | CallStatus::OutgoingAnswered
                | CallStatus::IncomingSetup
                | CallStatus::IncomingAlerting
                | CallStatus::IncomingAnswered
        )
    }

    pub fn is_outgoing(&self) -> bool {
        matches!(
            self.call,
            CallStatus::OutgoingSetup | CallStatus::OutgoingAlerting | CallStatus::OutgoingAnswered
        )
    }

    pub fn is_incoming(&self) -> bool {
        matches!(
            self.call,
            CallStatus::IncomingSetup | CallStatus::IncomingAlerting | CallStatus::IncomingAnswered
        )
    }

    /// Drops everything of the call: the circuit becomes idle (its blocking and reset states
    /// are not touched).
    pub fn clear_call(&mut self, now: Instant) {
        if self.call != CallStatus::Idle {
            self.idle_since = now;
        }
        self.call = CallStatus::Idle;
        self.outgoing = false;
        self.iam = None;
        self.rel = None;
        self.continuity = Continuity::None;
        self.recheck = None;
        self.inr_outstanding = false;
        self.suspended = false;
    }

    /// Idle and free of every blocking and reset state.
    pub fn is_free(&self) -> bool {
        self.call == CallStatus::Idle
            && self.reset.is_none()
            && !self.unequipped_remotely
            && !self.local_maintenance.is_blocked()
            && !self.local_hardware.is_blocked()
            && !self.remote_maintenance
            && !self.remote_hardware
    }

    /// The circuit state indicator of this circuit for a CQR (Q.763 3.14): bits B A
    /// maintenance blocking, D C call processing, F E hardware blocking.
    ///
    /// Q.764 2.8.3 (interpretation of circuit states): the circuit is "transient" (octet 0)
    /// after an IAM is sent until the first backward message, after a REL is sent until the
    /// RLC, and while a (group) blocking or unblocking message awaits its acknowledgement;
    /// here also while a reset of ours awaits its answer and during a continuity recheck.
    pub fn state_indicator(&self) -> u8 {
        let awaiting = |b: LocalBlocking| {
            matches!(
                b,
                LocalBlocking::AwaitingBlockingAck | LocalBlocking::AwaitingUnblockingAck
            )
        };
        if self.reset.is_some()
            || matches!(
                self.call,
                CallStatus::OutgoingSetup | CallStatus::Releasing | CallStatus::ContinuityRecheck
            )
            || awaiting(self.local_maintenance)
            || awaiting(self.local_hardware)
        {
            return 0x00;
        }
        let both = |local: bool, remote: bool| u8::from(local) | (u8::from(remote) << 1);
        let blocked = |b: LocalBlocking| b == LocalBlocking::Blocked;
        let maintenance = both(blocked(self.local_maintenance), self.remote_maintenance);
        let hardware = both(blocked(self.local_hardware), self.remote_hardware);
        let call = if self.is_incoming() {
            1
        } else if self.is_outgoing() {
            2
        } else {
            3
        };
        maintenance | (call << 2) | (hardware << 4)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_indicator_codes_q763_3_14() {
        let mut c = Circuit::new(7, Instant::ZERO);
        // idle, unblocked: D C = 11
        assert_eq!(c.state_indicator(), 0x0c);
        c.local_maintenance = LocalBlocking::Blocked;
        c.remote_hardware = true;
        assert_eq!(c.state_indicator(), 0x2d);
        c.call = CallStatus::IncomingAnswered;
        assert_eq!(c.state_indicator(), 0x25);
        c.call = CallStatus::OutgoingAlerting;
        assert_eq!(c.state_indicator(), 0x29);
        // transient (Q.764 2.8.3): IAM sent awaiting the first backward message, REL sent
        // awaiting RLC, (un)blocking awaiting its acknowledgement, reset of ours pending
        for call in [CallStatus::OutgoingSetup, CallStatus::Releasing] {
            c.call = call;
            assert_eq!(c.state_indicator(), 0x00, "{call:?}");
        }
        c.call = CallStatus::Idle;
        c.local_hardware = LocalBlocking::AwaitingUnblockingAck;
        assert_eq!(c.state_indicator(), 0x00);
        c.local_hardware = LocalBlocking::Unblocked;
        c.reset = Some(ResetPending::Grs);
        assert_eq!(c.state_indicator(), 0x00);
    }
}
