//! The reconnecting link: a task that keeps one link attached, reopening it after a loss with
//! back-off, and hands frames and connection events to the link shell.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::config::{Backoff, TransportConfig};
use crate::error::{Error, RxError};
use crate::stats::Stats;
use crate::transport::{Connector, Received, Transport};

/// What a [`Link`] reports, in order.
#[derive(Debug)]
pub enum LinkEvent {
    /// A connection is up (tty opened, socket connected or peer accepted, DAHDI channel open).
    Established,
    /// A frame, without FCS.
    Frame(Vec<u8>),
    /// A frame received in error and dropped (for MTP2's SUERM/AERM, Q.703 10.2/10.3).
    RxError(RxError),
    /// The connection is gone; the link is being reopened.
    Lost(Error),
}

/// How many frames may wait to be written.
const TX_QUEUE: usize = 16;
/// The same on a paced line: each queued frame costs line time before the next unit the
/// protocol layer makes goes out (up to 35 ms for a 276-octet signal unit at 64 kbit/s), and
/// what waits here is stale — acknowledgements (BSN/BIB) that MTP2's T7 at the far end is
/// timing. Two frames keep the line busy while the shell refills it.
const PACED_TX_QUEUE: usize = 2;
/// How many events may wait to be read.
const EVENT_QUEUE: usize = 64;

/// A link kept attached by a background task: opened at once, reopened after every loss
/// (first retry immediate, then [`Backoff`]). Frames handed to it while it is down are dropped
/// (counted in [`StatsSnapshot::frames_dropped_out`](crate::StatsSnapshot)), as a line that is
/// down carries nothing.
///
/// [`Link::recv`] and [`Link::send_frame`] are both cancel-safe: a link shell may await both
/// in one `tokio::select!` (and should, so that a slow writer never stops the reader).
/// Dropping the `Link` stops the task and closes the connection.
#[derive(Debug)]
pub struct Link {
    events: mpsc::Receiver<LinkEvent>,
    sender: LinkSender,
    stats: Arc<Stats>,
    pty_path: Option<PathBuf>,
    task: JoinHandle<()>,
}

/// A handle for sending frames on a [`Link`] from elsewhere.
#[derive(Debug, Clone)]
pub struct LinkSender {
    frames: mpsc::Sender<Vec<u8>>,
    max_payload: usize,
}

impl LinkSender {
    fn check(&self, len: usize) -> Result<(), Error> {
        if len > self.max_payload {
            return Err(Error::FrameTooLong {
                len,
                max: self.max_payload,
            });
        }
        Ok(())
    }

    /// Queues a frame (without FCS), waiting while the queue is full (the line is busy).
    /// Cancel-safe: if the wait is cancelled, the frame was not queued.
    pub async fn send_frame(&self, frame: Vec<u8>) -> Result<(), Error> {
        self.check(frame.len())?;
        self.frames
            .send(frame)
            .await
            .map_err(|_| Error::LinkStopped)
    }

    /// Whether a frame handed over now would be queued at once (the transmit queue has room).
    /// With one sender, a `true` stays true until that sender queues a frame: a link shell
    /// asks before taking a unit from its protocol layer, so that no unit is lost to a full
    /// queue.
    pub fn has_room(&self) -> bool {
        self.frames.capacity() > 0
    }

    /// Queues a frame if there is room now; `Ok(false)` if the queue is full.
    pub fn try_send_frame(&self, frame: Vec<u8>) -> Result<bool, Error> {
        self.check(frame.len())?;
        match self.frames.try_send(frame) {
            Ok(()) => Ok(true),
            Err(mpsc::error::TrySendError::Full(_)) => Ok(false),
            Err(mpsc::error::TrySendError::Closed(_)) => Err(Error::LinkStopped),
        }
    }
}

impl Link {
    /// Starts a link from its configuration. Fails at once only on a bad configuration, a
    /// `unix-listen:` socket that cannot be bound or a PTY that cannot be opened; everything
    /// else is retried. Must run inside a tokio runtime.
    pub fn spawn(config: &TransportConfig) -> Result<Link, Error> {
        let connector = Connector::new(config)?;
        let queue = if config.pace == crate::config::Pace::Off {
            TX_QUEUE
        } else {
            PACED_TX_QUEUE
        };
        Ok(Link::with_queue(connector, config.backoff, queue))
    }

