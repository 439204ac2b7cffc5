//! `sipt-mgc decode KIND HEX`: a window into every wire format the gateway reads and writes.
//!
//! Each kind decodes to the JSON of the codec's own types (`sipt_codecs`). Where a layer
//! carries another, the upper layer is decoded too and nested under the lower one's object,
//! as Wireshark stacks its protocol trees: an MTP2 MSU gets an `mtp3` member, an MTP3 message
//! with service indicator ISUP an `isup` member, a Q.921 I or UI frame carrying Q.931 a `q931`
//! member, and each ISUP or QSIG part of a SIP body its decoded message.

use serde_json::{json, Map, Value as Json};
use sipt_codecs::rfc3204::{self, IsupBase, PartType};
use sipt_codecs::{isup, mtp2, mtp3, q921, q931, DecodeError, EncodeError};
use thiserror::Error;

/// What `sipt-mgc decode` can read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Kind {
    /// A whole MTP2 signal unit (no flags, no FCS).
    Mtp2,
    /// An MTP3 message: service information octet, routing label and user part.
    Mtp3,
    /// An ISUP message as in an MSU: CIC first.
    Isup,
    /// An ISUP message as in an RFC 3204 body: message type first.
    IsupBody,
    /// A Q.921 LAPD frame (no flags, no FCS).
    Q921,
    /// A Q.931 message, protocol discriminator first.
    Q931,
    /// A whole SIP message, its body parts decoded.
    Sipt,
}

impl Kind {
    pub fn name(self) -> &'static str {
        match self {
            Kind::Mtp2 => "mtp2",
            Kind::Mtp3 => "mtp3",
            Kind::Isup => "isup",
            Kind::IsupBody => "isup-body",
            Kind::Q921 => "q921",
            Kind::Q931 => "q931",
            Kind::Sipt => "sipt",
        }
    }

    pub fn from_name(name: &str) -> Option<Kind> {
        [
            Kind::Mtp2,
            Kind::Mtp3,
            Kind::Isup,
            Kind::IsupBody,
            Kind::Q921,
            Kind::Q931,
            Kind::Sipt,
        ]
        .into_iter()
        .find(|k| k.name() == name)
    }
}

