//! The sipp harness (tests/support/sipp.rs) and the scenarios of fixtures/sip/sipp/ against
//! themselves, sipp to sipp on loopback, with no code of ours in between: each UAC scenario
//! against its UAS scenario over UDP and TCP on 127.0.0.1 and [::1], asserting that both
//! sides report success and that the message flow in sipp's own log is the ladder of the RFC
//! the scenario cites. Then UDP loss (`-lost`) recovered by retransmission, and a mismatched
//! pair that the harness must report as a failure. This proves the harness and the
//! scenarios before the SIP tests point them at our stack.

mod support;

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::time::Duration;

use support::sipp::{self, Direction, Exit, Outcome, Sipp, Transport};

const CALLED: &str = "4940555";
const CALLING: &str = "4930123";

fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// The address families to run on: 127.0.0.1, and [::1] when this host has it.
fn loopbacks() -> Vec<IpAddr> {
    let mut v = vec![IpAddr::V4(Ipv4Addr::LOCALHOST)];
    if sipp::ipv6_loopback() {
        v.push(IpAddr::V6(Ipv6Addr::LOCALHOST));
    } else {
        eprintln!("no IPv6 loopback here: IPv4 only");
    }
    v
}

/// A UAS playing `uas` and a UAC playing `uac` toward it, `calls` calls; returns (UAC, UAS).
fn pair(
    uac: &str,
    uas: &str,
    transport: Transport,
    ip: IpAddr,
    setup: impl Fn(Sipp) -> Sipp,
) -> (Outcome, Outcome) {
    let tag = format!(
        "{}-{}",
        transport.name(),
        if ip.is_ipv4() { "v4" } else { "v6" }
    );
    let server = setup(
        Sipp::uas(&format!("uas-{tag}"), sipp::scenario(uas))
            .transport(transport)
            .local(ip, 0)
            .timeout(secs(10)),
    )
    .start();
    let client = setup(
        Sipp::uac(
            &format!("uac-{tag}"),
            sipp::scenario(uac),
            server.local_addr(),
        )
        .transport(transport)
        .service(CALLED)
        .key("calling", CALLING)
        .timeout(secs(10)),
    )
    .run();
    (client, server.wait())
}

/// Runs the pair on every transport and family, asserting success of `calls` calls on both
/// sides and the ladders (without retransmissions) each side logged.
fn ladder_everywhere(
    uac: &str,
    uas: &str,
    setup: impl Fn(Sipp) -> Sipp + Copy,
    uac_ladder: &[&str],
    uas_ladder: &[&str],
    check: impl Fn(&Outcome, &Outcome),
) {
    let Some(_) = sipp::require() else { return };
    for ip in loopbacks() {
        for transport in [Transport::Udp, Transport::Tcp] {
            let (c, s) = pair(uac, uas, transport, ip, setup);
            c.assert_success(1);
            s.assert_success(1);
            assert_eq!(
                c.ladder_once(),
                uac_ladder,
                "{uac} over {transport:?} {ip}:\n{c}"
            );
            assert_eq!(
                s.ladder_once(),
                uas_ladder,
                "{uas} over {transport:?} {ip}:\n{s}"
            );
            assert!(
                c.messages.iter().all(|m| m.transport == transport.name()),
                "{c}"
            );
            check(&c, &s);
        }
    }
}

fn no_setup(s: Sipp) -> Sipp {
    s
}

/// The first request `label` the UAS received.
fn first<'a>(o: &'a Outcome, direction: Direction, label: &str) -> &'a sipp::Message {
    let found = match direction {
        Direction::Sent => o.sent(label),
        Direction::Received => o.received(label),
    };
    match found.first() {
        Some(m) => m,
        None => panic!("no {label} {direction:?} by sipp `{}`:\n{o}", o.name),
    }
}

