//! What ISUP tells its user (the interworking, the simulator), and what MTP tells ISUP.

use super::timer::Timer;
use serde::Serialize;
use sipt_codecs::isup::{CauseIndicators, Message};

/// The MTP primitives ISUP receives about its destination (Q.701 / Q.704 clause 11.2, the
/// MTP-PAUSE, MTP-RESUME and MTP-STATUS indications).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MtpIndication {
    /// MTP-PAUSE: the destination is inaccessible.
    Pause,
    /// MTP-RESUME: the destination is accessible (again).
    Resume,
    /// MTP-STATUS.
    Status(MtpStatus),
}

/// The cause of an MTP-STATUS indication.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MtpStatus {
    /// Signalling network congestion (with the congestion level in national options).
    Congestion { level: Option<u8> },
    /// Remote user part unavailable, with the cause of Q.704 15.17.5 (UPU).
    UserPartUnavailable(UnavailabilityCause),
}

/// Q.704 15.17.5: the unavailability cause of a UPU message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum UnavailabilityCause {
    Unknown,
    UnequippedRemoteUser,
    InaccessibleRemoteUser,
}

/// Which end a blocking state belongs to: local (we blocked the circuit, by BLO or CGB) or
/// remote (the far end did).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Side {
    Local,
    Remote,
}

/// Maintenance oriented or hardware failure oriented blocking (Q.763 3.13).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum BlockingKind {
    Maintenance,
    Hardware,
}

/// Why a call ended (apart from the user's own `release`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ReleaseReason {
    /// REL received from the far end.
    Remote,
    /// A timer expired and we sent REL (T2, T6, T7, T8, T9, T33, T35, T38).
    TimerExpiry(Timer),
    /// RSC or GRS received (Q.764 2.9.3), or we reset the circuit.
    Reset,
    /// BLO or maintenance CGB received before a backward message for our call (Q.764 2.8.2.1):
    /// we sent REL.
    Blocking,
    /// Hardware failure oriented CGB sent or received: the call is cleared without REL.
    HardwareBlocking,
    /// COT "failed" sent or received (Q.764 2.1.8).
    ContinuityFailure,
    /// UCIC received (Q.764 2.12).
    Unequipped,
    /// Unexpected message (Q.764 2.9.5.1): the call is cleared and the circuit reset.
    UnexpectedMessage,
    /// RLC received for a call for which we had not sent REL (Q.764 2.9.5.1 c): we sent REL.
    UnexpectedReleaseComplete,
    /// The compatibility procedure said "release call" (Q.764 2.9.5.3): we sent REL.
    Compatibility,
}

/// A maintenance alert (Q.764: "alert the maintenance system").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum MaintenanceAlert {
    /// A repetition timer reached its long interval (T5, T13, T15, T17, T19, T21, T23) or a
    /// supervision timer expired (T27, T28, T36): the message is repeated at the long
    /// interval until the far end answers.
    TimerExpired(Timer),
    /// UCIC received: the far end does not have this circuit; it is taken out of service.
    UnequippedCircuit,
    /// BLA or UBA that answers nothing (Q.764 2.8.2.3).
    UnexpectedAcknowledgement(sipt_codecs::isup::MessageType),
}

/// The state of one circuit as reported in a CQR (Q.763 3.14).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct CircuitStateIndicator {
    /// The octet as received.
    pub octet: u8,
}

impl CircuitStateIndicator {
    /// Bits D C = 00: no call processing state; then bits B A: 00 transient, 11 unequipped.
    pub fn is_unequipped(self) -> bool {
        self.octet & 0x0f == 0x03
    }
    pub fn is_transient(self) -> bool {
        self.octet & 0x0f == 0x00
    }
    /// Bits D C: 01 incoming busy, 10 outgoing busy, 11 idle (when not 00).
    pub fn call_processing(self) -> u8 {
        (self.octet >> 2) & 3
    }
    /// Bits B A (when D C is not 00): 00 not blocked, 01 locally, 10 remotely, 11 both.
    pub fn maintenance_blocking(self) -> u8 {
        self.octet & 3
    }
    /// Bits F E (when D C is not 00): hardware blocking, coded as the maintenance one.
    pub fn hardware_blocking(self) -> u8 {
        (self.octet >> 4) & 3
    }
}

