//! ISUP messages: the generic codec that walks a [`Layout`] (Q.763 1.4-1.8), the RFC 3204 body
//! form ([`Message`], message type first) and the MSU user-part form ([`CicMessage`], CIC
//! first).
//!
//! Round trip: for any input, if decoding succeeds, encoding gives back exactly the input.
//! Layout choices, deliberately:
//! - Mandatory variable parameters and the optional part must follow each other without gaps,
//!   in pointer order, right after the pointers (the only layout Q.763 1.5-1.7 describes); any
//!   other pointer value is rejected with [`DecodeError::BadPointer`]. A mandatory variable
//!   pointer of 0 is rejected the same way.
//! - An optional-part pointer of 0 means no optional part; a pointer to a lone end of optional
//!   parameters octet is kept as [`Body::Parameters::empty_optional_part`].
//! - An optional part must end with the end of optional parameters octet (Q.763 1.8), else
//!   [`DecodeError::Truncated`].
//! - Octets after the end of the message (after the end of optional parameters octet, or after
//!   the last mandatory parameter when there is no optional part) are kept as
//!   `trailing_octets`: the RFC 3204 example IAM, for one, has 30 octets after a message whose
//!   optional-part pointer is 0.
//! - A message type without a format in the variant's table keeps its octets raw
//!   ([`Body::Raw`]).
//!
//! Speed (`cargo bench -p sipt-codecs --bench isup`, a full IAM: 88 octets, 15 parameters; goal
//! decode < 150 ns, encode < 100 ns):
//! - Decoding reads each value together with the rest of the message after it, so that a short
//!   value is copied into its [`Octets`] as one block of fixed size (no copy of variable length,
//!   no call); a short value near the end of the message is copied in place, into the
//!   parameter already in the list. Each match arm of the parameter decoder writes its
//!   parameter straight into the first free slot of the list (`Vec::push` would build it on the
//!   stack and copy its 48 octets through a call). No value goes through a temporary that is
//!   stored in small pieces and read back in wide ones (such loads wait for the stores). The
//!   list gets a capacity guessed from the message's length.
//! - Encoding is one pass through a cursor over zeroed room in the output: one dispatch per
//!   parameter, fixed-size block copies of inline octets, length indicators and pointers filled
//!   in behind; no capacity check or call per octet. When the room guessed is too small, the
//!   message is written again into room of the size it needed.

use super::codes::MessageType;
use super::layout::Layout;
use super::octets::Octets;
use super::params::{Parameter, Uninit, Written};
use super::Variant;
use crate::wire::{append_with, DecodeError, EncodeError, Reader, Span, Writer};
use serde::Serialize;

/// What follows the message type.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum Body {
    /// A message type of the variant's table.
    Parameters {
        /// The mandatory fixed parameters and the mandatory variable parameters in the order
        /// of the message's format, then the optional parameters in the order received.
        parameters: Vec<Parameter>,
        /// An optional part without parameters was present (pointer to a lone end of optional
        /// parameters octet) rather than absent (pointer 0). Ignored when optional parameters
        /// are present.
        #[serde(skip_serializing_if = "is_false")]
        empty_optional_part: bool,
        /// Octets after the end of the message, kept as received.
        #[serde(skip_serializing_if = "Octets::is_empty")]
        trailing_octets: Octets,
    },
    /// A message type this variant's table has no format for: the octets after the message
    /// type, as received.
    Raw { raw: Octets },
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// An ISUP message without its CIC: the form of an RFC 3204 `application/ISUP` body.
///
/// JSON: `{"message_type": "IAM", "parameters": [{"name": "called_party_number", ...}, ...]}`,
/// or `{"message_type": "SDN", "raw": "0105..."}` for a message kept as octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Message {
    #[serde(skip)]
    pub variant: Variant,
    pub message_type: MessageType,
    #[serde(flatten)]
    pub body: Body,
}

