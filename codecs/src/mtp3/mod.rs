//! The MTP3 part of a message signal unit (ITU-T Q.704): the service information octet, the
//! routing label and the user part, with the signalling network management messages
//! (Q.704 15) and the signalling link test messages (Q.707 5) decoded.
//!
//! [`Msu::decode`] takes what the SIO and SIF of an MTP2 MSU hold, which is also what a
//! LINKTYPE_MTP3 capture record holds:
//!
//! ```text
//! SIO (1) | routing label (4, ITU) | user part (SIF minus the label)
//! ```
//!
//! Only the ITU-T label format is implemented. The [`Variant`] parameter of
//! [`Msu::decode_variant`] / [`Msu::encode_variant`] is where the ANSI T1.111 format (24-bit
//! point codes, 8-bit SLS, a 7-octet label, and different SNM/SLT layouts) will slot in; point
//! codes are already `u32`-wide for that.
//!
//! The user part of service indicators other than SNM, MTN and MTNS (ISUP, SCCP, ...) is kept as
//! opaque octets: other modules decode it.

use crate::wire::{serialize_hex, DecodeError, EncodeError, Reader};
use serde::Serialize;

mod slt;
mod snm;

pub use slt::{TestMessage, TestPattern};
pub use snm::{is_known_heading, SnmMessage, UnavailabilityCause};

/// Fails with [`EncodeError::OutOfRange`] unless `value` fits in `bits` bits.
pub(crate) fn check_bits(field: &'static str, value: u32, bits: u32) -> Result<(), EncodeError> {
    if value >> bits == 0 {
        Ok(())
    } else {
        Err(EncodeError::OutOfRange { field, value })
    }
}

/// Which national or regional form of MTP3 the octets follow.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Variant {
    /// ITU-T Q.704: 14-bit point codes, 4-bit SLS, a 4-octet routing label.
    #[default]
    Itu,
}

code_enum! {
    /// Network indicator, bits D-C of the sub-service field (Q.704 14.2.2).
    pub enum NetworkIndicator {
        International = 0 => "International",
        /// Spare, for international use only.
        InternationalSpare = 1 => "InternationalSpare",
        National = 2 => "National",
        /// Reserved for national use.
        NationalSpare = 3 => "NationalSpare",
    }
}

code_enum! {
    /// Service indicator, bits D-A of the SIO (Q.704 14.2.1): which user part the MSU is for.
    pub enum ServiceIndicator {
        /// Signalling network management messages.
        Snm = 0 => "SNM",
        /// Signalling network testing and maintenance messages (Q.707).
        Mtn = 1 => "MTN",
        /// Signalling network testing and maintenance special messages.
        Mtns = 2 => "MTNS",
        Sccp = 3 => "SCCP",
        Tup = 4 => "TUP",
        Isup = 5 => "ISUP",
        /// Data user part, call and circuit related messages.
        DupCallCircuit = 6 => "DUP-C",
        /// Data user part, facility registration and cancellation messages.
        DupFacility = 7 => "DUP-F",
        /// Reserved for the MTP testing user part.
        MtpTesting = 8 => "MTP-TUP",
        /// Broadband ISDN user part.
        BroadbandIsup = 9 => "B-ISUP",
        /// Satellite ISDN user part.
        SatelliteIsup = 10 => "S-ISUP",
        /// AAL type 2 signalling (Q.2630).
        Aal2 = 12 => "AAL2",
        /// Bearer independent call control (Q.1901).
        Bicc = 13 => "BICC",
        /// Gateway control protocol (H.248).
        Gcp = 14 => "GCP",
    }
}

/// The service information octet (Q.704 14.2): bits 8-7 network indicator, bits 6-5 spare
/// (a national option uses them for message priority), bits 4-1 service indicator.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Sio {
    pub network_indicator: NetworkIndicator,
    /// Bits 6-5 (0..=3): spare in international networks, message priority in some national
    /// ones. Kept as received.
    pub spare: u8,
    pub service_indicator: ServiceIndicator,
}

impl Sio {
    /// The SIO in an octet.
    pub const fn from_octet(octet: u8) -> Self {
        Sio {
            network_indicator: NetworkIndicator::from_code(octet >> 6),
            spare: (octet >> 4) & 0x03,
            service_indicator: ServiceIndicator::from_code(octet & 0x0F),
        }
    }

