//! IAM <-> INVITE (RFC 3398 7.2.1.1, 8.2.1.1, 12), privacy (RFC 3323, RFC 3325) and
//! redirection (History-Info, Diversion) through the public API of `sipt_mgc::interwork`.

use proptest::prelude::*;
use sipt_codecs::isup::{
    AddressPresentation, CallReference, CalledNumberIndicators, CalledPartyNumber,
    CallingNumberIndicators, CallingPartyNumber, CallingPartysCategory, Digits,
    ForwardCallIndicators, GenericNumber, HopCounter, LocationNumberIndicators, Message,
    NatureOfAddress, NatureOfConnectionIndicators, Number, NumberQualifier, NumberingPlan,
    OctetString, Octets, OptionalForwardCallIndicators, Parameter, RedirectingIndicator,
    RedirectingNumberIndicators, RedirectionInformation, RedirectionReason, Screening,
    TransmissionMedium, UnknownParameter, UserServiceInformation,
};
use sipt_mgc::interwork::numbers::{
    called_number_text, called_party_number, calling_party_number, e164_text, number_text,
    uri_number, InterworkError,
};
use sipt_mgc::interwork::setup::{
    diversion_reason, iam_to_invite, invite_to_iam, redirection_reason_for_diversion, IamDefaults,
    InviteHeaders, Redirection, SetupContext, DIVERSION_REASONS_RECEIVED, DIVERSION_REASONS_SENT,
    HISTORY_INFO_CAUSES,
};
use sipt_mgc::sip::message::{Message as SipMessage, NameAddr, Uri};

const HOST: &str = "127.0.0.1:5060";

fn ctx(trusted: bool) -> SetupContext<'static> {
    SetupContext {
        host: HOST,
        trusted,
        country_code: None,
        diversion_header: false,
    }
}

fn cdpn(noa: NatureOfAddress, digits: &str) -> CalledPartyNumber {
    Number::from_digits(
        noa,
        CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
        digits,
    )
    .unwrap()
}

fn cin(noa: NatureOfAddress, digits: &str, apri: AddressPresentation) -> CallingPartyNumber {
    Number::from_digits(
        noa,
        CallingNumberIndicators::default()
            .with_numbering_plan(NumberingPlan::IsdnTelephony)
            .with_address_presentation_restricted(apri)
            .with_screening(Screening::UserProvidedVerifiedPassed),
        digits,
    )
    .unwrap()
}

fn redirecting(
    noa: NatureOfAddress,
    digits: &str,
    apri: AddressPresentation,
) -> Number<RedirectingNumberIndicators> {
    Number::from_digits(
        noa,
        RedirectingNumberIndicators::default()
            .with_numbering_plan(NumberingPlan::IsdnTelephony)
            .with_address_presentation_restricted(apri),
        digits,
    )
    .unwrap()
}

fn iam(called: CalledPartyNumber) -> Message {
    Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default().with_isdn_user_part_all_the_way(true),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Speech,
        called,
    )
}

fn header<'a>(h: &'a InviteHeaders, name: &str) -> Option<&'a str> {
    h.headers
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, v)| v.as_str())
}

