//! How a link attaches: the `transport`, `path` and `baud` of a `[[link]]` (DESIGN.md), and the
//! options of this crate (line pacing, maximum frame length, reconnection back-off).

use std::path::PathBuf;
use std::time::Duration;

use crate::error::ConfigError;

/// The two link transports of DESIGN.md.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum TransportKind {
    /// A tty (real port or PTY), 8N1, frames octet-stuffed between 0x7E flags with the FCS-16.
    Serial,
    /// One HDLC frame plus 2 FCS octets per read or datagram: a Unix SOCK_SEQPACKET socket or a
    /// DAHDI channel.
    Frames,
}

/// The line rate a transmit [`Pacer`](crate::Pacer) holds a PTY to (a PTY has no baud rate: it
/// moves octets as fast as both ends go). Real ttys are paced by their UART: leave them `Off`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Pace {
    /// No pacing.
    #[default]
    Off,
    /// An asynchronous line at `baud` with 8N1 framing: each octet costs 10 bits (start bit,
    /// 8 data bits, stop bit), `baud / 10` octets per second — 6400 octets/s at 64000 baud.
    #[serde(rename = "8n1")]
    Uart8n1,
    /// A synchronous line at `baud` bit/s, as a 64 kbit/s signalling data link (Q.702) or a
    /// timeslot of a T1/E1: 8 bits per octet, `baud / 8` octets per second — 8000 octets/s at
    /// 64000. Zero-bit insertion of a real HDLC line is not modelled; the RFC 1662 octet
    /// stuffing is counted as sent.
    Sync,
}

impl Pace {
    /// The octets per second this pace allows at `baud`, `None` for [`Pace::Off`].
    pub fn octets_per_second(self, baud: u32) -> Option<u32> {
        match self {
            Pace::Off => None,
            Pace::Uart8n1 => Some((baud / 10).max(1)),
            Pace::Sync => Some((baud / 8).max(1)),
        }
    }
}

/// Reconnection back-off: the first retry after a loss is immediate, then the delay starts at
/// `initial` and doubles up to `max`. The count starts again after a connection that stayed up
/// for at least `reset_after`, so a peer that accepts and drops at once is backed off too.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
#[serde(default)]
pub struct Backoff {
    /// The delay before the second attempt, in milliseconds.
    pub initial_ms: u64,
    /// The longest delay, in milliseconds.
    pub max_ms: u64,
    /// How long a connection must stay up for the next loss to retry at once, in milliseconds.
    pub reset_after_ms: u64,
}

impl Default for Backoff {
    /// 100 ms doubling to 5 s; reset after 1 s up. (Q.703's initial alignment takes 0.5 s
    /// (emergency) to 2.3 s (normal proving) at 64 kbit/s, so a link that stayed up 1 s has
    /// been worth retrying at once.)
    fn default() -> Self {
        Backoff {
            initial_ms: 100,
            max_ms: 5_000,
            reset_after_ms: 1_000,
        }
    }
}

impl Backoff {
    /// The delay before attempt `attempt` (0 = the first after a loss or at start: none).
    pub fn delay(&self, attempt: u32) -> Duration {
        if attempt == 0 {
            return Duration::ZERO;
        }
        let factor = 1u64.checked_shl(attempt - 1).unwrap_or(u64::MAX);
        let ms = self.initial_ms.saturating_mul(factor).min(self.max_ms);
        Duration::from_millis(ms)
    }

    /// [`Backoff::reset_after_ms`] as a duration.
    pub fn reset_after(&self) -> Duration {
        Duration::from_millis(self.reset_after_ms)
    }
}

