//! Errors of the transports, and the notices of frames received in error.

use std::io;
use std::path::PathBuf;

/// Why opening, reading or writing a link failed.
///
/// Every variant but [`Error::FrameTooLong`] means the connection is gone: the reconnecting
/// [`Link`](crate::Link) reports it as [`LinkEvent::Lost`](crate::LinkEvent::Lost) and opens the
/// link again.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The configuration names no usable endpoint.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// Opening, connecting to or accepting on `path` failed.
    #[error("{}: {source}", path.display())]
    Open {
        /// The tty, socket or device.
        path: PathBuf,
        /// What the system said.
        #[source]
        source: io::Error,
    },
    /// Reading or writing an established link failed.
    #[error("link I/O: {0}")]
    Io(#[from] io::Error),
    /// The far end closed the connection (end of file on the socket or tty).
    #[error("the far end closed the link")]
    Closed,
    /// A DAHDI channel reported an alarm on its span (`DAHDI_EVENT_ALARM`).
    #[error("DAHDI span alarm")]
    DahdiAlarm,
    /// A DAHDI channel was removed (`DAHDI_EVENT_REMOVED`, e.g. the card went away).
    #[error("DAHDI channel removed")]
    DahdiRemoved,
    /// A frame handed to `send_frame` is longer than the link's maximum; nothing was written and
    /// the link is still up.
    #[error("frame of {len} octets exceeds the maximum of {max}")]
    FrameTooLong {
        /// The frame's length, without FCS.
        len: usize,
        /// The link's maximum payload.
        max: usize,
    },
    /// No tokio runtime (with I/O enabled) is running on this thread.
    #[error("no tokio runtime with I/O enabled")]
    NoRuntime,
    /// The [`Link`](crate::Link)'s task has stopped.
    #[error("the link task has stopped")]
    LinkStopped,
}

impl Error {
    /// Whether the connection the error came from is lost (everything but a refused frame).
    pub fn is_fatal(&self) -> bool {
        !matches!(self, Error::FrameTooLong { .. })
    }

    pub(crate) fn open(path: impl Into<PathBuf>, source: io::Error) -> Error {
        Error::Open {
            path: path.into(),
            source,
        }
    }
}

/// A link configuration that names no usable endpoint.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// `path` is empty.
    #[error("path is empty")]
    EmptyPath,
    /// A `frames` path is none of `unix:PATH`, `unix-listen:PATH` or `DEVICE:CHANNEL`.
    #[error("frames path {path:?}: expected \"unix:PATH\", \"unix-listen:PATH\" or \"/dev/dahdi/channel:N\"")]
    FramesPath {
        /// The path as configured.
        path: String,
    },
    /// A DAHDI channel number outside 1..=1024 (`DAHDI_MAX_CHANNELS` of dahdi/user.h).
    #[error("DAHDI channel {channel} is outside 1..=1024")]
    DahdiChannel {
        /// The channel as configured.
        channel: u64,
    },
    /// A baud rate of 0.
    #[error("baud rate 0")]
    ZeroBaud,
    /// A maximum payload too small for any signal unit (below 3 octets) or above 65533.
    #[error("max_payload {0} is outside 3..=65533")]
    MaxPayload(usize),
}

/// A frame received in error: counted in [`Stats`](crate::Stats), never passed up as a frame,
/// but reported so that MTP2's error rate monitors (Q.703 10.2 SUERM, 10.3 AERM) and Q.921 can
/// count it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum RxError {
    /// The FCS did not check: a signal unit in error for the SUERM/AERM.
    BadFcs,
    /// The sender aborted the frame: 0x7D followed by a flag on `serial` (RFC 1662 4.4.1),
    /// `DAHDI_EVENT_ABORT` (seven or more ones) on a DAHDI channel.
    Abort,
    /// The frame grew past the maximum length. On `serial` the deframer then discards octets
    /// up to the next flag (the octet counting mode of Q.703 4.1), reporting them as
    /// [`RxError::OctetCounting`].
    TooLong,
    /// Octets discarded since the last notice while in octet counting mode (after
    /// [`RxError::TooLong`], before the next flag). Q.703 10.2 has the SUERM count one error
    /// per N = 16 of them.
    OctetCounting {
        /// How many octets.
        octets: u32,
    },
    /// Fewer octets between flags than an FCS (`serial`), or a read shorter than the 2 FCS
    /// octets (`frames`).
    Runt,
    /// The card's receive buffer overran (`DAHDI_EVENT_OVERRUN`); frames were lost.
    Overrun,
}
