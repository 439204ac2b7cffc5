//! The gateway end to end with real peers on both sides: libss7 (Debian libss7-dev, the ISUP
//! stack of Asterisk, tests/peers/ss7peer.c) as the PSTN switch on a `frames` link, sipp as
//! the SIP user agent, `sipt-mgc run` between them (the rig: tests/support/gateway.rs).
//!
//! PSTN origination, IP termination (RFC 3398 8): libss7's IAM becomes an INVITE to sipp; the
//! ACM, ANM and REL libss7 sees come from sipp's 180, 200 and final responses, and libss7's
//! REL becomes our BYE or CANCEL. IP origination, PSTN termination (RFC 3398 7): sipp's INVITE
//! becomes an IAM to libss7, whose ACM, ANM and REL become 180, 200 and 486/BYE. Faults: the
//! ISUP link lost during a call, and a SIP target that fails or does not answer.

mod support;

use std::time::Duration;

use serde_json::json;
use support::gateway::{secs, ss7_switch, traced_isup_frames, GatewayProcess, Route};
use support::peers::{self, Peer, PeerKind};
use support::relay::SocketDir;
use support::sipp::{self, Sipp};

fn peers_here() -> bool {
    peers::require(PeerKind::Ss7).is_some() && sipp::require().is_some()
}

struct Rig {
    _dir: SocketDir,
    gateway: GatewayProcess,
    ss7: Peer,
}

/// A gateway with `routes`, and libss7 (with `ss7_options`) on its link, up and reset.
fn start(tag: &str, routes: &[Route], ss7_options: &[&str]) -> Rig {
    let dir = SocketDir::new(tag);
    let gateway = GatewayProcess::start(&dir, "gateway", &[], routes);
    let ss7 = ss7_switch("libss7", &gateway.link, ss7_options);
    Rig {
        _dir: dir,
        gateway,
        ss7,
    }
}

/// A sipp UAS playing `scenario` for `calls` calls.
fn uas(name: &str, scenario: &str, calls: u32) -> sipp::Running {
    Sipp::uas(name, sipp::scenario(scenario))
        .local("127.0.0.1".parse().expect("ip"), 0)
        .calls(calls)
        .timeout(secs(60))
        .start()
}

/// libss7 calls 4930123456 from 4940111222; sipp (uas_basic: 180, 200, then waits for BYE)
/// answers; libss7 sees ACM with called party's status "subscriber free" (RFC 3398 8.2.3: 180)
/// and ANM, then releases with cause 16; the gateway sends BYE (sipp answers 200) and RLC.
#[test]
fn pstn_call_to_sip_is_answered_and_released_by_the_pstn() {
    if !peers_here() {
        return;
    }
    let uas = uas("gw-uas-basic", "uas_basic.xml", 1);
    let mut rig = start(
        "gw-pstn-sip",
        &[Route::sip("49", uas.local_addr()), Route::trunk("7")],
        &[],
    );
    rig.ss7.send("call 5 4930123456 4940111222 nai=3 cnai=3");
    let acm = rig.ss7.expect("acm", secs(5));
    assert_eq!(acm["cic"], 5);
    assert_eq!(
        acm["called_party_status"], 1,
        "180 -> ACM subscriber free: {acm}"
    );
    rig.ss7.expect_with("anm", &json!({"cic": 5}), secs(5));
    rig.ss7.send("release 5 16");
    rig.ss7.expect_with("rlc", &json!({"cic": 5}), secs(5));
    let out = uas.wait();
    out.assert_success(1);
    let ended = rig.gateway.answered_call_ended(secs(5));
    assert_eq!(ended["cause"], 16, "{ended}");
}