    /// The octet of this SIO.
    pub fn to_octet(&self) -> Result<u8, EncodeError> {
        let ni = self.network_indicator.code();
        let si = self.service_indicator.code();
        check_bits("network_indicator", ni.into(), 2)?;
        check_bits("sio_spare", self.spare.into(), 2)?;
        check_bits("service_indicator", si.into(), 4)?;
        Ok((ni << 6) | (self.spare << 4) | si)
    }
}

/// A signalling point code. ITU point codes have 14 bits (Q.704 2.2); the type is wider for
/// the ANSI 24-bit format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct PointCode(pub u32);

impl PointCode {
    /// The largest ITU point code.
    pub const ITU_MAX: u32 = 0x3FFF;
}

impl std::fmt::Display for PointCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The routing label (Q.704 2.2): destination and originating point codes and the signalling
/// link selection field.
///
/// In signalling network management and test messages the SLS position carries the signalling
/// link code (SLC) of the link the message concerns, or 0000 when it concerns none (Q.704 2.2
/// and 15, Q.707 5); [`RoutingLabel::slc`] reads it under that name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct RoutingLabel {
    pub dpc: PointCode,
    pub opc: PointCode,
    pub sls: u8,
}

impl RoutingLabel {
    /// The length of an ITU routing label in octets.
    pub const ITU_LEN: usize = 4;

    /// The signalling link code, which SNM and MTN messages carry where others carry the SLS.
    pub const fn slc(&self) -> u8 {
        self.sls
    }

    /// Reads a label in the format of `variant`.
    pub fn decode(r: &mut Reader<'_>, variant: Variant) -> Result<Self, DecodeError> {
        match variant {
            Variant::Itu => {
                // Q.704 2.2: DPC first, least significant bit first, then OPC, then SLS; as
                // a 32-bit little-endian word: DPC bits 0-13, OPC bits 14-27, SLS bits 28-31.
                let s = r.take(Self::ITU_LEN)?;
                let word = u32::from_le_bytes([s[0], s[1], s[2], s[3]]);
                Ok(RoutingLabel {
                    dpc: PointCode(word & 0x3FFF),
                    opc: PointCode((word >> 14) & 0x3FFF),
                    sls: (word >> 28) as u8,
                })
            }
        }
    }

    /// Appends the label in the format of `variant`.
    pub fn encode(&self, variant: Variant, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match variant {
            Variant::Itu => {
                check_bits("dpc", self.dpc.0, 14)?;
                check_bits("opc", self.opc.0, 14)?;
                check_bits("sls", self.sls.into(), 4)?;
                let word = self.dpc.0 | (self.opc.0 << 14) | (u32::from(self.sls) << 28);
                out.extend_from_slice(&word.to_le_bytes());
                Ok(())
            }
        }
    }
}

