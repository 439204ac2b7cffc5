//! A call of the gateway and its two legs, and the interworking of their events:
//! ISUP -> SIP (RFC 3398 8) for calls from the PSTN, SIP -> ISUP (RFC 3398 7) for calls from
//! SIP. Every path ends with both legs over: the circuit released (ISUP returns it to idle)
//! and the SIP dialog ended.

use std::collections::VecDeque;

use sipt_codecs::isup::{CauseIndicators, CauseValue, Message, MessageType, Parameter};
use sipt_codecs::q850::Location;

use super::transit::TransitSetup;
use super::{Gateway, GatewayEvent, GatewayTimer};
use crate::interwork::body::{self, SipBody};
use crate::interwork::causes::{CauseMap, SipOutcome};
use crate::interwork::numbers;
use crate::interwork::overlap::{self, DigitCollector, Overlap};
use crate::interwork::progress;
use crate::interwork::setup::{self, IamDefaults, SetupContext};
use crate::isup::{IsupEvent, ReleaseReason};
use crate::route::{self, NatureOfAddressChoice, Target as RouteTarget};
use crate::sip::message::{Message as SipMessage, Method, Uri};
use crate::sip::transaction::Key;
use crate::sip::ua::CallHandle;
use crate::time::Instant;

/// A SIP body: content type and octets.
type Body = (String, Vec<u8>);

/// A call's number in the gateway.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CallId(pub u64);

/// Q.850 causes the gateway itself gives.
mod cause {
    /// No route to destination (Q.850 3): no route matches the called number.
    pub const NO_ROUTE: u8 = 3;
    /// Normal call clearing.
    pub const NORMAL: u8 = 16;
    /// No user responding: the SIP side did not answer the INVITE (RFC 3398 8.1.3).
    pub const NO_USER_RESPONDING: u8 = 18;
    /// Temporary failure: the signalling relation was lost.
    pub const TEMPORARY_FAILURE: u8 = 41;
    /// No circuit/channel available.
    pub const NO_CIRCUIT: u8 = 34;
}

/// One call: a circuit and a SIP call.
#[derive(Debug)]
pub struct Call {
    pub id: CallId,
    /// The call came from the PSTN (IAM in, INVITE out).
    pub from_pstn: bool,
    pub trunk: usize,
    pub cic: Option<u16>,
    pub sip: Option<CallHandle>,
    /// The called number in the routing form, as received (the key of the routing table).
    pub called: String,
    /// The IAM received (from the PSTN) or sent (towards it).
    pub iam: Option<Message>,
    /// SIP targets still to try (RFC 3398 has the gateway try alternates on 503, 408 and
    /// timeout; the route lists them).
    pub alternates: VecDeque<RouteTarget>,
    /// The SIP peer is in the trust domain (encapsulated ISUP, asserted identity).
    pub trusted: bool,
    /// An ACM went to (from the PSTN) or came from (towards it) the circuit.
    pub acm: bool,
    pub answered: bool,
    /// A continuity check was asked for in the IAM and has not yet passed (Q.764 2.1.8,
    /// RFC 3398 11.3: no INVITE before it has).
    pub awaiting_continuity: bool,
    pub pstn_done: bool,
    pub sip_done: bool,
    pub started: Instant,
    pub routed_at: Option<Instant>,
    /// The Q.850 cause of the release on the ISUP side.
    pub cause: Option<u8>,
    /// The final SIP status when it was not 2xx.
    pub status: Option<u16>,
    /// The far end's SDP answer (kept for the media gateway control that comes later).
    pub sdp_answer: Option<Vec<u8>>,
    /// The called number's digits while they are being collected (RFC 3578 2), and when
    /// T10 is due.
    pub digits: Option<DigitCollector>,
    pub t10_due: Option<Instant>,
    /// A call from SIP: its INVITE's Call-ID and From tag (RFC 3578 3.5).
    pub invite_key: Option<(String, String)>,
    /// A call from the PSTN on a link with `overlap = "sip"` whose number may still grow:
    /// its INVITEs (RFC 3578 3). `None` once one of them is answered.
    pub sip_overlap: Option<Box<SipOverlap>>,
    /// The called number after the route's digit manipulation and the route's nature of
    /// address, once routed (the IAM of a transit call carries them).
    pub route_number: Option<(String, Option<NatureOfAddressChoice>)>,
    /// A call from the PSTN routed to a trunk group: its outgoing circuit ([`super::transit`]).
    pub transit: Option<Box<super::transit::TransitLeg>>,
    /// The media hold of the SIP leg (RFC 3398 9): for a call suspended from the PSTN
    /// towards a peer without ISUP, and for a hold from the SIP side.
    pub hold: MediaHold,
}

/// RFC 3398 9: where the media of a call's SIP leg stands, and our SDP's version.
#[derive(Debug, Default)]
pub struct MediaHold {
    /// The PSTN suspended the call (SUS) and the SIP peer is to stop sending (9.1).
    pub wanted: bool,
    /// What our latest re-INVITE asked for (hold or resume).
    pub sent: bool,
    /// Our re-INVITE awaits its final response: the next one waits (RFC 3261 14.1).
    pub pending: bool,
    /// The SIP side holds the call: a CPG "remote hold" went to the PSTN (9.2).
    pub remote_hold: bool,
    /// The version of our latest SDP (RFC 3264 8: one more with each change) and its
    /// direction attribute; 0: the first SDP (version 1, sendrecv).
    pub sdp_version: u64,
    pub sdp_direction: Option<&'static str>,
}

impl MediaHold {
    /// The version for an SDP with `direction`: one more than the last when it changes.
    fn version_for(&mut self, direction: &'static str) -> u64 {
        let last = self.sdp_direction.unwrap_or("sendrecv");
        let v = self.sdp_version.max(1);
        self.sdp_version = if last == direction { v } else { v + 1 };
        self.sdp_direction = Some(direction);
        self.sdp_version
    }
}

/// The INVITEs of a call from the PSTN with overlap carried into SIP (RFC 3578 3.2): one per
/// IAM/SAM, each with the digits so far, all with the same Call-ID and From tag. The call's
/// `sip` is the latest; the UA keeps it until the call is over (the next one is made from
/// it, [`crate::sip::ua::UserAgent::invite_sibling`]).
#[derive(Debug)]
pub struct SipOverlap {
    /// The digits so far.
    pub digits: DigitCollector,
    /// More SAMs may come: T10 has not expired, the number is not complete (ST, 15 digits).
    pub collecting: bool,
    /// The INVITEs still without a final response, with the number of digits each carried.
    pub pending: Vec<(CallHandle, usize)>,
    /// The best final response so far (RFC 3578 3.2, [`overlap::final_response_rank`]): its
    /// status, the INVITE's digits, the response (`None`: no response, timer B).
    pub best: Option<(u16, usize, Option<SipMessage>)>,
}

impl SipOverlap {
    fn digits_of(&self, h: CallHandle) -> Option<usize> {
        self.pending.iter().find(|(p, _)| *p == h).map(|(_, d)| *d)
    }

    /// Notes a final response (or none) to the INVITE `h`: it is no longer pending.
    fn completed(&mut self, h: CallHandle, status: u16, response: Option<&SipMessage>) {
        let digits = self.digits_of(h).unwrap_or(0);
        self.pending.retain(|(p, _)| *p != h);
        let better = self.best.as_ref().is_none_or(|(s, d, _)| {
            overlap::final_response_rank(status, digits) < overlap::final_response_rank(*s, *d)
        });
        if better {
            self.best = Some((status, digits, response.cloned()));
        }
    }

    /// No more digits can come and every INVITE has failed: time for the REL (3.2).
    fn failed(&self) -> bool {
        !self.collecting && self.pending.is_empty()
    }
}

