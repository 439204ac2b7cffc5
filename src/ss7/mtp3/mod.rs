//! MTP level 3 (ITU-T Q.704) with the signalling link test of Q.707, as a sans-IO state machine
//! for one signalling point with one linkset of up to 16 links to an adjacent signalling point:
//! what a gateway attached to a PSTN switch needs.
//!
//! One module per functional block of Q.704 figure 23 (and Q.707 for the test), as
//! libosmo-sigtran does; each is an `impl Mtp3` block over the shared state below:
//!
//! | module | block | does |
//! |---|---|---|
//! | [`hmdc`] | HMDC, message discrimination (2.4) | ours or not; not ours is discarded (no STP function) |
//! | [`hmdt`] | HMDT, message distribution (2.5) | by service indicator: SNM, test, user parts (UPU for absent ones) |
//! | [`hmrt`] | HMRT, message routing (2.3, 4.2) | SLS load sharing over the available links, held and discarded traffic |
//! | [`lsac`] | LSAC/LSLA/LSLR, link activity (12.2) | activation, restoration after T17, emergency alignment |
//! | [`sltc`] | SLTC, signalling link test control (Q.707 2) | SLTM/SLTA, T1 (repeat once, then restart), T2 periodic |
//! | [`tlac`] | TLAC, link availability control (4.3, 4.4, 10) | link (un)available, linkset availability, inhibit answers |
//! | [`tcoc`] | TCOC, changeover control (5) | BSNT, COO/COA, ECO/ECA, retrieval, time-controlled changeover |
//! | [`tcbc`] | TCBC, changeback control (6) | CBD/CBA, T4/T5 |
//! | [`tprc`] | TPRC, MTP restart control (9) | TRA exchange, T20, T19, MTP-PAUSE/RESUME |
//! | [`rtpc`] | RTPC/RTAC/RSRT, route management (13) | TFP/TFA/TFR, RST with T10, UPU and TFC to MTP-STATUS |
//!
//! The shape is the project's (STYLE.md): inputs [`Mtp3::handle_l2`], [`Mtp3::handle_user`],
//! [`Mtp3::handle_timeout`] each take the current time; outputs are drained with
//! [`Mtp3::poll_l2`] (commands and messages to the links, the primitives of
//! [`crate::ss7::l2`]) and [`Mtp3::poll_event`] (indications to the user parts and to
//! management); [`Mtp3::poll_timeout`] says when to call `handle_timeout`.
//!
//! Guarantee (Q.704 5.1, 6.1): user messages of one SLS reach the far end in the order sent,
//! each once, across changeover and changeback, as long as the adjacent destination stays
//! accessible; an emergency or time-controlled changeover may lose what the failed link had not
//! delivered (never duplicate it). Messages for an inaccessible destination are refused
//! ([`TransferError::Inaccessible`]) after MTP-PAUSE.

mod config;
mod hmdc;
mod hmdt;
mod hmrt;
mod lsac;
mod rtpc;
mod sltc;
mod stats;
mod tcbc;
mod tcoc;
mod tlac;
mod tprc;

use std::collections::{BTreeMap, VecDeque};

use sipt_codecs::mtp3::{
    Msu, NetworkIndicator, PointCode, RoutingLabel, ServiceIndicator, Sio, SnmMessage, TestMessage,
    UnavailabilityCause, UserPart,
};

use crate::ss7::l2::{L2ToL3, L3ToL2, LinkId, OutOfServiceReason};
use crate::time::{earliest, Instant, TimerTable};

pub use config::{Config, ConfigError, Timers, MAX_LINKS};
pub use stats::{LinkStats, LinksetStats};

/// The longest user part payload: the SIF holds at most 272 octets (Q.703 2.3.8), of which
/// the routing label takes 4.
pub const MAX_PAYLOAD: usize = 272 - RoutingLabel::ITU_LEN;

/// An MTP-TRANSFER request from a user part (Q.701): one message to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferRequest {
    /// The user part (ISUP is 5); not SNM, MTN or MTNS, which are MTP's own.
    pub service_indicator: ServiceIndicator,
    /// Signalling link selection, 0-15: messages with the same SLS are delivered in order.
    pub sls: u8,
    /// The user part's octets after the routing label (for ISUP: CIC first).
    pub payload: Vec<u8>,
    /// The destination; `None` is the adjacent signalling point. Another destination is
    /// reached through the adjacent point (the only route of an end point with one linkset).
    pub dpc: Option<PointCode>,
}

