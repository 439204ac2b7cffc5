//! The call control of one D-channel: every call's state machine, the global call reference
//! (restart), error handling and data link supervision (Q.931 clause 5 as ECMA-143 uses it).

use std::collections::VecDeque;

use sipt_codecs::q931::{
    id, CallReference, CallState as CallStateIe, CallStateValue, Cause, CauseValue,
    ChannelIdentification, CodingStandard, InformationElement, InformationTransferRate, Message,
    MessageType, NotificationDescription, ProgressIndicator, RestartClass, TransferMode,
    PROTOCOL_DISCRIMINATOR_Q931,
};
use sipt_codecs::qsig::{self, opcode, Facility};

use super::channels::Channels;
use super::check::{self, Ie, Requested};
use super::types::*;
use crate::time::{earliest, Instant, TimerTable};

const TIMERS: usize = Timer::ALL.len();

/// One call (Q.931 "call reference" plus its B-channel and timers).
#[derive(Debug, Clone)]
struct Call {
    id: CallId,
    /// The call reference value, without the flag.
    cr_value: u32,
    cr_length: u8,
    /// We allocated the call reference (we sent the SETUP).
    ours: bool,
    state: CallState,
    /// The B-channel held; `None` while an outgoing call that lost a collision waits for the
    /// peer to indicate another one.
    channel: Option<u8>,
    /// The channel indication of the SETUP: ours for an outgoing call, the peer's for an
    /// incoming one.
    exclusive: bool,
    /// Outgoing: a first response to the SETUP was received. Incoming: channel
    /// identification was sent in a first response.
    responded: bool,
    timers: TimerTable<TIMERS>,
    t303_expiries: u8,
    t308_expiries: u8,
    t322_expiries: u8,
    /// The SETUP sent, for its retransmission on T303.
    setup: Vec<u8>,
    /// The cause of our DISCONNECT (for the RELEASE on T305) or RELEASE (for T308).
    clearing_cause: Option<Cause>,
    /// Why clearing started and with which cause (the peer's when it started it, ours
    /// otherwise); the first counts.
    clear_reason: Option<(ClearReason, Option<Cause>)>,
}

impl Call {
    fn new(id: CallId, cr_value: u32, cr_length: u8, ours: bool, state: CallState) -> Call {
        Call {
            id,
            cr_value,
            cr_length,
            ours,
            state,
            channel: None,
            exclusive: false,
            responded: false,
            timers: TimerTable::default(),
            t303_expiries: 0,
            t308_expiries: 0,
            t322_expiries: 0,
            setup: Vec::new(),
            clearing_cause: None,
            clear_reason: None,
        }
    }

    /// The call reference as this side sends it: flag 0 from the side that allocated it
    /// (Q.931 4.3).
    fn cr(&self) -> CallReference {
        CallReference {
            length: self.cr_length,
            flag: !self.ours,
            value: self.cr_value,
        }
    }

    fn stop(&mut self, timers: &[Timer]) {
        for t in timers {
            self.timers.stop(t.slot());
        }
    }
}

/// The RESTART procedure of the global call reference (Q.931 5.5).
#[derive(Debug, Clone)]
struct PendingRestart {
    scope: RestartScope,
    octets: Vec<u8>,
    transmissions: u8,
}

/// QSIG basic call control of one D-channel and its B-channels, sans-IO.
///
/// Inputs: [`QsigCalls::handle_dl`] (the data link's primitives), the commands
/// ([`QsigCalls::setup`], [`QsigCalls::alerting`], ...), [`QsigCalls::handle_timeout`].
/// Outputs: [`QsigCalls::poll_transmit`] (one encoded Q.931 message per DL-DATA request),
/// [`QsigCalls::poll_event`], [`QsigCalls::poll_timeout`].
#[derive(Debug, Clone)]
pub struct QsigCalls {
    config: Config,
    channels: Channels,
    calls: Vec<Call>,
    next_call: u32,
    next_cr: u32,
    next_invoke: i64,
    dl_up: bool,
    restart: Option<PendingRestart>,
    restart_queue: VecDeque<RestartScope>,
    /// T316 (slot `Timer::T316`).
    global_timers: TimerTable<TIMERS>,
    transmit: VecDeque<Vec<u8>>,
    events: VecDeque<CallEvent>,
    stats: Statistics,
}

/// A response to an incoming SETUP: the message, the states it may be sent in and the state it
/// leads to (Q.931 5.2.4-5.2.8).
struct Answer {
    message: MessageType,
    command: &'static str,
    allowed: &'static [CallState],
    to: CallState,
}

const SETUP_ACKNOWLEDGE: Answer = Answer {
    message: MessageType::SetupAcknowledge,
    command: "setup_acknowledge",
    allowed: &[CallState::CallPresent],
    to: CallState::OverlapReceiving,
};

const CALL_PROCEEDING: Answer = Answer {
    message: MessageType::CallProceeding,
    command: "proceeding",
    allowed: &[CallState::CallPresent, CallState::OverlapReceiving],
    to: CallState::IncomingCallProceeding,
};

const ALERTING: Answer = Answer {
    message: MessageType::Alerting,
    command: "alerting",
    allowed: &[
        CallState::CallPresent,
        CallState::OverlapReceiving,
        CallState::IncomingCallProceeding,
    ],
    to: CallState::CallReceived,
};

const CONNECT: Answer = Answer {
    message: MessageType::Connect,
    command: "connect",
    allowed: &[
        CallState::CallPresent,
        CallState::OverlapReceiving,
        CallState::IncomingCallProceeding,
        CallState::CallReceived,
    ],
    to: CallState::ConnectRequest,
};

/// The states in which each kind of clearing may start.
fn can_disconnect(s: CallState) -> bool {
    !matches!(
        s,
        CallState::Null
            | CallState::DisconnectRequest
            | CallState::DisconnectIndication
            | CallState::ReleaseRequest
    )
}

/// Q.931 5.8.11 leaves to the implementation which states are incompatible. For each of our
/// states, the peer states a correct peer can be in, counting messages still in flight.
fn compatible(ours: CallState, theirs: CallStateValue) -> bool {
    use CallState as S;
    use CallStateValue as V;
    let ok: &[CallStateValue] = match ours {
        S::Null => &[V::Null],
        S::CallInitiated => &[
            V::CallPresent,
            V::OverlapReceiving,
            V::IncomingCallProceeding,
            V::CallReceived,
            V::ConnectRequest,
        ],
        S::OverlapSending => &[
            V::OverlapReceiving,
            V::IncomingCallProceeding,
            V::CallReceived,
            V::ConnectRequest,
        ],
        S::OutgoingCallProceeding => &[
            V::IncomingCallProceeding,
            V::CallReceived,
            V::ConnectRequest,
        ],
        S::CallDelivered => &[V::CallReceived, V::ConnectRequest],
        S::CallPresent => &[V::CallInitiated],
        S::OverlapReceiving => &[V::CallInitiated, V::OverlapSending],
        S::IncomingCallProceeding => &[
            V::CallInitiated,
            V::OverlapSending,
            V::OutgoingCallProceeding,
        ],
        S::CallReceived => &[
            V::CallInitiated,
            V::OverlapSending,
            V::OutgoingCallProceeding,
            V::CallDelivered,
        ],
        S::ConnectRequest => &[
            V::CallInitiated,
            V::OverlapSending,
            V::OutgoingCallProceeding,
            V::CallDelivered,
            V::Active,
        ],
        S::Active => &[V::Active, V::ConnectRequest],
        // Clearing in progress: messages cross; anything but Null is fine.
        S::DisconnectRequest | S::DisconnectIndication | S::ReleaseRequest => return true,
    };
    ok.contains(&theirs)
}

/// The states in which FACILITY may be sent (Q.932 functional protocol; ECMA-165): the call's
/// whole life from SETUP until the call reference is being released, all but Null and Release
/// Request. A received one is reported in the same states ([`CallEvent::Facility`]); in
/// Release Request it is ignored, as every message but the clearing ones (Q.931 5.3.3).
const FACILITY_STATES: &[CallState] = &[
    CallState::CallInitiated,
    CallState::OverlapSending,
    CallState::OutgoingCallProceeding,
    CallState::CallDelivered,
    CallState::CallPresent,
    CallState::CallReceived,
    CallState::ConnectRequest,
    CallState::IncomingCallProceeding,
    CallState::Active,
    CallState::DisconnectRequest,
    CallState::DisconnectIndication,
    CallState::OverlapReceiving,
];

/// Where an element goes in a message (Q.931 4.5.1, 4.5.2).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Place {
    /// A codeset 0 variable-length element: ascending order of identifier.
    Ordered(u8),
    /// A codeset 0 single-octet element (Sending complete, 0xa1): anywhere among the
    /// codeset 0 elements (4.5.1: single-octet elements "may appear at any point"), but before
    /// any shift, or the receiver reads it in the shifted codeset.
    Codeset0Single,
    /// A shift or an element of another codeset: after every codeset 0 element (4.5.2: a
    /// locking shift changes the codeset of every element that follows), in the given order.
    Shifted,
}

fn place(e: &InformationElement) -> Place {
    match e {
        InformationElement::Shift(_) => Place::Shifted,
        InformationElement::SingleOctet { codeset, .. }
        | InformationElement::Raw { codeset, .. }
            if *codeset != 0 =>
        {
            Place::Shifted
        }
        InformationElement::SendingComplete | InformationElement::SingleOctet { .. } => {
            Place::Codeset0Single
        }
        e => e.identifier().map_or(Place::Codeset0Single, Place::Ordered),
    }
}

