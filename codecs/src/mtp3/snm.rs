//! Signalling network management messages (Q.704 15), ITU format: the heading octet (H0, the
//! message group, in bits 4-1; H1, the message, in bits 8-5) and the message's fields.
//!
//! Messages that name a signalling link (changeover, changeback, emergency changeover,
//! inhibiting) carry its SLC in the SLS position of the routing label (Q.704 2.2, 15); see
//! [`super::RoutingLabel::slc`].

use super::{check_bits, PointCode, ServiceIndicator};
use crate::wire::serialize_hex;
use crate::wire::{DecodeError, EncodeError, Reader};
use serde::Serialize;

code_enum! {
    /// The unavailability cause of a UPU message (Q.704 15).
    pub enum UnavailabilityCause {
        UnknownCause = 0 => "unknown",
        UnequippedRemoteUser = 1 => "unequipped remote user",
        InaccessibleRemoteUser = 2 => "inaccessible remote user",
    }
}

/// A signalling network management message (service indicator SNM). Fields are as the ITU
/// format of Q.704 15 lays them out, spare bits included so that encoding gives the received
/// octets back.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "message")]
pub enum SnmMessage {
    /// Changeover order (H0 0001, H1 0001): FSN of the last accepted MSU, 7 bits, and a spare
    /// bit (Q.704 15, changeover messages).
    #[serde(rename = "COO")]
    Coo { fsn: u8, spare: u8 },
    /// Changeover acknowledgement (H0 0001, H1 0010), the COO layout.
    #[serde(rename = "COA")]
    Coa { fsn: u8, spare: u8 },
    /// Extended changeover order (H0 0001, H1 0011): a 24-bit FSN, for links with the extended
    /// sequence numbers of Q.703 Annex A.
    #[serde(rename = "XCO")]
    Xco { fsn: u32 },
    /// Extended changeover acknowledgement (H0 0001, H1 0100).
    #[serde(rename = "XCA")]
    Xca { fsn: u32 },
    /// Changeback declaration (H0 0001, H1 0101): the changeback code (Q.704 15, changeback messages).
    #[serde(rename = "CBD")]
    Cbd { changeback_code: u8 },
    /// Changeback acknowledgement (H0 0001, H1 0110).
    #[serde(rename = "CBA")]
    Cba { changeback_code: u8 },
    /// Emergency changeover order (H0 0010, H1 0001); no fields.
    #[serde(rename = "ECO")]
    Eco,
    /// Emergency changeover acknowledgement (H0 0010, H1 0010).
    #[serde(rename = "ECA")]
    Eca,
    /// Signalling-route-set-congestion-test (H0 0011, H1 0001); no fields.
    #[serde(rename = "RCT")]
    Rct,
    /// Transfer-controlled (H0 0011, H1 0010): the destination and 2 bits that are spare
    /// internationally and carry the congestion status as a national option.
    #[serde(rename = "TFC")]
    Tfc { destination: PointCode, status: u8 },
    /// Transfer-prohibited (H0 0100, H1 0001): the destination, 14 bits, and 2 spare bits.
    #[serde(rename = "TFP")]
    Tfp { destination: PointCode, spare: u8 },
    /// Transfer-restricted (H0 0100, H1 0011), a national option; the TFP layout.
    #[serde(rename = "TFR")]
    Tfr { destination: PointCode, spare: u8 },
    /// Transfer-allowed (H0 0100, H1 0101); the TFP layout.
    #[serde(rename = "TFA")]
    Tfa { destination: PointCode, spare: u8 },
    /// Signalling-route-set-test for a prohibited destination (H0 0101, H1 0001).
    #[serde(rename = "RST")]
    Rst { destination: PointCode, spare: u8 },
    /// Signalling-route-set-test for a restricted destination (H0 0101, H1 0010).
    #[serde(rename = "RSR")]
    Rsr { destination: PointCode, spare: u8 },
    /// Link inhibit (H0 0110, H1 0001); no fields.
    #[serde(rename = "LIN")]
    Lin,
    /// Link uninhibit (H0 0110, H1 0010).
    #[serde(rename = "LUN")]
    Lun,
    /// Link inhibit acknowledgement (H0 0110, H1 0011).
    #[serde(rename = "LIA")]
    Lia,
    /// Link uninhibit acknowledgement (H0 0110, H1 0100).
    #[serde(rename = "LUA")]
    Lua,
    /// Link inhibit denied (H0 0110, H1 0101).
    #[serde(rename = "LID")]
    Lid,
    /// Link forced uninhibit (H0 0110, H1 0110).
    #[serde(rename = "LFU")]
    Lfu,
    /// Link local inhibit test (H0 0110, H1 0111).
    #[serde(rename = "LLT")]
    Llt,
    /// Link remote inhibit test (H0 0110, H1 1000).
    #[serde(rename = "LRT")]
    Lrt,
    /// Traffic restart allowed (H0 0111, H1 0001); no fields.
    #[serde(rename = "TRA")]
    Tra,
    /// Signalling-data-link-connection order (H0 1000, H1 0001): the signalling data link
    /// identity, 12 bits, and 4 spare bits.
    #[serde(rename = "DLC")]
    Dlc { link: u16, spare: u8 },
    /// Connection successful (H0 1000, H1 0010).
    #[serde(rename = "CSS")]
    Css,
    /// Connection not successful (H0 1000, H1 0011).
    #[serde(rename = "CNS")]
    Cns,
    /// Connection not possible (H0 1000, H1 0100).
    #[serde(rename = "CNP")]
    Cnp,
    /// User part unavailable (H0 1010, H1 0001): the destination, 2 spare bits, the user part
    /// (a service indicator) and the unavailability cause.
    #[serde(rename = "UPU")]
    Upu {
        destination: PointCode,
        spare: u8,
        user_part: ServiceIndicator,
        cause: UnavailabilityCause,
    },
    /// Any other heading code (spare, national, or an ANSI-only message): the octets after the
    /// heading, undecoded. The heading must not be one of the codes above.
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

/// Heading codes (H0, H1) of the messages with a variant above.
const KNOWN: &[(u8, u8)] = &[
    (1, 1),
    (1, 2),
    (1, 3),
    (1, 4),
    (1, 5),
    (1, 6),
    (2, 1),
    (2, 2),
    (3, 1),
    (3, 2),
    (4, 1),
    (4, 3),
    (4, 5),
    (5, 1),
    (5, 2),
    (6, 1),
    (6, 2),
    (6, 3),
    (6, 4),
    (6, 5),
    (6, 6),
    (6, 7),
    (6, 8),
    (7, 1),
    (8, 1),
    (8, 2),
    (8, 3),
    (8, 4),
    (10, 1),
];

/// Whether (H0, H1) is the heading of a message that decodes to a named [`SnmMessage`] variant.
pub fn is_known_heading(h0: u8, h1: u8) -> bool {
    KNOWN.contains(&(h0, h1))
}

fn read_destination(r: &mut Reader<'_>) -> Result<(PointCode, u8), DecodeError> {
    let v = r.u16_le()?;
    Ok((PointCode(u32::from(v & 0x3FFF)), (v >> 14) as u8))
}

fn write_destination(
    out: &mut Vec<u8>,
    destination: PointCode,
    top: u8,
    top_name: &'static str,
) -> Result<(), EncodeError> {
    check_bits("destination", destination.0, 14)?;
    check_bits(top_name, top.into(), 2)?;
    let v = (destination.0 as u16) | (u16::from(top) << 14);
    out.extend_from_slice(&v.to_le_bytes());
    Ok(())
}

impl SnmMessage {
    /// The heading codes (H0, H1) of this message.
    pub fn heading(&self) -> (u8, u8) {
        use SnmMessage::*;
        match self {
            Coo { .. } => (1, 1),
            Coa { .. } => (1, 2),
            Xco { .. } => (1, 3),
            Xca { .. } => (1, 4),
            Cbd { .. } => (1, 5),
            Cba { .. } => (1, 6),
            Eco => (2, 1),
            Eca => (2, 2),
            Rct => (3, 1),
            Tfc { .. } => (3, 2),
            Tfp { .. } => (4, 1),
            Tfr { .. } => (4, 3),
            Tfa { .. } => (4, 5),
            Rst { .. } => (5, 1),
            Rsr { .. } => (5, 2),
            Lin => (6, 1),
            Lun => (6, 2),
            Lia => (6, 3),
            Lua => (6, 4),
            Lid => (6, 5),
            Lfu => (6, 6),
            Llt => (6, 7),
            Lrt => (6, 8),
            Tra => (7, 1),
            Dlc { .. } => (8, 1),
            Css => (8, 2),
            Cns => (8, 3),
            Cnp => (8, 4),
            Upu { .. } => (10, 1),
            Other { h0, h1, .. } => (*h0, *h1),
        }
    }