/// The PSTN caller gives up while sipp rings (uas_cancel: 180, then waits for CANCEL): REL
/// before answer becomes CANCEL (RFC 3398 8.2.7); sipp answers 200 and 487, the gateway ACKs
/// the 487 and completes the release with RLC.
#[test]
fn pstn_caller_hangs_up_while_sip_rings() {
    if !peers_here() {
        return;
    }
    let uas = uas("gw-uas-cancel", "uas_cancel.xml", 1);
    let mut rig = start("gw-pstn-cancel", &[Route::sip("49", uas.local_addr())], &[]);
    rig.ss7.send("call 6 4930123456 4940111222 nai=3 cnai=3");
    let acm = rig.ss7.expect_with("acm", &json!({"cic": 6}), secs(5));
    assert_eq!(acm["called_party_status"], 1, "180 -> ACM: {acm}");
    rig.ss7.send("release 6 16");
    rig.ss7.expect_with("rlc", &json!({"cic": 6}), secs(5));
    let out = uas.wait();
    out.assert_success(1);
    assert_eq!(
        out.ladder_once(),
        [
            "< INVITE",
            "> 100 INVITE",
            "> 180 INVITE",
            "< CANCEL",
            "> 200 CANCEL",
            "> 487 INVITE",
            "< ACK"
        ],
        "{out}"
    );
    let cancel = out.received("CANCEL");
    assert_eq!(
        cancel[0].header("Reason").as_deref(),
        Some("Q.850;cause=16;text=\"Normal call clearing\""),
        "RFC 3326 Reason with the REL's cause: {out}"
    );
    assert!(rig.ss7.history().iter().all(|e| e["event"] != "anm"));
    let ended = rig.gateway.call_ended(secs(5));
    assert_eq!(ended["answered"], false, "{ended}");
    assert_eq!(ended["cause"], 16, "{ended}");
}

/// sipp refuses with 486 (uas_busy, with `Reason: Q.850;cause=17`), 404 and 503 (no Reason
/// header): libss7 sees REL with the causes of RFC 3398 8.2.6.1 — 17 user busy, 1 unallocated
/// number, 41 temporary failure — and the gateway ACKs each final response.
#[test]
fn sip_rejections_reach_the_pstn_as_rel_causes() {
    if !peers_here() {
        return;
    }
    let cases: [(u16, &str, u8, &str); 3] = [
        (486, "uas_busy.xml", 17, "491"),
        (404, "uas_not_found.xml", 1, "492"),
        (503, "uas_unavailable.xml", 41, "493"),
    ];
    let sipps: Vec<sipp::Running> = cases
        .iter()
        .map(|(status, scenario, _, _)| uas(&format!("gw-uas-{status}"), scenario, 1))
        .collect();
    let routes: Vec<Route> = cases
        .iter()
        .zip(&sipps)
        .map(|((_, _, _, prefix), s)| Route::sip(prefix, s.local_addr()))
        .collect();
    let mut rig = start("gw-pstn-reject", &routes, &[]);
    for (n, (status, _, cause, prefix)) in cases.iter().enumerate() {
        let cic = 10 + n;
        rig.ss7.send(&format!(
            "call {cic} {prefix}0123456 4940111222 nai=3 cnai=3"
        ));
        let rel = rig.ss7.expect_with("rel", &json!({"cic": cic}), secs(10));
        assert_eq!(
            rel["cause"], *cause,
            "{status} -> REL cause {cause} (RFC 3398 8.2.6.1): {rel}"
        );
        let ended = rig.gateway.call_ended(secs(5));
        assert_eq!(ended["status"], *status, "{ended}");
        assert_eq!(ended["cause"], *cause, "{ended}");
    }
    for s in sipps {
        let out = s.wait();
        out.assert_success(1);
        assert_eq!(out.received("ACK").len(), 1, "{out}");
    }
    assert!(
        rig.ss7.history().iter().all(|e| e["event"] != "acm"),
        "a final response without a provisional one sends no ACM"
    );
}