/// An INVITE with the given Request-URI, From, To and extra headers.
fn invite(ruri: &str, from: &str, to: &str, extra: &[(&str, String)]) -> SipMessage {
    let mut text = format!(
        "INVITE {ruri} SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
         From: {from};tag=a1\r\nTo: {to}\r\nCall-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\n"
    );
    for (n, v) in extra {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(text.as_bytes()).unwrap()
}

/// The INVITE a peer gateway would send for `h` (our headers), to `called` (E.164 form).
fn invite_for(h: &InviteHeaders, called: &str) -> SipMessage {
    let ruri = format!("sip:{called}@10.0.0.2;user=phone");
    let to =
        h.to.as_ref()
            .map_or_else(|| format!("<{ruri}>"), NameAddr::to_string);
    let extra: Vec<(&str, String)> = h
        .headers
        .iter()
        .filter(|(n, _)| *n != "Max-Forwards")
        .map(|(n, v)| (*n, v.clone()))
        .collect();
    let mut m = invite(&ruri, &h.from.to_string(), &to, &extra);
    m.remove_header("Max-Forwards");
    if let Some(mf) = header(h, "Max-Forwards") {
        m.push_header("Max-Forwards", mf);
    }
    m
}

fn bytes(m: &Message) -> Vec<u8> {
    m.to_bytes().unwrap()
}

// ---- numbers ----

#[test]
fn every_nature_of_address_in_routing_form() {
    for &noa in NatureOfAddress::ALL {
        let n = cdpn(noa, "4930123");
        let want = if noa == NatureOfAddress::InternationalNumber {
            "+4930123"
        } else {
            "4930123"
        };
        assert_eq!(called_number_text(&n), want, "{noa:?}");
        let c = cin(noa, "4930123", AddressPresentation::Allowed);
        assert_eq!(number_text(&c), want, "{noa:?}");
        // national numbers get the country code in E.164 form, nothing else does
        let e = e164_text(&c, Some("49"));
        let want_e164 = match noa {
            NatureOfAddress::NationalNumber => "+494930123",
            _ => want,
        };
        assert_eq!(e, want_e164, "{noa:?}");
    }
    // unknown code values too
    assert_eq!(
        called_number_text(&cdpn(NatureOfAddress::Unknown(0x70), "12")),
        "12"
    );
}

#[test]
fn st_filler_and_empty_numbers() {
    let st = cdpn(NatureOfAddress::NationalNumber, "30123F");
    assert_eq!(called_number_text(&st), "30123");
    let empty = cdpn(NatureOfAddress::InternationalNumber, "");
    assert_eq!(called_number_text(&empty), "");
    let spare = cdpn(NatureOfAddress::UnknownNumber, "12B4C");
    assert_eq!(called_number_text(&spare), "12B4C");
}

#[test]
fn text_to_called_and_calling_numbers() {
    let n = called_party_number("+4930123", None).unwrap();
    assert_eq!(n.nature_of_address, NatureOfAddress::InternationalNumber);
    assert_eq!(n.digits_string(), "4930123");
    assert_eq!(n.indicators.numbering_plan(), NumberingPlan::IsdnTelephony);
    // '+' wins over the nature of address offered
    let n = called_party_number("+4930123", Some(NatureOfAddress::NationalNumber)).unwrap();
    assert_eq!(n.nature_of_address, NatureOfAddress::InternationalNumber);
    let n = called_party_number("030123", None).unwrap();
    assert_eq!(n.nature_of_address, NatureOfAddress::UnknownNumber);
    assert_eq!(n.digits_string(), "030123");
    let n = called_party_number("30123", Some(NatureOfAddress::NationalNumber)).unwrap();
    assert_eq!(n.nature_of_address, NatureOfAddress::NationalNumber);
    assert_eq!(called_number_text(&n), "30123");

    for restricted in [false, true] {
        let c = calling_party_number("+4930999", restricted).unwrap();
        assert_eq!(c.nature_of_address, NatureOfAddress::InternationalNumber);
        assert_eq!(c.digits_string(), "4930999");
        assert_eq!(c.indicators.screening(), Screening::NetworkProvided);
        assert_eq!(
            c.indicators.address_presentation_restricted(),
            if restricted {
                AddressPresentation::Restricted
            } else {
                AddressPresentation::Allowed
            }
        );
    }

    let bad: &[(&str, InterworkError)] = &[
        ("", InterworkError::EmptyNumber),
        ("+", InterworkError::EmptyNumber),
        (
            "12*3",
            InterworkError::BadDigit {
                character: '*',
                offset: 2,
            },
        ),
        (
            "+49 30",
            InterworkError::BadDigit {
                character: ' ',
                offset: 3,
            },
        ),
        (
            &"1".repeat(33),
            InterworkError::TooLong { len: 33, max: 32 },
        ),
    ];
    for (text, err) in bad {
        assert_eq!(called_party_number(text, None).as_ref(), Err(err), "{text}");
        assert_eq!(
            calling_party_number(text, false).as_ref(),
            Err(err),
            "{text}"
        );
        assert_eq!(err.status(), 484);
    }
}

#[test]
fn uri_numbers_with_separators() {
    let good: &[(&str, &str)] = &[
        ("tel:+49-30-123", "+4930123"),
        ("tel:+1.202.(555).0110", "+12025550110"),
        ("sip:+49(30)123-4@gw.example;user=phone", "+49301234"),
        ("sip:+4930123@gw.example", "+4930123"),
        ("sip:030-123@gw.example", "030123"),
        ("sip:83000@sip.example.net;user=phone", "83000"),
        ("sips:+4930123@gw.example;user=phone", "+4930123"),
        ("tel:30123;phone-context=+49", "+4930123"),
        ("tel:30123;phone-context=+4-9", "+4930123"),
        ("tel:123;phone-context=example.com", "123"),
        (
            "sip:30123;phone-context=+49@gw.example;user=phone",
            "+4930123",
        ),
        ("sip:+4930123;npdi@gw.example;user=phone", "+4930123"),
        ("sip:+49-@gw.example", "+49"),
    ];
    for (uri, want) in good {
        let u = Uri::parse(uri).unwrap();
        assert_eq!(uri_number(&u).as_deref(), Ok(*want), "{uri}");
    }
    let bad: &[(&str, u16)] = &[
        ("sip:alice@example.com", 404),
        ("sip:gw.example", 404),
        ("sip:anonymous@anonymous.invalid", 404),
        ("sip:12ab@gw.example", 404),
        ("mailto:alice@example.com", 416),
        ("sip:12*3@gw.example;user=phone", 484),
        ("sip:alice@gw.example;user=phone", 484),
        ("tel:*31#;phone-context=example.com", 484),
        ("sip:+@gw.example", 484),
        ("sip:+--@gw.example", 484),
    ];
    for (uri, status) in bad {
        let u = Uri::parse(uri).unwrap();
        let e = uri_number(&u).unwrap_err();
        assert_eq!(e.status(), *status, "{uri}: {e}");
    }
    let long = Uri::parse(&format!("tel:+{}", "1".repeat(33))).unwrap();
    assert_eq!(
        uri_number(&long),
        Err(InterworkError::TooLong { len: 33, max: 32 })
    );
}

// ---- IAM -> INVITE ----

#[test]
fn calling_number_every_noa_presentation_and_trust() {
    let presentations = [
        AddressPresentation::Allowed,
        AddressPresentation::Restricted,
        AddressPresentation::AddressNotAvailable,
        AddressPresentation::ReservedForRestrictionByNetwork,
    ];
    for &noa in NatureOfAddress::ALL {
        for apri in presentations {
            for trusted in [false, true] {
                let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123"))
                    .with(Parameter::CallingPartyNumber(cin(noa, "4930999", apri)));
                let h = iam_to_invite(&m, &ctx(trusted));
                let number = if noa == NatureOfAddress::InternationalNumber {
                    "+4930999"
                } else {
                    "4930999"
                };
                let real = format!("<sip:{number}@127.0.0.1:5060;user=phone>");
                let what = format!("{noa:?} {apri:?} trusted={trusted}");
                match apri {
                    AddressPresentation::Allowed => {
                        assert_eq!(h.from.to_string(), real, "{what}");
                        assert_eq!(header(&h, "Privacy"), None, "{what}");
                        assert_eq!(
                            header(&h, "P-Asserted-Identity"),
                            trusted.then_some(real.as_str()),
                            "{what}"
                        );
                    }
                    AddressPresentation::AddressNotAvailable => {
                        // RFC 3398 12.1: as if the CIN were omitted
                        assert_eq!(h.from.to_string(), "<sip:127.0.0.1:5060>", "{what}");
                        assert_eq!(header(&h, "Privacy"), None, "{what}");
                        assert_eq!(header(&h, "P-Asserted-Identity"), None, "{what}");
                    }
                    _ => {
                        assert_eq!(
                            h.from.to_string(),
                            "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
                            "{what}"
                        );
                        assert_eq!(header(&h, "Privacy"), Some("id"), "{what}");
                        assert_eq!(
                            header(&h, "P-Asserted-Identity"),
                            trusted.then_some(real.as_str()),
                            "{what}"
                        );
                    }
                }
                // the headers are valid SIP
                NameAddr::parse(&h.from.to_string()).unwrap();
                if let Some(p) = header(&h, "P-Asserted-Identity") {
                    NameAddr::parse(p).unwrap();
                }
            }
        }
    }
}

#[test]
fn no_calling_number_gives_the_gateway_host() {
    let h = iam_to_invite(
        &iam(cdpn(NatureOfAddress::NationalNumber, "30123")),
        &ctx(true),
    );
    assert_eq!(h.from.to_string(), "<sip:127.0.0.1:5060>");
    assert_eq!(h.to, None);
    assert!(h.headers.is_empty());
}

#[test]
fn national_numbers_with_a_country_code() {
    let m = iam(cdpn(NatureOfAddress::NationalNumber, "30123")).with(
        Parameter::CallingPartyNumber(cin(
            NatureOfAddress::NationalNumber,
            "30999",
            AddressPresentation::Allowed,
        )),
    );
    let c = SetupContext {
        country_code: Some("49"),
        ..ctx(false)
    };
    let h = iam_to_invite(&m, &c);
    assert_eq!(
        h.from.to_string(),
        "<sip:+4930999@127.0.0.1:5060;user=phone>"
    );
    let h = iam_to_invite(&m, &ctx(false));
    assert_eq!(h.from.to_string(), "<sip:30999@127.0.0.1:5060;user=phone>");
}

#[test]
fn original_called_number_is_the_to() {
    let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123")).with(
        Parameter::OriginalCalledNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            "4930111",
            AddressPresentation::Allowed,
        )),
    );
    let h = iam_to_invite(&m, &ctx(false));
    assert_eq!(
        h.to.map(|t| t.to_string()).as_deref(),
        Some("<sip:+4930111@127.0.0.1:5060;user=phone>")
    );
    // restricted: not shown to the called user
    let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123")).with(
        Parameter::OriginalCalledNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            "4930111",
            AddressPresentation::Restricted,
        )),
    );
    assert_eq!(iam_to_invite(&m, &ctx(true)).to, None);
}

