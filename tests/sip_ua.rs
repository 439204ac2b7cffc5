//! The UA core without sockets: several `UserAgent`s on an in-memory network with simulated
//! time. OPTIONS keep-alive of a peer that comes and goes, 3xx redirection, a 2xx
//! retransmitted until its ACK and a BYE when none comes, glare on re-INVITE, garbage.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::time::Duration;

use sipt_mgc::sip::message::{Message, Method, NameAddr, Uri};
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

fn addr(n: u8) -> SocketAddr {
    SocketAddr::from(([192, 0, 2, n], 5060))
}

fn target(n: u8) -> Target {
    Target::new(TransportKind::Udp, addr(n))
}

struct Net {
    now: Instant,
    uas: BTreeMap<u8, UserAgent>,
    /// Hosts whose traffic is dropped, both ways.
    down: Vec<u8>,
    /// Hosts whose outgoing traffic is dropped.
    mute: Vec<u8>,
    events: Vec<(u64, u8, UaEvent)>,
    /// Every message delivered, as (from, to, start line).
    wire: Vec<(u8, u8, String)>,
    /// Messages to a host with no UA: for the test to answer by hand.
    held: Vec<(u8, SocketAddr, Vec<u8>)>,
}

impl Net {
    fn new(hosts: &[u8]) -> Net {
        let uas = hosts
            .iter()
            .map(|&h| {
                let ip = format!("192.0.2.{h}");
                (
                    h,
                    UserAgent::new(UaConfig::new(&ip, 5060, TransportKind::Udp), u64::from(h)),
                )
            })
            .collect();
        Net {
            now: Instant::ZERO,
            uas,
            down: Vec::new(),
            mute: Vec::new(),
            events: Vec::new(),
            wire: Vec::new(),
            held: Vec::new(),
        }
    }

    fn ua(&mut self, h: u8) -> &mut UserAgent {
        self.uas.get_mut(&h).expect("a UA")
    }

    /// Delivers everything in flight (instantly), repeatedly.
    fn deliver(&mut self) {
        loop {
            let mut moved = false;
            let hosts: Vec<u8> = self.uas.keys().copied().collect();
            for h in hosts {
                while let Some(o) = self.ua(h).poll_transmit() {
                    moved = true;
                    let to = match o.target.addr.ip() {
                        std::net::IpAddr::V4(v4) => v4.octets()[3],
                        _ => continue,
                    };
                    if self.down.contains(&to) || self.down.contains(&h) || self.mute.contains(&h) {
                        continue;
                    }
                    let line = String::from_utf8_lossy(&o.bytes)
                        .lines()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                    self.wire.push((h, to, line));
                    let now = self.now;
                    match self.uas.get_mut(&to) {
                        Some(ua) => ua.handle_received(now, &o.bytes, target(h), None),
                        None => self.held.push((h, o.target.addr, o.bytes)),
                    }
                }
                while let Some(e) = self.ua(h).poll_event() {
                    moved = true;
                    // The user of every UA here answers requests within a call with 200.
                    if let UaEvent::Request { request, key, .. } = &e {
                        let now = self.now;
                        let _ = self
                            .ua(h)
                            .respond_request(now, key, request, 200, "OK", None);
                    }
                    self.events.push((self.now.as_nanos() / 1_000_000, h, e));
                }
            }
            if !moved {
                break;
            }
        }
    }

    fn run(&mut self, d: Duration) {
        let end = self.now + d;
        loop {
            self.deliver();
            let next = self.uas.values().filter_map(UserAgent::poll_timeout).min();
            match next {
                Some(t) if t <= end => {
                    self.now = self.now.max(t);
                    let now = self.now;
                    for ua in self.uas.values_mut() {
                        if ua.poll_timeout().is_some_and(|t| t <= now) {
                            ua.handle_timeout(now);
                        }
                    }
                }
                _ => break,
            }
        }
        self.now = end;
        self.deliver();
    }

    fn take_events(&mut self) -> Vec<(u64, u8, UaEvent)> {
        std::mem::take(&mut self.events)
    }
}

fn uri(s: &str) -> Uri {
    Uri::parse(s).expect("a URI")
}

fn from(h: u8) -> NameAddr {
    NameAddr::new(uri(&format!("sip:caller@192.0.2.{h}")))
}

