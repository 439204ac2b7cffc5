//! Information elements (Q.931 4.5): the single-octet and variable-length formats, codeset
//! shifts, and the typed elements of codeset 0 that QSIG basic call uses.
//!
//! Each typed element is accepted only when its encoder gives back exactly the octets it was
//! decoded from; otherwise the element stays [`InformationElement::Raw`]. So optional octet
//! groups, extension bits and spare bits that the typed form does not hold never get lost.

use serde::ser::SerializeMap;
use serde::Serialize;

pub use crate::q850::{CauseValue, CodingStandard, Location};
use crate::qsig::Facility;
use crate::wire::serialize_hex;
use crate::wire::{DecodeError, EncodeError, Reader};

/// Information element identifiers of codeset 0 typed here (Q.931 4.5, table 4-3).
pub mod id {
    pub const BEARER_CAPABILITY: u8 = 0x04;
    pub const CAUSE: u8 = 0x08;
    pub const CALL_STATE: u8 = 0x14;
    pub const CHANNEL_IDENTIFICATION: u8 = 0x18;
    pub const FACILITY: u8 = 0x1c;
    pub const PROGRESS_INDICATOR: u8 = 0x1e;
    pub const NOTIFICATION_INDICATOR: u8 = 0x27;
    pub const DISPLAY: u8 = 0x28;
    pub const CONNECTED_NUMBER: u8 = 0x4c;
    pub const CALLING_PARTY_NUMBER: u8 = 0x6c;
    pub const CALLED_PARTY_NUMBER: u8 = 0x70;
    pub const REDIRECTING_NUMBER: u8 = 0x74;
    pub const RESTART_INDICATOR: u8 = 0x79;
    pub const LOW_LAYER_COMPATIBILITY: u8 = 0x7c;
    pub const HIGH_LAYER_COMPATIBILITY: u8 = 0x7d;
    /// Single octet, type 2.
    pub const SENDING_COMPLETE: u8 = 0xa1;
}

fn field(v: u8, bits: u32, name: &'static str) -> Result<u8, EncodeError> {
    if u32::from(v) >> bits != 0 {
        Err(EncodeError::OutOfRange {
            field: name,
            value: u32::from(v),
        })
    } else {
        Ok(v)
    }
}

fn serialize_hex_opt<S: serde::Serializer>(b: &Option<Vec<u8>>, s: S) -> Result<S::Ok, S::Error> {
    match b {
        Some(b) => serialize_hex(b, s),
        None => s.serialize_none(),
    }
}

/// Extension bit 8 of an octet group: 1 = last octet of the group.
const EXT: u8 = 0x80;

code_enum! {
    /// Information transfer capability (Q.931 4.5.5, octet 3).
    pub enum InformationTransferCapability {
        Speech = 0x00 => "speech",
        UnrestrictedDigital = 0x08 => "unrestricted_digital_information",
        RestrictedDigital = 0x09 => "restricted_digital_information",
        Audio3_1kHz = 0x10 => "3.1_khz_audio",
        UnrestrictedDigitalWithTones = 0x11 => "unrestricted_digital_information_with_tones",
        Video = 0x18 => "video",
    }
}

code_enum! {
    /// Transfer mode (Q.931 4.5.5, octet 4).
    pub enum TransferMode {
        Circuit = 0 => "circuit_mode",
        Packet = 2 => "packet_mode",
    }
}

code_enum! {
    /// Information transfer rate (Q.931 4.5.5, octet 4).
    pub enum InformationTransferRate {
        PacketMode = 0x00 => "packet_mode",
        Kbit64 = 0x10 => "64_kbit_s",
        Kbit2x64 = 0x11 => "2x64_kbit_s",
        Kbit384 = 0x13 => "384_kbit_s",
        Kbit1536 = 0x15 => "1536_kbit_s",
        Kbit1920 = 0x17 => "1920_kbit_s",
        Multirate = 0x18 => "multirate",
    }
}

code_enum! {
    /// User information layer 1 protocol (Q.931 4.5.5, octet 5).
    pub enum UserInformationLayer1Protocol {
        V110 = 0x01 => "v110_i460_x30",
        G711MuLaw = 0x02 => "g711_mu_law",
        G711ALaw = 0x03 => "g711_a_law",
        G721 = 0x04 => "g721_adpcm",
        H221 = 0x05 => "h221_h242",
        H223 = 0x06 => "h223_h245",
        NonItu = 0x07 => "non_itu_t_standardized",
        V120 = 0x08 => "v120",
        X31 = 0x09 => "x31_hdlc",
    }
}

/// Bearer capability (Q.931 4.5.5).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct BearerCapability {
    pub coding_standard: CodingStandard,
    pub information_transfer_capability: InformationTransferCapability,
    pub transfer_mode: TransferMode,
    pub information_transfer_rate: InformationTransferRate,
    /// Octet 4.1, present with the multirate transfer rate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_multiplier: Option<u8>,
    /// Octet 5 (layer 1 identification 01).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user_information_layer_1_protocol: Option<UserInformationLayer1Protocol>,
    /// Octets 5a..5d, raw (extension bits included).
    #[serde(
        serialize_with = "serialize_hex",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub layer_1_extension: Vec<u8>,
    /// Octets 6 and 7 (layer 2 and 3 identification) and anything after, raw.
    #[serde(
        serialize_with = "serialize_hex",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub rest: Vec<u8>,
}

