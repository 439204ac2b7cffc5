//! The gateway: ISUP circuits and SIP calls meeting through the interworking of RFC 3398 and
//! RFC 3372 (DESIGN.md, "The flow of a call"), as a sans-IO machine.
//!
//! [`Gateway`] owns one [`Isup`] per signalling relation (a linkset: OPC, DPC and its CICs),
//! the SIP [`UserAgent`], the routing table and the calls. It takes inputs with the current
//! time — ISUP messages and MTP indications per trunk, SIP octets, timer expiry — and queues
//! outputs: ISUP messages for MTP ([`Gateway::poll_isup_transmit`]), SIP octets for the
//! transports ([`Gateway::poll_sip_transmit`]) and [`GatewayEvent`]s for the log and the
//! summary. The async shell ([`shell`]) moves octets and time only.
//!
//! A call ([`call::Call`]) has one owner, this machine; its PSTN leg is a circuit of a trunk
//! and its SIP leg a [`CallHandle`] of the UA. The two meet only through the functions of
//! [`crate::interwork`]. A call is forgotten when both legs are over: the circuit released
//! (ISUP itself brings it back to idle: RLC, or reset — Q.764 2.9.3) and the SIP dialog
//! ended; [`Gateway::calls`] counts those alive.

pub mod call;
pub mod qsig;
pub mod shell;
pub mod transit;

use std::collections::{HashMap, VecDeque};
use std::net::{IpAddr, SocketAddr};

use sipt_codecs::isup::CicMessage;
use sipt_codecs::wire::DecodeError;

use crate::config::{Config, LinkConfig, Protocol};
use crate::isup::{Config as IsupConfig, Isup, IsupEvent, MtpIndication};
use crate::route::{CircuitSelector, RouteTable};
use crate::sip::message::{Scheme, Uri};
use crate::sip::transport::{ConnectionId, Target, TransportKind};
use crate::sip::ua::{Outgoing, UaConfig, UaEvent, UserAgent};
use crate::time::{earliest, Instant};
use call::{Call, CallId};

/// Why the gateway could not be built from a configuration.
#[derive(Debug, thiserror::Error)]
pub enum GatewayError {
    #[error("link {link}: {message}")]
    Link { link: String, message: String },
    #[error("routing: {0}")]
    Route(String),
    #[error("[sip] trusted: {0:?} is not an address or address/prefix")]
    Trusted(String),
}

/// One ISUP signalling relation and its circuits.
#[derive(Debug)]
pub struct Trunk {
    /// The first link of the linkset (name, CICs, media endpoints).
    pub link: LinkConfig,
    pub isup: Isup,
    selector: CircuitSelector,
}

impl Trunk {
    pub fn name(&self) -> &str {
        &self.link.name
    }
}

/// The `[sip] trusted` list: peers that may send and receive encapsulated ISUP (RFC 3372 6,
/// RFC 3398 5.1) and asserted identities (RFC 3325).
#[derive(Debug, Clone, Default)]
pub struct TrustList(Vec<(IpAddr, u8)>);

impl TrustList {
    /// Parses `a.b.c.d`, `a.b.c.d/n`, IPv6 likewise.
    pub fn parse(entries: &[String]) -> Result<TrustList, GatewayError> {
        let mut v = Vec::new();
        for e in entries {
            let (addr, len) = match e.split_once('/') {
                Some((a, n)) => (a, Some(n)),
                None => (e.as_str(), None),
            };
            let addr: IpAddr = addr
                .trim()
                .parse()
                .map_err(|_| GatewayError::Trusted(e.clone()))?;
            let max = if addr.is_ipv4() { 32 } else { 128 };
            let len = match len {
                Some(n) => n
                    .trim()
                    .parse::<u8>()
                    .ok()
                    .filter(|n| *n <= max)
                    .ok_or_else(|| GatewayError::Trusted(e.clone()))?,
                None => max,
            };
            v.push((addr, len));
        }
        Ok(TrustList(v))
    }

    pub fn contains(&self, ip: IpAddr) -> bool {
        self.0.iter().any(|&(net, len)| match (net, ip) {
            (IpAddr::V4(n), IpAddr::V4(a)) => {
                let mask = u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0);
                u32::from(n) & mask == u32::from(a) & mask
            }
            (IpAddr::V6(n), IpAddr::V6(a)) => {
                let mask = u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0);
                u128::from(n) & mask == u128::from(a) & mask
            }
            _ => false,
        })
    }
}