#[test]
fn keep_alive_reports_a_peer_going_and_coming_back() {
    let mut net = Net::new(&[1, 2]);
    let now = net.now;
    net.ua(1).keep_alive(
        now,
        target(2),
        uri("sip:192.0.2.2"),
        Duration::from_secs(30),
    );
    net.run(Duration::from_secs(1));
    let ev = net.take_events();
    assert!(
        ev.iter()
            .any(|(_, h, e)| *h == 1 && matches!(e, UaEvent::PeerStatus { up: true, .. })),
        "{ev:?}"
    );
    // The peer goes away: the next OPTIONS (at 30 s) times out after 64·T1 = 32 s.
    net.down.push(2);
    net.run(Duration::from_secs(70));
    let ev = net.take_events();
    let down: Vec<u64> = ev
        .iter()
        .filter(|(_, _, e)| matches!(e, UaEvent::PeerStatus { up: false, .. }))
        .map(|(t, _, _)| *t)
        .collect();
    assert_eq!(down, [62_000], "30 s + timer F");
    // Back: the next ping finds it.
    net.down.clear();
    net.run(Duration::from_secs(40));
    let ev = net.take_events();
    assert!(
        ev.iter()
            .any(|(_, _, e)| matches!(e, UaEvent::PeerStatus { up: true, .. })),
        "{ev:?}"
    );
    // Each status is reported once per change, not per ping.
    net.run(Duration::from_secs(300));
    assert!(net
        .take_events()
        .iter()
        .all(|(_, _, e)| !matches!(e, UaEvent::PeerStatus { .. })));
}

#[test]
fn a_302_is_followed_to_its_contact() {
    // Host 9 has no UA: the test answers its INVITE with a 302 to host 3.
    let mut net = Net::new(&[1, 3]);
    let now = net.now;
    let call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.9"), target(9), None)
        .expect("invite");
    net.deliver();
    let (_, _, bytes) = net.held.pop().expect("an INVITE to host 9");
    let invite = Message::parse(&bytes).expect("parses");
    let mut moved = invite.response(302, "Moved Temporarily", Some("redir"));
    moved.push_header("Contact", "<sip:bob@192.0.2.3:5060>");
    let now = net.now;
    net.ua(1)
        .handle_received(now, &moved.to_bytes(), target(9), None);
    net.deliver();
    // Host 3 gets the INVITE, with CSeq 2 and the new Request-URI; it answers.
    let early = net.take_events();
    let incoming = early
        .clone()
        .into_iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, invite } if h == 3 => Some((call, invite)),
            _ => None,
        })
        .expect("the INVITE reached its new target");
    assert_eq!(incoming.1.cseq().expect("cseq").seq, 2);
    assert_eq!(
        incoming.1.request_uri().expect("uri").to_string(),
        "sip:bob@192.0.2.3:5060"
    );
    let now = net.now;
    net.ua(3)
        .respond(now, incoming.0, 200, "OK", None)
        .expect("200");
    net.run(Duration::from_millis(100));
    let mut ev = early;
    ev.extend(net.take_events());
    assert!(
        ev.iter()
            .any(|(_, h, e)| *h == 1
                && matches!(e, UaEvent::Redirected { call: c, .. } if *c == call))
    );
    assert!(ev
        .iter()
        .any(|(_, h, e)| *h == 1 && matches!(e, UaEvent::Answered { call: c, .. } if *c == call)));
    assert!(ev
        .iter()
        .any(|(_, h, e)| *h == 3 && matches!(e, UaEvent::Confirmed { .. })));
    // The ACK for host 9's 302 went to host 9 with the INVITE's branch (17.1.1.3).
    assert!(net.held.iter().any(|(_, _, b)| b.starts_with(b"ACK ")));
}

/// RFC 3261 13.3.1.4: the UAS retransmits its 2xx at T1, 2·T1 ... T2 until the ACK; with no
/// ACK at all it sends BYE after 64·T1.
#[test]
fn a_2xx_without_ack_is_retransmitted_then_the_call_is_ended() {
    let mut net = Net::new(&[1, 2]);
    let now = net.now;
    let _ = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.2"), target(2), None)
        .expect("invite");
    net.deliver();
    let call: CallHandle = net
        .take_events()
        .into_iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, .. } if h == 2 => Some(call),
            _ => None,
        })
        .expect("incoming");
    // From now on, nothing from 1 reaches 2 (the ACK is lost, and its repeats).
    net.mute.push(1);
    let now = net.now;
    net.ua(2).respond(now, call, 200, "OK", None).expect("200");
    net.run(Duration::from_secs(40));
    let ev = net.take_events();
    assert!(
        ev.iter()
            .any(|(t, h, e)| *h == 2 && *t == 32_000 && matches!(e, UaEvent::Ended { .. })),
        "BYE and end after 64·T1: {ev:?}"
    );
    // Meanwhile the 200 went again at T1, 2·T1, 4·T1 ... capped at T2.
    let twos = net
        .wire
        .iter()
        .filter(|(from, _, line)| *from == 2 && line.starts_with("SIP/2.0 200"))
        .count();
    assert_eq!(twos, 11, "sent at 0, 0.5, 1.5, 3.5, 7.5, 11.5 ... 31.5 s");
}

