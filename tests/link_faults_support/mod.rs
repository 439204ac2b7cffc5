//! The harness of tests/link_faults.rs: signalling points made of the real [`MtpShell`] (real
//! MTP2 and MTP3 over real transports), each run by its own tokio task; numbered user traffic
//! with an exactly-once, in-order check per SLS; a seeded random source; and a byte relay
//! between two PTY slaves that can damage or drop whole HDLC frames.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{ErrorKind, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::sync::Arc;
use std::time::Duration;

use sipt_codecs::mtp3::ServiceIndicator;
use sipt_hardware::{Pace, TransportConfig, TransportKind};
use sipt_mgc::shell::{Clock, MtpShell, MtpShellOptions};
use sipt_mgc::ss7::l2::LinkId;
use sipt_mgc::ss7::mtp2::{Mtp2Config, Mtp2Stats};
use sipt_mgc::ss7::mtp3::{self, LinkStatus, LinksetStatus, Mtp3Event, TransferRequest};
use sipt_mgc::ss7::stack::Mtp;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

/// How long a single wait of a test may take before it is a failure rather than a hang:
/// generous, for a loaded 2-core machine.
pub const STEP: Duration = Duration::from_secs(15);

/// A `frames` transport connecting to a SOCK_SEQPACKET socket (the relay's side).
pub fn frames(path: &Path) -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Frames, format!("unix:{}", path.display()));
    // Reconnect quickly after a loss, so a test does not wait for the back-off.
    c.backoff.initial_ms = 10;
    c.backoff.max_ms = 100;
    c
}

/// A `serial` transport on a new PTY, paced as a 64 kbit/s synchronous line (Q.702).
pub fn serial_pty() -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Serial, "pty");
    c.baud = Some(64_000);
    c.pace = Pace::Sync;
    c
}

/// A job run by a signalling point's task on its shell.
type Job = Box<dyn FnOnce(&mut MtpShell) + Send>;

/// One signalling point: its [`MtpShell`], driven by a task of its own (`step` in a loop),
/// with which the test talks through jobs. Dropping it stops the task and drops the shell, and
/// with it the transports: the far end sees the line go.
pub struct Sp {
    pub name: &'static str,
    jobs: mpsc::UnboundedSender<Job>,
    events: mpsc::UnboundedReceiver<(Instant, Mtp3Event)>,
    /// Every MTP3 event but transfer indications, with the time it left the MTP.
    pub log: Vec<(Instant, Mtp3Event)>,
    /// (SLS, sequence number) of every transfer indication, in arrival order.
    pub received: Vec<(u8, u32)>,
    /// How many times the task has gone round its loop (a shell step, a job): how often the
    /// shell woke up.
    pub wake_ups: Arc<AtomicU64>,
}

impl Sp {
    /// Signalling point `opc` with a linkset to `apc` over `links`, started at once (Q.704
    /// 12: every link activated).
    pub fn spawn(
        name: &'static str,
        opc: u32,
        apc: u32,
        links: &[(LinkId, TransportConfig)],
        mtp2: Mtp2Config,
    ) -> Sp {
        let slcs: Vec<LinkId> = links.iter().map(|(l, _)| *l).collect();
        let mtp = Mtp::new(mtp3::Config::new(opc, apc, slcs), mtp2).expect("valid MTP config");
        let shell = MtpShell::spawn(Clock::new(), mtp, links, MtpShellOptions::default())
            .expect("transports set up");
        let (jobs, jobs_rx) = mpsc::unbounded_channel();
        let (events_tx, events) = mpsc::unbounded_channel();
        let wake_ups = Arc::new(AtomicU64::new(0));
        tokio::spawn(drive(shell, jobs_rx, events_tx, wake_ups.clone()));
        Sp {
            name,
            jobs,
            events,
            log: Vec::new(),
            received: Vec::new(),
            wake_ups,
        }
    }

