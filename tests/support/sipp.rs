//! sipp (Debian sip-tester 3.6.1, `/usr/bin/sipp`) as an independent SIP peer: starts it as
//! UAC or UAS with a scenario of fixtures/sip/sipp/, waits for it with a deadline, and reads
//! back what it did — its exit code, its statistics file (`-trace_stat -stf`), its final
//! screens (`-trace_screen`), its unexpected-message log (`-trace_err`) and every message it
//! sent and received (`-trace_msg`).
//!
//! ```ignore
//! let Some(_) = sipp::require() else { return };
//! let uas = Sipp::uas("callee", sipp::scenario("uas_basic.xml")).transport(Transport::Tcp).start();
//! let uac = Sipp::uac("caller", sipp::scenario("uac_basic.xml"), uas.local_addr())
//!     .transport(Transport::Tcp)
//!     .service("4940555")
//!     .key("calling", "4930123")
//!     .run();
//! uac.assert_success(1);
//! assert_eq!(uac.ladder_once(), ["> INVITE", "< 100 INVITE", "< 180 INVITE", ...]);
//! ```
//!
//! Every run has its own directory under `CARGO_TARGET_TMPDIR/sipp/` for sipp's files; it is
//! removed when the [`Outcome`] is dropped, except while a test is panicking (so the logs of a
//! failed test stay, and the panic message names the directory). When sipp is missing,
//! [`require`] reports the test as skipped — and fails it when `CI=true`.
//!
//! What sipp 3.6.1 does that matters here (PRACK, timers, `-aa`, TCP) is in
//! fixtures/sip/sipp/README.md.

use std::collections::BTreeMap;
use std::fmt;
use std::fs;
use std::io::ErrorKind;
use std::net::{IpAddr, Ipv4Addr, SocketAddr, TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use super::peers::in_ci;

/// Where Debian's sip-tester installs sipp. `SIPP=/other/sipp` overrides it.
pub const SIPP: &str = "/usr/bin/sipp";

/// The sipp program to run.
pub fn program() -> PathBuf {
    std::env::var_os("SIPP")
        .filter(|p| !p.is_empty())
        .map_or_else(|| PathBuf::from(SIPP), PathBuf::from)
}

/// The version line of `sipp -v` (" SIPp v3.6.1-SCTP-PCAP-RTPSTREAM."), or why it is not there.
pub fn version() -> Result<String, String> {
    let sipp = program();
    let out = Command::new(&sipp)
        .arg("-v")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| {
            format!(
                "{} does not run: {e} (install the Debian package sip-tester)",
                sipp.display()
            )
        })?;
    let text = String::from_utf8_lossy(&out.stdout);
    text.lines()
        .find(|l| l.contains("SIPp v"))
        .map(|l| l.trim().to_owned())
        .ok_or_else(|| format!("{} -v printed no version: {text}", sipp.display()))
}

/// sipp's path, or `None` (after saying so on stderr) when it is not installed and this is
/// not CI. In CI (`CI=true`) a missing sipp fails the test.
pub fn require() -> Option<PathBuf> {
    match version() {
        Ok(_) => Some(program()),
        Err(why) if in_ci() => panic!("CI=true and sipp is unavailable: {why}"),
        Err(why) => {
            eprintln!("SKIPPED: sipp is unavailable: {why}");
            None
        }
    }
}

/// A scenario file of fixtures/sip/sipp/.
pub fn scenario(file: &str) -> Scenario {
    Scenario::File(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("fixtures/sip/sipp")
            .join(file),
    )
}

/// What sipp plays.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scenario {
    /// `-sf FILE`.
    File(PathBuf),
    /// `-sn NAME`: one of sipp's embedded scenarios (`uac`, `uas`, `regexp`, `branchc`, ...).
    Builtin(&'static str),
}

impl Scenario {
    fn name(&self) -> String {
        match self {
            Scenario::File(p) => p.file_stem().map_or_else(
                || p.display().to_string(),
                |s| s.to_string_lossy().into_owned(),
            ),
            Scenario::Builtin(n) => format!("builtin-{n}"),
        }
    }
}

/// sipp's transport mode (`-t`): one socket for all calls.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Transport {
    /// `-t u1`.
    Udp,
    /// `-t t1`.
    Tcp,
}

impl Transport {
    fn flag(self) -> &'static str {
        match self {
            Transport::Udp => "u1",
            Transport::Tcp => "t1",
        }
    }

    /// As sipp writes it in its message log ("UDP message sent").
    pub fn name(self) -> &'static str {
        match self {
            Transport::Udp => "UDP",
            Transport::Tcp => "TCP",
        }
    }
}

/// Is there an IPv6 loopback to bind here?
pub fn ipv6_loopback() -> bool {
    UdpSocket::bind("[::1]:0").is_ok()
}

