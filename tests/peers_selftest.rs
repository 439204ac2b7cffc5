//! The test peers against themselves, with no code of ours in between: two libss7 switches
//! (point codes 1 and 2) and two libpri QSIG ends (user and network) over the `frames`
//! transport, through the relay of tests/support/relay.rs. This proves the harnesses work
//! before any test puts our MTP2/MTP3/Q.921 on the far end, and records on the wire what
//! libss7 and libpri do (alignment, proving, fill-in rate, FCS octets, Q.921 roles, polling),
//! which our link layers must interoperate with.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use support::peers::{self, event, Peer, PeerKind};
use support::relay::{Relay, RelayedFrame, Side, Verdict};

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn path(p: &std::path::Path) -> &str {
    p.to_str().expect("socket paths are UTF-8")
}

// ------------------------------------------------------------------------------ libss7

/// The relay's frames from one side, without their 2 FCS octets, with their time in ms.
fn signal_units(frames: &[RelayedFrame], from: Side) -> Vec<(u128, Vec<u8>)> {
    frames
        .iter()
        .filter(|f| f.from == from && f.bytes.len() >= 5)
        .map(|f| (f.at.as_millis(), f.bytes[..f.bytes.len() - 2].to_vec()))
        .collect()
}

/// LI of a signal unit (Q.703 2.3.3): 0 FISU, 1-2 LSSU, more MSU.
fn li(su: &[u8]) -> u8 {
    su.get(2).map_or(0, |o| o & 0x3f)
}

/// The status field of an LSSU (Q.703 11.1.2): 0 SIO, 1 SIN, 2 SIE, 3 SIOS, 4 SIPO, 5 SIB.
fn lssu_status(su: &[u8]) -> Option<u8> {
    (li(su) == 1 || li(su) == 2).then(|| su.get(3).map_or(0xff, |o| o & 0x07))
}

fn ss7_pair(tag: &str, extra_a: &[&str], extra_b: &[&str]) -> (Relay, Peer, Peer) {
    let relay = Relay::start(tag);
    let (pa, pb) = (relay.path_a(), relay.path_b());
    let mut args_a = vec!["--connect", path(&pa), "--opc", "1", "--dpc", "2"];
    args_a.extend_from_slice(extra_a);
    let mut args_b = vec!["--connect", path(&pb), "--opc", "2", "--dpc", "1"];
    args_b.extend_from_slice(extra_b);
    let a = Peer::spawn(PeerKind::Ss7, "pc1", &args_a);
    let b = Peer::spawn(PeerKind::Ss7, "pc2", &args_b);
    (relay, a, b)
}

/// Waits until both switches report the linkset up (MTP2 in service, SLTM/SLTA and TRA done,
/// then libss7's 500 ms LINKSET_UP_DELAY).
fn ss7_wait_up(a: &mut Peer, b: &mut Peer) {
    for p in [a, b] {
        p.expect("mtp2_link_up", secs(5.0));
        p.expect("ss7_up", secs(5.0));
    }
}

fn msu(dir: &str, msg: &str) -> impl Fn(&Value) -> bool {
    event("msu", json!({ "dir": dir, "msg": msg }))
}