/// sipp calls 7123456 (route "7" -> trunk "pstn"); libss7 answers by itself (ACM, then ANM):
/// sipp sees the provisional response RFC 3398 7.2.5 gives for the ACM's called party's
/// status (subscriber free: 180; no indication: 183) and 200 (7.2.7), sends BYE after 500 ms,
/// and libss7 sees REL with cause 16 (RFC 3398 7.2.3).
#[test]
fn sip_call_to_pstn_is_answered_and_released_by_sip() {
    if !peers_here() {
        return;
    }
    let mut rig = start(
        "gw-sip-pstn",
        &[Route::trunk("7")],
        &["--auto-answer", "--trace"],
    );
    let out = Sipp::uac(
        "gw-uac-basic",
        sipp::scenario("uac_basic.xml"),
        rig.gateway.sip,
    )
    .service("7123456")
    .key("calling", "4940111222")
    .pause(Duration::from_millis(500))
    .timeout(secs(30))
    .run();
    out.assert_success(1);
    let iam = rig.ss7.expect("iam", secs(5));
    assert_eq!(iam["called"], "7123456", "{iam}");
    assert_eq!(iam["calling"], "4940111222", "{iam}");
    let cic = iam["cic"].clone();
    let rel = rig.ss7.expect_with("rel", &json!({"cic": cic}), secs(5));
    assert_eq!(rel["cause"], 16, "BYE -> REL 16: {rel}");
    // The ACM libss7 sent: backward call indicators (Q.763 3.5), bits DC of the first octet.
    let acms = traced_isup_frames(&mut rig.ss7, "tx", 0x06, 1);
    let bci = acms.first().and_then(|a| a.message.get(1)).copied();
    let provisional = match bci.map(|b| (b >> 2) & 0x03) {
        Some(1) => "< 180 INVITE",
        Some(0) => "< 183 INVITE",
        other => panic!("libss7's ACM: called party's status {other:?}: {acms:?}"),
    };
    let ladder = out.ladder_once();
    assert_eq!(
        ladder
            .iter()
            .filter(|r| r.starts_with("< 18"))
            .collect::<Vec<_>>(),
        [provisional],
        "ACM -> {provisional}: {out}"
    );
    assert!(ladder.contains(&"< 200 INVITE".to_owned()), "{out}");
    assert!(ladder.contains(&"< 200 BYE".to_owned()), "{out}");
    rig.gateway.answered_call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

/// sipp calls; libss7 refuses the call with REL cause 17 before answering: sipp sees 486
/// (RFC 3398 7.2.4.1) and ACKs it (uac_busy), and libss7 gets its RLC.
#[test]
fn pstn_busy_reaches_sip_as_486() {
    if !peers_here() {
        return;
    }
    let mut rig = start("gw-sip-busy", &[Route::trunk("7")], &[]);
    let uac = Sipp::uac(
        "gw-uac-busy",
        sipp::scenario("uac_busy.xml"),
        rig.gateway.sip,
    )
    .service("7123456")
    .key("calling", "4940111222")
    .timeout(secs(30))
    .start();
    let iam = rig.ss7.expect("iam", secs(10));
    let cic = iam["cic"].as_u64().expect("cic");
    rig.ss7.send(&format!("release {cic} 17"));
    rig.ss7.expect_with("rlc", &json!({"cic": cic}), secs(5));
    let out = uac.wait();
    out.assert_success(1);
    let busy = out.received("486 INVITE");
    assert_eq!(busy.len(), 1, "{out}");
    let reason = busy[0].header("Reason").unwrap_or_default();
    assert!(reason.contains("cause=17"), "Reason of the 486: {out}");
    let ended = rig.gateway.call_ended(secs(5));
    assert_eq!(ended["status"], 486, "{ended}");
    assert_eq!(ended["cause"], 17, "{ended}");
}

// ------------------------------------------------------------------------------ faults

/// The ISUP link is lost during an answered call (the libss7 process is killed): the
/// gateway clears the SIP leg at once with BYE, cause 41 in its Reason (MTP-PAUSE: the
/// relation is unavailable). libss7 comes back: the gateway resets every circuit with GRS
/// (Q.764 2.9.3.1), libss7 answers GRA, and a new call goes through.
#[test]
fn isup_link_lost_mid_call_clears_sip_and_recovers_with_grs() {
    if !peers_here() {
        return;
    }
    let uas = uas("gw-uas-linkloss", "uas_basic.xml", 2);
    let Rig {
        _dir,
        mut gateway,
        ss7,
    } = start("gw-link-loss", &[Route::sip("49", uas.local_addr())], &[]);
    let mut ss7 = ss7;
    ss7.send("call 5 4930123456 4940111222 nai=3 cnai=3");
    ss7.expect_with("anm", &json!({"cic": 5}), secs(10));
    drop(ss7); // killed: the frames socket closes under the gateway's MTP2
    let ended = gateway.answered_call_ended(secs(10));
    assert_eq!(ended["cause"], 41, "{ended}");

    let mut ss7 = ss7_switch("libss7-again", &gateway.link, &[]);
    // The GRA completed the reset: the circuit of the lost call is idle again.
    gateway
        .log
        .expect_event(
            |e| {
                e["event"] == "isup"
                    && e["isup"]["event"] == "circuit_reset"
                    && e["isup"]["cic"] == 5
            },
            secs(10),
        )
        .unwrap_or_else(|e| panic!("{e}"));
    ss7.send("call 6 4930123456 4940111222 nai=3 cnai=3");
    ss7.expect_with("acm", &json!({"cic": 6}), secs(10));
    ss7.expect_with("anm", &json!({"cic": 6}), secs(10));
    ss7.send("release 6 16");
    ss7.expect_with("rlc", &json!({"cic": 6}), secs(10));
    let ended = gateway.call_ended(secs(10));
    assert_eq!(ended["cause"], 16, "{ended}");

    let out = uas.wait();
    out.assert_success(2);
    gateway.assert_no_refusals();
    let byes = out.received("BYE");
    assert_eq!(byes.len(), 2, "{out}");
    let reason = byes[0].header("Reason").unwrap_or_default();
    assert!(
        reason.contains("cause=41"),
        "the BYE of the lost call: {reason}\n{out}"
    );
}

/// The route's first target answers 503: the gateway tries the alternate (RFC 3398: 503 is
/// no answer from that server), which rings and answers; libss7 sees ACM and ANM as for any
/// call, and the 503 never reaches the PSTN.
#[test]
fn a_503_from_the_first_target_tries_the_alternate_route() {
    if !peers_here() {
        return;
    }
    let first = uas("gw-uas-alt-503", "uas_unavailable.xml", 1);
    let second = uas("gw-uas-alt-ok", "uas_basic.xml", 1);
    let route = Route::sip("49", first.local_addr()).alternate(second.local_addr());
    let mut rig = start("gw-alt-503", &[route], &[]);
    rig.ss7.send("call 5 4930123456 4940111222 nai=3 cnai=3");
    rig.ss7.expect_with("acm", &json!({"cic": 5}), secs(10));
    rig.ss7.expect_with("anm", &json!({"cic": 5}), secs(10));
    let alt = rig
        .gateway
        .log
        .expect_event(|e| e["event"] == "alternate", secs(1))
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        alt["to"]
            .as_str()
            .is_some_and(|t| t.contains(&second.local_addr().to_string())),
        "{alt}"
    );
    rig.ss7.send("release 5 16");
    rig.ss7.expect_with("rlc", &json!({"cic": 5}), secs(10));
    first.wait().assert_success(1);
    second.wait().assert_success(1);
    assert!(rig.ss7.history().iter().all(|e| e["event"] != "rel"));
    rig.gateway.assert_no_refusals();
}

