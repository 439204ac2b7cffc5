//! QSIG <-> SIP (RFC 4497) through the public API of `sipt_mgc::interwork::qsig`: every row of
//! the RFC's tables (transcribed here again from the RFC, not read from the code), numbers of
//! every type and plan, presentation and screening, names (ECMA-164) and diversion (ECMA-174)
//! both ways, clearing, overlap, and round trips.

use sipt_codecs::isup::RedirectionReason;
use sipt_codecs::q931::{
    BearerCapability, CallReference, Cause, CauseValue, InformationElement,
    InformationTransferCapability, Location, Message, MessageType, Number, NumberingPlan,
    Presentation, ProgressDescription, ProgressIndicator, Screening, TypeOfNumber,
    UserInformationLayer1Protocol,
};
use sipt_codecs::qsig::{
    calling_name, connected_name, diverting_leg_information2, opcode, CharacterSet,
    DiversionReason, DivertingLegInformation2, Facility, Name, NameSet, PartyNumber,
    PresentedNumberUnscreened, PublicTypeOfNumber,
};
use sipt_mgc::interwork::causes::{
    IsupOutcome, SipOutcome, RFC3398_CAUSE_TO_SIP, RFC3398_SIP_TO_CAUSE,
};
use sipt_mgc::interwork::numbers::InterworkError;
use sipt_mgc::interwork::qsig::*;
use sipt_mgc::interwork::setup::{InviteHeaders, Redirection, SetupContext};
use sipt_mgc::qsig::{ChannelRequest, SetupRequest};
use sipt_mgc::sip::message::headers::HistoryInfo;
use sipt_mgc::sip::message::{Message as SipMessage, NameAddr};

const HOST: &str = "127.0.0.1:5060";

fn ctx(trusted: bool) -> SetupContext<'static> {
    SetupContext {
        host: HOST,
        trusted,
        country_code: None,
        diversion_header: false,
    }
}

fn cr() -> CallReference {
    CallReference::new(1, false)
}

fn intl(digits: &str) -> Number {
    Number::new(
        TypeOfNumber::International,
        NumberingPlan::IsdnTelephony,
        digits,
    )
}

fn facility(invoke: sipt_codecs::qsig::Invoke) -> InformationElement {
    InformationElement::Facility(Facility::invoke(invoke).unwrap())
}

/// A SETUP to +4930123 with the given calling number, calling name and diversion.
fn setup(
    calling: Option<Number>,
    name: Option<Name>,
    leg2: Option<DivertingLegInformation2>,
) -> Message {
    let mut m = Message::new(MessageType::Setup, cr()).with(InformationElement::BearerCapability(
        BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw),
    ));
    if let Some(n) = name {
        m = m.with(facility(calling_name(1, n)));
    }
    if let Some(d) = leg2 {
        m = m.with(facility(diverting_leg_information2(2, d)));
    }
    if let Some(n) = calling {
        m = m.with(InformationElement::CallingPartyNumber(n));
    }
    m.with(InformationElement::CalledPartyNumber(intl("4930123")))
        .with(InformationElement::SendingComplete)
}

