#![no_main]
//! MTP3 messages (SIO, ITU routing label, user part): decoding never panics; whatever decodes
//! encodes back to the same octets.
use libfuzzer_sys::fuzz_target;
use sipt_codecs::mtp3::Msu;

fuzz_target!(|data: &[u8]| {
    match Msu::decode(data) {
        Ok(msu) => {
            let mut out = Vec::new();
            msu.encode(&mut out).expect("a decoded MSU encodes");
            assert_eq!(out, data);
            assert_eq!(msu.encoded_len(), data.len());
        }
        Err(e) => assert!(e.offset() <= data.len()),
    }
});
