//! The simulator's load mode: one simulator places calls at a steady rate over a `frames`
//! link, another answers them; every call must be placed, answered and released, with no
//! failed expectation on either side.

mod support;

use std::time::Duration;

use support::peers::Peer;
use support::relay::SocketDir;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

fn config(path: &str, opc: u32, dpc: u32) -> String {
    format!(
        r#"
[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "{path}"
opc = {opc}
dpc = {dpc}
cics = "1-31,33-63"
"#
    )
}

#[test]
fn load_mode_places_every_call_and_the_far_end_answers_them() {
    let dir = SocketDir::new("sim-load");
    let sock = dir.path("load.sock");
    let sock = sock.to_str().expect("utf-8");
    let a = dir.write("a.toml", &config(&format!("unix-listen:{sock}"), 1, 2));
    let b = dir.write("b.toml", &config(&format!("unix:{sock}"), 2, 1));
    let load = dir.write(
        "load.toml",
        r#"
[load]
cps = 40
hold_ms = 300
duration_ms = 2000
called = "4930xxxx"
calling = "4940111222"
"#,
    );
    let answer = dir.write(
        "answer.toml",
        r#"
[answer]
ring_after_ms = 20
answer_after_ms = 50

[end]
after_ms = 3500
"#,
    );
    let mut caller = Peer::spawn_program(
        support::sipt_mgc(),
        "caller",
        &["sim", "--config", &a, "--scenario", &load],
    );
    let mut callee = Peer::spawn_program(
        support::sipt_mgc(),
        "callee",
        &["sim", "--config", &b, "--scenario", &answer],
    );
    let s = caller.expect("summary", secs(20.0));
    assert_eq!(s["ok"], true, "{s}");
    assert_eq!(s["calls_placed"], 80, "{s}");
    assert_eq!(s["calls_answered"], 80, "{s}");
    let s = callee.expect("summary", secs(10.0));
    assert_eq!(s["ok"], true, "{s}");
    assert_eq!(s["calls_received"], 80, "{s}");
    for p in [&mut caller, &mut callee] {
        assert!(p.wait_exit(secs(5.0)).expect("exits").success());
    }
}