#[test]
fn basic_call() {
    ladder_everywhere(
        "uac_basic.xml",
        "uas_basic.xml",
        no_setup,
        &[
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "< 200 INVITE",
            "> ACK",
            "> BYE",
            "< 200 BYE",
        ],
        &[
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "> 200 INVITE",
            "< ACK",
            "< BYE",
            "> 200 BYE",
        ],
        |c, s| {
            // -s and -key reach the wire: Request-URI, To and From users.
            let invite = first(s, Direction::Received, "INVITE");
            assert!(
                invite
                    .start_line()
                    .starts_with(&format!("INVITE sip:{CALLED}@")),
                "{}",
                invite.text
            );
            let from = invite.header("f").unwrap_or_default();
            assert!(from.contains(&format!("sip:{CALLING}@")), "{from}");
            // In-dialog requests go to the remote target of the 2xx (RFC 3261 12.2.1.1).
            let contact = first(c, Direction::Received, "200 INVITE")
                .header("Contact")
                .unwrap_or_default();
            let bye = first(c, Direction::Sent, "BYE");
            let target = bye.start_line().split_whitespace().nth(1).unwrap_or("");
            assert!(
                contact.contains(target),
                "BYE to {target}, Contact {contact}"
            );
            // The ACK of a 2xx is a new transaction: another branch than the INVITE's.
            let branch = |m: &sipp::Message| m.header("Via").unwrap_or_default();
            assert_ne!(
                branch(first(c, Direction::Sent, "INVITE")),
                branch(first(c, Direction::Sent, "ACK"))
            );
        },
    );
}

#[test]
fn cancel_before_answer() {
    ladder_everywhere(
        "uac_cancel.xml",
        "uas_cancel.xml",
        no_setup,
        &[
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "> CANCEL",
            "< 200 CANCEL",
            "< 487 INVITE",
            "> ACK",
        ],
        &[
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "< CANCEL",
            "> 200 CANCEL",
            "> 487 INVITE",
            "< ACK",
        ],
        |c, _| {
            // CANCEL and the ACK of the 487 share the INVITE's branch (RFC 3261 9.1, 17.1.1.3).
            let via = |label: &str| first(c, Direction::Sent, label).header("Via");
            assert_eq!(via("INVITE"), via("CANCEL"));
            assert_eq!(via("INVITE"), via("ACK"));
        },
    );
}

#[test]
fn busy_486() {
    ladder_everywhere(
        "uac_busy.xml",
        "uas_busy.xml",
        no_setup,
        &["> INVITE", "< 100 INVITE", "< 486 INVITE", "> ACK"],
        &["< INVITE", "> 100 INVITE", "> 486 INVITE", "< ACK"],
        |c, _| {
            let busy = first(c, Direction::Received, "486 INVITE");
            assert_eq!(
                busy.header("Reason").as_deref(),
                Some("Q.850;cause=17;text=\"User busy\"")
            );
        },
    );
}

#[test]
fn reliable_provisional_response_and_prack() {
    ladder_everywhere(
        "uac_100rel.xml",
        "uas_100rel.xml",
        no_setup,
        &[
            "> INVITE",
            "< 100 INVITE",
            "< 183 INVITE",
            "> PRACK",
            "< 200 PRACK",
            "< 200 INVITE",
            "> ACK",
            "> BYE",
            "< 200 BYE",
        ],
        &[
            "< INVITE",
            "> 100 INVITE",
            "> 183 INVITE",
            "< PRACK",
            "> 200 PRACK",
            "> 200 INVITE",
            "< ACK",
            "< BYE",
            "> 200 BYE",
        ],
        |c, s| {
            let invite = first(s, Direction::Received, "INVITE");
            assert_eq!(invite.header("Require").as_deref(), Some("100rel"));
            let p183 = first(c, Direction::Received, "183 INVITE");
            assert_eq!(p183.header("RSeq").as_deref(), Some("1"));
            assert_eq!(p183.header("Require").as_deref(), Some("100rel"));
            // RAck: response-num CSeq-num method (RFC 3262 7.2).
            let prack = first(s, Direction::Received, "PRACK");
            assert_eq!(prack.header("RAck").as_deref(), Some("1 1 INVITE"));
            // The PRACK is in the early dialog: the 183's To tag.
            assert_eq!(prack.header("To"), p183.header("To"));
        },
    );
}

#[test]
fn info_mid_call() {
    ladder_everywhere(
        "uac_info.xml",
        "uas_info.xml",
        no_setup,
        &[
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "< 200 INVITE",
            "> ACK",
            "> INFO",
            "< 200 INFO",
            "> BYE",
            "< 200 BYE",
        ],
        &[
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "> 200 INVITE",
            "< ACK",
            "< INFO",
            "> 200 INFO",
            "< BYE",
            "> 200 BYE",
        ],
        |_, s| {
            let info = first(s, Direction::Received, "INFO");
            assert_eq!(
                info.header("Content-Type").as_deref(),
                Some("application/dtmf-relay")
            );
            assert_eq!(info.body().trim_end(), "Signal=5\nDuration=160");
            assert_eq!(info.cseq(), Some((2, "INFO".to_owned())));
        },
    );
}