    /// Runs `f` on the shell (in its task) and returns what it returns. The shell flushes
    /// afterwards, so what `f` handed the MTP goes out at once.
    pub async fn with<R: Send + 'static>(
        &self,
        f: impl FnOnce(&mut MtpShell) -> R + Send + 'static,
    ) -> R {
        let (tx, rx) = oneshot::channel();
        let job: Job = Box::new(move |s| {
            let _ = tx.send(f(s));
        });
        self.jobs.send(job).expect("shell task running");
        tokio::time::timeout(STEP, rx)
            .await
            .expect("shell task answered in time")
            .expect("shell task answered")
    }

    /// Level 2's counters of `link`.
    pub async fn mtp2_stats(&self, link: LinkId) -> Mtp2Stats {
        self.with(move |s| s.mtp().link(link).map(|l| l.stats().clone()))
            .await
            .expect("link configured")
    }

    /// The transport's counters of `link`.
    pub async fn stats(&self, link: LinkId) -> sipt_hardware::StatsSnapshot {
        self.with(move |s| s.stats(link))
            .await
            .expect("link configured")
    }

    /// MTP3's view of `link`.
    pub async fn link_status(&self, link: LinkId) -> Option<LinkStatus> {
        self.with(move |s| s.mtp().mtp3().link_status(link)).await
    }

    /// The slave path of `link`'s new PTY.
    pub async fn pty_path(&self, link: LinkId) -> PathBuf {
        self.with(move |s| s.pty_path(link).map(Path::to_path_buf))
            .await
            .expect("link on a new PTY")
    }

    fn record(&mut self, at: Instant, e: Mtp3Event) {
        match e {
            Mtp3Event::Transfer(t) => {
                let seq = t
                    .payload
                    .get(2..6)
                    .and_then(|b| <[u8; 4]>::try_from(b).ok())
                    .map(u32::from_be_bytes)
                    .expect("a numbered test message");
                assert_eq!(t.payload.first(), Some(&t.sls), "SLS mixed up: {t:?}");
                self.received.push((t.sls, seq));
            }
            other => self.log.push((at, other)),
        }
    }

    /// Takes every event waiting.
    pub fn drain(&mut self) {
        while let Ok((at, e)) = self.events.try_recv() {
            self.record(at, e);
        }
    }

    /// Waits for the next event (after those already taken) that `pred` accepts; returns the
    /// time it left the MTP. Panics after `timeout`, showing the events so far.
    pub async fn wait_for(
        &mut self,
        what: &str,
        timeout: Duration,
        pred: impl Fn(&Mtp3Event) -> bool,
    ) -> Instant {
        let deadline = Instant::now() + timeout;
        loop {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((at, e))) => {
                    let hit = pred(&e);
                    self.record(at, e);
                    if hit {
                        return at;
                    }
                }
                Ok(None) => panic!("{}: shell task ended waiting for {what}", self.name),
                Err(_) => panic!(
                    "{}: no {what} within {timeout:?}; events: {:#?}",
                    self.name, self.log
                ),
            }
        }
    }

    /// Waits until the linkset is available (MTP restart done, Q.704 9: TRA exchanged).
    pub async fn wait_available(&mut self, timeout: Duration) -> Instant {
        self.wait_for("linkset available", timeout, |e| {
            matches!(
                e,
                Mtp3Event::LinksetState {
                    status: LinksetStatus::Available
                }
            )
        })
        .await
    }

    /// Waits until `n` transfer indications have arrived in all.
    pub async fn wait_received(&mut self, n: usize, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.received.len() < n {
            match tokio::time::timeout_at(deadline, self.events.recv()).await {
                Ok(Some((at, e))) => self.record(at, e),
                Ok(None) => panic!("{}: shell task ended", self.name),
                Err(_) => panic!(
                    "{}: {} of {n} messages within {timeout:?}; events: {:#?}",
                    self.name,
                    self.received.len(),
                    self.log
                ),
            }
        }
    }

    /// Events logged so far that `pred` accepts.
    pub fn logged(&self, pred: impl Fn(&Mtp3Event) -> bool) -> Vec<(Instant, Mtp3Event)> {
        self.log.iter().filter(|(_, e)| pred(e)).cloned().collect()
    }
}

/// The task of one signalling point: steps the shell, runs the test's jobs, passes MTP3's
/// events on with the time they came out.
async fn drive(
    mut shell: MtpShell,
    mut jobs: mpsc::UnboundedReceiver<Job>,
    events: mpsc::UnboundedSender<(Instant, Mtp3Event)>,
    wake_ups: Arc<AtomicU64>,
) {
    loop {
        wake_ups.fetch_add(1, Relaxed);
        tokio::select! {
            job = jobs.recv() => match job {
                Some(job) => {
                    job(&mut shell);
                    shell.flush();
                }
                None => return,
            },
            _notice = shell.step(None) => {}
        }
        while let Some(e) = shell.mtp().poll_event() {
            if events.send((Instant::now(), e)).is_err() {
                return;
            }
        }
    }
}

/// Numbered user traffic from one signalling point: ISUP messages whose payload is the SLS
/// (as a CIC), a spare octet and a sequence number, spread over the SLSs round robin.
pub struct Traffic {
    next_seq: u32,
    sls: Vec<u8>,
    /// Octets appended to each payload.
    padding: usize,
    /// Sequence numbers accepted by MTP3, per SLS, in the order sent.
    pub sent: BTreeMap<u8, Vec<u32>>,
}