impl BearerCapability {
    /// Speech, 64 kbit/s circuit mode, G.711 with the given law: what a PBX trunk carries.
    pub fn speech(layer1: UserInformationLayer1Protocol) -> BearerCapability {
        BearerCapability {
            coding_standard: CodingStandard::ItuT,
            information_transfer_capability: InformationTransferCapability::Speech,
            transfer_mode: TransferMode::Circuit,
            information_transfer_rate: InformationTransferRate::Kbit64,
            rate_multiplier: None,
            user_information_layer_1_protocol: Some(layer1),
            layer_1_extension: Vec::new(),
            rest: Vec::new(),
        }
    }

    fn decode(c: &[u8]) -> Option<Self> {
        let mut r = Reader::new(c);
        let o3 = r.u8().ok()?;
        let o4 = r.u8().ok()?;
        let rate = InformationTransferRate::from_code(o4 & 0x1f);
        let rate_multiplier = if rate == InformationTransferRate::Multirate {
            Some(r.u8().ok()? & 0x7f)
        } else {
            None
        };
        let mut user_information_layer_1_protocol = None;
        let mut layer_1_extension = Vec::new();
        if let Ok(o5) = r.peek() {
            if o5 & 0x60 == 0x20 {
                r.u8().ok()?;
                user_information_layer_1_protocol =
                    Some(UserInformationLayer1Protocol::from_code(o5 & 0x1f));
                if o5 & EXT == 0 {
                    loop {
                        let o = r.u8().ok()?;
                        layer_1_extension.push(o);
                        if o & EXT != 0 {
                            break;
                        }
                    }
                }
            }
        }
        Some(BearerCapability {
            coding_standard: CodingStandard::from_code(o3 >> 5 & 3),
            information_transfer_capability: InformationTransferCapability::from_code(o3 & 0x1f),
            transfer_mode: TransferMode::from_code(o4 >> 5 & 3),
            information_transfer_rate: rate,
            rate_multiplier,
            user_information_layer_1_protocol,
            layer_1_extension,
            rest: r.take_rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            EXT | field(self.coding_standard.code(), 2, "coding standard")? << 5
                | field(
                    self.information_transfer_capability.code(),
                    5,
                    "information transfer capability",
                )?,
        );
        out.push(
            EXT | field(self.transfer_mode.code(), 2, "transfer mode")? << 5
                | field(
                    self.information_transfer_rate.code(),
                    5,
                    "information transfer rate",
                )?,
        );
        if let Some(m) = self.rate_multiplier {
            out.push(EXT | field(m, 7, "rate multiplier")?);
        }
        if let Some(p) = self.user_information_layer_1_protocol {
            let ext = if self.layer_1_extension.is_empty() {
                EXT
            } else {
                0
            };
            out.push(ext | 0x20 | field(p.code(), 5, "user information layer 1 protocol")?);
            out.extend_from_slice(&self.layer_1_extension);
        }
        out.extend_from_slice(&self.rest);
        Ok(())
    }
}

code_enum! {
    /// Interface type (Q.931 4.5.13, octet 3 bit 6).
    pub enum InterfaceType {
        Basic = 0 => "basic",
        Primary = 1 => "primary",
    }
}

code_enum! {
    /// Channel type / map element type (Q.931 4.5.13, octet 3.2).
    pub enum ElementType {
        BChannelUnits = 3 => "b_channel_units",
        H0ChannelUnits = 6 => "h0_channel_units",
        H11ChannelUnits = 8 => "h11_channel_units",
        H12ChannelUnits = 9 => "h12_channel_units",
    }
}

/// Octets 3.2 and 3.3 of channel identification: channel numbers or a slot map.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ChannelList {
    /// Number/map = 0: channel numbers (7 bits each; extension bit 1 on the last).
    #[serde(rename = "channel_numbers")]
    Numbers(Vec<u8>),
    /// Number/map = 1: the slot map octets.
    #[serde(serialize_with = "serialize_hex")]
    SlotMap(Vec<u8>),
}

/// Octets 3.2 and 3.3 of channel identification (primary rate interface).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChannelSpec {
    pub coding_standard: CodingStandard,
    pub element_type: ElementType,
    #[serde(flatten)]
    pub channels: ChannelList,
}

code_enum! {
    /// Information channel selection (Q.931 4.5.13, octet 3 bits 2-1).
    pub enum InformationChannelSelection {
        NoChannel = 0 => "no_channel",
        /// B1 on a basic interface; as indicated in the following octets on a primary one.
        B1OrIndicated = 1 => "b1_or_as_indicated",
        B2 = 2 => "b2",
        AnyChannel = 3 => "any_channel",
    }
}

/// Channel identification (Q.931 4.5.13).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ChannelIdentification {
    pub interface_type: InterfaceType,
    /// Indicated channel: true = exclusive, false = preferred.
    pub exclusive: bool,
    pub d_channel: bool,
    pub information_channel_selection: InformationChannelSelection,
    /// Octet 3.1 (interface identifier present), raw with its extension bits.
    #[serde(
        serialize_with = "serialize_hex_opt",
        skip_serializing_if = "Option::is_none"
    )]
    pub interface_identifier: Option<Vec<u8>>,
    /// Octets 3.2 and 3.3.
    #[serde(flatten, skip_serializing_if = "Option::is_none")]
    pub channel: Option<ChannelSpec>,
}

impl ChannelIdentification {
    /// One B-channel of a primary rate interface by number, exclusive or preferred.
    pub fn primary_b_channel(number: u8, exclusive: bool) -> ChannelIdentification {
        ChannelIdentification {
            interface_type: InterfaceType::Primary,
            exclusive,
            d_channel: false,
            information_channel_selection: InformationChannelSelection::B1OrIndicated,
            interface_identifier: None,
            channel: Some(ChannelSpec {
                coding_standard: CodingStandard::ItuT,
                element_type: ElementType::BChannelUnits,
                channels: ChannelList::Numbers(vec![number]),
            }),
        }
    }

