//! Link throughput over the real transports: two [`MtpShell`]s (PC 1 and PC 2, real MTP2 and
//! MTP3) on one current-thread tokio runtime, PC 1 sending MSUs back to back to PC 2.
//!
//! - `frames`: a `unix-listen:`/`unix:` SOCK_SEQPACKET pair, unpaced. Figure: MTP-TRANSFER
//!   indications per second at PC 2 over a fixed window — what the MTP2+MTP3 stack and the
//!   shell cost, both ends and their transport tasks sharing one core.
//! - `serial` on a PTY paced as a 64 kbit/s synchronous line (`pace = "sync"`, 8000 octets/s):
//!   the share of the line carried as MSUs — the octets of the MSUs (signal units without
//!   flags and FCS) PC 2 received over the octets PC 1 put on the line (`line_octets_out`:
//!   flags, stuffing and FCS included) — and the line rate reached. The rest is framing
//!   (flag, FCS, stuffing) and fill-in. With PC 1 never idle there is no fill-in at all, so
//!   the share is the framing's: a 14-octet ISUP signal unit cannot exceed 14/17 = 82%, a
//!   108-octet one reaches 96% and a longest one (276 octets) 98%.
//!
//!   The CPU this process used over the window is shown too: a 64 kbit/s line should cost
//!   a few percent of a core.
//!
//! A plain `harness = false` program that prints its figures (criterion's repeated timed
//! iterations do not fit a measurement over a window of line time):
//! `cargo bench --bench links` (`-- frames` or `-- serial` for one half). Under `cargo test
//! --benches` it runs short windows only, as a smoke test.

use std::path::PathBuf;
use std::time::Duration;

use sipt_codecs::mtp3::ServiceIndicator;
use sipt_hardware::{Pace, StatsSnapshot, TransportConfig, TransportKind};
use sipt_mgc::shell::{Clock, MtpShell, MtpShellOptions};
use sipt_mgc::ss7::mtp2::{Mtp2Config, Mtp2Stats};
use sipt_mgc::ss7::mtp3::{self, LinksetStatus, Mtp3Event, TransferRequest};
use sipt_mgc::ss7::stack::Mtp;
use tokio::time::Instant;

/// Level 2 buffers (transmission and retransmission) kept at this many MSUs: more than the
/// 127 the window lets out unacknowledged, under MTP2's transmit congestion onset (256).
const BACKLOG: usize = 200;
/// Warm-up and measuring window: `cargo bench` passes `--bench`; without it (`cargo test
/// --benches`) the program only checks that it runs, with short windows and two sizes.
#[derive(Clone, Copy)]
struct Windows {
    warm_up: Duration,
    window: Duration,
}

fn shell(opc: u32, apc: u32, transport: TransportConfig) -> MtpShell {
    let mtp = Mtp::new(mtp3::Config::new(opc, apc, vec![0]), Mtp2Config::default())
        .expect("valid MTP config");
    MtpShell::spawn(
        Clock::new(),
        mtp,
        &[(0, transport)],
        MtpShellOptions::default(),
    )
    .expect("transport set up")
}

/// Runs both shells until `until`, handing `a` more MSUs of `payload` whenever its level 2
/// holds fewer than [`BACKLOG`] (when `saturate`), and counting the transfer indications at
/// `b`. Returns how many linkset-available events each end saw.
async fn run(
    a: &mut MtpShell,
    b: &mut MtpShell,
    until: Instant,
    saturate: Option<&[u8]>,
    received: &mut u64,
) -> [u32; 2] {
    let clock = a.clock();
    let mut available = [0; 2];
    let mut sls = 0u8;
    while Instant::now() < until {
        tokio::select! {
            _ = a.step(Some(clock.to_instant(until))) => {}
            _ = b.step(None) => {}
        }
        if let Some(payload) = saturate {
            let now = a.now();
            let buffered = a.mtp().link(0).map_or(BACKLOG, |l| {
                l.transmission_buffer_len() + l.retransmission_buffer_len()
            });
            for _ in buffered..BACKLOG {
                sls = (sls + 1) % 16;
                let req = TransferRequest::new(ServiceIndicator::Isup, sls, payload.to_vec());
                if a.mtp().transfer(now, req).is_err() {
                    break;
                }
            }
            a.flush();
        }
        for (i, s) in [&mut *a, &mut *b].into_iter().enumerate() {
            while let Some(e) = s.mtp().poll_event() {
                match e {
                    Mtp3Event::Transfer(_) => *received += u64::from(i == 1),
                    Mtp3Event::LinksetState {
                        status: LinksetStatus::Available,
                    } => available[i] += 1,
                    _ => {}
                }
            }
        }
    }
    available
}

/// Brings the linkset up (emergency proving, link test, TRA both ways).
async fn align(a: &mut MtpShell, b: &mut MtpShell) {
    let mut seen = [0; 2];
    let give_up = Instant::now() + Duration::from_secs(10);
    while seen.contains(&0) {
        assert!(Instant::now() < give_up, "the linkset did not come up");
        let s = run(
            a,
            b,
            Instant::now() + Duration::from_millis(50),
            None,
            &mut 0,
        )
        .await;
        seen[0] += s[0];
        seen[1] += s[1];
    }
}

/// A user part payload of `len` octets with every octet value, flags and escapes included.
fn payload(len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| u8::try_from((i * 37 + 11) % 256).unwrap_or(0))
        .collect()
}

fn socket_path(tag: usize) -> PathBuf {
    std::env::temp_dir().join(format!(
        "sipt-bench-links-{}-{tag}.sock",
        std::process::id()
    ))
}

