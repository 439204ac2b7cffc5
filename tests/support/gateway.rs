//! A rig around `sipt-mgc run` for the end-to-end tests: the gateway's configuration, the
//! gateway as a child process (its JSON-line log read as events), libss7 (tests/peers/ss7peer.c)
//! on its ISUP link, ISUP octets out of ss7peer's `--trace` frames, and a UDP tap that sits
//! between the gateway and a SIP peer and keeps every datagram for tshark.
//!
//! ```ignore
//! let dir = SocketDir::new("gw-x");
//! let gw = GatewayProcess::start(&dir, "gw", &[], &[Route::sip("49", uas.local_addr())]);
//! let mut ss7 = ss7_switch("libss7", &gw.link, &[]);
//! ss7.send("call 5 4930123456 4940111222");
//! ```

use std::net::{SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::peers::{Peer, PeerKind};
use super::relay::SocketDir;

pub fn secs(s: u64) -> Duration {
    Duration::from_secs(s)
}

/// A UDP port that was free a moment ago on 127.0.0.1.
pub fn free_udp_port() -> u16 {
    UdpSocket::bind("127.0.0.1:0")
        .and_then(|s| s.local_addr())
        .map(|a| a.port())
        .expect("a free UDP port")
}

/// One `[[route]]` of the gateway's configuration.
#[derive(Debug, Clone)]
pub struct Route {
    pub prefix: String,
    pub to: String,
    pub alternates: Vec<String>,
}

impl Route {
    /// Numbers starting with `prefix` go to `sip:{number}@peer`.
    pub fn sip(prefix: &str, peer: SocketAddr) -> Route {
        Route {
            prefix: prefix.to_owned(),
            to: format!("sip:{{number}}@{peer}"),
            alternates: Vec::new(),
        }
    }

    /// Numbers starting with `prefix` go to the ISUP trunk group "pstn" (the rig's link).
    pub fn trunk(prefix: &str) -> Route {
        Route {
            prefix: prefix.to_owned(),
            to: "trunk:pstn".to_owned(),
            alternates: Vec::new(),
        }
    }

    /// Tried in order when the target answers 503 or 408 or not at all.
    pub fn alternate(mut self, peer: SocketAddr) -> Route {
        self.alternates.push(format!("sip:{{number}}@{peer}"));
        self
    }

    /// The route as one `[[route]]` table of the configuration.
    pub fn toml(&self) -> String {
        let mut s = format!(
            "\n[[route]]\nprefix = \"{}\"\nto = \"{}\"\n",
            self.prefix, self.to
        );
        if !self.alternates.is_empty() {
            let list: Vec<String> = self.alternates.iter().map(|a| format!("\"{a}\"")).collect();
            s.push_str(&format!("alternates = [{}]\n", list.join(", ")));
        }
        s
    }
}

/// The configuration of one gateway: SIP on 127.0.0.1:`sip_port` (UDP), one ISUP link
/// (OPC 1, DPC 2, CICs 1-31, trunk group "pstn") listening on `link`, the `trusted` peers and
/// the `routes`.
pub fn config_text(sip_port: u16, link: &Path, trusted: &[&str], routes: &[Route]) -> String {
    let trusted: Vec<String> = trusted.iter().map(|t| format!("\"{t}\"")).collect();
    let mut text = format!(
        r#"
[sip]
listen = ["udp:127.0.0.1:{sip_port}"]
trusted = [{trusted}]

[[link]]
name = "e1-0"
protocol = "isup"
transport = "frames"
path = "unix-listen:{link}"
opc = 1
dpc = 2
cics = "1-31"
trunk_group = "pstn"
"#,
        trusted = trusted.join(", "),
        link = link.display(),
    );
    for r in routes {
        text.push_str(&r.toml());
    }
    text
}

/// `sipt-mgc run` with a configuration of [`config_text`].
pub struct GatewayProcess {
    /// Its log: one JSON object per line, read as events.
    pub log: Peer,
    /// Its SIP address (UDP).
    pub sip: SocketAddr,
    /// The `frames` socket its ISUP link listens on.
    pub link: PathBuf,
}

impl GatewayProcess {
    /// Starts a gateway named `name` (its files in `dir`).
    pub fn start(dir: &SocketDir, name: &str, trusted: &[&str], routes: &[Route]) -> Self {
        let link = dir.path(&format!("{name}-e1.sock"));
        let port = free_udp_port();
        let text = config_text(port, &link, trusted, routes);
        let config = dir.write(&format!("{name}.toml"), &text);
        let log = Peer::spawn_program(super::sipt_mgc(), name, &["run", "--config", &config]);
        GatewayProcess {
            log,
            sip: SocketAddr::from(([127, 0, 0, 1], port)),
            link,
        }
    }

    /// Asserts that the gateway refused none of its own commands to ISUP or the UA and
    /// discarded no SIP input (`refused`, `sip_discarded` events: bugs or races).
    pub fn assert_no_refusals(&mut self) {
        let bad: Vec<&Value> = self
            .log
            .history()
            .iter()
            .filter(|e| e["event"] == "refused" || e["event"] == "sip_discarded")
            .collect();
        assert!(bad.is_empty(), "the gateway refused or discarded: {bad:?}");
    }

    /// The next `call_ended` event of the log.
    pub fn call_ended(&mut self, timeout: Duration) -> Value {
        self.log
            .expect_event(|e| e["event"] == "call_ended", timeout)
            .unwrap_or_else(|e| panic!("{e}"))
    }

    /// The next `call_ended` event, which must be of an answered call.
    pub fn answered_call_ended(&mut self, timeout: Duration) -> Value {
        let ended = self.call_ended(timeout);
        assert_eq!(ended["answered"], true, "{ended}");
        ended
    }
}

/// libss7 as the PSTN switch on the gateway's link (OPC 2, DPC 1, CICs 1-31), with `extra`
/// options; returns once the link is up and it has answered the gateway's GRS
/// (Q.764 2.9.3.1: the gateway resets its circuits when MTP resumes).
pub fn ss7_switch(name: &str, link: &Path, extra: &[&str]) -> Peer {
    let sock = link.to_str().expect("utf-8 socket path");
    let mut args = vec![
        "--connect",
        sock,
        "--opc",
        "2",
        "--dpc",
        "1",
        "--cics",
        "1-31",
    ];
    args.extend_from_slice(extra);
    let mut ss7 = Peer::spawn(PeerKind::Ss7, name, &args);
    ss7.expect("grs", secs(15));
    ss7.expect("ss7_up", secs(10));
    ss7
}

/// An ISUP message as libss7 sent (`dir` "tx") or received ("rx") it, from ss7peer's
/// `--trace` frames: the frame octets without FCS, and the part from the message type on
/// (what follows the routing label and the CIC: Q.763 1.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IsupFrame {
    pub frame: Vec<u8>,
    pub cic: u16,
    /// SIO (Q.704 14.2): network indicator and service indicator.
    pub sio: u8,
    /// Message type code and parameters.
    pub message: Vec<u8>,
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    if s.len() % 2 != 0 {
        return None;
    }
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(s.get(i..i + 2)?, 16).ok())
        .collect()
}