#[test]
fn hop_counter_and_max_forwards() {
    for hops in [0u8, 1, 17, 31] {
        let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123")).with(
            Parameter::HopCounter(HopCounter::default().with_hop_counter(hops)),
        );
        let h = iam_to_invite(&m, &ctx(false));
        assert_eq!(header(&h, "Max-Forwards"), Some(hops.to_string().as_str()));
        let back = invite_to_iam(
            &invite_for(&h, "+4930123"),
            "+4930123",
            None,
            &IamDefaults::default(),
        )
        .unwrap();
        assert_eq!(back.hop_counter().map(|h| h.hop_counter()), Some(hops));
    }
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930123@gw;user=phone>",
        &[],
    );
    // Message::parse keeps what was sent: here no Max-Forwards, so no hop counter
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(m.hop_counter(), None);
    let mut inv = inv;
    inv.push_header("Max-Forwards", "70");
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(m.hop_counter().map(|h| h.hop_counter()), Some(31));
}

// ---- INVITE -> IAM without an encapsulated IAM ----

#[test]
fn defaults_for_the_mandatory_parameters() {
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:alice@example.com>",
        "<sip:+4930123@gw;user=phone>",
        &[],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    let fci = m.forward_call_indicators().unwrap();
    assert!(fci.isdn_user_part_all_the_way());
    assert!(!fci.interworking_encountered());
    assert!(!fci.originating_access_isdn());
    assert!(!fci.ported_number_translated());
    assert_eq!(
        m.calling_partys_category(),
        Some(CallingPartysCategory::OrdinarySubscriber)
    );
    assert_eq!(
        m.transmission_medium_requirement(),
        Some(TransmissionMedium::Speech)
    );
    assert_eq!(
        m.nature_of_connection_indicators(),
        Some(&NatureOfConnectionIndicators::default())
    );
    let c = m.called_party_number().unwrap();
    assert_eq!(c.nature_of_address, NatureOfAddress::InternationalNumber);
    assert_eq!(c.digits_string(), "4930123");
    assert!(c.indicators.inn_indicator());
    // From is no number: no CIN (RFC 3398 7.2.1.1)
    assert_eq!(m.calling_party_number(), None);
    // it encodes and decodes to itself
    assert_eq!(Message::decode(&bytes(&m)).unwrap(), m);

    // a country code makes own-country numbers national (RFC 3398 12.2)
    let d = IamDefaults {
        country_code: Some("49".into()),
        ..IamDefaults::default()
    };
    let m = invite_to_iam(&inv, "+4930123", None, &d).unwrap();
    let c = m.called_party_number().unwrap();
    assert_eq!(c.nature_of_address, NatureOfAddress::NationalNumber);
    assert_eq!(c.digits_string(), "30123");
    let m = invite_to_iam(&inv, "+3312345", None, &d).unwrap();
    assert_eq!(
        m.called_party_number().unwrap().nature_of_address,
        NatureOfAddress::InternationalNumber
    );
    // a called number that is none: the status to answer
    let e = invite_to_iam(&inv, "4930#", None, &d).unwrap_err();
    assert_eq!(
        e,
        InterworkError::BadDigit {
            character: '#',
            offset: 4
        }
    );
    assert_eq!(e.status(), 484);
    for (text, offset) in [("++49", 1), ("+49#", 3)] {
        let e = invite_to_iam(&inv, text, None, &d).unwrap_err();
        assert!(
            matches!(e, InterworkError::BadDigit { offset: o, .. } if o == offset),
            "{text}: {e:?}"
        );
    }
    // the spare codes of the routing form (codec text A-E) are address signals
    let m = invite_to_iam(&inv, "4930B", None, &d).unwrap();
    assert_eq!(
        called_number_text(m.called_party_number().unwrap()),
        "4930B"
    );
}

