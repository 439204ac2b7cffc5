//! Code tables of Q.763 (and Q.850 for causes): message types, parameter names and the values
//! of the fields inside parameters. Names serialize in snake case; a value without a name
//! serializes as its number. The cause tables are Q.850's, shared with Q.931 ([`crate::q850`]).

pub use crate::q850::{CauseValue, CodingStandard, Location};

code_enum! {
    /// Message type code (Q.763 Table 4). Serializes as the acronym of Q.762.
    pub enum MessageType {
        Iam = 0x01 => "IAM",
        Sam = 0x02 => "SAM",
        Inr = 0x03 => "INR",
        Inf = 0x04 => "INF",
        Cot = 0x05 => "COT",
        Acm = 0x06 => "ACM",
        Con = 0x07 => "CON",
        Fot = 0x08 => "FOT",
        Anm = 0x09 => "ANM",
        Rel = 0x0c => "REL",
        Sus = 0x0d => "SUS",
        Res = 0x0e => "RES",
        Rlc = 0x10 => "RLC",
        Ccr = 0x11 => "CCR",
        Rsc = 0x12 => "RSC",
        Blo = 0x13 => "BLO",
        Ubl = 0x14 => "UBL",
        Bla = 0x15 => "BLA",
        Uba = 0x16 => "UBA",
        Grs = 0x17 => "GRS",
        Cgb = 0x18 => "CGB",
        Cgu = 0x19 => "CGU",
        Cgba = 0x1a => "CGBA",
        Cgua = 0x1b => "CGUA",
        Far = 0x1f => "FAR",
        Faa = 0x20 => "FAA",
        Frj = 0x21 => "FRJ",
        Lpa = 0x24 => "LPA",
        Pam = 0x28 => "PAM",
        Gra = 0x29 => "GRA",
        Cqm = 0x2a => "CQM",
        Cqr = 0x2b => "CQR",
        Cpg = 0x2c => "CPG",
        Usr = 0x2d => "USR",
        Ucic = 0x2e => "UCIC",
        Cfn = 0x2f => "CFN",
        Olm = 0x30 => "OLM",
        Crg = 0x31 => "CRG",
        Nrm = 0x32 => "NRM",
        Fac = 0x33 => "FAC",
        Upt = 0x34 => "UPT",
        Upa = 0x35 => "UPA",
        Idr = 0x36 => "IDR",
        Irs = 0x37 => "IRS",
        Sgm = 0x38 => "SGM",
        Lpr = 0x40 => "LPR",
        Apm = 0x41 => "APM",
        Pri = 0x42 => "PRI",
        Sdn = 0x43 => "SDN",
    }
}

