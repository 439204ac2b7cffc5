//! The vocabulary of the QSIG call layer: configuration and timers, the primitives from the
//! data link (Q.921), the commands' requests, the events up, errors and statistics.

use std::fmt;
use std::time::Duration;

use serde::Serialize;
use sipt_codecs::q931::{
    BearerCapability, CallStateValue, Cause, CauseValue, InformationElement, Location, Message,
    Number, ProgressIndicator, UserInformationLayer1Protocol,
};
use sipt_codecs::qsig::Name;
use sipt_codecs::EncodeError;

pub use crate::config::Role as Side;

/// A call of one [`super::QsigCalls`], from its SETUP to its return to the Null state. Never
/// reused within one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct CallId(pub u32);

impl fmt::Display for CallId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "call#{}", self.0)
    }
}

/// The call states of Q.931 (2.1 and 2.2; ECMA-143 uses them unchanged, without the
/// user/network split: each PINX runs the same states). `Null` is the state of a call that
/// does not exist; calls kept by [`super::QsigCalls`] are never in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// 0
    Null,
    /// 1: SETUP sent, no answer yet.
    CallInitiated,
    /// 2: SETUP ACKNOWLEDGE received, sending further digits.
    OverlapSending,
    /// 3: CALL PROCEEDING received.
    OutgoingCallProceeding,
    /// 4: ALERTING received.
    CallDelivered,
    /// 6: SETUP received, not answered yet.
    CallPresent,
    /// 7: ALERTING sent.
    CallReceived,
    /// 8: CONNECT sent, awaiting CONNECT ACKNOWLEDGE.
    ConnectRequest,
    /// 9: CALL PROCEEDING sent.
    IncomingCallProceeding,
    /// 10
    Active,
    /// 11: DISCONNECT sent.
    DisconnectRequest,
    /// 12: DISCONNECT received (left at once: RELEASE is sent on receipt).
    DisconnectIndication,
    /// 19: RELEASE sent.
    ReleaseRequest,
    /// 25: SETUP ACKNOWLEDGE sent, receiving further digits.
    OverlapReceiving,
}

impl CallState {
    /// The call state value of the Call state information element (Q.931 4.5.7).
    pub fn value(self) -> CallStateValue {
        use CallState as S;
        match self {
            S::Null => CallStateValue::Null,
            S::CallInitiated => CallStateValue::CallInitiated,
            S::OverlapSending => CallStateValue::OverlapSending,
            S::OutgoingCallProceeding => CallStateValue::OutgoingCallProceeding,
            S::CallDelivered => CallStateValue::CallDelivered,
            S::CallPresent => CallStateValue::CallPresent,
            S::CallReceived => CallStateValue::CallReceived,
            S::ConnectRequest => CallStateValue::ConnectRequest,
            S::IncomingCallProceeding => CallStateValue::IncomingCallProceeding,
            S::Active => CallStateValue::Active,
            S::DisconnectRequest => CallStateValue::DisconnectRequest,
            S::DisconnectIndication => CallStateValue::DisconnectIndication,
            S::ReleaseRequest => CallStateValue::ReleaseRequest,
            S::OverlapReceiving => CallStateValue::OverlapReceiving,
        }
    }
}

/// The timers of QSIG basic call (Q.931 9.1 and 9.2, tables 9-1 and 9-2; ECMA-143 uses the
/// same names). T316 belongs to the global call reference, the others to one call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Timer {
    /// Call Delivered: ALERTING received, awaiting CONNECT (optional).
    T301,
    /// Overlap Receiving: SETUP ACKNOWLEDGE sent or INFORMATION received.
    T302,
    /// Call Initiated: SETUP sent.
    T303,
    /// Overlap Sending: SETUP ACKNOWLEDGE received or INFORMATION sent.
    T304,
    /// Disconnect Request: DISCONNECT sent.
    T305,
    /// Release Request: RELEASE sent.
    T308,
    /// Active call while the data link is down.
    T309,
    /// Outgoing Call Proceeding: CALL PROCEEDING received.
    T310,
    /// Connect Request: CONNECT sent.
    T313,
    /// Restart Request (global call reference): RESTART sent.
    T316,
    /// STATUS ENQUIRY sent.
    T322,
}

