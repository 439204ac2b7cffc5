//! RFC 3204 bodies: application/ISUP and application/QSIG, alone or beside SDP in a
//! multipart/mixed body (RFC 2046 5.1), as SIP-T (RFC 3372) carries them.
//!
//! Parsing uses `mailparse`, which finds parts and boundaries without touching the octets of a
//! part (ISUP is binary: CRLF and 8-bit octets occur inside it). `mailparse` does not build
//! bodies, so [`build`] is ours: it picks a boundary that occurs in no part (RFC 2046 5.1.1)
//! and writes each part's octets unchanged. Content-Type values are read with `mime`.

use std::fmt;

use serde::Serialize;
use thiserror::Error;

/// The `base` values of RFC 3204 3.1 Table 1 (the IANA registry of ISUP variants).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub enum IsupBase {
    /// ITU-T Q.761-4 (1988), no forward compatibility.
    #[serde(rename = "itu-t88")]
    ItuT88,
    /// ITU-T Q.761-4 (1992) and later, with the compatibility mechanism.
    #[serde(rename = "itu-t92+")]
    ItuT92Plus,
    /// ANSI T1.113-1988.
    #[serde(rename = "ansi88")]
    Ansi88,
    /// ANSI T1.113-2000.
    #[serde(rename = "ansi00")]
    Ansi00,
    /// ETS 300 121.
    #[serde(rename = "etsi121")]
    Etsi121,
    /// ES 300 356.
    #[serde(rename = "etsi356")]
    Etsi356,
    /// Bellcore GR-317.
    #[serde(rename = "gr317")]
    Gr317,
    /// JT-Q761-4 (1987-1992).
    #[serde(rename = "ttc87")]
    Ttc87,
    /// JT-Q761-4 (1993-).
    #[serde(rename = "ttc93+")]
    Ttc93Plus,
}

impl IsupBase {
    /// RFC 3204 Table 1, in its order.
    pub const ALL: [IsupBase; 9] = [
        IsupBase::ItuT88,
        IsupBase::ItuT92Plus,
        IsupBase::Ansi88,
        IsupBase::Ansi00,
        IsupBase::Etsi121,
        IsupBase::Etsi356,
        IsupBase::Gr317,
        IsupBase::Ttc87,
        IsupBase::Ttc93Plus,
    ];

    /// The token as written in the `base` parameter.
    pub fn token(self) -> &'static str {
        match self {
            IsupBase::ItuT88 => "itu-t88",
            IsupBase::ItuT92Plus => "itu-t92+",
            IsupBase::Ansi88 => "ansi88",
            IsupBase::Ansi00 => "ansi00",
            IsupBase::Etsi121 => "etsi121",
            IsupBase::Etsi356 => "etsi356",
            IsupBase::Gr317 => "gr317",
            IsupBase::Ttc87 => "ttc87",
            IsupBase::Ttc93Plus => "ttc93+",
        }
    }

    /// The registered value for `token`, compared without regard to case (parameter values
    /// are tokens; peers differ in case).
    pub fn from_token(token: &str) -> Option<IsupBase> {
        IsupBase::ALL
            .into_iter()
            .find(|b| b.token().eq_ignore_ascii_case(token))
    }

    /// Whether the variant has the forward compatibility mechanism (RFC 3204 Table 1, the
    /// "compatibility" column): unrecognised parameters carry instruction indicators.
    pub fn forward_compatible(self) -> bool {
        matches!(
            self,
            IsupBase::ItuT92Plus | IsupBase::Ansi00 | IsupBase::Etsi356 | IsupBase::Ttc93Plus
        )
    }
}

impl fmt::Display for IsupBase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.token())
    }
}

/// The `handling` parameter of Content-Disposition (RFC 3204 6, RFC 3261 20.11): what a UAS
/// does with a body it does not understand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Handling {
    /// Ignore the body.
    Optional,
    /// Reject the request with 415 (Unsupported Media Type). The default when absent.
    Required,
    /// An `other-handling` token.
    Other(String),
}

impl Handling {
    fn token(&self) -> &str {
        match self {
            Handling::Optional => "optional",
            Handling::Required => "required",
            Handling::Other(t) => t,
        }
    }

    fn from_token(t: &str) -> Handling {
        if t.eq_ignore_ascii_case("optional") {
            Handling::Optional
        } else if t.eq_ignore_ascii_case("required") {
            Handling::Required
        } else {
            Handling::Other(t.to_string())
        }
    }
}

