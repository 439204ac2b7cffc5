//! SIP messages (RFC 3261 7): start line, headers in order, body as raw octets.
//!
//! The framing is ours rather than rsip 0.4.0's: rsip turns body octets into U+FFFD when it
//! serialises (fatal for application/ISUP bodies), rejects a folded Via (the RFC 3665 200 OK)
//! and leaves compact forms, P-Asserted-Identity, Privacy, Diversion, History-Info, RSeq and
//! RAck untyped. Here a header value is kept as received (unfolded) and typed on demand by
//! the parsers in [`headers`]; the body is never converted to text.
//!
//! - [`Message::parse`] takes a whole datagram (RFC 3261 18.3: Content-Length optional on
//!   UDP, a larger one is an error, octets beyond it are dropped).
//! - [`frame`] delimits one message at the head of a stream buffer (RFC 3261 18.3: the
//!   Content-Length is mandatory there) and recognises CRLF keep-alives (RFC 5626 3.5.1).
//! - [`Message::encode`] writes the message with a Content-Length computed from the body.
//!   Content-Length is framing, not content: it is checked and consumed by the parser and
//!   not kept in [`Message::headers`] (a stale value could not then be sent), and written
//!   last among the headers by the encoder.

pub mod headers;
pub mod multipart;
pub mod syntax;
pub mod uri;

use std::borrow::Cow;
use std::fmt;

pub use headers::{
    CSeq, Contact, ContentDisposition, Diversion, HistoryInfo, NameAddr, PAssertedIdentity, RAck,
    Reason, Refresher, RouteList, SessionExpires, Via,
};
pub use syntax::{Param, Params};
pub use uri::{Scheme, Uri};

/// The default maximum message size: 64 KiB.
pub const DEFAULT_MAX_MESSAGE_SIZE: usize = 64 * 1024;

/// Limits applied while parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest message (start line, headers and body) accepted, in octets.
    pub max_message_size: usize,
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            max_message_size: DEFAULT_MAX_MESSAGE_SIZE,
        }
    }
}

/// What is wrong with a header value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum HeaderError {
    #[error("unterminated quoted string")]
    UnterminatedQuote,
    #[error("unterminated <")]
    UnterminatedAngle,
    #[error("malformed URI")]
    BadUri,
    #[error("malformed %-escape")]
    BadEscape,
    #[error("malformed host")]
    BadHost,
    #[error("malformed port")]
    BadPort,
    #[error("malformed parameter")]
    BadParam,
    #[error("malformed name-addr")]
    BadNameAddr,
    #[error("non-token characters in display name")]
    BadDisplayName,
    #[error("malformed Via")]
    BadVia,
    #[error("malformed CSeq")]
    BadCSeq,
    #[error("malformed Max-Forwards")]
    BadMaxForwards,
    #[error("malformed Call-ID")]
    BadCallId,
    #[error("malformed Reason")]
    BadReason,
    #[error("malformed RSeq")]
    BadRSeq,
    #[error("malformed RAck")]
    BadRAck,
    #[error("malformed token list")]
    BadToken,
    #[error("malformed Session-Expires")]
    BadSessionExpires,
    #[error("malformed Content-Type")]
    BadContentType,
    #[error("unexpected characters")]
    Unexpected,
    #[error("malformed Date")]
    BadDate,
}