/// The route's first target takes the INVITE and never answers (a socket that reads
/// nothing): at timer B (64·T1 = 32 s, RFC 3261 17.1.1.2) the gateway gives up on it and
/// tries the alternate. Meanwhile T11 (15 s, RFC 3398 8.2.8) has sent libss7 an ACM with
/// called party's status "no indication", so libss7's T7 does not expire; the alternate's 180
/// then becomes a CPG (alerting) and its 200 the ANM.
#[test]
fn a_silent_first_target_times_out_to_the_alternate_route() {
    if !peers_here() {
        return;
    }
    let silent = std::net::UdpSocket::bind("127.0.0.1:0").expect("a silent SIP peer");
    let second = uas("gw-uas-alt-late", "uas_basic.xml", 1);
    let route = Route::sip("49", silent.local_addr().expect("addr")).alternate(second.local_addr());
    let mut rig = start("gw-alt-silent", &[route], &[]);
    let t0 = std::time::Instant::now();
    rig.ss7.send("call 5 4930123456 4940111222 nai=3 cnai=3");
    let acm = rig.ss7.expect_with("acm", &json!({"cic": 5}), secs(25));
    let t11 = t0.elapsed();
    assert_eq!(acm["called_party_status"], 0, "T11's ACM: {acm}");
    assert!(
        t11 >= secs(14) && t11 < secs(20),
        "the ACM after T11 (15 s), not {t11:?}"
    );
    rig.ss7.expect_with("anm", &json!({"cic": 5}), secs(30));
    let answered = t0.elapsed();
    assert!(
        answered >= secs(31),
        "the alternate only after timer B (32 s), not {answered:?}"
    );
    assert!(
        rig.ss7
            .history()
            .iter()
            .any(|e| e["event"] == "cpg" && e["cic"] == 5),
        "the alternate's 180 after T11's ACM -> CPG"
    );
    let mut buf = [0u8; 4096];
    silent.set_nonblocking(true).expect("nonblocking");
    let (n, _) = silent
        .recv_from(&mut buf)
        .expect("the INVITE reached the silent target");
    assert!(buf[..n].starts_with(b"INVITE "));
    rig.ss7.send("release 5 16");
    rig.ss7.expect_with("rlc", &json!({"cic": 5}), secs(10));
    second.wait().assert_success(1);
    rig.gateway.answered_call_ended(secs(5));
    rig.gateway.assert_no_refusals();
}