impl Timer {
    /// Every timer, in slot order.
    pub const ALL: [Timer; 11] = [
        Timer::T301,
        Timer::T302,
        Timer::T303,
        Timer::T304,
        Timer::T305,
        Timer::T308,
        Timer::T309,
        Timer::T310,
        Timer::T313,
        Timer::T316,
        Timer::T322,
    ];

    /// The slot of the timer in [`Timer::ALL`] and in the timer tables.
    pub fn slot(self) -> usize {
        self as usize
    }
}

/// Timer values. The defaults are Q.931's (tables 9-1 and 9-2), which ECMA-143 follows, and
/// agree with libpri's where libpri has the timer (T303 4 s, T305 30 s, T308 4 s, T309 6 s,
/// T313 4 s).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Timers {
    /// Optional, at least 3 min (table 9-1); `None`: not run (as libpri).
    pub t301: Option<Duration>,
    /// 10-15 s (table 9-1): 15 s.
    pub t302: Duration,
    /// 4 s; SETUP is sent again once on the first expiry.
    pub t303: Duration,
    /// 20 s (table 9-1; table 9-2 has 30 s).
    pub t304: Duration,
    /// 30 s.
    pub t305: Duration,
    /// 4 s; RELEASE is sent again once on the first expiry.
    pub t308: Duration,
    /// 6 s (Q.931 5.8.9, as libpri); `None`: active calls are cleared at once when the data
    /// link fails.
    pub t309: Option<Duration>,
    /// 30-120 s (table 9-2): 30 s.
    pub t310: Duration,
    /// 4 s.
    pub t313: Duration,
    /// 2 min.
    pub t316: Duration,
    /// How many times RESTART is sent before the channels are left in maintenance
    /// (Q.931 5.5.1 leaves the number to the implementation; 2, as libpri's N316).
    pub n316: u8,
    /// 4 s; STATUS ENQUIRY is sent again once on the first expiry.
    pub t322: Duration,
}

impl Default for Timers {
    fn default() -> Self {
        Timers {
            t301: None,
            t302: Duration::from_secs(15),
            t303: Duration::from_secs(4),
            t304: Duration::from_secs(20),
            t305: Duration::from_secs(30),
            t308: Duration::from_secs(4),
            t309: Some(Duration::from_secs(6)),
            t310: Duration::from_secs(30),
            t313: Duration::from_secs(4),
            t316: Duration::from_secs(120),
            n316: 2,
            t322: Duration::from_secs(4),
        }
    }
}

/// Configuration of one D-channel and its B-channels.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// The designation of this end of the inter-PINX link, the same as its Q.921 role. QSIG call
    /// control is symmetric; the designation only decides a B-channel collision (Q.931 Annex
    /// D.3: the "network" side wins between two SETUPs of equal strength) and the order in
    /// which free B-channels are taken (network from the highest, user from the lowest, so
    /// that collisions are rare).
    pub side: Side,
    /// The B-channel numbers as channel identification carries them (Q.931 4.5.13: E1
    /// time slots 1-15 and 17-31, T1 channels 1-23).
    pub channels: Vec<u8>,
    /// Octets of the call reference value of calls this side allocates (2 on a primary rate
    /// interface, Q.931 4.3).
    pub call_reference_length: u8,
    /// The location of the causes this side sends (Q.850 2.2.5): a PINX is the private network
    /// serving the local user (as libpri).
    pub location: Location,
    /// Timer values.
    pub timers: Timers,
    /// Restart the B-channels (RESTART, Q.931 5.5) whenever the data link comes up.
    pub restart_on_establish: bool,
}