impl TransferRequest {
    /// A message for the adjacent signalling point.
    pub fn new(service_indicator: ServiceIndicator, sls: u8, payload: impl Into<Vec<u8>>) -> Self {
        TransferRequest {
            service_indicator,
            sls,
            payload: payload.into(),
            dpc: None,
        }
    }
}

/// Why a transfer request was not accepted.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransferError {
    /// The destination is inaccessible (MTP-PAUSE was or will be given): the message is
    /// discarded (Q.704 2.3 for a signalling point without transfer function).
    #[error("destination {dpc} is inaccessible")]
    Inaccessible { dpc: PointCode },
    #[error("SLS {sls} does not fit in 4 bits")]
    InvalidSls { sls: u8 },
    #[error("service indicator {si} is not a user part")]
    NotAUserPart { si: u8 },
    #[error("payload of {len} octets is longer than {max}")]
    TooLong { len: usize, max: usize },
    #[error("destination {dpc} does not fit in 14 bits")]
    InvalidDpc { dpc: PointCode },
}

/// An MTP-TRANSFER indication (Q.701): a message for a user part of this point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransferIndication {
    pub service_indicator: ServiceIndicator,
    pub network_indicator: NetworkIndicator,
    /// Bits 6-5 of the SIO, as received (spare, or a national message priority).
    pub sio_spare: u8,
    pub opc: PointCode,
    pub dpc: PointCode,
    pub sls: u8,
    /// The octets after the routing label.
    pub payload: Vec<u8>,
    /// The link it arrived on.
    pub link: LinkId,
}

/// The cause of an MTP-STATUS indication (Q.701).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StatusCause {
    /// Signalling network congestion towards the destination: a link of the linkset reported
    /// congestion (Q.704 11.2) or a transfer-controlled message arrived (13); `level` is
    /// the TFC status field (0 where there are no levels).
    Congestion { level: u8 },
    /// The user part is unavailable at the destination (UPU, Q.704 11.2).
    UserPartUnavailable {
        user_part: ServiceIndicator,
        cause: UnavailabilityCause,
    },
}

/// The state of a signalling link as MTP3 sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LinkStatus {
    /// Not activated.
    Inactive,
    /// Start given to level 2, waiting for "in service" (Q.704 12.2).
    Aligning,
    /// In service at level 2, signalling link test in progress (Q.707 2.2): carries no traffic.
    Testing,
    /// Carries traffic.
    Available,
    /// In service, but the remote processor is out (Q.703 8): carries no traffic.
    RemoteProcessorOutage,
    /// Out of service: changeover and then restoration after T17 (Q.704 12.2).
    OutOfService,
}

/// The state of the linkset, and so of the adjacent destination.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum LinksetStatus {
    /// No link available: the adjacent destination is inaccessible.
    Unavailable,
    /// A link is available and TRA was sent; waiting for the adjacent point's TRA or T20
    /// (Q.704 9). User traffic is still refused.
    Restarting,
    /// User traffic flows.
    Available,
}

/// How a changeover ended (Q.704 5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeoverKind {
    /// With buffer updating: the far end's FSN came in a COO or COA and the unacknowledged
    /// messages were retrieved and sent on (5.4, 5.5).
    BufferUpdating { retrieved: usize },
    /// Emergency changeover (ECO/ECA, 5.6.1), or no acknowledgement before T2 (5.7), or
    /// retrieval not possible: what level 2 had not delivered is not sent again.
    Emergency,
    /// Time-controlled changeover after T1 (5.6.2).
    TimeControlled,
}

/// What MTP3 tells its users and its management.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mtp3Event {
    /// MTP-TRANSFER indication.
    Transfer(TransferIndication),
    /// MTP-PAUSE: the destination is inaccessible; stop sending to it.
    Pause { dpc: PointCode },
    /// MTP-RESUME: the destination is accessible again.
    Resume { dpc: PointCode },
    /// MTP-STATUS.
    Status { dpc: PointCode, cause: StatusCause },
    /// A link changed state; `reason` is set when level 2 took it out of service.
    LinkState {
        link: LinkId,
        status: LinkStatus,
        reason: Option<LinkFailure>,
    },
    /// The linkset changed state.
    LinksetState { status: LinksetStatus },
    /// A changeover from `link` finished.
    ChangeoverComplete { link: LinkId, kind: ChangeoverKind },
    /// A changeback to `link` finished; `timed` when T5 ended it without acknowledgement.
    ChangebackComplete { link: LinkId, timed: bool },
}