/// Parameter name codes (Q.763 Table 5), the ones this crate or its users refer to by name.
pub mod code {
    pub const END_OF_OPTIONAL_PARAMETERS: u8 = 0;
    pub const CALL_REFERENCE: u8 = 1;
    pub const TRANSMISSION_MEDIUM_REQUIREMENT: u8 = 2;
    pub const ACCESS_TRANSPORT: u8 = 3;
    pub const CALLED_PARTY_NUMBER: u8 = 4;
    pub const SUBSEQUENT_NUMBER: u8 = 5;
    pub const NATURE_OF_CONNECTION_INDICATORS: u8 = 6;
    pub const FORWARD_CALL_INDICATORS: u8 = 7;
    pub const OPTIONAL_FORWARD_CALL_INDICATORS: u8 = 8;
    pub const CALLING_PARTYS_CATEGORY: u8 = 9;
    pub const CALLING_PARTY_NUMBER: u8 = 10;
    pub const REDIRECTING_NUMBER: u8 = 11;
    pub const REDIRECTION_NUMBER: u8 = 12;
    pub const CONNECTION_REQUEST: u8 = 13;
    pub const INFORMATION_REQUEST_INDICATORS: u8 = 14;
    pub const INFORMATION_INDICATORS: u8 = 15;
    pub const CONTINUITY_INDICATORS: u8 = 16;
    pub const BACKWARD_CALL_INDICATORS: u8 = 17;
    pub const CAUSE_INDICATORS: u8 = 18;
    pub const REDIRECTION_INFORMATION: u8 = 19;
    pub const CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE: u8 = 21;
    pub const RANGE_AND_STATUS: u8 = 22;
    pub const FACILITY_INDICATOR: u8 = 24;
    pub const CLOSED_USER_GROUP_INTERLOCK_CODE: u8 = 26;
    pub const USER_SERVICE_INFORMATION: u8 = 29;
    pub const SIGNALLING_POINT_CODE: u8 = 30;
    pub const USER_TO_USER_INFORMATION: u8 = 32;
    pub const CONNECTED_NUMBER: u8 = 33;
    pub const SUSPEND_RESUME_INDICATORS: u8 = 34;
    pub const TRANSIT_NETWORK_SELECTION: u8 = 35;
    pub const EVENT_INFORMATION: u8 = 36;
    pub const CIRCUIT_ASSIGNMENT_MAP: u8 = 37;
    pub const CIRCUIT_STATE_INDICATOR: u8 = 38;
    pub const AUTOMATIC_CONGESTION_LEVEL: u8 = 39;
    pub const ORIGINAL_CALLED_NUMBER: u8 = 40;
    pub const OPTIONAL_BACKWARD_CALL_INDICATORS: u8 = 41;
    pub const USER_TO_USER_INDICATORS: u8 = 42;
    pub const ORIGINATION_ISC_POINT_CODE: u8 = 43;
    pub const GENERIC_NOTIFICATION_INDICATOR: u8 = 44;
    pub const CALL_HISTORY_INFORMATION: u8 = 45;
    pub const ACCESS_DELIVERY_INFORMATION: u8 = 46;
    pub const NETWORK_SPECIFIC_FACILITY: u8 = 47;
    pub const USER_SERVICE_INFORMATION_PRIME: u8 = 48;
    pub const PROPAGATION_DELAY_COUNTER: u8 = 49;
    pub const REMOTE_OPERATIONS: u8 = 50;
    pub const SERVICE_ACTIVATION: u8 = 51;
    pub const USER_TELESERVICE_INFORMATION: u8 = 52;
    pub const TRANSMISSION_MEDIUM_USED: u8 = 53;
    pub const CALL_DIVERSION_INFORMATION: u8 = 54;
    pub const ECHO_CONTROL_INFORMATION: u8 = 55;
    pub const MESSAGE_COMPATIBILITY_INFORMATION: u8 = 56;
    pub const PARAMETER_COMPATIBILITY_INFORMATION: u8 = 57;
    pub const MLPP_PRECEDENCE: u8 = 58;
    pub const MCID_REQUEST_INDICATORS: u8 = 59;
    pub const MCID_RESPONSE_INDICATORS: u8 = 60;
    pub const HOP_COUNTER: u8 = 61;
    pub const TRANSMISSION_MEDIUM_REQUIREMENT_PRIME: u8 = 62;
    pub const LOCATION_NUMBER: u8 = 63;
    pub const REDIRECTION_NUMBER_RESTRICTION: u8 = 64;
    pub const CALL_TRANSFER_REFERENCE: u8 = 67;
    pub const LOOP_PREVENTION_INDICATORS: u8 = 68;
    pub const CALL_TRANSFER_NUMBER: u8 = 69;
    pub const CCSS: u8 = 75;
    pub const FORWARD_GVNS: u8 = 76;
    pub const BACKWARD_GVNS: u8 = 77;
    pub const REDIRECT_CAPABILITY: u8 = 78;
    pub const NETWORK_MANAGEMENT_CONTROLS: u8 = 91;
    pub const CORRELATION_ID: u8 = 101;
    pub const SCF_ID: u8 = 102;
    pub const CALL_DIVERSION_TREATMENT_INDICATORS: u8 = 110;
    pub const CALLED_IN_NUMBER: u8 = 111;
    pub const CALL_OFFERING_TREATMENT_INDICATORS: u8 = 112;
    pub const CHARGED_PARTY_IDENTIFICATION: u8 = 113;
    pub const CONFERENCE_TREATMENT_INDICATORS: u8 = 114;
    pub const DISPLAY_INFORMATION: u8 = 115;
    pub const UID_ACTION_INDICATORS: u8 = 116;
    pub const UID_CAPABILITY_INDICATORS: u8 = 117;
    pub const REDIRECT_COUNTER: u8 = 119;
    pub const APPLICATION_TRANSPORT: u8 = 120;
    pub const COLLECT_CALL_REQUEST: u8 = 121;
    pub const GENERIC_NUMBER: u8 = 192;
    pub const GENERIC_DIGITS: u8 = 193;
}