/// Defaults of the keys our scenarios use (`-key`), so that any of them runs without
/// setting every key: sipp refuses a scenario with an unknown `[keyword]`.
const DEFAULT_KEYS: &[(&str, &str)] = &[
    ("calling", "sipp"),
    ("expires", "3600"),
    ("auth_user", "sipp"),
    ("auth_password", "password"),
];

/// How long sipp gets unless told (`-timeout`, and our deadline a little later).
const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);

/// One sipp run to be started: built with the methods below, then [`Sipp::start`] or
/// [`Sipp::run`].
#[derive(Debug, Clone)]
pub struct Sipp {
    name: String,
    scenario: Scenario,
    /// `Some` for a UAC: where its calls go.
    remote: Option<SocketAddr>,
    local_ip: IpAddr,
    local_port: u16,
    transport: Transport,
    calls: u32,
    limit: Option<u32>,
    rate: Option<(f64, u32)>,
    lost: Option<u32>,
    keys: BTreeMap<String, String>,
    service: Option<String>,
    credentials: Option<(String, String)>,
    auth_uri: Option<String>,
    pause: Duration,
    timeout: Duration,
    recv_timeout: Option<Duration>,
    t2: Option<Duration>,
    auto_answer: bool,
    extra: Vec<String>,
}

impl Sipp {
    fn new(name: &str, scenario: Scenario, remote: Option<SocketAddr>) -> Sipp {
        Sipp {
            name: name.to_owned(),
            scenario,
            remote,
            local_ip: remote.map_or(IpAddr::V4(Ipv4Addr::LOCALHOST), |r| match r {
                SocketAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                SocketAddr::V6(_) => IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
            }),
            local_port: 0,
            transport: Transport::Udp,
            calls: 1,
            limit: None,
            rate: None,
            lost: None,
            keys: DEFAULT_KEYS
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            service: None,
            credentials: None,
            auth_uri: None,
            pause: Duration::ZERO,
            timeout: DEFAULT_TIMEOUT,
            recv_timeout: None,
            t2: None,
            auto_answer: false,
            extra: Vec::new(),
        }
    }

    /// A caller: plays `scenario` toward `remote`. Its local address is loopback of the
    /// remote's family, on a free port, unless [`Sipp::local`] says otherwise.
    pub fn uac(name: &str, scenario: Scenario, remote: SocketAddr) -> Sipp {
        Sipp::new(name, scenario, Some(remote))
    }

    /// A callee: waits for calls on 127.0.0.1 (or [`Sipp::local`]) and plays `scenario` for
    /// each.
    pub fn uas(name: &str, scenario: Scenario) -> Sipp {
        Sipp::new(name, scenario, None)
    }

    /// `-t u1` (the default) or `-t t1`.
    pub fn transport(mut self, transport: Transport) -> Sipp {
        self.transport = transport;
        self
    }

    /// `-i IP -p PORT -bind_local`; port 0 picks a free one (the default).
    pub fn local(mut self, ip: IpAddr, port: u16) -> Sipp {
        self.local_ip = ip;
        self.local_port = port;
        self
    }

    /// `-m`: stop after this many calls (1 by default).
    pub fn calls(mut self, calls: u32) -> Sipp {
        self.calls = calls;
        self
    }

    /// `-l`: at most this many calls at once.
    pub fn limit(mut self, calls: u32) -> Sipp {
        self.limit = Some(calls);
        self
    }

    /// `-r CALLS -rp PERIOD_MS`: the call rate.
    pub fn rate(mut self, calls: f64, period: Duration) -> Sipp {
        self.rate = Some((calls, u32::try_from(period.as_millis()).unwrap_or(u32::MAX)));
        self
    }

    /// `-lost PERCENT`: sipp drops this share of the UDP messages it sends and receives.
    pub fn lost(mut self, percent: u32) -> Sipp {
        self.lost = Some(percent);
        self
    }

    /// `-key NAME VALUE`: the scenario's `[NAME]`.
    pub fn key(mut self, name: &str, value: &str) -> Sipp {
        self.keys.insert(name.to_owned(), value.to_owned());
        self
    }

    /// `-s USER`: the scenario's `[service]` (the called number of our UAC scenarios).
    pub fn service(mut self, user: &str) -> Sipp {
        self.service = Some(user.to_owned());
        self
    }

    /// The digest credentials: `-au USER -ap PASSWORD` for a UAC's `[authentication]`, and
    /// the keys `auth_user`/`auth_password` that our UAS scenarios verify.
    pub fn credentials(mut self, user: &str, password: &str) -> Sipp {
        self.credentials = Some((user.to_owned(), password.to_owned()));
        self.key("auth_user", user).key("auth_password", password)
    }