#[test]
fn reinvite_mid_call() {
    ladder_everywhere(
        "uac_reinvite.xml",
        "uas_reinvite.xml",
        no_setup,
        &[
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "< 200 INVITE",
            "> ACK",
            "> INVITE",
            "< 200 INVITE",
            "> ACK",
            "> BYE",
            "< 200 BYE",
        ],
        &[
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "> 200 INVITE",
            "< ACK",
            "< INVITE",
            "> 200 INVITE",
            "< ACK",
            "< BYE",
            "> 200 BYE",
        ],
        |_, s| {
            let invites = s.received("INVITE");
            assert_eq!(invites.len(), 2, "{s}");
            let reinvite = invites[1];
            assert_eq!(reinvite.cseq(), Some((2, "INVITE".to_owned())));
            assert!(reinvite.header("To").unwrap_or_default().contains("tag="));
            assert!(reinvite.body().contains("a=sendonly"), "{}", reinvite.text);
        },
    );
}

fn alice(s: Sipp) -> Sipp {
    s.credentials("alice", "s3cret")
}

#[test]
fn digest_challenge_on_invite() {
    ladder_everywhere(
        "uac_auth_invite.xml",
        "uas_auth_invite.xml",
        alice,
        &[
            "> INVITE",
            "< 401 INVITE",
            "> ACK",
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "< 200 INVITE",
            "> ACK",
            "> BYE",
            "< 200 BYE",
        ],
        &[
            "< INVITE",
            "> 401 INVITE",
            "< ACK",
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "> 200 INVITE",
            "< ACK",
            "< BYE",
            "> 200 BYE",
        ],
        |c, _| {
            let challenge = first(c, Direction::Received, "401 INVITE")
                .header("WWW-Authenticate")
                .unwrap_or_default();
            assert!(challenge.starts_with("Digest "), "{challenge}");
            let retry = c.sent("INVITE");
            assert_eq!(retry.len(), 2, "{c}");
            let credentials = retry[1].header("Authorization").unwrap_or_default();
            for part in [
                "username=\"alice\"",
                "qop=auth",
                "nc=00000001",
                "algorithm=MD5",
            ] {
                assert!(credentials.contains(part), "{part} not in {credentials}");
            }
            assert_eq!(retry[1].cseq(), Some((2, "INVITE".to_owned())));
            assert_eq!(retry[0].call_id(), retry[1].call_id());
        },
    );
}

#[test]
fn digest_challenge_on_register() {
    ladder_everywhere(
        "uac_register.xml",
        "uas_register.xml",
        |s| alice(s).key("expires", "600"),
        &[
            "> REGISTER",
            "< 401 REGISTER",
            "> REGISTER",
            "< 200 REGISTER",
        ],
        &[
            "< REGISTER",
            "> 401 REGISTER",
            "< REGISTER",
            "> 200 REGISTER",
        ],
        |c, _| {
            let ok = first(c, Direction::Received, "200 REGISTER");
            let contact = ok.header("Contact").unwrap_or_default();
            assert!(contact.contains(&format!("sip:{CALLING}@")), "{contact}");
            assert!(contact.ends_with(";expires=600"), "{contact}");
        },
    );
}

/// A wrong password: the UAS answers 403 and both sides report the call failed.
#[test]
fn digest_with_a_wrong_password_fails() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (c, s) = pair(
        "uac_register.xml",
        "uas_register.xml",
        Transport::Udp,
        ip,
        |s| {
            s.timeout(secs(5))
                .key("auth_user", "alice")
                .key("auth_password", "s3cret")
        },
    );
    // The UAC got no credentials of its own (-au/-ap default to service/"password").
    c.assert_failed();
    s.assert_failed();
    assert_eq!(c.received("403 REGISTER").len(), 1, "{c}");
}

