//! A BER element tree (X.690): what the Facility IE's ASN.1 is decoded into before the ROSE
//! and QSIG layers give it meaning.
//!
//! Headers are read with asn1-rs (`Header::from_ber`: any tag form, short, long and indefinite
//! lengths) and written with it (`write_der_header`, definite lengths in the shortest form).
//! The tree itself does not record the length form, so that a BER input with indefinite or
//! long-form lengths and its DER re-encoding give the same tree.

use asn1_rs::{Any, Class, FromBer, FromDer, Header, Integer, Length, Tag, ToDer};
use serde::Serialize;

use crate::wire::{DecodeError, EncodeError};

/// How deep constructed elements may nest before the decoder gives up (protects the stack).
pub const MAX_DEPTH: usize = 24;

/// The tag class (X.690 8.1.2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TagClass {
    Universal,
    Application,
    Context,
    Private,
}

impl TagClass {
    fn from_asn1(c: Class) -> Self {
        match c {
            Class::Universal => TagClass::Universal,
            Class::Application => TagClass::Application,
            Class::ContextSpecific => TagClass::Context,
            Class::Private => TagClass::Private,
        }
    }
    fn to_asn1(self) -> Class {
        match self {
            TagClass::Universal => Class::Universal,
            TagClass::Application => Class::Application,
            TagClass::Context => Class::ContextSpecific,
            TagClass::Private => Class::Private,
        }
    }
}

/// Universal tag numbers used here (X.680 8.4).
pub mod universal {
    pub const BOOLEAN: u32 = 1;
    pub const INTEGER: u32 = 2;
    pub const OCTET_STRING: u32 = 4;
    pub const NULL: u32 = 5;
    pub const OBJECT_IDENTIFIER: u32 = 6;
    pub const ENUMERATED: u32 = 10;
    pub const SEQUENCE: u32 = 16;
    pub const SET: u32 = 17;
    pub const NUMERIC_STRING: u32 = 18;
}

/// The contents of an element: octets, or the elements inside a constructed one.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Contents {
    Primitive(Vec<u8>),
    Constructed(Vec<Ber>),
}

/// One BER element: identifier and contents (the length form is not kept).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Ber {
    pub class: TagClass,
    pub tag: u32,
    pub contents: Contents,
}

impl Serialize for Ber {
    /// As the hex of its DER encoding.
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut v = Vec::new();
        match self.encode_der(&mut v) {
            Ok(()) => s.serialize_str(&crate::wire::hex(&v)),
            Err(_) => s.serialize_str("(not encodable)"),
        }
    }
}

fn asn1_err(e: asn1_rs::Err<asn1_rs::Error>, offset: usize) -> DecodeError {
    match e {
        asn1_rs::Err::Incomplete(asn1_rs::Needed::Size(n)) => DecodeError::Truncated {
            offset,
            need: n.get(),
        },
        asn1_rs::Err::Incomplete(asn1_rs::Needed::Unknown) => {
            DecodeError::Truncated { offset, need: 1 }
        }
        _ => DecodeError::Invalid {
            offset,
            field: "BER identifier or length",
            value: 0,
        },
    }
}

impl Ber {
    /// A primitive element.
    pub fn primitive(class: TagClass, tag: u32, octets: Vec<u8>) -> Ber {
        Ber {
            class,
            tag,
            contents: Contents::Primitive(octets),
        }
    }

    /// A constructed element.
    pub fn constructed(class: TagClass, tag: u32, elements: Vec<Ber>) -> Ber {
        Ber {
            class,
            tag,
            contents: Contents::Constructed(elements),
        }
    }

    /// A context-specific tag `[tag]`.
    pub fn is_context(&self, tag: u32) -> bool {
        self.class == TagClass::Context && self.tag == tag
    }

    /// A universal tag.
    pub fn is_universal(&self, tag: u32) -> bool {
        self.class == TagClass::Universal && self.tag == tag
    }

    /// The octets of a primitive element.
    pub fn octets(&self) -> Option<&[u8]> {
        match &self.contents {
            Contents::Primitive(o) => Some(o),
            Contents::Constructed(_) => None,
        }
    }

    /// The elements of a constructed element.
    pub fn elements(&self) -> Option<&[Ber]> {
        match &self.contents {
            Contents::Constructed(e) => Some(e),
            Contents::Primitive(_) => None,
        }
    }

    /// The value of a primitive INTEGER or ENUMERATED contents (any tag), as asn1-rs reads it.
    pub fn integer(&self) -> Option<i64> {
        let o = self.octets()?;
        // X.690 8.3.1: at least one octet.
        if o.is_empty() {
            return None;
        }
        Integer::new(o).as_i64().ok()
    }

    /// A primitive element holding an INTEGER value in its shortest form (X.690 8.3.2), the
    /// contents produced by asn1-rs.
    pub fn from_integer(class: TagClass, tag: u32, v: i64) -> Ber {
        let der = Integer::from_i64(v).to_der_vec().unwrap_or_default();
        let contents = Any::from_der(&der)
            .map(|(_, any)| any.data.to_vec())
            .unwrap_or_else(|_| vec![0]);
        Ber::primitive(class, tag, contents)
    }

    /// The value of a primitive BOOLEAN contents (X.690 8.2: any non-zero octet is TRUE).
    pub fn boolean(&self) -> Option<bool> {
        match self.octets()? {
            [b] => Some(*b != 0),
            _ => None,
        }
    }

    /// Decodes one element at the start of `buf` (whose first octet is at absolute offset
    /// `base`) and returns it with the number of octets it took.
    pub fn decode(buf: &[u8], base: usize) -> Result<(Ber, usize), DecodeError> {
        Self::decode_depth(buf, base, 0)
    }