/// The gateway's own timers (the ISUP and SIP ones are in [`Isup`] and [`UserAgent`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum GatewayTimer {
    /// ISUP T11 of a call from the PSTN (RFC 3398 8.2.8, Q.764 2.1.4.6): when no 18x has come
    /// by then, an ACM goes back so that the far exchange's T7 does not expire.
    T11,
    /// T10 of a call whose digits are being collected (RFC 3578 2.2): when no digit has come
    /// for its time, the number is taken as complete; with overlap carried into SIP (3.2),
    /// no more INVITEs are made and the call fails once all of them have.
    T10,
}

/// Settings of the interworking that are not per route.
#[derive(Debug, Clone)]
pub struct Settings {
    /// ISUP T11 (RFC 3398 8.2.8: 15-20 s, shorter than the far exchange's T7); `None`: off.
    pub t11: Option<std::time::Duration>,
    /// Our address for URIs we build (From without a number, RFC 3398 8.2.1.1).
    pub host: String,
    /// The country code for E.164 forms of national numbers, if known.
    pub country_code: Option<String>,
    /// Diversion (RFC 5806) rather than History-Info (RFC 7044) for redirection.
    pub diversion_header: bool,
}

/// What happened, for the log, the demo's progress and the summary.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum GatewayEvent {
    /// A call began: an IAM arrived (`from_pstn`) or an INVITE did.
    CallStarted {
        call: u64,
        from_pstn: bool,
        trunk: String,
        cic: Option<u16>,
        called: String,
    },
    /// The call was routed and its other leg set up (INVITE or IAM sent).
    CallRouted {
        call: u64,
        to: String,
        cic: Option<u16>,
        /// The time the gateway took from the set-up message in (IAM or INVITE, as delivered
        /// by MTP or the transport) to the other leg's set-up message handed to MTP or the
        /// transport: measured by the shell on its clock (the core has no clock), `None` in
        /// the core's own events.
        added_us: Option<u64>,
    },
    /// The far end alerts (ACM/CPG alerting, or 180).
    CallAlerting {
        call: u64,
    },
    CallAnswered {
        call: u64,
    },
    /// A SIP target failed with 503, 408 or a timeout; the next one is tried.
    Alternate {
        call: u64,
        to: String,
    },
    /// Both legs are over. `cause`: the Q.850 cause of the release on the ISUP side;
    /// `status`: the SIP final status of the INVITE when it was not 2xx.
    CallEnded {
        call: u64,
        answered: bool,
        cause: Option<u8>,
        status: Option<u16>,
        duration_ms: u64,
    },
    /// An ISUP event that is not about a call (maintenance, relation state).
    Isup {
        trunk: String,
        isup: IsupEvent,
    },
    /// SIP input that could not be used.
    SipDiscarded {
        reason: String,
    },
    /// A command to ISUP or the UA was refused (a bug or a race worth seeing in the log).
    Refused {
        call: Option<u64>,
        what: String,
    },
}

/// Gauges and counters.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Stats {
    pub calls_started: u64,
    pub calls_answered: u64,
    pub calls_ended: u64,
    pub calls_failed: u64,
}

/// The calls by circuit (trunk, CIC), and how many circuits of each trunk carry one.
#[derive(Debug, Default)]
struct CircuitIndex {
    map: HashMap<(usize, u16), CallId>,
    in_use: Vec<usize>,
}

impl CircuitIndex {
    fn get(&self, key: &(usize, u16)) -> Option<&CallId> {
        self.map.get(key)
    }

    fn insert(&mut self, key: (usize, u16), id: CallId) {
        if self.map.insert(key, id).is_none() {
            if self.in_use.len() <= key.0 {
                self.in_use.resize(key.0 + 1, 0);
            }
            self.in_use[key.0] += 1;
        }
    }

    fn remove(&mut self, key: &(usize, u16)) -> Option<CallId> {
        let id = self.map.remove(key)?;
        if let Some(n) = self.in_use.get_mut(key.0) {
            *n = n.saturating_sub(1);
        }
        crate::sip::shrink_sparse(&mut self.map);
        Some(id)
    }

    /// How many circuits of trunk `trunk` carry a call.
    fn in_use(&self, trunk: usize) -> usize {
        self.in_use.get(trunk).copied().unwrap_or(0)
    }
}

