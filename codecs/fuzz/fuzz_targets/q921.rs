#![no_main]
//! Q.921 frames: decoding never panics; a decoded frame encodes back to the same octets.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::q921::Frame;

fuzz_target!(|data: &[u8]| {
    if let Ok(f) = Frame::decode(data) {
        assert_eq!(f.to_bytes().expect("a decoded frame encodes"), data);
    }
});
