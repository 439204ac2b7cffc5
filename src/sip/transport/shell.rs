//! The async transport shell (tokio): sockets, connections and their tasks. It moves messages
//! as bytes; everything about SIP it needs is the framing rule of [`super::framing`].
//!
//! One task per UDP socket and per listener; one task per TCP/TLS connection owning the
//! stream, its [`StreamFramer`] and a queue of messages to write. The connection table maps
//! (transport, remote address) to a connection, inbound and outbound alike, so that a response
//! goes back on the connection its request came in on (RFC 3261 18.2.2) and a request to a
//! peer reuses a connection that peer opened (RFC 5923 3, on the address the peer connected
//! from or an alias the transaction user adds).

use std::collections::HashMap;
use std::fmt;
use std::io;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use thiserror::Error;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream, UdpSocket};
use tokio::sync::{mpsc, watch};

use super::addr::{ListenAddr, Target, TransportKind};
use super::framing::{self, Datagram, Frame, FramingError, StreamFramer};
use super::stats::{add, bump, Stats, TransportStats};
use super::tls::{self, TlsConfig, TlsContext, TlsError};

/// The transports' settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransportConfig {
    /// Where to listen (`[sip] listen`). Outbound UDP leaves from the first UDP socket of the
    /// destination's address family.
    pub listen: Vec<ListenAddr>,
    /// Certificates and CAs for `tls:`.
    pub tls: TlsConfig,
    /// The largest message accepted or sent, in octets; larger datagrams are dropped and
    /// counted, a larger message on a stream closes it.
    pub max_message_size: usize,
    /// The most TCP/TLS connections at once (connecting and open, both directions).
    pub max_connections: usize,
    /// A connection with no traffic either way for this long is closed.
    pub idle_timeout: Duration,
    /// Connecting out, the TLS handshake included (and an inbound TLS handshake), must end
    /// within this.
    pub connect_timeout: Duration,
    /// Messages queued per connection before `send` fails with [`SendError::QueueFull`].
    pub connection_queue: usize,
    /// Events queued before the transports wait for the reader.
    pub event_queue: usize,
}

impl TransportConfig {
    /// Defaults around `listen`: 65507-octet messages, 1024 connections, 300 s idle, 10 s to
    /// connect.
    pub fn new(listen: Vec<ListenAddr>) -> TransportConfig {
        TransportConfig {
            listen,
            tls: TlsConfig::default(),
            max_message_size: framing::DEFAULT_MAX_MESSAGE_SIZE,
            max_connections: 1024,
            idle_timeout: Duration::from_secs(300),
            connect_timeout: Duration::from_secs(10),
            connection_queue: 256,
            event_queue: 1024,
        }
    }

    /// Defaults around the `[sip] listen` strings; the error names the bad entry.
    pub fn from_listen<S: AsRef<str>>(
        entries: &[S],
    ) -> Result<TransportConfig, super::addr::ListenError> {
        Ok(TransportConfig::new(super::addr::parse_listen(entries)?))
    }
}

/// The receive buffer asked for on each UDP socket, in octets.
const UDP_RECEIVE_BUFFER: usize = 4 << 20;

/// A connection, numbered from 1 in the order they are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ConnectionId(pub u64);

impl fmt::Display for ConnectionId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{}", self.0)
    }
}

/// Why a message could not be sent, or a connection could not be made or went away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Failure {
    #[error("connect timed out")]
    ConnectTimeout,
    #[error("TLS handshake failed: {0}")]
    Handshake(io::ErrorKind),
    #[error("I/O error: {0}")]
    Io(io::ErrorKind),
    #[error("the connection closed before the message was written")]
    ConnectionClosed,
    #[error("the transports are shutting down")]
    Shutdown,
}

/// Why a connection closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CloseReason {
    /// The peer closed it (end of stream).
    ClosedByPeer,
    /// No traffic for the idle timeout.
    IdleTimeout,
    /// The stream's framing broke (RFC 3261 18.3).
    Framing(FramingError),
    /// A read or write failed, or the TLS handshake did.
    Failed(Failure),
    /// [`TransportHandle::close`] or shutdown.
    ClosedLocally,
}

