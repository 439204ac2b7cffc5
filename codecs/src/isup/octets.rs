//! A short octet string kept inline, without a heap allocation, up to [`Octets::INLINE`]
//! octets; longer ones go to the heap. ISUP parameter values are mostly a few octets long, so
//! decoding a message costs one allocation (its parameter list), not one per parameter.
//!
//! Short values are copied as whole blocks of [`Octets::INLINE`] octets where the octets are
//! there to copy (the decoder reads a value together with the rest of the message after it, the
//! encoder writes into a buffer with room to spare), so that neither needs a copy of variable
//! length. The octets of the block past the value's length are never read.
//!
//! Both representations have one spare octet, the `tag`, that is not part of the value: a type
//! built on octets keeps a small field of its own there (the odd/even indicator of
//! [`super::Digits`]), which keeps that type as small as the octets themselves.

use crate::wire::{Span, Writer};
use serde::{Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 21;

#[derive(Clone)]
enum Repr {
    /// `buf[..len]` is the value; the rest of `buf` is whatever was copied with it.
    Inline {
        tag: u8,
        len: u8,
        buf: [u8; INLINE],
    },
    Heap {
        tag: u8,
        octets: Box<[u8]>,
    },
}

/// Octets as received (parameter values, address signals, diagnostics). Serializes as a
/// lower-case hex string.
#[derive(Clone)]
pub struct Octets(Repr);

impl Octets {
    /// The longest value kept without a heap allocation.
    pub const INLINE: usize = INLINE;

    /// No octets.
    pub const fn new() -> Self {
        Octets(Repr::Inline {
            tag: 0,
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// A copy of `s`.
    #[inline(always)]
    pub fn from_slice(s: &[u8]) -> Self {
        Self::tagged(0, s)
    }

    /// A copy of `s`, with a tag.
    #[inline(always)]
    pub(crate) fn tagged(tag: u8, s: &[u8]) -> Self {
        if s.len() <= INLINE {
            Octets(Repr::Inline {
                tag,
                len: s.len() as u8,
                buf: small_copy(s),
            })
        } else {
            Octets(Repr::Heap {
                tag,
                octets: s.into(),
            })
        }
    }

    /// A copy of a value inside a message as one block copy, when it is short enough and the
    /// message goes on for a block after its start; with a tag.
    #[inline(always)]
    pub(crate) fn block_span(tag: u8, s: Span<'_>) -> Option<Self> {
        match s.block::<INLINE>() {
            Some(block) if s.len() <= INLINE => Some(Octets(Repr::Inline {
                tag,
                len: s.len() as u8,
                buf: *block,
            })),
            _ => None,
        }
    }

    /// Replaces the octets by a copy of `s`, in place: the copy of a short value is made of
    /// stores of a few sizes, and building it where it stays spares a copy of it whose wide
    /// loads would wait for those stores.
    #[inline(always)]
    pub(crate) fn fill(&mut self, s: &[u8]) {
        match &mut self.0 {
            Repr::Inline { len, buf, .. } if s.len() <= INLINE => {
                copy_small(buf, s);
                *len = s.len() as u8;
            }
            _ => *self = Self::tagged(self.tag(), s),
        }
    }

    /// The spare octet (see the module documentation); 0 unless set.
    #[inline(always)]
    pub(crate) fn tag(&self) -> u8 {
        match self.0 {
            Repr::Inline { tag, .. } | Repr::Heap { tag, .. } => tag,
        }
    }

    #[inline(always)]
    pub(crate) fn set_tag(&mut self, t: u8) {
        match &mut self.0 {
            Repr::Inline { tag, .. } | Repr::Heap { tag, .. } => *tag = t,
        }
    }

    /// Appends the octets to `w`: a block copy when they are inline.
    #[inline(always)]
    pub(crate) fn write(&self, w: &mut Writer<'_>) {
        match &self.0 {
            Repr::Inline { len, buf, .. } => w.block(buf, usize::from(*len)),
            Repr::Heap { octets, .. } => w.slice(octets),
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf, .. } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Repr::Heap { octets, .. } => octets,
        }
    }

    #[inline]
    pub fn len(&self) -> usize {
        self.as_slice().len()
    }

    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends one octet.
    pub fn push(&mut self, b: u8) {
        match &mut self.0 {
            Repr::Inline { tag, len, buf } => {
                if let Some(slot) = buf.get_mut(usize::from(*len)) {
                    *slot = b;
                    *len += 1;
                } else {
                    let mut v = buf.to_vec();
                    v.push(b);
                    self.0 = Repr::Heap {
                        tag: *tag,
                        octets: v.into_boxed_slice(),
                    };
                }
            }
            Repr::Heap { octets, .. } => {
                let mut grown = std::mem::take(octets).into_vec();
                grown.push(b);
                *octets = grown.into_boxed_slice();
            }
        }
    }

    /// The last octet, for in-place changes (the filler of an odd number of digits).
    pub(crate) fn last_mut(&mut self) -> Option<&mut u8> {
        match &mut self.0 {
            Repr::Inline { len, buf, .. } => {
                let i = usize::from(*len).checked_sub(1)?;
                buf.get_mut(i)
            }
            Repr::Heap { octets, .. } => octets.last_mut(),
        }
    }

    /// Whether the octets live inline (no heap allocation).
    pub fn is_inline(&self) -> bool {
        matches!(self.0, Repr::Inline { .. })
    }
}

impl Default for Octets {
    fn default() -> Self {
        Octets::new()
    }
}

impl Deref for Octets {
    type Target = [u8];
    fn deref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl AsRef<[u8]> for Octets {
    fn as_ref(&self) -> &[u8] {
        self.as_slice()
    }
}

impl PartialEq for Octets {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for Octets {}

impl Hash for Octets {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_slice().hash(state)
    }
}

impl From<&[u8]> for Octets {
    fn from(s: &[u8]) -> Self {
        Octets::from_slice(s)
    }
}

impl<const N: usize> From<[u8; N]> for Octets {
    fn from(s: [u8; N]) -> Self {
        Octets::from_slice(&s)
    }
}

impl From<Vec<u8>> for Octets {
    fn from(v: Vec<u8>) -> Self {
        if v.len() <= INLINE {
            Octets::from_slice(&v)
        } else {
            Octets(Repr::Heap {
                tag: 0,
                octets: v.into_boxed_slice(),
            })
        }
    }
}

impl fmt::Debug for Octets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Octets({self})")
    }
}

/// Lower-case hex, no separators.
impl fmt::Display for Octets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl Serialize for Octets {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        crate::wire::serialize_hex(self, s)
    }
}

/// A copy of `s` (at most [`INLINE`] octets, the rest is cut off) padded with zeros.
#[inline(always)]
fn small_copy(s: &[u8]) -> [u8; INLINE] {
    let mut buf = [0u8; INLINE];
    copy_small(&mut buf, s);
    buf
}

/// Copies `s` (at most [`INLINE`] octets, the rest is cut off) to the start of `buf` with
/// fixed-size copies: two overlapping copies of a power-of-two size cover every length from it
/// to its double.
#[inline(always)]
fn copy_small(buf: &mut [u8; INLINE], s: &[u8]) {
    fn two<const N: usize>(buf: &mut [u8; INLINE], s: &[u8]) {
        let n = s.len();
        if let (Some(d), Some(h)) = (buf.first_chunk_mut::<N>(), s.first_chunk::<N>()) {
            *d = *h;
        }
        let tail = n.saturating_sub(N);
        if let (Some(d), Some(t)) = (
            buf.get_mut(tail..).and_then(|b| b.first_chunk_mut::<N>()),
            s.last_chunk::<N>(),
        ) {
            *d = *t;
        }
    }
    match s.len() {
        0 => {}
        1..=3 => {
            let n = s.len();
            for i in [0, n / 2, n - 1] {
                if let (Some(d), Some(&b)) = (buf.get_mut(i), s.get(i)) {
                    *d = b;
                }
            }
        }
        4..=7 => two::<4>(buf, s),
        8..=15 => two::<8>(buf, s),
        16..=INLINE => two::<16>(buf, s),
        _ => two::<16>(buf, s.get(..INLINE).unwrap_or(s)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn inline_then_heap() {
        let mut o = Octets::new();
        for i in 0..40u8 {
            o.push(i);
            assert_eq!(o.len(), usize::from(i) + 1);
            assert_eq!(o.is_inline(), o.len() <= Octets::INLINE);
        }
        let v: Vec<u8> = (0..40).collect();
        assert_eq!(o.as_slice(), &v[..]);
        assert_eq!(Octets::from(v.clone()), o);
        assert_eq!(Octets::from_slice(&v[..3]).to_string(), "000102");
        assert_eq!(std::mem::size_of::<Octets>(), 24);
    }

    #[test]
    fn the_tag_stays() {
        let mut o = Octets::tagged(1, &[0; Octets::INLINE]);
        assert!(o.is_inline());
        o.push(2);
        assert!(!o.is_inline());
        assert_eq!((o.tag(), o.len()), (1, Octets::INLINE + 1));
        assert_eq!(o, Octets::from_slice(&o));
    }

    #[test]
    fn small_copies_of_every_length() {
        let v: Vec<u8> = (1..=30).collect();
        for n in 0..=30 {
            let o = Octets::from_slice(&v[..n]);
            assert_eq!(o.as_slice(), &v[..n]);
            assert_eq!(o.is_inline(), n <= Octets::INLINE);
            for extra in 0..4 {
                let tail = &v[..(n + extra).min(v.len())];
                let s = Span::new(tail, n).unwrap();
                let t = Octets::block_span(7, s).unwrap_or_else(|| Octets::tagged(7, &v[..n]));
                assert_eq!((t.tag(), &t), (7, &o));
                assert_eq!(
                    Octets::block_span(7, s).is_some(),
                    n <= Octets::INLINE && n + extra >= Octets::INLINE
                );
            }
            let mut buf = vec![0xee; n + crate::wire::SLACK];
            let mut w = Writer::new(&mut buf);
            o.write(&mut w);
            assert_eq!(w.position(), n);
            assert_eq!(&buf[..n], &v[..n]);
        }
    }
}
