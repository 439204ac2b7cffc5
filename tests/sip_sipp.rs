//! Our SIP stack (transports, transactions, dialogs, the UA core) against sipp (Debian
//! sip-tester), over UDP and TCP on loopback: sipp as UAC calling our UAS — basic call,
//! CANCEL before answer, 486, INFO mid-call, re-INVITE, and UDP loss recovered by
//! retransmission — and our UAC calling sipp as UAS. The scenarios are fixtures/sip/sipp/.

mod support;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sipt_mgc::shell::Clock;
use sipt_mgc::sip::auth::{
    ha1, Algorithm, Credential, DigestClient, DigestServer, HashFunction, Registration,
    RegistrationConfig, RegistrationEvent, ServerConfig,
};
use sipt_mgc::sip::message::{Method, NameAddr, Uri};
use sipt_mgc::sip::shell::UaShell;
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent};
use support::sipp::{self, Sipp, Transport};

const SDP: &str = "v=0\r\no=sipt 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Policy {
    /// 180, then 200 with SDP; 200 to everything within the call.
    Answer,
    /// 180 only (the caller cancels).
    Ring,
    /// 486.
    Busy,
    /// 183 with SDP (reliable when the caller offers 100rel), then 200: the 200 waits for
    /// the PRACK (RFC 3262 3).
    EarlyMedia,
}

/// Our UAS on a runtime of its own; returns its address, the events it saw, and a stopper.
struct Uas {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<String>>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<(usize, usize)>>,
}

impl Uas {
    fn start(transport: Transport, policy: Policy) -> Uas {
        Uas::start_with(transport, policy, false)
    }