/// The Q.763 name of a parameter code, for codes this crate keeps as raw octets (Table 5; the
/// same names tshark shows).
pub fn parameter_label(code: u8) -> Option<&'static str> {
    Some(match code {
        0 => "End of optional parameters",
        1 => "Call reference",
        2 => "Transmission medium requirement",
        3 => "Access transport",
        4 => "Called party number",
        5 => "Subsequent number",
        6 => "Nature of connection indicators",
        7 => "Forward call indicators",
        8 => "Optional forward call indicators",
        9 => "Calling party's category",
        10 => "Calling party number",
        11 => "Redirecting number",
        12 => "Redirection number",
        13 => "Connection request",
        14 => "Information request indicators",
        15 => "Information indicators",
        16 => "Continuity indicators",
        17 => "Backward call indicators",
        18 => "Cause indicators",
        19 => "Redirection information",
        21 => "Circuit group supervision message type",
        22 => "Range and status",
        24 => "Facility indicator",
        26 => "Closed user group interlock code",
        29 => "User service information",
        30 => "Signalling point code",
        32 => "User-to-user information",
        33 => "Connected number",
        34 => "Suspend/resume indicators",
        35 => "Transit network selection",
        36 => "Event information",
        37 => "Circuit assignment map",
        38 => "Circuit state indicator",
        39 => "Automatic congestion level",
        40 => "Original called number",
        41 => "Optional backward call indicators",
        42 => "User-to-user indicators",
        43 => "Origination ISC point code",
        44 => "Generic notification indicator",
        45 => "Call history information",
        46 => "Access delivery information",
        47 => "Network specific facility",
        48 => "User service information prime",
        49 => "Propagation delay counter",
        50 => "Remote operations",
        51 => "Service activation",
        52 => "User teleservice information",
        53 => "Transmission medium used",
        54 => "Call diversion information",
        55 => "Echo control information",
        56 => "Message compatibility information",
        57 => "Parameter compatibility information",
        58 => "MLPP precedence",
        59 => "MCID request indicators",
        60 => "MCID response indicators",
        61 => "Hop counter",
        62 => "Transmission medium requirement prime",
        63 => "Location number",
        64 => "Redirection number restriction",
        67 => "Call transfer reference",
        68 => "Loop prevention indicators",
        69 => "Call transfer number",
        75 => "CCSS",
        76 => "Forward GVNS",
        77 => "Backward GVNS",
        78 => "Redirect capability",
        91 => "Network management controls",
        101 => "Correlation id",
        102 => "SCF id",
        110 => "Call diversion treatment indicators",
        111 => "Called IN number",
        112 => "Call offering treatment indicators",
        113 => "Charged party identification",
        114 => "Conference treatment indicators",
        115 => "Display information",
        116 => "UID action indicators",
        117 => "UID capability indicators",
        119 => "Redirect counter",
        120 => "Application transport",
        121 => "Collect call request",
        192 => "Generic number",
        193 => "Generic digits",
        _ => return None,
    })
}