/// What a body part holds, read from its Content-Type.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum PartType {
    /// application/sdp.
    Sdp,
    /// application/ISUP (RFC 3204 3.1). `version` is required by the RFC and free-form;
    /// `base` is from Table 1. Either may be missing on receive.
    Isup {
        version: Option<String>,
        base: Option<String>,
    },
    /// application/QSIG (RFC 3204 3.2); the only registered version is `iso`.
    Qsig { version: Option<String> },
    /// Anything else, by its type/subtype in lower case.
    Other(String),
}

/// One body part: its MIME headers and its octets, never converted to text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BodyPart {
    /// The Content-Type value as received (unfolded) or to be sent.
    pub content_type: String,
    /// The Content-Disposition value, if any.
    pub content_disposition: Option<String>,
    /// Other part headers (Content-ID, MIME-Version, ...), kept in order.
    pub headers: Vec<(String, String)>,
    /// The part's octets.
    #[serde(skip)]
    pub body: Vec<u8>,
}

impl BodyPart {
    /// An SDP part.
    pub fn sdp(body: impl Into<Vec<u8>>) -> BodyPart {
        BodyPart {
            content_type: "application/sdp".into(),
            content_disposition: None,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    /// An ISUP part (the message from its message type code on, RFC 3204 3.1). Sends both
    /// `version` and `base` with the registered token: gateways that read only one of them
    /// fail to interwork with a peer that sends only the other.
    pub fn isup(base: IsupBase, message: impl Into<Vec<u8>>, handling: Handling) -> BodyPart {
        BodyPart {
            content_type: format!("application/ISUP; version={base}; base={base}"),
            content_disposition: Some(format!("signal; handling={}", handling.token())),
            headers: Vec::new(),
            body: message.into(),
        }
    }

    /// A QSIG part (the message from its protocol discriminator on, RFC 3204 3.2).
    pub fn qsig(message: impl Into<Vec<u8>>, handling: Handling) -> BodyPart {
        BodyPart {
            content_type: "application/QSIG; version=iso".into(),
            content_disposition: Some(format!("signal; handling={}", handling.token())),
            headers: Vec::new(),
            body: message.into(),
        }
    }

    /// What the part holds, from its Content-Type. An unparsable Content-Type reads as
    /// `Other` with the value as given.
    pub fn part_type(&self) -> PartType {
        part_type(&self.content_type)
    }

    /// The disposition type (`signal`, `session`, `render`, ...), in lower case, if given.
    pub fn disposition_type(&self) -> Option<String> {
        let cd = self.content_disposition.as_deref()?;
        let t = cd.split(';').next().unwrap_or("").trim();
        Some(t.to_ascii_lowercase())
    }

    /// The `handling` of the part: as given, or `required` when absent (RFC 3204 6).
    pub fn handling(&self) -> Handling {
        self.content_disposition
            .as_deref()
            .and_then(|cd| {
                mailparse::parse_content_disposition(cd)
                    .params
                    .get("handling")
                    .map(|h| Handling::from_token(h))
            })
            .unwrap_or(Handling::Required)
    }

    /// The ISUP variant this part may be processed as: its `base` when that is a registered
    /// value, else its `version` when that is one (RFC 3204 makes `version` free-form; many
    /// gateways put the registered token there). `None` for a part that is not ISUP or whose
    /// variant we cannot know.
    pub fn isup_base(&self) -> Option<IsupBase> {
        match self.part_type() {
            PartType::Isup { version, base } => base
                .as_deref()
                .and_then(IsupBase::from_token)
                .or_else(|| version.as_deref().and_then(IsupBase::from_token)),
            _ => None,
        }
    }
}

fn part_type(content_type: &str) -> PartType {
    let Ok(m) = content_type.trim().parse::<mime::Mime>() else {
        return PartType::Other(content_type.trim().to_ascii_lowercase());
    };
    let param = |n: &str| {
        m.params()
            .find(|(k, _)| k.as_str().eq_ignore_ascii_case(n))
            .map(|(_, v)| v.as_str().to_string())
    };
    let ty = m.type_().as_str().to_ascii_lowercase();
    let sub = m.subtype().as_str().to_ascii_lowercase();
    match (ty.as_str(), sub.as_str()) {
        ("application", "sdp") => PartType::Sdp,
        ("application", "isup") => PartType::Isup {
            version: param("version"),
            base: param("base"),
        },
        ("application", "qsig") => PartType::Qsig {
            version: param("version"),
        },
        _ => PartType::Other(format!("{ty}/{sub}")),
    }
}

/// A SIP message body ready to send: the values of its Content-Type and Content-Disposition
/// headers and its octets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Body {
    pub content_type: String,
    pub content_disposition: Option<String>,
    pub bytes: Vec<u8>,
}

/// Why a body could not be read.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum BodyError {
    /// The Content-Type value is not a media type.
    #[error("Content-Type is not a media type")]
    BadContentType,
    /// A multipart Content-Type without a `boundary` parameter.
    #[error("multipart body without a boundary parameter")]
    MissingBoundary,
    /// No delimiter line of the boundary in the body.
    #[error("multipart body holds no part")]
    NoParts,
    /// No close-delimiter (`--boundary--`) after the last part (RFC 2046 5.1.1).
    #[error("multipart body not closed by --boundary--")]
    Unterminated,
    /// The headers of a part could not be read (part numbers count from 0).
    #[error("malformed headers in body part {part}")]
    BadPart { part: usize },
    /// Multiparts nested deeper than we follow.
    #[error("multipart nested too deep")]
    TooDeep,
}