#[test]
fn garbage_is_discarded_and_the_ua_goes_on() {
    let mut net = Net::new(&[1, 2]);
    let now = net.now;
    for junk in [
        &b""[..],
        b"\r\n\r\n",
        b"INVITE",
        b"SIP/2.0 200\r\n\r\n",
        &[0xff, 0x00, 0x7f][..],
    ] {
        net.ua(2).handle_received(now, junk, target(1), None);
    }
    net.deliver();
    let _ = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.2"), target(2), None)
        .expect("invite");
    net.deliver();
    assert!(net
        .take_events()
        .iter()
        .any(|(_, h, e)| *h == 2 && matches!(e, UaEvent::Incoming { .. })));
}

/// A basic call between two of our UAs: INVITE, 200, ACK, BYE, 200; each side sees exactly
/// the events of a successful call and nothing else.
#[test]
fn a_basic_call_between_two_uas() {
    let mut net = Net::new(&[1, 2]);
    let now = net.now;
    let call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.2"), target(2), None)
        .expect("invite");
    net.deliver();
    let incoming = net
        .take_events()
        .into_iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, .. } if h == 2 => Some(call),
            _ => None,
        })
        .expect("incoming");
    let now = net.now;
    net.ua(2)
        .respond(now, incoming, 200, "OK", None)
        .expect("200");
    net.deliver();
    let now = net.now;
    net.ua(1).hangup(now, call).expect("bye");
    net.run(Duration::from_secs(60));
    let names: Vec<String> = net
        .take_events()
        .iter()
        .map(|(_, h, e)| {
            format!(
                "{h} {}",
                format!("{e:?}").split([' ', '(']).next().unwrap_or("")
            )
        })
        .collect();
    assert_eq!(
        names,
        ["1 Answered", "2 Confirmed", "2 Ended", "1 Ended"],
        "{names:?}"
    );
}

fn net_with_timers(uac: (u32, u32), uas: (u32, u32)) -> Net {
    let mut net = Net::new(&[]);
    for (h, (se, min)) in [(1u8, uac), (2u8, uas)] {
        let mut c = UaConfig::new(&format!("192.0.2.{h}"), 5060, TransportKind::Udp);
        c.session_timer.session_expires = se;
        c.session_timer.min_se = min;
        net.uas.insert(h, UserAgent::new(c, u64::from(h)));
    }
    net
}

/// Places a call from 1 to 2 that 2 answers; returns (caller's, callee's) handles.
fn answered_call(net: &mut Net) -> (CallHandle, CallHandle) {
    let now = net.now;
    let call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.2"), target(2), None)
        .expect("invite");
    net.deliver();
    let incoming = net
        .take_events()
        .into_iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, .. } if h == 2 => Some(call),
            _ => None,
        })
        .expect("incoming");
    let now = net.now;
    net.ua(2)
        .respond(now, incoming, 200, "OK", None)
        .expect("200");
    net.deliver();
    (call, incoming)
}

/// RFC 4028: the caller asks for 120 s; the callee takes it and names the caller as
/// refresher (it supports timers). The caller refreshes with UPDATE every 60 s and the call
/// lives on; when the caller stops refreshing, the callee ends the call with BYE at
/// 120 - min(32, 40) = 88 s after the last refresh.
#[test]
fn session_timer_refreshes_and_expires() {
    let mut net = net_with_timers((120, 90), (1800, 90));
    let _ = answered_call(&mut net);
    let answered_at = net.now;
    net.run(Duration::from_secs(200));
    let updates: Vec<u64> = net
        .take_events()
        .iter()
        .filter_map(|(t, h, e)| match e {
            UaEvent::Request { request, .. }
                if *h == 2 && request.method() == Some(&Method::Update) =>
            {
                Some(*t)
            }
            _ => None,
        })
        .collect();
    assert_eq!(
        updates,
        [60_000, 120_000, 180_000],
        "refreshes at half the interval (answered at {answered_at})"
    );
    // Stop the refresher: only the callee's timer runs now.
    net.mute.push(1);
    net.run(Duration::from_secs(200));
    let ended: Vec<(u64, u8)> = net
        .take_events()
        .iter()
        .filter_map(|(t, h, e)| matches!(e, UaEvent::Ended { .. }).then_some((*t, *h)))
        .collect();
    assert!(
        ended.iter().any(|(t, h)| *h == 2 && *t == 180_000 + 88_000),
        "the callee ends the lapsed session: {ended:?}"
    );
}

