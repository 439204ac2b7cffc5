//! Bad input against the UA core and its shell (issue 4): what a UAS must answer to requests
//! it cannot take, and that nothing a peer sends stops it working.
//!
//! A [`UaShell`] runs on a runtime thread of its own (as in tests/sip_sipp.rs), listening on
//! UDP and TCP on 127.0.0.1 and on UDP [::1]; the tests talk to it through raw sockets:
//! - mandatory headers (RFC 3261 8.1.1) missing or broken, CSeq method mismatch: 400 with a
//!   reason phrase naming the problem (8.2, 21.4.1; RFC 4475 3.1.2.17);
//! - an unknown method outside a dialog: 501 (8.2.1); a known one we do not take: 405 with
//!   Allow (8.2.1, 20.5);
//! - BYE / INFO for no dialog: 481 (12.2.2, 15.1.2);
//! - garbage and truncated datagrams: no answer, the UA works on (a later OPTIONS gets 200);
//! - an oversize UDP datagram: dropped, counted in the transport statistics;
//! - the RFC 4475 3.1.2 / 3.2 invalid messages: 400 (505 for SIP/7.0, 3.1.2.16), nothing for
//!   responses;
//! - responses we make outside a dialog carry a To tag (8.2.6.2).
//!
//! And, sans-IO, a property: no input to `UserAgent::handle_received` panics, and after any
//! input a valid INVITE still produces `UaEvent::Incoming`.

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream, UdpSocket};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::Duration;

use proptest::prelude::*;
use sipt_mgc::shell::Clock;
use sipt_mgc::sip::message::{frame, Framing, Limits, Message, StartLine};
use sipt_mgc::sip::shell::UaShell;
use sipt_mgc::sip::transport::{Target, TransportHandle, TransportKind};
use sipt_mgc::sip::ua::{UaConfig, UaEvent, UserAgent};
use sipt_mgc::time::Instant;

/// How long to wait for an answer that must come (loopback: far more than enough).
const ANSWER: Duration = Duration::from_secs(3);
/// How long to wait to be sure nothing comes back.
const SILENCE: Duration = Duration::from_millis(300);

// ------------------------------------------------------------------- the UAS under test

/// The UA under test on its own runtime thread; one for the whole file (tests run in
/// parallel against it, each with its own socket, branches and Call-IDs).
struct Uas {
    udp: SocketAddr,
    udp6: SocketAddr,
    tcp: SocketAddr,
    transport: TransportHandle,
    log: Arc<Mutex<Vec<String>>>,
}

fn uas() -> &'static Uas {
    static UAS: OnceLock<Uas> = OnceLock::new();
    UAS.get_or_init(start_uas)
}

fn start_uas() -> Uas {
    let (tx, rx) = std::sync::mpsc::channel();
    let log = Arc::new(Mutex::new(Vec::new()));
    let log2 = Arc::clone(&log);
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        rt.block_on(async move {
            let config = UaConfig::new("127.0.0.1", 0, TransportKind::Udp);
            let mut shell = UaShell::bind(
                Clock::new(),
                &["udp:127.0.0.1:0", "tcp:127.0.0.1:0", "udp:[::1]:0"],
                config,
                0xbad,
            )
            .await
            .expect("binding");
            let addrs = shell.transport().local_addrs().to_vec();
            tx.send((addrs, shell.transport().clone()))
                .expect("sending the addresses");
            loop {
                let Some(e) = shell.step(None).await else {
                    continue;
                };
                let now = shell.now();
                let ua = shell.ua();
                match &e {
                    UaEvent::Incoming { call, .. } => {
                        let _ = ua.respond(now, *call, 200, "OK", None);
                    }
                    UaEvent::Request { request, key, .. } => {
                        let _ = ua.respond_request(now, key, request, 200, "OK", None);
                    }
                    UaEvent::Ended { call, .. } | UaEvent::Cancelled { call, .. } => {
                        ua.forget(*call)
                    }
                    _ => {}
                }
                log2.lock().expect("log").push(format!("{e:?}"));
                shell.flush();
            }
        });
    });
    let (addrs, transport) = rx.recv_timeout(ANSWER).expect("the UAS started");
    let find = |kind: TransportKind, v6: bool| {
        addrs
            .iter()
            .find(|a| a.transport == kind && a.addr.is_ipv6() == v6)
            .map(|a| a.addr)
            .expect("a bound address")
    };
    Uas {
        udp: find(TransportKind::Udp, false),
        udp6: find(TransportKind::Udp, true),
        tcp: find(TransportKind::Tcp, false),
        transport,
        log,
    }
}

// ------------------------------------------------------------------- raw peers

