//! `sipt-mgc sim` as a QSIG PBX against libpri (tests/peers/pripeer.c, switch type QSIG) on a
//! `frames` link: the simulator listens (`unix-listen:`), pripeer connects with the opposite
//! Q.921 role. Each test runs the real binary with a scenario and reads both sides' events:
//! our JSON lines (every Q.931 message in and out, every call event) and pripeer's (`q931`
//! for every message libpri sends or receives, and libpri's own events).
//!
//! - a call the simulator places, libpri answers and the simulator releases (both roles);
//! - a call libpri places, with a calling name, that the simulator answers and libpri clears;
//! - a call the simulator rejects with a cause;
//! - RESTART of one B-channel and of the interface, acknowledged;
//! - the exit status: 0 when the scenario's expectations are met, non-zero when one fails.

mod support;

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use support::peers::{self, event, Peer, PeerKind};
use support::relay::SocketDir;

fn secs(s: f64) -> Duration {
    Duration::from_secs_f64(s)
}

/// The simulator as a child process; its JSON lines are read as they come.
struct Sim {
    child: Child,
    lines: Receiver<Value>,
    history: Vec<Value>,
    stderr: Arc<Mutex<String>>,
}

impl Sim {
    /// Runs `sipt-mgc sim` on a QSIG link of `role` listening at `socket`, with `scenario`
    /// (without its `[end]`: `end_after_ms` there, 0 for "when everything is done").
    fn spawn(dir: &SocketDir, socket: &str, role: &str, scenario: &str, end_after_ms: u64) -> Sim {
        let config = dir.path("sim.toml");
        std::fs::write(
            &config,
            format!(
                "[[link]]\nname = \"pbx\"\nprotocol = \"qsig\"\nrole = \"{role}\"\n\
                 transport = \"frames\"\npath = \"unix-listen:{socket}\"\n\
                 channels = \"1-15,17-31\"\ntrunk_group = \"pbx\"\n"
            ),
        )
        .expect("writing the configuration");
        let scenario_path = dir.path("scenario.toml");
        std::fs::write(
            &scenario_path,
            format!(
                "{scenario}\n[end]\nafter_ms = {end_after_ms}\nwait_up_ms = 10000\nsettle_ms = 300\n"
            ),
        )
        .expect("writing the scenario");
        let mut child = Command::new(env!("CARGO_BIN_EXE_sipt-mgc"))
            .arg("sim")
            .arg("--config")
            .arg(&config)
            .arg("--scenario")
            .arg(&scenario_path)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starting sipt-mgc sim");
        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let v = serde_json::from_str(&line)
                    .unwrap_or_else(|_| json!({ "event": "unparsed", "line": line }));
                if tx.send(v).is_err() {
                    break;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(String::new()));
        let sink = Arc::clone(&stderr);
        let mut pipe = child.stderr.take().expect("piped stderr");
        thread::spawn(move || {
            let mut s = String::new();
            let _ = pipe.read_to_string(&mut s);
            sink.lock().unwrap_or_else(|p| p.into_inner()).push_str(&s);
        });
        Sim {
            child,
            lines: rx,
            history: Vec::new(),
            stderr,
        }
    }

    fn dump(&self) -> String {
        let from = self.history.len().saturating_sub(60);
        let mut s = String::new();
        for e in &self.history[from..] {
            s.push_str(&format!("  {e}\n"));
        }
        s
    }

