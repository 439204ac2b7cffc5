//! Message framing on the transports (RFC 3261 18.3), sans-IO.
//!
//! On a stream (TCP, TLS) a message is its header section, up to and including the empty line
//! (CRLFCRLF), then exactly Content-Length octets of body (RFC 3261 18.3, 20.14: on streams the
//! header is mandatory; `l` is its compact form, 7.3.3). Between messages a peer may send
//! keep-alives (RFC 5626 3.5.1): a double CRLF is a "ping" to be answered with a single CRLF
//! "pong"; a single CRLF is a "pong" and is ignored (RFC 3261 7.5 also tells a stream receiver
//! to ignore CRLFs before a start line). A stream whose framing is broken cannot be
//! resynchronised and is closed by the shell.
//!
//! [`frame`] is the whole rule as one self-contained function on a byte slice; it reads only
//! the start line and the Content-Length header field, so that a later change can swap it for
//! the message layer's framer without touching the shell. [`StreamFramer`] is its buffer.
//! On a datagram transport one datagram is one message (RFC 3261 18.3); [`classify_datagram`]
//! only sets keep-alives apart.

use thiserror::Error;

/// The default largest message the transports accept, in octets: the largest UDP payload
/// (RFC 3261 18.1.1: "MUST be able to handle messages up to the maximum datagram packet size").
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 65_507;

const CRLF: &[u8] = b"\r\n";
const CRLFCRLF: &[u8] = b"\r\n\r\n";

/// What the front of a stream buffer holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// Not enough octets yet to tell.
    Incomplete,
    /// A double CRLF keep-alive "ping" of 4 octets (RFC 5626 3.5.1): answer with a pong.
    Ping,
    /// A single CRLF keep-alive "pong" of 2 octets (RFC 5626 3.5.1), or a CRLF before a start
    /// line (RFC 3261 7.5): ignore it.
    Pong,
    /// A whole message of `len` octets (header section and body).
    Message {
        /// Octets from the start of the start line to the end of the body.
        len: usize,
        /// Octets of the header section, the empty line included: the body starts here.
        body_offset: usize,
    },
}

impl Framed {
    /// The octets this frame takes from the buffer (0 for [`Framed::Incomplete`]).
    pub fn len(&self) -> usize {
        match *self {
            Framed::Incomplete => 0,
            Framed::Ping => 4,
            Framed::Pong => 2,
            Framed::Message { len, .. } => len,
        }
    }

    /// Whether the frame takes nothing (only [`Framed::Incomplete`]).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Why a stream cannot be framed: the connection is closed (RFC 3261 18.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum FramingError {
    /// The first line is neither a Request-Line nor a Status-Line (RFC 3261 7.1, 7.2): the
    /// previous message's Content-Length was wrong, or the peer is not speaking SIP.
    #[error("the first line is not a SIP start line")]
    BadStartLine,
    /// A message on a stream without Content-Length (RFC 3261 18.3, 20.14).
    #[error("no Content-Length on a stream")]
    NoContentLength,
    /// A Content-Length that is not 1*DIGIT (RFC 3261 20.14), at `offset` in the message.
    #[error("bad Content-Length value at offset {offset}")]
    BadContentLength { offset: usize },
    /// Two Content-Length header fields with different values.
    #[error("conflicting Content-Length header fields")]
    ConflictingContentLength,
    /// The header section and the body announced take more than the limit (or the header
    /// section alone has not ended within it).
    #[error("message of at least {size} octets exceeds the limit of {limit}")]
    TooLarge { size: usize, limit: usize },
}

