//! A short octet string kept inline, without a heap allocation, up to [`Octets::INLINE`]
//! octets; longer ones go to the heap. ISUP parameter values are mostly a few octets long, so
//! decoding a message costs one allocation (its parameter list), not one per parameter.

use serde::{Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};
use std::ops::Deref;

const INLINE: usize = 22;

#[derive(Clone)]
enum Repr {
    Inline { len: u8, buf: [u8; INLINE] },
    Heap(Box<[u8]>),
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
            len: 0,
            buf: [0; INLINE],
        })
    }

    /// A copy of `s`.
    #[inline(always)]
    pub fn from_slice(s: &[u8]) -> Self {
        if s.len() <= INLINE {
            let mut buf = [0u8; INLINE];
            if let Some(dst) = buf.get_mut(..s.len()) {
                dst.copy_from_slice(s);
            }
            Octets(Repr::Inline {
                len: s.len() as u8,
                buf,
            })
        } else {
            Octets(Repr::Heap(s.into()))
        }
    }

    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        match &self.0 {
            Repr::Inline { len, buf } => buf.get(..usize::from(*len)).unwrap_or(&[]),
            Repr::Heap(v) => v,
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
            Repr::Inline { len, buf } => {
                if let Some(slot) = buf.get_mut(usize::from(*len)) {
                    *slot = b;
                    *len += 1;
                } else {
                    let mut v = buf.to_vec();
                    v.push(b);
                    self.0 = Repr::Heap(v.into_boxed_slice());
                }
            }
            Repr::Heap(v) => {
                let mut grown = std::mem::take(v).into_vec();
                grown.push(b);
                *v = grown.into_boxed_slice();
            }
        }
    }

    /// The last octet, for in-place changes (the filler of an odd number of digits).
    pub(crate) fn last_mut(&mut self) -> Option<&mut u8> {
        match &mut self.0 {
            Repr::Inline { len, buf } => {
                let i = usize::from(*len).checked_sub(1)?;
                buf.get_mut(i)
            }
            Repr::Heap(v) => v.last_mut(),
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
            Octets(Repr::Heap(v.into_boxed_slice()))
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
}