/// What the transports report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TransportEvent {
    /// A message: one datagram, or one framed message of a stream.
    Received {
        bytes: Vec<u8>,
        /// The peer's address (the `received`/`rport` of RFC 3261 18.2.1, RFC 3581).
        source: SocketAddr,
        /// The local address it came in on.
        local: SocketAddr,
        transport: TransportKind,
        /// The connection (TCP, TLS); `None` for UDP.
        connection: Option<ConnectionId>,
    },
    /// A connection was accepted or made (for TLS: after the handshake).
    ConnectionOpened {
        connection: ConnectionId,
        transport: TransportKind,
        remote: SocketAddr,
        local: SocketAddr,
        inbound: bool,
    },
    /// A message handed to `send` could not be sent (RFC 3261 17.1.4, 18.4: a transport
    /// error for the transaction).
    SendFailed {
        transport: TransportKind,
        remote: SocketAddr,
        connection: Option<ConnectionId>,
        bytes: Vec<u8>,
        error: Failure,
    },
    /// A connection left the table.
    ConnectionClosed {
        connection: ConnectionId,
        transport: TransportKind,
        remote: SocketAddr,
        reason: CloseReason,
    },
}

/// Why the transports could not start.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum BindError {
    #[error("listen {listen}: {source}")]
    Bind {
        listen: ListenAddr,
        #[source]
        source: io::Error,
    },
    #[error(transparent)]
    Tls(#[from] TlsError),
}

/// Why `send` refused a message at once (failures found later are `SendFailed` events).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum SendError {
    #[error("message of {size} octets exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
    #[error("no {transport} socket for the address family of {addr}")]
    NoSocket {
        transport: TransportKind,
        addr: SocketAddr,
    },
    #[error("UDP send to {addr}: {kind}")]
    Udp {
        addr: SocketAddr,
        kind: io::ErrorKind,
    },
    #[error("no TLS client configuration (ca_file) to connect to {0}")]
    NoTlsClient(SocketAddr),
    #[error("the TLS server name {0:?} is not valid")]
    BadServerName(String),
    #[error("the connection table is full ({0} connections)")]
    TooManyConnections(usize),
    #[error("the send queue of connection {0} is full")]
    QueueFull(ConnectionId),
    #[error("connection {0} is not open")]
    NoConnection(ConnectionId),
}

/// The transports: [`Transport::bind`] starts them.
#[derive(Debug)]
pub struct Transport;

type Key = (TransportKind, SocketAddr);

#[derive(Debug)]
struct Entry {
    transport: TransportKind,
    tx: mpsc::Sender<Vec<u8>>,
    keys: Vec<Key>,
}

#[derive(Debug, Default)]
struct Table {
    next_id: u64,
    by_id: HashMap<ConnectionId, Entry>,
    by_key: HashMap<Key, ConnectionId>,
}

impl Table {
    /// Adds a connection under its (transport, remote) key; a newer connection to the same key
    /// takes the key (the older one stays usable by id).
    fn insert(
        &mut self,
        transport: TransportKind,
        remote: SocketAddr,
        tx: mpsc::Sender<Vec<u8>>,
    ) -> ConnectionId {
        self.next_id += 1;
        let id = ConnectionId(self.next_id);
        let key = (transport, remote);
        self.by_key.insert(key, id);
        self.by_id.insert(
            id,
            Entry {
                transport,
                tx,
                keys: vec![key],
            },
        );
        id
    }

    fn remove(&mut self, id: ConnectionId) -> Option<Entry> {
        let entry = self.by_id.remove(&id)?;
        for key in &entry.keys {
            if self.by_key.get(key) == Some(&id) {
                self.by_key.remove(key);
            }
        }
        Some(entry)
    }
}

#[derive(Debug)]
struct Shared {
    config: TransportConfig,
    stats: Stats,
    events: mpsc::Sender<TransportEvent>,
    udp: Vec<(SocketAddr, Arc<UdpSocket>)>,
    local: Vec<ListenAddr>,
    tls: TlsContext,
    table: Mutex<Table>,
    shutdown: watch::Receiver<bool>,
}

impl Shared {
    fn table(&self) -> MutexGuard<'_, Table> {
        // A panic elsewhere while holding the lock leaves the table consistent (every
        // change is one insert or remove), so a poisoned lock is used as is.
        self.table.lock().unwrap_or_else(|e| e.into_inner())
    }

    async fn event(&self, event: TransportEvent) {
        // The reader may be gone (shutting down): events are then dropped.
        let _ = self.events.send(event).await;
    }
}

/// Stops the transports when the last handle goes.
#[derive(Debug)]
struct ShutdownGuard(watch::Sender<bool>);

