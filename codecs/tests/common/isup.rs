//! ISUP as tshark shows it: the `isup.*` fields tshark reports for a message, computed from what
//! our decoder reports, and generators of typical messages of every type of the ITU table.
//! Shared by the tshark tests of ISUP in MTP3 (tshark_isup.rs) and in SIP bodies
//! (tshark_sipt.rs).
#![allow(dead_code)]

use super::tshark;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::TestRunner;
use serde_json::Value as Json;
use sipt_codecs::isup::*;
use std::collections::BTreeMap;

/// The tshark fields compared, with whether they hold text (digits) rather than a number.
pub const FIELDS: &[(&str, bool)] = &[
    ("isup.cic", false),
    ("isup.message_type", false),
    ("isup.parameter_type", false),
    ("isup.satellite_indicator", false),
    ("isup.continuity_check_indicator", false),
    ("isup.echo_control_device_indicator", false),
    ("isup.forw_call_natnl_inatnl_call_indicator", false),
    ("isup.forw_call_end_to_end_method_indicator", false),
    ("isup.forw_call_interworking_indicator", false),
    ("isup.forw_call_end_to_end_information_indicator", false),
    ("isup.forw_call_isdn_user_part_indicator", false),
    ("isup.forw_call_preferences_indicator", false),
    ("isup.forw_call_isdn_access_indicator", false),
    ("isup.forw_call_sccp_method_indicator", false),
    ("isup.forw_call_ported_num_trans_indicator", false),
    ("isup.forw_call_qor_attempt_indicator", false),
    ("isup.calling_partys_category", false),
    ("isup.transmission_medium_requirement", false),
    ("isup.transmission_medium_requirement_prime", false),
    ("isup.isdn_odd_even_indicator", false),
    ("isup.called_party_nature_of_address_indicator", false),
    ("isup.calling_party_nature_of_address_indicator", false),
    ("isup.inn_indicator", false),
    ("isup.ni_indicator", false),
    ("isup.numbering_plan_indicator", false),
    ("isup.address_presentation_restricted_indicator", false),
    ("isup.screening_indicator", false),
    ("isup.screening_indicator_enhanced", false),
    ("isup.number_qualifier_indicator", false),
    ("isup.called", true),
    ("isup.calling", true),
    ("isup.redirecting", true),
    ("isup.original_called_number", true),
    ("isup.redirection_number", true),
    ("isup.connected_number", true),
    ("isup.location_number", true),
    ("isup.generic_number", true),
    ("isup.subsequent_number", true),
    ("isup.cause_indicator", false),
    ("q931.cause_location", false),
    ("isup.charge_indicator", false),
    ("isup.called_partys_status_indicator", false),
    ("isup.called_partys_category_indicator", false),
    ("isup.backw_call_end_to_end_method_indicator", false),
    ("isup.backw_call_interworking_indicator", false),
    ("isup.backw_call_end_to_end_information_indicator", false),
    ("isup.backw_call_isdn_user_part_indicator", false),
    ("isup.backw_call_holding_indicator", false),
    ("isup.backw_call_isdn_access_indicator", false),
    ("isup.backw_call_echo_control_device_indicator", false),
    ("isup.backw_call_sccp_method_indicator", false),
    ("isup.clg_call_ind", false),
    ("isup.simple_segmentation_ind", false),
    ("isup.connected_line_identity_request_ind", false),
    ("isup.inband_information_ind", false),
    ("isup.call_diversion_may_occur_ind", false),
    ("isup.mlpp_user", false),
    ("isup.redirecting_ind", false),
    ("isup.original_redirection_reason", false),
    ("isup.redirection_counter", false),
    ("isup.redirection_reason", false),
    ("isup.event_ind", false),
    ("isup.event_presentation_restr_ind", false),
    ("isup.hop_counter", false),
    ("isup.automatic_congestion_level", false),
    ("isup.propagation_delay_counter", false),
    ("isup.range_indicator", false),
    ("isup.cgs_message_type", false),
    ("isup.suspend_resume_indicator", false),
    ("isup.continuity_indicator", false),
    ("isup.call_identity", false),
    ("isup.signalling_point_code", false),
    ("isup.calling_party_address_request_indicator", false),
    ("isup.info_req_holding_indicator", false),
    ("isup.calling_partys_category_request_indicator", false),
    ("isup.charge_information_request_indicator", false),
    ("isup.malicious_call_ident_request_indicator", false),
    ("isup.calling_party_address_response_indicator", false),
    ("isup.hold_provided_indicator", false),
    ("isup.calling_partys_category_response_indicator", false),
    ("isup.charge_information_response_indicator", false),
    ("isup.solicited_indicator", false),
];