/// Frames the front of a stream buffer (RFC 3261 18.3, RFC 5626 3.5.1). `max_message_size`
/// bounds header section plus body.
pub fn frame(buf: &[u8], max_message_size: usize) -> Result<Framed, FramingError> {
    // RFC 5626 3.5.1 keep-alives; RFC 3261 7.5 CRLFs before a start line.
    if buf.starts_with(CRLF) {
        return Ok(if buf.starts_with(CRLFCRLF) {
            Framed::Ping
        } else if buf.len() >= 4 || (buf.len() == 3 && buf.get(2) != Some(&b'\r')) {
            Framed::Pong
        } else {
            // "\r\n" or "\r\n\r": the start of a ping, or a pong; wait for more.
            Framed::Incomplete
        });
    }
    let Some(end_of_headers) = find(buf, CRLFCRLF) else {
        // The start line can be judged as soon as it is complete.
        if let Some(eol) = find(buf, CRLF) {
            check_start_line(buf.get(..eol).unwrap_or_default())?;
        }
        if buf.len() >= max_message_size {
            return Err(FramingError::TooLarge {
                size: buf.len(),
                limit: max_message_size,
            });
        }
        return Ok(Framed::Incomplete);
    };
    let body_offset = end_of_headers + CRLFCRLF.len();
    let head = buf.get(..end_of_headers).unwrap_or_default();
    let content_length = content_length(head)?.ok_or(FramingError::NoContentLength)?;
    let len = body_offset
        .checked_add(content_length)
        .ok_or(FramingError::TooLarge {
            size: usize::MAX,
            limit: max_message_size,
        })?;
    if len > max_message_size {
        return Err(FramingError::TooLarge {
            size: len,
            limit: max_message_size,
        });
    }
    if buf.len() < len {
        return Ok(Framed::Incomplete);
    }
    Ok(Framed::Message { len, body_offset })
}

/// The Content-Length of a header section (start line included, empty line excluded), `None`
/// when absent. Header fields may be folded (RFC 3261 7.3.1) and the name is
/// case-insensitive, in full or compact form (7.3.3).
fn content_length(head: &[u8]) -> Result<Option<usize>, FramingError> {
    let mut lines = split_lines(head);
    let start = lines.next().unwrap_or_default();
    check_start_line(start.1)?;
    let mut found: Option<usize> = None;
    // (offset, value octets over possibly several folded lines)
    let mut current: Option<(usize, Vec<u8>)> = None;
    let mut check = |field: Option<(usize, Vec<u8>)>| -> Result<(), FramingError> {
        let Some((offset, value)) = field else {
            return Ok(());
        };
        let value = trim_lws(&value);
        if value.is_empty() || !value.iter().all(u8::is_ascii_digit) {
            return Err(FramingError::BadContentLength { offset });
        }
        let n = value.iter().try_fold(0usize, |acc, d| {
            acc.checked_mul(10)?.checked_add(usize::from(d - b'0'))
        });
        let n = n.ok_or(FramingError::BadContentLength { offset })?;
        match found {
            Some(m) if m != n => Err(FramingError::ConflictingContentLength),
            _ => {
                found = Some(n);
                Ok(())
            }
        }
    };
    for (offset, line) in lines {
        if line.first().is_some_and(|c| *c == b' ' || *c == b'\t') {
            // A continuation line (RFC 3261 7.3.1) of the field before.
            if let Some((_, value)) = current.as_mut() {
                value.push(b' ');
                value.extend_from_slice(line);
            }
            continue;
        }
        check(current.take())?;
        let Some(colon) = line.iter().position(|c| *c == b':') else {
            // Not a header field: the message layer answers it (400); framing goes on.
            continue;
        };
        let name = trim_lws(line.get(..colon).unwrap_or_default());
        if name.eq_ignore_ascii_case(b"content-length") || name.eq_ignore_ascii_case(b"l") {
            let value = line.get(colon + 1..).unwrap_or_default().to_vec();
            current = Some((offset + colon + 1, value));
        }
    }
    check(current.take())?;
    Ok(found)
}

/// Lines of a header section split at CRLF, each with its offset.
fn split_lines(head: &[u8]) -> impl Iterator<Item = (usize, &[u8])> {
    let mut rest = head;
    let mut offset = 0;
    let mut done = false;
    std::iter::from_fn(move || {
        if done {
            return None;
        }
        let here = offset;
        match find(rest, CRLF) {
            Some(i) => {
                let line = rest.get(..i).unwrap_or_default();
                rest = rest.get(i + 2..).unwrap_or_default();
                offset += i + 2;
                Some((here, line))
            }
            None => {
                done = true;
                Some((here, rest))
            }
        }
    })
}

