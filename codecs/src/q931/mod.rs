//! Q.931 messages as QSIG basic call uses them (ITU-T Q.931, ECMA-143 / ISO/IEC 11572):
//! protocol discriminator, call reference, message type and information elements in order.
//!
//! Information elements of codeset 0 listed in [`ie`] are typed; any other element, and any
//! element whose contents do not fit its typed form exactly, is kept raw. Shift elements are
//! kept in place with the codeset they select, so that for any input that decodes,
//! `encode(decode(x)) == x`.

pub mod ie;

use serde::Serialize;

pub use ie::*;

use crate::wire::{DecodeError, EncodeError, Reader};

pub use crate::wire::hex;

/// The protocol discriminator of Q.931 user-network call control messages (Q.931 4.2).
pub const PROTOCOL_DISCRIMINATOR_Q931: u8 = 0x08;

code_enum! {
    /// Message type (Q.931 4.4, table 4-2; Q.932; names as Wireshark shows them).
    pub enum MessageType {
        Escape = 0x00 => "ESCAPE",
        Alerting = 0x01 => "ALERTING",
        CallProceeding = 0x02 => "CALL PROCEEDING",
        Progress = 0x03 => "PROGRESS",
        Setup = 0x05 => "SETUP",
        Connect = 0x07 => "CONNECT",
        SetupAcknowledge = 0x0d => "SETUP ACKNOWLEDGE",
        ConnectAcknowledge = 0x0f => "CONNECT ACKNOWLEDGE",
        UserInformation = 0x20 => "USER INFORMATION",
        SuspendReject = 0x21 => "SUSPEND REJECT",
        ResumeReject = 0x22 => "RESUME REJECT",
        Hold = 0x24 => "HOLD",
        Suspend = 0x25 => "SUSPEND",
        Resume = 0x26 => "RESUME",
        HoldAcknowledge = 0x28 => "HOLD ACKNOWLEDGE",
        SuspendAcknowledge = 0x2d => "SUSPEND ACKNOWLEDGE",
        ResumeAcknowledge = 0x2e => "RESUME ACKNOWLEDGE",
        HoldReject = 0x30 => "HOLD REJECT",
        Retrieve = 0x31 => "RETRIEVE",
        RetrieveAcknowledge = 0x33 => "RETRIEVE ACKNOWLEDGE",
        RetrieveReject = 0x37 => "RETRIEVE REJECT",
        Disconnect = 0x45 => "DISCONNECT",
        Restart = 0x46 => "RESTART",
        Release = 0x4d => "RELEASE",
        RestartAcknowledge = 0x4e => "RESTART ACKNOWLEDGE",
        ReleaseComplete = 0x5a => "RELEASE COMPLETE",
        Segment = 0x60 => "SEGMENT",
        Facility = 0x62 => "FACILITY",
        Register = 0x64 => "REGISTER",
        Notify = 0x6e => "NOTIFY",
        StatusEnquiry = 0x75 => "STATUS ENQUIRY",
        CongestionControl = 0x79 => "CONGESTION CONTROL",
        Information = 0x7b => "INFORMATION",
        Status = 0x7d => "STATUS",
    }
}

/// The call reference (Q.931 4.3): length of its value in octets, the flag, and the value.
/// Length 0 is the dummy call reference; a value of 0 with a length is the global call
/// reference (Q.931 5.5, restart procedures).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CallReference {
    /// Octets of the call reference value, 0..=4 (2 on a primary rate interface).
    pub length: u8,
    /// The flag: false = sent from the side that allocated the call reference, true = sent to it.
    pub flag: bool,
    /// The value without the flag (7 bits for length 1, 15 for length 2, ...).
    pub value: u32,
}

impl CallReference {
    /// The dummy call reference (length 0).
    pub const DUMMY: CallReference = CallReference {
        length: 0,
        flag: false,
        value: 0,
    };

    /// A two-octet call reference as a primary rate interface uses (Q.931 4.3).
    pub fn new(value: u16, flag: bool) -> CallReference {
        CallReference {
            length: 2,
            flag,
            value: u32::from(value & 0x7fff),
        }
    }

    /// The global call reference of the given length (value 0).
    pub fn global(length: u8, flag: bool) -> CallReference {
        CallReference {
            length,
            flag,
            value: 0,
        }
    }

    pub fn is_dummy(&self) -> bool {
        self.length == 0
    }

    pub fn is_global(&self) -> bool {
        self.length > 0 && self.value == 0
    }

