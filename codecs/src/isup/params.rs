//! ISUP parameters (Q.763 clause 3) as typed values. A parameter whose octets do not fit its
//! typed form (wrong length, too short), and every parameter this crate has no typed form for,
//! is kept as [`Parameter::Unknown`]: its code and octets, re-encoded as received.

use super::bits::*;
use super::cause::CauseIndicators;
use super::codes::{self, code, *};
use super::number::*;
use super::octets::Octets;
use super::Variant;
use crate::wire::{append_with, EncodeError, Span, Writer, SLACK};
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};
use std::mem::MaybeUninit;

/// Call reference (Q.763 3.8): call identity, then the signalling point code (14 bits, least
/// significant octet first) and 2 spare bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct CallReference {
    /// 24 bits, first octet most significant (as Wireshark reads it).
    pub call_identity: u32,
    pub signalling_point_code: u16,
    #[serde(skip_serializing_if = "is_zero")]
    pub spare: u8,
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

impl CallReference {
    #[inline]
    fn from_octets([a, b, c, d, e]: [u8; 5]) -> Self {
        CallReference {
            call_identity: u32::from_be_bytes([0, a, b, c]),
            signalling_point_code: u16::from_le_bytes([d, e]) & 0x3fff,
            spare: e >> 6,
        }
    }

    #[inline(always)]
    fn write(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        if self.call_identity > 0x00ff_ffff {
            return Err(out_of_range("call identity", self.call_identity));
        }
        if self.signalling_point_code > 0x3fff {
            return Err(out_of_range(
                "call reference signalling point code",
                u32::from(self.signalling_point_code),
            ));
        }
        if self.spare > 3 {
            return Err(out_of_range(
                "call reference spare bits",
                u32::from(self.spare),
            ));
        }
        let id = self.call_identity.to_be_bytes();
        let pc = (self.signalling_point_code | (u16::from(self.spare) << 14)).to_le_bytes();
        w.array([id[1], id[2], id[3], pc[0], pc[1]]);
        Ok(())
    }
}

fn out_of_range(field: &'static str, value: u32) -> EncodeError {
    EncodeError::OutOfRange { field, value }
}

/// Range and status (Q.763 3.43): the range (number of circuits affected minus one) and the
/// status bits, one per circuit from the message's CIC on (bit 0 = bit 1 of the first octet);
/// GRS and CQM carry no status.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct RangeAndStatus {
    pub range: u8,
    #[serde(skip_serializing_if = "Octets::is_empty")]
    pub status: Octets,
}

impl RangeAndStatus {
    /// A range without status (GRS, CQM).
    pub fn range(range: u8) -> Self {
        RangeAndStatus {
            range,
            status: Octets::new(),
        }
    }

    /// A range with one status bit per circuit (`bits[i]` for CIC + i).
    pub fn with_status_bits(range: u8, bits: &[bool]) -> Self {
        let mut status = Octets::new();
        for chunk in bits.chunks(8) {
            let mut o = 0u8;
            for (i, &b) in chunk.iter().enumerate() {
                o |= u8::from(b) << i;
            }
            status.push(o);
        }
        RangeAndStatus { range, status }
    }

    /// The status bit of circuit CIC + `i`, if present.
    pub fn status_bit(&self, i: usize) -> Option<bool> {
        self.status.get(i / 8).map(|o| o >> (i % 8) & 1 == 1)
    }
}

/// The Q.931 bearer capability contents carried in the user service information (Q.763 3.57)
/// and its prime (Q.763 3.58), kept as octets; the first octets are shown decoded.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UserServiceInformation {
    pub octets: Octets,
}

impl UserServiceInformation {
    /// Octet 3 bits 5-1 (Q.931 4.5.5).
    pub fn information_transfer_capability(&self) -> Option<TransferCapability> {
        self.octets
            .first()
            .map(|o| TransferCapability::from_code(o & 0x1f))
    }

    /// Octet 3 bits 7-6.
    pub fn coding_standard(&self) -> Option<CodingStandard> {
        self.octets
            .first()
            .map(|o| CodingStandard::from_code((o >> 5) & 3))
    }
}

impl Serialize for UserServiceInformation {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if let Some(c) = self.coding_standard() {
            m.serialize_entry("coding_standard", &c)?;
        }
        if let Some(c) = self.information_transfer_capability() {
            m.serialize_entry("information_transfer_capability", &c)?;
        }
        if let Some(o) = self.octets.get(1) {
            m.serialize_entry("transfer_mode", &((o >> 5) & 3))?;
            m.serialize_entry("information_transfer_rate", &(o & 0x1f))?;
        }
        m.serialize_entry("octets", &self.octets)?;
        m.end()
    }
}

