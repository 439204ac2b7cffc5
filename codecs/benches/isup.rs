//! Decode and encode of a full IAM, both forms (RFC 3204 body: message type first; MSU user
//! part: CIC first). Targets: decode < 150 ns, encode < 100 ns on one core.
//!
//! cargo bench -p sipt-codecs --bench isup

use criterion::{criterion_group, criterion_main, Criterion};
use sipt_codecs::isup::*;
use std::hint::black_box;

/// IAM with every mandatory parameter and calling party number, redirecting number, original
/// called number, redirection information, generic number, hop counter, optional forward call
/// indicators, location number, user service information and access transport.
fn full_iam() -> CicMessage {
    let calling = CallingNumberIndicators::default()
        .with_numbering_plan(NumberingPlan::IsdnTelephony)
        .with_screening(Screening::NetworkProvided);
    let redirecting =
        RedirectingNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony);
    let n = |s: &str| Digits::parse(s).expect("digits");
    Message::iam(
        NatureOfConnectionIndicators::default(),
        ForwardCallIndicators::default()
            .with_isdn_user_part_all_the_way(true)
            .with_originating_access_isdn(true),
        CallingPartysCategory::OrdinarySubscriber,
        TransmissionMedium::Audio3k1,
        Number::new(
            NatureOfAddress::InternationalNumber,
            CalledNumberIndicators::default().with_numbering_plan(NumberingPlan::IsdnTelephony),
            n("4930123456789"),
        ),
    )
    .with(Parameter::CallingPartyNumber(Number::new(
        NatureOfAddress::NationalNumber,
        calling,
        n("3012345678"),
    )))
    .with(Parameter::RedirectingNumber(Number::new(
        NatureOfAddress::NationalNumber,
        redirecting,
        n("3098765432"),
    )))
    .with(Parameter::OriginalCalledNumber(Number::new(
        NatureOfAddress::NationalNumber,
        redirecting,
        n("30111222333"),
    )))
    .with(Parameter::RedirectionInformation(
        RedirectionInformation::default()
            .with_redirecting_indicator(RedirectingIndicator::CallDiverted)
            .with_redirection_counter(1)
            .with_redirection_reason(RedirectionReason::NoReply),
    ))
    .with(Parameter::GenericNumber(GenericNumber {
        number_qualifier: NumberQualifier::AdditionalCallingPartyNumber,
        number: Number::new(NatureOfAddress::NationalNumber, calling, n("301234000")),
    }))
    .with(Parameter::HopCounter(
        HopCounter::default().with_hop_counter(20),
    ))
    .with(Parameter::OptionalForwardCallIndicators(
        OptionalForwardCallIndicators::default(),
    ))
    .with(Parameter::LocationNumber(Number::new(
        NatureOfAddress::NationalNumber,
        LocationNumberIndicators(0x13),
        n("3012"),
    )))
    .with(Parameter::UserServiceInformation(UserServiceInformation {
        octets: Octets::from([0x80, 0x90, 0xa3]),
    }))
    .with(Parameter::AccessTransport(OctetString::new(&[
        0x7d, 0x02, 0x91, 0x81, 0x1e, 0x02, 0x81, 0x83,
    ])))
    .with_cic(17)
}

fn bench(c: &mut Criterion) {
    let iam = full_iam();
    let msu = iam.to_bytes().expect("encodes");
    let body = msu[2..].to_vec();
    assert_eq!(CicMessage::decode(&msu).as_ref(), Ok(&iam));
    eprintln!("full IAM: {} octets: {}", body.len(), hex::encode(&body));

    c.bench_function("isup body decode (full IAM)", |b| {
        b.iter(|| Message::decode(black_box(&body)))
    });
    c.bench_function("isup cic decode (full IAM)", |b| {
        b.iter(|| CicMessage::decode(black_box(&msu)))
    });
    let mut out = Vec::with_capacity(256);
    c.bench_function("isup body encode (full IAM)", |b| {
        b.iter(|| {
            out.clear();
            black_box(&iam.message).encode(&mut out)
        })
    });
    c.bench_function("isup cic encode (full IAM)", |b| {
        b.iter(|| {
            out.clear();
            black_box(&iam).encode(&mut out)
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
