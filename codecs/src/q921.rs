//! Q.921 (LAPD) frames: address field, control field (modulo 128, as LAPD uses for
//! multiple-frame operation) and the information field kept raw.
//!
//! The input of [`Frame::decode`] is the frame between the flags without its FCS: what the
//! `frames` transport hands up after dropping the 2 trailing octets (DESIGN.md, link transports).
//!
//! Every successfully decoded frame encodes back to the same octets: the decoder rejects what
//! the typed form cannot hold (an address field whose EA bits are not 0/1, Q.921 3.3.1) and
//! keeps everything else, including unknown control field values and information fields on
//! frames that should not carry one.

use serde::Serialize;

use crate::wire::{DecodeError, EncodeError, Reader};

/// SAPI of call control procedures (Q.921 3.3.3, table 2).
pub const SAPI_CALL_CONTROL: u8 = 0;
/// SAPI of layer 2 management procedures (TEI assignment).
pub const SAPI_MANAGEMENT: u8 = 63;
/// The group TEI, used by broadcast data links (Q.921 3.3.4.1).
pub const TEI_GROUP: u8 = 127;

/// Which side of the interface sent a frame: the C/R bit is read against it (Q.921 3.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    User,
    Network,
}

impl Role {
    /// The other side.
    pub fn peer(self) -> Role {
        match self {
            Role::User => Role::Network,
            Role::Network => Role::User,
        }
    }
}

/// Command or response (Q.921 3.3.2, table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandResponse {
    Command,
    Response,
}

/// The address field (Q.921 3.3, figure 5): SAPI, C/R, TEI; EA bits 0 then 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Address {
    /// Service access point identifier, 6 bits.
    pub sapi: u8,
    /// The command/response bit as on the wire.
    pub cr: bool,
    /// Terminal endpoint identifier, 7 bits.
    pub tei: u8,
}

impl Address {
    /// The address of a command or a response sent by `sender` (Q.921 3.3.2, table 1:
    /// commands carry C/R = 1 from the network side and 0 from the user side; responses the
    /// reverse).
    pub fn new(sapi: u8, tei: u8, sender: Role, kind: CommandResponse) -> Address {
        Address {
            sapi,
            tei,
            cr: cr_bit(sender, kind),
        }
    }

    /// Whether a frame with this address, sent by `sender`, is a command or a response.
    pub fn command_response(&self, sender: Role) -> CommandResponse {
        match (sender, self.cr) {
            (Role::Network, true) | (Role::User, false) => CommandResponse::Command,
            (Role::Network, false) | (Role::User, true) => CommandResponse::Response,
        }
    }

    fn decode(r: &mut Reader<'_>) -> Result<Address, DecodeError> {
        let off = r.offset();
        let a1 = r.u8()?;
        let a2 = r.u8()?;
        // Q.921 3.3.1: EA = 0 in the first octet, 1 in the second (two-octet address).
        if a1 & 0x01 != 0 || a2 & 0x01 != 1 {
            return Err(DecodeError::Invalid {
                offset: off,
                field: "address field extension (EA) bits",
                value: u32::from(u16::from_be_bytes([a1, a2])),
            });
        }
        Ok(Address {
            sapi: a1 >> 2,
            cr: a1 & 0x02 != 0,
            tei: a2 >> 1,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.sapi > 63 {
            return Err(EncodeError::OutOfRange {
                field: "SAPI",
                value: u32::from(self.sapi),
            });
        }
        if self.tei > 127 {
            return Err(EncodeError::OutOfRange {
                field: "TEI",
                value: u32::from(self.tei),
            });
        }
        out.push(self.sapi << 2 | u8::from(self.cr) << 1);
        out.push(self.tei << 1 | 1);
        Ok(())
    }
}

/// The C/R bit of a command or response sent by `sender` (Q.921 3.3.2, table 1).
pub fn cr_bit(sender: Role, kind: CommandResponse) -> bool {
    matches!(
        (sender, kind),
        (Role::Network, CommandResponse::Command) | (Role::User, CommandResponse::Response)
    )
}

/// Supervisory functions (Q.921 3.4.2, table 5, modulo 128): the whole first control octet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SupervisoryFunction {
    /// Receive ready, `0000 0001`.
    Rr,
    /// Receive not ready, `0000 0101`.
    Rnr,
    /// Reject, `0000 1001`.
    Rej,
    /// Any other first octet ending in `01` (kept whole).
    Unknown(u8),
}

impl SupervisoryFunction {
    fn from_octet(o: u8) -> Self {
        match o {
            0x01 => Self::Rr,
            0x05 => Self::Rnr,
            0x09 => Self::Rej,
            o => Self::Unknown(o),
        }
    }
    /// The first control octet.
    pub fn octet(self) -> u8 {
        match self {
            Self::Rr => 0x01,
            Self::Rnr => 0x05,
            Self::Rej => 0x09,
            Self::Unknown(o) => o,
        }
    }
    /// The acronym of Q.921.
    pub fn name(self) -> &'static str {
        match self {
            Self::Rr => "RR",
            Self::Rnr => "RNR",
            Self::Rej => "REJ",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl Serialize for SupervisoryFunction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unknown(o) => s.serialize_u8(*o),
            f => s.serialize_str(f.name()),
        }
    }
}

