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
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// Octets not yet read.
    #[inline(always)]
    pub fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The unread rest, without consuming it.
    #[inline(always)]
    pub fn rest(&self) -> &'a [u8] {
        &self.buf[self.pos..]
    }

    /// The next octet, without consuming it.
    #[inline(always)]
    pub fn peek(&self) -> Result<u8, DecodeError> {
        self.buf
            .get(self.pos)
            .copied()
            .ok_or(DecodeError::Truncated {
                offset: self.offset(),
                need: 1,
            })
    }

    #[inline(always)]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        let b = self.peek()?;
        self.pos += 1;
        Ok(b)
    }

    /// Two octets, most significant first.
    #[inline(always)]
    pub fn u16_be(&mut self) -> Result<u16, DecodeError> {
        let s = self.take(2)?;
        Ok(u16::from_be_bytes([s[0], s[1]]))
    }

    /// Two octets, least significant first (the order of the ISUP CIC and MTP3 label fields).
    #[inline(always)]
    pub fn u16_le(&mut self) -> Result<u16, DecodeError> {
        let s = self.take(2)?;
        Ok(u16::from_le_bytes([s[0], s[1]]))
    }

    /// The next `n` octets.
    #[inline(always)]
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

    /// The next `n` octets as a [`Span`]: with the rest of the input after them.
    #[inline(always)]
    pub(crate) fn take_span(&mut self, n: usize) -> Result<Span<'a>, DecodeError> {
        let rest = self.rest();
        let span = Span::new(rest, n).ok_or(DecodeError::Truncated {
            offset: self.offset(),
            need: n.saturating_sub(rest.len()),
        })?;
        self.pos += n;
        Ok(span)
    }

    /// Everything not yet read.
    #[inline(always)]
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

/// A value inside an input: its first `len` octets, with the rest of the input after it. The
/// octets after the value are never part of what is decoded; they let a short value be copied
/// as one block of fixed size instead of a copy of variable length.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Span<'a> {
    /// The value and what follows it; `len <= tail.len()`.
    tail: &'a [u8],
    len: usize,
}

impl<'a> Span<'a> {
    /// The first `len` octets of `tail`, or `None` when `tail` is shorter.
    #[inline(always)]
    pub(crate) fn new(tail: &'a [u8], len: usize) -> Option<Self> {
        (len <= tail.len()).then_some(Span { tail, len })
    }

    /// All of `value`, with nothing after it.
    #[inline(always)]
    pub(crate) fn whole(value: &'a [u8]) -> Self {
        Span {
            tail: value,
            len: value.len(),
        }
    }

    #[inline(always)]
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The value.
    #[inline(always)]
    pub(crate) fn value(&self) -> &'a [u8] {
        self.tail.get(..self.len).unwrap_or_default()
    }

    /// The value without its first `n` octets (empty when it is not longer than `n`).
    #[inline(always)]
    pub(crate) fn skip(self, n: usize) -> Self {
        Span {
            tail: self.tail.get(n..).unwrap_or_default(),
            len: self.len.saturating_sub(n),
        }
    }

    /// The `N` octets from the start of the value (more than the value when it is shorter),
    /// when the input has them.
    #[inline(always)]
    pub(crate) fn block<const N: usize>(&self) -> Option<&'a [u8; N]> {
        self.tail.first_chunk::<N>()
    }
}

/// Room a [`Writer`]'s buffer is given past the end of what it will hold, for block copies.
pub(crate) const SLACK: usize = 32;

/// A cursor over an output buffer with room to spare: short values are copied as fixed-size
/// blocks (whose octets past the value are overwritten by what follows, or cut off at the end)
/// where the buffer has room for the block, exactly elsewhere. A write past the end of the
/// buffer is dropped but still counted, so [`Writer::position`] tells how much room it needed
/// (see [`append_with`]).
pub(crate) struct Writer<'a> {
    buf: &'a mut [u8],
    pos: usize,
}

impl<'a> Writer<'a> {
    #[inline(always)]
    pub(crate) fn new(buf: &'a mut [u8]) -> Self {
        Writer { buf, pos: 0 }
    }

