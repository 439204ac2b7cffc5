//! `sipt-mgc sim` against libss7 (Debian libss7-dev, the ISUP stack of Asterisk) on a `frames`
//! link: the simulator listens on a Unix SOCK_SEQPACKET socket, tests/peers/ss7peer.c connects
//! with libss7 on the far end. Everything between them is ours on one side and libss7 on the
//! other: MTP2 alignment (libss7 proves in emergency), the Q.707 signalling link test both
//! ways, TRA, then ISUP calls both ways and group reset both ways.

mod support;

use std::path::Path;
use std::process::ExitStatus;
use std::time::Duration;

use serde_json::{json, Value};
use support::peers::{self, event, Peer, PeerKind};
use support::relay::SocketDir;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// Writes the simulator's configuration and scenario; returns their paths.
fn files(dir: &SocketDir, sock: &Path, scenario: &str) -> (String, String) {
    let config = dir.path("sim.toml");
    std::fs::write(
        &config,
        format!(
            r#"
[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix-listen:{}"
opc = 1
dpc = 2
cics = "1-31"
"#,
            sock.display()
        ),
    )
    .expect("writing the config");
    let sc = dir.path("scenario.toml");
    std::fs::write(&sc, scenario).expect("writing the scenario");
    (
        config.to_str().expect("utf-8").to_owned(),
        sc.to_str().expect("utf-8").to_owned(),
    )
}

fn start(tag: &str, scenario: &str, peer_args: &[&str]) -> (SocketDir, Peer, Peer) {
    let dir = SocketDir::new(tag);
    let sock = dir.path("pstn.sock");
    let (config, sc) = files(&dir, &sock, scenario);
    let sim = Peer::spawn_program(
        support::sipt_mgc(),
        "sim",
        &["sim", "--config", &config, "--scenario", &sc],
    );
    let sock = sock.to_str().expect("utf-8").to_owned();
    let mut args = vec!["--connect", &sock, "--opc", "2", "--dpc", "1"];
    args.extend_from_slice(peer_args);
    let ss7 = Peer::spawn(PeerKind::Ss7, "libss7", &args);
    (dir, sim, ss7)
}

fn wait_exit(p: &mut Peer, timeout: Duration) -> ExitStatus {
    p.wait_exit(timeout)
        .unwrap_or_else(|| panic!("the simulator did not exit:\n{:#?}", p.history()))
}

fn msu(dir: &'static str, msg: &'static str) -> impl Fn(&Value) -> bool {
    event("msu", json!({ "dir": dir, "msg": msg }))
}

/// The link comes up, then: the simulator's call answered by libss7 and released by the
/// simulator; libss7's call answered by the simulator and released by libss7; GRS from libss7
/// answered by the simulator's GRA; the simulator's GRS answered by libss7's GRA.
#[test]
fn calls_and_group_reset_both_ways_with_libss7() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let scenario = r#"
[answer]
mode = "answer"
ring_after_ms = 50
answer_after_ms = 150

[[call]]
at_ms = 300
called = "4930123456"
calling = "4940111222"
presentation = "restricted"
category = 10
expect = "release"
expect_cause = 31

[[action]]
at_ms = 2500
do = "grs"
cic = 20
range = 3

[[action]]
at_ms = 2700
do = "blo"
cic = 25

[[action]]
at_ms = 2800
do = "cgb"
cic = 26
range = 2

[[action]]
at_ms = 3000
do = "ubl"
cic = 25

[[action]]
at_ms = 3100
do = "cgu"
cic = 26
range = 2

[end]
after_ms = 4000
"#;
    let (_dir, mut sim, mut ss7) = start(
        "sim-ss7",
        scenario,
        &[
            "--auto-answer",
            "--release-after",
            "300",
            "--release-cause",
            "31",
        ],
    );

    // MTP: alignment, the signalling link test both ways (Q.707 2.2), TRA (Q.704 9).
    ss7.expect("mtp2_link_up", secs(5.0));
    ss7.expect_seen(msu("tx", "SLTM"), secs(2.0)).unwrap();
    let their_slta = ss7.expect_seen(msu("rx", "SLTA"), secs(2.0)).unwrap();
    let their_sltm = ss7
        .history()
        .iter()
        .find(|e| msu("tx", "SLTM")(e))
        .cloned()
        .unwrap();
    assert_eq!(
        their_slta["test_pattern"], their_sltm["test_pattern"],
        "our SLTA echoes libss7's test pattern"
    );
    let our_sltm = ss7.expect_seen(msu("rx", "SLTM"), secs(2.0)).unwrap();
    let our_slta = ss7.expect_seen(msu("tx", "SLTA"), secs(2.0)).unwrap();
    assert_eq!(our_slta["test_pattern"], our_sltm["test_pattern"]);
    ss7.expect_seen(msu("rx", "TRA"), secs(2.0)).unwrap();
    // The simulator reports the same MTP messages, decoded, as `mtp` events.
    for (dir, msg) in [
        ("in", "SLTM"),
        ("out", "SLTA"),
        ("out", "SLTM"),
        ("in", "SLTA"),
    ] {
        sim.expect_seen(
            |e: &Value| e["event"] == "mtp" && e["dir"] == dir && e["su"]["test"]["message"] == msg,
            secs(2.0),
        )
        .unwrap();
    }
    sim.expect_with("link_state", &json!({"status": "Available"}), secs(5.0));
    sim.expect("up", secs(3.0));
    // Our GRS of every circuit after the relation came up (Q.764 2.9.3.1), answered by GRA.
    ss7.expect_with("grs", &json!({"cic": 1, "range": 30}), secs(3.0));
    sim.expect_with(
        "isup",
        &json!({"message_type": "GRA", "dir": "in"}),
        secs(3.0),
    );

    // Our call: IAM with the scenario's numbers, ACM and ANM from libss7, then libss7's REL
    // (cause 31) and our RLC.
    let iam = ss7.expect("iam", secs(3.0));
    assert_eq!(iam["called"], "4930123456");
    assert_eq!(iam["calling"], "4940111222");
    assert_eq!(iam["presentation"], 1, "presentation restricted");
    assert_eq!(iam["category"], 10);
    let cic = iam["cic"].as_u64().unwrap();
    sim.expect_with("address_complete", &json!({ "cic": cic }), secs(2.0));
    sim.expect_with("answer", &json!({ "cic": cic }), secs(2.0));
    let released = sim.expect_with("released", &json!({ "cic": cic }), secs(2.0));
    assert_eq!(released["reason"], "Remote");
    assert_eq!(released["cause"]["cause_value"], 31, "{released}");
    ss7.expect_with("rlc", &json!({ "cic": cic }), secs(2.0));
    let outcome = sim.expect("call_outcome", secs(1.0));
    assert_eq!(outcome["ok"], true, "{outcome}");
    assert_eq!(outcome["cause"], 31, "{outcome}");

    // libss7's call: it reaches the simulator, which alerts and answers; libss7 releases
    // (300 ms after the answer, cause 31).
    ss7.expect_seen(event("ss7_up", json!({})), secs(3.0))
        .unwrap();
    ss7.send("call 7 4930555 4940666 cat=10");
    let setup = sim.expect_with("setup", &json!({ "cic": 7 }), secs(2.0));
    assert_eq!(setup["iam"], "IAM");
    let in_iam = sim
        .history()
        .iter()
        .rev()
        .find(|e| event("isup", json!({"message_type": "IAM", "dir": "in"}))(e))
        .cloned()
        .unwrap();
    let called = in_iam["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["name"] == "called_party_number")
        .unwrap();
    assert!(
        called["digits"].as_str().unwrap().starts_with("4930555"),
        "{called}"
    );
    ss7.expect_with("acm", &json!({ "cic": 7 }), secs(2.0));
    ss7.expect_with("anm", &json!({ "cic": 7 }), secs(2.0));
    let released = sim.expect_with("released", &json!({ "cic": 7 }), secs(2.0));
    assert_eq!(released["reason"], "Remote");
    assert_eq!(released["cause"]["cause_value"], 31, "{released}");
    sim.expect_with(
        "isup",
        &json!({"message_type": "RLC", "dir": "out", "cic": 7}),
        secs(2.0),
    );
    ss7.expect_with("rlc", &json!({ "cic": 7 }), secs(2.0));

    // GRS from libss7: answered with GRA, circuits reset.
    ss7.send("grs 10 4");
    let gra = ss7.expect_with("gra", &json!({ "cic": 10 }), secs(2.0));
    assert_eq!(gra["range"], 4);
    for cic in 10..=14 {
        assert!(
            sim.history()
                .iter()
                .any(|e| event("circuit_reset", json!({"cic": cic, "remote": true}))(e)),
            "CIC {cic} reset by libss7's GRS"
        );
    }

    // Our GRS (the scenario's action): libss7 answers with GRA.
    ss7.expect_with("grs", &json!({ "cic": 20, "range": 3 }), secs(4.0));
    sim.expect_with("action_acknowledged", &json!({ "cic": 20 }), secs(2.0));

    // Blocking (Q.764 2.8.2): BLO answered by BLA, CGB by CGBA, then UBL/UBA and CGU/CGUA.
    ss7.expect_with("blo", &json!({ "cic": 25 }), secs(2.0));
    sim.expect_with(
        "blocked",
        &json!({ "cic": 25, "side": "Local", "kind": "Maintenance" }),
        secs(2.0),
    );
    ss7.expect_with("cgb", &json!({ "cic": 26, "range": 2 }), secs(2.0));
    for cic in 26..=28 {
        sim.expect_with(
            "blocked",
            &json!({ "cic": cic, "side": "Local" }),
            secs(2.0),
        );
    }
    ss7.expect_with("ubl", &json!({ "cic": 25 }), secs(2.0));
    ss7.expect_with("cgu", &json!({ "cic": 26, "range": 2 }), secs(2.0));
    for cic in 26..=28 {
        sim.expect_with(
            "unblocked",
            &json!({ "cic": cic, "side": "Local" }),
            secs(2.0),
        );
    }

    let summary = sim.expect("summary", secs(5.0));
    assert_eq!(summary["ok"], true, "{summary}");
    assert_eq!(summary["calls_received"], 1);
    assert_eq!(summary["actions"], 5);
    assert!(wait_exit(&mut sim, secs(5.0)).success());
}

/// A scenario expectation that fails makes the simulator exit non-zero: the call is expected
/// to be rejected, but libss7 answers it.
#[test]
fn a_failed_expectation_exits_non_zero() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let scenario = r#"
[[call]]
called = "4930123456"
release_after_ms = 100
expect = "reject"
"#;
    let (_dir, mut sim, _ss7) = start("sim-ss7-fail", scenario, &["--auto-answer"]);
    let outcome = sim.expect("call_outcome", secs(10.0));
    assert_eq!(outcome["ok"], false, "{outcome}");
    assert_eq!(outcome["answered"], true);
    let summary = sim.expect("summary", secs(5.0));
    assert_eq!(summary["ok"], false);
    let status = wait_exit(&mut sim, secs(5.0));
    assert_eq!(status.code(), Some(1), "exit status {status}");
    assert!(sim.stderr().contains("expected Reject"), "{}", sim.stderr());
}