    fn decode(r: &mut Reader<'_>) -> Result<CallReference, DecodeError> {
        let off = r.offset();
        let o = r.u8()?;
        let length = o & 0x0f;
        // Q.931 4.3: bits 8-5 of the length octet are spare (0000).
        if o & 0xf0 != 0 || length > 4 {
            return Err(DecodeError::Invalid {
                offset: off,
                field: "call reference length octet",
                value: u32::from(o),
            });
        }
        if length == 0 {
            return Ok(CallReference::DUMMY);
        }
        let v = r.take(usize::from(length))?;
        let mut value: u32 = 0;
        for &b in v {
            value = value << 8 | u32::from(b);
        }
        let flag_bit = 1u32 << (u32::from(length) * 8 - 1);
        Ok(CallReference {
            length,
            flag: value & flag_bit != 0,
            value: value & !flag_bit,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        if self.length > 4 {
            return Err(EncodeError::OutOfRange {
                field: "call reference length",
                value: u32::from(self.length),
            });
        }
        out.push(self.length);
        if self.length == 0 {
            if self.flag || self.value != 0 {
                return Err(EncodeError::OutOfRange {
                    field: "dummy call reference value",
                    value: self.value,
                });
            }
            return Ok(());
        }
        let bits = u32::from(self.length) * 8 - 1;
        if u64::from(self.value) >= 1u64 << bits {
            return Err(EncodeError::OutOfRange {
                field: "call reference value",
                value: self.value,
            });
        }
        let v = u64::from(self.value) | u64::from(self.flag) << bits;
        for i in (0..self.length).rev() {
            out.push((v >> (u32::from(i) * 8)) as u8);
        }
        Ok(())
    }
}

/// A Q.931 message (Q.931 4.1, figure 4-1).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Message {
    /// 0x08 for Q.931 (kept as received whatever it is).
    pub protocol_discriminator: u8,
    pub call_reference: CallReference,
    pub message_type: MessageType,
    /// In the order received.
    pub information_elements: Vec<InformationElement>,
}

impl Message {
    /// A message with the Q.931 protocol discriminator and no information elements yet.
    pub fn new(message_type: MessageType, call_reference: CallReference) -> Message {
        Message {
            protocol_discriminator: PROTOCOL_DISCRIMINATOR_Q931,
            call_reference,
            message_type,
            information_elements: Vec::new(),
        }
    }

    /// Adds an information element at the end (builder style).
    pub fn with(mut self, ie: InformationElement) -> Message {
        self.information_elements.push(ie);
        self
    }

    /// Decodes a whole message (the information field of an I or UI frame).
    pub fn decode(buf: &[u8]) -> Result<Message, DecodeError> {
        let mut r = Reader::new(buf);
        let protocol_discriminator = r.u8()?;
        let call_reference = CallReference::decode(&mut r)?;
        let message_type = MessageType::from_code(r.u8()?);
        let information_elements = ie::decode_all(&mut r)?;
        Ok(Message {
            protocol_discriminator,
            call_reference,
            message_type,
            information_elements,
        })
    }

    /// Appends the message's octets.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.protocol_discriminator);
        self.call_reference.encode(out)?;
        out.push(self.message_type.code());
        for e in &self.information_elements {
            e.encode(out)?;
        }
        Ok(())
    }

    /// The message's octets in a new buffer.
    pub fn to_bytes(&self) -> Result<Vec<u8>, EncodeError> {
        let mut v = Vec::new();
        self.encode(&mut v)?;
        Ok(v)
    }

    /// The first element for which `f` gives a value (e.g. `|e| e.as_cause()`).
    pub fn find<'a, T>(&'a self, f: impl Fn(&'a InformationElement) -> Option<T>) -> Option<T> {
        self.information_elements.iter().find_map(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn call_reference_forms() {
        for (bytes, cr) in [
            (vec![0x00], CallReference::DUMMY),
            (
                vec![0x01, 0x85],
                CallReference {
                    length: 1,
                    flag: true,
                    value: 5,
                },
            ),
            (vec![0x02, 0x00, 0x01], CallReference::new(1, false)),
            (vec![0x02, 0x80, 0x00], CallReference::global(2, true)),
        ] {
            let mut r = Reader::new(&bytes);
            assert_eq!(CallReference::decode(&mut r).unwrap(), cr);
            let mut v = Vec::new();
            cr.encode(&mut v).unwrap();
            assert_eq!(v, bytes);
        }
    }
}
