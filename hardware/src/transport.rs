//! One connection of a link, of either transport: [`Transport`] (`recv_frame`, `send_frame`),
//! and [`Connector`], which makes them from a link's configuration.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use tokio::io::{AsyncRead, AsyncWrite};

use crate::config::{Endpoint, TransportConfig};
use crate::dahdi::{self, DahdiChannel, DahdiRead};
use crate::error::{Error, RxError};
use crate::pacer::Pacer;
use crate::pty::Pty;
use crate::seqpacket::{SeqpacketListener, SeqpacketSocket};
use crate::serial::{SerialRx, SerialTx};
use crate::stats::Stats;

/// What a link received.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Received {
    /// A frame (MTP2 signal unit or Q.921 frame), without flags and FCS.
    Frame(Vec<u8>),
    /// A frame received in error, dropped: the notice for MTP2's error rate monitors and for
    /// Q.921.
    Error(RxError),
}

/// The receive half of a [`Transport`].
pub struct FrameRx {
    inner: RxInner,
}

enum RxInner {
    Serial(Box<SerialRx>),
    Socket {
        sock: Arc<SeqpacketSocket>,
        buf: Vec<u8>,
        max_payload: usize,
        stats: Arc<Stats>,
    },
    Dahdi {
        chan: Arc<DahdiChannel>,
        buf: Vec<u8>,
        max_payload: usize,
        stats: Arc<Stats>,
    },
}

/// The transmit half of a [`Transport`].
pub struct FrameTx {
    inner: TxInner,
}

enum TxInner {
    Serial(SerialTx),
    Socket {
        sock: Arc<SeqpacketSocket>,
        buf: Vec<u8>,
        max_payload: usize,
        stats: Arc<Stats>,
    },
    Dahdi {
        chan: Arc<DahdiChannel>,
        buf: Vec<u8>,
        max_payload: usize,
        stats: Arc<Stats>,
    },
}

/// One established connection of a link. Lost for good when a call returns a fatal
/// [`Error`] ([`Error::is_fatal`]): make a new one (the [`Link`](crate::Link) does).
pub struct Transport {
    rx: FrameRx,
    tx: FrameTx,
    stats: Arc<Stats>,
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Transport").finish_non_exhaustive()
    }
}

/// A `frames` read of `n` octets in `buf`: the frame without its 2 FCS octets, whose value is
/// ignored (the card checked it; libss7 and libpri write anything there).
fn datagram(buf: &[u8], n: usize, max_payload: usize, stats: &Stats) -> Received {
    stats.line_in(n);
    let e = if n < 2 {
        RxError::Runt
    } else if n > max_payload + 2 {
        RxError::TooLong
    } else {
        let frame = buf.get(..n - 2).unwrap_or_default().to_vec();
        stats.frame_in(frame.len());
        return Received::Frame(frame);
    };
    stats.rx_error(e);
    Received::Error(e)
}

impl FrameRx {
    /// The next frame or error notice. Cancel-safe: usable in `tokio::select!`.
    pub async fn recv_frame(&mut self) -> Result<Received, Error> {
        match &mut self.inner {
            RxInner::Serial(rx) => rx.recv().await,
            RxInner::Socket {
                sock,
                buf,
                max_payload,
                stats,
            } => {
                let n = sock.recv(buf).await?;
                if n == 0 {
                    return Err(Error::Closed);
                }
                Ok(datagram(buf, n, *max_payload, stats))
            }
            RxInner::Dahdi {
                chan,
                buf,
                max_payload,
                stats,
            } => loop {
                let e = match chan.recv(buf).await? {
                    DahdiRead::Frame(0) => return Err(Error::Closed),
                    DahdiRead::Frame(n) => return Ok(datagram(buf, n, *max_payload, stats)),
                    DahdiRead::Event(dahdi::EVENT_BADFCS) => RxError::BadFcs,
                    DahdiRead::Event(dahdi::EVENT_ABORT) => RxError::Abort,
                    DahdiRead::Event(dahdi::EVENT_OVERRUN) => RxError::Overrun,
                    DahdiRead::Event(dahdi::EVENT_ALARM) => return Err(Error::DahdiAlarm),
                    DahdiRead::Event(dahdi::EVENT_REMOVED) => return Err(Error::DahdiRemoved),
                    DahdiRead::Event(_) => continue,
                };
                stats.rx_error(e);
                return Ok(Received::Error(e));
            },
        }
    }
}

