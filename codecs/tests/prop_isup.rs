//! Property tests of the ISUP codec:
//! - decoding arbitrary octets never panics, and whenever it succeeds, encoding gives back
//!   exactly those octets (both forms);
//! - valid messages, made by encoding arbitrary typed values of every message type of the
//!   table, decode to the same value and re-encode to the same octets;
//! - mutated valid messages (octets flipped, inserted, removed, cut) either fail to decode or
//!   round-trip exactly.

use proptest::prelude::*;
use sipt_codecs::isup::{
    code, layout, params::TYPED_CODES, Body, CicMessage, Message, MessageType, Octets, Parameter,
    Variant,
};

const V: Variant = Variant::ItuT92Plus;

/// Message types with a format in the ITU-T table, and some without.
fn message_types() -> Vec<MessageType> {
    (0..=255u8)
        .map(MessageType::from_code)
        .filter(|t| layout::itu(*t).is_some())
        .collect()
}

/// Value octets for parameter `code`: usually of a length its typed form accepts.
fn value_for(code: u8) -> BoxedStrategy<Vec<u8>> {
    let fixed = |n: usize| prop::collection::vec(any::<u8>(), n).boxed();
    let any_len = |lo: usize, hi: usize| prop::collection::vec(any::<u8>(), lo..hi).boxed();
    let exact = match code {
        code::CALL_REFERENCE => Some(5),
        code::FORWARD_CALL_INDICATORS
        | code::BACKWARD_CALL_INDICATORS
        | code::REDIRECTION_INFORMATION
        | code::INFORMATION_INDICATORS
        | code::INFORMATION_REQUEST_INDICATORS
        | code::PROPAGATION_DELAY_COUNTER => Some(2),
        c if TYPED_CODES.contains(&c) && is_one_octet(c) => Some(1),
        _ => None,
    };
    match exact {
        // mostly well-formed, sometimes not (then kept as octets)
        Some(n) => prop_oneof![8 => fixed(n), 1 => any_len(0, 6)].boxed(),
        None => any_len(0, 24),
    }
}

fn is_one_octet(c: u8) -> bool {
    matches!(
        c,
        code::TRANSMISSION_MEDIUM_REQUIREMENT
            | code::NATURE_OF_CONNECTION_INDICATORS
            | code::OPTIONAL_FORWARD_CALL_INDICATORS
            | code::CALLING_PARTYS_CATEGORY
            | code::CONTINUITY_INDICATORS
            | code::CIRCUIT_GROUP_SUPERVISION_MESSAGE_TYPE
            | code::FACILITY_INDICATOR
            | code::SUSPEND_RESUME_INDICATORS
            | code::EVENT_INFORMATION
            | code::AUTOMATIC_CONGESTION_LEVEL
            | code::OPTIONAL_BACKWARD_CALL_INDICATORS
            | code::TRANSMISSION_MEDIUM_USED
            | code::HOP_COUNTER
            | code::TRANSMISSION_MEDIUM_REQUIREMENT_PRIME
    )
}

fn parameter(code: u8) -> BoxedStrategy<Parameter> {
    value_for(code)
        .prop_map(move |v| Parameter::decode(V, code, &v))
        .boxed()
}

fn optional_code() -> BoxedStrategy<u8> {
    prop_oneof![
        4 => prop::sample::select(TYPED_CODES.to_vec()),
        1 => 1..=255u8,
    ]
    .boxed()
}

/// An arbitrary typed message of a table message type, or a raw one.
fn message() -> BoxedStrategy<Message> {
    let typed = prop::sample::select(message_types())
        .prop_flat_map(|t| {
            let l = layout::itu(t).copied().unwrap_or(layout::Layout {
                fixed: &[],
                variable: &[],
                optional: false,
            });
            let fixed: Vec<BoxedStrategy<Parameter>> = l
                .fixed
                .iter()
                .map(|&(c, n)| {
                    prop::collection::vec(any::<u8>(), usize::from(n))
                        .prop_map(move |v| Parameter::decode(V, c, &v))
                        .boxed()
                })
                .collect();
            let variable: Vec<BoxedStrategy<Parameter>> =
                l.variable.iter().map(|&c| parameter(c)).collect();
            let optional = if l.optional {
                prop::collection::vec(optional_code().prop_flat_map(parameter), 0..10).boxed()
            } else {
                Just(Vec::new()).boxed()
            };
            let trailing =
                prop_oneof![6 => Just(Vec::new()), 1 => prop::collection::vec(any::<u8>(), 1..4)];
            (
                Just(t),
                fixed,
                variable,
                optional,
                any::<bool>().prop_map(move |e| e && l.optional),
                trailing,
            )
        })
        .prop_map(|(t, fixed, variable, optional, empty, trailing)| {
            let empty = empty && optional.is_empty();
            let mut parameters = fixed;
            parameters.extend(variable);
            parameters.extend(optional);
            Message {
                variant: V,
                message_type: t,
                body: Body::Parameters {
                    parameters,
                    empty_optional_part: empty,
                    trailing_octets: Octets::from(trailing),
                },
            }
        });
    let raw = (
        prop::sample::select(vec![0x28u8, 0x31, 0x43, 0x0a, 0x3e, 0xe9, 0xfe, 0xff]),
        prop::collection::vec(any::<u8>(), 0..20),
    )
        .prop_map(|(t, v)| Message::raw_message(MessageType::from_code(t), &v));
    prop_oneof![8 => typed, 1 => raw].boxed()
}

