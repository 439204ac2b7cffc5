//! The body parts of every SIP message in fixtures/codecs/sipt.toml survive being rebuilt:
//! parse -> build (our boundary) -> parse gives the same parts, octet for octet.

#[path = "../codecs/tests/common/fixtures.rs"]
mod fixtures;

use sipt_codecs::rfc3204;
use sipt_mgc::decode::split_sip;

#[test]
fn body_parts_survive_a_rebuild() {
    let vectors = fixtures::load("sipt");
    assert!(vectors.len() >= 4);
    for v in vectors {
        let msg = split_sip(&v.bytes).unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let ct = msg.header("Content-Type").expect("a body");
        let parts = rfc3204::parse(ct, msg.header("Content-Disposition"), msg.body)
            .unwrap_or_else(|e| panic!("{}: {e}", v.name));
        let built = rfc3204::build(&parts);
        let again = rfc3204::parse(
            &built.content_type,
            built.content_disposition.as_deref(),
            &built.bytes,
        )
        .unwrap_or_else(|e| panic!("{}: rebuilt body: {e}", v.name));
        assert_eq!(again, parts, "{}", v.name);
        if parts.len() == 1 {
            assert_eq!(
                built.bytes, msg.body,
                "{}: a single part is the body",
                v.name
            );
        }
    }
}