    fn decode(c: &[u8]) -> Option<Self> {
        let mut r = Reader::new(c);
        let o3 = r.u8().ok()?;
        let interface_identifier = if o3 & 0x40 != 0 {
            let mut v = Vec::new();
            loop {
                let o = r.u8().ok()?;
                v.push(o);
                if o & EXT != 0 {
                    break;
                }
            }
            Some(v)
        } else {
            None
        };
        let channel = if r.is_empty() {
            None
        } else {
            let o32 = r.u8().ok()?;
            let rest = r.take_rest().to_vec();
            Some(ChannelSpec {
                coding_standard: CodingStandard::from_code(o32 >> 5 & 3),
                element_type: ElementType::from_code(o32 & 0x0f),
                channels: if o32 & 0x10 != 0 {
                    ChannelList::SlotMap(rest)
                } else {
                    ChannelList::Numbers(rest.iter().map(|o| o & 0x7f).collect())
                },
            })
        };
        Some(ChannelIdentification {
            interface_type: InterfaceType::from_code(o3 >> 5 & 1),
            exclusive: o3 & 0x08 != 0,
            d_channel: o3 & 0x04 != 0,
            information_channel_selection: InformationChannelSelection::from_code(o3 & 3),
            interface_identifier,
            channel,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            EXT | u8::from(self.interface_identifier.is_some()) << 6
                | field(self.interface_type.code(), 1, "interface type")? << 5
                | u8::from(self.exclusive) << 3
                | u8::from(self.d_channel) << 2
                | field(
                    self.information_channel_selection.code(),
                    2,
                    "information channel selection",
                )?,
        );
        if let Some(i) = &self.interface_identifier {
            out.extend_from_slice(i);
        }
        if let Some(ch) = &self.channel {
            let map = matches!(ch.channels, ChannelList::SlotMap(_));
            out.push(
                EXT | field(ch.coding_standard.code(), 2, "coding standard")? << 5
                    | u8::from(map) << 4
                    | field(ch.element_type.code(), 4, "element type")?,
            );
            match &ch.channels {
                ChannelList::SlotMap(m) => out.extend_from_slice(m),
                ChannelList::Numbers(n) => {
                    for (i, &x) in n.iter().enumerate() {
                        let ext = if i + 1 == n.len() { EXT } else { 0 };
                        out.push(ext | field(x, 7, "channel number")?);
                    }
                }
            }
        }
        Ok(())
    }
}

code_enum! {
    /// Progress description (Q.931 4.5.23, octet 4).
    pub enum ProgressDescription {
        NotEndToEndIsdn = 1 => "call_is_not_end_to_end_isdn",
        DestinationNonIsdn = 2 => "destination_address_is_non_isdn",
        OriginationNonIsdn = 3 => "origination_address_is_non_isdn",
        ReturnedToIsdn = 4 => "call_has_returned_to_the_isdn",
        InterworkingServiceChange = 5 => "interworking_service_change",
        InBandInformationAvailable = 8 => "in_band_information_available",
    }
}

/// Progress indicator (Q.931 4.5.23).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct ProgressIndicator {
    pub coding_standard: CodingStandard,
    pub location: Location,
    pub progress_description: ProgressDescription,
}

impl ProgressIndicator {
    fn decode(c: &[u8]) -> Option<Self> {
        let [o3, o4] = *c else { return None };
        Some(ProgressIndicator {
            coding_standard: CodingStandard::from_code(o3 >> 5 & 3),
            location: Location::from_code(o3 & 0x0f),
            progress_description: ProgressDescription::from_code(o4 & 0x7f),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            EXT | field(self.coding_standard.code(), 2, "coding standard")? << 5
                | field(self.location.code(), 4, "location")?,
        );
        out.push(EXT | field(self.progress_description.code(), 7, "progress description")?);
        Ok(())
    }
}

code_enum! {
    /// Type of number (Q.931 4.5.8, octet 3).
    pub enum TypeOfNumber {
        Unknown0 = 0 => "unknown",
        International = 1 => "international",
        National = 2 => "national",
        NetworkSpecific = 3 => "network_specific",
        Subscriber = 4 => "subscriber",
        Abbreviated = 6 => "abbreviated",
    }
}

code_enum! {
    /// Numbering plan identification (Q.931 4.5.8, octet 3).
    pub enum NumberingPlan {
        Unknown0 = 0 => "unknown",
        IsdnTelephony = 1 => "e164",
        Data = 3 => "x121",
        Telex = 4 => "f69",
        NationalStandard = 8 => "national_standard",
        Private = 9 => "private",
    }
}

code_enum! {
    /// Presentation indicator (Q.931 4.5.10, octet 3a).
    pub enum Presentation {
        Allowed = 0 => "allowed",
        Restricted = 1 => "restricted",
        NotAvailable = 2 => "not_available_due_to_interworking",
    }
}

code_enum! {
    /// Screening indicator (Q.931 4.5.10, octet 3a).
    pub enum Screening {
        UserProvidedNotScreened = 0 => "user_provided_not_screened",
        UserProvidedVerifiedAndPassed = 1 => "user_provided_verified_and_passed",
        UserProvidedVerifiedAndFailed = 2 => "user_provided_verified_and_failed",
        NetworkProvided = 3 => "network_provided",
    }
}

code_enum! {
    /// Reason for redirection (Q.931 redirecting number, octet 3b; Q.952).
    pub enum ReasonForRedirection {
        Unknown0 = 0x0 => "unknown",
        CallForwardingBusy = 0x1 => "call_forwarding_busy",
        CallForwardingNoReply = 0x2 => "call_forwarding_no_reply",
        CallDeflection = 0x4 => "call_deflection",
        CalledDteOutOfOrder = 0x9 => "called_dte_out_of_order",
        CallForwardingByCalledDte = 0xa => "call_forwarding_by_the_called_dte",
        CallForwardingUnconditional = 0xf => "call_forwarding_unconditional",
    }
}

/// The contents of the number elements: called party number (Q.931 4.5.8), calling party
/// number (4.5.10), connected number (Q.951), redirecting number (Q.952): octet 3, optional
/// octets 3a (presentation, screening) and 3b (reason for redirection), IA5 digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct Number {
    pub type_of_number: TypeOfNumber,
    pub numbering_plan: NumberingPlan,
    /// Octet 3a.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub presentation: Option<Presentation>,
    /// Octet 3a.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub screening: Option<Screening>,
    /// Octet 3b (redirecting number).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason_for_redirection: Option<ReasonForRedirection>,
    /// Number digits, IA5.
    pub digits: String,
}

