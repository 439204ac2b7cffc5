//! ISUP call and circuit control, ITU-T Q.764 (12/1999), as a sans-IO state machine.
//!
//! One [`Isup`] serves the circuits of one signalling relation (our point code OPC and the
//! adjacent DPC). It sits on MTP3 and talks to it only through values:
//!
//! - in: [`Isup::handle_message`] (a [`CicMessage`] MTP delivered for us from the DPC),
//!   [`Isup::handle_mtp`] (MTP-PAUSE, MTP-RESUME, MTP-STATUS), [`Isup::handle_timeout`], and
//!   the user's commands ([`Isup::setup`], [`Isup::alert`], [`Isup::answer`],
//!   [`Isup::release`], [`Isup::reset`], [`Isup::block`], [`Isup::group_block`], ...);
//! - out: [`Isup::poll_transmit`] (the SLS and the message for MTP-TRANSFER; the SLS is the
//!   4 low bits of the CIC, so that all messages of a circuit take one link and stay in
//!   order, Q.704 2.2.4), [`Isup::poll_event`] ([`IsupEvent`]s for the user) and
//!   [`Isup::poll_timeout`].
//!
//! The processes of the Q.764 SDL (Annexes) map to the code as follows:
//!
//! | Q.764 process | here |
//! |---|---|
//! | CPC, call processing control (CPCI/CPCO, SSCI/SSCO) | [`cpc`]: the call state of each circuit ([`CallStatus`]), T1/T2/T5-T9/T33/T35/T38 |
//! | CRS/CRR, circuit reset sending/receiving; CGRS/CGRR | [`csc`]: RSC/RLC (T16, T17), GRS/GRA (T22, T23) |
//! | BLS/BLR, blocking sending/receiving; CGBS/CGBR | [`csc`]: BLO/BLA/UBL/UBA (T12-T15), CGB/CGBA/CGU/CGUA (T18-T21) |
//! | circuit group query (2.8.3) | [`csc`]: CQM/CQR (T28) |
//! | unequipped CIC (2.12) | [`csc`]: UCIC |
//! | compatibility (2.9.5.2-2.9.5.3) | [`compat`] and [`Isup::handle_message`] |
//! | ISUP availability (2.13), congestion control (2.10.2) | [`Isup::handle_mtp`]: UPT/UPA (T4), T29/T30 |
//!
//! Clause numbers are those of Q.764 (12/1999); the ITU texts are not on this machine, so
//! behaviour was cross-checked against OpenSS7's `isup.c` (which quotes the 1999 text) and
//! libss7's `isup.c` (the Asterisk stack used as a peer).
//!
//! Every path of a circuit ends idle or blocked: a release is supervised by T1/T5 and then by
//! reset (RSC repeated at T17 intervals), a reset by T16/T17 or T22/T23, a continuity recheck
//! by T25-T27/T36; the property test `tests/isup_property.rs` checks it.

pub mod circuit;
pub mod compat;
pub mod config;
mod cpc;
mod csc;
pub mod error;
pub mod event;
pub mod stats;
pub mod timer;

pub use circuit::{CallStatus, CircuitStatus, LocalBlocking, ResetPending};
pub use config::{
    Config, ContinuityMode, ExchangeType, InformationResponse, ResetOnResume, Timers,
};
pub use error::IsupError;
pub use event::{
    BlockingKind, CircuitStateIndicator, IsupEvent, MaintenanceAlert, MtpIndication, MtpStatus,
    ReleaseReason, Side, UnavailabilityCause,
};
pub use stats::Statistics;
pub use timer::Timer;

use crate::time::Instant;
use circuit::Circuit;
use sipt_codecs::isup::{CauseIndicators, CauseValue, CicMessage, Message, MessageType};
use sipt_codecs::wire::DecodeError;
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use timer::{Owner, TimerQueue};