    /// With `auth`, INVITEs must carry digest credentials of alice/s3cret in realm
    /// sipt-mgc.test (MD5: sipp knows no other algorithm).
    fn start_with(transport: Transport, policy: Policy, auth: bool) -> Uas {
        let (kind, listen) = match transport {
            Transport::Udp => (TransportKind::Udp, "udp:127.0.0.1:0"),
            Transport::Tcp => (TransportKind::Tcp, "tcp:127.0.0.1:0"),
        };
        let log = Arc::new(Mutex::new(Vec::new()));
        let (addr_tx, addr_rx) = std::sync::mpsc::channel();
        let (stop, mut stopped) = tokio::sync::oneshot::channel::<()>();
        let log2 = Arc::clone(&log);
        let thread = std::thread::spawn(move || {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(async move {
                let config = UaConfig::new("127.0.0.1", 0, kind);
                let mut shell = UaShell::bind(Clock::new(), &[listen], config, 0x5eed)
                    .await
                    .expect("binding");
                if auth {
                    let mut sc = ServerConfig::new("sipt-mgc.test");
                    sc.algorithms = vec![Algorithm::Md5];
                    shell.ua().require_auth(
                        DigestServer::new(sc),
                        Box::new(|user: &str, realm: &str, hash: HashFunction| {
                            (user == "alice").then(|| ha1(hash, user, realm, "s3cret"))
                        }),
                    );
                }
                addr_tx
                    .send(shell.local_addr(kind).expect("an address"))
                    .expect("sending the address");
                loop {
                    let e = tokio::select! {
                        e = shell.step(None) => e,
                        _ = &mut stopped => break,
                    };
                    let Some(e) = e else { continue };
                    let now = shell.now();
                    let ua = shell.ua();
                    let line = match &e {
                        UaEvent::Incoming { call, .. } => {
                            match policy {
                                Policy::Busy => {
                                    ua.respond(now, *call, 486, "Busy Here", None).expect("486");
                                    // The call is over for us; the transaction goes on.
                                    ua.forget(*call);
                                }
                                Policy::EarlyMedia => {
                                    ua.respond(
                                        now,
                                        *call,
                                        183,
                                        "Session Progress",
                                        Some(("application/sdp", SDP.as_bytes().to_vec())),
                                    )
                                    .expect("183");
                                    ua.respond(
                                        now,
                                        *call,
                                        200,
                                        "OK",
                                        Some(("application/sdp", SDP.as_bytes().to_vec())),
                                    )
                                    .expect("200");
                                }
                                Policy::Ring => {
                                    ua.respond(now, *call, 180, "Ringing", None).expect("180");
                                }
                                Policy::Answer => {
                                    ua.respond(now, *call, 180, "Ringing", None).expect("180");
                                    ua.respond(
                                        now,
                                        *call,
                                        200,
                                        "OK",
                                        Some(("application/sdp", SDP.as_bytes().to_vec())),
                                    )
                                    .expect("200");
                                }
                            }
                            "incoming".to_string()
                        }
                        UaEvent::Request { request, key, .. } => {
                            let method = request.method().cloned();
                            let body = (method == Some(Method::Invite))
                                .then(|| ("application/sdp", SDP.as_bytes().to_vec()));
                            ua.respond_request(now, key, request, 200, "OK", body)
                                .expect("200");
                            format!(
                                "request {}",
                                method.map(|m| m.as_str().to_string()).unwrap_or_default()
                            )
                        }
                        UaEvent::Ended { call, remote, .. } => {
                            ua.forget(*call);
                            format!("ended remote={remote}")
                        }
                        UaEvent::Cancelled { call, .. } => {
                            ua.forget(*call);
                            "cancelled".to_string()
                        }
                        UaEvent::Confirmed { .. } => "confirmed".to_string(),
                        other => format!("{other:?}"),
                    };
                    log2.lock().expect("log").push(line);
                }
                (shell.ua().calls(), shell.ua().transactions())
            })
        });
        let addr = addr_rx.recv_timeout(secs(5)).expect("the UAS started");
        Uas {
            addr,
            log,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    fn log(&self) -> Vec<String> {
        self.log.lock().expect("log").clone()
    }

    /// Stops it; returns the calls and transactions it still had.
    fn stop(mut self) -> (usize, usize) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        self.thread
            .take()
            .and_then(|t| t.join().ok())
            .unwrap_or((usize::MAX, usize::MAX))
    }
}

fn call_us(scenario: &str, transport: Transport, policy: Policy, calls: u32) -> Vec<String> {
    let uas = Uas::start(transport, policy);
    let out = Sipp::uac(
        &format!("{scenario}-{}", transport.name()),
        sipp::scenario(scenario),
        uas.addr,
    )
    .transport(transport)
    .service("4940555")
    .key("calling", "4930123")
    .calls(calls)
    .timeout(secs(20))
    .run();
    out.assert_success(u64::from(calls));
    let log = uas.log();
    let (calls_left, _) = uas.stop();
    assert_eq!(calls_left, 0, "every call forgotten: {log:?}");
    log
}

#[test]
fn sipp_calls_us_basic_call_udp_and_tcp() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        let log = call_us("uac_basic.xml", t, Policy::Answer, 2);
        assert_eq!(
            log.iter().filter(|l| *l == "confirmed").count(),
            2,
            "{log:?}"
        );
        assert_eq!(
            log.iter().filter(|l| *l == "ended remote=true").count(),
            2,
            "{log:?}"
        );
    }
}

#[test]
fn sipp_calls_us_and_cancels_before_answer() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        let log = call_us("uac_cancel.xml", t, Policy::Ring, 1);
        assert!(log.contains(&"cancelled".to_string()), "{log:?}");
    }
}

#[test]
fn sipp_calls_us_and_we_are_busy() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        call_us("uac_busy.xml", t, Policy::Busy, 1);
    }
}

#[test]
fn sipp_sends_info_and_reinvite_mid_call() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        let log = call_us("uac_info.xml", t, Policy::Answer, 1);
        assert!(log.contains(&"request INFO".to_string()), "{log:?}");
        let log = call_us("uac_reinvite.xml", t, Policy::Answer, 1);
        assert!(log.contains(&"request INVITE".to_string()), "{log:?}");
    }
}