/// Why an input could not be decoded (or re-encoded).
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Error {
    #[error("{kind}: {source}")]
    Decode {
        kind: &'static str,
        source: DecodeError,
    },
    #[error("{kind}: cannot encode: {source}")]
    Encode {
        kind: &'static str,
        source: EncodeError,
    },
    #[error("sip: {0}")]
    Sip(#[from] SipError),
    #[error("input is not hex: {what} at offset {offset}")]
    Hex { offset: usize, what: &'static str },
}

/// Faults in the framing of a SIP message (RFC 3261 7, 18.3) as far as `decode sipt` reads it.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SipError {
    #[error("no end of the start line")]
    NoStartLine,
    #[error("no empty line ending the headers (searched to offset {offset})")]
    NoEndOfHeaders { offset: usize },
    #[error("malformed header block at offset {offset}")]
    BadHeaders { offset: usize },
    #[error("Content-Length {declared} but {present} octet(s) of body at offset {offset}")]
    ShortBody {
        offset: usize,
        declared: usize,
        present: usize,
    },
    #[error("Content-Length is not a number")]
    BadContentLength,
    #[error("body: {0}")]
    Body(#[from] rfc3204::BodyError),
}

/// Reads hex with optional whitespace, `:` or `-` separators and an optional `0x` prefix.
pub fn parse_hex(text: &str) -> Result<Vec<u8>, Error> {
    let t = text.trim();
    let t = t
        .strip_prefix("0x")
        .or_else(|| t.strip_prefix("0X"))
        .unwrap_or(t);
    let mut out = Vec::with_capacity(t.len() / 2);
    let mut high: Option<u8> = None;
    for (i, c) in t.char_indices() {
        if c.is_whitespace() || c == ':' || c == '-' {
            if high.is_some() {
                return Err(Error::Hex {
                    offset: i,
                    what: "odd digit before a separator",
                });
            }
            continue;
        }
        let d = c.to_digit(16).ok_or(Error::Hex {
            offset: i,
            what: "not a hex digit",
        })? as u8;
        match high.take() {
            None => high = Some(d),
            Some(h) => out.push(h << 4 | d),
        }
    }
    if high.is_some() {
        return Err(Error::Hex {
            offset: t.len(),
            what: "odd number of hex digits",
        });
    }
    Ok(out)
}

fn json_of<T: serde::Serialize>(v: &T) -> Json {
    // Serialising our own plain data types cannot fail (no maps with non-string keys).
    serde_json::to_value(v).unwrap_or(Json::Null)
}

fn dec(kind: &'static str) -> impl Fn(DecodeError) -> Error {
    move |source| Error::Decode { kind, source }
}

fn enc(kind: &'static str) -> impl Fn(EncodeError) -> Error {
    move |source| Error::Encode { kind, source }
}

/// Decodes `bytes` as `kind` into JSON.
pub fn decode(kind: Kind, bytes: &[u8]) -> Result<Json, Error> {
    match kind {
        Kind::Mtp2 => decode_mtp2(bytes),
        Kind::Mtp3 => decode_mtp3(bytes),
        Kind::Isup => Ok(json_of(
            &isup::CicMessage::decode(bytes).map_err(dec("isup"))?,
        )),
        Kind::IsupBody => Ok(json_of(&isup::Message::decode(bytes).map_err(dec("isup"))?)),
        Kind::Q921 => decode_q921(bytes),
        Kind::Q931 => Ok(json_of(&q931::Message::decode(bytes).map_err(dec("q931"))?)),
        Kind::Sipt => decode_sip(bytes),
    }
}

fn decode_mtp2(bytes: &[u8]) -> Result<Json, Error> {
    let su = mtp2::SignalUnit::decode(bytes).map_err(dec("mtp2"))?;
    let mut out = json_of(&su);
    if let Some(msu) = su.mtp3() {
        let msu = msu.map_err(dec("mtp3"))?;
        if let Some(isup) = isup_of(&msu, MTP2_SIF_OFFSET)? {
            out["mtp3"]["isup"] = isup;
        }
    }
    Ok(out)
}

/// Where the SIO of an MSU starts in a signal unit: after BSN/BIB, FSN/FIB and LI (Q.703 2.2).
const MTP2_SIF_OFFSET: usize = 3;

/// Where the user part starts in an MTP3 message: after the SIO and the ITU routing label
/// (Q.704 2.2, 14.2).
const MTP3_USER_PART_OFFSET: usize = 5;

fn decode_mtp3(bytes: &[u8]) -> Result<Json, Error> {
    let msu = mtp3::Msu::decode(bytes).map_err(dec("mtp3"))?;
    let mut out = json_of(&msu);
    if let Some(isup) = isup_of(&msu, 0)? {
        out["isup"] = isup;
    }
    Ok(out)
}

/// The ISUP message an MTP3 message with service indicator ISUP carries, decoded; `base` is
/// the offset of the MTP3 message in the input, for error offsets.
fn isup_of(msu: &mtp3::Msu, base: usize) -> Result<Option<Json>, Error> {
    match (&msu.sio.service_indicator, &msu.user_part) {
        (mtp3::ServiceIndicator::Isup, mtp3::UserPart::Other(payload)) => {
            let m = isup::CicMessage::decode(payload)
                .map_err(|e| dec("isup")(e.shifted(base + MTP3_USER_PART_OFFSET)))?;
            Ok(Some(json_of(&m)))
        }
        _ => Ok(None),
    }
}

fn decode_q921(bytes: &[u8]) -> Result<Json, Error> {
    let frame = q921::Frame::decode(bytes).map_err(dec("q921"))?;
    let mut out = json_of(&frame);
    // SAPI 0 carries call control procedures (Q.921 3.3.3): the information field of an I or
    // UI frame is a Q.931 message.
    if frame.address.sapi == 0 && !frame.information.is_empty() {
        let at = bytes.len() - frame.information.len();
        let m =
            q931::Message::decode(&frame.information).map_err(|e| dec("q931")(e.shifted(at)))?;
        out["q931"] = json_of(&m);
    }
    Ok(out)
}

/// The parts of a SIP message that `decode sipt` needs: start line, headers, body.
pub struct SipMessage<'a> {
    pub start_line: String,
    /// Header names as written (compact forms expanded), values unfolded.
    pub headers: Vec<(String, String)>,
    pub body: &'a [u8],
    /// Offset of the body in the message.
    pub body_offset: usize,
}

impl SipMessage<'_> {
    /// The first value of a header, by its full name (case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// RFC 3261 7.3.3 compact forms of the headers `decode sipt` reports.
const COMPACT_FORMS: [(&str, &str); 12] = [
    ("c", "Content-Type"),
    ("e", "Content-Encoding"),
    ("f", "From"),
    ("i", "Call-ID"),
    ("k", "Supported"),
    ("l", "Content-Length"),
    ("m", "Contact"),
    ("o", "Event"),
    ("r", "Refer-To"),
    ("s", "Subject"),
    ("t", "To"),
    ("v", "Via"),
];

/// Splits a SIP message into start line, headers and body (RFC 3261 7), honouring
/// Content-Length (RFC 3261 18.3) when present. Header unfolding is mailparse's (RFC 5322
/// folding is the same as RFC 3261 7.3.1 line folding).
pub fn split_sip(bytes: &[u8]) -> Result<SipMessage<'_>, SipError> {
    let eol = bytes
        .iter()
        .position(|&b| b == b'\n')
        .ok_or(SipError::NoStartLine)?;
    let start_line = String::from_utf8_lossy(&bytes[..eol])
        .trim_end_matches('\r')
        .to_string();
    let rest = &bytes[eol + 1..];
    let end = find(rest, b"\r\n\r\n")
        .map(|i| i + 4)
        .or_else(|| find(rest, b"\n\n").map(|i| i + 2))
        .ok_or(SipError::NoEndOfHeaders {
            offset: bytes.len(),
        })?;
    let (parsed, _) = mailparse::parse_headers(&rest[..end])
        .map_err(|_| SipError::BadHeaders { offset: eol + 1 })?;
    let headers: Vec<(String, String)> = parsed
        .iter()
        .map(|h| {
            let key = h.get_key();
            let full = COMPACT_FORMS
                .iter()
                .find(|(c, _)| c.eq_ignore_ascii_case(&key))
                .map(|(_, f)| f.to_string())
                .unwrap_or(key);
            (full, h.get_value())
        })
        .collect();
    let body_offset = eol + 1 + end;
    let mut body = &bytes[body_offset..];
    let msg_len = headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Content-Length"))
        .map(|(_, v)| {
            v.trim()
                .parse::<usize>()
                .map_err(|_| SipError::BadContentLength)
        })
        .transpose()?;
    if let Some(len) = msg_len {
        if body.len() < len {
            return Err(SipError::ShortBody {
                offset: body_offset,
                declared: len,
                present: body.len(),
            });
        }
        body = &body[..len];
    }
    Ok(SipMessage {
        start_line,
        headers,
        body,
        body_offset,
    })
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    hay.windows(needle.len()).position(|w| w == needle)
}

