//! Property tests of the Q.921, Q.931 and QSIG codecs:
//! - decoding arbitrary bytes never panics (and the JSON of whatever decodes serializes);
//! - for valid inputs (made by encoding arbitrary typed values) `encode(decode(x)) == x`,
//!   and decoding gives back the typed value;
//! - a Facility built from typed APDUs is DER that decodes to the same APDUs, also after the
//!   same contents are re-written with indefinite and long-form lengths.
//!
//! The strategies live in `strategies` so that tshark_q931.rs can use the same generators.

use proptest::prelude::*;

pub mod strategies {
    use proptest::prelude::*;
    use proptest::sample::select;
    use sipt_codecs::q921::{
        Address, CommandResponse, Control, Frame, Role, SupervisoryFunction, UnnumberedFunction,
    };
    use sipt_codecs::q931::*;
    use sipt_codecs::qsig::{self, *};

    fn pick<T: Clone + std::fmt::Debug + 'static>(all: &'static [T]) -> impl Strategy<Value = T> {
        select(all.to_vec())
    }

    pub fn role() -> impl Strategy<Value = Role> {
        prop_oneof![Just(Role::User), Just(Role::Network)]
    }

    /// Q.921 frames of every format (information field empty except for I and UI frames).
    pub fn q921_frame() -> impl Strategy<Value = (Role, Frame)> {
        let sapi = prop_oneof![Just(0u8), Just(1), Just(16), Just(62), 0u8..64];
        let s_fn = prop_oneof![
            Just(SupervisoryFunction::Rr),
            Just(SupervisoryFunction::Rnr),
            Just(SupervisoryFunction::Rej)
        ];
        let u_fn = prop_oneof![
            Just(UnnumberedFunction::Sabme),
            Just(UnnumberedFunction::Dm),
            Just(UnnumberedFunction::Ui),
            Just(UnnumberedFunction::Disc),
            Just(UnnumberedFunction::Ua),
            Just(UnnumberedFunction::Frmr),
            Just(UnnumberedFunction::Xid),
        ];
        let control = prop_oneof![
            (0u8..128, 0u8..128, any::<bool>()).prop_map(|(n_s, n_r, p)| Control::I {
                n_s,
                n_r,
                p
            }),
            (s_fn, 0u8..128, any::<bool>()).prop_map(|(function, n_r, pf)| Control::S {
                function,
                n_r,
                pf
            }),
            (u_fn, any::<bool>()).prop_map(|(function, pf)| Control::U { function, pf }),
        ];
        (role(), sapi, 0u8..128, any::<bool>(), control).prop_map(
            |(role, sapi, tei, cr, control)| {
                (
                    role,
                    Frame {
                        address: Address { sapi, cr, tei },
                        control,
                        information: Vec::new(),
                    },
                )
            },
        )
    }

    fn digits(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[0-9]{{1,{max}}}")).unwrap()
    }

    fn text(max: usize) -> impl Strategy<Value = String> {
        proptest::string::string_regex(&format!("[A-Za-z][A-Za-z0-9 .]{{0,{max}}}")).unwrap()
    }

    /// A number element's contents; octet 3a when `with_3a`, 3b when `with_3b`.
    pub fn number(with_3a: bool, with_3b: bool) -> impl Strategy<Value = Number> {
        (
            pick(TypeOfNumber::ALL),
            pick(NumberingPlan::ALL),
            pick(Presentation::ALL),
            pick(Screening::ALL),
            pick(ReasonForRedirection::ALL),
            digits(16),
        )
            .prop_map(move |(ton, npi, p, s, rr, d)| {
                let mut n = Number::new(ton, npi, &d);
                if with_3a {
                    n = n.presented(p, s);
                }
                if with_3b {
                    n.reason_for_redirection = Some(rr);
                }
                n
            })
    }

    pub fn name() -> impl Strategy<Value = Name> {
        prop_oneof![
            text(30).prop_map(|t| Name::allowed(&t)),
            text(30).prop_map(|t| Name::restricted(&t)),
            text(30).prop_map(|t| Name::PresentationAllowedExtended(NameSet {
                name_data: t.into_bytes(),
                character_set: Some(CharacterSet::Iso8859_1),
            })),
            Just(Name::NotAvailable),
            Just(Name::PresentationRestrictedNull),
        ]
    }

    pub fn party_number() -> impl Strategy<Value = PartyNumber> {
        prop_oneof![
            digits(12).prop_map(PartyNumber::UnknownPartyNumber),
            (pick(PublicTypeOfNumber::ALL), digits(12)).prop_map(|(t, d)| {
                PartyNumber::PublicPartyNumber {
                    public_type_of_number: t,
                    public_number_digits: d,
                }
            }),
            (pick(PrivateTypeOfNumber::ALL), digits(12)).prop_map(|(t, d)| {
                PartyNumber::PrivatePartyNumber {
                    private_type_of_number: t,
                    private_number_digits: d,
                }
            }),
        ]
    }

    pub fn presented_number() -> impl Strategy<Value = PresentedNumberUnscreened> {
        prop_oneof![
            party_number().prop_map(PresentedNumberUnscreened::PresentationAllowedAddressNU),
            Just(PresentedNumberUnscreened::PresentationRestricted),
            Just(PresentedNumberUnscreened::NumberNotAvailableDueToInterworking),
            party_number().prop_map(PresentedNumberUnscreened::PresentationRestrictedAddressNU),
        ]
    }

    /// Invokes of the typed QSIG operations.
    pub fn invoke() -> impl Strategy<Value = Invoke> {
        let id = 0i64..32768;
        prop_oneof![
            (id.clone(), 0i64..4, name()).prop_map(|(i, op, n)| qsig::name_invoke(i, op, n)),
            (
                id.clone(),
                pick(DiversionReason::ALL),
                pick(SubscriptionOption::ALL),
                party_number()
            )
                .prop_map(|(i, r, s, n)| qsig::diverting_leg_information1(
                    i,
                    DivertingLegInformation1 {
                        diversion_reason: r,
                        subscription_option: s,
                        nominated_nr: n,
                        extension: None,
                    }
                )),
            (
                id.clone(),
                1u8..16,
                pick(DiversionReason::ALL),
                proptest::option::of(pick(DiversionReason::ALL)),
                proptest::option::of(presented_number()),
                proptest::option::of(presented_number()),
                proptest::option::of(name()),
                proptest::option::of(name()),
            )
                .prop_map(|(i, c, r, or, dn, ocn, rn, ocname)| {
                    qsig::diverting_leg_information2(
                        i,
                        DivertingLegInformation2 {
                            diversion_counter: c,
                            diversion_reason: r,
                            original_diversion_reason: or,
                            diverting_nr: dn,
                            original_called_nr: ocn,
                            redirecting_name: rn,
                            original_called_name: ocname,
                            extension: None,
                        },
                    )
                }),
            (id, any::<bool>(), proptest::option::of(name())).prop_map(|(i, p, n)| {
                qsig::diverting_leg_information3(
                    i,
                    DivertingLegInformation3 {
                        presentation_allowed_indicator: p,
                        redirection_name: n,
                        extension: None,
                    },
                )
            }),
        ]
    }

    /// Typed information elements of codeset 0 (values that tshark names).
    pub fn ie() -> impl Strategy<Value = InformationElement> {
        use InformationElement as E;
        prop_oneof![
            (
                pick(InformationTransferCapability::ALL),
                proptest::option::of(prop_oneof![
                    Just(UserInformationLayer1Protocol::G711ALaw),
                    Just(UserInformationLayer1Protocol::G711MuLaw)
                ])
            )
                .prop_map(|(itc, l1)| {
                    let mut bc = BearerCapability::speech(UserInformationLayer1Protocol::G711ALaw);
                    bc.information_transfer_capability = itc;
                    bc.user_information_layer_1_protocol = l1;
                    E::BearerCapability(bc)
                }),
            (1u8..32, any::<bool>()).prop_map(|(n, x)| E::ChannelIdentification(
                ChannelIdentification::primary_b_channel(n, x)
            )),
            (pick(Location::ALL), pick(ProgressDescription::ALL)).prop_map(|(l, d)| {
                E::ProgressIndicator(ProgressIndicator {
                    coding_standard: CodingStandard::ItuT,
                    location: l,
                    progress_description: d,
                })
            }),
            number(false, false).prop_map(E::CalledPartyNumber),
            number(true, false).prop_map(E::CallingPartyNumber),
            number(false, false).prop_map(E::CallingPartyNumber),
            number(true, false).prop_map(E::ConnectedNumber),
            number(true, true).prop_map(E::RedirectingNumber),
            (pick(Location::ALL), pick(CauseValue::ALL))
                .prop_map(|(l, v)| E::Cause(Cause::new(l, v))),
            text(30).prop_map(|t| E::Display(Display::new(&t))),
            invoke().prop_map(|i| E::Facility(Facility::invoke(i).unwrap())),
            Just(E::SendingComplete),
            pick(RestartClass::ALL).prop_map(|class| E::RestartIndicator { class }),
            pick(NotificationDescription::ALL).prop_map(|d| E::NotificationIndicator {
                notification_description: d
            }),
        ]
    }

    /// The message types the QSIG basic call uses.
    pub fn message_type() -> impl Strategy<Value = MessageType> {
        select(vec![
            MessageType::Setup,
            MessageType::CallProceeding,
            MessageType::Alerting,
            MessageType::Connect,
            MessageType::ConnectAcknowledge,
            MessageType::Progress,
            MessageType::Disconnect,
            MessageType::Release,
            MessageType::ReleaseComplete,
            MessageType::Facility,
            MessageType::Information,
            MessageType::Notify,
            MessageType::Status,
            MessageType::StatusEnquiry,
            MessageType::Restart,
            MessageType::RestartAcknowledge,
        ])
    }

    pub fn message() -> impl Strategy<Value = Message> {
        (
            message_type(),
            1u16..0x8000,
            any::<bool>(),
            proptest::collection::vec(ie(), 0..7),
        )
            .prop_map(|(t, cr, flag, ies)| Message {
                protocol_discriminator: PROTOCOL_DISCRIMINATOR_Q931,
                call_reference: CallReference::new(cr, flag),
                message_type: t,
                information_elements: ies,
            })
    }

    /// Messages with elements tshark does not name too: raw elements in other codesets,
    /// unknown code values, odd call reference lengths.
    pub fn message_any() -> impl Strategy<Value = Message> {
        let raw = (
            0u8..8,
            0u8..0x80,
            proptest::collection::vec(any::<u8>(), 0..20),
        )
            .prop_map(|(codeset, identifier, contents)| InformationElement::Raw {
                codeset,
                identifier,
                contents,
            });
        let cr = prop_oneof![
            Just(CallReference::DUMMY),
            (0u32..0x80, any::<bool>()).prop_map(|(v, f)| CallReference {
                length: 1,
                flag: f,
                value: v
            }),
            (0u32..0x8000, any::<bool>()).prop_map(|(v, f)| CallReference {
                length: 2,
                flag: f,
                value: v
            }),
            (0u32..0x80_0000, any::<bool>()).prop_map(|(v, f)| CallReference {
                length: 3,
                flag: f,
                value: v
            }),
        ];
        (
            any::<u8>(),
            cr,
            any::<u8>(),
            proptest::collection::vec(prop_oneof![4 => ie(), 1 => raw], 0..8),
        )
            .prop_map(|(pd, call_reference, t, ies)| Message {
                protocol_discriminator: pd,
                call_reference,
                message_type: MessageType::from_code(t),
                information_elements: ies,
            })
    }

    /// An I frame from `role` carrying `m`.
    pub fn i_frame(role: Role, n_s: u8, n_r: u8, m: &Message) -> Frame {
        Frame::i(0, 0, role, n_s, n_r, false, m.to_bytes().unwrap())
    }

    pub fn _unused(_: CommandResponse) {}
}

