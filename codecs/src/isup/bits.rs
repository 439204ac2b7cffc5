//! Indicator octets of Q.763 as bit fields over their raw value. Two-octet indicators hold the
//! octets least significant first, as on the wire: bit A of the first octet is bit 0, bit P of
//! the second octet is bit 15.

use super::codes::*;
use crate::wire::CodeTable;

/// A value that fits a bit field: a flag, a number or a code.
pub trait Field: Copy {
    fn from_bits(v: u8) -> Self;
    fn to_bits(self) -> u8;
}

impl Field for bool {
    #[inline]
    fn from_bits(v: u8) -> Self {
        v != 0
    }
    #[inline]
    fn to_bits(self) -> u8 {
        u8::from(self)
    }
}

/// A code table value in a bit field: its code.
impl<T: CodeTable> Field for T {
    #[inline]
    fn from_bits(v: u8) -> Self {
        T::from(v)
    }
    #[inline]
    fn to_bits(self) -> u8 {
        self.into()
    }
}

impl Field for u8 {
    #[inline]
    fn from_bits(v: u8) -> Self {
        v
    }
    #[inline]
    fn to_bits(self) -> u8 {
        self
    }
}

bit_fields! {
    /// Nature of connection indicators (Q.763 3.35).
    pub struct NatureOfConnectionIndicators(u8) {
        satellite_indicator, with_satellite_indicator: SatelliteIndicator = 0x03;
        continuity_check_indicator, with_continuity_check_indicator: ContinuityCheckIndicator = 0x0c;
        /// Bit E: outgoing echo control device included.
        echo_control_device_included, with_echo_control_device_included: bool = 0x10;
        spare, with_spare: u8 = 0xe0;
    }
}

bit_fields! {
    /// Forward call indicators (Q.763 3.23).
    pub struct ForwardCallIndicators(u16) {
        /// Bit A: 1 = call to be treated as an international call.
        international_call, with_international_call: bool = 0x0001;
        end_to_end_method, with_end_to_end_method: EndToEndMethod = 0x0006;
        /// Bit D: 1 = interworking encountered.
        interworking_encountered, with_interworking_encountered: bool = 0x0008;
        /// Bit E: 1 = end-to-end information available.
        end_to_end_information_available, with_end_to_end_information_available: bool = 0x0010;
        /// Bit F: 1 = ISDN user part used all the way.
        isdn_user_part_all_the_way, with_isdn_user_part_all_the_way: bool = 0x0020;
        isdn_user_part_preference, with_isdn_user_part_preference: IsupPreference = 0x00c0;
        /// Bit I: 1 = originating access ISDN.
        originating_access_isdn, with_originating_access_isdn: bool = 0x0100;
        sccp_method, with_sccp_method: SccpMethod = 0x0600;
        spare_l, with_spare_l: u8 = 0x0800;
        /// Bit M: 1 = number translated (ported number translation indicator).
        ported_number_translated, with_ported_number_translated: bool = 0x1000;
        /// Bit N: 1 = QoR routing attempt in progress.
        qor_routing_attempt, with_qor_routing_attempt: bool = 0x2000;
        reserved_for_national_use, with_reserved_for_national_use: u8 = 0xc000;
    }
}

bit_fields! {
    /// Backward call indicators (Q.763 3.5).
    pub struct BackwardCallIndicators(u16) {
        charge_indicator, with_charge_indicator: ChargeIndicator = 0x0003;
        called_partys_status, with_called_partys_status: CalledPartysStatus = 0x000c;
        called_partys_category, with_called_partys_category: CalledPartysCategory = 0x0030;
        end_to_end_method, with_end_to_end_method: EndToEndMethod = 0x00c0;
        /// Bit I: 1 = interworking encountered.
        interworking_encountered, with_interworking_encountered: bool = 0x0100;
        /// Bit J: 1 = end-to-end information available.
        end_to_end_information_available, with_end_to_end_information_available: bool = 0x0200;
        /// Bit K: 1 = ISDN user part used all the way.
        isdn_user_part_all_the_way, with_isdn_user_part_all_the_way: bool = 0x0400;
        /// Bit L: 1 = holding requested.
        holding_requested, with_holding_requested: bool = 0x0800;
        /// Bit M: 1 = terminating access ISDN.
        terminating_access_isdn, with_terminating_access_isdn: bool = 0x1000;
        /// Bit N: 1 = incoming echo control device included.
        echo_control_device_included, with_echo_control_device_included: bool = 0x2000;
        sccp_method, with_sccp_method: SccpMethod = 0xc000;
    }
}