    /// The message's acronym (`None` for [`SnmMessage::Other`]).
    pub fn acronym(&self) -> Option<&'static str> {
        use SnmMessage::*;
        Some(match self {
            Coo { .. } => "COO",
            Coa { .. } => "COA",
            Xco { .. } => "XCO",
            Xca { .. } => "XCA",
            Cbd { .. } => "CBD",
            Cba { .. } => "CBA",
            Eco => "ECO",
            Eca => "ECA",
            Rct => "RCT",
            Tfc { .. } => "TFC",
            Tfp { .. } => "TFP",
            Tfr { .. } => "TFR",
            Tfa { .. } => "TFA",
            Rst { .. } => "RST",
            Rsr { .. } => "RSR",
            Lin => "LIN",
            Lun => "LUN",
            Lia => "LIA",
            Lua => "LUA",
            Lid => "LID",
            Lfu => "LFU",
            Llt => "LLT",
            Lrt => "LRT",
            Tra => "TRA",
            Dlc { .. } => "DLC",
            Css => "CSS",
            Cns => "CNS",
            Cnp => "CNP",
            Upu { .. } => "UPU",
            Other { .. } => return None,
        })
    }

    /// Decodes a message from its heading octet on; reads exactly the message's fields (the
    /// caller checks that nothing follows).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        use SnmMessage::*;
        let heading = r.u8()?;
        let (h0, h1) = (heading & 0x0F, heading >> 4);
        Ok(match (h0, h1) {
            (1, 1) | (1, 2) => {
                let b = r.u8()?;
                let (fsn, spare) = (b & 0x7F, b >> 7);
                if h1 == 1 {
                    Coo { fsn, spare }
                } else {
                    Coa { fsn, spare }
                }
            }
            (1, 3) | (1, 4) => {
                let s = r.take(3)?;
                let fsn = u32::from_le_bytes([s[0], s[1], s[2], 0]);
                if h1 == 3 {
                    Xco { fsn }
                } else {
                    Xca { fsn }
                }
            }
            (1, 5) => Cbd {
                changeback_code: r.u8()?,
            },
            (1, 6) => Cba {
                changeback_code: r.u8()?,
            },
            (2, 1) => Eco,
            (2, 2) => Eca,
            (3, 1) => Rct,
            (3, 2) => {
                let (destination, status) = read_destination(r)?;
                Tfc {
                    destination,
                    status,
                }
            }
            (4, 1) | (4, 3) | (4, 5) | (5, 1) | (5, 2) => {
                let (destination, spare) = read_destination(r)?;
                match (h0, h1) {
                    (4, 1) => Tfp { destination, spare },
                    (4, 3) => Tfr { destination, spare },
                    (4, _) => Tfa { destination, spare },
                    (_, 1) => Rst { destination, spare },
                    _ => Rsr { destination, spare },
                }
            }
            (6, 1) => Lin,
            (6, 2) => Lun,
            (6, 3) => Lia,
            (6, 4) => Lua,
            (6, 5) => Lid,
            (6, 6) => Lfu,
            (6, 7) => Llt,
            (6, 8) => Lrt,
            (7, 1) => Tra,
            (8, 1) => {
                let v = r.u16_le()?;
                Dlc {
                    link: v & 0x0FFF,
                    spare: (v >> 12) as u8,
                }
            }
            (8, 2) => Css,
            (8, 3) => Cns,
            (8, 4) => Cnp,
            (10, 1) => {
                let (destination, spare) = read_destination(r)?;
                let b = r.u8()?;
                Upu {
                    destination,
                    spare,
                    user_part: ServiceIndicator::from_code(b & 0x0F),
                    cause: UnavailabilityCause::from_code(b >> 4),
                }
            }
            _ => Other {
                h0,
                h1,
                data: r.take_rest().to_vec(),
            },
        })
    }

    /// Appends the message from its heading octet on.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use SnmMessage::*;
        let (h0, h1) = self.heading();
        if let Other { .. } = self {
            check_bits("h0", h0.into(), 4)?;
            check_bits("h1", h1.into(), 4)?;
            if is_known_heading(h0, h1) {
                return Err(EncodeError::OutOfRange {
                    field: "snm_heading",
                    value: u32::from(h0 | (h1 << 4)),
                });
            }
        }
        let start = out.len();
        out.push(h0 | (h1 << 4));
        let result = match self {
            Coo { fsn, spare } | Coa { fsn, spare } => check_bits("fsn", (*fsn).into(), 7)
                .and_then(|()| check_bits("spare", (*spare).into(), 1))
                .map(|()| out.push(fsn | (spare << 7))),
            Xco { fsn } | Xca { fsn } => {
                check_bits("fsn", *fsn, 24).map(|()| out.extend_from_slice(&fsn.to_le_bytes()[..3]))
            }
            Cbd { changeback_code } | Cba { changeback_code } => {
                out.push(*changeback_code);
                Ok(())
            }
            Tfc {
                destination,
                status,
            } => write_destination(out, *destination, *status, "status"),
            Tfp { destination, spare }
            | Tfr { destination, spare }
            | Tfa { destination, spare }
            | Rst { destination, spare }
            | Rsr { destination, spare } => write_destination(out, *destination, *spare, "spare"),
            Dlc { link, spare } => check_bits("link", (*link).into(), 12)
                .and_then(|()| check_bits("spare", (*spare).into(), 4))
                .map(|()| out.extend_from_slice(&(link | (u16::from(*spare) << 12)).to_le_bytes())),
            Upu {
                destination,
                spare,
                user_part,
                cause,
            } => write_destination(out, *destination, *spare, "spare").and_then(|()| {
                check_bits("user_part", user_part.code().into(), 4)?;
                check_bits("cause", cause.code().into(), 4)?;
                out.push(user_part.code() | (cause.code() << 4));
                Ok(())
            }),
            Other { data, .. } => {
                out.extend_from_slice(data);
                Ok(())
            }
            Eco | Eca | Rct | Lin | Lun | Lia | Lua | Lid | Lfu | Llt | Lrt | Tra | Css | Cns
            | Cnp => Ok(()),
        };
        if result.is_err() {
            out.truncate(start);
        }
        result
    }

    /// The encoded length in octets, heading included.
    pub fn encoded_len(&self) -> usize {
        use SnmMessage::*;
        1 + match self {
            Coo { .. } | Coa { .. } | Cbd { .. } | Cba { .. } => 1,
            Xco { .. } | Xca { .. } | Upu { .. } => 3,
            Tfc { .. } | Tfp { .. } | Tfr { .. } | Tfa { .. } | Rst { .. } | Rsr { .. } => 2,
            Dlc { .. } => 2,
            Other { data, .. } => data.len(),
            Eco | Eca | Rct | Lin | Lun | Lia | Lua | Lid | Lfu | Llt | Lrt | Tra | Css | Cns
            | Cnp => 0,
        }
    }
}

