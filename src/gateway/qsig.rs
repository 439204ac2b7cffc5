//! The QSIG side of the gateway (RFC 4497): a PBX on a QSIG D-channel ([`QsigTrunk`]: Q.921
//! and ECMA-143 basic call in a [`DChannel`], its B-channels the circuits) and SIP calls,
//! meeting only through the pure mapping of [`crate::interwork::qsig`].
//!
//! A QSIG call ([`QsigCall`]) is kept apart from the ISUP calls of [`super::call`] (its own
//! table, the SIP handles in the shared `by_sip` index), so that the ISUP paths are unchanged.
//! Every path ends with both legs over: the QSIG call back in the Null state
//! ([`CallEvent::Cleared`], exactly one per call) and the SIP dialog ended.
//!
//! - PBX -> SIP (8.2): SETUP -> INVITE ([`qsig::setup_to_invite`], the B-channel's SDP, the
//!   SETUP itself as application/QSIG to a trusted peer, RFC 3204) and CALL PROCEEDING
//!   (8.2.1.1); 18x -> ALERTING/PROGRESS ([`qsig::backward_for_provisional`]); 2xx -> CONNECT
//!   ([`qsig::ok_to_connect`]); 4xx-6xx -> DISCONNECT ([`qsig::cause_for_response`], 8.4.4);
//!   BYE -> DISCONNECT ([`qsig::cause_for_request`], 8.4.2).
//! - SIP -> PBX (8.3): INVITE routed to a trunk group of QSIG links -> SETUP on a free
//!   B-channel ([`qsig::invite_to_setup`]); ALERTING -> 180, PROGRESS -> 183 (with SDP when
//!   it opens the media, 8.3.5), CONNECT -> 200 ([`qsig::connect_to_200`]); CANCEL/BYE ->
//!   DISCONNECT.
//! - Clearing from the PBX (8.4.1, [`qsig::clearing_for`]): BYE, CANCEL or the final response
//!   of Table 1, each with a Reason: Q.850 header (RFC 3326).
//! - Overlap receiving (8.2.2.1, the en-bloc conversion; 8.2.2.2, overlap carried into SIP,
//!   is not done): a SETUP whose number is not complete (no Sending complete, under 15
//!   digits, and — unless the link says `overlap = "en-bloc"` — no route but the default one
//!   matches) gets SETUP ACKNOWLEDGE; INFORMATION digits are added until the number is
//!   complete or T302 expires, then one INVITE and CALL PROCEEDING.
//! - SIP bridging (RFC 3204, RFC 3372): to a trusted peer every SIP message of the call
//!   carries the QSIG message it stands for as application/QSIG (SETUP in the INVITE,
//!   ALERTING/PROGRESS in the 18x, CONNECT in the 200, the first clearing message in the BYE
//!   or the final response; a CANCEL carries none); from a trusted peer such a message is the
//!   template of ours ([`qsig::setup_from_template`] and the other `*_from_template`), so that
//!   Facility IEs the mapping cannot express reach the PBX. An untrusted peer's bodies are
//!   ignored. A part we cannot use with handling=required: 415 with Accept, or 400.
//! - Within the call (RFC 3372 6, as the ISUP path's INFO): a FACILITY from the PBX, before
//!   or after the answer, goes to a trusted peer in an INFO with the message as
//!   application/QSIG (waiting for the early dialog of the first 18x when none exists yet);
//!   a trusted peer's INFO with a FACILITY becomes a FACILITY to the PBX with its Facility IEs
//!   and other elements ([`qsig::facility_from_template`]). An untrusted peer gets no INFO and
//!   its INFO is answered 200 and ignored; a required part we cannot use: 415 with Accept,
//!   or 400.
//! - Names (ECMA-164): callingName <-> From/P-Asserted-Identity display name,
//!   connectedName <-> the 200's, calledName (ALERTING) <-> the 180's P-Asserted-Identity;
//!   asserted identities only to and from trusted peers.
//! - Reliable provisional responses (RFC 3262): the UA sends the 180/183 reliably when the
//!   INVITE supports 100rel, as for ISUP calls.
//! - The D-channel lost (Q.931 5.8.9): [`crate::qsig::QsigCalls`] clears the calls not active
//!   at once and the active ones after T309, each with a `Cleared` event: the SIP legs are
//!   cleared from it like any other clearing. When the link returns the call layer restarts
//!   the idle B-channels (Q.931 5.5).

use std::collections::VecDeque;

use sipt_codecs::q931::{Cause, CauseValue, Location, Message as QsigMessage};

use super::{Gateway, GatewayError, GatewayEvent};
use crate::config::LinkConfig;
use crate::interwork::body;
use crate::interwork::progress;
use crate::interwork::qsig::{
    self, BackwardSent, QsigBackward, QsigDefaults, SipCallState, SipClearing,
};
use crate::interwork::setup::SetupContext;
use crate::isdn::dchannel::DChannel;
use crate::qsig::{CallEvent, CallId as QsigCallId, ChannelState, ClearReason};
use crate::route::Target as RouteTarget;
use crate::sip::message::{Message as SipMessage, Uri};
use crate::sip::ua::CallHandle;
use crate::time::Instant;

use super::call::{reason_phrase, CallId};

/// One QSIG D-channel and its B-channels.
#[derive(Debug)]
pub struct QsigTrunk {
    pub link: LinkConfig,
    pub dchannel: DChannel,
}

impl QsigTrunk {
    pub fn name(&self) -> &str {
        &self.link.name
    }

    /// A trunk for a `protocol = "qsig"` link: the Q.921 role and the QSIG side both the
    /// link's `role` (ECMA-143 uses the designation only for channel collisions).
    pub fn for_link(link: &LinkConfig) -> Result<QsigTrunk, GatewayError> {
        let (dchannel, _, _) =
            crate::shell::qsig_dchannel(link).map_err(|message| GatewayError::Link {
                link: link.name.clone(),
                message,
            })?;
        Ok(QsigTrunk {
            link: link.clone(),
            dchannel,
        })
    }

    /// Whether every B-channel is idle (none busy, restarting or in maintenance).
    pub fn channels_idle(&self) -> bool {
        self.dchannel
            .calls()
            .channels()
            .iter()
            .all(|(_, s)| *s == ChannelState::Idle)
    }
}