    /// `-auth_uri`: the digest-uri sipp puts in its credentials (by default
    /// `remote_ip:remote_port`, not the Request-URI).
    pub fn auth_uri(mut self, uri: &str) -> Sipp {
        self.auth_uri = Some(uri.to_owned());
        self
    }

    /// `-d`: the length of the scenario's `<pause/>` (hold time of our UAC scenarios, closing
    /// wait of our UAS scenarios). 0 by default.
    pub fn pause(mut self, pause: Duration) -> Sipp {
        self.pause = pause;
        self
    }

    /// `-timeout`: sipp gives up (and fails, `-timeout_error`) after this long; the harness
    /// kills it 5 s later.
    pub fn timeout(mut self, timeout: Duration) -> Sipp {
        self.timeout = timeout;
        self
    }

    /// `-recv_timeout`: a call fails when an expected message does not come in this time.
    pub fn recv_timeout(mut self, timeout: Duration) -> Sipp {
        self.recv_timeout = Some(timeout);
        self
    }

    /// `-T2`: sipp's cap on the UDP retransmission interval of non-INVITE requests.
    pub fn t2(mut self, t2: Duration) -> Sipp {
        self.t2 = Some(t2);
        self
    }

    /// `-aa`: answer unexpected INFO, NOTIFY, OPTIONS and UPDATE with 200.
    pub fn auto_answer(mut self) -> Sipp {
        self.auto_answer = true;
        self
    }

    /// Any other sipp argument, passed as given.
    pub fn arg(mut self, arg: &str) -> Sipp {
        self.extra.push(arg.to_owned());
        self
    }

    fn arguments(&self, dir: &Path, port: u16) -> Vec<String> {
        let file = |f: &str| dir.join(f).display().to_string();
        let mut a: Vec<String> = Vec::new();
        if let Some(remote) = self.remote {
            a.push(remote.to_string());
        }
        match &self.scenario {
            Scenario::File(p) => a.extend(["-sf".to_owned(), p.display().to_string()]),
            Scenario::Builtin(n) => a.extend(["-sn".to_owned(), (*n).to_owned()]),
        }
        a.extend([
            "-t".to_owned(),
            self.transport.flag().to_owned(),
            "-i".to_owned(),
            self.local_ip.to_string(),
            "-p".to_owned(),
            port.to_string(),
            "-bind_local".to_owned(),
            "-m".to_owned(),
            self.calls.to_string(),
            "-d".to_owned(),
            self.pause.as_millis().to_string(),
            "-timeout".to_owned(),
            format!("{}s", self.timeout.as_secs().max(1)),
            "-timeout_error".to_owned(),
            "-nostdin".to_owned(),
            "-trace_msg".to_owned(),
            "-message_file".to_owned(),
            file("messages.log"),
            "-trace_err".to_owned(),
            "-error_file".to_owned(),
            file("errors.log"),
            "-trace_stat".to_owned(),
            "-stf".to_owned(),
            file("stats.csv"),
            "-trace_screen".to_owned(),
            "-screen_file".to_owned(),
            file("screens.log"),
        ]);
        if let Some(l) = self.limit {
            a.extend(["-l".to_owned(), l.to_string()]);
        }
        if let Some((calls, period)) = self.rate {
            a.extend([
                "-r".to_owned(),
                calls.to_string(),
                "-rp".to_owned(),
                period.to_string(),
            ]);
        }
        if let Some(p) = self.lost {
            a.extend(["-lost".to_owned(), p.to_string()]);
        }
        if let Some(s) = &self.service {
            a.extend(["-s".to_owned(), s.clone()]);
        }
        if let Some((user, password)) = &self.credentials {
            a.extend([
                "-au".to_owned(),
                user.clone(),
                "-ap".to_owned(),
                password.clone(),
            ]);
        }
        if let Some(u) = &self.auth_uri {
            a.extend(["-auth_uri".to_owned(), u.clone()]);
        }
        if let Some(t) = self.recv_timeout {
            a.extend(["-recv_timeout".to_owned(), t.as_millis().to_string()]);
        }
        if let Some(t) = self.t2 {
            a.extend(["-T2".to_owned(), t.as_millis().to_string()]);
        }
        if self.auto_answer {
            a.push("-aa".to_owned());
        }
        for (k, v) in &self.keys {
            a.extend(["-key".to_owned(), k.clone(), v.clone()]);
        }
        a.extend(self.extra.iter().cloned());
        a
    }

