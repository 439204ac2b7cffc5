//! Property tests of RFC 3204 bodies: any parts survive build -> parse octet for octet, and no
//! input makes the parser panic.

use proptest::prelude::*;
use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase};

fn part() -> impl Strategy<Value = BodyPart> {
    let base = prop::sample::select(IsupBase::ALL.to_vec());
    let handling = prop::sample::select(vec![Handling::Optional, Handling::Required]);
    // Bodies biased towards the octets that break naive multipart code.
    let octets = prop::collection::vec(
        prop_oneof![
            any::<u8>(),
            Just(b'\r'),
            Just(b'\n'),
            Just(b'-'),
            Just(b's'),
        ],
        0..200,
    );
    prop_oneof![
        octets.clone().prop_map(BodyPart::sdp),
        (base, octets.clone(), handling.clone()).prop_map(|(b, o, h)| BodyPart::isup(b, o, h)),
        (octets, handling).prop_map(|(o, h)| BodyPart::qsig(o, h)),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn build_then_parse_is_identity(parts in prop::collection::vec(part(), 1..4)) {
        let body = rfc3204::build(&parts);
        let back = rfc3204::parse(&body.content_type, body.content_disposition.as_deref(), &body.bytes)
            .expect("our own body parses");
        prop_assert_eq!(back, parts);
    }

    #[test]
    fn parse_never_panics(ct in "(multipart/mixed; ?boundary=[a-z0-9-]{1,8}|application/ISUP; version=[a-z0-9+-]{0,8}|[ -~]{0,30})",
                          bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = rfc3204::parse(&ct, Some("signal; handling=optional"), &bytes);
    }

    #[test]
    fn parse_never_panics_on_near_valid_multiparts(parts in prop::collection::vec(part(), 2..4),
                                                  cut in any::<prop::sample::Index>(),
                                                  flip in any::<(prop::sample::Index, u8)>()) {
        let body = rfc3204::build(&parts);
        let mut bytes = body.bytes.clone();
        let i = flip.0.index(bytes.len());
        bytes[i] ^= flip.1;
        bytes.truncate(cut.index(bytes.len() + 1));
        let _ = rfc3204::parse(&body.content_type, None, &bytes);
    }
}