bit_fields! {
    /// Optional forward call indicators (Q.763 3.38).
    pub struct OptionalForwardCallIndicators(u8) {
        closed_user_group_call, with_closed_user_group_call: CugCallIndicator = 0x03;
        /// Bit C: 1 = additional information will be sent in a segmentation message.
        simple_segmentation, with_simple_segmentation: bool = 0x04;
        spare, with_spare: u8 = 0x78;
        /// Bit H: 1 = connected line identity requested.
        connected_line_identity_requested, with_connected_line_identity_requested: bool = 0x80;
    }
}

bit_fields! {
    /// Optional backward call indicators (Q.763 3.37).
    pub struct OptionalBackwardCallIndicators(u8) {
        /// Bit A: 1 = in-band information or an appropriate pattern is now available.
        inband_information_available, with_inband_information_available: bool = 0x01;
        /// Bit B: 1 = call diversion may occur.
        call_diversion_may_occur, with_call_diversion_may_occur: bool = 0x02;
        /// Bit C: 1 = additional information will be sent in a segmentation message.
        simple_segmentation, with_simple_segmentation: bool = 0x04;
        /// Bit D: 1 = MLPP user.
        mlpp_user, with_mlpp_user: bool = 0x08;
        reserved_for_national_use, with_reserved_for_national_use: u8 = 0xf0;
    }
}

bit_fields! {
    /// Redirection information (Q.763 3.45).
    pub struct RedirectionInformation(u16) {
        redirecting_indicator, with_redirecting_indicator: RedirectingIndicator = 0x0007;
        spare_d, with_spare_d: u8 = 0x0008;
        original_redirection_reason, with_original_redirection_reason: RedirectionReason = 0x00f0;
        redirection_counter, with_redirection_counter: u8 = 0x0700;
        spare_l, with_spare_l: u8 = 0x0800;
        redirection_reason, with_redirection_reason: RedirectionReason = 0xf000;
    }
}

bit_fields! {
    /// Information request indicators (Q.763 3.29).
    pub struct InformationRequestIndicators(u16) {
        calling_party_address_requested, with_calling_party_address_requested: bool = 0x0001;
        holding_requested, with_holding_requested: bool = 0x0002;
        spare_c, with_spare_c: u8 = 0x0004;
        calling_partys_category_requested, with_calling_partys_category_requested: bool = 0x0008;
        charge_information_requested, with_charge_information_requested: bool = 0x0010;
        spare_fg, with_spare_fg: u8 = 0x0060;
        /// Bit H: malicious call identification requested (reserved, used in 1988).
        malicious_call_identification_requested, with_malicious_call_identification_requested: bool = 0x0080;
        spare_il, with_spare_il: u8 = 0x0f00;
        reserved_for_national_use, with_reserved_for_national_use: u8 = 0xf000;
    }
}

bit_fields! {
    /// Information indicators (Q.763 3.28).
    pub struct InformationIndicators(u16) {
        calling_party_address_response, with_calling_party_address_response: CallingPartyAddressResponse = 0x0003;
        hold_provided, with_hold_provided: bool = 0x0004;
        spare_de, with_spare_de: u8 = 0x0018;
        calling_partys_category_included, with_calling_partys_category_included: bool = 0x0020;
        charge_information_included, with_charge_information_included: bool = 0x0040;
        /// Bit H: 1 = unsolicited information.
        unsolicited, with_unsolicited: bool = 0x0080;
        spare_il, with_spare_il: u8 = 0x0f00;
        reserved_for_national_use, with_reserved_for_national_use: u8 = 0xf000;
    }
}

bit_fields! {
    /// Event information (Q.763 3.21).
    pub struct EventInformation(u8) {
        event_indicator, with_event_indicator: EventIndicator = 0x7f;
        /// Bit H: 1 = presentation restricted.
        event_presentation_restricted, with_event_presentation_restricted: bool = 0x80;
    }
}

bit_fields! {
    /// Circuit group supervision message type (Q.763 3.13).
    pub struct CircuitGroupSupervisionMessageType(u8) {
        message_type_indicator, with_message_type_indicator: CgsMessageType = 0x03;
        spare, with_spare: u8 = 0xfc;
    }
}

bit_fields! {
    /// Suspend/resume indicators (Q.763 3.52).
    pub struct SuspendResumeIndicators(u8) {
        /// Bit A: 0 = ISDN subscriber initiated, 1 = network initiated.
        network_initiated, with_network_initiated: bool = 0x01;
        spare, with_spare: u8 = 0xfe;
    }
}