/// Octets of a parameter this crate keeps whole: access transport (Q.763 3.3, Q.931 information
/// elements), user-to-user information (Q.763 3.61), circuit state indicator (Q.763 3.14).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OctetString {
    pub octets: Octets,
}

impl OctetString {
    pub fn new(octets: &[u8]) -> Self {
        OctetString {
            octets: Octets::from_slice(octets),
        }
    }

    /// The Q.931 information elements of an access transport parameter: (identifier, contents)
    /// of each; stops at the first element that does not fit.
    pub fn information_elements(&self) -> impl Iterator<Item = (u8, &[u8])> + '_ {
        let mut rest: &[u8] = &self.octets;
        std::iter::from_fn(move || {
            let (&id, after) = rest.split_first()?;
            if id & 0x80 != 0 {
                // single-octet information element
                rest = after;
                return Some((id, &[][..]));
            }
            let (&len, after) = after.split_first()?;
            let contents = after.get(..usize::from(len))?;
            rest = after.get(usize::from(len)..)?;
            Some((id, contents))
        })
    }
}

/// A parameter kept as octets: its code and value as received.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct UnknownParameter {
    pub code: u8,
    pub value: Octets,
}

/// JSON: `code`, `label` (its Q.763 name when it has one) and `value` (hex).
impl Serialize for UnknownParameter {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("code", &self.code)?;
        if let Some(label) = codes::parameter_label(self.code) {
            m.serialize_entry("label", label)?;
        }
        m.serialize_entry("value", &self.value)?;
        m.end()
    }
}

/// Puts into `sink` the parameter that `build` makes around a copy of the value `s`, with
/// `tag` in the copy's spare octet. The copy is made one of three ways (see [`Octets`]): a
/// block copy; a short value near the end of the message copied in place, into the parameter
/// already put; a long value to the heap. `build` is called in each, so that the parameter of
/// any way is built straight where the sink puts it: merging the ways' octets first would make
/// a temporary of them.
#[inline(always)]
fn with_octets<S: Sink>(
    sink: S,
    tag: u8,
    s: Span<'_>,
    build: impl FnOnce(Octets) -> Parameter,
) -> S::Out {
    match Octets::block_span(tag, s) {
        Some(octets) => sink.put(build(octets)),
        None if s.len() <= Octets::INLINE => {
            sink.put_filled(build(Octets::tagged(tag, &[])), s.value())
        }
        None => sink.put(build(Octets::tagged(tag, s.value()))),
    }
}

/// Where [`Parameter::decode_span`] puts the parameter it decodes: each match arm puts the
/// value it builds, exactly once (`put` and `put_filled` take the sink by value, and
/// `decode_span` can only get the `Out` it returns from one of them).
pub(crate) trait Sink {
    type Out;
    fn put(self, p: Parameter) -> Self::Out;
    /// `put`, then the octets of the parameter put (see [`Parameter::octets_mut`]) filled in
    /// place with `octets` (see [`Octets::fill`]).
    fn put_filled(self, p: Parameter, octets: &[u8]) -> Self::Out;
}

/// The parameter itself.
pub(crate) struct Itself;

impl Sink for Itself {
    type Out = Parameter;
    #[inline(always)]
    fn put(self, p: Parameter) -> Parameter {
        p
    }
    #[inline(always)]
    fn put_filled(self, mut p: Parameter, octets: &[u8]) -> Parameter {
        if let Some(o) = p.octets_mut() {
            o.fill(octets);
        }
        p
    }
}

/// Room for one parameter at the end of a message's parameter list (the first of its spare
/// capacity). Putting a parameter there builds it straight into the list: `Vec::push` builds
/// it on the stack first, then copies its 48 octets over through a call that is not inlined,
/// and the copy's wide loads wait on the narrow stores that built it.
pub(crate) struct Uninit<'a>(pub(crate) &'a mut MaybeUninit<Parameter>);

/// Proof that a parameter was written to an [`Uninit`]: only its `put` and `put_filled` make
/// one.
pub(crate) struct Written(());

impl Sink for Uninit<'_> {
    type Out = Written;
    #[inline(always)]
    fn put(self, p: Parameter) -> Written {
        self.0.write(p);
        Written(())
    }
    #[inline(always)]
    fn put_filled(self, p: Parameter, octets: &[u8]) -> Written {
        if let Some(o) = self.0.write(p).octets_mut() {
            o.fill(octets);
        }
        Written(())
    }
}

