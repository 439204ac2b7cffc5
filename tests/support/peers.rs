//! The Debian libss7 and libpri as independent peers: builds the harness programs of
//! tests/peers/ (ss7peer.c, pripeer.c) with the system C compiler, runs one as a child process
//! attached to a `frames` socket, reads its JSON events and sends it commands.
//!
//! ```ignore
//! let Some(_) = peers::require(PeerKind::Ss7) else { return };
//! let mut sw = Peer::spawn(PeerKind::Ss7, "pstn", &["--connect", path, "--opc", "2", "--dpc", "1"]);
//! sw.expect("ss7_up", Duration::from_secs(5));
//! sw.send("call 1 4930123 4940555");
//! let acm = sw.expect_event(|e| e["event"] == "acm", Duration::from_secs(5)).unwrap();
//! ```
//!
//! The programs' options, commands and events are documented at the top of their sources.
//! A harness is compiled once per source version into `CARGO_TARGET_TMPDIR/peers/` (the file
//! name carries a hash of the sources, the flags and the compiler's version, so a change
//! rebuilds it). When the compiler, a header or a library is missing, [`require`] reports the
//! test as skipped — and fails it when `CI=true`, where the peers must be there.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// Which harness.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PeerKind {
    /// tests/peers/ss7peer.c on libss7 (MTP2, MTP3, ISUP).
    Ss7,
    /// tests/peers/pripeer.c on libpri (Q.921, Q.931/QSIG).
    Pri,
}

impl PeerKind {
    fn program(self) -> &'static str {
        match self {
            PeerKind::Ss7 => "ss7peer",
            PeerKind::Pri => "pripeer",
        }
    }

    fn library(self) -> &'static str {
        match self {
            PeerKind::Ss7 => "ss7",
            PeerKind::Pri => "pri",
        }
    }

    fn header(self) -> &'static str {
        match self {
            PeerKind::Ss7 => "libss7.h",
            PeerKind::Pri => "libpri.h",
        }
    }

    fn debian_package(self) -> &'static str {
        match self {
            PeerKind::Ss7 => "libss7-dev",
            PeerKind::Pri => "libpri-dev",
        }
    }
}

/// Why a harness cannot be built here (no compiler, no library).
#[derive(Debug, Clone)]
pub struct Unavailable(pub String);

impl fmt::Display for Unavailable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

const CFLAGS: &[&str] = &["-O2", "-Wall", "-Wextra", "-std=gnu11"];

fn sources_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("peers")
}

fn cache_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("peers")
}

fn compiler() -> String {
    std::env::var("CC")
        .ok()
        .filter(|c| !c.trim().is_empty())
        .unwrap_or_else(|| "cc".to_owned())
}

/// FNV-1a, 64 bits: stable across Rust versions, enough to name a cache entry.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for &b in *part {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