impl Drop for ShutdownGuard {
    fn drop(&mut self) {
        let _ = self.0.send(true);
    }
}

/// Sends messages and manages connections; cheap to clone. The transports stop when the last
/// clone is dropped or [`TransportHandle::shutdown`] is called.
#[derive(Debug, Clone)]
pub struct TransportHandle {
    shared: Arc<Shared>,
    guard: Arc<ShutdownGuard>,
}

/// The stream of [`TransportEvent`]s.
#[derive(Debug)]
pub struct TransportEvents(mpsc::Receiver<TransportEvent>);

impl TransportEvents {
    /// The next event; `None` once the transports have stopped.
    pub async fn recv(&mut self) -> Option<TransportEvent> {
        self.0.recv().await
    }

    /// The next event if one is waiting.
    pub fn try_recv(&mut self) -> Option<TransportEvent> {
        self.0.try_recv().ok()
    }
}

impl Transport {
    /// Binds every listen address, starts the tasks (inside a tokio runtime), and returns the
    /// handle and the events.
    pub async fn bind(
        config: TransportConfig,
    ) -> Result<(TransportHandle, TransportEvents), BindError> {
        let listen_tls = config
            .listen
            .iter()
            .any(|l| l.transport == TransportKind::Tls);
        let tls = TlsContext::load(&config.tls, listen_tls)?;
        let mut udp = Vec::new();
        let mut listeners = Vec::new();
        let mut local = Vec::new();
        for &listen in &config.listen {
            let bind_err = |source| BindError::Bind { listen, source };
            match listen.transport {
                TransportKind::Udp => {
                    let socket = UdpSocket::bind(listen.addr).await.map_err(bind_err)?;
                    // A burst of datagrams while the task is busy must wait in the kernel,
                    // not be dropped there: the default receive buffer (about 200 KiB on
                    // Linux) holds a few hundred SIP messages, some tens of milliseconds at
                    // 1000 calls/s. The kernel caps the request at net.core.rmem_max; a
                    // refusal is not an error (the default stays).
                    let _ =
                        socket2::SockRef::from(&socket).set_recv_buffer_size(UDP_RECEIVE_BUFFER);
                    let addr = socket.local_addr().map_err(bind_err)?;
                    local.push(ListenAddr {
                        transport: listen.transport,
                        addr,
                    });
                    udp.push((addr, Arc::new(socket)));
                }
                TransportKind::Tcp | TransportKind::Tls => {
                    let listener = TcpListener::bind(listen.addr).await.map_err(bind_err)?;
                    let addr = listener.local_addr().map_err(bind_err)?;
                    local.push(ListenAddr {
                        transport: listen.transport,
                        addr,
                    });
                    listeners.push((listen.transport, listener));
                }
            }
        }
        let (events_tx, events_rx) = mpsc::channel(config.event_queue.max(1));
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let shared = Arc::new(Shared {
            config,
            stats: Stats::default(),
            events: events_tx,
            udp,
            local,
            tls,
            table: Mutex::new(Table::default()),
            shutdown: shutdown_rx,
        });
        for (local, socket) in &shared.udp {
            tokio::spawn(udp_receive(shared.clone(), *local, socket.clone()));
        }
        for (transport, listener) in listeners {
            tokio::spawn(accept(shared.clone(), transport, listener));
        }
        let handle = TransportHandle {
            shared,
            guard: Arc::new(ShutdownGuard(shutdown_tx)),
        };
        Ok((handle, TransportEvents(events_rx)))
    }
}

impl TransportHandle {
    /// The addresses actually bound (port 0 in the configuration replaced by the port given).
    pub fn local_addrs(&self) -> &[ListenAddr] {
        &self.shared.local
    }

    /// The first bound address of `transport`.
    pub fn local_addr(&self, transport: TransportKind) -> Option<SocketAddr> {
        self.shared
            .local
            .iter()
            .find(|l| l.transport == transport)
            .map(|l| l.addr)
    }

    /// The statistics now.
    pub fn stats(&self) -> TransportStats {
        let open = self.shared.table().by_id.len();
        self.shared.stats.snapshot(open)
    }

    /// Whether a connection is in the table.
    pub fn is_open(&self, connection: ConnectionId) -> bool {
        self.shared.table().by_id.contains_key(&connection)
    }