/// Why a link left service.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFailure {
    /// Level 2 reported out of service.
    Level2(OutOfServiceReason),
    /// The signalling link test failed twice (Q.707 2.2).
    TestFailed,
    /// The far end ordered changeover from it (Q.704 5.2).
    ChangeoverOrder,
}

/// Per-link timers (Q.704 16.8, Q.707).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinkTimer {
    /// Q.707 T1: waiting for SLTA.
    SltT1 = 0,
    /// Q.707 T2: next periodic test.
    SltT2 = 1,
    /// Q.704 T17: before restarting the link.
    T17 = 2,
    /// Q.704 T2: waiting for COA/ECA.
    T2 = 3,
    /// Q.704 T1: time-controlled changeover.
    T1 = 4,
}

const LINK_TIMERS: [LinkTimer; 5] = [
    LinkTimer::SltT1,
    LinkTimer::SltT2,
    LinkTimer::T17,
    LinkTimer::T2,
    LinkTimer::T1,
];

/// Linkset timers (Q.704 9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LinksetTimer {
    /// Q.704 T20: overall restart timer.
    T20 = 0,
    /// Q.704 T19: no second answer to an unexpected TRA while running.
    T19 = 1,
}

/// What the far end asked for a link in a changeover order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Order {
    /// COO with the FSN of the last MSU it accepted on the link.
    Coo(u8),
    /// ECO (or XCO, whose 24-bit FSN our 7-bit links cannot use).
    Eco,
}

/// The changeover procedure of a link (Q.704 5, TCOC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Changeover {
    Idle,
    /// RetrieveBsnt given; `remote` is the far end's order if it came first (then we answer
    /// COA/ECA instead of sending COO/ECO).
    WaitBsnt {
        remote: Option<Order>,
    },
    /// COO (with `bsnt`) or ECO (`bsnt` None) sent, T2 running.
    WaitAck {
        bsnt: Option<u8>,
    },
    /// Retrieval request given; collecting retrieved messages.
    Retrieving,
    /// Time-controlled changeover: T1 running.
    TimeControlled,
}

impl Changeover {
    /// Whether level 2's buffers of the link are still needed (no restart until done).
    fn needs_level2(self) -> bool {
        matches!(
            self,
            Changeover::WaitBsnt { .. } | Changeover::WaitAck { .. } | Changeover::Retrieving
        )
    }
}

/// One signalling link of the linkset.
#[derive(Debug, Clone)]
struct Link {
    slc: LinkId,
    status: LinkStatus,
    /// Level 2 reported "in service" and not since "out of service".
    l2_in_service: bool,
    /// Level 2 went out of service and was not started again: its buffers and BSNT are still
    /// there for changeover (Q.704 5.4).
    l2_buffers_intact: bool,
    /// T17 expired while a changeover still needed level 2: start when it ends.
    start_pending: bool,
    /// The last Emergency (true) or EmergencyCeases (false) given.
    emergency: Option<bool>,
    timers: TimerTable<5>,
    /// Signalling link test in progress: the pattern sent and the attempt (1 or 2).
    slt_pattern: Vec<u8>,
    slt_attempt: u8,
    slt_serial: u8,
    changeover: Changeover,
    /// The BSNT of the last failure, to answer a late COO/ECO with COA (None: ECA).
    last_bsnt: Option<u8>,
    /// A changeover of this failure already ended: a late order is only answered.
    changed_over: bool,
    retrieved: Vec<Vec<u8>>,
    stats: LinkStats,
}

impl Link {
    fn new(slc: LinkId) -> Self {
        Link {
            slc,
            status: LinkStatus::Inactive,
            l2_in_service: false,
            l2_buffers_intact: false,
            start_pending: false,
            emergency: None,
            timers: TimerTable::default(),
            slt_pattern: Vec::new(),
            slt_attempt: 0,
            slt_serial: 0,
            changeover: Changeover::Idle,
            last_bsnt: None,
            changed_over: false,
            retrieved: Vec::new(),
            stats: LinkStats::default(),
        }
    }

    fn start_timer(&mut self, timer: LinkTimer, now: Instant, d: std::time::Duration) {
        self.timers.start(timer as usize, now + d);
    }

    fn stop_timer(&mut self, timer: LinkTimer) {
        self.timers.stop(timer as usize);
    }