impl Number {
    /// A number without octet 3a (as a called party number is).
    pub fn new(
        type_of_number: TypeOfNumber,
        numbering_plan: NumberingPlan,
        digits: &str,
    ) -> Number {
        Number {
            type_of_number,
            numbering_plan,
            presentation: None,
            screening: None,
            reason_for_redirection: None,
            digits: digits.to_string(),
        }
    }

    /// The same number with octet 3a.
    pub fn presented(mut self, presentation: Presentation, screening: Screening) -> Number {
        self.presentation = Some(presentation);
        self.screening = Some(screening);
        self
    }

    fn decode(c: &[u8]) -> Option<Self> {
        let mut r = Reader::new(c);
        let o3 = r.u8().ok()?;
        let mut n = Number::new(
            TypeOfNumber::from_code(o3 >> 4 & 7),
            NumberingPlan::from_code(o3 & 0x0f),
            "",
        );
        if o3 & EXT == 0 {
            let o3a = r.u8().ok()?;
            n.presentation = Some(Presentation::from_code(o3a >> 5 & 3));
            n.screening = Some(Screening::from_code(o3a & 3));
            if o3a & EXT == 0 {
                let o3b = r.u8().ok()?;
                n.reason_for_redirection = Some(ReasonForRedirection::from_code(o3b & 0x0f));
            }
        }
        let d = r.take_rest();
        if !d.is_ascii() {
            return None;
        }
        n.digits = String::from_utf8(d.to_vec()).ok()?;
        Some(n)
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let has_3b = self.reason_for_redirection.is_some();
        let has_3a = has_3b || self.presentation.is_some() || self.screening.is_some();
        out.push(
            if has_3a { 0 } else { EXT }
                | field(self.type_of_number.code(), 3, "type of number")? << 4
                | field(self.numbering_plan.code(), 4, "numbering plan")?,
        );
        if has_3a {
            let p = self.presentation.map_or(0, Presentation::code);
            let s = self.screening.map_or(0, Screening::code);
            out.push(
                if has_3b { 0 } else { EXT }
                    | field(p, 2, "presentation indicator")? << 5
                    | field(s, 2, "screening indicator")?,
            );
        }
        if let Some(rr) = self.reason_for_redirection {
            out.push(EXT | field(rr.code(), 4, "reason for redirection")?);
        }
        if !self.digits.is_ascii() {
            return Err(EncodeError::OutOfRange {
                field: "number digits (IA5)",
                value: 0,
            });
        }
        out.extend_from_slice(self.digits.as_bytes());
        Ok(())
    }
}

/// Cause (Q.931 4.5.12, Q.850 2.1). JSON as ISUP's cause indicators: the cause value as its
/// number and, when Q.850 names it, `cause` with the name.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Cause {
    pub coding_standard: CodingStandard,
    pub location: Location,
    /// Octet 3a.
    pub recommendation: Option<u8>,
    pub cause_value: CauseValue,
    /// Octets 5 onwards.
    pub diagnostics: Vec<u8>,
}

impl Serialize for Cause {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("coding_standard", &self.coding_standard)?;
        m.serialize_entry("location", &self.location)?;
        if let Some(r) = self.recommendation {
            m.serialize_entry("recommendation", &r)?;
        }
        m.serialize_entry("cause_value", &self.cause_value.code())?;
        if let Some(name) = self.cause_value.name() {
            m.serialize_entry("cause", name)?;
        }
        if !self.diagnostics.is_empty() {
            m.serialize_entry("diagnostics", &crate::wire::hex(&self.diagnostics))?;
        }
        m.end()
    }
}

impl Cause {
    /// An ITU-T cause without recommendation or diagnostics.
    pub fn new(location: Location, cause_value: CauseValue) -> Cause {
        Cause {
            coding_standard: CodingStandard::ItuT,
            location,
            recommendation: None,
            cause_value,
            diagnostics: Vec::new(),
        }
    }