#[test]
fn udp_loss_is_recovered_by_retransmission() {
    if sipp::require().is_none() {
        return;
    }
    let uas = Uas::start(Transport::Udp, Policy::Answer);
    let out = Sipp::uac("lossy", sipp::scenario("uac_basic.xml"), uas.addr)
        .transport(Transport::Udp)
        .service("4940555")
        .key("calling", "4930123")
        .calls(20)
        .lost(10)
        .timeout(secs(60))
        .run();
    out.assert_success(20);
    let stats = out.stats.clone().expect("sipp statistics");
    let log = uas.log();
    let (calls_left, _) = uas.stop();
    assert_eq!(calls_left, 0, "{log:?}");
    assert_eq!(
        log.iter().filter(|l| *l == "ended remote=true").count(),
        20,
        "{log:?}"
    );
    // Messages were lost both ways (sipp drops what it sends and what it receives), and every
    // call still completed: our transactions retransmitted what sipp dropped on receipt, and
    // answered sipp's retransmissions of what it dropped on sending.
    let (lost_sending, lost_receiving) = out.losses();
    assert!(
        lost_sending + lost_receiving > 0,
        "no message was lost: the test proves nothing ({stats:?})"
    );
    eprintln!(
        "under loss: sipp lost {lost_sending} sending and {lost_receiving} receiving, retransmitted {}",
        stats.retransmissions
    );
}

/// Our UAC calls sipp as UAS (uas_basic.xml): INVITE, 100/180/200, our ACK; we hang up with
/// BYE and sipp answers 200.
#[test]
fn we_call_sipp() {
    if sipp::require().is_none() {
        return;
    }
    for (t, kind, listen) in [
        (Transport::Udp, TransportKind::Udp, "udp:127.0.0.1:0"),
        (Transport::Tcp, TransportKind::Tcp, "tcp:127.0.0.1:0"),
    ] {
        let server = Sipp::uas(
            &format!("uas-{}", t.name()),
            sipp::scenario("uas_basic.xml"),
        )
        .transport(t)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(15))
        .start();
        let events = our_call(kind, listen, server.local_addr());
        let out = server.wait();
        out.assert_success(1);
        assert!(events.contains(&"answered".to_string()), "{events:?}");
        assert!(
            events.contains(&"ended remote=false".to_string()),
            "{events:?}"
        );
    }
}

/// Our UAC on its own runtime calls `remote`, hangs up 200 ms after the answer, and returns
/// what it saw.
fn our_call(kind: TransportKind, listen: &'static str, remote: SocketAddr) -> Vec<String> {
    our_call_with(kind, listen, remote, None)
}

/// [`our_call`] with credentials for a peer that challenges.
fn our_call_with(
    kind: TransportKind,
    listen: &'static str,
    remote: SocketAddr,
    credentials: Option<DigestClient>,
) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    rt.block_on(async move {
        let mut shell = UaShell::bind(
            Clock::new(),
            &[listen],
            UaConfig::new("127.0.0.1", 0, kind),
            7,
        )
        .await
        .expect("binding");
        if let Some(c) = credentials {
            shell.ua().set_credentials(c);
        }
        let now = shell.now();
        let to = Uri::parse(&format!("sip:4940555@{remote}")).expect("uri");
        let from = NameAddr::new(Uri::parse("sip:4930123@127.0.0.1").expect("uri"));
        let call = shell
            .ua()
            .invite(
                now,
                from,
                to,
                Target::new(kind, remote),
                Some(("application/sdp", SDP.as_bytes().to_vec())),
            )
            .expect("invite");
        drive_call(&mut shell, call).await.0
    })
}