/// A loose check of the start line (RFC 3261 7.1, 7.2), enough to tell a message from the
/// middle of one: a Status-Line starts with `SIP/`; a Request-Line is a method token, a
/// space, and ends with a space and a version `SIP/...`. The version number and the
/// Request-URI are the message layer's to judge (505, 400), not a reason to close a stream.
fn check_start_line(line: &[u8]) -> Result<(), FramingError> {
    let is_version =
        |s: &[u8]| s.len() > 4 && s.get(..4).is_some_and(|v| v.eq_ignore_ascii_case(b"SIP/"));
    if is_version(line) {
        return Ok(());
    }
    let Some(first_sp) = line.iter().position(|c| *c == b' ') else {
        return Err(FramingError::BadStartLine);
    };
    let method = line.get(..first_sp).unwrap_or_default();
    let method_ok = !method.is_empty() && method.iter().all(|c| is_token_char(*c));
    let last_sp = line.iter().rposition(|c| *c == b' ').unwrap_or(first_sp);
    let version = line.get(last_sp + 1..).unwrap_or_default();
    if method_ok && last_sp > first_sp && is_version(version) {
        Ok(())
    } else {
        Err(FramingError::BadStartLine)
    }
}

/// RFC 3261 25.1 `token` characters.
fn is_token_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"-.!%*_+`'~".contains(&c)
}

fn trim_lws(s: &[u8]) -> &[u8] {
    let is_ws = |c: &u8| *c == b' ' || *c == b'\t';
    let start = s.iter().position(|c| !is_ws(c)).unwrap_or(s.len());
    let end = s.iter().rposition(|c| !is_ws(c)).map_or(start, |e| e + 1);
    s.get(start..end).unwrap_or_default()
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A frame taken off a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Frame {
    /// A whole message, header section and body, as received.
    Message(Vec<u8>),
    /// A keep-alive ping (CRLFCRLF): answer with [`PONG`].
    Ping,
    /// A keep-alive pong (CRLF): nothing to do.
    Pong,
}

/// The answer to a ping (RFC 5626 3.5.1).
pub const PONG: &[u8] = CRLF;

/// The receive buffer of one stream: octets in as read, frames out.
#[derive(Debug, Clone)]
pub struct StreamFramer {
    buf: Vec<u8>,
    max_message_size: usize,
    broken: Option<FramingError>,
}

impl StreamFramer {
    /// An empty buffer for messages of at most `max_message_size` octets.
    pub fn new(max_message_size: usize) -> StreamFramer {
        StreamFramer {
            buf: Vec::new(),
            max_message_size,
            broken: None,
        }
    }

    /// Appends octets read from the stream.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.broken.is_none() {
            self.buf.extend_from_slice(bytes);
        }
    }

    /// Takes the next frame, `Ok(None)` when more octets are needed. Once an error is
    /// returned the stream is broken and every later call returns it again.
    pub fn next_frame(&mut self) -> Result<Option<Frame>, FramingError> {
        if let Some(e) = self.broken {
            return Err(e);
        }
        let framed = match frame(&self.buf, self.max_message_size) {
            Ok(f) => f,
            Err(e) => {
                self.broken = Some(e);
                self.buf = Vec::new();
                return Err(e);
            }
        };
        let out = match framed {
            Framed::Incomplete => return Ok(None),
            Framed::Ping => Frame::Ping,
            Framed::Pong => Frame::Pong,
            Framed::Message { len, .. } => {
                Frame::Message(self.buf.get(..len).unwrap_or_default().to_vec())
            }
        };
        self.buf.drain(..framed.len().min(self.buf.len()));
        Ok(Some(out))
    }

    /// Octets buffered and not yet framed (a partial message at the end of a stream).
    pub fn buffered(&self) -> usize {
        self.buf.len()
    }
}

/// What a datagram is (RFC 3261 18.3: one datagram, one message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Datagram {
    /// Only CRLFs: a keep-alive some user agents send over UDP (RFC 5626 uses STUN there; a
    /// CRLF keep-alive is ignored, RFC 3261 7.5).
    KeepAlive,
    /// Anything else: a message for the message layer (which also applies the UDP
    /// Content-Length rules of RFC 3261 18.3).
    Message,
}

