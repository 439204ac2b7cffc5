//! ISUP messages and parameters, ITU-T Q.763 (the `itu-t92+` base of RFC 3204), with the
//! message formats as per-variant tables so that ANSI T1.113 and ETSI variants can be added as
//! further tables.
//!
//! - [`Message`]: a message without CIC, as in an RFC 3204 body (`sipt-mgc decode isup-body`).
//! - [`CicMessage`]: CIC then message, as in an MTP3 MSU (`sipt-mgc decode isup`).
//! - [`Parameter`]: one typed value per parameter, [`Parameter::Unknown`] for the rest.
//!
//! Every message that decodes re-encodes to the same octets: typed values keep spare and
//! reserved bits, unknown code values, extension bits and fillers; unknown parameters and
//! messages are kept as octets (see [`message`] for the layout rules).
//!
//! ```
//! use sipt_codecs::isup::{Message, MessageType};
//! // ANM with an empty optional part pointer (Q.763: pointer 0 = no optional part)
//! let m = Message::decode(&[0x09, 0x00]).unwrap();
//! assert_eq!(m.message_type, MessageType::Anm);
//! let mut out = Vec::new();
//! m.encode(&mut out).unwrap();
//! assert_eq!(out, [0x09, 0x00]);
//! ```

#[macro_use]
mod macros;
pub mod bits;
pub mod cause;
pub mod codes;
pub mod layout;
pub mod message;
pub mod number;
pub mod octets;
pub mod params;

pub use bits::*;
pub use cause::CauseIndicators;
pub use codes::{code, parameter_label, *};
pub use layout::Layout;
pub use message::{Body, CicMessage, Message};
pub use number::*;
pub use octets::Octets;
pub use params::{
    CallReference, OctetString, Parameter, RangeAndStatus, UnknownParameter, UserServiceInformation,
};

use serde::Serialize;

/// An ISUP variant: which message formats and parameter codings apply.
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Variant {
    /// ITU-T Q.761-Q.764 1992 and later (RFC 3204 `base=itu-t92+`): 12-bit CIC.
    #[default]
    #[serde(rename = "itu-t92+")]
    ItuT92Plus,
}

impl Variant {
    /// The width of the circuit identification code (Q.763 1.2: 12 bits).
    pub const fn cic_bits(self) -> u32 {
        match self {
            Variant::ItuT92Plus => 12,
        }
    }

    /// The format of a message type, or `None` when this variant's table has none (the
    /// message is then kept as octets).
    pub fn layout(self, message_type: MessageType) -> Option<&'static Layout> {
        match self {
            Variant::ItuT92Plus => layout::itu(message_type),
        }
    }

    /// The RFC 3204 `base` parameter value of this variant.
    pub const fn rfc3204_base(self) -> &'static str {
        match self {
            Variant::ItuT92Plus => "itu-t92+",
        }
    }
}