/// RFC 4028 7.3, 9: the callee's Min-SE is 600; the caller's 120 s gets 422 with Min-SE
/// 600, and the caller asks again with 600 s, which is taken.
#[test]
fn a_422_raises_the_interval() {
    let mut net = net_with_timers((120, 90), (1800, 600));
    let now = net.now;
    let call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.2"), target(2), None)
        .expect("invite");
    net.deliver();
    assert!(net
        .wire
        .iter()
        .any(|(f, _, l)| *f == 2 && l.starts_with("SIP/2.0 422")));
    let incoming = net
        .take_events()
        .into_iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, invite } if h == 2 => Some((call, invite)),
            _ => None,
        })
        .expect("the INVITE came again");
    assert_eq!(incoming.1.get("Session-Expires"), Some("600"));
    assert_eq!(incoming.1.cseq().expect("cseq").seq, 2);
    let now = net.now;
    net.ua(2)
        .respond(now, incoming.0, 200, "OK", None)
        .expect("200");
    net.deliver();
    assert!(net
        .take_events()
        .iter()
        .any(|(_, h, e)| *h == 1 && matches!(e, UaEvent::Answered { call: c, .. } if *c == call)));
}

/// RFC 3261 8.2.2.3: a Require we do not support gets 420 with Unsupported.
#[test]
fn an_unsupported_require_gets_420() {
    let mut net = Net::new(&[2]);
    let text = "INVITE sip:bob@192.0.2.2 SIP/2.0\r\nVia: SIP/2.0/UDP 192.0.2.9:5060;branch=z9hG4bKreq1\r\nMax-Forwards: 70\r\nFrom: <sip:a@192.0.2.9>;tag=1\r\nTo: <sip:bob@192.0.2.2>\r\nCall-ID: req@192.0.2.9\r\nCSeq: 1 INVITE\r\nContact: <sip:a@192.0.2.9>\r\nRequire: 100rel, foo\r\nContent-Length: 0\r\n\r\n";
    let now = net.now;
    net.ua(2)
        .handle_received(now, text.as_bytes(), target(9), None);
    net.deliver();
    let (_, _, bytes) = net.held.pop().expect("a response to host 9");
    let r = Message::parse(&bytes).expect("parses");
    assert_eq!(r.status(), Some(420));
    assert_eq!(r.get("Unsupported"), Some("foo"));
    assert!(!net
        .take_events()
        .iter()
        .any(|(_, _, e)| matches!(e, UaEvent::Incoming { .. })));
}

/// RFC 3261 13.2.2.4: the INVITE forked and a second branch answers after the first: its 2xx
/// is ACKed and its dialog ended with BYE; the call stays with the first.
#[test]
fn a_second_forked_2xx_is_acked_and_hung_up() {
    let mut net = Net::new(&[1]);
    let now = net.now;
    let call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.9"), target(9), None)
        .expect("invite");
    net.deliver();
    let (_, _, bytes) = net.held.pop().expect("the INVITE");
    let invite = Message::parse(&bytes).expect("parses");
    for (tag, host) in [("first", 7), ("second", 8)] {
        let mut ok = invite.response(200, "OK", Some(tag));
        ok.push_header("Contact", format!("<sip:bob@192.0.2.{host}:5060>"));
        let now = net.now;
        net.ua(1)
            .handle_received(now, &ok.to_bytes(), target(9), None);
        net.deliver();
    }
    let answered = net
        .take_events()
        .iter()
        .filter(|(_, h, e)| *h == 1 && matches!(e, UaEvent::Answered { call: c, .. } if *c == call))
        .count();
    assert_eq!(answered, 1, "the call is answered once");
    let to_second: Vec<String> = net
        .held
        .iter()
        .filter(|(_, a, _)| *a == addr(8))
        .map(|(_, _, b)| {
            String::from_utf8_lossy(b)
                .lines()
                .next()
                .unwrap_or("")
                .to_string()
        })
        .collect();
    assert_eq!(
        to_second,
        [
            "ACK sip:bob@192.0.2.8:5060 SIP/2.0",
            "BYE sip:bob@192.0.2.8:5060 SIP/2.0"
        ]
    );
}