/// Drives a call of our UA until it ends, hanging up 200 ms after the answer; returns what
/// the UA reported and how long after the start the answer came.
async fn drive_call(shell: &mut UaShell, call: CallHandle) -> (Vec<String>, Option<Duration>) {
    let started = tokio::time::Instant::now();
    let mut seen = Vec::new();
    let mut answered_after = None;
    let deadline = started + Duration::from_secs(10);
    while tokio::time::Instant::now() < deadline {
        let Ok(Some(e)) = tokio::time::timeout(Duration::from_millis(200), shell.step(None)).await
        else {
            continue;
        };
        match &e {
            UaEvent::Answered { .. } => {
                answered_after = Some(started.elapsed());
                seen.push("answered".to_string());
                tokio::time::sleep(Duration::from_millis(200)).await;
                let now = shell.now();
                shell.ua().hangup(now, call).expect("bye");
            }
            UaEvent::Ended { remote, .. } => {
                seen.push(format!("ended remote={remote}"));
                break;
            }
            UaEvent::Progress { response, .. } => {
                seen.push(format!("progress {}", response.status().unwrap_or(0)));
            }
            UaEvent::Failover { .. } => seen.push("failover".to_string()),
            other => seen.push(format!("{other:?}")),
        }
    }
    // Let the last retransmissions and responses go.
    for _ in 0..5 {
        let _ = tokio::time::timeout(Duration::from_millis(50), shell.step(None)).await;
    }
    (seen, answered_after)
}

/// RFC 3262 with sipp as the caller requiring 100rel: our 183 (with SDP) goes reliably with
/// RSeq and Require: 100rel, sipp PRACKs it with the RAck, we answer the PRACK and only then
/// send the 200 we held (an unacknowledged reliable 1xx carried SDP).
#[test]
fn sipp_requires_100rel_and_pracks_our_183() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        let log = call_us("uac_100rel.xml", t, Policy::EarlyMedia, 2);
        assert!(
            !log.iter().any(|l| l == "request PRACK"),
            "the PRACK is the UA's own business: {log:?}"
        );
        assert_eq!(
            log.iter().filter(|l| *l == "confirmed").count(),
            2,
            "{log:?}"
        );
    }
}

/// RFC 3262 with sipp as the callee sending a reliable 183: our UAC PRACKs it (RAck: its
/// RSeq and our INVITE's CSeq), gets the 200, ACKs and hangs up.
#[test]
fn we_prack_sipps_reliable_183() {
    if sipp::require().is_none() {
        return;
    }
    for (t, kind, listen) in [
        (Transport::Udp, TransportKind::Udp, "udp:127.0.0.1:0"),
        (Transport::Tcp, TransportKind::Tcp, "tcp:127.0.0.1:0"),
    ] {
        let server = Sipp::uas(
            &format!("uas100rel-{}", t.name()),
            sipp::scenario("uas_100rel.xml"),
        )
        .transport(t)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(15))
        .start();
        let events = our_call(kind, listen, server.local_addr());
        let out = server.wait();
        out.assert_success(1);
        assert!(events.contains(&"progress 183".to_string()), "{events:?}");
        assert!(events.contains(&"answered".to_string()), "{events:?}");
        assert!(
            out.messages
                .iter()
                .any(|m| m.start_line().starts_with("PRACK ")),
            "sipp received our PRACK"
        );
    }
}

/// Digest on INVITE, sipp authenticating to us (RFC 3261 22.1, 22.4): the first INVITE gets
/// our 401 with a challenge, sipp ACKs it and sends the INVITE again with Authorization,
/// which we verify and answer.
#[test]
fn sipp_authenticates_its_invite_to_us() {
    if sipp::require().is_none() {
        return;
    }
    for t in [Transport::Udp, Transport::Tcp] {
        let uas = Uas::start_with(t, Policy::Answer, true);
        // sipp writes "sip:" before -auth_uri itself.
        let ruri = format!("4940555@{}", uas.addr);
        let out = Sipp::uac(
            &format!("auth-{}", t.name()),
            sipp::scenario("uac_auth_invite.xml"),
            uas.addr,
        )
        .transport(t)
        .service("4940555")
        .key("calling", "4930123")
        .credentials("alice", "s3cret")
        .auth_uri(&ruri)
        .timeout(secs(20))
        .run();
        out.assert_success(1);
        let log = uas.log();
        uas.stop();
        assert_eq!(
            log.iter().filter(|l| *l == "incoming").count(),
            1,
            "{log:?}"
        );
        // The first INVITE was challenged, the second carried credentials.
        let invites: Vec<_> = out
            .messages
            .iter()
            .filter(|m| m.start_line().starts_with("INVITE "))
            .collect();
        assert!(invites.len() >= 2, "an INVITE after the challenge");
        assert!(
            out.messages
                .iter()
                .any(|m| m.start_line().starts_with("SIP/2.0 401")),
            "sipp received our 401"
        );
    }
}