#[test]
fn npdi_sets_the_ported_number_bit() {
    let inv = invite(
        "tel:+4930123;npdi",
        "<sip:alice@example.com>",
        "<tel:+4930123>",
        &[],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert!(m
        .forward_call_indicators()
        .unwrap()
        .ported_number_translated());
}

#[test]
fn calling_number_from_pai_and_from() {
    struct Case {
        from: &'static str,
        extra: Vec<(&'static str, String)>,
        trusted: bool,
        want: Option<(&'static str, AddressPresentation, Screening)>,
    }
    use AddressPresentation::*;
    let pai = |v: &str| ("P-Asserted-Identity", v.to_string());
    let privacy = |v: &str| ("Privacy", v.to_string());
    let cases = vec![
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![],
            trusted: false,
            want: Some(("+4930999", Allowed, Screening::UserProvidedNotVerified)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![],
            trusted: true,
            want: Some(("+4930999", Allowed, Screening::UserProvidedNotVerified)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![pai("<sip:+4930888@proxy;user=phone>")],
            trusted: true,
            want: Some(("+4930888", Allowed, Screening::NetworkProvided)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![pai("<sip:+4930888@proxy;user=phone>")],
            trusted: false,
            want: Some(("+4930888", Allowed, Screening::UserProvidedNotVerified)),
        },
        Case {
            // a PAI pair (sip, tel): the first that is a number
            from: "<sip:+4930999@ua>",
            extra: vec![pai("<sip:bob@proxy>, <tel:+49-30-777>")],
            trusted: true,
            want: Some(("+4930777", Allowed, Screening::NetworkProvided)),
        },
        Case {
            from: "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
            extra: vec![pai("<tel:+4930888>"), privacy("id")],
            trusted: true,
            want: Some(("+4930888", Restricted, Screening::NetworkProvided)),
        },
        Case {
            // anonymous From alone restricts
            from: "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
            extra: vec![pai("<tel:+4930888>")],
            trusted: true,
            want: Some(("+4930888", Restricted, Screening::NetworkProvided)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![privacy("user")],
            trusted: false,
            want: Some(("+4930999", Restricted, Screening::UserProvidedNotVerified)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![privacy("header;critical")],
            trusted: false,
            want: Some(("+4930999", Restricted, Screening::UserProvidedNotVerified)),
        },
        Case {
            from: "<sip:+4930999@ua>",
            extra: vec![privacy("none")],
            trusted: false,
            want: Some(("+4930999", Allowed, Screening::UserProvidedNotVerified)),
        },
        Case {
            from: "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
            extra: vec![privacy("id")],
            trusted: false,
            want: None,
        },
        Case {
            from: "<sip:alice@example.com>",
            extra: vec![],
            trusted: true,
            want: None,
        },
    ];
    for (i, c) in cases.iter().enumerate() {
        let inv = invite(
            "sip:+4930123@gw;user=phone",
            c.from,
            "<sip:+4930123@gw>",
            &c.extra,
        );
        let d = IamDefaults {
            peer_trusted: c.trusted,
            ..IamDefaults::default()
        };
        let m = invite_to_iam(&inv, "+4930123", None, &d).unwrap();
        let got = m.calling_party_number().map(|n| {
            (
                number_text(n),
                n.indicators.address_presentation_restricted(),
                n.indicators.screening(),
            )
        });
        let want = c.want.map(|(t, a, s)| (t.to_string(), a, s));
        assert_eq!(got, want, "case {i}");
        if let Some(n) = m.calling_party_number() {
            assert_eq!(n.indicators.numbering_plan(), NumberingPlan::IsdnTelephony);
        }
    }
}

#[test]
fn to_differing_from_the_request_uri_is_the_original_called_number() {
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930111@example.com>",
        &[],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(
        m.original_called_number().map(number_text).as_deref(),
        Some("+4930111")
    );
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<tel:+49-30-123>",
        &[],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(m.original_called_number(), None);
}

// ---- base IAM transparency ----

/// An IAM with every optional parameter the codec types for an IAM and two it does not.
fn full_iam() -> Message {
    let generic = GenericNumber {
        number_qualifier: NumberQualifier::AdditionalCallingPartyNumber,
        number: cin(
            NatureOfAddress::NationalNumber,
            "301234",
            AddressPresentation::Allowed,
        ),
    };
    let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123F"))
        .with(Parameter::OptionalForwardCallIndicators(
            OptionalForwardCallIndicators(0x80),
        ))
        .with(Parameter::CallingPartyNumber(cin(
            NatureOfAddress::InternationalNumber,
            "4930999",
            AddressPresentation::Allowed,
        )))
        .with(Parameter::CallReference(CallReference {
            call_identity: 0x123456,
            signalling_point_code: 0x0123,
            spare: 0,
        }))
        .with(Parameter::AccessTransport(OctetString::new(&[
            0x7c, 0x02, 0x80, 0x90,
        ])))
        .with(Parameter::UserServiceInformation(UserServiceInformation {
            octets: Octets::from_slice(&[0x80, 0x90, 0xa3]),
        }))
        .with(Parameter::UserToUserInformation(OctetString::new(
            b"\x04hello",
        )))
        .with(Parameter::RedirectingNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            "4930222",
            AddressPresentation::Allowed,
        )))
        .with(Parameter::OriginalCalledNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            "4930111",
            AddressPresentation::Allowed,
        )))
        .with(Parameter::RedirectionInformation(
            RedirectionInformation::default()
                .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
                .with_original_redirection_reason(RedirectionReason::NoReply)
                .with_redirection_counter(2)
                .with_redirection_reason(RedirectionReason::UserBusy),
        ))
        .with(Parameter::PropagationDelayCounter { milliseconds: 40 })
        .with(Parameter::HopCounter(HopCounter(0xe0).with_hop_counter(20)))
        .with(Parameter::TransmissionMediumRequirementPrime {
            value: TransmissionMedium::Speech,
        })
        .with(Parameter::LocationNumber(
            Number::from_digits(
                NatureOfAddress::NationalNumber,
                LocationNumberIndicators(0x13),
                "3012",
            )
            .unwrap(),
        ))
        .with(Parameter::GenericNumber(generic))
        .with(Parameter::Unknown(UnknownParameter {
            code: 0x1a, // closed user group interlock code
            value: Octets::from_slice(&[0x12, 0x34, 0x56, 0x78]),
        }))
        .with(Parameter::Unknown(UnknownParameter {
            code: 0xfa, // no such parameter in Q.763
            value: Octets::from_slice(&[0xde, 0xad]),
        }));
    // as it arrives: decoded from its octets
    Message::decode(&bytes(&m)).unwrap()
}

#[test]
fn base_iam_is_kept_when_sip_changed_nothing() {
    let base = full_iam();
    for diversion_header in [false, true] {
        let c = SetupContext {
            diversion_header,
            ..ctx(true)
        };
        let h = iam_to_invite(&base, &c);
        let inv = invite_for(&h, "+4930123");
        let d = IamDefaults {
            peer_trusted: true,
            ..IamDefaults::default()
        };
        let out = invite_to_iam(&inv, "+4930123", Some(base.clone()), &d).unwrap();
        assert_eq!(
            bytes(&out),
            bytes(&base),
            "diversion_header={diversion_header}"
        );
    }
}

#[test]
fn base_iam_takes_only_what_sip_changed() {
    let base = full_iam();
    let h = iam_to_invite(&base, &ctx(true));
    let d = IamDefaults {
        peer_trusted: true,
        ..IamDefaults::default()
    };
    let position = |m: &Message, code: u8| m.parameters().iter().position(|p| p.code() == code);
    let others_equal = |a: &Message, b: &Message, changed: &[u8]| {
        assert_eq!(a.parameters().len(), b.parameters().len());
        for (p, q) in a.parameters().iter().zip(b.parameters()) {
            assert_eq!(p.code(), q.code());
            if !changed.contains(&p.code()) {
                assert_eq!(p, q);
            }
        }
    };

    // a new called number (7.2.1.1: the Request-URI wins); indicators and ST kept
    let inv = invite_for(&h, "+4930123");
    let out = invite_to_iam(&inv, "+4930555", Some(base.clone()), &d).unwrap();
    let c = out.called_party_number().unwrap();
    assert_eq!(c.digits.to_string(), "4930555F");
    assert_eq!(c.indicators, base.called_party_number().unwrap().indicators);
    others_equal(&out, &base, &[4]);
    assert_eq!(position(&out, 4), position(&base, 4));

    // a new calling identity
    let mut inv = invite_for(&h, "+4930123");
    inv.set_header("P-Asserted-Identity", "<tel:+4930444>");
    let out = invite_to_iam(&inv, "+4930123", Some(base.clone()), &d).unwrap();
    let n = out.calling_party_number().unwrap();
    assert_eq!(number_text(n), "+4930444");
    assert_eq!(n.indicators.screening(), Screening::NetworkProvided);
    others_equal(&out, &base, &[10]);

    // privacy asked in SIP: the base's number, restricted, its screening kept
    let mut inv = invite_for(&h, "+4930123");
    inv.push_header("Privacy", "id");
    let out = invite_to_iam(&inv, "+4930123", Some(base.clone()), &d).unwrap();
    let n = out.calling_party_number().unwrap();
    let b = base.calling_party_number().unwrap();
    assert_eq!(n.digits, b.digits);
    assert_eq!(n.indicators.screening(), b.indicators.screening());
    assert_eq!(
        n.indicators.address_presentation_restricted(),
        AddressPresentation::Restricted
    );
    others_equal(&out, &base, &[10]);

    // proxies on the way: Max-Forwards down by 3, the hop counter too, its spare bits kept
    let mut inv = invite_for(&h, "+4930123");
    inv.set_header("Max-Forwards", "17");
    let out = invite_to_iam(&inv, "+4930123", Some(base.clone()), &d).unwrap();
    assert_eq!(
        out.hop_counter(),
        Some(&HopCounter(0xe0).with_hop_counter(17))
    );
    others_equal(&out, &base, &[61]);

    // a further diversion in the SIP network: the redirection parameters follow SIP
    let mut inv = invite_for(&h, "+4930123");
    inv.remove_header("History-Info");
    inv.push_header(
        "Diversion",
        "<sip:+4930333@sip.example;user=phone>;reason=no-answer;counter=2, \
         <sip:+4930111@sip.example;user=phone>;reason=no-answer;counter=1",
    );
    let out = invite_to_iam(&inv, "+4930123", Some(base.clone()), &d).unwrap();
    assert_eq!(
        out.redirecting_number().map(number_text).as_deref(),
        Some("+4930333")
    );
    assert_eq!(
        out.original_called_number().map(number_text).as_deref(),
        Some("+4930111")
    );
    let ri = out.redirection_information().unwrap();
    assert_eq!(ri.redirection_counter(), 3);
    assert_eq!(ri.redirection_reason(), RedirectionReason::NoReply);
    others_equal(&out, &base, &[11, 19, 40]);

    // the same number in SIP that the base has in national form: base kept
    let mut national = base.clone();
    for p in national.parameters_mut().unwrap() {
        if let Parameter::CallingPartyNumber(n) = p {
            *n = cin(
                NatureOfAddress::NationalNumber,
                "30999",
                AddressPresentation::Allowed,
            );
        }
    }
    let d49 = IamDefaults {
        country_code: Some("49".into()),
        ..d.clone()
    };
    let out = invite_to_iam(
        &invite_for(&h, "+4930123"),
        "+4930123",
        Some(national.clone()),
        &d49,
    )
    .unwrap();
    assert_eq!(bytes(&out), bytes(&national));
}

#[test]
fn unusable_base_is_ignored() {
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930123@gw>",
        &[],
    );
    let d = IamDefaults::default();
    let plain = invite_to_iam(&inv, "+4930123", None, &d).unwrap();
    let rel = Message::rel(sipt_codecs::isup::CauseIndicators::decode(&[0x80, 0x90]).unwrap());
    assert_eq!(
        invite_to_iam(&inv, "+4930123", Some(rel), &d).unwrap(),
        plain
    );
    let empty = Message::new(sipt_codecs::isup::MessageType::Iam, vec![]);
    assert_eq!(
        invite_to_iam(&inv, "+4930123", Some(empty), &d).unwrap(),
        plain
    );
}

// ---- redirection ----

#[test]
fn redirection_tables_every_row() {
    for &(reason, cause) in HISTORY_INFO_CAUSES {
        let m = redirected_iam(None, Some("4930222"), 1, reason, reason);
        let h = iam_to_invite(&m, &ctx(false));
        let hi = header(&h, "History-Info").unwrap();
        assert!(hi.contains(&format!("cause={cause}")), "{hi}");
    }
    for &(reason, text) in DIVERSION_REASONS_SENT {
        assert_eq!(diversion_reason(reason), text);
        let m = redirected_iam(None, Some("4930222"), 1, reason, reason);
        let c = SetupContext {
            diversion_header: true,
            ..ctx(false)
        };
        let h = iam_to_invite(&m, &c);
        let d = header(&h, "Diversion").unwrap();
        assert!(d.contains(&format!("reason={text}")), "{d}");
    }
    for &(text, reason) in DIVERSION_REASONS_RECEIVED {
        assert_eq!(redirection_reason_for_diversion(text), reason);
        assert_eq!(
            redirection_reason_for_diversion(&text.to_uppercase()),
            reason
        );
    }
    assert_eq!(
        redirection_reason_for_diversion("no-such-reason"),
        RedirectionReason::Unknown0
    );
}

fn redirected_iam(
    ocn: Option<&str>,
    rn: Option<&str>,
    counter: u8,
    original: RedirectionReason,
    reason: RedirectionReason,
) -> Message {
    let mut m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123"));
    if let Some(r) = rn {
        m = m.with(Parameter::RedirectingNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            r,
            AddressPresentation::Allowed,
        )));
    }
    if let Some(o) = ocn {
        m = m.with(Parameter::OriginalCalledNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            o,
            AddressPresentation::Allowed,
        )));
    }
    m.with(Parameter::RedirectionInformation(
        RedirectionInformation::default()
            .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
            .with_original_redirection_reason(original)
            .with_redirection_counter(counter)
            .with_redirection_reason(reason),
    ))
}