/// One parameter. JSON: an object whose `name` is the parameter's name in snake case, with the
/// fields of its value beside it.
///
/// The discriminant of each typed variant is its parameter code (that of
/// [`Parameter::Unknown`], which keeps its code inside, is 0), so that [`Parameter::code`] reads
/// one octet.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "name", rename_all = "snake_case")]
#[repr(u8)]
pub enum Parameter {
    /// Q.763 3.8
    CallReference(CallReference) = code::CALL_REFERENCE,
    /// Q.763 3.54
    TransmissionMediumRequirement { value: TransmissionMedium } =
        code::TRANSMISSION_MEDIUM_REQUIREMENT,
    /// Q.763 3.3
    AccessTransport(OctetString) = code::ACCESS_TRANSPORT,
    /// Q.763 3.9
    CalledPartyNumber(CalledPartyNumber) = code::CALLED_PARTY_NUMBER,
    /// Q.763 3.51
    SubsequentNumber(SubsequentNumber) = code::SUBSEQUENT_NUMBER,
    /// Q.763 3.35
    NatureOfConnectionIndicators(NatureOfConnectionIndicators) =
        code::NATURE_OF_CONNECTION_INDICATORS,
    /// Q.763 3.23
    ForwardCallIndicators(ForwardCallIndicators) = code::FORWARD_CALL_INDICATORS,
    /// Q.763 3.38
    OptionalForwardCallIndicators(OptionalForwardCallIndicators) =
        code::OPTIONAL_FORWARD_CALL_INDICATORS,
    /// Q.763 3.11
    CallingPartysCategory { value: CallingPartysCategory } = code::CALLING_PARTYS_CATEGORY,
    /// Q.763 3.10
    CallingPartyNumber(CallingPartyNumber) = code::CALLING_PARTY_NUMBER,
    /// Q.763 3.44
    RedirectingNumber(RedirectingNumber) = code::REDIRECTING_NUMBER,
    /// Q.763 3.46
    RedirectionNumber(RedirectionNumber) = code::REDIRECTION_NUMBER,
    /// Q.763 3.29
    InformationRequestIndicators(InformationRequestIndicators) =
        code::INFORMATION_REQUEST_INDICATORS,
    /// Q.763 3.28
    InformationIndicators(InformationIndicators) = code::INFORMATION_INDICATORS,
    /// Q.763 3.18
    ContinuityIndicators(ContinuityIndicators) = code::CONTINUITY_INDICATORS,
    /// Q.763 3.5
    BackwardCallIndicators(BackwardCallIndicators) = code::BACKWARD_CALL_INDICATORS,
    /// Q.763 3.12
    CauseIndicators(CauseIndicators) = code::CAUSE_INDICATORS,
    /// Q.763 3.45
    RedirectionInformation(RedirectionInformation) = code::REDIRECTION_INFORMATION,
    /// Q.763 3.13
    CircuitGroupSupervisionMessageType(CircuitGroupSupervisionMessageType) =
        code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE,
    /// Q.763 3.43
    RangeAndStatus(RangeAndStatus) = code::RANGE_AND_STATUS,
    /// Q.763 3.22
    FacilityIndicator { value: FacilityIndicator } = code::FACILITY_INDICATOR,
    /// Q.763 3.57
    UserServiceInformation(UserServiceInformation) = code::USER_SERVICE_INFORMATION,
    /// Q.763 3.61
    UserToUserInformation(OctetString) = code::USER_TO_USER_INFORMATION,
    /// Q.763 3.16
    ConnectedNumber(ConnectedNumber) = code::CONNECTED_NUMBER,
    /// Q.763 3.52
    SuspendResumeIndicators(SuspendResumeIndicators) = code::SUSPEND_RESUME_INDICATORS,
    /// Q.763 3.21
    EventInformation(EventInformation) = code::EVENT_INFORMATION,
    /// Q.763 3.14
    CircuitStateIndicator(OctetString) = code::CIRCUIT_STATE_INDICATOR,
    /// Q.763 3.4
    AutomaticCongestionLevel { value: CongestionLevel } = code::AUTOMATIC_CONGESTION_LEVEL,
    /// Q.763 3.39
    OriginalCalledNumber(OriginalCalledNumber) = code::ORIGINAL_CALLED_NUMBER,
    /// Q.763 3.37
    OptionalBackwardCallIndicators(OptionalBackwardCallIndicators) =
        code::OPTIONAL_BACKWARD_CALL_INDICATORS,
    /// Q.763 3.58
    UserServiceInformationPrime(UserServiceInformation) = code::USER_SERVICE_INFORMATION_PRIME,
    /// Q.763 3.42: in milliseconds.
    PropagationDelayCounter { milliseconds: u16 } = code::PROPAGATION_DELAY_COUNTER,
    /// Q.763 3.56
    TransmissionMediumUsed { value: TransmissionMedium } = code::TRANSMISSION_MEDIUM_USED,
    /// Q.763 3.80
    HopCounter(HopCounter) = code::HOP_COUNTER,
    /// Q.763 3.55
    TransmissionMediumRequirementPrime { value: TransmissionMedium } =
        code::TRANSMISSION_MEDIUM_REQUIREMENT_PRIME,
    /// Q.763 3.30
    LocationNumber(LocationNumber) = code::LOCATION_NUMBER,
    /// Q.763 3.26
    GenericNumber(GenericNumber) = code::GENERIC_NUMBER,
    /// Any other parameter, or one whose octets do not fit its typed form.
    Unknown(UnknownParameter) = code::END_OF_OPTIONAL_PARAMETERS,
}