    /// Starts sipp and, for a UAS, waits until it listens. Panics when sipp cannot be
    /// started or keeps failing to bind.
    pub fn start(self) -> Running {
        let sipp = program();
        let mut last_failure = String::new();
        for _attempt in 0..5 {
            let port = if self.local_port == 0 {
                free_port(self.local_ip, self.transport)
            } else {
                self.local_port
            };
            let dir = run_dir(&self.name, &self.scenario);
            let args = self.arguments(&dir, port);
            let command_line = format!("{} {}", sipp.display(), args.join(" "));
            let stdout = fs::File::create(dir.join("stdout.log"))
                .unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
            let stderr = fs::File::create(dir.join("stderr.log"))
                .unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
            let child = Command::new(&sipp)
                .args(&args)
                .current_dir(&dir)
                .stdin(Stdio::null())
                .stdout(stdout)
                .stderr(stderr)
                .spawn()
                .unwrap_or_else(|e| panic!("starting {command_line}: {e}"));
            let mut running = Running {
                name: self.name.clone(),
                child: Some(child),
                dir,
                local: SocketAddr::new(self.local_ip, port),
                transport: self.transport,
                deadline: Instant::now() + self.timeout + Duration::from_secs(5),
                command_line,
            };
            if self.remote.is_some() {
                return running;
            }
            // A UAS: ready when its port is taken; a bind failure (exit -2) retries elsewhere.
            let ready_by = Instant::now() + Duration::from_secs(5);
            loop {
                if let Some(status) = running.try_exit() {
                    last_failure = format!(
                        "sipp `{}` exited ({status}) before listening on {} {}:\n{}",
                        running.name,
                        running.transport.name(),
                        running.local,
                        read(&running.dir.join("stdout.log"))
                    );
                    let _ = fs::remove_dir_all(&running.dir);
                    break;
                }
                if port_taken(running.local, running.transport) {
                    return running;
                }
                if Instant::now() > ready_by {
                    panic!(
                        "sipp `{}` does not listen on {} {} after 5 s: {}",
                        running.name,
                        running.transport.name(),
                        running.local,
                        running.command_line
                    );
                }
                thread::sleep(Duration::from_millis(10));
            }
            if self.local_port != 0 {
                break;
            }
        }
        panic!("{last_failure}");
    }

    /// Starts sipp and waits for it to end (see [`Running::wait`]).
    pub fn run(self) -> Outcome {
        self.start().wait()
    }
}

/// A free port on `ip` for `transport` (and for the other transport too, so that a TCP run
/// does not land on a port whose UDP twin another test holds).
fn free_port(ip: IpAddr, transport: Transport) -> u16 {
    for _ in 0..50 {
        let port = match transport {
            Transport::Udp => UdpSocket::bind((ip, 0)).and_then(|s| s.local_addr()),
            Transport::Tcp => TcpListener::bind((ip, 0)).and_then(|s| s.local_addr()),
        }
        .unwrap_or_else(|e| panic!("binding {ip} port 0: {e}"))
        .port();
        let other_free = match transport {
            Transport::Udp => TcpListener::bind((ip, port)).is_ok(),
            Transport::Tcp => UdpSocket::bind((ip, port)).is_ok(),
        };
        if other_free {
            return port;
        }
    }
    panic!("no free port on {ip}");
}

/// Does someone (sipp) hold `addr` for `transport`? (Binding fails with AddrInUse.)
fn port_taken(addr: SocketAddr, transport: Transport) -> bool {
    let result = match transport {
        Transport::Udp => UdpSocket::bind(addr).map(drop),
        Transport::Tcp => TcpListener::bind(addr).map(drop),
    };
    matches!(result, Err(e) if e.kind() == ErrorKind::AddrInUse)
}

fn run_dir(name: &str, scenario: &Scenario) -> PathBuf {
    static COUNTER: AtomicU32 = AtomicU32::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("sipp")
        .join(format!(
            "{}-{}-{}-{n}",
            clean(name),
            clean(&scenario.name()),
            std::process::id()
        ));
    let _ = fs::remove_dir_all(&dir);
    fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));
    dir
}