fn redirection_parameters(m: &Message) -> Vec<Parameter> {
    m.parameters()
        .iter()
        .filter(|p| [11, 19, 40].contains(&p.code()))
        .cloned()
        .collect()
}

/// Original called number, redirecting number, counter, original reason, reason.
type RedirectionCase = (
    Option<&'static str>,
    Option<&'static str>,
    u8,
    RedirectionReason,
    RedirectionReason,
);

#[test]
fn redirection_round_trips_both_headers() {
    use RedirectionReason::*;
    let cases: &[RedirectionCase] = &[
        // first diversion, one party in both parameters
        (Some("4930222"), Some("4930222"), 1, UserBusy, UserBusy),
        // two parties
        (Some("4930111"), Some("4930222"), 2, NoReply, UserBusy),
        // three diversions, the middle one unknown
        (
            Some("4930111"),
            Some("4930222"),
            3,
            Unconditional,
            DeflectionImmediateResponse,
        ),
        // the original called party unknown
        (
            None,
            Some("4930222"),
            2,
            NoReply,
            MobileSubscriberNotReachable,
        ),
        (Some("4930111"), None, 4, NoReply, Unknown0),
        (Some("4930111"), Some("4930222"), 7, UserBusy, NoReply),
    ];
    for (i, &(ocn, rn, counter, original, reason)) in cases.iter().enumerate() {
        let m = redirected_iam(ocn, rn, counter, original, reason);
        for diversion_header in [false, true] {
            // RFC 5806 has one "deflection" and no 4458 "deflection immediate"
            if diversion_header && reason == DeflectionImmediateResponse {
                continue;
            }
            let c = SetupContext {
                diversion_header,
                ..ctx(true)
            };
            let h = iam_to_invite(&m, &c);
            let name = if diversion_header {
                "Diversion"
            } else {
                "History-Info"
            };
            let value = header(&h, name).unwrap();
            let back = invite_to_iam(
                &invite_for(&h, "+4930123"),
                "+4930123",
                None,
                &IamDefaults::default(),
            )
            .unwrap();
            assert_eq!(
                redirection_parameters(&back),
                redirection_parameters(&m),
                "case {i} {name}: {value}"
            );
        }
    }
}