fn header<'a>(h: &'a [(&'static str, String)], name: &str) -> Option<&'a str> {
    h.iter()
        .find(|(n, _)| n.eq_ignore_ascii_case(name))
        .map(|(_, v)| v.as_str())
}

fn invite(from: &str, extra: &[(&str, &str)]) -> SipMessage {
    let mut text = format!(
        "INVITE sip:+4930123@10.0.0.2;user=phone SIP/2.0\r\n\
         Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
         From: {from};tag=a1\r\nTo: <sip:+4930123@10.0.0.2;user=phone>\r\n\
         Call-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\n"
    );
    for (n, v) in extra {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(text.as_bytes()).unwrap()
}

fn response(status: u16, extra: &[(&str, &str)]) -> SipMessage {
    let mut text = format!(
        "SIP/2.0 {status} Whatever\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1\r\n\
         From: <sip:a@10.0.0.1>;tag=a1\r\nTo: <sip:b@10.0.0.2>;tag=b1\r\n\
         Call-ID: c1@10.0.0.1\r\nCSeq: 1 INVITE\r\n"
    );
    for (n, v) in extra {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(text.as_bytes()).unwrap()
}

fn request(method: &str, extra: &[(&str, &str)]) -> SipMessage {
    let mut text = format!(
        "{method} sip:b@10.0.0.2 SIP/2.0\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK2\r\n\
         From: <sip:a@10.0.0.1>;tag=a1\r\nTo: <sip:b@10.0.0.2>;tag=b1\r\n\
         Call-ID: c1@10.0.0.1\r\nCSeq: 2 {method}\r\n"
    );
    for (n, v) in extra {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    text.push_str("Content-Length: 0\r\n\r\n");
    SipMessage::parse(text.as_bytes()).unwrap()
}

/// The INVITE a peer would receive for our headers.
fn invite_for(h: &InviteHeaders) -> SipMessage {
    let extra: Vec<(&str, &str)> = h.headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    invite(&h.from.to_string(), &extra)
}

fn trusted_defaults() -> QsigDefaults {
    QsigDefaults {
        peer_trusted: true,
        ..QsigDefaults::default()
    }
}

// ---------------------------------------------------------------------------------------------
// Numbers (RFC 4497 9)

const TYPES: [TypeOfNumber; 6] = [
    TypeOfNumber::Unknown0,
    TypeOfNumber::International,
    TypeOfNumber::National,
    TypeOfNumber::NetworkSpecific,
    TypeOfNumber::Subscriber,
    TypeOfNumber::Abbreviated,
];

const PLANS: [NumberingPlan; 6] = [
    NumberingPlan::Unknown0,
    NumberingPlan::IsdnTelephony,
    NumberingPlan::Data,
    NumberingPlan::Telex,
    NumberingPlan::NationalStandard,
    NumberingPlan::Private,
];

#[test]
fn numbers_of_every_type_and_plan_in_routing_and_e164_form() {
    for ton in TYPES {
        for npi in PLANS {
            let n = Number::new(ton, npi, "30123");
            let e164_plan = matches!(npi, NumberingPlan::IsdnTelephony | NumberingPlan::Unknown0);
            let want = if ton == TypeOfNumber::International && e164_plan {
                "+30123"
            } else {
                "30123"
            };
            assert_eq!(number_text(&n), want, "{ton:?} {npi:?}");
            let want_cc = if ton == TypeOfNumber::National && npi == NumberingPlan::IsdnTelephony {
                "+4930123"
            } else {
                want
            };
            assert_eq!(e164_text(&n, Some("49")), want_cc, "{ton:?} {npi:?}");
            assert_eq!(e164_text(&n, None), want, "{ton:?} {npi:?}");
            // no digits: no lone "+"
            assert_eq!(number_text(&Number::new(ton, npi, "")), "");
        }
    }
}

#[test]
fn numbers_from_text_get_type_and_plan() {
    let plain = QsigNumbering::default();
    let de = QsigNumbering {
        country_code: Some("49".into()),
        ..QsigNumbering::default()
    };
    let pbx = QsigNumbering {
        local_type: TypeOfNumber::Subscriber,
        local_plan: NumberingPlan::Private,
        ..QsigNumbering::default()
    };
    for (text, numbering, ton, npi, digits) in [
        (
            "+4930123",
            &plain,
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            "4930123",
        ),
        (
            "+4930123",
            &de,
            TypeOfNumber::National,
            NumberingPlan::IsdnTelephony,
            "30123",
        ),
        (
            "+3312345",
            &de,
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            "3312345",
        ),
        (
            "+49",
            &de,
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            "49",
        ),
        (
            "030123",
            &de,
            TypeOfNumber::Unknown0,
            NumberingPlan::Unknown0,
            "030123",
        ),
        (
            "2001",
            &pbx,
            TypeOfNumber::Subscriber,
            NumberingPlan::Private,
            "2001",
        ),
        (
            "*21#",
            &plain,
            TypeOfNumber::Unknown0,
            NumberingPlan::Unknown0,
            "*21#",
        ),
    ] {
        let n = number_from_text(text, numbering).unwrap();
        assert_eq!(
            (n.type_of_number, n.numbering_plan, n.digits.as_str()),
            (ton, npi, digits),
            "{text}"
        );
        assert_eq!(n.presentation, None, "called numbers have no octet 3a");
    }
    assert_eq!(
        number_from_text("", &plain),
        Err(InterworkError::EmptyNumber)
    );
    assert_eq!(
        number_from_text("+", &plain),
        Err(InterworkError::EmptyNumber)
    );
    assert_eq!(
        number_from_text("+49a1", &plain),
        Err(InterworkError::BadDigit {
            character: 'a',
            offset: 3
        })
    );
    assert!(matches!(
        number_from_text(&"1".repeat(40), &plain),
        Err(InterworkError::TooLong { len: 40, .. })
    ));
}

#[test]
fn party_numbers_both_ways() {
    let de = QsigNumbering {
        country_code: Some("49".into()),
        ..QsigNumbering::default()
    };
    for (text, p) in [
        (
            "+3312345",
            PartyNumber::PublicPartyNumber {
                public_type_of_number: PublicTypeOfNumber::InternationalNumber,
                public_number_digits: "3312345".into(),
            },
        ),
        (
            "+4930123",
            PartyNumber::PublicPartyNumber {
                public_type_of_number: PublicTypeOfNumber::NationalNumber,
                public_number_digits: "30123".into(),
            },
        ),
        ("2001", PartyNumber::UnknownPartyNumber("2001".into())),
    ] {
        assert_eq!(party_number_from_text(text, &de).unwrap(), p);
        assert_eq!(party_number_text(&p, Some("49")), text);
    }
    let private = PartyNumber::PrivatePartyNumber {
        private_type_of_number: sipt_codecs::qsig::PrivateTypeOfNumber::LocalNumber,
        private_number_digits: "2001".into(),
    };
    assert_eq!(party_number_text(&private, Some("49")), "2001");
    let national = PartyNumber::PublicPartyNumber {
        public_type_of_number: PublicTypeOfNumber::NationalNumber,
        public_number_digits: "30123".into(),
    };
    assert_eq!(party_number_text(&national, None), "30123");
}

#[test]
fn called_number_of_a_setup_or_cause_28() {
    // 9.1.1 / 8.2.1.1
    assert_eq!(
        called_text(&setup(None, None, None)).as_deref(),
        Ok("+4930123")
    );
    let none = Message::new(MessageType::Setup, cr());
    assert_eq!(called_text(&none), Err(CauseValue::InvalidNumberFormat));
    let empty = Message::new(MessageType::Setup, cr()).with(InformationElement::CalledPartyNumber(
        Number::new(
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            "",
        ),
    ));
    assert_eq!(called_text(&empty), Err(CauseValue::InvalidNumberFormat));
}

// ---------------------------------------------------------------------------------------------
// SETUP -> INVITE: presentation and screening (RFC 4497 9.1.2)

#[test]
fn presentation_and_screening_combinations() {
    let presentations = [
        None,
        Some(Presentation::Allowed),
        Some(Presentation::Restricted),
        Some(Presentation::NotAvailable),
    ];
    let screenings = [
        Screening::UserProvidedNotScreened,
        Screening::UserProvidedVerifiedAndPassed,
        Screening::UserProvidedVerifiedAndFailed,
        Screening::NetworkProvided,
    ];
    for digits in ["4930999", ""] {
        for p in presentations {
            for s in screenings {
                for trusted in [false, true] {
                    let mut n = intl(digits);
                    n.presentation = p;
                    n.screening = p.map(|_| s);
                    let h = setup_to_invite(&setup(Some(n), None, None), &ctx(trusted));
                    let label = format!("{digits:?} {p:?} {s:?} trusted={trusted}");
                    let restricted = p == Some(Presentation::Restricted);
                    let uri = !digits.is_empty() && p != Some(Presentation::NotAvailable);
                    let from = h.from.to_string();
                    let pai = header(&h.headers, "P-Asserted-Identity");
                    let privacy = header(&h.headers, "Privacy");
                    if restricted {
                        // 9.1.2.2 / 9.1.2.3: anonymous From, Privacy: id
                        assert_eq!(
                            from, "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
                            "{label}"
                        );
                        assert_eq!(privacy, Some("id"), "{label}");
                    } else if uri {
                        // 9.1.2.4: the URI in From, no Privacy
                        assert_eq!(from, "<sip:+4930999@127.0.0.1:5060;user=phone>", "{label}");
                        assert_eq!(privacy, None, "{label}");
                    } else {
                        // 9.1.2.1: the gateway's URI
                        assert_eq!(from, "<sip:127.0.0.1:5060>", "{label}");
                        assert_eq!(privacy, None, "{label}");
                    }
                    let assertable = p.is_none() || s != Screening::UserProvidedVerifiedAndFailed;
                    if uri && trusted && assertable {
                        assert_eq!(
                            pai,
                            Some("<sip:+4930999@127.0.0.1:5060;user=phone>"),
                            "{label}"
                        );
                    } else {
                        assert_eq!(pai, None, "{label}");
                    }
                    assert!(h.to.is_none());
                    // the UA adds Supported: 100rel, timer itself
                    assert_eq!(header(&h.headers, "Supported"), None, "{label}");
                }
            }
        }
    }
    // the element absent: 9.1.2.1
    let h = setup_to_invite(&setup(None, None, None), &ctx(true));
    assert_eq!(h.from.to_string(), "<sip:127.0.0.1:5060>");
    assert_eq!(header(&h.headers, "P-Asserted-Identity"), None);
    assert_eq!(header(&h.headers, "Privacy"), None);
}

#[test]
fn national_calling_number_with_country_code() {
    let n = Number::new(
        TypeOfNumber::National,
        NumberingPlan::IsdnTelephony,
        "30999",
    )
    .presented(Presentation::Allowed, Screening::NetworkProvided);
    let c = SetupContext {
        country_code: Some("49"),
        ..ctx(true)
    };
    let h = setup_to_invite(&setup(Some(n), None, None), &c);
    assert_eq!(
        h.from.to_string(),
        "<sip:+4930999@127.0.0.1:5060;user=phone>"
    );
}

// ---------------------------------------------------------------------------------------------
// Names (ECMA-164)

fn allowed_number() -> Number {
    intl("4930999").presented(Presentation::Allowed, Screening::NetworkProvided)
}

fn restricted_number() -> Number {
    intl("4930999").presented(Presentation::Restricted, Screening::NetworkProvided)
}

#[test]
fn calling_names_allowed_restricted_not_available_trusted_and_not() {
    struct Row {
        name: Name,
        number: Number,
        trusted: bool,
        from: &'static str,
        pai: Option<&'static str>,
        privacy: bool,
    }
    let rows = [
        Row {
            name: Name::allowed("Alice"),
            number: allowed_number(),
            trusted: true,
            from: "\"Alice\" <sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: Some("\"Alice\" <sip:+4930999@127.0.0.1:5060;user=phone>"),
            privacy: false,
        },
        Row {
            name: Name::allowed("Alice"),
            number: allowed_number(),
            trusted: false,
            from: "\"Alice\" <sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: None,
            privacy: false,
        },
        // a restricted name: only in a trusted peer's PAI, with Privacy: id
        Row {
            name: Name::restricted("Alice"),
            number: allowed_number(),
            trusted: true,
            from: "<sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: Some("\"Alice\" <sip:+4930999@127.0.0.1:5060;user=phone>"),
            privacy: true,
        },
        Row {
            name: Name::restricted("Alice"),
            number: allowed_number(),
            trusted: false,
            from: "<sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: None,
            privacy: false,
        },
        // an allowed name with a restricted number: the From is anonymous all the same
        Row {
            name: Name::allowed("Alice"),
            number: restricted_number(),
            trusted: true,
            from: "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
            pai: Some("\"Alice\" <sip:+4930999@127.0.0.1:5060;user=phone>"),
            privacy: true,
        },
        Row {
            name: Name::allowed("Alice"),
            number: restricted_number(),
            trusted: false,
            from: "\"Anonymous\" <sip:anonymous@anonymous.invalid>",
            pai: None,
            privacy: true,
        },
        Row {
            name: Name::NotAvailable,
            number: allowed_number(),
            trusted: true,
            from: "<sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: Some("<sip:+4930999@127.0.0.1:5060;user=phone>"),
            privacy: false,
        },
        Row {
            name: Name::PresentationRestrictedNull,
            number: allowed_number(),
            trusted: true,
            from: "<sip:+4930999@127.0.0.1:5060;user=phone>",
            pai: Some("<sip:+4930999@127.0.0.1:5060;user=phone>"),
            privacy: false,
        },
    ];
    for (i, r) in rows.into_iter().enumerate() {
        let h = setup_to_invite(&setup(Some(r.number), Some(r.name), None), &ctx(r.trusted));
        assert_eq!(h.from.to_string(), r.from, "row {i}");
        assert_eq!(header(&h.headers, "P-Asserted-Identity"), r.pai, "row {i}");
        assert_eq!(
            header(&h.headers, "Privacy"),
            r.privacy.then_some("id"),
            "row {i}"
        );
    }
}

#[test]
fn name_display_of_every_choice_and_charset() {
    assert_eq!(
        name_display(Some(&Name::allowed("Bob"))),
        NameDisplay::Public("Bob".into())
    );
    assert_eq!(
        name_display(Some(&Name::restricted("Bob"))),
        NameDisplay::Private("Bob".into())
    );
    assert_eq!(name_display(Some(&Name::NotAvailable)), NameDisplay::None);
    assert_eq!(
        name_display(Some(&Name::PresentationRestrictedNull)),
        NameDisplay::None
    );
    assert_eq!(name_display(Some(&Name::allowed(""))), NameDisplay::None);
    assert_eq!(name_display(None), NameDisplay::None);
    // the name is read from the SETUP's Facility IE, by operation
    let s = setup(None, Some(Name::allowed("Bob")), None);
    assert_eq!(
        message_name(&s, opcode::CALLING_NAME),
        Some(Name::allowed("Bob"))
    );
    assert_eq!(message_name(&s, opcode::CONNECTED_NAME), None);
    let utf8 = Name::PresentationAllowedExtended(NameSet {
        name_data: "Jürgen".as_bytes().to_vec(),
        character_set: Some(CharacterSet::Iso10646Utf8String),
    });
    assert_eq!(
        name_display(Some(&utf8)),
        NameDisplay::Public("Jürgen".into())
    );
    let latin1 = Name::PresentationRestrictedExtended(NameSet {
        name_data: vec![b'J', 0xfc, b'r'],
        character_set: Some(CharacterSet::Iso8859_1),
    });
    assert_eq!(
        name_display(Some(&latin1)),
        NameDisplay::Private("Jür".into())
    );
    // a quote in the name stays a display name
    let h = setup_to_invite(
        &setup(Some(allowed_number()), Some(Name::allowed("A \"B\"")), None),
        &ctx(false),
    );
    assert_eq!(h.from.display_name().as_deref(), Some("A \"B\""));
}

#[test]
fn display_names_become_calling_names() {
    let d = trusted_defaults();
    let pai = "\"Carol\" <sip:+4930777@10.0.0.1;user=phone>";
    let from = "\"Fromname\" <sip:+4930888@10.0.0.1;user=phone>";
    // trusted PAI: its display name
    let r = invite_to_setup(
        &invite(from, &[("P-Asserted-Identity", pai)]),
        "+4930123",
        &d,
    )
    .unwrap();
    assert_eq!(r.calling_name, Some(Name::allowed("Carol")));
    // restricted
    let r = invite_to_setup(
        &invite(from, &[("P-Asserted-Identity", pai), ("Privacy", "id")]),
        "+4930123",
        &d,
    )
    .unwrap();
    assert_eq!(r.calling_name, Some(Name::restricted("Carol")));
    // untrusted: PAI ignored, From's display name
    let r = invite_to_setup(
        &invite(from, &[("P-Asserted-Identity", pai)]),
        "+4930123",
        &QsigDefaults::default(),
    )
    .unwrap();
    assert_eq!(r.calling_name, Some(Name::allowed("Fromname")));
    // no display name: no name (not available)
    let r = invite_to_setup(&invite("<sip:+4930888@10.0.0.1>", &[]), "+4930123", &d).unwrap();
    assert_eq!(r.calling_name, None);
    // the anonymous From's "Anonymous" is no one's name
    let r = invite_to_setup(
        &invite("\"Anonymous\" <sip:anonymous@anonymous.invalid>", &[]),
        "+4930123",
        &d,
    )
    .unwrap();
    assert_eq!(r.calling_name, None);
    assert_eq!(name_for_display(Some("  "), false), None);
    assert_eq!(name_for_display(None, true), None);
}

// ---------------------------------------------------------------------------------------------
// INVITE -> SETUP (RFC 4497 8.3.1, 9.2, 10.1)

#[test]
fn calling_number_per_9_2_2() {
    let pai = "<sip:+4930777@10.0.0.1;user=phone>";
    let from = "<sip:+4930888@10.0.0.1;user=phone>";
    let with_from = QsigDefaults {
        use_from: true,
        ..QsigDefaults::default()
    };
    let trusted_from = QsigDefaults {
        use_from: true,
        peer_trusted: true,
        ..QsigDefaults::default()
    };
    let plain = QsigDefaults::default();
    let cases: Vec<(SipMessage, &QsigDefaults, Option<Number>)> = vec![
        // trusted PAI: network provided
        (
            invite(from, &[("P-Asserted-Identity", pai)]),
            &trusted_from,
            Some(intl("4930777").presented(Presentation::Allowed, Screening::NetworkProvided)),
        ),
        // PAI from an untrusted peer is not used; From only when configured
        (invite(from, &[("P-Asserted-Identity", pai)]), &plain, None),
        (
            invite(from, &[("P-Asserted-Identity", pai)]),
            &with_from,
            Some(
                intl("4930888")
                    .presented(Presentation::Allowed, Screening::UserProvidedNotScreened),
            ),
        ),
        // Privacy: id -> restricted
        (
            invite(from, &[("P-Asserted-Identity", pai), ("Privacy", "id")]),
            &trusted_from,
            Some(intl("4930777").presented(Presentation::Restricted, Screening::NetworkProvided)),
        ),
        // local policy: user and header hide the identity too
        (
            invite(from, &[("Privacy", "user")]),
            &with_from,
            Some(
                intl("4930888")
                    .presented(Presentation::Restricted, Screening::UserProvidedNotScreened),
            ),
        ),
        (
            invite(from, &[("Privacy", "none")]),
            &with_from,
            Some(
                intl("4930888")
                    .presented(Presentation::Allowed, Screening::UserProvidedNotScreened),
            ),
        ),
        // anonymous From, no PAI: restricted without digits
        (
            invite("<sip:anonymous@anonymous.invalid>", &[]),
            &with_from,
            Some(
                Number::new(TypeOfNumber::Unknown0, NumberingPlan::Unknown0, "")
                    .presented(Presentation::Restricted, Screening::NetworkProvided),
            ),
        ),
        // no number at all, not restricted: the element is omitted (9.2.2 MAY)
        (invite("<sip:alice@example.com>", &[]), &with_from, None),
    ];
    for (i, (inv, d, want)) in cases.into_iter().enumerate() {
        let r = invite_to_setup(&inv, "+4930123", d).unwrap();
        assert_eq!(r.calling, want, "case {i}");
    }
}

#[test]
fn setup_request_has_the_called_number_bearer_and_any_channel() {
    let d = QsigDefaults {
        numbering: QsigNumbering {
            country_code: Some("49".into()),
            ..QsigNumbering::default()
        },
        layer1: UserInformationLayer1Protocol::G711MuLaw,
        sending_complete: false,
        ..QsigDefaults::default()
    };
    let r: SetupRequest =
        invite_to_setup(&invite("<sip:a@10.0.0.1>", &[]), "+4930123", &d).unwrap();
    assert_eq!(
        r.called,
        Number::new(
            TypeOfNumber::National,
            NumberingPlan::IsdnTelephony,
            "30123"
        )
    );
    assert_eq!(r.channel, ChannelRequest::Any);
    assert!(!r.sending_complete);
    assert!(r.extra.is_empty());
    assert_eq!(
        r.bearer,
        bearer_for_audio(UserInformationLayer1Protocol::G711MuLaw)
    );
    let e = invite_to_setup(&invite("<sip:a@10.0.0.1>", &[]), "12x", &d).unwrap_err();
    assert_eq!(e.status(), 484);
}

#[test]
fn table_3_bearer_capability_for_audio() {
    for law in [
        UserInformationLayer1Protocol::G711MuLaw,
        UserInformationLayer1Protocol::G711ALaw,
    ] {
        let bc = bearer_for_audio(law);
        let ie = InformationElement::BearerCapability(bc);
        let mut v = Vec::new();
        ie.encode(&mut v).unwrap();
        // coding standard 00, ITC 10000; circuit mode 00, 64 kbit/s 10000; layer 1 protocol
        let l1 = if law == UserInformationLayer1Protocol::G711MuLaw {
            0xa2
        } else {
            0xa3
        };
        assert_eq!(v, [0x04, 0x03, 0x90, 0x90, l1]);
    }
}

#[test]
fn table_4_media_type_of_bearer_capability() {
    for (itc, audio) in [
        (InformationTransferCapability::Speech, true),
        (InformationTransferCapability::Audio3_1kHz, true),
        (InformationTransferCapability::UnrestrictedDigital, false),
        (InformationTransferCapability::RestrictedDigital, false),
        (
            InformationTransferCapability::UnrestrictedDigitalWithTones,
            false,
        ),
        (InformationTransferCapability::Video, false),
    ] {
        let mut bc = BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw);
        bc.information_transfer_capability = itc;
        assert_eq!(bearer_is_audio(&bc), audio, "{itc:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Diversion (ECMA-174 divertingLegInformation2)

fn allowed_party(text: &str) -> PresentedNumberUnscreened {
    PresentedNumberUnscreened::PresentationAllowedAddressNU(PartyNumber::PublicPartyNumber {
        public_type_of_number: PublicTypeOfNumber::InternationalNumber,
        public_number_digits: text.into(),
    })
}

fn leg2(counter: u8, reason: DiversionReason) -> DivertingLegInformation2 {
    DivertingLegInformation2 {
        diversion_counter: counter,
        diversion_reason: reason,
        original_diversion_reason: None,
        diverting_nr: Some(allowed_party("4930222")),
        original_called_nr: None,
        redirecting_name: None,
        original_called_name: None,
        extension: None,
    }
}

#[test]
fn diversion_reasons_read_both_ways() {
    for (q, r, cause, div) in [
        (
            DiversionReason::Unknown0,
            RedirectionReason::Unknown0,
            404,
            "unknown",
        ),
        (
            DiversionReason::Cfu,
            RedirectionReason::Unconditional,
            302,
            "unconditional",
        ),
        (
            DiversionReason::Cfb,
            RedirectionReason::UserBusy,
            486,
            "user-busy",
        ),
        (
            DiversionReason::Cfnr,
            RedirectionReason::NoReply,
            408,
            "no-answer",
        ),
    ] {
        assert_eq!(redirection_reason(q), r);
        assert_eq!(diversion_reason(r), q);
        // History-Info
        let h = setup_to_invite(&setup(None, None, Some(leg2(1, q))), &ctx(true));
        let hi = header(&h.headers, "History-Info").unwrap();
        assert_eq!(
            hi,
            format!(
                "<sip:+4930222@127.0.0.1:5060;user=phone>;index=1, \
                 <sip:+4930123@127.0.0.1:5060;user=phone;cause={cause}>;index=1.1;mp=1"
            )
        );
        // Diversion
        let c = SetupContext {
            diversion_header: true,
            ..ctx(true)
        };
        let h = setup_to_invite(&setup(None, None, Some(leg2(1, q))), &c);
        assert_eq!(
            header(&h.headers, "Diversion"),
            Some(
                format!("<sip:+4930222@127.0.0.1:5060;user=phone>;reason={div};counter=1").as_str()
            )
        );
    }
    assert_eq!(
        diversion_reason(RedirectionReason::DeflectionDuringAlerting),
        DiversionReason::Unknown0
    );
}

#[test]
fn multiple_diversions_and_restricted_parties() {
    let mut d = leg2(3, DiversionReason::Cfnr);
    d.original_diversion_reason = Some(DiversionReason::Cfb);
    d.original_called_nr = Some(allowed_party("4930111"));
    let r = redirection_from_leg2(&d, None);
    assert_eq!(r.parties.len(), 3);
    assert_eq!(r.parties[0].number.as_deref(), Some("+4930111"));
    assert_eq!(r.parties[1].number, None);
    assert_eq!(r.parties[2].number.as_deref(), Some("+4930222"));
    assert_eq!(r.reason, RedirectionReason::NoReply);
    assert_eq!(r.original_reason, RedirectionReason::UserBusy);

    // restricted diverting party: anonymous towards an untrusted peer, with Privacy: history
    // towards a trusted one (RFC 7044 10.1)
    let mut d = leg2(1, DiversionReason::Cfu);
    d.diverting_nr = Some(PresentedNumberUnscreened::PresentationRestrictedAddressNU(
        PartyNumber::UnknownPartyNumber("2001".into()),
    ));
    let untrusted = setup_to_invite(&setup(None, None, Some(d.clone())), &ctx(false));
    let hi = header(&untrusted.headers, "History-Info").unwrap();
    assert!(hi.starts_with("<sip:anonymous@anonymous.invalid>"), "{hi}");
    assert!(!hi.contains("2001"), "{hi}");
    let trusted = setup_to_invite(&setup(None, None, Some(d)), &ctx(true));
    let hi = header(&trusted.headers, "History-Info").unwrap();
    assert!(
        hi.contains("2001") && hi.contains("Privacy=history"),
        "{hi}"
    );

    // every PresentedNumberUnscreened choice
    for (p, number, restricted) in [
        (allowed_party("1"), Some("+1"), false),
        (
            PresentedNumberUnscreened::PresentationRestricted,
            None,
            true,
        ),
        (
            PresentedNumberUnscreened::NumberNotAvailableDueToInterworking,
            None,
            false,
        ),
    ] {
        let mut d = leg2(1, DiversionReason::Cfu);
        d.diverting_nr = Some(p);
        let r = redirection_from_leg2(&d, None);
        assert_eq!(r.parties[0].number.as_deref(), number);
        assert_eq!(r.parties[0].restricted, restricted);
    }
}

#[test]
fn history_info_and_diversion_become_diverting_leg_information2() {
    let d = QsigDefaults::default();
    let hi = "<sip:+4930111@10.0.0.1;user=phone>;index=1, \
              <sip:+4930222@10.0.0.1;user=phone;cause=486>;index=1.1;mp=1, \
              <sip:+4930123@10.0.0.2;user=phone;cause=408>;index=1.1.1;mp=1.1";
    let r = invite_to_setup(
        &invite("<sip:a@10.0.0.1>", &[("History-Info", hi)]),
        "+4930123",
        &d,
    )
    .unwrap();
    let msg = Message::new(MessageType::Setup, cr()).with(r.extra[0].clone());
    let leg = message_diversion(&msg).expect("divertingLegInformation2");
    assert_eq!(leg.diversion_counter, 2);
    assert_eq!(leg.diversion_reason, DiversionReason::Cfnr);
    assert_eq!(leg.original_diversion_reason, Some(DiversionReason::Cfb));
    assert_eq!(leg.diverting_nr, Some(allowed_party("4930222")));
    assert_eq!(leg.original_called_nr, Some(allowed_party("4930111")));

    let div = "<sip:+4930222@10.0.0.1;user=phone>;reason=unconditional;counter=1;privacy=full";
    let r = invite_to_setup(
        &invite("<sip:a@10.0.0.1>", &[("Diversion", div)]),
        "+4930123",
        &d,
    )
    .unwrap();
    let msg = Message::new(MessageType::Setup, cr()).with(r.extra[0].clone());
    let leg = message_diversion(&msg).unwrap();
    assert_eq!(leg.diversion_counter, 1);
    assert_eq!(leg.diversion_reason, DiversionReason::Cfu);
    assert_eq!(leg.original_called_nr, None);
    assert_eq!(
        leg.diverting_nr,
        Some(PresentedNumberUnscreened::PresentationRestrictedAddressNU(
            PartyNumber::PublicPartyNumber {
                public_type_of_number: PublicTypeOfNumber::InternationalNumber,
                public_number_digits: "4930222".into(),
            }
        ))
    );
    // no redirection headers: no facility
    let r = invite_to_setup(&invite("<sip:a@10.0.0.1>", &[]), "+4930123", &d).unwrap();
    assert!(r.extra.is_empty());
}

#[test]
fn diversion_round_trips_qsig_sip_qsig() {
    let mut two = leg2(2, DiversionReason::Cfb);
    two.original_diversion_reason = Some(DiversionReason::Cfu);
    two.original_called_nr = Some(allowed_party("4930111"));
    for (original, diversion_header) in [
        (leg2(1, DiversionReason::Cfu), false),
        (leg2(1, DiversionReason::Cfnr), true),
        (two.clone(), false),
        (two, true),
    ] {
        let c = SetupContext {
            diversion_header,
            ..ctx(true)
        };
        let h = setup_to_invite(&setup(None, None, Some(original.clone())), &c);
        let r = invite_to_setup(&invite_for(&h), "+4930123", &trusted_defaults()).unwrap();
        let msg = Message::new(MessageType::Setup, cr()).with(r.extra[0].clone());
        let mut back = message_diversion(&msg).unwrap();
        if original.original_diversion_reason.is_none() {
            // one diversion: the original reason is the reason
            assert_eq!(back.original_diversion_reason, None);
            back.original_diversion_reason = None;
        }
        assert_eq!(back, original, "diversion_header={diversion_header}");
    }
    // the Redirection in between reads as the ISUP one would
    let h = setup_to_invite(
        &setup(None, None, Some(leg2(1, DiversionReason::Cfb))),
        &ctx(true),
    );
    let entries: Vec<NameAddr> = HistoryInfo::parse(header(&h.headers, "History-Info").unwrap())
        .unwrap()
        .0;
    let r = Redirection::from_history_info(&entries).unwrap();
    assert_eq!(r.reason, RedirectionReason::UserBusy);
}

// ---------------------------------------------------------------------------------------------
// Round trips of identity

#[test]
fn calling_identity_round_trips_through_a_trusted_peer() {
    for (presentation, name) in [
        (Presentation::Allowed, Name::allowed("Alice")),
        (Presentation::Restricted, Name::restricted("Alice")),
    ] {
        let n = intl("4930999").presented(presentation, Screening::NetworkProvided);
        let h = setup_to_invite(
            &setup(Some(n.clone()), Some(name.clone()), None),
            &ctx(true),
        );
        let r = invite_to_setup(&invite_for(&h), "+4930123", &trusted_defaults()).unwrap();
        assert_eq!(r.calling, Some(n), "{presentation:?}");
        assert_eq!(r.calling_name, Some(name), "{presentation:?}");
    }
    // towards an untrusted peer a restricted identity does not come back
    let n = intl("4930999").presented(Presentation::Restricted, Screening::NetworkProvided);
    let h = setup_to_invite(
        &setup(Some(n), Some(Name::restricted("Alice")), None),
        &ctx(false),
    );
    let r = invite_to_setup(&invite_for(&h), "+4930123", &trusted_defaults()).unwrap();
    assert_eq!(r.calling_name, None);
    assert_eq!(
        r.calling.map(|c| (c.digits, c.presentation)),
        Some((String::new(), Some(Presentation::Restricted)))
    );
}

// ---------------------------------------------------------------------------------------------
// Backward messages (8.2.1.2-8.2.1.4, 8.3.2-8.3.6)

#[test]
fn qsig_messages_to_sip_responses() {
    for (t, s) in [
        (MessageType::CallProceeding, None), // 8.3.2
        (MessageType::Progress, Some(183)),  // 8.3.3
        (MessageType::Alerting, Some(180)),  // 8.3.4
        (MessageType::Connect, Some(200)),   // 8.3.6
        (MessageType::SetupAcknowledge, None),
        (MessageType::Information, None),
    ] {
        assert_eq!(status_for_message(t), s, "{t:?}");
    }
}

#[test]
fn provisional_responses_to_qsig() {
    let none = BackwardSent::default();
    let alerted = BackwardSent {
        alerting: true,
        progress_1: false,
    };
    let pi1 = BackwardSent {
        alerting: false,
        progress_1: true,
    };
    let pd = |b: &Option<QsigBackward>| match b {
        Some(QsigBackward::Alerting(r)) => (
            "alerting",
            r.progress.as_ref().map(|p| p.progress_description),
        ),
        Some(QsigBackward::Progress(r)) => (
            "progress",
            r.progress.as_ref().map(|p| p.progress_description),
        ),
        None => ("none", None),
    };
    use ProgressDescription::*;
    for (status, sent, inband, want) in [
        (100, none, false, ("none", None)), // 8.2.1.2
        (180, none, false, ("alerting", None)),
        (
            180,
            none,
            true,
            ("alerting", Some(InBandInformationAvailable)),
        ),
        (180, pi1, false, ("alerting", None)),
        (180, alerted, false, ("none", None)),
        (181, none, false, ("progress", Some(NotEndToEndIsdn))),
        (182, none, false, ("progress", Some(NotEndToEndIsdn))),
        (183, none, false, ("progress", Some(NotEndToEndIsdn))),
        (183, none, true, ("progress", Some(NotEndToEndIsdn))),
        (183, pi1, false, ("none", None)),
        (183, alerted, false, ("none", None)),
        (150, none, false, ("progress", Some(NotEndToEndIsdn))),
        (199, none, false, ("none", None)),
        (200, none, false, ("none", None)),
    ] {
        let b = backward_for_provisional(status, sent, inband);
        assert_eq!(pd(&b), want, "{status} {sent:?} {inband}");
        if let Some(QsigBackward::Alerting(r) | QsigBackward::Progress(r)) = &b {
            if let Some(p) = &r.progress {
                assert_eq!(p.location, Location::PrivateNetworkLocalUser);
            }
        }
    }
}

#[test]
fn media_and_100rel() {
    let with = |d: ProgressDescription| {
        Message::new(MessageType::Progress, cr()).with(InformationElement::ProgressIndicator(
            ProgressIndicator {
                coding_standard: sipt_codecs::q931::CodingStandard::ItuT,
                location: Location::PrivateNetworkRemoteUser,
                progress_description: d,
            },
        ))
    };
    assert!(opens_media(&with(ProgressDescription::NotEndToEndIsdn)));
    assert!(opens_media(&with(
        ProgressDescription::InBandInformationAvailable
    )));
    assert!(!opens_media(&with(ProgressDescription::DestinationNonIsdn)));
    assert!(!opens_media(&Message::new(MessageType::Alerting, cr())));
    assert!(wants_100rel(&invite(
        "<sip:a@h>",
        &[("Supported", "timer, 100rel")]
    )));
    assert!(wants_100rel(&invite("<sip:a@h>", &[("Require", "100rel")])));
    assert!(!wants_100rel(&invite(
        "<sip:a@h>",
        &[("Supported", "timer")]
    )));
}

fn connect(number: Option<Number>, name: Option<Name>) -> Message {
    let mut m = Message::new(MessageType::Connect, cr());
    if let Some(n) = name {
        m = m.with(facility(connected_name(1, n)));
    }
    if let Some(n) = number {
        m = m.with(InformationElement::ConnectedNumber(n));
    }
    m
}

#[test]
fn connect_to_200_per_9_1_3() {
    let uri = "<sip:+4930123@127.0.0.1:5060;user=phone>";
    let named = "\"Dave\" <sip:+4930123@127.0.0.1:5060;user=phone>";
    let allowed = intl("4930123").presented(Presentation::Allowed, Screening::NetworkProvided);
    let restricted =
        intl("4930123").presented(Presentation::Restricted, Screening::NetworkProvided);
    let restricted_empty = Number::new(TypeOfNumber::Unknown0, NumberingPlan::Unknown0, "")
        .presented(Presentation::Restricted, Screening::NetworkProvided);
    for (i, (m, trusted, pai, privacy)) in [
        // 9.1.3.1
        (connect(None, None), true, None, false),
        // 9.1.3.2
        (connect(Some(restricted_empty), None), true, None, true),
        // 9.1.3.3
        (
            connect(Some(restricted.clone()), None),
            true,
            Some(uri),
            true,
        ),
        (connect(Some(restricted), None), false, None, true),
        // 9.1.3.4
        (connect(Some(allowed.clone()), None), true, Some(uri), false),
        (connect(Some(allowed.clone()), None), false, None, false),
        // connectedName
        (
            connect(Some(allowed.clone()), Some(Name::allowed("Dave"))),
            true,
            Some(named),
            false,
        ),
        (
            connect(Some(allowed.clone()), Some(Name::restricted("Dave"))),
            true,
            Some(named),
            true,
        ),
        (
            connect(Some(allowed), Some(Name::restricted("Dave"))),
            false,
            None,
            false,
        ),
    ]
    .into_iter()
    .enumerate()
    {
        let h = connect_to_200(&m, &ctx(trusted));
        assert_eq!(header(&h, "P-Asserted-Identity"), pai, "row {i}");
        assert_eq!(header(&h, "Privacy"), privacy.then_some("id"), "row {i}");
    }
}

#[test]
fn ok_to_connect_per_9_2_3_and_round_trip() {
    let d = trusted_defaults();
    let pai = "\"Dave\" <sip:+4930123@10.0.0.2;user=phone>";
    let c = ok_to_connect(&response(200, &[("P-Asserted-Identity", pai)]), &d);
    assert_eq!(
        c.connected,
        Some(intl("4930123").presented(Presentation::Allowed, Screening::NetworkProvided))
    );
    assert_eq!(c.connected_name, Some(Name::allowed("Dave")));
    let c = ok_to_connect(
        &response(200, &[("P-Asserted-Identity", pai), ("Privacy", "id")]),
        &d,
    );
    assert_eq!(
        c.connected.as_ref().and_then(|n| n.presentation),
        Some(Presentation::Restricted)
    );
    assert_eq!(c.connected_name, Some(Name::restricted("Dave")));
    // untrusted: no number (9.2.3 SHOULD NOT), no name
    let c = ok_to_connect(
        &response(200, &[("P-Asserted-Identity", pai)]),
        &QsigDefaults::default(),
    );
    assert_eq!(c.connected, None);
    assert_eq!(c.connected_name, None);
    // restricted without a number
    let c = ok_to_connect(&response(200, &[("Privacy", "id")]), &d);
    assert_eq!(
        c.connected.map(|n| (n.digits, n.presentation)),
        Some((String::new(), Some(Presentation::Restricted)))
    );
    // round trip CONNECT -> 200 -> CONNECT
    let n = intl("4930123").presented(Presentation::Allowed, Screening::NetworkProvided);
    let h = connect_to_200(
        &connect(Some(n.clone()), Some(Name::allowed("Dave"))),
        &ctx(true),
    );
    let extra: Vec<(&str, &str)> = h.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let c = ok_to_connect(&response(200, &extra), &d);
    assert_eq!(c.connected, Some(n));
    assert_eq!(c.connected_name, Some(Name::allowed("Dave")));
}

// ---------------------------------------------------------------------------------------------
// Clearing (8.4)

/// RFC 4497 Table 1 as printed (cause, status; 16 is NOTE 3).
const TABLE_1: &[(u8, u16)] = &[
    (1, 404),
    (2, 404),
    (3, 404),
    (17, 486),
    (18, 408),
    (19, 480),
    (20, 480),
    (21, 403),
    (22, 410),
    (23, 410),
    (27, 502),
    (28, 484),
    (29, 501),
    (31, 480),
    (34, 503),
    (38, 503),
    (41, 503),
    (42, 503),
    (47, 503),
    (55, 403),
    (57, 403),
    (58, 503),
    (65, 488),
    (69, 501),
    (70, 488),
    (79, 501),
    (87, 403),
    (88, 503),
    (102, 504),
];

fn cause(value: u8, location: Location) -> Cause {
    Cause::new(location, CauseValue::from_code(value))
}

#[test]
fn every_row_of_table_1() {
    let loc = Location::PrivateNetworkRemoteUser;
    for &(c, s) in TABLE_1 {
        assert_eq!(
            sip_for_cause(&cause(c, loc)),
            SipOutcome::Status(s),
            "cause {c}"
        );
        assert_eq!(response_for_cause(&cause(c, loc)), s, "cause {c}");
        assert_eq!(
            clearing_for(SipCallState::InviteReceived, &cause(c, loc)),
            SipClearing::Response(s)
        );
    }
    // the code's table is Table 1 plus the NOTE 3 row
    assert_eq!(RFC4497_CAUSE_TO_SIP.len(), TABLE_1.len() + 1);
    // NOTE 3: 16 is a BYE or CANCEL; a response gets the default
    assert_eq!(sip_for_cause(&cause(16, loc)), SipOutcome::Clear);
    assert_eq!(response_for_cause(&cause(16, loc)), 500);
    // 21 with location user: 603
    assert_eq!(
        sip_for_cause(&cause(21, Location::User)),
        SipOutcome::Status(603)
    );
    // 22 with a diagnostic: 301
    let mut changed = cause(22, loc);
    changed.diagnostics = b"4930555".to_vec();
    assert_eq!(sip_for_cause(&changed), SipOutcome::Status(301));
    // NOTE 2: 44
    assert_eq!(sip_for_cause(&cause(44, loc)), SipOutcome::Untranslatable);
    assert_eq!(response_for_cause(&cause(44, loc)), 503);
    // default 500 for every cause not in the table
    for c in 0..=127u8 {
        if TABLE_1.iter().any(|r| r.0 == c) || [16, 44].contains(&c) {
            continue;
        }
        assert_eq!(response_for_cause(&cause(c, loc)), 500, "cause {c}");
    }
}

#[test]
fn table_1_differs_from_rfc_3398_where_the_rfcs_differ() {
    // RFC 3398 7.2.4.1 lists 26, 44, 111, 127 which RFC 4497 does not; RFC 4497 lists 69.
    let differing: Vec<u8> = (0..=127u8)
        .filter(|c| {
            let a = RFC3398_CAUSE_TO_SIP.iter().find(|r| r.0 == *c).map(|r| r.1);
            let b = RFC4497_CAUSE_TO_SIP.iter().find(|r| r.0 == *c).map(|r| r.1);
            a != b
        })
        .collect();
    assert_eq!(differing, [26, 44, 69, 111, 127]);
}

/// RFC 4497 Table 2 as printed (status, cause; 487 NOTE 7 and 488/606 NOTE 8 apart).
const TABLE_2: &[(u16, u8)] = &[
    (400, 41),
    (401, 21),
    (402, 21),
    (403, 21),
    (404, 1),
    (405, 63),
    (406, 79),
    (407, 21),
    (408, 102),
    (410, 22),
    (413, 127),
    (414, 127),
    (415, 79),
    (416, 127),
    (420, 127),
    (421, 127),
    (423, 127),
    (480, 18),
    (481, 41),
    (482, 25),
    (483, 25),
    (484, 28),
    (485, 1),
    (486, 17),
    (500, 41),
    (501, 79),
    (502, 38),
    (503, 41),
    (504, 102),
    (505, 127),
    (513, 127),
    (600, 17),
    (603, 21),
    (604, 1),
];

#[test]
fn every_row_of_table_2_with_its_location() {
    for &(s, c) in TABLE_2 {
        assert_eq!(cause_for_status(s, None), c, "status {s}");
        let got = cause_for_response(&response(s, &[]));
        assert_eq!(got.cause_value.code(), c, "status {s}");
        let loc = if s >= 600 {
            Location::User
        } else {
            Location::PrivateNetworkRemoteUser
        };
        assert_eq!(got.location, loc, "status {s}");
    }
    assert_eq!(RFC4497_SIP_TO_CAUSE.len(), TABLE_2.len() + 3);
    // NOTE 7, NOTE 8, default
    assert_eq!(cause_for_status(487, None), 31);
    for s in [488, 606] {
        assert_eq!(cause_for_status(s, None), 31);
        assert_eq!(cause_for_status(s, Some(399)), 31);
        assert_eq!(cause_for_status(s, Some(304)), 65);
        assert_eq!(cause_for_status(s, Some(305)), 65);
        let r = response(s, &[("Warning", "399 gw \"x\", 305 gw \"codec\"")]);
        assert_eq!(cause_for_response(&r).cause_value.code(), 65);
    }
    for s in [409, 411, 422, 489, 580, 599, 602, 699] {
        assert_eq!(cause_for_status(s, None), 31, "status {s}");
    }
    // a Reason: Q.850 header wins, with its RFC 8606 location when given
    let r = response(486, &[("Reason", "Q.850;cause=21;text=\"Call rejected\"")]);
    assert_eq!(
        cause_for_response(&r),
        cause(21, Location::PrivateNetworkRemoteUser)
    );
    let r = response(486, &[("Reason", "Q.850;cause=17;location=LPN")]);
    assert_eq!(
        cause_for_response(&r),
        cause(17, Location::PrivateNetworkLocalUser)
    );
}

#[test]
fn table_2_is_rfc_3398_8_2_6_1() {
    let a: Vec<(u16, IsupOutcome)> = RFC3398_SIP_TO_CAUSE.to_vec();
    let b: Vec<(u16, IsupOutcome)> = RFC4497_SIP_TO_CAUSE.to_vec();
    assert_eq!(a, b);
}

#[test]
fn bye_and_cancel_give_16_unless_a_reason_says_otherwise() {
    for m in ["BYE", "CANCEL"] {
        assert_eq!(
            cause_for_request(&request(m, &[])),
            cause(16, Location::User),
            "{m}"
        );
        assert_eq!(
            cause_for_request(&request(m, &[("Reason", "Q.850;cause=17")])),
            cause(17, Location::User),
            "{m}"
        );
        // a SIP Reason is not a Q.850 cause
        assert_eq!(
            cause_for_request(&request(m, &[("Reason", "SIP;cause=200")])),
            cause(16, Location::User),
            "{m}"
        );
    }
}

#[test]
fn clearing_in_every_state_of_8_4_1() {
    let c = cause(17, Location::PrivateNetworkRemoteUser);
    for (state, want) in [
        (SipCallState::Confirmed, SipClearing::Bye),
        (SipCallState::AnsweredAwaitingAck, SipClearing::ByeAfterAck),
        (SipCallState::ProvisionalReceived, SipClearing::Cancel),
        (SipCallState::NoResponse, SipClearing::AwaitResponse),
        (SipCallState::InviteReceived, SipClearing::Response(486)),
    ] {
        assert_eq!(clearing_for(state, &c), want, "{state:?}");
    }
    assert_eq!(reason_header(&c), "Q.850;cause=17;text=\"User busy\"");
    assert_eq!(
        reason_header(&cause(16, Location::User)),
        "Q.850;cause=16;text=\"Normal call clearing\""
    );
}

#[test]
fn gateway_initiated_clearing_8_4_5() {
    use GatewayFailure::*;
    for (f, status, cause) in [
        (T301, Some(480), None),
        (QsigTimer, Some(408), None),
        (QsigError, Some(500), None),
        (SipTimer, None, Some(102)),
        (SipError, None, Some(41)),
    ] {
        assert_eq!(response_for_failure(f), status, "{f:?}");
        assert_eq!(cause_for_failure(f).map(|c| c.code()), cause, "{f:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Overlap (8.2.2, 8.3.9)

fn information(digits: &str, complete: bool) -> Message {
    let mut m = Message::new(MessageType::Information, cr()).with(
        InformationElement::CalledPartyNumber(Number::new(
            TypeOfNumber::International,
            NumberingPlan::IsdnTelephony,
            digits,
        )),
    );
    if complete {
        m = m.with(InformationElement::SendingComplete);
    }
    m
}

#[test]
fn digits_are_collected_from_setup_and_information() {
    let s = Message::new(MessageType::Setup, cr())
        .with(InformationElement::CalledPartyNumber(intl("4930")));
    let mut d = QsigDigits::from_setup(&s);
    assert_eq!(d.number(), "+4930");
    assert!(!d.is_complete());
    assert!(d.add_information(&information("12", false)));
    assert_eq!(d.number(), "+493012");
    assert!(!d.add_information(&Message::new(MessageType::Information, cr())));
    assert!(!d.add_information(&Message::new(MessageType::Facility, cr())));
    assert!(d.add_information(&information("3", true)));
    assert_eq!(d.number(), "+4930123");
    assert!(d.is_complete());
    // 8.2.2.2.10: further INFORMATION ignored
    assert!(!d.add_information(&information("9", false)));
    assert_eq!(d.number(), "+4930123");
    // a SETUP with Sending complete is complete (8.2.1)
    assert!(QsigDigits::from_setup(&setup(None, None, None)).is_complete());
    // the numbering plan: 15 digits are a whole E.164 number
    let mut d = QsigDigits::from_setup(
        &Message::new(MessageType::Setup, cr())
            .with(InformationElement::CalledPartyNumber(intl("49301234567"))),
    );
    d.add_information(&information("8901", false));
    assert!(d.is_complete(), "{}", d.number());
}

#[test]
fn an_invite_with_more_digits_is_information() {
    let template = intl("4930");
    match overlap_invite("+4930", "+493012", &template) {
        OverlapInvite::Information(i) => {
            assert_eq!(i.called, Some(intl("12")));
            assert!(!i.sending_complete);
        }
        o => panic!("{o:?}"),
    }
    for new in ["+4930", "+5930123", "+49", "+4930ab"] {
        assert_eq!(
            overlap_invite("+4930", new, &template),
            OverlapInvite::Ambiguous,
            "{new}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// No panics on any input

mod no_panics {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn any_decodable_message_maps(bytes in proptest::collection::vec(any::<u8>(), 0..200)) {
            let mut input = vec![0x08, 0x02, 0x00, 0x01, 0x05];
            input.extend(bytes);
            if let Ok(m) = Message::decode(&input) {
                for trusted in [false, true] {
                    let _ = setup_to_invite(&m, &ctx(trusted));
                    let _ = connect_to_200(&m, &ctx(trusted));
                }
                let _ = called_text(&m);
                let _ = opens_media(&m);
                let mut d = QsigDigits::from_setup(&m);
                let _ = d.add_information(&m);
            }
        }

        #[test]
        fn any_text_is_a_number_or_an_error(a in ".{0,40}", b in ".{0,40}") {
            let n = QsigNumbering { country_code: Some("49".into()), ..QsigNumbering::default() };
            if let Ok(x) = number_from_text(&a, &n) {
                prop_assert!(!x.digits.is_empty());
            }
            let _ = party_number_from_text(&b, &n);
            let _ = overlap_invite(&a, &b, &intl("1"));
        }
    }
}

// ------------------------------------------------------------------ SIP bridging (RFC 3204)

fn opaque(tag: u8) -> InformationElement {
    use sipt_codecs::qsig::{Argument, Ber, Invoke, TagClass};
    facility(Invoke::new(
        50 + i64::from(tag),
        99,
        Some(Argument::Raw(Ber::primitive(
            TagClass::Universal,
            4,
            vec![tag],
        ))),
    ))
}

fn facilities_of(ies: &[InformationElement]) -> Vec<&InformationElement> {
    ies.iter()
        .filter(|e| matches!(e, InformationElement::Facility(_)))
        .collect()
}

#[test]
fn setup_from_template_keeps_what_the_mapping_cannot_express() {
    let mut template = setup(Some(allowed_number()), Some(Name::allowed("Carol")), None);
    template.information_elements.insert(1, opaque(1));
    template.information_elements.insert(
        1,
        InformationElement::ChannelIdentification(
            sipt_codecs::q931::ChannelIdentification::primary_b_channel(30, true),
        ),
    );
    // A trusted INVITE for the same identity and number, as a far gateway sends it.
    let inv = invite(
        "\"Carol\" <sip:+4930999@h>",
        &[(
            "P-Asserted-Identity",
            "\"Carol\" <sip:+4930999@h;user=phone>",
        )],
    );
    let mapped = invite_to_setup(&inv, "+4930123", &trusted_defaults()).unwrap();
    assert!(mapped.calling_name.is_some());
    let req = setup_from_template(mapped, &template);
    // Same digits: the template's called and calling numbers (type, plan, screening).
    assert_eq!(
        Some(&req.called),
        template.find(|e| e.as_called_party_number())
    );
    assert_eq!(
        req.calling.as_ref(),
        template.find(|e| e.as_calling_party_number())
    );
    // The name is the template's Facility IE; not a second one.
    assert_eq!(req.calling_name, None);
    assert_eq!(
        facilities_of(&req.extra),
        facilities_of(&template.information_elements)
    );
    // Never the template's channel, bearer or numbers in extra.
    assert!(req.extra.iter().all(|e| !matches!(
        e,
        InformationElement::ChannelIdentification(_)
            | InformationElement::BearerCapability(_)
            | InformationElement::CalledPartyNumber(_)
            | InformationElement::CallingPartyNumber(_)
            | InformationElement::SendingComplete
    )));
    assert_eq!(req.channel, ChannelRequest::Any);
}

#[test]
fn setup_from_template_writes_in_what_sip_changed() {
    let template = setup(
        Some(allowed_number()),
        None,
        Some(leg2(1, DiversionReason::Cfu)),
    );
    // The route changed the number; SIP asks for privacy; SIP saw two diversions; a name.
    let inv = invite(
        "\"Zed\" <sip:anonymous@anonymous.invalid>",
        &[
            ("P-Asserted-Identity", "\"Zed\" <sip:+4940111222@h;user=phone>"),
            ("Privacy", "id"),
            (
                "History-Info",
                "<sip:+4930111@h;user=phone>;index=1, <sip:+4930222@h;user=phone;cause=302>;index=1.1, <sip:+4930123@h;user=phone;cause=302>;index=1.1.1",
            ),
        ],
    );
    let mapped = invite_to_setup(&inv, "+4930999", &trusted_defaults()).unwrap();
    let req = setup_from_template(mapped, &template);
    assert_eq!(req.called.digits, "4930999");
    let calling = req.calling.expect("calling");
    assert_eq!(
        calling.presentation,
        Some(Presentation::Restricted),
        "privacy added"
    );
    assert_eq!(calling.digits, "4940111222");
    assert_eq!(req.calling_name, Some(Name::restricted("Zed")));
    let legs: Vec<u8> = req
        .extra
        .iter()
        .filter_map(|e| e.as_facility())
        .filter_map(|f| f.contents())
        .flat_map(|c| c.invokes().cloned().collect::<Vec<_>>())
        .filter_map(|i| match i.argument {
            Some(sipt_codecs::qsig::Argument::DivertingLegInformation2(d)) => {
                Some(d.diversion_counter)
            }
            _ => None,
        })
        .collect();
    assert_eq!(legs, vec![2], "SIP's diversion replaces the template's one");

    // A restriction in the template is never lifted by SIP.
    let template = setup(Some(restricted_number()), None, None);
    let inv = invite(
        "<sip:+4930999@h>",
        &[("P-Asserted-Identity", "<sip:+4930999@h;user=phone>")],
    );
    let mapped = invite_to_setup(&inv, "+4930123", &trusted_defaults()).unwrap();
    let req = setup_from_template(mapped, &template);
    assert_eq!(
        req.calling.and_then(|n| n.presentation),
        Some(Presentation::Restricted)
    );
}

#[test]
fn backward_templates_give_progress_connect_and_clearing() {
    let pi = |d| ProgressIndicator {
        coding_standard: sipt_codecs::q931::CodingStandard::ItuT,
        location: Location::PrivateNetworkRemoteUser,
        progress_description: d,
    };
    // ALERTING: the template's progress indicator and facility; a calledName of SIP's only
    // when the template has none.
    let alerting = Message::new(MessageType::Alerting, cr())
        .with(InformationElement::ProgressIndicator(pi(
            ProgressDescription::InBandInformationAvailable,
        )))
        .with(opaque(2));
    let mapped = sipt_mgc::qsig::Response {
        progress: None,
        extra: vec![called_name_facility(Name::allowed("Dave")).unwrap()],
    };
    let r = response_from_template(mapped.clone(), &alerting);
    assert_eq!(
        r.progress,
        Some(pi(ProgressDescription::InBandInformationAvailable))
    );
    assert_eq!(r.extra.len(), 2, "{:?}", r.extra);
    let with_name = alerting
        .clone()
        .with(facility(sipt_codecs::qsig::called_name(
            1,
            Name::allowed("Erin"),
        )));
    let r = response_from_template(mapped, &with_name);
    assert_eq!(
        message_name(
            &Message {
                information_elements: r.extra.clone(),
                ..with_name.clone()
            },
            opcode::CALLED_NAME
        ),
        Some(Name::allowed("Erin"))
    );
    assert_eq!(facilities_of(&r.extra).len(), 2);

    // CONNECT: the template's connected number when SIP asserts the same digits.
    let connect_t = connect(Some(intl("4930123")), Some(Name::allowed("Erin"))).with(opaque(3));
    let mapped = sipt_mgc::qsig::ConnectResponse {
        connected: Some(Number::new(
            TypeOfNumber::National,
            NumberingPlan::IsdnTelephony,
            "4930123",
        )),
        connected_name: Some(Name::allowed("Erin")),
        progress: None,
        extra: Vec::new(),
    };
    let c = connect_from_template(mapped, &connect_t);
    assert_eq!(c.connected, Some(intl("4930123")));
    assert_eq!(
        c.connected_name, None,
        "the template's connectedName is in extra"
    );
    assert_eq!(facilities_of(&c.extra).len(), 2);

    // DISCONNECT: the template's cause whole, its other elements.
    let mut cause_t = Cause::new(Location::PrivateNetworkRemoteUser, CauseValue::UserBusy);
    cause_t.diagnostics = vec![0x01];
    let disc = Message::new(MessageType::Disconnect, cr())
        .with(InformationElement::Cause(cause_t.clone()))
        .with(opaque(4));
    let (c, extra) = clearing_from_template(
        Cause::new(Location::User, CauseValue::NormalCallClearing),
        &disc,
    );
    assert_eq!(c, cause_t);
    assert_eq!(extra, vec![opaque(4)]);
    assert_eq!(
        disconnect_message(&cause_t).find(|e| match e {
            InformationElement::Cause(c) => Some(c.clone()),
            _ => None,
        }),
        Some(cause_t)
    );
    // The types carried per SIP message.
    assert_eq!(qsig_types_for_status(180), &[MessageType::Alerting]);
    assert_eq!(qsig_types_for_status(183), &[MessageType::Progress]);
    assert_eq!(qsig_types_for_status(200), &[MessageType::Connect]);
    assert_eq!(qsig_types_for_status(486), CLEARING_TYPES);
    let octets = disc.to_bytes().unwrap();
    assert!(encapsulated_message(&octets, CLEARING_TYPES).is_some());
    assert!(encapsulated_message(&octets, &[MessageType::Connect]).is_none());
    assert!(encapsulated_message(&[0x08, 0x02], CLEARING_TYPES).is_none());
}

#[test]
fn called_name_in_alerting_and_the_180_both_ways() {
    let alerting = |n: Name| {
        Message::new(MessageType::Alerting, cr())
            .with(facility(sipt_codecs::qsig::called_name(1, n)))
    };
    let h = alerting_to_180(&alerting(Name::allowed("Dave")), "+4930123", &ctx(true));
    let pai = header(&h, "P-Asserted-Identity").expect("PAI");
    assert!(
        pai.contains("\"Dave\"") && pai.contains("+4930123"),
        "{pai}"
    );
    assert_eq!(header(&h, "Privacy"), None);
    let h = alerting_to_180(&alerting(Name::restricted("Dave")), "+4930123", &ctx(true));
    assert_eq!(header(&h, "Privacy"), Some("id"));
    // Never to an untrusted peer; nothing without a name.
    assert!(alerting_to_180(&alerting(Name::allowed("Dave")), "+4930123", &ctx(false)).is_empty());
    assert!(alerting_to_180(
        &Message::new(MessageType::Alerting, cr()),
        "+4930123",
        &ctx(true)
    )
    .is_empty());

    let r = response(
        180,
        &[(
            "P-Asserted-Identity",
            "\"Dave\" <sip:+4930123@h;user=phone>",
        )],
    );
    assert_eq!(
        provisional_called_name(&r, &trusted_defaults()),
        Some(Name::allowed("Dave"))
    );
    assert_eq!(provisional_called_name(&r, &QsigDefaults::default()), None);
    let r = response(
        180,
        &[
            (
                "P-Asserted-Identity",
                "\"Dave\" <sip:+4930123@h;user=phone>",
            ),
            ("Privacy", "id"),
        ],
    );
    assert_eq!(
        provisional_called_name(&r, &trusted_defaults()),
        Some(Name::restricted("Dave"))
    );
}

#[test]
fn collected_digits_are_written_into_the_setup() {
    let mut m = Message::new(MessageType::Setup, cr())
        .with(InformationElement::CalledPartyNumber(intl("49")));
    set_called_digits(&mut m, "+4930123");
    let n = m.find(|e| e.as_called_party_number()).unwrap();
    assert_eq!(
        (n.digits.as_str(), n.type_of_number),
        ("4930123", TypeOfNumber::International)
    );
    assert!(m
        .information_elements
        .contains(&InformationElement::SendingComplete));
    assert_eq!(QsigDigits::from_setup(&m).number(), "+4930123");
    assert!(QsigDigits::from_setup(&m).is_complete());
}

/// RFC 3204 bridging of FACILITY (in INFO): the first Facility IE is the mandatory one, every
/// other element rides along in its order but the channel identification; a FACILITY without
/// a Facility IE is no template.
#[test]
fn facility_from_template_keeps_every_facility_and_other_element() {
    let f1 = Facility::invoke(calling_name(1, Name::allowed("A"))).unwrap();
    let f2 = Facility::invoke(connected_name(2, Name::allowed("B"))).unwrap();
    let shift = InformationElement::Shift(sipt_codecs::q931::Shift {
        locking: true,
        codeset: 6,
    });
    let other = InformationElement::Raw {
        codeset: 6,
        identifier: 0x01,
        contents: vec![7],
    };
    let m = Message::new(MessageType::Facility, cr())
        .with(InformationElement::ChannelIdentification(
            sipt_codecs::q931::ChannelIdentification::primary_b_channel(3, true),
        ))
        .with(InformationElement::Facility(f1.clone()))
        .with(InformationElement::Facility(f2.clone()))
        .with(InformationElement::Display(
            sipt_codecs::q931::Display::new("d"),
        ))
        .with(shift.clone())
        .with(other.clone());
    let (first, extra) = facility_from_template(&m).expect("a FACILITY");
    assert_eq!(first, f1);
    assert_eq!(
        extra,
        vec![
            InformationElement::Facility(f2),
            InformationElement::Display(sipt_codecs::q931::Display::new("d")),
            shift,
            other
        ]
    );
    let none = Message::new(MessageType::Facility, cr()).with(InformationElement::Display(
        sipt_codecs::q931::Display::new("d"),
    ));
    assert!(facility_from_template(&none).is_none());
}

/// The QSIG of an INFO (RFC 3204 6, RFC 3372): a trusted peer's FACILITY; nothing from an
/// untrusted one; 415 for a required QSIG message of another type.
#[test]
fn info_message_reads_a_trusted_peers_facility_only() {
    let fac = Message::new(MessageType::Facility, cr()).with(InformationElement::Facility(
        Facility::invoke(calling_name(1, Name::allowed("A"))).unwrap(),
    ));
    let info = |m: &Message| {
        let mut s = SipMessage::parse(
            b"INFO sip:a@h SIP/2.0\r\nVia: SIP/2.0/UDP h;branch=z9hG4bK1\r\nFrom: <sip:b@h>;tag=1\r\nTo: <sip:a@h>;tag=2\r\nCall-ID: c\r\nCSeq: 2 INFO\r\nContent-Length: 0\r\n\r\n",
        )
        .expect("INFO");
        s.push_header("Content-Type", "application/QSIG; version=iso");
        s.body = m.to_bytes().unwrap();
        s
    };
    assert_eq!(
        info_message(&info(&fac), true)
            .unwrap()
            .map(|m| m.message_type),
        Some(MessageType::Facility)
    );
    assert_eq!(info_message(&info(&fac), false).unwrap(), None);
    let connect = Message::new(MessageType::Connect, cr());
    assert_eq!(
        info_message(&info(&connect), true).map_err(|p| p.status()),
        Err(415)
    );
    assert_eq!(info_message(&info(&connect), false).unwrap(), None);
}