    fn decode(c: &[u8]) -> Option<Self> {
        let mut r = Reader::new(c);
        let o3 = r.u8().ok()?;
        let recommendation = if o3 & EXT == 0 {
            Some(r.u8().ok()? & 0x7f)
        } else {
            None
        };
        let o4 = r.u8().ok()?;
        Some(Cause {
            coding_standard: CodingStandard::from_code(o3 >> 5 & 3),
            location: Location::from_code(o3 & 0x0f),
            recommendation,
            cause_value: CauseValue::from_code(o4 & 0x7f),
            diagnostics: r.take_rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            if self.recommendation.is_some() {
                0
            } else {
                EXT
            } | field(self.coding_standard.code(), 2, "coding standard")? << 5
                | field(self.location.code(), 4, "location")?,
        );
        if let Some(rec) = self.recommendation {
            out.push(EXT | field(rec, 7, "recommendation")?);
        }
        out.push(EXT | field(self.cause_value.code(), 7, "cause value")?);
        out.extend_from_slice(&self.diagnostics);
        Ok(())
    }
}

/// Display (Q.931 4.5.16): IA5 characters, kept as octets.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Display {
    pub information: Vec<u8>,
}

impl Display {
    pub fn new(text: &str) -> Display {
        Display {
            information: text.bytes().collect(),
        }
    }

    /// The characters (octets above 0x7f shown as ISO 8859-1).
    pub fn text(&self) -> String {
        self.information.iter().map(|&b| char::from(b)).collect()
    }
}

impl Serialize for Display {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("display_information", &self.text())?;
        m.end()
    }
}

code_enum! {
    /// High layer characteristics identification (Q.931 4.5.17, octet 4).
    pub enum HighLayerCharacteristics {
        Telephony = 0x01 => "telephony",
        FacsimileGroup2_3 = 0x04 => "facsimile_group_2_3",
        FacsimileGroup4Class1 = 0x21 => "facsimile_group_4_class_1",
        TeletexMixedMode = 0x24 => "teletex_mixed_mode",
        TeletexCharacterMode = 0x28 => "teletex_character_mode",
        Videotex = 0x31 => "international_videotex",
        Telex = 0x32 => "telex",
        MessageHandlingSystems = 0x35 => "message_handling_systems",
        OsiApplication = 0x41 => "osi_application",
        FtamApplication = 0x42 => "ftam_application",
        Maintenance = 0x5e => "maintenance",
        Management = 0x5f => "management",
        Videotelephony = 0x60 => "videotelephony",
    }
}

/// High layer compatibility (Q.931 4.5.17).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct HighLayerCompatibility {
    pub coding_standard: CodingStandard,
    /// Interpretation (octet 3 bits 5-3; 4 = first high layer characteristics identification).
    pub interpretation: u8,
    /// Presentation method of protocol profile (octet 3 bits 2-1; 1 = high layer protocol
    /// profile).
    pub presentation_method: u8,
    pub high_layer_characteristics: HighLayerCharacteristics,
    /// Octet 4a.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extended_high_layer_characteristics: Option<u8>,
}

impl HighLayerCompatibility {
    fn decode(c: &[u8]) -> Option<Self> {
        let (o3, o4, o4a) = match *c {
            [a, b] => (a, b, None),
            [a, b, x] => (a, b, Some(x & 0x7f)),
            _ => return None,
        };
        Some(HighLayerCompatibility {
            coding_standard: CodingStandard::from_code(o3 >> 5 & 3),
            interpretation: o3 >> 2 & 7,
            presentation_method: o3 & 3,
            high_layer_characteristics: HighLayerCharacteristics::from_code(o4 & 0x7f),
            extended_high_layer_characteristics: o4a,
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            EXT | field(self.coding_standard.code(), 2, "coding standard")? << 5
                | field(self.interpretation, 3, "interpretation")? << 2
                | field(self.presentation_method, 2, "presentation method")?,
        );
        let ext4 = if self.extended_high_layer_characteristics.is_some() {
            0
        } else {
            EXT
        };
        out.push(
            ext4 | field(
                self.high_layer_characteristics.code(),
                7,
                "high layer characteristics",
            )?,
        );
        if let Some(x) = self.extended_high_layer_characteristics {
            out.push(EXT | field(x, 7, "extended high layer characteristics")?);
        }
        Ok(())
    }
}

/// Low layer compatibility (Q.931 4.5.19): octets 3 and 3a typed, the rest raw.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct LowLayerCompatibility {
    pub coding_standard: CodingStandard,
    pub information_transfer_capability: InformationTransferCapability,
    /// Octet 3a: out-band negotiation possible.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub negotiation_indicator: Option<bool>,
    /// Octets 4 onwards (transfer mode and rate, layer 1/2/3 protocols), raw.
    #[serde(serialize_with = "serialize_hex")]
    pub rest: Vec<u8>,
}

impl LowLayerCompatibility {
    fn decode(c: &[u8]) -> Option<Self> {
        let mut r = Reader::new(c);
        let o3 = r.u8().ok()?;
        let negotiation_indicator = if o3 & EXT == 0 {
            Some(r.u8().ok()? & 0x40 != 0)
        } else {
            None
        };
        Some(LowLayerCompatibility {
            coding_standard: CodingStandard::from_code(o3 >> 5 & 3),
            information_transfer_capability: InformationTransferCapability::from_code(o3 & 0x1f),
            negotiation_indicator,
            rest: r.take_rest().to_vec(),
        })
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(
            if self.negotiation_indicator.is_some() {
                0
            } else {
                EXT
            } | field(self.coding_standard.code(), 2, "coding standard")? << 5
                | field(
                    self.information_transfer_capability.code(),
                    5,
                    "information transfer capability",
                )?,
        );
        if let Some(n) = self.negotiation_indicator {
            out.push(EXT | u8::from(n) << 6);
        }
        out.extend_from_slice(&self.rest);
        Ok(())
    }
}