#[test]
fn history_info_and_diversion_as_written() {
    let m = redirected_iam(
        Some("4930111"),
        Some("4930222"),
        2,
        RedirectionReason::NoReply,
        RedirectionReason::UserBusy,
    );
    let h = iam_to_invite(&m, &ctx(false));
    assert_eq!(
        header(&h, "History-Info"),
        Some(
            "<sip:+4930111@127.0.0.1:5060;user=phone>;index=1, \
             <sip:+4930222@127.0.0.1:5060;user=phone;cause=408>;index=1.1;mp=1, \
             <sip:+4930123@127.0.0.1:5060;user=phone;cause=486>;index=1.1.1;mp=1.1"
        )
    );
    let c = SetupContext {
        diversion_header: true,
        ..ctx(false)
    };
    let h = iam_to_invite(&m, &c);
    assert_eq!(
        header(&h, "Diversion"),
        Some(
            "<sip:+4930222@127.0.0.1:5060;user=phone>;reason=user-busy;counter=1, \
             <sip:+4930111@127.0.0.1:5060;user=phone>;reason=no-answer;counter=1"
        )
    );
    assert_eq!(header(&h, "History-Info"), None);
}

#[test]
fn restricted_redirecting_numbers() {
    let m = iam(cdpn(NatureOfAddress::InternationalNumber, "4930123"))
        .with(Parameter::RedirectingNumber(redirecting(
            NatureOfAddress::InternationalNumber,
            "4930222",
            AddressPresentation::Restricted,
        )))
        .with(Parameter::RedirectionInformation(
            RedirectionInformation::default()
                .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
                .with_redirection_counter(1)
                .with_redirection_reason(RedirectionReason::Unconditional),
        ));
    let untrusted = iam_to_invite(&m, &ctx(false));
    let hi = header(&untrusted, "History-Info").unwrap();
    assert!(
        hi.starts_with("<sip:anonymous@anonymous.invalid>;index=1"),
        "{hi}"
    );
    assert!(!hi.contains("4930222"), "{hi}");
    let trusted = iam_to_invite(&m, &ctx(true));
    let hi = header(&trusted, "History-Info").unwrap();
    assert!(
        hi.starts_with("<sip:+4930222@127.0.0.1:5060;user=phone?Privacy=history>;index=1"),
        "{hi}"
    );
    // back: the number restricted
    let back = invite_to_iam(
        &invite_for(&trusted, "+4930123"),
        "+4930123",
        None,
        &IamDefaults::default(),
    )
    .unwrap();
    let rn = back.redirecting_number().unwrap();
    assert_eq!(number_text(rn), "+4930222");
    assert_eq!(
        rn.indicators.address_presentation_restricted(),
        AddressPresentation::Restricted
    );
    // Diversion: privacy=full, anonymous towards an untrusted peer
    let c = SetupContext {
        diversion_header: true,
        ..ctx(false)
    };
    let d = iam_to_invite(&m, &c);
    assert_eq!(
        header(&d, "Diversion"),
        Some("<sip:anonymous@anonymous.invalid>;reason=unconditional;counter=1;privacy=full")
    );
    // "all redirection information restricted" restricts every number
    let all = redirected_iam(
        Some("4930111"),
        Some("4930222"),
        2,
        RedirectionReason::NoReply,
        RedirectionReason::NoReply,
    );
    let mut all = all;
    for p in all.parameters_mut().unwrap() {
        if let Parameter::RedirectionInformation(r) = p {
            *r = r.with_redirecting_indicator(RedirectingIndicator::CallDivertedAllRestricted);
        }
    }
    let h = iam_to_invite(&all, &ctx(false));
    let hi = header(&h, "History-Info").unwrap();
    assert!(!hi.contains("4930111") && !hi.contains("4930222"), "{hi}");
}

