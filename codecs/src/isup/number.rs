//! The number parameters (Q.763 3.9 called party number and its relatives): an odd/even
//! indicator and nature of address in octet 1, indicators in octet 2, then address signals.
//!
//! Address signals are kept as the octets received, so that every nibble, the filler included,
//! survives; the digits are read from them. Textual form: each address signal is one character
//! `0`-`9` for digits 0-9 and `A`-`F` for codes 10-15, as Wireshark shows them: `B` = code 11,
//! `C` = code 12, `F` = ST (end of pulsing); `A`, `D`, `E` are spare (Q.763 3.9 e).

use super::bits::*;
use super::codes::*;
use super::octets::Octets;
use crate::wire::{append_with, EncodeError, Writer};
use serde::{Serialize, Serializer};
use std::fmt;
use std::hash::{Hash, Hasher};

/// Address signals (Q.763 3.9 e, f), two per octet, the first in bits 4-1; with an odd number of
/// signals the last octet's bits 8-5 are the filler. The odd/even indicator (bit H of the octet
/// before the indicators) is kept in the tag of the octets, so that a `Digits` is no larger
/// than its octets.
#[derive(Clone, Default)]
pub struct Digits {
    pub(crate) octets: Octets,
}

impl Digits {
    /// Address signals from octets as on the wire and the odd/even indicator.
    #[inline(always)]
    pub fn from_octets(odd: bool, octets: &[u8]) -> Self {
        Digits {
            octets: Octets::tagged(u8::from(odd), octets),
        }
    }

    /// Address signals from text: `0`-`9`, `A`-`F` (either case). Filler 0 when odd.
    pub fn parse(s: &str) -> Result<Self, EncodeError> {
        let mut octets = Octets::new();
        let mut pending: Option<u8> = None;
        for c in s.chars() {
            let v = c.to_digit(16).ok_or(EncodeError::OutOfRange {
                field: "address signal",
                value: u32::from(c),
            })? as u8;
            match pending.take() {
                None => pending = Some(v),
                Some(lo) => octets.push(lo | (v << 4)),
            }
        }
        let odd = pending.is_some();
        if let Some(lo) = pending {
            octets.push(lo);
        }
        octets.set_tag(u8::from(odd));
        Ok(Digits { octets })
    }

    /// The odd/even indicator: true when the number of address signals is odd.
    #[inline(always)]
    pub fn is_odd(&self) -> bool {
        self.octets.tag() != 0
    }

    /// The address signal octets as on the wire.
    pub fn octets(&self) -> &[u8] {
        &self.octets
    }

    /// The number of address signals.
    pub fn len(&self) -> usize {
        let n = 2 * self.octets.len();
        if self.is_odd() && n > 0 {
            n - 1
        } else {
            n
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The address signals (codes 0-15), in order.
    pub fn signals(&self) -> impl Iterator<Item = u8> + '_ {
        let n = self.len();
        self.octets.iter().flat_map(|o| [o & 0x0f, o >> 4]).take(n)
    }

    /// The filler nibble (bits 8-5 of the last octet) of an odd number of signals.
    pub fn filler(&self) -> Option<u8> {
        if self.is_odd() {
            self.octets.last().map(|o| o >> 4)
        } else {
            None
        }
    }

    /// Sets the filler of an odd number of signals (normally 0).
    pub fn set_filler(&mut self, filler: u8) {
        if self.is_odd() {
            if let Some(last) = self.octets.last_mut() {
                *last = (*last & 0x0f) | (filler << 4);
            }
        }
    }
}

impl PartialEq for Digits {
    fn eq(&self, other: &Self) -> bool {
        self.is_odd() == other.is_odd() && self.octets == other.octets
    }
}

impl Eq for Digits {}

impl Hash for Digits {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.is_odd().hash(state);
        self.octets.hash(state);
    }
}

impl fmt::Debug for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Digits")
            .field("odd", &self.is_odd())
            .field("octets", &self.octets)
            .finish()
    }
}

/// The address signals as text (see the module documentation).
impl fmt::Display for Digits {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for s in self.signals() {
            let c = char::from_digit(u32::from(s), 16)
                .unwrap_or('?')
                .to_ascii_uppercase();
            f.write_fmt(format_args!("{c}"))?;
        }
        Ok(())
    }
}