/// An ISUP message as carried in an MTP3 MSU's signalling information field: the circuit
/// identification code, then the message (Q.763 1.2).
///
/// JSON: the message's, with `cic` first.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CicMessage {
    /// The circuit identification code (ITU-T: 12 bits).
    pub cic: u16,
    /// The spare bits above the CIC in its two octets (ITU-T: the 4 high bits of the second
    /// octet), kept for the round trip.
    #[serde(skip_serializing_if = "is_zero")]
    pub cic_spare: u8,
    #[serde(flatten)]
    pub message: Message,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl Message {
    /// Decodes an ITU-T (`itu-t92+`) message that starts at its message type.
    pub fn decode(bytes: &[u8]) -> Result<Message, DecodeError> {
        Self::decode_with(Variant::ItuT92Plus, bytes)
    }

    /// Decodes a message of `variant` that starts at its message type.
    pub fn decode_with(variant: Variant, bytes: &[u8]) -> Result<Message, DecodeError> {
        decode_message(variant, Reader::new(bytes))
    }

    /// Appends the message (message type first). On error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let start = out.len();
        let r = encode_message(self, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    /// The encoded message in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(64);
        self.encode(&mut out)?;
        Ok(out)
    }

    /// The format of this message's type in its variant's table.
    pub fn layout(&self) -> Option<&'static Layout> {
        self.variant.layout(self.message_type)
    }
}

impl CicMessage {
    /// Decodes an ITU-T (`itu-t92+`) message that starts at its CIC.
    pub fn decode(bytes: &[u8]) -> Result<CicMessage, DecodeError> {
        Self::decode_with(Variant::ItuT92Plus, bytes)
    }

    /// Decodes a message of `variant` that starts at its CIC.
    pub fn decode_with(variant: Variant, bytes: &[u8]) -> Result<CicMessage, DecodeError> {
        let mut r = Reader::new(bytes);
        let raw = r.u16_le()?;
        let bits = variant.cic_bits();
        let mask = (1u16 << bits) - 1;
        let message = decode_message(variant, Reader::with_base(r.rest(), r.offset()))?;
        Ok(CicMessage {
            cic: raw & mask,
            cic_spare: (raw >> bits) as u8,
            message,
        })
    }

    /// Appends the CIC and the message. On error nothing is appended.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let bits = self.message.variant.cic_bits();
        if u32::from(self.cic) >= 1 << bits {
            return Err(EncodeError::OutOfRange {
                field: "CIC",
                value: u32::from(self.cic),
            });
        }
        if u32::from(self.cic_spare) >= 1 << (16 - bits) {
            return Err(EncodeError::OutOfRange {
                field: "CIC spare bits",
                value: u32::from(self.cic_spare),
            });
        }
        let start = out.len();
        out.extend_from_slice(&(self.cic | (u16::from(self.cic_spare) << bits)).to_le_bytes());
        let r = encode_message(&self.message, out);
        if r.is_err() {
            out.truncate(start);
        }
        r
    }

    /// The encoded message in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(64);
        self.encode(&mut out)?;
        Ok(out)
    }
}

/// Q.763 1.3-1.8: message type, then the parameters (see [`Fill::walk`]), each decoded
/// straight into its place at the end of the list.
#[inline(always)]
fn decode_message(variant: Variant, mut r: Reader<'_>) -> Result<Message, DecodeError> {
    let message_type = MessageType::from_code(r.u8()?);
    let Some(layout) = variant.layout(message_type) else {
        return Ok(Message {
            variant,
            message_type,
            body: Body::Raw {
                raw: Octets::from_slice(r.take_rest()),
            },
        });
    };
    // a first guess at the number of optional parameters: rarely shorter than 3 octets with
    // name and length, at most 16 (and so at most 1 KiB of list for most messages)
    let guess = layout.mandatory() + (r.remaining() / 3).min(16);
    let mut fill = Fill {
        variant,
        parameters: Vec::with_capacity(guess),
    };
    let empty_optional_part = fill.walk(layout, &mut r)?;
    Ok(Message {
        variant,
        message_type,
        body: Body::Parameters {
            parameters: fill.parameters,
            empty_optional_part,
            trailing_octets: Octets::from_slice(r.take_rest()),
        },
    })
}

/// The parameter list being decoded.
struct Fill {
    variant: Variant,
    parameters: Vec<Parameter>,
}