/// Serializes an SNM message with its heading codes first: `{"h0":1,"h1":1,"message":"COO",..}`.
pub(crate) fn serialize_with_heading<S: serde::Serializer>(
    m: &SnmMessage,
    s: S,
) -> Result<S::Ok, S::Error> {
    #[derive(Serialize)]
    struct View<'a> {
        h0: u8,
        h1: u8,
        #[serde(flatten)]
        message: &'a SnmMessage,
    }
    let (h0, h1) = m.heading();
    View { h0, h1, message: m }.serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn roundtrip(bytes: &[u8]) -> SnmMessage {
        let mut r = Reader::new(bytes);
        let m = SnmMessage::decode(&mut r).unwrap();
        assert!(r.finish().is_ok(), "{m:?} left {:02x?}", r.rest());
        let mut out = Vec::new();
        m.encode(&mut out).unwrap();
        assert_eq!(out, bytes);
        assert_eq!(m.encoded_len(), bytes.len());
        m
    }

    #[test]
    fn layouts() {
        assert_eq!(
            roundtrip(&[0x11, 0xaa]),
            SnmMessage::Coo {
                fsn: 0x2a,
                spare: 1
            }
        );
        assert_eq!(
            roundtrip(&[0x31, 0x00, 0x07, 0x00]),
            SnmMessage::Xco { fsn: 1792 }
        );
        assert_eq!(
            roundtrip(&[0x51, 0x0a]),
            SnmMessage::Cbd {
                changeback_code: 10
            }
        );
        assert_eq!(
            roundtrip(&[0x14, 0x56, 0x00]),
            SnmMessage::Tfp {
                destination: PointCode(86),
                spare: 0
            }
        );
        assert_eq!(
            roundtrip(&[0x1a, 0x34, 0xd2, 0x25]),
            SnmMessage::Upu {
                destination: PointCode(0x1234),
                spare: 3,
                user_part: ServiceIndicator::Isup,
                cause: UnavailabilityCause::InaccessibleRemoteUser,
            }
        );
        assert_eq!(roundtrip(&[0x17]), SnmMessage::Tra);
        assert_eq!(
            roundtrip(&[0x29, 1, 2]),
            SnmMessage::Other {
                h0: 9,
                h1: 2,
                data: vec![1, 2]
            }
        );
        let mut r = Reader::new(&[0x11]);
        assert_eq!(
            SnmMessage::decode(&mut r),
            Err(DecodeError::Truncated { offset: 1, need: 1 })
        );
    }

    #[test]
    fn other_may_not_take_a_known_heading() {
        let m = SnmMessage::Other {
            h0: 1,
            h1: 1,
            data: vec![0],
        };
        assert!(m.encode(&mut Vec::new()).is_err());
        let known = SnmMessage::Eco;
        assert_eq!(known.heading(), (2, 1));
        assert!(is_known_heading(2, 1));
    }
}