fn decode_sip(bytes: &[u8]) -> Result<Json, Error> {
    let msg = split_sip(bytes)?;
    let headers: Vec<Json> = msg
        .headers
        .iter()
        .map(|(k, v)| json!({ "name": k, "value": v }))
        .collect();
    let mut out = Map::new();
    out.insert("start_line".into(), json!(msg.start_line));
    out.insert("headers".into(), Json::Array(headers));
    if !msg.body.is_empty() {
        let ct = msg
            .header("Content-Type")
            .unwrap_or("application/sdp")
            .to_string();
        let parts = rfc3204::parse(&ct, msg.header("Content-Disposition"), msg.body)
            .map_err(SipError::from)?;
        let parts: Vec<Json> = parts.iter().map(part_json).collect();
        out.insert(
            "body".into(),
            json!({ "content_type": ct, "length": msg.body.len(), "parts": parts }),
        );
    }
    Ok(Json::Object(out))
}

fn part_json(p: &rfc3204::BodyPart) -> Json {
    let mut o = Map::new();
    o.insert("content_type".into(), json!(p.content_type));
    if let Some(cd) = &p.content_disposition {
        o.insert("content_disposition".into(), json!(cd));
    }
    o.insert("length".into(), json!(p.body.len()));
    match p.part_type() {
        PartType::Sdp => {
            o.insert("type".into(), json!("sdp"));
            o.insert("sdp".into(), json!(String::from_utf8_lossy(&p.body)));
        }
        PartType::Isup { version, base } => {
            o.insert("type".into(), json!("isup"));
            o.insert("version".into(), json!(version));
            o.insert("base".into(), json!(base));
            o.insert("handling".into(), json_of(&p.handling()));
            // ETSI ISUP (ETS 300 121, ES 300 356) codes the basic call as Q.763 does and is
            // read with the ITU tables, as is a part of unknown version; ANSI, Bellcore and
            // TTC codings differ and are shown as octets until their tables exist.
            let itu = matches!(
                p.isup_base(),
                None | Some(
                    IsupBase::ItuT88 | IsupBase::ItuT92Plus | IsupBase::Etsi121 | IsupBase::Etsi356
                )
            );
            if itu {
                match isup::Message::decode(&p.body) {
                    Ok(m) => o.insert("isup".into(), json_of(&m)),
                    Err(e) => o.insert("isup_error".into(), json!(e.to_string())),
                };
            }
            o.insert("hex".into(), json!(hex::encode(&p.body)));
        }
        PartType::Qsig { version } => {
            o.insert("type".into(), json!("qsig"));
            o.insert("version".into(), json!(version));
            o.insert("handling".into(), json_of(&p.handling()));
            match q931::Message::decode(&p.body) {
                Ok(m) => o.insert("q931".into(), json_of(&m)),
                Err(e) => o.insert("q931_error".into(), json!(e.to_string())),
            };
            o.insert("hex".into(), json!(hex::encode(&p.body)));
        }
        PartType::Other(t) => {
            o.insert("type".into(), json!(t));
            o.insert("hex".into(), json!(hex::encode(&p.body)));
        }
    }
    Json::Object(o)
}