fn read(path: &Path) -> String {
    fs::read(path)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// A sipp process. Killed on drop.
pub struct Running {
    name: String,
    child: Option<Child>,
    dir: PathBuf,
    local: SocketAddr,
    transport: Transport,
    deadline: Instant,
    command_line: String,
}

impl Running {
    /// Where it sends from and (as UAS) listens.
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Its directory of logs.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn try_exit(&mut self) -> Option<ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Asks sipp to finish (SIGUSR1, sent with kill(1) to its pid: no new calls, the calls
    /// under way run to their end) and waits for it: for a UAS that takes as many calls as
    /// the test makes. sipp then exits 0 when no call failed.
    pub fn finish(self) -> Outcome {
        if let Some(child) = self.child.as_ref() {
            let pid = child.id().to_string();
            let sent = Command::new("kill")
                .args(["-USR1", pid.as_str()])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status();
            if !sent.is_ok_and(|s| s.success()) {
                eprintln!("could not send SIGUSR1 to sipp `{}` ({pid})", self.name);
            }
        }
        self.wait()
    }

    /// Waits until sipp exits (or kills it at its `-timeout` plus 5 s) and reads its files.
    pub fn wait(mut self) -> Outcome {
        let exit = loop {
            if let Some(status) = self.try_exit() {
                break Exit::from_status(status);
            }
            if Instant::now() > self.deadline {
                if let Some(child) = self.child.as_mut() {
                    let _ = child.kill();
                    let _ = child.wait();
                }
                break Exit::Killed;
            }
            thread::sleep(Duration::from_millis(10));
        };
        self.child = None;
        let dir = std::mem::take(&mut self.dir);
        let stats_text = read(&dir.join("stats.csv"));
        let stats = Stats::parse(&stats_text);
        let message_log = read(&dir.join("messages.log"));
        Outcome {
            name: std::mem::take(&mut self.name),
            command_line: std::mem::take(&mut self.command_line),
            exit,
            stats,
            messages: parse_message_log(&message_log),
            message_log,
            errors: read(&dir.join("errors.log")),
            screens: read(&dir.join("screens.log")),
            stdout: read(&dir.join("stdout.log")),
            stderr: read(&dir.join("stderr.log")),
            dir,
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// sipp's exit status (`sipp -h`, "Exit codes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: all calls were successful.
    AllSuccessful,
    /// 1: at least one call failed.
    SomeFailed,
    /// 97: exit on internal command.
    InternalCommand,
    /// 99: normal exit without calls processed.
    NoCallsProcessed,
    /// -1 (255): fatal error (a bad scenario, an unknown keyword, ...).
    FatalError,
    /// -2 (254): fatal error binding a socket.
    BindError,
    /// Another code.
    Other(i32),
    /// Ended by a signal other than ours.
    Signal,
    /// Killed by the harness at its deadline.
    Killed,
}

impl Exit {
    fn from_status(status: ExitStatus) -> Exit {
        match status.code() {
            Some(0) => Exit::AllSuccessful,
            Some(1) => Exit::SomeFailed,
            Some(97) => Exit::InternalCommand,
            Some(99) => Exit::NoCallsProcessed,
            Some(255) => Exit::FatalError,
            Some(254) => Exit::BindError,
            Some(c) => Exit::Other(c),
            None => Exit::Signal,
        }
    }
}

/// The cumulative counters of sipp's statistics file (`-trace_stat`, its last line; `sipp -h
/// stat` describes the columns).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Stats {
    /// TotalCallCreated.
    pub calls_created: u64,
    /// SuccessfulCall(C).
    pub successful: u64,
    /// FailedCall(C).
    pub failed: u64,
    /// Retransmissions(C): messages this sipp sent again (UDP only).
    pub retransmissions: u64,
    /// FailedUnexpectedMessage(C): calls failed on a message the scenario did not expect.
    pub unexpected_messages: u64,
    /// FailedMaxUDPRetrans(C).
    pub failed_max_udp_retrans: u64,
    /// FailedTimeoutOnRecv(C).
    pub failed_timeout_on_recv: u64,
    /// FailedRegexpDoesntMatch(C) + FailedRegexpHdrNotFound(C): an `ereg check_it` failed.
    pub failed_regexp: u64,
    /// FailedTcpClosed(C) + FailedTcpConnect(C).
    pub failed_tcp: u64,
    /// OutOfCallMsgs(C): messages matching no call.
    pub out_of_call_messages: u64,
    /// DeadCallMsgs(C): messages for calls already ended.
    pub dead_call_messages: u64,
    /// AutoAnswered(C) (`-aa`).
    pub auto_answered: u64,
    /// FatalErrors(C).
    pub fatal_errors: u64,
    /// Every column of the last line, by name.
    pub all: BTreeMap<String, String>,
}

impl Stats {
    /// Parses the statistics file; `None` when it has no header and data line.
    pub fn parse(text: &str) -> Option<Stats> {
        let mut lines = text.lines().filter(|l| !l.trim().is_empty());
        let header = lines.next()?;
        let last = lines.next_back()?;
        let all: BTreeMap<String, String> = header
            .split(';')
            .zip(last.split(';'))
            .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
            .collect();
        let n = |k: &str| all.get(k).and_then(|v| v.parse::<u64>().ok()).unwrap_or(0);
        Some(Stats {
            calls_created: n("TotalCallCreated"),
            successful: n("SuccessfulCall(C)"),
            failed: n("FailedCall(C)"),
            retransmissions: n("Retransmissions(C)"),
            unexpected_messages: n("FailedUnexpectedMessage(C)"),
            failed_max_udp_retrans: n("FailedMaxUDPRetrans(C)"),
            failed_timeout_on_recv: n("FailedTimeoutOnRecv(C)"),
            failed_regexp: n("FailedRegexpDoesntMatch(C)") + n("FailedRegexpHdrNotFound(C)"),
            failed_tcp: n("FailedTcpClosed(C)") + n("FailedTcpConnect(C)"),
            out_of_call_messages: n("OutOfCallMsgs(C)"),
            dead_call_messages: n("DeadCallMsgs(C)"),
            auto_answered: n("AutoAnswered(C)"),
            fatal_errors: n("FatalErrors(C)"),
            all,
        })
    }
}

/// Which way a traced message went.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Sent,
    Received,
}

/// One message of sipp's `-trace_msg` log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    /// The time sipp wrote ("2026-11-24 00:40:25.111820").
    pub at: String,
    pub direction: Direction,
    /// "UDP" or "TCP".
    pub transport: String,
    /// The message as sipp logged it (CRLF turned into LF).
    pub text: String,
    /// Dropped on receipt by `-lost`: sipp logs a received message before deciding to lose
    /// it, then writes "UDP message lost (recv)." (a message lost while sending is not
    /// logged at all, only its marker).
    pub lost: bool,
}

/// Compact header forms (RFC 3261 7.3.3 and the registry) that a peer may send.
const COMPACT: &[(&str, &str)] = &[
    ("i", "call-id"),
    ("m", "contact"),
    ("e", "content-encoding"),
    ("l", "content-length"),
    ("c", "content-type"),
    ("f", "from"),
    ("s", "subject"),
    ("k", "supported"),
    ("t", "to"),
    ("v", "via"),
];

fn full_name(name: &str) -> String {
    let lower = name.trim().to_ascii_lowercase();
    COMPACT
        .iter()
        .find(|(c, _)| *c == lower)
        .map_or(lower, |(_, full)| (*full).to_owned())
}

impl Message {
    /// The request or status line.
    pub fn start_line(&self) -> &str {
        self.text.lines().next().unwrap_or("").trim_end()
    }

    /// The method of a request.
    pub fn method(&self) -> Option<&str> {
        let line = self.start_line();
        if line.starts_with("SIP/") {
            return None;
        }
        line.split_whitespace().next()
    }

    /// The status code of a response.
    pub fn status(&self) -> Option<u16> {
        let line = self.start_line();
        line.strip_prefix("SIP/2.0 ")?.get(..3)?.parse().ok()
    }

    fn head(&self) -> &str {
        self.text.split("\n\n").next().unwrap_or("")
    }

    /// Every value of header `name` (case-insensitive, compact forms too), unfolded, in order.
    pub fn headers(&self, name: &str) -> Vec<String> {
        let want = full_name(name);
        let mut out: Vec<String> = Vec::new();
        let mut current: Option<bool> = None;
        for line in self.head().lines().skip(1) {
            if line.starts_with([' ', '\t']) {
                if current == Some(true) {
                    if let Some(last) = out.last_mut() {
                        last.push(' ');
                        last.push_str(line.trim());
                    }
                }
                continue;
            }
            let Some((n, v)) = line.split_once(':') else {
                current = None;
                continue;
            };
            let hit = full_name(n) == want;
            current = Some(hit);
            if hit {
                out.push(v.trim().to_owned());
            }
        }
        out
    }

    /// The first value of header `name`.
    pub fn header(&self, name: &str) -> Option<String> {
        self.headers(name).into_iter().next()
    }

    /// CSeq number and method.
    pub fn cseq(&self) -> Option<(u32, String)> {
        let v = self.header("CSeq")?;
        let mut parts = v.split_whitespace();
        let n = parts.next()?.parse().ok()?;
        Some((n, parts.next()?.to_owned()))
    }

    /// The Call-ID.
    pub fn call_id(&self) -> Option<String> {
        self.header("Call-ID")
    }

    /// What follows the empty line.
    pub fn body(&self) -> &str {
        self.text.split_once("\n\n").map_or("", |(_, b)| b)
    }

    /// "INVITE" for a request, "180 INVITE" (status and CSeq method) for a response.
    pub fn label(&self) -> String {
        match (self.method(), self.status()) {
            (Some(m), _) => m.to_owned(),
            (None, Some(s)) => match self.cseq() {
                Some((_, m)) => format!("{s} {m}"),
                None => s.to_string(),
            },
            (None, None) => self.start_line().to_owned(),
        }
    }

    /// "> INVITE" sent, "< 180 INVITE" received.
    pub fn rung(&self) -> String {
        let arrow = match self.direction {
            Direction::Sent => '>',
            Direction::Received => '<',
        };
        format!("{arrow} {}", self.label())
    }
}

const SEPARATOR: &str = "-----------------------------------------------";
const LOST_SENDING: &str = "UDP message voluntary lost (while sending).";
const LOST_RECEIVING: &str = "UDP message lost (recv).";

/// Parses a `-trace_msg` log: entries start with a line of dashes and the time, then
/// "UDP message sent (N bytes):" or "TCP message received [N] bytes :", an empty line and
/// the message. sipp also writes loss markers ("UDP message voluntary lost (while
/// sending).", "UDP message lost (recv).") without a line end; they are not messages.
pub fn parse_message_log(log: &str) -> Vec<Message> {
    let mut out = Vec::new();
    let text = log.replace("\r\n", "\n");
    for chunk in entries(&text) {
        let mut lines = chunk.splitn(3, '\n');
        let at = lines.next().unwrap_or("").trim().to_owned();
        let what = lines.next().unwrap_or("").trim();
        let rest = lines.next().unwrap_or("");
        let direction = if what.contains("message sent") {
            Direction::Sent
        } else if what.contains("message received") {
            Direction::Received
        } else {
            continue;
        };
        let transport = what.split_whitespace().next().unwrap_or("").to_owned();
        // The message, up to the loss markers that sipp glues to the next separator.
        let lost = direction == Direction::Received && rest.contains(LOST_RECEIVING);
        let mut body = rest.trim_start_matches('\n').to_owned();
        for marker in [LOST_SENDING, LOST_RECEIVING] {
            if let Some(at) = body.find(marker) {
                body.truncate(at);
            }
        }
        let body = body.trim_end_matches('\n').to_owned();
        out.push(Message {
            at,
            direction,
            transport,
            text: body,
            lost,
        });
    }
    out
}

/// The entries of a message log: what follows each separator (the dashes, a space and the
/// time's first digit), so that a body with a run of dashes (a multipart boundary) is not
/// taken for one.
fn entries(text: &str) -> Vec<&str> {
    let is_separator = |i: usize| {
        text.get(i..).is_some_and(|t| {
            t.starts_with(SEPARATOR)
                && t.get(SEPARATOR.len()..SEPARATOR.len() + 2)
                    .is_some_and(|s| {
                        s.starts_with(' ') && s.ends_with(|c: char| c.is_ascii_digit())
                    })
        })
    };
    let starts: Vec<usize> = text
        .match_indices(SEPARATOR)
        .map(|(i, _)| i)
        .filter(|&i| is_separator(i))
        .collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &i)| {
            let end = starts.get(n + 1).copied().unwrap_or(text.len());
            text.get(i + SEPARATOR.len()..end).unwrap_or("")
        })
        .collect()
}

