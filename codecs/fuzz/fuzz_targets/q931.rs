#![no_main]
//! Q.931 messages: decoding never panics; a decoded message encodes back to the same octets
//! (whatever its facility contents, DER or not); the facility views are stable through DER.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::q931::{InformationElement, Message};
use sipt_codecs::qsig::Facility;

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        assert_eq!(m.to_bytes().expect("a decoded message encodes"), data);
        for ie in &m.information_elements {
            if let InformationElement::Facility(f) = ie {
                if let Some(c) = f.contents() {
                    let again = Facility::new(c.clone()).expect("a decoded view encodes");
                    assert_eq!(again.contents(), Some(c));
                }
            }
        }
    }
});