impl Config {
    /// A configuration with the default timers.
    pub fn new(side: Side, channels: impl IntoIterator<Item = u8>) -> Config {
        Config {
            side,
            channels: channels.into_iter().collect(),
            call_reference_length: 2,
            location: Location::PrivateNetworkLocalUser,
            timers: Timers::default(),
            restart_on_establish: true,
        }
    }

    /// An E1 span: B-channels 1-15 and 17-31.
    pub fn e1(side: Side) -> Config {
        Config::new(side, (1..=15).chain(17..=31))
    }
}

/// What the data link layer (Q.921) tells layer 3 (Q.921 4.1, table 4/Q.921).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DlIndication {
    /// DL-ESTABLISH indication: multiple frame operation established (by the peer, or again
    /// after a data link reset).
    EstablishIndication,
    /// DL-ESTABLISH confirm: established on our request.
    EstablishConfirm,
    /// DL-RELEASE indication: the data link failed or was released by the peer.
    ReleaseIndication,
    /// DL-RELEASE confirm.
    ReleaseConfirm,
    /// DL-DATA indication: one Q.931 message's octets.
    DataIndication(Vec<u8>),
}

/// B-channel choice for an outgoing call (Q.931 5.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChannelRequest {
    /// Any free B-channel, chosen here and indicated as preferred.
    Any,
    /// This channel, indicated as preferred: the peer may choose another (another free one is
    /// taken here if this one is busy).
    Preferred(u8),
    /// This channel and no other.
    Exclusive(u8),
}

/// An outgoing call.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SetupRequest {
    /// Called party number (Q.931 4.5.8). With overlap sending, the first digits.
    pub called: Number,
    /// Calling party number with presentation and screening (Q.931 4.5.10).
    pub calling: Option<Number>,
    /// Calling name, sent as a callingName invoke in a Facility IE (ECMA-164).
    pub calling_name: Option<Name>,
    /// Bearer capability (Q.931 4.5.5).
    pub bearer: BearerCapability,
    /// B-channel.
    pub channel: ChannelRequest,
    /// Sending complete (Q.931 4.5.27): the called number is complete.
    pub sending_complete: bool,
    /// Progress indicator (e.g. #3, origination address is non-ISDN, from an interworking
    /// gateway).
    pub progress: Option<ProgressIndicator>,
    /// Further elements, placed in ascending order of identifier (e.g. a Facility IE carried
    /// through from the SIP side, RFC 3204).
    pub extra: Vec<InformationElement>,
}

impl SetupRequest {
    /// A speech call (G.711 A-law) to `called`, on any channel, the number complete.
    pub fn new(called: Number) -> SetupRequest {
        SetupRequest {
            called,
            calling: None,
            calling_name: None,
            bearer: BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw),
            channel: ChannelRequest::Any,
            sending_complete: true,
            progress: None,
            extra: Vec::new(),
        }
    }
}

/// The optional contents of SETUP ACKNOWLEDGE, CALL PROCEEDING, ALERTING and PROGRESS sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Response {
    /// Progress indicator (e.g. #8, in-band information available, in ALERTING).
    pub progress: Option<ProgressIndicator>,
    /// Further elements (e.g. a calledName Facility in ALERTING).
    pub extra: Vec<InformationElement>,
}

/// The optional contents of CONNECT sent.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConnectResponse {
    /// Connected number (Q.951) with presentation and screening.
    pub connected: Option<Number>,
    /// Connected name, sent as a connectedName invoke in a Facility IE (ECMA-164).
    pub connected_name: Option<Name>,
    pub progress: Option<ProgressIndicator>,
    pub extra: Vec<InformationElement>,
}

/// An INFORMATION message to send (overlap sending, or any information during the call).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InformationRequest {
    /// Further digits of the called number.
    pub called: Option<Number>,
    pub sending_complete: bool,
    pub extra: Vec<InformationElement>,
}