/// Unnumbered functions (Q.921 3.4.2, table 5): the control octet without its P/F bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnnumberedFunction {
    /// Set asynchronous balanced mode extended, `011P 1111`.
    Sabme,
    /// Disconnected mode, `000F 1111`.
    Dm,
    /// Unnumbered information, `000P 0011`.
    Ui,
    /// Disconnect, `010P 0011`.
    Disc,
    /// Unnumbered acknowledgement, `011F 0011`.
    Ua,
    /// Frame reject, `100F 0111`.
    Frmr,
    /// Exchange identification, `101P 1111`.
    Xid,
    /// Any other modifier (the octet with the P/F bit cleared).
    Unknown(u8),
}

impl UnnumberedFunction {
    fn from_octet(o: u8) -> Self {
        match o & !0x10 {
            0x6f => Self::Sabme,
            0x0f => Self::Dm,
            0x03 => Self::Ui,
            0x43 => Self::Disc,
            0x63 => Self::Ua,
            0x87 => Self::Frmr,
            0xaf => Self::Xid,
            o => Self::Unknown(o),
        }
    }
    /// The control octet with P/F = 0.
    pub fn octet(self) -> u8 {
        match self {
            Self::Sabme => 0x6f,
            Self::Dm => 0x0f,
            Self::Ui => 0x03,
            Self::Disc => 0x43,
            Self::Ua => 0x63,
            Self::Frmr => 0x87,
            Self::Xid => 0xaf,
            Self::Unknown(o) => o,
        }
    }
    /// The acronym of Q.921.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sabme => "SABME",
            Self::Dm => "DM",
            Self::Ui => "UI",
            Self::Disc => "DISC",
            Self::Ua => "UA",
            Self::Frmr => "FRMR",
            Self::Xid => "XID",
            Self::Unknown(_) => "unknown",
        }
    }
}

impl Serialize for UnnumberedFunction {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Unknown(o) => s.serialize_u8(*o),
            f => s.serialize_str(f.name()),
        }
    }
}

/// The control field (Q.921 3.4, table 4, modulo 128).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "frame_type")]
pub enum Control {
    /// Information transfer format: N(S), N(R), P.
    #[serde(rename = "I")]
    I { n_s: u8, n_r: u8, p: bool },
    /// Supervisory format: function, N(R), P/F.
    #[serde(rename = "S")]
    S {
        function: SupervisoryFunction,
        n_r: u8,
        pf: bool,
    },
    /// Unnumbered format: function (modifier bits), P/F.
    #[serde(rename = "U")]
    U {
        function: UnnumberedFunction,
        pf: bool,
    },
}

impl Control {
    fn decode(r: &mut Reader<'_>) -> Result<Control, DecodeError> {
        let c1 = r.u8()?;
        if c1 & 0x01 == 0 {
            let c2 = r.u8()?;
            Ok(Control::I {
                n_s: c1 >> 1,
                n_r: c2 >> 1,
                p: c2 & 1 != 0,
            })
        } else if c1 & 0x03 == 0x01 {
            let c2 = r.u8()?;
            Ok(Control::S {
                function: SupervisoryFunction::from_octet(c1),
                n_r: c2 >> 1,
                pf: c2 & 1 != 0,
            })
        } else {
            Ok(Control::U {
                function: UnnumberedFunction::from_octet(c1),
                pf: c1 & 0x10 != 0,
            })
        }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let seq = |field, v: u8| {
            if v > 127 {
                Err(EncodeError::OutOfRange {
                    field,
                    value: u32::from(v),
                })
            } else {
                Ok(v)
            }
        };
        match *self {
            Control::I { n_s, n_r, p } => {
                out.push(seq("N(S)", n_s)? << 1);
                out.push(seq("N(R)", n_r)? << 1 | u8::from(p));
            }
            Control::S { function, n_r, pf } => {
                let o = function.octet();
                if o & 0x03 != 0x01 {
                    return Err(EncodeError::OutOfRange {
                        field: "supervisory function",
                        value: u32::from(o),
                    });
                }
                out.push(o);
                out.push(seq("N(R)", n_r)? << 1 | u8::from(pf));
            }
            Control::U { function, pf } => {
                let o = function.octet();
                if o & 0x03 != 0x03 || o & 0x10 != 0 {
                    return Err(EncodeError::OutOfRange {
                        field: "unnumbered function",
                        value: u32::from(o),
                    });
                }
                out.push(o | u8::from(pf) << 4);
            }
        }
        Ok(())
    }