code_enum! {
    /// Restart indicator class (Q.931 4.5.25).
    pub enum RestartClass {
        IndicatedChannels = 0 => "indicated_channels",
        SingleInterface = 6 => "single_interface",
        AllInterfaces = 7 => "all_interfaces",
    }
}

code_enum! {
    /// Call state value (Q.931 4.5.7; user states U0..U25 and global interface states).
    pub enum CallStateValue {
        Null = 0 => "null",
        CallInitiated = 1 => "call_initiated",
        OverlapSending = 2 => "overlap_sending",
        OutgoingCallProceeding = 3 => "outgoing_call_proceeding",
        CallDelivered = 4 => "call_delivered",
        CallPresent = 6 => "call_present",
        CallReceived = 7 => "call_received",
        ConnectRequest = 8 => "connect_request",
        IncomingCallProceeding = 9 => "incoming_call_proceeding",
        Active = 10 => "active",
        DisconnectRequest = 11 => "disconnect_request",
        DisconnectIndication = 12 => "disconnect_indication",
        SuspendRequest = 15 => "suspend_request",
        ResumeRequest = 17 => "resume_request",
        ReleaseRequest = 19 => "release_request",
        OverlapReceiving = 25 => "overlap_receiving",
        RestartRequest = 61 => "restart_request",
        Restart = 62 => "restart",
    }
}

/// Call state (Q.931 4.5.7).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct CallState {
    pub coding_standard: CodingStandard,
    pub call_state: CallStateValue,
}

code_enum! {
    /// Notification description (Q.931 4.5.22).
    pub enum NotificationDescription {
        UserSuspended = 0 => "user_suspended",
        UserResumed = 1 => "user_resumed",
        BearerServiceChange = 2 => "bearer_service_change",
    }
}

/// Shift (Q.931 4.5.2, 4.5.3): the codeset of the elements that follow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
pub struct Shift {
    /// Locking (all following elements) or non-locking (the next element only).
    pub locking: bool,
    /// The new codeset, 0..=7.
    pub codeset: u8,
}

/// An information element.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "name", rename_all = "snake_case")]
pub enum InformationElement {
    /// Shift (single octet, any codeset).
    Shift(Shift),
    /// Sending complete (single octet 0xa1, codeset 0).
    SendingComplete,
    BearerCapability(BearerCapability),
    ChannelIdentification(ChannelIdentification),
    ProgressIndicator(ProgressIndicator),
    CalledPartyNumber(Number),
    CallingPartyNumber(Number),
    ConnectedNumber(Number),
    RedirectingNumber(Number),
    Cause(Cause),
    Display(Display),
    Facility(Facility),
    HighLayerCompatibility(HighLayerCompatibility),
    LowLayerCompatibility(LowLayerCompatibility),
    RestartIndicator {
        class: RestartClass,
    },
    CallState(CallState),
    NotificationIndicator {
        notification_description: NotificationDescription,
    },
    /// Any other single-octet element (or one of another codeset).
    SingleOctet {
        codeset: u8,
        #[serde(rename = "octet")]
        value: u8,
    },
    /// Any other variable-length element, or one whose contents do not fit its typed form.
    Raw {
        codeset: u8,
        identifier: u8,
        #[serde(serialize_with = "serialize_hex")]
        contents: Vec<u8>,
    },
}

/// Accepts a typed decode only when it encodes back to exactly the same contents.
fn exact<T>(
    c: &[u8],
    decode: impl Fn(&[u8]) -> Option<T>,
    encode: impl Fn(&T, &mut Vec<u8>) -> Result<(), EncodeError>,
) -> Option<T> {
    let t = decode(c)?;
    let mut v = Vec::with_capacity(c.len());
    encode(&t, &mut v).ok()?;
    (v == c).then_some(t)
}

impl InformationElement {
    /// The variable-length element `identifier` of `codeset` with `contents`.
    pub fn from_contents(codeset: u8, identifier: u8, contents: &[u8]) -> InformationElement {
        use InformationElement as E;
        let typed = if codeset != 0 {
            None
        } else {
            match identifier {
                id::BEARER_CAPABILITY => {
                    exact(contents, BearerCapability::decode, BearerCapability::encode)
                        .map(E::BearerCapability)
                }
                id::CHANNEL_IDENTIFICATION => exact(
                    contents,
                    ChannelIdentification::decode,
                    ChannelIdentification::encode,
                )
                .map(E::ChannelIdentification),
                id::PROGRESS_INDICATOR => exact(
                    contents,
                    ProgressIndicator::decode,
                    ProgressIndicator::encode,
                )
                .map(E::ProgressIndicator),
                id::CALLED_PARTY_NUMBER => {
                    exact(contents, Number::decode, Number::encode).map(E::CalledPartyNumber)
                }
                id::CALLING_PARTY_NUMBER => {
                    exact(contents, Number::decode, Number::encode).map(E::CallingPartyNumber)
                }
                id::CONNECTED_NUMBER => {
                    exact(contents, Number::decode, Number::encode).map(E::ConnectedNumber)
                }
                id::REDIRECTING_NUMBER => {
                    exact(contents, Number::decode, Number::encode).map(E::RedirectingNumber)
                }
                id::CAUSE => exact(contents, Cause::decode, Cause::encode).map(E::Cause),
                id::DISPLAY => Some(E::Display(Display {
                    information: contents.to_vec(),
                })),
                id::FACILITY => Some(E::Facility(Facility::from_octets(contents.to_vec()))),
                id::HIGH_LAYER_COMPATIBILITY => exact(
                    contents,
                    HighLayerCompatibility::decode,
                    HighLayerCompatibility::encode,
                )
                .map(E::HighLayerCompatibility),
                id::LOW_LAYER_COMPATIBILITY => exact(
                    contents,
                    LowLayerCompatibility::decode,
                    LowLayerCompatibility::encode,
                )
                .map(E::LowLayerCompatibility),
                // Q.931 4.5.25: ext 1, spare 0000, class.
                id::RESTART_INDICATOR => match *contents {
                    [o] if o & 0xf8 == EXT => Some(E::RestartIndicator {
                        class: RestartClass::from_code(o & 7),
                    }),
                    _ => None,
                },
                id::CALL_STATE => match *contents {
                    [o] => Some(E::CallState(CallState {
                        coding_standard: CodingStandard::from_code(o >> 6),
                        call_state: CallStateValue::from_code(o & 0x3f),
                    })),
                    _ => None,
                },
                id::NOTIFICATION_INDICATOR => match *contents {
                    [o] if o & EXT != 0 => Some(E::NotificationIndicator {
                        notification_description: NotificationDescription::from_code(o & 0x7f),
                    }),
                    _ => None,
                },
                _ => None,
            }
        };
        typed.unwrap_or_else(|| E::Raw {
            codeset,
            identifier,
            contents: contents.to_vec(),
        })
    }