/// A circuit group procedure we started and the far end has not yet acknowledged.
#[derive(Debug, Clone)]
pub(crate) struct GroupProcedure {
    pub kind: GroupKind,
    /// The CIC of the message: the first circuit of the range.
    pub cic: u16,
    pub range: u8,
    /// The status bits sent (CGB, CGU); empty for GRS and CQM.
    pub status: Vec<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum GroupKind {
    Reset,
    Block(BlockingKind),
    Unblock(BlockingKind),
    Query,
}

/// The state of the signalling relation as a whole.
#[derive(Debug, Clone, Default)]
struct Relation {
    /// MTP-PAUSE received, or no MTP-RESUME yet.
    paused: bool,
    /// An MTP-RESUME was received since start.
    resumed_once: bool,
    /// MTP-STATUS "user part unavailable" received and no message heard since (Q.764 2.13).
    remote_unavailable: Option<UnavailabilityCause>,
    /// Traffic reduction step of the congestion control (Q.764 2.10.2).
    reduction: u8,
}

/// ISUP call and circuit control for one signalling relation (see the module documentation).
#[derive(Debug, Clone)]
pub struct Isup {
    config: Config,
    circuits: BTreeMap<u16, Circuit>,
    groups: BTreeMap<u32, GroupProcedure>,
    next_group: u32,
    /// The (CIC, range) of every GRS we have sent: a late GRA for one is still news.
    reset_ranges: BTreeSet<(u16, u8)>,
    timers: TimerQueue,
    transmit: VecDeque<(u8, CicMessage)>,
    events: VecDeque<IsupEvent>,
    relation: Relation,
    stats: Statistics,
}

impl Isup {
    /// A machine for the relation and circuits of `config`. MTP is taken as paused until
    /// [`MtpIndication::Resume`] arrives (then, by default, every circuit is reset with GRS:
    /// [`Config::reset_on_resume`]).
    pub fn new(config: Config) -> Result<Isup, IsupError> {
        config.validate()?;
        let circuits = config
            .cics
            .iter()
            .map(|&cic| (cic, Circuit::new(cic, Instant::ZERO)))
            .collect();
        Ok(Isup {
            config,
            circuits,
            groups: BTreeMap::new(),
            next_group: 0,
            reset_ranges: BTreeSet::new(),
            timers: TimerQueue::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            relation: Relation {
                paused: true,
                ..Relation::default()
            },
            stats: Statistics::default(),
        })
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn stats(&self) -> &Statistics {
        &self.stats
    }

    /// The CICs of the relation, in order.
    pub fn cics(&self) -> impl Iterator<Item = u16> + '_ {
        self.circuits.keys().copied()
    }

    /// The state of one circuit, `None` for a CIC we do not have.
    pub fn circuit_status(&self, cic: u16) -> Option<CircuitStatus> {
        self.circuits.get(&cic).map(Circuit::status)
    }

    /// Whether MTP has resumed (and not paused since) and the remote ISUP is available.
    pub fn is_relation_available(&self) -> bool {
        !self.relation.paused && self.relation.remote_unavailable.is_none()
    }

    /// Whether a new outgoing call may seize `cic`: the relation is available and the circuit
    /// is idle, not being reset, not blocked at either end (maintenance or hardware, sent or
    /// received, acknowledged or not) and not reported unequipped by the far end.
    pub fn is_available_for_outgoing(&self, cic: u16) -> bool {
        self.is_relation_available() && self.circuits.get(&cic).is_some_and(Circuit::is_free)
    }

    /// Whether this exchange controls `cic` for dual seizure (Q.764 2.9.1.4): the exchange
    /// with the higher signalling point code controls the even CICs, the other one the odd.
    pub fn controls(&self, cic: u16) -> bool {
        (self.config.opc > self.config.dpc) == (cic % 2 == 0)
    }

    /// A circuit for a new outgoing call, chosen to make dual seizure unlikely (Q.764 2.9.1.3,
    /// method 2): among the available circuits this exchange controls, the one idle longest;
    /// if none, among the others the one idle shortest.
    pub fn select_circuit(&self) -> Option<u16> {
        let available = || {
            self.circuits
                .values()
                .filter(|c| self.is_available_for_outgoing(c.cic))
        };
        available()
            .filter(|c| self.controls(c.cic))
            .min_by_key(|c| (c.idle_since, c.cic))
            .or_else(|| {
                available()
                    .filter(|c| !self.controls(c.cic))
                    .max_by_key(|c| (c.idle_since, c.cic))
            })
            .map(|c| c.cic)
    }