    fn timer_running(&self, timer: LinkTimer) -> bool {
        self.timers.is_running(timer as usize)
    }
}

/// Where the traffic of one SLS goes (HMRT's routing data for the linkset, Q.704 4.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SlsRoute {
    /// No link: the linkset is unavailable or restarting.
    Down,
    /// On this link.
    Via(LinkId),
    /// Held in the changeover buffer of this link until its changeover ends (Q.704 5.3).
    Changeover(LinkId),
    /// Held in the changeback buffer: going back from `from` to `to` once the CBD with
    /// `code` is acknowledged (Q.704 6.3).
    Changeback { from: LinkId, to: LinkId, code: u8 },
}

/// A changeback in progress (Q.704 6.3): one CBD per alternative link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Changeback {
    code: u8,
    from: LinkId,
    to: LinkId,
    /// T4 (first CBD) or T5 (repeated CBD) expires then.
    deadline: Instant,
    repeated: bool,
}

/// A destination beyond the adjacent point that was declared prohibited (TFP, Q.704 13.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Prohibited {
    /// T10: when to repeat the signalling-route-set-test (13.5).
    rst_at: Instant,
}

/// MTP level 3 of one signalling point with one linkset. See the module documentation.
#[derive(Debug)]
pub struct Mtp3 {
    cfg: Config,
    /// The configured SLCs in ascending order: the normal (home) link of SLS s is
    /// `slcs[s % len]` (Q.704 4.2 load sharing).
    slcs: Vec<LinkId>,
    links: Vec<Link>,
    routes: [SlsRoute; 16],
    /// Changeover and changeback buffers, per SLS: encoded MSUs (SIO and SIF).
    held: [VecDeque<Vec<u8>>; 16],
    changebacks: Vec<Changeback>,
    next_changeback_code: u8,
    linkset: LinksetStatus,
    /// The adjacent point's TRA came before our restart began.
    tra_received: bool,
    timers: TimerTable<2>,
    prohibited: BTreeMap<PointCode, Prohibited>,
    /// Destinations prohibited when the current MTP restart began: resumed at its end unless
    /// prohibited again meanwhile (Q.704 9).
    prohibited_before_restart: Vec<PointCode>,
    to_l2: VecDeque<(LinkId, L3ToL2)>,
    events: VecDeque<Mtp3Event>,
    stats: LinksetStats,
}

impl Mtp3 {
    /// A signalling point with its links inactive; [`Mtp3::start`] activates them.
    pub fn new(cfg: Config) -> Result<Self, ConfigError> {
        cfg.validate()?;
        let mut slcs = cfg.links.clone();
        slcs.sort_unstable();
        let links = slcs.iter().map(|&slc| Link::new(slc)).collect();
        Ok(Mtp3 {
            cfg,
            slcs,
            links,
            routes: [SlsRoute::Down; 16],
            held: Default::default(),
            changebacks: Vec::new(),
            next_changeback_code: 0,
            linkset: LinksetStatus::Unavailable,
            tra_received: false,
            timers: TimerTable::default(),
            prohibited: BTreeMap::new(),
            prohibited_before_restart: Vec::new(),
            to_l2: VecDeque::new(),
            events: VecDeque::new(),
            stats: LinksetStats::default(),
        })
    }

    /// Activates every link of the linkset (Q.704 12.2, linkset activation): the adjacent
    /// destination is inaccessible until the MTP restart ends with MTP-RESUME.
    pub fn start(&mut self, now: Instant) {
        let slcs = self.slcs.clone();
        for slc in slcs {
            if self.link(slc).map(|l| l.status) == Some(LinkStatus::Inactive) {
                self.start_link(now, slc);
            }
        }
    }

    /// An indication of level 2 for link `link`.
    pub fn handle_l2(&mut self, now: Instant, link: LinkId, ind: L2ToL3) {
        if self.link(link).is_none() {
            self.stats.unknown_link += 1;
            return;
        }
        match ind {
            L2ToL3::InService => self.l2_in_service(now, link),
            L2ToL3::OutOfService(reason) => self.l2_out_of_service(now, link, reason),
            L2ToL3::RemoteProcessorOutage => self.remote_processor_outage(now, link),
            L2ToL3::RemoteProcessorRecovered => self.remote_processor_recovered(now, link),
            L2ToL3::ReceivedMessage(bytes) => self.discriminate(now, link, &bytes),
            L2ToL3::Bsnt(bsnt) => self.bsnt(now, link, Some(bsnt & 0x7F)),
            L2ToL3::BsntNotRetrievable => self.bsnt(now, link, None),
            L2ToL3::RetrievedMessage(bytes) => self.retrieved_message(link, bytes),
            L2ToL3::RetrievalComplete => self.retrieval_complete(now, link, true),
            L2ToL3::RetrievalNotPossible => self.retrieval_complete(now, link, false),
            L2ToL3::Congestion(onset) => self.link_congestion(link, onset),
        }
    }

