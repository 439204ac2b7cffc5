//! The shell of one linkset's MTP: [`Mtp`] (MTP2 per link, MTP3 above) over one
//! [`sipt_hardware::Link`] per signalling link.
//!
//! Two things a line does by itself have to be made here, because neither transport does them:
//! - Fill-in (Q.703 5.3, 11.1): on a line the transmitter repeats FISUs or the current LSSU
//!   whenever it has no MSU. A `frames` socket or a PTY would carry those as fast as the CPU
//!   goes, so the shell sends a unit at once whenever it carries news (a new MSU, a changed
//!   BSN/BIB, a new status: [`Mtp::needs_immediate_transmit`]) and otherwise repeats the
//!   fill-in every [`MtpShellOptions::fill_in`]. The far end sees every change immediately
//!   (libss7's T7 and our own see prompt acknowledgements) and idle links cost little.
//! - Loss of the line: a dead far end leaves a real receiver without flags, in octet counting
//!   mode (Q.703 4.1.4), where the SUERM counts one error per 16 octets (Q.703 10.2) and takes
//!   the link out of service. A socket or PTY whose peer is gone is just silent, so the shell
//!   counts silence longer than [`MtpShellOptions::silence`] (or a lost transport) as octet
//!   counting at the line rate. At 64 kbit/s that is 500 errors a second: the SUERM
//!   threshold of 64 (T = 64, D = 256) is reached about 130 ms into the silence.

use std::sync::Arc;
use std::time::Duration;

use sipt_hardware::{Link, LinkEvent, LinkSender, RxError, Stats, TransportConfig};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::{sleep_until, Clock, Notice};
use crate::ss7::l2::LinkId;
use crate::ss7::stack::Mtp;
use crate::time::{earliest, Instant};

/// How soon the shell tries again to hand a unit to a transport whose queue was full.
const QUEUE_RETRY: Duration = Duration::from_millis(1);

/// Room for the longest signal unit: 3 octets of header, 1 of SIO, 272 of SIF (Q.703 2.3.8).
const SU_CAPACITY: usize = 276;

/// How the shell paces a linkset.
#[derive(Debug, Clone, Copy)]
pub struct MtpShellOptions {
    /// The longest a link goes without sending a unit (the fill-in repetition).
    pub fill_in: Duration,
    /// How long a link may receive nothing before its receiver counts as being in octet
    /// counting mode (a dead line). Several fill-in intervals of the slowest peer: libss7
    /// under ss7peer repeats every 5 ms, this shell every 10 ms.
    pub silence: Duration,
    /// The line rate the silence is counted at, in octets per second (8000 at 64 kbit/s).
    pub line_octets_per_second: u32,
    /// Keep a copy of every MSU of MTP's own (SNM, SLTM/SLTA: service indicators 0-2) sent
    /// or received, for [`MtpShell::poll_traced`].
    pub trace_management: bool,
}

/// An MTP management or test message that crossed a link (signal unit without FCS).
#[derive(Debug, Clone)]
pub struct Traced {
    pub link: LinkId,
    /// Sent (true) or received.
    pub outgoing: bool,
    pub su: Vec<u8>,
}

/// Whether `su` is an MSU of MTP's own: LI of 3 or more (Q.703 2.3.3) and service indicator
/// 0 (SNM), 1 (MTN) or 2 (MTNS) (Q.704 14.2.1).
fn is_management(su: &[u8]) -> bool {
    matches!((su.get(2), su.get(3)), (Some(li), Some(sio)) if li & 0x3f >= 3 && sio & 0x0f <= 2)
}

impl Default for MtpShellOptions {
    fn default() -> MtpShellOptions {
        MtpShellOptions {
            fill_in: Duration::from_millis(10),
            silence: Duration::from_millis(60),
            line_octets_per_second: 8000,
            trace_management: false,
        }
    }
}

#[derive(Debug)]
struct ShellLink {
    id: LinkId,
    sender: LinkSender,
    stats: Arc<Stats>,
    pty_path: Option<std::path::PathBuf>,
    connected: bool,
    /// When the last unit was handed to the transport.
    last_tx: Option<Instant>,
    /// When the last unit (good or bad) arrived, or the transport connected.
    last_rx: Instant,
    /// How far the silence has been counted as octet counting.
    counted_until: Instant,
    /// When a unit was last found due with the transport queue full: the shell looks again
    /// [`QUEUE_RETRY`] later.
    blocked: Option<Instant>,
}