    /// Waits for an event of ours named `name` with every field of `fields`.
    fn expect(&mut self, name: &str, fields: Value, timeout: Duration) -> Value {
        let pred = event(name, fields.clone());
        if let Some(e) = self.history.iter().find(|e| pred(e)) {
            return e.clone();
        }
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(e) => {
                    self.history.push(e.clone());
                    if pred(&e) {
                        return e;
                    }
                }
                Err(_) => panic!(
                    "sim: no `{name}` with {fields} within {timeout:?}; its last events:\n{}",
                    self.dump()
                ),
            }
        }
    }

    /// Waits for the simulator to exit; returns its status with every event.
    fn finish(&mut self, timeout: Duration) -> ExitStatus {
        let deadline = Instant::now() + timeout;
        loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                // The reader thread ends at end of file: take everything it read.
                while let Ok(e) = self.lines.recv_timeout(secs(1.0)) {
                    self.history.push(e);
                }
                return status;
            }
            while let Ok(e) = self.lines.try_recv() {
                self.history.push(e);
            }
            if Instant::now() >= deadline {
                panic!(
                    "sim: still running after {timeout:?}; its last events:\n{}",
                    self.dump()
                );
            }
            thread::sleep(Duration::from_millis(20));
        }
    }

    fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// The Q.931 messages we logged as `(dir, message type)`.
    fn q931(&self) -> Vec<(String, String)> {
        self.history
            .iter()
            .filter(|e| e["event"] == "q931")
            .map(|e| {
                (
                    e["dir"].as_str().unwrap_or("").to_owned(),
                    e["message_type"].as_str().unwrap_or("").to_owned(),
                )
            })
            .collect()
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// pripeer connecting to the simulator's socket with the Q.921 role opposite to `sim_role`.
fn pripeer(socket: &str, sim_role: &str, extra: &[&str]) -> Peer {
    let node = if sim_role == "user" {
        "network"
    } else {
        "user"
    };
    let mut args = vec!["--connect", socket, "--node", node];
    args.extend_from_slice(extra);
    Peer::spawn(PeerKind::Pri, "libpri", &args)
}

/// libpri's Q.931 messages as `(dir, message name)`.
fn pri_q931(pri: &mut Peer) -> Vec<(String, String)> {
    pri.history()
        .iter()
        .filter(|e| e["event"] == "q931")
        .map(|e| {
            (
                e["dir"].as_str().unwrap_or("").to_owned(),
                e["msg"].as_str().unwrap_or("").to_owned(),
            )
        })
        .collect()
}

/// Asserts that `want` occurs in `seen` in this order (other messages may come between).
fn assert_in_order(who: &str, seen: &[(String, String)], want: &[(&str, &str)]) {
    let mut it = seen.iter();
    for (dir, msg) in want {
        assert!(
            it.any(|(d, m)| d == dir && m == msg),
            "{who}: {dir} {msg} missing or out of order in {want:?}; saw {seen:?}"
        );
    }
}

/// The clearing of a call answered: DISCONNECT, RELEASE, RELEASE COMPLETE as `from_us`
/// (the side that cleared first sent DISCONNECT).
fn clearing(first: &'static str, second: &'static str) -> [(&'static str, &'static str); 3] {
    [
        (first, "DISCONNECT"),
        (second, "RELEASE"),
        (first, "RELEASE COMPLETE"),
    ]
}

fn sim_places_a_call_libpri_answers_and_the_sim_releases(role: &str) {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let dir = SocketDir::new(&format!("simq-out-{role}"));
    let socket = dir.path("d.sock");
    let socket = socket.to_str().expect("UTF-8 path");
    let mut sim = Sim::spawn(
        &dir,
        socket,
        role,
        r#"
[[call]]
at_ms = 100
called = "2001"
calling = "1001"
calling_nai = "subscriber"
name = "Alice Smith"
cic = 3
release_after_ms = 300
expect = "answer"
"#,
        0,
    );
    let mut pri = pripeer(socket, role, &["--auto-answer"]);

    let status = sim.finish(secs(15.0));
    assert!(
        status.success(),
        "sim exited {status}: {}\n{}",
        sim.stderr(),
        sim.dump()
    );
    // Our side: the whole call, in order.
    let mut want = vec![
        ("out", "SETUP"),
        ("in", "CALL PROCEEDING"),
        ("in", "ALERTING"),
        ("in", "CONNECT"),
        ("out", "CONNECT ACKNOWLEDGE"),
    ];
    want.extend(clearing("out", "in"));
    assert_in_order("sim", &sim.q931(), &want);
    let outcome = sim.expect("call_outcome", json!({ "call": "call[0]" }), secs(0.0));
    assert_eq!(outcome["alerted"], true);
    assert_eq!(outcome["answered"], true);
    assert_eq!(outcome["ok"], true);
    let summary = sim.expect("summary", json!({}), secs(0.0));
    assert_eq!(summary["calls_placed"], 1);
    assert_eq!(summary["calls_answered"], 1);

    // libpri's side: the same messages the other way, and the SETUP as libpri understood it.
    pri.expect_seen(
        event("q931", json!({ "dir": "rx", "msg": "RELEASE COMPLETE" })),
        secs(5.0),
    )
    .unwrap_or_else(|e| panic!("{e:?}"));
    let mut want = vec![
        ("rx", "SETUP"),
        ("tx", "CALL PROCEEDING"),
        ("tx", "ALERTING"),
        ("tx", "CONNECT"),
        ("rx", "CONNECT ACKNOWLEDGE"),
    ];
    want.extend(clearing("rx", "tx"));
    assert_in_order("libpri", &pri_q931(&mut pri), &want);
    let setup = pri
        .expect_seen(event("setup", json!({})), secs(0.0))
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(setup["channel"], 3);
    assert_eq!(setup["called"], "2001");
    assert_eq!(setup["calling"], "1001");
    assert_eq!(setup["calling_name"], "Alice Smith");
    // Subscriber number (type 4), E.164 (plan 1): (4 << 4) | 1.
    assert_eq!(setup["calling_plan"], 0x41);
    pri.expect_seen(event("disconnect", json!({ "cause": 16 })), secs(0.0))
        .unwrap_or_else(|e| panic!("{e:?}"));
}

#[test]
fn sim_as_network_places_a_call_libpri_answers() {
    sim_places_a_call_libpri_answers_and_the_sim_releases("network");
}

#[test]
fn sim_as_user_places_a_call_libpri_answers() {
    sim_places_a_call_libpri_answers_and_the_sim_releases("user");
}

/// Starts the simulator answering calls as `answer` says for `run_ms` after the data link is
/// up, and pripeer; returns once our initial RESTART is acknowledged (a call placed by libpri
/// before it would be cleared by it).
fn sim_receiving(
    tag: &str,
    answer: &str,
    run_ms: u64,
    pri_extra: &[&str],
) -> (SocketDir, Sim, Peer) {
    let dir = SocketDir::new(tag);
    let socket = dir.path("d.sock");
    let socket = socket.to_str().expect("UTF-8 path").to_owned();
    let mut sim = Sim::spawn(
        &dir,
        &socket,
        "network",
        &format!("[answer]\n{answer}\n"),
        run_ms,
    );
    let pri = pripeer(&socket, "network", pri_extra);
    sim.expect(
        "restarted",
        json!({ "initiator": "local", "scope": "interface" }),
        secs(10.0),
    );
    (dir, sim, pri)
}

#[test]
fn libpri_places_a_named_call_the_sim_answers_libpri_clears() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let (_dir, mut sim, mut pri) = sim_receiving(
        "simq-in",
        "mode = \"answer\"\nring_after_ms = 100\nanswer_after_ms = 200",
        2500,
        &[],
    );
    pri.send("call 5 2001 1001 Bob Jones");
    let received = sim.expect("call_received", json!({}), secs(5.0));
    assert_eq!(received["channel"], 5);
    assert_eq!(received["called"], "2001");
    assert_eq!(received["calling"], "1001");
    assert_eq!(received["calling_name"], "Bob Jones");
    // The call layer's own event carries the name decoded from libpri's callingName invoke.
    let incoming = sim.expect("incoming_call", json!({}), secs(0.0));
    assert_eq!(incoming["calling_name"]["name"], "Bob Jones");
    assert_eq!(incoming["calling"]["digits"], "1001");

    pri.expect("connect", secs(5.0));
    pri.send("hangup 5 16");
    // libpri reports the RELEASE answering its DISCONNECT as a hangup (`release`).
    pri.expect_with("release", &json!({ "channel": 5, "cause": 16 }), secs(5.0));
    let cleared = sim.expect("cleared", json!({ "reason": "remote" }), secs(5.0));
    assert_eq!(cleared["cause"]["cause_value"], 16);

    let status = sim.finish(secs(10.0));
    assert!(status.success(), "sim exited {status}: {}", sim.stderr());
    let mut want = vec![
        ("in", "SETUP"),
        ("out", "CALL PROCEEDING"),
        ("out", "ALERTING"),
        ("out", "CONNECT"),
        ("in", "CONNECT ACKNOWLEDGE"),
    ];
    want.extend(clearing("in", "out"));
    assert_in_order("sim", &sim.q931(), &want);
    let mut want = vec![
        ("tx", "SETUP"),
        ("rx", "CALL PROCEEDING"),
        ("rx", "ALERTING"),
        ("rx", "CONNECT"),
        ("tx", "CONNECT ACKNOWLEDGE"),
    ];
    want.extend(clearing("tx", "rx"));
    assert_in_order("libpri", &pri_q931(&mut pri), &want);
    pri.expect_seen(event("proceeding", json!({ "channel": 5 })), secs(0.0))
        .unwrap_or_else(|e| panic!("{e:?}"));
    pri.expect_seen(event("alerting", json!({ "channel": 5 })), secs(0.0))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let summary = sim.expect("summary", json!({}), secs(0.0));
    assert_eq!(summary["calls_received"], 1);
}

