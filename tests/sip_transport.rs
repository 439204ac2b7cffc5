//! The SIP transports on loopback: UDP on IPv4 and IPv6, TCP framing (RFC 3261 18.3) and
//! keep-alives (RFC 5626 3.5.1), connection reuse (RFC 3261 18.2.2), TLS with a self-signed
//! certificate, oversize datagrams, the MTU rule (18.1.1), and RFC 3263 next-hop location
//! through the override table and through hickory against a DNS responder in the test.

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use hickory_resolver::proto::op::{Message, MessageType, OpCode, ResponseCode};
use hickory_resolver::proto::rr::rdata::{A, AAAA, NAPTR, SRV};
use hickory_resolver::proto::rr::{Name, RData, Record};
use sipt_mgc::sip::transport::locate::hickory_resolver;
use sipt_mgc::sip::transport::{
    CloseReason, ConnectionId, FramingError, Host, Locator, MtuDecision, MtuRule, NextHop, NoDns,
    Target, TlsConfig, Transport, TransportConfig, TransportEvent, TransportEvents,
    TransportHandle, TransportKind,
};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpStream, UdpSocket};

const WAIT: Duration = Duration::from_secs(5);

fn request(call_id: &str, body: &str) -> Vec<u8> {
    format!(
        "OPTIONS sip:gw@example.com SIP/2.0\r\n\
         Via: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK{call_id}\r\n\
         Max-Forwards: 70\r\nTo: <sip:gw@example.com>\r\n\
         From: <sip:peer@example.com>;tag=1\r\nCall-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    )
    .into_bytes()
}

fn response(call_id: &str) -> Vec<u8> {
    format!(
        "SIP/2.0 200 OK\r\nVia: SIP/2.0/TCP 127.0.0.1:5070;branch=z9hG4bK{call_id}\r\n\
         To: <sip:gw@example.com>;tag=2\r\nFrom: <sip:peer@example.com>;tag=1\r\n\
         Call-ID: {call_id}\r\nCSeq: 1 OPTIONS\r\nl: 0\r\n\r\n"
    )
    .into_bytes()
}

async fn bind(listen: &[&str]) -> (TransportHandle, TransportEvents) {
    let config = TransportConfig::from_listen(listen).unwrap();
    Transport::bind(config).await.unwrap()
}

/// The next event that is not a `ConnectionOpened`.
async fn next(events: &mut TransportEvents) -> TransportEvent {
    loop {
        let e = tokio::time::timeout(WAIT, events.recv())
            .await
            .expect("an event in time")
            .expect("the transports are running");
        if !matches!(e, TransportEvent::ConnectionOpened { .. }) {
            return e;
        }
    }
}

/// The next message, passing over connections opening and closing.
async fn received(events: &mut TransportEvents) -> (Vec<u8>, SocketAddr, Option<ConnectionId>) {
    loop {
        match next(events).await {
            TransportEvent::Received {
                bytes,
                source,
                connection,
                ..
            } => return (bytes, source, connection),
            TransportEvent::ConnectionClosed { .. } => continue,
            other => panic!("expected a message, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn udp_ipv4_and_ipv6() {
    let (a, _a_events) = bind(&["udp:127.0.0.1:0", "udp:[::1]:0"]).await;
    let (b, mut b_events) = bind(&["udp:127.0.0.1:0", "udp:[::1]:0"]).await;
    for family in [
        IpAddr::V4(Ipv4Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
    ] {
        let to = b
            .local_addrs()
            .iter()
            .find(|l| l.addr.ip() == family)
            .unwrap()
            .addr;
        let msg = request("udp", "v=0\r\n");
        a.send(&Target::new(TransportKind::Udp, to), msg.clone())
            .unwrap();
        let (bytes, source, connection) = received(&mut b_events).await;
        assert_eq!(bytes, msg);
        assert_eq!(source.ip(), family);
        assert_eq!(connection, None);
        // The source is the sender's listening socket of that family (RFC 3261 18.1.1).
        assert!(a.local_addrs().iter().any(|l| l.addr == source));
    }
    let stats = b.stats();
    assert_eq!(stats.messages_in, 2);
    assert_eq!(a.stats().messages_out, 2);
}

#[tokio::test]
async fn udp_oversize_dropped_and_counted() {
    let mut config = TransportConfig::from_listen(&["udp:127.0.0.1:0"]).unwrap();
    config.max_message_size = 1000;
    let (b, mut events) = Transport::bind(config).await.unwrap();
    let to = b.local_addr(TransportKind::Udp).unwrap();
    let peer = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    peer.send_to(&request("big", &"x".repeat(1500)), to)
        .await
        .unwrap();
    peer.send_to(b"\r\n\r\n", to).await.unwrap();
    let small = request("small", "");
    peer.send_to(&small, to).await.unwrap();
    let (bytes, _, _) = received(&mut events).await;
    assert_eq!(
        bytes, small,
        "the oversize datagram and the keep-alive are not passed up"
    );
    let stats = b.stats();
    assert_eq!(stats.dropped_oversize, 1);
    assert_eq!(stats.keepalives_in, 1);
    assert_eq!(stats.messages_in, 1);
    // And we do not send one either.
    assert!(b
        .send(&Target::new(TransportKind::Udp, to), vec![b'x'; 1001])
        .is_err());
}

#[tokio::test]
async fn tcp_framing_split_coalesced_keepalive_and_broken() {
    let (b, mut events) = bind(&["tcp:127.0.0.1:0"]).await;
    let to = b.local_addr(TransportKind::Tcp).unwrap();
    let mut peer = TcpStream::connect(to).await.unwrap();
    peer.set_nodelay(true).unwrap();

    // One message split across reads.
    let m1 = request("split", "0123456789");
    let (head, tail) = m1.split_at(40);
    peer.write_all(head).await.unwrap();
    peer.flush().await.unwrap();
    tokio::time::sleep(Duration::from_millis(20)).await;
    peer.write_all(tail).await.unwrap();
    let (bytes, _, c1) = received(&mut events).await;
    assert_eq!(bytes, m1);

    // Two messages and a ping in one write.
    let m2 = request("two-a", "");
    let m3 = request("two-b", "abc");
    let mut both = m2.clone();
    both.extend_from_slice(&m3);
    both.extend_from_slice(b"\r\n\r\n");
    peer.write_all(&both).await.unwrap();
    assert_eq!(received(&mut events).await.0, m2);
    let (bytes, _, c3) = received(&mut events).await;
    assert_eq!(bytes, m3);
    assert_eq!(c1, c3, "one connection");
    // RFC 5626 3.5.1: the ping is answered with a pong.
    let mut pong = [0u8; 2];
    tokio::time::timeout(WAIT, peer.read_exact(&mut pong))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&pong, b"\r\n");
    // A pong from the peer is ignored.
    peer.write_all(b"\r\n").await.unwrap();

    // A Content-Length larger than the body: the next message is eaten into the body, what
    // is left is not a start line, and the connection is closed (RFC 3261 18.3).
    let mut wrong = request("wrong", "hello");
    let at = wrong
        .windows(18)
        .position(|w| w == b"Content-Length: 5\r")
        .unwrap();
    wrong.splice(at..at + 17, b"Content-Length: 60".iter().copied());
    wrong.extend_from_slice(&request("after", ""));
    peer.write_all(&wrong).await.unwrap();
    // The wrong message itself frames (with the start of the next as its body)...
    let (bytes, _, _) = received(&mut events).await;
    assert!(bytes.ends_with(b"helloOPTIONS sip:gw@example.com SIP/2.0\r\nVia: SIP/2.0/TCP 12"));
    // ...and the rest closes the connection.
    match next(&mut events).await {
        TransportEvent::ConnectionClosed {
            connection, reason, ..
        } => {
            assert_eq!(Some(connection), c1);
            assert_eq!(reason, CloseReason::Framing(FramingError::BadStartLine));
        }
        other => panic!("expected the close, got {other:?}"),
    }
    let mut rest = Vec::new();
    let n = tokio::time::timeout(WAIT, peer.read_to_end(&mut rest))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the gateway closed its side");
    let stats = b.stats();
    assert_eq!(stats.framing_errors, 1);
    assert_eq!(stats.messages_in, 4);
    assert_eq!(stats.keepalives_in, 2);
    assert_eq!(stats.keepalives_out, 1);
    assert_eq!(stats.connections_open, 0);
}

#[tokio::test]
async fn tcp_response_reuses_the_request_connection() {
    let (a, mut a_events) = bind(&["tcp:127.0.0.1:0"]).await;
    let (b, mut b_events) = bind(&["tcp:[::1]:0", "tcp:127.0.0.1:0"]).await;
    let b_addr = b
        .local_addrs()
        .iter()
        .find(|l| l.addr.is_ipv4())
        .unwrap()
        .addr;

    // A raw peer's request; the response to its source address goes back on its connection.
    let mut peer = TcpStream::connect(b_addr).await.unwrap();
    peer.write_all(&request("raw", "")).await.unwrap();
    let (_, source, connection) = received(&mut b_events).await;
    assert_eq!(source, peer.local_addr().unwrap());
    assert_eq!(b.connection_to(TransportKind::Tcp, source), connection);
    b.send(&Target::new(TransportKind::Tcp, source), response("raw"))
        .unwrap();
    let expect = response("raw");
    let mut got = vec![0u8; expect.len()];
    tokio::time::timeout(WAIT, peer.read_exact(&mut got))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got, expect);

    // Between two transports: A connects, B answers on the same connection (send_on), and a
    // second request from A reuses A's connection.
    let target = Target::new(TransportKind::Tcp, b_addr);
    a.send(&target, request("a1", "")).unwrap();
    let (_, source, b_conn) = received(&mut b_events).await;
    b.send_on(b_conn.unwrap(), response("a1")).unwrap();
    let (bytes, from, a_conn) = received(&mut a_events).await;
    assert_eq!(bytes, response("a1"));
    assert_eq!(from, b_addr);
    a.send(&target, request("a2", "")).unwrap();
    let (_, source2, b_conn2) = received(&mut b_events).await;
    assert_eq!((source2, b_conn2), (source, b_conn));
    assert_eq!(a.connection_to(TransportKind::Tcp, b_addr), a_conn);
    assert_eq!(a.stats().connections_opened, 1);
    assert_eq!(b.stats().connections_opened, 2);
    assert_eq!(a.stats().messages_out, 2);
}

#[tokio::test]
async fn tcp_connect_failure_and_idle_timeout() {
    // Nothing listens on this port: the queued message comes back as SendFailed.
    let closed_port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let mut config = TransportConfig::from_listen(&["tcp:127.0.0.1:0"]).unwrap();
    config.idle_timeout = Duration::from_millis(200);
    let (a, mut events) = Transport::bind(config).await.unwrap();
    let msg = request("refused", "");
    a.send(&Target::new(TransportKind::Tcp, closed_port), msg.clone())
        .unwrap();
    match next(&mut events).await {
        TransportEvent::SendFailed { bytes, remote, .. } => {
            assert_eq!((bytes, remote), (msg, closed_port));
        }
        other => panic!("expected SendFailed, got {other:?}"),
    }
    assert_eq!(a.stats().send_failures, 1);

    // An idle inbound connection is closed.
    let mut peer = TcpStream::connect(a.local_addr(TransportKind::Tcp).unwrap())
        .await
        .unwrap();
    match next(&mut events).await {
        TransportEvent::ConnectionClosed { reason, .. } => {
            assert_eq!(reason, CloseReason::IdleTimeout)
        }
        other => panic!("expected the idle close, got {other:?}"),
    }
    let mut rest = Vec::new();
    assert_eq!(peer.read_to_end(&mut rest).await.unwrap_or(0), 0);
}

#[tokio::test]
async fn tcp_connection_limit() {
    let mut config = TransportConfig::from_listen(&["tcp:127.0.0.1:0"]).unwrap();
    config.max_connections = 1;
    let (b, mut events) = Transport::bind(config).await.unwrap();
    let to = b.local_addr(TransportKind::Tcp).unwrap();
    let mut first = TcpStream::connect(to).await.unwrap();
    first.write_all(&request("first", "")).await.unwrap();
    received(&mut events).await;
    let mut second = TcpStream::connect(to).await.unwrap();
    let mut buf = Vec::new();
    let n = tokio::time::timeout(WAIT, second.read_to_end(&mut buf))
        .await
        .unwrap()
        .unwrap_or(0);
    assert_eq!(n, 0, "the second connection is refused (closed at once)");
    assert_eq!(b.stats().connections_refused, 1);
    assert!(b
        .send(
            &Target::new(TransportKind::Tcp, "127.0.0.1:9".parse().unwrap()),
            request("x", "")
        )
        .is_err());
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("sipt-transport-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// A self-signed certificate for `localhost` and 127.0.0.1, its key, in PEM files.
fn self_signed(dir: &std::path::Path) -> (PathBuf, PathBuf) {
    let ck =
        rcgen::generate_simple_self_signed(vec!["localhost".to_string(), "127.0.0.1".to_string()])
            .unwrap();
    let cert = dir.join("cert.pem");
    let key = dir.join("key.pem");
    std::fs::write(&cert, ck.cert.pem()).unwrap();
    std::fs::write(&key, ck.signing_key.serialize_pem()).unwrap();
    (cert, key)
}

#[tokio::test]
async fn tls_handshake_and_a_message_each_way() {
    let dir = temp_dir("tls");
    let (cert, key) = self_signed(&dir);
    let mut server = TransportConfig::from_listen(&["tls:127.0.0.1:0"]).unwrap();
    server.tls = TlsConfig {
        certificate_chain: Some(cert.clone()),
        private_key: Some(key),
        ..TlsConfig::default()
    };
    let (b, mut b_events) = Transport::bind(server).await.unwrap();
    let mut client = TransportConfig::from_listen(&["udp:127.0.0.1:0"]).unwrap();
    client.tls.ca_file = Some(cert);
    let (a, mut a_events) = Transport::bind(client).await.unwrap();
    let b_addr = b.local_addr(TransportKind::Tls).unwrap();

    // SNI and certificate check by name (RFC 5922 4), then by IP address.
    for (i, target) in [
        Target::new(TransportKind::Tls, b_addr).with_server_name("localhost"),
        Target::new(TransportKind::Tls, b_addr),
    ]
    .into_iter()
    .enumerate()
    {
        let id = format!("tls{i}");
        a.send(&target, request(&id, "secret")).unwrap();
        let (bytes, _, conn) = received(&mut b_events).await;
        assert_eq!(bytes, request(&id, "secret"));
        b.send_on(conn.unwrap(), response(&id)).unwrap();
        let (bytes, from, _) = received(&mut a_events).await;
        assert_eq!((bytes, from), (response(&id), b_addr));
        a.close(a.connection_to(TransportKind::Tls, b_addr).unwrap());
    }

    // A name the certificate does not carry fails the handshake.
    let wrong = Target::new(TransportKind::Tls, b_addr).with_server_name("other.example");
    a.send(&wrong, request("wrong", "")).unwrap();
    loop {
        match next(&mut a_events).await {
            TransportEvent::SendFailed { error, .. } => {
                assert!(matches!(
                    error,
                    sipt_mgc::sip::transport::Failure::Handshake(_)
                ));
                break;
            }
            TransportEvent::ConnectionClosed { .. } => continue,
            other => panic!("expected the failed handshake, got {other:?}"),
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn mtu_rule_decision() {
    let rule = MtuRule::default();
    // RFC 3261 18.1.1: path MTU unknown: more than 1300 octets leaves UDP when TCP is there.
    assert_eq!(
        rule.decide(1300, TransportKind::Udp, true),
        MtuDecision::Keep
    );
    assert_eq!(
        rule.decide(1301, TransportKind::Udp, true),
        MtuDecision::SwitchToTcp
    );
    assert_eq!(
        rule.decide(1301, TransportKind::Udp, false),
        MtuDecision::Keep
    );
    let off = MtuRule {
        enabled: false,
        ..rule
    };
    assert_eq!(
        off.decide(4000, TransportKind::Udp, true),
        MtuDecision::Keep
    );
}

fn hop(host: &str, port: Option<u16>, transport: Option<TransportKind>, sips: bool) -> NextHop {
    NextHop {
        host: Host::parse(host).unwrap(),
        port,
        transport,
        sips,
    }
}

#[tokio::test]
async fn locate_numeric_and_override() {
    let mut locator = Locator::new(NoDns);
    let t = |k, a: &str| Target::new(k, a.parse().unwrap());
    // Numeric IP: as is, UDP for sip, TLS (5061) for sips (RFC 3263 4.1, 4.2).
    assert_eq!(
        locator
            .locate(&hop("192.0.2.1", None, None, false))
            .await
            .unwrap(),
        [t(TransportKind::Udp, "192.0.2.1:5060")]
    );
    assert_eq!(
        locator
            .locate(&hop("[2001:db8::1]", None, None, true))
            .await
            .unwrap(),
        [t(TransportKind::Tls, "[2001:db8::1]:5061")]
    );
    assert_eq!(
        locator
            .locate(&hop(
                "192.0.2.1",
                Some(5080),
                Some(TransportKind::Tcp),
                false
            ))
            .await
            .unwrap(),
        [t(TransportKind::Tcp, "192.0.2.1:5080")]
    );
    assert!(locator
        .locate(&hop("192.0.2.1", None, Some(TransportKind::Udp), true))
        .await
        .is_err());
    // The override table.
    locator.set_override(
        "Trunk.Example",
        vec![
            t(TransportKind::Tcp, "192.0.2.10:5060"),
            t(TransportKind::Udp, "192.0.2.11:5060"),
            t(TransportKind::Tls, "192.0.2.12:5061"),
        ],
    );
    let all = locator
        .locate(&hop("trunk.example", None, None, false))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0], t(TransportKind::Tcp, "192.0.2.10:5060"));
    assert_eq!(all[2].server_name.as_deref(), Some("trunk.example"));
    let udp = locator
        .locate(&hop("trunk.example", None, Some(TransportKind::Udp), false))
        .await
        .unwrap();
    assert_eq!(udp, [t(TransportKind::Udp, "192.0.2.11:5060")]);
    let sips = locator
        .locate(&hop("trunk.example", None, None, true))
        .await
        .unwrap();
    assert_eq!(sips.len(), 1);
    assert_eq!(sips[0].transport, TransportKind::Tls);
    assert!(locator
        .locate(&hop("unknown.example", None, None, false))
        .await
        .is_err());
}

/// A DNS server on a loopback UDP socket answering from a fixed zone (hickory-proto
/// messages): NXDOMAIN for names it does not know, an empty answer for types it lacks.
async fn dns_responder(zone: Vec<Record>) -> SocketAddr {
    let socket = UdpSocket::bind("127.0.0.1:0").await.unwrap();
    let addr = socket.local_addr().unwrap();
    let mut by_name: HashMap<Name, Vec<Record>> = HashMap::new();
    for r in zone {
        by_name.entry(r.name().to_lowercase()).or_default().push(r);
    }
    tokio::spawn(async move {
        let mut buf = vec![0u8; 4096];
        loop {
            let Ok((n, from)) = socket.recv_from(&mut buf).await else {
                return;
            };
            let Ok(query) = Message::from_vec(&buf[..n]) else {
                continue;
            };
            let mut reply = Message::new();
            reply
                .set_id(query.id())
                .set_message_type(MessageType::Response)
                .set_op_code(OpCode::Query)
                .set_recursion_desired(query.recursion_desired())
                .set_recursion_available(true)
                .set_authoritative(true);
            for q in query.queries() {
                reply.add_query(q.clone());
                match by_name.get(&q.name().to_lowercase()) {
                    None => {
                        reply.set_response_code(ResponseCode::NXDomain);
                    }
                    Some(records) => {
                        for r in records.iter().filter(|r| r.record_type() == q.query_type()) {
                            reply.add_answer(r.clone());
                        }
                    }
                }
            }
            if let Ok(bytes) = reply.to_vec() {
                let _ = socket.send_to(&bytes, from).await;
            }
        }
    });
    addr
}

fn name(n: &str) -> Name {
    Name::from_ascii(n).unwrap()
}

fn rec(n: &str, rdata: RData) -> Record {
    Record::from_rdata(name(n), 60, rdata)
}

fn naptr(owner: &str, order: u16, pref: u16, service: &str, replacement: &str) -> Record {
    rec(
        owner,
        RData::NAPTR(NAPTR::new(
            order,
            pref,
            b"s".to_vec().into_boxed_slice(),
            service.as_bytes().to_vec().into_boxed_slice(),
            Vec::new().into_boxed_slice(),
            name(replacement),
        )),
    )
}

fn srv(owner: &str, priority: u16, weight: u16, port: u16, target: &str) -> Record {
    rec(
        owner,
        RData::SRV(SRV::new(priority, weight, port, name(target))),
    )
}

fn a(owner: &str, ip: [u8; 4]) -> Record {
    rec(owner, RData::A(A::from(Ipv4Addr::from(ip))))
}

#[tokio::test]
async fn locate_through_hickory_naptr_srv_a() {
    let zone = vec![
        // RFC 3263 4.1: NAPTR by order then preference; SCTP (unsupported) is skipped.
        naptr(
            "example.test.",
            20,
            10,
            "SIP+D2U",
            "_sip._udp.example.test.",
        ),
        naptr(
            "example.test.",
            10,
            20,
            "SIP+D2T",
            "_sip._tcp.example.test.",
        ),
        naptr(
            "example.test.",
            10,
            10,
            "SIPS+D2T",
            "_sips._tcp.example.test.",
        ),
        naptr(
            "example.test.",
            5,
            10,
            "SIP+D2S",
            "_sip._sctp.example.test.",
        ),
        srv(
            "_sips._tcp.example.test.",
            10,
            0,
            5061,
            "tls1.example.test.",
        ),
        // RFC 2782: priority 10 before 20; within 10, weighted.
        srv(
            "_sip._tcp.example.test.",
            20,
            0,
            5060,
            "backup.example.test.",
        ),
        srv(
            "_sip._tcp.example.test.",
            10,
            70,
            5060,
            "tcp1.example.test.",
        ),
        srv(
            "_sip._tcp.example.test.",
            10,
            30,
            5062,
            "tcp2.example.test.",
        ),
        srv("_sip._udp.example.test.", 10, 0, 5060, "udp1.example.test."),
        srv(
            "_sip._sctp.example.test.",
            10,
            0,
            5060,
            "sctp.example.test.",
        ),
        a("tls1.example.test.", [192, 0, 2, 1]),
        a("tcp1.example.test.", [192, 0, 2, 2]),
        a("tcp2.example.test.", [192, 0, 2, 3]),
        a("backup.example.test.", [192, 0, 2, 4]),
        a("udp1.example.test.", [192, 0, 2, 5]),
        rec(
            "udp1.example.test.",
            RData::AAAA(AAAA::from(Ipv6Addr::new(0x2001, 0xdb8, 0, 0, 0, 0, 0, 5))),
        ),
        a("sctp.example.test.", [192, 0, 2, 6]),
        // No NAPTR: SRV per transport (RFC 3263 4.1).
        srv("_sip._tcp.srvonly.test.", 10, 0, 5070, "host.srvonly.test."),
        a("host.srvonly.test.", [192, 0, 2, 7]),
        // Neither: A and the default port.
        a("plain.test.", [192, 0, 2, 8]),
    ];
    let server = dns_responder(zone).await;
    let resolver = hickory_resolver(&[server], Duration::from_secs(2));
    let locator = Locator::with_seed(resolver, 42);
    let addr = |s: &str| s.parse::<SocketAddr>().unwrap();

    let targets = locator
        .locate(&hop("example.test", None, None, false))
        .await
        .unwrap();
    let got: Vec<(TransportKind, SocketAddr)> =
        targets.iter().map(|t| (t.transport, t.addr)).collect();
    assert_eq!(got.len(), 6, "{got:?}");
    assert_eq!(got[0], (TransportKind::Tls, addr("192.0.2.1:5061")));
    assert_eq!(targets[0].server_name.as_deref(), Some("example.test"));
    let tcp_first_two: Vec<_> = got[1..3].iter().map(|t| t.1).collect();
    assert!(tcp_first_two.contains(&addr("192.0.2.2:5060")));
    assert!(tcp_first_two.contains(&addr("192.0.2.3:5062")));
    assert!(got[1..3].iter().all(|t| t.0 == TransportKind::Tcp));
    assert_eq!(got[3], (TransportKind::Tcp, addr("192.0.2.4:5060")));
    let udp: Vec<_> = got[4..].iter().collect();
    assert!(udp.contains(&&(TransportKind::Udp, addr("192.0.2.5:5060"))));
    assert!(udp.contains(&&(TransportKind::Udp, addr("[2001:db8::5]:5060"))));

    // RFC 2782 weights over many draws: tcp1 (70) first about 70% of the time.
    let mut tcp1_first = 0;
    for _ in 0..200 {
        let t = locator
            .locate(&hop("example.test", None, Some(TransportKind::Tcp), false))
            .await
            .unwrap();
        assert_eq!(t.len(), 3);
        assert_eq!(t[2].addr, addr("192.0.2.4:5060"));
        if t[0].addr == addr("192.0.2.2:5060") {
            tcp1_first += 1;
        }
    }
    assert!((110..170).contains(&tcp1_first), "{tcp1_first} of 200");

    // SIPS: only SIPS+D2T.
    let sips = locator
        .locate(&hop("example.test", None, None, true))
        .await
        .unwrap();
    assert_eq!(sips.len(), 1);
    assert_eq!(sips[0].addr, addr("192.0.2.1:5061"));

    // No NAPTR: SRV per transport; neither: A with the default port; explicit port: A only.
    let srvonly = locator
        .locate(&hop("srvonly.test", None, None, false))
        .await
        .unwrap();
    assert_eq!(
        srvonly,
        [Target::new(TransportKind::Tcp, addr("192.0.2.7:5070"))]
    );
    let plain = locator
        .locate(&hop("plain.test", None, None, false))
        .await
        .unwrap();
    assert_eq!(
        plain,
        [Target::new(TransportKind::Udp, addr("192.0.2.8:5060"))]
    );
    let port = locator
        .locate(&hop(
            "tcp1.example.test",
            Some(5999),
            Some(TransportKind::Tcp),
            false,
        ))
        .await
        .unwrap();
    assert_eq!(
        port,
        [Target::new(TransportKind::Tcp, addr("192.0.2.2:5999"))]
    );
    assert!(locator
        .locate(&hop("nowhere.test", None, None, false))
        .await
        .is_err());
}
