//! Shared decoding and encoding plumbing: a bounds-checked reader that knows its offset, and
//! the error types every codec in this crate returns.
//!
//! Decoders never index a slice unchecked: every read goes through [`Reader`], which turns a
//! short input into [`DecodeError::Truncated`] with the offset where it happened, so that no
//! input can panic the process and `sipt-mgc decode` can say where the input went wrong.

use thiserror::Error;

/// A value of a code table declared with the crate's `code_enum!` macro: one octet on the wire
/// (`From<u8>`, `Into<u8>`), with the standard's name when the table has one.
pub trait CodeTable: Copy + From<u8> + Into<u8> {
    /// The standard's name (or acronym) of the value, `None` when the table does not name it.
    fn name(self) -> Option<&'static str>;
}

/// Lower-case hex of some octets, no separators (the JSON form of raw fields).
pub fn hex(b: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(b.len() * 2);
    for &x in b {
        s.push(char::from(DIGITS[usize::from(x >> 4)]));
        s.push(char::from(DIGITS[usize::from(x & 0x0f)]));
    }
    s
}

/// Serializes octets as a lower-case hex string (`#[serde(serialize_with = ...)]` of raw
/// fields; JSON of `sipt-mgc decode`).
pub fn serialize_hex<S: serde::Serializer>(b: &[u8], s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&hex(b))
}

/// Why an input could not be decoded. Offsets count octets from the start of the input handed
/// to the top-level decoder (for an ISUP message inside an MSU, from the start of the MSU).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The input ended `need` octets too early.
    #[error("truncated at offset {offset}: {need} more octet(s) needed")]
    Truncated { offset: usize, need: usize },
    /// A pointer (ISUP mandatory variable/optional part pointer) points outside the message
    /// or backwards.
    #[error("pointer at offset {offset} points outside the message")]
    BadPointer { offset: usize },
    /// A length indicator disagrees with the octets present or with the field's limits.
    #[error("bad length at offset {offset} for {field}")]
    BadLength { offset: usize, field: &'static str },
    /// A field holds a value the format forbids (not merely one we do not know: unknown but
    /// well-formed values decode to an `Unknown(..)` variant or raw bytes).
    #[error("invalid {field} {value:#x} at offset {offset}")]
    Invalid {
        offset: usize,
        field: &'static str,
        value: u32,
    },
    /// Octets left over after a complete message where the format allows none.
    #[error("{count} unexpected trailing octet(s) at offset {offset}")]
    Trailing { offset: usize, count: usize },
}

impl DecodeError {
    /// The offset of the fault, in octets from the start of the input.
    pub fn offset(&self) -> usize {
        match *self {
            DecodeError::Truncated { offset, .. }
            | DecodeError::BadPointer { offset }
            | DecodeError::BadLength { offset, .. }
            | DecodeError::Invalid { offset, .. }
            | DecodeError::Trailing { offset, .. } => offset,
        }
    }

    /// The same fault, with its offset moved by `base` octets (used when a decoder of an inner
    /// format reports into an outer one, e.g. ISUP inside an MTP3 MSU).
    pub fn shifted(self, base: usize) -> Self {
        match self {
            DecodeError::Truncated { offset, need } => DecodeError::Truncated {
                offset: offset + base,
                need,
            },
            DecodeError::BadPointer { offset } => DecodeError::BadPointer {
                offset: offset + base,
            },
            DecodeError::BadLength { offset, field } => DecodeError::BadLength {
                offset: offset + base,
                field,
            },
            DecodeError::Invalid {
                offset,
                field,
                value,
            } => DecodeError::Invalid {
                offset: offset + base,
                field,
                value,
            },
            DecodeError::Trailing { offset, count } => DecodeError::Trailing {
                offset: offset + base,
                count,
            },
        }
    }
}

/// Why a value could not be encoded.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum EncodeError {
    /// A field's value does not fit its width on the wire.
    #[error("{field} value {value} out of range")]
    OutOfRange { field: &'static str, value: u32 },
    /// A variable-length field is longer than its length indicator can express.
    #[error("{field} is {len} octets, at most {max} allowed")]
    TooLong {
        field: &'static str,
        len: usize,
        max: usize,
    },
    /// A mandatory field is missing from the value to encode.
    #[error("mandatory {field} missing")]
    Missing { field: &'static str },
    /// A fixed output buffer is too small.
    #[error("output buffer too small: {need} octet(s) needed")]
    BufferTooSmall { need: usize },
}

/// A bounds-checked cursor over an input. Every accessor reports the absolute offset (the
/// reader's `base` plus the position) in its error.
#[derive(Debug, Clone)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    base: usize,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, whose first octet is at offset 0.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            base: 0,
        }
    }

    /// A reader over `buf`, whose first octet is at absolute offset `base`.
    pub fn with_base(buf: &'a [u8], base: usize) -> Self {
        Reader { buf, pos: 0, base }
    }

    /// The absolute offset of the next octet.
    #[inline]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Octets not yet read.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The unread rest, without consuming it.
    #[inline]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// The next octet, without consuming it.
    #[inline]
    pub fn peek(&self) -> Result<u8, DecodeError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Truncated {
                offset: self.offset(),
                need: 1,
            })
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    /// Two octets, most significant first.
    #[inline]
    pub fn u16_be(&mut self) -> Result<u16, DecodeError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    /// Two octets, least significant first (the order of the ISUP CIC and MTP3 label fields).
    #[inline]
    pub fn u16_le(&mut self) -> Result<u16, DecodeError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    /// The next `n` octets.
    #[inline]
    pub fn take(&mut self, n: usize) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated {
                offset: self.offset(),
                need: n - self.remaining(),
            });
        }
        let s = &self.buf[self.pos..self.pos + n];
        self.pos += n;
        Ok(s)
    }

    /// Everything not yet read.
    #[inline]
    pub fn take_rest(&mut self) -> &'a [u8] {
        let s = &self.buf[self.pos..];
        self.pos = self.buf.len();
        s
    }

    /// A reader over the next `n` octets, with absolute offsets preserved.
    #[inline]
    pub fn sub(&mut self, n: usize) -> Result<Reader<'a>, DecodeError> {
        let base = self.offset();
        Ok(Reader::with_base(self.take(n)?, base))
    }

    /// Fails with [`DecodeError::Trailing`] unless everything was read.
    pub fn finish(&self) -> Result<(), DecodeError> {
        if self.is_empty() {
            Ok(())
        } else {
            Err(DecodeError::Trailing {
                offset: self.offset(),
                count: self.remaining(),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn truncation_reports_absolute_offset() {
        let mut r = Reader::with_base(&[1, 2, 3], 10);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.offset(), 11);
        assert_eq!(
            r.take(5),
            Err(DecodeError::Truncated {
                offset: 11,
                need: 3
            })
        );
        let mut s = r.sub(2).unwrap();
        assert_eq!(s.offset(), 11);
        assert_eq!(s.u16_le(), Ok(0x0302));
        assert!(r.finish().is_ok());
    }
}