fn build(kind: PeerKind) -> Result<PathBuf, Unavailable> {
    let cc = compiler();
    let version = Command::new(&cc)
        .arg("--version")
        .output()
        .map_err(|e| Unavailable(format!("no C compiler `{cc}`: {e}")))?;
    if !version.status.success() {
        return Err(Unavailable(format!("C compiler `{cc}` does not run")));
    }
    let src = sources_dir().join(format!("{}.c", kind.program()));
    let common = sources_dir().join("peer_common.h");
    let read = |p: &Path| {
        std::fs::read(p).unwrap_or_else(|e| panic!("reading harness source {}: {e}", p.display()))
    };
    let (src_text, common_text) = (read(&src), read(&common));
    let hash = fnv1a(&[
        &src_text,
        &common_text,
        CFLAGS.join(" ").as_bytes(),
        kind.library().as_bytes(),
        cc.as_bytes(),
        &version.stdout,
    ]);
    let dir = cache_dir();
    let bin = dir.join(format!("{}-{hash:016x}", kind.program()));
    if bin.is_file() {
        return Ok(bin);
    }
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("creating {}: {e}", dir.display()));

    // Is the library's header there at all? (Tells "not installed" from "our code is wrong".)
    let mut pre = Command::new(&cc)
        .args(["-E", "-x", "c", "-o", "/dev/null", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| Unavailable(format!("running `{cc} -E`: {e}")))?;
    if let Some(mut stdin) = pre.stdin.take() {
        let _ = writeln!(stdin, "#include <{}>", kind.header());
    }
    let header_ok = pre.wait().map(|s| s.success()).unwrap_or(false);
    if !header_ok {
        return Err(Unavailable(format!(
            "{} not found: install the Debian package {}",
            kind.header(),
            kind.debian_package()
        )));
    }

    let tmp = dir.join(format!(
        ".{}-{hash:016x}.{}.{:?}.tmp",
        kind.program(),
        std::process::id(),
        thread::current().id()
    ));
    let out = Command::new(&cc)
        .args(CFLAGS)
        .arg("-I")
        .arg(sources_dir())
        .arg("-o")
        .arg(&tmp)
        .arg(&src)
        .arg(format!("-l{}", kind.library()))
        .output()
        .map_err(|e| Unavailable(format!("running `{cc}`: {e}")))?;
    let diagnostics = String::from_utf8_lossy(&out.stderr).into_owned();
    if !out.status.success() {
        let _ = std::fs::remove_file(&tmp);
        if diagnostics.contains(&format!("-l{}", kind.library())) {
            return Err(Unavailable(format!(
                "lib{} not found by the linker: install {}\n{diagnostics}",
                kind.library(),
                kind.debian_package()
            )));
        }
        panic!("compiling {} failed:\n{diagnostics}", src.display());
    }
    if !diagnostics.trim().is_empty() {
        eprintln!("{} compiled with warnings:\n{diagnostics}", src.display());
    }
    std::fs::rename(&tmp, &bin).unwrap_or_else(|e| panic!("installing {}: {e}", bin.display()));
    Ok(bin)
}

/// The harness program for `kind`, compiled if needed (once per test process).
pub fn harness(kind: PeerKind) -> Result<PathBuf, Unavailable> {
    static BUILT: OnceLock<Mutex<HashMap<PeerKind, Result<PathBuf, Unavailable>>>> =
        OnceLock::new();
    let mut built = BUILT
        .get_or_init(|| Mutex::new(HashMap::new()))
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    built.entry(kind).or_insert_with(|| build(kind)).clone()
}

/// Whether the tests run in CI, where every peer must be available.
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v.eq_ignore_ascii_case("true") || v == "1")
}

/// The harness for `kind`, or `None` (after saying so on stderr) when it cannot be built and
/// this is not CI. In CI (`CI=true`) a missing peer fails the test.
pub fn require(kind: PeerKind) -> Option<PathBuf> {
    match harness(kind) {
        Ok(path) => Some(path),
        Err(why) if in_ci() => panic!("CI=true and the {kind:?} peer is unavailable: {why}"),
        Err(why) => {
            eprintln!("SKIPPED: the {kind:?} peer is unavailable: {why}");
            None
        }
    }
}

/// A harness process. Killed on drop.
pub struct Peer {
    name: String,
    child: Child,
    stdin: Option<ChildStdin>,
    events: Receiver<Value>,
    /// Read from stdout but not yet consumed by an expect.
    queue: VecDeque<Value>,
    /// Every event read so far, consumed or not.
    history: Vec<Value>,
    stderr: Arc<Mutex<String>>,
}

/// An expected event did not come.
pub struct ExpectError {
    pub peer: String,
    pub waited_for: String,
    pub timeout: Duration,
    pub exit: Option<ExitStatus>,
    pub recent: Vec<Value>,
    pub stderr: String,
}