impl Call {
    fn new(id: CallId, from_pstn: bool, trunk: usize, called: String, now: Instant) -> Call {
        Call {
            id,
            from_pstn,
            trunk,
            cic: None,
            sip: None,
            called,
            iam: None,
            alternates: VecDeque::new(),
            trusted: false,
            acm: false,
            answered: false,
            awaiting_continuity: false,
            pstn_done: false,
            sip_done: false,
            started: now,
            routed_at: None,
            cause: None,
            status: None,
            sdp_answer: None,
            digits: None,
            t10_due: None,
            invite_key: None,
            sip_overlap: None,
            route_number: None,
            transit: None,
            hold: MediaHold::default(),
        }
    }
}

fn cause_indicators(value: u8) -> CauseIndicators {
    CauseIndicators::new(
        Location::PublicNetworkLocalUser,
        CauseValue::from_code(value),
    )
}

fn cause_value(c: &CauseIndicators) -> u8 {
    c.octet2.cause_value().code()
}

/// The encapsulated ISUP message of a SIP message from a trusted peer, when it is of one of
/// the `types`.
fn encapsulated(m: &SipMessage, trusted: bool, types: &[MessageType]) -> Option<Message> {
    if !trusted {
        return None;
    }
    let b = body::split(m, true).ok()?;
    b.isup.filter(|i| types.contains(&i.message_type))
}

impl Gateway {
    fn causes_for(&self, called: &str) -> CauseMap {
        self.routes
            .lookup(called)
            .map_or_else(|| self.default_causes.clone(), |d| d.causes)
    }

    /// The SDP of the circuit's media endpoint (an offer or an answer: one audio stream of the
    /// span's codec). Without a configured endpoint, our own address with a port derived from
    /// the CIC, so that the SDP is still valid.
    fn circuit_sdp(&self, trunk: usize, cic: u16, version: u64) -> Vec<u8> {
        self.media_sdp(self.trunks.get(trunk).map(|t| &t.link), cic, 16384, version)
    }

    /// The SDP of circuit (CIC or B-channel) `circuit` of `link`: its configured media
    /// endpoint, or our own address with port `fallback_base + 2 * circuit`.
    pub(super) fn media_sdp(
        &self,
        link: Option<&crate::config::LinkConfig>,
        circuit: u16,
        fallback_base: u16,
        version: u64,
    ) -> Vec<u8> {
        let endpoint = link.and_then(|l| {
            route::media_endpoint(l, circuit).or_else(|| {
                let host = self
                    .settings
                    .host
                    .rsplit_once(':')
                    .map_or(self.settings.host.as_str(), |(h, _)| h);
                host.trim_start_matches('[')
                    .trim_end_matches(']')
                    .parse()
                    .ok()
                    .map(|address| route::MediaEndpoint {
                        address,
                        port: fallback_base.wrapping_add(circuit.wrapping_mul(2)),
                        codec: route::Codec::Pcma,
                    })
            })
        });
        match endpoint {
            Some(e) => route::sdp_for(&e, u64::from(circuit) + 1, version).into_bytes(),
            None => Vec::new(),
        }
    }

    // ============================================================ from the PSTN

    /// IAM received (RFC 3398 8.2.1.1).
    pub(super) fn incoming_iam(
        &mut self,
        now: Instant,
        trunk: usize,
        cic: u16,
        iam: Message,
        continuity_check: bool,
    ) {
        let id = self.new_call_id();
        self.stats.calls_started += 1;
        let called = match iam.parameter(sipt_codecs::isup::code::CALLED_PARTY_NUMBER) {
            Some(Parameter::CalledPartyNumber(n)) => numbers::called_number_text(n),
            _ => String::new(),
        };
        self.events.push_back(GatewayEvent::CallStarted {
            call: id.0,
            from_pstn: true,
            trunk: self.trunks.get(trunk).map_or("", |t| t.name()).to_string(),
            cic: Some(cic),
            called: called.clone(),
        });
        let overlap = self
            .trunks
            .get(trunk)
            .map_or(Overlap::None, |t| t.link.overlap);
        let mut call = Call::new(id, true, trunk, called.clone(), now);
        if overlap == Overlap::EnBloc {
            let cpn = match iam.parameter(sipt_codecs::isup::code::CALLED_PARTY_NUMBER) {
                Some(Parameter::CalledPartyNumber(n)) => Some(n),
                _ => None,
            };
            let digits = DigitCollector::new(&called, cpn);
            if !digits.is_complete() {
                call.digits = Some(digits);
            }
        } else if overlap == Overlap::Sip {
            let cpn = match iam.parameter(sipt_codecs::isup::code::CALLED_PARTY_NUMBER) {
                Some(Parameter::CalledPartyNumber(n)) => Some(n),
                _ => None,
            };
            let digits = DigitCollector::new(&called, cpn);
            // RFC 3578 3.2: a complete number (ST, 15 digits) is an ordinary call.
            if !digits.is_complete() {
                call.sip_overlap = Some(Box::new(SipOverlap {
                    digits,
                    collecting: true,
                    pending: Vec::new(),
                    best: None,
                }));
            }
        }
        call.cic = Some(cic);
        call.iam = Some(iam);
        call.sip_done = true; // no SIP leg yet
        call.awaiting_continuity = continuity_check;
        if let Some(old) = self.by_circuit.get(&(trunk, cic)).copied() {
            // Q.764 2.9.5.1: a new IAM on a circuit ISUP saw as idle: the old call is over on
            // this side.
            let transit = match self.calls.get_mut(&old) {
                Some(c) => {
                    c.pstn_done = true;
                    c.transit.is_some()
                }
                None => false,
            };
            if transit {
                let rel = progress::release_message(cause_indicators(cause::NORMAL));
                self.transit_release_out(now, old, rel);
            } else {
                self.clear_sip(now, old, cause::NORMAL);
            }
        }
        let collecting = call.digits.is_some();
        let sip_overlap = call.sip_overlap.is_some();
        self.insert(call);
        if sip_overlap {
            // RFC 3578 3.2: the INVITE at once (after the continuity check, RFC 3398 11.3),
            // and T10 for the SAMs.
            self.restart_t10(now, id);
            if !continuity_check {
                self.route_iam(now, id);
            }
        } else if collecting {
            // RFC 3578 2.2: the digits so far may not be the whole number: wait for SAMs
            // until ST, the most digits a number has, or T10.
            self.restart_t10(now, id);
        } else if !continuity_check {
            self.route_iam(now, id);
        }
    }

    fn restart_t10(&mut self, now: Instant, id: CallId) {
        let due = now + overlap::T10;
        if let Some(c) = self.calls.get_mut(&id) {
            c.t10_due = Some(due);
            self.timers.insert((due, id, GatewayTimer::T10));
        }
    }

