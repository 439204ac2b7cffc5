#![no_main]
//! RFC 3204 body parser: arbitrary Content-Type (first line of the input) and body never panic;
//! the parts of whatever parses survive a build -> parse round trip.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::rfc3204;

fuzz_target!(|data: &[u8]| {
    let (ct, body) = match data.iter().position(|&b| b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let Ok(ct) = std::str::from_utf8(ct) else { return };
    if let Ok(parts) = rfc3204::parse(ct, None, body) {
        if parts.is_empty() {
            return;
        }
        let built = rfc3204::build(&parts);
        let again = rfc3204::parse(&built.content_type, built.content_disposition.as_deref(), &built.bytes)
            .expect("a body we built parses");
        // Content-Type values may be normalised by a nested multipart's flattening; octets may not.
        assert_eq!(again.len(), parts.len());
        for (a, b) in again.iter().zip(&parts) {
            assert_eq!(a.body, b.body);
        }
    }
});