/// Counts of sipp's loss markers in a message log: (lost while sending, lost on receipt).
pub fn losses(log: &str) -> (usize, usize) {
    (
        log.matches(LOST_SENDING).count(),
        log.matches(LOST_RECEIVING).count(),
    )
}

/// What a finished sipp run did.
pub struct Outcome {
    pub name: String,
    pub command_line: String,
    pub exit: Exit,
    /// `None` when sipp wrote no statistics (it failed before running).
    pub stats: Option<Stats>,
    /// Every message sent and received, in log order.
    pub messages: Vec<Message>,
    pub message_log: String,
    /// The `-trace_err` log: unexpected messages and why calls failed.
    pub errors: String,
    /// The final screens (`-trace_screen`): per-message counts, retransmissions, timeouts.
    pub screens: String,
    pub stdout: String,
    pub stderr: String,
    /// Where sipp's files are; removed on drop unless a test is panicking.
    pub dir: PathBuf,
}

impl Outcome {
    /// The counters, or an empty set when sipp wrote none.
    pub fn stats(&self) -> Stats {
        self.stats.clone().unwrap_or_default()
    }

    /// Exit 0 and `calls` successful calls, none failed.
    pub fn succeeded(&self, calls: u64) -> bool {
        let s = self.stats();
        self.exit == Exit::AllSuccessful && s.successful == calls && s.failed == 0
    }