/// Inserts `extra` into `ies` keeping codeset 0 variable-length elements in ascending order of
/// identifier (Q.931 4.5.1) and every codeset 0 element, single-octet ones such as Sending
/// complete included, before the first shift (4.5.2); shifts and other-codeset elements go
/// at the end, in order.
fn insert_ordered(ies: &mut Vec<InformationElement>, extra: Vec<InformationElement>) {
    for e in extra {
        let at = match place(&e) {
            // after the codeset 0 single-octet elements wherever they stand
            Place::Ordered(k) => ies.iter().position(|x| match place(x) {
                Place::Ordered(xk) => xk > k,
                Place::Codeset0Single => false,
                Place::Shifted => true,
            }),
            // at the end of the codeset 0 elements
            Place::Codeset0Single => ies.iter().position(|x| place(x) == Place::Shifted),
            Place::Shifted => None,
        };
        ies.insert(at.unwrap_or(ies.len()), e);
    }
}

impl QsigCalls {
    /// A call layer with the data link down and every B-channel idle.
    pub fn new(config: Config) -> QsigCalls {
        let channels = Channels::new(config.side, &config.channels);
        QsigCalls {
            config,
            channels,
            calls: Vec::new(),
            next_call: 1,
            next_cr: 1,
            next_invoke: 1,
            dl_up: false,
            restart: None,
            restart_queue: VecDeque::new(),
            global_timers: TimerTable::default(),
            transmit: VecDeque::new(),
            events: VecDeque::new(),
            stats: Statistics::default(),
        }
    }

    pub fn config(&self) -> &Config {
        &self.config
    }

    pub fn statistics(&self) -> &Statistics {
        &self.stats
    }

    /// Whether the data link is established (as last indicated).
    pub fn data_link_established(&self) -> bool {
        self.dl_up
    }

    /// The state of a call (`Null` once it is cleared or if it never existed).
    pub fn call_state(&self, call: CallId) -> CallState {
        self.calls
            .iter()
            .find(|c| c.id == call)
            .map_or(CallState::Null, |c| c.state)
    }

    /// The B-channel a call holds.
    pub fn call_channel(&self, call: CallId) -> Option<u8> {
        self.calls
            .iter()
            .find(|c| c.id == call)
            .and_then(|c| c.channel)
    }

    /// The call reference of a call as this side sends it.
    pub fn call_reference(&self, call: CallId) -> Option<CallReference> {
        self.calls.iter().find(|c| c.id == call).map(Call::cr)
    }

    /// The calls not in the Null state.
    pub fn calls(&self) -> Vec<CallId> {
        self.calls.iter().map(|c| c.id).collect()
    }

    /// Every B-channel and its state, by channel number.
    pub fn channels(&self) -> Vec<(u8, ChannelState)> {
        self.channels.all().collect()
    }

    /// The state of one B-channel.
    pub fn channel_state(&self, channel: u8) -> Option<ChannelState> {
        self.channels.state(channel)
    }

    /// The next message to hand to the data link (DL-DATA request), encoded.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event for the user.
    pub fn poll_event(&mut self) -> Option<CallEvent> {
        self.events.pop_front()
    }

    /// When [`QsigCalls::handle_timeout`] should be called next.
    pub fn poll_timeout(&self) -> Option<Instant> {
        self.calls
            .iter()
            .map(|c| c.timers.next_deadline())
            .fold(self.global_timers.next_deadline(), earliest)
    }

    // ----------------------------------------------------------------------------------
    // Sending

    fn cause(&self, value: CauseValue) -> Cause {
        cause(self.config.location, value)
    }

    fn encode(&mut self, msg: &Message) -> Result<Vec<u8>, Error> {
        msg.to_bytes().map_err(|e| {
            self.stats.encode_errors += 1;
            Error::Encode(e)
        })
    }

    fn push(&mut self, octets: Vec<u8>) {
        self.stats.messages_sent += 1;
        self.transmit.push_back(octets);
    }

    /// Encodes and queues a message; a message we built ourselves that does not encode is
    /// counted and dropped.
    fn send(&mut self, msg: &Message) {
        if let Ok(o) = self.encode(msg) {
            self.push(o);
        }
    }

    fn send_status(&mut self, cr: CallReference, cause: Cause, state: CallStateValue) {
        self.stats.status_sent += 1;
        let msg = Message::new(MessageType::Status, cr)
            .with(InformationElement::Cause(cause))
            .with(InformationElement::CallState(CallStateIe {
                coding_standard: CodingStandard::ItuT,
                call_state: state,
            }));
        self.send(&msg);
    }

    /// STATUS for a call in state `state` with a cause whose diagnostic is `diagnostic`
    /// (Q.850 table 1: the message type for 97/98/101, the element identifier for 96/99/100).
    fn status_error(
        &mut self,
        cr: CallReference,
        value: CauseValue,
        diagnostic: u8,
        state: CallState,
    ) {
        self.stats.protocol_errors += 1;
        let mut c = self.cause(value);
        c.diagnostics = vec![diagnostic];
        self.send_status(cr, c, state.value());
    }

    fn release_complete_to(&mut self, cr: CallReference, cause: Option<Cause>) {
        let mut msg = Message::new(MessageType::ReleaseComplete, cr);
        if let Some(c) = cause {
            msg.information_elements.push(InformationElement::Cause(c));
        }
        self.send(&msg);
    }

    fn invoke_id(&mut self) -> i64 {
        let id = self.next_invoke;
        self.next_invoke = if id >= 0x7fff { 1 } else { id + 1 };
        id
    }

    fn name_facility(&mut self, op: i64, name: &qsig::Name) -> Result<InformationElement, Error> {
        let id = self.invoke_id();
        let f = Facility::invoke(qsig::name_invoke(id, op, name.clone()))?;
        Ok(InformationElement::Facility(f))
    }

    // ----------------------------------------------------------------------------------
    // Calls

    fn index(&self, call: CallId) -> Result<usize, Error> {
        self.calls
            .iter()
            .position(|c| c.id == call)
            .ok_or(Error::NoSuchCall(call))
    }

    fn start(&mut self, idx: usize, t: Timer, now: Instant) {
        let d = match t {
            Timer::T301 => self.config.timers.t301,
            Timer::T302 => Some(self.config.timers.t302),
            Timer::T303 => Some(self.config.timers.t303),
            Timer::T304 => Some(self.config.timers.t304),
            Timer::T305 => Some(self.config.timers.t305),
            Timer::T308 => Some(self.config.timers.t308),
            Timer::T309 => self.config.timers.t309,
            Timer::T310 => Some(self.config.timers.t310),
            Timer::T313 => Some(self.config.timers.t313),
            Timer::T316 => Some(self.config.timers.t316),
            Timer::T322 => Some(self.config.timers.t322),
        };
        if let (Some(d), Some(c)) = (d, self.calls.get_mut(idx)) {
            c.timers.start(t.slot(), now + d);
        }
    }

    fn new_call_id(&mut self) -> CallId {
        let id = CallId(self.next_call);
        self.next_call = self.next_call.wrapping_add(1);
        id
    }

    /// A call reference value not in use by a call we allocated (Q.931 4.3).
    fn allocate_cr(&mut self) -> Result<u32, Error> {
        let bits = u32::from(self.config.call_reference_length.clamp(1, 2)) * 8 - 1;
        let max = (1u32 << bits) - 1;
        for _ in 0..max {
            let v = self.next_cr;
            self.next_cr = if v >= max { 1 } else { v + 1 };
            if !self.calls.iter().any(|c| c.ours && c.cr_value == v) {
                return Ok(v);
            }
        }
        Err(Error::NoCallReference)
    }

    fn message(&self, idx: usize, t: MessageType) -> Message {
        let cr = self.calls.get(idx).map_or(CallReference::DUMMY, Call::cr);
        Message::new(t, cr)
    }

    /// Removes a call (Null state), frees its B-channel to `channel_to` and reports it.
    fn clear_call(
        &mut self,
        idx: usize,
        channel_to: ChannelState,
        cause: Option<Cause>,
        reason: ClearReason,
        message: Option<Message>,
    ) {
        if idx >= self.calls.len() {
            return;
        }
        let call = self.calls.remove(idx);
        if let Some(ch) = call.channel {
            self.channels.free(ch, call.id, channel_to);
            if channel_to == ChannelState::Maintenance {
                self.stats.channels_to_maintenance += 1;
                self.events
                    .push_back(CallEvent::ChannelMaintenance { channel: ch });
            }
        }
        self.stats.calls_cleared += 1;
        let (reason, cause) = match call.clear_reason {
            Some((r, c)) => (r, c.or(cause)),
            None => (reason, cause),
        };
        self.events.push_back(CallEvent::Cleared {
            call: call.id,
            cause,
            reason,
            message,
        });
    }

    fn set_reason(&mut self, idx: usize, reason: ClearReason, cause: Option<Cause>) {
        if let Some(c) = self.calls.get_mut(idx) {
            c.clear_reason.get_or_insert((reason, cause));
        }
    }

    /// Sends DISCONNECT and enters Disconnect Request (Q.931 5.3.2 a, T305).
    fn start_disconnect(
        &mut self,
        now: Instant,
        idx: usize,
        cause: Cause,
        extra: Vec<InformationElement>,
        reason: ClearReason,
    ) -> Result<(), Error> {
        let mut msg = self
            .message(idx, MessageType::Disconnect)
            .with(InformationElement::Cause(cause.clone()));
        insert_ordered(&mut msg.information_elements, extra);
        let octets = self.encode(&msg)?;
        self.push(octets);
        self.set_reason(idx, reason, Some(cause.clone()));
        if let Some(c) = self.calls.get_mut(idx) {
            c.timers.stop_all();
            c.state = CallState::DisconnectRequest;
            c.clearing_cause = Some(cause);
        }
        self.start(idx, Timer::T305, now);
        Ok(())
    }