/// Why a message was rejected. [`ParseError::status`] and [`ParseError::reason_phrase`] give
/// the response a UAS sends for it (RFC 3261 21.4.1 400 with a phrase naming the problem,
/// 21.5.7 513 Message Too Large, 21.5.6 505 Version Not Supported).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseError {
    #[error("message larger than {max} octets")]
    TooLarge { max: usize },
    #[error("no end of headers (CRLF CRLF)")]
    NoEndOfHeaders,
    #[error("malformed Request-Line")]
    BadRequestLine,
    #[error("malformed Status-Line")]
    BadStatusLine,
    #[error("unsupported SIP-Version")]
    BadVersion,
    #[error("malformed Request-URI: {0}")]
    BadRequestUri(HeaderError),
    #[error("malformed header line {line}")]
    BadHeaderLine { line: usize },
    #[error("header not UTF-8 at line {line}")]
    HeaderNotUtf8 { line: usize },
    #[error("malformed Content-Length")]
    BadContentLength,
    #[error("several Content-Length headers")]
    MultipleContentLength,
    #[error("Content-Length missing on a stream")]
    MissingContentLength,
    #[error("Content-Length larger than the message")]
    ContentLengthTooLarge,
    #[error("missing {0}")]
    MissingHeader(&'static str),
    #[error("several {0} headers")]
    MultipleHeader(&'static str),
    #[error("bad {name}: {error}")]
    BadHeader {
        name: &'static str,
        error: HeaderError,
    },
    #[error("CSeq method does not match the Request-Line")]
    CSeqMethodMismatch,
}

impl ParseError {
    /// The status code of the response to a request rejected for this error.
    pub fn status(&self) -> u16 {
        match self {
            ParseError::TooLarge { .. } => 513,
            ParseError::BadVersion => 505,
            _ => 400,
        }
    }

    /// A short reason phrase naming the problem, for "400 <phrase>".
    pub fn reason_phrase(&self) -> Cow<'static, str> {
        Cow::Borrowed(match self {
            ParseError::TooLarge { .. } => "Message Too Large",
            ParseError::NoEndOfHeaders => "Incomplete Headers",
            ParseError::BadRequestLine => "Bad Request-Line",
            ParseError::BadStatusLine => "Bad Status-Line",
            ParseError::BadVersion => "Version Not Supported",
            ParseError::BadRequestUri(_) => "Bad Request-URI",
            ParseError::BadHeaderLine { .. } => "Bad Header Line",
            ParseError::HeaderNotUtf8 { .. } => "Bad Header Encoding",
            ParseError::BadContentLength => "Bad Content-Length",
            ParseError::MultipleContentLength => "Multiple Content-Length",
            ParseError::MissingContentLength => "Missing Content-Length",
            ParseError::ContentLengthTooLarge => "Content-Length Too Large",
            ParseError::CSeqMethodMismatch => "CSeq Method Mismatch",
            ParseError::MissingHeader(n) => return Cow::Owned(format!("Missing {n}")),
            ParseError::MultipleHeader(n) => return Cow::Owned(format!("Multiple {n}")),
            ParseError::BadHeader { name, .. } => return Cow::Owned(format!("Bad {name}")),
        })
    }
}

/// A request method (RFC 3261 7.1, case-sensitive), with the extension methods used here.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Method {
    Invite,
    Ack,
    Bye,
    Cancel,
    Options,
    Register,
    /// RFC 3262
    Prack,
    /// RFC 3311
    Update,
    /// RFC 6086
    Info,
    Subscribe,
    Notify,
    Refer,
    Message,
    Publish,
    /// Any other `token`.
    Extension(String),
}

const METHODS: &[(&str, Method)] = &[
    ("INVITE", Method::Invite),
    ("ACK", Method::Ack),
    ("BYE", Method::Bye),
    ("CANCEL", Method::Cancel),
    ("OPTIONS", Method::Options),
    ("REGISTER", Method::Register),
    ("PRACK", Method::Prack),
    ("UPDATE", Method::Update),
    ("INFO", Method::Info),
    ("SUBSCRIBE", Method::Subscribe),
    ("NOTIFY", Method::Notify),
    ("REFER", Method::Refer),
    ("MESSAGE", Method::Message),
    ("PUBLISH", Method::Publish),
];

impl Method {
    /// Parses a method `token`.
    pub fn parse(s: &str) -> Result<Method, HeaderError> {
        if !syntax::is_token(s) {
            return Err(HeaderError::BadToken);
        }
        Ok(METHODS
            .iter()
            .find(|(n, _)| *n == s)
            .map(|(_, m)| m.clone())
            .unwrap_or_else(|| Method::Extension(s.to_string())))
    }

