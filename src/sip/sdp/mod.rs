//! SDP (RFC 4566 / RFC 8866): a small model of our own that keeps every line it does not
//! model verbatim and in place, so that parse + write gives the same octets for a
//! well-formed description (CRLF line ends; a bare LF is read and written back as CRLF).
//!
//! Modelled: `v=`, `o=`, `s=`, `c=`, `t=`, `b=`, `m=` and `a=` (session and per media).
//! Everything else (`i=`, `u=`, `e=`, `p=`, `r=`, `z=`, `k=`, unknown types) is a
//! [`Line::Other`] kept where it was. Offer/answer comes later.

use std::fmt;

/// Why a description could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SdpError {
    #[error("SDP is not UTF-8")]
    NotUtf8,
    #[error("line {line}: not `<type>=<value>`")]
    BadLine { line: usize },
    #[error("line {line}: malformed {kind}= line")]
    BadField { line: usize, kind: char },
    #[error("SDP does not start with v=0")]
    NoVersion,
}

/// `o=<username> <sess-id> <sess-version> <nettype> <addrtype> <unicast-address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    pub username: String,
    pub session_id: String,
    pub session_version: u64,
    pub nettype: String,
    pub addrtype: String,
    pub address: String,
}

/// `c=<nettype> <addrtype> <connection-address>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Connection {
    pub nettype: String,
    pub addrtype: String,
    pub address: String,
}

/// `m=<media> <port>[/<n>] <proto> <fmt> ...`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MediaLine {
    pub media: String,
    pub port: u16,
    pub port_count: Option<u16>,
    pub proto: String,
    pub formats: Vec<String>,
}

/// One line of a description, in order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Line {
    Version(u32),
    Origin(Origin),
    SessionName(String),
    Connection(Connection),
    /// `b=<bwtype>:<bandwidth>`
    Bandwidth {
        bwtype: String,
        value: u64,
    },
    /// `t=<start> <stop>`
    Timing {
        start: u64,
        stop: u64,
    },
    /// `a=<name>[:<value>]`
    Attribute {
        name: String,
        value: Option<String>,
    },
    /// Any other line, kept verbatim (type character and value).
    Other {
        kind: char,
        value: String,
    },
}

/// A media section: its `m=` line and the lines up to the next `m=`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Media {
    pub m: MediaLine,
    pub lines: Vec<Line>,
}

/// A session description: the session-level lines and the media sections.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sdp {
    pub session: Vec<Line>,
    pub media: Vec<Media>,
}

/// The media direction attribute (RFC 3264 5.1, RFC 4566 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

impl Direction {
    fn from_name(s: &str) -> Option<Direction> {
        Some(match s {
            "sendrecv" => Direction::SendRecv,
            "sendonly" => Direction::SendOnly,
            "recvonly" => Direction::RecvOnly,
            "inactive" => Direction::Inactive,
            _ => return None,
        })
    }
}

/// `a=rtpmap:<payload type> <encoding name>/<clock rate>[/<parameters>]` (RFC 4566 6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RtpMap {
    pub payload_type: u8,
    pub encoding: String,
    pub clock_rate: u32,
    pub params: Option<String>,
}

fn parse_line(line: usize, kind: char, v: &str) -> Result<Line, SdpError> {
    let bad = SdpError::BadField { line, kind };
    Ok(match kind {
        'v' => Line::Version(v.parse().map_err(|_| bad)?),
        'o' => {
            let f: Vec<&str> = v.split(' ').collect();
            let [u, id, ver, n, a, addr] = f.as_slice() else {
                return Err(bad);
            };
            Line::Origin(Origin {
                username: u.to_string(),
                session_id: id.to_string(),
                session_version: ver.parse().map_err(|_| bad)?,
                nettype: n.to_string(),
                addrtype: a.to_string(),
                address: addr.to_string(),
            })
        }
        's' => Line::SessionName(v.to_string()),
        'c' => {
            let f: Vec<&str> = v.split(' ').collect();
            let [n, a, addr] = f.as_slice() else {
                return Err(bad);
            };
            Line::Connection(Connection {
                nettype: n.to_string(),
                addrtype: a.to_string(),
                address: addr.to_string(),
            })
        }
        'b' => {
            let (t, b) = v.split_once(':').ok_or(bad)?;
            Line::Bandwidth {
                bwtype: t.to_string(),
                value: b.parse().map_err(|_| bad)?,
            }
        }
        't' => {
            let (s, e) = v.split_once(' ').ok_or(bad)?;
            Line::Timing {
                start: s.parse().map_err(|_| bad)?,
                stop: e.parse().map_err(|_| bad)?,
            }
        }
        'a' => match v.split_once(':') {
            Some((n, val)) => Line::Attribute {
                name: n.to_string(),
                value: Some(val.to_string()),
            },
            None => Line::Attribute {
                name: v.to_string(),
                value: None,
            },
        },
        _ => Line::Other {
            kind,
            value: v.to_string(),
        },
    })
}