    /// Sends RELEASE and enters Release Request (Q.931 5.3.3/5.3.4, T308).
    fn start_release(&mut self, now: Instant, idx: usize, cause: Option<Cause>) {
        let mut msg = self.message(idx, MessageType::Release);
        if let Some(c) = &cause {
            msg.information_elements
                .push(InformationElement::Cause(c.clone()));
        }
        self.send(&msg);
        if let Some(c) = self.calls.get_mut(idx) {
            c.timers.stop_all();
            c.state = CallState::ReleaseRequest;
            c.t308_expiries = 0;
            c.clearing_cause = cause;
        }
        self.start(idx, Timer::T308, now);
    }

    /// Clears a call after an error or a timer: DISCONNECT where it may be sent, otherwise
    /// nothing more (the clearing already under way finishes by itself).
    fn clear_with(&mut self, now: Instant, idx: usize, value: CauseValue, reason: ClearReason) {
        let Some(state) = self.calls.get(idx).map(|c| c.state) else {
            return;
        };
        if can_disconnect(state) {
            let cause = self.cause(value);
            // Only our own elements: encoding cannot fail; if it did, the call is dropped.
            if self
                .start_disconnect(now, idx, cause.clone(), Vec::new(), reason)
                .is_err()
            {
                self.clear_call(idx, ChannelState::Idle, Some(cause), reason, None);
            }
        }
    }

    // ----------------------------------------------------------------------------------
    // Commands: establishment

    /// Places a call: sends SETUP, starts T303 (Q.931 5.1.1; ECMA-143 basic call).
    pub fn setup(&mut self, now: Instant, req: SetupRequest) -> Result<CallId, Error> {
        if !self.dl_up {
            return Err(Error::DataLinkDown);
        }
        let (channel, exclusive) = match req.channel {
            ChannelRequest::Any => (self.channels.select(None), false),
            ChannelRequest::Preferred(c) => {
                if !self.channels.exists(c) {
                    return Err(Error::NoSuchChannel(c));
                }
                if self.channels.state(c) == Some(ChannelState::Idle) {
                    (Some(c), false)
                } else {
                    (self.channels.select(None), false)
                }
            }
            ChannelRequest::Exclusive(c) => match self.channels.state(c) {
                None => return Err(Error::NoSuchChannel(c)),
                Some(ChannelState::Idle) => (Some(c), true),
                Some(_) => return Err(Error::ChannelBusy(c)),
            },
        };
        let channel = channel.ok_or(Error::NoChannelAvailable)?;
        let cr_value = self.allocate_cr()?;
        let cr_length = self.config.call_reference_length.clamp(1, 2);
        let id = CallId(self.next_call);
        let mut call = Call::new(id, cr_value, cr_length, true, CallState::CallInitiated);
        call.channel = Some(channel);
        call.exclusive = exclusive;

        // Q.931 4.5.1: codeset 0 elements in ascending order of identifier.
        let mut ies = vec![
            InformationElement::BearerCapability(req.bearer),
            InformationElement::ChannelIdentification(ChannelIdentification::primary_b_channel(
                channel, exclusive,
            )),
        ];
        if let Some(name) = &req.calling_name {
            ies.push(self.name_facility(opcode::CALLING_NAME, name)?);
        }
        if let Some(p) = req.progress {
            ies.push(InformationElement::ProgressIndicator(p));
        }
        if let Some(n) = req.calling {
            ies.push(InformationElement::CallingPartyNumber(n));
        }
        ies.push(InformationElement::CalledPartyNumber(req.called));
        insert_ordered(&mut ies, req.extra);
        // Q.931 4.5.1, 4.5.2: Sending complete is a codeset 0 element, so it goes before a
        // shift the extra elements (a bridged template's) may carry.
        if req.sending_complete {
            insert_ordered(&mut ies, vec![InformationElement::SendingComplete]);
        }
        let msg = Message {
            protocol_discriminator: PROTOCOL_DISCRIMINATOR_Q931,
            call_reference: call.cr(),
            message_type: MessageType::Setup,
            information_elements: ies,
        };
        let octets = self.encode(&msg)?;
        self.new_call_id();
        call.setup = octets.clone();
        self.push(octets);
        self.channels.set(channel, ChannelState::Busy(id));
        self.calls.push(call);
        let idx = self.calls.len() - 1;
        self.start(idx, Timer::T303, now);
        self.stats.calls_outgoing += 1;
        Ok(id)
    }

    /// The first response to a SETUP carries the B-channel, exclusive (Q.931 5.2.3.1).
    fn first_response_ies(&mut self, idx: usize) -> Vec<InformationElement> {
        match self.calls.get_mut(idx) {
            Some(c) if !c.responded => {
                c.responded = true;
                c.channel
                    .map(|ch| {
                        InformationElement::ChannelIdentification(
                            ChannelIdentification::primary_b_channel(ch, true),
                        )
                    })
                    .into_iter()
                    .collect()
            }
            _ => Vec::new(),
        }
    }

    fn check_state(
        &self,
        idx: usize,
        command: &'static str,
        allowed: &[CallState],
    ) -> Result<(), Error> {
        if !self.dl_up {
            return Err(Error::DataLinkDown);
        }
        let state = self.calls.get(idx).map_or(CallState::Null, |c| c.state);
        if allowed.contains(&state) {
            Ok(())
        } else {
            Err(Error::WrongState { command, state })
        }
    }

    /// Sends a response to an incoming SETUP and enters its state.
    fn respond(
        &mut self,
        now: Instant,
        call: CallId,
        answer: &Answer,
        ies: Vec<InformationElement>,
    ) -> Result<(), Error> {
        let idx = self.index(call)?;
        self.check_state(idx, answer.command, answer.allowed)?;
        let was_responded = self.calls.get(idx).is_some_and(|c| c.responded);
        let mut msg = self.message(idx, answer.message);
        msg.information_elements = self.first_response_ies(idx);
        insert_ordered(&mut msg.information_elements, ies);
        let octets = match self.encode(&msg) {
            Ok(o) => o,
            Err(e) => {
                if let Some(c) = self.calls.get_mut(idx) {
                    c.responded = was_responded;
                }
                return Err(e);
            }
        };
        self.push(octets);
        if let Some(c) = self.calls.get_mut(idx) {
            c.state = answer.to;
            c.stop(&[Timer::T302]);
        }
        match answer.to {
            CallState::OverlapReceiving => self.start(idx, Timer::T302, now),
            CallState::ConnectRequest => self.start(idx, Timer::T313, now),
            _ => {}
        }
        Ok(())
    }

    fn response_ies(r: Response) -> Vec<InformationElement> {
        let mut ies: Vec<InformationElement> = r
            .progress
            .map(InformationElement::ProgressIndicator)
            .into_iter()
            .collect();
        insert_ordered(&mut ies, r.extra);
        ies
    }

    /// SETUP ACKNOWLEDGE: overlap receiving, T302 (Q.931 5.2.4).
    pub fn setup_acknowledge(
        &mut self,
        now: Instant,
        call: CallId,
        r: Response,
    ) -> Result<(), Error> {
        self.respond(now, call, &SETUP_ACKNOWLEDGE, Self::response_ies(r))
    }

    /// CALL PROCEEDING (Q.931 5.2.5.2).
    pub fn proceeding(&mut self, now: Instant, call: CallId, r: Response) -> Result<(), Error> {
        self.respond(now, call, &CALL_PROCEEDING, Self::response_ies(r))
    }

    /// ALERTING (Q.931 5.2.5.1), with a progress indicator when in-band ringing is applied.
    pub fn alerting(&mut self, now: Instant, call: CallId, r: Response) -> Result<(), Error> {
        self.respond(now, call, &ALERTING, Self::response_ies(r))
    }

    /// CONNECT with connected number and name; T313 until CONNECT ACKNOWLEDGE (Q.931 5.2.8).
    pub fn connect(&mut self, now: Instant, call: CallId, r: ConnectResponse) -> Result<(), Error> {
        let mut ies = Vec::new();
        if let Some(name) = &r.connected_name {
            ies.push(self.name_facility(opcode::CONNECTED_NAME, name)?);
        }
        if let Some(p) = r.progress {
            ies.push(InformationElement::ProgressIndicator(p));
        }
        if let Some(n) = r.connected {
            ies.push(InformationElement::ConnectedNumber(n));
        }
        let mut all = Vec::new();
        insert_ordered(&mut all, ies);
        insert_ordered(&mut all, r.extra);
        self.respond(now, call, &CONNECT, all)
    }

    /// Sends a message that changes no state.
    fn send_in_call(
        &mut self,
        call: CallId,
        t: MessageType,
        command: &'static str,
        allowed: &[CallState],
        ies: Vec<InformationElement>,
    ) -> Result<usize, Error> {
        let idx = self.index(call)?;
        self.check_state(idx, command, allowed)?;
        let mut msg = self.message(idx, t);
        insert_ordered(&mut msg.information_elements, ies);
        let octets = self.encode(&msg)?;
        self.push(octets);
        Ok(idx)
    }

    /// PROGRESS (Q.931 5.1.6/5.2.6; ECMA-143 also in the Active state).
    pub fn progress(
        &mut self,
        _now: Instant,
        call: CallId,
        progress: ProgressIndicator,
        extra: Vec<InformationElement>,
    ) -> Result<(), Error> {
        let mut ies = vec![InformationElement::ProgressIndicator(progress)];
        insert_ordered(&mut ies, extra);
        self.send_in_call(
            call,
            MessageType::Progress,
            "progress",
            &[
                CallState::CallPresent,
                CallState::OverlapReceiving,
                CallState::IncomingCallProceeding,
                CallState::CallReceived,
                CallState::ConnectRequest,
                CallState::Active,
                CallState::CallInitiated,
                CallState::OverlapSending,
                CallState::OutgoingCallProceeding,
                CallState::CallDelivered,
            ],
            ies,
        )
        .map(|_| ())
    }