    pub fn as_str(&self) -> &str {
        match self {
            Method::Extension(s) => s,
            m => METHODS
                .iter()
                .find(|(_, k)| k == m)
                .map(|(n, _)| *n)
                .unwrap_or(""),
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The start line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StartLine {
    /// `Method SP Request-URI SP SIP-Version` (RFC 3261 7.1).
    Request { method: Method, uri: Uri },
    /// `SIP-Version SP Status-Code SP Reason-Phrase` (RFC 3261 7.2); the phrase may be empty
    /// (RFC 4475 3.1.1.13) and is UTF-8 (3.1.1.12).
    Response { status: u16, reason: String },
}

/// Full header names and their compact forms (RFC 3261 7.3.3, 20; RFC 3515, 3892, 4028, 6665).
const COMPACT: &[(&str, &str)] = &[
    ("a", "Accept-Contact"),
    ("b", "Referred-By"),
    ("c", "Content-Type"),
    ("e", "Content-Encoding"),
    ("f", "From"),
    ("i", "Call-ID"),
    ("j", "Reject-Contact"),
    ("k", "Supported"),
    ("l", "Content-Length"),
    ("m", "Contact"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("s", "Subject"),
    ("t", "To"),
    ("u", "Allow-Events"),
    ("v", "Via"),
    ("x", "Session-Expires"),
];

/// Canonical spellings of the full names this layer knows, so that lookups and writing use
/// one form whatever case was received.
const KNOWN: &[&str] = &[
    "Accept",
    "Accept-Encoding",
    "Accept-Language",
    "Alert-Info",
    "Allow",
    "Authentication-Info",
    "Authorization",
    "Call-ID",
    "Call-Info",
    "Contact",
    "Content-Disposition",
    "Content-Encoding",
    "Content-Language",
    "Content-Length",
    "Content-Type",
    "CSeq",
    "Date",
    "Diversion",
    "Error-Info",
    "Event",
    "Expires",
    "From",
    "History-Info",
    "In-Reply-To",
    "Max-Forwards",
    "Min-Expires",
    "Min-SE",
    "MIME-Version",
    "Organization",
    "P-Asserted-Identity",
    "P-Preferred-Identity",
    "Priority",
    "Privacy",
    "Proxy-Authenticate",
    "Proxy-Authorization",
    "Proxy-Require",
    "RAck",
    "Reason",
    "Record-Route",
    "Refer-To",
    "Reply-To",
    "Require",
    "Retry-After",
    "Route",
    "RSeq",
    "Server",
    "Session-Expires",
    "Subject",
    "Supported",
    "Timestamp",
    "To",
    "Unsupported",
    "User-Agent",
    "Via",
    "Warning",
    "WWW-Authenticate",
];

/// The canonical full name of a header name as received: compact forms expanded (RFC 3261
/// 7.3.3), known names in their usual spelling, unknown names unchanged.
pub fn canonical_name(name: &str) -> Cow<'static, str> {
    if name.len() == 1 {
        if let Some((_, full)) = COMPACT.iter().find(|(c, _)| c.eq_ignore_ascii_case(name)) {
            return Cow::Borrowed(full);
        }
    }
    match KNOWN.iter().find(|k| k.eq_ignore_ascii_case(name)) {
        Some(k) => Cow::Borrowed(k),
        None => Cow::Owned(name.to_string()),
    }
}

/// One header line: the name as received, its canonical full name and the unfolded value
/// (RFC 3261 7.3.1: folding replaced by one SP, leading and trailing LWS removed).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    pub name: String,
    pub canonical: Cow<'static, str>,
    pub value: String,
}

impl Header {
    pub fn new(name: &str, value: impl Into<String>) -> Header {
        Header {
            name: name.to_string(),
            canonical: canonical_name(name),
            value: value.into(),
        }
    }

    /// Whether this header is `name` (a full name, any case, or its compact form).
    pub fn is(&self, name: &str) -> bool {
        let full = match name.len() {
            1 => COMPACT
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(name))
                .map_or(name, |(_, f)| f),
            _ => name,
        };
        self.canonical.eq_ignore_ascii_case(full)
    }
}

/// A SIP request or response.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Message {
    pub start: StartLine,
    pub headers: Vec<Header>,
    /// The body octets, never converted to text.
    pub body: Vec<u8>,
}

/// Result of [`frame`] on the head of a stream buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Framing {
    /// A whole message of this many octets is at the head of the buffer.
    Complete(usize),
    /// A keep-alive (RFC 5626 3.5.1) of `len` octets: a ping is CRLF CRLF, a pong is CRLF.
    /// A ping split across reads after its first CRLF is seen as a pong and a CRLF.
    KeepAlive { len: usize, ping: bool },
    /// More octets are needed.
    Incomplete,
    /// The stream cannot be framed any more (the connection should be closed).
    Invalid(ParseError),
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

