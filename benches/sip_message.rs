//! Parse and build time of a SIP-T INVITE with a multipart/mixed body (SDP + application/ISUP
//! IAM, RFC 3204 / RFC 3372). The IAM is the `tcpdump-iam` vector of fixtures/codecs/isup.toml
//! (tcpdump tests/isup.pcap frame 1) without its CIC.
//!
//! `cargo bench --bench sip_message`

use criterion::{criterion_group, criterion_main, Criterion};
use sipt_codecs::rfc3204::{BodyPart, Handling, IsupBase};
use sipt_mgc::sip::message::{Message, Method, NameAddr, Uri, Via};
use std::hint::black_box;

const IAM_HEX: &str = "0100a0010a02020705819084190f0a070317933393798008018003057c038890a61d038890a6310200643f06039300060010f4056476c328813902f49000";

const SDP: &[u8] = b"v=0\r\no=- 2890844526 2890844526 IN IP4 192.0.2.10\r\ns=-\r\nc=IN IP4 192.0.2.10\r\nt=0 0\r\nm=audio 49170 RTP/AVP 0 8 101\r\na=rtpmap:0 PCMU/8000\r\na=rtpmap:8 PCMA/8000\r\na=rtpmap:101 telephone-event/8000\r\na=fmtp:101 0-15\r\n";

fn iam() -> Vec<u8> {
    hex::decode(IAM_HEX).unwrap_or_default()
}

fn build_invite(iam: &[u8]) -> Message {
    let uri = Uri::parse("sip:+4930123456@gw-b.example.net;user=phone").unwrap();
    let mut from = NameAddr::parse("<sip:+4940987654@gw-a.example.net;user=phone>").unwrap();
    from.set_tag("a73kszlfl");
    let to = NameAddr::new(uri.clone());
    let via = Via::new("UDP", "gw-a.example.net", Some(5060), "z9hG4bK74bf9");
    let mut m = Message::request(
        Method::Invite,
        uri,
        via,
        from,
        to,
        "3848276298220188511@gw-a",
        1,
    );
    m.push_header("Contact", "<sip:gw-a.example.net:5060>");
    m.push_header("Supported", "100rel, timer");
    m.push_header(
        "Allow",
        "INVITE, ACK, BYE, CANCEL, OPTIONS, PRACK, UPDATE, INFO",
    );
    m.push_header("P-Asserted-Identity", "<tel:+4940987654>");
    m.set_body_parts(&[
        BodyPart::sdp(SDP.to_vec()),
        BodyPart::isup(IsupBase::ItuT92Plus, iam.to_vec(), Handling::Optional),
    ]);
    m
}

fn bench(c: &mut Criterion) {
    let iam = iam();
    let wire = build_invite(&iam).to_bytes();
    c.bench_function("sipt_invite_build_encode", |b| {
        b.iter(|| black_box(build_invite(black_box(&iam)).to_bytes()))
    });
    c.bench_function("sipt_invite_parse", |b| {
        b.iter(|| black_box(Message::parse(black_box(&wire))))
    });
    c.bench_function("sipt_invite_parse_typed_parts", |b| {
        b.iter(|| {
            let m = Message::parse(black_box(&wire)).unwrap();
            let v = m.top_via().unwrap();
            let cs = m.cseq().unwrap();
            let f = m.from().unwrap();
            let t = m.to().unwrap();
            let parts = m.body_parts().unwrap();
            black_box((v, cs, f, t, parts))
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