    /// INFORMATION: further digits in Overlap Sending (restarts T304, Q.931 5.1.3), or
    /// information during the call.
    pub fn information(
        &mut self,
        now: Instant,
        call: CallId,
        r: InformationRequest,
    ) -> Result<(), Error> {
        let mut ies = Vec::new();
        if let Some(n) = r.called {
            ies.push(InformationElement::CalledPartyNumber(n));
        }
        insert_ordered(&mut ies, r.extra);
        if r.sending_complete {
            insert_ordered(&mut ies, vec![InformationElement::SendingComplete]);
        }
        let idx = self.send_in_call(
            call,
            MessageType::Information,
            "information",
            &[
                CallState::OverlapSending,
                CallState::OutgoingCallProceeding,
                CallState::CallDelivered,
                CallState::OverlapReceiving,
                CallState::IncomingCallProceeding,
                CallState::CallReceived,
                CallState::ConnectRequest,
                CallState::Active,
            ],
            ies,
        )?;
        if self.calls.get(idx).map(|c| c.state) == Some(CallState::OverlapSending) {
            self.start(idx, Timer::T304, now);
        }
        Ok(())
    }

    /// NOTIFY (Q.931 5.9).
    pub fn notify(
        &mut self,
        _now: Instant,
        call: CallId,
        description: NotificationDescription,
    ) -> Result<(), Error> {
        self.send_in_call(
            call,
            MessageType::Notify,
            "notify",
            &[
                CallState::OutgoingCallProceeding,
                CallState::CallDelivered,
                CallState::IncomingCallProceeding,
                CallState::CallReceived,
                CallState::ConnectRequest,
                CallState::Active,
            ],
            vec![InformationElement::NotificationIndicator {
                notification_description: description,
            }],
        )
        .map(|_| ())
    }

    /// FACILITY with one or more Facility IEs (Q.932; ECMA-165), in any state of the call but
    /// Null and Release Request (see [`FACILITY_STATES`]).
    pub fn facility(
        &mut self,
        _now: Instant,
        call: CallId,
        facilities: Vec<Facility>,
    ) -> Result<(), Error> {
        let ies = facilities
            .into_iter()
            .map(InformationElement::Facility)
            .collect();
        self.send_in_call(
            call,
            MessageType::Facility,
            "facility",
            FACILITY_STATES,
            ies,
        )
        .map(|_| ())
    }

    /// FACILITY with `facility` (the mandatory Facility IE, Q.932 table 4-1) and `extra`
    /// elements (further Facility IEs, a Display, elements of other codesets...), e.g. those
    /// of a FACILITY a bridged peer encapsulated (RFC 3204), in the states of
    /// [`QsigCalls::facility`]. The elements are put in Q.931 4.5.1 order.
    pub fn facility_with(
        &mut self,
        _now: Instant,
        call: CallId,
        facility: Facility,
        extra: Vec<InformationElement>,
    ) -> Result<(), Error> {
        let mut ies = vec![InformationElement::Facility(facility)];
        insert_ordered(&mut ies, extra);
        self.send_in_call(
            call,
            MessageType::Facility,
            "facility",
            FACILITY_STATES,
            ies,
        )
        .map(|_| ())
    }

    /// STATUS ENQUIRY: asks the peer for its call state, T322 (Q.931 5.8.10).
    pub fn status_enquiry(&mut self, now: Instant, call: CallId) -> Result<(), Error> {
        let idx = self.index(call)?;
        if !self.dl_up {
            return Err(Error::DataLinkDown);
        }
        let msg = self.message(idx, MessageType::StatusEnquiry);
        let octets = self.encode(&msg)?;
        self.push(octets);
        self.stats.status_enquiries_sent += 1;
        if let Some(c) = self.calls.get_mut(idx) {
            c.t322_expiries = 0;
        }
        self.start(idx, Timer::T322, now);
        Ok(())
    }

    // ----------------------------------------------------------------------------------
    // Commands: clearing

    /// Clears a call with DISCONNECT (Q.931 5.3.2), in any state but the clearing ones. While
    /// the data link is down (an active call under T309), the call is cleared internally.
    pub fn disconnect(
        &mut self,
        now: Instant,
        call: CallId,
        cause: CauseValue,
    ) -> Result<(), Error> {
        let c = self.cause(cause);
        self.disconnect_with(now, call, c, Vec::new())
    }

    /// [`QsigCalls::disconnect`] with a cause as given and further elements.
    pub fn disconnect_with(
        &mut self,
        now: Instant,
        call: CallId,
        cause: Cause,
        extra: Vec<InformationElement>,
    ) -> Result<(), Error> {
        let idx = self.index(call)?;
        let state = self.calls.get(idx).map_or(CallState::Null, |c| c.state);
        if !can_disconnect(state) {
            return Err(Error::WrongState {
                command: "disconnect",
                state,
            });
        }
        if !self.dl_up {
            self.clear_call(
                idx,
                ChannelState::Idle,
                Some(cause),
                ClearReason::Local,
                None,
            );
            return Ok(());
        }
        self.start_disconnect(now, idx, cause, extra, ClearReason::Local)
    }

    /// Refuses an incoming call not yet answered with RELEASE COMPLETE (Q.931 5.2.5.3).
    pub fn reject(&mut self, now: Instant, call: CallId, cause: CauseValue) -> Result<(), Error> {
        let c = self.cause(cause);
        self.reject_with(now, call, c, Vec::new())
    }

    /// [`QsigCalls::reject`] with a cause as given and further elements.
    pub fn reject_with(
        &mut self,
        _now: Instant,
        call: CallId,
        cause: Cause,
        extra: Vec<InformationElement>,
    ) -> Result<(), Error> {
        let idx = self.index(call)?;
        self.check_state(idx, "reject", &[CallState::CallPresent])?;
        let mut msg = self
            .message(idx, MessageType::ReleaseComplete)
            .with(InformationElement::Cause(cause.clone()));
        insert_ordered(&mut msg.information_elements, extra);
        let octets = self.encode(&msg)?;
        self.push(octets);
        self.clear_call(
            idx,
            ChannelState::Idle,
            Some(cause),
            ClearReason::Local,
            None,
        );
        Ok(())
    }

    // ----------------------------------------------------------------------------------
    // Commands: restart

    /// Restarts B-channels: RESTART on the global call reference, T316 (Q.931 5.5.1). Calls on
    /// them are cleared at once; the channels are out of service until RESTART ACKNOWLEDGE.
    /// A restart asked for while another is outstanding is sent after it.
    pub fn restart(&mut self, now: Instant, scope: RestartScope) -> Result<(), Error> {
        if !self.dl_up {
            return Err(Error::DataLinkDown);
        }
        if let RestartScope::Channels(list) = &scope {
            if let Some(c) = list.iter().find(|c| !self.channels.exists(**c)) {
                return Err(Error::NoSuchChannel(*c));
            }
            if list.is_empty() {
                return Ok(());
            }
        }
        if self.restart.is_some() {
            self.restart_queue.push_back(scope);
            return Ok(());
        }
        self.send_restart(now, scope);
        Ok(())
    }

    fn scope_channels(&self, scope: &RestartScope) -> Vec<u8> {
        match scope {
            RestartScope::Channels(l) => l.clone(),
            RestartScope::Interface => self.channels.numbers(),
        }
    }

    fn global_cr(&self, flag: bool) -> CallReference {
        CallReference::global(self.config.call_reference_length.clamp(1, 2), flag)
    }

    fn send_restart(&mut self, now: Instant, scope: RestartScope) {
        let mut msg = Message::new(MessageType::Restart, self.global_cr(false));
        match &scope {
            RestartScope::Channels(list) => {
                let mut ch = ChannelIdentification::primary_b_channel(0, true);
                if let Some(spec) = ch.channel.as_mut() {
                    spec.channels = sipt_codecs::q931::ChannelList::Numbers(list.clone());
                }
                msg.information_elements
                    .push(InformationElement::ChannelIdentification(ch));
                msg.information_elements
                    .push(InformationElement::RestartIndicator {
                        class: RestartClass::IndicatedChannels,
                    });
            }
            RestartScope::Interface => {
                msg.information_elements
                    .push(InformationElement::RestartIndicator {
                        class: RestartClass::AllInterfaces,
                    });
            }
        }
        let Ok(octets) = self.encode(&msg) else {
            return;
        };
        self.clear_for_restart(&scope);
        for ch in self.scope_channels(&scope) {
            self.channels.set(ch, ChannelState::Restarting);
        }
        self.push(octets.clone());
        self.stats.restarts_sent += 1;
        self.restart = Some(PendingRestart {
            scope,
            octets,
            transmissions: 1,
        });
        self.global_timers
            .start(Timer::T316.slot(), now + self.config.timers.t316);
    }

    /// Clears internally every call on the channels of `scope` (Q.931 5.5.1, 5.5.2).
    fn clear_for_restart(&mut self, scope: &RestartScope) {
        let chans = self.scope_channels(scope);
        let cause = self.cause(CauseValue::TemporaryFailure);
        while let Some(idx) = self.calls.iter().position(|c| match scope {
            RestartScope::Interface => true,
            RestartScope::Channels(_) => c.channel.is_some_and(|ch| chans.contains(&ch)),
        }) {
            self.clear_call(
                idx,
                ChannelState::Idle,
                Some(cause.clone()),
                ClearReason::Restart,
                None,
            );
        }
    }

