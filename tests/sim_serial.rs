//! Two simulators back to back over a `serial` link on a PTY pair: one opens a new PTY
//! (`path = "pty"`) and prints its slave path, the other opens that path as its tty. Both run
//! the whole stack (HDLC octet stuffing with the FCS-16, MTP2, MTP3, ISUP): the link aligns,
//! each side places a call the other answers, and each side's GRS is answered.

mod support;

use std::time::Duration;

use serde_json::json;
use support::peers::Peer;
use support::relay::SocketDir;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn isup_config(path: &str, opc: u32, dpc: u32) -> String {
    format!(
        r#"
[[link]]
name = "serial-0"
protocol = "isup"
transport = "serial"
path = "{path}"
baud = 64000
opc = {opc}
dpc = {dpc}
cics = "1-15"
"#
    )
}

fn scenario(called: &str, grs_cic: u16) -> String {
    format!(
        r#"
[answer]
ring_after_ms = 50
answer_after_ms = 100

[[call]]
at_ms = 200
called = "{called}"
calling = "4940111222"
release_after_ms = 300
expect = "answer"

[[action]]
at_ms = 100
do = "grs"
cic = {grs_cic}
range = 2

[end]
after_ms = 2500
"#
    )
}

#[test]
fn two_simulators_over_a_serial_pty_pair() {
    let dir = SocketDir::new("sim-serial");
    let config_a = dir.write("a.toml", &isup_config("pty", 1, 2));
    let scenario_a = dir.write("a-scenario.toml", &scenario("4930111", 10));
    let mut a = Peer::spawn_program(
        support::sipt_mgc(),
        "sim-a",
        &["sim", "--config", &config_a, "--scenario", &scenario_a],
    );
    let pty = a.expect("pty", secs(5.0));
    let slave = pty["path"].as_str().expect("a PTY path").to_owned();
    assert!(slave.starts_with("/dev/pts/"), "{pty}");

    let config_b = dir.write("b.toml", &isup_config(&slave, 2, 1));
    let scenario_b = dir.write("b-scenario.toml", &scenario("4930222", 5));
    let mut b = Peer::spawn_program(
        support::sipt_mgc(),
        "sim-b",
        &["sim", "--config", &config_b, "--scenario", &scenario_b],
    );

    for p in [&mut a, &mut b] {
        p.expect_with("link_state", &json!({"status": "Available"}), secs(10.0));
        p.expect("up", secs(5.0));
    }
    // Each side's call reaches the other with its called number, and is answered.
    let iam_at_b = b.expect_with(
        "isup",
        &json!({"message_type": "IAM", "dir": "in"}),
        secs(5.0),
    );
    assert!(iam_at_b.to_string().contains("4930111"), "{iam_at_b}");
    let iam_at_a = a.expect_with(
        "isup",
        &json!({"message_type": "IAM", "dir": "in"}),
        secs(5.0),
    );
    assert!(iam_at_a.to_string().contains("4930222"), "{iam_at_a}");
    for p in [&mut a, &mut b] {
        let summary = p.expect("summary", secs(10.0));
        assert_eq!(summary["ok"], true, "{summary}");
        assert_eq!(summary["calls_placed"], 1, "{summary}");
        assert_eq!(summary["calls_answered"], 1, "{summary}");
        assert_eq!(summary["calls_received"], 1, "{summary}");
        let status = p.wait_exit(secs(5.0)).expect("the simulator exits");
        assert!(status.success(), "{status}");
    }
    // The GRS of each side was answered by the other (the summary's ok says so too).
    let gra_at_a = a.history().iter().any(|e| {
        support::peers::has_fields(e, &json!({"event": "action_acknowledged", "cic": 10}))
    });
    let gra_at_b = b
        .history()
        .iter()
        .any(|e| support::peers::has_fields(e, &json!({"event": "action_acknowledged", "cic": 5})));
    assert!(gra_at_a && gra_at_b);
}

fn qsig_config(path: &str, role: &str) -> String {
    format!(
        r#"
[[link]]
name = "pbx-serial"
protocol = "qsig"
role = "{role}"
transport = "serial"
path = "{path}"
baud = 64000
channels = "1-15,17-31"
"#
    )
}

fn qsig_scenario(called: &str, name: &str, channel: u8, restart: u8) -> String {
    format!(
        r#"
[answer]
ring_after_ms = 50
answer_after_ms = 100

[[call]]
at_ms = 300
called = "{called}"
calling = "1001"
name = "{name}"
cic = {channel}
release_after_ms = 300
expect = "answer"

[[action]]
at_ms = 100
do = "restart"
cic = {restart}

[end]
after_ms = 2500
"#
    )
}

/// The same with Q.921 and QSIG: a network side on a new PTY, a user side on its slave. Each
/// places a named call the other answers, and each restarts a B-channel.
#[test]
fn two_qsig_simulators_over_a_serial_pty_pair() {
    let dir = SocketDir::new("sim-serial-qsig");
    let config_a = dir.write("a.toml", &qsig_config("pty", "network"));
    let scenario_a = dir.write("a-s.toml", &qsig_scenario("2001", "Alice", 3, 7));
    let mut a = Peer::spawn_program(
        support::sipt_mgc(),
        "qsig-a",
        &["sim", "--config", &config_a, "--scenario", &scenario_a],
    );
    let pty = a.expect("pty", secs(5.0));
    let slave = pty["path"].as_str().expect("a PTY path").to_owned();
    let config_b = dir.write("b.toml", &qsig_config(&slave, "user"));
    let scenario_b = dir.write("b-s.toml", &qsig_scenario("1001", "Bob", 4, 8));
    let mut b = Peer::spawn_program(
        support::sipt_mgc(),
        "qsig-b",
        &["sim", "--config", &config_b, "--scenario", &scenario_b],
    );
    let at_b = b.expect("call_received", secs(10.0));
    assert_eq!(at_b["channel"], 3, "{at_b}");
    assert!(at_b.to_string().contains("Alice"), "{at_b}");
    let at_a = a.expect("call_received", secs(10.0));
    assert_eq!(at_a["channel"], 4, "{at_a}");
    assert!(at_a.to_string().contains("Bob"), "{at_a}");
    for p in [&mut a, &mut b] {
        let summary = p.expect("summary", secs(10.0));
        assert_eq!(summary["ok"], true, "{summary}");
        assert_eq!(summary["calls_answered"], 1, "{summary}");
        assert_eq!(summary["calls_received"], 1, "{summary}");
        assert!(p.wait_exit(secs(5.0)).expect("exits").success());
        for msg in [
            "SETUP",
            "ALERTING",
            "CONNECT",
            "DISCONNECT",
            "RELEASE",
            "RELEASE COMPLETE",
        ] {
            for dir in ["in", "out"] {
                assert!(
                    p.history().iter().any(|e| e["event"] == "q931"
                        && e["dir"] == dir
                        && e.to_string().contains(&format!("\"{msg}\""))),
                    "{msg} {dir} missing"
                );
            }
        }
    }
}