async fn frames(len: usize, w: Windows) {
    let path = socket_path(len);
    let listen = TransportConfig::new(
        TransportKind::Frames,
        format!("unix-listen:{}", path.display()),
    );
    let connect = TransportConfig::new(TransportKind::Frames, format!("unix:{}", path.display()));
    let mut a = shell(1, 2, listen);
    let mut b = shell(2, 1, connect);
    align(&mut a, &mut b).await;
    let p = payload(len);
    let mut received = 0;
    run(
        &mut a,
        &mut b,
        Instant::now() + w.warm_up,
        Some(&p),
        &mut received,
    )
    .await;
    let (start, from) = (Instant::now(), received);
    run(&mut a, &mut b, start + w.window, Some(&p), &mut received).await;
    let secs = start.elapsed().as_secs_f64();
    let m = a
        .mtp()
        .link(0)
        .map(|l| l.stats().clone())
        .unwrap_or_default();
    println!(
        "frames  payload {len:>3} (signal unit {:>3} octets): {:>7.0} MSU/s through MTP2+MTP3 \
         ({} MSUs in {secs:.2} s; {} retransmitted)",
        len + 8,
        (received - from) as f64 / secs,
        received - from,
        m.msus_retransmitted
    );
}

fn serial(path: &str) -> TransportConfig {
    let mut c = TransportConfig::new(TransportKind::Serial, path);
    c.baud = Some(64_000);
    c.pace = Pace::Sync;
    c
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

struct Snapshot {
    a_line: StatsSnapshot,
    a_mtp2: Mtp2Stats,
    b_mtp2: Mtp2Stats,
}

fn snapshot(a: &mut MtpShell, b: &mut MtpShell) -> Snapshot {
    Snapshot {
        a_line: a.stats(0).unwrap_or_default(),
        a_mtp2: a
            .mtp()
            .link(0)
            .map(|l| l.stats().clone())
            .unwrap_or_default(),
        b_mtp2: b
            .mtp()
            .link(0)
            .map(|l| l.stats().clone())
            .unwrap_or_default(),
    }
}

async fn pty(len: usize, w: Windows) {
    let mut a = shell(1, 2, serial("pty"));
    let slave = a
        .pty_path(0)
        .expect("a new PTY")
        .to_string_lossy()
        .into_owned();
    let mut b = shell(2, 1, serial(&slave));
    align(&mut a, &mut b).await;
    let p = payload(len);
    let mut received = 0;
    run(
        &mut a,
        &mut b,
        Instant::now() + w.warm_up,
        Some(&p),
        &mut received,
    )
    .await;
    let s0 = snapshot(&mut a, &mut b);
    let cpu0 = cpu_time();
    let start = Instant::now();
    run(&mut a, &mut b, start + w.window, Some(&p), &mut received).await;
    let secs = start.elapsed().as_secs_f64();
    let cpu = cpu_time()
        .zip(cpu0)
        .map_or(f64::NAN, |(t1, t0)| (t1 - t0).as_secs_f64() / secs);
    let s1 = snapshot(&mut a, &mut b);
    let line = (s1.a_line.line_octets_out - s0.a_line.line_octets_out) as f64;
    let msus = s1.b_mtp2.msus_received - s0.b_mtp2.msus_received;
    // Signal unit octets of the MSUs: SIO and SIF, plus BSN/BIB, FSN/FIB and LI.
    let msu_octets =
        (s1.b_mtp2.msu_octets_received - s0.b_mtp2.msu_octets_received + 3 * msus) as f64;
    // Every unit level 2 handed out (MSUs, FISUs, LSSUs), and the MSUs among them.
    let units = s1.a_mtp2.su_sent - s0.a_mtp2.su_sent;
    let sent_msus = (s1.a_mtp2.msus_sent - s0.a_mtp2.msus_sent)
        + (s1.a_mtp2.msus_retransmitted - s0.a_mtp2.msus_retransmitted);
    // One flag and two FCS octets a unit at best (Q.703 2.2: the closing flag of one unit
    // opens the next), stuffing aside.
    let su = len + 8;
    let framing_bound = su as f64 / (su + 3) as f64;
    println!(
        "serial  payload {len:>3} (signal unit {su:>3} octets): MSUs {:5.1}% of the line \
         (framing allows {:5.1}%); line {:5.0} octets/s of 8000; {:.0} MSU/s; {} fill-in \
         units of {} sent; CPU {:.0}% of a core",
        100.0 * msu_octets / line,
        100.0 * framing_bound,
        line / secs,
        msus as f64 / secs,
        units.saturating_sub(sent_msus),
        units,
        100.0 * cpu
    );
}

fn main() {
    let measure = std::env::args().any(|a| a == "--bench");
    let (w, frames_sizes, serial_sizes): (Windows, &[usize], &[usize]) = if measure {
        let w = Windows {
            warm_up: Duration::from_millis(500),
            window: Duration::from_secs(3),
        };
        (w, &[6, 100, 268], &[6, 30, 100, 268])
    } else {
        let w = Windows {
            warm_up: Duration::from_millis(50),
            window: Duration::from_millis(200),
        };
        (w, &[6], &[268])
    };
    // A word selects one half: `cargo bench --bench links -- serial`.
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let want = |name: &str| args.is_empty() || args.iter().any(|a| name.contains(a.as_str()));
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    rt.block_on(async {
        if want("frames") {
            for &len in frames_sizes {
                frames(len, w).await;
            }
        }
        if want("serial") {
            for &len in serial_sizes {
                pty(len, w).await;
            }
        }
    });
}