/// Delimits the message at the head of a stream buffer (RFC 3261 18.3).
pub fn frame(buf: &[u8], limits: &Limits) -> Framing {
    if buf.starts_with(b"\r\n\r\n") {
        return Framing::KeepAlive { len: 4, ping: true };
    }
    if buf.starts_with(b"\r\n") {
        return match buf.get(2) {
            Some(b'\r') if buf.len() < 4 => Framing::Incomplete,
            _ => Framing::KeepAlive {
                len: 2,
                ping: false,
            },
        };
    }
    if buf == b"\r" {
        return Framing::Incomplete;
    }
    let Some(eoh) = find(buf, b"\r\n\r\n") else {
        if buf.len() > limits.max_message_size {
            return Framing::Invalid(ParseError::TooLarge {
                max: limits.max_message_size,
            });
        }
        return Framing::Incomplete;
    };
    let head_len = eoh + 4;
    let head = buf.get(..eoh).unwrap_or_default();
    let cl = match content_length(head) {
        Ok(Some(cl)) => cl,
        Ok(None) => return Framing::Invalid(ParseError::MissingContentLength),
        Err(e) => return Framing::Invalid(e),
    };
    let total = head_len.saturating_add(cl);
    if total > limits.max_message_size {
        return Framing::Invalid(ParseError::TooLarge {
            max: limits.max_message_size,
        });
    }
    if buf.len() < total {
        Framing::Incomplete
    } else {
        Framing::Complete(total)
    }
}

/// The Content-Length of a header block (without the empty line), if present. Scans lines
/// cheaply; folded continuation lines are joined.
fn content_length(head: &[u8]) -> Result<Option<usize>, ParseError> {
    let lines = logical_lines(head);
    let mut found = None;
    for (_, line) in lines.iter().skip(1) {
        let Some(colon) = line.iter().position(|&b| b == b':') else {
            continue;
        };
        let name = line.get(..colon).unwrap_or_default();
        let name = std::str::from_utf8(name).unwrap_or("").trim_end();
        if name.eq_ignore_ascii_case("content-length") || name.eq_ignore_ascii_case("l") {
            if found.is_some() {
                return Err(ParseError::MultipleContentLength);
            }
            let v = line.get(colon + 1..).unwrap_or_default();
            found = Some(parse_content_length(v)?);
        }
    }
    Ok(found)
}

fn parse_content_length(v: &[u8]) -> Result<usize, ParseError> {
    let v = std::str::from_utf8(v).map_err(|_| ParseError::BadContentLength)?;
    let v = v.trim_matches(|c| c == ' ' || c == '\t' || c == '\r' || c == '\n');
    if v.is_empty() || v.len() > 10 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ParseError::BadContentLength);
    }
    v.parse().map_err(|_| ParseError::BadContentLength)
}

/// Splits a header block into logical lines (folded lines joined, RFC 3261 7.3.1), each with
/// the 1-based number of its first physical line.
fn logical_lines(head: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let mut out: Vec<(usize, Vec<u8>)> = Vec::new();
    for (i, line) in split_crlf(head).enumerate() {
        let folded = line.first().is_some_and(|&b| b == b' ' || b == b'\t');
        match out.last_mut() {
            Some((_, prev)) if folded && i > 1 => {
                // LWS = [*WSP CRLF] 1*WSP: the whole run becomes one SP.
                while prev.last().is_some_and(|&b| b == b' ' || b == b'\t') {
                    prev.pop();
                }
                prev.push(b' ');
                let start = line
                    .iter()
                    .position(|&b| b != b' ' && b != b'\t')
                    .unwrap_or(line.len());
                prev.extend_from_slice(line.get(start..).unwrap_or_default());
            }
            _ => out.push((i + 1, line.to_vec())),
        }
    }
    out
}

fn split_crlf(b: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(b);
    std::iter::from_fn(move || {
        let r = rest?;
        match find(r, b"\r\n") {
            Some(i) => {
                rest = r.get(i + 2..);
                r.get(..i)
            }
            None => {
                rest = None;
                Some(r)
            }
        }
    })
}

fn parse_version(v: &str) -> Result<(), ParseError> {
    // SIP-Version = "SIP" "/" 1*DIGIT "." 1*DIGIT, "SIP" case-insensitive (RFC 3261 7.1).
    let (sip, num) = v.split_once('/').ok_or(ParseError::BadVersion)?;
    if !sip.eq_ignore_ascii_case("SIP") {
        return Err(ParseError::BadVersion);
    }
    if num != "2.0" {
        return Err(ParseError::BadVersion);
    }
    Ok(())
}