/// sipp calls; libss7 sends ACM (called party's status "no indication": 183, RFC 3398
/// 7.2.5), then CPG alerting (180, 7.2.6), then ANM (200); sipp hangs up.
#[test]
fn sip_call_to_pstn_rings_on_cpg_alerting() {
    if !peers_here() {
        return;
    }
    let mut rig = start("gw-sip-cpg", &[Route::trunk("7")], &[]);
    let uac = Sipp::uac(
        "gw-uac-cpg",
        sipp::scenario("uac_basic.xml"),
        rig.gateway.sip,
    )
    .service("7123456")
    .key("calling", "4940111222")
    .pause(Duration::from_millis(200))
    .timeout(secs(30))
    .start();
    let iam = rig.ss7.expect("iam", secs(10));
    let cic = iam["cic"].as_u64().expect("cic");
    rig.ss7.send(&format!("acm {cic}"));
    rig.ss7.send(&format!("cpg {cic} 1"));
    rig.gateway
        .log
        .expect_event(|e| e["event"] == "call_alerting", secs(5))
        .unwrap_or_else(|e| panic!("{e}"));
    rig.ss7.send(&format!("answer {cic}"));
    let rel = rig.ss7.expect_with("rel", &json!({"cic": cic}), secs(10));
    assert_eq!(rel["cause"], 16, "{rel}");
    let out = uac.wait();
    out.assert_success(1);
    let provisional: Vec<String> = out
        .ladder_once()
        .into_iter()
        .filter(|r| r.starts_with("< 18"))
        .collect();
    assert_eq!(provisional, ["< 183 INVITE", "< 180 INVITE"], "{out}");
}
