//! The contents of the Facility information element as QSIG uses them (Q.932 8.2.3,
//! ECMA-165): the protocol profile octet, then, for remote operations (profile 0x91) and
//! networking extensions (0x9f, what QSIG PINXs send), optional network facility extension `[10]`, network protocol profile
//! `[18]` and interpretation `[11]` APDUs, and ROSE APDUs (X.880: invoke `[1]`,
//! returnResult `[2]`, returnError `[3]`, reject `[4]`).
//!
//! Decoding reads any BER (indefinite and long-form lengths included) through asn1-rs; the
//! [`Facility`] IE keeps the octets it was decoded from, so that a Q.931 message re-encodes
//! byte-exact, and offers the decoded [`FacilityContents`] as a view. A [`Facility`] built from
//! typed values ([`Facility::new`]) is encoded in DER, which is valid BER.
//!
//! Typed arguments: name identification (ECMA-164: callingName 0, calledName 1,
//! connectedName 2, busyName 3) and call diversion legs (ECMA-174: divertingLegInformation1
//! 20, 2 21, 3 22). Any other operation keeps its argument as a raw BER element, and so does
//! an argument of a known operation that does not fit its typed form.

pub mod address;
pub mod ber;
pub mod diversion;
pub mod name;
pub mod rose;

use serde::ser::SerializeMap;
use serde::Serialize;

pub use address::{
    PartyNumber, PresentedNumberUnscreened, PrivateTypeOfNumber, PublicTypeOfNumber,
};
pub use ber::{Ber, Contents, TagClass};
pub use diversion::{
    DiversionReason, DivertingLegInformation1, DivertingLegInformation2, DivertingLegInformation3,
    SubscriptionOption,
};
pub use name::{CharacterSet, Name, NameArg, NamePresentation, NameSet};
pub use rose::{
    opcode, operation_name, Argument, Code, Invoke, InvokeId, OperationResult, Problem, Reject,
    ReturnError, ReturnResult, Rose,
};

use crate::wire::{DecodeError, EncodeError};

/// Protocol profile octet of remote operations (Q.932 8.2.3: extension bit 1, spare 00,
/// profile 10001).
pub const PROFILE_ROSE: u8 = 0x91;
/// Protocol profile octet of networking extensions (ECMA-165 / ISO/IEC 11582: profile 11111),
/// what QSIG PINXs send: ROSE APDUs optionally preceded by NFE, NPP and interpretation APDUs.
pub const PROFILE_NETWORKING_EXTENSIONS: u8 = 0x9f;

/// Interpretation APDU values (ECMA-165): what the receiver does with an invoke it does not
/// recognise.
pub mod interpretation {
    pub const DISCARD_ANY_UNRECOGNISED_INVOKE_PDU: i64 = 0;
    pub const CLEAR_CALL_IF_ANY_INVOKE_PDU_NOT_RECOGNISED: i64 = 1;
    pub const REJECT_ANY_UNRECOGNISED_INVOKE_PDU: i64 = 2;
}

/// One element after the protocol profile octet.
// A facility holds a handful of these, built once per message: boxing the APDU would only
// make matching on it clumsier.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Component {
    /// NetworkFacilityExtension `[10]` (ECMA-165), kept raw.
    NetworkFacilityExtension(Ber),
    /// NetworkProtocolProfile `[18] IMPLICIT INTEGER`.
    NetworkProtocolProfile(i64),
    /// InterpretationApdu `[11] IMPLICIT ENUMERATED`.
    Interpretation(i64),
    /// Anything else, kept raw (including a `[1]`..`[4]` element that is not a valid APDU).
    Other(Ber),
    /// A ROSE APDU (serialized as `{"invoke": ..}` and so on).
    #[serde(untagged)]
    Rose(Rose),
}

impl Component {
    /// The component an element is, typed where its contents fit the typed form stably.
    pub fn from_ber(e: &Ber) -> Component {
        let typed = match (e.class, e.tag, &e.contents) {
            (TagClass::Context, 10, Contents::Constructed(_)) => {
                Some(Component::NetworkFacilityExtension(e.clone()))
            }
            (TagClass::Context, 18, Contents::Primitive(_)) => {
                e.integer().map(Component::NetworkProtocolProfile)
            }
            (TagClass::Context, 11, Contents::Primitive(_)) => {
                e.integer().map(Component::Interpretation)
            }
            (TagClass::Context, 1..=4, Contents::Constructed(_)) => {
                Rose::from_ber(e).map(Component::Rose)
            }
            _ => None,
        };
        match typed {
            // Stable through DER: the property decode(encode(x)) == x.
            Some(t) if Self::from_ber_once(&t.to_ber()).as_ref() == Some(&t) => t,
            _ => Component::Other(e.clone()),
        }
    }