pub type Fields = BTreeMap<&'static str, Vec<String>>;

struct Expect(Fields);

impl Expect {
    fn put(&mut self, field: &'static str, v: impl ToString) {
        self.0.entry(field).or_default().push(v.to_string());
    }
    fn flag(&mut self, field: &'static str, b: bool) {
        self.put(field, u8::from(b));
    }
}

fn number_fields<I>(e: &mut Expect, n: &Number<I>, called_noa: bool) {
    e.flag("isup.isdn_odd_even_indicator", n.digits.is_odd());
    e.put(
        if called_noa {
            "isup.called_party_nature_of_address_indicator"
        } else {
            "isup.calling_party_nature_of_address_indicator"
        },
        n.nature_of_address.code(),
    );
}

/// The fields tshark shows for a message, as our decoder reports it.
pub fn expected(m: &CicMessage) -> Fields {
    let mut e = Expect(BTreeMap::new());
    e.put("isup.cic", m.cic);
    e.put("isup.message_type", m.message.message_type.code());
    let Body::Parameters {
        parameters,
        empty_optional_part,
        ..
    } = &m.message.body
    else {
        return e.0;
    };
    for p in parameters {
        e.put("isup.parameter_type", p.code());
        match p {
            Parameter::NatureOfConnectionIndicators(v) => {
                e.put("isup.satellite_indicator", v.satellite_indicator().code());
                e.put(
                    "isup.continuity_check_indicator",
                    v.continuity_check_indicator().code(),
                );
                e.flag(
                    "isup.echo_control_device_indicator",
                    v.echo_control_device_included(),
                );
            }
            Parameter::ForwardCallIndicators(v) => {
                e.flag(
                    "isup.forw_call_natnl_inatnl_call_indicator",
                    v.international_call(),
                );
                e.put(
                    "isup.forw_call_end_to_end_method_indicator",
                    v.end_to_end_method().code(),
                );
                e.flag(
                    "isup.forw_call_interworking_indicator",
                    v.interworking_encountered(),
                );
                e.flag(
                    "isup.forw_call_end_to_end_information_indicator",
                    v.end_to_end_information_available(),
                );
                e.flag(
                    "isup.forw_call_isdn_user_part_indicator",
                    v.isdn_user_part_all_the_way(),
                );
                e.put(
                    "isup.forw_call_preferences_indicator",
                    v.isdn_user_part_preference().code(),
                );
                e.flag(
                    "isup.forw_call_isdn_access_indicator",
                    v.originating_access_isdn(),
                );
                e.put(
                    "isup.forw_call_sccp_method_indicator",
                    v.sccp_method().code(),
                );
                e.flag(
                    "isup.forw_call_ported_num_trans_indicator",
                    v.ported_number_translated(),
                );
                e.flag(
                    "isup.forw_call_qor_attempt_indicator",
                    v.qor_routing_attempt(),
                );
            }
            Parameter::CallingPartysCategory { value } => {
                e.put("isup.calling_partys_category", value.code())
            }
            Parameter::TransmissionMediumRequirement { value } => {
                e.put("isup.transmission_medium_requirement", value.code())
            }
            Parameter::TransmissionMediumRequirementPrime { value }
            | Parameter::TransmissionMediumUsed { value } => {
                e.put("isup.transmission_medium_requirement_prime", value.code())
            }
            Parameter::CalledPartyNumber(n) => {
                number_fields(&mut e, n, true);
                e.flag("isup.inn_indicator", n.indicators.inn_indicator());
                e.put(
                    "isup.numbering_plan_indicator",
                    n.indicators.numbering_plan().code(),
                );
                e.put("isup.called", &n.digits);
            }
            Parameter::RedirectionNumber(n) => {
                number_fields(&mut e, n, true);
                e.flag("isup.inn_indicator", n.indicators.inn_indicator());
                e.put(
                    "isup.numbering_plan_indicator",
                    n.indicators.numbering_plan().code(),
                );
                e.put("isup.redirection_number", &n.digits);
            }
            Parameter::CallingPartyNumber(n) => {
                number_fields(&mut e, n, false);
                let i = n.indicators;
                e.flag("isup.ni_indicator", i.ni_indicator());
                e.put("isup.numbering_plan_indicator", i.numbering_plan().code());
                e.put(
                    "isup.address_presentation_restricted_indicator",
                    i.address_presentation_restricted().code(),
                );
                e.put("isup.screening_indicator", i.screening().code());
                e.put("isup.calling", &n.digits);
            }
            Parameter::RedirectingNumber(n) | Parameter::OriginalCalledNumber(n) => {
                number_fields(&mut e, n, false);
                let i = n.indicators;
                e.put("isup.numbering_plan_indicator", i.numbering_plan().code());
                e.put(
                    "isup.address_presentation_restricted_indicator",
                    i.address_presentation_restricted().code(),
                );
                let field = if matches!(p, Parameter::RedirectingNumber(_)) {
                    "isup.redirecting"
                } else {
                    "isup.original_called_number"
                };
                e.put(field, &n.digits);
            }
            Parameter::ConnectedNumber(n) => {
                number_fields(&mut e, n, false);
                let i = n.indicators;
                e.put("isup.numbering_plan_indicator", i.numbering_plan().code());
                e.put(
                    "isup.address_presentation_restricted_indicator",
                    i.address_presentation_restricted().code(),
                );
                e.put("isup.screening_indicator", i.screening().code());
                e.put("isup.connected_number", &n.digits);
            }
            Parameter::LocationNumber(n) => {
                number_fields(&mut e, n, false);
                let i = n.indicators;
                e.flag("isup.inn_indicator", i.inn_indicator());
                e.put("isup.numbering_plan_indicator", i.numbering_plan().code());
                e.put(
                    "isup.address_presentation_restricted_indicator",
                    i.address_presentation_restricted().code(),
                );
                e.put("isup.screening_indicator", i.screening().code());
                e.put("isup.location_number", &n.digits);
            }
            Parameter::GenericNumber(g) => {
                e.put("isup.number_qualifier_indicator", g.number_qualifier.code());
                let n = &g.number;
                number_fields(&mut e, n, false);
                let i = n.indicators;
                e.flag("isup.ni_indicator", i.ni_indicator());
                e.put("isup.numbering_plan_indicator", i.numbering_plan().code());
                e.put(
                    "isup.address_presentation_restricted_indicator",
                    i.address_presentation_restricted().code(),
                );
                e.put("isup.screening_indicator_enhanced", i.screening().code());
                e.put("isup.generic_number", &n.digits);
            }
            Parameter::SubsequentNumber(n) => {
                e.flag("isup.isdn_odd_even_indicator", n.digits.is_odd());
                e.put("isup.subsequent_number", &n.digits);
            }
            // tshark decodes the cause value and location of ITU-T coded causes only
            Parameter::CauseIndicators(c) if c.coding_standard() == CodingStandard::ItuT => {
                e.put("q931.cause_location", c.location().code());
                e.put("isup.cause_indicator", c.cause_value().code());
            }
            Parameter::BackwardCallIndicators(v) => {
                e.put("isup.charge_indicator", v.charge_indicator().code());
                e.put(
                    "isup.called_partys_status_indicator",
                    v.called_partys_status().code(),
                );
                e.put(
                    "isup.called_partys_category_indicator",
                    v.called_partys_category().code(),
                );
                e.put(
                    "isup.backw_call_end_to_end_method_indicator",
                    v.end_to_end_method().code(),
                );
                e.flag(
                    "isup.backw_call_interworking_indicator",
                    v.interworking_encountered(),
                );
                e.flag(
                    "isup.backw_call_end_to_end_information_indicator",
                    v.end_to_end_information_available(),
                );
                e.flag(
                    "isup.backw_call_isdn_user_part_indicator",
                    v.isdn_user_part_all_the_way(),
                );
                e.flag("isup.backw_call_holding_indicator", v.holding_requested());
                e.flag(
                    "isup.backw_call_isdn_access_indicator",
                    v.terminating_access_isdn(),
                );
                e.flag(
                    "isup.backw_call_echo_control_device_indicator",
                    v.echo_control_device_included(),
                );
                e.put(
                    "isup.backw_call_sccp_method_indicator",
                    v.sccp_method().code(),
                );
            }
            Parameter::OptionalForwardCallIndicators(v) => {
                e.put("isup.clg_call_ind", v.closed_user_group_call().code());
                e.flag("isup.simple_segmentation_ind", v.simple_segmentation());
                e.flag(
                    "isup.connected_line_identity_request_ind",
                    v.connected_line_identity_requested(),
                );
            }
            Parameter::OptionalBackwardCallIndicators(v) => {
                e.flag(
                    "isup.inband_information_ind",
                    v.inband_information_available(),
                );
                e.flag(
                    "isup.call_diversion_may_occur_ind",
                    v.call_diversion_may_occur(),
                );
                e.flag("isup.simple_segmentation_ind", v.simple_segmentation());
                e.flag("isup.mlpp_user", v.mlpp_user());
            }
            Parameter::RedirectionInformation(v) => {
                e.put("isup.redirecting_ind", v.redirecting_indicator().code());
                e.put(
                    "isup.original_redirection_reason",
                    v.original_redirection_reason().code(),
                );
                e.put("isup.redirection_counter", v.redirection_counter());
                e.put("isup.redirection_reason", v.redirection_reason().code());
            }
            Parameter::EventInformation(v) => {
                e.put("isup.event_ind", v.event_indicator().code());
                e.flag(
                    "isup.event_presentation_restr_ind",
                    v.event_presentation_restricted(),
                );
            }
            Parameter::HopCounter(v) => e.put("isup.hop_counter", v.hop_counter()),
            Parameter::AutomaticCongestionLevel { value } => {
                e.put("isup.automatic_congestion_level", value.code())
            }
            Parameter::PropagationDelayCounter { milliseconds } => {
                e.put("isup.propagation_delay_counter", milliseconds)
            }
            Parameter::RangeAndStatus(r) => {
                // tshark 4.0 shows the number of circuits, range + 1
                e.put("isup.range_indicator", u16::from(r.range) + 1)
            }
            Parameter::CircuitGroupSupervisionMessageType(v) => {
                e.put("isup.cgs_message_type", v.message_type_indicator().code())
            }
            Parameter::SuspendResumeIndicators(v) => {
                e.flag("isup.suspend_resume_indicator", v.network_initiated())
            }
            Parameter::ContinuityIndicators(v) => {
                e.flag("isup.continuity_indicator", v.continuity_check_successful())
            }
            Parameter::CallReference(c) => {
                e.put("isup.call_identity", c.call_identity);
                // tshark 4.0's field reads the two octets most significant first
                let octets = (c.signalling_point_code | u16::from(c.spare) << 14).to_le_bytes();
                e.put(
                    "isup.signalling_point_code",
                    u16::from_be_bytes(octets) & 0x3fff,
                );
            }
            Parameter::InformationRequestIndicators(v) => {
                e.flag(
                    "isup.calling_party_address_request_indicator",
                    v.calling_party_address_requested(),
                );
                e.flag("isup.info_req_holding_indicator", v.holding_requested());
                e.flag(
                    "isup.calling_partys_category_request_indicator",
                    v.calling_partys_category_requested(),
                );
                e.flag(
                    "isup.charge_information_request_indicator",
                    v.charge_information_requested(),
                );
                e.flag(
                    "isup.malicious_call_ident_request_indicator",
                    v.malicious_call_identification_requested(),
                );
            }
            Parameter::InformationIndicators(v) => {
                e.put(
                    "isup.calling_party_address_response_indicator",
                    v.calling_party_address_response().code(),
                );
                e.flag("isup.hold_provided_indicator", v.hold_provided());
                e.flag(
                    "isup.calling_partys_category_response_indicator",
                    v.calling_partys_category_included(),
                );
                e.flag(
                    "isup.charge_information_response_indicator",
                    v.charge_information_included(),
                );
                e.flag("isup.solicited_indicator", v.unsolicited());
            }
            _ => {}
        }
    }
    let has_optional_part = m.message.layout().is_some_and(|l| l.optional)
        && (!m.message.optional_parameters().is_empty() || *empty_optional_part);
    if has_optional_part {
        e.put("isup.parameter_type", 0);
    }
    e.0
}