impl Parameter {
    /// The parameter name code (Q.763 Table 5).
    #[inline(always)]
    pub fn code(&self) -> u8 {
        use Parameter::*;
        match self {
            CallReference(_) => code::CALL_REFERENCE,
            TransmissionMediumRequirement { .. } => code::TRANSMISSION_MEDIUM_REQUIREMENT,
            AccessTransport(_) => code::ACCESS_TRANSPORT,
            CalledPartyNumber(_) => code::CALLED_PARTY_NUMBER,
            SubsequentNumber(_) => code::SUBSEQUENT_NUMBER,
            NatureOfConnectionIndicators(_) => code::NATURE_OF_CONNECTION_INDICATORS,
            ForwardCallIndicators(_) => code::FORWARD_CALL_INDICATORS,
            OptionalForwardCallIndicators(_) => code::OPTIONAL_FORWARD_CALL_INDICATORS,
            CallingPartysCategory { .. } => code::CALLING_PARTYS_CATEGORY,
            CallingPartyNumber(_) => code::CALLING_PARTY_NUMBER,
            RedirectingNumber(_) => code::REDIRECTING_NUMBER,
            RedirectionNumber(_) => code::REDIRECTION_NUMBER,
            InformationRequestIndicators(_) => code::INFORMATION_REQUEST_INDICATORS,
            InformationIndicators(_) => code::INFORMATION_INDICATORS,
            ContinuityIndicators(_) => code::CONTINUITY_INDICATORS,
            BackwardCallIndicators(_) => code::BACKWARD_CALL_INDICATORS,
            CauseIndicators(_) => code::CAUSE_INDICATORS,
            RedirectionInformation(_) => code::REDIRECTION_INFORMATION,
            CircuitGroupSupervisionMessageType(_) => code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE,
            RangeAndStatus(_) => code::RANGE_AND_STATUS,
            FacilityIndicator { .. } => code::FACILITY_INDICATOR,
            UserServiceInformation(_) => code::USER_SERVICE_INFORMATION,
            UserToUserInformation(_) => code::USER_TO_USER_INFORMATION,
            ConnectedNumber(_) => code::CONNECTED_NUMBER,
            SuspendResumeIndicators(_) => code::SUSPEND_RESUME_INDICATORS,
            EventInformation(_) => code::EVENT_INFORMATION,
            CircuitStateIndicator(_) => code::CIRCUIT_STATE_INDICATOR,
            AutomaticCongestionLevel { .. } => code::AUTOMATIC_CONGESTION_LEVEL,
            OriginalCalledNumber(_) => code::ORIGINAL_CALLED_NUMBER,
            OptionalBackwardCallIndicators(_) => code::OPTIONAL_BACKWARD_CALL_INDICATORS,
            UserServiceInformationPrime(_) => code::USER_SERVICE_INFORMATION_PRIME,
            PropagationDelayCounter { .. } => code::PROPAGATION_DELAY_COUNTER,
            TransmissionMediumUsed { .. } => code::TRANSMISSION_MEDIUM_USED,
            HopCounter(_) => code::HOP_COUNTER,
            TransmissionMediumRequirementPrime { .. } => {
                code::TRANSMISSION_MEDIUM_REQUIREMENT_PRIME
            }
            LocationNumber(_) => code::LOCATION_NUMBER,
            GenericNumber(_) => code::GENERIC_NUMBER,
            Unknown(u) => u.code,
        }
    }

    /// A parameter kept as octets.
    pub fn unknown(code: u8, value: &[u8]) -> Self {
        Parameter::Unknown(UnknownParameter {
            code,
            value: Octets::from_slice(value),
        })
    }

    /// The parameter `code` with the value octets `value` (without name and length). Total: a
    /// value that does not fit the code's typed form gives [`Parameter::Unknown`].
    #[inline]
    pub fn decode(variant: Variant, code: u8, value: &[u8]) -> Self {
        Self::decode_span(variant, code, Span::whole(value), Itself)
    }