bit_fields! {
    /// Continuity indicators (Q.763 3.18).
    pub struct ContinuityIndicators(u8) {
        /// Bit A: 0 = continuity check failed, 1 = successful.
        continuity_check_successful, with_continuity_check_successful: bool = 0x01;
        spare, with_spare: u8 = 0xfe;
    }
}

bit_fields! {
    /// Hop counter (Q.763 3.80).
    pub struct HopCounter(u8) {
        hop_counter, with_hop_counter: u8 = 0x1f;
        spare, with_spare: u8 = 0xe0;
    }
}

bit_fields! {
    /// Octet 2 of the called party number (Q.763 3.9) and of the redirection number
    /// (Q.763 3.46).
    pub struct CalledNumberIndicators(u8) {
        /// Bit H: 1 = routing to internal network number not allowed.
        inn_indicator, with_inn_indicator: bool = 0x80;
        numbering_plan, with_numbering_plan: NumberingPlan = 0x70;
        spare, with_spare: u8 = 0x0f;
    }
}

bit_fields! {
    /// Octet 2 of the calling party number (Q.763 3.10) and octet 3 of the generic number
    /// (Q.763 3.26).
    pub struct CallingNumberIndicators(u8) {
        /// Bit H: 1 = number incomplete.
        ni_indicator, with_ni_indicator: bool = 0x80;
        numbering_plan, with_numbering_plan: NumberingPlan = 0x70;
        address_presentation_restricted, with_address_presentation_restricted: AddressPresentation = 0x0c;
        screening, with_screening: Screening = 0x03;
    }
}

bit_fields! {
    /// Octet 2 of the connected number (Q.763 3.16).
    pub struct ConnectedNumberIndicators(u8) {
        spare, with_spare: u8 = 0x80;
        numbering_plan, with_numbering_plan: NumberingPlan = 0x70;
        address_presentation_restricted, with_address_presentation_restricted: AddressPresentation = 0x0c;
        screening, with_screening: Screening = 0x03;
    }
}

bit_fields! {
    /// Octet 2 of the redirecting number (Q.763 3.44) and original called number (Q.763 3.39).
    pub struct RedirectingNumberIndicators(u8) {
        spare_h, with_spare_h: u8 = 0x80;
        numbering_plan, with_numbering_plan: NumberingPlan = 0x70;
        address_presentation_restricted, with_address_presentation_restricted: AddressPresentation = 0x0c;
        spare_ba, with_spare_ba: u8 = 0x03;
    }
}

bit_fields! {
    /// Octet 2 of the location number (Q.763 3.30).
    pub struct LocationNumberIndicators(u8) {
        /// Bit H: 1 = routing to internal network number not allowed.
        inn_indicator, with_inn_indicator: bool = 0x80;
        numbering_plan, with_numbering_plan: NumberingPlan = 0x70;
        address_presentation_restricted, with_address_presentation_restricted: AddressPresentation = 0x0c;
        screening, with_screening: Screening = 0x03;
    }
}

bit_fields! {
    /// Octet 1 of the cause indicators (Q.850 2.2.5).
    pub struct CauseOctet1(u8) {
        location, with_location: Location = 0x0f;
        spare, with_spare: u8 = 0x10;
        coding_standard, with_coding_standard: CodingStandard = 0x60;
        /// Bit 8: 0 = octet 1a (recommendation) follows.
        extension, with_extension: bool = 0x80;
    }
}

bit_fields! {
    /// Octet 2 of the cause indicators (Q.850 2.2.5): the cause value and an extension bit.
    pub struct CauseOctet2(u8) {
        cause_value, with_cause_value: CauseValue = 0x7f;
        extension, with_extension: bool = 0x80;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_keep_other_bits() {
        let f = ForwardCallIndicators(0x01a0);
        assert!(f.isdn_user_part_all_the_way());
        assert_eq!(
            f.isdn_user_part_preference(),
            IsupPreference::RequiredAllTheWay
        );
        assert!(f.originating_access_isdn());
        let g = f.with_sccp_method(SccpMethod::ConnectionOriented);
        assert_eq!(g.0, 0x05a0);
        assert_eq!(g.with_sccp_method(SccpMethod::NoIndication), f);
        let n = NatureOfConnectionIndicators(0xe0).with_echo_control_device_included(true);
        assert_eq!(n.0, 0xf0);
        assert_eq!(n.spare(), 7);
        let json = serde_json::to_value(NatureOfConnectionIndicators(0x11)).unwrap();
        assert_eq!(json["satellite_indicator"], "one_satellite_circuit");
        assert_eq!(json["echo_control_device_included"], true);
        assert!(json.get("spare").is_none());
    }
}
