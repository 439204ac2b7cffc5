//! Cause indicators (Q.763 3.12), coded as the Q.850 cause information element contents:
//! octet 1 (extension, coding standard, spare, location), octet 1a when octet 1's extension bit
//! is 0 (recommendation), octet 2 (extension, cause value), then diagnostics.

use super::bits::{CauseOctet1, CauseOctet2};
use super::codes::*;
use super::octets::Octets;
use crate::wire::{append_with, EncodeError, Writer, SLACK};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CauseIndicators {
    /// Octet 1: location, coding standard, spare bit, extension bit.
    pub octet1: CauseOctet1,
    /// Octet 1a as received (extension bit and recommendation), present exactly when octet 1's
    /// extension bit is 0.
    pub recommendation: Option<u8>,
    /// Octet 2: cause value and extension bit.
    pub octet2: CauseOctet2,
    /// Diagnostics (Q.850 2.2.5), as received.
    pub diagnostics: Octets,
}

impl CauseIndicators {
    /// ITU-T coded cause with the given location and value, no recommendation, no diagnostics.
    pub fn new(location: Location, value: CauseValue) -> Self {
        CauseIndicators {
            octet1: CauseOctet1(0x80).with_location(location),
            recommendation: None,
            octet2: CauseOctet2(0x80).with_cause_value(value),
            diagnostics: Octets::new(),
        }
    }

    /// The same cause with diagnostics.
    #[must_use]
    pub fn with_diagnostics(mut self, diagnostics: &[u8]) -> Self {
        self.diagnostics = Octets::from_slice(diagnostics);
        self
    }

    pub fn location(&self) -> Location {
        self.octet1.location()
    }

    pub fn coding_standard(&self) -> CodingStandard {
        self.octet1.coding_standard()
    }

    pub fn cause_value(&self) -> CauseValue {
        self.octet2.cause_value()
    }

    /// Decodes a parameter value; `None` when it is too short for its octets.
    #[inline]
    pub fn decode(value: &[u8]) -> Option<Self> {
        let (octet1, recommendation, octet2, header) = Self::header(value)?;
        Some(CauseIndicators {
            octet1,
            recommendation,
            octet2,
            diagnostics: Octets::from_slice(value.get(header..).unwrap_or_default()),
        })
    }

    /// Octets 1, 1a and 2, and how many octets they take before the diagnostics; `None` when
    /// the value is too short for them.
    #[inline(always)]
    pub(crate) fn header(value: &[u8]) -> Option<(CauseOctet1, Option<u8>, CauseOctet2, usize)> {
        match *value {
            [o1, o2, ..] if o1 & 0x80 != 0 => Some((CauseOctet1(o1), None, CauseOctet2(o2), 2)),
            [o1, r, o2, ..] => Some((CauseOctet1(o1), Some(r), CauseOctet2(o2), 3)),
            _ => None,
        }
    }

    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_with(out, 3 + Octets::INLINE + SLACK, |buf| {
            Writer::fill(buf, |w| self.write(w))
        })
    }

    #[inline(always)]
    pub(crate) fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        match (self.octet1.extension(), self.recommendation) {
            (true, None) => w.array([self.octet1.0, self.octet2.0]),
            (false, Some(r)) => w.array([self.octet1.0, r, self.octet2.0]),
            _ => {
                // the decoder would read octet 1a from another octet than the one written
                return Err(EncodeError::OutOfRange {
                    field: "cause indicators octet 1 extension bit (octet 1a present iff 0)",
                    value: u32::from(self.octet1.0),
                });
            }
        }
        self.diagnostics.write(w);
        Ok(())
    }
}

/// JSON: `location`, `coding_standard`, `cause_value` (the number), `cause` (its name),
/// `recommendation` and `diagnostics` when present, and extension/spare bits when not the usual
/// ones.
impl Serialize for CauseIndicators {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("location", &self.location())?;
        m.serialize_entry("coding_standard", &self.coding_standard())?;
        m.serialize_entry("cause_value", &self.cause_value().code())?;
        if let Some(name) = self.cause_value().name() {
            m.serialize_entry("cause", name)?;
        }
        if let Some(r) = self.recommendation {
            m.serialize_entry("recommendation", &(r & 0x7f))?;
        }
        if !self.diagnostics.is_empty() {
            m.serialize_entry("diagnostics", &self.diagnostics)?;
        }
        if self.octet1.spare() != 0 {
            m.serialize_entry("spare", &self.octet1.spare())?;
        }
        if !self.octet2.extension() {
            m.serialize_entry("cause_value_extension", &false)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cause_forms() {
        for v in [
            &[0x80, 0x90][..],
            &[0x84, 0xe3, 0xf4],
            &[0x03, 0x81, 0x9f, 0x01, 0x02],
            &[0x85, 0x22],
        ] {
            let c = CauseIndicators::decode(v).unwrap();
            let mut out = Vec::new();
            c.encode(&mut out).unwrap();
            assert_eq!(out, v);
        }
        assert!(CauseIndicators::decode(&[0x03, 0x81]).is_none());
        assert!(CauseIndicators::decode(&[0x80]).is_none());
        let c = CauseIndicators::new(Location::User, CauseValue::NormalCallClearing);
        let mut out = Vec::new();
        c.encode(&mut out).unwrap();
        assert_eq!(out, [0x80, 0x90]);
        let j = serde_json::to_value(&c).unwrap();
        assert_eq!(j["cause_value"], 16);
        assert_eq!(j["cause"], "normal_call_clearing");
        assert_eq!(j["location"], "user");
    }
}