    /// The traffic reduction step of the signalling congestion control (Q.764 2.10.2): 0 is
    /// full traffic; the user reduces the call attempts it offers accordingly.
    pub fn traffic_reduction(&self) -> u8 {
        self.relation.reduction
    }

    /// The next message for MTP-TRANSFER: the SLS and the message.
    pub fn poll_transmit(&mut self) -> Option<(u8, CicMessage)> {
        self.transmit.pop_front()
    }

    /// The next indication for the user.
    pub fn poll_event(&mut self) -> Option<IsupEvent> {
        self.events.pop_front()
    }

    /// When [`Isup::handle_timeout`] is next due.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.timers.next_deadline()
    }

    /// Handles every timer that has expired at `now` (none: nothing happens).
    pub fn handle_timeout(&mut self, now: Instant) {
        while let Some((owner, timer)) = self.timers.pop_expired(now) {
            self.stats.timer_expiries.add(timer);
            match owner {
                Owner::Circuit(cic) => self.circuit_timer_expired(now, cic, timer),
                Owner::Group(id) => self.group_timer_expired(now, id, timer),
                Owner::Relation => self.relation_timer_expired(now, timer),
            }
        }
    }

    /// Decodes `octets` (CIC first, as in an MSU) and handles the message. A message that does
    /// not decode is counted and dropped (Q.764 2.9.5: a message with a format error is
    /// discarded).
    pub fn handle_octets(&mut self, now: Instant, octets: &[u8]) -> Result<(), DecodeError> {
        match CicMessage::decode(octets) {
            Ok(m) => {
                self.handle_message(now, m);
                Ok(())
            }
            Err(e) => {
                self.stats.decode_errors += 1;
                Err(e)
            }
        }
    }

    /// Handles a message received from the DPC.
    pub fn handle_message(&mut self, now: Instant, message: CicMessage) {
        let CicMessage { cic, message, .. } = message;
        let t = MessageType::from_code(message.message_type.code());
        self.stats.messages_received.add(t);
        self.remote_user_heard();
        if !self.circuits.contains_key(&cic) {
            self.unequipped_cic(cic, t);
            return;
        }
        if compat::is_unrecognized_message(t) {
            self.unrecognized_message(now, cic, message);
            return;
        }
        let Some((message, rlc_cause)) = self.unrecognized_parameters(now, cic, t, message) else {
            return;
        };
        use MessageType::*;
        match t {
            Rsc => self.rsc_received(now, cic),
            Grs => self.grs_received(now, cic, &message),
            Gra => self.gra_received(now, cic, &message),
            Blo => self.blo_received(now, cic),
            Bla => self.bla_received(now, cic),
            Ubl => self.ubl_received(now, cic),
            Uba => self.uba_received(now, cic),
            Cgb => self.cgb_received(now, cic, &message),
            Cgu => self.cgu_received(now, cic, &message),
            Cgba => self.cgba_received(now, cic, &message),
            Cgua => self.cgua_received(now, cic, &message),
            Cqm => self.cqm_received(cic, &message),
            Cqr => self.cqr_received(now, cic, &message),
            Ucic => self.ucic_received(now, cic),
            // Q.764 2.13: a user part test is answered with UPA when we are available
            Upt => self.send(cic, Message::bare(Upa)),
            Upa => {}
            _ => self.call_message(now, cic, t, message, rlc_cause),
        }
    }

    /// Handles an MTP indication about the DPC.
    pub fn handle_mtp(&mut self, now: Instant, indication: MtpIndication) {
        match indication {
            MtpIndication::Pause => {
                if !self.relation.paused {
                    self.relation.paused = true;
                    self.emit(IsupEvent::RelationPaused);
                }
            }
            MtpIndication::Resume => {
                if !self.relation.paused {
                    return;
                }
                self.relation.paused = false;
                let first = !self.relation.resumed_once;
                self.relation.resumed_once = true;
                self.emit(IsupEvent::RelationResumed);
                let reset = match self.config.reset_on_resume {
                    ResetOnResume::Never => false,
                    ResetOnResume::Start => first,
                    ResetOnResume::StartAndRecovery => true,
                };
                if reset {
                    self.reset_all(now);
                }
            }
            MtpIndication::Status(MtpStatus::UserPartUnavailable(cause)) => {
                self.user_part_unavailable(now, cause)
            }
            MtpIndication::Status(MtpStatus::Congestion { .. }) => self.congestion(now),
        }
    }