    /// An MTP-TRANSFER request.
    pub fn handle_user(&mut self, now: Instant, req: TransferRequest) -> Result<(), TransferError> {
        let _ = now;
        self.route_user(req)
    }

    /// Handles every timer that has expired at `now`; a call with nothing expired does nothing.
    pub fn handle_timeout(&mut self, now: Instant) {
        loop {
            let mut fired = false;
            while let Some(slot) = self.timers.expired(now) {
                fired = true;
                match slot {
                    s if s == LinksetTimer::T20 as usize => self.t20_expired(now),
                    _ => {} // T19 only guards; its expiry needs no action.
                }
            }
            for i in 0..self.links.len() {
                while let Some((slc, slot)) = self
                    .links
                    .get_mut(i)
                    .and_then(|l| l.timers.expired(now).map(|slot| (l.slc, slot)))
                {
                    fired = true;
                    match LINK_TIMERS.get(slot) {
                        Some(LinkTimer::SltT1) => self.slt_t1_expired(now, slc),
                        Some(LinkTimer::SltT2) => self.slt_t2_expired(now, slc),
                        Some(LinkTimer::T17) => self.t17_expired(now, slc),
                        Some(LinkTimer::T2) => self.changeover_t2_expired(now, slc),
                        Some(LinkTimer::T1) => self.changeover_t1_expired(now, slc),
                        None => {}
                    }
                }
            }
            if let Some(cb) = self
                .changebacks
                .iter()
                .find(|cb| cb.deadline <= now)
                .copied()
            {
                fired = true;
                self.changeback_timer_expired(now, cb.code);
            }
            if let Some((&dpc, _)) = self.prohibited.iter().find(|(_, p)| p.rst_at <= now) {
                fired = true;
                self.t10_expired(now, dpc);
            }
            if !fired {
                break;
            }
        }
    }

