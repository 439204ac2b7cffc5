//! MTP2 signal units (ITU-T Q.703 2), basic format (7-bit sequence numbers).
//!
//! A signal unit between its flags is
//!
//! ```text
//! BSN (7) BIB (1) | FSN (7) FIB (1) | LI (6) spare (2) | SIO + SIF, or status field | CK (16)
//! ```
//!
//! with the bits of each octet sent least significant first (Q.703 2.4). The length indicator
//! tells the three kinds apart (Q.703 2.3.3): 0 fill-in signal unit (FISU), 1 or 2 link status
//! signal unit (LSSU), 3 and more message signal unit (MSU). An MSU whose SIO and SIF are 63
//! octets or longer (a SIF of up to 272 octets, a national option) has LI 63.
//!
//! [`SignalUnit::decode`] takes the signal unit without flags and without the check bits: what
//! the [`crate::hdlc::Deframer`] yields, or what a `frames` link reads once
//! [`crate::hdlc::frames::payload`] has dropped the 2 FCS octets.

use crate::mtp3::{self, check_bits};
use crate::wire::serialize_hex;
use crate::wire::{DecodeError, EncodeError, Reader};
use serde::Serialize;

/// The length of the BSN/BIB, FSN/FIB and LI octets.
pub const HEADER_LEN: usize = 3;
/// The largest SIF: 272 octets (Q.703 2.3).
pub const MAX_SIF_LEN: usize = 272;
/// The largest SIO and SIF together.
pub const MAX_MSU_LEN: usize = 1 + MAX_SIF_LEN;
/// The length indicator of an MSU of 63 or more octets (Q.703 2.3.3).
pub const LI_LONG: u8 = 63;

code_enum! {
    /// The link status indication, bits C-B-A of the status field (Q.703 11.1).
    pub enum LinkStatus {
        /// Status indication "O": out of alignment.
        Sio = 0 => "SIO",
        /// Status indication "N": normal alignment.
        Sin = 1 => "SIN",
        /// Status indication "E": emergency alignment.
        Sie = 2 => "SIE",
        /// Status indication "OS": out of service.
        Sios = 3 => "SIOS",
        /// Status indication "PO": processor outage.
        Sipo = 4 => "SIPO",
        /// Status indication "B": busy.
        Sib = 5 => "SIB",
    }
}

/// The status field of an LSSU (Q.703 11.1): one octet (bits 3-1 the status indication,
/// bits 8-4 spare) or, with LI 2, a second octet whose use the standard leaves open.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct StatusField {
    pub status: LinkStatus,
    /// Bits 8-4 of the first octet (0..=31), spare. Kept as received.
    #[serde(rename = "status_spare")]
    pub spare: u8,
    /// The second octet of a 2-octet status field (LI 2).
    #[serde(rename = "status_extra")]
    pub extra: Option<u8>,
}

impl StatusField {
    /// A 1-octet status field with the spare bits zero.
    pub const fn new(status: LinkStatus) -> Self {
        StatusField {
            status,
            spare: 0,
            extra: None,
        }
    }

    /// The first octet as on the line (what Wireshark shows as `mtp2.sf`).
    pub const fn octet(&self) -> u8 {
        (self.spare << 3) | (self.status.code() & 0x07)
    }
}

/// What a signal unit carries after its header.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "type")]
pub enum Body {
    /// Fill-in signal unit: LI 0, nothing after the header.
    #[serde(rename = "FISU")]
    Fisu,
    /// Link status signal unit: LI 1 or 2.
    #[serde(rename = "LSSU")]
    Lssu(StatusField),
    /// Message signal unit: the SIO and SIF, 3 to 273 octets, passed to MTP3 as they are
    /// (decode them with [`mtp3::Msu::decode`]).
    #[serde(rename = "MSU")]
    Msu {
        #[serde(serialize_with = "serialize_hex")]
        sio_sif: Vec<u8>,
    },
}

/// An MTP2 signal unit without flags and check bits (Q.703 2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignalUnit {
    /// Backward sequence number, 0..=127.
    pub bsn: u8,
    /// Backward indicator bit.
    pub bib: bool,
    /// Forward sequence number, 0..=127.
    pub fsn: u8,
    /// Forward indicator bit.
    pub fib: bool,
    /// The 2 spare bits beside the length indicator (0..=3). Kept as received.
    pub spare: u8,
    pub body: Body,
}

impl SignalUnit {
    /// A fill-in signal unit.
    pub fn fisu(bsn: u8, bib: bool, fsn: u8, fib: bool) -> Self {
        SignalUnit {
            bsn,
            bib,
            fsn,
            fib,
            spare: 0,
            body: Body::Fisu,
        }
    }