    /// A SAM on a call from the PSTN (RFC 3578 2): its digits join the called number; the
    /// call is routed once the number is complete. SAMs after that are ignored (2.2).
    fn subsequent_address(&mut self, now: Instant, id: CallId, sam: &Message) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.sip_overlap.is_some() {
            return self.overlap_sam(now, id, sam);
        }
        let Some(d) = c.digits.as_mut() else {
            return;
        };
        d.add_sam(sam);
        if d.is_complete() {
            self.digits_complete(now, id);
        } else {
            self.restart_t10(now, id);
        }
    }

    /// T10 came due: when it is the call's latest, the number is complete as it is.
    pub(super) fn t10_expired(&mut self, now: Instant, id: CallId, due: Instant) {
        if self
            .calls
            .get(&id)
            .is_some_and(|c| c.t10_due == Some(due) && c.sip_overlap.is_some())
        {
            return self.overlap_t10_expired(now, id);
        }
        if self
            .calls
            .get(&id)
            .is_some_and(|c| c.t10_due == Some(due) && c.digits.is_some())
        {
            self.digits_complete(now, id);
        }
    }

    /// The collected number is the called number: the IAM (as the INVITE's base) gets it,
    /// and the call is routed.
    fn digits_complete(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(d) = c.digits.take() else {
            return;
        };
        c.t10_due = None;
        c.called = d.number().to_string();
        if let Some(iam) = c.iam.as_mut() {
            extend_called_number(iam, d.number());
        }
        if !c.awaiting_continuity {
            self.route_iam(now, id);
        }
    }

    /// Routes a call from the PSTN: the first SIP target of the route (RFC 3398 8.2.1.1).
    fn route_iam(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.sip_overlap.is_some() {
            return self.overlap_invite_next(now, id);
        }
        match self.routes.lookup(&c.called) {
            Some(d) => {
                c.alternates = d.targets.into();
                c.route_number = Some((d.number, d.noa));
                self.try_next_target(now, id, cause::NO_ROUTE);
            }
            None => self.release_pstn(now, id, cause::NO_ROUTE),
        }
    }

    /// The headers of the INVITE for the call's IAM (RFC 3398 8.2.1.1) and its body: the
    /// circuit's SDP offer and, to a trusted peer, the IAM (RFC 3204).
    fn invite_parts(
        &self,
        id: CallId,
        trunk: usize,
        cic: u16,
        trusted: bool,
    ) -> Option<(setup::InviteHeaders, Option<Body>)> {
        let iam = self.calls.get(&id).and_then(|c| c.iam.as_ref())?;
        let ctx = SetupContext {
            host: &self.settings.host,
            trusted,
            country_code: self.settings.country_code.as_deref(),
            diversion_header: self.settings.diversion_header,
        };
        let headers = setup::iam_to_invite(iam, &ctx);
        let sdp = self.circuit_sdp(trunk, cic, 1);
        let body = body::build(
            (!sdp.is_empty()).then_some(sdp.as_slice()),
            Some(iam),
            trusted,
        );
        Some((headers, body))
    }

    /// Sends the INVITE to the next target of the call; releases the circuit with
    /// `cause_if_none` when there is none left.
    fn try_next_target(&mut self, now: Instant, id: CallId, mut cause_if_none: u8) {
        loop {
            let Some(c) = self.calls.get_mut(&id) else {
                return;
            };
            let Some(target) = c.alternates.pop_front() else {
                self.release_pstn(now, id, cause_if_none);
                return;
            };
            let (trunk, cic) = (c.trunk, c.cic.unwrap_or(0));
            let uri = match target {
                RouteTarget::Sip { uri } => uri,
                // ISUP to ISUP: the gateway as a transit exchange (Q.764).
                RouteTarget::Trunk { group } => match self.transit_setup(now, id, &group) {
                    TransitSetup::Routed | TransitSetup::Released => return,
                    TransitSetup::Failed(cause) => {
                        cause_if_none = cause;
                        continue;
                    }
                },
            };
            let Ok(uri) = Uri::parse(&uri) else {
                continue;
            };
            let targets = self.locate(&uri);
            let Some(first) = targets.first() else {
                continue;
            };
            let trusted = self.trusted(first);
            let Some((headers, body)) = self.invite_parts(id, trunk, cic, trusted) else {
                return;
            };
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
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.sip = Some(h);
                        c.sip_done = false;
                        c.trusted = trusted;
                        if c.routed_at.is_none() {
                            c.routed_at = Some(now);
                            if let Some(t11) = self.settings.t11 {
                                self.timers.insert((now + t11, id, GatewayTimer::T11));
                            }
                        }
                    }
                    self.by_sip.insert(h, id);
                    self.events.push_back(GatewayEvent::CallRouted {
                        call: id.0,
                        to: uri.to_string(),
                        cic: Some(cic),
                        added_us: None,
                    });
                    return;
                }
                Err(e) => self.events.push_back(GatewayEvent::Refused {
                    call: Some(id.0),
                    what: format!("INVITE to {uri}: {e}"),
                }),
            }
        }
    }

    /// Releases the circuit of a call with `cause` (REL; ISUP supervises the RLC).
    pub(super) fn release_pstn(&mut self, now: Instant, id: CallId, cause: u8) {
        self.release_pstn_with(now, id, progress::release_message(cause_indicators(cause)));
    }

    pub(super) fn release_pstn_with(&mut self, now: Instant, id: CallId, rel: Message) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.pstn_done {
            return self.settle(now, id);
        }
        if c.cause.is_none() {
            c.cause = match rel.parameter(sipt_codecs::isup::code::CAUSE_INDICATORS) {
                Some(Parameter::CauseIndicators(ci)) => Some(cause_value(ci)),
                _ => None,
            };
        }
        let (trunk, cic) = (c.trunk, c.cic);
        let sent = match (cic, self.trunks.get_mut(trunk)) {
            (Some(cic), Some(t)) => t.isup.release_message(now, cic, rel).is_ok(),
            _ => false,
        };
        if !sent {
            // Nothing to release (the circuit was reset or released meanwhile).
            if let Some(c) = self.calls.get_mut(&id) {
                c.pstn_done = true;
            }
        }
        self.settle(now, id);
    }

    // ============================================================ ISUP events of a call

    pub(super) fn circuit_event(&mut self, now: Instant, id: CallId, e: IsupEvent) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        match e {
            IsupEvent::Continuity { passed, .. } if c.awaiting_continuity => {
                // RFC 3398 11.3: the INVITE only once the continuity check has passed; on
                // failure ISUP clears the call (Q.764 2.1.8).
                c.awaiting_continuity = false;
                if passed && c.digits.is_none() {
                    self.route_iam(now, id);
                }
            }
            IsupEvent::SubsequentAddress { sam, .. } => self.subsequent_address(now, id, &sam),
            IsupEvent::AddressComplete { acm, .. } => self.pstn_progress(now, id, acm, true),
            IsupEvent::Progress { cpg, .. } => self.pstn_progress(now, id, cpg, false),
            IsupEvent::Answer { anm: m, .. } | IsupEvent::Connect { con: m, .. } => {
                self.pstn_answered(now, id, m)
            }
            IsupEvent::Released {
                cause,
                message,
                reason,
                reattempt,
                ..
            } => self.pstn_released(now, id, cause, message, reason, reattempt),
            IsupEvent::ReleaseComplete { .. } => {
                c.pstn_done = true;
                self.settle(now, id);
            }
            IsupEvent::DualSeizure {
                outgoing_iam,
                backed_off: true,
                ..
            } => {
                // Q.764 2.10.1.4: our IAM lost the circuit: repeat it on another one.
                c.pstn_done = true;
                if let Some(cic) = c.cic.take() {
                    let trunk = c.trunk;
                    self.by_circuit.remove(&(trunk, cic));
                }
                self.reattempt(now, id, outgoing_iam);
            }
            IsupEvent::Suspend { sus: m, .. } => self.pstn_suspended(now, id, m, true),
            IsupEvent::Resume { res: m, .. } => self.pstn_suspended(now, id, m, false),
            IsupEvent::CallMessage { message: m, .. } | IsupEvent::Information { inf: m, .. } => {
                // RFC 3372 6 / RFC 3398 9.1, 13.1: carried in INFO to an ISUP-aware peer.
                self.info_to_sip(now, id, &m)
            }
            _ => {}
        }
    }

    /// ACM or CPG from the PSTN on a call from SIP (RFC 3398 7.2.5, 7.2.6, 7.2.9).
    fn pstn_progress(&mut self, now: Instant, id: CallId, m: Message, is_acm: bool) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.answered && !is_acm && !c.trusted {
            // RFC 3398 9.2, last paragraph: a CPG with hold indicators from the PSTN: the SIP
            // side is asked to stop (or to go on) sending media. (To a trusted peer the CPG
            // itself goes, in INFO.)
            if let Some(hold) = progress::cpg_hold(&m) {
                c.hold.wanted = hold;
                return self.send_hold_reinvite(now, id);
            }
            return;
        }
        let Some(h) = c.sip.filter(|_| !c.from_pstn && !c.answered) else {
            return;
        };
        let status = if is_acm {
            c.acm = true;
            Some(progress::acm_status(&m))
        } else {
            progress::cpg_status(&m)
        };
        let Some(status) = status else {
            return self.info_to_sip(now, id, &m);
        };
        let trusted = c.trusted;
        if status == 180 {
            self.events
                .push_back(GatewayEvent::CallAlerting { call: id.0 });
        }
        let (trunk, cic) = (c.trunk, c.cic.unwrap_or(0));
        // RFC 3398 7.2.6: in-band information available: early media, the SDP answer in
        // the 183.
        let sdp = if progress::inband_available(&m) || status == 183 {
            self.circuit_sdp(trunk, cic, 1)
        } else {
            Vec::new()
        };
        let body = body::build(
            (!sdp.is_empty()).then_some(sdp.as_slice()),
            Some(&m),
            trusted,
        );
        let phrase = reason_phrase(status);
        if let Err(e) = self.ua.respond_with(
            now,
            h,
            status,
            phrase,
            &[],
            body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
        ) {
            self.events.push_back(GatewayEvent::Refused {
                call: Some(id.0),
                what: format!("{status} for ACM/CPG: {e}"),
            });
        }
    }

    /// ANM or CON from the PSTN on a call from SIP: 200 with the SDP answer (RFC 3398 7.2.7).
    fn pstn_answered(&mut self, now: Instant, id: CallId, m: Message) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.from_pstn || c.answered {
            return;
        }
        let Some(h) = c.sip else {
            return;
        };
        c.answered = true;
        let (trunk, cic, trusted) = (c.trunk, c.cic.unwrap_or(0), c.trusted);
        self.stats.calls_answered += 1;
        self.events
            .push_back(GatewayEvent::CallAnswered { call: id.0 });
        let sdp = self.circuit_sdp(trunk, cic, 1);
        let body = body::build(
            (!sdp.is_empty()).then_some(sdp.as_slice()),
            Some(&m),
            trusted,
        );
        if let Err(e) = self.ua.respond_with(
            now,
            h,
            200,
            "OK",
            &[],
            body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
        ) {
            self.events.push_back(GatewayEvent::Refused {
                call: Some(id.0),
                what: format!("200 for ANM: {e}"),
            });
        }
    }

    /// The circuit's call ended on the ISUP side: REL received, or ISUP cleared it (timer,
    /// reset, blocking...). The SIP leg follows (RFC 3398 7.2.4, 8.2.7, 10.2, 11.1).
    fn pstn_released(
        &mut self,
        now: Instant,
        id: CallId,
        cause: Option<CauseIndicators>,
        message: Option<Message>,
        reason: ReleaseReason,
        reattempt: bool,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        c.pstn_done = true;
        let value = cause.as_ref().map(cause_value).unwrap_or(cause::NORMAL);
        c.cause.get_or_insert(value);
        // Q.764 2.10.1.4 / 2.9.5.1: cleared before any backward message: repeat the attempt
        // on another circuit.
        if reattempt && !c.from_pstn && !c.acm && !c.answered && reason != ReleaseReason::Remote {
            if let (Some(iam), Some(cic)) = (c.iam.clone(), c.cic.take()) {
                let trunk = c.trunk;
                self.by_circuit.remove(&(trunk, cic));
                return self.reattempt(now, id, iam);
            }
        }
        let rel = message
            .filter(|m| m.message_type == MessageType::Rel)
            .unwrap_or_else(|| {
                progress::release_message(cause.unwrap_or_else(|| cause_indicators(value)))
            });
        self.clear_sip_with(now, id, &rel);
    }

    /// Clears the SIP leg for a release on the ISUP side with `cause` (or, for a call from
    /// SIP that never got a circuit, the cause the gateway gives it itself).
    fn clear_sip(&mut self, now: Instant, id: CallId, cause: u8) {
        if let Some(c) = self.calls.get_mut(&id) {
            c.cause.get_or_insert(cause);
        }
        let rel = progress::release_message(cause_indicators(cause));
        self.clear_sip_with(now, id, &rel);
    }

    /// Clears the SIP leg as a REL says: BYE when answered, CANCEL for our INVITE pending
    /// (RFC 3398 8.2.7), the final response of RFC 3398 7.2.4.1 for an INVITE we have not
    /// answered; with a Reason header (RFC 3326) and, to a trusted peer, the REL itself.
    fn clear_sip_with(&mut self, now: Instant, id: CallId, rel: &Message) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        let (Some(h), false) = (c.sip, c.sip_done) else {
            return self.settle(now, id);
        };
        // RFC 3578 3.4: the earlier INVITEs of an overlap call still pending are cancelled
        // too (their events then come as orphans: forgotten, a late 2xx ended with BYE).
        let siblings: Vec<CallHandle> = c
            .sip_overlap
            .as_ref()
            .map(|o| {
                o.pending
                    .iter()
                    .map(|(p, _)| *p)
                    .filter(|p| *p != h)
                    .collect()
            })
            .unwrap_or_default();
        let (from_pstn, answered, trusted) = (c.from_pstn, c.answered, c.trusted);
        let called = c.called.clone();
        let map = self.causes_for(&called);
        let (outcome, reason) = progress::sip_for_release(rel, &map);
        // To a trusted peer (a gateway that makes a REL of it again: SIP bridging, RFC 3372)
        // the cause's location too, as RFC 8606's parameter, so that the far REL keeps it.
        let reason = if trusted {
            progress::reason_header_with_location(&progress::cause_of_release(rel))
        } else {
            reason
        };
        let headers = [("Reason", reason)];
        for p in siblings {
            self.by_sip.remove(&p);
            let _ = self.ua.hangup_with(now, p, None, &headers, None);
        }
        let r = if from_pstn || answered {
            // BYE or CANCEL; to a trusted peer the BYE carries the REL (RFC 3398 10.2; a
            // CANCEL carries no body).
            let body = body::build(None, Some(rel), trusted);
            self.ua.hangup_with(
                now,
                h,
                None,
                &headers,
                body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
            )
        } else {
            let status = match outcome {
                SipOutcome::Status(s) => s,
                // RFC 3398 7.2.4.1: normal clearing is a BYE or CANCEL; an INVITE not yet
                // answered cannot be cancelled by its UAS: 480, the usual answer to a
                // called party gone before answer.
                SipOutcome::Clear => 480,
                // 44 without a circuit to repeat the attempt on.
                SipOutcome::Untranslatable => 503,
            };
            if let Some(c) = self.calls.get_mut(&id) {
                c.status = Some(status);
            }
            let body = body::build(None, Some(rel), trusted);
            self.ua.respond_with(
                now,
                h,
                status,
                reason_phrase(status),
                &headers,
                body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
            )
        };
        if let Err(e) = r {
            self.events.push_back(GatewayEvent::Refused {
                call: Some(id.0),
                what: format!("clearing the SIP leg: {e}"),
            });
        }
        if let Some(c) = self.calls.get_mut(&id) {
            c.sip_done = true;
        }
        self.settle(now, id);
    }

    /// The signalling relation of `trunk` was lost (MTP-PAUSE): its calls are cleared on the
    /// SIP side at once with cause 41; the circuits come back idle with the GRS ISUP sends
    /// when MTP resumes (Q.764 2.9.3.1, [`crate::isup::ResetOnResume`]).
    pub(super) fn relation_lost(&mut self, now: Instant, trunk: usize) {
        self.transit_relation_lost(now, trunk);
        let ids: Vec<CallId> = self
            .calls
            .values()
            .filter(|c| c.trunk == trunk && c.cic.is_some() && c.transit.is_none())
            .map(|c| c.id)
            .collect();
        for id in ids {
            if let Some(c) = self.calls.get_mut(&id) {
                c.pstn_done = true;
                c.cause.get_or_insert(cause::TEMPORARY_FAILURE);
            }
            self.clear_sip(now, id, cause::TEMPORARY_FAILURE);
        }
    }

    /// Repeats a call from SIP on another circuit (Q.764 2.10.1.4, automatic repeat attempt).
    fn reattempt(&mut self, now: Instant, id: CallId, iam: Message) {
        let group = self
            .calls
            .get(&id)
            .and_then(|c| self.trunks.get(c.trunk))
            .and_then(|t| t.link.trunk_group.clone());
        let picked = group.and_then(|g| self.select_circuit(&g));
        let sent = picked.and_then(|(trunk, cic)| {
            let t = self.trunks.get_mut(trunk)?;
            t.isup.setup(now, cic, iam.clone()).ok()?;
            Some((trunk, cic))
        });
        match sent {
            Some((trunk, cic)) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.trunk = trunk;
                    c.cic = Some(cic);
                    c.pstn_done = false;
                    c.iam = Some(iam);
                }
                self.by_circuit.insert((trunk, cic), id);
            }
            None => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.pstn_done = true;
                }
                self.clear_sip(now, id, cause::NO_CIRCUIT);
            }
        }
    }

    /// An ISUP message within the call to a trusted SIP peer, in INFO (RFC 3372 6).
    fn info_to_sip(&mut self, now: Instant, id: CallId, m: &Message) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        let (Some(h), true, false) = (c.sip, c.trusted, c.sip_done) else {
            return;
        };
        if let Some((ct, b)) = body::build(None, Some(m), true) {
            if let Err(e) = self
                .ua
                .request(now, h, Method::Info, Some((ct.as_str(), b)))
            {
                self.events.push_back(GatewayEvent::Refused {
                    call: Some(id.0),
                    what: format!("INFO: {e}"),
                });
            }
        }
    }

    /// SUS (`suspend`) or RES from the PSTN (RFC 3398 9.1): to a peer that understands ISUP
    /// (trusted) the message itself in INFO; to any other, on an answered call, a re-INVITE
    /// asking it to stop sending media (our offer inactive: no audio passes end to end while
    /// the call is suspended) and, on RES, one asking it to send again. A RES goes the way
    /// its SUS went. T6/T2 (Q.764 2.4.3) are ISUP's: their expiry releases the call as a REL
    /// would (10.2.2).
    fn pstn_suspended(&mut self, now: Instant, id: CallId, m: Message, suspend: bool) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.trusted {
            return self.info_to_sip(now, id, &m);
        }
        if !c.answered || c.sip_done || c.sip.is_none() {
            return;
        }
        if !suspend && !c.hold.wanted {
            // A RES whose SUS asked nothing of the SIP side.
            return;
        }
        c.hold.wanted = suspend;
        self.send_hold_reinvite(now, id);
    }

    /// The re-INVITE for the hold state the call wants (RFC 3398 9.1), unless it is what was
    /// last asked or one is pending (the next goes when its final response comes).
    fn send_hold_reinvite(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(h) = c.sip.filter(|_| !c.sip_done) else {
            return;
        };
        if c.hold.pending || c.hold.wanted == c.hold.sent {
            return;
        }
        let wanted = c.hold.wanted;
        let direction = if wanted { "inactive" } else { "sendrecv" };
        let version = c.hold.version_for(direction);
        let (trunk, cic) = (c.trunk, c.cic.unwrap_or(0));
        let mut sdp = self.circuit_sdp(trunk, cic, version);
        if sdp.is_empty() {
            return;
        }
        if wanted {
            sdp = progress::sdp_with_direction(&sdp, direction);
        }
        match self
            .ua
            .request(now, h, Method::Invite, Some(("application/sdp", sdp)))
        {
            Ok(()) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.hold.pending = true;
                    c.hold.sent = wanted;
                }
            }
            Err(e) => self.events.push_back(GatewayEvent::Refused {
                call: Some(id.0),
                what: format!("re-INVITE: {e}"),
            }),
        }
    }

    /// A final response to a request we sent within a call: after our re-INVITE's, the next
    /// hold state if it changed meanwhile. A refused re-INVITE leaves the media as it was
    /// (the call goes on, as RFC 3398 5.6 has it for INFO).
    pub(super) fn sip_request_response(
        &mut self,
        now: Instant,
        h: CallHandle,
        response: &SipMessage,
    ) {
        let Some(&id) = self.by_sip.get(&h) else {
            return;
        };
        let is_invite = response.cseq().is_ok_and(|c| c.method == Method::Invite);
        let Some(c) = self.calls.get_mut(&id).filter(|_| is_invite) else {
            return;
        };
        // A refusal (488, or 491 for glare, RFC 3261 14.1) is not retried: the next
        // re-INVITE goes when the PSTN changes its mind (SUS after RES or the reverse).
        c.hold.pending = false;
        self.send_hold_reinvite(now, id);
    }

    /// T11 expired with no ACM sent: an ACM with called party's status "no indication" (RFC
    /// 3398 8.2.8); a later 180 becomes a CPG.
    pub(super) fn t11_expired(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let (false, false, Some(cic)) = (c.acm || c.answered, c.pstn_done, c.cic) else {
            return;
        };
        let trunk = c.trunk;
        for m in progress::backward_for_provisional(183, false) {
            if m.message_type != MessageType::Acm {
                continue;
            }
            if let Some(t) = self.trunks.get_mut(trunk) {
                if t.isup.alert(now, cic, m).is_ok() {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.acm = true;
                    }
                }
            }
        }
    }

    // ============================================================ SIP events of a call

    /// A provisional response to our INVITE (RFC 3398 8.2.3): ACM or CPG, or the
    /// encapsulated one from a trusted peer.
    pub(super) fn sip_progress(&mut self, now: Instant, h: CallHandle, response: &SipMessage) {
        let Some(&id) = self.by_sip.get(&h) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let status = response.status().unwrap_or(0);
        if !c.from_pstn || c.answered || status <= 100 {
            return;
        }
        if let Some(o) = c.sip_overlap.as_ref() {
            // RFC 3578 3.3: the responses to the INVITE with the most digits have priority:
            // only the furthest INVITE still pending speaks to the PSTN.
            let furthest = o.pending.iter().map(|(_, d)| *d).max();
            if o.digits_of(h).is_none() || o.digits_of(h) < furthest {
                return;
            }
        }
        let (trunk, Some(cic)) = (c.trunk, c.cic) else {
            return;
        };
        let messages =
            match encapsulated(response, c.trusted, &[MessageType::Acm, MessageType::Cpg]) {
                Some(m) if m.message_type == MessageType::Acm && !c.acm => vec![m],
                Some(m) if m.message_type == MessageType::Cpg && c.acm => vec![m],
                _ => progress::backward_for_provisional(status, c.acm),
            };
        if status == 180 {
            self.events
                .push_back(GatewayEvent::CallAlerting { call: id.0 });
        }
        for m in messages {
            let Some(t) = self.trunks.get_mut(trunk) else {
                return;
            };
            let r = if m.message_type == MessageType::Acm {
                t.isup.alert(now, cic, m)
            } else {
                t.isup.progress(now, cic, m)
            };
            match r {
                Ok(()) => {
                    if let Some(c) = self.calls.get_mut(&id) {
                        c.acm = true;
                    }
                }
                Err(e) => self.events.push_back(GatewayEvent::Refused {
                    call: Some(id.0),
                    what: format!("ACM/CPG for {status}: {e}"),
                }),
            }
        }
    }

    /// A 2xx to our INVITE: ANM, or CON when no ACM was sent (RFC 3398 8.2.4).
    pub(super) fn sip_answered(&mut self, now: Instant, h: CallHandle, response: &SipMessage) {
        let Some(&id) = self.by_sip.get(&h) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if !c.from_pstn || c.answered {
            return;
        }
        if c.sip_overlap.is_some() {
            self.overlap_answered(now, id, h);
        }
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        c.answered = true;
        // The body is read once: the SDP answer is kept, an ANM/CON from a trusted peer used.
        let parts = body::split(response, c.trusted).ok();
        let m = parts
            .as_ref()
            .and_then(|b| b.isup.clone())
            .filter(|m| matches!(m.message_type, MessageType::Anm | MessageType::Con))
            .filter(|m| (m.message_type == MessageType::Anm) == c.acm)
            .unwrap_or_else(|| progress::answer_message(c.acm));
        c.sdp_answer = parts.and_then(|b| b.sdp);
        let (trunk, cic) = (c.trunk, c.cic);
        self.stats.calls_answered += 1;
        self.events
            .push_back(GatewayEvent::CallAnswered { call: id.0 });
        if let (Some(cic), Some(t)) = (cic, self.trunks.get_mut(trunk)) {
            if let Err(e) = t.isup.answer(now, cic, m) {
                self.events.push_back(GatewayEvent::Refused {
                    call: Some(id.0),
                    what: format!("ANM: {e}"),
                });
            }
        }
    }

    /// Our INVITE failed: a final error response, or no answer at all (`None`). The next
    /// target on 503, 408 or a timeout; else REL with the cause of RFC 3398 8.2.6.1.
    pub(super) fn sip_rejected(
        &mut self,
        now: Instant,
        h: CallHandle,
        response: Option<&SipMessage>,
    ) {
        let Some(&id) = self.by_sip.get(&h) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let status = response.and_then(SipMessage::status).unwrap_or(408);
        if c.sip_overlap.is_some() {
            return self.overlap_rejected(now, id, h, status, response);
        }
        c.status = Some(status);
        c.sip_done = true;
        if !c.from_pstn {
            return self.settle(now, id);
        }
        if matches!(status, 408 | 503) && !c.alternates.is_empty() && !c.pstn_done {
            // A new SIP call to the next target.
            c.sip = None;
            self.by_sip.remove(&h);
            self.ua.forget(h);
            if let Some(RouteTarget::Sip { uri }) = c.alternates.front() {
                self.events.push_back(GatewayEvent::Alternate {
                    call: id.0,
                    to: uri.clone(),
                });
            }
            let cause_if_none = if status == 408 {
                cause::NO_USER_RESPONDING
            } else {
                41
            };
            return self.try_next_target(now, id, cause_if_none);
        }
        let called = c.called.clone();
        let trusted = c.trusted;
        let rel = match response {
            Some(r) => match encapsulated(r, trusted, &[MessageType::Rel]) {
                Some(rel) => rel,
                None => {
                    let map = self.causes_for(&called);
                    progress::release_message(progress::release_cause_for_response(r, None, &map))
                }
            },
            // RFC 3398 8.1.3: no response to the INVITE: cause 18.
            None => progress::release_message(cause_indicators(cause::NO_USER_RESPONDING)),
        };
        self.release_pstn_with(now, id, rel);
    }

    /// BYE or CANCEL from the SIP side: REL with the Reason's cause or 16 (RFC 3398 7.2.3,
    /// 10.1).
    pub(super) fn sip_ended(
        &mut self,
        now: Instant,
        h: CallHandle,
        reason: Option<&str>,
        bye: Option<&SipMessage>,
    ) {
        let Some(&id) = self.by_sip.get(&h) else {
            return;
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.sip_done {
            return self.settle(now, id);
        }
        c.sip_done = true;
        if !c.answered && c.status.is_none() {
            c.status = Some(487);
        }
        // Location 'user' unless the Reason says otherwise, as interwork::progress does for
        // BYE and CANCEL.
        let (value, location) = reason
            .and_then(progress::reason_q850)
            .map_or((cause::NORMAL, Location::User), |(v, l)| {
                (v, l.unwrap_or(Location::User))
            });
        // RFC 3398 10.1: a trusted peer's BYE may carry the REL itself: that is the REL.
        let trusted = c.trusted;
        let rel = bye
            .and_then(|b| encapsulated(b, trusted, &[MessageType::Rel]))
            .unwrap_or_else(|| {
                progress::release_message(CauseIndicators::new(
                    location,
                    CauseValue::from_code(value),
                ))
            });
        self.release_pstn_with(now, id, rel);
    }

    /// A request within a SIP call: INFO carrying ISUP goes to the circuit (RFC 3372 6);
    /// re-INVITE and UPDATE get the circuit's SDP again (the media does not move).
    pub(super) fn sip_request(
        &mut self,
        now: Instant,
        h: CallHandle,
        request: SipMessage,
        key: Key,
    ) {
        let id = self.by_sip.get(&h).copied();
        let call = id.and_then(|id| self.calls.get(&id));
        let method = request.method().cloned();
        let (status, body) = match (&method, call) {
            (Some(Method::Info), Some(c)) => {
                if let (Some(m), Some(cic)) = (
                    encapsulated(
                        &request,
                        c.trusted,
                        &[
                            MessageType::Sus,
                            MessageType::Res,
                            MessageType::Inf,
                            MessageType::Inr,
                            MessageType::Cpg,
                            MessageType::Fac,
                            MessageType::Usr,
                            MessageType::Apm,
                            MessageType::Pri,
                            MessageType::Sgm,
                        ],
                    ),
                    c.cic,
                ) {
                    let trunk = c.trunk;
                    if let Some(t) = self.trunks.get_mut(trunk) {
                        let r = match m.message_type {
                            MessageType::Sus => t.isup.suspend(now, cic, m),
                            MessageType::Res => t.isup.resume(now, cic, m),
                            MessageType::Cpg => t.isup.progress(now, cic, m),
                            MessageType::Inf => t.isup.information(now, cic, m),
                            _ => t.isup.send_call_message(now, cic, m),
                        };
                        if let Err(e) = r {
                            self.events.push_back(GatewayEvent::Refused {
                                call: id.map(|i| i.0),
                                what: format!("ISUP from INFO: {e}"),
                            });
                        }
                    }
                }
                (200, None)
            }
            (Some(Method::Invite | Method::Update), Some(c)) => {
                // RFC 3264 6.1: the answer's direction mirrors the offer's; RFC 3398 9.2: an
                // offer that holds the call (or takes it off hold) is told to the PSTN in a
                // CPG with the generic notification "remote hold" ("remote retrieval").
                let offer = body::split(&request, c.trusted).ok().and_then(|b| b.sdp);
                let direction = offer
                    .as_deref()
                    .map_or("sendrecv", progress::answer_direction);
                let holds = offer.as_deref().and_then(progress::sdp_holds);
                let (trunk, cic) = (c.trunk, c.cic.unwrap_or(0));
                let notify = holds.filter(|h| {
                    c.answered && !c.pstn_done && c.transit.is_none() && *h != c.hold.remote_hold
                });
                let version = match id.and_then(|i| self.calls.get_mut(&i)) {
                    Some(c) => {
                        if let Some(h) = notify {
                            c.hold.remote_hold = h;
                        }
                        c.hold.version_for(direction)
                    }
                    None => 1,
                };
                if let (Some(h), Some(t)) = (notify, self.trunks.get_mut(trunk)) {
                    if let Err(e) = t.isup.progress(now, cic, progress::hold_cpg(h)) {
                        self.events.push_back(GatewayEvent::Refused {
                            call: id.map(|i| i.0),
                            what: format!("CPG for a hold: {e}"),
                        });
                    }
                }
                let mut sdp = self.circuit_sdp(trunk, cic, version);
                if direction != "sendrecv" && !sdp.is_empty() {
                    sdp = progress::sdp_with_direction(&sdp, direction);
                }
                (
                    200,
                    (!sdp.is_empty()).then(|| ("application/sdp".to_string(), sdp)),
                )
            }
            (Some(_), Some(_)) => (501, None),
            _ => (481, None),
        };
        let phrase = reason_phrase(status);
        let _ = self.ua.respond_request(
            now,
            &key,
            &request,
            status,
            phrase,
            body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone())),
        );
    }

    // ============================================================ from SIP

    /// INVITE received (RFC 3398 7.2.1.1): routed to a trunk group, an IAM on a free circuit.
    pub(super) fn incoming_invite(&mut self, now: Instant, h: CallHandle, invite: SipMessage) {
        let trusted = invite
            .top_via()
            .ok()
            .and_then(|v| {
                v.received()
                    .or_else(|| Some(v.sent_by()))
                    .map(|s| s.rsplit_once(':').map_or(s.clone(), |(a, _)| a.to_string()))
            })
            .and_then(|a| a.trim_start_matches('[').trim_end_matches(']').parse().ok())
            .is_some_and(|ip| self.trusted.contains(ip));
        let reject = |gw: &mut Gateway, status: u16, phrase: &str, headers: &[(&str, String)]| {
            let _ = gw.ua.respond_with(now, h, status, phrase, headers, None);
            gw.ua.forget(h);
        };
        let parts: SipBody = match body::split(&invite, trusted) {
            Ok(b) => b,
            Err(p) => {
                let status = p.status();
                let headers: Vec<(&str, String)> = if status == 415 {
                    vec![("Accept", body::accept().to_string())]
                } else {
                    Vec::new()
                };
                return reject(self, status, &p.reason_phrase(), &headers);
            }
        };
        let number = match invite.request_uri().map(numbers::uri_number) {
            Some(Ok(n)) => n,
            // RFC 3398 7.2.1.1: a Request-URI that is not a telephone number.
            _ => return reject(self, 404, "Not Found", &[]),
        };
        let invite_key = match (invite.call_id(), invite.from_tag()) {
            (Ok(call_id), Ok(Some(tag))) => Some((call_id, tag)),
            _ => None,
        };
        if let Some(old) = invite_key
            .as_ref()
            .and_then(|k| self.by_invite.get(k))
            .copied()
        {
            return self.overlap_invite(now, old, h, &number);
        }
        let id = self.new_call_id();
        self.stats.calls_started += 1;
        self.events.push_back(GatewayEvent::CallStarted {
            call: id.0,
            from_pstn: false,
            trunk: String::new(),
            cic: None,
            called: number.clone(),
        });
        let mut call = Call::new(id, false, 0, number.clone(), now);
        call.sip = Some(h);
        call.trusted = trusted;
        call.pstn_done = true; // no circuit yet
        if let Some(k) = invite_key {
            self.by_invite.insert(k.clone(), id);
            call.invite_key = Some(k);
        }
        self.insert(call);
        let Some(decision) = self.routes.lookup(&number) else {
            return self.clear_sip(now, id, cause::NO_ROUTE);
        };
        let groups: Vec<String> = decision
            .targets
            .iter()
            .filter_map(|t| match t {
                RouteTarget::Trunk { group } => Some(group.clone()),
                RouteTarget::Sip { .. } => None,
            })
            .collect();
        if groups.is_empty() {
            // Not a proxy: a SIP call routed back to SIP has nowhere to go.
            return self.clear_sip(now, id, cause::NO_ROUTE);
        }
        let base = parts.isup.filter(|m| m.message_type == MessageType::Iam);
        let defaults = IamDefaults {
            country_code: self.settings.country_code.clone(),
            peer_trusted: trusted,
            ..IamDefaults::default()
        };
        let mut iam = match setup::invite_to_iam(&invite, &decision.number, base, &defaults) {
            Ok(iam) => iam,
            Err(_) => {
                // The called number cannot be an ISUP number: address incomplete (28).
                return self.clear_sip(now, id, 28);
            }
        };
        if let Some(noa) = decision.noa {
            set_called_noa(&mut iam, &decision.number, noa);
        }
        // The route's trunk groups in order: the first with a free circuit takes the call.
        let Some((group, (trunk, cic))) = groups
            .into_iter()
            .find_map(|g| self.select_circuit(&g).map(|c| (g, c)))
        else {
            return self.clear_sip(now, id, cause::NO_CIRCUIT);
        };
        let sent = self
            .trunks
            .get_mut(trunk)
            .map(|t| t.isup.setup(now, cic, iam.clone()));
        match sent {
            Some(Ok(())) => {
                if let Some(c) = self.calls.get_mut(&id) {
                    c.trunk = trunk;
                    c.cic = Some(cic);
                    c.iam = Some(iam);
                    c.pstn_done = false;
                    c.routed_at = Some(now);
                }
                self.by_circuit.insert((trunk, cic), id);
                self.events.push_back(GatewayEvent::CallRouted {
                    call: id.0,
                    to: format!("trunk:{group}"),
                    cic: Some(cic),
                    added_us: None,
                });
            }
            _ => self.clear_sip(now, id, cause::NO_CIRCUIT),
        }
    }
}

