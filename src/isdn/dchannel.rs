//! One QSIG D-channel: the Q.921 data link ([`Lapd`]) and the basic call layer above it
//! ([`QsigCalls`]), wired through the DL primitives (Q.921 4, Q.931 3). Still sans-IO: the
//! shell hands in received frames and the time, and takes out frames to send and call events.

use std::collections::VecDeque;

use super::q921::{self, DlEvent, Lapd};
use crate::qsig::{CallEvent, DlIndication, QsigCalls};
use crate::time::{earliest, Instant};

/// Which way a Q.931 message passed, in a [`DChannel`] trace.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TraceDirection {
    /// Handed to the data link (DL-DATA-request).
    Sent,
    /// From the data link (DL-DATA- or DL-UNIT-DATA-indication).
    Received,
}

#[derive(Debug)]
pub struct DChannel {
    lapd: Lapd,
    calls: QsigCalls,
    events: VecDeque<CallEvent>,
    /// Layer 2 events that layer 3 has no use for (MDL-ERROR), for the shell's log.
    mdl_errors: VecDeque<q921::MdlError>,
    /// Q.931 messages the data link refused (queue full or releasing): counted.
    pub refused_by_data_link: u64,
    /// The Q.931 messages between the layers, for a log; `None`: not kept.
    trace: Option<VecDeque<(TraceDirection, Vec<u8>)>>,
}

impl DChannel {
    pub fn new(
        lapd: q921::Config,
        calls: crate::qsig::Config,
    ) -> Result<DChannel, q921::ConfigError> {
        Ok(DChannel {
            lapd: Lapd::new(lapd)?,
            calls: QsigCalls::new(calls),
            events: VecDeque::new(),
            mdl_errors: VecDeque::new(),
            refused_by_data_link: 0,
            trace: None,
        })
    }

    /// Starts multiple frame establishment (Q.921 5.5.1); the far end may start it too.
    pub fn start(&mut self, now: Instant) {
        self.lapd.establish(now);
        self.pump(now);
    }

    /// A frame received (without flags and FCS).
    pub fn handle_frame(&mut self, now: Instant, frame: &[u8]) {
        self.lapd.handle_frame(now, frame);
        self.pump(now);
    }

    /// The transport under the D-channel is gone (layer 1 deactivated): the data link ends at
    /// once ([`Lapd::deactivate`]) and the call layer gets DL-RELEASE-indication, so that its
    /// data link failure procedure (Q.931 5.8.9) starts now, not after Q.921's own timeouts.
    pub fn deactivate(&mut self, now: Instant) {
        self.lapd.deactivate(now);
        self.pump(now);
    }

    /// The transport is back (layer 1 activated): multiple frame establishment starts unless
    /// the data link is already establishing or established (the far end may have begun).
    pub fn activate(&mut self, now: Instant) {
        if self.lapd.state() == q921::State::TeiAssigned {
            self.start(now);
        }
    }

    /// Runs every timer due at `now`.
    pub fn handle_timeout(&mut self, now: Instant) {
        self.lapd.handle_timeout(now);
        self.calls.handle_timeout(now);
        self.pump(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        earliest(self.lapd.poll_timeout(), self.calls.poll_timeout())
    }

    /// The next frame to send.
    pub fn poll_transmit(&mut self, now: Instant, out: &mut Vec<u8>) -> bool {
        self.lapd.poll_transmit(now, out)
    }

    /// The next call event.
    pub fn poll_event(&mut self) -> Option<CallEvent> {
        self.events.pop_front()
    }

    /// The next MDL-ERROR the data link reported (Q.921 Table II.1).
    pub fn poll_mdl_error(&mut self) -> Option<q921::MdlError> {
        self.mdl_errors.pop_front()
    }

    /// Runs a call control command (`setup`, `alerting`, `connect`, `disconnect`, ...) and
    /// hands what it sends to the data link.
    pub fn with_calls<R>(&mut self, now: Instant, f: impl FnOnce(&mut QsigCalls) -> R) -> R {
        let r = f(&mut self.calls);
        self.pump(now);
        r
    }

    /// Keeps (or stops keeping) a copy of every Q.931 message passed between Q.921 and the
    /// call layer, for [`DChannel::poll_trace`]. Off by default.
    pub fn set_trace(&mut self, on: bool) {
        self.trace = on.then(VecDeque::new);
    }

    /// The next Q.931 message of the trace, in the order the layers passed them.
    pub fn poll_trace(&mut self) -> Option<(TraceDirection, Vec<u8>)> {
        self.trace.as_mut().and_then(VecDeque::pop_front)
    }

    pub fn calls(&self) -> &QsigCalls {
        &self.calls
    }

    pub fn lapd(&self) -> &Lapd {
        &self.lapd
    }

    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            while let Some(msg) = self.calls.poll_transmit() {
                moved = true;
                let copy = self.trace.is_some().then(|| msg.clone());
                if self.lapd.data(now, msg).is_err() {
                    self.refused_by_data_link += 1;
                } else if let (Some(t), Some(m)) = (self.trace.as_mut(), copy) {
                    t.push_back((TraceDirection::Sent, m));
                }
            }
            while let Some(e) = self.lapd.poll_event() {
                moved = true;
                let ind = match e {
                    DlEvent::EstablishIndication => DlIndication::EstablishIndication,
                    DlEvent::EstablishConfirm => DlIndication::EstablishConfirm,
                    DlEvent::ReleaseIndication => DlIndication::ReleaseIndication,
                    DlEvent::ReleaseConfirm => DlIndication::ReleaseConfirm,
                    // QSIG basic call uses acknowledged transfer only; a UI frame's message is
                    // given to call control all the same (Q.931 5.8.1 handles what it is).
                    DlEvent::DataIndication(m) | DlEvent::UnitDataIndication(m) => {
                        if let Some(t) = self.trace.as_mut() {
                            t.push_back((TraceDirection::Received, m.clone()));
                        }
                        DlIndication::DataIndication(m)
                    }
                    DlEvent::MdlErrorIndication(err) => {
                        self.mdl_errors.push_back(err);
                        continue;
                    }
                };
                self.calls.handle_dl(now, ind);
            }
            while let Some(e) = self.calls.poll_event() {
                moved = true;
                self.events.push_back(e);
            }
            if !moved {
                break;
            }
        }
    }
}