/// How one link attaches: the `transport`, `path` and `baud` of a `[[link]]` (DESIGN.md) and
/// this crate's options. Deserializes from those keys, the options defaulted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct TransportConfig {
    /// `serial` or `frames`.
    pub transport: TransportKind,
    /// `serial`: a tty path, or `pty` to open a new PTY whose slave the far end attaches to.
    /// `frames`: `unix:PATH`, `unix-listen:PATH` or `/dev/dahdi/channel:N`.
    pub path: String,
    /// `serial`: the line rate in bit/s (default [`TransportConfig::DEFAULT_BAUD`]).
    #[serde(default)]
    pub baud: Option<u32>,
    /// `serial`: transmit pacing, for PTYs.
    #[serde(default)]
    pub pace: Pace,
    /// The longest frame, without FCS, passed up or accepted for sending.
    #[serde(default = "default_max_payload")]
    pub max_payload: usize,
    /// Reconnection back-off of [`Link`](crate::Link).
    #[serde(default)]
    pub backoff: Backoff,
}

fn default_max_payload() -> usize {
    sipt_codecs::hdlc::Deframer::DEFAULT_MAX_PAYLOAD
}

impl TransportConfig {
    /// 64 kbit/s, the signalling data link of Q.702 and the rate of one T1/E1 timeslot.
    pub const DEFAULT_BAUD: u32 = 64_000;

    /// A configuration with the default options.
    pub fn new(transport: TransportKind, path: impl Into<String>) -> TransportConfig {
        TransportConfig {
            transport,
            path: path.into(),
            baud: None,
            pace: Pace::Off,
            max_payload: default_max_payload(),
            backoff: Backoff::default(),
        }
    }

    /// The line rate: `baud`, or [`TransportConfig::DEFAULT_BAUD`].
    pub fn baud(&self) -> u32 {
        self.baud.unwrap_or(Self::DEFAULT_BAUD)
    }

    /// Checks the options and tells what `path` names.
    pub fn endpoint(&self) -> Result<Endpoint, ConfigError> {
        if self.baud == Some(0) {
            return Err(ConfigError::ZeroBaud);
        }
        if !(3..=65_533).contains(&self.max_payload) {
            return Err(ConfigError::MaxPayload(self.max_payload));
        }
        Endpoint::parse(self.transport, &self.path)
    }
}

/// What a link's `path` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Endpoint {
    /// `serial`: a tty device (real port, or the slave side of someone else's PTY).
    Tty(PathBuf),
    /// `serial` with path `pty`: open a new PTY; the far end attaches to its slave.
    NewPty,
    /// `frames` `unix:PATH`: connect to a SOCK_SEQPACKET socket, retrying until it exists.
    Unix(PathBuf),
    /// `frames` `unix-listen:PATH`: listen there, one peer at a time.
    UnixListen(PathBuf),
    /// `frames` `DEVICE:N`: open the DAHDI channel selector `device` and select channel `N`
    /// with `DAHDI_SPECIFY`.
    Dahdi {
        /// The selector device, `/dev/dahdi/channel`.
        device: PathBuf,
        /// The DAHDI channel number.
        channel: u16,
    },
}

impl Endpoint {
    /// Parses a `[[link]]` path for `kind` (DESIGN.md, "Link transports").
    pub fn parse(kind: TransportKind, path: &str) -> Result<Endpoint, ConfigError> {
        if path.is_empty() {
            return Err(ConfigError::EmptyPath);
        }
        match kind {
            TransportKind::Serial if path == "pty" => Ok(Endpoint::NewPty),
            TransportKind::Serial => Ok(Endpoint::Tty(PathBuf::from(path))),
            TransportKind::Frames => {
                let bad = || ConfigError::FramesPath {
                    path: path.to_owned(),
                };
                if let Some(p) = path.strip_prefix("unix:") {
                    return non_empty(p).map(Endpoint::Unix).ok_or_else(bad);
                }
                if let Some(p) = path.strip_prefix("unix-listen:") {
                    return non_empty(p).map(Endpoint::UnixListen).ok_or_else(bad);
                }
                let (device, channel) = path.rsplit_once(':').ok_or_else(bad)?;
                if device.is_empty() || channel.is_empty() {
                    return Err(bad());
                }
                if !channel.bytes().all(|b| b.is_ascii_digit()) {
                    return Err(bad());
                }
                let n: u64 = channel.parse().unwrap_or(u64::MAX);
                match u16::try_from(n) {
                    Ok(channel @ 1..=1024) => Ok(Endpoint::Dahdi {
                        device: PathBuf::from(device),
                        channel,
                    }),
                    _ => Err(ConfigError::DahdiChannel { channel: n }),
                }
            }
        }
    }
}