#[test]
fn the_sim_rejects_a_call_with_a_cause_libpri_sees() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let (_dir, mut sim, mut pri) = sim_receiving(
        "simq-rej",
        "mode = \"reject\"\nring_after_ms = 50\ncause = 17",
        1500,
        &[],
    );
    pri.send("call 7 2002 1001");
    // Q.931 5.2.5.3: RELEASE COMPLETE with the cause, the first and only answer to SETUP.
    let rc = pri
        .expect_event(
            event("q931", json!({ "dir": "rx", "msg": "RELEASE COMPLETE" })),
            secs(5.0),
        )
        .unwrap_or_else(|e| panic!("{e:?}"));
    assert_eq!(rc["cause"], 17);
    pri.expect_with("release", &json!({ "channel": 7, "cause": 17 }), secs(1.0));
    let cleared = sim.expect("cleared", json!({ "reason": "local" }), secs(1.0));
    assert_eq!(cleared["cause"]["cause_value"], 17);
    let status = sim.finish(secs(10.0));
    assert!(status.success(), "sim exited {status}: {}", sim.stderr());
    assert_in_order(
        "sim",
        &sim.q931(),
        &[("in", "SETUP"), ("out", "RELEASE COMPLETE")],
    );
    assert!(
        !sim.q931()
            .iter()
            .any(|(d, m)| d == "out" && (m == "ALERTING" || m == "CALL PROCEEDING")),
        "a rejected call is not answered: {:?}",
        sim.q931()
    );
}