    fn next_restart(&mut self, now: Instant) {
        self.restart = None;
        self.global_timers.stop(Timer::T316.slot());
        if let Some(s) = self.restart_queue.pop_front() {
            self.send_restart(now, s);
        }
    }

    // ----------------------------------------------------------------------------------
    // The data link

    /// Takes a primitive of the data link.
    pub fn handle_dl(&mut self, now: Instant, ind: DlIndication) {
        match ind {
            DlIndication::EstablishIndication | DlIndication::EstablishConfirm => {
                self.dl_established(now)
            }
            DlIndication::ReleaseIndication | DlIndication::ReleaseConfirm => self.dl_released(now),
            DlIndication::DataIndication(octets) => {
                if self.dl_up {
                    self.handle_message(now, &octets);
                } else {
                    self.stats.messages_discarded += 1;
                }
            }
        }
    }

    fn dl_established(&mut self, now: Instant) {
        if self.dl_up {
            // Q.931 5.8.8, data link reset: calls in overlap sending or receiving are
            // cleared with cause 41; the others go on.
            let ids: Vec<CallId> = self
                .calls
                .iter()
                .filter(|c| {
                    matches!(
                        c.state,
                        CallState::OverlapSending | CallState::OverlapReceiving
                    )
                })
                .map(|c| c.id)
                .collect();
            for id in ids {
                if let Ok(idx) = self.index(id) {
                    self.clear_with(
                        now,
                        idx,
                        CauseValue::TemporaryFailure,
                        ClearReason::DataLinkFailure,
                    );
                }
            }
            // A RESTART awaiting its acknowledgement may have been in the I queue that the
            // re-establishment discarded (Q.921 5.5.3.2; it happens when both ends start
            // together and their SABMEs collide). Q.931 5.5.1 would repeat it only after T316
            // (2 min); sending it again now is harmless, as a RESTART of idle channels is
            // idempotent and a second RESTART ACKNOWLEDGE is ignored.
            if let Some(r) = self.restart.as_ref() {
                let o = r.octets.clone();
                self.push(o);
                self.global_timers
                    .start(Timer::T316.slot(), now + self.config.timers.t316);
            }
            return;
        }
        self.dl_up = true;
        // Q.931 5.8.9: stop T309 and report the state of each call kept.
        let kept: Vec<usize> = (0..self.calls.len()).collect();
        for idx in kept {
            let Some(c) = self.calls.get_mut(idx) else {
                continue;
            };
            c.stop(&[Timer::T309]);
            let (cr, state) = (c.cr(), c.state);
            let cause = self.cause(CauseValue::NormalUnspecified);
            self.send_status(cr, cause, state.value());
        }
        if self.config.restart_on_establish {
            // Q.931 5.5: the channels not in use by a call kept are restarted.
            let free: Vec<u8> = self
                .channels
                .all()
                .filter(|(_, s)| !matches!(s, ChannelState::Busy(_)))
                .map(|(c, _)| c)
                .collect();
            let scope = if free.len() == self.channels.numbers().len() {
                Some(RestartScope::Interface)
            } else if free.is_empty() {
                None
            } else {
                Some(RestartScope::Channels(free))
            };
            if let Some(s) = scope {
                let _ = self.restart(now, s);
            }
        }
    }

    fn dl_released(&mut self, now: Instant) {
        if !self.dl_up {
            return;
        }
        self.dl_up = false;
        self.stats.data_link_failures += 1;
        self.transmit.clear();
        // Q.931 5.8.9: calls not active are cleared internally; active calls wait T309.
        let cause = self.cause(CauseValue::DestinationOutOfOrder);
        let mut idx = 0;
        while idx < self.calls.len() {
            let keep = self
                .calls
                .get(idx)
                .is_some_and(|c| c.state == CallState::Active)
                && self.config.timers.t309.is_some();
            if keep {
                // T309 cannot be running: it stops whenever the link comes back.
                if let Some(c) = self.calls.get_mut(idx) {
                    c.timers.stop_all();
                }
                self.start(idx, Timer::T309, now);
                idx += 1;
            } else {
                self.clear_call(
                    idx,
                    ChannelState::Idle,
                    Some(cause.clone()),
                    ClearReason::DataLinkFailure,
                    None,
                );
            }
        }
        // The restart under way is abandoned; its channels are restarted when the link returns.
        if let Some(r) = self.restart.take() {
            for ch in self.scope_channels(&r.scope) {
                if self.channels.state(ch) == Some(ChannelState::Restarting) {
                    self.channels.set(ch, ChannelState::Maintenance);
                }
            }
        }
        self.restart_queue.clear();
        self.global_timers.stop_all();
    }

    // ----------------------------------------------------------------------------------
    // Received messages

    fn handle_message(&mut self, now: Instant, octets: &[u8]) {
        let msg = match Message::decode(octets) {
            Ok(m) => m,
            Err(_) => {
                // Q.931 5.8.1-5.8.3.1: too short, or a call reference length in error.
                self.stats.messages_discarded += 1;
                return;
            }
        };
        // Q.931 5.8.2: another protocol discriminator; no call-independent services on the
        // dummy call reference here.
        if msg.protocol_discriminator != PROTOCOL_DISCRIMINATOR_Q931
            || msg.call_reference.is_dummy()
        {
            self.stats.messages_discarded += 1;
            return;
        }
        self.stats.messages_received += 1;
        if msg.call_reference.is_global() {
            self.global_message(now, msg);
            return;
        }
        // Flag 1: sent to the side that allocated the value, i.e. to us (Q.931 4.3).
        let ours = msg.call_reference.flag;
        let value = msg.call_reference.value;
        match self
            .calls
            .iter()
            .position(|c| c.ours == ours && c.cr_value == value)
        {
            Some(idx) => self.call_message(now, idx, msg),
            None => self.unknown_call_reference(now, msg),
        }
    }

    /// The reply call reference to a received one.
    fn reply_cr(cr: CallReference) -> CallReference {
        CallReference {
            flag: !cr.flag,
            ..cr
        }
    }

    /// Q.931 5.8.3.2: a call reference not in use.
    fn unknown_call_reference(&mut self, now: Instant, msg: Message) {
        let reply = Self::reply_cr(msg.call_reference);
        match msg.message_type {
            MessageType::Setup if !msg.call_reference.flag => self.incoming_setup(now, msg),
            // d) a SETUP with the flag set is ignored; c) so is RELEASE COMPLETE.
            MessageType::Setup | MessageType::ReleaseComplete => {
                self.stats.unknown_call_reference += 1;
            }
            MessageType::Status => {
                // g) and 5.8.11 a): a STATUS in the Null state reporting another state is
                // answered with RELEASE COMPLETE, cause 101; one reporting Null is discarded.
                self.stats.status_received += 1;
                self.stats.unknown_call_reference += 1;
                if let Ie::Present(s) = check::call_state(&msg) {
                    if s != CallStateValue::Null {
                        let c = self.cause(CauseValue::MessageNotCompatibleWithCallState);
                        self.release_complete_to(reply, Some(c));
                    }
                }
            }
            MessageType::StatusEnquiry => {
                // 5.8.10: STATUS reporting the Null state.
                self.stats.unknown_call_reference += 1;
                let c = self.cause(CauseValue::ResponseToStatusEnquiry);
                self.send_status(reply, c, CallStateValue::Null);
            }
            _ => {
                // a) and b): RELEASE COMPLETE, cause 81, staying in the Null state.
                self.stats.unknown_call_reference += 1;
                let c = self.cause(CauseValue::InvalidCallReference);
                self.release_complete_to(reply, Some(c));
            }
        }
    }

    /// Refuses an incoming SETUP before it becomes a call.
    fn refuse_setup(&mut self, cr: CallReference, value: CauseValue, diagnostic: Option<u8>) {
        self.stats.setups_rejected += 1;
        let mut c = self.cause(value);
        if let Some(d) = diagnostic {
            c.diagnostics = vec![d];
        }
        self.release_complete_to(Self::reply_cr(cr), Some(c));
    }

    /// An incoming SETUP (Q.931 5.2, ECMA-143 call establishment at the terminating PINX).
    fn incoming_setup(&mut self, _now: Instant, msg: Message) {
        let cr = msg.call_reference;
        // Q.931 5.8.6: bearer capability and channel identification are mandatory in SETUP
        // (ECMA-143 makes channel identification mandatory both ways).
        let bearer = match check::lookup(&msg, id::BEARER_CAPABILITY, |e| match e {
            InformationElement::BearerCapability(b) => Some(b),
            _ => None,
        }) {
            Ie::Present(b) => b.clone(),
            Ie::Invalid => {
                return self.refuse_setup(
                    cr,
                    CauseValue::InvalidElementContents,
                    Some(id::BEARER_CAPABILITY),
                )
            }
            Ie::Missing => {
                return self.refuse_setup(
                    cr,
                    CauseValue::MandatoryElementMissing,
                    Some(id::BEARER_CAPABILITY),
                )
            }
        };
        let ch = match check::channel_identification(&msg) {
            Ie::Present(c) => c.clone(),
            Ie::Invalid => {
                return self.refuse_setup(
                    cr,
                    CauseValue::InvalidElementContents,
                    Some(id::CHANNEL_IDENTIFICATION),
                )
            }
            Ie::Missing => {
                return self.refuse_setup(
                    cr,
                    CauseValue::MandatoryElementMissing,
                    Some(id::CHANNEL_IDENTIFICATION),
                )
            }
        };
        // Circuit mode, 64 kbit/s: the services of an inter-PINX link's B-channels.
        if bearer.transfer_mode != TransferMode::Circuit
            || bearer.information_transfer_rate != InformationTransferRate::Kbit64
        {
            return self.refuse_setup(cr, CauseValue::BearerCapabilityNotImplemented, None);
        }
        let requested = match check::requested_channel(&ch) {
            Ok(r) => r,
            Err(()) => {
                return self.refuse_setup(
                    cr,
                    CauseValue::InvalidElementContents,
                    Some(id::CHANNEL_IDENTIFICATION),
                )
            }
        };
        let id = CallId(self.next_call);
        let channel = match self.select_incoming(requested) {
            Ok(c) => c,
            Err(v) => return self.refuse_setup(cr, v, None),
        };
        self.new_call_id();
        let mut call = Call::new(id, cr.value, cr.length, false, CallState::CallPresent);
        call.channel = Some(channel);
        call.exclusive = matches!(
            requested,
            Requested::Channel {
                exclusive: true,
                ..
            }
        );
        self.channels.set(channel, ChannelState::Busy(id));
        self.calls.push(call);
        self.stats.calls_incoming += 1;
        let ev = IncomingCall {
            call: id,
            channel,
            called: check::number(&msg, id::CALLED_PARTY_NUMBER),
            calling: check::number(&msg, id::CALLING_PARTY_NUMBER),
            calling_name: check::name(&msg, opcode::CALLING_NAME),
            bearer,
            sending_complete: check::sending_complete(&msg),
            progress: check::progress(&msg),
            message: msg,
        };
        self.events.push_back(CallEvent::IncomingCall(Box::new(ev)));
    }