#[test]
fn redirection_from_a_sip_network() {
    // a UA's Diversion, no counter
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930123@gw>",
        &[(
            "Diversion",
            "<sip:+4930222@pbx.example>;reason=user-busy".into(),
        )],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(
        m.redirecting_number().map(number_text).as_deref(),
        Some("+4930222")
    );
    assert_eq!(
        m.original_called_number().map(number_text).as_deref(),
        Some("+4930222")
    );
    let ri = m.redirection_information().unwrap();
    assert_eq!(
        ri.redirecting_indicator(),
        RedirectingIndicator::CallDiverted
    );
    assert_eq!(ri.redirection_counter(), 1);
    assert_eq!(ri.redirection_reason(), RedirectionReason::UserBusy);
    assert_eq!(
        ri.original_redirection_reason(),
        RedirectionReason::UserBusy
    );

    // RFC 7044 History-Info with a registrar's entry (no cause) after the retargeting
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930123@gw>",
        &[(
            "History-Info",
            "<sip:bob@example.com>;index=1, \
             <sip:+4930777@example.com;user=phone;cause=302>;index=1.1;mp=1, \
             <sip:+4930777@10.0.0.9;user=phone>;index=1.1.1;rc=1.1"
                .into(),
        )],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    // bob@example.com is no number: the diverting party is unknown, the counter stays
    assert_eq!(m.redirecting_number(), None);
    assert_eq!(m.original_called_number(), None);
    let ri = m.redirection_information().unwrap();
    assert_eq!(ri.redirection_counter(), 1);
    assert_eq!(ri.redirection_reason(), RedirectionReason::Unconditional);

    // History-Info without any cause: no redirection
    let inv = invite(
        "sip:+4930123@gw;user=phone",
        "<sip:+4930999@ua>",
        "<sip:+4930123@gw>",
        &[("History-Info", "<sip:+4930123@example.com>;index=1".into())],
    );
    let m = invite_to_iam(&inv, "+4930123", None, &IamDefaults::default()).unwrap();
    assert_eq!(m.redirection_information(), None);
}