    /// The connection a stream send to (`transport`, `remote`) would use now.
    pub fn connection_to(
        &self,
        transport: TransportKind,
        remote: SocketAddr,
    ) -> Option<ConnectionId> {
        self.shared
            .table()
            .by_key
            .get(&(transport, remote))
            .copied()
    }

    /// Sends one message. UDP: one datagram, now. TCP/TLS: on the connection to the target
    /// (an inbound one from that address included), opening one when there is none; the
    /// write happens later and a failure comes as [`TransportEvent::SendFailed`].
    pub fn send(&self, target: &Target, bytes: Vec<u8>) -> Result<(), SendError> {
        let shared = &self.shared;
        self.check_size(&bytes)?;
        match target.transport {
            TransportKind::Udp => self.send_udp(target.addr, bytes),
            TransportKind::Tcp | TransportKind::Tls => {
                let key = (target.transport, target.addr);
                let mut table = shared.table();
                if let Some(id) = table.by_key.get(&key).copied() {
                    if let Some(entry) = table.by_id.get(&id) {
                        return queue(shared, id, &entry.tx, bytes);
                    }
                }
                let server_name = if target.transport == TransportKind::Tls {
                    if shared.tls.connector.is_none() {
                        bump(&shared.stats.send_failures);
                        return Err(SendError::NoTlsClient(target.addr));
                    }
                    let name = tls::server_name(target.server_name.as_deref(), target.addr);
                    Some(name.ok_or_else(|| {
                        SendError::BadServerName(target.server_name.clone().unwrap_or_default())
                    })?)
                } else {
                    None
                };
                if table.by_id.len() >= shared.config.max_connections {
                    bump(&shared.stats.send_failures);
                    return Err(SendError::TooManyConnections(table.by_id.len()));
                }
                let (tx, rx) = mpsc::channel(shared.config.connection_queue.max(1));
                let id = table.insert(target.transport, target.addr, tx.clone());
                drop(table);
                let result = queue(shared, id, &tx, bytes);
                tokio::spawn(connect(
                    shared.clone(),
                    id,
                    target.transport,
                    target.addr,
                    server_name,
                    rx,
                ));
                result
            }
        }
    }

    /// Sends one message on a given connection (RFC 3261 18.2.2: a response goes back on the
    /// connection of its request while it is open).
    pub fn send_on(&self, connection: ConnectionId, bytes: Vec<u8>) -> Result<(), SendError> {
        self.check_size(&bytes)?;
        let table = self.shared.table();
        match table.by_id.get(&connection) {
            Some(entry) => queue(&self.shared, connection, &entry.tx, bytes),
            None => {
                bump(&self.shared.stats.send_failures);
                Err(SendError::NoConnection(connection))
            }
        }
    }

    /// Makes a connection also the one for (`transport`, `remote`): the alias of RFC 5923 5,
    /// for the transaction user once it has checked that the peer may claim that address
    /// (RFC 5923 4, 5: the sent-by of a Via with `alias`, authenticated by TLS).
    pub fn add_alias(
        &self,
        connection: ConnectionId,
        transport: TransportKind,
        remote: SocketAddr,
    ) -> Result<(), SendError> {
        let mut table = self.shared.table();
        let key = (transport, remote);
        match table.by_id.get_mut(&connection) {
            Some(entry) if entry.transport == transport => {
                entry.keys.push(key);
                table.by_key.insert(key, connection);
                Ok(())
            }
            _ => Err(SendError::NoConnection(connection)),
        }
    }

    /// Closes a connection (its task sees the queue close and ends with
    /// [`CloseReason::ClosedLocally`]).
    pub fn close(&self, connection: ConnectionId) {
        // Dropping the entry drops the queue's sender.
        let _ = self.shared.table().remove(connection);
    }

    /// Stops every task; the events end.
    pub fn shutdown(&self) {
        let _ = self.guard.0.send(true);
    }

    fn check_size(&self, bytes: &[u8]) -> Result<(), SendError> {
        let limit = self.shared.config.max_message_size;
        if bytes.len() > limit {
            bump(&self.shared.stats.send_failures);
            return Err(SendError::TooLarge {
                size: bytes.len(),
                limit,
            });
        }
        Ok(())
    }