    fn from_ber_once(e: &Ber) -> Option<Component> {
        match (e.class, e.tag) {
            (TagClass::Context, 10) => Some(Component::NetworkFacilityExtension(e.clone())),
            (TagClass::Context, 18) => e.integer().map(Component::NetworkProtocolProfile),
            (TagClass::Context, 11) => e.integer().map(Component::Interpretation),
            (TagClass::Context, 1..=4) => Rose::from_ber(e).map(Component::Rose),
            _ => None,
        }
    }

    /// The component as a BER element.
    pub fn to_ber(&self) -> Ber {
        match self {
            Component::NetworkFacilityExtension(e) | Component::Other(e) => e.clone(),
            Component::NetworkProtocolProfile(v) => Ber::from_integer(TagClass::Context, 18, *v),
            Component::Interpretation(v) => Ber::from_integer(TagClass::Context, 11, *v),
            Component::Rose(r) => r.to_ber(),
        }
    }
}

/// The decoded contents of a Facility IE with the remote operations protocol profile.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct FacilityContents {
    /// Octet 3, whole (0x91 for remote operations).
    pub protocol_profile: u8,
    /// The APDUs in order.
    #[serde(rename = "apdus")]
    pub components: Vec<Component>,
}

impl FacilityContents {
    /// Decodes the IE contents (octet 3 onwards). `base` is the absolute offset of octet 3.
    /// Fails for any protocol profile other than remote operations (0x91) and networking
    /// extensions (0x9f).
    pub fn decode(contents: &[u8], base: usize) -> Result<FacilityContents, DecodeError> {
        let (&profile, rest) = contents.split_first().ok_or(DecodeError::Truncated {
            offset: base,
            need: 1,
        })?;
        if profile != PROFILE_ROSE && profile != PROFILE_NETWORKING_EXTENSIONS {
            return Err(DecodeError::Invalid {
                offset: base,
                field: "facility protocol profile",
                value: u32::from(profile),
            });
        }
        let components = Ber::decode_all(rest, base + 1)?
            .iter()
            .map(Component::from_ber)
            .collect();
        Ok(FacilityContents {
            protocol_profile: profile,
            components,
        })
    }

    /// Appends the IE contents in DER.
    pub fn encode_der(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(self.protocol_profile);
        for c in &self.components {
            c.to_ber().encode_der(out)?;
        }
        Ok(())
    }

    /// Remote operations APDUs without any header APDU.
    pub fn rose(apdus: Vec<Rose>) -> FacilityContents {
        FacilityContents {
            protocol_profile: PROFILE_ROSE,
            components: apdus.into_iter().map(Component::Rose).collect(),
        }
    }

    /// APDUs between end PINXs as QSIG sends them (ECMA-165; libpri 1.6 does the same):
    /// profile networking extensions, a network facility extension with sourceEntity and
    /// destinationEntity endPINX, an interpretation APDU discardAnyUnrecognisedInvokePdu, then
    /// the APDUs.
    pub fn qsig(apdus: Vec<Rose>) -> FacilityContents {
        let c = TagClass::Context;
        let nfe = Ber::constructed(
            c,
            10,
            vec![Ber::from_integer(c, 0, 0), Ber::from_integer(c, 2, 0)],
        );
        let mut components = vec![
            Component::NetworkFacilityExtension(nfe),
            Component::Interpretation(interpretation::DISCARD_ANY_UNRECOGNISED_INVOKE_PDU),
        ];
        components.extend(apdus.into_iter().map(Component::Rose));
        FacilityContents {
            protocol_profile: PROFILE_NETWORKING_EXTENSIONS,
            components,
        }
    }

    /// The ROSE APDUs.
    pub fn apdus(&self) -> impl Iterator<Item = &Rose> {
        self.components.iter().filter_map(|c| match c {
            Component::Rose(r) => Some(r),
            _ => None,
        })
    }

    /// The invokes.
    pub fn invokes(&self) -> impl Iterator<Item = &Invoke> {
        self.apdus().filter_map(|r| match r {
            Rose::Invoke(i) => Some(i),
            _ => None,
        })
    }
}

/// The Facility information element (Q.931 4.5.15 / Q.932 8.2.3): its contents as received,
/// and their decoded view.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Facility {
    octets: Vec<u8>,
    contents: Option<FacilityContents>,
}

impl Facility {
    /// The IE from its contents octets (octet 3 onwards, as received). The view is decoded
    /// when the profile is remote operations and the BER is well-formed; otherwise the
    /// octets stay raw.
    pub fn from_octets(octets: Vec<u8>) -> Facility {
        let contents = FacilityContents::decode(&octets, 0).ok();
        Facility { octets, contents }
    }