    /// A link status signal unit with a 1-octet status field.
    pub fn lssu(bsn: u8, bib: bool, fsn: u8, fib: bool, status: LinkStatus) -> Self {
        SignalUnit {
            body: Body::Lssu(StatusField::new(status)),
            ..Self::fisu(bsn, bib, fsn, fib)
        }
    }

    /// A message signal unit carrying `sio_sif` (SIO, routing label and the rest of the SIF).
    pub fn msu(bsn: u8, bib: bool, fsn: u8, fib: bool, sio_sif: Vec<u8>) -> Self {
        SignalUnit {
            body: Body::Msu { sio_sif },
            ..Self::fisu(bsn, bib, fsn, fib)
        }
    }

    /// The length indicator this signal unit has on the line (Q.703 2.3.3).
    pub fn li(&self) -> u8 {
        match &self.body {
            Body::Fisu => 0,
            Body::Lssu(sf) => 1 + u8::from(sf.extra.is_some()),
            Body::Msu { sio_sif } => sio_sif.len().min(usize::from(LI_LONG)) as u8,
        }
    }

    /// The encoded length in octets (without flags and check bits).
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + match &self.body {
                Body::Fisu => 0,
                Body::Lssu(sf) => 1 + usize::from(sf.extra.is_some()),
                Body::Msu { sio_sif } => sio_sif.len(),
            }
    }

    /// Decodes a signal unit given without flags and check bits. The length indicator must
    /// agree with the length (Q.703 2.3.3): LI 0..=62 the exact number of octets after the
    /// header, LI 63 at least 63; and an MSU holds at most 273 octets.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let b0 = r.u8()?;
        let b1 = r.u8()?;
        let b2 = r.u8()?;
        let li = b2 & 0x3F;
        let rest = r.take_rest();
        let n = rest.len();
        let bad_li = DecodeError::BadLength {
            offset: 2,
            field: "length indicator",
        };
        let agrees = match li {
            0..=62 => n == usize::from(li),
            _ => (usize::from(LI_LONG)..=MAX_MSU_LEN).contains(&n),
        };
        if !agrees {
            return Err(if li == LI_LONG && n > MAX_MSU_LEN {
                DecodeError::Trailing {
                    offset: HEADER_LEN + MAX_MSU_LEN,
                    count: n - MAX_MSU_LEN,
                }
            } else {
                bad_li
            });
        }
        let body = match (li, rest) {
            (0, _) => Body::Fisu,
            (1, [sf]) | (2, [sf, _]) => Body::Lssu(StatusField {
                status: LinkStatus::from_code(sf & 0x07),
                spare: sf >> 3,
                extra: rest.get(1).copied(),
            }),
            (1 | 2, _) => return Err(bad_li),
            _ => Body::Msu {
                sio_sif: rest.to_vec(),
            },
        };
        Ok(SignalUnit {
            bsn: b0 & 0x7F,
            bib: b0 & 0x80 != 0,
            fsn: b1 & 0x7F,
            fib: b1 & 0x80 != 0,
            spare: b2 >> 6,
            body,
        })
    }

    /// Appends the signal unit (without flags and check bits).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        check_bits("bsn", self.bsn.into(), 7)?;
        check_bits("fsn", self.fsn.into(), 7)?;
        check_bits("spare", self.spare.into(), 2)?;
        match &self.body {
            Body::Fisu => {}
            Body::Lssu(sf) => {
                check_bits("status", sf.status.code().into(), 3)?;
                check_bits("status_spare", sf.spare.into(), 5)?;
            }
            Body::Msu { sio_sif } => {
                if sio_sif.len() < 3 {
                    return Err(EncodeError::OutOfRange {
                        field: "MSU length",
                        value: sio_sif.len() as u32,
                    });
                }
                if sio_sif.len() > MAX_MSU_LEN {
                    return Err(EncodeError::TooLong {
                        field: "SIO and SIF",
                        len: sio_sif.len(),
                        max: MAX_MSU_LEN,
                    });
                }
            }
        }
        out.reserve(self.encoded_len());
        out.push(self.bsn | (u8::from(self.bib) << 7));
        out.push(self.fsn | (u8::from(self.fib) << 7));
        out.push(self.li() | (self.spare << 6));
        match &self.body {
            Body::Fisu => {}
            Body::Lssu(sf) => {
                out.push(sf.octet());
                out.extend(sf.extra);
            }
            Body::Msu { sio_sif } => out.extend_from_slice(sio_sif),
        }
        Ok(())
    }

    /// The MTP3 part of an MSU, decoded (ITU format); `None` for FISUs and LSSUs.
    pub fn mtp3(&self) -> Option<Result<mtp3::Msu, DecodeError>> {
        match &self.body {
            Body::Msu { sio_sif } => {
                Some(mtp3::Msu::decode(sio_sif).map_err(|e| e.shifted(HEADER_LEN)))
            }
            _ => None,
        }
    }
}