/// 20 calls with sipp dropping 10 % of what the caller sends and receives (`-lost 10`): the
/// calls still all succeed, by retransmission (RFC 3261 17.1.1.2 Timer A, 17.1.2.2 Timer E,
/// 13.3.1.4 2xx retransmission), and the statistics count those retransmissions.
///
/// Of each call's 7 messages, 4 cost a retransmission when lost (INVITE, its 200, BYE, its
/// 200), so 20 calls pass without one with a chance of 0.9^80 (2e-4). A call fails only if
/// its BYE exchange fails 5 times running (0.19^5 = 2.5e-4 a call): the callee keeps the
/// call 8 s after its 200 (Timer J stand-in), over the BYE retransmissions at 0.5, 1.5, 3.5
/// and 7.5 s. When the caller loses the 100, 180 and 200 together (1e-3 a call) its INVITE
/// comes again, and uas_basic.xml answers it with the 200 again (it once dropped the call
/// as an unexpected message, and this test with it).
#[test]
fn udp_loss_recovered_by_retransmission() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let calls = 20;
    let server = Sipp::uas("uas-lossy", sipp::scenario("uas_basic.xml"))
        .local(ip, 0)
        .calls(calls)
        .pause(Duration::from_millis(8000))
        .timeout(secs(30))
        .start();
    let client = Sipp::uac(
        "uac-lossy",
        sipp::scenario("uac_basic.xml"),
        server.local_addr(),
    )
    .service(CALLED)
    .key("calling", CALLING)
    .calls(calls)
    .rate(20.0, Duration::from_secs(1))
    .limit(calls)
    .lost(10)
    .timeout(secs(30))
    .run();
    let server = server.wait();
    client.assert_success(u64::from(calls));
    server.assert_success(u64::from(calls));
    let (lost_sent, lost_received) = client.losses();
    assert!(lost_sent + lost_received > 0, "nothing was lost:\n{client}");
    let retransmissions = client.stats().retransmissions + server.stats().retransmissions;
    assert!(
        retransmissions > 0,
        "no retransmission counted:\n{client}\n{server}"
    );
    // What the caller sent (logged) and what -lost dropped on the way out (only marked in
    // the log) add up to the 3 requests of each call's ladder plus the retransmissions.
    let sent = client
        .messages
        .iter()
        .filter(|m| m.direction == Direction::Sent)
        .count();
    let expected = 3 * usize::try_from(calls).unwrap_or(0)
        + usize::try_from(client.stats().retransmissions).unwrap_or(0);
    assert!(
        sent + lost_sent >= expected,
        "{sent} + {lost_sent} < {expected}:\n{client}"
    );
    eprintln!(
        "-lost 10, {calls} calls: caller lost {lost_sent} sent / {lost_received} received, \
         retransmissions: caller {}, callee {}",
        client.stats().retransmissions,
        server.stats().retransmissions
    );
    // Each call, without what was lost on receipt, is the basic ladder with retransmissions.
    for (i, call) in client.calls().iter().enumerate() {
        let rungs: Vec<String> = call
            .iter()
            .map(|m| format!("{}{}", m.rung(), if m.lost { " (lost)" } else { "" }))
            .collect();
        eprintln!("call {i}: {}", rungs.join(", "));
        let kept: Vec<String> = call.iter().filter(|m| !m.lost).map(|m| m.rung()).collect();
        assert_eq!(
            kept.first().map(String::as_str),
            Some("> INVITE"),
            "call {i}: {rungs:?}"
        );
        assert_eq!(
            kept.get(kept.len().saturating_sub(2)..),
            Some(&["> BYE".to_owned(), "< 200 BYE".to_owned()][..]),
            "call {i}: {rungs:?}"
        );
        assert!(
            kept.contains(&"< 200 INVITE".to_owned()),
            "call {i}: {rungs:?}"
        );
    }
}

/// A caller expecting an answer against a callee that is busy: the harness must say the
/// caller failed, why (an unexpected 486), and show the messages.
#[test]
fn mismatched_pair_is_reported_as_failure() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let (c, s) = pair("uac_basic.xml", "uas_busy.xml", Transport::Udp, ip, |s| {
        s.timeout(secs(5))
    });
    assert!(!c.succeeded(1));
    c.assert_failed();
    assert_eq!(c.exit, Exit::SomeFailed, "{c}");
    assert_eq!(c.stats().unexpected_messages, 1, "{c}");
    let report = c.report();
    for needle in [
        "SomeFailed",
        "unexpected message 1",
        "SIP/2.0 486 Busy Here",
        "< 486 INVITE",
    ] {
        assert!(
            report.contains(needle),
            "`{needle}` not in the report:\n{report}"
        );
    }
    assert!(!c.errors.trim().is_empty(), "no -trace_err log:\n{c}");
    // And assert_success on it panics with that report.
    let panic = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| c.assert_success(1)))
        .expect_err("assert_success passed on a failed run");
    let text = panic.downcast_ref::<String>().cloned().unwrap_or_default();
    assert!(text.contains("< 486 INVITE"), "{text}");
    drop(s);
}