impl FrameTx {
    /// Sends one frame (without FCS: `frames` appends a correct FCS-16, `serial` frames and
    /// stuffs it). Frames longer than the maximum are refused with [`Error::FrameTooLong`] and
    /// the link stays up. Cancel-safe on `frames` (one system call); on `serial` a dropped call
    /// may leave part of a frame on the line.
    pub async fn send_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
        match &mut self.inner {
            TxInner::Serial(tx) => tx.send(payload).await,
            TxInner::Socket {
                sock,
                buf,
                max_payload,
                stats,
            } => {
                frames_encode(payload, *max_payload, buf)?;
                sock.send(buf).await?;
                stats.frame_out(payload.len(), buf.len());
                Ok(())
            }
            TxInner::Dahdi {
                chan,
                buf,
                max_payload,
                stats,
            } => {
                frames_encode(payload, *max_payload, buf)?;
                chan.send(buf).await?;
                stats.frame_out(payload.len(), buf.len());
                Ok(())
            }
        }
    }
}

fn frames_encode(payload: &[u8], max_payload: usize, buf: &mut Vec<u8>) -> Result<(), Error> {
    if payload.len() > max_payload {
        return Err(Error::FrameTooLong {
            len: payload.len(),
            max: max_payload,
        });
    }
    buf.clear();
    sipt_codecs::hdlc::frames::encode(payload, buf);
    Ok(())
}

impl Transport {
    /// A `serial` transport over any byte stream (a tty, a PTY master, a pipe in a test),
    /// paced by `pacer` if given.
    pub fn serial<IO>(
        io: IO,
        pacer: Option<Pacer>,
        max_payload: usize,
        stats: Arc<Stats>,
    ) -> Transport
    where
        IO: AsyncRead + AsyncWrite + Send + 'static,
    {
        let (r, w) = tokio::io::split(io);
        Transport {
            rx: FrameRx {
                inner: RxInner::Serial(Box::new(SerialRx::new(
                    Box::pin(r),
                    max_payload,
                    stats.clone(),
                ))),
            },
            tx: FrameTx {
                inner: TxInner::Serial(SerialTx::new(
                    Box::pin(w),
                    pacer,
                    max_payload,
                    stats.clone(),
                )),
            },
            stats,
        }
    }

    /// A `frames` transport over a connected SOCK_SEQPACKET socket.
    pub fn seqpacket(sock: SeqpacketSocket, max_payload: usize, stats: Arc<Stats>) -> Transport {
        let sock = Arc::new(sock);
        Transport {
            rx: FrameRx {
                inner: RxInner::Socket {
                    sock: sock.clone(),
                    buf: vec![0; max_payload + 3],
                    max_payload,
                    stats: stats.clone(),
                },
            },
            tx: FrameTx {
                inner: TxInner::Socket {
                    sock,
                    buf: Vec::with_capacity(max_payload + 2),
                    max_payload,
                    stats: stats.clone(),
                },
            },
            stats,
        }
    }

    /// A `frames` transport over an open DAHDI channel.
    pub fn dahdi(chan: DahdiChannel, max_payload: usize, stats: Arc<Stats>) -> Transport {
        let chan = Arc::new(chan);
        // The card may deliver up to its buffer size; a longer read than max_payload + 2 is
        // reported as too long.
        let bufsize = usize::try_from(dahdi::SIGNALLING_BUFSIZE).unwrap_or(1024);
        Transport {
            rx: FrameRx {
                inner: RxInner::Dahdi {
                    chan: chan.clone(),
                    buf: vec![0; bufsize.max(max_payload + 3)],
                    max_payload,
                    stats: stats.clone(),
                },
            },
            tx: FrameTx {
                inner: TxInner::Dahdi {
                    chan,
                    buf: Vec::with_capacity(max_payload + 2),
                    max_payload,
                    stats: stats.clone(),
                },
            },
            stats,
        }
    }

    /// Two `frames` transports connected to each other (a `socketpair`), each with its own
    /// statistics.
    pub fn seqpacket_pair(max_payload: usize) -> std::io::Result<(Transport, Transport)> {
        let (a, b) = SeqpacketSocket::pair()?;
        Ok((
            Transport::seqpacket(a, max_payload, Arc::new(Stats::new())),
            Transport::seqpacket(b, max_payload, Arc::new(Stats::new())),
        ))
    }

    /// The next frame or error notice. Cancel-safe.
    pub async fn recv_frame(&mut self) -> Result<Received, Error> {
        self.rx.recv_frame().await
    }