impl Serialize for Digits {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

/// Room first given to the encoding of one value: enough for any value kept inline.
const SMALL: usize = 8 + Octets::INLINE + crate::wire::SLACK;

/// A number parameter: nature of address, an indicator octet `I` whose fields depend on the
/// parameter, and address signals.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Number<I> {
    pub nature_of_address: NatureOfAddress,
    pub indicators: I,
    pub digits: Digits,
}

/// JSON: nature of address, the indicator fields, the digits as text, and the filler when it is
/// not zero.
impl<I: Serialize> Serialize for Number<I> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a, I> {
            nature_of_address: NatureOfAddress,
            #[serde(flatten)]
            indicators: &'a I,
            digits: &'a Digits,
            #[serde(skip_serializing_if = "Option::is_none")]
            filler: Option<u8>,
        }
        View {
            nature_of_address: self.nature_of_address,
            indicators: &self.indicators,
            digits: &self.digits,
            filler: self.digits.filler().filter(|&f| f != 0),
        }
        .serialize(s)
    }
}

/// Called party number (Q.763 3.9).
pub type CalledPartyNumber = Number<CalledNumberIndicators>;
/// Redirection number (Q.763 3.46), formatted as the called party number.
pub type RedirectionNumber = Number<CalledNumberIndicators>;
/// Calling party number (Q.763 3.10).
pub type CallingPartyNumber = Number<CallingNumberIndicators>;
/// Connected number (Q.763 3.16).
pub type ConnectedNumber = Number<ConnectedNumberIndicators>;
/// Redirecting number (Q.763 3.44).
pub type RedirectingNumber = Number<RedirectingNumberIndicators>;
/// Original called number (Q.763 3.39), formatted as the redirecting number.
pub type OriginalCalledNumber = Number<RedirectingNumberIndicators>;
/// Location number (Q.763 3.30).
pub type LocationNumber = Number<LocationNumberIndicators>;

/// An indicator octet of a number.
pub trait NumberIndicators: Copy + Default {
    fn from_octet(o: u8) -> Self;
    fn octet(self) -> u8;
}

macro_rules! number_indicators {
    ($($t:ty),*) => {$(
        impl NumberIndicators for $t {
            #[inline]
            fn from_octet(o: u8) -> Self { Self(o) }
            #[inline]
            fn octet(self) -> u8 { self.0 }
        }
    )*};
}
number_indicators!(
    CalledNumberIndicators,
    CallingNumberIndicators,
    ConnectedNumberIndicators,
    RedirectingNumberIndicators,
    LocationNumberIndicators
);

impl<I: NumberIndicators> Number<I> {
    /// A number from its parts.
    pub fn new(nature_of_address: NatureOfAddress, indicators: I, digits: Digits) -> Self {
        Number {
            nature_of_address,
            indicators,
            digits,
        }
    }

    /// A number from text digits (see [`Digits::parse`]).
    pub fn from_digits(
        nature_of_address: NatureOfAddress,
        indicators: I,
        digits: &str,
    ) -> Result<Self, EncodeError> {
        Ok(Number::new(
            nature_of_address,
            indicators,
            Digits::parse(digits)?,
        ))
    }

    /// Decodes a parameter value; `None` when it is too short to be a number.
    #[inline]
    pub fn decode(value: &[u8]) -> Option<Self> {
        match *value {
            [o1, o2, ref signals @ ..] => Some(Number::from_octets(o1, o2, signals)),
            _ => None,
        }
    }

    /// A number from octet 1 (odd/even, nature of address), octet 2 (indicators) and the
    /// address signal octets.
    #[inline(always)]
    pub fn from_octets(o1: u8, o2: u8, signals: &[u8]) -> Self {
        Number {
            nature_of_address: NatureOfAddress::from_code(o1 & 0x7f),
            indicators: I::from_octet(o2),
            digits: Digits::from_octets(o1 & 0x80 != 0, signals),
        }
    }

    /// A number from octet 1, octet 2 and the address signals, whose tag is the odd/even
    /// indicator of octet 1.
    #[inline(always)]
    pub(crate) fn from_parts(o1: u8, o2: u8, signals: Octets) -> Self {
        Number {
            nature_of_address: NatureOfAddress::from_code(o1 & 0x7f),
            indicators: I::from_octet(o2),
            digits: Digits { octets: signals },
        }
    }

    /// Octet 1: odd/even indicator and nature of address.
    pub fn octet1(&self) -> Result<u8, EncodeError> {
        odd_even_octet(self.digits.is_odd(), self.nature_of_address)
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_with(out, SMALL, |buf| Writer::fill(buf, |w| self.write(w)))
    }