impl fmt::Debug for ExpectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "peer `{}`: no {} within {:?}{}",
            self.peer,
            self.waited_for,
            self.timeout,
            match self.exit {
                Some(s) => format!(" (it exited: {s})"),
                None => String::new(),
            }
        )?;
        writeln!(f, "its last {} events:", self.recent.len())?;
        for e in &self.recent {
            writeln!(f, "  {e}")?;
        }
        if !self.stderr.trim().is_empty() {
            writeln!(f, "its stderr:\n{}", self.stderr)?;
        }
        Ok(())
    }
}

impl fmt::Display for ExpectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

impl std::error::Error for ExpectError {}

/// Default lifetime the harness gives itself (`--timeout`), so that nothing outlives a test
/// run even if the test process is killed without closing the pipes.
const LIFETIME: &str = "300";

impl Peer {
    /// Starts the `kind` harness with `args` (see the top of its source). `name` labels its
    /// diagnostics. Panics if the harness cannot be built or started: call [`require`] first.
    pub fn spawn(kind: PeerKind, name: &str, args: &[&str]) -> Peer {
        let program = harness(kind).unwrap_or_else(|why| panic!("{kind:?} peer: {why}"));
        let mut all: Vec<&str> = Vec::new();
        if !args.contains(&"--timeout") {
            all.extend(["--timeout", LIFETIME]);
        }
        all.extend_from_slice(args);
        Peer::spawn_program(&program, name, &all)
    }

    /// Starts any program that writes one JSON object per line on stdout (such as
    /// `sipt-mgc sim`), with the same event handling as the harnesses.
    pub fn spawn_program(program: &Path, name: &str, args: &[&str]) -> Peer {
        let mut cmd = Command::new(program);
        let mut child = cmd
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("starting {}: {e}", program.display()));