    /// Decodes the parameter `code` with the value `s` and puts it into `sink`. Each arm puts
    /// the value it builds, so that a push onto the message's parameter list stores the fields
    /// straight where they go, without a temporary of the whole enum (see also [`with_octets`]).
    #[inline(always)]
    pub(crate) fn decode_span<S: Sink>(variant: Variant, c: u8, s: Span<'_>, sink: S) -> S::Out {
        let Variant::ItuT92Plus = variant;
        use Parameter as P;
        match (c, s.value()) {
            (code::CALL_REFERENCE, &[a, b, cc, d, e]) => {
                sink.put(P::CallReference(self::CallReference::from_octets([
                    a, b, cc, d, e,
                ])))
            }
            (code::TRANSMISSION_MEDIUM_REQUIREMENT, &[a]) => {
                sink.put(P::TransmissionMediumRequirement {
                    value: TransmissionMedium::from_code(a),
                })
            }
            (code::ACCESS_TRANSPORT, _) => with_octets(sink, 0, s, |octets| {
                P::AccessTransport(OctetString { octets })
            }),
            (code::CALLED_PARTY_NUMBER, &[a, b, ..]) => with_octets(sink, a >> 7, s.skip(2), |o| {
                P::CalledPartyNumber(Number::from_parts(a, b, o))
            }),
            (code::SUBSEQUENT_NUMBER, &[a, ..]) => with_octets(sink, a >> 7, s.skip(1), |o| {
                P::SubsequentNumber(self::SubsequentNumber::from_parts(a, o))
            }),
            (code::NATURE_OF_CONNECTION_INDICATORS, &[a]) => sink.put(
                P::NatureOfConnectionIndicators(self::NatureOfConnectionIndicators(a)),
            ),
            (code::FORWARD_CALL_INDICATORS, &[a, b]) => sink.put(P::ForwardCallIndicators(
                self::ForwardCallIndicators(u16::from_le_bytes([a, b])),
            )),
            (code::OPTIONAL_FORWARD_CALL_INDICATORS, &[a]) => sink.put(
                P::OptionalForwardCallIndicators(self::OptionalForwardCallIndicators(a)),
            ),
            (code::CALLING_PARTYS_CATEGORY, &[a]) => sink.put(P::CallingPartysCategory {
                value: self::CallingPartysCategory::from_code(a),
            }),
            (code::CALLING_PARTY_NUMBER, &[a, b, ..]) => {
                with_octets(sink, a >> 7, s.skip(2), |o| {
                    P::CallingPartyNumber(Number::from_parts(a, b, o))
                })
            }
            (code::REDIRECTING_NUMBER, &[a, b, ..]) => with_octets(sink, a >> 7, s.skip(2), |o| {
                P::RedirectingNumber(Number::from_parts(a, b, o))
            }),
            (code::REDIRECTION_NUMBER, &[a, b, ..]) => with_octets(sink, a >> 7, s.skip(2), |o| {
                P::RedirectionNumber(Number::from_parts(a, b, o))
            }),
            (code::INFORMATION_REQUEST_INDICATORS, &[a, b]) => {
                sink.put(P::InformationRequestIndicators(
                    self::InformationRequestIndicators(u16::from_le_bytes([a, b])),
                ))
            }
            (code::INFORMATION_INDICATORS, &[a, b]) => sink.put(P::InformationIndicators(
                self::InformationIndicators(u16::from_le_bytes([a, b])),
            )),
            (code::CONTINUITY_INDICATORS, &[a]) => {
                sink.put(P::ContinuityIndicators(self::ContinuityIndicators(a)))
            }
            (code::BACKWARD_CALL_INDICATORS, &[a, b]) => sink.put(P::BackwardCallIndicators(
                self::BackwardCallIndicators(u16::from_le_bytes([a, b])),
            )),
            (code::CAUSE_INDICATORS, _) => match self::CauseIndicators::header(s.value()) {
                Some((octet1, recommendation, octet2, len)) => {
                    with_octets(sink, 0, s.skip(len), |diagnostics| {
                        P::CauseIndicators(self::CauseIndicators {
                            octet1,
                            recommendation,
                            octet2,
                            diagnostics,
                        })
                    })
                }
                None => with_octets(sink, 0, s, |value| {
                    P::Unknown(UnknownParameter { code: c, value })
                }),
            },
            (code::REDIRECTION_INFORMATION, &[a, b]) => sink.put(P::RedirectionInformation(
                self::RedirectionInformation(u16::from_le_bytes([a, b])),
            )),
            (code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE, &[a]) => sink.put(
                P::CircuitGroupSupervisionMessageType(self::CircuitGroupSupervisionMessageType(a)),
            ),
            (code::RANGE_AND_STATUS, &[range, ..]) => with_octets(sink, 0, s.skip(1), |status| {
                P::RangeAndStatus(self::RangeAndStatus { range, status })
            }),
            (code::FACILITY_INDICATOR, &[a]) => sink.put(P::FacilityIndicator {
                value: self::FacilityIndicator::from_code(a),
            }),
            (code::USER_SERVICE_INFORMATION, _) => with_octets(sink, 0, s, |octets| {
                P::UserServiceInformation(self::UserServiceInformation { octets })
            }),
            (code::USER_TO_USER_INFORMATION, _) => with_octets(sink, 0, s, |octets| {
                P::UserToUserInformation(OctetString { octets })
            }),
            (code::CONNECTED_NUMBER, &[a, b, ..]) => with_octets(sink, a >> 7, s.skip(2), |o| {
                P::ConnectedNumber(Number::from_parts(a, b, o))
            }),
            (code::SUSPEND_RESUME_INDICATORS, &[a]) => {
                sink.put(P::SuspendResumeIndicators(self::SuspendResumeIndicators(a)))
            }
            (code::EVENT_INFORMATION, &[a]) => {
                sink.put(P::EventInformation(self::EventInformation(a)))
            }
            (code::CIRCUIT_STATE_INDICATOR, _) => with_octets(sink, 0, s, |octets| {
                P::CircuitStateIndicator(OctetString { octets })
            }),
            (code::AUTOMATIC_CONGESTION_LEVEL, &[a]) => sink.put(P::AutomaticCongestionLevel {
                value: CongestionLevel::from_code(a),
            }),
            (code::ORIGINAL_CALLED_NUMBER, &[a, b, ..]) => {
                with_octets(sink, a >> 7, s.skip(2), |o| {
                    P::OriginalCalledNumber(Number::from_parts(a, b, o))
                })
            }
            (code::OPTIONAL_BACKWARD_CALL_INDICATORS, &[a]) => sink.put(
                P::OptionalBackwardCallIndicators(self::OptionalBackwardCallIndicators(a)),
            ),
            (code::USER_SERVICE_INFORMATION_PRIME, _) => with_octets(sink, 0, s, |octets| {
                P::UserServiceInformationPrime(self::UserServiceInformation { octets })
            }),
            (code::PROPAGATION_DELAY_COUNTER, &[a, b]) => sink.put(P::PropagationDelayCounter {
                milliseconds: u16::from_be_bytes([a, b]),
            }),
            (code::TRANSMISSION_MEDIUM_USED, &[a]) => sink.put(P::TransmissionMediumUsed {
                value: TransmissionMedium::from_code(a),
            }),
            (code::HOP_COUNTER, &[a]) => sink.put(P::HopCounter(self::HopCounter(a))),
            (code::TRANSMISSION_MEDIUM_REQUIREMENT_PRIME, &[a]) => {
                sink.put(P::TransmissionMediumRequirementPrime {
                    value: TransmissionMedium::from_code(a),
                })
            }
            (code::LOCATION_NUMBER, &[a, b, ..]) => with_octets(sink, a >> 7, s.skip(2), |o| {
                P::LocationNumber(Number::from_parts(a, b, o))
            }),
            (code::GENERIC_NUMBER, &[q, a, b, ..]) => with_octets(sink, a >> 7, s.skip(3), |o| {
                P::GenericNumber(self::GenericNumber {
                    number_qualifier: NumberQualifier::from_code(q),
                    number: Number::from_parts(a, b, o),
                })
            }),
            _ => with_octets(sink, 0, s, |value| {
                P::Unknown(UnknownParameter { code: c, value })
            }),
        }
    }