    // ---- internals shared by cpc and csc ----

    fn emit(&mut self, e: IsupEvent) {
        self.events.push_back(e);
    }

    /// Queues `message` on `cic` for MTP (dropped while MTP is paused: MTP would discard it).
    fn send(&mut self, cic: u16, message: Message) {
        self.stats.messages_sent.add(message.message_type);
        if self.relation.paused {
            self.stats.messages_discarded_paused += 1;
            return;
        }
        self.transmit.push_back((sls(cic), message.with_cic(cic)));
    }

    fn start(&mut self, now: Instant, owner: Owner, timer: Timer) {
        if let Some(d) = self.config.timers.get(timer) {
            self.timers.start(owner, timer, now + d);
        }
    }

    fn stop(&mut self, owner: Owner, timer: Timer) -> bool {
        self.timers.stop(owner, timer)
    }

    fn running(&self, owner: Owner, timer: Timer) -> bool {
        self.timers.is_running(owner, timer)
    }

    fn maintenance_alert(&mut self, cic: Option<u16>, alert: MaintenanceAlert) {
        self.stats.maintenance_alerts += 1;
        self.emit(IsupEvent::Maintenance { cic, alert });
    }

    /// A cause of this exchange.
    fn cause(&self, value: CauseValue) -> CauseIndicators {
        CauseIndicators::new(self.config.cause_location, value)
    }

    /// Q.764 2.13: any message from the remote ISUP shows that it is available again.
    fn remote_user_heard(&mut self) {
        if self.relation.remote_unavailable.take().is_some() {
            self.stop(Owner::Relation, Timer::T4);
            self.emit(IsupEvent::RemoteUserAvailability {
                available: true,
                cause: None,
            });
        }
    }

    /// Q.764 2.13: MTP-STATUS "remote user unavailable". For an inaccessible remote user, the
    /// availability test: UPT (on the first circuit) every T4 until any message comes back;
    /// for an unequipped remote user, no test.
    fn user_part_unavailable(&mut self, now: Instant, cause: UnavailabilityCause) {
        if self.relation.remote_unavailable.is_some() && self.running(Owner::Relation, Timer::T4) {
            // indications received while T4 runs are ignored
            return;
        }
        self.relation.remote_unavailable = Some(cause);
        self.emit(IsupEvent::RemoteUserAvailability {
            available: false,
            cause: Some(cause),
        });
        if cause != UnavailabilityCause::UnequippedRemoteUser {
            self.send_upt(now);
        }
    }

    fn send_upt(&mut self, now: Instant) {
        if let Some(&cic) = self.circuits.keys().next() {
            self.send(cic, Message::bare(MessageType::Upt));
        }
        self.start(now, Owner::Relation, Timer::T4);
    }

    /// Q.764 2.10.2: a congestion indication reduces the traffic by one step unless T29 runs;
    /// T29 and T30 are (re)started.
    fn congestion(&mut self, now: Instant) {
        if self.running(Owner::Relation, Timer::T29) {
            return;
        }
        if self.relation.reduction < self.config.congestion_steps {
            self.relation.reduction += 1;
            self.emit(IsupEvent::Congestion {
                reduction_steps: self.relation.reduction,
            });
        }
        self.start(now, Owner::Relation, Timer::T29);
        self.start(now, Owner::Relation, Timer::T30);
    }

    fn relation_timer_expired(&mut self, now: Instant, timer: Timer) {
        match timer {
            Timer::T4 if self.relation.remote_unavailable.is_some() => self.send_upt(now),
            // Q.764 2.10.2: no indication during T30: one step more traffic
            Timer::T30 if self.relation.reduction > 0 => {
                self.relation.reduction -= 1;
                self.emit(IsupEvent::Congestion {
                    reduction_steps: self.relation.reduction,
                });
                if self.relation.reduction > 0 {
                    self.start(now, Owner::Relation, Timer::T30);
                }
            }
            _ => {}
        }
    }
}

/// The signalling link selection of a circuit's messages: the low bits of its CIC (4 bits in
/// the ITU-T routing label), so that the messages of a circuit keep their order.
pub fn sls(cic: u16) -> u8 {
    (cic & 0x0f) as u8
}
