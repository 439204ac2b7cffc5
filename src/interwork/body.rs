//! RFC 3204 bodies in SIP messages (RFC 3372 5, RFC 3398 5.1-5.2): SDP beside an encapsulated
//! ISUP or QSIG message in a multipart/mixed body, read by [`split`] and written by [`build`]
//! and [`build_qsig`].
//!
//! The multipart reading and writing are the codec's (`sipt_codecs::rfc3204`, through
//! `sip::message::Message::body_parts`): part octets are never touched, so an SDP offer or
//! answer goes through byte for byte whatever ISUP sits beside it.

use sipt_codecs::isup::Message as IsupMessage;
use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase, PartType};
use thiserror::Error;

use crate::sip::message::Message;

/// The parts of a SIP body the gateway uses.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SipBody {
    /// The SDP octets exactly as received.
    pub sdp: Option<Vec<u8>>,
    /// The encapsulated ISUP message (from a trusted peer, of a variant we decode).
    pub isup: Option<IsupMessage>,
    /// The encapsulated QSIG message octets, from its protocol discriminator on (from a
    /// trusted peer).
    pub qsig: Option<Vec<u8>>,
}

/// Why a body cannot be taken, and the response that says so.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BodyProblem {
    /// A part we cannot use with handling=required (unknown type, unknown ISUP version/base):
    /// 415 with an Accept header ([`accept`] gives its value), RFC 3204 6.
    #[error("unsupported body part {content_type}")]
    Unsupported { content_type: String },
    /// Malformed multipart or ISUP octets in a required part: 400 with this text.
    #[error("{0}")]
    Malformed(String),
}

impl BodyProblem {
    /// The status code of the response to the request that carried the body.
    pub fn status(&self) -> u16 {
        match self {
            BodyProblem::Unsupported { .. } => 415,
            BodyProblem::Malformed(_) => 400,
        }
    }

    /// The reason phrase of that response: "Unsupported Media Type" (RFC 3261 21.4.13) or the
    /// text of the fault, kept to the characters a reason phrase may hold.
    pub fn reason_phrase(&self) -> String {
        match self {
            BodyProblem::Unsupported { .. } => "Unsupported Media Type".into(),
            BodyProblem::Malformed(text) => {
                let phrase: String = text
                    .chars()
                    .map(|c| if c.is_control() { ' ' } else { c })
                    .collect();
                if phrase.trim().is_empty() {
                    "Bad Request".into()
                } else {
                    phrase
                }
            }
        }
    }
}

/// The Accept header value sent with 415 (RFC 3261 21.4.13, RFC 3398 5.2: multipart/mixed is
/// listed to say we understand it).
pub fn accept() -> &'static str {
    "application/sdp, application/isup, application/qsig, multipart/mixed"
}

/// The ISUP variants whose bodies this gateway decodes: the codec's (`itu-t92+`).
pub const SUPPORTED_ISUP_BASES: &[IsupBase] = &[IsupBase::ItuT92Plus];

/// The QSIG `version` values we take (RFC 3204 3.2 Table 2: `iso`; absent means the same, as it
/// is the only one registered).
const QSIG_VERSION: &str = "iso";

/// Q.931 4.2: the protocol discriminator of Q.931/QSIG call control, first octet of a QSIG body
/// (RFC 3204 3.2: "Body = QSIG message starting at protocol discriminator").
const Q931_PROTOCOL_DISCRIMINATOR: u8 = 0x08;

/// Whether a part that cannot be used may be ignored (RFC 3204 6: `handling=optional` means
/// "the UAS MUST ignore the message body"). A missing handling is `required` (RFC 3204 6), and
/// so is an `other-handling` token we do not know: rejecting is safer than losing what the
/// sender said it needs.
fn may_ignore(part: &BodyPart) -> bool {
    part.handling() == Handling::Optional
}

/// A part we cannot use: ignored when optional, else `problem`.
fn unusable(part: &BodyPart, problem: BodyProblem) -> Result<(), BodyProblem> {
    if may_ignore(part) {
        Ok(())
    } else {
        Err(problem)
    }
}

fn unsupported(part: &BodyPart) -> BodyProblem {
    BodyProblem::Unsupported {
        content_type: part.content_type.clone(),
    }
}