    /// Appends the value octets (without name and length indicator).
    pub fn encode_value(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        append_with(out, 8 + Octets::INLINE + SLACK, |buf| {
            Writer::fill(buf, |w| self.write_value(w))
        })
    }

    /// Writes the value octets (without name and length indicator).
    #[inline(always)]
    pub(crate) fn write_value(&self, w: &mut Writer<'_>) -> Result<(), EncodeError> {
        use Parameter::*;
        match self {
            CallReference(v) => return v.write(w),
            TransmissionMediumRequirement { value }
            | TransmissionMediumUsed { value }
            | TransmissionMediumRequirementPrime { value } => w.u8(value.code()),
            AccessTransport(v) | UserToUserInformation(v) | CircuitStateIndicator(v) => {
                v.octets.write(w)
            }
            CalledPartyNumber(n) | RedirectionNumber(n) => return n.write(w),
            SubsequentNumber(n) => return n.write(w),
            NatureOfConnectionIndicators(v) => w.u8(v.0),
            ForwardCallIndicators(v) => w.array(v.0.to_le_bytes()),
            OptionalForwardCallIndicators(v) => w.u8(v.0),
            CallingPartysCategory { value } => w.u8(value.code()),
            CallingPartyNumber(n) => return n.write(w),
            RedirectingNumber(n) | OriginalCalledNumber(n) => return n.write(w),
            InformationRequestIndicators(v) => w.array(v.0.to_le_bytes()),
            InformationIndicators(v) => w.array(v.0.to_le_bytes()),
            ContinuityIndicators(v) => w.u8(v.0),
            BackwardCallIndicators(v) => w.array(v.0.to_le_bytes()),
            CauseIndicators(v) => return v.write(w),
            RedirectionInformation(v) => w.array(v.0.to_le_bytes()),
            CircuitGroupSupervisionMessageType(v) => w.u8(v.0),
            RangeAndStatus(v) => {
                w.u8(v.range);
                v.status.write(w);
            }
            FacilityIndicator { value } => w.u8(value.code()),
            UserServiceInformation(v) | UserServiceInformationPrime(v) => v.octets.write(w),
            ConnectedNumber(n) => return n.write(w),
            SuspendResumeIndicators(v) => w.u8(v.0),
            EventInformation(v) => w.u8(v.0),
            AutomaticCongestionLevel { value } => w.u8(value.code()),
            OptionalBackwardCallIndicators(v) => w.u8(v.0),
            PropagationDelayCounter { milliseconds } => w.array(milliseconds.to_be_bytes()),
            HopCounter(v) => w.u8(v.0),
            LocationNumber(n) => return n.write(w),
            GenericNumber(n) => return n.write(w),
            Unknown(u) => u.value.write(w),
        }
        Ok(())
    }