fn parse_m(line: usize, v: &str) -> Result<MediaLine, SdpError> {
    let bad = SdpError::BadField { line, kind: 'm' };
    let mut f = v.split(' ');
    let media = f.next().ok_or(bad)?;
    let port = f.next().ok_or(bad)?;
    let proto = f.next().ok_or(bad)?;
    let (port, count) = match port.split_once('/') {
        Some((p, n)) => (p, Some(n.parse().map_err(|_| bad)?)),
        None => (port, None),
    };
    Ok(MediaLine {
        media: media.to_string(),
        port: port.parse().map_err(|_| bad)?,
        port_count: count,
        proto: proto.to_string(),
        formats: f.map(str::to_string).collect(),
    })
}

impl Sdp {
    /// Parses a description (RFC 4566 5: `<type>=<value>` lines).
    pub fn parse(bytes: &[u8]) -> Result<Sdp, SdpError> {
        let text = std::str::from_utf8(bytes).map_err(|_| SdpError::NotUtf8)?;
        let mut session = Vec::new();
        let mut media: Vec<Media> = Vec::new();
        for (i, raw) in text.split('\n').enumerate() {
            let line = raw.strip_suffix('\r').unwrap_or(raw);
            if line.is_empty() {
                continue;
            }
            let no = i + 1;
            let mut chars = line.chars();
            let (Some(kind), Some('=')) = (chars.next(), chars.next()) else {
                return Err(SdpError::BadLine { line: no });
            };
            let value = chars.as_str();
            if kind == 'm' {
                media.push(Media {
                    m: parse_m(no, value)?,
                    lines: Vec::new(),
                });
                continue;
            }
            let l = parse_line(no, kind, value)?;
            match media.last_mut() {
                Some(m) => m.lines.push(l),
                None => session.push(l),
            }
        }
        if session.first() != Some(&Line::Version(0)) {
            return Err(SdpError::NoVersion);
        }
        Ok(Sdp { session, media })
    }

    /// The description's octets (CRLF line ends).
    pub fn to_bytes(&self) -> Vec<u8> {
        self.to_string().into_bytes()
    }

    /// The session-level connection address.
    pub fn connection(&self) -> Option<&Connection> {
        connection_in(&self.session)
    }

    /// The `o=` line.
    pub fn origin(&self) -> Option<&Origin> {
        self.session.iter().find_map(|l| match l {
            Line::Origin(o) => Some(o),
            _ => None,
        })
    }

    /// The session-level direction attribute, if any.
    pub fn direction(&self) -> Option<Direction> {
        direction_in(&self.session)
    }
}

fn connection_in(lines: &[Line]) -> Option<&Connection> {
    lines.iter().find_map(|l| match l {
        Line::Connection(c) => Some(c),
        _ => None,
    })
}

fn direction_in(lines: &[Line]) -> Option<Direction> {
    lines.iter().find_map(|l| match l {
        Line::Attribute { name, value: None } => Direction::from_name(name),
        _ => None,
    })
}

impl Media {
    pub fn port(&self) -> u16 {
        self.m.port
    }

    /// The payload types of an RTP media line (formats that are numbers 0..=127).
    pub fn payload_types(&self) -> Vec<u8> {
        self.m
            .formats
            .iter()
            .filter_map(|f| f.parse::<u8>().ok())
            .filter(|p| *p < 128)
            .collect()
    }

    /// The media-level connection, else the session's (RFC 4566 5.7).
    pub fn connection<'a>(&'a self, sdp: &'a Sdp) -> Option<&'a Connection> {
        connection_in(&self.lines).or_else(|| sdp.connection())
    }

