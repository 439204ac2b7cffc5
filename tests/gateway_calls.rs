//! The gateway core without sockets, with simulated time: a far exchange (a second
//! [`Isup`], OPC 2) on its ISUP trunk and a far SIP user agent (a second [`UserAgent`] at
//! 192.0.2.9) on an in-memory network. Calls in both directions, every row of both RFC 3398
//! cause tables through the whole gateway, ISUP and SIP timers, the relation lost mid-call,
//! alternates — and after each, nothing left behind: no call, no busy circuit, no transaction.

use std::net::SocketAddr;
use std::path::Path;
use std::time::Duration;

use sipt_codecs::isup::{
    BackwardCallIndicators, CalledNumberIndicators, CalledPartyNumber, CalledPartysStatus,
    CallingPartysCategory, CauseIndicators, CauseValue, ForwardCallIndicators, Message,
    MessageType, NatureOfAddress, NatureOfConnectionIndicators, NumberingPlan, Parameter,
    TransmissionMedium,
};
use sipt_codecs::q850::Location;
use sipt_mgc::config::Config;
use sipt_mgc::gateway::{Gateway, GatewayEvent};
use sipt_mgc::interwork::causes::{RFC3398_CAUSE_TO_SIP, RFC3398_SIP_TO_CAUSE};
use sipt_mgc::isup::{CallStatus, Config as IsupConfig, Isup, IsupEvent, MtpIndication};
use sipt_mgc::sip::message::{Message as SipMessage, NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

const GW: ([u8; 4], u16) = ([192, 0, 2, 1], 5060);
const FAR: ([u8; 4], u16) = ([192, 0, 2, 9], 5060);

fn gw_addr() -> SocketAddr {
    SocketAddr::from(GW)
}
fn far_addr() -> SocketAddr {
    SocketAddr::from(FAR)
}

const CONFIG: &str = r#"
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

/// The gateway between a far exchange and a far UA.
struct Rig {
    now: Instant,
    gw: Gateway,
    pstn: Isup,
    far: UserAgent,
    pstn_events: Vec<IsupEvent>,
    far_events: Vec<UaEvent>,
    gw_events: Vec<GatewayEvent>,
    /// The far UA does not receive (it has gone away).
    far_down: bool,
}

impl Rig {
    fn new(config: &str) -> Rig {
        let config = Config::parse(Path::new("gateway.toml"), config).expect("config");
        let gw = Gateway::new(
            &config,
            UaConfig::new("192.0.2.1", 5060, TransportKind::Udp),
            1,
        )
        .expect("gateway");
        let pstn = Isup::new(IsupConfig::new(2, 1, 1..=31)).expect("far exchange");
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
        };
        rig.pstn.handle_mtp(rig.now, MtpIndication::Resume);
        rig.gw.handle_mtp(rig.now, 0, MtpIndication::Resume);
        rig.settle();
        rig
    }

    /// Delivers everything in flight, instantly, until nothing moves.
    fn deliver(&mut self) {
        loop {
            let mut moved = false;
            while let Some((_, _, m)) = self.gw.poll_isup_transmit() {
                moved = true;
                self.pstn.handle_message(self.now, m);
            }
            while let Some((_, m)) = self.pstn.poll_transmit() {
                moved = true;
                self.gw.handle_isup(self.now, 0, m);
            }
            while let Some(o) = self.gw.poll_sip_transmit() {
                moved = true;
                if o.target.addr == far_addr() && !self.far_down {
                    self.far.handle_received(
                        self.now,
                        &o.bytes,
                        Target::new(TransportKind::Udp, gw_addr()),
                        None,
                    );
                }
            }
            while let Some(o) = self.far.poll_transmit() {
                moved = true;
                if o.target.addr == gw_addr() && !self.far_down {
                    self.gw.handle_sip(
                        self.now,
                        &o.bytes,
                        Target::new(TransportKind::Udp, far_addr()),
                        None,
                    );
                }
            }
            while let Some(e) = self.pstn.poll_event() {
                moved = true;
                self.pstn_events.push(e);
            }
            while let Some(e) = self.far.poll_event() {
                moved = true;
                self.far_events.push(e);
            }
            while let Some(e) = self.gw.poll_event() {
                moved = true;
                self.gw_events.push(e);
            }
            if !moved {
                return;
            }
        }
    }

    /// Delivers, then lets `d` of simulated time pass, firing every timer on the way.
    fn run_for(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.deliver();
            let next = [
                self.gw.poll_timeout(),
                self.pstn.poll_timeout(),
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
            self.gw.handle_timeout(self.now);
            if self.pstn.poll_timeout().is_some_and(|x| x <= self.now) {
                self.pstn.handle_timeout(self.now);
            }
            if self.far.poll_timeout().is_some_and(|x| x <= self.now) {
                self.far.handle_timeout(self.now);
            }
        }
    }

    fn settle(&mut self) {
        self.run_for(Duration::from_millis(100));
    }

    /// The far UA's incoming call (the INVITE the gateway sent).
    fn far_incoming(&mut self) -> (CallHandle, SipMessage) {
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

    fn pstn_saw(&self, f: impl Fn(&IsupEvent) -> bool) -> Option<&IsupEvent> {
        self.pstn_events.iter().find(|e| f(e))
    }

    fn ended(&self) -> Vec<&GatewayEvent> {
        self.gw_events
            .iter()
            .filter(|e| matches!(e, GatewayEvent::CallEnded { .. }))
            .collect()
    }

    /// Nothing left behind: no call in the gateway, every circuit idle on both sides, no SIP
    /// call or transaction in the gateway's UA (after the transactions' own timers, J and
    /// friends, have run out).
    fn assert_clean(&mut self) {
        self.run_for(Duration::from_secs(40));
        assert_eq!(self.gw.calls(), 0, "calls left: {:#?}", self.gw_events);
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
        assert_eq!(
            self.gw.ua().calls(),
            0,
            "SIP calls left in the gateway's UA"
        );
        assert_eq!(self.gw.ua().transactions(), 0, "SIP transactions left");
    }
}

fn iam(called: &str) -> Message {
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

fn rel(cause: u8) -> Message {
    Message::rel(CauseIndicators::new(
        Location::PublicNetworkRemoteUser,
        CauseValue::from_code(cause),
    ))
}

fn released_cause(e: &IsupEvent) -> Option<u8> {
    match e {
        IsupEvent::Released { cause: Some(c), .. } => Some(c.octet2.cause_value().code()),
        _ => None,
    }
}

fn response_status(e: &UaEvent) -> Option<u16> {
    match e {
        UaEvent::Rejected { response, .. } => response.status(),
        _ => None,
    }
}

/// PSTN -> SIP, answered by the far UA, released by the PSTN: ACM (subscriber free) on 180,
/// ANM on 200, BYE with Reason: Q.850;cause=16 for the REL.
#[test]
fn pstn_to_sip_answered_then_released_by_the_pstn() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 7, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, invite) = rig.far_incoming();
    assert_eq!(
        invite.request_uri().and_then(|u| u.user.clone()).as_deref(),
        Some("4930123456")
    );
    rig.far
        .respond(rig.now, call, 180, "Ringing", None)
        .expect("180");
    rig.settle();
    let acm = rig
        .pstn_saw(|e| matches!(e, IsupEvent::AddressComplete { cic: 7, .. }))
        .expect("ACM");
    if let IsupEvent::AddressComplete { acm, .. } = acm {
        let Some(Parameter::BackwardCallIndicators(b)) = acm.parameters().first() else {
            panic!("ACM without BCI: {acm:?}");
        };
        assert_eq!(b.called_partys_status(), CalledPartysStatus::SubscriberFree);
    }
    let sdp = b"v=0\r\no=- 1 1 IN IP4 192.0.2.9\r\ns=-\r\nc=IN IP4 192.0.2.9\r\nt=0 0\r\nm=audio 4000 RTP/AVP 8\r\n".to_vec();
    rig.far
        .respond(rig.now, call, 200, "OK", Some(("application/sdp", sdp)))
        .expect("200");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Answer { cic: 7, .. }))
        .is_some());
    rig.pstn
        .release(
            rig.now,
            7,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    let ended = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Ended {
                remote: true,
                reason,
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .expect("BYE at the far UA");
    let reason = ended.expect("a Reason header on the BYE");
    assert!(
        reason.contains("Q.850") && reason.contains("cause=16"),
        "{reason}"
    );
    rig.assert_clean();
}

/// RFC 3398 8.2.6.1, every row, through the gateway: the far UA rejects the INVITE with the
/// status; the far exchange receives REL with the cause of the table (31 for the rows the
/// table leaves to the Warning header, without one).
#[test]
fn every_sip_status_of_the_table_releases_with_its_cause() {
    for &(status, outcome) in RFC3398_SIP_TO_CAUSE {
        use sipt_mgc::interwork::causes::IsupOutcome;
        let want = match outcome {
            IsupOutcome::Cause(c) => Some(c),
            IsupOutcome::ByWarning => Some(31),
            IsupOutcome::None => None,
        };
        let Some(want) = want else { continue };
        let mut rig = Rig::new(CONFIG);
        rig.pstn.setup(rig.now, 3, iam("4930123456")).expect("IAM");
        rig.settle();
        let (call, _) = rig.far_incoming();
        rig.far
            .respond(rig.now, call, status, "Rejected", None)
            .expect("final");
        rig.settle();
        let got = rig.pstn_events.iter().find_map(released_cause);
        assert_eq!(got, Some(want), "status {status}: {:#?}", rig.pstn_events);
        rig.assert_clean();
    }
}

/// RFC 3398 7.2.4.1, every row, through the gateway: the far UA calls 7xxx, the far exchange
/// releases with the cause; the far UA gets the status of the table (cause 16 before answer:
/// 480, see gateway::call; 44: 503 when no other circuit takes the call).
#[test]
fn every_isup_cause_of_the_table_rejects_with_its_status() {
    use sipt_mgc::interwork::causes::SipOutcome;
    for &(cause, outcome) in RFC3398_CAUSE_TO_SIP {
        let want = match outcome {
            SipOutcome::Status(s) => s,
            SipOutcome::Clear => 480,
            SipOutcome::Untranslatable => 503,
        };
        let mut rig = Rig::new(CONFIG);
        let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
        rig.far
            .invite(
                rig.now,
                from,
                Uri::parse("sip:7001@192.0.2.1").expect("uri"),
                Target::new(TransportKind::Udp, gw_addr()),
                None,
            )
            .expect("INVITE");
        rig.settle();
        let cic = rig
            .pstn_events
            .iter()
            .find_map(|e| match e {
                IsupEvent::Setup { cic, .. } => Some(*cic),
                _ => None,
            })
            .unwrap_or_else(|| panic!("no IAM for cause {cause}: {:#?}", rig.gw_events));
        rig.pstn
            .release_message(rig.now, cic, rel(cause))
            .expect("REL");
        rig.settle();
        let got = rig.far_events.iter().find_map(response_status);
        // Cause 44 asks for a repeat attempt on another circuit (Q.764): the gateway tries
        // one; the far exchange here releases only the first.
        if cause == 44 {
            if got.is_none() {
                // Repeated on another circuit: release that one too, with 34.
                let second = rig
                    .pstn_events
                    .iter()
                    .filter_map(|e| match e {
                        IsupEvent::Setup { cic: c, .. } if *c != cic => Some(*c),
                        _ => None,
                    })
                    .next();
                if let Some(c2) = second {
                    rig.pstn.release_message(rig.now, c2, rel(34)).expect("REL");
                    rig.settle();
                }
            }
            let got = rig.far_events.iter().find_map(response_status);
            assert!(got.is_some_and(|s| s >= 400), "cause 44: {got:?}");
        } else {
            assert_eq!(got, Some(want), "cause {cause}: {:#?}", rig.far_events);
        }
        rig.assert_clean();
    }
}

/// SIP -> PSTN answered by the far exchange: ACM -> 180, ANM -> 200 with SDP; BYE -> REL 16.
#[test]
fn sip_to_pstn_answered_then_released_by_sip() {
    let mut rig = Rig::new(CONFIG);
    let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
    let call = rig
        .far
        .invite(
            rig.now,
            from,
            Uri::parse("sip:7001@192.0.2.1").expect("uri"),
            Target::new(TransportKind::Udp, gw_addr()),
            None,
        )
        .expect("INVITE");
    rig.settle();
    let cic = rig
        .pstn_events
        .iter()
        .find_map(|e| match e {
            IsupEvent::Setup { cic, .. } => Some(*cic),
            _ => None,
        })
        .expect("IAM");
    let bci = BackwardCallIndicators::default()
        .with_called_partys_status(CalledPartysStatus::SubscriberFree);
    rig.pstn
        .alert(rig.now, cic, Message::acm(bci))
        .expect("ACM");
    rig.settle();
    assert!(rig.far_events.iter().any(
        |e| matches!(e, UaEvent::Progress { response, .. } if response.status() == Some(180))
    ));
    rig.pstn
        .answer(rig.now, cic, Message::bare(MessageType::Anm))
        .expect("ANM");
    rig.settle();
    let answered = rig
        .far_events
        .iter()
        .find_map(|e| match e {
            UaEvent::Answered { response, .. } => Some(response.clone()),
            _ => None,
        })
        .expect("200");
    assert!(String::from_utf8_lossy(&answered.body).contains("m=audio"));
    rig.far.hangup(rig.now, call).expect("BYE");
    rig.settle();
    let got = rig.pstn_events.iter().find_map(released_cause);
    assert_eq!(got, Some(16));
    rig.assert_clean();
}

/// The far UA never answers (it has gone): timer B; there is no alternate, so REL with
/// cause 18 (RFC 3398 8.1.3) — all in simulated time.
#[test]
fn sip_timeout_releases_with_no_user_responding() {
    let mut rig = Rig::new(CONFIG);
    rig.far_down = true;
    rig.pstn.setup(rig.now, 9, iam("4930123456")).expect("IAM");
    rig.run_for(Duration::from_secs(40));
    // T11 (15 s) sent an ACM "no indication" so that the far exchange's T7 (20-30 s) did not
    // expire before timer B (32 s).
    assert!(
        rig.pstn_saw(|e| matches!(e, IsupEvent::AddressComplete { cic: 9, .. }))
            .is_some(),
        "no ACM at T11: {:#?}",
        rig.pstn_events
    );
    let got = rig.pstn_events.iter().find_map(released_cause);
    assert_eq!(got, Some(18), "{:#?}", rig.gw_events);
    rig.far_down = false;
    rig.assert_clean();
}

/// ISUP T7 on a call from SIP: the far exchange never answers the IAM; after T7 (20-30 s) the
/// gateway releases with cause 102 (Q.764 2.1.4.7) and the far UA gets 504 (RFC 3398 7.2.2).
#[test]
fn isup_t7_expiry_answers_the_invite() {
    let mut rig = Rig::new(CONFIG);
    // The far exchange is deaf: its ISUP gets nothing.
    let from = NameAddr::new(Uri::parse("sip:+4940111222@192.0.2.9").expect("uri"));
    rig.far
        .invite(
            rig.now,
            from,
            Uri::parse("sip:7001@192.0.2.1").expect("uri"),
            Target::new(TransportKind::Udp, gw_addr()),
            None,
        )
        .expect("INVITE");
    // Drop what the gateway sends on ISUP from now on, for 40 s.
    let end = rig.now + Duration::from_secs(40);
    while rig.now < end {
        while rig.gw.poll_isup_transmit().is_some() {}
        rig.run_for(Duration::from_millis(500));
    }
    // RFC 3398 7.1.3 / 7.2.2: T7 expiry: 504 to SIP (REL cause 102 on the ISUP side).
    let got = rig.far_events.iter().find_map(response_status);
    assert_eq!(got, Some(504), "{:#?}", rig.far_events);
    let ended = rig.ended();
    assert!(
        matches!(
            ended.first(),
            Some(GatewayEvent::CallEnded {
                cause: Some(102),
                status: Some(504),
                ..
            })
        ),
        "{ended:#?}"
    );
}

/// The signalling relation is lost mid-call: the SIP leg gets a BYE at once; when MTP
/// resumes, the gateway's GRS brings the circuits back idle on both sides.
#[test]
fn relation_lost_mid_call_clears_sip_and_resets_circuits() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 12, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 200, "OK", None)
        .expect("200");
    rig.settle();
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 12, .. }))
        .is_some());
    rig.gw.handle_mtp(rig.now, 0, MtpIndication::Pause);
    rig.pstn.handle_mtp(rig.now, MtpIndication::Pause);
    rig.settle();
    assert!(
        rig.far_events
            .iter()
            .any(|e| matches!(e, UaEvent::Ended { remote: true, .. })),
        "no BYE: {:#?}",
        rig.far_events
    );
    rig.pstn.handle_mtp(rig.now, MtpIndication::Resume);
    rig.gw.handle_mtp(rig.now, 0, MtpIndication::Resume);
    rig.settle();
    rig.assert_clean();
}

