//! SIP transports (RFC 3261 18) and next-hop location (RFC 3263).
//!
//! The layer moves messages as bytes with addresses; it knows of SIP only the framing of
//! messages on streams ([`framing`], RFC 3261 18.3) and the CRLF keep-alives of RFC 5626
//! 3.5.1. Transactions sit on it and see [`TransportEvent`]s.
//!
//! - [`addr`]: transports, targets and the `[sip] listen` entries.
//! - [`framing`]: the stream framing rule, sans-IO.
//! - [`mtu`]: the RFC 3261 18.1.1 rule (a large request leaves UDP for TCP).
//! - [`shell`]: the tokio shell: UDP sockets, TCP/TLS listeners and connections, the
//!   connection table (reuse, RFC 3261 18.2.2 / RFC 5923), idle and connect timeouts, limits.
//! - [`tls`]: rustls configuration from PEM files.
//! - [`locate`]: RFC 3263 NAPTR/SRV/A-AAAA with an override table.
//!
//! ```no_run
//! # async fn f() -> Result<(), Box<dyn std::error::Error>> {
//! use sipt_mgc::sip::transport::{Target, Transport, TransportConfig, TransportEvent, TransportKind};
//! let config = TransportConfig::from_listen(&["udp:127.0.0.1:5060", "tcp:[::1]:5060"])?;
//! let (handle, mut events) = Transport::bind(config).await?;
//! handle.send(&Target::new(TransportKind::Udp, "127.0.0.1:5070".parse()?), b"OPTIONS ...".to_vec())?;
//! while let Some(TransportEvent::Received { bytes, source, .. }) = events.recv().await {
//!     let _ = (bytes, source);
//! }
//! # Ok(()) }
//! ```

pub mod addr;
pub mod framing;
pub mod locate;
pub mod mtu;
pub mod shell;
mod stats;
pub mod tls;

pub use addr::{parse_listen, ListenAddr, ListenError, Target, TransportKind};
pub use framing::{frame, Framed, FramingError, StreamFramer};
pub use locate::{Dns, Host, LocateError, Locator, NextHop, NoDns};
pub use mtu::{MtuDecision, MtuRule};
pub use shell::{
    BindError, CloseReason, ConnectionId, Failure, SendError, Transport, TransportConfig,
    TransportEvent, TransportEvents, TransportHandle,
};
pub use stats::TransportStats;
pub use tls::{TlsConfig, TlsError};
