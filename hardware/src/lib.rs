//! Attaching sipt-mgc to signalling links: the `serial` and `frames` transports of DESIGN.md,
//! reconnection, link statistics, and span/card profiles.
//!
//! This crate is the I/O boundary: protocol state machines (MTP2, Q.921) live elsewhere and
//! see only frames (without flags and FCS), error notices and connection events.
//!
//! - [`Transport`]: one connection; [`Transport::recv_frame`] gives [`Received::Frame`] or
//!   [`Received::Error`] (a frame received in error, counted and dropped: the notice MTP2's
//!   error rate monitors count), [`Transport::send_frame`] writes one.
//! - [`Connector`]: makes transports from a link's [`TransportConfig`] (`transport`, `path`,
//!   `baud` of a `[[link]]`).
//! - [`Link`]: keeps a link attached, reconnecting with [`Backoff`], reporting [`LinkEvent`]s and
//!   keeping [`Stats`].
//! - `serial` framing is `sipt_codecs::hdlc` (RFC 1662-style stuffing, Q.703 FCS-16); `frames`
//!   is one frame plus 2 FCS octets per datagram ([`seqpacket`]) or DAHDI read ([`dahdi`]).
//! - [`Pty`] opens a raw PTY pair; [`Pacer`] holds a PTY to a line rate ([`Pace`]).
//! - [`SpanProfile`]: E1, T1 and serial simulator profiles with the CIC and B-channel maps.

pub mod config;
pub mod dahdi;
pub mod error;
mod fd;
pub mod link;
pub mod pacer;
pub mod profile;
pub mod pty;
pub mod seqpacket;
mod serial;
pub mod stats;
pub mod transport;

pub use config::{Backoff, Endpoint, Pace, TransportConfig, TransportKind};
pub use error::{ConfigError, Error, RxError};
pub use link::{Link, LinkEvent, LinkSender};
pub use pacer::Pacer;
pub use profile::{Circuit, SpanProfile};
pub use pty::{Pty, PtyIo};
pub use stats::{Stats, StatsSnapshot};
pub use transport::{Connector, FrameRx, FrameTx, Received, Transport};