impl Traffic {
    /// Traffic over every SLS 0-15.
    pub fn new() -> Traffic {
        Traffic {
            next_seq: 1,
            sls: (0..16).collect(),
            padding: 0,
            sent: BTreeMap::new(),
        }
    }

    /// Traffic of longer messages: `padding` octets after the sequence number.
    pub fn padded(padding: usize) -> Traffic {
        Traffic {
            padding,
            ..Traffic::new()
        }
    }

    /// How many messages were sent.
    pub fn total(&self) -> usize {
        self.sent.values().map(Vec::len).sum()
    }

    /// Hands `sp`'s MTP up to `n` messages, fewer when its level 2 buffers already hold
    /// `limit` or more MSUs (so the test offers load and never builds up an unbounded queue).
    /// Every message must be accepted (the destination stays accessible). Returns how many
    /// were sent.
    pub async fn send(&mut self, sp: &Sp, n: usize, limit: usize) -> usize {
        let sls = self.sls.clone();
        let padding = self.padding;
        let first = self.next_seq;
        let sent = sp
            .with(move |s| {
                let buffered: usize = {
                    let mtp = s.mtp();
                    let ids: Vec<LinkId> = mtp.link_ids().collect();
                    ids.iter()
                        .filter_map(|&l| mtp.link(l))
                        .map(|l| l.transmission_buffer_len() + l.retransmission_buffer_len())
                        .sum()
                };
                let n = n.min(limit.saturating_sub(buffered));
                let now = s.now();
                for i in 0..n {
                    let seq = first + u32::try_from(i).expect("small");
                    let sls = sls[seq as usize % sls.len()];
                    let mut payload = vec![sls, 0];
                    payload.extend_from_slice(&seq.to_be_bytes());
                    payload.resize(payload.len() + padding, 0xA5);
                    let req = TransferRequest::new(ServiceIndicator::Isup, sls, payload);
                    if let Err(e) = s.mtp().transfer(now, req) {
                        panic!("MTP refused message {seq}: {e}");
                    }
                }
                n
            })
            .await;
        for i in 0..sent {
            let seq = first + u32::try_from(i).expect("small");
            let sls = self.sls[seq as usize % self.sls.len()];
            self.sent.entry(sls).or_default().push(seq);
        }
        self.next_seq += u32::try_from(sent).expect("small");
        sent
    }

    /// Sends `total` messages, `per_tick` every `tick` (fewer while level 2 holds `limit`).
    pub async fn run(&mut self, sp: &Sp, total: usize, per_tick: usize, tick: Duration) {
        let target = self.total() + total;
        let mut ticks = tokio::time::interval(tick);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        while self.total() < target {
            ticks.tick().await;
            let n = per_tick.min(target - self.total());
            self.send(sp, n, 200).await;
        }
    }
}

/// Per SLS, the sequence numbers received must be exactly those sent, in the same order:
/// nothing lost, duplicated or reordered. Names what went wrong when not.
pub fn check_exactly_once_in_order(
    what: &str,
    received: &[(u8, u32)],
    sent: &BTreeMap<u8, Vec<u32>>,
) {
    let mut got: BTreeMap<u8, Vec<u32>> = BTreeMap::new();
    for &(sls, seq) in received {
        got.entry(sls).or_default().push(seq);
    }
    let mut faults = Vec::new();
    for (sls, want) in sent {
        let have = got.remove(sls).unwrap_or_default();
        if &have == want {
            continue;
        }
        let missing: Vec<u32> = want.iter().filter(|s| !have.contains(s)).copied().collect();
        let mut seen = std::collections::BTreeSet::new();
        let duplicated: Vec<u32> = have.iter().filter(|s| !seen.insert(**s)).copied().collect();
        let first_difference = want.iter().zip(&have).position(|(a, b)| a != b);
        faults.push(format!(
            "SLS {sls}: sent {}, received {}; missing {missing:?}, duplicated {duplicated:?}, \
             first difference at index {first_difference:?}",
            want.len(),
            have.len()
        ));
    }
    for (sls, extra) in got {
        faults.push(format!("SLS {sls}: {} received, none sent", extra.len()));
    }
    assert!(faults.is_empty(), "{what}:\n{}", faults.join("\n"));
}

/// A seeded random source (SplitMix64): the same faults for the same seed and frame sequence.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n`.
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }
}

const FLAG: u8 = 0x7E;
const ESCAPE: u8 = 0x7D;