    /// B-channel selection for an incoming SETUP (Q.931 5.2.3.1) and collision with our own
    /// SETUP (Q.931 Annex D.3, symmetric arrangements, which ECMA-143 follows): the exclusive
    /// indication beats the preferred one; between equals the side designated network wins.
    /// The loser's SETUP gets another channel in the first response if it was preferred, and is
    /// cleared with RELEASE COMPLETE, cause 34, if it was exclusive.
    fn select_incoming(&mut self, requested: Requested) -> Result<u8, CauseValue> {
        let (want, exclusive) = match requested {
            Requested::NoBChannel => return Err(CauseValue::ChannelUnacceptable),
            Requested::Any => {
                return self
                    .channels
                    .select(None)
                    .ok_or(CauseValue::NoCircuitAvailable)
            }
            Requested::Channel { channel, exclusive } => (channel, exclusive),
        };
        let other = |me: &Self| {
            me.channels
                .select(Some(want))
                .ok_or(CauseValue::NoCircuitAvailable)
        };
        match self.channels.state(want) {
            None if exclusive => Err(CauseValue::IdentifiedChannelDoesNotExist),
            None => other(self),
            Some(ChannelState::Idle) => Ok(want),
            Some(ChannelState::Busy(holder)) => {
                let glare = self
                    .calls
                    .iter()
                    .position(|c| c.id == holder && c.ours && c.state == CallState::CallInitiated);
                let Some(gidx) = glare else {
                    return if exclusive {
                        Err(CauseValue::RequestedCircuitNotAvailable)
                    } else {
                        other(self)
                    };
                };
                self.stats.collisions += 1;
                let ours_exclusive = self.calls.get(gidx).is_some_and(|c| c.exclusive);
                let we_win = if ours_exclusive != exclusive {
                    ours_exclusive
                } else {
                    self.config.side == Side::Network
                };
                if we_win {
                    if exclusive {
                        Err(CauseValue::NoCircuitAvailable)
                    } else {
                        other(self)
                    }
                } else {
                    // Our call gives the channel up and waits for the peer's choice (preferred)
                    // or its RELEASE COMPLETE (exclusive).
                    if let Some(c) = self.calls.get_mut(gidx) {
                        c.channel = None;
                    }
                    self.channels.set(want, ChannelState::Idle);
                    Ok(want)
                }
            }
            Some(_) if exclusive => Err(CauseValue::RequestedCircuitNotAvailable),
            Some(_) => other(self),
        }
    }

    /// The global call reference (Q.931 5.5 and 5.8.3.2 f).
    fn global_message(&mut self, now: Instant, msg: Message) {
        let reply = Self::reply_cr(msg.call_reference);
        match msg.message_type {
            MessageType::Restart => self.restart_received(msg),
            MessageType::RestartAcknowledge => {
                if self.restart.is_some() && !msg.call_reference.flag {
                    // An acknowledgement must come back with the flag set; ignore a stray one.
                    return;
                }
                if let Some(r) = self.restart.take() {
                    for ch in self.scope_channels(&r.scope) {
                        if self.channels.state(ch) == Some(ChannelState::Restarting) {
                            self.channels.set(ch, ChannelState::Idle);
                        }
                    }
                    self.events.push_back(CallEvent::Restarted {
                        scope: r.scope,
                        initiator: Initiator::Local,
                        message: msg,
                    });
                    self.next_restart(now);
                }
            }
            MessageType::Status => {
                self.stats.status_received += 1;
            }
            _ => {
                let state = if self.restart.is_some() {
                    CallStateValue::RestartRequest
                } else {
                    CallStateValue::Null
                };
                let c = self.cause(CauseValue::InvalidCallReference);
                self.stats.unknown_call_reference += 1;
                self.send_status(reply, c, state);
            }
        }
    }

    /// RESTART received (Q.931 5.5.2): the calls on the channels are cleared, the channels
    /// return to idle, RESTART ACKNOWLEDGE echoes channel identification and restart
    /// indicator. Clearing is internal and immediate, so T317 never has to run.
    fn restart_received(&mut self, msg: Message) {
        let reply = Self::reply_cr(msg.call_reference);
        let class = match check::lookup(&msg, id::RESTART_INDICATOR, |e| match e {
            InformationElement::RestartIndicator { class } => Some(*class),
            _ => None,
        }) {
            Ie::Present(c) => c,
            Ie::Invalid => {
                return self.global_status_error(
                    reply,
                    CauseValue::InvalidElementContents,
                    id::RESTART_INDICATOR,
                )
            }
            Ie::Missing => {
                return self.global_status_error(
                    reply,
                    CauseValue::MandatoryElementMissing,
                    id::RESTART_INDICATOR,
                )
            }
        };
        let scope = match class {
            RestartClass::IndicatedChannels => {
                let list = match check::channel_identification(&msg) {
                    Ie::Present(ch) => ch
                        .channel
                        .as_ref()
                        .map(|s| check::channel_list(&s.channels))
                        .unwrap_or_default(),
                    Ie::Invalid => {
                        return self.global_status_error(
                            reply,
                            CauseValue::InvalidElementContents,
                            id::CHANNEL_IDENTIFICATION,
                        )
                    }
                    Ie::Missing => {
                        return self.global_status_error(
                            reply,
                            CauseValue::MandatoryElementMissing,
                            id::CHANNEL_IDENTIFICATION,
                        )
                    }
                };
                if list.is_empty() || list.iter().any(|c| !self.channels.exists(*c)) {
                    return self.global_status_error(
                        reply,
                        CauseValue::IdentifiedChannelDoesNotExist,
                        id::CHANNEL_IDENTIFICATION,
                    );
                }
                RestartScope::Channels(list)
            }
            RestartClass::SingleInterface | RestartClass::AllInterfaces => RestartScope::Interface,
            RestartClass::Unknown(_) => {
                return self.global_status_error(
                    reply,
                    CauseValue::InvalidElementContents,
                    id::RESTART_INDICATOR,
                )
            }
        };
        self.stats.restarts_received += 1;
        self.clear_for_restart(&scope);
        for ch in self.scope_channels(&scope) {
            // A channel of our own restart under way stays in that procedure.
            if self.channels.state(ch) != Some(ChannelState::Restarting) {
                self.channels.set(ch, ChannelState::Idle);
            }
        }
        let mut ack = Message::new(MessageType::RestartAcknowledge, reply);
        ack.information_elements = msg
            .information_elements
            .iter()
            .filter(|e| {
                matches!(
                    e,
                    InformationElement::ChannelIdentification(_)
                        | InformationElement::RestartIndicator { .. }
                )
            })
            .cloned()
            .collect();
        self.send(&ack);
        self.events.push_back(CallEvent::Restarted {
            scope,
            initiator: Initiator::Remote,
            message: msg,
        });
    }

    fn global_status_error(&mut self, cr: CallReference, value: CauseValue, diagnostic: u8) {
        self.stats.protocol_errors += 1;
        let mut c = self.cause(value);
        c.diagnostics = vec![diagnostic];
        let state = if self.restart.is_some() {
            CallStateValue::RestartRequest
        } else {
            CallStateValue::Null
        };
        self.send_status(cr, c, state);
    }