/// How deep multiparts may nest inside each other; SIP-T uses one level.
const MAX_DEPTH: usize = 4;

/// Reads a SIP body given the values of the message's Content-Type and Content-Disposition
/// headers. A multipart body gives its parts in order (nested multiparts flattened); any other
/// body is one part. The octets of every part are returned exactly as they were in the body:
/// the CRLF before each delimiter belongs to the delimiter (RFC 2046 5.1.1).
pub fn parse(
    content_type: &str,
    content_disposition: Option<&str>,
    bytes: &[u8],
) -> Result<Vec<BodyPart>, BodyError> {
    let mut parts = Vec::new();
    parse_into(
        content_type,
        content_disposition,
        Vec::new(),
        bytes,
        0,
        &mut parts,
    )?;
    Ok(parts)
}

fn parse_into(
    content_type: &str,
    content_disposition: Option<&str>,
    headers: Vec<(String, String)>,
    bytes: &[u8],
    depth: usize,
    out: &mut Vec<BodyPart>,
) -> Result<(), BodyError> {
    let m: mime::Mime = content_type
        .trim()
        .parse()
        .map_err(|_| BodyError::BadContentType)?;
    if !m.type_().as_str().eq_ignore_ascii_case("multipart") {
        out.push(BodyPart {
            content_type: content_type.trim().to_string(),
            content_disposition: content_disposition.map(|s| s.trim().to_string()),
            headers,
            body: bytes.to_vec(),
        });
        return Ok(());
    }
    if depth >= MAX_DEPTH {
        return Err(BodyError::TooDeep);
    }
    let boundary = m
        .get_param(mime::BOUNDARY)
        .ok_or(BodyError::MissingBoundary)?
        .as_str();
    if !has_close_delimiter(bytes, boundary.as_bytes()) {
        return Err(BodyError::Unterminated);
    }
    // mailparse reads a whole entity: give it the multipart's own Content-Type line.
    let mut entity = Vec::with_capacity(bytes.len() + boundary.len() + 48);
    entity.extend_from_slice(b"Content-Type: multipart/mixed; boundary=\"");
    entity.extend_from_slice(boundary.as_bytes());
    entity.extend_from_slice(b"\"\r\n\r\n");
    entity.extend_from_slice(bytes);
    let mail = mailparse::parse_mail(&entity).map_err(|_| BodyError::BadPart { part: 0 })?;
    if mail.subparts.is_empty() {
        return Err(BodyError::NoParts);
    }
    for (i, sub) in mail.subparts.iter().enumerate() {
        let mut ct = None;
        let mut cd = None;
        let mut others = Vec::new();
        for h in &sub.headers {
            let key = h.get_key();
            let value = h.get_value();
            if key.eq_ignore_ascii_case("content-type") && ct.is_none() {
                ct = Some(value);
            } else if key.eq_ignore_ascii_case("content-disposition") && cd.is_none() {
                cd = Some(value);
            } else {
                others.push((key, value));
            }
        }
        // RFC 2046 5.1: a part without Content-Type is text/plain; charset=us-ascii.
        let ct = ct.unwrap_or_else(|| "text/plain; charset=us-ascii".into());
        let body = sub
            .get_body_raw()
            .map_err(|_| BodyError::BadPart { part: i })?;
        parse_into(&ct, cd.as_deref(), others, &body, depth + 1, out)?;
    }
    Ok(())
}