macro_rules! find_param {
    ($(#[$m:meta])* $fn:ident -> $t:ty, $variant:ident) => {
        $(#[$m])*
        pub fn $fn(&self) -> Option<&$t> {
            self.parameters().iter().find_map(|p| match p {
                Parameter::$variant(v) => Some(v),
                _ => None,
            })
        }
    };
}

macro_rules! find_value {
    ($(#[$m:meta])* $fn:ident -> $t:ty, $variant:ident, $field:ident) => {
        $(#[$m])*
        pub fn $fn(&self) -> Option<$t> {
            self.parameters().iter().find_map(|p| match p {
                Parameter::$variant { $field } => Some(*$field),
                _ => None,
            })
        }
    };
}

/// Access to parameters by kind (the first of its kind, in message order).
impl Message {
    /// The parameters in order (empty for a message kept as octets).
    pub fn parameters(&self) -> &[Parameter] {
        match &self.body {
            Body::Parameters { parameters, .. } => parameters,
            Body::Raw { .. } => &[],
        }
    }

    /// The parameters, for changes.
    pub fn parameters_mut(&mut self) -> Option<&mut Vec<Parameter>> {
        match &mut self.body {
            Body::Parameters { parameters, .. } => Some(parameters),
            Body::Raw { .. } => None,
        }
    }

    /// The optional parameters (those after the mandatory ones of the message's format).
    pub fn optional_parameters(&self) -> &[Parameter] {
        let n = self.layout().map_or(0, Layout::mandatory);
        self.parameters().get(n..).unwrap_or(&[])
    }

    /// The first parameter with name code `code`.
    pub fn parameter(&self, code: u8) -> Option<&Parameter> {
        self.parameters().iter().find(|p| p.code() == code)
    }

    /// The octets after the message type of a message kept as octets.
    pub fn raw(&self) -> Option<&[u8]> {
        match &self.body {
            Body::Raw { raw } => Some(raw),
            Body::Parameters { .. } => None,
        }
    }

    find_param!(called_party_number -> CalledPartyNumber, CalledPartyNumber);
    find_param!(calling_party_number -> CallingPartyNumber, CallingPartyNumber);
    find_param!(connected_number -> ConnectedNumber, ConnectedNumber);
    find_param!(redirecting_number -> RedirectingNumber, RedirectingNumber);
    find_param!(redirection_number -> RedirectionNumber, RedirectionNumber);
    find_param!(original_called_number -> OriginalCalledNumber, OriginalCalledNumber);
    find_param!(location_number -> LocationNumber, LocationNumber);
    find_param!(subsequent_number -> SubsequentNumber, SubsequentNumber);
    find_param!(cause_indicators -> CauseIndicators, CauseIndicators);
    find_param!(nature_of_connection_indicators -> NatureOfConnectionIndicators, NatureOfConnectionIndicators);
    find_param!(forward_call_indicators -> ForwardCallIndicators, ForwardCallIndicators);
    find_param!(backward_call_indicators -> BackwardCallIndicators, BackwardCallIndicators);
    find_param!(optional_forward_call_indicators -> OptionalForwardCallIndicators, OptionalForwardCallIndicators);
    find_param!(optional_backward_call_indicators -> OptionalBackwardCallIndicators, OptionalBackwardCallIndicators);
    find_param!(redirection_information -> RedirectionInformation, RedirectionInformation);
    find_param!(event_information -> EventInformation, EventInformation);
    find_param!(hop_counter -> HopCounter, HopCounter);
    find_param!(range_and_status -> RangeAndStatus, RangeAndStatus);
    find_param!(circuit_group_supervision_message_type -> CircuitGroupSupervisionMessageType, CircuitGroupSupervisionMessageType);
    find_param!(suspend_resume_indicators -> SuspendResumeIndicators, SuspendResumeIndicators);
    find_param!(continuity_indicators -> ContinuityIndicators, ContinuityIndicators);
    find_param!(information_request_indicators -> InformationRequestIndicators, InformationRequestIndicators);
    find_param!(information_indicators -> InformationIndicators, InformationIndicators);
    find_param!(call_reference -> CallReference, CallReference);
    find_param!(access_transport -> OctetString, AccessTransport);
    find_param!(user_service_information -> UserServiceInformation, UserServiceInformation);
    find_param!(user_to_user_information -> OctetString, UserToUserInformation);
    find_value!(calling_partys_category -> CallingPartysCategory, CallingPartysCategory, value);
    find_value!(transmission_medium_requirement -> TransmissionMedium, TransmissionMediumRequirement, value);
    find_value!(automatic_congestion_level -> CongestionLevel, AutomaticCongestionLevel, value);
    find_value!(propagation_delay_counter -> u16, PropagationDelayCounter, milliseconds);

    /// The generic numbers, in order (the parameter may repeat).
    pub fn generic_numbers(&self) -> impl Iterator<Item = &GenericNumber> + '_ {
        self.parameters().iter().filter_map(|p| match p {
            Parameter::GenericNumber(g) => Some(g),
            _ => None,
        })
    }
}

/// Building messages: [`Message::new`] and the shortcuts below give the mandatory parameters
/// in the order of the message's format; [`Message::with`] appends optional ones.
impl Message {
    /// A message of the given type with the given parameters (mandatory ones first, in the
    /// order of the message's format), no optional part unless optional parameters follow.
    pub fn new(message_type: MessageType, parameters: Vec<Parameter>) -> Self {
        Message {
            variant: Variant::ItuT92Plus,
            message_type,
            body: Body::Parameters {
                parameters,
                empty_optional_part: false,
                trailing_octets: Octets::new(),
            },
        }
    }

    /// A message kept as octets: its type and the octets after it.
    pub fn raw_message(message_type: MessageType, octets: &[u8]) -> Self {
        Message {
            variant: Variant::ItuT92Plus,
            message_type,
            body: Body::Raw {
                raw: Octets::from_slice(octets),
            },
        }
    }

    /// Appends a parameter (after the mandatory ones: an optional parameter).
    #[must_use]
    pub fn with(mut self, p: Parameter) -> Self {
        if let Some(ps) = self.parameters_mut() {
            ps.push(p);
        }
        self
    }

    /// IAM.
    pub fn iam(
        nature_of_connection: NatureOfConnectionIndicators,
        forward_call: ForwardCallIndicators,
        category: CallingPartysCategory,
        medium: TransmissionMedium,
        called: CalledPartyNumber,
    ) -> Self {
        Message::new(
            MessageType::Iam,
            vec![
                Parameter::NatureOfConnectionIndicators(nature_of_connection),
                Parameter::ForwardCallIndicators(forward_call),
                Parameter::CallingPartysCategory { value: category },
                Parameter::TransmissionMediumRequirement { value: medium },
                Parameter::CalledPartyNumber(called),
            ],
        )
    }

    /// SAM.
    pub fn sam(subsequent: SubsequentNumber) -> Self {
        Message::new(
            MessageType::Sam,
            vec![Parameter::SubsequentNumber(subsequent)],
        )
    }

    /// ACM.
    pub fn acm(backward_call: BackwardCallIndicators) -> Self {
        Message::new(
            MessageType::Acm,
            vec![Parameter::BackwardCallIndicators(backward_call)],
        )
    }

    /// CON.
    pub fn con(backward_call: BackwardCallIndicators) -> Self {
        Message::new(
            MessageType::Con,
            vec![Parameter::BackwardCallIndicators(backward_call)],
        )
    }

    /// CPG.
    pub fn cpg(event: EventInformation) -> Self {
        Message::new(MessageType::Cpg, vec![Parameter::EventInformation(event)])
    }

    /// REL.
    pub fn rel(cause: CauseIndicators) -> Self {
        Message::new(MessageType::Rel, vec![Parameter::CauseIndicators(cause)])
    }

    /// CFN.
    pub fn cfn(cause: CauseIndicators) -> Self {
        Message::new(MessageType::Cfn, vec![Parameter::CauseIndicators(cause)])
    }

    /// SUS or RES.
    pub fn suspend_resume(message_type: MessageType, indicators: SuspendResumeIndicators) -> Self {
        Message::new(
            message_type,
            vec![Parameter::SuspendResumeIndicators(indicators)],
        )
    }

    /// COT.
    pub fn cot(indicators: ContinuityIndicators) -> Self {
        Message::new(
            MessageType::Cot,
            vec![Parameter::ContinuityIndicators(indicators)],
        )
    }

    /// A message whose format is the range and status alone: GRS, GRA, CQM.
    pub fn range_message(message_type: MessageType, range: RangeAndStatus) -> Self {
        Message::new(message_type, vec![Parameter::RangeAndStatus(range)])
    }

    /// CGB, CGU, CGBA, CGUA.
    pub fn circuit_group(
        message_type: MessageType,
        supervision: CircuitGroupSupervisionMessageType,
        range: RangeAndStatus,
    ) -> Self {
        Message::new(
            message_type,
            vec![
                Parameter::CircuitGroupSupervisionMessageType(supervision),
                Parameter::RangeAndStatus(range),
            ],
        )
    }

    /// A message without parameters or with only an optional part: ANM, RLC, FOT, FAC (no
    /// optional part) and CCR, RSC, BLO, UBL, BLA, UBA, UCIC, LPA, OLM.
    pub fn bare(message_type: MessageType) -> Self {
        Message::new(message_type, Vec::new())
    }

    /// The message with its CIC.
    pub fn with_cic(self, cic: u16) -> CicMessage {
        CicMessage {
            cic,
            cic_spare: 0,
            message: self,
        }
    }
}

#[cfg(test)]
mod tests;