        let (tx, rx) = mpsc::channel();
        let stdout = child.stdout.take().expect("piped stdout");
        thread::Builder::new()
            .name(format!("peer-{name}-out"))
            .spawn(move || {
                let mut reader = BufReader::new(stdout);
                let mut line = Vec::new();
                loop {
                    line.clear();
                    match reader.read_until(b'\n', &mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) => {}
                    }
                    let text = String::from_utf8_lossy(&line);
                    let text = text.trim_end();
                    if text.is_empty() {
                        continue;
                    }
                    let event = serde_json::from_str(text).unwrap_or_else(
                        |_| serde_json::json!({ "event": "unparsed", "line": text }),
                    );
                    if tx.send(event).is_err() {
                        break;
                    }
                }
            })
            .expect("starting a reader thread");

        let stderr = Arc::new(Mutex::new(String::new()));
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let sink = Arc::clone(&stderr);
        thread::Builder::new()
            .name(format!("peer-{name}-err"))
            .spawn(move || {
                let mut buf = [0u8; 4096];
                while let Ok(n) = err_pipe.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            })
            .expect("starting a reader thread");

        Peer {
            name: name.to_owned(),
            stdin: child.stdin.take(),
            child,
            events: rx,
            queue: VecDeque::new(),
            history: Vec::new(),
            stderr,
        }
    }

    /// Sends one command line.
    pub fn send(&mut self, command: &str) {
        let Some(stdin) = self.stdin.as_mut() else {
            panic!("peer `{}`: stdin already closed", self.name);
        };
        if let Err(e) = writeln!(stdin, "{command}").and_then(|()| stdin.flush()) {
            panic!("peer `{}`: sending `{command}`: {e}", self.name);
        }
    }

    /// Closes the harness's stdin: it exits by itself, as on `quit`.
    pub fn close_stdin(&mut self) {
        self.stdin = None;
    }

    fn pull(&mut self, deadline: Instant) -> bool {
        let left = deadline.saturating_duration_since(Instant::now());
        match self.events.recv_timeout(left) {
            Ok(e) => {
                self.history.push(e.clone());
                self.queue.push_back(e);
                true
            }
            Err(RecvTimeoutError::Timeout) => false,
            // Exited: nothing more will come; fail now rather than at the deadline.
            Err(RecvTimeoutError::Disconnected) => false,
        }
    }

    fn error(&mut self, waited_for: String, timeout: Duration) -> ExpectError {
        let exit = self.child.try_wait().ok().flatten();
        let from = self.history.len().saturating_sub(60);
        ExpectError {
            peer: self.name.clone(),
            waited_for,
            timeout,
            exit,
            recent: self.history[from..].to_vec(),
            stderr: self.stderr(),
        }
    }

    /// Waits for the next event matching `pred`; the events before it are consumed (they stay
    /// in [`history`](Self::history)).
    pub fn expect_event(
        &mut self,
        mut pred: impl FnMut(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, ExpectError> {
        let deadline = Instant::now() + timeout;
        loop {
            while let Some(e) = self.queue.pop_front() {
                if pred(&e) {
                    return Ok(e);
                }
            }
            // The queue is empty here: wait for one more event.
            if Instant::now() >= deadline || !self.pull(deadline) {
                return Err(self.error("event matching the predicate".to_owned(), timeout));
            }
        }
    }

    /// [`expect_event`](Self::expect_event) for an event by name; panics with the peer's
    /// recent events and stderr if it does not come.
    pub fn expect(&mut self, event: &str, timeout: Duration) -> Value {
        let want = event.to_owned();
        match self.expect_event(|e| e["event"] == want.as_str(), timeout) {
            Ok(e) => e,
            Err(mut err) => {
                err.waited_for = format!("`{event}` event");
                panic!("{err:?}")
            }
        }
    }

    /// An event by name whose fields include `fields` (each compared as JSON values); panics
    /// as [`expect`](Self::expect) does.
    pub fn expect_with(&mut self, event: &str, fields: &Value, timeout: Duration) -> Value {
        let want = event.to_owned();
        let fields = fields.clone();
        match self.expect_event(
            |e| e["event"] == want.as_str() && has_fields(e, &fields),
            timeout,
        ) {
            Ok(e) => e,
            Err(mut err) => {
                err.waited_for = format!("`{event}` event with {fields}");
                panic!("{err:?}")
            }
        }
    }

    /// The first event in the whole history (consumed or not) matching `pred`, waiting for it
    /// if it has not come yet. Consumes nothing: for events whose order is not fixed.
    pub fn expect_seen(
        &mut self,
        mut pred: impl FnMut(&Value) -> bool,
        timeout: Duration,
    ) -> Result<Value, ExpectError> {
        let deadline = Instant::now() + timeout;
        let mut checked = 0;
        loop {
            if let Some(e) = self.history[checked..].iter().find(|e| pred(e)) {
                return Ok(e.clone());
            }
            checked = self.history.len();
            if Instant::now() >= deadline || !self.pull(deadline) {
                return Err(self.error("event matching the predicate".to_owned(), timeout));
            }
        }
    }

    /// Reads whatever events have arrived, without waiting.
    pub fn drain(&mut self) {
        while let Ok(e) = self.events.try_recv() {
            self.history.push(e.clone());
            self.queue.push_back(e);
        }
    }

    /// Every event read so far.
    pub fn history(&mut self) -> &[Value] {
        self.drain();
        &self.history
    }

    /// What the harness wrote on stderr (usage errors; libraries' stray prints).
    pub fn stderr(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Waits for the harness to exit (after `quit` or a closed stdin).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Ok(Some(status)) = self.child.try_wait() {
                return Some(status);
            }
            thread::sleep(Duration::from_millis(10));
        }
        None
    }

    /// The harness's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        self.stdin = None;
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `event` has every field of the object `fields` with an equal value.
pub fn has_fields(event: &Value, fields: &Value) -> bool {
    match fields.as_object() {
        Some(want) => want.iter().all(|(k, v)| event.get(k) == Some(v)),
        None => false,
    }
}

/// A predicate: the event is named `name` and has every field of `fields`.
pub fn event(name: &str, fields: Value) -> impl Fn(&Value) -> bool {
    let name = name.to_owned();
    move |e| e["event"] == name.as_str() && has_fields(e, &fields)
}