#[test]
fn redirection_struct_from_iam() {
    let m = redirected_iam(
        Some("4930111"),
        Some("4930222"),
        3,
        RedirectionReason::NoReply,
        RedirectionReason::UserBusy,
    );
    let r = Redirection::from_iam(&m, None).unwrap();
    assert_eq!(r.counter(), 3);
    assert_eq!(r.parties.len(), 3);
    assert_eq!(
        r.original_called().unwrap().number.as_deref(),
        Some("+4930111")
    );
    assert_eq!(r.parties[1].number, None);
    assert_eq!(r.redirecting().unwrap().number.as_deref(), Some("+4930222"));
    assert_eq!(
        Redirection::from_iam(&iam(cdpn(NatureOfAddress::InternationalNumber, "1")), None),
        None
    );
}

// ---- never a panic ----

fn arb_number_octets() -> impl Strategy<Value = (u8, u8, Vec<u8>, bool)> {
    (
        any::<u8>(),
        any::<u8>(),
        proptest::collection::vec(any::<u8>(), 0..24),
        any::<bool>(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    /// iam_to_invite never panics on IAMs built from arbitrary numbers and indicators, and
    /// what it writes parses as SIP.
    #[test]
    fn iam_to_invite_never_panics(
        called in arb_number_octets(),
        calling in proptest::option::of(arb_number_octets()),
        rn in proptest::option::of(arb_number_octets()),
        ocn in proptest::option::of(arb_number_octets()),
        ri in proptest::option::of(any::<u16>()),
        hop in proptest::option::of(any::<u8>()),
        trusted in any::<bool>(),
        diversion_header in any::<bool>(),
        cc in proptest::option::of("[0-9]{0,3}"),
    ) {
        let num = |(o1, o2, d, odd): (u8, u8, Vec<u8>, bool)| (o1 & 0x7f | (u8::from(odd) << 7), o2, d);
        let (o1, o2, d) = num(called);
        let mut m = iam(CalledPartyNumber::from_octets(o1, o2, &d));
        if let Some(c) = calling {
            let (o1, o2, d) = num(c);
            m = m.with(Parameter::CallingPartyNumber(Number::from_octets(o1, o2, &d)));
        }
        if let Some(c) = rn {
            let (o1, o2, d) = num(c);
            m = m.with(Parameter::RedirectingNumber(Number::from_octets(o1, o2, &d)));
        }
        if let Some(c) = ocn {
            let (o1, o2, d) = num(c);
            m = m.with(Parameter::OriginalCalledNumber(Number::from_octets(o1, o2, &d)));
        }
        if let Some(r) = ri {
            m = m.with(Parameter::RedirectionInformation(RedirectionInformation(r)));
        }
        if let Some(h) = hop {
            m = m.with(Parameter::HopCounter(HopCounter(h)));
        }
        let c = SetupContext { host: HOST, trusted, country_code: cc.as_deref(), diversion_header };
        let h = iam_to_invite(&m, &c);
        NameAddr::parse(&h.from.to_string()).unwrap();
        if let Some(t) = &h.to {
            NameAddr::parse(&t.to_string()).unwrap();
        }
        for (name, v) in &h.headers {
            match *name {
                "P-Asserted-Identity" | "History-Info" | "Diversion" => {
                    NameAddr::parse_list(v).unwrap();
                }
                _ => {}
            }
        }
        // and the way back does not panic either
        let called = called_number_text(m.called_party_number().unwrap());
        let _ = invite_to_iam(&invite_for(&h, "+4930123"), &called, Some(m.clone()), &IamDefaults::default());
        let _ = invite_to_iam(&invite_for(&h, "+4930123"), &called, None, &IamDefaults::default());
    }

    /// Any octets that decode as an IAM go through both directions without a panic.
    #[test]
    fn decoded_iams_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..80)) {
        let mut b = vec![0x01];
        b.extend(tail);
        if let Ok(m) = Message::decode(&b) {
            let h = iam_to_invite(&m, &ctx(true));
            let _ = invite_to_iam(&invite_for(&h, "+4930123"), "+4930123", Some(m), &IamDefaults::default());
        }
    }

    /// Numbers in routing form survive text -> ISUP -> text.
    #[test]
    fn routing_form_round_trip(digits in "[0-9]{1,32}", plus in any::<bool>()) {
        let text = if plus { format!("+{digits}") } else { digits.clone() };
        let n = called_party_number(&text, None).unwrap();
        prop_assert_eq!(called_number_text(&n), text.clone());
        let c = calling_party_number(&text, true).unwrap();
        prop_assert_eq!(number_text(&c), text);
    }
}

#[test]
fn digits_helper_is_the_codecs() {
    // the test helpers build numbers the codec's way
    assert_eq!(Digits::parse("123").unwrap().len(), 3);
}