/// Which B-channels a RESTART covers (Q.931 4.5.25, 5.5).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RestartScope {
    /// Class "indicated channels" with these channel numbers.
    Channels(Vec<u8>),
    /// Every B-channel of the interface (class "all interfaces" sent; "single interface"
    /// accepted too).
    Interface,
}

/// Who started a procedure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Initiator {
    Local,
    Remote,
}

/// Why a call was cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClearReason {
    /// The peer cleared (its DISCONNECT, RELEASE or RELEASE COMPLETE came first).
    Remote,
    /// Our user cleared (`disconnect`, `reject`).
    Local,
    /// A timer expired (Q.931 table 9-1/9-2 action).
    Timer(Timer),
    /// A protocol error: a STATUS reporting an incompatible state, an unacceptable B-channel,
    /// a mandatory information element missing or in error (Q.931 5.8).
    ProtocolError,
    /// The peer reported the Null state (Q.931 5.8.11 c).
    PeerInNullState,
    /// The data link failed (Q.931 5.8.9).
    DataLinkFailure,
    /// The B-channel was restarted (Q.931 5.5).
    Restart,
}

/// An incoming SETUP accepted by this layer (a B-channel reserved).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct IncomingCall {
    pub call: CallId,
    /// The B-channel reserved for the call; indicated exclusive in the first response.
    pub channel: u8,
    pub called: Option<Number>,
    pub calling: Option<Number>,
    /// From a callingName invoke (ECMA-164).
    pub calling_name: Option<Name>,
    pub bearer: BearerCapability,
    /// Sending complete present: no overlap receiving is needed.
    pub sending_complete: bool,
    pub progress: Vec<ProgressIndicator>,
    /// The SETUP as received (RFC 3204 transparency: every element rides along).
    pub message: Message,
}

/// What the call layer tells its user. Every event about a received message carries it whole.
/// In JSON: `{"event": "incoming_call", ...}` and so on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum CallEvent {
    /// A SETUP was accepted; answer with `setup_acknowledge`, `proceeding`, `alerting`,
    /// `connect`, `reject` or `disconnect`.
    IncomingCall(Box<IncomingCall>),
    /// SETUP ACKNOWLEDGE received: send further digits with `information`.
    SetupAcknowledged {
        call: CallId,
        channel: Option<u8>,
        message: Message,
    },
    /// CALL PROCEEDING received.
    Proceeding {
        call: CallId,
        channel: Option<u8>,
        message: Message,
    },
    /// ALERTING received.
    Alerting {
        call: CallId,
        channel: Option<u8>,
        progress: Vec<ProgressIndicator>,
        /// From a calledName invoke (ECMA-164).
        called_name: Option<Name>,
        message: Message,
    },
    /// CONNECT received (and CONNECT ACKNOWLEDGE sent): the outgoing call is active.
    Connected {
        call: CallId,
        channel: Option<u8>,
        connected: Option<Number>,
        /// From a connectedName invoke (ECMA-164).
        connected_name: Option<Name>,
        message: Message,
    },
    /// CONNECT ACKNOWLEDGE received: the incoming call is active.
    ConnectAcknowledged { call: CallId, message: Message },
    /// PROGRESS received.
    Progress {
        call: CallId,
        progress: Vec<ProgressIndicator>,
        cause: Option<Cause>,
        message: Message,
    },
    /// INFORMATION received (overlap receiving: further called number digits).
    Information {
        call: CallId,
        called: Option<Number>,
        sending_complete: bool,
        message: Message,
    },
    /// T302 expired in Overlap Receiving: decide whether the number is complete
    /// (`proceeding`) or not (`disconnect` with cause 28) (Q.931 table 9-1).
    OverlapTimeout { call: CallId },
    /// NOTIFY received.
    Notify { call: CallId, message: Message },
    /// FACILITY received (its Facility IEs whole in the message).
    Facility { call: CallId, message: Message },
    /// A STATUS received that needed no action (compatible state).
    Status {
        call: CallId,
        cause: Option<Cause>,
        call_state: Option<CallStateValue>,
        message: Message,
    },
    /// DISCONNECT received (RELEASE sent): the first clearing message from the peer.
    Disconnected {
        call: CallId,
        cause: Option<Cause>,
        message: Message,
    },
    /// The call is back in the Null state, its call reference released. Exactly one per call.
    Cleared {
        call: CallId,
        /// The peer's cause when it cleared, ours otherwise.
        cause: Option<Cause>,
        reason: ClearReason,
        /// The message that completed the clearing, when one did.
        message: Option<Message>,
    },
    /// B-channels restarted (RESTART received and acknowledged, or our RESTART acknowledged).
    Restarted {
        scope: RestartScope,
        initiator: Initiator,
        message: Message,
    },
    /// Our RESTART was not acknowledged after N316 attempts; its channels are in maintenance.
    RestartFailed { scope: RestartScope },
    /// A B-channel was put in the maintenance condition (T308 second expiry, Q.931 5.3.4.3, or
    /// a failed restart); `restart` returns it to service.
    ChannelMaintenance { channel: u8 },
}