    /// The octets a parameter holds (at most one [`Octets`] each), for changes in place.
    #[inline(always)]
    pub(crate) fn octets_mut(&mut self) -> Option<&mut Octets> {
        use Parameter::*;
        match self {
            AccessTransport(v) | UserToUserInformation(v) | CircuitStateIndicator(v) => {
                Some(&mut v.octets)
            }
            CalledPartyNumber(n) | RedirectionNumber(n) => Some(&mut n.digits.octets),
            CallingPartyNumber(n) => Some(&mut n.digits.octets),
            RedirectingNumber(n) | OriginalCalledNumber(n) => Some(&mut n.digits.octets),
            ConnectedNumber(n) => Some(&mut n.digits.octets),
            LocationNumber(n) => Some(&mut n.digits.octets),
            GenericNumber(n) => Some(&mut n.number.digits.octets),
            SubsequentNumber(n) => Some(&mut n.digits.octets),
            CauseIndicators(v) => Some(&mut v.diagnostics),
            RangeAndStatus(v) => Some(&mut v.status),
            UserServiceInformation(v) | UserServiceInformationPrime(v) => Some(&mut v.octets),
            Unknown(u) => Some(&mut u.value),
            CallReference(_)
            | TransmissionMediumRequirement { .. }
            | NatureOfConnectionIndicators(_)
            | ForwardCallIndicators(_)
            | OptionalForwardCallIndicators(_)
            | CallingPartysCategory { .. }
            | InformationRequestIndicators(_)
            | InformationIndicators(_)
            | ContinuityIndicators(_)
            | BackwardCallIndicators(_)
            | RedirectionInformation(_)
            | CircuitGroupSupervisionMessageType(_)
            | FacilityIndicator { .. }
            | SuspendResumeIndicators(_)
            | EventInformation(_)
            | AutomaticCongestionLevel { .. }
            | OptionalBackwardCallIndicators(_)
            | PropagationDelayCounter { .. }
            | TransmissionMediumUsed { .. }
            | HopCounter(_)
            | TransmissionMediumRequirementPrime { .. } => None,
        }
    }

    /// The parameter's name as in JSON (`called_party_number`), or `unknown`.
    pub fn name(&self) -> &'static str {
        // the serde tag, without serializing
        use Parameter::*;
        match self {
            CallReference(_) => "call_reference",
            TransmissionMediumRequirement { .. } => "transmission_medium_requirement",
            AccessTransport(_) => "access_transport",
            CalledPartyNumber(_) => "called_party_number",
            SubsequentNumber(_) => "subsequent_number",
            NatureOfConnectionIndicators(_) => "nature_of_connection_indicators",
            ForwardCallIndicators(_) => "forward_call_indicators",
            OptionalForwardCallIndicators(_) => "optional_forward_call_indicators",
            CallingPartysCategory { .. } => "calling_partys_category",
            CallingPartyNumber(_) => "calling_party_number",
            RedirectingNumber(_) => "redirecting_number",
            RedirectionNumber(_) => "redirection_number",
            InformationRequestIndicators(_) => "information_request_indicators",
            InformationIndicators(_) => "information_indicators",
            ContinuityIndicators(_) => "continuity_indicators",
            BackwardCallIndicators(_) => "backward_call_indicators",
            CauseIndicators(_) => "cause_indicators",
            RedirectionInformation(_) => "redirection_information",
            CircuitGroupSupervisionMessageType(_) => "circuit_group_supervision_message_type",
            RangeAndStatus(_) => "range_and_status",
            FacilityIndicator { .. } => "facility_indicator",
            UserServiceInformation(_) => "user_service_information",
            UserToUserInformation(_) => "user_to_user_information",
            ConnectedNumber(_) => "connected_number",
            SuspendResumeIndicators(_) => "suspend_resume_indicators",
            EventInformation(_) => "event_information",
            CircuitStateIndicator(_) => "circuit_state_indicator",
            AutomaticCongestionLevel { .. } => "automatic_congestion_level",
            OriginalCalledNumber(_) => "original_called_number",
            OptionalBackwardCallIndicators(_) => "optional_backward_call_indicators",
            UserServiceInformationPrime(_) => "user_service_information_prime",
            PropagationDelayCounter { .. } => "propagation_delay_counter",
            TransmissionMediumUsed { .. } => "transmission_medium_used",
            HopCounter(_) => "hop_counter",
            TransmissionMediumRequirementPrime { .. } => "transmission_medium_requirement_prime",
            LocationNumber(_) => "location_number",
            GenericNumber(_) => "generic_number",
            Unknown(_) => "unknown",
        }
    }
}