impl Gateway {
    /// RFC 3578 3.5: an INVITE with the Call-ID and From tag of a call from SIP still in
    /// set-up and a longer number is that call's next digits: a SAM with the new digits, and
    /// 484 to the earlier INVITE; the call goes on with the new INVITE. Anything else with
    /// that Call-ID and From tag is refused (the call is past its address phase, or the
    /// number is not an extension of the one sent).
    fn overlap_invite(&mut self, now: Instant, id: CallId, h: CallHandle, number: &str) {
        let refuse = |gw: &mut Gateway, phrase: &str| {
            let _ = gw.ua.respond_with(now, h, 484, phrase, &[], None);
            gw.ua.forget(h);
        };
        let Some(c) = self.calls.get(&id) else {
            return refuse(self, "Address Incomplete");
        };
        let in_setup = !c.from_pstn && !c.acm && !c.answered && !c.pstn_done;
        let (Some(cic), Some(old_h), true) = (c.cic, c.sip, in_setup) else {
            return refuse(self, "Call Past Its Address Phase");
        };
        let Some(sam) = overlap::subsequent_address(&c.called, number) else {
            return refuse(self, "Not More Digits of the Same Number");
        };
        let trunk = c.trunk;
        let sent = self
            .trunks
            .get_mut(trunk)
            .map(|t| t.isup.subsequent_address(now, cic, sam));
        if !matches!(sent, Some(Ok(()))) {
            return refuse(self, "Address Incomplete");
        }
        let _ = self
            .ua
            .respond_with(now, old_h, 484, "Address Incomplete", &[], None);
        self.by_sip.remove(&old_h);
        self.ua.forget(old_h);
        self.by_sip.insert(h, id);
        if let Some(c) = self.calls.get_mut(&id) {
            c.sip = Some(h);
            c.called = number.to_string();
        }
    }
}