/// Without a scenario the simulator answers every call and runs until stopped. libss7
/// disappears (its socket closes): the link goes out of service within the Q.703 times —
/// the shell counts the silence as octet counting, and the SUERM (Q.703 10.2) takes the link
/// down — and when a new libss7 connects, the link realigns by itself, MTP3 resumes and ISUP
/// resets the circuits again (Q.764 2.9.3.1), and calls flow.
#[test]
fn the_far_end_leaves_and_returns() {
    if peers::require(PeerKind::Ss7).is_none() {
        return;
    }
    let dir = SocketDir::new("sim-ss7-return");
    let sock = dir.path("pstn.sock");
    let (config, _) = files(&dir, &sock, "");
    let mut sim = Peer::spawn_program(support::sipt_mgc(), "sim", &["sim", "--config", &config]);
    let sock = sock.to_str().expect("utf-8").to_owned();
    let args = ["--connect", sock.as_str(), "--opc", "2", "--dpc", "1"];

    let mut ss7 = Peer::spawn(PeerKind::Ss7, "libss7-1", &args);
    sim.expect("up", secs(10.0));
    ss7.expect("ss7_up", secs(5.0));
    ss7.send("call 3 4930777 4940888");
    ss7.expect_with("anm", &json!({ "cic": 3 }), secs(3.0));
    drop(ss7);

    let down = sim.expect_with("link_state", &json!({"status": "OutOfService"}), secs(3.0));
    let lost = sim
        .history()
        .iter()
        .find(|e| e["event"] == "transport_down")
        .cloned()
        .expect("the transport loss was reported");
    let took = down["t"].as_f64().unwrap() - lost["t"].as_f64().unwrap();
    // 60 ms of silence, then 500 SUERM errors a second at 64 kbit/s up to the threshold of
    // 64 (Q.703 10.2): about 190 ms; allow for a busy machine.
    assert!(took < 1000.0, "out of service {took} ms after the loss");
    sim.expect("relation_paused", secs(2.0));
    // The call on CIC 3 is gone with the relation's circuits after the restart below.

    let mut ss7 = Peer::spawn(PeerKind::Ss7, "libss7-2", &args);
    sim.expect_with("link_state", &json!({"status": "Available"}), secs(10.0));
    sim.expect("relation_resumed", secs(3.0));
    ss7.expect_with("grs", &json!({"cic": 1, "range": 30}), secs(3.0));
    ss7.expect("ss7_up", secs(5.0));
    ss7.send("call 4 4930777 4940888");
    ss7.expect_with("anm", &json!({ "cic": 4 }), secs(3.0));
    ss7.send("release 4 16");
    ss7.expect_with("rlc", &json!({ "cic": 4 }), secs(3.0));
}
