//! The gateway between a far PBX (a second `DChannel`, designated user, its Q.921 frames
//! exchanged in memory with the gateway's D-channel) and a far SIP user agent at 192.0.2.9,
//! with simulated time. Used by tests/gateway_qsig.rs (`#[path]` module).
#![allow(dead_code)]

use std::path::Path;
use std::time::Duration;

use sipt_codecs::q921::Role as LapdRole;
use sipt_mgc::config::{Config, Role};
use sipt_mgc::gateway::{Gateway, GatewayEvent};
use sipt_mgc::isdn::dchannel::DChannel;
use sipt_mgc::isdn::q921;
use sipt_mgc::qsig::{self, CallEvent, ChannelState};
use sipt_mgc::sip::message::{Message as SipMessage, NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

use crate::gateway_rig::{far_addr, gw_addr, move_sip, take_events};

pub const QSIG_CONFIG: &str = r#"
[sip]
listen = ["udp:192.0.2.1:5060"]
trusted = []

[[link]]
name = "pbx-1"
protocol = "qsig"
role = "network"
transport = "frames"
path = "unix:/nonexistent"
channels = "1-15,17-31"
trunk_group = "pbx"

[[route]]
prefix = "49"
to = "sip:{number}@192.0.2.9:5060"

[[route]]
prefix = "7"
to = "trunk:pbx"
"#;

/// The gateway between a far PBX and a far UA.
pub struct QsigRig {
    pub now: Instant,
    pub gw: Gateway,
    pub pbx: DChannel,
    pub far: UserAgent,
    pub pbx_events: Vec<CallEvent>,
    pub far_events: Vec<UaEvent>,
    pub gw_events: Vec<GatewayEvent>,
    /// The D-channel carries nothing (the span is cut).
    pub link_cut: bool,
    /// Every Q.921 frame the gateway sent to the PBX, in order (a capture for tshark).
    pub dchannel_sent: Vec<Vec<u8>>,
    /// Every SIP datagram the gateway sent, in order.
    pub sip_sent: Vec<Vec<u8>>,
}

impl QsigRig {
    pub fn new(config: &str) -> QsigRig {
        let config = Config::parse(Path::new("gateway.toml"), config).expect("config");
        let gw = Gateway::new(
            &config,
            UaConfig::new("192.0.2.1", 5060, TransportKind::Udp),
            1,
        )
        .expect("gateway");
        let mut l2 = q921::Config::new(LapdRole::User);
        l2.keep_up = Some(Duration::from_secs(1));
        l2.n201 = 1024;
        let l3 = qsig::Config::new(Role::User, (1..=15).chain(17..=31));
        let pbx = DChannel::new(l2, l3).expect("far PBX");
        let far = UserAgent::new(UaConfig::new("192.0.2.9", 5060, TransportKind::Udp), 9);
        let mut rig = QsigRig {
            now: Instant::ZERO,
            gw,
            pbx,
            far,
            pbx_events: Vec::new(),
            far_events: Vec::new(),
            gw_events: Vec::new(),
            link_cut: false,
            dchannel_sent: Vec::new(),
            sip_sent: Vec::new(),
        };
        rig.gw.start_dchannels(rig.now);
        rig.pbx.start(rig.now);
        rig.run_for(Duration::from_secs(2));
        assert!(rig.gw.qsig_trunks()[0]
            .dchannel
            .calls()
            .data_link_established());
        rig.pbx_events.clear();
        rig.gw_events.clear();
        rig
    }

    /// Delivers everything in flight, instantly, until nothing moves.
    pub fn deliver(&mut self) {
        loop {
            let mut moved = false;
            while let Some((_, frame)) = self.gw.poll_dchannel_transmit() {
                moved = true;
                if !self.link_cut {
                    self.pbx.handle_frame(self.now, &frame);
                }
                self.dchannel_sent.push(frame);
            }
            let mut frame = Vec::new();
            while self.pbx.poll_transmit(self.now, &mut frame) {
                moved = true;
                if !self.link_cut {
                    self.gw.handle_dchannel_frame(self.now, 0, &frame);
                }
                frame.clear();
            }
            moved |= move_sip(
                self.now,
                &mut self.gw,
                &mut self.far,
                false,
                &mut self.sip_sent,
            );
            moved |= take_events(&mut self.pbx_events, || self.pbx.poll_event());
            moved |= take_events(&mut self.far_events, || self.far.poll_event());
            moved |= take_events(&mut self.gw_events, || self.gw.poll_event());
            if !moved {
                return;
            }
        }
    }

    /// Delivers, then lets `d` of simulated time pass, firing every timer on the way.
    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.deliver();
            let next = [
                self.gw.poll_timeout(),
                self.pbx.poll_timeout(),
                self.far.poll_timeout(),
            ]
            .into_iter()
            .flatten()
            .filter(|t| *t <= end)
            .min();
            let Some(t) = next else {
                self.now = end;
                self.deliver();
                return;
            };
            self.now = self.now.max(t);
            if self.gw.poll_timeout().is_some_and(|x| x <= self.now) {
                self.gw.handle_timeout(self.now);
            }
            if self.pbx.poll_timeout().is_some_and(|x| x <= self.now) {
                self.pbx.handle_timeout(self.now);
            }
            if self.far.poll_timeout().is_some_and(|x| x <= self.now) {
                self.far.handle_timeout(self.now);
            }
        }
    }

    pub fn settle(&mut self) {
        self.run_for(Duration::from_millis(100));
    }

    /// Runs a command of the far PBX's call layer.
    pub fn pbx_do<R>(&mut self, f: impl FnOnce(&mut qsig::QsigCalls, Instant) -> R) -> R {
        let now = self.now;
        let r = self.pbx.with_calls(now, |c| f(c, now));
        self.deliver();
        r
    }

    /// The far UA's incoming call (the INVITE the gateway sent).
    pub fn far_incoming(&mut self) -> (CallHandle, SipMessage) {
        let i = self
            .far_events
            .iter()
            .position(|e| matches!(e, UaEvent::Incoming { .. }))
            .unwrap_or_else(|| panic!("no INVITE reached the far UA: {:#?}", self.gw_events));
        match self.far_events.remove(i) {
            UaEvent::Incoming { call, invite } => (call, invite),
            _ => unreachable!(),
        }
    }

    /// The far UA calls `number` at the gateway with `display` as From's display name.
    pub fn sip_call(&mut self, number: &str, display: Option<&str>) -> CallHandle {
        let mut from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
        if let Some(d) = display {
            from.set_display_name(d);
        }
        self.far
            .invite(
                self.now,
                from,
                Uri::parse(&format!("sip:{number}@192.0.2.1")).expect("uri"),
                Target::new(TransportKind::Udp, gw_addr()),
                None,
            )
            .expect("INVITE")
    }

    /// [`QsigRig::sip_call`] with headers and a body of the test's.
    pub fn sip_call_with(
        &mut self,
        number: &str,
        display: Option<&str>,
        headers: &[(&str, String)],
        body: Option<(&str, Vec<u8>)>,
    ) -> CallHandle {
        let mut from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
        if let Some(d) = display {
            from.set_display_name(d);
        }
        self.far
            .invite_with(
                self.now,
                from,
                Uri::parse(&format!("sip:{number}@192.0.2.1")).expect("uri"),
                vec![Target::new(TransportKind::Udp, gw_addr())],
                headers,
                body,
            )
            .expect("INVITE")
    }

    /// The far UA answers its call `h` with `status` (reason phrase "Ringing" for 180,
    /// "Session Progress" for 183, else "OK"), no body; then the rig settles.
    pub fn far_responds(&mut self, h: CallHandle, status: u16) {
        let reason = match status {
            180 => "Ringing",
            183 => "Session Progress",
            _ => "OK",
        };
        let now = self.now;
        self.far
            .respond(now, h, status, reason, None)
            .unwrap_or_else(|e| panic!("{status}: {e:?}"));
        self.settle();
    }

    /// The SETUP the PBX received (its call and the message).
    pub fn pbx_incoming(&self) -> qsig::IncomingCall {
        self.pbx_events
            .iter()
            .find_map(|e| match e {
                CallEvent::IncomingCall(i) => Some((**i).clone()),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no SETUP at the PBX: {:#?}", self.gw_events))
    }

    /// The gateway's config with the far UA trusted.
    pub fn trusted_config() -> String {
        QSIG_CONFIG.replace("trusted = []", "trusted = [\"192.0.2.9\"]")
    }

    pub fn ended(&self) -> Vec<&GatewayEvent> {
        self.gw_events
            .iter()
            .filter(|e| matches!(e, GatewayEvent::CallEnded { .. }))
            .collect()
    }

    /// Nothing left behind: no call in the gateway, every B-channel idle on both sides, no
    /// QSIG call on either, no SIP call or transaction in the gateway's UA.
    pub fn assert_clean(&mut self) {
        self.run_for(Duration::from_secs(40));
        assert_eq!(self.gw.calls(), 0, "calls left: {:#?}", self.gw_events);
        let t = &self.gw.qsig_trunks()[0];
        assert!(
            t.dchannel.calls().calls().is_empty(),
            "gateway QSIG calls left"
        );
        for (ch, s) in t.dchannel.calls().channels() {
            assert_eq!(s, ChannelState::Idle, "gateway B-channel {ch}");
        }
        assert!(self.pbx.calls().calls().is_empty(), "PBX calls left");
        for (ch, s) in self.pbx.calls().channels() {
            assert_eq!(s, ChannelState::Idle, "PBX B-channel {ch}");
        }
        assert_eq!(
            self.gw.ua().calls(),
            0,
            "SIP calls left in the gateway's UA"
        );
        assert_eq!(self.gw.ua().transactions(), 0, "SIP transactions left");
    }
}

/// Gateway B of [`QsigBridge`]: at 192.0.2.9, trusting gateway A, its route "49" to its PBX.
pub const BRIDGE_B_CONFIG: &str = r#"
[sip]
listen = ["udp:192.0.2.9:5060"]
trusted = ["192.0.2.1"]

[[link]]
name = "pbx-2"
protocol = "qsig"
role = "network"
transport = "frames"
path = "unix:/nonexistent"
channels = "1-15,17-31"
trunk_group = "pbx"

[[route]]
prefix = "49"
to = "trunk:pbx"
"#;

/// One side of a [`QsigBridge`]: a gateway and its PBX.
pub struct BridgeSide {
    pub gw: Gateway,
    pub pbx: DChannel,
    pub pbx_events: Vec<CallEvent>,
    pub gw_events: Vec<GatewayEvent>,
}

impl BridgeSide {
    fn new(config: &str, host: &str, seed: u64, now: Instant) -> BridgeSide {
        let config = Config::parse(Path::new("gateway.toml"), config).expect("config");
        let mut gw = Gateway::new(&config, UaConfig::new(host, 5060, TransportKind::Udp), seed)
            .expect("gateway");
        let mut l2 = q921::Config::new(LapdRole::User);
        l2.keep_up = Some(Duration::from_secs(1));
        l2.n201 = 1024;
        let l3 = qsig::Config::new(Role::User, (1..=15).chain(17..=31));
        let mut pbx = DChannel::new(l2, l3).expect("PBX");
        gw.start_dchannels(now);
        pbx.start(now);
        BridgeSide {
            gw,
            pbx,
            pbx_events: Vec::new(),
            gw_events: Vec::new(),
        }
    }

    /// Moves the D-channel frames and the events; true when anything moved.
    fn deliver_local(&mut self, now: Instant) -> bool {
        let mut moved = false;
        while let Some((_, frame)) = self.gw.poll_dchannel_transmit() {
            moved = true;
            self.pbx.handle_frame(now, &frame);
        }
        let mut frame = Vec::new();
        while self.pbx.poll_transmit(now, &mut frame) {
            moved = true;
            self.gw.handle_dchannel_frame(now, 0, &frame);
            frame.clear();
        }
        moved |= take_events(&mut self.pbx_events, || self.pbx.poll_event());
        moved |= take_events(&mut self.gw_events, || self.gw.poll_event());
        moved
    }

    fn timers(&self) -> [Option<Instant>; 2] {
        [self.gw.poll_timeout(), self.pbx.poll_timeout()]
    }

    fn fire(&mut self, now: Instant) {
        if self.gw.poll_timeout().is_some_and(|x| x <= now) {
            self.gw.handle_timeout(now);
        }
        if self.pbx.poll_timeout().is_some_and(|x| x <= now) {
            self.pbx.handle_timeout(now);
        }
    }

    /// Runs a command of this side's PBX.
    pub fn pbx_do<R>(
        &mut self,
        now: Instant,
        f: impl FnOnce(&mut qsig::QsigCalls, Instant) -> R,
    ) -> R {
        self.pbx.with_calls(now, |c| f(c, now))
    }

    /// The SETUP this side's PBX received.
    pub fn incoming(&self) -> Option<qsig::IncomingCall> {
        self.pbx_events.iter().find_map(|e| match e {
            CallEvent::IncomingCall(i) => Some((**i).clone()),
            _ => None,
        })
    }
}

/// Two gateways bridging two PBXs over SIP (RFC 3372 SIP bridging with RFC 3204 bodies): PBX
/// A - gateway A (192.0.2.1, `trusted_config`, route "49" to 192.0.2.9) - gateway B
/// (192.0.2.9, [`BRIDGE_B_CONFIG`]) - PBX B, each D-channel and the SIP between the gateways
/// in memory, simulated time.
pub struct QsigBridge {
    pub now: Instant,
    pub a: BridgeSide,
    pub b: BridgeSide,
}

impl QsigBridge {
    pub fn new() -> QsigBridge {
        let now = Instant::ZERO;
        let mut r = QsigBridge {
            now,
            a: BridgeSide::new(&QsigRig::trusted_config(), "192.0.2.1", 1, now),
            b: BridgeSide::new(BRIDGE_B_CONFIG, "192.0.2.9", 2, now),
        };
        r.run_for(Duration::from_secs(2));
        for s in [&r.a, &r.b] {
            assert!(s.gw.qsig_trunks()[0]
                .dchannel
                .calls()
                .data_link_established());
        }
        for s in [&mut r.a, &mut r.b] {
            s.pbx_events.clear();
            s.gw_events.clear();
        }
        r
    }

    pub fn deliver(&mut self) {
        loop {
            let mut moved = self.a.deliver_local(self.now) | self.b.deliver_local(self.now);
            while let Some(o) = self.a.gw.poll_sip_transmit() {
                moved = true;
                if o.target.addr == far_addr() {
                    self.b.gw.handle_sip(
                        self.now,
                        &o.bytes,
                        Target::new(TransportKind::Udp, gw_addr()),
                        None,
                    );
                }
            }
            while let Some(o) = self.b.gw.poll_sip_transmit() {
                moved = true;
                if o.target.addr == gw_addr() {
                    self.a.gw.handle_sip(
                        self.now,
                        &o.bytes,
                        Target::new(TransportKind::Udp, far_addr()),
                        None,
                    );
                }
            }
            if !moved {
                return;
            }
        }
    }

    pub fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.deliver();
            let next = self
                .a
                .timers()
                .into_iter()
                .chain(self.b.timers())
                .flatten()
                .filter(|t| *t <= end)
                .min();
            let Some(t) = next else {
                self.now = end;
                self.deliver();
                return;
            };
            self.now = self.now.max(t);
            self.a.fire(self.now);
            self.b.fire(self.now);
        }
    }

    pub fn settle(&mut self) {
        self.run_for(Duration::from_millis(100));
    }
}