impl Fill {
    /// Q.763 1.4-1.8: the mandatory fixed part, the pointers, the mandatory variable part and
    /// the optional part, each parameter decoded onto the end of the list in order. Returns
    /// whether an optional part was present without parameters; leaves `r` after the end of
    /// the message.
    #[inline(always)]
    fn walk(&mut self, layout: &Layout, r: &mut Reader<'_>) -> Result<bool, DecodeError> {
        for &(code, len) in layout.fixed {
            self.push(code, r.take_span(usize::from(len))?);
        }

        let n_pointers = layout.variable.len() + usize::from(layout.optional);
        let pointers_at = r.offset();
        let pointers = r.take(n_pointers)?;
        let mut pointer = pointers.iter().copied().zip(pointers_at..);
        let truncated = DecodeError::Truncated {
            offset: pointers_at,
            need: n_pointers,
        };

        for &code in layout.variable {
            let (p, at) = pointer.next().ok_or(truncated)?;
            // Q.763 1.6: the part starts where the previous one ended
            if p == 0 || at + usize::from(p) != r.offset() {
                return Err(DecodeError::BadPointer { offset: at });
            }
            let len = r.u8()?;
            self.push(code, r.take_span(usize::from(len))?);
        }

        if !layout.optional {
            return Ok(false);
        }
        let (p, at) = pointer.next().ok_or(truncated)?;
        if p == 0 {
            return Ok(false);
        }
        // Q.763 1.7: the optional part follows the mandatory variable part
        if at + usize::from(p) != r.offset() {
            return Err(DecodeError::BadPointer { offset: at });
        }
        // each parameter: name, length indicator, value; until the end of optional parameters
        let optional = r.rest();
        let mut rest = optional;
        let at = |rest: &[u8]| r.offset() + (optional.len() - rest.len());
        loop {
            match *rest {
                [0, ..] => break, // Q.763 1.8
                [code, len, ref after @ ..] => {
                    let len = usize::from(len);
                    let value = Span::new(after, len).ok_or_else(|| DecodeError::Truncated {
                        offset: at(after),
                        need: len - after.len(),
                    })?;
                    self.push(code, value);
                    rest = after.get(len..).unwrap_or_default();
                }
                _ => {
                    return Err(DecodeError::Truncated {
                        offset: at(rest) + rest.len(),
                        need: 1,
                    })
                }
            }
        }
        let empty = rest.len() == optional.len();
        r.take(optional.len() - rest.len() + 1)?;
        Ok(empty)
    }

    /// A `push` of the decoded parameter that builds it in place (see [`Uninit`]): each match
    /// arm of the decoder writes its fields straight into the list.
    #[inline(always)]
    fn push(&mut self, code: u8, value: Span<'_>) {
        if self.parameters.len() == self.parameters.capacity() {
            self.parameters = grow(std::mem::take(&mut self.parameters));
        }
        let len = self.parameters.len();
        if let Some(slot) = self.parameters.spare_capacity_mut().first_mut() {
            let _: Written = Parameter::decode_span(self.variant, code, value, Uninit(slot));
            // SAFETY: `decode_span` returned the `Written` that only `Uninit`'s `put` and
            // `put_filled` make, both after writing the slot: the slot, the first of the spare
            // capacity (index `len`, below the capacity since the slot exists), now holds a
            // parameter; the `len` before it already did.
            unsafe { self.parameters.set_len(len + 1) };
        }
    }
}

/// Room for more parameters. By value, so that the hot path can keep the list in registers
/// (a `&mut` to it would make it live in memory).
#[cold]
#[inline(never)]
fn grow(mut parameters: Vec<Parameter>) -> Vec<Parameter> {
    parameters.reserve(parameters.len().max(4));
    parameters
}

fn param_name(code: u8) -> &'static str {
    super::codes::parameter_label(code).unwrap_or("parameter")
}

/// A length indicator or pointer: at most 255.
#[inline(always)]
fn octet_value(len: usize, field: impl FnOnce() -> &'static str) -> Result<u8, EncodeError> {
    u8::try_from(len).map_err(|_| EncodeError::TooLong {
        field: field(),
        len,
        max: 255,
    })
}