/// Sets keep-alive datagrams apart from messages.
pub fn classify_datagram(datagram: &[u8]) -> Datagram {
    if !datagram.is_empty() && datagram.iter().all(|c| *c == b'\r' || *c == b'\n') {
        Datagram::KeepAlive
    } else {
        Datagram::Message
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OPTIONS: &[u8] = b"OPTIONS sip:carol@chicago.com SIP/2.0\r\n\
Via: SIP/2.0/TCP pc33.atlanta.com;branch=z9hG4bKhjhs8ass877\r\n\
Max-Forwards: 70\r\nTo: <sip:carol@chicago.com>\r\n\
From: Alice <sip:alice@atlanta.com>;tag=1928301774\r\n\
Call-ID: a84b4c76e66710\r\nCSeq: 63104 OPTIONS\r\nContent-Length: 4\r\n\r\nbody";

    fn all_frames(framer: &mut StreamFramer) -> Result<Vec<Frame>, FramingError> {
        let mut out = Vec::new();
        while let Some(f) = framer.next_frame()? {
            out.push(f);
        }
        Ok(out)
    }

    #[test]
    fn a_message_split_at_every_octet_frames_once() {
        for cut in 0..=OPTIONS.len() {
            let mut f = StreamFramer::new(DEFAULT_MAX_MESSAGE_SIZE);
            f.push(&OPTIONS[..cut]);
            let mut got = all_frames(&mut f).unwrap();
            f.push(&OPTIONS[cut..]);
            got.extend(all_frames(&mut f).unwrap());
            assert_eq!(got, vec![Frame::Message(OPTIONS.to_vec())], "cut at {cut}");
            assert_eq!(f.buffered(), 0);
        }
    }

    #[test]
    fn keepalives_between_messages() {
        let mut f = StreamFramer::new(DEFAULT_MAX_MESSAGE_SIZE);
        let mut input = b"\r\n\r\n".to_vec();
        input.extend_from_slice(OPTIONS);
        input.extend_from_slice(b"\r\n");
        input.extend_from_slice(OPTIONS);
        f.push(&input);
        assert_eq!(
            all_frames(&mut f).unwrap(),
            vec![
                Frame::Ping,
                Frame::Message(OPTIONS.to_vec()),
                Frame::Pong,
                Frame::Message(OPTIONS.to_vec()),
            ]
        );
        // A ping split in two reads is one ping, not two pongs.
        f.push(b"\r\n");
        assert_eq!(f.next_frame(), Ok(None));
        f.push(b"\r\n");
        assert_eq!(f.next_frame(), Ok(Some(Frame::Ping)));
    }

    #[test]
    fn compact_folded_and_spaced_content_length() {
        for head in [
            &b"SIP/2.0 200 OK\r\nl: 3\r\n\r\nabc"[..],
            b"SIP/2.0 200 OK\r\nCONTENT-LENGTH :\t3 \r\n\r\nabc",
            b"SIP/2.0 200 OK\r\nContent-Length:\r\n  3\r\n\r\nabc",
            b"SIP/2.0 200 OK\r\nContent-Length: 3\r\nl: 3\r\n\r\nabc",
        ] {
            assert_eq!(
                frame(head, 1000),
                Ok(Framed::Message {
                    len: head.len(),
                    body_offset: head.len() - 3
                }),
                "{}",
                String::from_utf8_lossy(head)
            );
        }
    }

    #[test]
    fn broken_framing() {
        let cases: [(&[u8], FramingError); 6] = [
            (
                b"SIP/2.0 200 OK\r\nCSeq: 1 INVITE\r\n\r\n",
                FramingError::NoContentLength,
            ),
            (
                b"SIP/2.0 200 OK\r\nContent-Length: 1x\r\n\r\n",
                FramingError::BadContentLength { offset: 31 },
            ),
            (
                b"SIP/2.0 200 OK\r\nContent-Length: 2\r\nl: 3\r\n\r\n",
                FramingError::ConflictingContentLength,
            ),
            (b"hello world\r\n", FramingError::BadStartLine),
            (b"ia: SIP/2.0/TCP host\r\n", FramingError::BadStartLine),
            (
                b"SIP/2.0 200 OK\r\nContent-Length: 999999999999999999999999\r\n\r\n",
                FramingError::BadContentLength { offset: 31 },
            ),
        ];
        for (input, err) in cases {
            assert_eq!(
                frame(input, 1000),
                Err(err),
                "{}",
                String::from_utf8_lossy(input)
            );
        }
        assert_eq!(
            frame(b"SIP/2.0 200 OK\r\nContent-Length: 2000\r\n\r\n", 1000),
            Err(FramingError::TooLarge {
                size: 2040,
                limit: 1000
            })
        );
        assert!(matches!(
            frame(&[b'A'; 1000], 1000),
            Err(FramingError::TooLarge { .. })
        ));
        // Once broken, always broken.
        let mut f = StreamFramer::new(1000);
        f.push(b"garbage\r\n");
        assert!(f.next_frame().is_err());
        f.push(OPTIONS);
        assert!(f.next_frame().is_err());
    }

    #[test]
    fn an_unknown_version_is_framed_for_the_message_layer() {
        // RFC 4475 3.1.2.? badvers: answered 505 by the message layer, not a framing error.
        let m = b"OPTIONS sip:t.watson@example.org SIP/7.0\r\nl: 0\r\n\r\n";
        assert!(matches!(frame(m, 1000), Ok(Framed::Message { .. })));
    }

    #[test]
    fn datagrams() {
        assert_eq!(classify_datagram(b"\r\n\r\n"), Datagram::KeepAlive);
        assert_eq!(classify_datagram(b""), Datagram::Message);
        assert_eq!(classify_datagram(OPTIONS), Datagram::Message);
    }

    proptest::proptest! {
        /// No input panics the framer, and how a stream is cut into reads does not change
        /// the frames it yields (or where it breaks).
        #[test]
        fn any_bytes_any_cuts(
            stream in proptest::collection::vec(
                proptest::prop_oneof![
                    proptest::strategy::Just(OPTIONS.to_vec()),
                    proptest::strategy::Just(b"\r\n".to_vec()),
                    proptest::strategy::Just(b"SIP/2.0 200 OK\r\nl: 1\r\n\r\nx".to_vec()),
                    proptest::collection::vec(proptest::num::u8::ANY, 0..40),
                ],
                0..6,
            ),
            cuts in proptest::collection::vec(1usize..50, 0..20),
        ) {
            let stream: Vec<u8> = stream.concat();
            let run = |chunks: &mut dyn Iterator<Item = &[u8]>| {
                let mut f = StreamFramer::new(300);
                let mut out = Vec::new();
                for chunk in chunks {
                    f.push(chunk);
                    loop {
                        match f.next_frame() {
                            Ok(Some(frame)) => out.push(Ok(frame)),
                            Ok(None) => break,
                            Err(e) => {
                                out.push(Err(e));
                                return out;
                            }
                        }
                    }
                }
                out
            };
            let whole = run(&mut std::iter::once(&stream[..]));
            let mut pieces = Vec::new();
            let mut rest = &stream[..];
            for c in cuts {
                let (a, b) = rest.split_at(c.min(rest.len()));
                pieces.push(a);
                rest = b;
            }
            pieces.push(rest);
            let cut = run(&mut pieces.into_iter());
            // A pong and the first half of a ping look alike until the next octet comes:
            // compare messages and the outcome only.
            let messages = |v: &Vec<Result<Frame, FramingError>>| {
                v.iter()
                    .filter(|f| !matches!(f, Ok(Frame::Ping) | Ok(Frame::Pong)))
                    .map(|f| match f {
                        // How much was seen when the limit was passed depends on the cuts.
                        Err(FramingError::TooLarge { .. }) => {
                            Err(FramingError::TooLarge { size: 0, limit: 0 })
                        }
                        other => other.clone(),
                    })
                    .collect::<Vec<_>>()
            };
            proptest::prop_assert_eq!(messages(&whole), messages(&cut));
        }
    }
}