    /// A message for an existing call.
    fn call_message(&mut self, now: Instant, idx: usize, msg: Message) {
        let Some(state) = self.calls.get(idx).map(|c| c.state) else {
            return;
        };
        use MessageType as M;
        match msg.message_type {
            // Q.931 5.8.3.2 e: a SETUP for a call in progress is ignored (a retransmission).
            M::Setup => {}
            M::Release => self.on_release(idx, msg),
            M::ReleaseComplete => self.on_release_complete(idx, msg),
            M::Status => self.on_status(now, idx, msg),
            M::StatusEnquiry => {
                if let Some(c) = self.calls.get(idx) {
                    let cr = c.cr();
                    let cause = self.cause(CauseValue::ResponseToStatusEnquiry);
                    self.send_status(cr, cause, state.value());
                }
            }
            // Release Request: everything else is ignored while RELEASE COMPLETE is awaited.
            _ if state == CallState::ReleaseRequest => {}
            M::Disconnect => self.on_disconnect(now, idx, msg),
            M::SetupAcknowledge | M::CallProceeding | M::Alerting | M::Connect => {
                self.on_establishment(now, idx, msg)
            }
            M::ConnectAcknowledge => match state {
                CallState::ConnectRequest => {
                    if let Some(c) = self.calls.get_mut(idx) {
                        c.stop(&[Timer::T313]);
                        c.state = CallState::Active;
                    }
                    self.stats.calls_active += 1;
                    let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
                    self.events
                        .push_back(CallEvent::ConnectAcknowledged { call, message: msg });
                }
                // A repeated CONNECT ACKNOWLEDGE, or one crossing our DISCONNECT.
                CallState::Active | CallState::DisconnectRequest => {}
                _ => self.unexpected(idx, &msg, CauseValue::MessageNotCompatibleWithCallState),
            },
            M::Progress => {
                let progress = check::progress(&msg);
                if progress.is_empty() {
                    return self.element_error(idx, &msg, id::PROGRESS_INDICATOR);
                }
                if let Some(c) = self.calls.get_mut(idx) {
                    // Q.931 table 9-2 and RFC 4497 8.2.1.3: PROGRESS stops T310.
                    c.stop(&[Timer::T310]);
                }
                let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
                let cause = check::cause(&msg).present().cloned();
                self.events.push_back(CallEvent::Progress {
                    call,
                    progress,
                    cause,
                    message: msg,
                });
            }
            M::Information => {
                let sending_complete = check::sending_complete(&msg);
                if state == CallState::OverlapReceiving {
                    // Q.931 5.2.4: T302 restarted on each INFORMATION, stopped with sending
                    // complete.
                    if sending_complete {
                        if let Some(c) = self.calls.get_mut(idx) {
                            c.stop(&[Timer::T302]);
                        }
                    } else {
                        self.start(idx, Timer::T302, now);
                    }
                }
                let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
                self.events.push_back(CallEvent::Information {
                    call,
                    called: check::number(&msg, id::CALLED_PARTY_NUMBER),
                    sending_complete,
                    message: msg,
                });
            }
            M::Notify => {
                match check::lookup(&msg, id::NOTIFICATION_INDICATOR, |e| match e {
                    InformationElement::NotificationIndicator { .. } => Some(()),
                    _ => None,
                }) {
                    Ie::Present(()) => {
                        let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
                        self.events
                            .push_back(CallEvent::Notify { call, message: msg });
                    }
                    _ => self.element_error(idx, &msg, id::NOTIFICATION_INDICATOR),
                }
            }
            M::Facility => {
                if msg.find(|e| e.as_facility()).is_none() {
                    return self.element_error(idx, &msg, id::FACILITY);
                }
                let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
                self.events
                    .push_back(CallEvent::Facility { call, message: msg });
            }
            // Q.931 5.8.4: message types not implemented here.
            _ => self.unexpected(idx, &msg, CauseValue::MessageNotCompatibleOrNonExistent),
        }
    }

    /// Q.931 5.8.4: STATUS with the cause and the message type as diagnostic; no state change.
    fn unexpected(&mut self, idx: usize, msg: &Message, value: CauseValue) {
        if let Some(c) = self.calls.get(idx) {
            let (cr, state) = (c.cr(), c.state);
            self.status_error(cr, value, msg.message_type.code(), state);
        }
    }

    /// Q.931 5.8.6: a mandatory element missing (96) or in error (100) in a message other than
    /// SETUP and the clearing ones: STATUS, the message otherwise ignored.
    fn element_error(&mut self, idx: usize, msg: &Message, identifier: u8) {
        let invalid = msg.information_elements.iter().any(|e| {
            matches!(e, InformationElement::Raw { codeset: 0, identifier: i, .. } if *i == identifier)
        });
        let value = if invalid {
            CauseValue::InvalidElementContents
        } else {
            CauseValue::MandatoryElementMissing
        };
        if let Some(c) = self.calls.get(idx) {
            let (cr, state) = (c.cr(), c.state);
            self.status_error(cr, value, identifier, state);
        }
    }

    /// SETUP ACKNOWLEDGE, CALL PROCEEDING, ALERTING, CONNECT for an outgoing call
    /// (Q.931 5.1.3-5.1.8).
    fn on_establishment(&mut self, now: Instant, idx: usize, msg: Message) {
        use CallState as S;
        let Some(c) = self.calls.get(idx) else {
            return;
        };
        let state = c.state;
        let allowed: &[CallState] = match msg.message_type {
            MessageType::SetupAcknowledge => &[S::CallInitiated],
            MessageType::CallProceeding => &[S::CallInitiated, S::OverlapSending],
            MessageType::Alerting => &[
                S::CallInitiated,
                S::OverlapSending,
                S::OutgoingCallProceeding,
            ],
            _ => &[
                S::CallInitiated,
                S::OverlapSending,
                S::OutgoingCallProceeding,
                S::CallDelivered,
            ],
        };
        if !c.ours || !allowed.contains(&state) {
            // Crossing our DISCONNECT is normal; anything else is a state mismatch.
            if state != S::DisconnectRequest {
                self.unexpected(idx, &msg, CauseValue::MessageNotCompatibleWithCallState);
            }
            return;
        }
        if !c.responded {
            match self.first_response_channel(idx, &msg) {
                FirstResponse::Accepted => {}
                FirstResponse::Missing => {
                    return self.element_error(idx, &msg, id::CHANNEL_IDENTIFICATION);
                }
                FirstResponse::Unacceptable => {
                    // Q.931 5.1.2: clear with RELEASE, cause 6.
                    self.stats.protocol_errors += 1;
                    let cause = self.cause(CauseValue::ChannelUnacceptable);
                    self.set_reason(idx, ClearReason::ProtocolError, Some(cause.clone()));
                    self.start_release(now, idx, Some(cause));
                    return;
                }
            }
        }
        let Some(c) = self.calls.get_mut(idx) else {
            return;
        };
        c.stop(&[Timer::T303, Timer::T304, Timer::T310]);
        let (call, channel) = (c.id, c.channel);
        let ev = match msg.message_type {
            MessageType::SetupAcknowledge => {
                c.state = S::OverlapSending;
                self.start(idx, Timer::T304, now);
                CallEvent::SetupAcknowledged {
                    call,
                    channel,
                    message: msg,
                }
            }
            MessageType::CallProceeding => {
                c.state = S::OutgoingCallProceeding;
                self.start(idx, Timer::T310, now);
                CallEvent::Proceeding {
                    call,
                    channel,
                    message: msg,
                }
            }
            MessageType::Alerting => {
                c.state = S::CallDelivered;
                self.start(idx, Timer::T301, now);
                CallEvent::Alerting {
                    call,
                    channel,
                    progress: check::progress(&msg),
                    called_name: check::name(&msg, opcode::CALLED_NAME),
                    message: msg,
                }
            }
            _ => {
                // CONNECT: CONNECT ACKNOWLEDGE, Active (Q.931 5.1.8; ECMA-143 requires it,
                // libpri sends it too).
                c.stop(&[Timer::T301]);
                c.state = S::Active;
                let ack = self.message(idx, MessageType::ConnectAcknowledge);
                self.send(&ack);
                self.stats.calls_active += 1;
                CallEvent::Connected {
                    call,
                    channel,
                    connected: check::number(&msg, id::CONNECTED_NUMBER),
                    connected_name: check::name(&msg, opcode::CONNECTED_NAME),
                    message: msg,
                }
            }
        };
        self.events.push_back(ev);
    }

    /// The B-channel indicated in the first response to our SETUP (Q.931 5.1.2).
    fn first_response_channel(&mut self, idx: usize, msg: &Message) -> FirstResponse {
        let Some(c) = self.calls.get(idx) else {
            return FirstResponse::Unacceptable;
        };
        let (call, current, exclusive) = (c.id, c.channel, c.exclusive);
        let indicated = match check::channel_identification(msg) {
            Ie::Present(ch) => match check::requested_channel(ch) {
                Ok(Requested::Channel { channel, .. }) => Some(channel),
                _ => return FirstResponse::Unacceptable,
            },
            // Without it, our channel stands (if we still have one).
            Ie::Missing | Ie::Invalid => None,
        };
        let chosen = match (indicated, current) {
            (None, Some(cur)) => cur,
            (None, None) => return FirstResponse::Missing,
            (Some(d), Some(cur)) if d == cur => cur,
            (Some(_), Some(_)) if exclusive => return FirstResponse::Unacceptable,
            (Some(d), _) => {
                if self.channels.state(d) != Some(ChannelState::Idle) {
                    return FirstResponse::Unacceptable;
                }
                if let Some(cur) = current {
                    self.channels.free(cur, call, ChannelState::Idle);
                }
                self.channels.set(d, ChannelState::Busy(call));
                d
            }
        };
        if let Some(c) = self.calls.get_mut(idx) {
            c.channel = Some(chosen);
            c.responded = true;
        }
        FirstResponse::Accepted
    }

    /// DISCONNECT (Q.931 5.3.4; clear collision 5.3.5).
    fn on_disconnect(&mut self, now: Instant, idx: usize, msg: Message) {
        let Some(state) = self.calls.get(idx).map(|c| c.state) else {
            return;
        };
        // 5.8.6: without a cause, as if cause 31 had come; our RELEASE then says 96 (100 if the
        // cause was in error).
        let (received, release_cause) = match check::cause(&msg) {
            Ie::Present(c) => (Some(c.clone()), Some(c.clone())),
            Ie::Invalid => (None, Some(self.cause(CauseValue::InvalidElementContents))),
            Ie::Missing => (None, Some(self.cause(CauseValue::MandatoryElementMissing))),
        };
        if received.is_none() {
            self.stats.protocol_errors += 1;
        }
        if state == CallState::DisconnectRequest {
            // Both sides sent DISCONNECT: RELEASE, T308.
            let ours = self.calls.get(idx).and_then(|c| c.clearing_cause.clone());
            self.start_release(now, idx, ours);
            return;
        }
        let reported = received
            .clone()
            .unwrap_or_else(|| self.cause(CauseValue::NormalUnspecified));
        self.set_reason(idx, ClearReason::Remote, Some(reported));
        if let Some(c) = self.calls.get_mut(idx) {
            c.state = CallState::DisconnectIndication;
        }
        let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
        self.events.push_back(CallEvent::Disconnected {
            call,
            cause: received,
            message: msg,
        });
        self.start_release(now, idx, release_cause);
    }