/// RFC 3263 4.3: the first target never answers (timer B, 32 s): the INVITE goes to the
/// second, which answers 503: it goes to the third, which takes the call.
#[test]
fn failover_to_the_next_target_on_timeout_and_503() {
    let mut net = Net::new(&[1, 3]);
    let now = net.now;
    let call = net
        .ua(1)
        .invite_targets(
            now,
            from(1),
            uri("sip:bob@trunk.example"),
            vec![target(8), target(9), target(3)],
            None,
        )
        .expect("invite");
    // Host 8 swallows everything.
    net.down.push(8);
    net.run(Duration::from_secs(33));
    let (_, _, bytes) = net
        .held
        .iter()
        .rev()
        .find(|(_, a, _)| *a == addr(9))
        .cloned()
        .expect("the INVITE reached host 9 after timer B");
    let invite = Message::parse(&bytes).expect("parses");
    let busy = invite.response(503, "Service Unavailable", Some("x"));
    let now = net.now;
    net.ua(1)
        .handle_received(now, &busy.to_bytes(), target(9), None);
    net.deliver();
    let ev = net.take_events();
    let failovers: Vec<(u64, SocketAddr)> = ev
        .iter()
        .filter_map(|(t, _, e)| match e {
            UaEvent::Failover { to, .. } => Some((*t, to.addr)),
            _ => None,
        })
        .collect();
    assert_eq!(failovers, [(32_000, addr(9)), (33_000, addr(3))], "{ev:?}");
    let incoming = ev
        .iter()
        .find_map(|(_, h, e)| match e {
            UaEvent::Incoming { call, .. } if *h == 3 => Some(*call),
            _ => None,
        })
        .expect("host 3 got the call");
    let now = net.now;
    net.ua(3)
        .respond(now, incoming, 200, "OK", None)
        .expect("200");
    net.deliver();
    assert!(net
        .take_events()
        .iter()
        .any(|(_, h, e)| *h == 1 && matches!(e, UaEvent::Answered { call: c, .. } if *c == call)));
}

/// A forked INVITE with reliable provisional responses from two branches (RFC 3261 12.1.2,
/// RFC 3262 4): each branch is its own early dialog, with its own RSeq order and its own
/// CSeq space, and each PRACK goes within the dialog of the response it acknowledges.
#[test]
fn reliable_provisionals_from_two_forks_are_pracked_in_their_own_dialogs() {
    let mut net = Net::new(&[1]);
    let now = net.now;
    let _call = net
        .ua(1)
        .invite(now, from(1), uri("sip:bob@192.0.2.9"), target(9), None)
        .expect("invite");
    net.deliver();
    let (_, _, bytes) = net.held.pop().expect("the INVITE");
    let invite = Message::parse(&bytes).expect("parses");
    for (tag, rseq) in [("fork-a", 1), ("fork-b", 7), ("fork-a", 2)] {
        let mut p = invite.response(183, "Session Progress", Some(tag));
        p.push_header("Contact", "<sip:bob@192.0.2.9:5060>");
        p.push_header("Require", "100rel");
        p.push_header("RSeq", rseq.to_string());
        let now = net.now;
        net.ua(1)
            .handle_received(now, &p.to_bytes(), target(9), None);
        net.deliver();
    }
    let pracks: Vec<(String, u32, String)> = net
        .held
        .iter()
        .filter(|(_, _, b)| b.starts_with(b"PRACK "))
        .map(|(_, _, b)| {
            let m = Message::parse(b).expect("parses");
            (
                m.to_tag().expect("to").unwrap_or_default(),
                m.cseq().expect("cseq").seq,
                m.get("RAck").unwrap_or_default().to_string(),
            )
        })
        .collect();
    assert_eq!(
        pracks,
        [
            ("fork-a".to_string(), 2, "1 1 INVITE".to_string()),
            ("fork-b".to_string(), 2, "7 1 INVITE".to_string()),
            ("fork-a".to_string(), 3, "2 1 INVITE".to_string()),
        ]
    );
}