code_enum! {
    /// Nature of address indicator of the numbers (Q.763 3.9 b, 3.10 b, 3.26 c).
    pub enum NatureOfAddress {
        Spare = 0 => "spare",
        SubscriberNumber = 1 => "subscriber",
        UnknownNumber = 2 => "unknown",
        NationalNumber = 3 => "national",
        InternationalNumber = 4 => "international",
        NetworkSpecificNumber = 5 => "network_specific",
        NetworkRoutingNumberNational = 6 => "network_routing_number_national_format",
        NetworkRoutingNumberNetworkSpecific = 7 => "network_routing_number_network_specific_format",
        NetworkRoutingNumberConcatenated = 8 => "network_routing_number_concatenated_with_called_directory_number",
    }
}

code_enum! {
    /// Numbering plan indicator (Q.763 3.9 d).
    pub enum NumberingPlan {
        Unknown0 = 0 => "unknown",
        IsdnTelephony = 1 => "isdn_telephony",
        Data = 3 => "data",
        Telex = 4 => "telex",
        Private = 5 => "private",
    }
}

code_enum! {
    /// Address presentation restricted indicator (Q.763 3.10 e).
    pub enum AddressPresentation {
        Allowed = 0 => "allowed",
        Restricted = 1 => "restricted",
        AddressNotAvailable = 2 => "address_not_available",
        ReservedForRestrictionByNetwork = 3 => "reserved_for_restriction_by_the_network",
    }
}

code_enum! {
    /// Screening indicator (Q.763 3.10 f).
    pub enum Screening {
        UserProvidedNotVerified = 0 => "user_provided_not_verified",
        UserProvidedVerifiedPassed = 1 => "user_provided_verified_and_passed",
        UserProvidedVerifiedFailed = 2 => "user_provided_verified_and_failed",
        NetworkProvided = 3 => "network_provided",
    }
}

code_enum! {
    /// Number qualifier indicator of the generic number (Q.763 3.26 a).
    pub enum NumberQualifier {
        DialledDigits = 0 => "dialled_digits",
        AdditionalCalledNumber = 1 => "additional_called_number",
        SupplementalCallingFailedScreening = 2 => "supplemental_user_provided_calling_number_failed_screening",
        SupplementalCallingNotScreened = 3 => "supplemental_user_provided_calling_number_not_screened",
        RedirectingTerminatingNumber = 4 => "redirecting_terminating_number",
        AdditionalConnectedNumber = 5 => "additional_connected_number",
        AdditionalCallingPartyNumber = 6 => "additional_calling_party_number",
        AdditionalOriginalCalledNumber = 7 => "additional_original_called_number",
        AdditionalRedirectingNumber = 8 => "additional_redirecting_number",
        AdditionalRedirectionNumber = 9 => "additional_redirection_number",
    }
}

code_enum! {
    /// Calling party's category (Q.763 3.11).
    pub enum CallingPartysCategory {
        UnknownAtThisTime = 0 => "unknown_at_this_time",
        OperatorFrench = 1 => "operator_french",
        OperatorEnglish = 2 => "operator_english",
        OperatorGerman = 3 => "operator_german",
        OperatorRussian = 4 => "operator_russian",
        OperatorSpanish = 5 => "operator_spanish",
        OrdinarySubscriber = 10 => "ordinary_calling_subscriber",
        SubscriberWithPriority = 11 => "calling_subscriber_with_priority",
        DataCall = 12 => "data_call",
        TestCall = 13 => "test_call",
        Payphone = 15 => "payphone",
    }
}

