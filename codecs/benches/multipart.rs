//! Parse and build of a SIP-T body: multipart/mixed with SDP and the full IAM of
//! benches/isup.rs as application/ISUP (RFC 3204, RFC 2046 5.1), and the same with the ISUP
//! decoded/encoded too — the body work of each INVITE a gateway sends or receives.
//!
//! cargo bench -p sipt-codecs --bench multipart

use criterion::{criterion_group, criterion_main, Criterion};
use sipt_codecs::isup::Message;
use sipt_codecs::rfc3204::{self, BodyPart, Handling, IsupBase};
use std::hint::black_box;

const FULL_IAM: &str = "010020010a03020b098410940321436587090a07031303214365870b07031003896745232808831003112122330313020321c00806831303214300003d01140801003f04031303211d038090a303087d0291811e02818300";

const SDP: &[u8] = b"v=0\r\no=- 3866843451 3866843451 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 40000 RTP/AVP 8 101\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\na=ptime:20\r\na=sendrecv\r\n";

fn bench(c: &mut Criterion) {
    let iam = hex::decode(FULL_IAM).expect("hex");
    let parts = vec![
        BodyPart::sdp(SDP),
        BodyPart::isup(IsupBase::ItuT92Plus, iam.clone(), Handling::Optional),
    ];
    let body = rfc3204::build(&parts);
    assert_eq!(
        rfc3204::parse(&body.content_type, None, &body.bytes).expect("parses"),
        parts
    );
    eprintln!("SIP-T body: {} octets", body.bytes.len());

    c.bench_function("multipart build (SDP + ISUP IAM)", |b| {
        b.iter(|| rfc3204::build(black_box(&parts)))
    });
    c.bench_function("multipart parse (SDP + ISUP IAM)", |b| {
        b.iter(|| rfc3204::parse(black_box(&body.content_type), None, black_box(&body.bytes)))
    });
    let message = Message::decode(&iam).expect("IAM");
    c.bench_function("multipart build with ISUP encode", |b| {
        b.iter(|| {
            let isup = black_box(&message).to_bytes().expect("IAM encodes");
            rfc3204::build(&[
                BodyPart::sdp(SDP),
                BodyPart::isup(IsupBase::ItuT92Plus, isup, Handling::Optional),
            ])
        })
    });
    c.bench_function("multipart parse with ISUP decode", |b| {
        b.iter(|| {
            let parts = rfc3204::parse(black_box(&body.content_type), None, black_box(&body.bytes))
                .expect("parses");
            parts
                .iter()
                .find(|p| p.isup_base().is_some())
                .map(|p| Message::decode(&p.body))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