/// The gateway (see the module documentation).
#[derive(Debug)]
pub struct Gateway {
    trunks: Vec<Trunk>,
    ua: UserAgent,
    routes: RouteTable,
    /// The `[sip] causes` profile, for calls no route matches.
    default_causes: crate::interwork::causes::CauseMap,
    trusted: TrustList,
    settings: Settings,
    /// Where requests for a host name go (resolved by the shell before start).
    locations: HashMap<String, Vec<Target>>,
    /// Boxed: the map keeps room for more calls than it holds (up to half again after it
    /// grows), and a slot is a pointer rather than a whole call.
    calls: HashMap<CallId, Box<Call>>,
    by_circuit: CircuitIndex,
    by_sip: HashMap<crate::sip::ua::CallHandle, CallId>,
    next_call: u64,
    isup_out: VecDeque<(usize, u8, CicMessage)>,
    events: VecDeque<GatewayEvent>,
    stats: Stats,
    /// The gateway's own timers, by deadline: T11 and T10 (see [`GatewayTimer`]). An entry
    /// whose call has moved on is skipped when it comes due.
    timers: std::collections::BTreeSet<(Instant, CallId, GatewayTimer)>,
    /// Calls from SIP still in set-up, by the INVITE's Call-ID and From tag: a later INVITE
    /// of the same call with more digits is overlap (RFC 3578 3.5).
    by_invite: HashMap<(String, String), CallId>,
    /// The QSIG D-channels (`protocol = "qsig"` links), beside the ISUP trunks.
    qsig_trunks: Vec<qsig::QsigTrunk>,
    /// The calls whose PSTN leg is a QSIG call ([`qsig`]); their SIP handles are in
    /// `by_sip` too.
    qcalls: HashMap<CallId, qsig::QsigCall>,
    by_qsig: HashMap<(usize, crate::qsig::CallId), CallId>,
    /// Frames for the D-channels: (QSIG trunk, frame).
    dchannel_out: VecDeque<(usize, Vec<u8>)>,
}

impl Gateway {
    /// A gateway for the ISUP links and routes of `config`, with `ua` as its SIP side.
    pub fn new(config: &Config, ua: UaConfig, seed: u64) -> Result<Gateway, GatewayError> {
        let routes =
            RouteTable::from_config(config).map_err(|e| GatewayError::Route(e.to_string()))?;
        let trusted = TrustList::parse(
            config
                .sip
                .as_ref()
                .map(|s| s.trusted.as_slice())
                .unwrap_or(&[]),
        )?;
        let mut trunks = Vec::new();
        let mut seen = std::collections::HashSet::new();
        for link in config.links.iter().filter(|l| l.protocol == Protocol::Isup) {
            let set = config.linkset_of(link);
            let first = set.first().copied().unwrap_or(link);
            if !seen.insert(first.name.clone()) {
                continue;
            }
            trunks.push(trunk_for(first)?);
        }
        let mut qsig_trunks = Vec::new();
        for link in config.links.iter().filter(|l| l.protocol == Protocol::Qsig) {
            qsig_trunks.push(qsig::QsigTrunk::for_link(link)?);
        }
        let settings = Settings {
            t11: Some(std::time::Duration::from_secs(15)),
            host: format!("{}:{}", ua.host, ua.port),
            country_code: None,
            diversion_header: config.sip.as_ref().is_some_and(|s| s.diversion_header),
        };
        let profile = config.sip.as_ref().map(|s| s.causes).unwrap_or_default();
        let default_causes = crate::interwork::causes::CauseMap::profile(profile.name())
            .unwrap_or_else(crate::interwork::causes::CauseMap::rfc3398);
        Ok(Gateway {
            trunks,
            ua: UserAgent::new(ua, seed),
            routes,
            default_causes,
            trusted,
            settings,
            locations: HashMap::new(),
            calls: HashMap::new(),
            by_circuit: CircuitIndex::default(),
            by_sip: HashMap::new(),
            next_call: 0,
            isup_out: VecDeque::new(),
            events: VecDeque::new(),
            stats: Stats::default(),
            timers: std::collections::BTreeSet::new(),
            by_invite: HashMap::new(),
            qsig_trunks,
            qcalls: HashMap::new(),
            by_qsig: HashMap::new(),
            dchannel_out: VecDeque::new(),
        })
    }