/// The user part of an MSU: the SIF after the routing label.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum UserPart {
    /// Service indicator SNM: a signalling network management message (Q.704 15).
    Snm(#[serde(serialize_with = "snm::serialize_with_heading")] SnmMessage),
    /// Service indicator MTN or MTNS: a signalling network test message (Q.707 5).
    Test(#[serde(serialize_with = "slt::serialize_with_heading")] TestMessage),
    /// Any other service indicator (ISUP, SCCP, ...): the octets, undecoded.
    #[serde(rename = "payload")]
    Other(#[serde(serialize_with = "serialize_hex")] Vec<u8>),
}

/// The MTP3 part of an MSU: SIO, routing label and user part.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Msu {
    pub sio: Sio,
    pub label: RoutingLabel,
    #[serde(flatten)]
    pub user_part: UserPart,
}

impl Msu {
    /// The shortest MSU: SIO and an ITU label (a user part may be empty only for raw payloads).
    pub const MIN_LEN: usize = 1 + RoutingLabel::ITU_LEN;

    /// Decodes SIO, ITU routing label and user part: the whole input is the MSU.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_variant(bytes, Variant::Itu)
    }

    /// Decodes an MSU in the format of `variant`.
    pub fn decode_variant(bytes: &[u8], variant: Variant) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let sio = Sio::from_octet(r.u8()?);
        let label = RoutingLabel::decode(&mut r, variant)?;
        let user_part = match sio.service_indicator {
            ServiceIndicator::Snm => UserPart::Snm(SnmMessage::decode(&mut r)?),
            ServiceIndicator::Mtn | ServiceIndicator::Mtns => {
                UserPart::Test(TestMessage::decode(&mut r)?)
            }
            _ => UserPart::Other(r.take_rest().to_vec()),
        };
        r.finish()?;
        Ok(Msu {
            sio,
            label,
            user_part,
        })
    }

    /// Appends the MSU (ITU format).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.encode_variant(Variant::Itu, out)
    }

    /// Appends the MSU in the format of `variant`. The service indicator must agree with the
    /// user part (SNM with [`UserPart::Snm`], MTN/MTNS with [`UserPart::Test`], any other with
    /// [`UserPart::Other`]), so that what is written decodes back to the same value.
    pub fn encode_variant(&self, variant: Variant, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let si = self.sio.service_indicator;
        let agrees = match &self.user_part {
            UserPart::Snm(_) => si == ServiceIndicator::Snm,
            UserPart::Test(_) => matches!(si, ServiceIndicator::Mtn | ServiceIndicator::Mtns),
            UserPart::Other(_) => !matches!(
                si,
                ServiceIndicator::Snm | ServiceIndicator::Mtn | ServiceIndicator::Mtns
            ),
        };
        if !agrees {
            return Err(EncodeError::OutOfRange {
                field: "service_indicator",
                value: si.code().into(),
            });
        }
        let start = out.len();
        let result = (|| {
            out.push(self.sio.to_octet()?);
            self.label.encode(variant, out)?;
            match &self.user_part {
                UserPart::Snm(m) => m.encode(out),
                UserPart::Test(m) => m.encode(out),
                UserPart::Other(data) => {
                    out.extend_from_slice(data);
                    Ok(())
                }
            }
        })();
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// The encoded length in octets.
    pub fn encoded_len(&self) -> usize {
        1 + RoutingLabel::ITU_LEN
            + match &self.user_part {
                UserPart::Snm(m) => m.encoded_len(),
                UserPart::Test(m) => m.encoded_len(),
                UserPart::Other(data) => data.len(),
            }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sio_bits() {
        let sio = Sio::from_octet(0xB5);
        assert_eq!(sio.network_indicator, NetworkIndicator::National);
        assert_eq!(sio.spare, 3);
        assert_eq!(sio.service_indicator, ServiceIndicator::Isup);
        assert_eq!(sio.to_octet(), Ok(0xB5));
        assert_eq!(
            Sio::from_octet(0x0B).service_indicator,
            ServiceIndicator::Unknown(11)
        );
    }

    #[test]
    fn itu_label_packing() {
        // moiji-mobile/stp-bridge tests/mtp/mtp_parse_test.c pkt1: DPC 136, OPC 91, SLS 0.
        let mut r = Reader::new(&[0x88, 0xc0, 0x16, 0x00]);
        let l = RoutingLabel::decode(&mut r, Variant::Itu).unwrap();
        assert_eq!((l.dpc.0, l.opc.0, l.sls), (136, 91, 0));
        let all = RoutingLabel {
            dpc: PointCode(0x3FFF),
            opc: PointCode(0),
            sls: 0xF,
        };
        let mut out = Vec::new();
        all.encode(Variant::Itu, &mut out).unwrap();
        assert_eq!(out, [0xff, 0x3f, 0x00, 0xf0]);
        let too_big = RoutingLabel {
            dpc: PointCode(0x4000),
            ..all
        };
        assert!(too_big.encode(Variant::Itu, &mut out).is_err());
    }

    #[test]
    fn encode_rejects_disagreeing_service_indicator() {
        let msu = Msu {
            sio: Sio::from_octet(0x80),
            label: RoutingLabel {
                dpc: PointCode(1),
                opc: PointCode(2),
                sls: 0,
            },
            user_part: UserPart::Other(vec![1, 2]),
        };
        let mut out = vec![0xAA];
        assert!(msu.encode(&mut out).is_err());
        assert_eq!(out, [0xAA]);
    }
}