/// A call between a QSIG B-channel and a SIP call.
#[derive(Debug)]
pub struct QsigCall {
    pub id: CallId,
    /// The call came from the PBX (SETUP in, INVITE out).
    pub from_pbx: bool,
    pub trunk: usize,
    pub qsig: Option<QsigCallId>,
    pub channel: Option<u8>,
    pub sip: Option<CallHandle>,
    /// The called number in the routing form.
    pub called: String,
    pub trusted: bool,
    /// SIP targets still to try (503, 408, timeout).
    pub alternates: VecDeque<RouteTarget>,
    /// What went back into the PISN (8.2.1.3).
    pub sent: BackwardSent,
    /// A provisional response came to our INVITE (8.4.1 item 3 rather than 4).
    pub provisional: bool,
    /// The QSIG leg is clearing: DISCONNECT sent or received.
    pub clearing: bool,
    pub answered: bool,
    pub qsig_done: bool,
    pub sip_done: bool,
    pub started: Instant,
    pub cause: Option<u8>,
    pub status: Option<u16>,
    /// The SETUP received (from the PBX), for the application/QSIG body (RFC 3204).
    pub setup: Option<QsigMessage>,
    /// The INVITE (from SIP): 100rel wanted.
    pub reliable: bool,
    /// Overlap receiving (RFC 4497 8.2.2.1): the digits so far, until the number is complete.
    pub digits: Option<qsig::QsigDigits>,
    /// FACILITY messages from the PBX waiting for the SIP dialog their INFO needs (RFC 6086
    /// 4.2: an early or confirmed dialog), at most [`MAX_PENDING_INFO`].
    pub pending_info: Vec<QsigMessage>,
    /// A call from SIP: its INVITE's Call-ID and From tag, by which a later INVITE with more
    /// digits is known (RFC 4497 8.3.9).
    pub invite_key: Option<(String, String)>,
    /// The called party number of the SETUP sent (to the PBX): the type of number and
    /// numbering plan of an INFORMATION's further digits (RFC 4497 8.3.9).
    pub called_number: Option<sipt_codecs::q931::Number>,
}

/// How many FACILITY messages wait for a dialog; more are dropped (a PBX that talks that much
/// before an 18x is not bridged in full).
pub const MAX_PENDING_INFO: usize = 8;

impl QsigCall {
    fn new(id: CallId, from_pbx: bool, trunk: usize, called: String, now: Instant) -> Self {
        QsigCall {
            id,
            from_pbx,
            trunk,
            qsig: None,
            channel: None,
            sip: None,
            called,
            trusted: false,
            alternates: VecDeque::new(),
            sent: BackwardSent::default(),
            provisional: false,
            clearing: false,
            answered: false,
            qsig_done: false,
            sip_done: false,
            started: now,
            cause: None,
            status: None,
            setup: None,
            reliable: false,
            digits: None,
            pending_info: Vec::new(),
            invite_key: None,
            called_number: None,
        }
    }
}

/// What the gateway knows of the peer that sent an INVITE.
#[derive(Debug)]
pub(super) struct SipPeer {
    /// In the `trusted` list: its bodies are read and ours sent (RFC 3372).
    pub trusted: bool,
    /// The SETUP its application/QSIG part carried (RFC 3204), the template of ours.
    pub template: Option<QsigMessage>,
}

/// Causes the gateway gives on the QSIG side (Q.850).
fn cause(value: CauseValue) -> Cause {
    Cause::new(Location::PrivateNetworkLocalUser, value)
}

impl Gateway {
    /// The trunk groups that have QSIG links.
    pub(super) fn is_qsig_group(&self, group: &str) -> bool {
        self.qsig_trunks
            .iter()
            .any(|t| t.link.trunk_group.as_deref() == Some(group))
    }

    fn qsig_defaults(&self, trusted: bool) -> QsigDefaults {
        let mut d = QsigDefaults {
            peer_trusted: trusted,
            ..QsigDefaults::default()
        };
        d.numbering.country_code = self.settings.country_code.clone();
        d
    }

    /// The SDP of a B-channel's media endpoint (as for a CIC; fallback ports from 20000).
    fn channel_sdp(&self, trunk: usize, channel: u8, version: u64) -> Vec<u8> {
        let link = self.qsig_trunks.get(trunk).map(|t| &t.link);
        self.media_sdp(link, u16::from(channel), 20000, version)
    }

    fn refused(&mut self, id: CallId, what: String) {
        self.events.push_back(GatewayEvent::Refused {
            call: Some(id.0),
            what,
        });
    }

    // ------------------------------------------------------------------ QSIG events