fn missing(code: u8) -> EncodeError {
    EncodeError::Missing {
        field: param_name(code),
    }
}

/// Writes a length indicator and a parameter's value (Q.763 1.6, 1.8).
#[inline(always)]
fn write_length_and_value(p: &Parameter, w: &mut Writer<'_>) -> Result<(), EncodeError> {
    let at = w.position();
    w.u8(0);
    p.write_value(w)?;
    let len = octet_value(w.position() - at - 1, || param_name(p.code()))?;
    w.set(at, len);
    Ok(())
}

/// Sets the pointer at `at` to point at the current end of `w` (Q.763 2.3: a pointer counts
/// the octets from itself to what it points at).
#[inline(always)]
fn set_pointer(
    w: &mut Writer<'_>,
    at: usize,
    field: impl FnOnce() -> &'static str,
) -> Result<(), EncodeError> {
    let p = octet_value(w.position() - at, field)?;
    w.set(at, p);
    Ok(())
}

fn encode_message(m: &Message, out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let (parameters, empty_optional_part, trailing) = match &m.body {
        Body::Raw { raw } => {
            out.push(m.message_type.code());
            out.extend_from_slice(raw);
            return Ok(());
        }
        Body::Parameters {
            parameters,
            empty_optional_part,
            trailing_octets,
        } => (parameters.as_slice(), *empty_optional_part, trailing_octets),
    };
    let layout = m.layout().ok_or(EncodeError::OutOfRange {
        field: "message type (no format in this variant's table: use Body::Raw)",
        value: u32::from(m.message_type.code()),
    })?;
    // room for parameters of a few octets each; more is found on the way if needed
    let guess = 8 * parameters.len() + trailing.len() + 32;
    append_with(out, guess, |buf| {
        Writer::fill(buf, |w| {
            write_message(
                m.message_type,
                layout,
                parameters,
                empty_optional_part,
                trailing,
                w,
            )
        })
    })
}

/// Q.763 1.3-1.8: message type, mandatory fixed part, pointers, mandatory variable part,
/// optional part, with `parameters` checked against the format on the way.
#[inline(always)]
fn write_message(
    message_type: MessageType,
    layout: &Layout,
    parameters: &[Parameter],
    empty_optional_part: bool,
    trailing: &Octets,
    w: &mut Writer<'_>,
) -> Result<(), EncodeError> {
    w.u8(message_type.code());
    let mut params = parameters.iter();

    for &(code, len) in layout.fixed {
        let p = params
            .next()
            .filter(|p| p.code() == code)
            .ok_or_else(|| missing(code))?;
        let at = w.position();
        p.write_value(w)?;
        let written = w.position() - at;
        if written != usize::from(len) {
            return Err(EncodeError::OutOfRange {
                field: param_name(code),
                value: written as u32,
            });
        }
    }

    let pointers_at = w.position();
    for _ in 0..layout.variable.len() + usize::from(layout.optional) {
        w.u8(0);
    }

    for (i, &code) in layout.variable.iter().enumerate() {
        let p = params
            .next()
            .filter(|p| p.code() == code)
            .ok_or_else(|| missing(code))?;
        set_pointer(w, pointers_at + i, || param_name(code))?;
        write_length_and_value(p, w)?;
    }

    let optional = params.as_slice();
    if layout.optional {
        if !optional.is_empty() || empty_optional_part {
            set_pointer(w, pointers_at + layout.variable.len(), || {
                "pointer to the optional part"
            })?;
            for p in optional {
                let code = p.code();
                if code == 0 {
                    return Err(EncodeError::OutOfRange {
                        field: "optional parameter code (0 ends the optional part)",
                        value: 0,
                    });
                }
                w.u8(code);
                write_length_and_value(p, w)?;
            }
            w.u8(0);
        }
    } else if !optional.is_empty() {
        return Err(EncodeError::TooLong {
            field: "parameters (this message type has no optional part)",
            len: parameters.len(),
            max: layout.mandatory(),
        });
    }
    trailing.write(w);
    Ok(())
}
