//! Signalling link test messages (ITU-T Q.707 5), carried with service indicator MTN (or MTNS):
//! heading octet (H0 0001 test messages; H1 0001 SLTM, 0010 SLTA), then an octet with 4 spare
//! bits and the length indicator (bits 8-5), then the test pattern of that many octets.
//!
//! The SLTM names the link under test by the SLC in the SLS position of the routing label
//! (Q.707 5); see [`super::RoutingLabel::slc`].

use super::check_bits;
use crate::wire::serialize_hex;
use crate::wire::{DecodeError, EncodeError, Reader};
use serde::Serialize;

/// The test pattern of an SLTM/SLTA and the spare bits beside its length indicator.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TestPattern {
    /// Bits 4-1 of the length octet: spare (ANSI puts the SLC there). Kept as received.
    pub spare: u8,
    /// The test pattern, 0 to 15 octets (the length indicator has 4 bits).
    #[serde(serialize_with = "serialize_hex")]
    pub pattern: Vec<u8>,
}

impl TestPattern {
    /// The longest test pattern: the length indicator has 4 bits.
    pub const MAX_LEN: usize = 15;

    /// A pattern with the spare bits zero.
    pub fn new(pattern: impl Into<Vec<u8>>) -> Self {
        TestPattern {
            spare: 0,
            pattern: pattern.into(),
        }
    }
}

/// A signalling network test message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "message")]
pub enum TestMessage {
    /// Signalling link test message (H0 0001, H1 0001).
    #[serde(rename = "SLTM")]
    Sltm(TestPattern),
    /// Signalling link test acknowledgement (H0 0001, H1 0010): echoes the SLTM's pattern.
    #[serde(rename = "SLTA")]
    Slta(TestPattern),
    /// Any other heading: the octets after the heading octet, undecoded.
    #[serde(rename = "unknown")]
    Other {
        #[serde(skip)]
        h0: u8,
        #[serde(skip)]
        h1: u8,
        #[serde(serialize_with = "serialize_hex")]
        data: Vec<u8>,
    },
}

impl TestMessage {
    /// The heading codes (H0, H1).
    pub fn heading(&self) -> (u8, u8) {
        match self {
            TestMessage::Sltm(_) => (1, 1),
            TestMessage::Slta(_) => (1, 2),
            TestMessage::Other { h0, h1, .. } => (*h0, *h1),
        }
    }

    /// Decodes a test message from its heading octet on, reading exactly its fields.
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let heading = r.u8()?;
        let (h0, h1) = (heading & 0x0F, heading >> 4);
        match (h0, h1) {
            (1, 1) | (1, 2) => {
                let b = r.u8()?;
                let pattern = r.take(usize::from(b >> 4))?.to_vec();
                let p = TestPattern {
                    spare: b & 0x0F,
                    pattern,
                };
                Ok(if h1 == 1 {
                    TestMessage::Sltm(p)
                } else {
                    TestMessage::Slta(p)
                })
            }
            _ => Ok(TestMessage::Other {
                h0,
                h1,
                data: r.take_rest().to_vec(),
            }),
        }
    }

    /// Appends the message from its heading octet on.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            TestMessage::Sltm(p) | TestMessage::Slta(p) => {
                check_bits("spare", p.spare.into(), 4)?;
                if p.pattern.len() > TestPattern::MAX_LEN {
                    return Err(EncodeError::TooLong {
                        field: "test pattern",
                        len: p.pattern.len(),
                        max: TestPattern::MAX_LEN,
                    });
                }
                let (h0, h1) = self.heading();
                out.push(h0 | (h1 << 4));
                out.push(((p.pattern.len() as u8) << 4) | p.spare);
                out.extend_from_slice(&p.pattern);
            }
            TestMessage::Other { h0, h1, data } => {
                check_bits("h0", (*h0).into(), 4)?;
                check_bits("h1", (*h1).into(), 4)?;
                if (*h0, *h1) == (1, 1) || (*h0, *h1) == (1, 2) {
                    return Err(EncodeError::OutOfRange {
                        field: "test_heading",
                        value: u32::from(h0 | (h1 << 4)),
                    });
                }
                out.push(h0 | (h1 << 4));
                out.extend_from_slice(data);
            }
        }
        Ok(())
    }

    /// The encoded length in octets, heading included.
    pub fn encoded_len(&self) -> usize {
        match self {
            TestMessage::Sltm(p) | TestMessage::Slta(p) => 2 + p.pattern.len(),
            TestMessage::Other { data, .. } => 1 + data.len(),
        }
    }
}

/// Serializes a test message with its heading codes: `{"h0":1,"h1":1,"message":"SLTM",..}`.
pub(crate) fn serialize_with_heading<S: serde::Serializer>(
    m: &TestMessage,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct View<'a> {
        h0: u8,
        h1: u8,
        #[serde(skip_serializing_if = "Option::is_none")]
        length: Option<usize>,
        #[serde(flatten)]
        message: &'a TestMessage,
    }
    let (h0, h1) = m.heading();
    let length = match m {
        TestMessage::Sltm(p) | TestMessage::Slta(p) => Some(p.pattern.len()),
        TestMessage::Other { .. } => None,
    };
    View {
        h0,
        h1,
        length,
        message: m,
    }
    .serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sltm_layout() {
        let bytes = [0x11, 0x4f, 1, 2, 3, 4];
        let mut r = Reader::new(&bytes);
        let m = TestMessage::decode(&mut r).unwrap();
        assert_eq!(
            m,
            TestMessage::Sltm(TestPattern {
                spare: 0xf,
                pattern: vec![1, 2, 3, 4]
            })
        );
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
        let mut short = Reader::with_base(&[0x21, 0x40, 1], 5);
        assert_eq!(
            TestMessage::decode(&mut short),
            Err(DecodeError::Truncated { offset: 7, need: 3 })
        );
        let long = TestMessage::Slta(TestPattern::new(vec![0; 16]));
        assert!(long.encode(&mut Vec::new()).is_err());
    }
}
