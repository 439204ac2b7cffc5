#![no_main]
//! MTP2 signal units: decoding never panics; whatever decodes encodes back to the same octets,
//! and decoding its MTP3 part never panics either.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::mtp2::SignalUnit;

fuzz_target!(|data: &[u8]| {
    if let Ok(su) = SignalUnit::decode(data) {
        let mut out = Vec::new();
        su.encode(&mut out).expect("a decoded signal unit encodes");
        assert_eq!(out, data);
        assert_eq!(su.encoded_len(), data.len());
        let _ = su.mtp3();
    }
});