/// tshark's value of a field in our notation: numbers in decimal (tshark writes some in hex).
pub fn normalize(v: &str, text: bool) -> String {
    if text {
        return v.to_string();
    }
    let n = match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16),
        None => v.parse::<u64>(),
    };
    n.map(|n| n.to_string()).unwrap_or_else(|_| v.to_string())
}

/// The `-e FIELD` arguments for tshark that [`differences`] needs.
pub fn field_args() -> Vec<&'static str> {
    FIELDS.iter().flat_map(|(f, _)| ["-e", f]).collect()
}

/// Where tshark's reading of one packet differs from what our decoder reports for `ours`;
/// `with_cic` is false for a message without CIC (an RFC 3204 body).
pub fn differences(label: &str, ours: &CicMessage, packet: &Json, with_cic: bool) -> Vec<String> {
    let want = expected(ours);
    let mut failures = Vec::new();
    for &(field, text) in FIELDS {
        if field == "isup.cic" && !with_cic {
            continue;
        }
        let got: Vec<String> = tshark::field(packet, field)
            .into_iter()
            .map(|v| normalize(v, text))
            .collect();
        let empty = Vec::new();
        let want_values = want.get(field).unwrap_or(&empty);
        if &got != want_values {
            failures.push(format!(
                "{label} ({}): {field}: tshark {got:?}, ours {want_values:?}",
                ours.message.message_type.name().unwrap_or("?"),
            ));
        }
    }
    failures
}