// ============================================================ RFC 3578 3: overlap into SIP

impl Gateway {
    /// A SAM on a call with overlap carried into SIP (RFC 3578 3.2): T10 again and a new
    /// INVITE with all the digits so far; the earlier INVITEs are not cancelled (3.4). SAMs
    /// after T10 has expired, after the number is complete or after a 2xx are ignored.
    fn overlap_sam(&mut self, now: Instant, id: CallId, sam: &Message) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(o) = c.sip_overlap.as_mut().filter(|o| o.collecting) else {
            return;
        };
        let added = o.digits.add_sam(sam);
        let complete = o.digits.is_complete();
        if added {
            c.called = o.digits.number().to_string();
            if let Some(iam) = c.iam.as_mut() {
                // RFC 3578 3.2: "the IAM and all the SAMs received so far" to a trusted peer:
                // here the IAM with the whole number so far.
                extend_called_number(iam, &c.called);
            }
        }
        let awaiting_continuity = c.awaiting_continuity;
        if complete {
            // No more digits: T10 is not needed any more.
            o.collecting = false;
            c.t10_due = None;
        } else {
            self.restart_t10(now, id);
        }
        if added && !awaiting_continuity {
            self.overlap_invite_next(now, id);
        }
        self.overlap_maybe_failed(now, id);
    }

    /// T10 expired on a call with overlap carried into SIP: no more digits (RFC 3578 3.2);
    /// REL if every INVITE has already failed.
    fn overlap_t10_expired(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        c.t10_due = None;
        if let Some(o) = c.sip_overlap.as_mut() {
            o.collecting = false;
        }
        self.overlap_maybe_failed(now, id);
    }

    /// The INVITE for the digits so far (RFC 3578 3.2): the first one as any INVITE, the
    /// next ones as siblings of the latest (same Call-ID and From, higher CSeq, no To tag).
    /// To the first SIP target of the route for the number so far; no route yet: wait for
    /// more digits.
    fn overlap_invite_next(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        if c.pstn_done || c.answered {
            return;
        }
        let (trunk, cic, latest) = (c.trunk, c.cic.unwrap_or(0), c.sip);
        let digits = c.called.trim_start_matches('+').len();
        let located = self.routes.lookup(&c.called).and_then(|d| {
            d.targets.into_iter().find_map(|t| {
                let RouteTarget::Sip { uri } = t else {
                    return None;
                };
                let uri = Uri::parse(&uri).ok()?;
                let targets = self.locate(&uri);
                (!targets.is_empty()).then_some((uri, targets))
            })
        });
        let Some((uri, targets)) = located else {
            return;
        };
        let trusted = targets.first().is_some_and(|t| self.trusted(t));
        let Some((headers, body)) = self.invite_parts(id, trunk, cic, trusted) else {
            return;
        };
        let body = body.as_ref().map(|(ct, b)| (ct.as_str(), b.clone()));
        let r = match latest {
            Some(of) => {
                self.ua
                    .invite_sibling(now, of, uri.clone(), targets, &headers.headers, body)
            }
            None => self.ua.invite_with(
                now,
                headers.from,
                uri.clone(),
                targets,
                &headers.headers,
                body,
            ),
        };
        let h = match r {
            Ok(h) => h,
            Err(e) => {
                self.events.push_back(GatewayEvent::Refused {
                    call: Some(id.0),
                    what: format!("INVITE to {uri}: {e}"),
                });
                return;
            }
        };
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(o) = c.sip_overlap.as_mut() else {
            return;
        };
        o.pending.push((h, digits));
        // The previous latest is kept by the UA only while its INVITE is pending.
        let done = latest.filter(|l| o.digits_of(*l).is_none());
        c.sip = Some(h);
        c.sip_done = false;
        c.trusted = trusted;
        let first = c.routed_at.is_none();
        if first {
            c.routed_at = Some(now);
            if let Some(t11) = self.settings.t11 {
                self.timers.insert((now + t11, id, GatewayTimer::T11));
            }
        }
        if let Some(old) = done {
            self.by_sip.remove(&old);
            self.ua.forget(old);
        }
        self.by_sip.insert(h, id);
        if first {
            self.events.push_back(GatewayEvent::CallRouted {
                call: id.0,
                to: uri.to_string(),
                cic: Some(cic),
                added_us: None,
            });
        }
    }

    /// RFC 3578 3.2: once no more SAMs can come and every INVITE has failed, the REL, with
    /// the cause of the best response (RFC 3398 8.2.6.1 through the route's cause map); no
    /// INVITE at all (no route for any of the numbers): cause 3.
    fn overlap_maybe_failed(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        if c.answered || c.pstn_done {
            return;
        }
        let Some(o) = c.sip_overlap.as_ref().filter(|o| o.failed()) else {
            return;
        };
        let best = o.best.clone();
        c.sip_done = true;
        let rel = match best {
            None => progress::release_message(cause_indicators(cause::NO_ROUTE)),
            Some((status, _, response)) => {
                c.status = Some(status);
                let trusted = c.trusted;
                let called = c.called.clone();
                match response {
                    Some(r) => match encapsulated(&r, trusted, &[MessageType::Rel]) {
                        Some(rel) => rel,
                        None => {
                            let map = self.causes_for(&called);
                            progress::release_message(progress::release_cause_for_response(
                                &r, None, &map,
                            ))
                        }
                    },
                    // RFC 3398 8.1.3: no response to the INVITE: cause 18.
                    None => progress::release_message(cause_indicators(cause::NO_USER_RESPONDING)),
                }
            }
        };
        self.release_pstn_with(now, id, rel);
    }

    /// A final error response (or none) to one of the INVITEs of an overlap call: no REL
    /// while more digits may come or another INVITE is pending (RFC 3578 3.2).
    fn overlap_rejected(
        &mut self,
        now: Instant,
        id: CallId,
        h: CallHandle,
        status: u16,
        response: Option<&SipMessage>,
    ) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(o) = c.sip_overlap.as_mut() else {
            return;
        };
        o.completed(h, status, response);
        if c.sip != Some(h) {
            // An earlier INVITE: done with. The latest stays with the UA for the next one.
            self.by_sip.remove(&h);
            self.ua.forget(h);
        }
        self.overlap_maybe_failed(now, id);
    }

    /// A 2xx to one of the INVITEs of an overlap call: that one is the call's SIP leg; every
    /// other pending INVITE is cancelled (RFC 3578 3.4, as a proxy does, RFC 3261 16.7 step
    /// 10, with the Reason of RFC 3326); their late 2xx are ACKed and ended with BYE as
    /// orphans. (A 2xx to another after that is an orphan's too: the call has no INVITE of
    /// its own pending any more.)
    fn overlap_answered(&mut self, now: Instant, id: CallId, h: CallHandle) {
        let Some(c) = self.calls.get_mut(&id) else {
            return;
        };
        let Some(mut o) = c.sip_overlap.take() else {
            return;
        };
        c.t10_due = None;
        let latest = c.sip.replace(h);
        let others: Vec<CallHandle> = o
            .pending
            .drain(..)
            .map(|(p, _)| p)
            .filter(|p| *p != h)
            .collect();
        let reason = [(
            "Reason",
            "SIP;cause=200;text=\"Call completed elsewhere\"".to_string(),
        )];
        for p in others {
            self.by_sip.remove(&p);
            let _ = self.ua.hangup_with(now, p, None, &reason, None);
        }
        if let Some(l) = latest.filter(|l| *l != h) {
            // The latest was no longer pending (rejected, kept for siblings): forgotten.
            if self.by_sip.get(&l) == Some(&id) {
                self.by_sip.remove(&l);
                self.ua.forget(l);
            }
        }
    }
}