    /// Decodes a sequence of elements that fills `buf` exactly.
    pub fn decode_all(buf: &[u8], base: usize) -> Result<Vec<Ber>, DecodeError> {
        let mut out = Vec::new();
        let mut pos = 0;
        while pos < buf.len() {
            let (e, n) = Self::decode_depth(buf.get(pos..).unwrap_or_default(), base + pos, 0)?;
            out.push(e);
            pos += n;
        }
        Ok(out)
    }

    fn decode_depth(buf: &[u8], base: usize, depth: usize) -> Result<(Ber, usize), DecodeError> {
        if depth > MAX_DEPTH {
            return Err(DecodeError::Invalid {
                offset: base,
                field: "BER nesting depth",
                value: depth as u32,
            });
        }
        let (rest, header) = Header::from_ber(buf).map_err(|e| asn1_err(e, base))?;
        let hlen = buf.len() - rest.len();
        let class = TagClass::from_asn1(header.class());
        let tag = header.tag().0;
        if header.class() == Class::Universal && tag == 0 {
            // End-of-contents only closes an indefinite length (X.690 8.1.5).
            return Err(DecodeError::Invalid {
                offset: base,
                field: "BER end-of-contents outside an indefinite length",
                value: 0,
            });
        }
        match header.length() {
            Length::Definite(len) => {
                let content = rest.get(..len).ok_or_else(|| DecodeError::Truncated {
                    offset: base + hlen,
                    need: len.saturating_sub(rest.len()),
                })?;
                let contents = if header.is_constructed() {
                    let mut elems = Vec::new();
                    let mut pos = 0;
                    while pos < content.len() {
                        let (e, n) = Self::decode_depth(
                            content.get(pos..).unwrap_or_default(),
                            base + hlen + pos,
                            depth + 1,
                        )?;
                        elems.push(e);
                        pos += n;
                    }
                    Contents::Constructed(elems)
                } else {
                    Contents::Primitive(content.to_vec())
                };
                Ok((
                    Ber {
                        class,
                        tag,
                        contents,
                    },
                    hlen + len,
                ))
            }
            Length::Indefinite => {
                // X.690 8.1.3.6: constructed only (asn1-rs enforces it), ends with 00 00.
                let mut elems = Vec::new();
                let mut pos = hlen;
                loop {
                    let here = buf.get(pos..).unwrap_or_default();
                    if here.len() >= 2 && here[0] == 0 && here[1] == 0 {
                        pos += 2;
                        break;
                    }
                    let (e, n) = Self::decode_depth(here, base + pos, depth + 1)?;
                    elems.push(e);
                    pos += n;
                }
                Ok((
                    Ber {
                        class,
                        tag,
                        contents: Contents::Constructed(elems),
                    },
                    pos,
                ))
            }
        }
    }

    /// Appends the DER encoding (definite lengths, shortest form; X.690 10.1).
    pub fn encode_der(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (constructed, body) = match &self.contents {
            Contents::Primitive(o) => (false, std::borrow::Cow::Borrowed(o.as_slice())),
            Contents::Constructed(elems) => {
                let mut v = Vec::new();
                for e in elems {
                    e.encode_der(&mut v)?;
                }
                (true, std::borrow::Cow::Owned(v))
            }
        };
        let header = Header::new(
            self.class.to_asn1(),
            constructed,
            Tag(self.tag),
            Length::Definite(body.len()),
        );
        header
            .write_der_header(out)
            .map_err(|_| EncodeError::OutOfRange {
                field: "BER tag",
                value: self.tag,
            })?;
        out.extend_from_slice(&body);
        Ok(())
    }

    /// The DER encoding in a new buffer.
    pub fn to_der(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode_der(&mut v)?;
        Ok(v)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn indefinite_and_long_form_lengths_give_the_same_tree_as_der() {
        let der = [0xa1, 0x06, 0x02, 0x01, 0x05, 0x80, 0x01, 0x41];
        let ber = [
            0xa1, 0x80, 0x02, 0x81, 0x01, 0x05, 0x80, 0x01, 0x41, 0x00, 0x00,
        ];
        let (a, n) = Ber::decode(&der, 0).unwrap();
        assert_eq!(n, der.len());
        let (b, m) = Ber::decode(&ber, 0).unwrap();
        assert_eq!(m, ber.len());
        assert_eq!(a, b);
        assert_eq!(b.to_der().unwrap(), der.to_vec());
        assert_eq!(a.elements().unwrap()[0].integer(), Some(5));
    }

    #[test]
    fn integers_are_shortest_form() {
        for v in [
            0i64,
            1,
            127,
            128,
            255,
            256,
            -1,
            -128,
            -129,
            i64::MAX,
            i64::MIN,
        ] {
            let e = Ber::from_integer(TagClass::Universal, 2, v);
            assert_eq!(e.integer(), Some(v), "{v}");
        }
        assert_eq!(
            Ber::from_integer(TagClass::Universal, 2, 128).octets(),
            Some(&[0x00, 0x80][..])
        );
    }

    #[test]
    fn bad_inputs_are_errors() {
        assert!(Ber::decode(&[0x30, 0x80, 0x02, 0x01], 0).is_err());
        assert!(Ber::decode(&[0x02, 0x80, 0x00, 0x00], 0).is_err());
        assert!(Ber::decode(&[0x30, 0x05, 0x02], 0).is_err());
        assert!(Ber::decode(&[0x00, 0x00], 0).is_err());
        let mut deep = [0x30u8, 0x80].repeat(200);
        deep.extend(vec![0; 400]);
        assert!(Ber::decode(&deep, 0).is_err());
    }
}