    fn send_udp(&self, addr: SocketAddr, bytes: Vec<u8>) -> Result<(), SendError> {
        let shared = &self.shared;
        let Some((_, socket)) = shared
            .udp
            .iter()
            .find(|(local, _)| local.is_ipv4() == addr.is_ipv4())
        else {
            bump(&shared.stats.send_failures);
            return Err(SendError::NoSocket {
                transport: TransportKind::Udp,
                addr,
            });
        };
        match socket.try_send_to(&bytes, addr) {
            Ok(_) => {
                bump(&shared.stats.messages_out);
                add(&shared.stats.octets_out, bytes.len());
                Ok(())
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                // The socket buffer is full: wait for room without holding the caller.
                let shared = shared.clone();
                let socket = socket.clone();
                tokio::spawn(async move {
                    match socket.send_to(&bytes, addr).await {
                        Ok(_) => {
                            bump(&shared.stats.messages_out);
                            add(&shared.stats.octets_out, bytes.len());
                        }
                        Err(e) => {
                            bump(&shared.stats.send_failures);
                            shared
                                .event(TransportEvent::SendFailed {
                                    transport: TransportKind::Udp,
                                    remote: addr,
                                    connection: None,
                                    bytes,
                                    error: Failure::Io(e.kind()),
                                })
                                .await;
                        }
                    }
                });
                Ok(())
            }
            Err(e) => {
                bump(&shared.stats.send_failures);
                Err(SendError::Udp {
                    addr,
                    kind: e.kind(),
                })
            }
        }
    }
}

fn queue(
    shared: &Shared,
    id: ConnectionId,
    tx: &mpsc::Sender<Vec<u8>>,
    bytes: Vec<u8>,
) -> Result<(), SendError> {
    tx.try_send(bytes).map_err(|e| {
        bump(&shared.stats.send_failures);
        match e {
            mpsc::error::TrySendError::Full(_) => SendError::QueueFull(id),
            mpsc::error::TrySendError::Closed(_) => SendError::NoConnection(id),
        }
    })
}

/// Receives datagrams on one UDP socket (RFC 3261 18.3: one datagram, one message).
async fn udp_receive(shared: Arc<Shared>, local: SocketAddr, socket: Arc<UdpSocket>) {
    let mut shutdown = shared.shutdown.clone();
    // Larger than any UDP payload, so that an oversize datagram is seen whole, not cut.
    let mut buf = vec![0u8; 65_536];
    loop {
        let (n, source) = tokio::select! {
            r = socket.recv_from(&mut buf) => match r {
                Ok(r) => r,
                // ICMP errors of earlier sends (ECONNREFUSED) and the like: not fatal.
                Err(_) => continue,
            },
            _ = shutdown.changed() => return,
        };
        let datagram = buf.get(..n).unwrap_or_default();
        if n > shared.config.max_message_size {
            bump(&shared.stats.dropped_oversize);
            continue;
        }
        if framing::classify_datagram(datagram) == Datagram::KeepAlive {
            bump(&shared.stats.keepalives_in);
            continue;
        }
        bump(&shared.stats.messages_in);
        add(&shared.stats.octets_in, n);
        shared
            .event(TransportEvent::Received {
                bytes: datagram.to_vec(),
                source,
                local,
                transport: TransportKind::Udp,
                connection: None,
            })
            .await;
    }
}

/// Accepts connections on one TCP or TLS listener.
async fn accept(shared: Arc<Shared>, transport: TransportKind, listener: TcpListener) {
    let mut shutdown = shared.shutdown.clone();
    loop {
        let (stream, remote) = tokio::select! {
            r = listener.accept() => match r {
                Ok(r) => r,
                Err(_) => {
                    // Out of descriptors and the like: back off a little.
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    continue;
                }
            },
            _ = shutdown.changed() => return,
        };
        let (tx, rx) = mpsc::channel(shared.config.connection_queue.max(1));
        let id = {
            let mut table = shared.table();
            if table.by_id.len() >= shared.config.max_connections {
                bump(&shared.stats.connections_refused);
                continue;
            }
            table.insert(transport, remote, tx)
        };
        let shared = shared.clone();
        tokio::spawn(async move {
            let local = stream.local_addr().unwrap_or(remote);
            let _ = stream.set_nodelay(true);
            let (end, was_open) = match (transport, shared.tls.acceptor.clone()) {
                (TransportKind::Tls, Some(acceptor)) => {
                    let handshake = tokio::time::timeout(
                        shared.config.connect_timeout,
                        acceptor.accept(stream),
                    )
                    .await;
                    match handshake {
                        Ok(Ok(tls)) => {
                            opened(&shared, id, transport, remote, local, true).await;
                            (
                                run(&shared, id, transport, remote, local, tls, rx).await,
                                true,
                            )
                        }
                        Ok(Err(e)) => (Ended::handshake(e.kind(), rx), false),
                        Err(_) => (
                            Ended::new(CloseReason::Failed(Failure::ConnectTimeout), rx),
                            false,
                        ),
                    }
                }
                (TransportKind::Tls, None) => {
                    (Ended::handshake(io::ErrorKind::InvalidInput, rx), false)
                }
                _ => {
                    opened(&shared, id, transport, remote, local, true).await;
                    (
                        run(&shared, id, transport, remote, local, stream, rx).await,
                        true,
                    )
                }
            };
            closed(&shared, id, transport, remote, end, was_open).await;
        });
    }
}