/// One linkset's MTP attached to its transports.
#[derive(Debug)]
pub struct MtpShell {
    clock: Clock,
    mtp: Mtp,
    links: Vec<ShellLink>,
    events: mpsc::Receiver<(LinkId, LinkEvent)>,
    forwarders: Vec<JoinHandle<()>>,
    options: MtpShellOptions,
    traced: std::collections::VecDeque<Traced>,
}

impl MtpShell {
    /// Opens the transports (`links`: each signalling link's SLC and transport) and starts the
    /// MTP on them. Fails only when a transport cannot be set up at all (see
    /// [`Link::spawn`]); a peer that is not there yet is waited for. Must run inside a tokio
    /// runtime.
    pub fn spawn(
        clock: Clock,
        mut mtp: Mtp,
        links: &[(LinkId, TransportConfig)],
        options: MtpShellOptions,
    ) -> Result<MtpShell, sipt_hardware::Error> {
        let (tx, events) = mpsc::channel(256);
        let mut shell_links = Vec::new();
        let mut forwarders = Vec::new();
        let now = clock.now();
        for (id, config) in links {
            let mut link = Link::spawn(config)?;
            shell_links.push(ShellLink {
                id: *id,
                sender: link.sender(),
                stats: link.stats().clone(),
                pty_path: link.pty_path().map(ToOwned::to_owned),
                connected: false,
                last_tx: None,
                last_rx: now,
                counted_until: now,
                blocked: None,
            });
            let tx = tx.clone();
            let id = *id;
            forwarders.push(tokio::spawn(async move {
                while let Some(e) = link.recv().await {
                    if tx.send((id, e)).await.is_err() {
                        return;
                    }
                }
            }));
        }
        mtp.start(now);
        let mut shell = MtpShell {
            clock,
            mtp,
            links: shell_links,
            events,
            forwarders,
            options,
            traced: std::collections::VecDeque::new(),
        };
        shell.flush();
        Ok(shell)
    }

    /// The layers' time now.
    pub fn now(&self) -> Instant {
        self.clock.now()
    }

    /// The clock the shell runs on.
    pub fn clock(&self) -> Clock {
        self.clock
    }

    /// The MTP, for the user part (transfer requests, events). Call [`MtpShell::flush`] after
    /// handing it something to send.
    pub fn mtp(&mut self) -> &mut Mtp {
        &mut self.mtp
    }

    /// The transport statistics of `link`.
    pub fn stats(&self, link: LinkId) -> Option<sipt_hardware::StatsSnapshot> {
        self.links
            .iter()
            .find(|l| l.id == link)
            .map(|l| l.stats.snapshot())
    }

    /// For links on a new PTY: the slave path the far end opens.
    pub fn pty_path(&self, link: LinkId) -> Option<&std::path::Path> {
        self.links
            .iter()
            .find(|l| l.id == link)
            .and_then(|l| l.pty_path.as_deref())
    }

    /// The next MTP management or test message traced (with
    /// [`MtpShellOptions::trace_management`]); a retransmitted one appears again.
    pub fn poll_traced(&mut self) -> Option<Traced> {
        self.traced.pop_front()
    }

    /// Waits for the next input — a frame or notice from a transport, a timer of the MTP, the
    /// next fill-in — or for `deadline` (the user part's own next timer), whichever is first;
    /// hands it to the MTP and sends what is due. Returns what the transport reported, if
    /// anything, for the log. Cancel-safe.
    pub async fn step(&mut self, deadline: Option<Instant>) -> Option<Notice> {
        self.flush();
        let wake = earliest(deadline, self.next_wake());
        let notice = tokio::select! {
            // A unit waiting is taken before the wake-up: if the timer won a tie, the silence
            // would be counted (octet counting, SUERM: Q.703 10.2) while the far end's units
            // sit in the queue because this process was busy, and a loaded gateway would
            // take its links out of service.
            biased;
            e = self.events.recv() => match e {
                Some((id, e)) => self.handle(id, e),
                // Every forwarder has stopped: only when the links are gone.
                None => {
                    sleep_until(&self.clock, wake).await;
                    None
                }
            },
            () = sleep_until(&self.clock, wake) => None,
        };
        let now = self.clock.now();
        self.count_silence(now);
        if self.mtp.poll_timeout().is_some_and(|t| t <= now) {
            self.mtp.handle_timeout(now);
        }
        self.flush();
        notice
    }