code_enum! {
    /// Transmission medium requirement (Q.763 3.54), also the coding of the TMR prime
    /// (Q.763 3.55) and transmission medium used (Q.763 3.56) parameters.
    pub enum TransmissionMedium {
        Speech = 0 => "speech",
        Unrestricted64k = 2 => "64_kbit_s_unrestricted",
        Audio3k1 = 3 => "3.1_khz_audio",
        AlternateSpeech64k = 4 => "alternate_speech_64_kbit_s_unrestricted",
        Alternate64kSpeech = 5 => "alternate_64_kbit_s_unrestricted_speech",
        Preferred64k = 6 => "64_kbit_s_preferred",
        Unrestricted2x64k = 7 => "2x64_kbit_s_unrestricted",
        Unrestricted384k = 8 => "384_kbit_s_unrestricted",
        Unrestricted1536k = 9 => "1536_kbit_s_unrestricted",
        Unrestricted1920k = 10 => "1920_kbit_s_unrestricted",
    }
}

code_enum! {
    /// Satellite indicator (Q.763 3.35, bits B A).
    pub enum SatelliteIndicator {
        NoSatellite = 0 => "no_satellite_circuit",
        OneSatellite = 1 => "one_satellite_circuit",
        TwoSatellites = 2 => "two_satellite_circuits",
    }
}

code_enum! {
    /// Continuity check indicator (Q.763 3.35, bits D C).
    pub enum ContinuityCheckIndicator {
        NotRequired = 0 => "not_required",
        RequiredOnThisCircuit = 1 => "required_on_this_circuit",
        PerformedOnPreviousCircuit = 2 => "performed_on_a_previous_circuit",
    }
}

code_enum! {
    /// End-to-end method indicator (Q.763 3.23 bits C B, 3.5 bits H G).
    pub enum EndToEndMethod {
        None = 0 => "none_available",
        PassAlong = 1 => "pass_along",
        Sccp = 2 => "sccp",
        PassAlongAndSccp = 3 => "pass_along_and_sccp",
    }
}

code_enum! {
    /// ISDN user part preference indicator (Q.763 3.23 bits H G).
    pub enum IsupPreference {
        PreferredAllTheWay = 0 => "preferred_all_the_way",
        NotRequiredAllTheWay = 1 => "not_required_all_the_way",
        RequiredAllTheWay = 2 => "required_all_the_way",
    }
}

code_enum! {
    /// SCCP method indicator (Q.763 3.23 bits K J, 3.5 bits P O).
    pub enum SccpMethod {
        NoIndication = 0 => "no_indication",
        Connectionless = 1 => "connectionless",
        ConnectionOriented = 2 => "connection_oriented",
        Both = 3 => "connectionless_and_connection_oriented",
    }
}

code_enum! {
    /// Charge indicator (Q.763 3.5 bits B A).
    pub enum ChargeIndicator {
        NoIndication = 0 => "no_indication",
        NoCharge = 1 => "no_charge",
        Charge = 2 => "charge",
    }
}

code_enum! {
    /// Called party's status indicator (Q.763 3.5 bits D C).
    pub enum CalledPartysStatus {
        NoIndication = 0 => "no_indication",
        SubscriberFree = 1 => "subscriber_free",
        ConnectWhenFree = 2 => "connect_when_free",
    }
}

code_enum! {
    /// Called party's category indicator (Q.763 3.5 bits F E).
    pub enum CalledPartysCategory {
        NoIndication = 0 => "no_indication",
        OrdinarySubscriber = 1 => "ordinary_subscriber",
        Payphone = 2 => "payphone",
    }
}

code_enum! {
    /// Closed user group call indicator (Q.763 3.38 bits B A).
    pub enum CugCallIndicator {
        NonCug = 0 => "non_cug_call",
        OutgoingAccessAllowed = 2 => "cug_call_outgoing_access_allowed",
        OutgoingAccessNotAllowed = 3 => "cug_call_outgoing_access_not_allowed",
    }
}