#[test]
fn restart_of_a_channel_and_of_the_interface_is_acknowledged() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let dir = SocketDir::new("simq-rst");
    let socket = dir.path("d.sock");
    let socket = socket.to_str().expect("UTF-8 path");
    let mut sim = Sim::spawn(
        &dir,
        socket,
        "user",
        r#"
[[action]]
at_ms = 200
do = "restart"
cic = 4

[[action]]
at_ms = 400
do = "restart"
cic = 0
"#,
        0,
    );
    let mut pri = pripeer(socket, "user", &[]);
    let status = sim.finish(secs(15.0));
    assert!(
        status.success(),
        "sim exited {status}: {}\n{}",
        sim.stderr(),
        sim.dump()
    );
    let ack = sim.expect(
        "action_acknowledged",
        json!({ "action": "action[0]" }),
        secs(0.0),
    );
    assert_eq!(ack["scope"], json!({ "channels": [4] }));
    let ack = sim.expect(
        "action_acknowledged",
        json!({ "action": "action[1]" }),
        secs(0.0),
    );
    assert_eq!(ack["scope"], "interface");
    // The initial restart of the interface, then the two of the scenario.
    let restarts: Vec<_> = sim
        .q931()
        .into_iter()
        .filter(|(_, m)| m.starts_with("RESTART"))
        .collect();
    assert_eq!(
        restarts,
        [("out", "RESTART"), ("in", "RESTART ACKNOWLEDGE")]
            .repeat(3)
            .iter()
            .map(|(d, m)| (d.to_string(), m.to_string()))
            .collect::<Vec<_>>()
    );
    pri.expect_seen(event("restart", json!({ "channel": 4 })), secs(2.0))
        .unwrap_or_else(|e| panic!("{e:?}"));
    let acks: Vec<Value> = pri
        .history()
        .iter()
        .filter(|e| e["event"] == "q931" && e["msg"] == "RESTART ACKNOWLEDGE" && e["dir"] == "tx")
        .cloned()
        .collect();
    assert_eq!(acks.len(), 3, "{acks:?}");
    assert_eq!(acks[1]["channel"], 4);
}

#[test]
fn an_expectation_not_met_makes_the_sim_fail() {
    if peers::require(PeerKind::Pri).is_none() {
        return;
    }
    let dir = SocketDir::new("simq-neg");
    let socket = dir.path("d.sock");
    let socket = socket.to_str().expect("UTF-8 path");
    // libpri refuses calls on B-channels outside its --channels (pripeer: cause 44, requested
    // circuit/channel not available, which libpri sends in RELEASE COMPLETE).
    let mut sim = Sim::spawn(
        &dir,
        socket,
        "network",
        r#"
[[call]]
called = "2001"
cic = 3
expect = "reject"
expect_cause = 44

[[call]]
at_ms = 300
called = "2002"
cic = 4
expect = "answer"
"#,
        0,
    );
    let _pri = pripeer(socket, "network", &["--auto-answer", "--channels", "20-25"]);
    let status = sim.finish(secs(15.0));
    assert_eq!(status.code(), Some(1), "{}\n{}", sim.stderr(), sim.dump());
    let summary = sim.expect("summary", json!({}), secs(0.0));
    assert_eq!(summary["ok"], false);
    let failures = summary["failures"].as_array().cloned().unwrap_or_default();
    assert_eq!(failures.len(), 1, "{failures:?}");
    assert!(
        failures[0].as_str().unwrap_or("").starts_with("call[1]"),
        "{failures:?}"
    );
    let stderr = sim.stderr();
    assert!(stderr.contains("call[1]: expected Answer"), "{stderr}");
    let first = sim.expect("call_outcome", json!({ "call": "call[0]" }), secs(0.0));
    assert_eq!(first["ok"], true);
    assert_eq!(first["cause"], 44);
}