// ---- generated messages: typical values everywhere, any bits in indicator octets ----

fn digits() -> impl Strategy<Value = Digits> {
    let signal = prop_oneof![10 => 0..10u8, 1 => Just(11u8), 1 => Just(12u8)];
    (prop::collection::vec(signal, 1..=20), any::<bool>()).prop_map(|(mut s, st)| {
        if st {
            s.push(15);
        }
        let text: String = s
            .iter()
            .map(|&d| char::from_digit(u32::from(d), 16).unwrap_or('0'))
            .collect();
        Digits::parse(&text).expect("hex digits")
    })
}

fn number<I: NumberIndicators + std::fmt::Debug + 'static>() -> impl Strategy<Value = Number<I>> {
    (0..0x80u8, any::<u8>(), digits()).prop_map(|(noa, ind, d)| {
        Number::new(NatureOfAddress::from_code(noa), I::from_octet(ind), d)
    })
}

fn cause() -> impl Strategy<Value = CauseIndicators> {
    (
        prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 7, 10]),
        1..0x80u8,
        prop::collection::vec(any::<u8>(), 0..3),
    )
        .prop_map(|(loc, value, diag)| {
            CauseIndicators::new(Location::from_code(loc), CauseValue::from_code(value))
                .with_diagnostics(&diag)
        })
}

