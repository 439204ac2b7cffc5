//! Transactions per second through the SIP stack on loopback (issue 4): two [`UaShell`]s, a
//! UAC and a UAS, on 127.0.0.1, both ends and their transport tasks on ONE thread (a tokio
//! current-thread runtime), over UDP and over TCP. Everything real: sockets, transport
//! tasks, parser, transactions (RFC 3261 17), dialogs (12), the UA core; default timers.
//!
//! - `calls`: complete calls, INVITE / 180 / 200 / ACK / BYE / 200, with N calls in flight:
//!   the UAC places a call, hangs up as soon as it is answered and places the next when the
//!   BYE is answered. Per call: two transactions (INVITE, BYE) plus the ACK of the 2xx
//!   (13.2.2.4, a transaction of its own in RFC 3261 17.1.1.3's words but with no
//!   response) — counted as 3 in "transactions/s" — and 6 messages. Figures: calls/s,
//!   transactions/s, messages/s on the wire (both shells' transport counters), CPU of the
//!   process over wall time, and the INVITE -> 200 latency (p50, p99, max) seen by the UAC.
//! - `info`: non-INVITE transactions: N established calls, each with one INFO outstanding
//!   (the next sent when the 200 of the last comes). Figures: INFO transactions/s, CPU, and
//!   INFO -> 200 latency.
//! - `parse`: `Message::parse` + `Message::to_bytes` of the RFC 3665 3.1 F1 INVITE, a sanity
//!   figure for what the stack spends on octets.
//!
//! A plain `harness = false` program printing its figures (as benches/links.rs):
//! `cargo bench --bench sip_stack` (`-- calls`, `-- info` or `-- parse` for one part;
//! `SIPBENCH_WINDOW_SECS=30` for a longer window than 3 s).
//! Under `cargo test --benches` it runs short windows only, as a smoke test.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sipt_mgc::shell::Clock;
use sipt_mgc::sip::message::{Message, Method, NameAddr, Uri};
use sipt_mgc::sip::shell::UaShell;
use sipt_mgc::sip::transport::{Target, TransportKind};
use sipt_mgc::sip::ua::{CallHandle, UaConfig, UaEvent};

/// RFC 3665 3.1, message F1 (Alice's INVITE to Bob), with the RFC's SDP.
const RFC3665_F1_HEAD: &str = "INVITE sip:bob@biloxi.example.com SIP/2.0\r\n\
Via: SIP/2.0/TCP client.atlanta.example.com:5060;branch=z9hG4bK74bf9\r\n\
Max-Forwards: 70\r\n\
From: Alice <sip:alice@atlanta.example.com>;tag=9fxced76sl\r\n\
To: Bob <sip:bob@biloxi.example.com>\r\n\
Call-ID: 3848276298220188511@atlanta.example.com\r\n\
CSeq: 1 INVITE\r\n\
Contact: <sip:alice@client.atlanta.example.com;transport=tcp>\r\n\
Content-Type: application/sdp\r\n";
const RFC3665_F1_SDP: &str = "v=0\r\n\
o=alice 2890844526 2890844526 IN IP4 client.atlanta.example.com\r\n\
s=-\r\n\
c=IN IP4 192.0.2.101\r\n\
t=0 0\r\n\
m=audio 49172 RTP/AVP 0\r\n\
a=rtpmap:0 PCMU/8000\r\n";

const SDP: &str = "v=0\r\no=sipt 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8\r\na=rtpmap:8 PCMA/8000\r\n";

#[derive(Clone, Copy)]
struct Windows {
    warm_up: Duration,
    window: Duration,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Mode {
    Calls,
    Info,
}

/// This process's CPU time (user and system) so far, from /proc/self/stat (`None` elsewhere).
fn cpu_time() -> Option<Duration> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // After the command name in parentheses: state is field 3, utime 14, stime 15.
    let rest = stat.get(stat.rfind(')')? + 2..)?;
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(Duration::from_millis(ticks * 10))
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let i = ((sorted.len() - 1) as f64 * p).round() as usize;
    sorted[i.min(sorted.len() - 1)]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

/// What the UAC counts.
#[derive(Default)]
struct Tally {
    calls: u64,
    infos: u64,
    failures: u64,
    latencies: Vec<Duration>,
}

/// The UAC's side of the load.
struct Uac {
    mode: Mode,
    target: Target,
    to: Uri,
    from: NameAddr,
    /// When each call's INVITE (or outstanding INFO) went.
    started: HashMap<CallHandle, Instant>,
    measuring: bool,
    tally: Tally,
}

impl Uac {
    fn place(&mut self, shell: &mut UaShell) {
        let now = shell.now();
        match shell.ua().invite(
            now,
            self.from.clone(),
            self.to.clone(),
            self.target.clone(),
            Some(("application/sdp", SDP.as_bytes().to_vec())),
        ) {
            Ok(call) => {
                self.started.insert(call, Instant::now());
            }
            Err(e) => panic!("placing a call: {e}"),
        }
    }