    /// Panics with [`Outcome::report`] unless [`Outcome::succeeded`].
    #[track_caller]
    pub fn assert_success(&self, calls: u64) {
        if !self.succeeded(calls) {
            panic!(
                "sipp `{}` was expected to complete {calls} call(s):\n{self}",
                self.name
            );
        }
    }

    /// Panics with [`Outcome::report`] if sipp reports every call successful.
    #[track_caller]
    pub fn assert_failed(&self) {
        if self.exit == Exit::AllSuccessful || self.stats().failed == 0 {
            panic!("sipp `{}` was expected to fail a call:\n{self}", self.name);
        }
    }

    /// The message flow as "> INVITE" / "< 200 INVITE" rungs, retransmissions included,
    /// messages lost on receipt (`-lost`) left out.
    pub fn ladder(&self) -> Vec<String> {
        self.messages
            .iter()
            .filter(|m| !m.lost)
            .map(Message::rung)
            .collect()
    }

    /// The ladder without retransmissions (a message whose direction and text were already
    /// seen) and without messages lost on receipt.
    pub fn ladder_once(&self) -> Vec<String> {
        let mut seen: Vec<(Direction, &str)> = Vec::new();
        let mut out = Vec::new();
        for m in self.messages.iter().filter(|m| !m.lost) {
            if seen.contains(&(m.direction, m.text.as_str())) {
                continue;
            }
            seen.push((m.direction, m.text.as_str()));
            out.push(m.rung());
        }
        out
    }