    pub(super) fn qsig_event(&mut self, now: Instant, trunk: usize, e: CallEvent) {
        let lookup = |gw: &Gateway, q: &QsigCallId| gw.by_qsig.get(&(trunk, *q)).copied();
        match e {
            CallEvent::IncomingCall(ic) => self.incoming_setup(now, trunk, *ic),
            CallEvent::Proceeding { .. } | CallEvent::SetupAcknowledged { .. } => {}
            CallEvent::Alerting { call, message, .. } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_backward(now, id, 180, &message);
                }
            }
            CallEvent::Progress { call, message, .. } => {
                if let Some(id) = lookup(self, &call) {
                    if qsig::opens_media(&message) {
                        self.qsig_backward(now, id, 183, &message);
                    }
                }
            }
            CallEvent::Connected { call, message, .. } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_connected(now, id, &message);
                }
            }
            CallEvent::Disconnected {
                call,
                cause,
                message,
            } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_clearing(now, id, cause, None, Some(&message));
                }
            }
            CallEvent::Cleared {
                call,
                cause,
                reason,
                message,
            } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_clearing(now, id, cause, Some(reason), message.as_ref());
                    self.by_qsig.remove(&(trunk, call));
                    if let Some(c) = self.qcalls.get_mut(&id) {
                        c.qsig_done = true;
                    }
                    self.qsig_settle(now, id);
                }
            }
            CallEvent::OverlapTimeout { call } => match lookup(self, &call) {
                // RFC 4497 8.2.2.1.2: T302 expired: the number is what came.
                Some(id) if self.qcalls.get(&id).is_some_and(|c| c.digits.is_some()) => {
                    self.qsig_digits_done(now, id, true)
                }
                // Q.931 table 9-1: not ours to collect: "invalid number format".
                _ => {
                    self.dchannel_do(now, trunk, |c| {
                        c.disconnect(now, call, CauseValue::InvalidNumberFormat)
                    });
                }
            },
            CallEvent::Information { call, message, .. } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_information(now, id, &message);
                }
            }
            CallEvent::Facility { call, message } => {
                if let Some(id) = lookup(self, &call) {
                    self.qsig_facility_to_sip(now, id, message);
                }
            }
            CallEvent::ConnectAcknowledged { .. }
            | CallEvent::Notify { .. }
            | CallEvent::Status { .. }
            | CallEvent::Restarted { .. }
            | CallEvent::RestartFailed { .. }
            | CallEvent::ChannelMaintenance { .. } => {}
        }
    }

    fn dchannel_do<R>(
        &mut self,
        now: Instant,
        trunk: usize,
        f: impl FnOnce(&mut crate::qsig::QsigCalls) -> Result<R, crate::qsig::Error>,
    ) -> Option<R> {
        let t = self.qsig_trunks.get_mut(trunk)?;
        match t.dchannel.with_calls(now, f) {
            Ok(r) => Some(r),
            Err(e) => {
                self.events.push_back(GatewayEvent::Refused {
                    call: None,
                    what: format!("QSIG: {e}"),
                });
                None
            }
        }
    }

    // ============================================================ from the PBX

    /// SETUP received (RFC 4497 8.2.1.1).
    fn incoming_setup(&mut self, now: Instant, trunk: usize, ic: crate::qsig::IncomingCall) {
        let called = qsig::called_text(&ic.message).unwrap_or_default();
        let name = self
            .qsig_trunks
            .get(trunk)
            .map_or("", |t| t.name())
            .to_string();
        let id = self.start_call(true, name, Some(u16::from(ic.channel)), &called);
        let mut call = QsigCall::new(id, true, trunk, called.clone(), now);
        call.qsig = Some(ic.call);
        call.channel = Some(ic.channel);
        let digits = qsig::QsigDigits::from_setup(&ic.message);
        call.setup = Some(ic.message);
        call.sip_done = true; // no SIP leg yet
        let collect = !self.qsig_number_complete(trunk, &digits);
        if collect {
            call.digits = Some(digits);
        }
        self.by_qsig.insert((trunk, ic.call), id);
        self.qcalls.insert(id, call);
        if collect {
            // RFC 4497 8.2.2.1.1: SETUP ACKNOWLEDGE, T302 (the call layer's), and the digits
            // of INFORMATION messages until the number is complete.
            let q = ic.call;
            self.dchannel_do(now, trunk, |c| {
                c.setup_acknowledge(now, q, crate::qsig::Response::default())
            });
            return;
        }
        match self.routes.lookup(&called) {
            Some(d) => {
                if let Some(c) = self.qcalls.get_mut(&id) {
                    c.alternates = d.targets.into();
                }
                self.qsig_next_target(now, id, CauseValue::NoRouteToDestination);
            }
            None => self.qsig_disconnect(now, id, cause(CauseValue::NoRouteToDestination)),
        }
    }

    /// Whether the gateway can determine the called number to be complete (RFC 4497 8.2.2:
    /// "timers; numbering plan information; the presence of a Sending complete"): Sending
    /// complete or the 15 digits of E.164 ([`qsig::QsigDigits::is_complete`]); and, on a link
    /// without `overlap = "en-bloc"` (or `"sip"`, which is taken as en-bloc here: 8.2.2.2,
    /// overlap carried into SIP, is not done), a route other than the default one (prefix
    /// "") that matches the number — the routing table is the numbering plan information.
    /// With `overlap = "en-bloc"` only Sending complete, 15 digits or T302 end the number.
    fn qsig_number_complete(&self, trunk: usize, digits: &qsig::QsigDigits) -> bool {
        if digits.is_complete() {
            return true;
        }
        let en_bloc = self
            .qsig_trunks
            .get(trunk)
            .is_some_and(|t| t.link.overlap != crate::interwork::overlap::Overlap::None);
        !en_bloc
            && self
                .routes
                .lookup(digits.number())
                .is_some_and(|d| !d.prefix.is_empty())
    }

    /// INFORMATION in overlap receiving (8.2.2.1.2): the digits join the number; the call is
    /// routed once it is complete (the call layer restarts T302 otherwise).
    fn qsig_information(&mut self, now: Instant, id: CallId, info: &QsigMessage) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let trunk = c.trunk;
        let Some(d) = c.digits.as_mut() else {
            return;
        };
        d.add_information(info);
        let d = d.clone();
        if self.qsig_number_complete(trunk, &d) {
            self.qsig_digits_done(now, id, false);
        }
    }

    /// The collected number is the called number (8.2.2.1.2: "the concatenation of
    /// information in the Called party number information element in the received QSIG SETUP
    /// and INFORMATION messages"): it goes into the SETUP (the template of the INVITE and its
    /// application/QSIG body) and the call is routed, with CALL PROCEEDING. No route: cause
    /// 28 after T302 (the number was never complete, Q.931 table 9-1), 3 otherwise.
    fn qsig_digits_done(&mut self, now: Instant, id: CallId, timer: bool) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.digits.take() else {
            return;
        };
        c.called = d.number().to_string();
        if let Some(setup) = c.setup.as_mut() {
            qsig::set_called_digits(setup, d.number());
        }
        let called = c.called.clone();
        match self.routes.lookup(&called) {
            Some(r) => {
                if let Some(c) = self.qcalls.get_mut(&id) {
                    c.alternates = r.targets.into();
                }
                self.qsig_next_target(now, id, CauseValue::NoRouteToDestination);
            }
            None if timer => self.qsig_disconnect(now, id, cause(CauseValue::InvalidNumberFormat)),
            None => self.qsig_disconnect(now, id, cause(CauseValue::NoRouteToDestination)),
        }
    }

    /// The INVITE to the next SIP target; DISCONNECT with `if_none` when none is left.
    fn qsig_next_target(&mut self, now: Instant, id: CallId, if_none: CauseValue) {
        loop {
            let Some(c) = self.qcalls.get_mut(&id) else {
                return;
            };
            let Some(target) = c.alternates.pop_front() else {
                return self.qsig_disconnect(now, id, cause(if_none));
            };
            let RouteTarget::Sip { uri } = target else {
                continue; // QSIG to another trunk is not done here.
            };
            let (trunk, channel) = (c.trunk, c.channel.unwrap_or(0));
            let Ok(uri) = Uri::parse(&uri) else {
                continue;
            };
            let targets = self.locate(&uri);
            let Some(first) = targets.first() else {
                continue;
            };
            let trusted = self.trusted(first);
            let Some(setup) = self.qcalls.get(&id).and_then(|c| c.setup.clone()) else {
                return;
            };
            let ctx = SetupContext {
                host: &self.settings.host,
                trusted,
                country_code: self.settings.country_code.as_deref(),
                diversion_header: self.settings.diversion_header,
            };
            let headers = qsig::setup_to_invite(&setup, &ctx);
            let sdp = self.channel_sdp(trunk, channel, 1);
            // RFC 3204 / issue 6: the SETUP itself to a trusted peer, so that what the
            // mapping cannot express still reaches a far PBX.
            let octets = setup.to_bytes().ok();
            let body = body::build_qsig(
                (!sdp.is_empty()).then_some(sdp.as_slice()),
                octets.as_deref(),
                trusted,
            );
            let r = self.ua.invite_with(
                now,
                headers.from,
                uri.clone(),
                targets,
                &headers.headers,
                body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
            );
            match r {
                Ok(h) => {
                    let first_target = self.qcalls.get(&id).is_some_and(|c| c.sip.is_none());
                    if let Some(c) = self.qcalls.get_mut(&id) {
                        c.sip = Some(h);
                        c.sip_done = false;
                        c.trusted = trusted;
                    }
                    self.by_sip.insert(h, id);
                    self.events.push_back(GatewayEvent::CallRouted {
                        call: id.0,
                        to: uri.to_string(),
                        cic: Some(u16::from(channel)),
                        added_us: None,
                    });
                    if first_target {
                        // RFC 4497 8.2.1.1: CALL PROCEEDING once the INVITE is on its way.
                        if let Some(q) = self.qcalls.get(&id).and_then(|c| c.qsig) {
                            self.dchannel_do(now, trunk, |c| {
                                c.proceeding(now, q, crate::qsig::Response::default())
                            });
                        }
                    }
                    return;
                }
                Err(e) => self.refused(id, format!("INVITE to {uri}: {e}")),
            }
        }
    }

    /// Clears the QSIG leg with DISCONNECT (Q.931 5.3.2), once.
    fn qsig_disconnect(&mut self, now: Instant, id: CallId, cause: Cause) {
        self.qsig_disconnect_with(now, id, cause, Vec::new())
    }

    /// [`Gateway::qsig_disconnect`] with further elements (from an encapsulated message).
    fn qsig_disconnect_with(
        &mut self,
        now: Instant,
        id: CallId,
        cause: Cause,
        extra: Vec<sipt_codecs::q931::InformationElement>,
    ) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.clearing || c.qsig_done {
            return self.qsig_settle(now, id);
        }
        c.clearing = true;
        if c.cause.is_none() {
            c.cause = Some(cause.cause_value.code());
        }
        let (trunk, q) = (c.trunk, c.qsig);
        if let Some(q) = q {
            self.dchannel_do(now, trunk, |calls| {
                calls.disconnect_with(now, q, cause, extra)
            });
        }
        self.qsig_settle(now, id);
    }

    // ------------------------------------------------------------------ SIP events

    /// A SIP event about a QSIG call; false when `h` is not one.
    pub(super) fn qsig_ua_event(&mut self, now: Instant, e: &crate::sip::ua::UaEvent) -> bool {
        use crate::sip::ua::UaEvent;
        let h = match e {
            UaEvent::Progress { call, .. }
            | UaEvent::Answered { call, .. }
            | UaEvent::Rejected { call, .. }
            | UaEvent::TimedOut { call }
            | UaEvent::Cancelled { call, .. }
            | UaEvent::Ended { call, .. }
            | UaEvent::Request { call, .. } => *call,
            _ => return false,
        };
        let Some(&id) = self.by_sip.get(&h) else {
            return false;
        };
        if !self.qcalls.contains_key(&id) {
            return false;
        }
        match e {
            UaEvent::Progress { response, .. } => self.qsig_sip_progress(now, id, response),
            UaEvent::Answered { response, .. } => self.qsig_sip_answered(now, id, response),
            UaEvent::Rejected { response, .. } => self.qsig_sip_rejected(now, id, Some(response)),
            UaEvent::TimedOut { .. } => self.qsig_sip_rejected(now, id, None),
            UaEvent::Cancelled { reason, .. } => {
                let c = reason_cause(reason.as_deref());
                self.qsig_sip_ended(now, id, c, Vec::new())
            }
            UaEvent::Ended { reason, bye, .. } => {
                let c = match bye {
                    Some(b) => qsig::cause_for_request(b),
                    None => reason_cause(reason.as_deref()),
                };
                // RFC 3204: a trusted peer's BYE may carry the far PBX's clearing message.
                let trusted = self.qcalls.get(&id).is_some_and(|c| c.trusted);
                match bye
                    .as_ref()
                    .and_then(|b| encapsulated(b, trusted, qsig::CLEARING_TYPES))
                {
                    Some(t) => {
                        let (c, extra) = qsig::clearing_from_template(c, &t);
                        self.qsig_sip_ended(now, id, c, extra)
                    }
                    None => self.qsig_sip_ended(now, id, c, Vec::new()),
                }
            }
            UaEvent::Request {
                request, key, call, ..
            } => {
                let c = self.qcalls.get(&id);
                let (status, body) = match (request.method(), c) {
                    (
                        Some(
                            crate::sip::message::Method::Invite
                            | crate::sip::message::Method::Update,
                        ),
                        Some(c),
                    ) => {
                        let sdp = self.channel_sdp(c.trunk, c.channel.unwrap_or(0), 2);
                        (
                            200,
                            (!sdp.is_empty()).then(|| ("application/sdp".to_string(), sdp)),
                        )
                    }
                    (Some(crate::sip::message::Method::Info), Some(_)) => {
                        (self.qsig_sip_info(now, id, request), None)
                    }
                    _ => (501, None),
                };
                let _ = call;
                // RFC 3261 21.4.13: a 415 says what we accept.
                let accept = [("Accept", body::accept().to_string())];
                let headers: &[(&str, String)] = if status == 415 { &accept } else { &[] };
                let _ = self.ua.respond_request_with(
                    now,
                    key,
                    request,
                    status,
                    reason_phrase(status),
                    headers,
                    body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
                );
            }
            _ => {}
        }
        true
    }

    /// A 1xx to our INVITE: ALERTING or PROGRESS (8.2.1.2, 8.2.1.3).
    fn qsig_sip_progress(&mut self, now: Instant, id: CallId, response: &SipMessage) {
        let trusted = self.qcalls.get(&id).is_some_and(|c| c.trusted);
        // ECMA-164: the 180's asserted display name as calledName.
        let called_name = qsig::provisional_called_name(response, &self.qsig_defaults(trusted));
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let status = response.status().unwrap_or(0);
        if status > 100 {
            c.provisional = true;
        }
        if c.answered || c.clearing || !c.from_pbx {
            return;
        }
        let inband = body::split(response, false)
            .ok()
            .is_some_and(|b| b.sdp.is_some());
        // RFC 6086 4.2: the early dialog of this 18x can carry the FACILITY that waited.
        self.qsig_flush_info(now, id);
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let Some(back) = qsig::backward_for_provisional(status, c.sent, inband) else {
            return;
        };
        let (trunk, Some(q)) = (c.trunk, c.qsig) else {
            return;
        };
        let template = encapsulated(response, trusted, qsig::qsig_types_for_status(status));
        let back = match back {
            QsigBackward::Alerting(mut r) => {
                r.extra
                    .extend(called_name.and_then(qsig::called_name_facility));
                QsigBackward::Alerting(r)
            }
            b => b,
        };
        // RFC 3204: the far PBX's ALERTING or PROGRESS is the template.
        let back = match (back, &template) {
            (QsigBackward::Alerting(r), Some(t)) => {
                QsigBackward::Alerting(qsig::response_from_template(r, t))
            }
            (QsigBackward::Progress(r), Some(t)) => {
                QsigBackward::Progress(qsig::response_from_template(r, t))
            }
            (b, None) => b,
        };
        match back {
            QsigBackward::Alerting(r) => {
                c.sent.alerting = true;
                self.events
                    .push_back(GatewayEvent::CallAlerting { call: id.0 });
                self.dchannel_do(now, trunk, |calls| calls.alerting(now, q, r));
            }
            QsigBackward::Progress(r) => {
                c.sent.progress_1 = true;
                if let Some(p) = r.progress {
                    self.dchannel_do(now, trunk, |calls| calls.progress(now, q, p, r.extra));
                }
            }
        }
    }

    /// A 2xx to our INVITE: CONNECT (8.2.1.4, 9.2.3).
    fn qsig_sip_answered(&mut self, now: Instant, id: CallId, response: &SipMessage) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.answered || !c.from_pbx {
            return;
        }
        if c.clearing {
            // The PBX cleared while the INVITE was out (8.4.1 item 4): BYE now.
            if let Some(h) = c.sip {
                let _ = self.ua.hangup(now, h);
            }
            c.sip_done = true;
            return self.qsig_settle(now, id);
        }
        c.answered = true;
        let (trunk, q, trusted) = (c.trunk, c.qsig, c.trusted);
        self.stats.calls_answered += 1;
        self.events
            .push_back(GatewayEvent::CallAnswered { call: id.0 });
        let d = self.qsig_defaults(trusted);
        let r = qsig::ok_to_connect(response, &d);
        // RFC 3204: the far PBX's CONNECT is the template.
        let r = match encapsulated(
            response,
            trusted,
            &[sipt_codecs::q931::MessageType::Connect],
        ) {
            Some(t) => qsig::connect_from_template(r, &t),
            None => r,
        };
        if let Some(q) = q {
            self.dchannel_do(now, trunk, |calls| calls.connect(now, q, r));
        }
        self.qsig_flush_info(now, id);
    }

    /// Our INVITE failed: the next target on 503/408/timeout, else DISCONNECT (8.4.4, 8.4.5).
    fn qsig_sip_rejected(&mut self, now: Instant, id: CallId, response: Option<&SipMessage>) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let status = response.and_then(SipMessage::status).unwrap_or(408);
        c.status = Some(status);
        c.sip_done = true;
        if !c.from_pbx {
            return self.qsig_settle(now, id);
        }
        if let Some(h) = c.sip {
            self.by_sip.remove(&h);
            self.ua.forget(h);
        }
        let c = match self.qcalls.get_mut(&id) {
            Some(c) => c,
            None => return,
        };
        if matches!(status, 408 | 503) && !c.alternates.is_empty() && !c.clearing {
            c.sip = None;
            let fallback = if response.is_none() {
                CauseValue::RecoveryOnTimerExpiry
            } else {
                CauseValue::from_code(qsig::cause_for_status(status, None))
            };
            return self.qsig_next_target(now, id, fallback);
        }
        let trusted = c.trusted;
        let cause = match response {
            Some(r) => qsig::cause_for_response(r),
            // 8.4.5: a SIP timer: 102.
            None => Cause::new(Location::PrivateNetworkLocalUser, {
                qsig::cause_for_failure(qsig::GatewayFailure::SipTimer)
                    .unwrap_or(CauseValue::RecoveryOnTimerExpiry)
            }),
        };
        // RFC 3204: the far PBX's clearing message gives the cause and what rides with it.
        match response.and_then(|r| encapsulated(r, trusted, qsig::CLEARING_TYPES)) {
            Some(t) => {
                let (cause, extra) = qsig::clearing_from_template(cause, &t);
                self.qsig_disconnect_with(now, id, cause, extra)
            }
            None => self.qsig_disconnect(now, id, cause),
        }
    }

    /// BYE or CANCEL from SIP: DISCONNECT (8.4.2, 8.4.3).
    fn qsig_sip_ended(
        &mut self,
        now: Instant,
        id: CallId,
        cause: Cause,
        extra: Vec<sipt_codecs::q931::InformationElement>,
    ) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.sip_done {
            return self.qsig_settle(now, id);
        }
        c.sip_done = true;
        if !c.answered && c.status.is_none() {
            c.status = Some(487);
        }
        self.qsig_disconnect_with(now, id, cause, extra);
    }

    // ============================================================ from SIP

    /// An INVITE whose route's first trunk group has QSIG links goes to
    /// [`Gateway::qsig_incoming_invite`]; false (the ISUP path's) otherwise.
    pub(super) fn qsig_route_invite(
        &mut self,
        now: Instant,
        h: CallHandle,
        invite: &SipMessage,
    ) -> bool {
        if self.qsig_trunks.is_empty() {
            return false;
        }
        let Some(Ok(number)) = invite
            .request_uri()
            .map(crate::interwork::numbers::uri_number)
        else {
            return false;
        };
        let key = invite.call_id().ok().zip(invite.from_tag().ok().flatten());
        if let Some(id) = key.as_ref().and_then(|k| self.by_invite.get(k)).copied() {
            if self.qcalls.contains_key(&id) {
                self.qsig_overlap_invite(now, id, h, &number);
                return true;
            }
            // A call of the ISUP path: its overlap (RFC 3578 3.5) is that path's.
            return false;
        }
        let Some(decision) = self.routes.lookup(&number) else {
            return false;
        };
        let group = decision.targets.iter().find_map(|t| match t {
            RouteTarget::Trunk { group } => Some(group.clone()),
            RouteTarget::Sip { .. } => None,
        });
        let Some(group) = group.filter(|g| self.is_qsig_group(g)) else {
            return false;
        };
        let trusted = self.request_trusted(invite);
        // RFC 3204 6: a part we cannot use with handling=required: 415 (with Accept, RFC
        // 3261 21.4.13) or 400; the SETUP of a trusted peer is the template of ours.
        let template = match qsig::invite_setup(invite, trusted) {
            Ok(t) => t,
            Err(p) => {
                let accept = [("Accept", body::accept().to_string())];
                let headers: &[(&str, String)] = if p.status() == 415 { &accept } else { &[] };
                let _ = self
                    .ua
                    .respond_with(now, h, p.status(), &p.reason_phrase(), headers, None);
                self.ua.forget(h);
                return true;
            }
        };
        let peer = SipPeer { trusted, template };
        self.qsig_incoming_invite(now, h, invite, &group, &decision.number, peer);
        true
    }

    /// RFC 4497 8.3.9: an INVITE with the Call-ID and From tag (and no To tag) of a call to
    /// the PBX still in its address phase, whose number extends the call's: an INFORMATION
    /// with only the additional digits, and 484 to the earlier INVITE; the call goes on with
    /// the new one. A number that is not an extension: 485 Ambiguous to the new INVITE. After
    /// the address phase (a final response sent, the PBX alerting or answering, clearing):
    /// 484, as the ISUP path does (RFC 3578 3.5).
    fn qsig_overlap_invite(&mut self, now: Instant, id: CallId, h: CallHandle, number: &str) {
        let refuse = |gw: &mut Gateway, status: u16, phrase: &str| {
            let _ = gw.ua.respond_with(now, h, status, phrase, &[], None);
            gw.ua.forget(h);
        };
        let Some(c) = self.qcalls.get(&id) else {
            return refuse(self, 484, "Address Incomplete");
        };
        // "the gateway has not yet sent a final response other than 484 to the previously
        // received SIP INVITE request" (8.3.9).
        let in_setup = !c.from_pbx && !c.answered && !c.clearing && !c.qsig_done && !c.sip_done;
        let (Some(q), Some(old_h), Some(template), true) =
            (c.qsig, c.sip, c.called_number.clone(), in_setup)
        else {
            return refuse(self, 484, "Call Past Its Address Phase");
        };
        let trunk = c.trunk;
        let info = match qsig::overlap_invite(&c.called, number, &template) {
            qsig::OverlapInvite::Information(info) => info,
            qsig::OverlapInvite::Ambiguous => return refuse(self, 485, "Ambiguous"),
        };
        let sent = self
            .qsig_trunks
            .get_mut(trunk)
            .map(|t| t.dchannel.with_calls(now, |c| c.information(now, q, info)));
        if !matches!(sent, Some(Ok(()))) {
            return refuse(self, 484, "Address Incomplete");
        }
        let _ = self
            .ua
            .respond_with(now, old_h, 484, "Address Incomplete", &[], None);
        self.by_sip.remove(&old_h);
        self.ua.forget(old_h);
        self.by_sip.insert(h, id);
        if let Some(c) = self.qcalls.get_mut(&id) {
            c.sip = Some(h);
            c.called = number.to_string();
        }
    }

    /// An INVITE routed to a trunk group with QSIG links (RFC 4497 8.3.1): SETUP on a free
    /// B-channel of the first QSIG trunk of the group whose data link is up.
    pub(super) fn qsig_incoming_invite(
        &mut self,
        now: Instant,
        h: CallHandle,
        invite: &SipMessage,
        group: &str,
        number: &str,
        peer: SipPeer,
    ) {
        let SipPeer { trusted, template } = peer;
        let id = self.start_call(false, String::new(), None, number);
        let mut call = QsigCall::new(id, false, 0, number.to_string(), now);
        call.sip = Some(h);
        call.trusted = trusted;
        call.reliable = qsig::wants_100rel(invite);
        call.qsig_done = true; // no QSIG call yet
        if let (Ok(call_id), Ok(Some(tag))) = (invite.call_id(), invite.from_tag()) {
            self.by_invite.insert((call_id.clone(), tag.clone()), id);
            call.invite_key = Some((call_id, tag));
        }
        self.by_sip.insert(h, id);
        self.qcalls.insert(id, call);
        let d = self.qsig_defaults(trusted);
        let req = match qsig::invite_to_setup(invite, number, &d) {
            // RFC 3204 / issue 6: SIP bridging: the far PBX's SETUP with what SIP changed.
            Ok(r) => match &template {
                Some(t) => qsig::setup_from_template(r, t),
                None => r,
            },
            Err(_) => return self.qsig_clear_sip(now, id, &cause(CauseValue::InvalidNumberFormat)),
        };
        let trunks: Vec<usize> = self
            .qsig_trunks
            .iter()
            .enumerate()
            .filter(|(_, t)| {
                t.link.trunk_group.as_deref() == Some(group)
                    && t.dchannel.calls().data_link_established()
            })
            .map(|(i, _)| i)
            .collect();
        for trunk in trunks {
            let Some(t) = self.qsig_trunks.get_mut(trunk) else {
                continue;
            };
            // 8.3.1: Sending complete MAY be included when the gateway can tell the number is
            // complete. On a link with overlap signalling (`overlap` other than "none") it is
            // left out, so that a later INVITE with more digits can go on in INFORMATION
            // (8.3.9); elsewhere an INVITE carries the whole number.
            let mut req = req.clone();
            if t.link.overlap != crate::interwork::overlap::Overlap::None {
                req.sending_complete = false;
            }
            let r = t.dchannel.with_calls(now, |c| c.setup(now, req.clone()));
            let Ok(q) = r else {
                continue;
            };
            let channel = t.dchannel.calls().call_channel(q);
            if let Some(c) = self.qcalls.get_mut(&id) {
                c.trunk = trunk;
                c.qsig = Some(q);
                c.channel = channel;
                c.qsig_done = false;
                c.called_number = Some(req.called.clone());
            }
            self.by_qsig.insert((trunk, q), id);
            self.events.push_back(GatewayEvent::CallRouted {
                call: id.0,
                to: format!("trunk:{group}"),
                cic: channel.map(u16::from),
                added_us: None,
            });
            // The SETUP's own events (none expected before delivery) are taken by the pump.
            return;
        }
        self.qsig_clear_sip(now, id, &cause(CauseValue::from_code(34)));
    }

    /// ALERTING (180) or PROGRESS (183) on a call from SIP (8.3.3, 8.3.4): with the
    /// B-channel's SDP when the message opens the media (8.3.5).
    fn qsig_backward(&mut self, now: Instant, id: CallId, status: u16, message: &QsigMessage) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.from_pbx || c.answered || c.sip_done {
            return;
        }
        if status == 180 {
            self.events
                .push_back(GatewayEvent::CallAlerting { call: id.0 });
        }
        let (trunk, channel, h, trusted) = (c.trunk, c.channel.unwrap_or(0), c.sip, c.trusted);
        let called = c.called.clone();
        let sdp = qsig::opens_media(message)
            .then(|| self.channel_sdp(trunk, channel, 1))
            .filter(|s| !s.is_empty());
        // ECMA-164 calledName in ALERTING: the 180's P-Asserted-Identity (trusted peers).
        let headers = if status == 180 {
            let ctx = SetupContext {
                host: &self.settings.host,
                trusted,
                country_code: self.settings.country_code.as_deref(),
                diversion_header: self.settings.diversion_header,
            };
            qsig::alerting_to_180(message, &called, &ctx)
        } else {
            Vec::new()
        };
        // RFC 3204: the ALERTING or PROGRESS itself to a trusted peer. The UA sends the 18x
        // reliably when the INVITE supports 100rel (RFC 3262 3; RFC 4497 8.3.3, 8.3.4).
        let octets = message.to_bytes().ok();
        let body = body::build_qsig(sdp.as_deref(), octets.as_deref(), trusted);
        if let Some(h) = h {
            let body = body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone()));
            if let Err(e) =
                self.ua
                    .respond_with(now, h, status, reason_phrase(status), &headers, body)
            {
                self.refused(id, format!("{status}: {e}"));
            }
        }
        // RFC 6086 4.2: the 18x made the early dialog a waiting FACILITY's INFO needs.
        self.qsig_flush_info(now, id);
    }

    /// CONNECT on a call from SIP: 200 with the connected identity (8.3.6, 9.1.3).
    fn qsig_connected(&mut self, now: Instant, id: CallId, message: &QsigMessage) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.from_pbx || c.answered || c.sip_done {
            return;
        }
        c.answered = true;
        let (trunk, channel, h, trusted) = (c.trunk, c.channel.unwrap_or(0), c.sip, c.trusted);
        self.stats.calls_answered += 1;
        self.events
            .push_back(GatewayEvent::CallAnswered { call: id.0 });
        let ctx = SetupContext {
            host: &self.settings.host,
            trusted,
            country_code: self.settings.country_code.as_deref(),
            diversion_header: self.settings.diversion_header,
        };
        let headers = qsig::connect_to_200(message, &ctx);
        let sdp = self.channel_sdp(trunk, channel, 1);
        // RFC 3204: the CONNECT itself to a trusted peer.
        let octets = message.to_bytes().ok();
        let body = body::build_qsig(
            (!sdp.is_empty()).then_some(sdp.as_slice()),
            octets.as_deref(),
            trusted,
        );
        if let Some(h) = h {
            let body = body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone()));
            if let Err(e) = self.ua.respond_with(now, h, 200, "OK", &headers, body) {
                self.refused(id, format!("200: {e}"));
            }
        }
        self.qsig_flush_info(now, id);
    }

    /// The first clearing from the QSIG side (DISCONNECT received, or the call layer cleared
    /// the call: a timer, an error, the data link lost): the SIP leg is cleared as 8.4.1 says.
    fn qsig_clearing(
        &mut self,
        now: Instant,
        id: CallId,
        cause_ie: Option<Cause>,
        reason: Option<ClearReason>,
        message: Option<&QsigMessage>,
    ) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        let ours = c.clearing && matches!(reason, Some(ClearReason::Local) | None);
        c.clearing = true;
        if ours || c.sip_done {
            return;
        }
        let cause_ie = cause_ie.unwrap_or_else(|| {
            cause(match reason {
                Some(ClearReason::DataLinkFailure) => CauseValue::TemporaryFailure,
                Some(ClearReason::Timer(_)) => CauseValue::RecoveryOnTimerExpiry,
                _ => CauseValue::NormalCallClearing,
            })
        });
        if c.cause.is_none() {
            c.cause = Some(cause_ie.cause_value.code());
        }
        let message = message.filter(|m| qsig::CLEARING_TYPES.contains(&m.message_type));
        self.qsig_clear_sip_with(now, id, &cause_ie, message);
    }

    /// Clears the SIP leg for a QSIG cause (8.4.1) with a Reason header.
    fn qsig_clear_sip(&mut self, now: Instant, id: CallId, cause_ie: &Cause) {
        self.qsig_clear_sip_with(now, id, cause_ie, None);
    }

    /// [`Gateway::qsig_clear_sip`]; to a trusted peer the BYE or the final response carries
    /// the clearing message (RFC 3204; the PBX's own when at hand, else a DISCONNECT with the
    /// cause, as the ISUP side sends a REL made from the cause). A CANCEL carries no body.
    fn qsig_clear_sip_with(
        &mut self,
        now: Instant,
        id: CallId,
        cause_ie: &Cause,
        message: Option<&QsigMessage>,
    ) {
        let Some(c) = self.qcalls.get(&id) else {
            return;
        };
        let trusted = c.trusted;
        let octets = trusted
            .then(|| match message {
                Some(m) => m.to_bytes().ok(),
                None => qsig::disconnect_message(cause_ie).to_bytes().ok(),
            })
            .flatten();
        let body = body::build_qsig(None, octets.as_deref(), trusted);
        let body = body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone()));
        let (Some(h), false) = (c.sip, c.sip_done) else {
            return self.qsig_settle(now, id);
        };
        let state = match (c.from_pbx, c.answered, c.provisional) {
            (false, false, _) => SipCallState::InviteReceived,
            (_, true, _) => SipCallState::Confirmed,
            (true, false, true) => SipCallState::ProvisionalReceived,
            (true, false, false) => SipCallState::NoResponse,
        };
        let headers = [("Reason", qsig::reason_header(cause_ie))];
        let r = match qsig::clearing_for(state, cause_ie) {
            SipClearing::Response(status) => {
                if let Some(c) = self.qcalls.get_mut(&id) {
                    c.status = Some(status);
                }
                self.ua
                    .respond_with(now, h, status, reason_phrase(status), &headers, body)
            }
            // The UA sends the BYE once the ACK is in, and a CANCEL only after a provisional
            // response (RFC 3261 9.1), as 8.4.1 items 2 and 4 ask.
            SipClearing::Bye | SipClearing::ByeAfterAck => {
                self.ua.hangup_with(now, h, None, &headers, body)
            }
            SipClearing::Cancel | SipClearing::AwaitResponse => {
                self.ua.hangup_with(now, h, None, &headers, None)
            }
        };
        if let Err(e) = r {
            self.refused(id, format!("clearing the SIP leg: {e}"));
        }
        if let Some(c) = self.qcalls.get_mut(&id) {
            c.sip_done = true;
        }
        self.qsig_settle(now, id);
    }

    // ------------------------------------------------------------------ within the call

    /// FACILITY from the PBX during the call, before or after the answer: to a trusted peer
    /// the message itself in an INFO, as application/QSIG (RFC 3204; RFC 3372 6, as the ISUP
    /// path sends mid-call ISUP), so that the operations the mapping cannot express reach the
    /// far PBX. An untrusted peer gets nothing (RFC 3372: no bodies it cannot be trusted
    /// with); nothing goes once either leg is clearing. Before the INVITE has gone or the
    /// dialog exists (no 18x or 2xx yet) the message waits ([`Gateway::qsig_flush_info`]).
    fn qsig_facility_to_sip(&mut self, now: Instant, id: CallId, message: QsigMessage) {
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.clearing || (c.sip.is_some() && (c.sip_done || !c.trusted)) {
            return;
        }
        if c.pending_info.len() >= MAX_PENDING_INFO {
            return self.refused(id, "FACILITY: too many waiting for a SIP dialog".into());
        }
        c.pending_info.push(message);
        self.qsig_flush_info(now, id);
    }

    /// Sends the FACILITY messages that waited, in order, each in an INFO, once the SIP leg
    /// has a dialog (RFC 6086 4.2). Those of a call whose peer is untrusted are dropped.
    fn qsig_flush_info(&mut self, now: Instant, id: CallId) {
        use crate::sip::message::Method;
        use crate::sip::ua::UaError;
        let Some(c) = self.qcalls.get_mut(&id) else {
            return;
        };
        if c.pending_info.is_empty() {
            return;
        }
        let Some(h) = c.sip.filter(|_| !c.sip_done && !c.clearing) else {
            if c.sip.is_some() || c.clearing {
                c.pending_info.clear();
            }
            return;
        };
        if !c.trusted {
            c.pending_info.clear();
            return;
        }
        let pending = std::mem::take(&mut c.pending_info);
        let mut left = pending.into_iter();
        for m in left.by_ref() {
            let Some((ct, b)) = m
                .to_bytes()
                .ok()
                .and_then(|o| body::build_qsig(None, Some(&o), true))
            else {
                continue;
            };
            match self
                .ua
                .request(now, h, Method::Info, Some((ct.as_str(), b)))
            {
                Ok(()) => {}
                Err(UaError::WrongState) => {
                    // no dialog yet: this one and the rest wait for the 18x or 2xx
                    let rest: Vec<QsigMessage> = std::iter::once(m).chain(left).collect();
                    if let Some(c) = self.qcalls.get_mut(&id) {
                        c.pending_info = rest;
                    }
                    return;
                }
                Err(e) => self.refused(id, format!("INFO: {e}")),
            }
        }
    }

    /// An INFO within a QSIG call: a trusted peer's encapsulated FACILITY goes to the PBX as
    /// a FACILITY with its Facility IEs and other elements ([`qsig::facility_from_template`];
    /// RFC 3204, RFC 3372 6). An untrusted peer's bodies are ignored (200, as the ISUP path
    /// does). A required part the gateway cannot use: 415 or 400 (RFC 3204 6). The status to
    /// answer with.
    fn qsig_sip_info(&mut self, now: Instant, id: CallId, info: &SipMessage) -> u16 {
        let Some(c) = self.qcalls.get(&id) else {
            return 481;
        };
        let (trusted, trunk, q) = (c.trusted, c.trunk, c.qsig);
        let live = !(c.clearing || c.qsig_done);
        let template = match qsig::info_message(info, trusted) {
            Ok(t) => t,
            Err(p) => return p.status(),
        };
        let (Some(t), Some(q), true) = (template, q, live) else {
            return 200;
        };
        match qsig::facility_from_template(&t) {
            Some((f, extra)) => {
                self.dchannel_do(now, trunk, |calls| calls.facility_with(now, q, f, extra));
                200
            }
            // Q.932: a FACILITY without a Facility IE is no message to pass on.
            None => 400,
        }
    }

    /// Forgets the call when both legs are over.
    fn qsig_settle(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.qcalls.get(&id) else {
            return;
        };
        if !(c.qsig_done && c.sip_done) {
            return;
        }
        let Some(c) = self.qcalls.remove(&id) else {
            return;
        };
        if let Some(k) = &c.invite_key {
            if self.by_invite.get(k) == Some(&id) {
                self.by_invite.remove(k);
            }
        }
        if let Some(q) = c.qsig {
            if self.by_qsig.get(&(c.trunk, q)) == Some(&id) {
                self.by_qsig.remove(&(c.trunk, q));
            }
        }
        if let Some(h) = c.sip {
            if self.by_sip.get(&h) == Some(&id) {
                self.by_sip.remove(&h);
            }
            self.ua.forget(h);
        }
        self.stats.calls_ended += 1;
        if !c.answered {
            self.stats.calls_failed += 1;
        }
        self.events.push_back(GatewayEvent::CallEnded {
            call: id.0,
            answered: c.answered,
            cause: c.cause,
            status: c.status,
            duration_ms: now.saturating_duration_since(c.started).as_millis() as u64,
        });
    }
}

/// The encapsulated QSIG message of one of `types` in a SIP message from a trusted peer
/// (RFC 3204); None from an untrusted one (its bodies are ignored, RFC 3372).
fn encapsulated(
    m: &SipMessage,
    trusted: bool,
    types: &[sipt_codecs::q931::MessageType],
) -> Option<QsigMessage> {
    if !trusted {
        return None;
    }
    let octets = body::split(m, true).ok()?.qsig?;
    qsig::encapsulated_message(&octets, types)
}

/// The cause of a Reason: Q.850 header (RFC 3326), else 16, location 'user' (8.4.2, 8.4.3).
fn reason_cause(reason: Option<&str>) -> Cause {
    let (value, location) = reason
        .and_then(progress::reason_q850)
        .map_or((16, Location::User), |(v, l)| {
            (v, l.unwrap_or(Location::User))
        });
    Cause::new(location, CauseValue::from_code(value))
}