    /// The poll/final bit.
    pub fn poll_final(&self) -> bool {
        match *self {
            Control::I { p, .. } => p,
            Control::S { pf, .. } | Control::U { pf, .. } => pf,
        }
    }
}

/// A LAPD frame without flags and FCS (Q.921 2.1, figure 3).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Frame {
    pub address: Address,
    pub control: Control,
    /// The information field (I, UI, FRMR, XID frames; kept for any frame that has one).
    #[serde(serialize_with = "crate::wire::serialize_hex")]
    pub information: Vec<u8>,
}

impl Frame {
    /// Decodes a frame (address, control, information), without flags and FCS.
    pub fn decode(buf: &[u8]) -> Result<Frame, DecodeError> {
        let mut r = Reader::new(buf);
        let address = Address::decode(&mut r)?;
        let control = Control::decode(&mut r)?;
        Ok(Frame {
            address,
            control,
            information: r.take_rest().to_vec(),
        })
    }

    /// Appends the frame's octets (no flags, no FCS).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        self.address.encode(out)?;
        self.control.encode(out)?;
        out.extend_from_slice(&self.information);
        Ok(())
    }

    /// The frame's octets in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::with_capacity(4 + self.information.len());
        self.encode(&mut v)?;
        Ok(v)
    }

    /// Whether this frame, sent by `sender`, is a command or a response (Q.921 3.3.2).
    pub fn command_response(&self, sender: Role) -> CommandResponse {
        self.address.command_response(sender)
    }

    /// An I frame (always a command, Q.921 3.6.2) carrying `information`.
    pub fn i(
        sapi: u8,
        tei: u8,
        sender: Role,
        n_s: u8,
        n_r: u8,
        p: bool,
        information: Vec<u8>,
    ) -> Frame {
        Frame {
            address: Address::new(sapi, tei, sender, CommandResponse::Command),
            control: Control::I { n_s, n_r, p },
            information,
        }
    }

    /// A supervisory frame.
    pub fn s(
        sapi: u8,
        tei: u8,
        sender: Role,
        kind: CommandResponse,
        function: SupervisoryFunction,
        n_r: u8,
        pf: bool,
    ) -> Frame {
        Frame {
            address: Address::new(sapi, tei, sender, kind),
            control: Control::S { function, n_r, pf },
            information: Vec::new(),
        }
    }

    /// An unnumbered frame (SABME, DISC, UI and XID commands; UA, DM, FRMR and XID responses).
    pub fn u(
        sapi: u8,
        tei: u8,
        sender: Role,
        kind: CommandResponse,
        function: UnnumberedFunction,
        pf: bool,
        information: Vec<u8>,
    ) -> Frame {
        Frame {
            address: Address::new(sapi, tei, sender, kind),
            control: Control::U { function, pf },
            information,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sabme_ua_and_i_frame() {
        // SABME, P=1, from the user side: C/R = 0 (command).
        let f = Frame::decode(&[0x00, 0x01, 0x7f]).unwrap();
        assert_eq!(
            f.control,
            Control::U {
                function: UnnumberedFunction::Sabme,
                pf: true
            }
        );
        assert_eq!(f.command_response(Role::User), CommandResponse::Command);
        assert_eq!(f.command_response(Role::Network), CommandResponse::Response);
        let i = Frame::decode(&[0x02, 0x01, 0x04, 0x06, 0x08]).unwrap();
        assert_eq!(
            i.control,
            Control::I {
                n_s: 2,
                n_r: 3,
                p: false
            }
        );
        assert_eq!(i.information, vec![0x08]);
        assert_eq!(i.to_bytes().unwrap(), vec![0x02, 0x01, 0x04, 0x06, 0x08]);
        assert!(Frame::decode(&[0x01, 0x01, 0x7f]).is_err());
        assert!(Frame::decode(&[0x00, 0x01, 0x00]).is_err());
    }
}