use sipt_codecs::q921::Frame;
use sipt_codecs::q931::{InformationElement, Message};
use sipt_codecs::qsig::{Facility, FacilityContents};
use strategies::*;

/// These tests also get compiled into tshark_q931 (which borrows `strategies`); run them in
/// this binary only.
fn here() -> bool {
    module_path!() == "prop_q931"
}

/// Re-writes every definite length of a DER encoding in the indefinite (constructed) or
/// long form, choosing per element with `pick`, as a BER encoder may.
fn to_ber_variant(der: &[u8], pick: &mut impl FnMut() -> u8) -> Vec<u8> {
    let mut out = Vec::new();
    let mut i = 0;
    while i < der.len() {
        let id = der[i];
        let (len, hl) = match der[i + 1] {
            0x81 => (der[i + 2] as usize, 3),
            0x82 => ((der[i + 2] as usize) << 8 | der[i + 3] as usize, 4),
            l => (l as usize, 2),
        };
        let body = &der[i + hl..i + hl + len];
        let constructed = id & 0x20 != 0;
        match pick() % 3 {
            0 if constructed => {
                out.extend_from_slice(&[id, 0x80]);
                out.extend(to_ber_variant(body, pick));
                out.extend_from_slice(&[0, 0]);
            }
            1 => {
                let inner = if constructed {
                    to_ber_variant(body, pick)
                } else {
                    body.to_vec()
                };
                out.extend_from_slice(&[id, 0x82, (inner.len() >> 8) as u8, inner.len() as u8]);
                out.extend(inner);
            }
            _ => {
                let inner = if constructed {
                    to_ber_variant(body, pick)
                } else {
                    body.to_vec()
                };
                if inner.len() < 0x80 {
                    out.extend_from_slice(&[id, inner.len() as u8]);
                } else {
                    out.extend_from_slice(&[id, 0x81, inner.len() as u8]);
                }
                out.extend(inner);
            }
        }
        i += hl + len;
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn q921_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        if !here() { return Ok(()); }
        if let Ok(f) = Frame::decode(&bytes) {
            prop_assert_eq!(f.to_bytes().unwrap(), bytes);
            serde_json::to_string(&f).unwrap();
        }
    }

    #[test]
    fn q931_arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
        if !here() { return Ok(()); }
        if let Ok(m) = Message::decode(&bytes) {
            prop_assert_eq!(m.to_bytes().unwrap(), bytes);
            serde_json::to_string(&m).unwrap();
        }
    }

    #[test]
    fn q931_arbitrary_ies_after_a_header(ies in proptest::collection::vec(any::<u8>(), 0..200)) {
        if !here() { return Ok(()); }
        let mut bytes = vec![0x08, 0x02, 0x00, 0x01, 0x05];
        bytes.extend(ies);
        if let Ok(m) = Message::decode(&bytes) {
            prop_assert_eq!(m.to_bytes().unwrap(), bytes);
            serde_json::to_string(&m).unwrap();
        }
    }

    #[test]
    fn facility_arbitrary_bytes_never_panic(
        profile in prop_oneof![Just(0x91u8), Just(0x9f), any::<u8>()],
        body in proptest::collection::vec(any::<u8>(), 0..80),
    ) {
        if !here() { return Ok(()); }
        let mut octets = vec![profile];
        octets.extend(body);
        let f = Facility::from_octets(octets.clone());
        prop_assert_eq!(f.octets(), &octets[..]);
        serde_json::to_string(&f).unwrap();
        if let Some(c) = f.contents() {
            // DER re-encoding decodes to the same view.
            let again = Facility::new(c.clone()).unwrap();
            prop_assert_eq!(again.contents(), Some(c));
        }
    }

    #[test]
    fn q921_frames_round_trip((_role, f) in q921_frame()) {
        if !here() { return Ok(()); }
        let bytes = f.to_bytes().unwrap();
        let back = Frame::decode(&bytes).unwrap();
        prop_assert_eq!(&back, &f);
        prop_assert_eq!(back.to_bytes().unwrap(), bytes);
    }

    #[test]
    fn q931_messages_round_trip(m in message_any()) {
        if !here() { return Ok(()); }
        let bytes = m.to_bytes().unwrap();
        let back = Message::decode(&bytes).unwrap();
        prop_assert_eq!(back.to_bytes().unwrap(), bytes.clone());
        // The typed view survives too (raw elements of codeset 0 may come back typed, and
        // elements after a shift come back raw, so compare only the plain generated ones).
        if m.information_elements.iter().all(|e| !matches!(e, InformationElement::Raw { .. })) {
            prop_assert_eq!(back, m);
        }
    }

    #[test]
    fn facility_der_and_ber_forms_decode_alike(invokes in proptest::collection::vec(invoke(), 1..4), seed in any::<u64>()) {
        if !here() { return Ok(()); }
        let contents = FacilityContents::qsig(invokes.into_iter().map(sipt_codecs::qsig::Rose::Invoke).collect());
        let f = Facility::new(contents.clone()).unwrap();
        prop_assert_eq!(f.contents(), Some(&contents));
        // The same APDUs with indefinite and long-form lengths: the same view, octets kept.
        let mut s = seed;
        let mut pick = || { s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407); (s >> 33) as u8 };
        let mut ber = vec![f.octets()[0]];
        ber.extend(to_ber_variant(&f.octets()[1..], &mut pick));
        let g = Facility::from_octets(ber.clone());
        prop_assert_eq!(g.octets(), &ber[..]);
        prop_assert_eq!(g.contents(), Some(&contents));
        // And inside a Q.931 message, byte-exact (when it fits the IE's length octet).
        if ber.len() > 255 { return Ok(()); }
        let m = Message::new(sipt_codecs::q931::MessageType::Facility, sipt_codecs::q931::CallReference::new(5, false))
            .with(InformationElement::Facility(g));
        let bytes = m.to_bytes().unwrap();
        prop_assert_eq!(Message::decode(&bytes).unwrap().to_bytes().unwrap(), bytes);
    }
}

#[test]
fn runs_here() {
    // Guards the guard: in this binary the properties above do run.
    if module_path!().starts_with("tshark_q931") {
        return;
    }
    assert!(here());
}