    /// The identifier octet of a variable-length element (None for single-octet ones).
    pub fn identifier(&self) -> Option<u8> {
        use InformationElement as E;
        Some(match self {
            E::Shift(_) | E::SendingComplete | E::SingleOctet { .. } => return None,
            E::BearerCapability(_) => id::BEARER_CAPABILITY,
            E::ChannelIdentification(_) => id::CHANNEL_IDENTIFICATION,
            E::ProgressIndicator(_) => id::PROGRESS_INDICATOR,
            E::CalledPartyNumber(_) => id::CALLED_PARTY_NUMBER,
            E::CallingPartyNumber(_) => id::CALLING_PARTY_NUMBER,
            E::ConnectedNumber(_) => id::CONNECTED_NUMBER,
            E::RedirectingNumber(_) => id::REDIRECTING_NUMBER,
            E::Cause(_) => id::CAUSE,
            E::Display(_) => id::DISPLAY,
            E::Facility(_) => id::FACILITY,
            E::HighLayerCompatibility(_) => id::HIGH_LAYER_COMPATIBILITY,
            E::LowLayerCompatibility(_) => id::LOW_LAYER_COMPATIBILITY,
            E::RestartIndicator { .. } => id::RESTART_INDICATOR,
            E::CallState(_) => id::CALL_STATE,
            E::NotificationIndicator { .. } => id::NOTIFICATION_INDICATOR,
            E::Raw { identifier, .. } => *identifier,
        })
    }

    fn encode_contents(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use InformationElement as E;
        match self {
            E::Shift(_) | E::SendingComplete | E::SingleOctet { .. } => Ok(()),
            E::BearerCapability(x) => x.encode(out),
            E::ChannelIdentification(x) => x.encode(out),
            E::ProgressIndicator(x) => x.encode(out),
            E::CalledPartyNumber(x)
            | E::CallingPartyNumber(x)
            | E::ConnectedNumber(x)
            | E::RedirectingNumber(x) => x.encode(out),
            E::Cause(x) => x.encode(out),
            E::Display(x) => {
                out.extend_from_slice(&x.information);
                Ok(())
            }
            E::Facility(f) => {
                out.extend_from_slice(f.octets());
                Ok(())
            }
            E::HighLayerCompatibility(x) => x.encode(out),
            E::LowLayerCompatibility(x) => x.encode(out),
            E::RestartIndicator { class } => {
                out.push(EXT | field(class.code(), 3, "restart class")?);
                Ok(())
            }
            E::CallState(x) => {
                out.push(
                    field(x.coding_standard.code(), 2, "coding standard")? << 6
                        | field(x.call_state.code(), 6, "call state")?,
                );
                Ok(())
            }
            E::NotificationIndicator {
                notification_description,
            } => {
                out.push(
                    EXT | field(
                        notification_description.code(),
                        7,
                        "notification description",
                    )?,
                );
                Ok(())
            }
            E::Raw { contents, .. } => {
                out.extend_from_slice(contents);
                Ok(())
            }
        }
    }

    /// Appends the element (identifier, length, contents; or its single octet).
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        use InformationElement as E;
        match self {
            E::Shift(s) => {
                out.push(0x90 | u8::from(!s.locking) << 3 | field(s.codeset, 3, "codeset")?);
                return Ok(());
            }
            E::SendingComplete => {
                out.push(id::SENDING_COMPLETE);
                return Ok(());
            }
            E::SingleOctet { value, .. } => {
                if value & 0x80 == 0 {
                    return Err(EncodeError::OutOfRange {
                        field: "single octet information element",
                        value: u32::from(*value),
                    });
                }
                out.push(*value);
                return Ok(());
            }
            _ => {}
        }
        let ident = self.identifier().unwrap_or(0);
        if ident & 0x80 != 0 {
            return Err(EncodeError::OutOfRange {
                field: "information element identifier",
                value: u32::from(ident),
            });
        }
        out.push(ident);
        let len_at = out.len();
        out.push(0);
        self.encode_contents(out)?;
        let len = out.len() - len_at - 1;
        let len8 = u8::try_from(len).map_err(|_| EncodeError::TooLong {
            field: "information element",
            len,
            max: 255,
        })?;
        if let Some(l) = out.get_mut(len_at) {
            *l = len8;
        }
        Ok(())
    }
}

