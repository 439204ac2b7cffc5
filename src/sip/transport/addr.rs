//! Transports, targets and the `[sip] listen` entries (`udp:127.0.0.1:5060`, `tcp:[::1]:5060`,
//! `tls:0.0.0.0:5061`).

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;

use thiserror::Error;

/// A SIP transport, as named in the Via `transport` and the URI `transport` parameter
/// (RFC 3261 18, 19.1.1, 20.42). SCTP is not offered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransportKind {
    Udp,
    Tcp,
    /// TLS over TCP (RFC 3261 26.2, 26.3.1).
    Tls,
}

impl TransportKind {
    /// The Via `transport` token (RFC 3261 20.42): `UDP`, `TCP`, `TLS`.
    pub fn via_token(self) -> &'static str {
        match self {
            TransportKind::Udp => "UDP",
            TransportKind::Tcp => "TCP",
            TransportKind::Tls => "TLS",
        }
    }

    /// Whether the transport is a stream (RFC 3261 18.3: framing by Content-Length).
    pub fn is_stream(self) -> bool {
        !matches!(self, TransportKind::Udp)
    }

    /// Whether the transport is reliable (RFC 3261 17.1.1.2: timers A, E and G not used).
    pub fn is_reliable(self) -> bool {
        self.is_stream()
    }

    /// The default port (RFC 3261 19.1.2): 5061 for TLS, 5060 otherwise.
    pub fn default_port(self) -> u16 {
        match self {
            TransportKind::Tls => 5061,
            _ => 5060,
        }
    }

    /// Reads a URI `transport` parameter or Via token, case-insensitively (RFC 3261 19.1.1).
    pub fn from_token(token: &str) -> Option<TransportKind> {
        if token.eq_ignore_ascii_case("udp") {
            Some(TransportKind::Udp)
        } else if token.eq_ignore_ascii_case("tcp") {
            Some(TransportKind::Tcp)
        } else if token.eq_ignore_ascii_case("tls") {
            Some(TransportKind::Tls)
        } else {
            None
        }
    }
}

impl fmt::Display for TransportKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.via_token())
    }
}

/// Where to send a message: a transport and a socket address, plus for TLS the name the
/// peer's certificate must carry and that goes in the SNI (RFC 5922 4: the SIP domain of the
/// URI resolved; the IP address itself when `None`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Target {
    pub transport: TransportKind,
    pub addr: SocketAddr,
    pub server_name: Option<String>,
}

impl Target {
    /// A target with no server name.
    pub fn new(transport: TransportKind, addr: SocketAddr) -> Target {
        Target {
            transport,
            addr,
            server_name: None,
        }
    }

    /// The same target with the TLS server name set.
    pub fn with_server_name(mut self, name: impl Into<String>) -> Target {
        self.server_name = Some(name.into());
        self
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.via_token().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// One `[sip] listen` entry: a transport and a local socket address (port 0: any free port).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ListenAddr {
    pub transport: TransportKind,
    pub addr: SocketAddr,
}

/// A `[sip] listen` entry that cannot be read; the message names the entry.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum ListenError {
    #[error("listen entry \"{entry}\": expected TRANSPORT:ADDRESS:PORT (udp, tcp or tls)")]
    NoTransport { entry: String },
    #[error("listen entry \"{entry}\": unknown transport \"{transport}\" (udp, tcp or tls)")]
    UnknownTransport { entry: String, transport: String },
    #[error("listen entry \"{entry}\": \"{addr}\" is not an IP address and port (IPv6 in brackets: [::1]:5060)")]
    BadAddress { entry: String, addr: String },
}

impl FromStr for ListenAddr {
    type Err = ListenError;

    fn from_str(entry: &str) -> Result<ListenAddr, ListenError> {
        let Some((transport, addr)) = entry.split_once(':') else {
            return Err(ListenError::NoTransport {
                entry: entry.to_string(),
            });
        };
        let transport =
            TransportKind::from_token(transport).ok_or_else(|| ListenError::UnknownTransport {
                entry: entry.to_string(),
                transport: transport.to_string(),
            })?;
        let addr = addr
            .parse::<SocketAddr>()
            .map_err(|_| ListenError::BadAddress {
                entry: entry.to_string(),
                addr: addr.to_string(),
            })?;
        Ok(ListenAddr { transport, addr })
    }
}

impl fmt::Display for ListenAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}",
            self.transport.via_token().to_ascii_lowercase(),
            self.addr
        )
    }
}

/// Reads every `[sip] listen` entry; the first bad one is the error.
pub fn parse_listen<S: AsRef<str>>(entries: &[S]) -> Result<Vec<ListenAddr>, ListenError> {
    entries.iter().map(|e| e.as_ref().parse()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn listen_entries() {
        let got = parse_listen(&["udp:127.0.0.1:5060", "TCP:[::1]:5060", "tls:0.0.0.0:5061"]);
        let got = got.unwrap();
        assert_eq!(got[0].transport, TransportKind::Udp);
        assert_eq!(got[1].addr, "[::1]:5060".parse().unwrap());
        assert_eq!(got[2].to_string(), "tls:0.0.0.0:5061");
        let err = |e: &str| parse_listen(&[e]).unwrap_err().to_string();
        assert!(err("127.0.0.1").contains("\"127.0.0.1\""));
        assert!(err("sctp:127.0.0.1:5060").contains("unknown transport \"sctp\""));
        assert!(err("udp:::1:5060").contains("\"udp:::1:5060\""));
        assert!(err("udp:example.com:5060").contains("not an IP address"));
        assert!(err("udp:127.0.0.1").contains("not an IP address"));
    }
}