fn range(with_status: bool) -> impl Strategy<Value = RangeAndStatus> {
    (0..32u8, any::<[u8; 4]>()).prop_map(move |(r, s)| {
        if with_status {
            let n = usize::from(r) / 8 + 1;
            RangeAndStatus {
                range: r,
                status: Octets::from_slice(&s[..n]),
            }
        } else {
            RangeAndStatus::range(r)
        }
    })
}

fn optional_parameter() -> BoxedStrategy<Parameter> {
    prop_oneof![
        number::<CallingNumberIndicators>().prop_map(Parameter::CallingPartyNumber),
        number::<RedirectingNumberIndicators>().prop_map(Parameter::RedirectingNumber),
        number::<RedirectingNumberIndicators>().prop_map(Parameter::OriginalCalledNumber),
        number::<CalledNumberIndicators>().prop_map(Parameter::RedirectionNumber),
        number::<ConnectedNumberIndicators>().prop_map(Parameter::ConnectedNumber),
        number::<LocationNumberIndicators>().prop_map(Parameter::LocationNumber),
        (any::<u8>(), number::<CallingNumberIndicators>()).prop_map(|(q, n)| {
            Parameter::GenericNumber(GenericNumber {
                number_qualifier: NumberQualifier::from_code(q),
                number: n,
            })
        }),
        any::<u8>().prop_map(|b| Parameter::OptionalForwardCallIndicators(
            OptionalForwardCallIndicators(b)
        )),
        any::<u8>().prop_map(|b| Parameter::OptionalBackwardCallIndicators(
            OptionalBackwardCallIndicators(b)
        )),
        any::<u16>().prop_map(|v| Parameter::RedirectionInformation(RedirectionInformation(v))),
        any::<u16>().prop_map(|v| Parameter::BackwardCallIndicators(BackwardCallIndicators(v))),
        any::<u8>().prop_map(|b| Parameter::HopCounter(HopCounter(b))),
        any::<u16>().prop_map(|ms| Parameter::PropagationDelayCounter { milliseconds: ms }),
        any::<u8>().prop_map(|b| Parameter::AutomaticCongestionLevel {
            value: CongestionLevel::from_code(b)
        }),
        (0..0x0100_0000u32, 0..0x4000u16).prop_map(|(id, pc)| Parameter::CallReference(
            CallReference {
                call_identity: id,
                signalling_point_code: pc,
                spare: 0
            }
        )),
        (0..11u8).prop_map(|b| Parameter::TransmissionMediumRequirementPrime {
            value: TransmissionMedium::from_code(b)
        }),
        (0..11u8).prop_map(|b| Parameter::TransmissionMediumUsed {
            value: TransmissionMedium::from_code(b)
        }),
        cause().prop_map(Parameter::CauseIndicators),
        digits().prop_map(|d| Parameter::SubsequentNumber(SubsequentNumber::new(d))),
        Just(Parameter::UserServiceInformation(UserServiceInformation {
            octets: Octets::from([0x80, 0x90, 0xa3])
        })),
        Just(Parameter::AccessTransport(OctetString::new(&[
            0x7c, 0x03, 0x88, 0x90, 0xa6
        ]))),
        (0xf1..0xffu8, prop::collection::vec(any::<u8>(), 0..6))
            .prop_map(|(c, v)| Parameter::unknown(c, &v)),
    ]
    .boxed()
}