/// Connects out and then runs the connection.
async fn connect(
    shared: Arc<Shared>,
    id: ConnectionId,
    transport: TransportKind,
    remote: SocketAddr,
    server_name: Option<rustls::pki_types::ServerName<'static>>,
    rx: mpsc::Receiver<Vec<u8>>,
) {
    let timeout = shared.config.connect_timeout;
    let mut shutdown = shared.shutdown.clone();
    let tcp = tokio::select! {
        r = tokio::time::timeout(timeout, TcpStream::connect(remote)) => r,
        _ = shutdown.changed() => {
            closed(&shared, id, transport, remote, Ended::new(CloseReason::ClosedLocally, rx), false).await;
            return;
        }
    };
    let stream = match tcp {
        Ok(Ok(s)) => s,
        Ok(Err(e)) => {
            let end = Ended::new(CloseReason::Failed(Failure::Io(e.kind())), rx);
            closed(&shared, id, transport, remote, end, false).await;
            return;
        }
        Err(_) => {
            let end = Ended::new(CloseReason::Failed(Failure::ConnectTimeout), rx);
            closed(&shared, id, transport, remote, end, false).await;
            return;
        }
    };
    let _ = stream.set_nodelay(true);
    let local = stream.local_addr().unwrap_or(remote);
    let (end, was_open) = match (transport, shared.tls.connector.clone(), server_name) {
        (TransportKind::Tls, Some(connector), Some(name)) => {
            match tokio::time::timeout(timeout, connector.connect(name, stream)).await {
                Ok(Ok(tls)) => {
                    opened(&shared, id, transport, remote, local, false).await;
                    (
                        run(&shared, id, transport, remote, local, tls, rx).await,
                        true,
                    )
                }
                Ok(Err(e)) => (Ended::handshake(e.kind(), rx), false),
                Err(_) => (
                    Ended::new(CloseReason::Failed(Failure::ConnectTimeout), rx),
                    false,
                ),
            }
        }
        (TransportKind::Tls, _, _) => (Ended::handshake(io::ErrorKind::InvalidInput, rx), false),
        _ => {
            opened(&shared, id, transport, remote, local, false).await;
            (
                run(&shared, id, transport, remote, local, stream, rx).await,
                true,
            )
        }
    };
    closed(&shared, id, transport, remote, end, was_open).await;
}

/// How a connection ended, with what was left in its queue.
struct Ended {
    reason: CloseReason,
    rx: mpsc::Receiver<Vec<u8>>,
    /// A message taken from the queue whose write failed.
    unsent: Option<Vec<u8>>,
}

impl Ended {
    fn new(reason: CloseReason, rx: mpsc::Receiver<Vec<u8>>) -> Ended {
        Ended {
            reason,
            rx,
            unsent: None,
        }
    }

    fn handshake(kind: io::ErrorKind, rx: mpsc::Receiver<Vec<u8>>) -> Ended {
        Ended::new(CloseReason::Failed(Failure::Handshake(kind)), rx)
    }
}

async fn opened(
    shared: &Shared,
    connection: ConnectionId,
    transport: TransportKind,
    remote: SocketAddr,
    local: SocketAddr,
    inbound: bool,
) {
    bump(&shared.stats.connections_opened);
    shared
        .event(TransportEvent::ConnectionOpened {
            connection,
            transport,
            remote,
            local,
            inbound,
        })
        .await;
}