#[test]
fn ss7_links_align_with_emergency_proving_then_test_and_restart() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let (relay, mut a, mut b) = ss7_pair("ss7-align", &["--trace"], &["--trace"]);
    ss7_wait_up(&mut a, &mut b);

    // MTP3 on each side: an SLTM on link up, answered by an SLTA with the same pattern
    // (Q.707 2.2), and TRA (Q.704 9) only after the SLTA; the order between the two sides is
    // free, so look through everything each saw.
    for (p, opc, dpc) in [(&mut a, 1, 2), (&mut b, 2, 1)] {
        let sltm = p.expect_seen(msu("tx", "SLTM"), secs(1.0)).unwrap();
        assert_eq!(
            (sltm["opc"].clone(), sltm["dpc"].clone()),
            (json!(opc), json!(dpc))
        );
        assert_eq!(sltm["sls"], 0, "SLTM on the link's SLC");
        assert_eq!(sltm["si"], 1, "ITU SLTM: service indicator 1");
        let slta = p.expect_seen(msu("rx", "SLTA"), secs(1.0)).unwrap();
        assert_eq!(slta["test_pattern"], sltm["test_pattern"]);
        p.expect_seen(msu("rx", "SLTM"), secs(1.0)).unwrap();
        p.expect_seen(msu("tx", "SLTA"), secs(1.0)).unwrap();
        let tra = p.expect_seen(msu("tx", "TRA"), secs(1.0)).unwrap();
        assert!(
            tra["t"].as_i64() >= slta["t"].as_i64(),
            "TRA only once the SLTA came: {tra} {slta}"
        );
        p.expect_seen(msu("rx", "TRA"), secs(1.0)).unwrap();
    }

    // The wire, as the relay saw it.
    // FCS: libss7 builds FISUs and LSSUs in a zeroed buffer, so their 2 trailing octets are
    // 00 00; an MSU's are whatever follows the message in its buffer (often 00 00, not always:
    // an ANM has been seen ending in 21 00). A receiver must ignore them.
    let frames = relay.frames();
    assert!(
        frames
            .iter()
            .filter(|f| f.bytes.len() >= 5 && f.bytes[2] & 0x3f <= 2)
            .all(|f| f.bytes.ends_with(&[0, 0])),
        "libss7 writes 00 00 after its FISUs and LSSUs"
    );
    for side in [Side::A, Side::B] {
        let sus = signal_units(&frames, side);
        // Alignment: SIO, then SIE (libss7 always starts in emergency), never SIN.
        let statuses: Vec<u8> = sus.iter().filter_map(|(_, su)| lssu_status(su)).collect();
        assert_eq!(statuses.first(), Some(&0), "{side:?} starts with SIO");
        assert!(statuses.contains(&2), "{side:?} sends SIE");
        assert!(!statuses.contains(&1), "{side:?} never sends SIN");
        // Proving: from the first SIE to the first FISU, T4 emergency (500 ms in libss7).
        let first_sie = sus.iter().find(|(_, su)| lssu_status(su) == Some(2));
        let first_fisu = sus.iter().find(|(_, su)| li(su) == 0);
        let (Some((t_sie, _)), Some((t_fisu, sui))) = (first_sie, first_fisu) else {
            panic!("{side:?}: no SIE or no FISU");
        };
        let proving = t_fisu - t_sie;
        assert!(
            (450..1500).contains(&proving),
            "{side:?}: proving took {proving} ms"
        );
        // The first FISU after alignment: BSN 127 BIB 1 FSN 127 FIB 1.
        assert_eq!(&sui[..3], &[0xff, 0xff, 0x00], "{side:?} first FISU");
        // Fill-in pacing: over the last second, about one unit per 5 ms, not a flood.
        let end = sus.last().map_or(0, |(t, _)| *t);
        let last_second = sus.iter().filter(|(t, _)| *t + 1000 > end).count();
        assert!(
            (50..=300).contains(&last_second),
            "{side:?}: {last_second} signal units in the last second"
        );
    }
}

#[test]
fn ss7_call_both_ways_iam_acm_anm_rel_rlc() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let (_relay, mut a, mut b) = ss7_pair("ss7-call", &[], &["--auto-answer"]);
    ss7_wait_up(&mut a, &mut b);

    // PC 1 calls, PC 2 answers by itself (ACM after 100 ms, ANM 200 ms later).
    a.send("call 1 4930123456 4940555666");
    let iam = b.expect("iam", secs(3.0));
    assert_eq!(iam["cic"], 1);
    assert_eq!(iam["opc"], 1);
    // libss7 (ITU) ends the called number with ST, and shows it as '#'.
    assert_eq!(iam["called"], "4930123456#");
    assert_eq!(iam["calling"], "4940555666");
    assert_eq!(iam["category"], 10);
    b.expect_seen(msu("tx", "ACM"), secs(3.0)).unwrap();
    a.expect_with("acm", &json!({ "cic": 1 }), secs(3.0));
    a.expect_with("anm", &json!({ "cic": 1 }), secs(3.0));
    a.send("release 1 16");
    let rel = b.expect("rel", secs(3.0));
    assert_eq!(
        (rel["cic"].clone(), rel["cause"].clone()),
        (json!(1), json!(16))
    );
    b.expect_seen(msu("tx", "RLC"), secs(3.0)).unwrap();
    a.expect_with("rlc", &json!({ "cic": 1 }), secs(3.0));

    // PC 2 calls; PC 1 answers by command; PC 2 releases with cause 17.
    b.send("call 7 4940555666 4930123456");
    let iam = a.expect("iam", secs(3.0));
    assert_eq!(iam["cic"], 7);
    assert_eq!(iam["called"], "4940555666#");
    a.send("acm 7");
    b.expect_with("acm", &json!({ "cic": 7 }), secs(3.0));
    a.send("answer 7");
    b.expect_with("anm", &json!({ "cic": 7 }), secs(3.0));
    b.send("release 7 17");
    a.expect_with("rel", &json!({ "cic": 7, "cause": 17 }), secs(3.0));
    b.expect_with("rlc", &json!({ "cic": 7 }), secs(3.0));

    // The CIC is free again: a second call on it goes through.
    a.send("call 1 111 222");
    b.expect_with("iam", &json!({ "cic": 1, "called": "111#" }), secs(3.0));
    a.expect_with("anm", &json!({ "cic": 1 }), secs(3.0));
}