    /// The media-level direction, else the session's, else sendrecv (RFC 3264 5.1).
    pub fn direction(&self, sdp: &Sdp) -> Direction {
        direction_in(&self.lines)
            .or_else(|| sdp.direction())
            .unwrap_or(Direction::SendRecv)
    }

    /// The values of attribute `name`.
    pub fn attributes<'a>(&'a self, name: &'a str) -> impl Iterator<Item = Option<&'a str>> + 'a {
        self.lines.iter().filter_map(move |l| match l {
            Line::Attribute { name: n, value } if n == name => Some(value.as_deref()),
            _ => None,
        })
    }

    /// Every `a=rtpmap` of the section that parses.
    pub fn rtpmaps(&self) -> Vec<RtpMap> {
        self.attributes("rtpmap")
            .flatten()
            .filter_map(|v| {
                let (pt, rest) = v.split_once(' ')?;
                let mut f = rest.splitn(3, '/');
                let encoding = f.next()?.to_string();
                let clock_rate = f.next()?.parse().ok()?;
                Some(RtpMap {
                    payload_type: pt.parse().ok()?,
                    encoding,
                    clock_rate,
                    params: f.next().map(str::to_string),
                })
            })
            .collect()
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Line::Version(v) => write!(f, "v={v}"),
            Line::Origin(o) => write!(
                f,
                "o={} {} {} {} {} {}",
                o.username, o.session_id, o.session_version, o.nettype, o.addrtype, o.address
            ),
            Line::SessionName(s) => write!(f, "s={s}"),
            Line::Connection(c) => write!(f, "c={} {} {}", c.nettype, c.addrtype, c.address),
            Line::Bandwidth { bwtype, value } => write!(f, "b={bwtype}:{value}"),
            Line::Timing { start, stop } => write!(f, "t={start} {stop}"),
            Line::Attribute { name, value: None } => write!(f, "a={name}"),
            Line::Attribute {
                name,
                value: Some(v),
            } => write!(f, "a={name}:{v}"),
            Line::Other { kind, value } => write!(f, "{kind}={value}"),
        }
    }
}

impl fmt::Display for MediaLine {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "m={} {}", self.media, self.port)?;
        if let Some(n) = self.port_count {
            write!(f, "/{n}")?;
        }
        write!(f, " {}", self.proto)?;
        for fm in &self.formats {
            write!(f, " {fm}")?;
        }
        Ok(())
    }
}

impl fmt::Display for Sdp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for l in &self.session {
            write!(f, "{l}\r\n")?;
        }
        for m in &self.media {
            write!(f, "{}\r\n", m.m)?;
            for l in &m.lines {
                write!(f, "{l}\r\n")?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\n\
i=unknown line kept\r\nc=IN IP4 192.0.2.10\r\nb=AS:64\r\nt=0 0\r\na=x-session:1\r\n\
m=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:101 telephone-event/8000\r\n\
a=fmtp:101 0-15\r\na=x-unknown\r\na=sendonly\r\nm=video 0 RTP/AVP 31\r\nc=IN IP4 192.0.2.11\r\n";

    #[test]
    fn round_trips_byte_exact_with_unknown_lines_in_place() {
        let sdp = Sdp::parse(OFFER.as_bytes()).unwrap();
        assert_eq!(sdp.to_bytes(), OFFER.as_bytes());
        let audio = &sdp.media[0];
        assert_eq!(audio.port(), 49170);
        assert_eq!(audio.payload_types(), vec![0, 8, 101]);
        assert_eq!(audio.direction(&sdp), Direction::SendOnly);
        assert_eq!(audio.connection(&sdp).unwrap().address, "192.0.2.10");
        assert_eq!(sdp.media[1].connection(&sdp).unwrap().address, "192.0.2.11");
        let maps = audio.rtpmaps();
        assert_eq!(maps[1].encoding, "telephone-event");
        assert_eq!(maps[1].clock_rate, 8000);
        assert_eq!(sdp.origin().unwrap().session_version, 2890844526);
    }

    #[test]
    fn rejects_garbage_without_panicking() {
        for bad in [
            &b"v=0\r\nm=audio x RTP/AVP 0\r\n"[..],
            b"x",
            b"\xff",
            b"s=-\r\n",
            b"v=0\r\nbogus\r\n",
        ] {
            assert!(Sdp::parse(bad).is_err());
        }
    }
}