    fn handle(&mut self, id: LinkId, event: LinkEvent) -> Option<Notice> {
        let now = self.clock.now();
        let link = self.links.iter_mut().find(|l| l.id == id)?;
        match event {
            LinkEvent::Frame(su) => {
                link.last_rx = now;
                link.counted_until = now;
                if self.options.trace_management && is_management(&su) {
                    self.traced.push_back(Traced {
                        link: id,
                        outgoing: false,
                        su: su.clone(),
                    });
                }
                self.mtp.handle_su(now, id, &su);
                None
            }
            LinkEvent::RxError(error) => {
                link.last_rx = now;
                link.counted_until = now;
                match error {
                    RxError::OctetCounting { octets } => {
                        let octets = usize::try_from(octets).unwrap_or(usize::MAX);
                        self.mtp.handle_octet_counting(now, id, octets);
                    }
                    _ => self.mtp.handle_su_error(now, id),
                }
                Some(Notice::RxError { link: id, error })
            }
            LinkEvent::Established => {
                link.connected = true;
                link.last_rx = now;
                link.counted_until = now;
                link.last_tx = None;
                Some(Notice::Established { link: id })
            }
            LinkEvent::Lost(error) => {
                link.connected = false;
                Some(Notice::Lost { link: id, error })
            }
        }
    }

    /// Counts the silence of every link beyond [`MtpShellOptions::silence`] as octet counting.
    fn count_silence(&mut self, now: Instant) {
        for link in &mut self.links {
            let from = link.counted_until.max(link.last_rx + self.options.silence);
            if now <= from {
                continue;
            }
            let nanos = (now - from).as_nanos();
            let octets = nanos * u128::from(self.options.line_octets_per_second) / 1_000_000_000;
            if octets == 0 {
                continue;
            }
            // Advance by exactly the time those octets took, so no fraction is lost.
            let used = octets * 1_000_000_000 / u128::from(self.options.line_octets_per_second);
            link.counted_until =
                from + Duration::from_nanos(u64::try_from(used).unwrap_or(u64::MAX));
            self.mtp.handle_octet_counting(
                now,
                link.id,
                usize::try_from(octets).unwrap_or(usize::MAX),
            );
        }
    }

    /// The next time the shell must look again by itself: a timer of the MTP, a fill-in due,
    /// a full queue to retry, silence to count.
    fn next_wake(&self) -> Option<Instant> {
        let mut wake = self.mtp.poll_timeout();
        for link in &self.links {
            if link.connected {
                let fill = match (link.blocked, link.last_tx) {
                    // Retry a full queue soon (the pacer drains it at the line rate). Counted
                    // from when it was found full, not from the last unit sent: that may be
                    // long past while a paced line drains a long frame, and the shell would
                    // spin until the queue has room.
                    (Some(at), _) => at + QUEUE_RETRY,
                    (None, Some(t)) => t + self.options.fill_in,
                    (None, None) => link.last_rx,
                };
                wake = earliest(wake, Some(fill));
            }
            let silent = link.last_rx + self.options.silence;
            wake = earliest(
                wake,
                Some(silent.max(link.counted_until + self.options.fill_in)),
            );
        }
        wake
    }

    /// Sends every unit that is due now: all news at once (MSUs while the transport has room),
    /// and a repeated fill-in when the last unit is [`MtpShellOptions::fill_in`] old. Units
    /// are taken from MTP2 only when the transport can queue them, so none is lost here.
    pub fn flush(&mut self) {
        let now = self.clock.now();
        for link in &mut self.links {
            link.blocked = None;
            if !link.connected {
                continue;
            }
            loop {
                let due = self.mtp.needs_immediate_transmit(link.id)
                    || link.last_tx.is_none_or(|t| now >= t + self.options.fill_in);
                if !due {
                    break;
                }
                if !link.sender.has_room() {
                    link.blocked = Some(now);
                    break;
                }
                // Each unit is built in its own buffer and handed over as it is.
                let mut su = Vec::with_capacity(SU_CAPACITY);
                if !self.mtp.poll_transmit(now, link.id, &mut su) {
                    break;
                }
                if self.options.trace_management && is_management(&su) {
                    self.traced.push_back(Traced {
                        link: link.id,
                        outgoing: true,
                        su: su.clone(),
                    });
                }
                match link.sender.try_send_frame(su) {
                    Ok(true) => link.last_tx = Some(now),
                    // Cannot happen after has_room with one sender; the unit is then lost
                    // as on a line hit, and MTP2's error correction repeats it.
                    Ok(false) => {
                        link.blocked = Some(now);
                        break;
                    }
                    // Too long for the transport (a configuration error) or the link task is
                    // gone: the unit is lost as on a line hit.
                    Err(_) => {
                        link.last_tx = Some(now);
                        break;
                    }
                }
            }
        }
    }
}

impl Drop for MtpShell {
    fn drop(&mut self) {
        for f in &self.forwarders {
            f.abort();
        }
    }
}