    #[inline(always)]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.array([self.octet1()?, self.indicators.octet()]);
        self.digits.octets.write(w);
        Ok(())
    }

    /// The digits as text.
    pub fn digits_string(&self) -> String {
        self.digits.to_string()
    }
}

#[inline(always)]
fn odd_even_octet(odd: bool, noa: NatureOfAddress) -> Result<u8, EncodeError> {
    let code = noa.code();
    if code > 0x7f {
        return Err(EncodeError::OutOfRange {
            field: "nature of address indicator",
            value: u32::from(code),
        });
    }
    Ok((u8::from(odd) << 7) | code)
}

/// Generic number (Q.763 3.26): a number qualifier, then a number formatted as the calling
/// party number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct GenericNumber {
    pub number_qualifier: NumberQualifier,
    #[serde(flatten)]
    pub number: CallingPartyNumber,
}

impl GenericNumber {
    #[inline]
    pub fn decode(value: &[u8]) -> Option<Self> {
        let (q, rest) = value.split_first()?;
        Some(GenericNumber {
            number_qualifier: NumberQualifier::from_code(*q),
            number: Number::decode(rest)?,
        })
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_with(out, SMALL, |buf| Writer::fill(buf, |w| self.write(w)))
    }

    #[inline(always)]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        w.u8(self.number_qualifier.code());
        self.number.write(w)
    }
}

/// Subsequent number (Q.763 3.51): odd/even indicator, 7 spare bits, address signals.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SubsequentNumber {
    #[serde(skip_serializing_if = "is_zero")]
    pub spare: u8,
    pub digits: Digits,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl SubsequentNumber {
    pub fn new(digits: Digits) -> Self {
        SubsequentNumber { spare: 0, digits }
    }

    #[inline]
    pub fn decode(value: &[u8]) -> Option<Self> {
        let (&o1, signals) = value.split_first()?;
        Some(SubsequentNumber::from_octets(o1, signals))
    }

    /// From octet 1 (odd/even, spare bits) and the address signal octets.
    #[inline(always)]
    pub fn from_octets(o1: u8, signals: &[u8]) -> Self {
        SubsequentNumber {
            spare: o1 & 0x7f,
            digits: Digits::from_octets(o1 & 0x80 != 0, signals),
        }
    }

    /// From octet 1 and the address signals, whose tag is the odd/even indicator of octet 1.
    #[inline(always)]
    pub(crate) fn from_parts(o1: u8, signals: Octets) -> Self {
        SubsequentNumber {
            spare: o1 & 0x7f,
            digits: Digits { octets: signals },
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_with(out, SMALL, |buf| Writer::fill(buf, |w| self.write(w)))
    }

    #[inline(always)]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        if self.spare > 0x7f {
            return Err(EncodeError::OutOfRange {
                field: "subsequent number spare bits",
                value: u32::from(self.spare),
            });
        }
        w.u8((u8::from(self.digits.is_odd()) << 7) | self.spare);
        self.digits.octets.write(w);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_parse_and_show() {
        let d = Digits::parse("4891F").unwrap();
        assert_eq!(d.octets(), &[0x84, 0x19, 0x0f]);
        assert!(d.is_odd());
        assert_eq!(d.len(), 5);
        assert_eq!(d.to_string(), "4891F");
        let e = Digits::parse("0033361234").unwrap();
        assert!(!e.is_odd());
        assert_eq!(e.octets(), &[0x00, 0x33, 0x63, 0x21, 0x43]);
        assert!(Digits::parse("12*").is_err());
        // odd indicator with no octets: no digits, nothing lost
        let z = Digits::from_octets(true, &[]);
        assert_eq!(z.len(), 0);
        let mut f = Digits::from_octets(true, &[0x21, 0x53]);
        assert_eq!(f.to_string(), "123");
        assert_eq!(f.filler(), Some(5));
        f.set_filler(0);
        assert_eq!(f.octets(), &[0x21, 0x03]);
    }

    #[test]
    fn number_round_trip() {
        let v = [0x81, 0x90, 0x84, 0x19, 0x0f];
        let n = CalledPartyNumber::decode(&v).unwrap();
        assert_eq!(n.nature_of_address, NatureOfAddress::SubscriberNumber);
        assert!(n.indicators.inn_indicator());
        assert_eq!(n.indicators.numbering_plan(), NumberingPlan::IsdnTelephony);
        assert_eq!(n.digits_string(), "4891F");
        let mut out = Vec::new();
        n.encode(&mut out).unwrap();
        assert_eq!(out, v);
    }
}