    /// Sends one frame (without FCS). See [`FrameTx::send_frame`].
    pub async fn send_frame(&mut self, payload: &[u8]) -> Result<(), Error> {
        self.tx.send_frame(payload).await
    }

    /// The statistics this transport updates.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// The two halves, to receive and send from separate tasks or `select!` branches.
    pub fn split(self) -> (FrameRx, FrameTx) {
        (self.rx, self.tx)
    }
}

/// Makes [`Transport`]s for one link, again and again: holds what outlives a connection (the
/// listening socket of `unix-listen:`, the PTY of `pty`) and the link's statistics.
#[derive(Debug)]
pub struct Connector {
    config: TransportConfig,
    endpoint: Endpoint,
    listener: Option<SeqpacketListener>,
    pty: Option<Pty>,
    pacer: Option<Pacer>,
    stats: Arc<Stats>,
}

impl Connector {
    /// Checks `config`; for `unix-listen:` binds the socket, for `pty` opens the PTY, so that
    /// the far end can attach as soon as this returns. Must run inside a tokio runtime.
    pub fn new(config: &TransportConfig) -> Result<Connector, Error> {
        let endpoint = config.endpoint()?;
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(Error::NoRuntime);
        }
        let mut listener = None;
        let mut pty = None;
        match &endpoint {
            Endpoint::UnixListen(path) => {
                listener = Some(SeqpacketListener::bind(path).map_err(|e| Error::open(path, e))?);
            }
            Endpoint::NewPty => {
                pty = Some(Pty::open().map_err(|e| Error::open("/dev/ptmx", e))?);
            }
            _ => {}
        }
        let pacer = match endpoint {
            Endpoint::Tty(_) | Endpoint::NewPty => {
                config.pace.octets_per_second(config.baud()).map(Pacer::new)
            }
            _ => None,
        };
        Ok(Connector {
            config: config.clone(),
            endpoint,
            listener,
            pty,
            pacer,
            stats: Arc::new(Stats::new()),
        })
    }

    /// The longest frame, without FCS, the link carries.
    pub fn max_payload(&self) -> usize {
        self.config.max_payload
    }

    /// What the link attaches to.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// The slave path of the PTY this connector opened (`path = "pty"`): what to tell the far
    /// end ("the simulator opens a PTY and prints the path").
    pub fn pty_path(&self) -> Option<&Path> {
        self.pty.as_ref().map(Pty::slave_path)
    }

    /// The link's statistics, shared by every transport this connector makes.
    pub fn stats(&self) -> &Arc<Stats> {
        &self.stats
    }

    /// One attempt to open, connect or accept (for `unix-listen:`, waits for the next peer).
    /// Cancel-safe.
    pub async fn connect(&mut self) -> Result<Transport, Error> {
        let max = self.config.max_payload;
        let stats = self.stats.clone();
        match &self.endpoint {
            Endpoint::Tty(path) => {
                use tokio_serial::SerialPortBuilderExt;
                let port = tokio_serial::new(path.to_string_lossy(), self.config.baud())
                    .data_bits(tokio_serial::DataBits::Eight)
                    .parity(tokio_serial::Parity::None)
                    .stop_bits(tokio_serial::StopBits::One)
                    .flow_control(tokio_serial::FlowControl::None)
                    .open_native_async()
                    .map_err(|e| Error::open(path, e.into()))?;
                Ok(Transport::serial(port, self.pacer.clone(), max, stats))
            }
            Endpoint::NewPty => {
                let pty = self.pty.as_ref().ok_or(Error::Closed)?;
                let io = pty
                    .master_io()
                    .map_err(|e| Error::open(pty.slave_path(), e))?;
                Ok(Transport::serial(io, self.pacer.clone(), max, stats))
            }
            Endpoint::Unix(path) => {
                let sock = SeqpacketSocket::connect(path).map_err(|e| Error::open(path, e))?;
                Ok(Transport::seqpacket(sock, max, stats))
            }
            Endpoint::UnixListen(path) => {
                let listener = self.listener.as_ref().ok_or(Error::Closed)?;
                let sock = listener.accept().await.map_err(|e| Error::open(path, e))?;
                Ok(Transport::seqpacket(sock, max, stats))
            }
            Endpoint::Dahdi { device, channel } => {
                let chan = DahdiChannel::open(device, *channel).map_err(|e| {
                    Error::open(PathBuf::from(format!("{}:{channel}", device.display())), e)
                })?;
                Ok(Transport::dahdi(chan, max, stats))
            }
        }
    }
}