/// Splits the body of a SIP message (single part or multipart/mixed) into SDP, ISUP and QSIG.
///
/// - SDP: the first application/sdp part, as octets exactly as received; a further SDP part
///   is ignored (SIP-T carries one session description).
/// - ISUP and QSIG from a peer that is not `trusted` are ignored, not an error (RFC 3372 and
///   RFC 3398 15: encapsulated ISUP is accepted only from peers the gateway trusts).
/// - An ISUP part of a base/version we do not decode ([`SUPPORTED_ISUP_BASES`], from `base`
///   or else `version`, as `BodyPart::isup_base` reads them), a QSIG part of another version
///   than `iso`, and a part of any other type are ignored with handling=optional and give
///   [`BodyProblem::Unsupported`] (415) otherwise; the absence of Content-Disposition means
///   handling=required (RFC 3204 6).
/// - ISUP octets that do not decode, and a QSIG part that does not start with the Q.931
///   protocol discriminator, give [`BodyProblem::Malformed`] (400) when required and are
///   ignored when optional; so does a multipart body we cannot read at all.
/// - Of several ISUP (or QSIG) parts the first usable one counts.
pub fn split(message: &Message, trusted: bool) -> Result<SipBody, BodyProblem> {
    let parts = message
        .body_parts()
        .map_err(|e| BodyProblem::Malformed(format!("Malformed body: {e}")))?;
    let mut body = SipBody::default();
    for part in &parts {
        match part.part_type() {
            PartType::Sdp => {
                if body.sdp.is_none() {
                    body.sdp = Some(part.body.clone());
                }
            }
            PartType::Isup { .. } => {
                if !trusted || body.isup.is_some() {
                    continue;
                }
                match part.isup_base() {
                    Some(base) if SUPPORTED_ISUP_BASES.contains(&base) => {
                        match IsupMessage::decode(&part.body) {
                            Ok(m) => body.isup = Some(m),
                            Err(e) => unusable(
                                part,
                                BodyProblem::Malformed(format!("Malformed ISUP body: {e}")),
                            )?,
                        }
                    }
                    _ => unusable(part, unsupported(part))?,
                }
            }
            PartType::Qsig { version } => {
                if !trusted || body.qsig.is_some() {
                    continue;
                }
                let known = version
                    .as_deref()
                    .is_none_or(|v| v.eq_ignore_ascii_case(QSIG_VERSION));
                if !known {
                    unusable(part, unsupported(part))?;
                } else if part.body.first() != Some(&Q931_PROTOCOL_DISCRIMINATOR) {
                    unusable(
                        part,
                        BodyProblem::Malformed(
                            "Malformed QSIG body: no Q.931 protocol discriminator".into(),
                        ),
                    )?;
                } else {
                    body.qsig = Some(part.body.clone());
                }
            }
            PartType::Other(_) => unusable(part, unsupported(part))?,
        }
    }
    Ok(body)
}

/// The parts of a body to send: the SDP part first, then the signalling part. Beside SDP the
/// signalling part has `Content-Disposition: signal;handling=optional` (RFC 3398 5.1: "SIP user
/// agents which do not understand ISUP are permitted to ignore these optional MIME bodies", so
/// that a peer that is not SIP-T still takes the call; RFC 3204 3.1 typical header). Alone
/// (an INFO, or a response without SDP) it is `handling=required`: then the ISUP or QSIG is
/// the whole point of the message, and a peer that cannot read it should say so with 415.
fn parts(sdp: Option<&[u8]>, signal: Option<(Vec<u8>, Signal)>) -> Vec<BodyPart> {
    let mut parts = Vec::with_capacity(2);
    if let Some(sdp) = sdp {
        parts.push(BodyPart::sdp(sdp));
    }
    if let Some((octets, kind)) = signal {
        let handling = if parts.is_empty() {
            Handling::Required
        } else {
            Handling::Optional
        };
        parts.push(match kind {
            Signal::Isup => BodyPart::isup(IsupBase::ItuT92Plus, octets, handling),
            Signal::Qsig => BodyPart::qsig(octets, handling),
        });
    }
    parts
}

#[derive(Clone, Copy)]
enum Signal {
    Isup,
    Qsig,
}

/// The ISUP octets to encapsulate: only for a trusted peer, and only when the message encodes
/// (a message that does not encode is left out rather than sent broken; the call goes on with
/// SDP alone).
fn isup_octets(isup: Option<&IsupMessage>, trusted: bool) -> Option<(Vec<u8>, Signal)> {
    let octets = isup.filter(|_| trusted)?.to_bytes().ok()?;
    Some((octets, Signal::Isup))
}