/// An indication from ISUP to its user. Events about a circuit name its CIC and carry the
/// decoded message they come from, whole (RFC 3372 transparency: the interworking puts its
/// octets into the SIP body).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum IsupEvent {
    /// IAM received: a new incoming call. `continuity_check` is true when the IAM asks for a
    /// continuity check (on this or a previous circuit): the call must not be alerted or
    /// answered before [`IsupEvent::Continuity`] reports success.
    Setup {
        cic: u16,
        iam: Message,
        continuity_check: bool,
    },
    /// SAM received (overlap operation, Q.764 2.1.2).
    SubsequentAddress { cic: u16, sam: Message },
    /// ACM received.
    AddressComplete { cic: u16, acm: Message },
    /// CON received (answer without ACM).
    Connect { cic: u16, con: Message },
    /// CPG received.
    Progress { cic: u16, cpg: Message },
    /// ANM received.
    Answer { cic: u16, anm: Message },
    /// The call ended by the far end or by ISUP itself. `cause` is the cause received, or the
    /// one we sent; `reattempt` is true when Q.764 asks for an automatic repeat attempt on
    /// another circuit (the call was cleared before any backward message).
    Released {
        cic: u16,
        reason: ReleaseReason,
        cause: Option<CauseIndicators>,
        message: Option<Message>,
        reattempt: bool,
    },
    /// The far end completed the release we started: RLC received (or REL, when both ends
    /// released at once).
    ReleaseComplete { cic: u16, message: Message },
    /// SUS received.
    Suspend { cic: u16, sus: Message },
    /// RES received.
    Resume { cic: u16, res: Message },
    /// INR received, to be answered with [`super::Isup::information`]
    /// (with [`super::InformationResponse::PassUp`]).
    InformationRequest { cic: u16, inr: Message },
    /// INF received (solicited or not).
    Information { cic: u16, inf: Message },
    /// COT received on an incoming call, or after a continuity recheck.
    Continuity {
        cic: u16,
        passed: bool,
        cot: Message,
    },
    /// CCR received: connect a loop on the circuit for the far end's check (Q.764 2.1.8).
    ContinuityCheckRequest { cic: u16 },
    /// A continuity (re)check of ours is due: test the circuit and report with
    /// [`super::Isup::continuity`] (with [`super::ContinuityMode::Manual`]).
    ContinuityCheckDue { cic: u16 },
    /// A message carried within the call and passed up as received (FOT, FAC, USR, APM, ...).
    CallMessage { cic: u16, message: Message },
    /// CFN received.
    Confusion { cic: u16, cfn: Message },
    /// An unrecognised message that the compatibility procedure passes on (Q.764 2.9.5.3).
    UnrecognizedMessage { cic: u16, message: Message },
    /// IAM received on a circuit on which we had sent an IAM and received no backward message
    /// (Q.764 2.9.1). `backed_off`: we do not control the circuit, our call was given up
    /// without REL and `outgoing_iam` should be re-attempted; otherwise the received IAM was
    /// ignored and our call goes on.
    DualSeizure {
        cic: u16,
        outgoing_iam: Message,
        backed_off: bool,
    },
    /// The circuit was reset: by the far end (RSC or GRS received, `remote`), or our RSC or GRS
    /// was acknowledged.
    CircuitReset { cic: u16, remote: bool },
    /// A blocking state began.
    Blocked {
        cic: u16,
        side: Side,
        kind: BlockingKind,
    },
    /// A blocking state ended.
    Unblocked {
        cic: u16,
        side: Side,
        kind: BlockingKind,
    },
    /// CQR received for our CQM: the far end's view of the circuits `cic..=cic + range`.
    CircuitGroupQueryResponse {
        cic: u16,
        range: u8,
        states: Vec<CircuitStateIndicator>,
    },
    /// Q.764 "alert the maintenance system".
    Maintenance {
        cic: Option<u16>,
        alert: MaintenanceAlert,
    },
    /// MTP-PAUSE: no new calls until MTP-RESUME.
    RelationPaused,
    /// MTP-RESUME.
    RelationResumed,
    /// The remote ISUP is unavailable (MTP-STATUS, Q.764 2.13) or available again.
    RemoteUserAvailability {
        available: bool,
        cause: Option<UnavailabilityCause>,
    },
    /// The traffic reduction step of the signalling congestion control changed
    /// (Q.764 2.10.2): 0 is full traffic, [`super::Config::congestion_steps`] the most
    /// reduced.
    Congestion { reduction_steps: u8 },
}

impl IsupEvent {
    /// The circuit the event is about, if it is about one.
    pub fn cic(&self) -> Option<u16> {
        use IsupEvent::*;
        match self {
            Setup { cic, .. }
            | SubsequentAddress { cic, .. }
            | AddressComplete { cic, .. }
            | Connect { cic, .. }
            | Progress { cic, .. }
            | Answer { cic, .. }
            | Released { cic, .. }
            | ReleaseComplete { cic, .. }
            | Suspend { cic, .. }
            | Resume { cic, .. }
            | InformationRequest { cic, .. }
            | Information { cic, .. }
            | Continuity { cic, .. }
            | ContinuityCheckRequest { cic }
            | ContinuityCheckDue { cic }
            | CallMessage { cic, .. }
            | Confusion { cic, .. }
            | UnrecognizedMessage { cic, .. }
            | DualSeizure { cic, .. }
            | CircuitReset { cic, .. }
            | Blocked { cic, .. }
            | Unblocked { cic, .. }
            | CircuitGroupQueryResponse { cic, .. } => Some(*cic),
            Maintenance { cic, .. } => *cic,
            RelationPaused
            | RelationResumed
            | RemoteUserAvailability { .. }
            | Congestion { .. } => None,
        }
    }
}