    pub fn trunks(&self) -> &[Trunk] {
        &self.trunks
    }

    pub fn trunk_mut(&mut self, index: usize) -> Option<&mut Trunk> {
        self.trunks.get_mut(index)
    }

    pub fn ua(&mut self) -> &mut UserAgent {
        &mut self.ua
    }

    pub fn settings_mut(&mut self) -> &mut Settings {
        &mut self.settings
    }

    /// The calls alive (either leg not yet over), ISUP and QSIG.
    pub fn calls(&self) -> usize {
        self.calls.len() + self.qcalls.len()
    }

    /// How many circuits of ISUP trunk `trunk` carry a call (what circuit selection skips a
    /// full trunk by).
    pub fn circuits_in_use(&self, trunk: usize) -> usize {
        self.by_circuit.in_use(trunk)
    }

    /// The QSIG D-channels, in the order of their links in the configuration.
    pub fn qsig_trunks(&self) -> &[qsig::QsigTrunk] {
        &self.qsig_trunks
    }

    /// The index of the QSIG trunk of link `name`.
    pub fn qsig_trunk_index(&self, name: &str) -> Option<usize> {
        self.qsig_trunks.iter().position(|t| t.name() == name)
    }

    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// Requests for `host` go to `targets` (RFC 3263 location done by the shell).
    pub fn set_location(&mut self, host: &str, targets: Vec<Target>) {
        self.locations.insert(host.to_ascii_lowercase(), targets);
    }

    /// Where a request for `uri` goes: an address literal directly (RFC 3263 4.2: port 5060,
    /// UDP unless the URI says otherwise), a name as located by the shell.
    pub fn locate(&self, uri: &Uri) -> Vec<Target> {
        let transport = uri
            .transport()
            .and_then(|t| TransportKind::from_token(&t))
            .unwrap_or(if uri.scheme == Scheme::Sips {
                TransportKind::Tls
            } else {
                TransportKind::Udp
            });
        let host = uri.host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = host.parse::<IpAddr>() {
            let port = uri.port.unwrap_or(if transport == TransportKind::Tls {
                5061
            } else {
                5060
            });
            return vec![Target::new(transport, SocketAddr::new(ip, port))];
        }
        self.locations
            .get(&uri.host.to_ascii_lowercase())
            .cloned()
            .unwrap_or_default()
    }

    fn trusted(&self, target: &Target) -> bool {
        self.trusted.contains(target.addr.ip())
    }

    /// Whether a request comes from a trusted peer: the address its top Via says it came
    /// from (`received`, else sent-by: RFC 3261 18.2.1).
    fn request_trusted(&self, request: &crate::sip::message::Message) -> bool {
        request
            .top_via()
            .ok()
            .and_then(|v| {
                v.received()
                    .or_else(|| Some(v.sent_by()))
                    .map(|s| s.rsplit_once(':').map_or(s.clone(), |(a, _)| a.to_string()))
            })
            .and_then(|a| a.trim_start_matches('[').trim_end_matches(']').parse().ok())
            .is_some_and(|ip| self.trusted.contains(ip))
    }

    // ------------------------------------------------------------------ inputs

    /// An ISUP message MTP delivered on trunk `trunk`.
    pub fn handle_isup(&mut self, now: Instant, trunk: usize, message: CicMessage) {
        if let Some(t) = self.trunks.get_mut(trunk) {
            t.isup.handle_message(now, message);
        }
        self.pump(now);
    }

    /// ISUP octets (CIC first) that did not decode: counted by ISUP and dropped.
    pub fn handle_isup_octets(
        &mut self,
        now: Instant,
        trunk: usize,
        octets: &[u8],
    ) -> Result<(), DecodeError> {
        let r = match self.trunks.get_mut(trunk) {
            Some(t) => t.isup.handle_octets(now, octets),
            None => Ok(()),
        };
        self.pump(now);
        r
    }

    /// An MTP indication (pause, resume, status) for trunk `trunk`.
    pub fn handle_mtp(&mut self, now: Instant, trunk: usize, indication: MtpIndication) {
        if let Some(t) = self.trunks.get_mut(trunk) {
            t.isup.handle_mtp(now, indication);
        }
        self.pump(now);
    }

    /// Starts multiple frame establishment on every D-channel (Q.921 5.5.1).
    pub fn start_dchannels(&mut self, now: Instant) {
        for t in &mut self.qsig_trunks {
            t.dchannel.start(now);
        }
        self.pump(now);
    }