code_enum! {
    /// Event indicator (Q.763 3.21 bits G-A).
    pub enum EventIndicator {
        Alerting = 1 => "alerting",
        Progress = 2 => "progress",
        InbandInformation = 3 => "in_band_information_available",
        ForwardedOnBusy = 4 => "call_forwarded_on_busy",
        ForwardedOnNoReply = 5 => "call_forwarded_on_no_reply",
        ForwardedUnconditional = 6 => "call_forwarded_unconditional",
    }
}

code_enum! {
    /// Redirecting indicator (Q.763 3.45 bits C B A of octet 1).
    pub enum RedirectingIndicator {
        NoRedirection = 0 => "no_redirection",
        CallRerouted = 1 => "call_rerouted",
        CallReroutedAllRestricted = 2 => "call_rerouted_all_redirection_information_presentation_restricted",
        CallDiverted = 3 => "call_diverted",
        CallDivertedAllRestricted = 4 => "call_diverted_all_redirection_information_presentation_restricted",
        CallReroutedNumberRestricted = 5 => "call_rerouted_redirection_number_presentation_restricted",
        CallDivertedNumberRestricted = 6 => "call_diversion_redirection_number_presentation_restricted",
    }
}

code_enum! {
    /// Original redirection reason and redirection reason (Q.763 3.45).
    pub enum RedirectionReason {
        Unknown0 = 0 => "unknown",
        UserBusy = 1 => "user_busy",
        NoReply = 2 => "no_reply",
        Unconditional = 3 => "unconditional",
        DeflectionDuringAlerting = 4 => "deflection_during_alerting",
        DeflectionImmediateResponse = 5 => "deflection_immediate_response",
        MobileSubscriberNotReachable = 6 => "mobile_subscriber_not_reachable",
    }
}

code_enum! {
    /// Circuit group supervision message type indicator (Q.763 3.13 bits B A).
    pub enum CgsMessageType {
        MaintenanceOriented = 0 => "maintenance_oriented",
        HardwareFailureOriented = 1 => "hardware_failure_oriented",
    }
}

code_enum! {
    /// Automatic congestion level (Q.763 3.4).
    pub enum CongestionLevel {
        Level1Exceeded = 1 => "congestion_level_1_exceeded",
        Level2Exceeded = 2 => "congestion_level_2_exceeded",
    }
}

code_enum! {
    /// Facility indicator (Q.763 3.22).
    pub enum FacilityIndicator {
        UserToUserService = 2 => "user_to_user_service",
    }
}

code_enum! {
    /// Calling party address response indicator (Q.763 3.28 bits B A).
    pub enum CallingPartyAddressResponse {
        NotIncluded = 0 => "not_included",
        NotAvailable = 1 => "not_available",
        Included = 3 => "included",
    }
}

code_enum! {
    /// Information transfer capability of the bearer capability carried in the user service
    /// information (Q.931 4.5.5, octet 3).
    pub enum TransferCapability {
        Speech = 0x00 => "speech",
        UnrestrictedDigital = 0x08 => "unrestricted_digital_information",
        RestrictedDigital = 0x09 => "restricted_digital_information",
        Audio3k1 = 0x10 => "3.1_khz_audio",
        UnrestrictedDigitalWithTones = 0x11 => "unrestricted_digital_information_with_tones",
        Video = 0x18 => "video",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip_and_names() {
        for c in 0..=255u8 {
            assert_eq!(MessageType::from_code(c).code(), c);
            assert_eq!(CauseValue::from_code(c).code(), c);
        }
        assert_eq!(MessageType::from_code(1), MessageType::Iam);
        assert_eq!(MessageType::Unknown(1), MessageType::Iam);
        assert_eq!(
            serde_json::to_string(&MessageType::Cgba).unwrap(),
            "\"CGBA\""
        );
        assert_eq!(
            serde_json::to_string(&MessageType::from(0xfe)).unwrap(),
            "254"
        );
        assert_eq!(CauseValue::UserBusy.code(), 17);
        for v in CauseValue::ALL {
            assert!(v.name().is_some());
        }
    }
}