/// The state of one B-channel.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelState {
    Idle,
    /// Reserved for or used by a call.
    Busy(CallId),
    /// Our RESTART of it is not acknowledged yet.
    Restarting,
    /// Out of service until restarted.
    Maintenance,
}

/// Why a command was refused.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    #[error("{0} does not exist")]
    NoSuchCall(CallId),
    #[error("{command} is not allowed in call state {state:?}")]
    WrongState {
        command: &'static str,
        state: CallState,
    },
    #[error("the data link is not established")]
    DataLinkDown,
    #[error("no B-channel is free")]
    NoChannelAvailable,
    #[error("B-channel {0} is not free")]
    ChannelBusy(u8),
    #[error("B-channel {0} is not one of this interface")]
    NoSuchChannel(u8),
    #[error("no call reference value is free")]
    NoCallReference,
    #[error("message could not be encoded: {0}")]
    Encode(#[from] EncodeError),
}

/// Counters of one instance.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Statistics {
    pub messages_received: u64,
    pub messages_sent: u64,
    /// Not decodable, not Q.931, dummy call reference, or received while the link is down.
    pub messages_discarded: u64,
    pub calls_outgoing: u64,
    pub calls_incoming: u64,
    /// Incoming SETUPs refused here (B-channel, bearer capability, mandatory elements).
    pub setups_rejected: u64,
    pub calls_active: u64,
    pub calls_cleared: u64,
    /// B-channel collisions between two SETUPs (Q.931 Annex D.3).
    pub collisions: u64,
    pub status_sent: u64,
    pub status_received: u64,
    pub status_enquiries_sent: u64,
    /// Messages for a call reference not in use (Q.931 5.8.3.2).
    pub unknown_call_reference: u64,
    /// Unexpected messages and information element errors (Q.931 5.8.4-5.8.7).
    pub protocol_errors: u64,
    /// Expiries per timer, indexed by [`Timer::slot`].
    pub timer_expiries: [u64; 11],
    pub restarts_sent: u64,
    pub restarts_received: u64,
    pub restarts_failed: u64,
    pub channels_to_maintenance: u64,
    pub data_link_failures: u64,
    /// Messages of our own that could not be encoded (never expected).
    pub encode_errors: u64,
}

impl Statistics {
    /// Expiries of `timer`.
    pub fn expiries(&self, timer: Timer) -> u64 {
        self.timer_expiries.get(timer.slot()).copied().unwrap_or(0)
    }
}

/// A cause with the given location.
pub(crate) fn cause(location: Location, value: CauseValue) -> Cause {
    Cause::new(location, value)
}