    /// A Q.921 frame (without flags and FCS) received on QSIG trunk `trunk`.
    pub fn handle_dchannel_frame(&mut self, now: Instant, trunk: usize, frame: &[u8]) {
        if let Some(t) = self.qsig_trunks.get_mut(trunk) {
            t.dchannel.handle_frame(now, frame);
        }
        self.pump(now);
    }

    /// QSIG trunk `trunk`'s transport is gone: its D-channel is deactivated at once
    /// ([`DChannel::deactivate`]), so the calls on it are cleared by Q.931 5.8.9 now.
    pub fn dchannel_lost(&mut self, now: Instant, trunk: usize) {
        if let Some(t) = self.qsig_trunks.get_mut(trunk) {
            t.dchannel.deactivate(now);
        }
        self.pump(now);
    }

    /// QSIG trunk `trunk`'s transport is (back) up: establishment starts if needed.
    pub fn dchannel_up(&mut self, now: Instant, trunk: usize) {
        if let Some(t) = self.qsig_trunks.get_mut(trunk) {
            t.dchannel.activate(now);
        }
        self.pump(now);
    }

    /// The next Q.921 frame to send: (QSIG trunk, frame).
    pub fn poll_dchannel_transmit(&mut self) -> Option<(usize, Vec<u8>)> {
        self.dchannel_out.pop_front()
    }

    /// SIP octets received.
    pub fn handle_sip(
        &mut self,
        now: Instant,
        bytes: &[u8],
        source: Target,
        connection: Option<ConnectionId>,
    ) {
        self.ua.handle_received(now, bytes, source, connection);
        self.pump(now);
    }

    /// The transport could not send `bytes`.
    pub fn sip_send_failed(&mut self, now: Instant, bytes: &[u8]) {
        self.ua.send_failed(now, bytes);
        self.pump(now);
    }

    pub fn poll_timeout(&self) -> Option<Instant> {
        let mut t = earliest(
            self.ua.poll_timeout(),
            self.timers.first().map(|&(t, _, _)| t),
        );
        for trunk in &self.trunks {
            t = earliest(t, trunk.isup.poll_timeout());
        }
        for trunk in &self.qsig_trunks {
            t = earliest(t, trunk.dchannel.poll_timeout());
        }
        t
    }

    pub fn handle_timeout(&mut self, now: Instant) {
        if self.ua.poll_timeout().is_some_and(|t| t <= now) {
            self.ua.handle_timeout(now);
        }
        while let Some(&(t, id, timer)) = self.timers.first() {
            if t > now {
                break;
            }
            self.timers.pop_first();
            match timer {
                GatewayTimer::T11 => self.t11_expired(now, id),
                GatewayTimer::T10 => self.t10_expired(now, id, t),
            }
        }
        for trunk in &mut self.trunks {
            if trunk.isup.poll_timeout().is_some_and(|t| t <= now) {
                trunk.isup.handle_timeout(now);
            }
        }
        for trunk in &mut self.qsig_trunks {
            if trunk.dchannel.poll_timeout().is_some_and(|t| t <= now) {
                trunk.dchannel.handle_timeout(now);
            }
        }
        self.pump(now);
    }

    // ------------------------------------------------------------------ outputs

    /// The next ISUP message for MTP-TRANSFER: (trunk, SLS, message).
    pub fn poll_isup_transmit(&mut self) -> Option<(usize, u8, CicMessage)> {
        let m = self.isup_out.pop_front();
        if m.is_none() && self.isup_out.capacity() > 1024 {
            // The group resets of a start with thousands of circuits need a long queue once;
            // its room is not kept for ever.
            self.isup_out.shrink_to(64);
        }
        m
    }

    pub fn poll_sip_transmit(&mut self) -> Option<Outgoing> {
        self.ua.poll_transmit()
    }

    pub fn poll_event(&mut self) -> Option<GatewayEvent> {
        self.events.pop_front()
    }

    // ------------------------------------------------------------------ the machine