/// Wrong credentials get 403, not another challenge.
#[test]
fn wrong_credentials_get_403() {
    if sipp::require().is_none() {
        return;
    }
    let uas = Uas::start_with(Transport::Udp, Policy::Answer, true);
    // sipp writes "sip:" before -auth_uri itself.
    let ruri = format!("4940555@{}", uas.addr);
    let out = Sipp::uac(
        "auth-wrong",
        sipp::scenario("uac_auth_invite.xml"),
        uas.addr,
    )
    .transport(Transport::Udp)
    .service("4940555")
    .key("calling", "4930123")
    .credentials("alice", "wrong")
    .auth_uri(&ruri)
    .timeout(secs(20))
    .run();
    out.assert_failed();
    assert!(
        out.messages
            .iter()
            .any(|m| m.start_line().starts_with("SIP/2.0 403")),
        "403 for wrong credentials"
    );
    let log = uas.log();
    uas.stop();
    assert!(!log.iter().any(|l| l == "incoming"), "{log:?}");
}

/// Digest on INVITE, us authenticating to sipp (RFC 3261 22.2): sipp's 401 is ACKed by our
/// transaction, and our UA sends the INVITE again with Authorization, a new CSeq and branch.
#[test]
fn we_authenticate_our_invite_to_sipp() {
    if sipp::require().is_none() {
        return;
    }
    for (t, kind, listen) in [
        (Transport::Udp, TransportKind::Udp, "udp:127.0.0.1:0"),
        (Transport::Tcp, TransportKind::Tcp, "tcp:127.0.0.1:0"),
    ] {
        let server = Sipp::uas(
            &format!("uas-auth-{}", t.name()),
            sipp::scenario("uas_auth_invite.xml"),
        )
        .transport(t)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .key("auth_user", "alice")
        .key("auth_password", "s3cret")
        .timeout(secs(15))
        .start();
        let events = our_call_with(
            kind,
            listen,
            server.local_addr(),
            Some(DigestClient::new(vec![Credential::password(
                "alice", None, "s3cret",
            )])),
        );
        let out = server.wait();
        out.assert_success(1);
        assert!(events.contains(&"answered".to_string()), "{events:?}");
        let invites: Vec<_> = out
            .messages
            .iter()
            .filter(|m| m.start_line().starts_with("INVITE "))
            .collect();
        assert_eq!(invites.len(), 2, "the INVITE and its retry");
    }
}

/// REGISTER with a digest challenge (RFC 3261 10.2, 22; RFC 3665 2.1): our registration
/// client against sipp as registrar: REGISTER, 401, REGISTER with Authorization (same
/// Call-ID, CSeq + 1), 200 with the granted expiry.
#[test]
fn we_register_with_sipp_through_a_challenge() {
    if sipp::require().is_none() {
        return;
    }
    for (t, kind, listen) in [
        (Transport::Udp, TransportKind::Udp, "udp:127.0.0.1:0"),
        (Transport::Tcp, TransportKind::Tcp, "tcp:127.0.0.1:0"),
    ] {
        let server = Sipp::uas(
            &format!("registrar-{}", t.name()),
            sipp::scenario("uas_register.xml"),
        )
        .transport(t)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .key("auth_user", "alice")
        .key("auth_password", "s3cret")
        .key("expires", "600")
        .timeout(secs(15))
        .start();
        let remote = server.local_addr();
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let events = rt.block_on(async move {
            let mut shell = UaShell::bind(
                Clock::new(),
                &[listen],
                UaConfig::new("127.0.0.1", 0, kind),
                11,
            )
            .await
            .expect("binding");
            let port = shell.local_addr(kind).expect("bound").port();
            let mut config = RegistrationConfig::new(
                &format!("sip:{remote}"),
                &format!("sip:alice@{remote}"),
                &format!("sip:alice@127.0.0.1:{port}"),
                "reg-call-id@127.0.0.1",
                "regtag1",
            );
            config.expires = 600;
            let registration = Registration::new(
                config,
                DigestClient::new(vec![Credential::password("alice", None, "s3cret")]),
            );
            let now = shell.now();
            shell
                .ua()
                .register(now, registration, Target::new(kind, remote));
            let mut seen = Vec::new();
            let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
            while tokio::time::Instant::now() < deadline {
                let Ok(Some(e)) =
                    tokio::time::timeout(Duration::from_millis(200), shell.step(None)).await
                else {
                    continue;
                };
                if let UaEvent::Registration(r) = e {
                    let done = matches!(r, RegistrationEvent::Registered { .. });
                    seen.push(r);
                    if done {
                        break;
                    }
                }
            }
            seen
        });
        let out = server.wait();
        out.assert_success(1);
        assert!(
            events
                .iter()
                .any(|e| matches!(e, RegistrationEvent::Registered { expires: 600 })),
            "{events:?}"
        );
    }
}