    /// Runs `write` with a writer over `buf`: how many octets it wrote, or needed. The writer
    /// lives here, in the caller of `write`, so that its position stays in a register.
    #[inline(always)]
    pub(crate) fn fill(
        buf: &mut [u8],
        write: impl FnOnce(&mut Writer<'_>) -> Result<(), EncodeError>,
    ) -> Result<usize, EncodeError> {
        let mut w = Writer::new(buf);
        write(&mut w)?;
        Ok(w.pos)
    }

    /// How many octets were written.
    #[inline(always)]
    pub(crate) fn position(&self) -> usize {
        self.pos
    }

    #[inline(always)]
    pub(crate) fn u8(&mut self, b: u8) {
        if let Some(d) = self.buf.get_mut(self.pos) {
            *d = b;
        }
        self.pos += 1;
    }

    #[inline(always)]
    pub(crate) fn array<const N: usize>(&mut self, a: [u8; N]) {
        if let Some(d) = self.chunk::<N>() {
            *d = a;
        }
        self.pos += N;
    }

    #[inline(always)]
    pub(crate) fn slice(&mut self, s: &[u8]) {
        if let Some(d) = self.buf.get_mut(self.pos..self.pos + s.len()) {
            d.copy_from_slice(s);
        }
        self.pos += s.len();
    }

    /// The first `len` octets of `block` (`len <= N`), copied as the whole block when the
    /// buffer has room for it.
    #[inline(always)]
    pub(crate) fn block<const N: usize>(&mut self, block: &[u8; N], len: usize) {
        match self.chunk::<N>() {
            Some(d) if len <= N => {
                *d = *block;
                self.pos += len;
            }
            _ => self.slice(block.get(..len).unwrap_or(block)),
        }
    }

    /// Overwrites the octet at `at`, written before.
    #[inline(always)]
    pub(crate) fn set(&mut self, at: usize, b: u8) {
        if let Some(d) = self.buf.get_mut(at) {
            *d = b;
        }
    }

    #[inline(always)]
    fn chunk<const N: usize>(&mut self) -> Option<&mut [u8; N]> {
        self.buf.get_mut(self.pos..self.pos + N)?.try_into().ok()
    }
}

/// Appends what `write` writes to `out`: `write` gets zeroed room of `guess` octets and says
/// how many it wrote, or needed (see [`Writer::fill`]); when that was more than the room, it
/// runs again over room for all of it (it must write the same octets each time). On error
/// nothing is appended.
#[inline(always)]
pub(crate) fn append_with(
    out: &mut Vec<u8>,
    guess: usize,
    write: impl Fn(&mut [u8]) -> Result<usize, EncodeError>,
) -> Result<(), EncodeError> {
    let start = out.len();
    let mut room = guess;
    let r = 'attempts: {
        for _ in 0..2 {
            out.resize(start + room, 0);
            let Some(buf) = out.get_mut(start..) else {
                break;
            };
            match write(buf) {
                Ok(len) if len <= room => {
                    out.truncate(start + len);
                    return Ok(());
                }
                Ok(len) => room = len + SLACK,
                Err(e) => break 'attempts Err(e),
            }
        }
        Err(EncodeError::BufferTooSmall { need: room })
    };
    out.truncate(start);
    r
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

    #[test]
    fn writer_retries_with_the_room_it_needed() {
        let write = |n: usize| {
            move |buf: &mut [u8]| {
                Writer::fill(buf, |w| {
                    for i in 0..n {
                        w.u8(i as u8);
                    }
                    w.array([0xaa, 0xbb]);
                    w.block(&[1, 2, 3, 4, 5, 6, 7, 8], 3);
                    w.set(0, 0x55);
                    Ok(())
                })
            }
        };
        for n in [0, 1, 7, 40, 300] {
            let mut out = vec![9];
            append_with(&mut out, 4, write(n)).unwrap();
            let mut want = vec![9];
            want.extend((0..n).map(|i| i as u8));
            want.extend_from_slice(&[0xaa, 0xbb, 1, 2, 3]);
            want[1] = 0x55;
            assert_eq!(out, want, "{n}");
        }
        let mut out = vec![9];
        let fail = |buf: &mut [u8]| {
            Writer::fill(buf, |w| {
                w.slice(&[1; 50]);
                Err(EncodeError::Missing { field: "x" })
            })
        };
        assert!(append_with(&mut out, 4, fail).is_err());
        assert_eq!(out, [9]);
    }

    #[test]
    fn spans() {
        let s = Span::new(&[1, 2, 3, 4, 5], 3).unwrap();
        assert_eq!(s.value(), [1, 2, 3]);
        assert_eq!(s.skip(1).value(), [2, 3]);
        assert_eq!(s.skip(5).value(), [0u8; 0]);
        assert_eq!(s.block::<5>(), Some(&[1, 2, 3, 4, 5]));
        assert_eq!(s.block::<6>(), None);
        assert!(Span::new(&[1], 2).is_none());
        assert_eq!(Span::whole(&[7, 8]).value(), [7, 8]);
    }
}
