//! The gateway between a far exchange (a second `Isup`, OPC 2) and a far SIP user agent (a
//! second `UserAgent` at 192.0.2.9) on an in-memory network with simulated time; shared by
//! the gateway tests (`mod gateway_rig;`). With a configuration of two ISUP trunks
//! ([`TRANSIT_CONFIG`]) a second far exchange (`pstn2`) serves the gateway's trunk 1.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use sipt_codecs::isup::{
    CalledNumberIndicators, CalledPartyNumber, CallingPartysCategory, CauseIndicators, CauseValue,
    ForwardCallIndicators, Message, NatureOfAddress, NatureOfConnectionIndicators, NumberingPlan,
    TransmissionMedium,
};
use sipt_codecs::q850::Location;
use sipt_mgc::config::Config;
use sipt_mgc::gateway::{Gateway, GatewayEvent};
use sipt_mgc::isup::{CallStatus, Config as IsupConfig, Isup, IsupEvent, MtpIndication};
use sipt_mgc::sip::message::{Message as SipMessage, NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

pub const GW: ([u8; 4], u16) = ([192, 0, 2, 1], 5060);
pub const FAR: ([u8; 4], u16) = ([192, 0, 2, 9], 5060);

pub fn gw_addr() -> SocketAddr {
    SocketAddr::from(GW)
}
pub fn far_addr() -> SocketAddr {
    SocketAddr::from(FAR)
}

/// Moves the SIP between the gateway and the far UA, both ways unless the far end is `down`,
/// a copy of what the gateway sent it into `sent`; true when anything moved. Shared by the
/// ISUP and QSIG rigs.
pub fn move_sip(
    now: Instant,
    gw: &mut Gateway,
    far: &mut UserAgent,
    down: bool,
    sent: &mut Vec<Vec<u8>>,
) -> bool {
    let mut moved = false;
    while let Some(o) = gw.poll_sip_transmit() {
        moved = true;
        if o.target.addr == far_addr() {
            sent.push(o.bytes.clone());
            if !down {
                far.handle_received(
                    now,
                    &o.bytes,
                    Target::new(TransportKind::Udp, gw_addr()),
                    None,
                );
            }
        }
    }
    while let Some(o) = far.poll_transmit() {
        moved = true;
        if o.target.addr == gw_addr() && !down {
            gw.handle_sip(
                now,
                &o.bytes,
                Target::new(TransportKind::Udp, far_addr()),
                None,
            );
        }
    }
    moved
}

/// Takes every event `poll` has into `into`; true when there was one.
pub fn take_events<T>(into: &mut Vec<T>, mut poll: impl FnMut() -> Option<T>) -> bool {
    let before = into.len();
    while let Some(e) = poll() {
        into.push(e);
    }
    into.len() > before
}

pub const CONFIG: &str = r#"
[sip]
listen = ["udp:192.0.2.1:5060"]
trusted = []

[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix:/nonexistent"
opc = 1
dpc = 2
cics = "1-31"
trunk_group = "pstn"

[[route]]
prefix = "49"
to = "sip:{number}@192.0.2.9:5060"

[[route]]
prefix = "7"
to = "trunk:pstn"
"#;

/// Two ISUP trunks for transit (Q.764, ISUP -> ISUP): trunk 0 "e1-0" (group "pstn", far
/// exchange `pstn`, point code 2) and trunk 1 "e1-1" (group "pstn-b", far exchange `pstn2`,
/// point code 3). Called numbers 8... go to group "pstn-b" as they are; 86... with the first
/// two digits replaced by 4930, international; 7... to group "pstn" (back where they came
/// from, when they came on trunk 0); 49... to the far UA.
pub const TRANSIT_CONFIG: &str = r#"
[sip]
listen = ["udp:192.0.2.1:5060"]
trusted = []

[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix:/nonexistent"
opc = 1
dpc = 2
cics = "1-31"
trunk_group = "pstn"

[[link]]
name = "e1-1"
protocol = "isup"
transport = "frames"
path = "unix:/nonexistent-b"
opc = 1
dpc = 3
cics = "1-31"
trunk_group = "pstn-b"

[[route]]
prefix = "49"
to = "sip:{number}@192.0.2.9:5060"

[[route]]
prefix = "7"
to = "trunk:pstn"

[[route]]
prefix = "8"
to = "trunk:pstn-b"

[[route]]
prefix = "86"
strip = 2
prepend = "+4930"
noa = "international"
to = "trunk:pstn-b"
"#;

/// The gateway between a far exchange and a far UA.
pub struct Rig {
    pub now: Instant,
    pub gw: Gateway,
    pub pstn: Isup,
    pub far: UserAgent,
    pub pstn_events: Vec<IsupEvent>,
    pub far_events: Vec<UaEvent>,
    pub gw_events: Vec<GatewayEvent>,
    /// The far UA does not receive (it has gone away).
    pub far_down: bool,
    /// Every ISUP message the gateway sent, as it went on the wire.
    pub isup_sent: Vec<sipt_codecs::isup::CicMessage>,
    /// Every SIP message the gateway sent to the far UA's address.
    pub sip_sent: Vec<Vec<u8>>,
    /// The far exchange on the gateway's trunk 1, when the configuration has one.
    pub pstn2: Option<Isup>,
    pub pstn2_events: Vec<IsupEvent>,
    /// Every ISUP message the gateway sent on trunk 1 (those on trunk 0 are `isup_sent`).
    pub isup_sent2: Vec<sipt_codecs::isup::CicMessage>,
}

impl Rig {
    pub fn new(config: &str) -> Rig {
        let config = Config::parse(Path::new("gateway.toml"), config).expect("config");
        let gw = Gateway::new(
            &config,
            UaConfig::new("192.0.2.1", 5060, TransportKind::Udp),
            1,
        )
        .expect("gateway");
        let pstn = Isup::new(IsupConfig::new(2, 1, 1..=31)).expect("far exchange");
        let pstn2 = gw.trunks().get(1).map(|t| {
            let cics: Vec<u16> = t.isup.cics().collect();
            let (opc, dpc) = (t.isup.config().opc, t.isup.config().dpc);
            Isup::new(IsupConfig::new(dpc, opc, cics)).expect("second far exchange")
        });
        let far = UserAgent::new(UaConfig::new("192.0.2.9", 5060, TransportKind::Udp), 9);
        let mut rig = Rig {
            now: Instant::ZERO,
            gw,
            pstn,
            far,
            pstn_events: Vec::new(),
            far_events: Vec::new(),
            gw_events: Vec::new(),
            far_down: false,
            isup_sent: Vec::new(),
            sip_sent: Vec::new(),
            pstn2,
            pstn2_events: Vec::new(),
            isup_sent2: Vec::new(),
        };
        rig.pstn.handle_mtp(rig.now, MtpIndication::Resume);
        rig.gw.handle_mtp(rig.now, 0, MtpIndication::Resume);
        if let Some(p) = rig.pstn2.as_mut() {
            p.handle_mtp(rig.now, MtpIndication::Resume);
            rig.gw.handle_mtp(rig.now, 1, MtpIndication::Resume);
        }
        rig.settle();
        rig
    }

    /// Delivers everything in flight, instantly, until nothing moves.
    pub fn deliver(&mut self) {
        loop {
            let mut moved = false;
            while let Some((trunk, _, m)) = self.gw.poll_isup_transmit() {
                moved = true;
                match (trunk, self.pstn2.as_mut()) {
                    (1, Some(p)) => {
                        self.isup_sent2.push(m.clone());
                        p.handle_message(self.now, m);
                    }
                    _ => {
                        self.isup_sent.push(m.clone());
                        self.pstn.handle_message(self.now, m);
                    }
                }
            }
            while let Some((_, m)) = self.pstn.poll_transmit() {
                moved = true;
                self.gw.handle_isup(self.now, 0, m);
            }
            while let Some((_, m)) = self.pstn2.as_mut().and_then(|p| p.poll_transmit()) {
                moved = true;
                self.gw.handle_isup(self.now, 1, m);
            }
            if let Some(p) = self.pstn2.as_mut() {
                moved |= take_events(&mut self.pstn2_events, || p.poll_event());
            }
            moved |= move_sip(
                self.now,
                &mut self.gw,
                &mut self.far,
                self.far_down,
                &mut self.sip_sent,
            );
            moved |= take_events(&mut self.pstn_events, || self.pstn.poll_event());
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
                self.pstn.poll_timeout(),
                self.far.poll_timeout(),
                self.pstn2.as_ref().and_then(|p| p.poll_timeout()),
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
            self.gw.handle_timeout(self.now);
            if self.pstn.poll_timeout().is_some_and(|x| x <= self.now) {
                self.pstn.handle_timeout(self.now);
            }
            if self.far.poll_timeout().is_some_and(|x| x <= self.now) {
                self.far.handle_timeout(self.now);
            }
            if let Some(p) = self.pstn2.as_mut() {
                if p.poll_timeout().is_some_and(|x| x <= self.now) {
                    p.handle_timeout(self.now);
                }
            }
        }
    }

    pub fn settle(&mut self) {
        self.run_for(Duration::from_millis(100));
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

    /// The far UA calls `number` at the gateway (From +4940111222), without a body.
    pub fn sip_call(&mut self, number: &str) -> CallHandle {
        let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
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

    /// The circuit of the first IAM the far exchange received.
    pub fn setup_cic(&self) -> Option<u16> {
        self.pstn_events.iter().find_map(|e| match e {
            IsupEvent::Setup { cic, .. } => Some(*cic),
            _ => None,
        })
    }

    pub fn pstn_saw(&self, f: impl Fn(&IsupEvent) -> bool) -> Option<&IsupEvent> {
        self.pstn_events.iter().find(|e| f(e))
    }

    /// The second far exchange (a rig made with [`TRANSIT_CONFIG`]).
    pub fn pstn2(&mut self) -> &mut Isup {
        self.pstn2
            .as_mut()
            .expect("a configuration with two trunks")
    }

    pub fn pstn2_saw(&self, f: impl Fn(&IsupEvent) -> bool) -> Option<&IsupEvent> {
        self.pstn2_events.iter().find(|e| f(e))
    }

    /// The circuit of the first IAM the second far exchange received.
    pub fn setup_cic2(&self) -> Option<u16> {
        self.pstn2_events.iter().find_map(|e| match e {
            IsupEvent::Setup { cic, .. } => Some(*cic),
            _ => None,
        })
    }

    pub fn ended(&self) -> Vec<&GatewayEvent> {
        self.gw_events
            .iter()
            .filter(|e| matches!(e, GatewayEvent::CallEnded { .. }))
            .collect()
    }

    /// Nothing left behind: no call in the gateway, every circuit idle on both sides, no SIP
    /// call or transaction in the gateway's UA (after the transactions' own timers, J and
    /// friends, have run out).
    pub fn assert_clean(&mut self) {
        self.run_for(Duration::from_secs(40));
        assert_eq!(self.gw.calls(), 0, "calls left: {:#?}", self.gw_events);
        for i in 0..self.gw.trunks().len() {
            assert_eq!(
                self.gw.circuits_in_use(i),
                0,
                "trunk {i}: circuits counted in use"
            );
        }
        for t in self.gw.trunks() {
            for cic in t.isup.cics() {
                let s = t.isup.circuit_status(cic).expect("status");
                assert_eq!(s.call, CallStatus::Idle, "gateway circuit {cic}: {s:?}");
            }
        }
        for cic in self.pstn.cics() {
            let s = self.pstn.circuit_status(cic).expect("status");
            assert_eq!(s.call, CallStatus::Idle, "far circuit {cic}: {s:?}");
        }
        if let Some(p) = self.pstn2.as_ref() {
            for cic in p.cics() {
                let s = p.circuit_status(cic).expect("status");
                assert_eq!(s.call, CallStatus::Idle, "second far circuit {cic}: {s:?}");
            }
        }
        assert_eq!(
            self.gw.ua().calls(),
            0,
            "SIP calls left in the gateway's UA"
        );
        assert_eq!(self.gw.ua().transactions(), 0, "SIP transactions left");
    }
}

pub fn iam(called: &str) -> Message {
    let cpn = CalledPartyNumber::from_digits(
        NatureOfAddress::NationalNumber,
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        called,
    )
    .expect("number");
    Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::from_code(10),
        TransmissionMedium::Speech,
        cpn,
    )
}

pub fn rel(cause: u8) -> Message {
    Message::rel(CauseIndicators::new(
        Location::PublicNetworkRemoteUser,
        CauseValue::from_code(cause),
    ))
}

pub fn released_cause(e: &IsupEvent) -> Option<u8> {
    match e {
        IsupEvent::Released { cause: Some(c), .. } => Some(c.octet2.cause_value().code()),
        _ => None,
    }
}

pub fn response_status(e: &UaEvent) -> Option<u16> {
    match e {
        UaEvent::Rejected { response, .. } => response.status(),
        _ => None,
    }
}