fn qsig_octets(qsig: Option<&[u8]>, trusted: bool) -> Option<(Vec<u8>, Signal)> {
    qsig.filter(|_| trusted).map(|q| (q.to_vec(), Signal::Qsig))
}

/// The body with its Content-Disposition, as the codec builds it: a single ISUP or QSIG part
/// is sent as the body itself with `signal;handling=required` (see [`parts`]).
pub fn build_body(
    sdp: Option<&[u8]>,
    isup: Option<&IsupMessage>,
    trusted: bool,
) -> Option<rfc3204::Body> {
    let parts = parts(sdp, isup_octets(isup, trusted));
    (!parts.is_empty()).then(|| rfc3204::build(&parts))
}

/// [`build_body`] for QSIG.
pub fn build_qsig_body(
    sdp: Option<&[u8]>,
    qsig: Option<&[u8]>,
    trusted: bool,
) -> Option<rfc3204::Body> {
    let parts = parts(sdp, qsig_octets(qsig, trusted));
    (!parts.is_empty()).then(|| rfc3204::build(&parts))
}

/// The body to send, as the Content-Type value and the octets: SDP alone as application/sdp;
/// with an ISUP message and `trusted`, multipart/mixed with the SDP part first then
/// `application/ISUP; version=itu-t92+; base=itu-t92+` with `Content-Disposition:
/// signal; handling=optional`; ISUP alone (INFO, or a response without SDP) as the single part
/// application/ISUP — without a Content-Disposition header here, which a receiver reads as
/// handling=required (RFC 3204 6), as meant (use [`build_body`] or [`set_body`] to send the
/// header too). `None` when there is nothing to send. ISUP for an untrusted peer is left out.
pub fn build(
    sdp: Option<&[u8]>,
    isup: Option<&IsupMessage>,
    trusted: bool,
) -> Option<(String, Vec<u8>)> {
    build_body(sdp, isup, trusted).map(|b| (b.content_type, b.bytes))
}

/// The same for QSIG (`application/QSIG; version=iso`, RFC 3204 3.2).
pub fn build_qsig(
    sdp: Option<&[u8]>,
    qsig: Option<&[u8]>,
    trusted: bool,
) -> Option<(String, Vec<u8>)> {
    build_qsig_body(sdp, qsig, trusted).map(|b| (b.content_type, b.bytes))
}

/// Sets the body of `message` (Content-Type, Content-Disposition and octets) as [`build`]
/// makes it; with nothing to send the body and both headers are removed.
pub fn set_body(
    message: &mut Message,
    sdp: Option<&[u8]>,
    isup: Option<&IsupMessage>,
    trusted: bool,
) {
    message.set_body_parts(&parts(sdp, isup_octets(isup, trusted)));
}

/// [`set_body`] for QSIG.
pub fn set_qsig_body(
    message: &mut Message,
    sdp: Option<&[u8]>,
    qsig: Option<&[u8]>,
    trusted: bool,
) {
    message.set_body_parts(&parts(sdp, qsig_octets(qsig, trusted)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lone_signal_part_is_required_beside_sdp_optional() {
        let p = parts(None, Some((vec![0x09, 0x00], Signal::Isup)));
        assert_eq!(p.len(), 1);
        assert_eq!(p[0].handling(), Handling::Required);
        let p = parts(Some(b"v=0\r\n"), Some((vec![0x09, 0x00], Signal::Isup)));
        assert_eq!(p[0].part_type(), PartType::Sdp);
        assert_eq!(p[1].handling(), Handling::Optional);
        assert!(parts(None, None).is_empty());
    }

    #[test]
    fn problems_give_their_responses() {
        let u = BodyProblem::Unsupported {
            content_type: "text/plain".into(),
        };
        assert_eq!(
            (u.status(), u.reason_phrase().as_str()),
            (415, "Unsupported Media Type")
        );
        let m = BodyProblem::Malformed("bad\r\nthing".into());
        assert_eq!(
            (m.status(), m.reason_phrase().as_str()),
            (400, "bad  thing")
        );
        assert_eq!(
            BodyProblem::Malformed(String::new()).reason_phrase(),
            "Bad Request"
        );
    }
}