/// Writes the whole collected number into the IAM's called party number (its nature of
/// address and indicators kept), so that the INVITE's encapsulated IAM carries it.
fn extend_called_number(iam: &mut Message, number: &str) {
    use sipt_codecs::isup::Digits;
    let Ok(digits) = Digits::parse(number.trim_start_matches('+')) else {
        return;
    };
    if let Some(ps) = iam.parameters_mut() {
        for p in ps.iter_mut() {
            if let Parameter::CalledPartyNumber(n) = p {
                n.digits = digits;
                return;
            }
        }
    }
}

/// Writes the route's nature of address into the IAM's called party number.
fn set_called_noa(iam: &mut Message, number: &str, noa: NatureOfAddressChoice) {
    use sipt_codecs::isup::NatureOfAddress;
    let n = match noa {
        NatureOfAddressChoice::International => NatureOfAddress::InternationalNumber,
        NatureOfAddressChoice::National => NatureOfAddress::NationalNumber,
        NatureOfAddressChoice::Subscriber => NatureOfAddress::SubscriberNumber,
        NatureOfAddressChoice::Unknown => NatureOfAddress::UnknownNumber,
    };
    let digits = number.trim_start_matches('+');
    let Ok(cpn) = numbers::called_party_number(digits, Some(n)) else {
        return;
    };
    if let Some(ps) = iam.parameters_mut() {
        for p in ps.iter_mut() {
            if let Parameter::CalledPartyNumber(old) = p {
                *old = cpn;
                return;
            }
        }
    }
}

/// The reason phrase we send with a status (RFC 3261 21).
pub fn reason_phrase(status: u16) -> &'static str {
    match status {
        180 => "Ringing",
        181 => "Call Is Being Forwarded",
        182 => "Queued",
        183 => "Session Progress",
        200 => "OK",
        400 => "Bad Request",
        403 => "Forbidden",
        404 => "Not Found",
        408 => "Request Timeout",
        410 => "Gone",
        415 => "Unsupported Media Type",
        480 => "Temporarily Unavailable",
        481 => "Call/Transaction Does Not Exist",
        484 => "Address Incomplete",
        485 => "Ambiguous",
        486 => "Busy Here",
        487 => "Request Terminated",
        488 => "Not Acceptable Here",
        500 => "Server Internal Error",
        501 => "Not Implemented",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Server Time-out",
        600 => "Busy Everywhere",
        603 => "Decline",
        604 => "Does Not Exist Anywhere",
        606 => "Not Acceptable",
        _ => "Unknown",
    }
}