/// RFC 3263 location in the shell: the INVITE's Request-URI names a host, `sipp.test`,
/// that the static override table maps to sipp's address; the call goes there.
#[test]
fn we_call_sipp_by_a_located_name() {
    if sipp::require().is_none() {
        return;
    }
    let server = Sipp::uas("uas-located", sipp::scenario("uas_basic.xml"))
        .transport(Transport::Udp)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(15))
        .start();
    let remote = server.local_addr();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let answered = rt.block_on(async move {
        let kind = TransportKind::Udp;
        let mut shell = UaShell::bind(
            Clock::new(),
            &["udp:127.0.0.1:0"],
            UaConfig::new("127.0.0.1", 0, kind),
            3,
        )
        .await
        .expect("binding");
        shell.set_override("sipp.test", vec![Target::new(kind, remote)]);
        let to = Uri::parse("sip:4940555@sipp.test").expect("uri");
        let targets = shell.locate(&to).await.expect("located");
        assert_eq!(targets.first().map(|t| t.addr), Some(remote));
        let from = NameAddr::new(Uri::parse("sip:4930123@127.0.0.1").expect("uri"));
        let now = shell.now();
        let call = shell
            .ua()
            .invite(now, from, to, targets[0].clone(), None)
            .expect("invite");
        let (seen, _) = drive_call(&mut shell, call).await;
        seen.contains(&"answered".to_string())
    });
    server.wait().assert_success(1);
    assert!(answered);
}

/// A TCP target that refuses the connection fails the INVITE's transaction at once (RFC
/// 3261 17.1.4, 18.4), and the call goes to the next located target (RFC 3263 4.3) — sipp —
/// well before timer B would have fired.
#[test]
fn a_refused_connection_fails_over_at_once() {
    if sipp::require().is_none() {
        return;
    }
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("a port");
        l.local_addr().expect("addr")
    };
    let server = Sipp::uas("uas-failover", sipp::scenario("uas_basic.xml"))
        .transport(Transport::Tcp)
        .local("127.0.0.1".parse().expect("ip"), 0)
        .timeout(secs(15))
        .start();
    let remote = server.local_addr();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let (answered_after, failovers) = rt.block_on(async move {
        let kind = TransportKind::Tcp;
        let mut shell = UaShell::bind(
            Clock::new(),
            &["tcp:127.0.0.1:0"],
            UaConfig::new("127.0.0.1", 0, kind),
            5,
        )
        .await
        .expect("binding");
        let now = shell.now();
        let call = shell
            .ua()
            .invite_targets(
                now,
                NameAddr::new(Uri::parse("sip:4930123@127.0.0.1").expect("uri")),
                Uri::parse("sip:4940555@trunk.test").expect("uri"),
                vec![Target::new(kind, closed), Target::new(kind, remote)],
                None,
            )
            .expect("invite");
        let (seen, answered_after) = drive_call(&mut shell, call).await;
        let failovers = seen.iter().filter(|e| *e == "failover").count();
        (answered_after, failovers)
    });
    server.wait().assert_success(1);
    assert_eq!(failovers, 1);
    let after = answered_after.expect("answered");
    assert!(after < Duration::from_secs(5), "answered after {after:?}");
}