fn parse_start_line(line: &[u8]) -> Result<StartLine, ParseError> {
    let s = std::str::from_utf8(line).map_err(|_| ParseError::BadRequestLine)?;
    if s.starts_with("SIP/") || s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("SIP/")) {
        // Status-Line: exactly one SP after the version and after the code.
        let (version, rest) = s.split_once(' ').ok_or(ParseError::BadStatusLine)?;
        parse_version(version)?;
        let (code, reason) = rest.split_once(' ').unwrap_or((rest, ""));
        if code.len() != 3 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ParseError::BadStatusLine);
        }
        let status: u16 = code.parse().map_err(|_| ParseError::BadStatusLine)?;
        if !(100..=699).contains(&status) || reason.contains(['\r', '\n']) {
            return Err(ParseError::BadStatusLine);
        }
        return Ok(StartLine::Response {
            status,
            reason: reason.to_string(),
        });
    }
    // Request-Line: single SPs only (RFC 4475 3.1.2.8-10).
    let mut parts = s.split(' ');
    let (Some(m), Some(u), Some(v), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(ParseError::BadRequestLine);
    };
    let method = Method::parse(m).map_err(|_| ParseError::BadRequestLine)?;
    parse_version(v)?;
    let uri = Uri::parse(u).map_err(ParseError::BadRequestUri)?;
    if !uri.fit_for_request_uri() {
        return Err(ParseError::BadRequestUri(HeaderError::BadUri));
    }
    Ok(StartLine::Request { method, uri })
}

impl Message {
    /// Parses a whole datagram with the default limits.
    pub fn parse(bytes: &[u8]) -> Result<Message, ParseError> {
        Message::parse_with(bytes, &Limits::default())
    }

    /// Parses a whole datagram (RFC 3261 18.3: without Content-Length the body runs to the
    /// end; with one, octets beyond it are dropped and a larger value is an error).
    pub fn parse_with(bytes: &[u8], limits: &Limits) -> Result<Message, ParseError> {
        if bytes.len() > limits.max_message_size {
            return Err(ParseError::TooLarge {
                max: limits.max_message_size,
            });
        }
        // Leading CRLFs before the start line are ignored (RFC 3261 7.5).
        let mut bytes = bytes;
        while let Some(r) = bytes.strip_prefix(b"\r\n") {
            bytes = r;
        }
        // A datagram whose last header line ends the datagram without the empty line (RFC
        // 4475 3.1.2.15 is sent so) is taken as headers without a body.
        let (head, rest) = match find(bytes, b"\r\n\r\n") {
            Some(eoh) => (
                bytes.get(..eoh).unwrap_or_default(),
                bytes.get(eoh + 4..).unwrap_or_default(),
            ),
            None => match bytes.strip_suffix(b"\r\n") {
                Some(head) => (head, &b""[..]),
                None => return Err(ParseError::NoEndOfHeaders),
            },
        };
        let lines = logical_lines(head);
        let mut it = lines.into_iter();
        let (_, first) = it.next().ok_or(ParseError::BadRequestLine)?;
        let start = parse_start_line(&first)?;
        let mut headers = Vec::new();
        let mut cl = None;
        for (no, line) in it {
            let text =
                String::from_utf8(line).map_err(|_| ParseError::HeaderNotUtf8 { line: no })?;
            let (name, value) = text
                .split_once(':')
                .ok_or(ParseError::BadHeaderLine { line: no })?;
            // HCOLON = *( SP / HTAB ) ":" SWS (RFC 3261 25.1).
            let name = name.trim_end_matches([' ', '\t']);
            if !syntax::is_token(name) {
                return Err(ParseError::BadHeaderLine { line: no });
            }
            let h = Header::new(name, value.trim_matches([' ', '\t']));
            if h.is("Content-Length") {
                if cl.is_some() {
                    return Err(ParseError::MultipleContentLength);
                }
                cl = Some(parse_content_length(h.value.as_bytes())?);
                continue;
            }
            headers.push(h);
        }
        let body = match cl {
            Some(n) => rest.get(..n).ok_or(ParseError::ContentLengthTooLarge)?,
            None => rest,
        };
        Ok(Message {
            start,
            headers,
            body: body.to_vec(),
        })
    }

    /// Writes the message; the Content-Length, written after the other headers, is the
    /// body's length (a Content-Length pushed into `headers` by hand is ignored).
    pub fn encode(&self, out: &mut Vec<u8>) {
        match &self.start {
            StartLine::Request { method, uri } => {
                out.extend_from_slice(format!("{method} {uri} SIP/2.0\r\n").as_bytes());
            }
            StartLine::Response { status, reason } => {
                out.extend_from_slice(format!("SIP/2.0 {status} {reason}\r\n").as_bytes());
            }
        }
        for h in &self.headers {
            if h.is("Content-Length") {
                continue;
            }
            out.extend_from_slice(h.name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(h.value.as_bytes());
            out.extend_from_slice(b"\r\n");
        }
        out.extend_from_slice(format!("Content-Length: {}\r\n", self.body.len()).as_bytes());
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(&self.body);
    }

    /// The encoded message.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(512 + self.body.len());
        self.encode(&mut out);
        out
    }