/// JSON of `sipt-mgc decode mtp2`: the header fields, the length indicator, the kind (`type`)
/// with its fields, and for an MSU the MTP3 part decoded (`mtp3`, or `mtp3_error`).
impl Serialize for SignalUnit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct View<'a> {
            bsn: u8,
            bib: u8,
            fsn: u8,
            fib: u8,
            li: u8,
            spare: u8,
            #[serde(flatten)]
            body: &'a Body,
            #[serde(skip_serializing_if = "Option::is_none")]
            mtp3: Option<mtp3::Msu>,
            #[serde(skip_serializing_if = "Option::is_none")]
            mtp3_error: Option<String>,
        }
        let (mtp3, mtp3_error) = match self.mtp3() {
            None => (None, None),
            Some(Ok(m)) => (Some(m), None),
            Some(Err(e)) => (None, Some(e.to_string())),
        };
        View {
            bsn: self.bsn,
            bib: u8::from(self.bib),
            fsn: self.fsn,
            fib: u8::from(self.fib),
            li: self.li(),
            spare: self.spare,
            body: &self.body,
            mtp3,
            mtp3_error,
        }
        .serialize(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8]) -> SignalUnit {
        let su = SignalUnit::decode(bytes).unwrap();
        let mut out = Vec::new();
        su.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(su.encoded_len(), bytes.len());
        su
    }

    #[test]
    fn kinds() {
        assert_eq!(
            roundtrip(&[0x81, 0x82, 0x00]),
            SignalUnit::fisu(1, true, 2, true)
        );
        assert_eq!(
            roundtrip(&[0xff, 0xff, 0x01, 0x03]),
            SignalUnit::lssu(127, true, 127, true, LinkStatus::Sios)
        );
        let two = roundtrip(&[0x00, 0x00, 0xc2, 0xfe, 0x99]);
        assert_eq!(two.spare, 3);
        assert_eq!(
            two.body,
            Body::Lssu(StatusField {
                status: LinkStatus::Unknown(6),
                spare: 31,
                extra: Some(0x99)
            })
        );
        let msu = roundtrip(&[0x05, 0x86, 0x03, 0x85, 0x01, 0x02]);
        assert_eq!(msu.li(), 3);
        let mut long = vec![0x01, 0x02, 0x3f];
        long.extend(std::iter::repeat_n(0x55, MAX_MSU_LEN));
        assert_eq!(roundtrip(&long).li(), 63);
    }

    #[test]
    fn length_indicator_must_agree() {
        for bad in [
            &[0x81, 0x82, 0x00, 0x00][..],
            &[0x81, 0x82, 0x01],
            &[0x81, 0x82, 0x02, 0x03],
            &[0x81, 0x82, 0x03, 0x85, 0x01],
            &[0x81, 0x82, 0x04, 0x85, 0x01, 0x02],
        ] {
            assert_eq!(
                SignalUnit::decode(bad),
                Err(DecodeError::BadLength {
                    offset: 2,
                    field: "length indicator"
                }),
                "{bad:02x?}"
            );
        }
        let mut li63_short = vec![0x01, 0x02, 0x3f];
        li63_short.extend([0u8; 62]);
        assert!(SignalUnit::decode(&li63_short).is_err());
        let mut too_long = vec![0x01, 0x02, 0x3f];
        too_long.extend([0u8; MAX_MSU_LEN + 1]);
        assert_eq!(
            SignalUnit::decode(&too_long),
            Err(DecodeError::Trailing {
                offset: 276,
                count: 1
            })
        );
        assert_eq!(
            SignalUnit::decode(&[0x81]),
            Err(DecodeError::Truncated { offset: 1, need: 1 })
        );
    }

    #[test]
    fn encode_checks_ranges() {
        let mut out = Vec::new();
        assert!(SignalUnit::fisu(128, false, 0, false)
            .encode(&mut out)
            .is_err());
        assert!(SignalUnit::msu(0, false, 0, false, vec![1, 2])
            .encode(&mut out)
            .is_err());
        assert!(SignalUnit::msu(0, false, 0, false, vec![0; 274])
            .encode(&mut out)
            .is_err());
        assert!(SignalUnit::lssu(0, false, 0, false, LinkStatus::Unknown(8))
            .encode(&mut out)
            .is_err());
        assert!(out.is_empty());
    }
}