/// Decodes `bytes` as `kind` and encodes the result again: the octets a gateway would send
/// on for what it received. For `sipt`, the body parts rebuilt into a body.
pub fn reencode(kind: Kind, bytes: &[u8]) -> Result<Vec<u8>, Error> {
    let mut out = Vec::with_capacity(bytes.len());
    match kind {
        Kind::Mtp2 => mtp2::SignalUnit::decode(bytes)
            .map_err(dec("mtp2"))?
            .encode(&mut out)
            .map_err(enc("mtp2"))?,
        Kind::Mtp3 => mtp3::Msu::decode(bytes)
            .map_err(dec("mtp3"))?
            .encode(&mut out)
            .map_err(enc("mtp3"))?,
        Kind::Isup => isup::CicMessage::decode(bytes)
            .map_err(dec("isup"))?
            .encode(&mut out)
            .map_err(enc("isup"))?,
        Kind::IsupBody => isup::Message::decode(bytes)
            .map_err(dec("isup"))?
            .encode(&mut out)
            .map_err(enc("isup"))?,
        Kind::Q921 => q921::Frame::decode(bytes)
            .map_err(dec("q921"))?
            .encode(&mut out)
            .map_err(enc("q921"))?,
        Kind::Q931 => q931::Message::decode(bytes)
            .map_err(dec("q931"))?
            .encode(&mut out)
            .map_err(enc("q931"))?,
        Kind::Sipt => {
            let msg = split_sip(bytes)?;
            let ct = msg.header("Content-Type").unwrap_or("application/sdp");
            let parts = rfc3204::parse(ct, msg.header("Content-Disposition"), msg.body)
                .map_err(SipError::from)?;
            out = rfc3204::build(&parts).bytes;
        }
    }
    Ok(out)
}

/// Renders decoded JSON for people: one `name: value` line per field, nested by indentation.
pub fn to_text(v: &Json) -> String {
    let mut s = String::new();
    text_into(&mut s, v, 0);
    s
}

fn text_into(s: &mut String, v: &Json, depth: usize) {
    let pad = "  ".repeat(depth);
    match v {
        Json::Object(m) => {
            for (k, v) in m {
                match v {
                    Json::Object(_) => {
                        s.push_str(&format!("{pad}{k}:\n"));
                        text_into(s, v, depth + 1);
                    }
                    Json::Array(a) if a.iter().any(|x| x.is_object() || x.is_array()) => {
                        s.push_str(&format!("{pad}{k}:\n"));
                        text_into(s, v, depth + 1);
                    }
                    _ => s.push_str(&format!("{pad}{k}: {}\n", scalar(v))),
                }
            }
        }
        Json::Array(a) => {
            for (i, v) in a.iter().enumerate() {
                match v {
                    Json::Object(_) | Json::Array(_) => {
                        s.push_str(&format!("{pad}[{i}]\n"));
                        text_into(s, v, depth + 1);
                    }
                    _ => s.push_str(&format!("{pad}[{i}] {}\n", scalar(v))),
                }
            }
        }
        _ => s.push_str(&format!("{pad}{}\n", scalar(v))),
    }
}

fn scalar(v: &Json) -> String {
    match v {
        Json::String(s) => s.replace('\r', "\\r").replace('\n', "\\n"),
        Json::Array(a) => a.iter().map(scalar).collect::<Vec<_>>().join(", "),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_forms() {
        assert_eq!(parse_hex("0x01 0a:FF-10").unwrap(), vec![1, 10, 255, 16]);
        assert_eq!(
            parse_hex("01 0"),
            Err(Error::Hex {
                offset: 4,
                what: "odd number of hex digits"
            })
        );
        assert!(matches!(parse_hex("zz"), Err(Error::Hex { offset: 0, .. })));
    }

    #[test]
    fn sip_split_honours_folding_compact_forms_and_length() {
        let m = b"INVITE sip:1@h SIP/2.0\r\nv: SIP/2.0/UDP h\r\nSubject: a\r\n b\r\nl: 3\r\nc: application/ISUP;version=itu-t92+\r\n\r\n\x01\x02\x03\x04";
        let s = split_sip(m).unwrap();
        assert_eq!(s.start_line, "INVITE sip:1@h SIP/2.0");
        assert_eq!(s.header("Via"), Some("SIP/2.0/UDP h"));
        assert_eq!(s.header("subject"), Some("a b"));
        assert_eq!(s.body, b"\x01\x02\x03");
        assert!(matches!(
            split_sip(b"INVITE x SIP/2.0\r\nl: 9\r\n\r\nab"),
            Err(SipError::ShortBody { declared: 9, .. })
        ));
    }
}