#[test]
fn ss7_lost_msu_is_retransmitted_after_a_negative_acknowledgement() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let (relay, mut a, mut b) = ss7_pair("ss7-loss", &[], &["--auto-answer"]);
    ss7_wait_up(&mut a, &mut b);
    // The line loses the first ISUP MSU from PC 1 (SIO octet 4, SI 5).
    let mut lost = false;
    relay.set_filter(move |from, f| {
        if !lost && from == Side::A && f.len() > 5 && f[2] & 0x3f > 2 && f[3] & 0x0f == 5 {
            lost = true;
            return Verdict::Drop;
        }
        Verdict::Forward
    });
    a.send("call 3 4930123 4940555");
    // Q.703 5.2: PC 2 sees the FSN of the following FISU run ahead and inverts its BIB; PC 1
    // retransmits with its FIB inverted; the IAM arrives once.
    b.expect_with("iam", &json!({ "cic": 3 }), secs(3.0));
    a.expect_with("anm", &json!({ "cic": 3 }), secs(3.0));
    let frames = relay.frames();
    let iams: Vec<&RelayedFrame> = frames
        .iter()
        .filter(|f| f.from == Side::A && f.bytes.len() > 12 && f.bytes[3] & 0x0f == 5)
        .filter(|f| f.bytes[10] == 0x01)
        .collect();
    assert_eq!(iams.len(), 2, "the IAM and its retransmission");
    assert_eq!(iams[0].verdict, Verdict::Drop);
    let (first, again) = (&iams[0].bytes, &iams[1].bytes);
    assert_eq!(first[1] & 0x7f, again[1] & 0x7f, "same FSN");
    assert_ne!(first[1] >> 7, again[1] >> 7, "FIB inverted");
    let nacks = frames
        .iter()
        .filter(|f| f.from == Side::B && f.at >= iams[0].at && f.at <= iams[1].at)
        .filter(|f| f.bytes.len() >= 5 && f.bytes[2] & 0x3f == 0)
        .filter(|f| f.bytes[0] >> 7 != first[1] >> 7)
        .count();
    assert!(
        nacks >= 1,
        "PC 2 inverted its BIB before the retransmission"
    );
    assert_eq!(
        b.history().iter().filter(|e| e["event"] == "iam").count(),
        1
    );
}

#[test]
fn ss7_link_realigns_after_the_line_is_cut() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let (relay, mut a, mut b) = ss7_pair("ss7-cut", &[], &[]);
    ss7_wait_up(&mut a, &mut b);
    relay.cut();
    // Each harness reports the lost line as a DAHDI alarm (ss7_link_alarm), reconnects, and
    // libss7 aligns again from SIO.
    for p in [&mut a, &mut b] {
        p.expect("transport_down", secs(2.0));
        p.expect("ss7_down", secs(2.0));
        p.expect_with("transport_up", &json!({ "count": 2 }), secs(3.0));
    }
    ss7_wait_up(&mut a, &mut b);
    assert_eq!(relay.sessions(), 2);
    a.send("call 2 5 6");
    b.expect_with("iam", &json!({ "cic": 2 }), secs(3.0));
}

#[test]
fn ss7_grs_is_answered_with_gra_both_ways() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    // PC 2 resets its circuits when the linkset comes up, as Asterisk does.
    let (_relay, mut a, mut b) = ss7_pair("ss7-grs", &[], &["--reset-on-up"]);
    ss7_wait_up(&mut a, &mut b);
    // PC 2's GRS may come before PC 1 reports its own linkset up: libss7 takes ISUP as soon as
    // MTP3 has exchanged TRA; the 500 ms delay before SS7_EVENT_UP is only towards the
    // application.
    let grs = a.expect_seen(event("grs", json!({})), secs(3.0)).unwrap();
    assert_eq!(
        (grs["cic"].clone(), grs["endcic"].clone()),
        (json!(1), json!(31))
    );
    let gra = b.expect("gra", secs(3.0));
    assert_eq!(
        (gra["cic"].clone(), gra["endcic"].clone()),
        (json!(1), json!(31))
    );
    assert_eq!(gra["status"].as_array().map(Vec::len), Some(31));

    a.send("grs 1 14");
    b.expect_with(
        "grs",
        &json!({ "cic": 1, "endcic": 15, "range": 14 }),
        secs(3.0),
    );
    a.expect_with("gra", &json!({ "cic": 1, "endcic": 15 }), secs(3.0));

    a.send("blo 20");
    b.expect_with("blo", &json!({ "cic": 20 }), secs(3.0));
    a.expect_with("bla", &json!({ "cic": 20 }), secs(3.0));
}