fn cic_message() -> impl Strategy<Value = CicMessage> {
    (0..0x1000u16, 0..16u8, message()).prop_map(|(cic, cic_spare, message)| CicMessage {
        cic,
        cic_spare,
        message,
    })
}

#[derive(Debug, Clone)]
enum Mutation {
    Flip(usize, u8),
    Insert(usize, u8),
    Remove(usize),
    Cut(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (any::<usize>(), 1..=255u8).prop_map(|(i, x)| Mutation::Flip(i, x)),
        1 => (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        1 => any::<usize>().prop_map(Mutation::Remove),
        1 => any::<usize>().prop_map(Mutation::Cut),
    ]
}

fn mutate(mut bytes: Vec<u8>, mutations: &[Mutation]) -> Vec<u8> {
    for m in mutations {
        let n = bytes.len();
        match *m {
            Mutation::Flip(i, x) if n > 0 => bytes[i % n] ^= x,
            Mutation::Insert(i, b) => bytes.insert(i % (n + 1), b),
            Mutation::Remove(i) if n > 0 => {
                bytes.remove(i % n);
            }
            Mutation::Cut(i) => bytes.truncate(i % (n + 1)),
            _ => {}
        }
    }
    bytes
}

fn body_round_trip(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = Message::decode(bytes) {
        let again = m.to_bytes();
        prop_assert_eq!(again.as_deref(), Ok(bytes), "{:?}", m);
    }
    Ok(())
}

fn cic_round_trip(bytes: &[u8]) -> Result<(), TestCaseError> {
    if let Ok(m) = CicMessage::decode(bytes) {
        let again = m.to_bytes();
        prop_assert_eq!(again.as_deref(), Ok(bytes), "{:?}", m);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 3000, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_octets_never_panic_and_round_trip(bytes in prop::collection::vec(any::<u8>(), 0..80)) {
        body_round_trip(&bytes)?;
        cic_round_trip(&bytes)?;
    }

    /// Octets shaped like a message of a table type: a known type first, small pointers.
    #[test]
    fn message_shaped_octets_round_trip(
        t in prop::sample::select(message_types()),
        rest in prop::collection::vec(prop_oneof![3 => 0..8u8, 1 => any::<u8>()], 0..40),
    ) {
        let mut bytes = vec![t.code()];
        bytes.extend(rest);
        body_round_trip(&bytes)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 1500, ..ProptestConfig::default() })]

    #[test]
    fn typed_messages_round_trip(m in cic_message()) {
        let bytes = m.to_bytes().map_err(|e| TestCaseError::fail(format!("{e}: {m:?}")))?;
        let back = CicMessage::decode(&bytes)
            .map_err(|e| TestCaseError::fail(format!("{e}: {}", hex::encode(&bytes))))?;
        prop_assert_eq!(&back, &m);
        let again = back.to_bytes();
        prop_assert_eq!(again.as_deref(), Ok(&bytes[..]));
        // the body form is the same message after the CIC
        let body = Message::decode(&bytes[2..]).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&body, &m.message);
        // JSON never fails
        prop_assert!(serde_json::to_string(&back).is_ok());
    }

    #[test]
    fn mutated_messages_fail_or_round_trip(
        m in cic_message(),
        mutations in prop::collection::vec(mutation(), 1..4),
    ) {
        let bytes = m.to_bytes().map_err(|e| TestCaseError::fail(e.to_string()))?;
        let bytes = mutate(bytes, &mutations);
        cic_round_trip(&bytes)?;
        body_round_trip(bytes.get(2..).unwrap_or(&[]))?;
    }
}