/// Takes a connection out of the table, fails what was queued on it, and reports the close
/// (`was_open`: it had opened; a failed connect reports only the failed sends).
async fn closed(
    shared: &Shared,
    connection: ConnectionId,
    transport: TransportKind,
    remote: SocketAddr,
    mut end: Ended,
    was_open: bool,
) {
    // Out of the table first, so that no new message joins the queue being drained.
    let _ = shared.table().remove(connection);
    end.rx.close();
    let error = match end.reason {
        CloseReason::Failed(f) => f,
        CloseReason::ClosedLocally if *shared.shutdown.borrow() => Failure::Shutdown,
        _ => Failure::ConnectionClosed,
    };
    let mut failed = Vec::new();
    failed.extend(end.unsent.take());
    while let Ok(bytes) = end.rx.try_recv() {
        failed.push(bytes);
    }
    for bytes in failed {
        bump(&shared.stats.send_failures);
        shared
            .event(TransportEvent::SendFailed {
                transport,
                remote,
                connection: Some(connection),
                bytes,
                error,
            })
            .await;
    }
    if was_open {
        bump(&shared.stats.connections_closed);
        shared
            .event(TransportEvent::ConnectionClosed {
                connection,
                transport,
                remote,
                reason: end.reason,
            })
            .await;
    }
}

/// Runs one open connection: reads and frames, answers pings, writes the queue, closes when
/// idle, broken, closed by the peer or shut down.
async fn run<S>(
    shared: &Shared,
    id: ConnectionId,
    transport: TransportKind,
    remote: SocketAddr,
    local: SocketAddr,
    stream: S,
    mut rx: mpsc::Receiver<Vec<u8>>,
) -> Ended
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let (mut reader, mut writer) = tokio::io::split(stream);
    let mut framer = StreamFramer::new(shared.config.max_message_size);
    let mut buf = vec![0u8; 16 * 1024];
    let mut shutdown = shared.shutdown.clone();
    let idle = shared.config.idle_timeout;
    let mut idle_at = tokio::time::Instant::now() + idle;
    loop {
        tokio::select! {
            r = reader.read(&mut buf) => {
                let n = match r {
                    Ok(0) => return Ended::new(CloseReason::ClosedByPeer, rx),
                    Ok(n) => n,
                    Err(e) => return Ended::new(CloseReason::Failed(Failure::Io(e.kind())), rx),
                };
                idle_at = tokio::time::Instant::now() + idle;
                framer.push(buf.get(..n).unwrap_or_default());
                loop {
                    match framer.next_frame() {
                        Ok(None) => break,
                        Ok(Some(Frame::Message(bytes))) => {
                            bump(&shared.stats.messages_in);
                            add(&shared.stats.octets_in, bytes.len());
                            shared.event(TransportEvent::Received {
                                bytes,
                                source: remote,
                                local,
                                transport,
                                connection: Some(id),
                            }).await;
                        }
                        Ok(Some(Frame::Ping)) => {
                            // RFC 5626 3.5.1: a pong for every ping.
                            bump(&shared.stats.keepalives_in);
                            if let Err(e) = writer.write_all(framing::PONG).await {
                                return Ended::new(CloseReason::Failed(Failure::Io(e.kind())), rx);
                            }
                            bump(&shared.stats.keepalives_out);
                        }
                        Ok(Some(Frame::Pong)) => bump(&shared.stats.keepalives_in),
                        Err(e) => {
                            bump(&shared.stats.framing_errors);
                            let _ = writer.shutdown().await;
                            return Ended::new(CloseReason::Framing(e), rx);
                        }
                    }
                }
            }
            m = rx.recv() => {
                let Some(bytes) = m else {
                    let _ = writer.shutdown().await;
                    return Ended::new(CloseReason::ClosedLocally, rx);
                };
                let written = async {
                    writer.write_all(&bytes).await?;
                    writer.flush().await
                }.await;
                if let Err(e) = written {
                    return Ended {
                        reason: CloseReason::Failed(Failure::Io(e.kind())),
                        rx,
                        unsent: Some(bytes),
                    };
                }
                bump(&shared.stats.messages_out);
                add(&shared.stats.octets_out, bytes.len());
                idle_at = tokio::time::Instant::now() + idle;
            }
            () = tokio::time::sleep_until(idle_at) => {
                let _ = writer.shutdown().await;
                return Ended::new(CloseReason::IdleTimeout, rx);
            }
            _ = shutdown.changed() => {
                return Ended::new(CloseReason::ClosedLocally, rx);
            }
        }
    }
}