// ------------------------------------------------------------------------------ libpri

fn pri_pair(tag: &str, extra_user: &[&str], extra_net: &[&str]) -> (Relay, Peer, Peer) {
    let relay = Relay::start(tag);
    let (pa, pb) = (relay.path_a(), relay.path_b());
    let mut args_u = vec!["--connect", path(&pa), "--node", "user", "--trace"];
    args_u.extend_from_slice(extra_user);
    let mut args_n = vec!["--connect", path(&pb), "--node", "network", "--trace"];
    args_n.extend_from_slice(extra_net);
    let user = Peer::spawn(PeerKind::Pri, "user", &args_u);
    let net = Peer::spawn(PeerKind::Pri, "network", &args_n);
    (relay, user, net)
}

fn frame(dir: &str, kind: &str) -> impl Fn(&Value) -> bool {
    event("frame", json!({ "dir": dir, "frame": kind }))
}

fn q931(dir: &str, msg: &str) -> impl Fn(&Value) -> bool {
    event("q931", json!({ "dir": dir, "msg": msg }))
}

#[test]
fn pri_user_and_network_establish_q921_and_poll() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    // T203 shortened from libpri's 10 s so that the idle poll shows within the test.
    let (relay, mut user, mut net) = pri_pair("pri-l2", &["--timer", "T203=1000"], &[]);
    user.expect("dchan_up", secs(5.0));
    net.expect("dchan_up", secs(5.0));

    // Each side sends SABME as soon as it starts; C/R per Q.921 table 1: a command is C/R 1
    // from the network side, 0 from the user side; a response the opposite.
    let sabme_u = user.expect_seen(frame("tx", "SABME"), secs(1.0)).unwrap();
    assert_eq!(
        (sabme_u["cr"].clone(), sabme_u["pf"].clone()),
        (json!(0), json!(1))
    );
    let sabme_n = net.expect_seen(frame("tx", "SABME"), secs(1.0)).unwrap();
    assert_eq!(
        (sabme_n["cr"].clone(), sabme_n["pf"].clone()),
        (json!(1), json!(1))
    );
    let ua_u = user.expect_seen(frame("tx", "UA"), secs(1.0)).unwrap();
    assert_eq!(
        (ua_u["cr"].clone(), ua_u["command"].clone()),
        (json!(1), json!(false))
    );
    let ua_n = net.expect_seen(frame("tx", "UA"), secs(1.0)).unwrap();
    assert_eq!(
        (ua_n["cr"].clone(), ua_n["command"].clone()),
        (json!(0), json!(false))
    );
    assert_eq!(
        (sabme_u["sapi"].clone(), sabme_u["tei"].clone()),
        (json!(0), json!(0))
    );

    // Idle: after T203 (1 s on the user side only, so that it is the one to poll) an RR
    // command with P = 1, answered at once by an RR response with F = 1.
    let rr_cmd = |dir: &str| {
        event(
            "frame",
            json!({ "dir": dir, "frame": "RR", "command": true, "pf": 1 }),
        )
    };
    let rr_resp = |dir: &str| {
        event(
            "frame",
            json!({ "dir": dir, "frame": "RR", "command": false, "pf": 1 }),
        )
    };
    let poll = user.expect_seen(rr_cmd("tx"), secs(4.0)).unwrap();
    assert_eq!(poll["cr"], 0, "user side command: C/R 0");
    net.expect_seen(rr_cmd("rx"), secs(2.0)).unwrap();
    let answer = net.expect_seen(rr_resp("tx"), secs(2.0)).unwrap();
    assert_eq!(answer["cr"], 0, "network side response: C/R 0");
    user.expect_seen(rr_resp("rx"), secs(2.0)).unwrap();

    let frames = relay.frames();
    assert!(!frames.is_empty());
    assert!(
        frames.iter().all(|f| f.bytes.ends_with(&[0, 0])),
        "libpri writes 00 00 as FCS"
    );
}