/// The parameter codes with a typed form in [`Parameter`] (ITU-T variant).
pub const TYPED_CODES: &[u8] = &[
    code::CALL_REFERENCE,
    code::TRANSMISSION_MEDIUM_REQUIREMENT,
    code::ACCESS_TRANSPORT,
    code::CALLED_PARTY_NUMBER,
    code::SUBSEQUENT_NUMBER,
    code::NATURE_OF_CONNECTION_INDICATORS,
    code::FORWARD_CALL_INDICATORS,
    code::OPTIONAL_FORWARD_CALL_INDICATORS,
    code::CALLING_PARTYS_CATEGORY,
    code::CALLING_PARTY_NUMBER,
    code::REDIRECTING_NUMBER,
    code::REDIRECTION_NUMBER,
    code::INFORMATION_REQUEST_INDICATORS,
    code::INFORMATION_INDICATORS,
    code::CONTINUITY_INDICATORS,
    code::BACKWARD_CALL_INDICATORS,
    code::CAUSE_INDICATORS,
    code::REDIRECTION_INFORMATION,
    code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE,
    code::RANGE_AND_STATUS,
    code::FACILITY_INDICATOR,
    code::USER_SERVICE_INFORMATION,
    code::USER_TO_USER_INFORMATION,
    code::CONNECTED_NUMBER,
    code::SUSPEND_RESUME_INDICATORS,
    code::EVENT_INFORMATION,
    code::CIRCUIT_STATE_INDICATOR,
    code::AUTOMATIC_CONGESTION_LEVEL,
    code::ORIGINAL_CALLED_NUMBER,
    code::OPTIONAL_BACKWARD_CALL_INDICATORS,
    code::USER_SERVICE_INFORMATION_PRIME,
    code::PROPAGATION_DELAY_COUNTER,
    code::TRANSMISSION_MEDIUM_USED,
    code::HOP_COUNTER,
    code::TRANSMISSION_MEDIUM_REQUIREMENT_PRIME,
    code::LOCATION_NUMBER,
    code::GENERIC_NUMBER,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_typed_code_round_trips_any_value() {
        // every code, values of length 0..8 with assorted bits
        for c in 1..=255u8 {
            for len in 0..8usize {
                for seed in [0x00u8, 0xff, 0x5a, 0x81] {
                    let v: Vec<u8> = (0..len).map(|i| seed.wrapping_mul(i as u8 + 3)).collect();
                    let p = Parameter::decode(Variant::ItuT92Plus, c, &v);
                    assert_eq!(p.code(), c);
                    let mut out = Vec::new();
                    p.encode_value(&mut out).unwrap();
                    assert_eq!(out, v, "code {c} value {v:02x?} as {p:?}");
                    let typed = !matches!(p, Parameter::Unknown(_));
                    if typed {
                        assert!(TYPED_CODES.contains(&c));
                    }
                    // the serde tag and name() agree
                    let j = serde_json::to_value(&p).unwrap();
                    assert_eq!(j["name"], p.name());
                }
            }
        }
    }

    #[test]
    fn call_reference_layout() {
        let p = Parameter::decode(Variant::ItuT92Plus, 1, &[0x00, 0x05, 0x9c, 0x0f, 0x26]);
        let Parameter::CallReference(c) = p else {
            panic!("{p:?}")
        };
        assert_eq!(c.call_identity, 0x59c);
        assert_eq!(c.signalling_point_code, 0x260f);
    }

    #[test]
    fn access_transport_elements() {
        let a = OctetString::new(&[0x7c, 0x03, 0x88, 0x90, 0xa6, 0xa1]);
        let ies: Vec<_> = a.information_elements().collect();
        assert_eq!(ies, vec![(0x7c, &[0x88, 0x90, 0xa6][..]), (0xa1, &[][..])]);
    }
}