    /// Moves events between ISUP, the UA and the calls until nothing moves.
    fn pump(&mut self, now: Instant) {
        loop {
            let mut moved = false;
            for i in 0..self.trunks.len() {
                while let Some(e) = self.trunks[i].isup.poll_event() {
                    moved = true;
                    self.isup_event(now, i, e);
                }
            }
            for i in 0..self.qsig_trunks.len() {
                while let Some(e) = self.qsig_trunks[i].dchannel.poll_event() {
                    moved = true;
                    self.qsig_event(now, i, e);
                }
            }
            while let Some(e) = self.ua.poll_event() {
                moved = true;
                self.ua_event(now, e);
            }
            if !moved {
                break;
            }
        }
        for (i, t) in self.qsig_trunks.iter_mut().enumerate() {
            let mut frame = Vec::new();
            while t.dchannel.poll_transmit(now, &mut frame) {
                self.dchannel_out.push_back((i, std::mem::take(&mut frame)));
            }
        }
        for (i, t) in self.trunks.iter_mut().enumerate() {
            while let Some((sls, m)) = t.isup.poll_transmit() {
                self.isup_out.push_back((i, sls, m));
            }
        }
    }

    /// A new call: its id, counted and announced (`call_started`). `trunk` and `cic`: where a
    /// call from the PSTN or a PBX came in (a CIC or a B-channel); none for a call from SIP.
    fn start_call(
        &mut self,
        from_pstn: bool,
        trunk: String,
        cic: Option<u16>,
        called: &str,
    ) -> CallId {
        self.next_call += 1;
        let id = CallId(self.next_call);
        self.stats.calls_started += 1;
        self.events.push_back(GatewayEvent::CallStarted {
            call: id.0,
            from_pstn,
            trunk,
            cic,
            called: called.to_string(),
        });
        id
    }

    fn ua_event(&mut self, now: Instant, e: UaEvent) {
        // The SIP leg of a call already forgotten: its BYE or CANCEL was sent when the ISUP
        // side ended; the UA forgets it once it is over. A 2xx that crossed our CANCEL is
        // ACKed by the UA and then ended with a BYE (RFC 3398 8.2.7).
        let orphan = match &e {
            UaEvent::Ended { call, .. }
            | UaEvent::Rejected { call, .. }
            | UaEvent::TimedOut { call }
            | UaEvent::Cancelled { call, .. }
            | UaEvent::Answered { call, .. } => (!self.by_sip.contains_key(call)).then_some(*call),
            _ => None,
        };
        if let Some(call) = orphan {
            if matches!(e, UaEvent::Answered { .. }) {
                let _ = self.ua.hangup(now, call);
            } else {
                self.ua.forget(call);
            }
            return;
        }
        if self.qsig_ua_event(now, &e) {
            return;
        }
        match e {
            UaEvent::Incoming { call, invite } => {
                if !self.qsig_route_invite(now, call, &invite) {
                    self.incoming_invite(now, call, invite)
                }
            }
            UaEvent::Progress { call, response } => self.sip_progress(now, call, &response),
            UaEvent::Answered { call, response } => self.sip_answered(now, call, &response),
            UaEvent::Rejected { call, response } => self.sip_rejected(now, call, Some(&response)),
            UaEvent::TimedOut { call } => self.sip_rejected(now, call, None),
            UaEvent::Cancelled { call, reason } => {
                self.sip_ended(now, call, reason.as_deref(), None)
            }
            UaEvent::Ended {
                call, reason, bye, ..
            } => self.sip_ended(now, call, reason.as_deref(), bye.as_deref()),
            UaEvent::Confirmed { .. } => {}
            UaEvent::Request { call, request, key } => self.sip_request(now, call, request, key),
            UaEvent::RequestResponse { call, response } => {
                self.sip_request_response(now, call, &response)
            }
            UaEvent::Discarded { reason } => {
                self.events.push_back(GatewayEvent::SipDiscarded { reason })
            }
            UaEvent::Failover { call, to } => {
                if let Some(&id) = self.by_sip.get(&call) {
                    self.events.push_back(GatewayEvent::Alternate {
                        call: id.0,
                        to: to.addr.to_string(),
                    });
                }
            }
            UaEvent::Redirected { .. } | UaEvent::Registration(_) | UaEvent::PeerStatus { .. } => {}
        }
    }