fn non_empty(p: &str) -> Option<PathBuf> {
    (!p.is_empty()).then(|| PathBuf::from(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endpoints() {
        use Endpoint::*;
        use TransportKind::*;
        let ok = |k, p: &str| Endpoint::parse(k, p);
        assert_eq!(ok(Serial, "pty"), Ok(NewPty));
        assert_eq!(ok(Serial, "/dev/ttyS1"), Ok(Tty("/dev/ttyS1".into())));
        assert_eq!(ok(Frames, "unix:/a.sock"), Ok(Unix("/a.sock".into())));
        assert_eq!(
            ok(Frames, "unix-listen:/a.sock"),
            Ok(UnixListen("/a.sock".into()))
        );
        assert_eq!(
            ok(Frames, "/dev/dahdi/channel:16"),
            Ok(Dahdi {
                device: "/dev/dahdi/channel".into(),
                channel: 16
            })
        );
        assert_eq!(ok(Serial, ""), Err(ConfigError::EmptyPath));
        for bad in [
            "unix:",
            "unix-listen:",
            "/dev/x",
            ":16",
            "/dev/x:",
            "/dev/x:1a",
            "/d:-1",
        ] {
            assert!(
                matches!(ok(Frames, bad), Err(ConfigError::FramesPath { .. })),
                "{bad}"
            );
        }
        assert_eq!(
            ok(Frames, "/dev/dahdi/channel:0"),
            Err(ConfigError::DahdiChannel { channel: 0 })
        );
        assert_eq!(
            ok(Frames, "/dev/dahdi/channel:99999999999999999999999"),
            Err(ConfigError::DahdiChannel { channel: u64::MAX })
        );
    }

    #[test]
    fn backoff_immediate_then_doubling_bounded() {
        let b = Backoff {
            initial_ms: 100,
            max_ms: 1_000,
            reset_after_ms: 0,
        };
        let d: Vec<u64> = (0..7)
            .map(|a| u64::try_from(b.delay(a).as_millis()).unwrap_or(0))
            .collect();
        assert_eq!(d, [0, 100, 200, 400, 800, 1000, 1000]);
        assert_eq!(b.delay(u32::MAX), Duration::from_millis(1000));
    }

    #[test]
    fn pace_rates() {
        assert_eq!(Pace::Sync.octets_per_second(64_000), Some(8_000));
        assert_eq!(Pace::Uart8n1.octets_per_second(64_000), Some(6_400));
        assert_eq!(Pace::Off.octets_per_second(64_000), None);
    }

    #[test]
    fn deserializes_from_link_keys() {
        let c: TransportConfig = toml::from_str(
            "transport = \"serial\"\npath = \"pty\"\nbaud = 64000\npace = \"sync\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.transport, TransportKind::Serial);
        assert_eq!(c.baud(), 64_000);
        assert_eq!(c.pace, Pace::Sync);
        assert_eq!(c.max_payload, 280);
        assert_eq!(c.endpoint(), Ok(Endpoint::NewPty));
        let mut bad = c.clone();
        bad.baud = Some(0);
        assert_eq!(bad.endpoint(), Err(ConfigError::ZeroBaud));
        bad.baud = None;
        bad.max_payload = 2;
        assert_eq!(bad.endpoint(), Err(ConfigError::MaxPayload(2)));
    }
}