    /// When [`Mtp3::handle_timeout`] must next be called.
    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut next = self.timers.next_deadline();
        for link in &self.links {
            next = earliest(next, link.timers.next_deadline());
        }
        for cb in &self.changebacks {
            next = earliest(next, Some(cb.deadline));
        }
        for p in self.prohibited.values() {
            next = earliest(next, Some(p.rst_at));
        }
        next
    }

    /// The next command or message for a link's level 2.
    pub fn poll_l2(&mut self) -> Option<(LinkId, L3ToL2)> {
        self.to_l2.pop_front()
    }

    /// The next indication for the user parts or management.
    pub fn poll_event(&mut self) -> Option<Mtp3Event> {
        self.events.pop_front()
    }

    /// The configuration.
    pub fn config(&self) -> &Config {
        &self.cfg
    }

    /// The state of link `slc`, if configured.
    pub fn link_status(&self, slc: LinkId) -> Option<LinkStatus> {
        self.link(slc).map(|l| l.status)
    }

    /// The counters of link `slc`, if configured.
    pub fn link_stats(&self, slc: LinkId) -> Option<&LinkStats> {
        self.link(slc).map(|l| &l.stats)
    }

    /// The state of the linkset.
    pub fn linkset_status(&self) -> LinksetStatus {
        self.linkset
    }

    /// The linkset's and signalling point's counters.
    pub fn stats(&self) -> &LinksetStats {
        &self.stats
    }

    /// Whether a transfer request for `dpc` would be accepted now.
    pub fn is_accessible(&self, dpc: PointCode) -> bool {
        self.linkset == LinksetStatus::Available && !self.prohibited.contains_key(&dpc)
    }

    /// The link currently carrying SLS `sls` (None while the SLS is held or down).
    pub fn link_for_sls(&self, sls: u8) -> Option<LinkId> {
        match self.routes.get(usize::from(sls)) {
            Some(SlsRoute::Via(l)) => Some(*l),
            _ => None,
        }
    }

    // ---- shared helpers ----

    fn link(&self, slc: LinkId) -> Option<&Link> {
        self.links.iter().find(|l| l.slc == slc)
    }

    fn link_mut(&mut self, slc: LinkId) -> Option<&mut Link> {
        self.links.iter_mut().find(|l| l.slc == slc)
    }

    fn status_of(&self, slc: LinkId) -> Option<LinkStatus> {
        self.link(slc).map(|l| l.status)
    }

    fn is_available(&self, slc: LinkId) -> bool {
        self.status_of(slc) == Some(LinkStatus::Available)
    }

    fn tell_l2(&mut self, slc: LinkId, cmd: L3ToL2) {
        self.to_l2.push_back((slc, cmd));
    }

    fn emit(&mut self, ev: Mtp3Event) {
        self.events.push_back(ev);
    }

    fn set_link_status(&mut self, slc: LinkId, status: LinkStatus, reason: Option<LinkFailure>) {
        let Some(link) = self.link_mut(slc) else {
            return;
        };
        if link.status == status {
            return;
        }
        link.status = status;
        self.emit(Mtp3Event::LinkState {
            link: slc,
            status,
            reason,
        });
    }

    fn set_linkset_status(&mut self, status: LinksetStatus) {
        if self.linkset != status {
            self.linkset = status;
            self.emit(Mtp3Event::LinksetState { status });
        }
    }

    /// Encodes an MSU of MTP's own (SNM or test) for the adjacent point.
    fn encode_own(
        &mut self,
        si: ServiceIndicator,
        dpc: PointCode,
        slc: LinkId,
        user_part: UserPart,
    ) -> Option<Vec<u8>> {
        let msu = Msu {
            sio: Sio {
                network_indicator: self.cfg.network_indicator,
                spare: 0,
                service_indicator: si,
            },
            label: RoutingLabel {
                dpc,
                opc: self.cfg.opc,
                sls: slc,
            },
            user_part,
        };
        let mut out = Vec::with_capacity(msu.encoded_len());
        match msu.encode(&mut out) {
            Ok(()) => Some(out),
            Err(_) => {
                self.stats.encode_errors += 1;
                None
            }
        }
    }

    /// Sends a signalling network management message on link `on`, about link `slc` (the SLC
    /// in the label; Q.704 2.2, 15), to `dpc`.
    fn send_snm(&mut self, on: LinkId, dpc: PointCode, slc: LinkId, msg: SnmMessage) {
        if let Some(bytes) = self.encode_own(ServiceIndicator::Snm, dpc, slc, UserPart::Snm(msg)) {
            self.transmit(on, bytes, false);
        }
    }

    /// Sends a signalling link test message on link `slc`.
    fn send_test(&mut self, slc: LinkId, dpc: PointCode, label_slc: LinkId, msg: TestMessage) {
        if let Some(bytes) =
            self.encode_own(ServiceIndicator::Mtn, dpc, label_slc, UserPart::Test(msg))
        {
            self.transmit(slc, bytes, false);
        }
    }

    /// Hands an encoded MSU to level 2 of link `slc`.
    fn transmit(&mut self, slc: LinkId, bytes: Vec<u8>, user: bool) {
        if let Some(link) = self.link_mut(slc) {
            link.stats.msu_tx += 1;
            link.stats.octets_tx += bytes.len() as u64;
            if user {
                link.stats.user_msu_tx += 1;
            }
        }
        self.tell_l2(slc, L3ToL2::Message(bytes));
    }
}

/// The service indicator and routing label of an encoded MSU (SIO and SIF), if it has them.
fn peek_label(bytes: &[u8]) -> Option<(ServiceIndicator, RoutingLabel)> {
    let sio = Sio::from_octet(*bytes.first()?);
    let l = bytes.get(1..1 + RoutingLabel::ITU_LEN)?;
    let word = u32::from_le_bytes([*l.first()?, *l.get(1)?, *l.get(2)?, *l.get(3)?]);
    Some((
        sio.service_indicator,
        RoutingLabel {
            dpc: PointCode(word & 0x3FFF),
            opc: PointCode((word >> 14) & 0x3FFF),
            sls: (word >> 28) as u8,
        },
    ))
}

/// Whether a service indicator is one of MTP's own (SNM, MTN, MTNS) rather than a user part.
fn is_mtp_own(si: ServiceIndicator) -> bool {
    matches!(
        si,
        ServiceIndicator::Snm | ServiceIndicator::Mtn | ServiceIndicator::Mtns
    )
}

#[cfg(test)]
mod tests;