    /// The IE holding `contents`, encoded in DER.
    pub fn new(contents: FacilityContents) -> Result<Facility, EncodeError> {
        let mut octets = Vec::new();
        contents.encode_der(&mut octets)?;
        Ok(Facility {
            contents: FacilityContents::decode(&octets, 0).ok(),
            octets,
        })
    }

    /// A Facility IE with one invoke, between end PINXs ([`FacilityContents::qsig`]).
    pub fn invoke(invoke: Invoke) -> Result<Facility, EncodeError> {
        Facility::new(FacilityContents::qsig(vec![Rose::Invoke(invoke)]))
    }

    /// The contents octets (octet 3 onwards).
    pub fn octets(&self) -> &[u8] {
        &self.octets
    }

    /// The decoded view, if the contents are remote operations in well-formed BER.
    pub fn contents(&self) -> Option<&FacilityContents> {
        self.contents.as_ref()
    }
}

impl Serialize for Facility {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        match &self.contents {
            Some(c) => {
                m.serialize_entry("protocol_profile", &c.protocol_profile)?;
                m.serialize_entry("apdus", &c.components)?;
            }
            None => {
                if let Some(p) = self.octets.first() {
                    m.serialize_entry("protocol_profile", p)?;
                }
                m.serialize_entry("contents", &crate::wire::hex(&self.octets))?;
            }
        }
        m.end()
    }
}

/// An invoke of a name operation (`opcode` 0..=3) with a plain `name` argument.
pub fn name_invoke(invoke_id: i64, opcode: i64, name: Name) -> Invoke {
    Invoke::new(invoke_id, opcode, Some(Argument::Name(NameArg::new(name))))
}

/// An invoke of callingName (ECMA-164).
pub fn calling_name(invoke_id: i64, name: Name) -> Invoke {
    name_invoke(invoke_id, opcode::CALLING_NAME, name)
}

/// An invoke of calledName (ECMA-164).
pub fn called_name(invoke_id: i64, name: Name) -> Invoke {
    name_invoke(invoke_id, opcode::CALLED_NAME, name)
}

/// An invoke of connectedName (ECMA-164).
pub fn connected_name(invoke_id: i64, name: Name) -> Invoke {
    name_invoke(invoke_id, opcode::CONNECTED_NAME, name)
}

/// An invoke of busyName (ECMA-164).
pub fn busy_name(invoke_id: i64, name: Name) -> Invoke {
    name_invoke(invoke_id, opcode::BUSY_NAME, name)
}

/// An invoke of divertingLegInformation1 (ECMA-174).
pub fn diverting_leg_information1(invoke_id: i64, arg: DivertingLegInformation1) -> Invoke {
    Invoke::new(
        invoke_id,
        opcode::DIVERTING_LEG_INFORMATION1,
        Some(Argument::DivertingLegInformation1(arg)),
    )
}

/// An invoke of divertingLegInformation2 (ECMA-174).
pub fn diverting_leg_information2(invoke_id: i64, arg: DivertingLegInformation2) -> Invoke {
    Invoke::new(
        invoke_id,
        opcode::DIVERTING_LEG_INFORMATION2,
        Some(Argument::DivertingLegInformation2(arg)),
    )
}

/// An invoke of divertingLegInformation3 (ECMA-174).
pub fn diverting_leg_information3(invoke_id: i64, arg: DivertingLegInformation3) -> Invoke {
    Invoke::new(
        invoke_id,
        opcode::DIVERTING_LEG_INFORMATION3,
        Some(Argument::DivertingLegInformation3(arg)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn calling_name_invoke_der() {
        let f = Facility::new(FacilityContents::rose(vec![Rose::Invoke(calling_name(
            1,
            Name::allowed("John"),
        ))]))
        .unwrap();
        assert_eq!(
            f.octets(),
            &[
                0x91, 0xa1, 0x0c, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x80, 0x04, b'J', b'o', b'h',
                b'n'
            ]
        );
        let inv = f.contents().unwrap().invokes().next().unwrap();
        assert_eq!(inv.operation(), Some("callingName"));
    }

    #[test]
    fn indefinite_lengths_decode_and_keep_octets() {
        let ber = [
            0x91, 0xa1, 0x80, 0x02, 0x01, 0x01, 0x02, 0x01, 0x00, 0x80, 0x04, b'J', b'o', b'h',
            b'n', 0x00, 0x00,
        ];
        let f = Facility::from_octets(ber.to_vec());
        assert_eq!(f.octets(), &ber);
        let inv = f.contents().unwrap().invokes().next().unwrap();
        assert_eq!(
            inv.argument,
            Some(Argument::Name(NameArg::new(Name::allowed("John"))))
        );
    }
}