/// What the PTY relay did, per direction (0: from the first PTY to the second, 1: back).
#[derive(Debug, Default)]
pub struct PtyRelayCounts {
    pub frames: [AtomicU64; 2],
    pub corrupted: [AtomicU64; 2],
    pub dropped: [AtomicU64; 2],
}

impl PtyRelayCounts {
    pub fn get(c: &[AtomicU64; 2]) -> [u64; 2] {
        [c[0].load(Relaxed), c[1].load(Relaxed)]
    }
}

/// A line between two `serial` ends on PTYs: copies the octets from one slave to the other,
/// cutting the stream into HDLC frames at the flags. While `faults` is set, a frame is dropped
/// (its octets left out, so two flags follow each other: idle fill) with probability
/// `drop_per_mille`, or has one bit flipped (so its FCS no longer checks) with probability
/// `corrupt_per_mille`. The relay threads end when either PTY goes away.
pub struct PtyRelay {
    pub faults: Arc<AtomicBool>,
    pub counts: Arc<PtyRelayCounts>,
}

impl PtyRelay {
    pub fn start(
        first: &Path,
        second: &Path,
        seed: u64,
        corrupt_per_mille: u64,
        drop_per_mille: u64,
    ) -> PtyRelay {
        let faults = Arc::new(AtomicBool::new(false));
        let counts = Arc::new(PtyRelayCounts::default());
        let a = open_tty(first);
        let b = open_tty(second);
        let a2 = a.try_clone().expect("dup PTY slave");
        let b2 = b.try_clone().expect("dup PTY slave");
        for (dir, src, dst) in [(0, a, b2), (1, b, a2)] {
            let faults = faults.clone();
            let counts = counts.clone();
            let rng = Rng::new(seed.wrapping_add(dir as u64));
            std::thread::Builder::new()
                .name(format!("pty-relay-{dir}"))
                .spawn(move || {
                    pty_pump(
                        src,
                        dst,
                        dir,
                        rng,
                        &faults,
                        &counts,
                        corrupt_per_mille,
                        drop_per_mille,
                    )
                })
                .expect("starting a relay thread");
        }
        PtyRelay { faults, counts }
    }
}

/// Opens a PTY slave for reading and writing, without making it our controlling terminal
/// (`O_NOCTTY`, 0o400 on Linux). The `pty` transport has put it in raw mode already.
fn open_tty(path: &Path) -> File {
    use std::os::unix::fs::OpenOptionsExt;
    const O_NOCTTY: i32 = 0o400;
    std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(O_NOCTTY)
        .open(path)
        .unwrap_or_else(|e| panic!("opening {}: {e}", path.display()))
}

#[allow(clippy::too_many_arguments)]
fn pty_pump(
    mut src: File,
    mut dst: File,
    dir: usize,
    mut rng: Rng,
    faults: &AtomicBool,
    counts: &PtyRelayCounts,
    corrupt_per_mille: u64,
    drop_per_mille: u64,
) {
    let mut buf = [0u8; 4096];
    let mut frame = Vec::new();
    let mut out = Vec::new();
    loop {
        let n = match src.read(&mut buf) {
            Ok(0) => return,
            Ok(n) => n,
            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
            Err(_) => return,
        };
        out.clear();
        for &octet in &buf[..n] {
            if octet != FLAG {
                frame.push(octet);
                continue;
            }
            if !frame.is_empty() {
                counts.frames[dir].fetch_add(1, Relaxed);
                if faults.load(Relaxed) {
                    let x = rng.below(1000);
                    if x < drop_per_mille {
                        counts.dropped[dir].fetch_add(1, Relaxed);
                        frame.clear();
                    } else if x < drop_per_mille + corrupt_per_mille && flip_a_bit(&mut frame) {
                        counts.corrupted[dir].fetch_add(1, Relaxed);
                    }
                }
                out.extend_from_slice(&frame);
                frame.clear();
            }
            out.push(FLAG);
        }
        if dst.write_all(&out).is_err() {
            return;
        }
    }
}

/// Flips the low bit of one octet in the second half of a stuffed frame: an octet that is
/// not an escape, not escaped, and does not become a flag or an escape, so that the framing
/// stays as it was and only the FCS check fails (a CRC-16 detects every single-bit error).
fn flip_a_bit(frame: &mut [u8]) -> bool {
    let ok = |i: usize| {
        let o = frame[i];
        o != ESCAPE && (i == 0 || frame[i - 1] != ESCAPE) && o ^ 1 != FLAG && o ^ 1 != ESCAPE
    };
    let pick = (frame.len() / 2..frame.len())
        .chain(0..frame.len() / 2)
        .find(|&i| ok(i));
    match pick {
        Some(i) => {
            frame[i] ^= 1;
            true
        }
        None => false,
    }
}