#[test]
fn pri_qsig_calls_both_ways() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let (_relay, mut user, mut net) = pri_pair("pri-call", &["--auto-answer"], &["--auto-answer"]);
    user.expect("dchan_up", secs(5.0));
    net.expect("dchan_up", secs(5.0));

    // The user side calls on B-channel 1; the network side answers by itself and the user
    // side clears.
    user.send("call 1 2001 1001 Alice Example");
    let setup = net.expect("setup", secs(3.0));
    assert_eq!(setup["channel"], 1);
    assert_eq!(setup["called"], "2001");
    assert_eq!(setup["calling"], "1001");
    assert_eq!(
        setup["calling_name"], "Alice Example",
        "QSIG name in a Facility IE"
    );
    user.expect("alerting", secs(3.0));
    user.expect("connect", secs(3.0));
    user.send("hangup 1 16");
    net.expect_with(
        "disconnect",
        &json!({ "channel": 1, "cause": 16 }),
        secs(3.0),
    );
    user.expect_with("release", &json!({ "cause": 16 }), secs(3.0));
    net.expect("release_ack", secs(3.0));
    for (msg, dir_user) in [
        ("SETUP", "tx"),
        ("ALERTING", "rx"),
        ("CONNECT", "rx"),
        ("CONNECT ACKNOWLEDGE", "tx"),
        ("DISCONNECT", "tx"),
        ("RELEASE", "rx"),
        ("RELEASE COMPLETE", "tx"),
    ] {
        user.expect_seen(q931(dir_user, msg), secs(1.0)).unwrap();
        let dir_net = if dir_user == "tx" { "rx" } else { "tx" };
        net.expect_seen(q931(dir_net, msg), secs(1.0)).unwrap();
    }
    let rc = net
        .expect_seen(q931("rx", "RELEASE COMPLETE"), secs(1.0))
        .unwrap();
    assert_eq!(rc["cause"], 16);

    // The network side calls on B-channel 2; the user side answers by itself, then clears
    // with cause 17.
    net.send("call 2 1001 2001 Bob");
    let setup = user.expect("setup", secs(3.0));
    assert_eq!(
        (setup["channel"].clone(), setup["called"].clone()),
        (json!(2), json!("1001"))
    );
    assert_eq!(setup["calling_name"], "Bob");
    net.expect_with("alerting", &json!({ "channel": 2 }), secs(3.0));
    net.expect_with("connect", &json!({ "channel": 2 }), secs(3.0));
    user.send("hangup 2 17");
    net.expect_with(
        "disconnect",
        &json!({ "channel": 2, "cause": 17 }),
        secs(3.0),
    );
    user.expect_with("release", &json!({ "cause": 17 }), secs(3.0));
    net.expect_with("release_ack", &json!({ "cause": 17 }), secs(3.0));
    net.expect_seen(
        event(
            "q931",
            json!({ "dir": "rx", "msg": "RELEASE COMPLETE", "cause": 17 }),
        ),
        secs(1.0),
    )
    .unwrap();
}

// ------------------------------------------------------------------------------ both

#[test]
fn peers_serve_a_connecting_peer_in_listen_mode() {
    // The gateway may connect (`unix:PATH`) as well as listen: each harness listens too.
    let ss7 = peers::require(PeerKind::Ss7).is_some();
    let pri = peers::require(PeerKind::Pri).is_some();
    let dir = support::relay::SocketDir::new("listen");
    if ss7 {
        let p = dir.path("ss7.sock");
        let mut a = Peer::spawn(
            PeerKind::Ss7,
            "pc1-listen",
            &["--listen", path(&p), "--opc", "1", "--dpc", "2"],
        );
        a.expect("listening", secs(2.0));
        let mut b = Peer::spawn(
            PeerKind::Ss7,
            "pc2-connect",
            &["--connect", path(&p), "--opc", "2", "--dpc", "1"],
        );
        ss7_wait_up(&mut a, &mut b);
    }
    if pri {
        let p = dir.path("pri.sock");
        let mut net = Peer::spawn(
            PeerKind::Pri,
            "network-listen",
            &["--listen", path(&p), "--node", "network"],
        );
        net.expect("listening", secs(2.0));
        let mut user = Peer::spawn(
            PeerKind::Pri,
            "user-connect",
            &["--connect", path(&p), "--node", "user"],
        );
        net.expect("dchan_up", secs(5.0));
        user.expect("dchan_up", secs(5.0));
    }
}