/// A message of type `t` with typical mandatory parameters and some optional ones.
pub fn message_of(t: MessageType) -> BoxedStrategy<Message> {
    let l = layout::itu(t).copied().expect("table type");
    let mandatory: Vec<BoxedStrategy<Parameter>> = l
        .fixed
        .iter()
        .map(|&(c, n)| {
            prop::collection::vec(any::<u8>(), usize::from(n))
                .prop_map(move |v| Parameter::decode(Variant::ItuT92Plus, c, &v))
                .boxed()
        })
        .chain(l.variable.iter().map(|&c| {
            match c {
                code::CALLED_PARTY_NUMBER => number::<CalledNumberIndicators>()
                    .prop_map(Parameter::CalledPartyNumber)
                    .boxed(),
                code::SUBSEQUENT_NUMBER => digits()
                    .prop_map(|d| Parameter::SubsequentNumber(SubsequentNumber::new(d)))
                    .boxed(),
                code::CAUSE_INDICATORS => cause().prop_map(Parameter::CauseIndicators).boxed(),
                code::RANGE_AND_STATUS => {
                    let status = !matches!(t, MessageType::Grs | MessageType::Cqm);
                    range(status).prop_map(Parameter::RangeAndStatus).boxed()
                }
                code::CIRCUIT_STATE_INDICATOR => prop::collection::vec(0..0x40u8, 1..8)
                    .prop_map(|v| Parameter::CircuitStateIndicator(OctetString::new(&v)))
                    .boxed(),
                code::USER_TO_USER_INFORMATION => prop::collection::vec(any::<u8>(), 1..8)
                    .prop_map(|v| Parameter::UserToUserInformation(OctetString::new(&v)))
                    .boxed(),
                other => panic!("no generator for mandatory variable parameter {other}"),
            }
        }))
        .collect();
    let optional = if l.optional {
        prop::collection::vec(optional_parameter(), 0..6).boxed()
    } else {
        Just(Vec::new()).boxed()
    };
    (mandatory, optional, any::<bool>())
        .prop_map(move |(mut ps, opt, empty)| {
            let empty = l.optional && opt.is_empty() && empty;
            ps.extend(opt);
            let mut m = Message::new(t, ps);
            if let Body::Parameters {
                empty_optional_part,
                ..
            } = &mut m.body
            {
                *empty_optional_part = empty;
            }
            m
        })
        .boxed()
}

/// `per_type` generated messages of every message type of the ITU table, each with a CIC,
/// deterministic from run to run.
pub fn generated_messages(per_type: usize) -> Vec<(String, CicMessage)> {
    let types: Vec<MessageType> = (0..=255u8)
        .map(MessageType::from_code)
        .filter(|t| layout::itu(*t).is_some())
        .collect();
    let mut runner = TestRunner::deterministic();
    let mut messages = Vec::new();
    for t in &types {
        let strategy = (0..0x1000u16, message_of(*t));
        for i in 0..per_type {
            let (cic, m) = strategy
                .new_tree(&mut runner)
                .expect("value tree")
                .current();
            messages.push((format!("{}-{i}", t.name().unwrap_or("?")), m.with_cic(cic)));
        }
    }
    messages
}