    fn info(&mut self, shell: &mut UaShell, call: CallHandle) {
        let now = shell.now();
        let body = Some((
            "application/dtmf-relay",
            b"Signal=5\r\nDuration=160\r\n".to_vec(),
        ));
        if shell.ua().request(now, call, Method::Info, body).is_ok() {
            self.started.insert(call, Instant::now());
        } else {
            self.tally.failures += 1;
        }
    }

    fn event(&mut self, shell: &mut UaShell, e: UaEvent) {
        let now = shell.now();
        match e {
            UaEvent::Answered { call, .. } => {
                if let Some(t) = self.started.remove(&call) {
                    if self.measuring && self.mode == Mode::Calls {
                        self.tally.latencies.push(t.elapsed());
                    }
                }
                match self.mode {
                    Mode::Calls => {
                        let _ = shell.ua().hangup(now, call);
                    }
                    Mode::Info => self.info(shell, call),
                }
            }
            UaEvent::RequestResponse { call, response } => {
                // Only INFO is timed here.
                if response.cseq().map(|c| c.method) != Ok(Method::Info) {
                    return;
                }
                if let Some(t) = self.started.remove(&call) {
                    if self.measuring {
                        if response.status() == Some(200) {
                            self.tally.infos += 1;
                            self.tally.latencies.push(t.elapsed());
                        } else {
                            self.tally.failures += 1;
                        }
                    }
                }
                self.info(shell, call);
            }
            UaEvent::Ended { call, .. } => {
                shell.ua().forget(call);
                if self.measuring {
                    self.tally.calls += 1;
                }
                self.place(shell);
            }
            UaEvent::Rejected { call, .. } | UaEvent::TimedOut { call } => {
                shell.ua().forget(call);
                self.tally.failures += 1;
                self.place(shell);
            }
            _ => {}
        }
    }
}

/// The UAS: 180 and 200 to every INVITE, 200 to every request within a call.
fn uas_event(shell: &mut UaShell, e: UaEvent) {
    let now = shell.now();
    let ua = shell.ua();
    match e {
        UaEvent::Incoming { call, .. } => {
            let _ = ua.respond(now, call, 180, "Ringing", None);
            let _ = ua.respond(
                now,
                call,
                200,
                "OK",
                Some(("application/sdp", SDP.as_bytes().to_vec())),
            );
        }
        UaEvent::Request { request, key, .. } => {
            let _ = ua.respond_request(now, &key, &request, 200, "OK", None);
        }
        UaEvent::Ended { call, .. } | UaEvent::Cancelled { call, .. } => ua.forget(call),
        _ => {}
    }
}

/// Steps both shells until `until`.
async fn drive(uac: &mut UaShell, uas: &mut UaShell, load: &mut Uac, until: Instant) {
    let deadline = uac.now() + until.saturating_duration_since(Instant::now());
    while Instant::now() < until {
        tokio::select! {
            e = uac.step(Some(deadline)) => {
                if let Some(e) = e {
                    load.event(uac, e);
                }
            }
            e = uas.step(None) => {
                if let Some(e) = e {
                    uas_event(uas, e);
                }
            }
        }
    }
}

async fn bind(kind: TransportKind, seed: u64) -> UaShell {
    let listen = match kind {
        TransportKind::Tcp => "tcp:127.0.0.1:0",
        _ => "udp:127.0.0.1:0",
    };
    // Plain calls: provisional responses unreliable (RFC 3262 is measured by the sipp
    // tests, not here), so that a call is INVITE, ACK and BYE.
    let mut config = UaConfig::new("127.0.0.1", 0, kind);
    config.use_100rel = false;
    UaShell::bind(Clock::new(), &[listen], config, seed)
        .await
        .expect("binding on loopback")
}

struct Figures {
    calls: u64,
    infos: u64,
    failures: u64,
    secs: f64,
    cpu: f64,
    messages: u64,
    /// Transactions alive in both UAs at the end of the window (UDP: Timers J, K, L keep
    /// them up to 64·T1 after their last message).
    live: usize,
    latencies: Vec<Duration>,
}

async fn run(kind: TransportKind, mode: Mode, in_flight: usize, w: Windows) -> Figures {
    let mut uac = bind(kind, 0x0ac).await;
    let mut uas = bind(kind, 0x0a5).await;
    let uas_addr: SocketAddr = uas.local_addr(kind).expect("the UAS address");
    let mut load = Uac {
        mode,
        target: Target::new(kind, uas_addr),
        to: Uri::parse(&format!("sip:4930123@{uas_addr}")).expect("a URI"),
        from: NameAddr::parse("<sip:4940555@127.0.0.1>").expect("a name-addr"),
        started: HashMap::new(),
        measuring: false,
        tally: Tally::default(),
    };
    for _ in 0..in_flight {
        load.place(&mut uac);
    }
    drive(&mut uac, &mut uas, &mut load, Instant::now() + w.warm_up).await;
    load.measuring = true;
    load.tally = Tally::default();
    let stats0 = uac.transport().stats().messages_out + uas.transport().stats().messages_out;
    let cpu0 = cpu_time();
    let start = Instant::now();
    drive(&mut uac, &mut uas, &mut load, start + w.window).await;
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_time()
        .zip(cpu0)
        .map_or(f64::NAN, |(t1, t0)| (t1 - t0).as_secs_f64() / secs);
    let stats1 = uac.transport().stats().messages_out + uas.transport().stats().messages_out;
    let live = uac.ua().transactions() + uas.ua().transactions();
    let mut latencies = std::mem::take(&mut load.tally.latencies);
    latencies.sort();
    Figures {
        calls: load.tally.calls,
        infos: load.tally.infos,
        failures: load.tally.failures,
        secs,
        cpu,
        messages: stats1 - stats0,
        live,
        latencies,
    }
}

fn report(kind: TransportKind, mode: Mode, in_flight: usize, f: &Figures) {
    let name = kind.via_token();
    let (p50, p99, max) = (
        percentile(&f.latencies, 0.5),
        percentile(&f.latencies, 0.99),
        f.latencies.last().copied().unwrap_or_default(),
    );
    match mode {
        Mode::Calls => println!(
            "calls {name} in flight {in_flight:>3}: {:>7.0} calls/s {:>7.0} transactions/s \
             {:>7.0} messages/s  CPU {:>3.0}%  INVITE->200 p50 {:.2} ms p99 {:.2} ms max {:.2} ms \
             ({} calls, {} failed, {:.1} s, {} transactions alive at the end)",
            f.calls as f64 / f.secs,
            3.0 * f.calls as f64 / f.secs,
            f.messages as f64 / f.secs,
            100.0 * f.cpu,
            ms(p50),
            ms(p99),
            ms(max),
            f.calls,
            f.failures,
            f.secs,
            f.live,
        ),
        Mode::Info => println!(
            "info  {name} in flight {in_flight:>3}: {:>7.0} INFO transactions/s \
             {:>7.0} messages/s  CPU {:>3.0}%  INFO->200 p50 {:.2} ms p99 {:.2} ms max {:.2} ms \
             ({} INFO, {} failed, {:.1} s, {} transactions alive at the end)",
            f.infos as f64 / f.secs,
            f.messages as f64 / f.secs,
            100.0 * f.cpu,
            ms(p50),
            ms(p99),
            ms(max),
            f.infos,
            f.failures,
            f.secs,
            f.live,
        ),
    }
}

/// `Message::parse` + `to_bytes` of RFC 3665 F1 over `window`.
fn parse(window: Duration) {
    let wire = format!(
        "{RFC3665_F1_HEAD}Content-Length: {}\r\n\r\n{RFC3665_F1_SDP}",
        RFC3665_F1_SDP.len()
    )
    .into_bytes();
    let m = Message::parse(&wire).expect("RFC 3665 F1 parses");
    assert_eq!(m.to_bytes(), wire, "RFC 3665 F1 round trip");
    let start = Instant::now();
    let mut n = 0u64;
    let mut octets = 0usize;
    while start.elapsed() < window {
        for _ in 0..1000 {
            let m = Message::parse(std::hint::black_box(&wire)).expect("parses");
            octets += std::hint::black_box(m.to_bytes()).len();
        }
        n += 1000;
    }
    let secs = start.elapsed().as_secs_f64();
    println!(
        "parse RFC 3665 F1 INVITE ({} octets): parse + to_bytes {:.2} µs/message, {:.0} messages/s ({} checked)",
        wire.len(),
        secs * 1e6 / n as f64,
        n as f64 / secs,
        octets / wire.len(),
    );
}

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    let (w, in_flight): (Windows, &[usize]) = if measure {
        (
            Windows {
                warm_up: Duration::from_millis(500),
                // SIPBENCH_WINDOW_SECS: a longer window shows the UDP transactions piling up.
                window: Duration::from_secs(
                    std::env::var("SIPBENCH_WINDOW_SECS")
                        .ok()
                        .and_then(|s| s.parse().ok())
                        .unwrap_or(3),
                ),
            },
            &[1, 16, 64],
        )
    } else {
        (
            Windows {
                warm_up: Duration::from_millis(50),
                window: Duration::from_millis(200),
            },
            &[4],
        )
    };
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    println!("both ends on one thread (tokio current-thread runtime), 127.0.0.1, default timers");
    if want("parse") {
        parse(if measure {
            Duration::from_secs(2)
        } else {
            Duration::from_millis(50)
        });
    }
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        for mode in [Mode::Calls, Mode::Info] {
            let name = if mode == Mode::Calls { "calls" } else { "info" };
            if !want(name) {
                continue;
            }
            for kind in [TransportKind::Udp, TransportKind::Tcp] {
                for &n in in_flight {
                    let f = run(kind, mode, n, w).await;
                    report(kind, mode, n, &f);
                    let done = if mode == Mode::Calls {
                        f.calls
                    } else {
                        f.infos
                    };
                    assert!(done > 0, "{mode:?} over {kind:?}: nothing completed");
                }
            }
        }
    });
}