    /// Starts a link on a [`Connector`] made beforehand.
    pub fn with_connector(connector: Connector, backoff: Backoff) -> Link {
        Link::with_queue(connector, backoff, TX_QUEUE)
    }

    /// Starts a link on a [`Connector`] with room for `queue` frames waiting to be written.
    pub fn with_queue(connector: Connector, backoff: Backoff, queue: usize) -> Link {
        let (frames_tx, frames_rx) = mpsc::channel(queue.max(1));
        let (events_tx, events_rx) = mpsc::channel(EVENT_QUEUE);
        let stats = connector.stats().clone();
        let pty_path = connector.pty_path().map(Path::to_owned);
        let max_payload = connector.max_payload();
        let task = tokio::spawn(drive(connector, backoff, frames_rx, events_tx));
        Link {
            events: events_rx,
            sender: LinkSender {
                frames: frames_tx,
                max_payload,
            },
            stats,
            pty_path,
            task,
        }
    }

    /// The next event; `None` only if the task has stopped. Cancel-safe.
    pub async fn recv(&mut self) -> Option<LinkEvent> {
        self.events.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<LinkEvent> {
        self.events.try_recv().ok()
    }

    /// Queues a frame (without FCS). See [`LinkSender::send_frame`].
    pub async fn send_frame(&self, frame: Vec<u8>) -> Result<(), Error> {
        self.sender.send_frame(frame).await
    }

    /// A handle for sending from elsewhere.
    pub fn sender(&self) -> LinkSender {
        self.sender.clone()
    }

    /// The link's statistics, readable at any time.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// For `path = "pty"`: the slave path the far end opens.
    pub fn pty_path(&self) -> Option<&Path> {
        self.pty_path.as_deref()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// The link task: connect, pass frames both ways until the connection fails, report, back off,
/// again. Ends when the [`Link`] is dropped.
async fn drive(
    mut connector: Connector,
    backoff: Backoff,
    mut frames: mpsc::Receiver<Vec<u8>>,
    events: mpsc::Sender<LinkEvent>,
) {
    let stats = connector.stats().clone();
    let mut attempt: u32 = 0;
    loop {
        // Back off, then connect; frames handed over meanwhile are dropped.
        let delay = backoff.delay(attempt);
        let connected = {
            let connect = async {
                if !delay.is_zero() {
                    tokio::time::sleep(delay).await;
                }
                connector.connect().await
            };
            tokio::pin!(connect);
            loop {
                tokio::select! {
                    // Frames first: none queued while down reaches the next connection.
                    biased;
                    f = frames.recv() => match f {
                        Some(_) => stats.dropped_out(),
                        None => return,
                    },
                    r = &mut connect => break r,
                }
            }
        };
        let transport = match connected {
            Ok(t) => t,
            Err(e) => {
                stats.connect_failed(&e);
                attempt = attempt.saturating_add(1);
                continue;
            }
        };
        stats.connected();
        if events.send(LinkEvent::Established).await.is_err() {
            return;
        }
        let up_since = Instant::now();
        let Some(error) = run(transport, &mut frames, &events).await else {
            return;
        };
        stats.lost(&error);
        while frames.try_recv().is_ok() {
            stats.dropped_out();
        }
        if events.send(LinkEvent::Lost(error)).await.is_err() {
            return;
        }
        attempt = if up_since.elapsed() >= backoff.reset_after() {
            0
        } else {
            attempt.saturating_add(1)
        };
    }
}

/// Passes frames both ways on one connection. `Some(error)` when it is lost, `None` when the
/// [`Link`] is gone.
async fn run(
    transport: Transport,
    frames: &mut mpsc::Receiver<Vec<u8>>,
    events: &mpsc::Sender<LinkEvent>,
) -> Option<Error> {
    let (mut rx, mut tx) = transport.split();
    let receiving = async {
        loop {
            let event = match rx.recv_frame().await {
                Ok(Received::Frame(f)) => LinkEvent::Frame(f),
                Ok(Received::Error(e)) => LinkEvent::RxError(e),
                Err(e) => return Some(e),
            };
            if events.send(event).await.is_err() {
                return None;
            }
        }
    };
    let sending = async {
        loop {
            let frame = frames.recv().await?;
            match tx.send_frame(&frame).await {
                Ok(()) => {}
                Err(e) if e.is_fatal() => return Some(e),
                // Refused before writing (too long): LinkSender checks this already.
                Err(_) => {}
            }
        }
    };
    tokio::select! {
        r = receiving => r,
        r = sending => r,
    }
}