    fn isup_event(&mut self, now: Instant, trunk: usize, e: IsupEvent) {
        let call = e
            .cic()
            .and_then(|cic| self.by_circuit.get(&(trunk, cic)).copied());
        match (call, e) {
            (
                _,
                IsupEvent::Setup {
                    cic,
                    iam,
                    continuity_check,
                },
            ) => self.incoming_iam(now, trunk, cic, iam, continuity_check),
            (_, IsupEvent::RelationPaused) => {
                self.relation_lost(now, trunk);
                self.log_isup(trunk, IsupEvent::RelationPaused);
            }
            (Some(id), e) => {
                if let Some(e) = self.transit_event(now, id, trunk, e) {
                    self.circuit_event(now, id, e)
                }
            }
            (
                None,
                IsupEvent::DualSeizure {
                    cic,
                    outgoing_iam,
                    backed_off,
                },
            ) => {
                // Not ours any more (already forgotten): nothing to re-attempt.
                let _ = (cic, outgoing_iam, backed_off);
            }
            (None, e) => self.log_isup(trunk, e),
        }
    }

    fn log_isup(&mut self, trunk: usize, event: IsupEvent) {
        let name = self.trunks.get(trunk).map_or("", |t| t.name()).to_string();
        self.events.push_back(GatewayEvent::Isup {
            trunk: name,
            isup: event,
        });
    }

    /// A free circuit on a trunk of `group`: (trunk, CIC).
    fn select_circuit(&mut self, group: &str) -> Option<(usize, u16)> {
        for (i, t) in self.trunks.iter_mut().enumerate() {
            if t.link.trunk_group.as_deref() != Some(group) {
                continue;
            }
            let isup = &t.isup;
            if !isup.is_relation_available() {
                continue;
            }
            // Every circuit of the trunk carries a call of ours: full, without looking at
            // each (with 20 000 calls on six relations the scan was most of a call's cost).
            if self.by_circuit.in_use(i) >= t.link.cics.len() {
                continue;
            }
            if let Some(cic) = t.selector.select(|cic| isup.is_available_for_outgoing(cic)) {
                return Some((i, cic));
            }
        }
        None
    }

    fn insert(&mut self, call: Call) {
        if let Some(cic) = call.cic {
            self.by_circuit.insert((call.trunk, cic), call.id);
        }
        if let Some(h) = call.sip {
            self.by_sip.insert(h, call.id);
        }
        self.calls.insert(call.id, Box::new(call));
    }

    /// Forgets the call when both legs are over.
    fn settle(&mut self, now: Instant, id: CallId) {
        let Some(c) = self.calls.get(&id) else {
            return;
        };
        if !(c.pstn_done && c.sip_done && c.transit.as_ref().is_none_or(|t| t.done)) {
            return;
        }
        let Some(c) = self.calls.remove(&id) else {
            return;
        };
        self.transit_forget(&c);
        if let Some(cic) = c.cic {
            if self.by_circuit.get(&(c.trunk, cic)) == Some(&id) {
                self.by_circuit.remove(&(c.trunk, cic));
            }
        }
        if let Some(k) = c.invite_key.as_ref() {
            if self.by_invite.get(k) == Some(&id) {
                self.by_invite.remove(k);
            }
        }
        if let Some(h) = c.sip {
            self.by_sip.remove(&h);
            self.ua.forget(h);
        }
        // RFC 3578 3: INVITEs of an overlap call cancelled on the way are no longer ours
        // (their last events come as orphans).
        for (p, _) in c.sip_overlap.iter().flat_map(|o| o.pending.iter()) {
            if self.by_sip.get(p) == Some(&id) {
                self.by_sip.remove(p);
            }
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

/// The ISUP machine and circuit selector of a linkset's first link.
fn trunk_for(link: &LinkConfig) -> Result<Trunk, GatewayError> {
    let bad = |message: String| GatewayError::Link {
        link: link.name.clone(),
        message,
    };
    let opc = link
        .opc
        .ok_or_else(|| bad("an ISUP link needs opc".into()))?;
    let dpc = link
        .dpc
        .ok_or_else(|| bad("an ISUP link needs dpc".into()))?;
    let cics: Vec<u16> = link
        .cics
        .iter()
        .filter_map(|&c| u16::try_from(c).ok())
        .collect();
    if cics.is_empty() {
        return Err(bad("an ISUP link needs cics".into()));
    }
    let mut config = IsupConfig::new(opc, dpc, cics.clone());
    config.exchange_type = link.exchange_type;
    let isup = Isup::new(config).map_err(|e| bad(e.to_string()))?;
    Ok(Trunk {
        link: link.clone(),
        isup,
        selector: CircuitSelector::for_link(link),
    })
}
