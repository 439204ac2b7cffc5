//! ITU-T Q.850: the cause values, locations and coding standards that ISUP (Q.763 3.12, cause
//! indicators) and DSS1/QSIG (Q.931 4.5.12, cause information element) share, so that a cause
//! read on one side of the gateway is the same value on the other.

code_enum! {
    /// Coding standard (Q.850 2.2.5 and Q.931 4.5: bits 7-6 of octet 3 of an information element).
    pub enum CodingStandard {
        ItuT = 0 => "itu_t",
        IsoIec = 1 => "iso_iec",
        National = 2 => "national",
        NetworkSpecific = 3 => "network_specific",
    }
}

code_enum! {
    /// Location (Q.850 2.2.5, octet 3 bits 4-1).
    pub enum Location {
        User = 0 => "user",
        PrivateNetworkLocalUser = 1 => "private_network_serving_the_local_user",
        PublicNetworkLocalUser = 2 => "public_network_serving_the_local_user",
        TransitNetwork = 3 => "transit_network",
        PublicNetworkRemoteUser = 4 => "public_network_serving_the_remote_user",
        PrivateNetworkRemoteUser = 5 => "private_network_serving_the_remote_user",
        InternationalNetwork = 7 => "international_network",
        NetworkBeyondInterworkingPoint = 10 => "network_beyond_interworking_point",
    }
}

code_enum! {
    /// Cause value (Q.850 2.2.7 and Table 1): class in bits 7-5, value within the class in
    /// bits 4-1. Names are Q.850's titles in snake case; values Q.850 does not assign are kept
    /// as `Unknown`.
    pub enum CauseValue {
        UnallocatedNumber = 1 => "unallocated_unassigned_number",
        NoRouteToTransitNetwork = 2 => "no_route_to_specified_transit_network_national_use",
        NoRouteToDestination = 3 => "no_route_to_destination",
        SendSpecialInformationTone = 4 => "send_special_information_tone",
        MisdialledTrunkPrefix = 5 => "misdialled_trunk_prefix",
        ChannelUnacceptable = 6 => "channel_unacceptable",
        CallAwardedInEstablishedChannel = 7 => "call_awarded_and_being_delivered_in_an_established_channel",
        Preemption = 8 => "preemption",
        PreemptionCircuitReserved = 9 => "preemption_circuit_reserved_for_reuse",
        QorPortedNumber = 14 => "qor_ported_number",
        NormalCallClearing = 16 => "normal_call_clearing",
        UserBusy = 17 => "user_busy",
        NoUserResponding = 18 => "no_user_responding",
        NoAnswerFromUser = 19 => "no_answer_from_user_user_alerted",
        SubscriberAbsent = 20 => "subscriber_absent",
        CallRejected = 21 => "call_rejected",
        NumberChanged = 22 => "number_changed",
        RedirectionToNewDestination = 23 => "redirection_to_new_destination",
        CallRejectedFeatureAtDestination = 24 => "call_rejected_due_to_feature_at_the_destination",
        ExchangeRoutingError = 25 => "exchange_routing_error",
        NonSelectedUserClearing = 26 => "non_selected_user_clearing",
        DestinationOutOfOrder = 27 => "destination_out_of_order",
        InvalidNumberFormat = 28 => "invalid_number_format_address_incomplete",
        FacilityRejected = 29 => "facility_rejected",
        ResponseToStatusEnquiry = 30 => "response_to_status_enquiry",
        NormalUnspecified = 31 => "normal_unspecified",
        NoCircuitAvailable = 34 => "no_circuit_channel_available",
        NetworkOutOfOrder = 38 => "network_out_of_order",
        PermanentFrameModeOutOfService = 39 => "permanent_frame_mode_connection_out_of_service",
        PermanentFrameModeOperational = 40 => "permanent_frame_mode_connection_operational",
        TemporaryFailure = 41 => "temporary_failure",
        SwitchingEquipmentCongestion = 42 => "switching_equipment_congestion",
        AccessInformationDiscarded = 43 => "access_information_discarded",
        RequestedCircuitNotAvailable = 44 => "requested_circuit_channel_not_available",
        PrecedenceCallBlocked = 46 => "precedence_call_blocked",
        ResourceUnavailable = 47 => "resource_unavailable_unspecified",
        QualityOfServiceNotAvailable = 49 => "quality_of_service_not_available",
        RequestedFacilityNotSubscribed = 50 => "requested_facility_not_subscribed",
        OutgoingCallsBarredWithinCug = 53 => "outgoing_calls_barred_within_cug",
        IncomingCallsBarredWithinCug = 55 => "incoming_calls_barred_within_cug",
        BearerCapabilityNotAuthorized = 57 => "bearer_capability_not_authorized",
        BearerCapabilityNotAvailable = 58 => "bearer_capability_not_presently_available",
        InconsistentOutgoingAccess = 62 => "inconsistency_in_designated_outgoing_access_information_and_subscriber_class",
        ServiceNotAvailable = 63 => "service_or_option_not_available_unspecified",
        BearerCapabilityNotImplemented = 65 => "bearer_capability_not_implemented",
        ChannelTypeNotImplemented = 66 => "channel_type_not_implemented",
        RequestedFacilityNotImplemented = 69 => "requested_facility_not_implemented",
        OnlyRestrictedDigital = 70 => "only_restricted_digital_information_bearer_capability_is_available",
        ServiceNotImplemented = 79 => "service_or_option_not_implemented_unspecified",
        InvalidCallReference = 81 => "invalid_call_reference_value",
        IdentifiedChannelDoesNotExist = 82 => "identified_channel_does_not_exist",
        CallIdentityDoesNotExist = 83 => "call_identity_does_not_exist_for_suspended_call",
        CallIdentityInUse = 84 => "call_identity_in_use",
        NoCallSuspended = 85 => "no_call_suspended",
        CallIdentityCleared = 86 => "call_having_the_requested_call_identity_has_been_cleared",
        UserNotMemberOfCug = 87 => "called_user_not_member_of_cug",
        IncompatibleDestination = 88 => "incompatible_destination",
        NonExistentCug = 90 => "non_existent_cug",
        InvalidTransitNetworkSelection = 91 => "invalid_transit_network_selection_national_use",
        InvalidMessage = 95 => "invalid_message_unspecified",
        MandatoryElementMissing = 96 => "mandatory_information_element_is_missing",
        MessageTypeNonExistent = 97 => "message_type_non_existent_or_not_implemented",
        MessageNotCompatibleOrNonExistent = 98 => "message_not_compatible_with_call_state_or_message_type_non_existent_or_not_implemented",
        ParameterNonExistent = 99 => "information_element_parameter_non_existent_or_not_implemented",
        InvalidElementContents = 100 => "invalid_information_element_contents",
        MessageNotCompatibleWithCallState = 101 => "message_not_compatible_with_call_state",
        RecoveryOnTimerExpiry = 102 => "recovery_on_timer_expiry",
        ParameterNonExistentPassedOn = 103 => "parameter_non_existent_or_not_implemented_passed_on",
        MessageWithUnrecognizedParameterDiscarded = 110 => "message_with_unrecognized_parameter_discarded",
        ProtocolError = 111 => "protocol_error_unspecified",
        InterworkingUnspecified = 127 => "interworking_unspecified",
    }
}