fn unique() -> u64 {
    static N: AtomicU64 = AtomicU64::new(1);
    N.fetch_add(1, Ordering::Relaxed)
}

/// A request as text, header by header, so that a test can drop or break one.
struct Req {
    line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Req {
    /// A valid out-of-dialog request from `local` over `transport` ("UDP", "TCP").
    fn new(method: &str, transport: &str, local: SocketAddr) -> Req {
        let n = unique();
        let headers = [
            (
                "Via",
                format!("SIP/2.0/{transport} {local};branch=z9hG4bK-bad-{n};rport"),
            ),
            ("Max-Forwards", "70".into()),
            ("From", format!("<sip:alice@example.com>;tag=f{n}")),
            ("To", "<sip:gw@127.0.0.1>".into()),
            ("Call-ID", format!("bad-{n}@example.com")),
            ("CSeq", format!("1 {method}")),
            ("Contact", format!("<sip:alice@{local}>")),
        ];
        Req {
            line: format!("{method} sip:gw@127.0.0.1 SIP/2.0"),
            headers: headers
                .into_iter()
                .map(|(n, v)| (n.to_string(), v))
                .collect(),
            body: String::new(),
        }
    }

    fn without(mut self, name: &str) -> Req {
        self.headers.retain(|(n, _)| n != name);
        self
    }

    /// Replaces the value of `name` (added when absent).
    fn with(mut self, name: &str, value: &str) -> Req {
        match self.headers.iter_mut().find(|(n, _)| n == name) {
            Some(h) => h.1 = value.to_string(),
            None => self.headers.push((name.to_string(), value.to_string())),
        }
        self
    }

    /// Adds another `name` header after the existing ones.
    fn also(mut self, name: &str, value: &str) -> Req {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    fn call_id(&self) -> String {
        self.headers
            .iter()
            .find(|(n, _)| n == "Call-ID")
            .map(|(_, v)| v.clone())
            .unwrap_or_default()
    }

    fn bytes(&self) -> Vec<u8> {
        let mut s = format!("{}\r\n", self.line);
        for (n, v) in &self.headers {
            s.push_str(&format!("{n}: {v}\r\n"));
        }
        s.push_str(&format!(
            "Content-Length: {}\r\n\r\n{}",
            self.body.len(),
            self.body
        ));
        s.into_bytes()
    }
}

struct UdpPeer {
    sock: UdpSocket,
    to: SocketAddr,
}

impl UdpPeer {
    fn new() -> UdpPeer {
        let sock = UdpSocket::bind("127.0.0.1:0").expect("a UDP socket");
        UdpPeer {
            sock,
            to: uas().udp,
        }
    }

    fn local(&self) -> SocketAddr {
        self.sock.local_addr().expect("an address")
    }

    fn req(&self, method: &str) -> Req {
        Req::new(method, "UDP", self.local())
    }

    fn send(&self, bytes: &[u8]) {
        self.sock.send_to(bytes, self.to).expect("sending");
    }

    /// The next datagram within `wait`, parsed (a datagram that does not parse fails the test).
    fn recv(&self, wait: Duration) -> Option<Message> {
        self.sock.set_read_timeout(Some(wait)).expect("a timeout");
        let mut buf = vec![0u8; 65_536];
        let n = self.sock.recv(&mut buf).ok()?;
        let m = Message::parse(&buf[..n]).unwrap_or_else(|e| {
            panic!(
                "the UA sent what does not parse ({e}): {}",
                String::from_utf8_lossy(&buf[..n])
            )
        });
        Some(m)
    }

    /// Sends and returns the first final response (a 100 Trying is skipped).
    fn ask(&self, bytes: &[u8]) -> Message {
        self.send(bytes);
        loop {
            let m = self.recv(ANSWER).unwrap_or_else(|| {
                panic!(
                    "no response to:\n{}\nUA log: {:?}",
                    String::from_utf8_lossy(bytes),
                    uas().log.lock().expect("log")
                )
            });
            if m.status() != Some(100) {
                return m;
            }
        }
    }

    /// Sends; nothing but (at most) a 100 Trying may come back.
    fn ask_silence(&self, bytes: &[u8]) {
        self.send(bytes);
        while let Some(m) = self.recv(SILENCE) {
            assert_eq!(
                m.status(),
                Some(100),
                "an answer to what deserves none:\n{}\nanswer: {:?}",
                String::from_utf8_lossy(bytes),
                m.start
            );
        }
    }

    /// The UA still works: an OPTIONS gets 200 (RFC 3261 11.2).
    fn still_works(&self) {
        let r = self.ask(&self.req("OPTIONS").bytes());
        assert_eq!(
            r.status(),
            Some(200),
            "OPTIONS after bad input: {:?}",
            r.start
        );
    }
}

fn reason(m: &Message) -> &str {
    match &m.start {
        StartLine::Response { reason, .. } => reason,
        StartLine::Request { .. } => "",
    }
}

/// Checks a response is `status`, to the request with `call_id`, and (when `names` is
/// given) that its reason phrase names the problem.
fn check(r: &Message, status: u16, call_id: &str, names: Option<&str>, what: &str) {
    assert_eq!(r.status(), Some(status), "{what}: got {:?}", r.start);
    assert_eq!(
        r.call_id().ok().as_deref(),
        Some(call_id),
        "{what}: Call-ID copied"
    );
    if let Some(n) = names {
        assert!(
            reason(r)
                .to_ascii_lowercase()
                .contains(&n.to_ascii_lowercase()),
            "{what}: reason phrase {:?} should name {n}",
            reason(r)
        );
    }
}

// ------------------------------------------------------------------- (a) mandatory headers

/// Each mandatory header missing or broken, with the word the reason phrase must contain.
fn header_faults(
    peer_local: SocketAddr,
    transport: &str,
) -> Vec<(&'static str, Req, &'static str)> {
    let base = |m: &str| Req::new(m, transport, peer_local);
    vec![
        ("no To", base("INVITE").without("To"), "To"),
        ("no From", base("INVITE").without("From"), "From"),
        ("no CSeq", base("INVITE").without("CSeq"), "CSeq"),
        ("no Call-ID", base("INVITE").without("Call-ID"), "Call-ID"),
        (
            "To unterminated <",
            base("INVITE").with("To", "<sip:gw@127.0.0.1"),
            "To",
        ),
        (
            "From unterminated quote",
            base("INVITE").with("From", "\"Alice <sip:a@example.com>;tag=1"),
            "From",
        ),
        (
            "CSeq not a number",
            base("INVITE").with("CSeq", "one INVITE"),
            "CSeq",
        ),
        (
            "CSeq beyond 2**32-1",
            base("OPTIONS").with("CSeq", "4294967296 OPTIONS"),
            "CSeq",
        ),
        (
            "Call-ID with a space",
            base("INVITE").with("Call-ID", "a b@c"),
            "Call-ID",
        ),
        (
            "Max-Forwards not a number",
            base("INVITE").with("Max-Forwards", "seventy"),
            "Max-Forwards",
        ),
        (
            "Max-Forwards 256",
            base("OPTIONS").with("Max-Forwards", "256"),
            "Max-Forwards",
        ),
        (
            "two To",
            base("INVITE").also("To", "<sip:other@127.0.0.1>"),
            "To",
        ),
        (
            "two Call-ID",
            base("OPTIONS").also("Call-ID", "second@example.com"),
            "Call-ID",
        ),
        // A second Via that does not parse: the top one is still there to answer to.
        (
            "second Via broken",
            base("OPTIONS").also("Via", "SIP/2.0/UDP"),
            "Via",
        ),
        (
            "CSeq method mismatch",
            base("INVITE").with("CSeq", "1 OPTIONS"),
            "CSeq",
        ),
        (
            "CSeq method mismatch, unknown method (RFC 4475 3.1.2.18)",
            base("NEWMETHOD").with("CSeq", "1 INVITE"),
            "CSeq",
        ),
    ]
}

#[test]
fn mandatory_headers_missing_or_broken_get_400_naming_them_udp() {
    let peer = UdpPeer::new();
    for (what, req, names) in header_faults(peer.local(), "UDP") {
        let call_id = req.call_id();
        let r = peer.ask(&req.bytes());
        assert_eq!(r.status(), Some(400), "{what}: got {:?}", r.start);
        check_reason(&r, names, what);
        // The response is to that request (RFC 3261 8.2.6.2: Call-ID copied), when the
        // request had a single parsable Call-ID to copy.
        if !what.contains("Call-ID") {
            check(&r, 400, &call_id, Some(names), what);
        }
    }
    peer.still_works();
}

fn check_reason(r: &Message, names: &str, what: &str) {
    assert!(
        reason(r)
            .to_ascii_lowercase()
            .contains(&names.to_ascii_lowercase()),
        "{what}: reason phrase {:?} should name {names}",
        reason(r)
    );
}

#[test]
fn without_a_via_nothing_can_be_answered_and_the_ua_works_on() {
    // RFC 3261 18.2.2: a response goes where the top Via says; with no Via (or a top Via that
    // does not parse) there is nowhere to send the 400.
    let peer = UdpPeer::new();
    peer.ask_silence(&peer.req("INVITE").without("Via").bytes());
    peer.ask_silence(&peer.req("OPTIONS").with("Via", "SIP/2.0/UDP").bytes());
    peer.ask_silence(&peer.req("OPTIONS").with("Via", "garbage").bytes());
    peer.still_works();
}

#[test]
fn an_ack_with_a_bad_header_is_not_answered() {
    // RFC 3261 17.1.1.3 / 17.2.1: ACK never gets a response.
    let peer = UdpPeer::new();
    peer.ask_silence(&peer.req("ACK").without("Max-Forwards").bytes());
    peer.ask_silence(&peer.req("ACK").with("CSeq", "1 INVITE").bytes());
    peer.still_works();
}

// ------------------------------------------------------------------- (b), (c) methods, dialogs

#[test]
fn unknown_method_gets_501_known_untaken_method_405_with_allow() {
    let peer = UdpPeer::new();
    for method in ["FOO", "NEWMETHOD", "RE%47IST%45R"] {
        let req = peer.req(method);
        let r = peer.ask(&req.bytes());
        check(&r, 501, &req.call_id(), None, method);
    }
    for method in [
        "SUBSCRIBE",
        "REGISTER",
        "NOTIFY",
        "REFER",
        "MESSAGE",
        "PUBLISH",
    ] {
        let req = peer.req(method);
        let r = peer.ask(&req.bytes());
        check(&r, 405, &req.call_id(), None, method);
        // RFC 3261 8.2.1: a 405 MUST carry Allow listing the methods we take.
        let allow = r
            .get("Allow")
            .unwrap_or_else(|| panic!("{method}: 405 without Allow"));
        let methods: Vec<&str> = allow.split(',').map(str::trim).collect();
        for m in ["INVITE", "ACK", "CANCEL", "BYE", "OPTIONS"] {
            assert!(methods.contains(&m), "{method}: Allow {allow:?} lacks {m}");
        }
        assert!(
            !methods.contains(&method),
            "{method}: Allow {allow:?} offers it"
        );
    }
    peer.still_works();
}

#[test]
fn bye_info_update_prack_for_no_dialog_get_481() {
    // RFC 3261 12.2.2 (a request with a To tag matching no dialog) and 15.1.2 (BYE).
    let peer = UdpPeer::new();
    for method in ["BYE", "INFO", "UPDATE"] {
        for tagged in [true, false] {
            let mut req = peer.req(method);
            if tagged {
                req = req.with("To", "<sip:gw@127.0.0.1>;tag=nosuchdialog");
            }
            let r = peer.ask(&req.bytes());
            check(
                &r,
                481,
                &req.call_id(),
                None,
                &format!("{method} tagged={tagged}"),
            );
        }
    }
    let req = peer
        .req("PRACK")
        .with("To", "<sip:gw@127.0.0.1>;tag=nosuchdialog")
        .also("RAck", "1 1 INVITE");
    let r = peer.ask(&req.bytes());
    check(&r, 481, &req.call_id(), None, "PRACK");
    // A re-INVITE for no dialog (RFC 3261 12.2.2).
    let req = peer
        .req("INVITE")
        .with("To", "<sip:gw@127.0.0.1>;tag=nosuchdialog");
    let r = peer.ask(&req.bytes());
    check(&r, 481, &req.call_id(), None, "re-INVITE");
    // A CANCEL matching no transaction (RFC 3261 9.2).
    let req = peer.req("CANCEL");
    let r = peer.ask(&req.bytes());
    check(&r, 481, &req.call_id(), None, "CANCEL");
    peer.still_works();
}

#[test]
fn responses_outside_a_dialog_carry_a_to_tag() {
    // RFC 3261 8.2.6.2: "If the request did not have a tag in the To header field, the UAS
    // core MUST add a tag to the To header field in the response (with the exception of the
    // 100 (Trying) response, in which a tag MAY be present)." 12.1.1 lets a UAC tell
    // responses of different UASs apart by it.
    let peer = UdpPeer::new();
    let cases = [
        ("FOO", peer.req("FOO")),
        ("SUBSCRIBE", peer.req("SUBSCRIBE")),
        ("BYE", peer.req("BYE")),
        ("OPTIONS", peer.req("OPTIONS")),
        (
            "no Max-Forwards",
            peer.req("OPTIONS").without("Max-Forwards"),
        ),
        (
            "CSeq mismatch",
            peer.req("INVITE").with("CSeq", "1 OPTIONS"),
        ),
    ];
    let mut missing = Vec::new();
    for (what, req) in cases {
        let r = peer.ask(&req.bytes());
        let tag = r.to_tag().ok().flatten();
        if tag.is_none() {
            missing.push(format!("{what} -> {:?}", r.start));
        }
    }
    assert!(
        missing.is_empty(),
        "responses without a To tag: {missing:?}"
    );
}

// ------------------------------------------------------------------- (d) garbage, truncation

#[test]
fn garbage_and_truncated_datagrams_get_nothing_and_the_ua_works_on() {
    let peer = UdpPeer::new();
    let invite = peer.req("INVITE").bytes();
    let head_end = invite
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("CRLFCRLF");
    let mut inputs: Vec<(String, Vec<u8>)> = vec![
        ("one octet".into(), vec![0]),
        ("binary".into(), (0..=255u8).collect()),
        (
            "ascii text".into(),
            b"hello there, not SIP at all\r\n\r\n".to_vec(),
        ),
        ("HTTP".into(), b"GET / HTTP/1.1\r\nHost: x\r\n\r\n".to_vec()),
        (
            "a lone request line".into(),
            b"INVITE sip:a@b SIP/2.0\r\n".to_vec(),
        ),
        (
            "start line only, ended".into(),
            b"OPTIONS sip:a@b SIP/2.0\r\n\r\n".to_vec(),
        ),
        (
            "response garbage".into(),
            b"SIP/2.0 999999 x\r\n\r\n".to_vec(),
        ),
        ("NUL in headers".into(), {
            let mut v = invite.clone();
            v[10] = 0;
            v
        }),
        ("invalid UTF-8 in a header".into(), {
            let mut v = peer.req("OPTIONS").with("Subject", "x").bytes();
            let at = v
                .windows(9)
                .position(|w| w == b"Subject: ")
                .expect("Subject")
                + 9;
            v[at] = 0xff;
            v
        }),
    ];
    // Truncated before the end of the headers: no message at all (RFC 3261 18.3 / 7.5).
    for cut in [1, 7, 20, head_end / 2, head_end, head_end + 2] {
        inputs.push((format!("INVITE cut at {cut}"), invite[..cut].to_vec()));
    }
    // Cut just before the empty line (with or without the last header's CRLF): the message
    // layer takes a datagram whose header block ends at the end of the datagram (src/sip/message: lenient on UDP, for RFC 4475's
    // baddn), so this one is a whole INVITE and is answered like one.
    let whole_headers = [
        format!("INVITE cut at {head_end}"),
        format!("INVITE cut at {}", head_end + 2),
    ];
    for (what, bytes) in &inputs {
        peer.send(bytes);
        if let Some(m) = peer.recv(SILENCE) {
            if whole_headers.contains(what) {
                continue;
            }
            // An answer is acceptable only as a 400 to a request whose Via was read.
            assert_eq!(m.status(), Some(400), "{what}: answered {:?}", m.start);
        }
    }
    peer.still_works();
    // And an INVITE still makes a call (answered 200 by the test UAS).
    let r = peer.ask(&peer.req("INVITE").bytes());
    assert_eq!(r.status(), Some(200), "INVITE after garbage: {:?}", r.start);
}

// ------------------------------------------------------------------- (e) oversize datagram

#[test]
fn oversize_udp_datagram_is_dropped_and_counted() {
    // The transport's largest message is 65507 octets (the largest IPv4 UDP payload), so a
    // larger datagram can only come over IPv6 (65527 octets without jumbograms).
    let uas = uas();
    let sock = UdpSocket::bind("[::1]:0").expect("an IPv6 UDP socket on ::1");
    let local = sock.local_addr().expect("an address");
    let before = uas.transport.stats().dropped_oversize;
    let mut big = Req::new("OPTIONS", "UDP", local).with("Content-Type", "text/plain");
    big.body = "x".repeat(60_000);
    big.body = "x".repeat(60_000 + 65_520 - big.bytes().len());
    let bytes = big.bytes();
    assert!(
        bytes.len() > 65_507 && bytes.len() <= 65_527,
        "{}",
        bytes.len()
    );
    sock.send_to(&bytes, uas.udp6).expect("sending 65.5 kB");
    sock.set_read_timeout(Some(SILENCE)).expect("a timeout");
    let mut buf = vec![0u8; 65_536];
    assert!(
        sock.recv(&mut buf).is_err(),
        "an answer to an oversize datagram"
    );
    let after = uas.transport.stats().dropped_oversize;
    assert_eq!(after, before + 1, "dropped_oversize counted it");
    // The same socket still gets answers.
    let ok = Req::new("OPTIONS", "UDP", local).bytes();
    sock.send_to(&ok, uas.udp6).expect("sending");
    sock.set_read_timeout(Some(ANSWER)).expect("a timeout");
    let n = sock.recv(&mut buf).expect("an answer to OPTIONS over IPv6");
    let r = Message::parse(&buf[..n]).expect("a response");
    assert_eq!(r.status(), Some(200));
}

// ------------------------------------------------------------------- (f) RFC 4475

/// The RFC 4475 invalid messages (the table of tests/sip_torture.rs) and what a UAS sends
/// back: a status, or nothing.
const TORTURE: &[(&str, Option<u16>, &str)] = &[
    // 3.1.2.1: the only Via has extraneous separators: there may be no Via to answer to.
    (
        "badinv01",
        None,
        "3.1.2.1 extraneous separators (the Via among them)",
    ),
    (
        "clerr",
        Some(400),
        "3.1.2.2 Content-Length larger than the message",
    ),
    ("ncl", Some(400), "3.1.2.3 negative Content-Length"),
    (
        "scalar02",
        Some(400),
        "3.1.2.4 CSeq and Max-Forwards beyond range",
    ),
    ("scalarlg", None, "3.1.2.5 a response: never answered"),
    ("quotbal", Some(400), "3.1.2.6 unterminated quote in To"),
    ("ltgtruri", Some(400), "3.1.2.7 Request-URI in <>"),
    ("lwsruri", Some(400), "3.1.2.8 LWS in the Request-URI"),
    (
        "lwsstart",
        Some(400),
        "3.1.2.9 several SP in the Request-Line",
    ),
    ("trws", Some(400), "3.1.2.10 SP after the Request-Line"),
    (
        "escruri",
        Some(400),
        "3.1.2.11 escaped headers in the Request-URI",
    ),
    ("baddate", Some(400), "3.1.2.12 Date not in GMT"),
    (
        "regbadct",
        Some(400),
        "3.1.2.13 '?' in an addr-spec not in <>",
    ),
    ("badaspec", Some(400), "3.1.2.14 LWS inside <>"),
    (
        "baddn",
        Some(400),
        "3.1.2.15 non-token display name not quoted",
    ),
    ("badvers", Some(505), "3.1.2.16 SIP/7.0"),
    ("mismatch01", Some(400), "3.1.2.17 CSeq method mismatch"),
    (
        "mismatch02",
        Some(400),
        "3.1.2.18 unknown method, CSeq mismatch",
    ),
    ("bigcode", None, "3.1.2.19 a response: never answered"),
    (
        "insuf",
        Some(400),
        "3.2.1 To, From, Call-ID, Max-Forwards missing",
    ),
    (
        "multi01",
        Some(400),
        "3.2.8 several values in single-value fields",
    ),
    ("mcl01", Some(400), "3.2.9 several Content-Length"),
];

fn torture(name: &str) -> Vec<u8> {
    let path = format!(
        "{}/fixtures/sip/torture/{name}.dat",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    // The archive's baddn.dat ends after its last header line, without the empty line of
    // the message in RFC 4475 3.1.2.15; sent as is, it is a truncated message, not that one.
    if !bytes.windows(4).any(|w| w == b"\r\n\r\n") {
        bytes.extend_from_slice(b"\r\n");
    }
    bytes
}

#[test]
fn every_rfc4475_invalid_message_gets_400_or_nothing_and_the_ua_works_on() {
    let peer = UdpPeer::new();
    let port = format!(":{}", peer.local().port());
    let mut wrong = Vec::new();
    for (name, expect, what) in TORTURE {
        let seen = uas().log.lock().expect("log").len();
        peer.send(&torture(name));
        let mut got = None;
        while let Some(m) = peer.recv(SILENCE) {
            if m.status() != Some(100) {
                got = m.status();
                break;
            }
        }
        peer.still_works();
        if got != *expect {
            let log = uas().log.lock().expect("log");
            let said: Vec<&String> = log
                .iter()
                .skip(seen)
                .filter(|l| l.contains("Discarded") && l.contains(&port))
                .collect();
            wrong.push(format!(
                "{name} ({what}): expected {expect:?}, got {got:?}; the UA: {said:?}"
            ));
        }
    }
    assert!(
        wrong.is_empty(),
        "RFC 4475 invalid messages:\n{}",
        wrong.join("\n")
    );
}

// ------------------------------------------------------------------- TCP

struct TcpPeer {
    stream: TcpStream,
    buf: Vec<u8>,
}

impl TcpPeer {
    fn new() -> TcpPeer {
        let stream = TcpStream::connect(uas().tcp).expect("connecting");
        TcpPeer {
            stream,
            buf: Vec::new(),
        }
    }

    fn local(&self) -> SocketAddr {
        self.stream.local_addr().expect("an address")
    }

    fn req(&self, method: &str) -> Req {
        Req::new(method, "TCP", self.local())
    }

    /// The next framed message within `wait`; `None` at the deadline or when the UA closed.
    fn recv(&mut self, wait: Duration) -> Option<Message> {
        let deadline = std::time::Instant::now() + wait;
        loop {
            match frame(&self.buf, &Limits::default()) {
                Framing::Complete(n) => {
                    let m = Message::parse(&self.buf[..n]).expect("a message from the UA");
                    self.buf.drain(..n);
                    return Some(m);
                }
                Framing::KeepAlive { len, .. } => {
                    self.buf.drain(..len);
                    continue;
                }
                Framing::Invalid(e) => panic!("the UA's stream does not frame: {e}"),
                Framing::Incomplete => {}
            }
            let left = deadline.checked_duration_since(std::time::Instant::now())?;
            self.stream
                .set_read_timeout(Some(left.max(Duration::from_millis(1))))
                .expect("a timeout");
            let mut chunk = [0u8; 4096];
            match self.stream.read(&mut chunk) {
                Ok(0) => return None,
                Ok(n) => self.buf.extend_from_slice(&chunk[..n]),
                Err(_) => return None,
            }
        }
    }

    fn ask(&mut self, bytes: &[u8]) -> Message {
        self.stream.write_all(bytes).expect("writing");
        loop {
            let m = self.recv(ANSWER).unwrap_or_else(|| {
                panic!(
                    "no response over TCP to:\n{}",
                    String::from_utf8_lossy(bytes)
                )
            });
            if m.status() != Some(100) {
                return m;
            }
        }
    }
}

#[test]
fn over_tcp_bad_requests_get_400_405_481_501_on_the_same_connection() {
    let mut peer = TcpPeer::new();
    let local = peer.local();
    for (what, req, names) in header_faults(local, "TCP") {
        let r = peer.ask(&req.bytes());
        assert_eq!(r.status(), Some(400), "TCP {what}: got {:?}", r.start);
        check_reason(&r, names, what);
    }
    let req = peer.req("FOO");
    let r = peer.ask(&req.bytes());
    check(&r, 501, &req.call_id(), None, "TCP FOO");
    let req = peer.req("SUBSCRIBE");
    let r = peer.ask(&req.bytes());
    check(&r, 405, &req.call_id(), None, "TCP SUBSCRIBE");
    assert!(r.get("Allow").is_some(), "TCP 405 without Allow");
    let req = peer.req("BYE").with("To", "<sip:gw@127.0.0.1>;tag=none");
    let r = peer.ask(&req.bytes());
    check(&r, 481, &req.call_id(), None, "TCP BYE");
    let req = peer.req("OPTIONS");
    let r = peer.ask(&req.bytes());
    check(&r, 200, &req.call_id(), None, "TCP OPTIONS");
}

#[test]
fn over_tcp_garbage_closes_that_connection_only() {
    // RFC 3261 18.3: a stream whose framing is lost cannot be recovered; the connection is
    // closed (RFC 4475 3.1.2.2). Other connections and UDP go on.
    let mut bad = TcpPeer::new();
    bad.stream
        .write_all(b"INVITE sip:a@b SIP/2.0\r\nContent-Length: -5\r\n\r\n")
        .expect("writing");
    assert!(bad.recv(ANSWER).is_none(), "an answer on a broken stream");
    let mut good = TcpPeer::new();
    let req = good.req("OPTIONS");
    let r = good.ask(&req.bytes());
    check(
        &r,
        200,
        &req.call_id(),
        None,
        "TCP OPTIONS after another stream broke",
    );
    UdpPeer::new().still_works();
}

// ------------------------------------------------------------------- sans-IO property

fn source() -> Target {
    Target::new(
        TransportKind::Udp,
        "192.0.2.10:5060".parse().expect("an address"),
    )
}

fn valid_invite(n: u64) -> Vec<u8> {
    Req::new(
        "INVITE",
        "UDP",
        "192.0.2.10:5060".parse().expect("an address"),
    )
    .with(
        "Via",
        &format!("SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK-prop-{n}"),
    )
    .with("Call-ID", &format!("prop-{n}@192.0.2.10"))
    .bytes()
}

/// Valid messages of several kinds, to mutate.
fn seeds() -> Vec<Vec<u8>> {
    let local: SocketAddr = "192.0.2.10:5060".parse().expect("an address");
    let mut v = vec![
        valid_invite(0),
        Req::new("OPTIONS", "UDP", local).bytes(),
        Req::new("BYE", "UDP", local)
            .with("To", "<sip:gw@127.0.0.1>;tag=x")
            .bytes(),
        Req::new("CANCEL", "UDP", local).bytes(),
        Req::new("ACK", "UDP", local).bytes(),
        b"SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP 127.0.0.1:5060;branch=z9hG4bKabc\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:c@d>;tag=2\r\nCall-ID: x@y\r\nCSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n".to_vec(),
    ];
    for name in [
        "wsinv", "intmeth", "esc01", "longreq", "mpart01", "clerr", "insuf",
    ] {
        v.push(torture(name));
    }
    v
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Truncate(usize),
    Insert(usize, Vec<u8>),
    Delete(usize, usize),
}

fn apply(mut v: Vec<u8>, muts: &[Mutation]) -> Vec<u8> {
    for m in muts {
        if v.is_empty() {
            break;
        }
        match m {
            Mutation::Flip(i, x) => {
                let i = i % v.len();
                v[i] ^= x;
            }
            Mutation::Truncate(i) => v.truncate(i % (v.len() + 1)),
            Mutation::Insert(i, s) => {
                let i = i % (v.len() + 1);
                v.splice(i..i, s.iter().copied());
            }
            Mutation::Delete(i, n) => {
                let i = i % v.len();
                let end = (i + n).min(v.len());
                v.drain(i..end);
            }
        }
    }
    v
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let sip_bits = prop::sample::select(vec![
        b"\r\n".to_vec(),
        b"\r\n\r\n".to_vec(),
        b":".to_vec(),
        b";".to_vec(),
        b",".to_vec(),
        b"<".to_vec(),
        b"\"".to_vec(),
        b"%".to_vec(),
        b" ".to_vec(),
        b"\0".to_vec(),
        b"\xff".to_vec(),
        b"Via: SIP/2.0/UDP".to_vec(),
        b"Content-Length: 99999999999999999999\r\n".to_vec(),
        b"CSeq: 4294967295 ACK\r\n".to_vec(),
        b"To: <sip:a@b>;tag=".to_vec(),
    ]);
    prop_oneof![
        (any::<usize>(), 1u8..=255).prop_map(|(i, x)| Mutation::Flip(i, x)),
        any::<usize>().prop_map(Mutation::Truncate),
        (
            any::<usize>(),
            prop_oneof![sip_bits, prop::collection::vec(any::<u8>(), 1..16)]
        )
            .prop_map(|(i, s)| Mutation::Insert(i, s)),
        (any::<usize>(), 1usize..64).prop_map(|(i, n)| Mutation::Delete(i, n)),
    ]
}

/// Feeds `inputs` at successive instants, running timers and draining outputs, then a valid
/// INVITE: it must be offered to the user.
fn survive(inputs: &[Vec<u8>]) -> Result<(), TestCaseError> {
    let mut ua = UserAgent::new(UaConfig::new("127.0.0.1", 5060, TransportKind::Udp), 7);
    let mut now = Instant::from_millis(1);
    for bytes in inputs {
        ua.handle_received(now, bytes, source(), None);
        while ua.poll_transmit().is_some() {}
        while ua.poll_event().is_some() {}
        now = Instant::from_millis(now.as_nanos() / 1_000_000 + 10);
        if ua.poll_timeout().is_some_and(|t| t <= now) {
            ua.handle_timeout(now);
        }
    }
    ua.handle_received(now, &valid_invite(u64::MAX), source(), None);
    let mut incoming = false;
    while let Some(e) = ua.poll_event() {
        incoming |= matches!(e, UaEvent::Incoming { .. });
    }
    prop_assert!(
        incoming,
        "a valid INVITE after the input made no Incoming event"
    );
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_bytes_never_panic_and_a_later_invite_is_taken(
        inputs in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..600), 1..6)
    ) {
        survive(&inputs)?;
    }

    #[test]
    fn mutated_valid_messages_never_panic_and_a_later_invite_is_taken(
        picks in prop::collection::vec(
            (any::<prop::sample::Index>(), prop::collection::vec(mutation(), 1..6)),
            1..6,
        )
    ) {
        let seeds = seeds();
        let inputs: Vec<Vec<u8>> = picks
            .iter()
            .map(|(i, muts)| apply(i.get(&seeds).clone(), muts))
            .collect();
        survive(&inputs)?;
    }
}

/// RFC 4475 3.3.1 (backward compatibility): a request without Max-Forwards, as RFC 2543
/// peers send, is taken (RFC 3261 8.1.1.6 obliges the UAC that sends it, not the UAS that
/// receives it).
#[test]
fn a_request_without_max_forwards_is_taken() {
    let peer = UdpPeer::new();
    let r = peer.ask(&peer.req("OPTIONS").without("Max-Forwards").bytes());
    assert_eq!(r.status(), Some(200), "{:?}", r.start);
}