    /// The messages of each call (by Call-ID), in the order the calls first appear.
    pub fn calls(&self) -> Vec<Vec<&Message>> {
        let mut ids: Vec<String> = Vec::new();
        let mut calls: Vec<Vec<&Message>> = Vec::new();
        for m in &self.messages {
            let id = m.call_id().unwrap_or_default();
            match ids.iter().position(|i| *i == id) {
                Some(i) => {
                    if let Some(c) = calls.get_mut(i) {
                        c.push(m);
                    }
                }
                None => {
                    ids.push(id);
                    calls.push(vec![m]);
                }
            }
        }
        calls
    }

    /// Sent messages with this label ("INVITE", "200 BYE", ...).
    pub fn sent(&self, label: &str) -> Vec<&Message> {
        self.find(Direction::Sent, label)
    }

    /// Received messages with this label.
    pub fn received(&self, label: &str) -> Vec<&Message> {
        self.find(Direction::Received, label)
    }

    fn find(&self, direction: Direction, label: &str) -> Vec<&Message> {
        self.messages
            .iter()
            .filter(|m| m.direction == direction && m.label() == label)
            .collect()
    }

    /// (lost while sending, lost on receipt) by `-lost`.
    pub fn losses(&self) -> (usize, usize) {
        losses(&self.message_log)
    }

    /// A summary, the errors, the ladder and the message log (its last 20 000 characters).
    pub fn report(&self) -> String {
        self.to_string()
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "sipp `{}`: {:?}", self.name, self.exit)?;
        writeln!(f, "  command: {}", self.command_line)?;
        writeln!(f, "  files:   {}", self.dir.display())?;
        match &self.stats {
            Some(s) => writeln!(
                f,
                "  calls created {}, successful {}, failed {} (unexpected message {}, max UDP \
                 retransmissions {}, receive timeout {}, regexp {}, TCP {}); retransmissions {}, \
                 out-of-call {}, dead-call {}, auto-answered {}",
                s.calls_created,
                s.successful,
                s.failed,
                s.unexpected_messages,
                s.failed_max_udp_retrans,
                s.failed_timeout_on_recv,
                s.failed_regexp,
                s.failed_tcp,
                s.retransmissions,
                s.out_of_call_messages,
                s.dead_call_messages,
                s.auto_answered
            )?,
            None => writeln!(f, "  no statistics written")?,
        }
        let (lost_tx, lost_rx) = self.losses();
        if lost_tx + lost_rx > 0 {
            writeln!(
                f,
                "  -lost dropped {lost_tx} sent and {lost_rx} received messages"
            )?;
        }
        if !self.errors.trim().is_empty() {
            writeln!(f, "--- errors (-trace_err):\n{}", self.errors.trim_end())?;
        }
        let tail = |s: &str| -> String {
            let t = s.trim();
            let start = t.len().saturating_sub(3000);
            let start = (start..=t.len())
                .find(|&i| t.is_char_boundary(i))
                .unwrap_or(0);
            t.get(start..).unwrap_or("").to_owned()
        };
        if !self.stderr.trim().is_empty() {
            writeln!(f, "--- stderr:\n{}", tail(&self.stderr))?;
        }
        if self.stats.is_none() || matches!(self.exit, Exit::FatalError | Exit::BindError) {
            writeln!(f, "--- stdout:\n{}", tail(&self.stdout))?;
        }
        if let Some(last) = self.screens.split("Scenario Screen").last() {
            if !last.trim().is_empty() {
                writeln!(
                    f,
                    "--- final scenario screen:\n{}",
                    last.split("Statistics Screen").next().unwrap_or("")
                )?;
            }
        }
        writeln!(f, "--- ladder:")?;
        for m in &self.messages {
            let lost = if m.lost { "   (lost on receipt)" } else { "" };
            writeln!(f, "  {}{lost}", m.rung())?;
        }
        let log = self.message_log.trim();
        let start = log.len().saturating_sub(20_000);
        let start = (start..=log.len())
            .find(|&i| log.is_char_boundary(i))
            .unwrap_or(0);
        writeln!(
            f,
            "--- message log (-trace_msg){}:",
            if start > 0 { ", its end" } else { "" }
        )?;
        writeln!(f, "{}", log.get(start..).unwrap_or(""))
    }
}

impl fmt::Debug for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl Drop for Outcome {
    fn drop(&mut self) {
        if !thread::panicking() && !self.dir.as_os_str().is_empty() {
            let _ = fs::remove_dir_all(&self.dir);
        }
    }
}
