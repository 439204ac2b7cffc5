#![no_main]
//! Both ISUP forms: decoding never panics, and whatever decodes re-encodes to the same octets.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::isup::{CicMessage, Message};

fuzz_target!(|data: &[u8]| {
    if let Ok(m) = Message::decode(data) {
        let mut out = Vec::new();
        m.encode(&mut out).expect("a decoded message encodes");
        assert_eq!(out, data, "body round trip: {m:?}");
    }
    if let Ok(m) = CicMessage::decode(data) {
        let mut out = Vec::new();
        m.encode(&mut out).expect("a decoded message encodes");
        assert_eq!(out, data, "CIC round trip: {m:?}");
    }
});