    /// RELEASE (Q.931 5.3.4; unexpected RELEASE 5.8.4; both sides releasing 5.3.5).
    fn on_release(&mut self, idx: usize, msg: Message) {
        let Some(c) = self.calls.get(idx) else {
            return;
        };
        let (cr, state) = (c.cr(), c.state);
        let received = check::cause(&msg).present().cloned();
        if state != CallState::ReleaseRequest {
            // First clearing message without a (valid) cause: RELEASE COMPLETE says 96/100.
            let first = !matches!(state, CallState::DisconnectRequest);
            let rc_cause = match check::cause(&msg) {
                Ie::Present(_) => None,
                Ie::Invalid if first => Some(self.cause(CauseValue::InvalidElementContents)),
                Ie::Missing if first => Some(self.cause(CauseValue::MandatoryElementMissing)),
                _ => None,
            };
            self.release_complete_to(cr, rc_cause);
        }
        let reported = received.unwrap_or_else(|| self.cause(CauseValue::NormalUnspecified));
        self.set_reason(idx, ClearReason::Remote, Some(reported.clone()));
        self.clear_call(
            idx,
            ChannelState::Idle,
            Some(reported),
            ClearReason::Remote,
            Some(msg),
        );
    }

    /// RELEASE COMPLETE (Q.931 5.3.3/5.3.4; as first clearing message, 5.2.5.3 call rejection;
    /// unexpected, 5.8.4).
    fn on_release_complete(&mut self, idx: usize, msg: Message) {
        let reported = check::cause(&msg)
            .present()
            .cloned()
            .unwrap_or_else(|| self.cause(CauseValue::NormalUnspecified));
        self.set_reason(idx, ClearReason::Remote, Some(reported.clone()));
        self.clear_call(
            idx,
            ChannelState::Idle,
            Some(reported),
            ClearReason::Remote,
            Some(msg),
        );
    }

    /// STATUS (Q.931 5.8.10 and 5.8.11).
    fn on_status(&mut self, now: Instant, idx: usize, msg: Message) {
        self.stats.status_received += 1;
        if let Some(c) = self.calls.get_mut(idx) {
            c.stop(&[Timer::T322]);
            c.t322_expiries = 0;
        }
        let Some(state) = self.calls.get(idx).map(|c| c.state) else {
            return;
        };
        let peer = match check::call_state(&msg) {
            Ie::Present(s) => s,
            _ => return self.element_error(idx, &msg, id::CALL_STATE),
        };
        let cause = match check::cause(&msg) {
            Ie::Present(c) => c.clone(),
            _ => return self.element_error(idx, &msg, id::CAUSE),
        };
        if peer == CallStateValue::Null {
            // c) release all resources, Null state.
            let c = self.cause(CauseValue::TemporaryFailure);
            self.clear_call(
                idx,
                ChannelState::Idle,
                Some(c),
                ClearReason::PeerInNullState,
                Some(msg),
            );
            return;
        }
        if state == CallState::ReleaseRequest {
            // b) no action.
            return;
        }
        if !compatible(state, peer) {
            // a) clear with cause 101.
            self.stats.protocol_errors += 1;
            self.clear_with(
                now,
                idx,
                CauseValue::MessageNotCompatibleWithCallState,
                ClearReason::ProtocolError,
            );
            return;
        }
        let call = self.calls.get(idx).map_or(CallId(0), |c| c.id);
        self.events.push_back(CallEvent::Status {
            call,
            cause: Some(cause),
            call_state: Some(peer),
            message: msg,
        });
    }

    // ----------------------------------------------------------------------------------
    // Timers

    /// Handles every timer expired at `now` (a call without an expired timer is a no-op).
    pub fn handle_timeout(&mut self, now: Instant) {
        while self.global_timers.expired(now).is_some() {
            self.t316_expiry(now);
        }
        loop {
            let found = self.calls.iter_mut().find_map(|c| {
                c.timers
                    .expired(now)
                    .and_then(|slot| Timer::ALL.get(slot).copied())
                    .map(|t| (c.id, t))
            });
            let Some((call, timer)) = found else {
                break;
            };
            if let Some(n) = self.stats.timer_expiries.get_mut(timer.slot()) {
                *n += 1;
            }
            if let Ok(idx) = self.index(call) {
                self.call_timer(now, idx, timer);
            }
        }
    }

    fn t316_expiry(&mut self, now: Instant) {
        if let Some(n) = self.stats.timer_expiries.get_mut(Timer::T316.slot()) {
            *n += 1;
        }
        let Some(r) = self.restart.as_mut() else {
            return;
        };
        if r.transmissions < self.config.timers.n316.max(1) {
            // Q.931 5.5.1: RESTART sent again.
            r.transmissions += 1;
            let o = r.octets.clone();
            self.push(o);
            self.global_timers
                .start(Timer::T316.slot(), now + self.config.timers.t316);
            return;
        }
        let scope = r.scope.clone();
        for ch in self.scope_channels(&scope) {
            if self.channels.state(ch) == Some(ChannelState::Restarting) {
                self.channels.set(ch, ChannelState::Maintenance);
                self.stats.channels_to_maintenance += 1;
                self.events
                    .push_back(CallEvent::ChannelMaintenance { channel: ch });
            }
        }
        self.stats.restarts_failed += 1;
        self.events.push_back(CallEvent::RestartFailed { scope });
        self.next_restart(now);
    }

    fn call_timer(&mut self, now: Instant, idx: usize, timer: Timer) {
        let Some(c) = self.calls.get(idx) else {
            return;
        };
        let call = c.id;
        match timer {
            Timer::T303 => {
                if c.t303_expiries == 0 {
                    // Q.931 5.1.1: SETUP sent again once.
                    let o = c.setup.clone();
                    if let Some(c) = self.calls.get_mut(idx) {
                        c.t303_expiries = 1;
                    }
                    self.push(o);
                    self.start(idx, Timer::T303, now);
                } else {
                    // Second expiry: the call is given up. RELEASE COMPLETE, cause 102, lets a
                    // peer that got a late SETUP release the call reference too.
                    let cause = self.cause(CauseValue::RecoveryOnTimerExpiry);
                    let cr = c.cr();
                    self.release_complete_to(cr, Some(cause.clone()));
                    self.clear_call(
                        idx,
                        ChannelState::Idle,
                        Some(cause),
                        ClearReason::Timer(Timer::T303),
                        None,
                    );
                }
            }
            Timer::T301 => self.clear_with(
                now,
                idx,
                CauseValue::NoAnswerFromUser,
                ClearReason::Timer(timer),
            ),
            Timer::T302 => self.events.push_back(CallEvent::OverlapTimeout { call }),
            Timer::T304 | Timer::T310 | Timer::T313 => self.clear_with(
                now,
                idx,
                CauseValue::RecoveryOnTimerExpiry,
                ClearReason::Timer(timer),
            ),
            Timer::T305 => {
                // Q.931 5.3.2: RELEASE with the cause of the DISCONNECT.
                let cause = c
                    .clearing_cause
                    .clone()
                    .or_else(|| Some(self.cause(CauseValue::NormalCallClearing)));
                self.start_release(now, idx, cause);
            }
            Timer::T308 => {
                if c.t308_expiries == 0 {
                    let mut msg = self.message(idx, MessageType::Release);
                    if let Some(cause) = c.clearing_cause.clone() {
                        msg.information_elements
                            .push(InformationElement::Cause(cause));
                    }
                    self.send(&msg);
                    if let Some(c) = self.calls.get_mut(idx) {
                        c.t308_expiries = 1;
                    }
                    self.start(idx, Timer::T308, now);
                } else {
                    // Q.931 5.3.4.3: B-channel to maintenance, call reference released.
                    let cause = self.cause(CauseValue::RecoveryOnTimerExpiry);
                    self.clear_call(
                        idx,
                        ChannelState::Maintenance,
                        Some(cause),
                        ClearReason::Timer(Timer::T308),
                        None,
                    );
                }
            }
            Timer::T309 => {
                // Q.931 5.8.9: cleared with cause 27, B-channel released.
                let cause = self.cause(CauseValue::DestinationOutOfOrder);
                self.clear_call(
                    idx,
                    ChannelState::Idle,
                    Some(cause),
                    ClearReason::Timer(Timer::T309),
                    None,
                );
            }
            Timer::T322 => {
                if c.t322_expiries == 0 {
                    // Q.931 5.8.10: STATUS ENQUIRY sent again once, then the call is cleared
                    // with cause 41.
                    let msg = self.message(idx, MessageType::StatusEnquiry);
                    self.send(&msg);
                    self.stats.status_enquiries_sent += 1;
                    if let Some(c) = self.calls.get_mut(idx) {
                        c.t322_expiries = 1;
                    }
                    self.start(idx, Timer::T322, now);
                } else {
                    self.clear_with(
                        now,
                        idx,
                        CauseValue::TemporaryFailure,
                        ClearReason::Timer(Timer::T322),
                    );
                }
            }
            Timer::T316 => {}
        }
    }
}

/// The outcome of reading the B-channel from a first response.
enum FirstResponse {
    Accepted,
    /// Needed (we have no channel after a collision) and absent.
    Missing,
    Unacceptable,
}