/// sipp's embedded `uac` against our callee: the builtins serve for the basic call, which
/// is why no copy of them is kept (fixtures/sip/sipp/README.md).
#[test]
fn builtin_uac_against_uas_basic() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server = Sipp::uas("uas-for-builtin", sipp::scenario("uas_basic.xml"))
        .local(ip, 0)
        .timeout(secs(10))
        .start();
    let client = Sipp::uac(
        "builtin-uac",
        sipp::Scenario::Builtin("uac"),
        server.local_addr(),
    )
    .service(CALLED)
    .timeout(secs(10))
    .run();
    let server = server.wait();
    client.assert_success(1);
    server.assert_success(1);
    assert_eq!(
        client.ladder_once(),
        [
            "> INVITE",
            "< 100 INVITE",
            "< 180 INVITE",
            "< 200 INVITE",
            "> ACK",
            "> BYE",
            "< 200 BYE"
        ]
    );
}

/// The log and statistics parsers on sipp's formats, including the loss markers sipp glues
/// to the next separator and a body with a run of dashes.
#[test]
fn parses_sipp_logs() {
    let log = "----------------------------------------------- 2026-11-24 00:45:42.939872\n\
UDP message sent (30 bytes):\n\nINFO sip:a@b SIP/2.0\nCSeq: 2 INFO\ni: x@y\n\n\
-----------------------------------------------------------\nbody\n\n\
UDP message voluntary lost (while sending).UDP message lost (recv).\
----------------------------------------------- 2026-11-24 00:45:43.339751\n\
TCP message received [20] bytes :\n\nSIP/2.0 200 OK\nCSeq: 2 INFO\n\n\n";
    let messages = sipp::parse_message_log(log);
    assert_eq!(messages.len(), 2);
    assert_eq!(messages[0].rung(), "> INFO");
    assert_eq!(messages[0].call_id().as_deref(), Some("x@y"));
    assert!(messages[0].body().contains("----\nbody"));
    assert!(!messages[0].text.contains("lost"));
    // The recv marker follows a received message; here it follows a sent one.
    assert!(!messages[0].lost);
    assert_eq!(messages[1].rung(), "< 200 INFO");
    assert_eq!(messages[1].transport, "TCP");
    assert_eq!(sipp::losses(log), (1, 1));

    let stats = "TotalCallCreated;SuccessfulCall(C);FailedCall(C);Retransmissions(C);\n\
        1;0;0;0;\n5;4;1;7;\n";
    let s = sipp::Stats::parse(stats).unwrap_or_default();
    assert_eq!(
        (s.calls_created, s.successful, s.failed, s.retransmissions),
        (5, 4, 1, 7)
    );
}

/// `-aa`: a callee that does not expect the INFO answers it 200 by itself and counts it.
#[test]
fn info_auto_answered_with_aa() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server = Sipp::uas("uas-aa", sipp::scenario("uas_basic.xml"))
        .local(ip, 0)
        .auto_answer()
        .timeout(secs(10))
        .start();
    let client = Sipp::uac(
        "uac-info",
        sipp::scenario("uac_info.xml"),
        server.local_addr(),
    )
    .service(CALLED)
    .key("calling", CALLING)
    .timeout(secs(10))
    .run();
    let server = server.wait();
    client.assert_success(1);
    server.assert_success(1);
    assert_eq!(server.stats().auto_answered, 1, "{server}");
    assert_eq!(server.sent("200 INFO").len(), 1, "{server}");
}

/// A UAS told to take up to 100 calls, stopped by the test after the one it got.
#[test]
fn uas_finishes_when_asked() {
    let Some(_) = sipp::require() else { return };
    let ip = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let server = Sipp::uas("uas-open-ended", sipp::scenario("uas_basic.xml"))
        .local(ip, 0)
        .calls(100)
        .timeout(secs(10))
        .start();
    let client = Sipp::uac(
        "uac-one",
        sipp::scenario("uac_basic.xml"),
        server.local_addr(),
    )
    .service(CALLED)
    .key("calling", CALLING)
    .timeout(secs(10))
    .run();
    client.assert_success(1);
    let server = server.finish();
    server.assert_success(1);
}