/// The ISUP messages of type `message_type` in ss7peer's `frame` events going `dir`, in
/// order, each once (MTP2 retransmissions, the same FSN and octets again, are left out).
pub fn isup_frames(events: &[Value], dir: &str, message_type: u8) -> Vec<IsupFrame> {
    let mut out: Vec<IsupFrame> = Vec::new();
    for e in events {
        if e["event"] != "frame" || e["dir"] != dir || e["su"] != "MSU" {
            continue;
        }
        let Some(f) = e["hex"].as_str().and_then(unhex) else {
            continue;
        };
        // BSN, FSN, LI, SIO, routing label (4, ITU), CIC (2), message type; FCS (2) last.
        if f.len() < 13 || f[3] & 0x0f != 5 || f[10] != message_type {
            continue;
        }
        let frame = f[..f.len() - 2].to_vec();
        let m = IsupFrame {
            cic: u16::from(f[8]) | (u16::from(f[9] & 0x0f) << 8),
            sio: f[3],
            message: frame[10..].to_vec(),
            frame,
        };
        if !out.iter().any(|o| o.frame == m.frame) {
            out.push(m);
        }
    }
    out
}

/// The ISUP frames of `message_type` in `peer`'s trace, once at least `count` of them have
/// been read (within ten seconds; fewer after that, for the caller's assertion to show).
/// Each harness prints its trace on its own thread, so a far end may already have acted on a
/// frame whose sender's trace line has not been read yet.
pub fn traced_isup_frames(
    peer: &mut Peer,
    dir: &str,
    message_type: u8,
    count: usize,
) -> Vec<IsupFrame> {
    let deadline = Instant::now() + secs(10);
    loop {
        let frames = isup_frames(peer.history(), dir, message_type);
        if frames.len() >= count || Instant::now() >= deadline {
            return frames;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
}

/// One datagram through a [`SipTap`].
#[derive(Debug, Clone)]
pub struct Datagram {
    pub from: SocketAddr,
    pub to: SocketAddr,
    pub bytes: Vec<u8>,
}

/// A UDP relay between the gateway and a SIP peer that keeps every datagram: the gateway's
/// route points at the tap's address, the tap forwards to `peer` from the same socket, and
/// whatever comes back from `peer` goes to the last address that was not `peer`. What it
/// keeps is what went over the wire, in order, for a pcap.
pub struct SipTap {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Vec<Datagram>>>,
    thread: Option<thread::JoinHandle<()>>,
}

impl SipTap {
    pub fn start(peer: SocketAddr) -> SipTap {
        let socket = UdpSocket::bind("127.0.0.1:0").expect("tap: binding");
        socket
            .set_read_timeout(Some(Duration::from_millis(20)))
            .expect("tap: read timeout");
        let addr = socket.local_addr().expect("tap: address");
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Vec::new()));
        let (s, k) = (Arc::clone(&stop), Arc::clone(&seen));
        let thread = thread::Builder::new()
            .name("sip-tap".into())
            .spawn(move || {
                let mut buf = vec![0u8; 65_536];
                let mut client: Option<SocketAddr> = None;
                while !s.load(Ordering::Relaxed) {
                    let Ok((n, from)) = socket.recv_from(&mut buf) else {
                        continue;
                    };
                    let to = if from == peer {
                        match client {
                            Some(c) => c,
                            None => continue,
                        }
                    } else {
                        client = Some(from);
                        peer
                    };
                    let bytes = buf[..n].to_vec();
                    let _ = socket.send_to(&bytes, to);
                    k.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push(Datagram { from, to, bytes });
                }
            })
            .expect("tap: thread");
        SipTap {
            addr,
            stop,
            seen,
            thread: Some(thread),
        }
    }

    /// Where the gateway sends (the route's target).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every datagram so far.
    pub fn datagrams(&self) -> Vec<Datagram> {
        self.seen.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Waits until a datagram matching `pred` has gone through.
    pub fn wait_for(&self, pred: impl Fn(&Datagram) -> bool, timeout: Duration) -> Datagram {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(d) = self.datagrams().into_iter().find(|d| pred(d)) {
                return d;
            }
            if Instant::now() > deadline {
                let seen: Vec<String> = self
                    .datagrams()
                    .iter()
                    .map(|d| {
                        let text = String::from_utf8_lossy(&d.bytes);
                        format!(
                            "{} -> {}: {}",
                            d.from,
                            d.to,
                            text.lines().next().unwrap_or("")
                        )
                    })
                    .collect();
                panic!(
                    "tap: no such datagram within {timeout:?}; seen:\n{}",
                    seen.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for SipTap {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// The start line of a SIP datagram.
pub fn start_line(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .lines()
        .next()
        .unwrap_or("")
        .to_owned()
}