/// No route for the called number: REL with cause 3, nothing sent to SIP.
#[test]
fn no_route_releases_with_cause_3() {
    let mut rig = Rig::new(CONFIG);
    rig.pstn.setup(rig.now, 2, iam("3312345")).expect("IAM");
    rig.settle();
    assert_eq!(rig.pstn_events.iter().find_map(released_cause), Some(3));
    assert!(rig.far_events.is_empty());
    rig.assert_clean();
}

/// An alternate: the first target answers 503, the call goes to the second.
#[test]
fn alternate_route_on_503() {
    let config = CONFIG.replace(
        "to = \"sip:{number}@192.0.2.9:5060\"",
        "to = \"sip:{number}@192.0.2.9:5060\"\nalternates = [\"sip:{number}@192.0.2.9:5060;alt=1\"]",
    );
    let mut rig = Rig::new(&config);
    rig.pstn.setup(rig.now, 4, iam("4930123456")).expect("IAM");
    rig.settle();
    let (call, _) = rig.far_incoming();
    rig.far
        .respond(rig.now, call, 503, "Service Unavailable", None)
        .expect("503");
    rig.settle();
    let (call2, invite2) = rig.far_incoming();
    assert!(
        invite2
            .request_uri()
            .is_some_and(|u| u.to_string().contains("alt=1")),
        "{invite2:?}"
    );
    rig.far
        .respond(rig.now, call2, 200, "OK", None)
        .expect("200");
    rig.settle();
    // No 18x came: answered with CON (RFC 3398 8.2.4).
    assert!(rig
        .pstn_saw(|e| matches!(e, IsupEvent::Connect { cic: 4, .. }))
        .is_some());
    assert!(rig
        .gw_events
        .iter()
        .any(|e| matches!(e, GatewayEvent::Alternate { .. })));
    rig.pstn
        .release(
            rig.now,
            4,
            CauseIndicators::new(Location::User, CauseValue::from_code(16)),
        )
        .expect("REL");
    rig.settle();
    assert_eq!(rig.ended().len(), 1);
    rig.assert_clean();
}