/// Whether a line starting with `--boundary--` is in `body` (RFC 2046 5.1.1 close-delimiter).
fn has_close_delimiter(body: &[u8], boundary: &[u8]) -> bool {
    let mut close = Vec::with_capacity(boundary.len() + 4);
    close.extend_from_slice(b"--");
    close.extend_from_slice(boundary);
    close.extend_from_slice(b"--");
    let mut from = 0;
    while let Some(i) = find(&body[from..], &close) {
        let at = from + i;
        if at == 0 || body[at - 1] == b'\n' {
            return true;
        }
        from = at + 1;
    }
    false
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// Builds the body of a SIP message from its parts: one part is sent as the body itself (its
/// Content-Type and Content-Disposition become the message's); several make a multipart/mixed
/// body (RFC 2046 5.1) whose boundary occurs in no part.
pub fn build(parts: &[BodyPart]) -> Body {
    if let [only] = parts {
        return Body {
            content_type: only.content_type.clone(),
            content_disposition: only.content_disposition.clone(),
            bytes: only.body.clone(),
        };
    }
    let boundary = choose_boundary(parts);
    let mut bytes = Vec::with_capacity(
        parts
            .iter()
            .map(|p| p.body.len() + p.content_type.len() + 96)
            .sum::<usize>()
            + 32,
    );
    for p in parts {
        bytes.extend_from_slice(b"--");
        bytes.extend_from_slice(boundary.as_bytes());
        bytes.extend_from_slice(b"\r\nContent-Type: ");
        bytes.extend_from_slice(p.content_type.as_bytes());
        if let Some(cd) = &p.content_disposition {
            bytes.extend_from_slice(b"\r\nContent-Disposition: ");
            bytes.extend_from_slice(cd.as_bytes());
        }
        for (k, v) in &p.headers {
            bytes.extend_from_slice(b"\r\n");
            bytes.extend_from_slice(k.as_bytes());
            bytes.extend_from_slice(b": ");
            bytes.extend_from_slice(v.as_bytes());
        }
        bytes.extend_from_slice(b"\r\n\r\n");
        bytes.extend_from_slice(&p.body);
        // The CRLF before the delimiter belongs to the delimiter (RFC 2046 5.1.1).
        bytes.extend_from_slice(b"\r\n");
    }
    bytes.extend_from_slice(b"--");
    bytes.extend_from_slice(boundary.as_bytes());
    bytes.extend_from_slice(b"--\r\n");
    Body {
        content_type: format!("multipart/mixed;boundary={boundary}"),
        content_disposition: None,
        bytes,
    }
}

/// A boundary that occurs in no part's octets or headers (RFC 2046 5.1.1: it must not occur
/// in any encapsulated part). Deterministic: the first free of `sipt-mgc-1`, `sipt-mgc-2`, ...
fn choose_boundary(parts: &[BodyPart]) -> String {
    let mut n: u32 = 1;
    loop {
        let candidate = format!("sipt-mgc-{n}");
        let c = candidate.as_bytes();
        let clash = parts.iter().any(|p| {
            find(&p.body, c).is_some()
                || find(p.content_type.as_bytes(), c).is_some()
                || p.content_disposition
                    .as_deref()
                    .is_some_and(|d| find(d.as_bytes(), c).is_some())
                || p.headers.iter().any(|(k, v)| {
                    find(k.as_bytes(), c).is_some() || find(v.as_bytes(), c).is_some()
                })
        });
        if !clash {
            return candidate;
        }
        n += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 3204 4.1: the ISUP IAM of the example.
    const RFC3204_IAM: [u8; 60] = [
        0x01, 0x00, 0x49, 0x00, 0x00, 0x03, 0x02, 0x00, 0x07, 0x04, 0x10, 0x00, 0x33, 0x63, 0x21,
        0x43, 0x00, 0x00, 0x03, 0x06, 0x0d, 0x03, 0x80, 0x90, 0xa2, 0x07, 0x03, 0x10, 0x03, 0x63,
        0x53, 0x00, 0x10, 0x0a, 0x07, 0x03, 0x10, 0x27, 0x80, 0x88, 0x03, 0x00, 0x00, 0x89, 0x8b,
        0x0e, 0x95, 0x1e, 0x1e, 0x1e, 0x06, 0x26, 0x05, 0x0d, 0xf5, 0x01, 0x06, 0x10, 0x04, 0x00,
    ];

    #[test]
    fn sends_version_and_base() {
        let p = BodyPart::isup(IsupBase::ItuT92Plus, vec![1, 2], Handling::Optional);
        assert_eq!(
            p.content_type,
            "application/ISUP; version=itu-t92+; base=itu-t92+"
        );
        assert_eq!(
            p.content_disposition.as_deref(),
            Some("signal; handling=optional")
        );
        assert_eq!(p.isup_base(), Some(IsupBase::ItuT92Plus));
    }

    #[test]
    fn accepts_version_or_base_alone() {
        let only_version = BodyPart {
            content_type: "application/isup; version=itu-t92+".into(),
            content_disposition: None,
            headers: vec![],
            body: vec![],
        };
        assert_eq!(only_version.isup_base(), Some(IsupBase::ItuT92Plus));
        let only_base = BodyPart {
            content_type: "application/ISUP;base=ETSI356".into(),
            ..only_version.clone()
        };
        assert_eq!(only_base.isup_base(), Some(IsupBase::Etsi356));
        let private = BodyPart {
            content_type: "application/ISUP; version=X-NetxProprietaryISUPv3".into(),
            ..only_version
        };
        assert_eq!(private.isup_base(), None);
        assert_eq!(
            private.part_type(),
            PartType::Isup {
                version: Some("X-NetxProprietaryISUPv3".into()),
                base: None
            }
        );
    }

    #[test]
    fn handling_defaults_to_required() {
        let mut p = BodyPart::sdp("v=0\r\n");
        assert_eq!(p.handling(), Handling::Required);
        p.content_disposition = Some("signal;handling=OPTIONAL".into());
        assert_eq!(p.handling(), Handling::Optional);
        assert_eq!(p.disposition_type().as_deref(), Some("signal"));
        p.content_disposition = Some("signal; handling=later".into());
        assert_eq!(p.handling(), Handling::Other("later".into()));
    }

    #[test]
    fn multipart_round_trip_keeps_binary_octets() {
        // CRLF, a line starting with "--", 8-bit octets and a trailing CRLF inside the ISUP.
        let isup = b"\x01\r\n--sipt-mgc-1\r\n\xff\x00\x80\r\n".to_vec();
        let sdp = b"v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 9 RTP/AVP 8\r\n";
        let parts = vec![
            BodyPart::sdp(&sdp[..]),
            BodyPart::isup(IsupBase::ItuT92Plus, isup.clone(), Handling::Optional),
        ];
        let body = build(&parts);
        assert_eq!(body.content_type, "multipart/mixed;boundary=sipt-mgc-2");
        let back = parse(&body.content_type, None, &body.bytes).unwrap();
        assert_eq!(back, parts);
    }

    #[test]
    fn single_part_is_the_body() {
        let parts = vec![BodyPart::isup(
            IsupBase::ItuT92Plus,
            RFC3204_IAM,
            Handling::Required,
        )];
        let body = build(&parts);
        assert_eq!(body.bytes, RFC3204_IAM);
        let back = parse(
            &body.content_type,
            body.content_disposition.as_deref(),
            &body.bytes,
        )
        .unwrap();
        assert_eq!(back, parts);
    }

    #[test]
    fn rfc3204_example_with_folded_content_type() {
        // RFC 3204 4.1, with the ISUP as octets and a folded Content-Type line.
        let mut body = Vec::new();
        body.extend_from_slice(
            b"--unique-boundary-1\r\nContent-Type: application/SDP; charset=ISO-10646\r\n\r\n\
v=0\r\no=jpeterson 2890844526 2890842807 IN IP4 126.16.64.4\r\ns=SDP seminar\r\n\
c=IN IP4 MG122.level3.com\r\nt= 2873397496  2873404696\r\nm=audio 9092 RTP/AVP 0 3 4\r\n\
--unique-boundary-1\r\nContent-Type: application/ISUP; version=nxv3;\r\n base=etsi121\r\n\
Content-Disposition: signal; handling=optional\r\n\r\n",
        );
        body.extend_from_slice(&RFC3204_IAM);
        body.extend_from_slice(b"\r\n--unique-boundary-1--\r\n");
        let parts = parse("multipart/mixed; boundary=unique-boundary-1", None, &body).unwrap();
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].part_type(), PartType::Sdp);
        assert!(parts[0].body.ends_with(b"m=audio 9092 RTP/AVP 0 3 4"));
        assert_eq!(
            parts[1].part_type(),
            PartType::Isup {
                version: Some("nxv3".into()),
                base: Some("etsi121".into())
            }
        );
        assert_eq!(parts[1].isup_base(), Some(IsupBase::Etsi121));
        assert_eq!(parts[1].handling(), Handling::Optional);
        assert_eq!(parts[1].body, RFC3204_IAM);
    }

    #[test]
    fn rejects_bad_multiparts() {
        assert_eq!(
            parse("multipart/mixed", None, b"--x\r\n\r\n--x--"),
            Err(BodyError::MissingBoundary)
        );
        assert_eq!(
            parse(
                "multipart/mixed;boundary=x",
                None,
                b"--x\r\n\r\nabc\r\n--x\r\n"
            ),
            Err(BodyError::Unterminated)
        );
        assert_eq!(
            parse("not a type", None, b""),
            Err(BodyError::BadContentType)
        );
    }
}