    pub fn is_request(&self) -> bool {
        matches!(self.start, StartLine::Request { .. })
    }

    pub fn method(&self) -> Option<&Method> {
        match &self.start {
            StartLine::Request { method, .. } => Some(method),
            StartLine::Response { .. } => None,
        }
    }

    pub fn request_uri(&self) -> Option<&Uri> {
        match &self.start {
            StartLine::Request { uri, .. } => Some(uri),
            StartLine::Response { .. } => None,
        }
    }

    pub fn status(&self) -> Option<u16> {
        match &self.start {
            StartLine::Response { status, .. } => Some(*status),
            StartLine::Request { .. } => None,
        }
    }

    /// The values of every header named `name` (full or compact name, any case), in order.
    pub fn get_all<'a>(&'a self, name: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.headers
            .iter()
            .filter(move |h| h.is(name))
            .map(|h| h.value.as_str())
    }

    /// The value of the first header named `name`.
    pub fn get<'a>(&'a self, name: &'a str) -> Option<&'a str> {
        self.get_all(name).next()
    }

    /// The single value of `name`: an error if it occurs more than once.
    fn single(&self, name: &'static str) -> Result<Option<&str>, ParseError> {
        let mut it = self.get_all(name);
        let first = it.next();
        if it.next().is_some() {
            return Err(ParseError::MultipleHeader(name));
        }
        Ok(first)
    }

    fn required(&self, name: &'static str) -> Result<&str, ParseError> {
        self.single(name)?.ok_or(ParseError::MissingHeader(name))
    }

    /// Appends a header.
    pub fn push_header(&mut self, name: &str, value: impl Into<String>) {
        self.headers.push(Header::new(name, value));
    }

    /// Replaces every header `name` by one with `value` (at the first one's place).
    pub fn set_header(&mut self, name: &str, value: impl Into<String>) {
        let value = value.into();
        match self.headers.iter().position(|h| h.is(name)) {
            Some(i) => {
                if let Some(h) = self.headers.get_mut(i) {
                    h.value = value;
                }
                let mut n = 0;
                self.headers.retain(|h| {
                    let keep = !h.is(name) || n == 0;
                    if h.is(name) {
                        n += 1;
                    }
                    keep
                });
            }
            None => self.push_header(name, value),
        }
    }

    /// Removes every header `name`.
    pub fn remove_header(&mut self, name: &str) {
        self.headers.retain(|h| !h.is(name));
    }

    fn typed<T>(
        &self,
        name: &'static str,
        f: impl Fn(&str) -> Result<T, HeaderError>,
    ) -> Result<T, ParseError> {
        f(self.required(name)?).map_err(|error| ParseError::BadHeader { name, error })
    }

    /// Every Via value, top first, across all Via headers (RFC 3261 7.3.1).
    pub fn vias(&self) -> Result<Vec<Via>, ParseError> {
        let mut out = Vec::new();
        for v in self.get_all("Via") {
            out.extend(
                Via::parse_list(v).map_err(|error| ParseError::BadHeader { name: "Via", error })?,
            );
        }
        Ok(out)
    }

    /// The top Via (RFC 3261 17.2.3, 18.2.1: branch, sent-by, received/rport).
    pub fn top_via(&self) -> Result<Via, ParseError> {
        let v = self.get("Via").ok_or(ParseError::MissingHeader("Via"))?;
        let first = syntax::split_commas(v)
            .map_err(|error| ParseError::BadHeader { name: "Via", error })?
            .into_iter()
            .next()
            .unwrap_or_default();
        Via::parse(first).map_err(|error| ParseError::BadHeader { name: "Via", error })
    }

    pub fn cseq(&self) -> Result<CSeq, ParseError> {
        self.typed("CSeq", CSeq::parse)
    }

    pub fn call_id(&self) -> Result<String, ParseError> {
        self.typed("Call-ID", headers::parse_call_id)
    }

    pub fn from(&self) -> Result<NameAddr, ParseError> {
        self.typed("From", NameAddr::parse)
    }

    pub fn to(&self) -> Result<NameAddr, ParseError> {
        self.typed("To", NameAddr::parse)
    }

    pub fn from_tag(&self) -> Result<Option<String>, ParseError> {
        Ok(self.from()?.tag())
    }

    pub fn to_tag(&self) -> Result<Option<String>, ParseError> {
        Ok(self.to()?.tag())
    }

    /// Max-Forwards, if present.
    pub fn max_forwards(&self) -> Result<Option<u8>, ParseError> {
        self.single("Max-Forwards")?
            .map(headers::parse_max_forwards)
            .transpose()
            .map_err(|error| ParseError::BadHeader {
                name: "Max-Forwards",
                error,
            })
    }

    /// The Contact header, if any.
    pub fn contact(&self) -> Result<Option<Contact>, ParseError> {
        let mut all: Vec<NameAddr> = Vec::new();
        let mut star = false;
        for v in self.get_all("Contact") {
            match Contact::parse(v).map_err(|error| ParseError::BadHeader {
                name: "Contact",
                error,
            })? {
                Contact::Star => star = true,
                Contact::List(l) => all.extend(l),
            }
        }
        Ok(if star {
            Some(Contact::Star)
        } else if all.is_empty() {
            None
        } else {
            Some(Contact::List(all))
        })
    }

    /// Every Record-Route (or Route) entry in order.
    pub fn route_set(&self, name: &'static str) -> Result<Vec<NameAddr>, ParseError> {
        let mut out = Vec::new();
        for v in self.get_all(name) {
            out.extend(
                NameAddr::parse_list(v).map_err(|error| ParseError::BadHeader { name, error })?,
            );
        }
        Ok(out)
    }

    /// Content-Type, if present.
    pub fn content_type(&self) -> Result<Option<mime::Mime>, ParseError> {
        self.single("Content-Type")?
            .map(headers::parse_content_type)
            .transpose()
            .map_err(|error| ParseError::BadHeader {
                name: "Content-Type",
                error,
            })
    }

    /// A request (RFC 3261 8.1.1) with Request-URI, To, From (with tag), Call-ID, CSeq,
    /// Max-Forwards 70 and a top Via; the caller adds Contact and the rest.
    #[allow(clippy::too_many_arguments)]
    pub fn request(
        method: Method,
        uri: Uri,
        via: Via,
        from: NameAddr,
        to: NameAddr,
        call_id: &str,
        cseq: u32,
    ) -> Message {
        let mut m = Message {
            start: StartLine::Request {
                method: method.clone(),
                uri,
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.push_header("Via", via.to_string());
        m.push_header("Max-Forwards", "70");
        m.push_header("From", from.to_string());
        m.push_header("To", to.to_string());
        m.push_header("Call-ID", call_id);
        m.push_header("CSeq", CSeq { seq: cseq, method }.to_string());
        m
    }

    /// A response to this request (RFC 3261 8.2.6.2): Via (all, in order), From, To,
    /// Call-ID and CSeq copied; `to_tag` added to To when it has none (not for 100, 8.2.6.2).
    pub fn response(&self, status: u16, reason: &str, to_tag: Option<&str>) -> Message {
        let mut r = Message {
            start: StartLine::Response {
                status,
                reason: reason.to_string(),
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        for h in &self.headers {
            let copy = h.is("Via") || h.is("From") || h.is("Call-ID") || h.is("CSeq");
            if copy {
                r.headers.push(h.clone());
            } else if h.is("To") {
                let mut to = h.clone();
                if let (Some(tag), Ok(mut na)) = (to_tag, NameAddr::parse(&h.value)) {
                    if na.tag().is_none() && status != 100 {
                        na.set_tag(tag);
                        to.value = na.to_string();
                    }
                }
                r.headers.push(to);
            } else if status == 100 && h.is("Timestamp") {
                // RFC 3261 8.2.6.1: a 100 copies Timestamp.
                r.headers.push(h.clone());
            }
        }
        r
    }

    /// The ACK for a non-2xx final response to this INVITE (RFC 3261 17.1.1.3): same
    /// Request-URI, top Via only, From, Call-ID, CSeq number with method ACK, the To of the
    /// response, the Route headers of the INVITE.
    pub fn ack_for(&self, response: &Message) -> Result<Message, ParseError> {
        self.derived(Method::Ack, Some(response))
    }

    /// The CANCEL for this request (RFC 3261 9.1): same Request-URI, Call-ID, To, From, CSeq
    /// number with method CANCEL, top Via only, the Route headers of the request.
    pub fn cancel(&self) -> Result<Message, ParseError> {
        self.derived(Method::Cancel, None)
    }

    fn derived(&self, method: Method, response: Option<&Message>) -> Result<Message, ParseError> {
        let uri = self
            .request_uri()
            .cloned()
            .ok_or(ParseError::BadRequestLine)?;
        let cseq = self.cseq()?;
        let top_via = self.top_via()?;
        let to = match response {
            Some(r) => r.required("To")?.to_string(),
            None => self.required("To")?.to_string(),
        };
        let mut m = Message {
            start: StartLine::Request {
                method: method.clone(),
                uri,
            },
            headers: Vec::new(),
            body: Vec::new(),
        };
        m.push_header("Via", top_via.to_string());
        for r in self.get_all("Route") {
            m.push_header("Route", r);
        }
        m.push_header("Max-Forwards", "70");
        m.push_header("From", self.required("From")?);
        m.push_header("To", to);
        m.push_header("Call-ID", self.required("Call-ID")?);
        m.push_header(
            "CSeq",
            CSeq {
                seq: cseq.seq,
                method,
            }
            .to_string(),
        );
        Ok(m)
    }
}

/// Checks what RFC 3261 8.1.1 makes mandatory in a request and what RFC 3261 8.2 has a UAS
/// reject with 400: To, From, CSeq, Call-ID present once and Via at least once, each
/// parsable, Max-Forwards parsable when present; CSeq method equal to the request method (RFC 4475 3.1.2.17-18);
/// Date, when present, in RFC 1123 form with GMT (RFC 3261 20.17, RFC 4475 3.1.2.12);
/// Contact parsable. Not checked here (the transaction user's job): Require/Proxy-Require
/// option tags (420), Request-URI scheme (416), Max-Forwards 0 (483), broadcast sent-by.
pub fn validate_request(m: &Message) -> Result<(), ParseError> {
    let Some(method) = m.method() else {
        return Err(ParseError::BadRequestLine);
    };
    m.to()?;
    m.from()?;
    m.call_id()?;
    let cseq = m.cseq()?;
    if &cseq.method != method {
        return Err(ParseError::CSeqMethodMismatch);
    }
    // Max-Forwards: RFC 3261 8.1.1.6 makes a UAC send it, but 8.2 gives a UAS no rejection
    // for its absence (RFC 2543 peers, RFC 4475 3.3.1); when present it must parse.
    m.max_forwards()?;
    if m.vias()?.is_empty() {
        return Err(ParseError::MissingHeader("Via"));
    }
    m.contact()?;
    m.content_type()?;
    if let Some(d) = m.single("Date")? {
        check_date(d).map_err(|error| ParseError::BadHeader {
            name: "Date",
            error,
        })?;
    }
    for name in ["Route", "Record-Route"] {
        m.route_set(name)?;
    }
    Ok(())
}

/// `rfc1123-date = wkday "," SP date1 SP time SP "GMT"` (RFC 3261 25.1).
fn check_date(s: &str) -> Result<(), HeaderError> {
    let bad = HeaderError::BadDate;
    let (wkday, rest) = s.trim().split_once(", ").ok_or(bad)?;
    const DAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    if !DAYS.contains(&wkday) {
        return Err(bad);
    }
    let f: Vec<&str> = rest.split(' ').collect();
    let [day, month, year, time, zone] = f.as_slice() else {
        return Err(bad);
    };
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    let t: Vec<&str> = time.split(':').collect();
    let time_ok = t.len() == 3 && t.iter().all(|p| digits(p, 2));
    if !digits(day, 2) || !MONTHS.contains(month) || !digits(year, 4) || !time_ok || *zone != "GMT"
    {
        return Err(bad);
    }
    Ok(())
}

/// Checks a response the way a UAC's transaction layer needs it (RFC 3261 8.1.3, 17.1.3):
/// one top Via with a parsable value, From, To, Call-ID and CSeq present once and parsable
/// (RFC 4475 3.1.2.5: overlarge CSeq). A response failing this is discarded (8.1.3.3).
pub fn validate_response(m: &Message) -> Result<(), ParseError> {
    if m.is_request() {
        return Err(ParseError::BadStatusLine);
    }
    m.top_via()?;
    m.vias()?;
    m.to()?;
    m.from()?;
    m.call_id()?;
    m.cseq()?;
    m.contact()?;
    Ok(())
}