/// Decodes the information elements that fill the rest of `r` (Q.931 4.5.1), tracking the
/// active codeset through locking and non-locking shifts (4.5.2, 4.5.3).
pub fn decode_all(r: &mut Reader<'_>) -> Result<Vec<InformationElement>, DecodeError> {
    let mut out = Vec::new();
    let mut locked = 0u8;
    let mut temporary: Option<u8> = None;
    while !r.is_empty() {
        let octet = r.u8()?;
        let codeset = temporary.take().unwrap_or(locked);
        if octet & 0x80 != 0 {
            if octet & 0xf0 == 0x90 {
                let s = Shift {
                    locking: octet & 0x08 == 0,
                    codeset: octet & 0x07,
                };
                if s.locking {
                    locked = s.codeset;
                } else {
                    temporary = Some(s.codeset);
                }
                out.push(InformationElement::Shift(s));
            } else if codeset == 0 && octet == id::SENDING_COMPLETE {
                out.push(InformationElement::SendingComplete);
            } else {
                out.push(InformationElement::SingleOctet {
                    codeset,
                    value: octet,
                });
            }
        } else {
            let len_off = r.offset();
            let len = r.u8()?;
            let contents = r
                .take(usize::from(len))
                .map_err(|_| DecodeError::BadLength {
                    offset: len_off,
                    field: "information element length",
                })?;
            out.push(InformationElement::from_contents(codeset, octet, contents));
        }
    }
    Ok(out)
}

impl InformationElement {
    pub fn as_called_party_number(&self) -> Option<&Number> {
        match self {
            InformationElement::CalledPartyNumber(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_calling_party_number(&self) -> Option<&Number> {
        match self {
            InformationElement::CallingPartyNumber(n) => Some(n),
            _ => None,
        }
    }
    pub fn as_cause(&self) -> Option<&Cause> {
        match self {
            InformationElement::Cause(c) => Some(c),
            _ => None,
        }
    }
    pub fn as_facility(&self) -> Option<&Facility> {
        match self {
            InformationElement::Facility(f) => Some(f),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn one(codeset: u8, id: u8, c: &[u8]) -> InformationElement {
        InformationElement::from_contents(codeset, id, c)
    }

    #[test]
    fn optional_octet_groups_are_typed() {
        // Cause with octet 3a (recommendation Q.931) and a diagnostic.
        let c = one(0, id::CAUSE, &[0x02, 0x80, 0x90, 0x01]);
        let InformationElement::Cause(c) = c else {
            panic!("{c:?}")
        };
        assert_eq!(c.recommendation, Some(0));
        assert_eq!(c.cause_value, CauseValue::NormalCallClearing);
        assert_eq!(c.diagnostics, vec![0x01]);
        // Redirecting number with octets 3a and 3b (call forwarding busy).
        let r = one(0, id::REDIRECTING_NUMBER, &[0x21, 0x03, 0x81, b'1']);
        let InformationElement::RedirectingNumber(n) = r else {
            panic!("{r:?}")
        };
        assert_eq!(
            n.reason_for_redirection,
            Some(ReasonForRedirection::CallForwardingBusy)
        );
        assert_eq!(n.screening, Some(Screening::NetworkProvided));
        // Channel identification with a slot map.
        let ch = one(
            0,
            id::CHANNEL_IDENTIFICATION,
            &[0xa9, 0x93, 0x00, 0x00, 0x01],
        );
        let InformationElement::ChannelIdentification(ch) = ch else {
            panic!("{ch:?}")
        };
        assert_eq!(
            ch.channel.unwrap().channels,
            ChannelList::SlotMap(vec![0, 0, 1])
        );
    }

    #[test]
    fn contents_the_typed_form_cannot_hold_stay_raw() {
        for (id, c) in [
            (id::CAUSE, &[0x80u8][..]),                        // no cause value
            (id::PROGRESS_INDICATOR, &[0x90, 0x88]),           // spare bit 5 set
            (id::CALLING_PARTY_NUMBER, &[0x21, 0x1b, b'1']),   // spare bits in octet 3a
            (id::CALLED_PARTY_NUMBER, &[0x81, 0xb1]),          // a digit with bit 8 set
            (id::CHANNEL_IDENTIFICATION, &[0xa9, 0x83, 0x01]), // ext bit 0 on the last number
            (id::RESTART_INDICATOR, &[0x00]),                  // ext bit 0
        ] {
            let e = one(0, id, c);
            assert!(
                matches!(e, InformationElement::Raw { .. }),
                "{id:#x} {c:02x?}: {e:?}"
            );
            let mut v = Vec::new();
            e.encode(&mut v).unwrap();
            assert_eq!(v[2..], *c);
        }
        // Other codesets are never typed.
        assert!(matches!(
            one(6, id::CAUSE, &[0x80, 0x90]),
            InformationElement::Raw { codeset: 6, .. }
        ));
    }

    #[test]
    fn shifts_select_the_codeset() {
        // Non-locking shift to 6 applies to the next element only.
        let mut r = Reader::new(&[0x9e, 0x08, 0x02, 0x80, 0x90, 0x08, 0x02, 0x80, 0x90]);
        let ies = decode_all(&mut r).unwrap();
        assert!(matches!(
            ies[0],
            InformationElement::Shift(Shift {
                locking: false,
                codeset: 6
            })
        ));
        assert!(matches!(ies[1], InformationElement::Raw { codeset: 6, .. }));
        assert!(matches!(ies[2], InformationElement::Cause(_)));
    }
}
